#!/usr/bin/env python3
"""What feeding a mapper costs: the map input path alone, two A/B comparisons.

1. Feeds every split of one MalStone file (``bench_run.input_file``, generated once)
   through ``worker.Feeder`` into ``cat > /dev/null``, two ways, alternating:

   * ``blocks`` — ``read_split``'s blocks (Python reads the split, LineReader re-terminates
     it, ``os.write`` copies it into the pipe): the path before ``split_pieces``, and still
     the path of compressed, remote and ``--sample`` inputs;
   * ``sendfile`` — ``split_pieces``: ``preadv`` into one buffer to count the records,
     ``os.sendfile`` to move the bytes.

   Prints this process's CPU (user + sys, the feeding thread; ``cat`` is not counted) and
   wall per round (after one uncounted warm-up round), the medians and their ratio, and
   what the new path's reading alone costs (``preadv``, then ``preadv`` + counting ``\\n``).

2. The ``sendfile`` path into the classic MalStone mapper (``for line in sys.stdin``: it
   reads 8 KiB at a time), ``task.PipeWriter`` blocking in ``sendfile`` (woken by every
   read of the mapper) against paced (half a pipe per wake-up): the feeder's CPU, the
   mapper's CPU and the wall, alternating.

    bench/bench_feed.py [--records 5M] [--splits 2] [--rounds 3] [--pacing-records 1M]
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
from streamkit import task  # noqa: E402
from streamkit.worker import Feeder  # noqa: E402

CLASSIC_MAPPER = os.path.join(bench_run.JOBS, 'classic', 'a_mapper.py')


class Sink:
    """The part of StreamProcess a Feeder uses: a command reading a 1 MiB pipe."""

    def __init__(self, argv=('cat',)):
        self.proc = subprocess.Popen(list(argv), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     env=common.clean_env())
        self.stdin_fd = self.proc.stdin.fileno()
        task.widen_pipe(self.stdin_fd)

    def close_stdin(self):
        self.proc.stdin.close()


def feed(splits, pieces, argv=('cat',)):
    """Feed every split in turn; return (CPU s of this process, wall s, records, CPU s of
    the reading commands)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    records = 0
    for split in splits:
        sink = Sink(argv)
        feeder = Feeder(sink, pieces(split))
        feeder.start()
        feeder.join()
        assert sink.proc.wait() == 0 and feeder.error is None
        records += feeder.total_records
    wall = time.perf_counter() - t0
    end = resource.getrusage(resource.RUSAGE_SELF)
    kids_end = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (end.ru_utime + end.ru_stime - own.ru_utime - own.ru_stime, wall, records,
            kids_end.ru_utime + kids_end.ru_stime - kids.ru_utime - kids.ru_stime)


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
    ap.add_argument('--pacing-records', default='1M',
                    help='MalStone records for the pacing comparison (default 1M)')
    args = ap.parse_args()
    path = bench_run.input_file(common.parse_count(args.records), 1)
    splits = plan_splits(expand_inputs([path]), args.splits)
    ways = {'blocks': read_split, 'sendfile': split_pieces}
    cpu = {name: [] for name in ways}
    print(f'{path}: {os.path.getsize(path):,} bytes, {len(splits)} splits')
    feed(splits, read_split)  # warm-up, not counted: the file into the page cache
    for r in range(args.rounds):
        for name, pieces in ways.items():
            c, w, n, _ = feed(splits, pieces)
            cpu[name].append(c)
            print(f'round {r + 1} {name:8s} CPU {c:.3f} s  wall {w:.3f} s  {n:,} records', flush=True)
    old, new = statistics.median(cpu['blocks']), statistics.median(cpu['sendfile'])
    print(f'median CPU: blocks {old:.3f} s, sendfile {new:.3f} s, sendfile/blocks {new / old:.2f}x')
    read = statistics.median(parts(path, False) for _ in range(args.rounds))
    counted = statistics.median(parts(path, True) for _ in range(args.rounds))
    print(f'of which, median CPU: preadv {read:.3f} s, preadv + count {counted:.3f} s')
    pacing(args)


def pacing(args):
    """Comparison 2: blocking against paced writes into a mapper that reads 8 KiB at a time."""
    path = bench_run.input_file(common.parse_count(args.pacing_records), 1)
    splits = plan_splits(expand_inputs([path]), 1)
    argv = (bench_run.PYTHON3, CLASSIC_MAPPER)
    print(f'\n{path} into {CLASSIC_MAPPER} (reads 8 KiB at a time), one split')
    small, rows = task.SMALL_WAKE, {'blocking': [], 'paced': []}
    try:
        for r in range(args.rounds):
            for name in rows:
                task.SMALL_WAKE = small if name == 'paced' else 0  # 0: never paced
                c, w, n, mapper = feed(splits, split_pieces, argv)
                rows[name].append((c, mapper, w))
                print(f'round {r + 1} {name:8s} feeder CPU {c:.3f} s  mapper CPU {mapper:.3f} s  '
                      f'wall {w:.3f} s  {n:,} records', flush=True)
    finally:
        task.SMALL_WAKE = small
    med = {name: [statistics.median(x) for x in zip(*v)] for name, v in rows.items()}
    (bc, bm, bw), (pc, pm, pw) = med['blocking'], med['paced']
    print(f'median: blocking feeder {bc:.3f} s + mapper {bm:.3f} s, wall {bw:.3f} s; paced '
          f'feeder {pc:.3f} s + mapper {pm:.3f} s, wall {pw:.3f} s; paced/blocking CPU '
          f'{(pc + pm) / (bc + bm):.2f}x, wall {pw / bw:.2f}x')


if __name__ == '__main__':
    main()
