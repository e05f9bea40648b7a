#!/usr/bin/env python3
"""What feeding a mapper costs streamkit: the map input path alone, old against new.

Feeds every split of one MalStone file (``bench_run.input_file``, generated once) through
``worker.Feeder`` into ``cat > /dev/null``, two ways, alternating, ``--rounds`` times:

* ``blocks`` — ``read_split``'s blocks (Python reads the split, LineReader re-terminates
  it, ``os.write`` copies it into the pipe): the path before ``split_pieces``, and still
  the path of compressed, remote and ``--sample`` inputs;
* ``sendfile`` — ``split_pieces``: ``preadv`` into one buffer to count the records,
  ``os.sendfile`` to move the bytes.

Prints this process's CPU (user + sys, the feeding thread; ``cat`` is not counted) and
wall per round (after one uncounted warm-up round), then the medians and their ratio, and
what the new path's reading alone costs (``preadv``, then ``preadv`` + counting ``\\n``).

    bench/bench_feed.py [--records 5M] [--splits 2] [--rounds 3]
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_run  # noqa: E402
import common  # noqa: E402
from streamkit.inputs import expand_inputs, plan_splits, read_split, split_pieces  # noqa: E402
from streamkit.worker import Feeder  # noqa: E402


class Sink:
    """The part of StreamProcess a Feeder uses: a ``cat`` reading the pipe."""

    def __init__(self):
        self.proc = subprocess.Popen(['cat'], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        self.stdin_fd = self.proc.stdin.fileno()

    def close_stdin(self):
        self.proc.stdin.close()


def feed(splits, pieces):
    """Feed every split in turn; return (CPU s of this process, wall s, records)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    records = 0
    for split in splits:
        sink = Sink()
        feeder = Feeder(sink, pieces(split))
        feeder.start()
        feeder.join()
        sink.proc.wait()
        assert feeder.error is None and feeder.records == feeder.total_records
        records += feeder.total_records
    wall = time.perf_counter() - t0
    end = resource.getrusage(resource.RUSAGE_SELF)
    return end.ru_utime + end.ru_stime - own.ru_utime - own.ru_stime, wall, records


def parts(path, count):
    """CPU of the sendfile path's reading alone: ``preadv`` into one 1 MiB buffer over the
    whole file, with or without ``bytearray.count``."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    fd, buf, pos, n = os.open(path, os.O_RDONLY), bytearray(1 << 20), 0, 0
    while k := os.preadv(fd, [buf], pos):
        pos += k
        n += buf.count(b'\n', 0, k) if count else 0
    os.close(fd)
    end = resource.getrusage(resource.RUSAGE_SELF)
    return end.ru_utime + end.ru_stime - own.ru_utime - own.ru_stime


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--records', default='5M', help='MalStone records (default 5M)')
    ap.add_argument('--splits', type=int, default=2, help='splits of the file (default 2)')
    ap.add_argument('--rounds', type=int, default=3)
    args = ap.parse_args()
    path = bench_run.input_file(common.parse_count(args.records), 1)
    splits = plan_splits(expand_inputs([path]), args.splits)
    ways = {'blocks': read_split, 'sendfile': split_pieces}
    cpu = {name: [] for name in ways}
    print(f'{path}: {os.path.getsize(path):,} bytes, {len(splits)} splits')
    feed(splits, read_split)  # warm-up, not counted: the file into the page cache
    for r in range(args.rounds):
        for name, pieces in ways.items():
            c, w, n = feed(splits, pieces)
            cpu[name].append(c)
            print(f'round {r + 1} {name:8s} CPU {c:.3f} s  wall {w:.3f} s  {n:,} records', flush=True)
    old, new = statistics.median(cpu['blocks']), statistics.median(cpu['sendfile'])
    print(f'median CPU: blocks {old:.3f} s, sendfile {new:.3f} s, sendfile/blocks {new / old:.2f}x')
    read = statistics.median(parts(path, False) for _ in range(args.rounds))
    counted = statistics.median(parts(path, True) for _ in range(args.rounds))
    print(f'of which, median CPU: preadv {read:.3f} s, preadv + count {counted:.3f} s')


if __name__ == '__main__':
    main()
