#!/usr/bin/env python3
"""Large inputs: memory stays bounded at any size and key skew (`make bench-large`).

Two jobs, each run with `streamkit run` and with the equivalent Unix pipeline:

* **hot key**: one key with 20M values (`hot<TAB>1`, 120 MB), mapper `cat`, a
  line-by-line counting reducer, R = cores, `--memory 64M`;
* **MalStone A, 50M records** (jobs/malstone/malgen.py, about 5 GB, generated once into
  bench/data/), R = cores, default `--memory` (100M) and `--memory 64M`.

For every run: wall, CPU of the whole tree, the peak RSS (VmHWM) of the largest
streamkit process (driver, workers, sorting children) and of the largest other
process (the scripts, GNU sort), the peak size of the temporary directory against the
map output as lines (--stats: "Map output bytes" + one "\\n" per record), and whether the
output equals the pipeline's.  MalStone A
also runs on --base records (5M) with the default budget, for the scaling ratio.
Targets (issue 12): every streamkit process within --memory + 60 MiB; temp dir peak
<= 1.2x the map output; the 50M wall <= 10.5x the 5M wall (linear).  Commands run in
common.clean_env() with python3 resolved as bench_run does.

    bench/bench_large.py [--records 50M] [--base 5M] [--hot 20M] [--skip-malstone] [--skip-hot]
"""
import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from bench_run import MALGEN, MAPPER, PYTHON3, REDUCER, input_file  # noqa: E402

CORES = os.cpu_count() or 1
SLACK = 60 * common.MIB
TEMP_TARGET, LINEAR_TARGET = 1.2, 10.5  # temp peak / map output; 50M wall / 5M wall
COUNT = '''import sys
last, n = None, 0
for line in sys.stdin.buffer:
    key, _, value = line.rstrip(b"\\n").partition(b"\\t")
    if key != last:
        if last is not None:
            sys.stdout.buffer.write(last + b"\\t%d\\n" % n)
        last, n = key, 0
    n += int(value)
if last is not None:
    sys.stdout.buffer.write(last + b"\\t%d\\n" % n)
'''


def hot_file(values):
    path = os.path.join(common.DATA, 'hotkey-%d.txt' % values)
    if not os.path.exists(path):
        os.makedirs(common.DATA, exist_ok=True)
        with open(path + '.tmp', 'wb') as f:
            for i in range(0, values, 1 << 20):
                f.write(b'hot\t1\n' * min(1 << 20, values - i))
        os.replace(path + '.tmp', path)
    return path


def _tree(root):
    kids = {}
    for name in os.listdir('/proc'):
        if name.isdigit():
            try:
                with open('/proc/%s/stat' % name, 'rb') as f:
                    ppid = int(f.read().rsplit(b')', 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += kids.get(pid, [])
    return out


def _hwm(pid):
    """(is a streamkit process, VmHWM bytes) or None once gone."""
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            argv = f.read().split(b'\0')
        with open('/proc/%d/status' % pid, 'rb') as f:
            hwm = next(int(l.split()[1]) * 1024 for l in f if l.startswith(b'VmHWM:'))
    except (OSError, StopIteration, ValueError):
        return None
    return any(a.endswith(b'streamkit') for a in argv[:3]), hwm


def _du(path):
    total = 0
    for top, dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(top, name)).st_blocks * 512
            except OSError:
                pass
    return total


def measure(argv, tmp, cwd=None, stdout=None):
    """Run argv; return wall, CPU, peak streamkit / other process RSS, peak tmp size."""
    peaks = {'sk': 0, 'other': 0, 'tmp': 0}
    stop = threading.Event()
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=stdout, env=common.clean_env())

    def poll():
        last_du = 0.0
        while not stop.is_set():
            for pid in _tree(proc.pid):
                got = _hwm(pid)
                if got:
                    kind = 'sk' if got[0] else 'other'
                    peaks[kind] = max(peaks[kind], got[1])
            if time.monotonic() - last_du > 0.5:
                peaks['tmp'] = max(peaks['tmp'], _du(tmp))
                last_du = time.monotonic()
            stop.wait(common.POLL_S)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stop.set()
    poller.join()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError('%s failed' % argv)
    return {'wall': wall, 'cpu': usage.ru_utime + usage.ru_stime, **peaks}


def run_case(name, data, mapper, reducer, files, memories, workdir):
    """streamkit at each --memory, then the pipeline; rows for the table."""
    rows, outputs = [], []
    for f in files:  # the pipeline runs the scripts from workdir, as -file puts them in the cwd
        if os.path.dirname(os.path.abspath(f)) != os.path.abspath(workdir):
            shutil.copy(f, workdir)
    for memory in memories:
        tmp = os.path.join(workdir, 'sk-tmp')
        os.makedirs(tmp)
        out, stats = os.path.join(workdir, 'sk-out'), os.path.join(workdir, 'stats.json')
        argv = [common.STREAMKIT, 'run', '-input', data, '-output', out, '-mapper', mapper,
                '-reducer', reducer, '-numReduceTasks', str(CORES), '--jobs', str(CORES),
                '--tmpdir', tmp, '--stats', stats]
        for f in files:
            argv += ['-file', f]
        if memory:
            argv += ['--memory', memory]
        print('  %s: streamkit run --memory %s' % (name, memory or 'default'), file=sys.stderr)
        m = measure(argv, tmp, cwd=workdir, stdout=subprocess.DEVNULL)
        with open(stats) as f:
            report = json.load(f)
        reported = report.get('peak_rss', {})
        counters = report['counters']  # "Map output bytes" leaves out each line's "\n"
        m['map_output'] = (counters.get('Map-Reduce Framework.Map output bytes', 0)
                           + counters.get('Map-Reduce Framework.Map output records', 0))
        worst = max([reported.get('driver', 0), *reported.get('map', []),
                     *reported.get('reduce', [])] or [0])
        m['sk'] = max(m['sk'], worst)
        outputs.append(sorted(b''.join(open(os.path.join(out, p), 'rb').read()
                                          for p in sorted(os.listdir(out))
                                          if p.startswith('part-')).splitlines()))
        budget = common.parse_bytes(memory or '100M')
        rows.append([name, 'streamkit run --memory %s' % (memory or '100M (default)'), m, budget])
        shutil.rmtree(out)
        shutil.rmtree(tmp)
    tmp = os.path.join(workdir, 'pipe-tmp')
    os.makedirs(tmp)
    out = os.path.join(workdir, 'pipe-out')
    script = ('set -o pipefail; cd %s; cat %s | %s | LC_ALL=C sort -T %s -t$\'\\t\' -k1,1 -s '
              '| %s > %s' % (shlex.quote(workdir), shlex.quote(data), mapper, shlex.quote(tmp),
                             reducer, shlex.quote(out)))
    print('  %s: Unix pipeline' % name, file=sys.stderr)
    m = measure(['bash', '-c', script], tmp)
    with open(out, 'rb') as f:
        expected = sorted(f.read().splitlines())
    os.remove(out)
    shutil.rmtree(tmp)
    for row, output in zip(rows, outputs):
        row.append(output == expected)
    return rows + [[name, 'Unix pipeline (cat, map, sort -T, reduce)', m, None, True]]


def table(rows):
    out = []
    for name, system, m, budget, same in rows:
        ok = '-' if budget is None else ('ok' if m['sk'] <= budget + SLACK else 'MISS')
        temp = '-'
        if m.get('map_output'):
            ratio = m['tmp'] / m['map_output']
            temp = '%.2f× %s' % (ratio, 'ok' if ratio <= TEMP_TARGET else 'MISS')
        out.append([name, system, '%.1f s' % m['wall'], '%.1f s' % m['cpu'],
                    '-' if budget is None else common.mib(m['sk']), ok, common.mib(m['other']),
                    common.mib(m['tmp']), temp, 'yes' if same else 'NO'])
    return common.markdown_table(['job', 'system', 'wall', 'CPU', 'largest streamkit process',
                                  '≤ budget + 60 MiB', 'largest other process',
                                  'temp dir peak', 'temp peak / map output', 'output = pipeline'],
                                 out)


def linear_row(base_rows, rows):
    """The 50M default-budget wall against the 5M one (same method, same run)."""
    small, large = base_rows[0], rows[0]
    ratio = large[2]['wall'] / small[2]['wall']
    return ('Scaling: streamkit run (default budget) took %.1f s on %s and %.1f s on %s: '
            '%.2f× (target ≤ %.1f×, linear: %s).' % (
                small[2]['wall'], small[0], large[2]['wall'], large[0], ratio, LINEAR_TARGET,
                'ok' if ratio <= LINEAR_TARGET else 'MISS'))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--records', default='50M', help='MalStone records (default 50M)')
    parser.add_argument('--hot', default='20M', help='values of the hot key (default 20M)')
    parser.add_argument('--base', default='5M', help='MalStone records of the scaling base (5M)')
    parser.add_argument('--skip-malstone', action='store_true')
    parser.add_argument('--skip-hot', action='store_true')
    args = parser.parse_args()
    for tool in (common.STREAMKIT, MALGEN, MAPPER, REDUCER, PYTHON3):
        common.require(tool)
    facts, rows, notes = common.machine(), [], []
    with tempfile.TemporaryDirectory(prefix='bench-large-') as work:
        if not args.skip_hot:
            count = os.path.join(work, 'count.py')
            with open(count, 'w') as f:
                f.write(COUNT)
            values = common.parse_count(args.hot)
            rows += run_case('hot key, %s values' % '{:,}'.format(values), hot_file(values),
                             'cat', '%s count.py' % PYTHON3, [count], ['64M'], work)
        if not args.skip_malstone:
            scripts = ['%s a_mapper.py' % PYTHON3, '%s a_reducer.py' % PYTHON3, [MAPPER, REDUCER]]
            base = common.parse_count(args.base)
            data = input_file(base, 1)
            common.warm_cache(data)
            base_rows = run_case('MalStone A, %s records' % '{:,}'.format(base), data,
                                 *scripts, [None], work)
            records = common.parse_count(args.records)
            data = input_file(records, 1)
            common.warm_cache(data)
            large = run_case('MalStone A, %s records' % '{:,}'.format(records), data,
                             *scripts, [None, '64M'], work)
            rows += base_rows + large
            notes.append(linear_row(base_rows, large))
    sections = ['## Bounded memory on large inputs (R = --jobs = %d)' % CORES, '', table(rows), '',
                *notes, '',
                'Peak RSS is each process\'s VmHWM, polled every %d ms over the process tree '
                '(streamkit\'s workers also report their own in --stats, used too); the temp '
                'dir is polled every 0.5 s.  One run each.' % (common.POLL_S * 1000)]
    print('\n'.join(sections))
    path = common.write_results('large', 'Bounded memory on large inputs', facts, sections)
    print('\nwritten to %s' % os.path.relpath(path), file=sys.stderr)
    if any(r[3] is not None and r[2]['sk'] > r[3] + SLACK for r in rows) or \
            not all(r[4] for r in rows):
        sys.exit('bench_large: a target was missed (see the table)')


if __name__ == '__main__':
    main()
