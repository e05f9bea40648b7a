"""A command's stdin is a 1 MiB pipe, yet a command that stops reading fails as on Hadoop.

Hadoop writes a script's stdin through a 128 KiB buffer into the kernel's default
64 KiB pipe: a script that quits early fails the task when it leaves more unread than
that pipe holds (and the input is over 128 KiB).  streamkit's pipe is wider (fewer
wake-ups for both sides), so it measures what the command left unread instead of
waiting for a write to break: both ways a command can leave input behind are checked,
with everything still written (the rest sits in the pipe) and with the writer stuck.
"""

from __future__ import annotations

import json
import re

import pytest

MIB = 1 << 20
LINE = b"%09d\t" + b"v" * 89 + b"\n"  # 100 bytes

# Reads the first N bytes of stdin exactly, optionally waits, prints how many it got.
READER = """import os, sys, time
left = int(sys.argv[1])
got = 0
while left:
    data = os.read(0, min(left, 65536))
    if not data:
        break
    got += len(data)
    left -= len(data)
time.sleep(float(sys.argv[2]))
print(got)
"""


def lines(n: int) -> bytes:
    return b"".join(LINE % i for i in range(n))


def map_only(run, name: str, mapper: str):
    return run("-D", "mapreduce.map.maxattempts=1", "-D", "mapred.min.split.size=100000000",
               "-input", name, "-output", "out", "-file", "reader.py", "-mapper", mapper,
               "-numReduceTasks", "0", "--stats", "stats.json")


def test_the_commands_stdin_is_a_1_mib_pipe(tmp_path, script, run):
    (tmp_path / "in.txt").write_bytes(lines(10))
    script("size.py", "import fcntl, sys\nsys.stdin.read()\nprint(fcntl.fcntl(0, 1032))\n")
    res = run("-input", "in.txt", "-output", "out", "-file", "size.py",
              "-mapper", "python3 size.py", "-numReduceTasks", "0")
    assert res.returncode == 0, res.stderr.decode()
    assert (tmp_path / "out" / "part-00000").read_bytes() == b"%d\t\n" % (1 << 20)


@pytest.mark.parametrize("records,read,wait,fails", [
    (20_000, 2_000_000, 0, False),       # all of it
    (20_000, 2_000_000 - 60_000, 0, False),  # all but what a 64 KiB pipe would hold
    (20_000, 2_000_000 - 70_000, 0.3, True),  # more than that: written, left in the pipe
    (12_000, 500_000, 0.3, True),        # everything written, 700 KB left in the pipe
    (50_000, 1_000_000, 0, True),        # the writer still at it when the mapper quits
    (1_000, 0, 0, False),                # nothing read, but under 128 KiB
])
def test_a_mapper_that_leaves_input_unread(tmp_path, script, run, records, read, wait, fails):
    (tmp_path / "in.txt").write_bytes(lines(records))
    script("reader.py", READER)
    res = map_only(run, "in.txt", f"python3 reader.py {read} {wait}")
    if not fails:
        assert res.returncode == 0, res.stderr.decode()
        assert (tmp_path / "out" / "part-00000").read_bytes() == b"%d\t\n" % read
        counters = json.loads((tmp_path / "stats.json").read_text())["counters"]
        assert counters["Map-Reduce Framework.Map input records"] == records
        return
    assert res.returncode == 1
    # the records of the whole pieces the mapper read: 1 MiB chunks cut at a line end
    whole = max(k * MIB // 100 for k in range(records) if k * MIB // 100 * 100 <= read)
    assert (b"the mapper stopped reading its input after %d of %d records (broken pipe)"
            % (whole, records)) in res.stderr
    assert not (tmp_path / "out").exists()


def test_skipping_allows_a_mapper_that_leaves_input_in_the_pipe(tmp_path, script, run):
    (tmp_path / "in.txt").write_bytes(lines(12_000))
    script("reader.py", READER)
    res = run("-D", "stream.minRecWrittenToEnableSkip_=0", "-input", "in.txt", "-output",
              "out", "-file", "reader.py", "-mapper", "python3 reader.py 500000 0.3",
              "-numReduceTasks", "0")
    assert res.returncode == 0, res.stderr.decode()


@pytest.mark.parametrize("unread,fails", [(30_000, False), (700_000, True)])
def test_a_reducer_that_leaves_input_unread(tmp_path, script, run, unread, fails):
    (tmp_path / "in.txt").write_bytes(lines(12_000))  # the reducer reads 1,200,000 bytes
    script("reader.py", READER)
    res = run("-D", "mapreduce.reduce.maxattempts=1", "-input", "in.txt", "-output", "out",
              "-file", "reader.py", "-mapper", "cat",
              "-reducer", f"python3 reader.py {1_200_000 - unread} 0.3")
    if fails:
        assert res.returncode == 1
        assert b"the reducer stopped reading its input after" in res.stderr
        assert b"of 12000 records (broken pipe)" in res.stderr
    else:
        assert res.returncode == 0, res.stderr.decode()
        assert (tmp_path / "out" / "part-00000").read_bytes() == b"%d\t\n" % (1_200_000 - unread)


def test_a_reducer_fed_by_run_that_quits_is_told_its_records(tmp_path, script, run):
    """Repetitive map output feeds the reducer run by run, in blocks whose records come
    with them (not recounted): the broken-pipe verdict still names all of them."""
    (tmp_path / "in.txt").write_bytes(b"".join(b"k%d\t" % (i % 3) + b"v" * 95 + b"\n"
                                               for i in range(30_000)))
    script("reader.py", READER)

    def reduce_reading(nbytes: int, *more: str):
        return run("-D", "mapreduce.reduce.maxattempts=1", "-input", "in.txt", "-output",
                   f"out{nbytes}", "-file", "reader.py", "-mapper", "cat",
                   "-reducer", f"python3 reader.py {nbytes} 0.3", *more)

    res = reduce_reading(3_000_000, "--stats", "stats.json")  # reads it all: by run
    assert res.returncode == 0, res.stderr.decode()
    assert json.loads((tmp_path / "stats.json").read_text())["partitions"][0]["by_run"]
    res = reduce_reading(1_200_000)
    assert res.returncode == 1
    after, total = re.search(rb"the reducer stopped reading its input after (\d+) of (\d+) "
                             rb"records \(broken pipe\)", res.stderr).groups()
    assert int(total) == 30_000 and int(after) <= 12_000
