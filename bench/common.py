"""Shared helpers for the benchmarks: measuring a command, machine facts, tables.

Both benchmarks compare streamkit with a GNU baseline *in the same run* on the same
machine, so the helpers here are about measuring two commands the same way:

* wall time from just before the fork to the reaping wait4();
* CPU (user + sys) from wait4()'s rusage: it covers the process and every
  descendant it waited for, so a driver's workers and their scripts are included;
* peak RSS by polling the process tree (psutil) every POLL_S seconds, keeping the
  largest *sum* of VmRSS over the tree at one poll, and the largest *single*
  process's VmHWM (the kernel's own high-water mark of that process, so a spike
  between two polls still counts as long as the process is seen alive once after
  it).  wait4()'s ru_maxrss is deliberately not used: Linux folds the pre-exec
  memory into it, and before exec the child is a copy of this Python process
  (about 30 MiB), which would swamp a small sort.  A process that lives less than
  one interval can be missed entirely; such processes are small here.
"""
import datetime
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

import psutil

POLL_S = 0.02
MIB = 1 << 20
BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
DATA = os.path.join(BENCH, 'data')
RESULTS = os.path.join(BENCH, 'results')
STREAMKIT = os.path.join(os.path.dirname(sys.executable), 'streamkit')


@dataclass
class Sample:
    """One measured run of a command."""
    wall: float          # seconds
    cpu: float           # user + sys seconds of the whole waited-for tree
    tree_rss: int        # bytes: largest sum of RSS over the tree at one poll
    proc_rss: int        # bytes: largest high-water RSS (VmHWM) of one process
    procs: int           # most processes seen in the tree at one poll
    tree_pss: int = 0    # bytes: largest sum of PSS (shared pages split between sharers)


def parse_count(text):
    """'200k' -> 200000, '5M' -> 5000000: sizes are easier to type with suffixes."""
    m = re.fullmatch(r'(\d+)([kKmM]?)', text.strip())
    if not m:
        raise ValueError('not a record count: %r' % text)
    return int(m.group(1)) * {'': 1, 'k': 1000, 'm': 1000000}[m.group(2).lower()]


def parse_bytes(text):
    """'64M' -> 67108864, matching sort -S's binary K/M/G suffixes."""
    m = re.fullmatch(r'(\d+)([kKmMgG]?)', text.strip())
    if not m:
        raise ValueError('not a size: %r' % text)
    return int(m.group(1)) << {'': 0, 'k': 10, 'm': 20, 'g': 30}[m.group(2).lower()]


def _status_kib(pid):
    """(VmRSS, VmHWM, Pss) of a process in KiB from /proc, or None once it has exited.

    PSS splits each shared page between the processes sharing it, so a tree of forked
    workers is not charged twice for the pages they inherited.
    """
    try:
        with open('/proc/%d/status' % pid, 'rb') as f:
            fields = dict(line.split(b':', 1) for line in f if line.startswith(b'Vm'))
        pss = 0
        with open('/proc/%d/smaps_rollup' % pid, 'rb') as f:
            for line in f:
                if line.startswith(b'Pss:'):
                    pss = int(line.split()[1])
        return int(fields[b'VmRSS'].split()[0]), int(fields[b'VmHWM'].split()[0]), pss
    except (OSError, KeyError, ValueError, IndexError):
        return None             # gone, or a zombie (no memory left to report)


def _poll_tree(pid, peaks, stop):
    """Record the peak tree-sum RSS and single-process high-water mark until stopped."""
    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    while not stop.is_set():
        try:
            pids = [pid] + [child.pid for child in root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        total = pss = 0
        for status in filter(None, map(_status_kib, pids)):
            total += status[0] * 1024
            pss += status[2] * 1024
            peaks['proc'] = max(peaks['proc'], status[1] * 1024)
        peaks['tree'] = max(peaks['tree'], total)
        peaks['pss'] = max(peaks['pss'], pss)
        peaks['procs'] = max(peaks['procs'], len(pids))
        stop.wait(POLL_S)


def clean_env():
    """os.environ without PYTHONUNBUFFERED and PYTHONDONTWRITEBYTECODE.

    Some shells (this VM's) set both; a user's shell or cron does not.  The first turns
    every print of a line-by-line script into a write() system call, the second makes
    Python recompile what it imports in every process.
    """
    env = dict(os.environ)
    for name in ('PYTHONUNBUFFERED', 'PYTHONDONTWRITEBYTECODE'):
        env.pop(name, None)
    return env


def measure(argv, stdin=None, stdout=None, cwd=None, env=None, stderr=None, poll=True):
    """Run argv to completion and return a Sample; raise if it fails.

    wait4() is called directly (not Popen.wait) because it is the only way to get
    the child's own rusage rather than the sum over every child this script has
    ever reaped.  The environment is :func:`clean_env` unless ``env`` is given.
    ``poll=False``: no memory polling (peaks 0).  Polling is not free: reading every
    process's smaps_rollup every 20 ms walks its page tables and stalls its page faults,
    measured here at +0.3-0.8 s on a 2.5 s `streamkit run` (more processes, more cost),
    so timed runs go unpolled and the peaks come from a run of their own.
    """
    env = clean_env() if env is None else dict(env)
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=stdin, stdout=stdout, stderr=stderr, cwd=cwd, env=env)
    peaks, stop = {'tree': 0, 'proc': 0, 'procs': 0, 'pss': 0}, threading.Event()
    poller = threading.Thread(target=_poll_tree, args=(proc.pid, peaks, stop), daemon=True)
    if poll:
        poller.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stop.set()
    if poll:
        poller.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError('%s exited with %d' % (argv, proc.returncode))
    return Sample(wall=wall, cpu=usage.ru_utime + usage.ru_stime,
                  tree_rss=max(peaks['tree'], peaks['proc']), proc_rss=peaks['proc'],
                  procs=peaks['procs'], tree_pss=peaks['pss'])


def summarize(samples, polled=()):
    """Median wall and CPU of ``samples`` (robust to one noisy run), worst-case peaks of
    them and of the ``polled`` runs (targets are ceilings)."""
    every = list(samples) + list(polled)
    return Sample(wall=statistics.median(s.wall for s in samples),
                  cpu=statistics.median(s.cpu for s in samples),
                  tree_rss=max(s.tree_rss for s in every),
                  proc_rss=max(s.proc_rss for s in every),
                  procs=max(s.procs for s in every),
                  tree_pss=max(s.tree_pss for s in every))


def warm_cache(path):
    """Read a file once so that the first timed command does not pay for the disk."""
    with open(path, 'rb') as f:
        while f.read(1 << 24):
            pass


def machine():
    """Facts that make a results file interpretable later on other hardware."""
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(line.split(':', 1)[1].strip() for line in f if line.startswith('model name'))
    except (OSError, StopIteration):
        pass
    sort_version = subprocess.run(['sort', '--version'], capture_output=True, text=True).stdout
    return {
        'date': datetime.date.today().isoformat(),
        'host': socket.gethostname().split('.')[0],
        'cpu': cpu,
        'cores': os.cpu_count(),
        'memory': '%.1f GiB' % (psutil.virtual_memory().total / (1 << 30)),
        'python': platform.python_version(),
        'sort': sort_version.splitlines()[0] if sort_version else 'unknown',
        'load': '%.2f %.2f %.2f' % os.getloadavg(),
    }


def markdown_table(header, rows):
    """A GitHub-flavoured markdown table; columns of numbers (or '-') right-aligned."""
    def numeric(cell):
        return re.fullmatch(r'-|[-+]?[\d.,]+(×| MiB| s)?', cell) is not None
    align = ['---:' if rows and all(numeric(row[i]) for row in rows) else '---'
             for i in range(len(header))]
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '|'.join(align) + '|']
    return '\n'.join(lines + ['| ' + ' | '.join(row) + ' |' for row in rows])


def mib(nbytes):
    return '%.0f MiB' % (nbytes / MIB)


def write_results(name, title, facts, sections):
    """Write title, machine facts and sections to bench/results/<date>-<host>-<name>.md."""
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, '%s-%s-%s.md' % (facts['date'], facts['host'], name))
    body = ['# %s' % title, '',
            *['- %s: %s' % (k, v) for k, v in facts.items()], '', *sections]
    with open(path, 'w') as f:
        f.write('\n'.join(body).rstrip() + '\n')
    return path


def require(tool):
    """Fail early with a clear message instead of a traceback in the middle of a run."""
    if not (os.path.isfile(tool) or shutil.which(tool)):
        sys.exit('bench: %s not found (run `make setup` first?)' % tool)
