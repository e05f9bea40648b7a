"""The job and its task attempts: what every engine hands a worker, and what it reports.

``Job`` holds the resolved spec, ids, key order and partitioner; ``Attempt`` one task
attempt's directory and environment (the whole job configuration, as Hadoop 3.5's local
mode exports it); ``JobReport`` the counters and figures of a finished job.  The local
runner and the Spark engine build the same objects, so their tasks see the same things.
"""

from __future__ import annotations

import getpass
import os
import random
import shutil
import socket
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import quote_plus

from streamkit import aggregate, keycompare, keyhash, total_order
from streamkit.conf import JobConf, env_name, expand, hadoop_defaults
from streamkit.errors import JobFailed
from streamkit.extsort import Order
from streamkit.inputs import Split
from streamkit.partition import cached, hash_partition
from streamkit.spec import IO_KEYS, JobSpec
from streamkit.task import Counters, link_files

FRAMEWORK = "Map-Reduce Framework"


class Job:
    """Job-wide settings every task attempt reads (inherited by the forked workers)."""

    def __init__(self, spec: JobSpec, workdir: str, log_dir: str | None = None):
        self.spec, self.workdir, self.log_dir = spec, workdir, log_dir
        stamp = int(time.time() * 1000) % 10**9
        self.id = f"local{stamp}{random.randrange(1000):03d}_0001"
        self.seed = spec.seed if spec.seed is not None else random.randrange(1 << 30)
        self.fan_in = spec.sort_factor
        self.num_maps = 0
        self.split_points: list[bytes] | None = None  # --total-order's, once sampled

    def order(self) -> Order:
        spec = self.spec
        options = spec.comparator_options
        comparator = keycompare.comparator_key(options, spec.key_field_sep) if options else None
        if spec.offset_keys and not options:
            comparator = int  # LongWritable keys sort as numbers
        nfields = 1 << 30 if spec.map_output_keyonly else spec.map_key_fields  # keyonly: all key
        return Order(spec.map_output_sep, nfields, comparator)

    def part_of(self) -> Callable[[bytes], int]:
        spec = self.spec
        if spec.num_reducers == 1:
            return lambda key: 0
        if self.split_points is not None:
            return total_order.partitioner(self.split_points, spec.num_reducers,
                                           self.order().comparator)
        if spec.offset_keys and spec.partitioner == "hash":
            return self.offset_part_of()
        if spec.partitioner == "keyfield":
            return cached(keyhash.partitioner(spec.partitioner_options or None,
                                              spec.key_field_sep), spec.num_reducers)
        return cached(hash_partition, spec.num_reducers)

    def environment(self, files: list | None = None) -> dict[str, str]:
        """The job's part of every task's environment: the whole job configuration as a
        local Hadoop 3.5 job has it (defaults, ``-D``, what streaming and job submission set),
        with local paths pointing into this job's own directory."""
        conf = job_configuration(self, files or [])
        env = dict(os.environ)
        env.update({env_name(key): value for key, value in conf.items()})  # old names kept
        return env

    def offset_part_of(self) -> Callable[[bytes], int]:
        """HashPartitioner over LongWritable offset keys: ``(int)(v ^ v >>> 32)``."""
        reducers = self.spec.num_reducers
        return lambda key: ((int(key) ^ (int(key) >> 32)) & 0x7FFFFFFF) % reducers


TEXT, NULL = "org.apache.hadoop.io.Text", "org.apache.hadoop.io.NullWritable"
_WRITERS = {"text": "org.apache.hadoop.streaming.io.TextInputWriter",
            "keyonlytext": "org.apache.hadoop.streaming.io.KeyOnlyTextInputWriter"}
_READERS = {"text": "org.apache.hadoop.streaming.io.TextOutputReader",
            "keyonlytext": "org.apache.hadoop.streaming.io.KeyOnlyTextOutputReader"}


def url_encode(command: str) -> str:
    """Java's ``URLEncoder.encode(s, "UTF-8")``, as StreamJob stores the commands."""
    return quote_plus(command, safe="*").replace("~", "%7E")


def job_configuration(job: Job, files: list) -> dict[str, str]:
    """What a streaming task's ``JobConf`` holds in Hadoop 3.5 local mode, expanded.

    Order as in Hadoop: the ``*-default.xml`` properties, then the ``-D`` settings, then
    what ``StreamJob.setJobConf`` and job submission set (they win over a ``-D``).
    Observed on a LocalJobRunner job; see :mod:`streamkit.hadoop_defaults`.
    """
    spec = job.spec
    conf = hadoop_defaults()
    conf.update(spec.conf)
    user = getpass.getuser()
    ids = {key: spec.io_id(key) for key in IO_KEYS}
    set_ = conf.__setitem__
    set_("hadoop.tmp.dir", spec.conf.get("hadoop.tmp.dir", job.workdir))
    set_("mapreduce.job.user.name", user)
    set_("user.name", user)
    set_("mapreduce.job.id", f"job_{job.id}")
    set_("mapreduce.job.dir", "file:" + job.workdir)
    set_("mapreduce.job.working.dir", "file:" + os.getcwd())
    set_("mapreduce.job.maps", str(job.num_maps))
    set_("mapreduce.job.reduces", str(spec.num_reducers))
    host = socket.gethostname()
    set_("mapreduce.job.submithostname", host)
    set_("mapreduce.job.submithostaddress", _host_address(host))
    set_("mapreduce.input.fileinputformat.inputdir",
         ",".join("file:" + os.path.abspath(p) for i in spec.inputs for p in i.split(",") if p))
    set_("mapreduce.input.fileinputformat.numinputfiles", str(len(files)))
    output = spec.output if spec.output != "-" else os.path.join(job.workdir, "output")
    set_("mapreduce.output.fileoutputformat.outputdir", "file:" + os.path.abspath(output))
    set_("mapred.input.format.class", "org.apache.hadoop.mapred." + (
        "TextInputFormat" if spec.input_format == "text" else "KeyValueTextInputFormat"))
    if spec.lazy_output:
        set_("mapred.output.format.class", "org.apache.hadoop.mapred.lib.LazyOutputFormat")
        set_("mapreduce.output.lazyoutputformat.outputformat", "org.apache.hadoop.mapred.TextOutputFormat")
    else:
        set_("mapred.output.format.class", "org.apache.hadoop.mapred.TextOutputFormat")
    for key in ("mapred.mapper.new-api", "mapred.reducer.new-api", "mapred.skip.on",
                "mapreduce.job.skiprecords"):
        set_(key, "false")
    set_("mapred.queue.default.acl-administer-jobs", " ")
    set_("stream.addenvironment", " ".join(["HADOOP_ROOT_LOGGER="] + [f"{k}={v}" for k, v in spec.cmdenv]))
    set_("stream.map.input.writer.class", _WRITERS[ids["stream.map.input"]])
    set_("stream.reduce.input.writer.class", _WRITERS[ids["stream.reduce.input"]])
    set_("stream.map.output.reader.class", _READERS[ids["stream.map.output"]])
    set_("stream.reduce.output.reader.class", _READERS[ids["stream.reduce.output"]])
    if spec.mapper:
        set_("mapred.mapper.class", "org.apache.hadoop.streaming.PipeMapper")
        set_("mapred.map.runner.class", "org.apache.hadoop.streaming.PipeMapRunner")
        set_("stream.map.streamprocessor", url_encode(spec.mapper))
    if spec.combiner in aggregate.CLASSES:  # a Java combiner: its class, no command
        set_("mapred.combiner.class", spec.combiner)
    elif spec.combiner:
        set_("mapred.combiner.class", "org.apache.hadoop.streaming.PipeCombiner")
        set_("stream.combine.streamprocessor", url_encode(spec.combiner))
    if spec.reducer in aggregate.CLASSES and spec.num_reducers:
        set_("mapred.reducer.class", spec.reducer)
    elif spec.reducer and spec.num_reducers:
        set_("mapred.reducer.class", "org.apache.hadoop.streaming.PipeReducer")
        set_("stream.reduce.streamprocessor", url_encode(spec.reducer))
    if spec.mapper or "stream.map.output" in spec.conf:
        value = NULL if spec.map_output_keyonly else TEXT
        set_("mapreduce.map.output.key.class", TEXT)
        set_("mapreduce.map.output.value.class", value)
        if not spec.num_reducers:
            set_("mapreduce.job.output.key.class", TEXT)
            set_("mapreduce.job.output.value.class", value)
    if (spec.reducer and spec.num_reducers) or "stream.reduce.output" in spec.conf:
        set_("mapreduce.job.output.key.class", TEXT)
        set_("mapreduce.job.output.value.class", NULL if spec.reduce_output_keyonly else TEXT)
    if spec.files:
        uris = ["file:" + os.path.abspath(source) for source, _ in spec.files]
        stats = [os.stat(source) for source, _ in spec.files]
        set_("tmpfiles", ",".join(uris))
        set_("mapreduce.job.cache.files", ",".join(uris))
        set_("mapreduce.job.cache.files.filesizes", ",".join(str(st.st_size) for st in stats))
        set_("mapreduce.job.cache.files.timestamps",
             ",".join(str(st.st_mtime_ns // 1000000) for st in stats))
        set_("mapreduce.job.cache.files.visibilities", ",".join("true" for _ in stats))
    return expand(conf, {"user.name": user, "user.home": os.path.expanduser("~"),
                         "java.io.tmpdir": tempfile.gettempdir()})


def _host_address(host: str) -> str:
    """The host's address from /etc/hosts (no DNS: streamkit opens no socket), else loopback."""
    try:
        with open("/etc/hosts") as f:
            for line in f:
                words = line.split("#", 1)[0].split()
                if len(words) > 1 and host in words[1:] and ":" not in words[0]:
                    return words[0]
    except OSError:
        pass
    return "127.0.0.1"


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
            "mapreduce.task.partition": str(self.index), "mapreduce.job.id": f"job_{self.job.id}",
            "mapreduce.task.ismap": "true" if self.kind == "m" else "false",
            "mapreduce.task.output.dir": "file:" + os.path.dirname(self.output_path),
            "mapreduce.cluster.local.dir": self.cwd,
        }
        if self.kind == "r":  # LocalJobRunner's reduce tasks set these two
            values["mapreduce.jobtracker.address"] = "local"
            values["mapreduce.job.maps"] = str(self.job.num_maps)
        if self.split is not None:
            length = self.split.length if self.split.length >= 0 else (self.split.file.size or 0)
            values.update({"mapreduce.map.input.file": self.split.file.file_uri,
                           "mapreduce.map.input.start": str(self.split.start),
                           "mapreduce.map.input.length": str(length)})
        env = dict(self.job.base_env)
        env.update(JobConf(values).environment(aliases=True))
        env["HADOOP_ROOT_LOGGER"] = ""  # StreamJob's first stream.addenvironment entry
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
    map_tasks: list[dict] = field(default_factory=list)
    partitions: list[dict] = field(default_factory=list)
    seed: int | None = None

    def to_json(self) -> dict:
        report = {"job_id": self.job_id, "output": self.output, "num_maps": self.num_maps,
                  "counters": {f"{g}.{n}": v for (g, n), v in sorted(self.counters.items())},
                  "phases": self.phases, "partition_records": self.partition_records,
                  "peak_rss": self.peak_rss, "warnings": self.warnings}
        if self.map_tasks or self.partitions:
            report.update(map_tasks=self.map_tasks, partitions=self.partitions)
        if self.seed is not None:
            report["seed"] = self.seed
        return report

    def add_task_figures(self, splits: list[Split], map_results: list[dict],
                         reduce_results: list[dict]) -> None:
        """Per map task and per partition: records, bytes, wall and CPU (``--stats``),
        and each phase's totals of them."""
        self.map_tasks = []
        for split, result in zip(splits, map_results):
            end = "end" if split.length < 0 else split.start + split.length
            figures = {"task": split.index, "input": f"{split.file.uri}:{split.start}-{end}",
                       **result.get("stats", {})}
            if split.previous:
                figures["previous"] = True
            self.map_tasks.append(figures)
        self.partitions = [{"partition": i, **result.get("stats", {})}
                           for i, result in enumerate(reduce_results)]
        for phase, tasks in (("map", self.map_tasks), ("reduce", self.partitions)):
            if tasks:
                totals = self.phases.setdefault(phase, {"tasks": len(tasks)})
                for name in ("records_in", "bytes_in", "records_out", "bytes_out"):
                    totals[name] = sum(t.get(name, 0) for t in tasks)
                for name in ("wall_s", "cpu_s"):
                    totals["task_" + name] = round(sum(t.get(name, 0) for t in tasks), 3)



def check_balance(counters: Counters, spec: JobSpec) -> None:
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


def cat_parts(output: str, out) -> None:
    from streamkit.inputs import open_input

    for name in sorted(os.listdir(output)):
        if name.startswith("part-"):
            with open_input(os.path.join(output, name)) as f:
                shutil.copyfileobj(f, out, 1 << 20)
    out.flush()

