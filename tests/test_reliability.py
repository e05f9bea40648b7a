"""Production hardening: signals, faults, hostile input, concurrency — and nothing lost.

Each test asserts the exit code, the message, the output dir, the temp dir and the
process table.
"""

import gzip
import json
import os
import random
import resource
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT, STREAMKIT

CAT = "import sys, shutil\nshutil.copyfileobj(sys.stdin.buffer, sys.stdout.buffer)\n"
SLOW = """
import os, sys, time
open(os.environ["PIDS"], "a").write(f"{os.getpid()} ")
sys.stdin.read()
time.sleep(300)
"""


def start(args, cwd, env=None, **kw):
    full = dict(os.environ, PYTHONPATH=ROOT, **(env or {}))
    return subprocess.Popen(STREAMKIT + ["run", *args], cwd=cwd, env=full,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def wait_for(predicate, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if predicate():
            return True
        time.sleep(0.05)
    raise AssertionError("condition not reached")


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, from /proc/PID/task/*/children."""
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            for child in map(int, f.read().split()):
                found += [child] + descendants(child)
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purposes
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture
def slow_job(tmp_path, script):
    (tmp_path / "in.txt").write_bytes(b"a\t1\nb\t2\n" * 100)
    (tmp_path / "tmp").mkdir()
    script("slow.py", SLOW)
    pids = tmp_path / "pids"
    pids.write_text("")
    args = ["-input", "in.txt", "-output", "out", "-file", "slow.py", "-mapper", "python3 slow.py",
            "-numReduceTasks", "2", "--tmpdir", "tmp"]
    return args, pids


@pytest.mark.parametrize("signum,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_stops_everything_and_cleans_up(tmp_path, slow_job, signum, code):
    args, pids = slow_job
    proc = start(args, str(tmp_path), env={"PIDS": str(pids)})
    wait_for(lambda: pids.read_text().strip())
    mapper_pids = [int(p) for p in pids.read_text().split()]
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == code
    assert err.count(b"\n") == 1 and b"interrupted by " + signal.Signals(signum).name.encode() in err
    assert not (tmp_path / "out").exists()
    assert os.listdir(tmp_path / "tmp") == []
    wait_for(lambda: not any(alive(p) for p in mapper_pids), 10)


def test_a_sigkilled_driver_takes_its_workers_and_their_scripts_with_it(tmp_path, slow_job):
    """PR_SET_PDEATHSIG, set in every forked worker and every script's preexec (with the
    prctl function looked up once, in the driver): no orphan keeps running."""
    args, pids = slow_job
    proc = start(args, str(tmp_path), env={"PIDS": str(pids)})
    wait_for(lambda: pids.read_text().strip())
    mapper_pids = [int(p) for p in pids.read_text().split()]
    proc.kill()
    proc.wait()  # not communicate(): an orphan would hold the pipes open
    proc.stdout.close()
    proc.stderr.close()
    wait_for(lambda: not any(alive(p) for p in mapper_pids), 10)


def test_sigkill_leaves_no_success_and_next_run_reports_then_cleans(tmp_path, slow_job, script):
    args, pids = slow_job
    proc = start(args, str(tmp_path), env={"PIDS": str(pids)})
    wait_for(lambda: pids.read_text().strip())
    proc.kill()
    proc.communicate()
    for pid in map(int, pids.read_text().split()):   # what a supervisor would reap
        os.kill(pid, signal.SIGKILL)
    assert os.listdir(tmp_path / "out") == ["_temporary"]
    script("cat.py", CAT)
    again = ["-input", "in.txt", "-output", "out", "-file", "cat.py", "-mapper", "python3 cat.py",
             "--tmpdir", "tmp"]
    res = subprocess.run(STREAMKIT + ["run", *again], cwd=tmp_path, capture_output=True,
                         env=dict(os.environ, PYTHONPATH=ROOT))
    assert res.returncode == 5
    assert b"interrupted run" in res.stderr and b"--clean-stale" in res.stderr
    res = subprocess.run(STREAMKIT + ["run", *again, "--clean-stale"], cwd=tmp_path,
                         capture_output=True, env=dict(os.environ, PYTHONPATH=ROOT))
    assert res.returncode == 0, res.stderr
    assert b"removed stale temporary directory" in res.stderr
    assert sorted(os.listdir(tmp_path / "out")) == ["_SUCCESS", "part-00000"]
    assert os.listdir(tmp_path / "tmp") == []


def test_hung_mapper_is_killed_after_task_timeout(tmp_path, script, run):
    (tmp_path / "in.txt").write_bytes(b"x\n")
    script("hang.py", "import time\ntime.sleep(300)\n")
    t0 = time.time()
    res = run("-D", "mapreduce.task.timeout=1500", "-D", "mapreduce.map.maxattempts=2",
              "-input", "in.txt", "-output", "out", "-file", "hang.py", "-mapper", "python3 hang.py")
    assert res.returncode == 1
    assert b"timed out" in res.stderr and b"mapreduce.task.timeout=1500" in res.stderr
    assert time.time() - t0 < 30
    assert not (tmp_path / "out").exists()


def test_huge_stderr_is_logged_not_held_in_memory(tmp_path, script):
    (tmp_path / "in.txt").write_bytes(b"x\n")
    script("noisy.py", """
import sys
line = b"e" * 999 + b"\\n"
for _ in range(100_000):
    sys.stderr.buffer.write(line)
sys.stdin.read()
print("done")
""")
    # Through a fresh interpreter: a child vforked from pytest starts with pytest's own
    # peak RSS as its ru_maxrss, which is not what this measures.
    tree_peak = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
                 "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)")
    proc = subprocess.run([sys.executable, "-c", tree_peak, *STREAMKIT, "run", "-input", "in.txt",
                           "-output", "out", "-file", "noisy.py", "-mapper", "python3 noisy.py"],
                          cwd=tmp_path, env=dict(os.environ, PYTHONPATH=ROOT),
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.returncode == 0
    assert (tmp_path / "out" / "part-00000").read_bytes() == b"done\t\n"
    assert int(proc.stdout.split()[-1]) < 150 * 1024  # KiB, whole tree: 100 MB of stderr never held


def test_disk_full_in_spills_is_one_line_and_cleaned(tmp_path, script):
    (tmp_path / "in.txt").write_bytes(b"".join(b"key%06d\tvalue\n" % i for i in range(400_000)))
    (tmp_path / "tmp").mkdir()
    script("cat.py", CAT)

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (3 << 20, 3 << 20))

    res = subprocess.run(STREAMKIT + ["run", "-D", "mapreduce.map.maxattempts=1", "-input", "in.txt",
                                      "-output", "out", "-file", "cat.py", "-mapper", "python3 cat.py",
                                      "--tmpdir", "tmp", "--memory", "64M"],
                         cwd=tmp_path, env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True,
                         preexec_fn=limit)
    assert res.returncode == 1
    assert res.stderr.count(b"\n") == 1
    assert b"File too large" in res.stderr and b"free space there" in res.stderr
    assert not (tmp_path / "out").exists()
    assert os.listdir(tmp_path / "tmp") == []


@pytest.mark.parametrize("make,needle", [
    (lambda d: None, b"does not exist"),
    (lambda d: (d / "dir").mkdir() or (d / "dir" / "sub").mkdir(), b"sub-directory"),
    (lambda d: (d / "t.gz").write_bytes(gzip.compress(os.urandom(50000).hex().encode())[:3000]),
     b"truncated or corrupt"),
])
def test_hostile_inputs_fail_before_commit(tmp_path, run, make, needle):
    make(tmp_path)
    target = {b"does not exist": "missing.txt", b"sub-directory": "dir",
              b"truncated or corrupt": "t.gz"}[needle]
    res = run("-D", "mapreduce.map.maxattempts=1", "-input", target, "-output", "out", "-mapper", "cat")
    assert res.returncode in (1, 5)
    assert needle in res.stderr and target.encode() in res.stderr
    assert res.stderr.count(b"\n") == 1
    assert not (tmp_path / "out").exists()


def test_bytes_pass_through_untouched(tmp_path, script, run):
    data = b"\x00nul\tv\x00\n\xff\xfe\tbad utf8 \xc3\x28\n" + b"L" * (5 << 20) + b"\n\xef\xbb\xbfnot-bom-mid\n"
    (tmp_path / "in.txt").write_bytes(b"\xef\xbb\xbf" + data)  # BOM at file start is dropped
    script("cat.py", CAT)
    res = run("-D", "stream.map.output=keyonlytext", "-input", "in.txt", "-output", "out",
            "-file", "cat.py", "-mapper", "python3 cat.py", "-numReduceTasks", "0")
    assert res.returncode == 0, res.stderr
    got = b"".join((tmp_path / "out" / n).read_bytes() for n in sorted(os.listdir(tmp_path / "out"))
                   if n.startswith("part-"))
    # Parts follow Hadoop's map numbering (largest split first), not input order.
    assert sorted(got.splitlines(True)) == sorted(data.splitlines(True))


def test_many_tiny_files_and_empty_files(tmp_path, script, run):
    d = tmp_path / "many"
    d.mkdir()
    for i in range(60):
        (d / f"f{i:03d}").write_bytes(b"" if i % 10 == 0 else b"w%d\t1\n" % i)
    (d / "_SUCCESS").write_bytes(b"ignored")
    script("cat.py", CAT)
    res = run("-input", "many", "-output", "out", "-file", "cat.py", "-mapper", "python3 cat.py",
              "-reducer", "python3 cat.py", "--stats", "s.json")
    assert res.returncode == 0, res.stderr
    stats = json.loads((tmp_path / "s.json").read_text())
    assert stats["num_maps"] == 60
    assert len((tmp_path / "out" / "part-00000").read_bytes().splitlines()) == 54


def test_two_runs_same_output_exactly_one_wins(tmp_path, script):
    (tmp_path / "in.txt").write_bytes(b"".join(b"k%d\t1\n" % i for i in range(20000)))
    script("cat.py", CAT)
    args = ["-input", "in.txt", "-output", "out", "-file", "cat.py", "-mapper", "python3 cat.py",
            "-reducer", "python3 cat.py"]
    procs = [start(args, str(tmp_path)) for _ in range(2)]
    results = [(p.wait(timeout=120), p.communicate()[1]) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 5], results
    assert b"already exists" in [err for code, err in results if code == 5][0]
    assert len((tmp_path / "out" / "part-00000").read_bytes().splitlines()) == 20000


def test_randomized_jobs_match_the_unix_pipeline(tmp_path, script, run):
    """Random R, spill-forcing budgets, random split sizes, shuffled values: same answer."""
    rng = random.Random(int(os.environ.get("STREAMKIT_STRESS_SEED", "20261123")))
    script("m.py", """
import sys
for line in sys.stdin.buffer:
    for w in line.split():
        sys.stdout.buffer.write(w[:2] + b"\\t" + w + b"\\n")
""")
    script("r.py", """
import sys
out, cur, seen = sys.stdout.buffer, None, set()
for line in sys.stdin.buffer:
    k, _, v = line.rstrip(b"\\n").partition(b"\\t")
    if k != cur:
        if cur is not None:
            out.write(cur + b"\\t%d\\t%d\\n" % (len(seen), hash(frozenset(seen)) & 0xffff))
        cur, seen = k, set()
    seen.add(v)
if cur is not None:
    out.write(cur + b"\\t%d\\t%d\\n" % (len(seen), hash(frozenset(seen)) & 0xffff))
""")
    alphabet = [b"a", b"b", b"\xc3\xa9", b"\xff", b"z", b"\x01"]
    for i in range(6):
        words = [b"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 4))) for _ in range(4000)]
        data = b"".join(b" ".join(words[j:j + 5]) + b"\n" for j in range(0, len(words), 5))
        (tmp_path / "in.txt").write_bytes(data)
        reducers = rng.choice([1, 2, 3, 5])
        res = run("-D", f"fs.local.block.size={rng.randint(500, 20000)}",  # many small splits
                  "-input", "in.txt", "-output", f"out{i}", "-file", "m.py", "-file", "r.py",
                  "-mapper", "python3 m.py", "-reducer", "python3 r.py", "-numReduceTasks", str(reducers),
                  "--memory", f"{rng.choice([1, 64, 200])}K", "--shuffle-values", "--seed", str(i),
                  env={"PYTHONHASHSEED": "0"})
        assert res.returncode == 0, res.stderr
        got = b"".join((tmp_path / f"out{i}" / f"part-{p:05d}").read_bytes() for p in range(reducers))
        expected = subprocess.run(
            ["bash", "-c", "python3 m.py | LC_ALL=C sort -t \"$(printf '\\t')\" -k1,1 -s | python3 r.py"],
            input=data, cwd=tmp_path, capture_output=True, env=dict(os.environ, PYTHONHASHSEED="0")).stdout
        assert sorted(got.splitlines()) == sorted(expected.splitlines()), f"iteration {i}"


def test_log_file_gets_one_json_line_per_run(tmp_path, script, run):
    (tmp_path / "in.txt").write_bytes(b"a\n")
    script("cat.py", CAT)
    ok = run("-input", "in.txt", "-output", "out", "-file", "cat.py", "-mapper", "python3 cat.py",
             "--log", "runs.log")
    bad = run("-input", "in.txt", "-output", "out", "-file", "cat.py", "-mapper", "python3 cat.py",
              "--log", "runs.log")
    assert (ok.returncode, bad.returncode) == (0, 5)
    assert ok.stderr == b""                          # cron: silent on success
    records = [json.loads(line) for line in (tmp_path / "runs.log").read_text().splitlines()]
    assert [r["status"] for r in records] == ["ok", 5]
    assert records[0]["counters"]["Map-Reduce Framework.Map input records"] == 1
    assert "already exists" in records[1]["error"]


def test_never_listens_on_a_port(tmp_path, script):
    """streamkit opens no sockets: check the driver's and workers' fds while a job runs."""
    (tmp_path / "in.txt").write_bytes(b"a\n")
    (tmp_path / "pids").write_text("")
    script("slow.py", SLOW)
    proc = start(["-input", "in.txt", "-output", "out", "-file", "slow.py", "-mapper", "python3 slow.py"],
                 str(tmp_path), env={"PIDS": str(tmp_path / "pids")})
    wait_for(lambda: (tmp_path / "pids").read_text().strip())
    mapper = int((tmp_path / "pids").read_text().split()[0])
    try:
        streamkit_pids = [proc.pid] + descendants(proc.pid)
        streamkit_pids.remove(mapper)                    # the user's script is not ours
        assert len(streamkit_pids) >= 2                  # the driver and its worker
        for pid in streamkit_pids:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                assert not target.startswith("socket:"), (pid, target)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)


def test_empty_input_directory_runs_with_no_maps_like_hadoop(tmp_path, script, run):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "_SUCCESS").write_bytes(b"")
    script("cat.py", CAT)
    res = run("-input", "empty", "-output", "out", "-file", "cat.py", "-mapper", "python3 cat.py",
              "-reducer", "python3 cat.py", "-numReduceTasks", "2", "--stats", "s.json")
    assert res.returncode == 0, res.stderr
    assert sorted(os.listdir(tmp_path / "out")) == ["_SUCCESS", "part-00000", "part-00001"]
    assert all((tmp_path / "out" / p).stat().st_size == 0 for p in ("part-00000", "part-00001"))
    assert json.loads((tmp_path / "s.json").read_text())["num_maps"] == 0


@pytest.mark.parametrize("signum,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_sort_signal_removes_its_runs(tmp_path, signum, code):
    tmp = tmp_path / "t"
    tmp.mkdir()
    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)
    proc = subprocess.Popen(STREAMKIT + ["sort", "-S", "64K", "-T", str(tmp), str(fifo)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=dict(os.environ, PYTHONPATH=ROOT))
    with open(fifo, "wb") as w:                          # feed enough to spill, keep it open
        w.write(b"".join(b"k%07d\tv\n" % i for i in range(300_000)))
        wait_for(lambda: any(os.listdir(tmp / d) for d in os.listdir(tmp)))
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == code
    assert err.count(b"\n") == 1 and b"interrupted by" in err
    assert os.listdir(tmp) == []


def test_hundred_megabyte_line_without_newline(tmp_path, run):
    (tmp_path / "big.txt").write_bytes(b"k\t" + b"v" * (100 << 20))
    res = run("-D", "mapreduce.input.fileinputformat.split.minsize=1000000000", "-input", "big.txt",
            "-output", "out", "-mapper", "cat", "-numReduceTasks", "0")
    assert res.returncode == 0, res.stderr
    out = tmp_path / "out" / "part-00000"
    assert out.stat().st_size == (100 << 20) + 3          # the record, plus its "\n"
    with open(out, "rb") as f:
        assert f.read(4) == b"k\tvv"


def test_bz2_truncated_fails_naming_the_file(tmp_path, run):
    import bz2
    (tmp_path / "t.bz2").write_bytes(bz2.compress(os.urandom(200_000).hex().encode())[:5000])
    res = run("-D", "mapreduce.map.maxattempts=1", "-input", "t.bz2", "-output", "out", "-mapper", "cat")
    assert res.returncode == 1
    assert b"t.bz2" in res.stderr and b"truncated or corrupt" in res.stderr
    assert not (tmp_path / "out").exists()


def test_thousands_of_tiny_files(tmp_path, run):
    d = tmp_path / "many"
    d.mkdir()
    for i in range(1000):
        (d / f"f{i:04d}").write_bytes(b"w%d\t1\n" % (i % 7))
    res = run("-input", "many", "-output", "out", "-mapper", "cat", "-reducer", "cat",
              "-numReduceTasks", "2", "--stats", "s.json")
    assert res.returncode == 0, res.stderr
    assert json.loads((tmp_path / "s.json").read_text())["num_maps"] == 1000
    lines = b"".join((tmp_path / "out" / p).read_bytes() for p in ("part-00000", "part-00001"))
    assert len(lines.splitlines()) == 1000


def test_two_runs_sharing_a_temp_dir_leave_each_other_alone(tmp_path, script):
    (tmp_path / "in.txt").write_bytes(b"".join(b"k%d\t1\n" % i for i in range(50000)))
    (tmp_path / "tmp").mkdir()
    script("cat.py", CAT)
    procs = [start(["-input", "in.txt", "-output", f"out{n}", "-file", "cat.py", "-mapper", "python3 cat.py",
                    "-reducer", "python3 cat.py", "--tmpdir", "tmp", "--memory", "256K"], str(tmp_path))
             for n in range(2)]
    results = [(p.wait(timeout=120), p.communicate()[1]) for p in procs]
    assert [code for code, _ in results] == [0, 0], results
    for n in range(2):
        assert len((tmp_path / f"out{n}" / "part-00000").read_bytes().splitlines()) == 50000
    assert os.listdir(tmp_path / "tmp") == []


def test_hundred_megabyte_record_through_the_shuffle(tmp_path, script, run):
    (tmp_path / "big.txt").write_bytes(b"a\t1\nk\t" + b"v" * (100 << 20) + b"\nb\t2\n")
    res = run("-D", "mapreduce.input.fileinputformat.split.minsize=1000000000", "-input", "big.txt",
              "-output", "out", "-mapper", "cat", "-reducer", "cat")
    assert res.returncode == 0, res.stderr
    out = (tmp_path / "out" / "part-00000").read_bytes()
    assert out.startswith(b"a\t1\nb\t2\nk\tvvv") and len(out) == (100 << 20) + 11
