#!/usr/bin/env python3
"""MalStone formal form, step 1, map: key every visit by its entity.

Prints ``entity<TAB>timestamp<TAB>site<TAB>flag`` per record
``event_id|timestamp|site_id|compromise_flag|entity_id``, so that one reducer sees
all of an entity's visits and can find its first compromise (a_step1_reducer.py,
b_step1_reducer.py).  Shared by A and B.

Speed: a block of whole lines has its newlines turned into '|' and is split once:
n records give 5n+1 fields, entity ids at 4, 9, 14, ...  Lines without exactly
five fields are dropped and counted in the Hadoop counter
``MalStone,malformed records`` (checked by count, as in ../a_mapper.py).
"""
import sys


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


def main():
    write = sys.stdout.buffer.write
    malformed = 0
    for block in blocks(sys.stdin.buffer):
        fields = block.replace(b'\n', b'|').split(b'|')
        if len(fields) != 5 * block.count(b'\n') + 1:
            lines = block.split(b'\n')[:-1]
            good = [line for line in lines if line.count(b'|') == 4]
            malformed += len(lines) - len(good)
            fields = b'|'.join(good + [b'']).split(b'|')
        if len(fields) > 1:
            rows = zip(fields[4::5], fields[1::5], fields[2::5], fields[3::5])
            write(b'\n'.join(map(b'\t'.join, rows)) + b'\n')
    if malformed:
        sys.stderr.write('reporter:counter:MalStone,malformed records,%d\n' % malformed)


if __name__ == '__main__':
    main()
