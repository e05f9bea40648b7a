"""Bounded memory: every streamkit process stays within its budget + 60 MiB, whatever the input.

Each test runs the real command with a small budget (4 MiB) on an input whose single hot
key alone is many times the budget, so that the map tasks spill several times, the merges
take several passes (``mapreduce.task.io.sort.factor=2``, ``--batch-size 2``) and a key's
values cannot be held at once.  Peaks are the kernel's high-water mark (VmHWM) of every
streamkit process of the run -- the driver, forked workers, sorting children -- sampled
from /proc while the command runs, and the workers' own figure from ``--stats``.  The
user's scripts (anything that is not ``python -m streamkit``) are not streamkit's memory.
"""

import json
import os
import subprocess
import threading
from collections import Counter

import pytest

from conftest import ROOT, STREAMKIT

MIB = 1 << 20
BUDGET = 4 * MIB
SLACK = 60 * MIB
HOT = 750_000            # values of the one hot key: 4.5 MB of input, ~44 MiB as lines

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/status"),
                                reason="peak RSS is read from /proc (Linux)")


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(name))
    return kids


def _streamkit_hwm(pid: int) -> int | None:
    """VmHWM in bytes of ``pid`` if it is a streamkit process (not a user's script)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
        if b"streamkit" not in argv[:3]:
            return None
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def run_watched(args: list[str], cwd, input_path=None) -> tuple[subprocess.CompletedProcess, dict]:
    """Run ``streamkit ARGS``; return the result and {pid: peak VmHWM} of its streamkit processes."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    stdin = open(input_path, "rb") if input_path else subprocess.DEVNULL
    proc = subprocess.Popen(STREAMKIT + args, cwd=cwd, env=env, stdin=stdin,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peaks: dict[int, int] = {}
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            kids, todo = _children(), [proc.pid]
            while todo:
                pid = todo.pop()
                todo += kids.get(pid, [])
                hwm = _streamkit_hwm(pid)
                if hwm is not None:
                    peaks[pid] = max(peaks.get(pid, 0), hwm)
            done.wait(0.02)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    try:
        out, err = proc.communicate(timeout=180)
    finally:
        done.set()
        watcher.join()
        if input_path:
            stdin.close()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), peaks


def assert_within_budget(peaks: dict, budget: int = BUDGET) -> None:
    assert peaks, "no streamkit process was seen"
    worst = max(peaks.values())
    assert worst <= budget + SLACK, (
        f"a streamkit process peaked at {worst / MIB:.0f} MiB > {(budget + SLACK) / MIB:.0f} MiB "
        f"(all: {sorted(p // MIB for p in peaks.values())})")


def hot_key_input(path, hot: int = HOT) -> Counter:
    """One key with ``hot`` values, spread between 2,000 other keys; return the counts."""
    counts = Counter()
    with open(path, "wb") as f:
        for i in range(30):
            others = [b"k%05d" % ((i * 7919 + j) % 2000) for j in range(2000)]
            f.write(b"hot\t1\n" * (hot // 30) + b"".join(k + b"\t1\n" for k in others))
            counts[b"hot"] += hot // 30
            counts.update(others)
    return counts


COUNT = """
import sys
last, n = None, 0
for line in sys.stdin.buffer:
    key, _, value = line.rstrip(b"\\n").partition(b"\\t")
    if key != last:
        if last is not None:
            sys.stdout.buffer.write(last + b"\\t%d\\n" % n)
        last, n = key, 0
    n += int(value)
if last is not None:
    sys.stdout.buffer.write(last + b"\\t%d\\n" % n)
"""


def parse_counts(data: bytes) -> Counter:
    counts = Counter()
    for line in data.splitlines():
        key, value = line.split(b"\t")
        assert key not in counts, f"key {key!r} reached two reducers or was split"
        counts[key] = int(value)
    return counts


def read_parts(out_dir) -> bytes:
    return b"".join((out_dir / name).read_bytes()
                    for name in sorted(os.listdir(out_dir)) if name.startswith("part-"))


@pytest.mark.parametrize("extra", [[], ["--shuffle-values"]], ids=["plain", "shuffle-values"])
def test_run_hot_key_with_many_spills_and_merge_passes(tmp_path, script, extra):
    """A key with 750k values (~44 MiB as lines) under --memory 4M: every process stays
    within 64 MiB; counts and the group counter are exact."""
    expected = hot_key_input(tmp_path / "in.txt")
    script("count.py", COUNT)
    result, peaks = run_watched(
        ["run", "-D", "mapreduce.task.io.sort.factor=2", "-input", "in.txt", "-output", "out",
         "-mapper", "cat", "-reducer", "python3 count.py", "-file", "count.py",
         "-numReduceTasks", "2", "--jobs", "2", "--memory", "4M", "--stats", "stats.json",
         *extra], tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert parse_counts(read_parts(tmp_path / "out")) == expected
    stats = json.loads((tmp_path / "stats.json").read_text())
    counters = stats["counters"]
    assert counters["Map-Reduce Framework.Reduce input groups"] == len(expected)
    assert counters["Map-Reduce Framework.Reduce input records"] == sum(expected.values())
    # Each map task's output is more than two budgets' worth of buffered lines
    # (6 bytes + LINE_OVERHEAD each): three spills or more per task.
    per_map = sum(expected.values()) / stats["num_maps"]
    assert per_map * (6 + 56) > 2 * BUDGET
    assert_within_budget(peaks)
    reported = stats["peak_rss"]
    assert len(reported["map"]) == stats["num_maps"] and len(reported["reduce"]) == 2
    assert_within_budget({i: rss for i, rss in enumerate(
        [reported["driver"], *reported["map"], *reported["reduce"]])})


def test_run_combiner_and_identity_stdout_hot_key(tmp_path, script):
    """The combiner's input and output and ``-output -`` stream too: the combiner gets a
    spill's 60k+ hot values, the driver copies the parts to stdout, all within budget."""
    expected = hot_key_input(tmp_path / "in.txt")
    script("count.py", COUNT)
    result, peaks = run_watched(
        ["run", "-D", "mapreduce.task.io.sort.factor=2", "-input", "in.txt", "-output", "-",
         "-mapper", "cat", "-combiner", "python3 count.py", "-reducer", "python3 count.py",
         "-file", "count.py", "-numReduceTasks", "3", "--memory", "4M"], tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert parse_counts(result.stdout) == expected
    assert_within_budget(peaks)


def test_identity_reducer_passes_a_hot_key_through_in_budget(tmp_path):
    """No -reducer: the merged values go straight to the part file, all 750k of them."""
    expected = hot_key_input(tmp_path / "in.txt")
    result, peaks = run_watched(
        ["run", "-D", "mapreduce.task.io.sort.factor=2", "-input", "in.txt", "-output", "out",
         "-mapper", "cat", "-numReduceTasks", "1", "--memory", "4M"], tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    with open(tmp_path / "out" / "part-00000", "rb") as f:  # line by line: keep pytest small
        assert Counter(line.split(b"\t")[0] for line in f) == expected
    assert_within_budget(peaks)


@pytest.mark.parametrize("flags", [[], ["-s"]], ids=["default", "stable"])
def test_sort_hot_key_in_budget(tmp_path, flags):
    """`streamkit sort -S 4M --batch-size 2`: spills in forked children, merges in several
    passes; every process within 64 MiB and the output is GNU sort's (key order)."""
    hot_key_input(tmp_path / "in.txt", hot=300_000 if flags else HOT)
    result, peaks = run_watched(["sort", "-S", "4M", "--batch-size", "2", *flags, "-T",
                                 str(tmp_path), "-o", "ours.txt", "in.txt"], tmp_path)
    assert result.returncode == 0, result.stderr.decode()

    def sh(command: str) -> bytes:  # compared by the shell's tools: keeps pytest small
        return subprocess.run(["bash", "-c", command], cwd=tmp_path, capture_output=True,
                              check=True, env=dict(os.environ, LC_ALL="C")).stdout

    sh("sort -t \"$(printf '\\t')\" -k1,1 -s in.txt > gnu.txt")
    if flags:  # -s: equal keys keep input order, as GNU sort -s
        assert sh("cmp ours.txt gnu.txt && echo same") == b"same\n"
    else:      # the same keys in the same order, the same lines
        assert sh("cmp <(cut -f1 ours.txt) <(cut -f1 gnu.txt) && echo same") == b"same\n"
        assert sh("cmp <(sort ours.txt) <(sort gnu.txt) && echo same") == b"same\n"
    assert (tmp_path / "ours.txt").stat().st_size == (tmp_path / "in.txt").stat().st_size
    assert_within_budget(peaks)
