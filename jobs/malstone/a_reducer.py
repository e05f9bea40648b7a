#!/usr/bin/env python3
"""MalStone A, benchmark form, reduce: print ``site visits hits ratio`` per site.

With ``--combine`` it is the combiner: ``site<TAB>V,H`` partial sums instead, keeping
the input's key and order as Hadoop requires of a combiner (and accepting its own
output again, since Hadoop may combine repeatedly).

Input: ``site<TAB>value`` lines grouped by site (sorted), the values of a site in
any order.  A value is a mapper's flag (``0`` or ``1``: one visit) or partial sums
``V,H`` from ``a_reducer.py --combine`` (V visits, H of them hits).  Output, TAB-separated:
site, visits, hits, hits/visits as Python's repr (``0.5``, ``0.7142857142857143``).

The formal form's second step uses this reducer too: its first step emits ``V,H``.

Speed: each block's lines are counted with collections.Counter (C code), so Python
handles each *distinct* line once -- for mapper output at most two per site and
block.  Sorted input keeps a site's distinct lines together in the Counter's
first-seen order, so a site is done when the next one starts.
"""
import sys
from collections import Counter


def blocks(stream, size=1 << 20):
    """Yield the stream in blocks of whole lines, each block ending in b'\\n'."""
    rest = b''
    while True:
        data = stream.read(size)
        if not data:
            break
        data = rest + data
        cut = data.rfind(b'\n') + 1
        rest = data[cut:]
        if cut:
            yield data[:cut]
    if rest:
        yield rest + b'\n'


def site_totals(stream):
    """Yield (site, visits, hits) for each run of equal keys in the stream."""
    site, visits, hits = None, 0, 0
    for block in blocks(stream):
        counts = Counter(block.split(b'\n'))
        del counts[b'']
        for line, n in counts.items():
            key, _, value = line.partition(b'\t')
            if key != site:
                if site is not None:
                    yield site, visits, hits
                site, visits, hits = key, 0, 0
            if value == b'1':
                visits += n
                hits += n
            elif value == b'0':
                visits += n
            else:
                v, h = value.split(b',')
                visits += n * int(v)
                hits += n * int(h)
    if site is not None:
        yield site, visits, hits


def main():
    write = sys.stdout.buffer.write
    combine = '--combine' in sys.argv[1:]
    for site, visits, hits in site_totals(sys.stdin.buffer):
        if combine:
            write(b'%s\t%d,%d\n' % (site, visits, hits))
        else:
            write(b'%s\t%d\t%d\t%s\n' % (site, visits, hits, repr(hits / visits).encode()))


if __name__ == '__main__':
    main()
