#!/usr/bin/env python3
"""Deterministic MalStone data generator: MalGen v0.9's model with a seeded RNG.

Writes exactly N records ``event_id|timestamp|site_id|compromise_flag|entity_id``
with MalGen's fixed widths 31|26|19|1|19 (100 bytes, 101 with the newline), in site
order, like MalGen's seed run with ``-t``.  The model follows
shared/reference/malstone.md §4 ("a faithful, seeded generator"):

1. Entity visit budgets ~ N(V, 0.1 V), entities added until they cover N visits.
2. One ticket per budgeted visit, shuffled: drawing the tickets in order samples
   entities in proportion to their remaining budget, without replacement (MalGen
   approximates this with a periodically rebuilt weight table).
3. Site sizes floor(M * U**(-1/4.5)) (MalGen's power law, minimum M) until they
   cover N; the last site is truncated so the count is exact (it may have 1 visit).
4. The first K sites are "marked": each becomes a compromise source at a date drawn
   by MalGen's rule c = end - u*(end - c_prev), u ~ U(0.9999, 1).
5. Each visit gets a uniform timestamp in [2008-04-29, 2009-04-29) and a flag:
   1 if the entity was tagged before it (tag = first compromise + 1 day); else, at a
   marked site, with probability 0.7 the visit compromises the entity (flag 1) if it
   falls after the site's compromise date and after the entity was last seen clean;
   with probability 0.3 the entity is seen clean at that time (flag 0); else 0.

Deliberate deviations from MalGen, so that small files are interesting and every
run is reproducible: M = min(9000, N/200), V = min(9855, N/400) and K = 1 % of the
expected number of sites (MalGen: 9000, 9855, 1000); a fixed time window instead
of the year before the wall clock; a seeded ``random.Random``; exactly N records;
no background sites; site ids 1..S (never negative); the event id's host part is a
seeded random signed 64-bit number.

Determinism is the contract: the same arguments give the same bytes on any machine
and any CPython 3.8+.  Only ``random()`` of a seeded ``random.Random`` is used, the
one method whose sequence Python promises to keep across versions (``shuffle`` and
``gauss`` are not covered, so both are written out here), and its output goes
through IEEE arithmetic only; the exceptions are log/cos/pow for entity budgets and
site sizes, where a last-bit libm difference would have to straddle an integer to
change a byte.  The stream is consumed in this order: host number (2 draws);
entity budgets (2 each); ticket shuffle; site sizes; compromise dates; then, for
each batch of up to 4096 visits of a site, the days, clock times, milliseconds
and microseconds of its visits (one draw each, in that order) and, at a marked
site, one draw per visit not already tagged.  ``--parts`` only splits the output.

Speed: allocating a string per record is what makes Python generators slow, so
none is built.  A timestamp is four references into precomputed tables of days,
clock times and milliseconds; an ordinary site's flags compare days with C-level
``map`` (only visits on their entity's tag day compare the time of day); and a
batch of records is one ``''.join`` of those pieces.
"""

import argparse
import contextlib
import datetime
import math
import os
import random
import sys
from itertools import compress, repeat
from operator import eq, getitem, gt

RECORD_BYTES = 101                      # 100 bytes of fields + '\n'
WINDOW_START = datetime.datetime(2008, 4, 29)
WINDOW_DAYS = 365
WINDOW_SECONDS = WINDOW_DAYS * 86400
SITE_TAIL = 4.5                         # MalGen power -3.5: sizes ~ M * U**(-1/4.5)
SITE_MEAN = SITE_TAIL / (SITE_TAIL - 1)  # Pareto mean / minimum = 9/7
P_COMPROMISE = 0.7                      # MalGen --pComp
MARKED_SHARE = 0.01                     # K = 1 % of the expected number of sites
BATCH = 4096                            # visits drawn and formatted at a time

# Timestamp = DAYS[d] + CLOCK[s] + MILLI[ms] + MILLI[us]: no datetime per record.
# DAYS has one day past the window because a tag (compromise + 1 day) can fall there.
DAYS = [(WINDOW_START + datetime.timedelta(d)).strftime('%Y-%m-%d ')
        for d in range(WINDOW_DAYS + 1)]
NEXT_DAY = dict(zip(DAYS, DAYS[1:]))
CLOCK = ['%02d:%02d:%02d.' % (s // 3600, s // 60 % 60, s % 60) for s in range(86400)]
MILLI = ['%03d' % k for k in range(1000)]
NEVER = '~'                             # sorts after every timestamp
EARLIEST = ''                           # sorts before every timestamp


def parameters(records, sites=None, entities=None):
    """Return (M, V, K): minimum site size, mean visits per entity, marked sites.

    ``sites``/``entities`` ask for about that many sites/entities instead of the
    scaled defaults.
    """
    if sites:
        min_size = records / (sites * SITE_MEAN)
    else:
        min_size = min(9000, records / 200)
    mean_visits = records / entities if entities else min(9855, records / 400)
    min_size, mean_visits = max(min_size, 1.0), max(mean_visits, 1.0)
    marked = max(1, round(MARKED_SHARE * records / (min_size * SITE_MEAN)))
    return min_size, mean_visits, marked


def normal(draw, mean, sd):
    """A N(mean, sd) deviate by Box-Muller from ``random()`` alone (see module doc)."""
    radius = math.sqrt(-2.0 * math.log(1.0 - draw()))
    return mean + sd * radius * math.cos(2.0 * math.pi * draw())


def shuffled_tickets(draw, records, mean_visits):
    """Entity numbers 1..E, one per visit, in the order the visits are dealt out.

    Returns (tickets, E).  The shuffle is Fisher-Yates on ``random()``:
    ``random.shuffle`` is not covered by the stability guarantee, and inlined it
    is also faster.
    """
    tickets = []
    entity = 0
    while len(tickets) < records:
        entity += 1
        budget = max(1, int(normal(draw, mean_visits, 0.1 * mean_visits)))
        tickets += [entity] * budget
    for i in range(len(tickets) - 1, 0, -1):
        j = int(draw() * (i + 1))
        tickets[i], tickets[j] = tickets[j], tickets[i]
    return tickets, entity


def site_sizes(draw, records, min_size):
    """Pareto site sizes adding up to exactly ``records``."""
    sizes, total = [], 0
    while total < records:
        size = max(1, int(min_size * (1.0 - draw()) ** (-1 / SITE_TAIL)))
        sizes.append(size)
        total += size
    if sizes:
        sizes[-1] -= total - records
    return sizes


def compromise_dates(draw, count):
    """Timestamps at which the marked sites start compromising visitors (MalGen's rule)."""
    dates, last = [], 0.0
    for _ in range(count):
        shrink = 0.9999 + 0.0001 * draw()
        last = WINDOW_SECONDS - shrink * (WINDOW_SECONDS - last)
        second, micro = divmod(int(last * 1e6), 1000000)
        day, second = divmod(second, 86400)
        dates.append('%s%s%06d' % (DAYS[day], CLOCK[second], micro))
    return dates


def event_ids(first, count, low):
    """Event ids of records first..first+count-1 as two piece lists.

    The top 8 digits (one string per thousand records) and ``low``'s entries, the
    bottom 3 digits + host part + '|'; nothing is formatted per record.
    """
    highs, lows = [], []
    i, end = first, first + count
    while i < end:
        high, start = divmod(i, 1000)
        stop = min(1000, start + end - i)
        highs += ['%08d' % high] * (stop - start)
        lows += low[start:stop]
        i += stop - start
    return highs, lows


def visit_times(draw, count):
    """Uniform timestamps in the window as four piece lists: day, clock, ms, us.

    The lists hold references to the precomputed tables, so no string is built per
    visit (allocation is what makes per-record Python slow).
    """
    days, clock, milli = DAYS, CLOCK, MILLI
    return ([days[int(draw() * WINDOW_DAYS)] for _ in repeat(None, count)],
            [clock[int(draw() * 86400)] for _ in repeat(None, count)],
            [milli[int(draw() * 1000)] for _ in repeat(None, count)],
            [milli[int(draw() * 1000)] for _ in repeat(None, count)])


def marked_flags(draw, times, visitors, compromised_since, tag, clean):
    """Flags of visits to a marked site; updates ``tag`` and ``clean`` as MalGen does."""
    flags = []
    for day, clock, ms, us, entity in zip(*times, visitors):
        stamp = day + clock + ms + us
        if stamp > tag[entity]:
            flag = True                  # already known to be compromised
        elif draw() < P_COMPROMISE:
            flag = stamp > compromised_since and stamp > clean[entity]
            if flag:                     # tag = first compromise + 1 day
                tag[entity] = min(tag[entity], NEXT_DAY[day] + clock + ms + us)
        else:
            flag = False
            clean[entity] = max(clean[entity], stamp)
        flags.append(flag)
    return flags


def tagged_flags(times, visitors, tag_day, tag_time):
    """Flags of visits to an ordinary site: visit time > the entity's tag.

    Compares days with C-level ``map`` first; only visits on their entity's tag
    day (about 1 in 365) compare the time of day in Python.
    """
    days, clocks, millis, micros = times
    their_days = list(map(tag_day.__getitem__, visitors))
    flags = list(map(gt, days, their_days))
    for i in compress(range(len(days)), map(eq, days, their_days)):
        flags[i] = clocks[i] + millis[i] + micros[i] > tag_time[visitors[i]]
    return flags


def generate(records, seed, sites=None, entities=None):
    """Yield the data set as ``str`` chunks of whole 101-character records."""
    min_size, mean_visits, marked = parameters(records, sites, entities)
    draw = random.Random(seed).random
    host = (int(draw() * 2**32) << 32 | int(draw() * 2**32)) - 2**63
    host = str(host).zfill(20)
    tickets, n_entities = shuffled_tickets(draw, records, mean_visits)
    sizes = site_sizes(draw, records, min_size)
    compromised_since = compromise_dates(draw, min(marked, len(sizes)))

    low = ['%03d%s|' % (k, host) for k in range(1000)]
    entity_tail = [['%s|%019d\n' % (flag, e) for e in range(n_entities + 1)]
                   for flag in '01']
    tag = [NEVER] * (n_entities + 1)     # full timestamps while marked sites run
    clean = [EARLIEST] * (n_entities + 1)
    tag_day = tag_time = None            # tag split in two once tags are final

    done = 0
    for site, size in enumerate(sizes, 1):
        site_field = '|%019d|' % site
        for start in range(0, size, BATCH):
            count = min(BATCH, size - start)
            visitors = tickets[done:done + count]
            times = visit_times(draw, count)
            if site <= len(compromised_since):
                flags = marked_flags(draw, times, visitors, compromised_since[site - 1],
                                     tag, clean)
            else:
                if tag_day is None:      # marked sites come first: tags are final now
                    tag_day = [t[:11] for t in tag]
                    tag_time = [t[11:] for t in tag]
                flags = tagged_flags(times, visitors, tag_day, tag_time)
            pieces = [site_field] * (8 * count)
            pieces[0::8], pieces[1::8] = event_ids(done, count, low)
            pieces[2::8], pieces[3::8], pieces[4::8], pieces[5::8] = times
            pieces[7::8] = map(getitem, map(entity_tail.__getitem__, flags), visitors)
            yield ''.join(pieces)
            done += count


def write(chunks, records, out, parts):
    """Write the chunks to file ``out`` (None: stdout), or as ``parts`` files in directory ``out``.

    Part j holds records j*N//parts .. (j+1)*N//parts - 1 (every record is 101
    bytes), so the parts concatenated are byte-identical to the single file.
    """
    if parts is None:
        with open(out, 'wb') if out else contextlib.nullcontext(sys.stdout.buffer) as f:
            for chunk in chunks:
                f.write(chunk.encode('ascii'))
        return
    os.makedirs(out, exist_ok=True)
    if os.listdir(out):
        raise SystemExit(f'malgen: output directory {out!r} is not empty')
    paths = [os.path.join(out, 'part-%05d' % j) for j in range(parts)]
    ends = [(j + 1) * records // parts for j in range(parts)]
    part, written = 0, 0
    f = open(paths[0], 'wb')
    for chunk in chunks:
        data = memoryview(chunk.encode('ascii'))
        while data:
            if written == ends[part]:
                f.close()
                part += 1
                f = open(paths[part], 'wb')
            take = data[:(ends[part] - written) * RECORD_BYTES]
            f.write(take)
            written += len(take) // RECORD_BYTES
            data = data[len(take):]
    f.close()
    for path in paths[part + 1:]:         # empty parts when N < parts
        open(path, 'wb').close()


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Generate MalStone records (MalGen v0.9 model, seeded): '
                    'event_id|timestamp|site_id|compromise_flag|entity_id, '
                    '100 bytes + newline each, in site order.',
        epilog='The same arguments always give the same bytes.  With --parts K, OUT is '
               'a directory (created; must be empty) that gets K files part-00000 .. '
               'part-<K-1> (Hadoop naming, usable as one -input), each a contiguous '
               'slice of the records: `cat OUT/part-*` equals the output without --parts.')
    parser.add_argument('--records', '-n', type=int, required=True, metavar='N',
                        help='number of records to write (exact)')
    parser.add_argument('--seed', '-s', type=int, required=True, metavar='S',
                        help='random seed')
    parser.add_argument('--sites', type=int, metavar='S',
                        help='aim for about S sites (default: minimum site size '
                             'min(9000, N/200), about N/11571 sites for large N)')
    parser.add_argument('--entities', type=int, metavar='E',
                        help='aim for about E entities (default: min(9855, N/400) '
                             'visits per entity)')
    parser.add_argument('-o', '--output', metavar='OUT',
                        help='output file (default stdout); a directory with --parts')
    parser.add_argument('--parts', type=int, metavar='K',
                        help='write K part files into directory OUT')
    args = parser.parse_args(argv)
    if args.records < 0:
        parser.error('--records must be >= 0')
    for name in ('sites', 'entities', 'parts'):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f'--{name} must be >= 1')
    if args.parts is not None and not args.output:
        parser.error('--parts needs -o DIRECTORY')
    chunks = generate(args.records, args.seed, args.sites, args.entities)
    try:
        write(chunks, args.records, args.output, args.parts)
        sys.stdout.flush()
    except BrokenPipeError:              # e.g. `malgen.py ... | head`: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == '__main__':
    main()
