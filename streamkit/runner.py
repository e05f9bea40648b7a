"""``run_job(spec)``: map → shuffle → reduce on local cores, committed like Hadoop.

The driver plans splits, hands every task attempt to the :class:`Scheduler` (forked
workers, retries), checks that no record was lost, and commits the output directory.
It never touches records itself.
"""

from __future__ import annotations

import dataclasses
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable

from streamkit import keycompare, keyhash
from streamkit.commit import OutputCommitter, mark_owner, stale_workdirs
from streamkit.conf import JobConf
from streamkit.errors import JobFailed
from streamkit.extsort import Order
from streamkit.inputs import Split, expand_inputs, plan_splits
from streamkit.partition import cached, hash_partition
from streamkit.scheduler import Scheduler, peak_rss
from streamkit.spec import JobSpec
from streamkit.task import Counters, link_files

FRAMEWORK = "Map-Reduce Framework"


class Job:
    """Job-wide settings every task attempt reads (inherited by the forked workers)."""

    def __init__(self, spec: JobSpec, workdir: str):
        self.spec, self.workdir = spec, workdir
        stamp = int(time.time() * 1000) % 10**9
        self.id = f"local{stamp}{random.randrange(1000):03d}_0001"
        self.seed = spec.seed if spec.seed is not None else random.randrange(1 << 30)
        self.fan_in = max(2, spec.conf.get_int("mapreduce.task.io.sort.factor", 64))
        self.num_maps = 0

    def order(self) -> Order:
        spec = self.spec
        options = spec.comparator_options
        comparator = keycompare.comparator_key(options, spec.key_field_sep) if options else None
        nfields = 1 << 30 if spec.map_output_keyonly else spec.map_key_fields  # keyonly: all key
        return Order(spec.map_output_sep, nfields, comparator)

    def part_of(self) -> Callable[[bytes], int]:
        spec = self.spec
        if spec.num_reducers == 1:
            return lambda key: 0
        if spec.partitioner == "keyfield":
            return cached(keyhash.partitioner(spec.partitioner_options or None,
                                              spec.key_field_sep), spec.num_reducers)
        return cached(hash_partition, spec.num_reducers)

    def environment(self) -> dict[str, str]:
        spec = self.spec
        conf = JobConf(spec.conf)
        conf.setdefault("mapreduce.job.id", f"job_{self.id}")
        conf["mapreduce.job.maps"] = str(self.num_maps)
        conf.setdefault("mapreduce.job.name", "streamkit")
        conf.setdefault("mapreduce.job.user.name", os.environ.get("USER", "streamkit"))
        conf["mapreduce.output.fileoutputformat.outputdir"] = spec.output
        for name, value in (("stream.map.streamprocessor", spec.mapper),
                            ("stream.reduce.streamprocessor", spec.reducer),
                            ("stream.combine.streamprocessor", spec.combiner)):
            if value:
                conf[name] = value
        env = dict(os.environ)
        env.update(conf.environment())
        return env


@dataclass
class Attempt:
    """One attempt of one task: where it runs and what it sees."""

    job: Job
    kind: str          # "m" or "r"
    index: int
    attempt: int
    output_path: str
    split: Split | None = None
    env: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"attempt_{self.job.id}_{self.kind}_{self.index:06d}_{self.attempt}"

    @property
    def cwd(self) -> str:
        return os.path.join(self.job.workdir, self.name)

    @property
    def log_path(self) -> str:
        return os.path.join(self.cwd, "stderr.log")

    @property
    def pgid_path(self) -> str:
        return os.path.join(self.job.workdir, self.name + ".pgids")

    @property
    def result_path(self) -> str:
        return os.path.join(self.job.workdir, self.name + ".json")

    def describe(self, total: int) -> str:
        what = "map" if self.kind == "m" else "reduce"
        text = f"{what} task {self.index + 1} of {total}"
        if self.split is not None:
            end = "end" if self.split.length < 0 else self.split.start + self.split.length
            text += f" (input {self.split.file.uri} bytes {self.split.start}-{end})"
        return text

    def prepare(self) -> None:
        """Make the cwd with its ``-file`` links and tmp dir; build the environment."""
        spec = self.job.spec
        tmp = os.path.join(self.cwd, "tmp")
        os.makedirs(tmp, exist_ok=True)
        link_files(spec.files, self.cwd)
        task_id = f"task_{self.job.id}_{self.kind}_{self.index:06d}"
        values = {
            "mapreduce.task.id": task_id, "mapreduce.task.attempt.id": self.name,
            "mapreduce.task.partition": str(self.index),
            "mapreduce.task.ismap": "true" if self.kind == "m" else "false",
            "mapreduce.task.output.dir": os.path.dirname(self.output_path),
        }
        if self.split is not None:
            length = self.split.length if self.split.length >= 0 else (self.split.file.size or 0)
            values.update({"mapreduce.map.input.file": self.split.file.file_uri,
                           "mapreduce.map.input.start": str(self.split.start),
                           "mapreduce.map.input.length": str(length)})
        env = dict(self.job.base_env)
        env.update(JobConf(values).environment())
        env.update(dict(spec.cmdenv))
        env["TMPDIR"] = tmp
        env["PWD"] = self.cwd
        self.env = env

    def new_tmp_path(self) -> str:
        self._tmp_count = getattr(self, "_tmp_count", 0) + 1
        return os.path.join(self.cwd, f"merge{self._tmp_count}.out")


@dataclass
class JobReport:
    """What a finished job reports: its counters, timings and partition sizes."""

    job_id: str
    output: str
    counters: Counters
    phases: dict
    partition_records: list[int]
    num_maps: int
    warnings: list[str] = field(default_factory=list)
    #: Peak RSS in bytes: ``driver`` (this process), ``map``/``reduce`` (each task's
    #: successful attempt, in task order).  What ``--memory`` is meant to bound.
    peak_rss: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"job_id": self.job_id, "output": self.output, "num_maps": self.num_maps,
                "counters": {f"{g}.{n}": v for (g, n), v in sorted(self.counters.items())},
                "phases": self.phases, "partition_records": self.partition_records,
                "peak_rss": self.peak_rss, "warnings": self.warnings}


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
    files = expand_inputs(list(spec.inputs))
    to_stdout = spec.output == "-"
    warnings = _stale_temporaries(spec)
    workdir = os.path.abspath(tempfile.mkdtemp(prefix="streamkit-", dir=spec.tmpdir))
    mark_owner(workdir)
    committer = OutputCommitter(os.path.join(workdir, "output") if to_stdout else spec.output,
                                spec.clean_stale)
    scheduler = Scheduler(spec.workers, on_progress)
    try:
        committer.setup()
        report = _run(spec, files, workdir, committer, scheduler)
        report.warnings = warnings
        if to_stdout:
            _cat_parts(committer.output, stdout or sys.stdout.buffer)
        report.peak_rss["driver"] = peak_rss()
        return report
    except BaseException:
        scheduler.kill_all()
        committer.abort()
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def biggest_first(splits: list[Split]) -> list[Split]:
    """Number map tasks as Hadoop's JobSubmitter does: splits sorted by length, largest
    first (a stable sort), so map task i — and a map-only job's ``part-0000i`` — is the
    i-th largest split, not the i-th in input order."""
    def length(split: Split) -> int:
        return split.length if split.length >= 0 else (split.file.size or 0)

    ordered = sorted(splits, key=length, reverse=True)
    return [dataclasses.replace(split, index=i) for i, split in enumerate(ordered)]


def _stale_temporaries(spec: JobSpec) -> list[str]:
    """Find (or, with --clean-stale, remove) temp dirs of runs that were SIGKILLed."""
    stale = stale_workdirs(spec.tmpdir or tempfile.gettempdir())
    if spec.clean_stale:
        for path in stale:
            shutil.rmtree(path, ignore_errors=True)
        return [f"removed stale temporary directory {p}" for p in stale]
    return [f"stale temporary directory {p} from a killed run; remove it or rerun with "
            "--clean-stale" for p in stale]


def _run(spec: JobSpec, files, workdir: str, committer: OutputCommitter,
         scheduler: Scheduler) -> JobReport:
    from streamkit import worker

    job = Job(spec, workdir)
    conf = spec.conf
    splits = biggest_first(plan_splits(
        files, max(2, 2 * spec.workers),
        conf.get_int("mapreduce.input.fileinputformat.split.minsize", 1 << 20),
        conf.get_int("mapreduce.input.fileinputformat.split.maxsize", 0) or None))
    job.num_maps = len(splits)
    job.base_env = job.environment()
    suffix = spec.output_suffix
    phases = {}

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
    if spec.num_reducers == 0:
        parts = [r["output"] for r in map_results if r.get("output")]
    else:
        spills = [spill for r in map_results for spill in r["spills"]]
        by_line = all(s["by_line"] for s in spills)
        reduce_args = []
        for p in range(spec.num_reducers):
            segments = [(s["path"], *s["segments"][p][:2]) for s in spills if s["segments"][p][1]]
            partition_records.append(sum(s["segments"][p][2] for s in spills))
            reduce_args.append((segments, by_line))

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
        _check_balance(counters, spec)
    committer.commit(parts)
    peak_rss = {"map": [r.get("peak_rss", 0) for r in map_results]}
    if spec.num_reducers:
        peak_rss["reduce"] = [r.get("peak_rss", 0) for r in reduce_results]
    return JobReport(f"job_{job.id}", spec.output, counters, phases, partition_records,
                     job.num_maps, peak_rss=peak_rss)


def _check_balance(counters: Counters, spec: JobSpec) -> None:
    """Nothing lost: every record the maps emitted (or the combiners kept) reached a reducer."""
    def get(name: str) -> int:
        return counters.get((FRAMEWORK, name), 0)

    sent = get("Combine output records") if spec.combiner else get("Map output records")
    if spec.combiner and get("Combine input records") != get("Map output records"):
        raise JobFailed(f"record count mismatch: maps emitted {get('Map output records')} records "
                        f"but combiners read {get('Combine input records')}; this is a streamkit bug, please report it")
    if get("Reduce input records") != sent:
        raise JobFailed(f"record count mismatch: {sent} records were shuffled but reducers read "
                        f"{get('Reduce input records')}; this is a streamkit bug, please report it")


def _cat_parts(output: str, out) -> None:
    from streamkit.inputs import open_input

    for name in sorted(os.listdir(output)):
        if name.startswith("part-"):
            with open_input(os.path.join(output, name)) as f:
                shutil.copyfileobj(f, out, 1 << 20)
    out.flush()
