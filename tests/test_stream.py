"""Script helpers (streamkit/stream.py): reading, grouping, emitting, counters, run().

The helpers are checked against streamkit's own Hadoop rules (streamkit/records.py)
and hand-written reducer loops, and the single-file job form runs as real processes:
in ``cat | x.py -m | sort | x.py -r`` and under ``streamkit run``, with only a copy of
stream.py next to the script, as ``-file`` ships it.
"""
import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import tracemalloc
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT, oracle
from streamkit import records as hadoop
from streamkit import stream

HELPERS = Path(ROOT) / "streamkit" / "stream.py"
MALSTONE = Path(ROOT) / "jobs" / "malstone"
SORT = "LC_ALL=C sort -t \"$(printf '\\t')\" -k1,1 -s"
PY = sys.executable


class Chunked(io.RawIOBase):
    """A binary stream whose read() returns at most ``chunk`` bytes, like a pipe."""

    def __init__(self, data, chunk):
        self.data, self.pos, self.chunk = data, 0, chunk

    def readable(self):
        return True

    def read(self, size=-1):
        n = self.chunk if size < 0 else min(size, self.chunk)
        out = self.data[self.pos:self.pos + n]
        self.pos += len(out)
        return out


def hand_written_groups(data, nfields=1):
    """The reducer loop everyone writes, done right: Hadoop's records and key split."""
    groups, key = [], None
    for line in hadoop.iter_records([data]):
        k, v = hadoop.split_key_value(line, nfields=nfields)
        if groups and k == key:
            groups[-1][1].append(v)
        else:
            key = k
            groups.append((k, [v]))
    return groups


def job_dir(tmp_path, name, body):
    """Write a job script next to a copy of stream.py (what -file ships); return its dir."""
    (tmp_path / name).write_text("#!/usr/bin/env python3\nimport stream\n" + textwrap.dedent(body))
    return ship(tmp_path)


def ship(tmp_path, *scripts):
    """Copy stream.py (and scripts) into tmp_path, as -file links them into a task's cwd."""
    for path in (HELPERS, *scripts):
        shutil.copy(path, tmp_path)
    return tmp_path


def sh(command, data=b"", cwd=None, env=None):
    done = subprocess.run(["bash", "-o", "pipefail", "-c", command], input=data, cwd=cwd,
                          capture_output=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr.decode()
    return done


def isolated_env(**extra):
    """No PYTHONPATH: a job can only import the stream.py copy beside it."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(extra)
    return env


# Bytes a reducer must survive: last group, empty values, no tab, empty key,
# non-UTF-8, NUL, CRLF and lone CR terminators, a missing final newline.
TRICKY = (b"\ta\n\tb\r\n"                  # empty key
          b"a\t\n"                          # empty value
          b"a\n"                            # no tab at all
          b"a\t1\t2\r\n"                    # second tab belongs to the value
          b"b\xff\xfe\t\x00\xc3\n"          # non-UTF-8 key, NUL in the value
          b"c\tx\rc\ty\r"                   # lone CRs end records
          b"d\tlast")                       # last group, no final newline


# ---------------------------------------------------------------- reading


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([b"a", b"b", b"\t", b"\n", b"\r", b"\r\n", b"\xff", b""]),
                max_size=40), st.integers(1, 7))
def test_blocks_and_lines_follow_hadoop_line_reader(pieces, chunk):
    data = b"".join(pieces)
    reader = hadoop.LineReader()
    expected = reader.feed(data) + reader.finish()
    got = list(stream.blocks(Chunked(data, chunk), size=chunk))
    assert b"".join(got) == expected
    assert all(block.endswith(b"\n") for block in got)
    assert list(stream.lines(stream=Chunked(data, chunk))) == list(hadoop.iter_records([data]))


def test_records_split_like_the_runner():
    expected = [hadoop.split_key_value(line) for line in hadoop.iter_records([TRICKY])]
    for role in ("map", "reduce", "combine"):
        assert list(stream.records(stream=io.BytesIO(TRICKY), role=role)) == expected
    text = list(stream.records(text=True, stream=io.BytesIO(TRICKY), role="reduce"))
    assert text == [(k.decode("utf-8", "surrogateescape"), v.decode("utf-8", "surrogateescape"))
                    for k, v in expected]


def test_groups_equal_a_hand_written_loop_on_tricky_input():
    got = [(k, list(vs)) for k, vs in stream.groups(stream=io.BytesIO(TRICKY))]
    assert got == hand_written_groups(TRICKY)
    assert got[0] == (b"", [b"a", b"b"]) and got[-1] == (b"d", [b"last"])
    assert got[1] == (b"a", [b"", b"", b"1\t2"])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([b"", b"k", b"k2", b"\xff"]),
                          st.sampled_from([b"", b"1", b"x\ty", None])), max_size=30),
       st.integers(1, 9))
def test_groups_and_counted_groups_on_sorted_input(pairs, chunk):
    lines = sorted(k if v is None else k + b"\t" + v for k, v in pairs)
    data = b"".join(line + b"\n" for line in lines)
    expected = hand_written_groups(data)
    got = [(k, list(vs)) for k, vs in stream.groups(stream=Chunked(data, chunk))]
    assert got == expected
    counted = [(k, list(vs)) for k, vs in stream.groups(counted=True, stream=Chunked(data, chunk))]
    assert [k for k, _ in counted] == [k for k, _ in expected]
    for (_, pairs_n), (_, values) in zip(counted, expected):
        total = Counter()
        for value, n in pairs_n:
            total[value] += n
        assert total == Counter(values)


def test_groups_skip_values_the_caller_does_not_read():
    data = b"a\t1\na\t2\na\t3\nb\t4\nc\t5\nc\t6\n"
    seen = []
    for key, values in stream.groups(stream=io.BytesIO(data)):
        if key == b"a":
            seen.append((key, next(values)))        # one of three
        elif key == b"c":
            seen.append((key, list(values)))
    assert seen == [(b"a", b"1"), (b"c", [b"5", b"6"])]


class Generated(io.RawIOBase):
    """``count`` copies of ``line``, made as they are read; ``delivered`` says how far."""

    def __init__(self, line, count):
        self.line, self.size, self.delivered = line, len(line) * count, 0
        self.pattern = line * ((1 << 20) // len(line) + 2)

    def readable(self):
        return True

    def readinto(self, buf):
        n = min(len(buf), 1 << 20, self.size - self.delivered)
        start = self.delivered % len(self.line)
        buf[:n] = self.pattern[start:start + n]
        self.delivered += n
        return n


@pytest.mark.parametrize("mib,traced", [(64, False), (16, True)])
def test_a_huge_group_streams_in_constant_memory(mib, traced):
    """Values arrive while the group is still being read (never more than a few blocks
    ahead), and what the helpers allocate stays a few MiB whatever the group's size
    (tracemalloc, on a smaller group: it slows allocation tenfold)."""
    line = b"key\t" + b"v" * 1019 + b"\n"        # 1 KiB
    count = mib * (1 << 20) // len(line)
    source = Generated(line, count)
    if traced:
        tracemalloc.start()
    try:
        n = 0
        for key, values in stream.groups(stream=io.BufferedReader(source)):
            assert key == b"key"
            for n, value in enumerate(values, 1):
                assert source.delivered <= n * len(line) + 3 * stream.BLOCK_SIZE
        peak = tracemalloc.get_traced_memory()[1] if traced else 0
    finally:
        tracemalloc.stop()
    assert n == count
    assert peak < 6 * (1 << 20), peak


def test_json_values():
    data = b'a\t{"n": 1}\na\t[2]\nb\t"s"\n'
    got = [(k, list(vs)) for k, vs in stream.groups(json_values=True, stream=io.BytesIO(data))]
    assert got == [(b"a", [{"n": 1}, [2]]), (b"b", ["s"])]
    counted = [(k, list(vs)) for k, vs in
               stream.groups(json_values=True, counted=True, stream=io.BytesIO(data + b"b\t\"s\"\n"))]
    assert counted[1] == (b"b", [("s", 2)])


@pytest.mark.parametrize("line,key,value", [
    (b"a\tb\tv\tw", b"a\tb", b"v\tw"),
    (b"a\tb\t", b"a\tb", b""),          # Hadoop appends the separator to an empty value
    (b"a\t", b"a", b""),                # key with fewer fields than asked
    (b"a\tb", b"a\tb", b""),            # a plain pipeline: no separator appended
    (b"", b"", b""),
])
def test_shuffle_split_with_two_key_fields(monkeypatch, line, key, value):
    monkeypatch.setenv("stream_num_map_output_key_fields", "2")
    assert list(stream.records(stream=io.BytesIO(line + b"\n"), role="reduce")) == [(key, value)]
    # a mapper reads its input lines: split at the first tab, whatever the shuffle uses
    assert list(stream.records(stream=io.BytesIO(line + b"\n"), role="map")) == [
        hadoop.split_key_value(line)]


# ---------------------------------------------------------------- writing, counters


def test_emit_is_bytes_safe(tmp_path):
    job_dir(tmp_path, "e.py", r"""
        stream.emit(b"k\xff", b"v\x00")
        stream.emit("k\udcff", "\u00e9")        # surrogateescape: the byte 0xff comes back
        stream.emit(b"only-key")
        stream.emit("n", 3)
        stream.emit_json(b"j", {"a": [1, "\u00e9"]})
        stream.write(b"raw line\n")
    """)
    for env in (isolated_env(), isolated_env(PYTHONUNBUFFERED="1")):
        out = subprocess.run([PY, "e.py"], cwd=tmp_path, env=env, capture_output=True, check=True)
        assert out.stdout == (b"k\xff\tv\x00\nk\xff\t\xc3\xa9\nonly-key\nn\t3\n"
                              b'j\t{"a":[1,"\xc3\xa9"]}\nraw line\n')


def reported(text):
    """Sum reporter:counter lines of a stderr text into {(group, name): total}."""
    totals = Counter()
    for group, name, amount in re.findall(r"^reporter:counter:([^,\n]*),([^,\n]*),(-?\d+)$",
                                          text, re.M):
        totals[group, name] += int(amount)
    return totals


def test_counters_are_batched_and_the_totals_exact(monkeypatch, capsys):
    clock = [100.0]
    monkeypatch.setattr(stream, "_monotonic", lambda: clock[0])
    monkeypatch.setattr(stream, "_next_flush", 0.0)
    monkeypatch.setattr(stream, "_counts", {})
    for i in range(10000):
        stream.counter("G", "calls")
        stream.counter("a,b", "c,d", 3)
        stream.counter("G", "down", -1)
        if i % 2500 == 0:
            clock[0] += stream.COUNTER_FLUSH_S        # time passes: the next call flushes
    mid = capsys.readouterr().err
    stream.flush()
    err = mid + capsys.readouterr().err
    assert reported(err) == {("G", "calls"): 10000, ("a;b", "c;d"): 30000, ("G", "down"): -10000}
    lines = err.splitlines()
    assert len(lines) <= 3 * 6, lines                 # batched: a handful of writes, not 30000
    assert reported(mid)[("G", "calls")] >= 7501      # and written while running, not only at exit
    with pytest.raises(TypeError):
        stream.counter("G", "x", 1.5)


def test_counters_reach_streamkit_exactly(tmp_path, run):
    job_dir(tmp_path, "c.py", """
        def mapper(line):
            stream.counter("Job, words", "seen", len(line.split()))
            stream.counter("Job, words", "lines")
            return line, b""
        stream.status("starting")
        stream.run(mapper=mapper)
    """)
    data = b"".join(b"w %d x\n" % i for i in range(5000))
    (tmp_path / "in.txt").write_bytes(data)
    res = run("-input", "in.txt", "-output", "out", "-file", "c.py", "-file", "stream.py",
              "-mapper", "python3 c.py -m", "-numReduceTasks", "0", "--stats", "s.json")
    assert res.returncode == 0, res.stderr
    counters = json.loads((tmp_path / "s.json").read_text())["counters"]
    assert counters["Job; words.seen"] == 15000 and counters["Job; words.lines"] == 5000


# ---------------------------------------------------------------- run(): single-file jobs

WORD_COUNT = """
    def mapper(line):
        for word in line.split():      # the whole line: words after a tab count too
            yield word, b"1"

    def reducer(word, counts):
        yield word, sum(int(c) for c in counts)

    stream.run(mapper=mapper, reducer=reducer, combiner=reducer)
"""
WORDS = (b"the quick\tbrown fox\r\nthe lazy dog\n\xff\xfe caf\xc3\xa9 the\n\n"
         b"a\tb\tthe\n" * 50 + b"fox jumps")


def expected_word_count(data):
    words = Counter(w for line in hadoop.iter_records([data]) for w in line.split())
    return b"".join(b"%s\t%d\n" % (w, n) for w, n in sorted(words.items()))


def test_single_file_job_in_the_unix_pipeline(tmp_path):
    job_dir(tmp_path, "wc.py", WORD_COUNT)
    env = isolated_env(LC_ALL="C")
    out = sh(f"{PY} wc.py -m | {SORT} | {PY} wc.py -r", WORDS, cwd=tmp_path, env=env).stdout
    assert out == expected_word_count(WORDS)
    combined = sh(f"{PY} wc.py -m | {SORT} | {PY} wc.py -c | {SORT} | {PY} wc.py -r",
                  WORDS, cwd=tmp_path, env=env).stdout
    assert combined == out


def test_readme_example_runs_as_shown(tmp_path):
    readme = (Path(ROOT) / "README.md").read_text()
    section = readme[readme.index("## Writing the scripts"):]
    code = section[section.index("```python\n") + 10:section.index("\n```\n")]
    (tmp_path / "wc.py").write_text(code + "\n")
    ship(tmp_path)
    out = sh(f"{PY} wc.py -m | {SORT} | {PY} wc.py -r", WORDS, cwd=tmp_path,
             env=isolated_env(LC_ALL="C")).stdout
    assert out == expected_word_count(WORDS)


def test_single_file_job_under_streamkit_run(tmp_path, run):
    job_dir(tmp_path, "wc.py", WORD_COUNT)
    (tmp_path / "in.txt").write_bytes(WORDS)
    res = run("-input", "in.txt", "-output", "out", "-file", "wc.py", "-file", "stream.py",
              "-mapper", "python3 wc.py -m", "-combiner", "python3 wc.py -c",
              "-reducer", "python3 wc.py -r", "-numReduceTasks", "2")
    assert res.returncode == 0, res.stderr
    parts = sorted((tmp_path / "out").glob("part-*"))
    assert len(parts) == 2
    got = b"".join(sorted(b"".join(p.read_bytes() for p in parts).splitlines(True)))
    assert got == expected_word_count(WORDS)


@pytest.mark.spark
def test_single_file_job_under_streamkit_spark(tmp_path, sc):
    """The same single-file job, `-file wc.py -file stream.py`, on Spark: the shipped script
    still imports the module shipped beside it, and the result is the same."""
    from conftest import spark

    job_dir(tmp_path, "wc.py", WORD_COUNT)
    (tmp_path / "in.txt").write_bytes(WORDS)
    report = spark(sc, tmp_path, "-input", "in.txt", "-output", "out", "-file", "wc.py",
                   "-file", "stream.py", "-mapper", "python3 wc.py -m",
                   "-combiner", "python3 wc.py -c", "-reducer", "python3 wc.py -r",
                   "-numReduceTasks", "2")
    parts = sorted((tmp_path / "out").glob("part-*"))
    assert len(parts) == 2
    got = b"".join(sorted(b"".join(p.read_bytes() for p in parts).splitlines(True)))
    assert got == expected_word_count(WORDS)
    assert report.counters[("Map-Reduce Framework", "Reduce output records")] == got.count(b"\n")


def test_role_settings_from_streamkit_run(tmp_path, run):
    """Two key fields and '.' as the map output separator: emit() writes what Hadoop
    splits back into the same key, and the reducer reads the keys the runner made."""
    job_dir(tmp_path, "k.py", """
        def mapper(line):
            a, b, c = line.split(b" ")
            return a + b"." + b, c          # key of two fields, joined by the map separator

        def reducer(key, values):
            return key, b"|".join(sorted(values))

        stream.run(mapper=mapper, reducer=reducer)
    """)
    (tmp_path / "in.txt").write_bytes(b"x y 1\nx y 2\nx z 3\nx\ty z 4\n")
    res = run("-D", "stream.map.output.field.separator=.", "-D",
              "stream.num.map.output.key.fields=2", "-input", "in.txt", "-output", "out",
              "-file", "k.py", "-file", "stream.py", "-mapper", "python3 k.py -m",
              "-reducer", "python3 k.py -r", "-numReduceTasks", "1")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out" / "part-00000").read_bytes() == b"x\ty.z\t4\nx.y\t1|2\nx.z\t3\n"


def test_mapper_results_of_every_shape_give_the_same_output(tmp_path):
    """One pair, a generator, a list, None, str: fast path and slow path agree, in order."""
    job_dir(tmp_path, "shapes.py", """
        def mapper(line):
            n = int(line)
            if n % 5 == 0:
                return None
            if n % 5 == 1:
                return b"%d" % n, b"v"
            if n % 5 == 2:
                return (pair for pair in [(b"%d" % n, b"v")])
            if n % 5 == 3:
                return [("%d" % n, "v")]
            return str(n), None

        stream.run(mapper=mapper)
    """)
    data = b"".join(b"%d\n" % i for i in range(3000))
    expected = b"".join(b"%d\tv\n" % i if i % 5 in (1, 2, 3) else b"%d\n" % i
                        for i in range(3000) if i % 5)
    out = sh(f"{PY} shapes.py -m", data, cwd=tmp_path, env=isolated_env()).stdout
    assert out == expected
    ones = b"".join(b"%d\n" % i for i in range(1, 3000, 5))   # all one-pair: the fast path only
    assert sh(f"{PY} shapes.py -m", ones, cwd=tmp_path, env=isolated_env()).stdout == b"".join(
        b"%d\tv\n" % i for i in range(1, 3000, 5))


def test_json_values_job(tmp_path):
    job_dir(tmp_path, "j.py", """
        def mapper(line):
            word, _, n = line.partition(b" ")
            yield word, {"n": int(n), "words": [word.decode()]}

        def combiner(word, values):
            values = list(values)
            yield word, {"n": sum(v["n"] for v in values), "words": values[0]["words"]}

        def reducer(word, values):
            yield word, sum(v["n"] for v in values)

        stream.run(mapper=mapper, reducer=reducer, combiner=combiner, json_values=True)
    """)
    data = b"b 1\na 2\nb 3\n"
    env = isolated_env()
    assert sh(f"{PY} j.py -m", data, cwd=tmp_path, env=env).stdout.splitlines()[0] == \
        b'b\t{"n":1,"words":["b"]}'
    out = sh(f"{PY} j.py -m | {SORT} | {PY} j.py -c | {PY} j.py -r", data, cwd=tmp_path, env=env)
    assert out.stdout == b"a\t2\nb\t4\n"


@pytest.mark.parametrize("argv,code,message", [
    ([], 2, "no role given; run it as x.py -m or -r"),
    (["-x"], 2, "unknown role '-x'"),
    (["-c"], 2, "this job has no combiner; run it as x.py -m or -r"),
])
def test_usage_errors_are_one_line(tmp_path, argv, code, message):
    job_dir(tmp_path, "x.py", """
        stream.run(mapper=lambda line: (line, b""), reducer=lambda k, vs: (k, b""))
    """)
    done = subprocess.run([PY, "x.py", *argv], cwd=tmp_path, env=isolated_env(),
                          capture_output=True, input=b"")
    assert done.returncode == code
    err = done.stderr.decode()
    assert err.count("\n") == 1 and err.startswith("x.py: ") and message in err, err
    help_ = subprocess.run([PY, "x.py", "--help"], cwd=tmp_path, env=isolated_env(),
                           capture_output=True, input=b"")
    assert help_.returncode == 0 and b"usage: x.py -m | -r" in help_.stdout


def test_closed_stdout_ends_quietly(tmp_path):
    job_dir(tmp_path, "wc.py", WORD_COUNT)
    data = b"word another\n" * 300000
    done = subprocess.run(["bash", "-o", "pipefail", "-c", f"{PY} wc.py -m | head -1"],
                          input=data, cwd=tmp_path, env=isolated_env(), capture_output=True)
    assert done.returncode == 0 and done.stdout == b"word\t1\n"
    assert done.stderr == b""


# ---------------------------------------------------------------- MalStone A with the helpers


def malstone_data(tmp_path):
    data = sh(f"{PY} {MALSTONE / 'malgen.py'} --records 3000 --seed 5").stdout
    lines = data.splitlines(True)
    lines[7:7] = [b"not a record\n", b"a|b|c\n"]          # malformed: dropped and counted
    return b"".join(lines)


def test_a_job_is_byte_identical_to_the_stdlib_scripts(tmp_path):
    data = malstone_data(tmp_path)
    ship(tmp_path, MALSTONE / "a_job.py")
    env = isolated_env(LC_ALL="C")
    plain = {s: f"{PY} {MALSTONE / s}" for s in ("a_mapper.py", "a_reducer.py")}
    mapped = sh(plain["a_mapper.py"], data, env=env)
    job_mapped = sh(f"{PY} a_job.py -m", data, cwd=tmp_path, env=env)
    assert job_mapped.stdout == mapped.stdout
    assert reported(job_mapped.stderr.decode()) == reported(mapped.stderr.decode()) == {
        ("MalStone", "malformed records"): 2}
    pipelines = [
        (f"{plain['a_mapper.py']} | {SORT} | {plain['a_reducer.py']}",
         f"{PY} a_job.py -m | {SORT} | {PY} a_job.py -r"),
        (f"{plain['a_mapper.py']} | {SORT} | {plain['a_reducer.py']} --combine | {plain['a_reducer.py']}",
         f"{PY} a_job.py -m | {SORT} | {PY} a_job.py -c | {PY} a_job.py -r"),
    ]
    for theirs, ours in pipelines:
        expected = sh(theirs, data, env=env).stdout
        assert expected.count(b"\n") > 100
        assert sh(ours, data, cwd=tmp_path, env=env).stdout == expected


def test_classic_a_job_is_byte_identical_to_the_classic_scripts(tmp_path):
    data = sh(f"{PY} {MALSTONE / 'malgen.py'} --records 3000 --seed 6").stdout
    ship(tmp_path, MALSTONE / "classic" / "a_job.py")
    classic = MALSTONE / "classic"
    expected = oracle(data, f"{PY} {classic / 'a_mapper.py'}", f"{PY} {classic / 'a_reducer.py'}",
                      str(tmp_path))
    assert oracle(data, f"{PY} a_job.py -m", f"{PY} a_job.py -r", str(tmp_path)) == expected


def test_a_job_under_streamkit_run(tmp_path, run):
    data = malstone_data(tmp_path)
    (tmp_path / "in.txt").write_bytes(data)
    res = run("-input", "in.txt", "-output", "out", "-file", str(MALSTONE / "a_job.py"),
              "-file", str(HELPERS), "-mapper", "python3 a_job.py -m",
              "-combiner", "python3 a_job.py -c", "-reducer", "python3 a_job.py -r",
              "-numReduceTasks", "3", "--stats", "s.json")
    assert res.returncode == 0, res.stderr
    got = b"".join(sorted(b"".join(p.read_bytes() for p in (tmp_path / "out").glob("part-*"))
                          .splitlines(True)))
    env = isolated_env(LC_ALL="C")
    expected = sh(f"{PY} {MALSTONE / 'a_mapper.py'} | {SORT} | {PY} {MALSTONE / 'a_reducer.py'}",
                  data, env=env).stdout
    assert got == expected
    counters = json.loads((tmp_path / "s.json").read_text())["counters"]
    assert counters["MalStone.malformed records"] == 2


# ---------------------------------------------------------------- standalone: stdlib only


CHECK = """
import sys
import stream
assert stream.__file__.startswith(sys.argv[1]), stream.__file__
outside = [m for m in sys.modules if m not in sys.stdlib_module_names and m.split('.')[0]
           not in sys.stdlib_module_names and m not in ('__main__', 'stream')]
assert not outside, outside
for key, values in stream.groups():
    stream.emit(key, len(list(values)))
"""


def test_module_imports_with_only_the_standard_library(tmp_path):
    shutil.copy(HELPERS, tmp_path / "stream.py")
    with zipfile.ZipFile(tmp_path / "helpers.zip", "w") as zf:
        zf.write(HELPERS, "stream.py")
    here, zipped = tmp_path / "run-here", tmp_path / "run-zip"
    here.mkdir()
    zipped.mkdir()
    cases = [  # (-S: no site-packages, so no streamkit; PYTHONPATH only the copy)
        ([PY, "-S", "-c", CHECK, str(tmp_path)], {"PYTHONPATH": str(tmp_path)}, here),
        ([PY, "-S", "-c", CHECK, str(tmp_path / "helpers.zip")],
         {"PYTHONPATH": str(tmp_path / "helpers.zip")}, zipped),
    ]
    for argv, env, cwd in cases:
        done = subprocess.run(argv, input=b"a\t1\na\t2\nb\t3", cwd=cwd, capture_output=True,
                              env={"PATH": os.environ["PATH"], **env})
        assert done.returncode == 0, done.stderr.decode()
        assert done.stdout == b"a\t2\nb\t1\n"
