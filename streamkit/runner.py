"""``run_job(spec)``: map → shuffle → reduce on local cores, committed like Hadoop.

The driver plans splits, hands every task attempt to the :class:`Scheduler` (forked
workers, retries), checks that no record was lost, and commits the output directory.
It never touches records itself.
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
import tempfile
import time
from typing import Callable

from streamkit.commit import OutputCommitter, mark_owner, stale_workdirs
from streamkit.inputs import expand_inputs
from streamkit.job import Attempt, Job, JobReport, cat_parts, check_balance
from streamkit.planning import job_splits, sample_split_points
from streamkit.private import check_temp_parent, log_dir
from streamkit.scheduler import Scheduler, peak_rss
from streamkit.spec import JobSpec
from streamkit.task import Counters

def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run_job(spec: JobSpec, stdout=None,
            on_progress: Callable[[str, int, int], None] | None = None) -> JobReport:
    """Run ``spec`` to completion; raise :class:`StreamkitError` on failure.

    With ``spec.output == "-"`` the part files are streamed, in order, to ``stdout``.
    ``on_progress(phase, done, total)`` is called as tasks finish.
    """
    spec.validate()
    tmp_parent = check_temp_parent(spec.tmpdir, "--tmpdir")
    logs = log_dir()
    files = expand_inputs(list(spec.inputs))
    to_stdout = spec.output == "-"
    warnings = _stale_temporaries(spec, tmp_parent)
    workdir = os.path.abspath(tempfile.mkdtemp(prefix="streamkit-", dir=tmp_parent))
    mark_owner(workdir)
    committer = OutputCommitter(os.path.join(workdir, "output") if to_stdout else spec.output,
                                spec.clean_stale)
    scheduler = Scheduler(spec.workers, on_progress)
    try:
        committer.setup()
        report = _run(spec, files, workdir, committer, scheduler, logs)
        report.warnings = warnings
        if to_stdout:
            cat_parts(committer.output, stdout or sys.stdout.buffer)
        report.peak_rss["driver"] = peak_rss()
        return report
    except BaseException:
        scheduler.kill_all()
        committer.abort()
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _stale_temporaries(spec: JobSpec, parent: str) -> list[str]:
    """Find (or, with --clean-stale, remove) this user's temp dirs of SIGKILLed runs."""
    stale = stale_workdirs(parent)
    if spec.clean_stale:
        for path in stale:
            shutil.rmtree(path, ignore_errors=True)
        return [f"removed stale temporary directory {p}" for p in stale]
    return [f"stale temporary directory {p} from a killed run; remove it or rerun with "
            "--clean-stale" for p in stale]


def _run(spec: JobSpec, files, workdir: str, committer: OutputCommitter,
         scheduler: Scheduler, logs: str | None = None) -> JobReport:
    from streamkit import worker

    job = Job(spec, workdir, logs)
    splits = job_splits(spec, files, spec.workers)
    job.num_maps = len(splits)
    job.base_env = job.environment(files)
    suffix = spec.output_suffix
    phases = {}
    if spec.total_order and spec.num_reducers > 1:
        t0, c0 = time.monotonic(), _cpu()
        progress, scheduler.on_progress = scheduler.on_progress, lambda *args: None
        try:
            job.split_points, phases["sample"] = sample_split_points(job, splits, scheduler.run)
        finally:
            scheduler.on_progress = progress
        phases["sample"].update(wall_s=round(time.monotonic() - t0, 3), cpu_s=round(_cpu() - c0, 3))

    def map_attempt(index: int, n: int) -> Attempt:
        return Attempt(job, "m", index, n, committer.part_path(f"part-{index:05d}{suffix}"),
                       split=splits[index])

    t0, c0 = time.monotonic(), _cpu()
    map_results = scheduler.run([()] * len(splits), map_attempt, worker.run_map, spec.map_attempts)
    phases["map"] = {"wall_s": round(time.monotonic() - t0, 3), "cpu_s": round(_cpu() - c0, 3),
                     "tasks": len(splits)}
    counters = Counters()
    for result in map_results:
        counters.merge(result["counters"])
    parts: list[str] = []
    partition_records: list[int] = []
    reduce_results: list[dict] = []
    if spec.num_reducers == 0:
        parts = [r["output"] for r in map_results if r.get("output")]
    else:
        spills = [spill for r in map_results for spill in r["spills"]]
        by_line = all(s["by_line"] for s in spills)
        reduce_args = []
        for p in range(spec.num_reducers):
            used = [s for s in spills if s["segments"][p][1]]
            segments = [(s["path"], *s["segments"][p][:2]) for s in used]
            partition_records.append(sum(s["segments"][p][2] for s in spills))
            counted = worker.mostly_counted((s["counted"], s["segments"][p][2]) for s in used)
            reduce_args.append((segments, by_line, counted, [s["path"] for s in used if s["counted"]]))

        def reduce_attempt(index: int, n: int) -> Attempt:
            return Attempt(job, "r", index, n, committer.part_path(f"part-{index:05d}{suffix}"))

        t0, c0 = time.monotonic(), _cpu()
        reduce_results = scheduler.run(reduce_args, reduce_attempt, worker.run_reduce,
                                       spec.reduce_attempts)
        phases["reduce"] = {"wall_s": round(time.monotonic() - t0, 3),
                            "cpu_s": round(_cpu() - c0, 3), "tasks": spec.num_reducers}
        for result in reduce_results:
            counters.merge(result["counters"])
        parts = [r["output"] for r in reduce_results if r.get("output")]
        check_balance(counters, spec)
    committer.commit(parts)
    peak_rss = {"map": [r.get("peak_rss", 0) for r in map_results]}
    if spec.num_reducers:
        peak_rss["reduce"] = [r.get("peak_rss", 0) for r in reduce_results]
    report = JobReport(f"job_{job.id}", spec.output, counters, phases, partition_records,
                       job.num_maps, peak_rss=peak_rss)
    report.add_task_figures(splits, map_results, reduce_results)
    report.seed = job.seed if (spec.sample < 1 or spec.shuffle_values or spec.total_order) else None
    return report

