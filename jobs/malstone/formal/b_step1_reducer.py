#!/usr/bin/env python3
"""MalStone B, formal form, step 1, reduce: per entity, visits and hits by week.

Input: ``entity<TAB>timestamp<TAB>site<TAB>flag`` (step1_mapper.py) grouped by
entity, in any order within an entity.  c(e) is the entity's earliest timestamp
with flag 1; a visit at time t is a hit iff c(e) >= t, and the hit is *timed* at
c(e): it counts from the ISO week of c(e) on (shared/reference/malstone.md §7).

Output: ``site<TAB>week<TAB>V,H``: V visits the entity made to the site in that
week, H of its hits at that site timed in that week.  These are `b_reducer.py --combine`'s
partial sums, so step 2 is b_reducer.py unchanged.

Only the date part of a timestamp is decoded, once per distinct date.
"""
import sys
from collections import Counter
from datetime import date
from itertools import chain, compress, groupby, repeat
from operator import add, eq, ge, getitem, itemgetter

DATE = slice(0, 10)                      # 'YYYY-MM-DD' of 'YYYY-MM-DD HH:MM:SS.ffffff'


class IsoWeeks(dict):
    """b'YYYY-MM-DD' -> b'<TAB>YYYY-Www<TAB>', computed on first use."""

    def __missing__(self, day):
        year, week, _ = date.fromisoformat(day.decode('ascii')).isocalendar()
        label = self[day] = b'\t%d-W%02d\t' % (year, week)
        return label


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


def entity_visits(stream):
    """Yield (stamps, sites, flags) tuples, one per entity, from sorted step-1 input."""
    def rows(block):
        return map(bytes.split, block[:-1].split(b'\n'), repeat(b'\t'))
    for _, group in groupby(chain.from_iterable(map(rows, blocks(stream))), itemgetter(0)):
        _, stamps, sites, flags = zip(*group)
        yield stamps, sites, flags


def main():
    write = sys.stdout.buffer.write
    label = IsoWeeks().__getitem__
    for stamps, sites, flags in entity_visits(sys.stdin.buffer):
        # keys are b'site<TAB>week<TAB>': one bytes object, cheaper than a tuple
        visits = Counter(map(add, sites, map(label, map(getitem, stamps, repeat(DATE)))))
        hits = {}
        first = min(compress(stamps, map(eq, flags, repeat(b'1'))), default=None)
        if first:
            hit_week = label(first[:10])
            hit_sites = Counter(compress(sites, map(ge, repeat(first), stamps)))
            hits = {site + hit_week: h for site, h in hit_sites.items()}
        write(b''.join(key + b'%d,%d\n' % (visits.get(key, 0), hits.get(key, 0))
                       for key in {**visits, **hits}))


if __name__ == '__main__':
    main()
