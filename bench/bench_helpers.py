#!/usr/bin/env python3
"""Benchmark the script helpers (streamkit/stream.py) against plain stdlib scripts.

MalStone A written with the helpers must not cost more CPU than the same job
written by hand (target: <= 1.1x).  Same input, same run, the two alternating:

* block at a time: ``a_job.py -m`` / ``-c`` / ``-r`` vs ``a_mapper.py``,
  ``a_reducer.py --combine``, ``a_reducer.py`` (jobs/malstone/);
* line by line: ``classic/a_job.py -m`` / ``-r`` vs ``classic/a_mapper.py``,
  ``classic/a_reducer.py``.

Each script runs alone on files, as a task would (reducers read the mapper output
sorted once with ``LC_ALL=C sort``).  The helper jobs run the way they are shipped:
copied next to ``stream.py`` in a directory of their own.  Outputs must be identical,
or the script stops.  PYTHONUNBUFFERED and PYTHONDONTWRITEBYTECODE are removed from
the environment of every command (a print per record would otherwise be a write per
record, and the helper module would be recompiled in every task).

The target is judged on the least CPU of the runs of each (see the method note).

    bench/bench_helpers.py [--sizes 1M] [--repeat 5] [--seed 1] [--quick]
"""
import argparse
import filecmp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from bench_run import input_file  # noqa: E402

JOBS = os.path.join(common.ROOT, 'jobs', 'malstone')
HELPERS = os.path.join(common.ROOT, 'streamkit', 'stream.py')
TARGET = 1.1
PY = sys.executable
# (stage, input kind, plain command, helper command); paths relative to JOBS / the job dir
PAIRS = {
    'block': [('map', 'records', ['a_mapper.py'], ['a_job.py', '-m']),
              ('combine', 'sorted', ['a_reducer.py', '--combine'], ['a_job.py', '-c']),
              ('reduce', 'sorted', ['a_reducer.py'], ['a_job.py', '-r'])],
    'line': [('map', 'records', ['classic/a_mapper.py'], ['classic/a_job.py', '-m']),
             ('reduce', 'sorted', ['classic/a_reducer.py'], ['classic/a_job.py', '-r'])],
}


def ship(tmp):
    """The helper jobs as a task sees them: script and stream.py side by side, compiled."""
    job = os.path.join(tmp, 'job')
    for name in ('a_job.py', os.path.join('classic', 'a_job.py')):
        where = os.path.dirname(os.path.join(job, name))
        os.makedirs(where, exist_ok=True)
        shutil.copy(os.path.join(JOBS, name), where)
        shutil.copy(HELPERS, where)
        subprocess.run([PY, '-c', 'import stream'], cwd=where, env=common.clean_env(), check=True)
    return job


def inputs(records, seed, tmp):
    data = input_file(records, seed)
    mapped, ordered = os.path.join(tmp, 'mapped'), os.path.join(tmp, 'sorted')
    with open(data, 'rb') as src, open(mapped, 'wb') as dst:
        subprocess.run([PY, os.path.join(JOBS, 'a_mapper.py')], stdin=src, stdout=dst, check=True)
    with open(ordered, 'wb') as dst:
        subprocess.run(['sort', '-t', '\t', '-k1,1', '-s', mapped], stdout=dst, check=True,
                       env=dict(os.environ, LC_ALL='C'))
    for path in (data, ordered):
        common.warm_cache(path)
    return {'records': data, 'sorted': ordered}


def cpu_of(argv, src, out, cwd):
    with open(src, 'rb') as stdin, open(out, 'wb') as stdout:
        return common.measure([PY] + argv, stdin=stdin, stdout=stdout, cwd=cwd,
                              env=common.clean_env()).cpu


def bench_pairs(form, files, job, tmp, repeat):
    """Rows of (stage, plain, helper, plain CPUs, helper CPUs), alternating the two."""
    rows = []
    for stage, kind, plain, helper in PAIRS[form]:
        outs = os.path.join(tmp, 'plain.out'), os.path.join(tmp, 'helper.out')
        cpu = {'plain': [], 'helper': []}
        for _ in range(repeat):
            cpu['plain'].append(cpu_of(plain, files[kind], outs[0], JOBS))
            cpu['helper'].append(cpu_of(helper, files[kind], outs[1], job))
        if not filecmp.cmp(*outs, shallow=False):
            sys.exit('bench: %s %s: %s and %s outputs differ' % (form, stage, plain, helper))
        rows.append((stage, plain, helper, cpu['plain'], cpu['helper']))
    return rows


def table_rows(records, form, rows):
    """Per stage: min and median CPU of each, ratio of the minima (the target's) and medians."""
    def cells(base_min, base_median, mine_min, mine_median):
        return ['%.2f / %.2f s' % (base_min, base_median),
                '%.2f / %.2f s' % (mine_min, mine_median),
                '%.2f×' % (mine_min / base_min), '%.2f×' % (mine_median / base_median)]

    def stats(cpus):
        return min(cpus), statistics.median(cpus)

    out = [['{:,}'.format(records), form, stage, ' '.join(plain), ' '.join(helper),
            *cells(*stats(b), *stats(m))] for stage, plain, helper, b, m in rows]
    # A job is a mapper and a reducer: the sum of their figures is what the target is about.
    task = [(stats(r[3]), stats(r[4])) for r in rows if r[0] in ('map', 'reduce')]
    sums = [sum(t[side][i] for t in task) for side in (0, 1) for i in (0, 1)]
    total = cells(*sums)
    total[2] = '**%s** %s' % (total[2], 'ok' if sums[2] / sums[0] <= TARGET else 'MISS')
    out.append(['{:,}'.format(records), form, '**map + reduce**', '', '', *total])
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--sizes', default='1M', help='record counts (default 1M)')
    parser.add_argument('--repeat', type=int, default=5, help='runs of each (default 5)')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--quick', action='store_true', help='smoke check: 200k records, 1 run')
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.repeat = '200k', 1
    facts, table = common.machine(), []
    with tempfile.TemporaryDirectory(prefix='bench-helpers-') as tmp:
        job = ship(tmp)
        for records in (common.parse_count(s) for s in args.sizes.split(',')):
            files = inputs(records, args.seed, tmp)
            for form in PAIRS:
                table += table_rows(records, form, bench_pairs(form, files, job, tmp, args.repeat))
    sections = [
        '## CPU of MalStone A scripts: helpers vs plain stdlib (target ≤ %.1f×)' % TARGET, '',
        common.markdown_table(['records', 'form', 'stage', 'plain script', 'helper job',
                               'plain CPU, min / median', 'helper CPU, min / median',
                               'helper / plain (min)', 'helper / plain (median)'], table), '',
        'Method: each script alone, stdin and stdout on files; CPU = user + sys (wait4) '
        'of %d runs, plain and helper alternating; outputs compared byte for byte. '
        'The target is judged on the minima: CPU time of a deterministic script only '
        'grows with interference from other load, so the least disturbed run is the '
        'truest cost (the medians show the spread). '
        'Reducers read the mapper output sorted once by `LC_ALL=C sort -t$\'\\t\' -k1,1 -s`. '
        'The helper jobs run from a directory holding the script and a copy of '
        '`streamkit/stream.py`, as `-file` ships them.' % args.repeat]
    print('\n'.join(sections))
    path = common.write_results('helpers' + ('-quick' if args.quick else ''),
                                'Script helpers vs plain stdlib scripts (MalStone A)',
                                facts, sections)
    print('\nwritten to %s' % os.path.relpath(path), file=sys.stderr)


if __name__ == '__main__':
    main()
