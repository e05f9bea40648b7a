#!/usr/bin/env python3
"""Benchmark `streamkit sort` against `LC_ALL=C sort -t$'\\t' -k1,1 -s`.

Both sort the same mapper-output file (site<TAB>flag, 22 bytes a line) with the
same -S buffer and -T directory, in the same run, alternating which goes first so
that drift in the machine's load hits both.  Targets (issue 12): streamkit's median
wall time <= 1.2x GNU sort's (<= 1.0x with 100 keys or fewer), and its peak RSS <= budget
+ 60 MiB with a 64 MiB budget on the 5M input, which is ~110 MB and so forces spills.

    bench/bench_sort.py [--sizes 1M,5M] [--budget 64M] [--repeat 3] [--unique | --sites N] [--quick]
"""
import argparse
import os
import random
import sys
import tempfile
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

SITES = 4000                # distinct keys: "a few thousand sites"
HIT_RATE = 0.1              # share of flag 1
CHUNK = 100000              # lines generated and written at a time
RATIO_TARGET = 1.2
FEW_KEYS, FEW_KEYS_TARGET = 100, 1.0  # with this many distinct keys or fewer
RSS_SLACK = 60 * common.MIB


def input_file(records, seed, unique=False, sites=SITES):
    """Return bench/data/sort-N-sSEED.tsv, generating it once (deterministically).

    Site ids are random 19-digit numbers, zero-padded like MalGen's, and lines come
    in random order, which is what a mapper emits for unsorted logs.  With ``unique``
    every line gets its own random key (no repeats: the worst case for streamkit).
    """
    name = 'sort-%d-s%d%s%s.tsv' % (records, seed, '-unique' * unique,
                                    '' if unique or sites == SITES else '-k%d' % sites)
    path = os.path.join(common.DATA, name)
    if os.path.exists(path):
        return path
    os.makedirs(common.DATA, exist_ok=True)
    rng = random.Random(seed)
    sites = ['%019d' % rng.randrange(10 ** 18) for _ in range(sites)]
    tmp = path + '.tmp'
    with open(tmp, 'w') as out:
        for start in range(0, records, CHUNK):
            n = min(CHUNK, records - start)
            keys = (['%019d' % rng.randrange(10 ** 18) for _ in range(n)] if unique
                    else rng.choices(sites, k=n))
            out.write(''.join('%s\t%d\n' % (k, rng.random() < HIT_RATE) for k in keys))
    os.replace(tmp, path)
    return path


def commands(path, budget, tmpdir):
    """The two commands: file in, stdout out, same budget and temp dir.

    streamkit runs in its default mode (equal keys in no promised order, as Hadoop);
    GNU sort needs -s to compare keys only.  The key sequences must match.
    """
    opts = ['-S', budget, '-T', tmpdir, path]
    return {
        'streamkit sort': [common.STREAMKIT, 'sort'] + opts,
        'GNU sort': ['sort', '-t', '\t', '-k1,1', '-s'] + opts,
    }


def same_sort(path_a, path_b):
    """Return None if both outputs have the same key sequence and line multiset, else why.

    Byte-identical files (the normal case: both sorts are stable) pass at once;
    otherwise the slow line-by-line comparison says what differs.
    """
    if os.path.getsize(path_a) == os.path.getsize(path_b):
        with open(path_a, 'rb') as a, open(path_b, 'rb') as b:
            while True:
                block = a.read(1 << 22)
                if block != b.read(1 << 22):
                    break
                if not block:
                    return None
    lines_a, lines_b = Counter(), Counter()
    with open(path_a, 'rb') as a, open(path_b, 'rb') as b:
        for number, (x, y) in enumerate(zip(a, b), 1):
            if x.split(b'\t', 1)[0].rstrip(b'\n') != y.split(b'\t', 1)[0].rstrip(b'\n'):
                return 'key sequences differ at line %d' % number
            lines_a[x] += 1
            lines_b[y] += 1
        if a.read(1) or b.read(1):
            return 'different numbers of lines'
    return None if lines_a == lines_b else 'same keys but different lines'


def bench_size(records, args, tmpdir):
    """Measure both sorts on one input, args.repeat times each, and check the outputs."""
    path = input_file(records, args.seed, args.unique, args.sites)
    common.warm_cache(path)
    cmds = commands(path, args.budget, tmpdir)
    names = list(cmds)
    samples, polled = {name: [] for name in names}, {name: [] for name in names}
    outputs = {name: os.path.join(tmpdir, 'out-%d' % i) for i, name in enumerate(names)}
    env = dict(common.clean_env(), LC_ALL='C')
    for i in range(args.repeat + 1):  # timed rounds, then one polled for the peaks
        poll = i == args.repeat
        for name in names if i % 2 == 0 else names[::-1]:
            with open(outputs[name], 'wb') as out:
                sample = common.measure(cmds[name], stdout=out, env=env, poll=poll)
            (polled if poll else samples)[name].append(sample)
            print('  %9d %-15s %s %d: %.2f s' % (records, name, 'memory run' if poll else 'run',
                                                i + 1, sample.wall), file=sys.stderr)
    problem = same_sort(*outputs.values())
    for out in outputs.values():
        os.remove(out)
    if problem:
        sys.exit('bench_sort: outputs differ for %d records: %s' % (records, problem))
    return {name: common.summarize(samples[name], polled[name]) for name in names}


def rows_for(records, results, budget_bytes, target):
    """Table rows for one size; the ratio and target checks go on streamkit's row."""
    gnu, sk = results['GNU sort'], results['streamkit sort']
    ratio = sk.wall / gnu.wall
    rss_ok = sk.tree_pss <= budget_bytes + RSS_SLACK
    verdict = '%s / %s' % ('ok' if ratio <= target else 'MISS',
                           'ok' if rss_ok else 'MISS')
    rows = []
    for name, s, extra in (('GNU sort', gnu, ['1.00×', '']),
                           ('streamkit sort', sk, ['%.2f×' % ratio, verdict])):
        rows.append(['{:,}'.format(records), name, '%.2f s' % s.wall, '%.2f s' % s.cpu,
                     common.mib(s.tree_pss), common.mib(s.tree_rss), common.mib(s.proc_rss),
                     str(s.procs)] + extra)
    return rows


HEADER = ['records', 'system', 'wall (median)', 'CPU (median)', 'peak PSS, tree', 'peak RSS, tree',
          'peak RSS, one process', 'processes', 'wall vs GNU', 'targets: time / RSS']


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--sizes', default='1M,5M', help='record counts (default 1M,5M)')
    parser.add_argument('--budget', default='64M', help='-S for both sorts (default 64M)')
    parser.add_argument('--repeat', type=int, default=3, help='runs of each (median; default 3)')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--unique', action='store_true',
                        help='a distinct random key on every line (no repeats)')
    parser.add_argument('--sites', type=int, default=SITES,
                        help='distinct keys without --unique (default %d)' % SITES)
    parser.add_argument('--quick', action='store_true', help='smoke check: 200k records, 1 run')
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.repeat = '200k', 1
    sizes = [common.parse_count(s) for s in args.sizes.split(',')]
    budget_bytes = common.parse_bytes(args.budget)
    common.require(common.STREAMKIT)
    facts = common.machine()
    target = FEW_KEYS_TARGET if not args.unique and args.sites <= FEW_KEYS else RATIO_TARGET
    rows = []
    for records in sizes:
        with tempfile.TemporaryDirectory(prefix='bench-sort-') as tmpdir:
            rows += rows_for(records, bench_size(records, args, tmpdir), budget_bytes, target)
    table = common.markdown_table(HEADER, rows)
    notes = ('Both sorts: `-S %s -T <tmp>` (GNU also `-t\\t -k1,1 -s`), input a file of site<TAB>flag lines (%s, '
             'seed %d), stdout to a file, LC_ALL=C; median of %d runs, alternating order; '
             'peak RSS and PSS polled every %d ms in one more run of each (not in the timed runs). Targets: wall ≤ %.1f× GNU sort, '
             'tree PSS ≤ budget + 60 MiB.' % (args.budget, 'a random key per line' if args.unique else '%d sites' % args.sites, args.seed, args.repeat,
                                              common.POLL_S * 1000, target))
    print(table + '\n\n' + notes)
    keys = '-unique' if args.unique else '' if args.sites == SITES else '-k%d' % args.sites
    name = 'sort' + keys + ('-quick' if args.quick else '')
    title = 'streamkit sort vs GNU sort' + (' (unique keys)' if args.unique else
                                            '' if args.sites == SITES else ' (%d keys)' % args.sites)
    path = common.write_results(name, title, facts, [table, '', notes])
    print('\nwritten to %s' % os.path.relpath(path), file=sys.stderr)


if __name__ == '__main__':
    main()
