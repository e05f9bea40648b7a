#!/usr/bin/env python3
"""MalStone B, benchmark form, combine: sum values per site and week into ``V,H``.

Input as for b_reducer.py; output ``site<TAB>week<TAB>V,H`` (V visits in that week,
H hits timed in it), keeping the input's key (the site) and site order, as Hadoop
requires of a combiner.  Counting works as in b_reducer.py.
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


def site_weeks(stream):
    """Yield (site, {week: [visits, hits]}) for each run of equal keys in the stream."""
    site, weeks = None, {}
    for block in blocks(stream):
        counts = Counter(block.split(b'\n'))
        del counts[b'']
        for line, n in counts.items():
            key, _, rest = line.partition(b'\t')
            week, _, value = rest.partition(b'\t')
            if key != site:
                if site is not None:
                    yield site, weeks
                site, weeks = key, {}
            sums = weeks.get(week)
            if sums is None:
                sums = weeks[week] = [0, 0]
            if value == b'1':
                sums[0] += n
                sums[1] += n
            elif value == b'0':
                sums[0] += n
            else:
                v, h = value.split(b',')
                sums[0] += n * int(v)
                sums[1] += n * int(h)
    if site is not None:
        yield site, weeks


def main():
    write = sys.stdout.buffer.write
    for site, weeks in site_weeks(sys.stdin.buffer):
        write(b''.join(b'%s\t%s\t%d,%d\n' % (site, week, v, h)
                       for week, (v, h) in sorted(weeks.items())))


if __name__ == '__main__':
    main()
