#!/usr/bin/env python3
"""Benchmark `streamkit run` on MalStone A against the equivalent Unix pipeline.

Same MalGen-style input, same mapper and reducer scripts (jobs/malstone/), same
run: `streamkit run` with R = J = cores versus

    cat DATA | python3 a_mapper.py | LC_ALL=C sort -t$'\\t' -k1,1 -s | python3 a_reducer.py

Targets (issue 12, 2-core machine): streamkit's wall <= 0.5x the pipeline's;
streamkit's own CPU (all its processes minus the scripts: the tree's CPU minus the
mapper's and reducer's own CPU, each run alone on files, once per round) <= 1.0x the
scripts' own CPU;
peak RSS of every process <= --memory + 60 MiB.  Also a scaling table over --jobs and
records/s set against the published MalStone A-10 figures.  Every command runs in
common.clean_env() (no PYTHONUNBUFFERED, no PYTHONDONTWRITEBYTECODE), with ``python3``
resolved once to the interpreter it starts (see real_python3).

    bench/bench_run.py [--sizes 1M,5M] [--repeat 1] [--jobs 1,2] [--skip-scaling] [--quick]
"""
import argparse
import importlib.util
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

JOBS = os.path.join(common.ROOT, 'jobs', 'malstone')
MALGEN = os.path.join(JOBS, 'malgen.py')
MAPPER = os.path.join(JOBS, 'a_mapper.py')
REDUCER = os.path.join(JOBS, 'a_reducer.py')
CORES = os.cpu_count() or 1
WALL_TARGET, OWN_CPU_TARGET, RSS_SLACK = 0.5, 1.0, 60 * common.MIB
PEER_TARGET = 6.0  # streamkit at least this many times faster than mrjob's local runner
PEERS = os.path.join(common.BENCH, 'peers')


def real_python3():
    """The interpreter ``python3`` from PATH runs, as a path: a version manager's shim
    (pyenv's is a bash script, ~0.1 s of CPU a start) would charge every start to
    whichever system starts more processes.  All systems run this one."""
    return subprocess.run(['python3', '-c', 'import sys; print(sys.executable)'], check=True,
                          capture_output=True, text=True).stdout.strip()


PYTHON3 = real_python3()
# MalStone A-10 (10 billion records, 20 nodes, 2009), records/s per node.
PUBLISHED = [('Sector/Sphere', 247500), ('Hadoop Streaming + Python', 95300),
             ('Hadoop MapReduce (Java)', 18300)]


def input_file(records, seed):
    """Return bench/data/malstone-N-sSEED.txt, generated once with malgen.py."""
    path = os.path.join(common.DATA, 'malstone-%d-s%d.txt' % (records, seed))
    if not os.path.exists(path):
        os.makedirs(common.DATA, exist_ok=True)
        subprocess.run([sys.executable, MALGEN, '--records', str(records), '--seed', str(seed),
                        '-o', path + '.tmp'], check=True)
        os.replace(path + '.tmp', path)
    return path


def sorted_map_output(data, tmp):
    """The reducer's input for the scripts-alone runs: the mapper's output, sorted."""
    mapped, ordered = os.path.join(tmp, 'mapped'), os.path.join(tmp, 'sorted')
    with open(data, 'rb') as src, open(mapped, 'wb') as dst:
        subprocess.run([PYTHON3, MAPPER], stdin=src, stdout=dst, check=True, env=common.clean_env())
    with open(mapped, 'rb') as src, open(ordered, 'wb') as dst:
        subprocess.run(['sort', '-t', '\t', '-k1,1', '-s'], stdin=src, stdout=dst, check=True,
                       env=dict(common.clean_env(), LC_ALL='C'))
    os.remove(mapped)
    return ordered


def scripts_alone_cpu(data, ordered):
    """CPU seconds of the mapper alone and of the reducer alone, on files (no pipes).

    This is "the mapper's and reducer's own CPU": the least any runner can spend on the
    job's scripts, so streamkit's overhead is measured against it.  Measured once in
    every round, next to the systems' runs, so a machine that speeds up or slows down
    during the benchmark moves both sides of the ratio alike.
    """
    with open(data, 'rb') as src:
        mapper = common.measure([PYTHON3, MAPPER], stdin=src, stdout=subprocess.DEVNULL,
                                poll=False).cpu
    with open(ordered, 'rb') as src:
        reducer = common.measure([PYTHON3, REDUCER], stdin=src, stdout=subprocess.DEVNULL,
                                 poll=False).cpu
    return mapper, reducer


def run_streamkit(data, tmp, jobs, memory, poll=True):
    """One `streamkit run`; returns (Sample, sorted output lines, phases from --stats)."""
    out, stats = os.path.join(tmp, 'sk-out'), os.path.join(tmp, 'stats.json')
    argv = [common.STREAMKIT, 'run', '-input', data, '-output', out,
            '-mapper', '%s a_mapper.py' % PYTHON3, '-reducer', '%s a_reducer.py' % PYTHON3,
            '-file', MAPPER, '-file', REDUCER, '-numReduceTasks', str(CORES),
            '--jobs', str(jobs), '--memory', memory, '--tmpdir', tmp, '--stats', stats]
    sample = common.measure(argv, cwd=tmp, stdout=subprocess.DEVNULL, poll=poll)
    lines = []
    for part in sorted(p for p in os.listdir(out) if p.startswith('part-')):
        with open(os.path.join(out, part), 'rb') as f:
            lines += f.read().splitlines()
    with open(stats) as f:
        phases = json.load(f).get('phases', {})
    shutil.rmtree(out)
    return sample, sorted(lines), phases


def run_pipeline(data, tmp, poll=True):
    """One run of the Unix pipeline; returns (Sample, sorted output lines).

    bash waits for every stage, so wait4() on bash counts the CPU of all of them.
    """
    out = os.path.join(tmp, 'pipe-out')
    q = shlex.quote
    script = ('set -o pipefail; cat %s | %s %s | LC_ALL=C sort -t$\'\\t\' -k1,1 -s '
              '| %s %s > %s' % (q(data), PYTHON3, q(MAPPER), PYTHON3, q(REDUCER), q(out)))
    sample = common.measure(['bash', '-c', script], poll=poll)
    with open(out, 'rb') as f:
        lines = sorted(f.read().splitlines())
    os.remove(out)
    return sample, lines


def run_mrjob(data, tmp, poll=True):
    """mrjob's local runner on bench/peers/mrjob_malstone_a.py; (Sample, sorted lines)."""
    out = os.path.join(tmp, 'mrjob-out')
    argv = [sys.executable, os.path.join(PEERS, 'mrjob_malstone_a.py'), '-r', 'local',
            '--num-cores', str(CORES), '--no-conf', '--local-tmp-dir', tmp, '-o', out, data]
    with open(os.path.join(tmp, 'mrjob.log'), 'wb') as log:
        sample = common.measure(argv, cwd=tmp, stdout=log, stderr=log, poll=poll)
    lines = []
    for part in sorted(p for p in os.listdir(out) if p.startswith('part-')):
        with open(os.path.join(out, part), 'rb') as f:
            lines += f.read().splitlines()
    shutil.rmtree(out)
    return sample, sorted(lines)


def run_dask(data, tmp, poll=True):
    """dask.bag foldby on bench/peers/dask_malstone_a.py; (Sample, sorted lines)."""
    out = os.path.join(tmp, 'dask-out')
    argv = [sys.executable, os.path.join(PEERS, 'dask_malstone_a.py'), data, out,
            '--workers', str(CORES)]
    sample = common.measure(argv, cwd=tmp, stdout=subprocess.DEVNULL, poll=poll)
    with open(out, 'rb') as f:
        lines = sorted(f.read().splitlines())
    os.remove(out)
    return sample, lines


#: Peers run when their module is installed (the bench extra installs both).
PEER_SYSTEMS = {'mrjob local runner': ('mrjob', run_mrjob), 'dask.bag foldby': ('dask', run_dask)}


def peers_installed():
    """The peer systems whose package is importable, and notes for the missing ones."""
    found, notes = [], []
    for name, (module, _) in PEER_SYSTEMS.items():
        if importlib.util.find_spec(module) is None:
            notes.append('%s: not installed, skipped (pip install -e .[bench], or pip install '
                         '%s, to include it)' % (name, module))
        else:
            found.append(name)
    return found, notes


def bench_size(records, args, tmp, peers=()):
    """All systems on one input, alternating; returns summaries, baseline, phases.

    ``args.repeat`` timed rounds without memory polling, then one polled round for the
    peaks (see common.measure)."""
    data = input_file(records, args.seed)
    common.warm_cache(data)
    ordered = sorted_map_output(data, tmp)
    names = ['streamkit run', 'Unix pipeline', *peers]
    samples, polled, phases = {n: [] for n in names}, {n: [] for n in names}, {}
    alone = []
    for i in range(args.repeat + 1):
        poll = i == args.repeat
        outputs = {}
        if not poll:
            alone.append(scripts_alone_cpu(data, ordered))
        for name in names if i % 2 == 0 else names[::-1]:
            if name == 'streamkit run':
                sample, outputs[name], more = run_streamkit(data, tmp, CORES, args.memory, poll)
                phases = phases if poll else more
            elif name == 'Unix pipeline':
                sample, outputs[name] = run_pipeline(data, tmp, poll)
            else:
                sample, outputs[name] = PEER_SYSTEMS[name][1](data, tmp, poll)
            (polled if poll else samples)[name].append(sample)
            print('  %9d %-18s %s %d: %.2f s' % (records, name, 'memory run' if poll else 'run',
                                                i + 1, sample.wall), file=sys.stderr)
        for name in outputs:
            if outputs[name] != outputs['Unix pipeline']:
                sys.exit('bench_run: %s output differs from the pipeline (%d records)'
                         % (name, records))
    os.remove(ordered)
    base = tuple(statistics.median(cpu) for cpu in zip(*alone))
    return {n: common.summarize(samples[n], polled[n]) for n in names}, base, phases


def main_rows(records, res):
    """Rows of the main table: wall, CPU, RSS, records/s, ratios against the pipeline."""
    pipe = res['Unix pipeline']
    return [['{:,}'.format(records), name, '%.2f s' % s.wall, '%.2f s' % s.cpu,
             common.mib(s.proc_rss), common.mib(s.tree_rss), '{:,.0f}'.format(records / s.wall),
             '%.2f×' % (s.wall / pipe.wall), '%.2f×' % (s.cpu / pipe.cpu)]
            for name, s in res.items()]


def target_row(records, res, base, phases, budget):
    """One row checking streamkit against the three targets, with its phase times."""
    sk, pipe = res['streamkit run'], res['Unix pipeline']
    wall, own = sk.wall / pipe.wall, sk.cpu - sum(base)
    return ['{:,}'.format(records), '%.2f× %s' % (wall, _ok(wall <= WALL_TARGET)),
            '%.2f s + %.2f s' % base,
            '%.2f s = %.2f× %s' % (own, own / sum(base), _ok(own <= OWN_CPU_TARGET * sum(base))),
            '%s %s' % (common.mib(sk.proc_rss), _ok(sk.proc_rss <= budget + RSS_SLACK)),
            _phase(phases, 'map'), _phase(phases, 'reduce')]


def _ok(good):
    return 'ok' if good else 'MISS'


def _phase(phases, name):
    """'wall / CPU' of one phase from --stats, so a miss can be traced to map or reduce."""
    if name not in phases:
        return '-'
    return '%.2f / %.2f s' % (phases[name]['wall_s'], phases[name]['cpu_s'])


def scaling_rows(records, args, tmp):
    """streamkit on the same input with 1..N workers (R fixed at the core count)."""
    data, rows, first = input_file(records, args.seed), [], None
    for jobs in [common.parse_count(j) for j in args.jobs.split(',')]:
        s = common.summarize([run_streamkit(data, tmp, jobs, args.memory)[0]
                              for _ in range(args.repeat)])
        first = first or s.wall
        print('  %9d --jobs %d: %.2f s' % (records, jobs, s.wall), file=sys.stderr)
        rows.append([str(jobs), '%.2f s' % s.wall, '%.2f s' % s.cpu, '%.2f×' % (first / s.wall),
                     '{:,.0f}'.format(records / s.wall), common.mib(s.proc_rss)])
    return rows


def malstone_rows(records, res):
    """records/s per core here next to the published per-node MalStone A-10 figures."""
    rows = [[name + ' (this machine, %d cores)' % CORES, '{:,.0f}'.format(records / s.wall),
             '{:,.0f}'.format(records / s.wall / CORES), '-'] for name, s in res.items()]
    return rows + [[name + ' (MalStone A-10, 2009)', '-', '-', '{:,}'.format(v)]
                   for name, v in PUBLISHED]


def peer_rows(records, res):
    """streamkit's speed-up over each peer (target: >= PEER_TARGET x mrjob's wall)."""
    sk = res['streamkit run']
    rows = []
    for name in PEER_SYSTEMS:
        if name in res:
            ratio = res[name].wall / sk.wall
            verdict = _ok(ratio >= PEER_TARGET) if name.startswith('mrjob') else '-'
            rows.append(['{:,}'.format(records), name, '%.2f s' % res[name].wall,
                         '%.2f s' % sk.wall, '%.2f× %s' % (ratio, verdict)])
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--sizes', default='1M,5M', help='record counts (default 1M,5M)')
    parser.add_argument('--repeat', type=int, default=1, help='runs of each (median; default 1)')
    parser.add_argument('--jobs', default=','.join(map(str, range(1, CORES + 1))),
                        help='worker counts for the scaling table (default 1..cores)')
    parser.add_argument('--skip-scaling', action='store_true', help='no scaling table')
    parser.add_argument('--no-peers', action='store_true',
                        help='skip mrjob and dask even where installed')
    parser.add_argument('--memory', default='100M', help='streamkit --memory (default 100M)')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--quick', action='store_true', help='smoke check: 200k records, 1 run')
    parser.add_argument('--scripts', choices=['fast', 'classic'], default='fast',
                        help='fast: jobs/malstone/a_*.py (block at a time); classic: '
                             'jobs/malstone/classic/a_*.py (one print per record)')
    args = parser.parse_args()
    if args.scripts == 'classic':
        global MAPPER, REDUCER
        MAPPER = os.path.join(JOBS, 'classic', 'a_mapper.py')
        REDUCER = os.path.join(JOBS, 'classic', 'a_reducer.py')
    if args.quick:
        args.sizes, args.repeat = '200k', 1
    sizes = [common.parse_count(s) for s in args.sizes.split(',')]
    budget = common.parse_bytes(args.memory)
    for tool in (common.STREAMKIT, MALGEN, MAPPER, REDUCER, 'python3'):
        common.require(tool)
    peers, peer_notes = ([], ['peers: skipped (--no-peers)']) if args.no_peers else peers_installed()
    facts, main_table, targets, results, speedups = common.machine(), [], [], {}, []
    with tempfile.TemporaryDirectory(prefix='bench-run-') as tmp:
        for records in sizes:
            res, base, phases = results[records] = bench_size(records, args, tmp, peers)
            main_table += main_rows(records, res)
            targets.append(target_row(records, res, base, phases, budget))
            speedups += peer_rows(records, res)
        scaling = [] if args.skip_scaling else scaling_rows(max(sizes), args, tmp)
    sections = [
        '## streamkit run (R = --jobs = %d) vs the Unix pipeline' % CORES, '',
        common.markdown_table(['records', 'system', 'wall', 'CPU', 'peak RSS, one process',
                               'peak RSS, tree', 'records/s', 'wall vs pipeline',
                               'CPU vs pipeline'], main_table), '',
        '## Targets: wall ≤ %.1f× pipeline, own CPU ≤ %.1f× the scripts\' own, '
        'every process ≤ %s + 60 MiB' % (WALL_TARGET, OWN_CPU_TARGET, args.memory), '',
        common.markdown_table(['records', 'wall vs pipeline', 'mapper + reducer CPU alone',
                               'streamkit\'s own CPU (tree − that) vs that', 'largest process',
                               'map phase wall / CPU', 'reduce phase wall / CPU'], targets), '']
    if speedups:
        sections += ['## streamkit against its peers: peer wall / streamkit wall (target ≥ %.0f× '
                     'against mrjob)' % PEER_TARGET, '',
                     common.markdown_table(['records', 'peer', 'peer wall', 'streamkit wall',
                                            'streamkit faster by'], speedups), '',
                     'Peers: bench/peers/mrjob_malstone_a.py (mrjob `-r local --num-cores %d`, '
                     'the same map/reduce logic as an MRJob) and bench/peers/dask_malstone_a.py '
                     '(dask.bag `foldby`, processes scheduler, %d workers); their output equals '
                     "the pipeline's." % (CORES, CORES), '']
    if scaling:
        sections += ['## Scaling: %s records, -numReduceTasks %d, --jobs varied'
                     % ('{:,}'.format(max(sizes)), CORES), '',
                     common.markdown_table(['--jobs', 'wall', 'CPU', 'speed-up vs first',
                                            'records/s', 'largest process'], scaling), '']
    sections += ['## Records/s against the published MalStone A-10 figures (%s records)'
                 % '{:,}'.format(max(sizes)), '',
                 common.markdown_table(['system', 'records/s', 'records/s per core',
                                        'published records/s per node'],
                                       malstone_rows(max(sizes), results[max(sizes)][0])), '',
                 'The published figures are per node of a 20-node 2009 testbed processing 10 '
                 'billion records; different hardware, data size and storage, so they are '
                 'context, not a comparison.', '',
                 'Method: median of %d run(s), the systems in turn, order reversed on alternate runs, '
                 'the mapper and the reducer alone on files once in every run; CPU = user + sys of '
                 'the whole process tree (wait4); peak RSS polled every %d ms in one more run of each '
                 '(polling slows what it watches, so timed runs are not polled); pipeline sort '
                 'has no -S (GNU default); no PYTHONUNBUFFERED / PYTHONDONTWRITEBYTECODE in any '
                 'environment.' % (args.repeat, common.POLL_S * 1000), '',
                 *peer_notes]
    print('\n'.join(sections))
    name = 'run' + ('' if args.scripts == 'fast' else '-classic')
    path = common.write_results(name + ('-quick' if args.quick else ''),
                                'streamkit run vs the Unix pipeline (MalStone A, %s scripts)' % args.scripts,
                                facts, sections)
    print('\nwritten to %s' % os.path.relpath(path), file=sys.stderr)


if __name__ == '__main__':
    main()
