#!/usr/bin/env python3
"""MalStone B, reduce: print ``site week visits hits ratio`` per site and week.

With ``--combine`` it is the combiner: ``site<TAB>week<TAB>V,H`` per-week partial sums
(not cumulative), keeping the input's key (the site) and site order.

Input: ``site<TAB>week<TAB>value`` lines grouped by site (sorted), the values of a
site in any order -- not in week order.  A value is a mapper's flag (``0``/``1``:
one visit in that week, a hit in that week if 1) or partial sums ``V,H``: V visits
made in that week and H hits *timed* in that week (``b_reducer.py --combine``; the formal form's
first step, where a hit is timed at the entity's compromise, not at the visit).

Output rows are cumulative: for every week in which a site's counts change, the
visits made in that week or earlier, the hits timed in that week or earlier, and
repr(hits/visits).  Weeks are sorted per site (at most 53 counters are buffered).

Speed: lines are counted per block with collections.Counter, as in a_reducer.py.
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
    combine = '--combine' in sys.argv[1:]
    for site, weeks in site_weeks(sys.stdin.buffer):
        if combine:
            write(b''.join(b'%s\t%s\t%d,%d\n' % (site, week, v, h)
                           for week, (v, h) in sorted(weeks.items())))
            continue
        visits = hits = 0
        rows = []
        for week in sorted(weeks):
            v, h = weeks[week]
            visits += v
            hits += h
            rows.append(b'%s\t%s\t%d\t%d\t%s\n'
                        % (site, week, visits, hits, repr(hits / visits).encode()))
        write(b''.join(rows))


if __name__ == '__main__':
    main()
