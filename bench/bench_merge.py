#!/usr/bin/env python3
"""Why the merge uses list.sort over blocks, not heapq or a sortedcontainers frontier.

Merges K sorted runs of site<TAB>flag lines three ways, in one process, same data:

* ``block merge`` — streamkit's :func:`streamkit.extsort.merge_blocks` (Timsort over
  the lines of each block not above the smallest block end);
* ``heapq.merge`` — the stdlib k-way merge, one Python-level step per line;
* ``SortedList frontier`` — a ``sortedcontainers.SortedList`` of (line, run) holding
  one line per run, popping the smallest and inserting that run's next line.

Prints seconds per million lines and the ratio to the block merge (median of 3).

    bench/bench_merge.py [--lines 2000000] [--runs 4,16,64]
"""

import argparse
import heapq
import random
import statistics
import sys
import time
from itertools import chain

from sortedcontainers import SortedList

sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.dirname(__file__)))
from streamkit.extsort import merge_blocks  # noqa: E402


def make_runs(lines: int, runs: int, seed: int = 1) -> list[list[bytes]]:
    rng = random.Random(seed)
    sites = [b"%019d" % rng.randrange(10**9) for _ in range(4000)]
    per = lines // runs
    return [sorted(rng.choice(sites) + (b"\t1" if rng.random() < 0.1 else b"\t0") for _ in range(per))
            for _ in range(runs)]


def blocks(run: list[bytes], size: int = 12000):
    return iter([run[i:i + size] for i in range(0, len(run), size)])


def by_blocks(runs):
    return sum(len(b) for b in merge_blocks([blocks(r) for r in runs]))


def by_heapq(runs):
    return sum(1 for _ in heapq.merge(*(chain.from_iterable(blocks(r)) for r in runs)))


def by_sortedlist(runs):
    iters = [chain.from_iterable(blocks(r)) for r in runs]
    frontier = SortedList()
    for i, it in enumerate(iters):
        line = next(it, None)
        if line is not None:
            frontier.add((line, i))
    n = 0
    while frontier:
        line, i = frontier.pop(0)
        n += 1
        nxt = next(iters[i], None)
        if nxt is not None:
            frontier.add((nxt, i))
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--runs", default="4,16,64")
    args = parser.parse_args()
    print("| runs | method | s per 1M lines | vs block merge |")
    print("|---:|---|---:|---:|")
    for k in map(int, args.runs.split(",")):
        runs = make_runs(args.lines, k)
        total = sum(map(len, runs))
        times = {}
        for name, fn in (("block merge", by_blocks), ("heapq.merge", by_heapq),
                         ("SortedList frontier", by_sortedlist)):
            samples = []
            for _ in range(3):
                start = time.perf_counter()
                assert fn(runs) == total
                samples.append(time.perf_counter() - start)
            times[name] = statistics.median(samples) / total * 1e6
        for name, t in times.items():
            print(f"| {k} | {name} | {t:.3f} | {t / times['block merge']:.1f}× |")


if __name__ == "__main__":
    main()
