"""Less common `streamkit run` options: input formats, lazy output, empty partitions,
reporter prefix, -files aliases, progress on a TTY."""

import os
import pty
import subprocess
import sys

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
