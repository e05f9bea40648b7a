#!/usr/bin/env python3
"""MalStone A, benchmark form, as one file written with streamkit's script helpers.

    cat records | ./a_job.py -m | LC_ALL=C sort -t$'\\t' -k1,1 -s | ./a_job.py -r

``-m`` prints ``site<TAB>flag`` per record, ``-c`` (the combiner) ``site<TAB>V,H``,
``-r`` ``site<TAB>visits<TAB>hits<TAB>ratio``: the same bytes as a_mapper.py,
``a_reducer.py --combine`` and a_reducer.py, with the reading, grouping, counters and
role dispatch left to the helpers.  The helper module is ``streamkit/stream.py``:
ship it with the job (``-file``) or have streamkit installed.
"""
try:
    import stream                       # shipped next to this script (-file .../stream.py)
except ImportError:
    from streamkit import stream        # streamkit installed


def map_task():
    """``site<TAB>flag`` per record, a 1 MiB block per statement (see a_mapper.py).

    n records split on '|' give 4n+1 fields; a block with another count has malformed
    lines, which are dropped and counted.
    """
    malformed = 0
    for block in stream.blocks():
        fields = block.split(b'|')
        if len(fields) != 4 * block.count(b'\n') + 1:
            lines = block.split(b'\n')[:-1]
            good = [line for line in lines if line.count(b'|') == 4]
            malformed += len(lines) - len(good)
            fields = b'\n'.join(good + [b'']).split(b'|')
        if len(fields) > 1:
            stream.write(b'\n'.join(map(b'\t'.join, zip(fields[2::4], fields[3::4]))) + b'\n')
    if malformed:
        stream.counter('MalStone', 'malformed records', malformed)


def totals(counts):
    """(visits, hits) of one site from its (value, n) pairs: flags 0/1 or partial sums V,H."""
    visits = hits = 0
    for value, n in counts:
        if value == b'1':
            visits += n
            hits += n
        elif value == b'0':
            visits += n
        else:
            v, h = value.split(b',')
            visits += n * int(v)
            hits += n * int(h)
    return visits, hits


def combiner(site, counts):
    return site, b'%d,%d' % totals(counts)


def reducer(site, counts):
    visits, hits = totals(counts)
    return site, b'%d\t%d\t%r' % (visits, hits, hits / visits)


if __name__ == '__main__':
    stream.run(map_task=map_task, combiner=combiner, reducer=reducer, counted=True)
