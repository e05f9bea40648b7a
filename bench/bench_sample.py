#!/usr/bin/env python3
"""What ``--sample`` costs on the map input path, against reading the same splits whole.

Reads every split of one file of N lines (MalStone-like, ~60 bytes each) in one process,
as a map task's input writer does, three ways, median of 3:

* ``read_split`` — the unsampled input path (the baseline, same run, same data);
* ``sample_split`` at several fractions — the block path (``-mapper CMD``);
* ``sample_split_keyed`` — the per-line path, for mappers that read offset keys,
  against ``read_split_keyed``.

Prints seconds per million lines and the ratio to its baseline; then, end to end, the
wall time of ``streamkit run -mapper cat -reducer NONE`` over the file with and without
``--sample`` (median of 3; start-up included).

    bench/bench_sample.py [--lines 1000000] [--splits 8] [--fractions 0.0001,0.01,0.5]
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from streamkit.inputs import expand_inputs, plan_splits, read_split, read_split_keyed  # noqa: E402
from streamkit.sampling import Tally, sample_split, sample_split_keyed  # noqa: E402


def make_file(path: str, lines: int) -> None:
    rng = random.Random(1)
    with open(path, "wb") as f:
        for start in range(0, lines, 100000):
            f.write(b"".join(b"%08d|%019d|2026-01-01 00:00:%02d|%d\n"
                             % (i, rng.randrange(10**6), i % 60, i % 2)
                             for i in range(start, min(lines, start + 100000))))


def timed(fn, splits) -> float:
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        n = 0
        for split in splits:
            for block in fn(split):
                n += len(block)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1000000)
    ap.add_argument("--splits", type=int, default=8)
    ap.add_argument("--fractions", default="0.0001,0.01,0.5")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "input.txt")
        make_file(path, args.lines)
        splits = plan_splits(expand_inputs([path]), args.splits, 1)
        per_m = 1e6 / args.lines
        print(f"{args.lines:,} lines, {os.path.getsize(path) / 2**20:.1f} MiB, {len(splits)} splits; "
              "seconds per million lines (median of 3)")
        print(f"{'path':<28}{'s/M lines':>10}{'vs baseline':>13}")
        base = timed(read_split, splits)
        print(f"{'read_split (baseline)':<28}{base * per_m:>10.3f}{1:>12.2f}x")
        for fraction in map(float, args.fractions.split(",")):
            t = timed(lambda s: sample_split(s, fraction, 1, Tally()), splits)
            print(f"{'sample_split ' + str(fraction):<28}{t * per_m:>10.3f}{t / base:>12.2f}x")
        keyed = timed(read_split_keyed, splits)
        print(f"{'read_split_keyed (baseline)':<28}{keyed * per_m:>10.3f}{1:>12.2f}x")
        for fraction in map(float, args.fractions.split(",")):
            t = timed(lambda s: sample_split_keyed(s, fraction, 1, Tally()), splits)
            print(f"{'sample_split_keyed ' + str(fraction):<28}{t * per_m:>10.3f}{t / keyed:>12.2f}x")
        print(f"\nstreamkit run -mapper cat -reducer NONE, {args.lines:,} lines (median of 3)")
        full = run_job(path, tmp, [])
        print(f"{'no --sample (baseline)':<28}{full:>9.2f} s{1:>12.2f}x")
        for fraction in args.fractions.split(","):
            t = run_job(path, tmp, ["--sample", fraction, "--seed", "1"])
            print(f"{'--sample ' + fraction:<28}{t:>9.2f} s{t / full:>12.2f}x")


def run_job(path: str, tmp: str, extra: list[str]) -> float:
    times = []
    for i in range(3):
        out = os.path.join(tmp, f"out-{len(os.listdir(tmp))}")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "streamkit", "run", "-input", path, "-output", out,
                        "-mapper", "cat", "-reducer", "NONE", *extra], check=True,
                       cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


if __name__ == "__main__":
    main()
