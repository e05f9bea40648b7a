#!/usr/bin/env python3
"""MalStone B, benchmark form, map: print ``site<TAB>week<TAB>flag`` for every record.

Like a_mapper.py, plus the ISO-8601 week of the visit's date, ``YYYY-Www``
(2008-12-28 is 2008-W52, 2008-12-29 is 2009-W01).  The key is the site alone, so
one reducer sees all of a site's weeks; the week travels in the value.

Only the date part of the timestamp is decoded, once per distinct date (a year of
data has 365), through a dict whose __missing__ computes the week.
"""
import sys
from datetime import date
from itertools import repeat
from operator import getitem

DATE = slice(0, 10)                      # 'YYYY-MM-DD' of 'YYYY-MM-DD HH:MM:SS.ffffff'


class IsoWeeks(dict):
    """b'YYYY-MM-DD' -> b'YYYY-Www', computed on first use."""

    def __missing__(self, day):
        year, week, _ = date.fromisoformat(day.decode('ascii')).isocalendar()
        label = self[day] = b'%d-W%02d' % (year, week)
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


def record_fields(stream):
    """Yield each block's '|'-split fields, 4 per record.

    The newline is not a separator, so n records give 4n+1 fields: timestamps at
    1, 5, 9, ..., site ids at 2, 6, ..., flags at 3, 7, ...  Lines without exactly
    five fields are dropped and counted in the Hadoop counter
    ``MalStone,malformed records`` (checked by count, as in a_mapper.py).
    """
    malformed = 0
    for block in blocks(stream):
        fields = block.split(b'|')
        if len(fields) != 4 * block.count(b'\n') + 1:
            lines = block.split(b'\n')[:-1]
            good = [line for line in lines if line.count(b'|') == 4]
            malformed += len(lines) - len(good)
            fields = b'\n'.join(good + [b'']).split(b'|')
        yield fields
    if malformed:
        sys.stderr.write('reporter:counter:MalStone,malformed records,%d\n' % malformed)


def main():
    write = sys.stdout.buffer.write
    week_of = IsoWeeks().__getitem__
    for fields in record_fields(sys.stdin.buffer):
        if len(fields) > 1:
            weeks = map(week_of, map(getitem, fields[1::4], repeat(DATE)))
            write(b'\n'.join(map(b'\t'.join, zip(fields[2::4], weeks, fields[3::4]))) + b'\n')


if __name__ == '__main__':
    main()
