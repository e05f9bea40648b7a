#!/usr/bin/env python3
"""MalStone A, formal form, step 1, reduce: per entity, which visits were hits.

Input: ``entity<TAB>timestamp<TAB>site<TAB>flag`` (step1_mapper.py) grouped by
entity, in any order within an entity.  c(e) is the entity's earliest timestamp
with flag 1; a visit at time t is a hit iff c(e) exists and c(e) >= t
(shared/reference/malstone.md §7).  Timestamps are fixed-width, so they compare as
bytes.

Output: ``site<TAB>V,H`` per site the entity visited (V visits, H hits): the
partial sums `a_reducer.py --combine` emits, so step 2 is a_reducer.py unchanged.

Speed: an entity's rows are split by C-level map/itemgetter and counted with
Counter/compress; no Python statement runs per record.
"""
import sys
from collections import Counter
from itertools import chain, compress, groupby, repeat
from operator import eq, ge, itemgetter


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
    for stamps, sites, flags in entity_visits(sys.stdin.buffer):
        first = min(compress(stamps, map(eq, flags, repeat(b'1'))), default=None)
        visits = Counter(sites)
        hits = Counter(compress(sites, map(ge, repeat(first), stamps))) if first else {}
        write(b''.join(b'%s\t%d,%d\n' % (site, v, hits.get(site, 0))
                       for site, v in visits.items()))


if __name__ == '__main__':
    main()
