#!/usr/bin/env python3
"""MalStone A, benchmark form, combine: sum a site's values into ``site<TAB>V,H``.

Input as for a_reducer.py (mapper flags ``0``/``1`` or earlier ``V,H`` sums, so
Hadoop may combine repeatedly); output keeps the input's key and order, as Hadoop
requires of a combiner.  Counting works as in a_reducer.py.
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
    for site, visits, hits in site_totals(sys.stdin.buffer):
        write(b'%s\t%d,%d\n' % (site, visits, hits))


if __name__ == '__main__':
    main()
