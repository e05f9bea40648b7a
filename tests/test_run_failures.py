"""Failure paths of `streamkit run`: exit code, one-line message, nothing left behind."""

import os
import time

import pytest

CAT = "import sys, shutil\nshutil.copyfileobj(sys.stdin.buffer, sys.stdout.buffer)\n"


@pytest.fixture
def job(tmp_path, script, run):
    """A word-count-shaped job whose scripts the test chooses; returns run(...) -> result."""
    (tmp_path / "in.txt").write_bytes(b"".join(b"w%d\t1\n" % (i % 50) for i in range(3000)))
    (tmp_path / "tmp").mkdir()
    script("cat.py", CAT)

    def go(*args, mapper="cat.py", reducer="cat.py", extra=()):
        return run(*extra, "-input", "in.txt", "-output", "out", "-file", mapper, "-file", reducer,
                   "-mapper", f"python3 {mapper}", "-reducer", f"python3 {reducer}",
                   "--tmpdir", "tmp", *args)
    return go


def assert_nothing_left(tmp_path):
    assert not (tmp_path / "out").exists()
    left = os.listdir(tmp_path / "tmp")
    assert left == []


def assert_dead(pidfile):
    for pid in pidfile.read_text().split():
        for _ in range(50):
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"orphan process {pid}")


def test_mapper_exit_code_fails_the_job(tmp_path, script, job):
    script("bad.py", "import sys\nsys.stdin.read()\nsys.stderr.write('boom here\\n')\nsys.exit(3)\n")
    res = job("-numReduceTasks", "2", mapper="bad.py", extra=("-D", "mapreduce.map.maxattempts=2"))
    assert res.returncode == 1
    err = res.stderr.decode()
    assert err.count("\n") == 1 and err.startswith("streamkit: map task 1 of 1 (input ")
    assert "in.txt bytes 0-" in err and "failed after 2 attempt(s)" in err
    assert "subprocess failed with code 3" in err and "boom here" in err
    log = err.rsplit("log: ", 1)[1].strip()
    with open(log, "rb") as f:
        assert b"boom here" in f.read()
    assert_nothing_left(tmp_path)


def test_reducer_failure_names_the_reduce_task(tmp_path, script, job):
    script("bad.py", """
import os, sys
sys.stdin.read()
if os.environ["mapreduce_task_partition"] == "1":
    sys.exit(7)
""")
    res = job("-numReduceTasks", "3", reducer="bad.py", extra=("-D", "mapreduce.reduce.maxattempts=1"))
    assert res.returncode == 1
    assert b"reduce task 2 of 3 failed after 1 attempt(s): subprocess failed with code 7" in res.stderr
    assert_nothing_left(tmp_path)


def test_non_zero_exit_tolerated_when_configured(tmp_path, script, job):
    script("bad.py", "import sys\nsys.stdout.write(sys.stdin.read())\nsys.exit(3)\n")
    res = job(mapper="bad.py", extra=("-D", "stream.non.zero.exit.is.failure=false"))
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out" / "_SUCCESS").exists()


def test_retry_succeeds_after_a_failed_attempt(tmp_path, script, job):
    marker = tmp_path / "failed-once"
    script("flaky.py", f"""
import os, sys
if not os.path.exists({str(marker)!r}):
    open({str(marker)!r}, "w").close()
    sys.exit(1)
sys.stdout.write(sys.stdin.read())
""")
    res = job(mapper="flaky.py", extra=("-D", "mapreduce.map.maxattempts=2"))
    assert res.returncode == 0, res.stderr
    assert len((tmp_path / "out" / "part-00000").read_bytes().splitlines()) == 3000


def test_task_killed_by_signal_is_named_and_no_orphans(tmp_path, script, job):
    pids = tmp_path / "pids"
    script("die.py", f"""
import os, signal, subprocess, sys
child = subprocess.Popen(["sleep", "300"])
open({str(pids)!r}, "a").write(f"{{os.getpid()}} {{child.pid}} ")
os.kill(os.getpid(), signal.SIGKILL)
""")
    res = job(mapper="die.py", extra=("-D", "mapreduce.map.maxattempts=1"))
    assert res.returncode == 1
    assert b"killed by signal SIGKILL" in res.stderr
    assert_nothing_left(tmp_path)
    assert_dead(pids)


def test_missing_program(tmp_path, job, run):
    res = run("-D", "mapreduce.map.maxattempts=1", "-input", "in.txt", "-output", "out",
            "-mapper", "no-such-program-xyz", "--tmpdir", "tmp")
    assert res.returncode == 1
    assert b'Cannot run program "no-such-program-xyz"' in res.stderr
    assert_nothing_left(tmp_path)


def test_output_exists_exit_5_and_untouched(tmp_path, job):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep").write_text("old")
    res = job()
    assert res.returncode == 5
    assert b"output directory" in res.stderr and b"already exists" in res.stderr
    assert os.listdir(tmp_path / "out") == ["keep"]


def test_missing_input_exit_5(tmp_path, run):
    res = run("-input", "nope/*.txt", "-output", "out", "-mapper", "cat")
    assert res.returncode == 5
    assert b"nope/*.txt" in res.stderr and res.stderr.count(b"\n") == 1
    assert not (tmp_path / "out").exists()


def test_mapper_that_stops_reading_fails_unless_skipping(tmp_path, script, run):
    (tmp_path / "big.txt").write_bytes(b"x" * 99 + b"\n" * 1 + (b"y" * 99 + b"\n") * 20000)
    script("head.py", "import sys\nprint(sys.stdin.readline().strip())\n")
    res = run("-D", "mapreduce.map.maxattempts=1", "-input", "big.txt", "-output", "o1",
              "-file", "head.py", "-mapper", "python3 head.py", "-numReduceTasks", "0")
    assert res.returncode == 1
    assert b"stopped reading its input" in res.stderr
    res = run("-D", "stream.minRecWrittenToEnableSkip_=0", "-input", "big.txt", "-output", "o2",
              "-file", "head.py", "-mapper", "python3 head.py", "-numReduceTasks", "0")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "o2" / "part-00000").read_bytes() == b"x" * 99 + b"\t\n"


@pytest.mark.parametrize("args,needle", [
    (["-input", "a", "-output", "b", "-mapper", "cat", "-bogus", "1"], b"unknown option '-bogus'"),
    (["-input", "a", "-output", "b", "-D", "x=1"], b"-D comes after streaming options"),
    (["-archives", "x.tgz"], b"-archives is not supported"),
    (["-input", "a", "-output", "b", "-numReduceTasks", "many"], b"-numReduceTasks many"),
    (["-input", "a", "-output", "b", "-partitioner", "com.example.P"], b"-partitioner com.example.P"),
])
def test_usage_errors_exit_2_one_line(run, args, needle):
    res = run(*args)
    assert res.returncode == 2
    assert needle in res.stderr and res.stderr.count(b"\n") == 1


def test_small_input_unread_by_the_mapper_is_fine_like_hadoop(tmp_path, script, run):
    # Under 128 KiB Hadoop's only failing write is the final flush, which it just logs.
    (tmp_path / "small.txt").write_bytes(b"first\n" + b"x" * 99 + b"\n" * 100)
    script("head.py", "import sys\nprint(sys.stdin.readline().strip())\n")
    res = run("-input", "small.txt", "-output", "o", "-file", "head.py",
              "-mapper", "python3 head.py", "-numReduceTasks", "0")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "o" / "part-00000").read_bytes() == b"first\t\n"


def test_reducer_that_stops_reading_fails_on_big_input(tmp_path, script, run):
    (tmp_path / "in.txt").write_bytes(b"".join(b"k%06d\t%s\n" % (i, b"v" * 50) for i in range(20000)))
    script("cat.py", CAT)
    script("quit.py", "import sys\nprint(sys.stdin.readline().strip())\n")
    res = run("-D", "mapreduce.reduce.maxattempts=1", "-input", "in.txt", "-output", "o",
              "-file", "cat.py", "-file", "quit.py", "-mapper", "python3 cat.py",
              "-reducer", "python3 quit.py")
    assert res.returncode == 1
    assert b"reduce task 1 of 1" in res.stderr and b"the reducer stopped reading its input" in res.stderr
    assert not (tmp_path / "o").exists()
