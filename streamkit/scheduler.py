"""Run task attempts in forked worker processes: at most N at once, retried, killable.

Each attempt runs in its own process group (so one ``killpg`` stops it and every script
it started, and the pgids of those scripts are recorded too), asks to die with the
driver, and reports back through a small JSON file.  A failed attempt is retried up to
the task's limit; the last failure stops everything and names the task.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import shutil
import signal
import traceback
from collections import deque
from multiprocessing.connection import wait
from typing import TYPE_CHECKING, Callable

from streamkit.errors import JobFailed, StreamkitError
from streamkit.private import create_private_file, log_dir
from streamkit.task import TaskError, default_signals, die_with_parent

if TYPE_CHECKING:
    from streamkit.job import Attempt

_FORK = multiprocessing.get_context("fork")


def _child(fn: Callable, args: tuple, result_path: str) -> None:
    """Worker process body: own process group, default signals, result as JSON."""
    try:
        os.setpgid(0, 0)
    except OSError:
        pass
    die_with_parent()
    default_signals()
    code = 0
    profile_dir = os.environ.get("STREAMKIT_PROFILE")  # dev aid: cProfile every attempt
    try:
        if profile_dir:
            import cProfile

            profiler = cProfile.Profile()
            result = profiler.runcall(fn, *args)
            profiler.dump_stats(os.path.join(profile_dir, os.path.basename(result_path) + ".prof"))
        else:
            result = fn(*args)
    except (TaskError, StreamkitError) as exc:
        result, code = {"error": str(exc)}, 1
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        result, code = {"error": f"{exc.strerror or exc}{where}"}, 1
    except BaseException as exc:  # a bug: keep the traceback in the task log
        result, code = {"error": f"internal error {type(exc).__name__}: {exc}",
                        "traceback": traceback.format_exc()}, 1
    result["peak_rss"] = peak_rss()
    try:
        with open(result_path, "w") as f:
            json.dump(result, f)
    finally:
        os._exit(code)


def peak_rss() -> int:
    """This process's high-water RSS in bytes: what ``--memory`` bounds.

    The kernel's VmHWM where there is one; ``ru_maxrss`` would also count the memory of
    whatever process exec'd us (Linux folds the pre-exec high-water mark into it).
    """
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


class Scheduler:
    """Run task attempts in at most ``workers`` processes; retry; stop everything on failure."""

    def __init__(self, workers: int, on_progress: Callable[[str, int, int], None] | None = None):
        self.workers = max(1, workers)
        self.running: dict = {}
        self.on_progress = on_progress or (lambda phase, done, total: None)

    def run(self, tasks: list, make_attempt: Callable[[int, int], Attempt], body: Callable,
            max_attempts: int) -> list[dict]:
        results: list[dict | None] = [None] * len(tasks)
        pending = deque((i, 0) for i in range(len(tasks)))
        done = 0
        while pending or self.running:
            while pending and len(self.running) < self.workers:
                index, n = pending.popleft()
                attempt = make_attempt(index, n)
                self._start(attempt, body, tasks[index])
            ready = wait(list(self.running), timeout=1.0)
            for sentinel in ready:
                attempt, proc = self.running.pop(sentinel)
                proc.join()
                _kill_groups(attempt, proc.pid)  # leftovers of a finished attempt
                result = _read_result(attempt)
                if proc.exitcode == 0 and "error" not in result:
                    results[attempt.index] = result
                    done += 1
                    self.on_progress("map" if attempt.kind == "m" else "reduce", done, len(tasks))
                    continue
                reason = result.get("error") or _exit_reason(proc.exitcode)
                if attempt.attempt + 1 < max_attempts:
                    pending.append((attempt.index, attempt.attempt + 1))
                    continue
                self.kill_all()
                raise JobFailed(f"{attempt.describe(len(tasks))} failed after "
                                f"{attempt.attempt + 1} attempt(s): {reason}; log: {_keep_log(attempt)}")
        return results  # type: ignore[return-value]

    def _start(self, attempt: Attempt, body: Callable, arg) -> None:
        attempt.prepare()
        proc = _FORK.Process(target=_child, args=(body, (attempt, *arg), attempt.result_path),
                             daemon=False)
        proc.start()
        try:
            os.setpgid(proc.pid, proc.pid)
        except OSError:
            pass
        self.running[proc.sentinel] = (attempt, proc)

    def kill_all(self) -> None:
        """SIGKILL every worker's process group (the scripts it started included)."""
        for attempt, proc in list(self.running.values()):
            _kill_groups(attempt, proc.pid)
        for attempt, proc in list(self.running.values()):
            proc.join()
            _kill_groups(attempt, proc.pid)  # scripts started while we were killing
        self.running.clear()


def _kill_groups(attempt: Attempt, worker_pid: int) -> None:
    """SIGKILL a worker's process group and the group of every command it started."""
    groups = [worker_pid]
    try:
        with open(attempt.pgid_path) as f:
            groups += [int(line) for line in f if line.strip()]
    except (OSError, ValueError):
        pass
    for pgid in groups:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except OSError:
            pass


def _keep_log(attempt: Attempt) -> str:
    """Copy a failed attempt's stderr log out of the job's temporary directory.

    It goes to the user's private log directory (:func:`streamkit.private.log_dir`) as a
    new ``0600`` file: a task's stderr can hold secrets, and a shared directory would let
    another user read it or plant a link where it is written.
    """
    try:
        fd, kept = create_private_file(attempt.job.log_dir or log_dir(),
                                       f"{attempt.name}.stderr.log")
        with open(fd, "wb") as out:
            for path in sorted(p for p in os.listdir(attempt.cwd) if p.startswith("stderr.log")):
                with open(os.path.join(attempt.cwd, path), "rb") as f:
                    shutil.copyfileobj(f, out)
            result = _read_result(attempt)
            if "traceback" in result:
                out.write(result["traceback"].encode())
    except (OSError, StreamkitError):
        return attempt.log_path
    return kept


def _read_result(attempt: Attempt) -> dict:
    try:
        with open(attempt.result_path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def _exit_reason(code: int | None) -> str:
    if code is not None and code < 0:
        return f"worker killed by signal {signal.Signals(-code).name}"
    return f"worker exited with code {code}"
