"""Less common `streamkit run` options: input formats, lazy output, empty partitions,
reporter prefix, -files aliases, progress on a TTY."""

import os
import pty
import subprocess

from conftest import ROOT, STREAMKIT

CAT = "import sys, shutil\nshutil.copyfileobj(sys.stdin.buffer, sys.stdout.buffer)\n"


def test_keyvalue_input_format_sends_key_tab_value(tmp_path, script, run):
    (tmp_path / "in.txt").write_bytes(b"k1\tv1\nnotab\nk2\tv\t2\n")
    script("show.py", "import sys\nfor l in sys.stdin.buffer: sys.stdout.buffer.write(repr(l).encode() + b'\\n')\n")
    res = run("-D", "stream.map.output=keyonlytext", "-input", "in.txt", "-output", "out",
            "-inputformat", "org.apache.hadoop.mapred.KeyValueTextInputFormat",
            "-file", "show.py", "-mapper", "python3 show.py", "-numReduceTasks", "0")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out/part-00000").read_bytes() == b"b'k1\\tv1\\n'\nb'notab\\t\\n'\nb'k2\\tv\\t2\\n'\n"


def test_empty_partitions_get_empty_parts_and_lazy_output_skips_them(tmp_path, script, run):
    (tmp_path / "in.txt").write_bytes(b"only\t1\n" * 10)
    script("cat.py", CAT)
    script("header.py", "import sys\nprint('HEADER')\nsys.stdout.write(sys.stdin.read())\n")
    res = run("-input", "in.txt", "-output", "out", "-file", "cat.py", "-file", "header.py",
              "-mapper", "python3 cat.py", "-reducer", "python3 header.py", "-numReduceTasks", "5")
    assert res.returncode == 0, res.stderr
    names = sorted(os.listdir(tmp_path / "out"))
    assert names == ["_SUCCESS"] + [f"part-{p:05d}" for p in range(5)]
    sizes = {n: (tmp_path / "out" / n).stat().st_size for n in names if n.startswith("part-")}
    assert sorted(sizes.values())[:4] == [0, 0, 0, 0]     # reducers of empty partitions: output discarded
    res = run("-lazyOutput", "-input", "in.txt", "-output", "lazy", "-file", "cat.py",
              "-mapper", "python3 cat.py", "-reducer", "python3 cat.py", "-numReduceTasks", "5")
    assert res.returncode == 0, res.stderr
    assert len([n for n in os.listdir(tmp_path / "lazy") if n.startswith("part-")]) == 1


def test_custom_reporter_prefix(tmp_path, script, run):
    (tmp_path / "in.txt").write_bytes(b"x\n")
    script("m.py", "import sys\nsys.stdin.read()\nsys.stderr.write('my:counter:G,C,5\\nreporter:counter:G,D,1\\n')\n")
    res = run("-D", "stream.stderr.reporter.prefix=my:", "-input", "in.txt", "-output", "out",
              "-file", "m.py", "-mapper", "python3 m.py", "--stats", "s.json")
    assert res.returncode == 0, res.stderr
    counters = __import__("json").loads((tmp_path / "s.json").read_text())["counters"]
    assert counters["G.C"] == 5 and "G.D" not in counters


def test_files_alias_links_under_the_new_name(tmp_path, run):
    (tmp_path / "in.txt").write_bytes(b"x\n")
    (tmp_path / "real_name.py").write_text("#!/usr/bin/env python3\nimport sys\nsys.stdin.read()\nprint('aliased')\n")
    res = run("-files", "real_name.py#alias.py", "-input", "in.txt", "-output", "out",
              "-mapper", "python3 alias.py", "-numReduceTasks", "0")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out/part-00000").read_bytes() == b"aliased\t\n"


def test_progress_bars_and_summary_on_a_tty(tmp_path, script):
    (tmp_path / "in.txt").write_bytes(b"a\nb\n")
    script("cat.py", CAT)
    master, slave = pty.openpty()
    proc = subprocess.Popen(STREAMKIT + ["run", "-input", "in.txt", "-output", "out", "-file", "cat.py",
                                         "-mapper", "python3 cat.py", "-numReduceTasks", "2"],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=slave,
                            env=dict(os.environ, PYTHONPATH=ROOT))
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(timeout=60) == 0
    os.close(master)
    assert b"map tasks" in seen and b"reduce tasks" in seen and b"2/2" in seen
    assert b"Map input records=2" in seen


def test_cmdenv_values_split_on_spaces_like_hadoop():
    from streamkit.hadoop_args import parse
    spec = parse(["-input", "a", "-output", "b", "-mapper", "cat", "-cmdenv", "A=x y", "-cmdenv", "B=1 C=2"])
    assert spec.cmdenv == (("A", "x"), ("B", "1"), ("C", "2"))


def test_split_command_line_like_streaming_splitargs():
    from streamkit.hadoop_args import split_command_line
    assert split_command_line("python3  m.py") == ["python3", "m.py"]
    assert split_command_line("a'b c'd") == ["a", "b c", "d"]
    assert split_command_line('bash -c "cut -f1 | sort"') == ["bash", "-c", "cut -f1 | sort"]
    assert split_command_line("awk -F\"\\t\" x") == ["awk", "-F", "\\t", "x"]   # no escapes


def test_counter_lines_parse_like_java(tmp_path):
    from streamkit.task import Counters, StderrReader
    counters = Counters()
    reader = StderrReader(None, str(tmp_path / "log"), "reporter:", counters)
    lines = [b"reporter:counter:G,a,5,", b"reporter:counter:G,b, 5", b"reporter:counter:G,c,+2",
             b"reporter:counter:G,d,1_000", b"reporter:counter:G,e,", b"  reporter:counter:G,f,1",
             b"reporter:counter: G,g,-3 ", b"reporter:counter:G,h,1,2"]
    with open(tmp_path / "log", "ab") as log:
        reader._lines(b"\n".join(lines) + b"\n", log)
    assert counters == {("G", "a"): 5, ("G", "c"): 2, ("G", "g"): -3}
    assert (tmp_path / "log").read_bytes().count(b"WARN") == 4


def test_identity_reducer_class_writes_records_through(tmp_path, script, run):
    (tmp_path / "in.txt").write_bytes(b"b\t2\na\t1\nnotab\n")
    script("cat.py", CAT)
    res = run("-input", "in.txt", "-output", "out", "-file", "cat.py", "-mapper", "python3 cat.py",
              "-reducer", "org.apache.hadoop.mapred.lib.IdentityReducer")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out/part-00000").read_bytes() == b"a\t1\nb\t2\nnotab\t\n"
