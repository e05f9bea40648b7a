"""Multi-step jobs: a TOML job file whose steps run in order, each one's output feeding the next.

A streaming step is the ``mapred streaming`` command line written as TOML keys (the option
names without their dash: ``mapper``, ``reducers``, ``files``, ``D``...). :func:`load` turns
each step into that argv, and :func:`streamkit.hadoop_args.parse` (or the Hadoop launcher)
checks it, so a job file accepts exactly what the command line accepts: there is no second
option parser. A command step is a shell command fed its inputs' records on stdin, its
stdout committed as ``part-00000`` (octo.py's ``final()``, in the streaming style).

:func:`load` reads and checks the file, :func:`plan` decides every step's inputs and output,
:func:`execute` runs the planned steps with an engine's callbacks; :func:`run_local`,
:func:`run_spark` and :func:`plan_hadoop`/:func:`submit_hadoop` are those engines. Every
error names the file and step, so the CLI only prints it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from streamkit import hadoop_args
from streamkit.commit import SUCCESS, OutputCommitter, mark_owner
from streamkit.errors import JobFailed, OutputExistsError, StreamkitError, UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: a step name; an ``input`` item of this shape refers to a step, anything else is a path
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
JOB_KEYS = ("input", "output", "steps_dir", "step")
STEP_KEYS = ("name", "input", "output", "keep", "command", "args")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
#: options whose list value is one comma-separated argument (Hadoop reads only the last one)
_COMMA_LISTS = {"-files", "-libjars", "-archives"}
#: options given once per list item (or per table entry: ``-D k=v``, ``-cmdenv K=V``)
_REPEATED = {"-file", "-cacheFile", "-cacheArchive", "-D", "-cmdenv"}
#: options whose values are local files, resolved against the job file's directory
_LOCAL_FILES = {"-files", "-libjars", "-archives", "-file", "-conf"}


@dataclass(frozen=True)
class Step:
    """One ``[[step]]`` as written: paths in ``inputs``/``output`` still relative to the file."""

    index: int                          # 1-based, in file order
    name: str
    inputs: tuple[str, ...] | None      # None: the previous step's output (the job's input first)
    output: str | None
    keep: bool
    command: str | None = None          # a command step
    options: tuple[str, ...] = ()       # a streaming step's argv, without -input/-output

    @property
    def title(self) -> str:
        return f'step {self.index} "{self.name}"'


@dataclass(frozen=True)
class Job:
    path: str
    dir: str                            # the job file's directory, as the path gives it
    inputs: tuple[str, ...]
    output: str | None
    steps_dir: str                      # where kept steps without an output go
    steps: tuple[Step, ...]


@dataclass
class Planned:
    """A step with its real inputs and output, and which earlier steps it reads."""

    step: Step
    inputs: list[str]
    output: str
    temp: bool                          # in the run's private temporary directory
    reads: tuple[int, ...]              # positions (0-based) of the steps it reads
    argv: list[str] = field(default_factory=list)
    prepared: Any = None                # the engine's checked form (JobSpec, Submission)


@dataclass
class RunArgs:
    """``streamkit run JOB.toml`` arguments: the job's input/output and streamkit's own options."""

    inputs: list[str] = field(default_factory=list)
    output: str | None = None
    resume: bool = False
    stats: str | None = None
    log: str | None = None
    tmpdir: str | None = None
    progress: bool | None = None
    verbose: bool = False
    own: list[str] = field(default_factory=list)    # given to every streaming step


@dataclass
class CommandReport:
    """What a command step reports, shaped like a JobReport where the CLI reads one."""

    job_id: str
    output: str
    wall_s: float
    counters: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"job_id": self.job_id, "output": self.output, "counters": {},
                "phases": {"command": {"wall_s": round(self.wall_s, 3)}}}


@dataclass
class PipelineReport:
    """Every step's report (None where ``--resume`` skipped it), in order."""

    output: str
    steps: list[tuple[Step, Any]]
    warnings: list[str] = field(default_factory=list)

    @property
    def job_id(self) -> str:
        return ",".join(r.job_id for _, r in self.steps if r is not None)

    @property
    def counters(self) -> dict:
        total: dict = {}
        for _, report in self.steps:
            for key, value in (report.counters.items() if report else ()):
                total[key] = total.get(key, 0) + value
        return total

    def to_json(self) -> dict:
        steps = []
        for step, report in self.steps:
            entry = {"step": step.index, "name": step.name, "skipped": report is None}
            steps.append({**entry, **(report.to_json() if report is not None else {})})
        counters = {f"{g}.{n}": v for (g, n), v in sorted(self.counters.items())}
        return {"output": self.output, "counters": counters, "steps": steps, "warnings": self.warnings}


# ---------------------------------------------------------------- command line

def split_args(argv: list[str]) -> RunArgs:
    """What follows ``JOB.toml``: -input/-output (the job's), --resume, and streamkit's own
    options; everything else belongs in a step. Values are checked by ``hadoop_args.parse``
    when each step is planned."""
    args = RunArgs()
    i = 0
    while i < len(argv):
        arg = argv[i]
        name, eq, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        opt = hadoop_args.canonical(name)
        words = [arg]
        value = inline
        if hadoop_args.takes_value(name) and not eq:
            if i + 1 >= len(argv):
                raise UsageError(f"{arg} needs a value")
            i += 1
            value = argv[i]
            words.append(value)
        if opt == "--resume":
            args.resume = True
        elif opt == "-input":
            args.inputs.append(value)
        elif opt == "-output":
            args.output = value
        elif opt == "-verbose":
            args.verbose = True
        elif opt in hadoop_args.OWN:
            attr, kind = hadoop_args.OWN[opt]
            if attr in ("stats", "log", "tmpdir"):
                setattr(args, attr, value)
            elif attr == "progress":
                args.progress = kind
            else:
                args.own += words
        else:
            raise UsageError(f"{arg}: a job file's steps carry their own options; after JOB.toml "
                             "give only -input, -output, --resume and streamkit's own options "
                             "(--jobs, --memory, --tmpdir, --stats, --log...)")
        i += 1
    return args


# ---------------------------------------------------------------- loading

def load(path: str) -> Job:
    """Read and check a job file; every problem is one line naming the file, step and key."""
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such job file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the job file: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: not UTF-8 at byte {exc.start}") from None
    for key in data:
        if key not in JOB_KEYS:
            raise UsageError(f"{path}: unknown top-level key {key!r}; a job file has "
                             f"{', '.join(JOB_KEYS[:-1])} and [[step]] tables")
    steps = data.get("step")
    if not isinstance(steps, list) or not steps or not all(isinstance(s, dict) for s in steps):
        raise UsageError(f"{path}: no steps; write each step as a [[step]] table")
    where = f"{path}: top level"
    jobdir = os.path.dirname(path)
    job_steps = tuple(_step(path, jobdir, i, table) for i, table in enumerate(steps, 1))
    names = [s.name for s in job_steps]
    for s in job_steps:
        if names.count(s.name) > 1:
            raise UsageError(f"{path}: {s.title}: another step has the name {s.name!r}; name each step once")
    stem = os.path.splitext(os.path.basename(path))[0]
    return Job(path, jobdir, tuple(_strings(data.get("input", []), where, "input")),
               _string(data.get("output"), where, "output"),
               _string(data.get("steps_dir", f"{stem}.steps"), where, "steps_dir"), job_steps)


def _string(value, where: str, key: str) -> str | None:
    if value is not None and (not isinstance(value, str) or not value):
        raise UsageError(f"{where}: {key} must be a non-empty string")
    return value


def _strings(value, where: str, key: str) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) and v for v in items):
        raise UsageError(f"{where}: {key} must be a string or a list of strings")
    return items


def _step(path: str, jobdir: str, index: int, table: dict) -> Step:
    name = table.get("name", f"step{index}")
    where = f"{path}: step {index}"
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise UsageError(f"{where}: name {name!r} must be letters, digits, _ and - "
                         "(starting with a letter or _)")
    where += f' "{name}"'
    generic, streaming, seen = [], [], {}
    for key, value in table.items():
        if key in STEP_KEYS:
            continue
        opt = _option(key)
        if opt is None:
            raise UsageError(f"{where}: unknown key {key!r}; a step has {', '.join(STEP_KEYS)} and the "
                             "streaming options without their dash (mapper, combiner, reducer, "
                             "reducers, files, D, cmdenv, inputformat, partitioner...)")
        if opt in hadoop_args.OWN:
            raise UsageError(f"{where}: {key} is streamkit's own option and applies to the whole "
                             f"job; give it on the command line (streamkit run JOB.toml {opt} ...)")
        if opt in seen:
            raise UsageError(f"{where}: {seen[opt]} and {key} both set {opt}; keep one")
        seen[opt] = key
        words = _words(opt, value, where, key, jobdir)
        (generic if opt in hadoop_args.GENERIC else streaming).extend(words)
    inputs = table.get("input")
    inputs = None if inputs is None else tuple(_strings(inputs, where, "input"))
    output = _string(table.get("output"), where, "output")
    keep = table.get("keep", False)
    if not isinstance(keep, bool):
        raise UsageError(f"{where}: keep must be true or false")
    if output is not None and "keep" in table and not keep:
        raise UsageError(f"{where}: keep = false with an output: a step's named output is always kept")
    command = _string(table.get("command"), where, "command")
    args = table.get("args")
    if args is not None:
        args = _strings(args, where, "args")
        if seen:
            raise UsageError(f"{where}: args holds the whole streaming command line; put "
                             f"{next(iter(seen.values()))} in args too, or drop args")
        for word in args:
            if hadoop_args.canonical(word.partition("=")[0]) in ("-input", "-output"):
                raise UsageError(f"{where}: args must not hold {word}; use the step's input and "
                                 "output keys")
        streaming = list(args)
    if command is not None:
        if seen or args is not None:
            raise UsageError(f"{where}: a step is either a command step (command) or a streaming "
                             f"step (mapper, reducer...), not both; drop {'args' if args is not None else next(iter(seen.values()))} or command")
        return Step(index, name, inputs, output, keep or output is not None, command)
    if args is None and "-mapper" not in seen:
        raise UsageError(f"{where}: no mapper; give mapper = \"CMD\" (a streaming step; \"cat\" "
                         "passes records through) or command = \"CMD\" (a command step)")
    return Step(index, name, inputs, output, keep or output is not None, None,
                tuple(generic + streaming))


def _option(key: str) -> str | None:
    """The command-line option a step key names: ``mapper`` -> ``-mapper``,
    ``reducers`` -> ``-numReduceTasks``, ``jobs`` -> ``--jobs`` (refused in a step)."""
    for spelled in ("-" + key, "--" + key):
        opt = hadoop_args.canonical(spelled)
        if opt in ("-input", "-output"):
            return None
        if opt == "-jobconf":
            return "-D"
        if opt in hadoop_args.STREAMING or opt in hadoop_args.GENERIC or opt in hadoop_args.OWN:
            return opt
    return None


def _words(opt: str, value, where: str, key: str, jobdir: str) -> list[str]:
    """The argv words for one step key, as the command line would spell them."""
    if hadoop_args.STREAMING.get(opt, True) is False:   # a flag: -lazyOutput, -verbose
        if not isinstance(value, bool):
            raise UsageError(f"{where}: {key} must be true or false")
        return [opt] if value else []
    if opt in ("-D", "-cmdenv") and isinstance(value, dict):
        items = []
        for name, v in value.items():
            if isinstance(v, (dict, list)):
                raise UsageError(f"{where}: {key}.{name} must be a string, number or boolean")
            items.append(f"{name}={str(v).lower() if isinstance(v, bool) else v}")
    elif isinstance(value, list) and (opt in _COMMA_LISTS or opt in _REPEATED):
        items = value
    else:
        items = [value]
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (str, int)) or item == "":
            kind = "a table, a string or a list of strings" if opt in ("-D", "-cmdenv") else (
                "a string or a list of strings" if opt in _COMMA_LISTS | _REPEATED else "a string")
            raise UsageError(f"{where}: {key} must be {kind}" + (" (or a number)" if kind == "a string" else ""))
    items = [str(item) for item in items]
    if opt in _LOCAL_FILES:
        items = [_local_file(jobdir, item) for item in items]
    if opt in _COMMA_LISTS:
        return [opt, ",".join(items)]
    return [word for item in items for word in (opt, item)]


def _local_file(jobdir: str, item: str) -> str:
    """A shipped file named in the job file is relative to the file's directory."""
    source, hash_, alias = item.partition("#")
    if _SCHEME.match(source) or os.path.isabs(source):
        return item
    return os.path.normpath(os.path.join(jobdir, source)) + hash_ + alias


def _path(jobdir: str, path: str, local: bool) -> str:
    """An input or output path from the job file: relative to the file's directory for a
    local engine; as written for Hadoop, where relative paths are in the user's HDFS home."""
    if not local or _SCHEME.match(path) or os.path.isabs(path) or path == "-":
        return path
    return os.path.normpath(os.path.join(jobdir, path))


# ---------------------------------------------------------------- planning

def plan(job: Job, args: RunArgs, tmp_root: str | None, cluster: bool = False) -> list[Planned]:
    """Every step's inputs and output. ``tmp_root`` holds the outputs not kept (a local run);
    ``cluster=True`` (Hadoop) writes them to ``steps_dir`` instead, as written."""
    local = not cluster
    last = len(job.steps) - 1
    by_name = {s.name: i for i, s in enumerate(job.steps)}
    planned: list[Planned] = []
    for i, step in enumerate(job.steps):
        where = f"{job.path}: {step.title}"
        if i == last:
            output = args.output or _last_output(job, step, local)
            temp = output == "-"
            if temp and cluster:
                raise UsageError("-output - streams a local result; streamkit hadoop needs an "
                                 "output directory on the cluster")
            if temp:
                output = os.path.join(tmp_root or "", step.name)
        elif step.output == "-":
            raise UsageError(f"{where}: output - (stdout) is only for the job's last step")
        elif step.output:
            output, temp = _path(job.dir, step.output, local), False
        elif step.keep or cluster:
            output, temp = os.path.join(_path(job.dir, job.steps_dir, local), step.name), False
        else:
            output, temp = os.path.join(tmp_root or "", step.name), True
        reads: list[int] = []
        if step.inputs is None:
            if i == 0:
                inputs = args.inputs or [_path(job.dir, p, local) for p in job.inputs]
                if not inputs:
                    raise UsageError(f"{where}: no input; give input = \"PATH\" in the job file "
                                     "or -input PATH on the command line")
            else:
                inputs, reads = [planned[i - 1].output], [i - 1]
        else:
            inputs = []
            for item in step.inputs:
                if NAME.fullmatch(item):
                    j = by_name.get(item)
                    if j is None:
                        raise UsageError(f"{where}: input {item!r} names no step of this job "
                                         f"({', '.join(by_name)}); write a file or directory of that "
                                         f"name as ./{item}")
                    if j >= i:
                        raise UsageError(f"{where}: input {item!r} is {'this step' if j == i else 'a later step'}; "
                                         "steps run in file order, so a step reads only earlier steps")
                    inputs.append(planned[j].output)
                    reads.append(j)
                else:
                    inputs.append(_path(job.dir, item, local))
        planned.append(Planned(step, inputs, output, temp, tuple(reads)))
    _check_outputs(job, planned)
    for p in planned:
        if p.step.command is None:
            p.argv = (list(p.step.options) + [w for path in p.inputs for w in ("-input", path)]
                      + ["-output", p.output] + args.own)
    return planned


def _last_output(job: Job, step: Step, local: bool) -> str:
    if job.output and step.output:
        raise UsageError(f"{job.path}: {step.title}: output is set both at the top level and in "
                         "the last step; keep one")
    output = job.output or step.output
    if not output:
        raise UsageError(f"{job.path}: {step.title}: no output for the job's last step; give "
                         "output = \"DIR\" in the job file, or -output DIR (- for stdout)")
    return _path(job.dir, output, local)


def _check_outputs(job: Job, planned: list[Planned]) -> None:
    """Two steps writing one place, or a temporary output nobody reads, is a mistake."""
    owners: dict[str, Step] = {}
    for p in planned:
        key = os.path.normpath(p.output)
        if key in owners:
            raise UsageError(f"{job.path}: {p.step.title}: output {p.output} is also "
                             f"{owners[key].title}'s output; give each step its own")
        owners[key] = p.step
    read = {j for p in planned for j in p.reads}
    for i, p in enumerate(planned[:-1]):
        if p.temp and i not in read:
            raise UsageError(f"{job.path}: {p.step.title}: its output is never read; read it in a "
                             "later step's input, keep it (keep = true or output = \"DIR\"), or remove the step")


def prepare(job: Job, planned: list[Planned], check: Callable[[list[str]], Any]) -> None:
    """Check every streaming step's argv with the engine's parser before anything runs."""
    for p in planned:
        if p.step.command is None:
            try:
                p.prepared = check(p.argv)
            except StreamkitError as err:
                raise StreamkitError(f"{job.path}: {p.step.title}: {err}", err.exit_code) from None


# ---------------------------------------------------------------- running

def done(output: str) -> bool:
    return os.path.isfile(os.path.join(output, SUCCESS))


def to_run(planned: list[Planned], resume: bool) -> list[int]:
    """Positions of the steps to run. Without ``resume``: all. With it, as ``make`` does:
    each kept output (and the last step's) is a target; a target with ``_SUCCESS`` is
    skipped, one without runs, and so do the steps it reads whose output is not there."""
    if not resume:
        return list(range(len(planned)))
    chosen: set[int] = set()

    def need(i: int) -> None:
        p = planned[i]
        if i in chosen or (not p.temp and done(p.output)):
            return
        chosen.add(i)
        for j in p.reads:
            need(j)

    for i, p in enumerate(planned):
        if not p.temp or i == len(planned) - 1:
            need(i)
    return sorted(chosen)


def execute(job: Job, planned: list[Planned], steps: list[int],
            run_step: Callable[[Planned], Any], resumable: bool = True) -> PipelineReport:
    """Run ``steps`` in order; a failure names its step (and --resume, if it would help)."""
    reports: list[tuple[Step, Any]] = []
    for i, p in enumerate(planned):
        if i not in steps:
            reports.append((p.step, None))
            continue
        try:
            reports.append((p.step, run_step(p)))
        except StreamkitError as err:
            kept = [q for q in planned[:i] if not q.temp and done(q.output)]
            hint = (f"; {len(kept)} step(s) before it kept their output: rerun with --resume to "
                    "skip them") if kept and resumable else ""
            raise StreamkitError(f"{p.step.title} failed: {err}{hint}", err.exit_code) from None
    return PipelineReport(planned[-1].output, reports)


def run_command_step(job: Job, p: Planned) -> CommandReport:
    """A command step: ``sh -c COMMAND`` in the job file's directory, its inputs' records
    (parts of earlier steps, decompressed, in order) on stdin, its stdout committed as
    ``OUT/part-00000`` with ``_SUCCESS``; its stderr kept in a private log if it fails."""
    from streamkit.inputs import expand_inputs, open_input
    from streamkit.private import create_private_file, log_dir

    files = expand_inputs(p.inputs)
    committer = OutputCommitter(p.output)
    started = time.monotonic()
    committer.setup()
    proc = None
    log_fd, log_path = create_private_file(log_dir(), f"{p.step.name}-{os.getpid()}.stderr.log")
    try:
        with open(committer.part_path("part-00000"), "wb") as out:
            proc = subprocess.Popen(["/bin/sh", "-c", p.step.command], stdin=subprocess.PIPE,
                                    stdout=out, stderr=log_fd, cwd=job.dir or ".",
                                    start_new_session=True)
        try:
            for f in files:
                with open_input(f.uri) as src:
                    shutil.copyfileobj(src, proc.stdin, 1 << 20)
            proc.stdin.close()
        except BrokenPipeError:
            pass  # the command stopped reading (`head`): its exit status decides
        rc = proc.wait()
        if rc != 0:
            why = f"killed by {signal.Signals(-rc).name}" if rc < 0 else f"exited with code {rc}"
            raise JobFailed(f"command {p.step.command!r} {why}{_tail(log_path)}; log: {log_path}")
        committer.commit([committer.part_path("part-00000")])
        os.unlink(log_path)
        return CommandReport(f"command_{p.step.name}", p.output, time.monotonic() - started)
    except BaseException:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        committer.abort()
        raise
    finally:
        os.close(log_fd)
        if proc is not None and proc.stdin and not proc.stdin.closed:
            try:
                proc.stdin.close()
            except BrokenPipeError:
                pass


def _tail(log_path: str) -> str:
    with open(log_path, "rb") as f:
        f.seek(max(0, os.path.getsize(log_path) - 2000))
        lines = [l.strip() for l in f.read().decode("utf-8", "replace").splitlines() if l.strip()]
    return f": {lines[-1]}" if lines else ""


def _run_locally(job: Job, args: RunArgs, check, run_streaming, stdout) -> PipelineReport:
    """Plan in a private temporary directory, check every step, run, clean up."""
    from streamkit.private import check_temp_parent
    from streamkit.job import cat_parts

    parent = check_temp_parent(args.tmpdir, "--tmpdir")
    tmp_root = os.path.abspath(tempfile.mkdtemp(prefix="streamkit-pipeline-", dir=parent))
    try:
        mark_owner(tmp_root)
        planned = plan(job, args, tmp_root)
        prepare(job, planned, check)
        steps = to_run(planned, args.resume)
        if not args.resume:
            for p in planned:
                if not p.temp and os.path.lexists(p.output):
                    raise OutputExistsError(
                        f"{job.path}: {p.step.title}: output directory {p.output} already exists; "
                        "remove it, choose another output, or rerun with --resume to skip the "
                        "steps whose output is complete")

        def run_step(p: Planned):
            return run_command_step(job, p) if p.step.command else run_streaming(p, tmp_root)

        report = execute(job, planned, steps, run_step)
        if planned[-1].temp:  # -output -
            cat_parts(planned[-1].output, stdout or sys.stdout.buffer)
            report.output = "-"
        return report
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)


def run_local(job: Job, args: RunArgs, stdout=None, on_progress=None) -> PipelineReport:
    """``streamkit run JOB.toml``: every step with the local runner."""
    from streamkit import runner

    extra = ["--tmpdir", args.tmpdir] if args.tmpdir else []
    return _run_locally(job, args, lambda argv: hadoop_args.parse(argv + extra),
                        lambda p, tmp_root: runner.run_job(p.prepared, None, on_progress), stdout)


def run_spark(job: Job, args: RunArgs, options, stdout=None, sc=None) -> PipelineReport:
    """``streamkit spark JOB.toml``: every streaming step on one SparkContext (``sc``, or one
    started when the first step runs: its attempts settings set Spark's for the whole job);
    command steps run here, on the driver. Temporary outputs go to --tmpdir, which the
    executors must share."""
    from streamkit import spark_engine

    context: list = [sc] if sc is not None else []

    def check(argv):
        spec = hadoop_args.parse(argv)
        spark_engine.check_spec(spec)
        return spec

    def run_streaming(p: Planned, tmp_root: str):
        if not context:
            log = os.path.join(tmp_root, "spark.log")
            context.append(spark_engine.start_context(p.prepared, options, log))
        return spark_engine.run_spark_job(p.prepared, options, sc=context[0])

    try:
        return _run_locally(job, args, check, run_streaming, stdout)
    finally:
        if context and sc is None:
            context[0].stop()


def plan_hadoop(job: Job, args: RunArgs, options) -> list[Planned]:
    """``streamkit hadoop JOB.toml``: each streaming step checked and planned by the launcher.

    Outputs not named go to ``steps_dir/NAME`` on the cluster (there is no private
    temporary directory there) and stay; a command step cannot run on a cluster."""
    from streamkit import hadoop_launcher

    if args.resume:
        raise UsageError("--resume works with streamkit run and streamkit spark; on Hadoop, point "
                         "the job's input at the last complete step's output instead")
    for step in job.steps:
        if step.command is not None:
            raise UsageError(f"{job.path}: {step.title} is a command step; streamkit hadoop submits "
                             "streaming steps only: run the job with streamkit run, or run the command "
                             "on a copy fetched with hdfs dfs -getmerge")
    planned = plan(job, args, None, cluster=True)
    prepare(job, planned, lambda argv: hadoop_launcher.plan(argv, options))
    return planned


def submit_hadoop(job: Job, planned: list[Planned], echo=None) -> PipelineReport:
    from streamkit import hadoop_launcher

    return execute(job, planned, list(range(len(planned))),
                   lambda p: hadoop_launcher.run(p.prepared, echo), resumable=False)


def dry_run(planned: list[Planned]) -> str:
    """Every step's submission, as ``streamkit hadoop --dry-run`` prints one, in order."""
    return "\n\n".join(f"# {p.step.title}\n{p.prepared.dry_run}" for p in planned)
