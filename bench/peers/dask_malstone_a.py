#!/usr/bin/env python3
"""MalStone A with dask.bag ``foldby``: the same logic as jobs/malstone/a_*.py.

Records ``event_id|timestamp|site_id|flag|entity_id`` with exactly five fields are
folded per site into (visits, hits), hits counting flag ``1``; the result is written
as ``site<TAB>visits<TAB>hits<TAB>repr(hits/visits)``, one line per site.

    python3 dask_malstone_a.py DATA OUT [--workers 2]
"""
import argparse

import dask
import dask.bag as db


def fields(line):
    return line.rstrip('\n').split('|')


def well_formed(record):
    return len(record) == 5


def site(record):
    return record[2]


def add_visit(acc, record):
    return acc[0] + 1, acc[1] + (record[3] == '1')


def add_totals(a, b):
    return a[0] + b[0], a[1] + b[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('data')
    parser.add_argument('out')
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--blocksize', default='16MiB')
    args = parser.parse_args()
    totals = (db.read_text(args.data, blocksize=args.blocksize, encoding='latin-1')
              .map(fields).filter(well_formed)
              .foldby(site, add_visit, (0, 0), add_totals, (0, 0)))
    with dask.config.set(scheduler='processes', num_workers=args.workers):
        result = totals.compute()
    with open(args.out, 'w', encoding='latin-1') as out:
        for key, (visits, hits) in result:
            out.write('%s\t%d\t%d\t%r\n' % (key, visits, hits, hits / visits))


if __name__ == '__main__':
    main()
