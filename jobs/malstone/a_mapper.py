#!/usr/bin/env python3
"""MalStone A, benchmark form, map: print ``site<TAB>flag`` for every record.

This is the published Hadoop Streaming / PySphere mapper (``record[2] TAB
record[3]``): records are ``event_id|timestamp|site_id|compromise_flag|entity_id``,
the key is the site id, echoed byte for byte (MalGen's negative 20-character ids
included), and the value is the visit's own flag.  Lines without exactly five
fields are skipped and counted in the Hadoop counter ``MalStone,malformed records``.

Speed: no Python statement runs per record.  A block of whole lines is split on
'|' in one call; the newline is not a separator, so n records give 4n+1 fields,
site ids at 2, 6, 10, ... and flags at 3, 7, 11, ...  A block with the wrong
number of fields is first filtered line by line.  (The check is a count: a block
in which a line with three '|' and one with five cancel out would be misread.)
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


def record_fields(stream):
    """Yield each block's '|'-split fields, 4 per record (see module doc)."""
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
    for fields in record_fields(sys.stdin.buffer):
        if len(fields) > 1:
            write(b'\n'.join(map(b'\t'.join, zip(fields[2::4], fields[3::4]))) + b'\n')


if __name__ == '__main__':
    main()
