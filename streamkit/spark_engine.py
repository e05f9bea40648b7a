"""``streamkit spark``: the same Hadoop Streaming job on Apache Spark, byte for byte.

Spark schedules, retries and shuffles; every Hadoop semantic stays streamkit's own, the
same code ``streamkit run`` uses (engines notes B1–B5 say why Spark's text paths can't):

* the driver plans the splits (``planning.job_splits``); one Spark partition per split,
  read on the executor by ``inputs.read_split`` — never ``textFile`` (lossy);
* a map task is ``worker.run_map``: the mapper through streamkit's command runner (never
  ``RDD.pipe``), then Hadoop's partition/sort/spill; its sorted segments cross Spark's
  shuffle as ``(partition, chunk)`` pairs, as Hadoop ships map output segments;
* a reduce task writes its chunks back into segment files and is ``worker.run_reduce``:
  merge, reducer, TextOutputFormat — on every partition, empty ones included;
* tasks write part files under ``OUT/_temporary``; the driver commits them (``commit``),
  so output must be a filesystem the driver and executors share (local, NFS);
* counters travel per task — reduce tasks return theirs, map tasks put theirs in a
  replace-per-task accumulator — so a retried or recomputed task never counts twice.
"""

from __future__ import annotations

import atexit
import dataclasses
import functools
import os
import re
import shutil
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass

from streamkit.commit import OutputCommitter
from streamkit.errors import JobFailed, StreamkitError, UsageError, disk_errors
from streamkit.inputs import Split, expand_inputs
from streamkit.job import Attempt, Job, JobReport, cat_parts, check_balance
from streamkit.planning import job_splits, sample_split_points
from streamkit.scheduler import Scheduler
from streamkit.spec import JobSpec
from streamkit.task import Counters, TaskError

CHUNK = 4 << 20  # bytes of map output per shuffled record: few, large pickles
_FAILED = "StreamkitTaskFailed"
_LOCAL = re.compile(r"local(?:\[(\*|\d+)\])?")
#: streamkit run's own options that mean nothing on a cluster, and what to use instead.
LOCAL_ONLY = {
    "jobs": "--jobs is streamkit run's option; give Spark cores with --master local[N] "
            "or --conf spark.executor.cores=N",
    "tmpdir": "--tmpdir is streamkit run's option; give Spark scratch space with "
              "--conf spark.local.dir=DIR",
    "clean_stale": "--clean-stale is streamkit run's option; remove the old output yourself",
}
_QUIET_LOG4J = """\
rootLogger.level = {level}
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{{HH:mm:ss}} %p %c{{1}}: %m%n
"""


class StreamkitTaskFailed(Exception):
    """Raised in an executor; its one-line message is found again in Spark's error text."""


@dataclass(frozen=True)
class SparkOptions:
    master: str = "local[*]"
    conf: tuple[tuple[str, str], ...] = ()
    verbose: bool = False


def split_spark_args(argv: list[str]) -> tuple[SparkOptions, list[str]]:
    """Take ``--master URL`` and ``--conf k=v`` out of a ``streamkit run`` argv."""
    from streamkit.hadoop_args import takes_value

    master, conf, rest, i = "local[*]", [], [], 0
    while i < len(argv):
        arg = argv[i]
        name, eq, inline = arg.partition("=")
        if name in ("--master", "--conf"):
            if not eq:
                if i + 1 >= len(argv):
                    raise UsageError(f"{name} needs a value")
                i += 1
                inline = argv[i]
            if name == "--master":
                master = inline
            else:
                key, eq, value = inline.partition("=")
                if not eq or not key:
                    raise UsageError(f"--conf {inline}: expected key=value, e.g. spark.executor.memory=2g")
                conf.append((key, value))
        else:
            rest.append(arg)
            if takes_value(arg) and i + 1 < len(argv):
                i += 1
                rest.append(argv[i])
        i += 1
    return SparkOptions(master, tuple(conf), "-verbose" in rest), rest


def check_spec(spec: JobSpec) -> None:
    """Refuse what a Spark run cannot honour, by name, before Spark starts."""
    defaults = JobSpec(inputs=(), output="")
    for name, message in LOCAL_ONLY.items():
        if getattr(spec, name) != getattr(defaults, name):
            raise UsageError(message)
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", spec.output) and not spec.output.startswith("file:"):
        raise UsageError(f"-output {spec.output}: streamkit spark commits part files on a filesystem "
                         "the driver and executors share (a local path or a mount); write there "
                         "and copy the directory to its destination")


def start_context(spec: JobSpec, options: SparkOptions, log_path: str | None = None):
    """A SparkContext for ``spec``: retries as Hadoop's attempts, quiet, loopback-only locally.

    The JVM's stderr goes to ``log_path`` (Spark's start-up chatter would drown streamkit's
    one-line errors), unless ``options.verbose``.
    """
    try:
        from pyspark import SparkConf, SparkContext
    except ImportError:
        raise UsageError("streamkit spark needs pyspark: pip install 'streamkit[spark]' "
                         "(pyspark 4 needs Python >= 3.11 and Java 17)") from None
    attempts = max(spec.map_attempts, spec.reduce_attempts)
    master = options.master
    local = _LOCAL.fullmatch(master)
    if local:  # local mode ignores spark.task.maxFailures; the master URL carries it
        master = f"local[{local.group(1) or 1},{attempts}]"
    folder = tempfile.mkdtemp(prefix="streamkit-spark-")  # read once, as the JVM starts
    props = os.path.join(folder, "log4j2.properties")
    with open(props, "w") as f:
        f.write(_QUIET_LOG4J.format(level="warn" if options.verbose else "error"))
    conf = SparkConf().setMaster(master).setAppName(spec.conf.get("mapreduce.job.name", "streamkit"))
    for key, value in (("spark.ui.enabled", "false"), ("spark.ui.showConsoleProgress", "false"),
                       ("spark.task.maxFailures", str(attempts)),
                       ("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{props}")):
        conf.set(key, value)
    if local:  # nothing listens beyond loopback; tasks run the driver's Python (its packages)
        conf.set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # pyspark reads only this
    for key, value in options.conf:
        conf.set(key, value)
    quiet = log_path is not None and not options.verbose
    saved = os.dup(2) if quiet else -1
    try:
        if quiet:
            log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.dup2(log, 2)  # the JVM inherits this for good; Python's stderr comes back
            os.close(log)
        return _context(SparkContext, conf, log_path)
    finally:
        if quiet:
            os.dup2(saved, 2)
            os.close(saved)
        shutil.rmtree(folder, ignore_errors=True)


def _context(factory, conf, log_path: str | None):
    try:
        return factory(conf=conf)
    except Exception as exc:  # no Java, a bad master URL or --conf
        tail = ""
        if log_path and os.path.exists(log_path):
            with open(log_path, "rb") as f:
                lines = [l.strip() for l in f.read()[-4000:].decode("utf-8", "replace").splitlines() if l.strip()]
            tail = f"; Spark said: {lines[-1]}" if lines else ""
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise JobFailed(f"could not start Spark: {first}{tail}; check --master, --conf and that "
                        "Java 17 is installed (JAVA_HOME)") from None


def run_spark_job(spec: JobSpec, options: SparkOptions = SparkOptions(), sc=None,
                  stdout=None) -> JobReport:
    """Run ``spec`` on Spark (``sc``, or a context started from ``options``); like ``run_job``."""
    spec.validate()
    check_spec(spec)
    files = expand_inputs(list(spec.inputs))
    to_stdout = spec.output == "-"
    workdir = os.path.abspath(tempfile.mkdtemp(prefix="streamkit-spark-", dir=spec.tmpdir))
    committer = OutputCommitter(os.path.join(workdir, "output") if to_stdout else spec.output)
    own = sc is None
    try:
        committer.setup()
        if own:
            sc = start_context(spec, options, os.path.join(workdir, "spark.log"))
        report = _run(sc, spec, files, workdir, committer)
        if to_stdout:
            cat_parts(committer.output, stdout or sys.stdout.buffer)
        return report
    except BaseException:
        committer.abort()
        raise
    finally:
        if own and sc is not None:
            sc.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@dataclass
class _Plan:
    """What every executor task needs; pickled into the task closures."""

    job: Job
    inputs: list          # the job's InputFiles (their count is in the task environment)
    splits: list[Split]
    shipped: str | None                     # the directory of -files given to sc.addFile
    temporary: str                          # OUT/_temporary/0
    suffix: str

    def executor_job(self) -> Job:
        """This task's copy of the job: a private local workdir, shipped files, local env."""
        from pyspark import SparkFiles

        job = _copy(self.job)
        job.workdir = tempfile.mkdtemp(prefix="streamkit-spark-task-")
        if self.shipped:
            folder = SparkFiles.get(self.shipped)
            links = dict.fromkeys(link for _, link in job.spec.files)  # in -file order
            files = tuple((os.path.join(folder, link), link) for link in links)
            job.spec = dataclasses.replace(job.spec, files=files)
        job.base_env = job.environment(self.inputs)
        return job

    def attempt(self, job: Job, kind: str, index: int) -> Attempt:
        from pyspark import TaskContext

        number = TaskContext.get().attemptNumber()
        name = f"attempt_{job.id}_{kind}_{index:06d}_{number}"
        path = os.path.join(self.temporary, name, f"part-{index:05d}{self.suffix}")
        split = self.splits[index] if kind == "m" else None
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return Attempt(job, kind, index, number, path, split=split)


def _copy(job: Job) -> Job:
    new = Job.__new__(Job)
    new.__dict__.update(job.__dict__)
    return new


def _run(sc, spec: JobSpec, files, workdir: str, committer: OutputCommitter) -> JobReport:
    job = Job(spec, workdir)
    splits = job_splits(spec, files, sc.defaultParallelism)
    job.num_maps = len(splits)
    phases = {}
    if spec.total_order and spec.num_reducers > 1:
        # The key sample is small: its map tasks run here, in forked local workers.
        started = time.monotonic()
        job.base_env = job.environment(files)
        job.split_points, phases["sample"] = sample_split_points(
            job, splits, Scheduler(os.cpu_count() or 1).run)
        phases["sample"]["wall_s"] = round(time.monotonic() - started, 3)
        del job.base_env  # executors build their own
    plan = _Plan(job, files, splits, _ship(sc, spec, job), committer.temporary, spec.output_suffix)
    counters = Counters()
    started = time.monotonic()
    map_counters = sc.accumulator({}, _PerTask())
    maps = sc.parallelize(range(len(splits)), max(1, len(splits))).mapPartitionsWithIndex(
        functools.partial(_map_partition, plan, map_counters))
    map_stats: dict = {}
    if spec.num_reducers == 0:
        results = _collect(maps, spec, len(splits))
        map_stats = {index: stats for index, _, _, stats in results}
    else:
        reduces = maps.partitionBy(spec.num_reducers, _same).mapPartitionsWithIndex(
            functools.partial(_reduce_partition, plan))
        results = _collect(reduces, spec, len(splits))
        for index, (value, stats) in map_counters.value.items():
            counters.merge(value)
            map_stats[index] = stats
    for _, _, value, _ in results:
        counters.merge(value)
    phases["spark"] = {"wall_s": round(time.monotonic() - started, 3), "tasks": len(splits)}
    parts = [path for _, path, _, _ in sorted(results, key=lambda r: r[0]) if path]
    partition_records = [0] * spec.num_reducers
    if spec.num_reducers:
        if len(map_counters.value) != len(splits):
            raise JobFailed(f"counters of {len(splits) - len(map_counters.value)} map task(s) "
                            "never reached the driver; this is a streamkit bug, please report it")
        check_balance(counters, spec)
    committer.commit(parts)
    for index, _, value, _ in results:
        if spec.num_reducers:
            partition_records[index] = _pairs(value).get(("Map-Reduce Framework", "Reduce input records"), 0)
    report = JobReport(f"job_{job.id}", spec.output, counters, phases, partition_records, len(splits))
    reduce_stats = sorted((index, stats) for index, _, _, stats in results) if spec.num_reducers else []
    report.add_task_figures(splits, [{"stats": map_stats.get(i, {})} for i in range(len(splits))],
                            [{"stats": stats} for _, stats in reduce_stats])
    if spec.sample < 1 or spec.shuffle_values or spec.total_order:
        report.seed = job.seed
    return report


def _pairs(value):
    return {tuple(k): v for k, v in value}


def _same(partition: int) -> int:
    return partition


def _ship(sc, spec: JobSpec, job: Job) -> str | None:
    """``-file``s through Spark's file distribution, and streamkit itself as a zip.

    The files travel as one directory holding them under their link names, so a script
    and the module beside it (``stream.py``) stay side by side once Python resolves the
    task directory's links; the directory is named after the job, because Spark keys
    shipped files by name for the context's whole life.  Returns that name.
    """
    if getattr(sc, "_streamkit_zip", None) is None:
        # One zip per context: workers keep importing from it after this job ends.
        folder = tempfile.mkdtemp(prefix="streamkit-spark-zip-")
        atexit.register(shutil.rmtree, folder, True)
        sc._streamkit_zip = _package_zip(folder)
        sc.addPyFile(sc._streamkit_zip)
    if not spec.files:
        return None
    name = f"{job.id}-files"
    staging = os.path.join(job.workdir, name)
    os.makedirs(staging)
    for source, link in spec.files:
        if not os.path.isfile(source):
            raise JobFailed(f"-file {source}: no such file; ship an existing file")
        staged = os.path.join(staging, link)
        if os.path.lexists(staged):
            continue  # the first file of a name wins, as link_files does
        try:
            os.link(source, staged)
        except OSError:
            shutil.copy2(source, staged)
    sc.addFile(staging, recursive=True)
    return name


def _package_zip(folder: str) -> str:
    """streamkit as a zip for ``addPyFile``: executors need only Python and pyspark."""
    package = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(folder, "streamkit.zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(os.listdir(package)):
            if name.endswith(".py"):
                z.write(os.path.join(package, name), f"streamkit/{name}")
    return path


class _PerTask:
    """Accumulator of ``{task: counters}``: a retried or recomputed task replaces its
    entry instead of adding to it (engines notes B5)."""

    def zero(self, value):
        return {}

    def addInPlace(self, value1, value2):
        value1.update(value2)
        return value1


def _collect(rdd, spec: JobSpec, num_maps: int) -> list:
    """``collect()``, with a failed task's one-line reason dug out of Spark's error text."""
    try:
        return rdd.collect()
    except Exception as exc:
        text = str(exc)
        found = re.findall(_FAILED + r": (.*)\t(.*)", text)
        attempts = max(spec.map_attempts, spec.reduce_attempts)
        if found:
            task, reason = found[-1]
            raise JobFailed(f"{task} failed after {attempts} attempt(s) on Spark: {reason.strip()}") from None
        if isinstance(exc, StreamkitError):
            raise
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        raise JobFailed(f"Spark failed the job: {lines[0] if lines else type(exc).__name__}"[:2000]) from None


def _run_task(attempt: Attempt, total: int, body, *args) -> dict:
    """Run a worker body; any failure becomes one line naming the task."""
    try:
        attempt.prepare()
        return body(attempt, *args)
    except (TaskError, StreamkitError) as exc:
        reason = str(exc)
    except OSError as exc:
        reason = f"{exc.strerror or exc}" + (f" ({exc.filename})" if exc.filename else "")
    raise StreamkitTaskFailed(f"{attempt.describe(total)}\t{reason}")


def _map_partition(plan: _Plan, map_counters, index: int, _items):
    """Executor: one map task; yields its sorted segments as ``(partition, chunk)``."""
    from streamkit.worker import run_map

    job = plan.executor_job()
    try:
        attempt = plan.attempt(job, "m", index)
        result = _run_task(attempt, len(plan.splits), run_map)
        if job.spec.num_reducers == 0:
            yield index, result.get("output"), result["counters"], result.get("stats", {})
            return
        map_counters.add({index: (result["counters"], result.get("stats", {}))})
        for number, spill in enumerate(result["spills"]):
            with open(spill["path"], "rb") as f:
                for part, (offset, size, _records) in enumerate(spill["segments"]):
                    f.seek(offset)
                    done = 0
                    while done < size:
                        data = f.read(min(CHUNK, size - done))
                        yield part, (index, number, done, size,
                                     (spill["by_line"], spill["counted"], _records), data)
                        done += len(data)
    finally:
        shutil.rmtree(job.workdir, ignore_errors=True)


def _reduce_partition(plan: _Plan, index: int, chunks):
    """Executor: one reduce task; its map segments rebuilt from chunks, then ``run_reduce``."""
    from streamkit.worker import mostly_counted, run_reduce

    job = plan.executor_job()
    runs: dict[tuple[int, int], list] = {}  # (map, spill) -> [path, fd, size, received, kind]
    try:
        attempt = plan.attempt(job, "r", index)
        for _, (map_index, number, offset, size, kind, data) in chunks:
            run = runs.get((map_index, number))
            if run is None:
                path = os.path.join(job.workdir, f"map{map_index}-spill{number}.seg")
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                run = runs[(map_index, number)] = [path, fd, size, 0, kind]
            with disk_errors(run[0], len(data)):
                os.pwrite(run[1], data, offset)  # chunks may arrive in any order
            run[3] += len(data)
        segments, by_line, kinds, compact = [], True, [], []
        for key in sorted(runs):
            path, fd, size, received, (run_by_line, run_counted, records) = runs[key]
            os.close(fd)
            runs[key][1] = -1
            if received != size:
                raise StreamkitTaskFailed(f"reduce task {index + 1} of {job.spec.num_reducers}\tgot "
                                          f"{received} of {size} bytes of map task {key[0] + 1}'s "
                                          "output; Spark lost shuffle data")
            segments.append((path, 0, size))
            by_line = by_line and run_by_line
            kinds.append((run_counted, records))
            if run_counted:  # count\tline entries (extsort.compact_bytes)
                compact.append(path)
        result = _run_task(attempt, job.spec.num_reducers, run_reduce, segments, by_line,
                           mostly_counted(kinds), compact)
        yield index, result.get("output"), result["counters"], result.get("stats", {})
    finally:
        for run in runs.values():
            if run[1] >= 0:
                os.close(run[1])
        shutil.rmtree(job.workdir, ignore_errors=True)
