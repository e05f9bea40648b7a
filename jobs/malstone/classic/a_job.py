#!/usr/bin/env python3
"""MalStone A, line by line, as one file with streamkit's script helpers.

The per-record form of ``../a_job.py``: a mapper called for each record and a reducer
for each site, the shape of ``a_mapper.py``/``a_reducer.py`` in this directory, with
no key-change loop to get wrong.  ``cat records | ./a_job.py -m | sort | ./a_job.py -r``.
"""
try:
    import stream                       # shipped next to this script (-file .../stream.py)
except ImportError:
    from streamkit import stream        # streamkit installed


def mapper(line):
    record = line.split(b'|')
    return record[2], record[3]


def reducer(site, flags):
    visits = hits = 0
    for flag in flags:
        visits += 1
        hits += flag == b'1'
    return site, b'%d\t%d\t%r' % (visits, hits, hits / visits)


if __name__ == '__main__':
    stream.run(mapper=mapper, reducer=reducer)
