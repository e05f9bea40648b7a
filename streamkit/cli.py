"""The ``streamkit`` command: a thin click layer over the library.

Every command turns its flags into a library call; :class:`StreamkitError` is caught in
one place and printed as one line, ``streamkit: <what went wrong and what to do>``.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

import click

from streamkit import __version__
from streamkit.errors import Interrupted, JobFailed, StreamkitError, UsageError

EXIT_CODES = """\b
Exit status: 0 success; 1 job failed; 2 usage error; 5 output exists or input
missing; 130 interrupted (SIGINT); 143 terminated (SIGTERM)."""

_GNU_ONLY = {
    "-f": "fold case", "-b": "ignore leading blanks", "-d": "dictionary order",
    "-g": "general numeric", "-h": "human numeric", "-i": "ignore nonprinting",
    "-M": "month order", "-R": "random order", "-V": "version order", "-u": "unique",
    "-z": "NUL-terminated lines", "--parallel": "thread count",
}


def _raise_on_sigterm(signum, frame):
    raise Interrupted(signum)


def _handle(func, *args, **kwargs):
    """Run a library call; turn errors, signals and a closed stdout into exit codes."""
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    try:
        return func(*args, **kwargs)
    except KeyboardInterrupt:
        _fail(Interrupted(signal.SIGINT))
    except StreamkitError as err:
        _fail(err)
    except BrokenPipeError:
        # The reader went away (`| head`): not an error. Point stdout at /dev/null so
        # the interpreter's final flush does not complain either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)


def _fail(err: StreamkitError) -> None:
    click.echo(f"streamkit: {err}", err=True)
    sys.exit(err.exit_code)


@click.group(epilog=EXIT_CODES)
@click.version_option(__version__, prog_name="streamkit")
def cli() -> None:
    """Run Hadoop Streaming jobs locally, byte-identical to Hadoop."""


@cli.command("sort", epilog=EXIT_CODES,
             context_settings={"ignore_unknown_options": False})
@click.argument("inputs", nargs=-1, metavar="[FILE]...")
@click.option("-t", "--field-separator", "separator", default="\t", show_default="TAB",
              help="Separator between key fields (and between key and value).")
@click.option("--key-fields", type=int, default=None,
              help="How many leading fields form the key (stream.num.map.output.key.fields). "
                   "Default 1, or the largest field a -k names.")
@click.option("-k", "--key", "keys", multiple=True, metavar="POS1[,POS2]",
              help="KeyFieldBasedComparator key: fields of the key, with n/r flags (e.g. -k2,2nr).")
@click.option("-n", "--numeric", is_flag=True, help="Hadoop's -n (not GNU's): see the README.")
@click.option("-r", "--reverse", is_flag=True, help="Reverse the comparison.")
@click.option("--comparator-options", default="", metavar="OPTS",
              help="Same syntax as mapreduce.partition.keycomparator.options, e.g. '-k2,2nr'.")
@click.option("-s", "--stable", is_flag=True, help="Keep input order of equal keys (slower merge).")
@click.option("-S", "--buffer-size", default="100M", show_default=True,
              help="Memory for sorting before spilling runs to -T (K/M/G suffixes).")
@click.option("-T", "--temporary-directory", "tmpdir", default=None,
              help="Where spilled runs go (needs about the input's size free). Default $TMPDIR.")
@click.option("-o", "--output", default=None, help="Write to this file (atomically) instead of stdout.")
@click.option("-c", "--check", is_flag=True, help="Only check the input is sorted; exit 1 at the first disorder.")
@click.option("--batch-size", "fan_in", type=click.IntRange(2, 1024), default=32, show_default=True,
              help="How many runs one merge pass reads at once.")
@click.option("-f", "-b", "-d", "-g", "-h", "-i", "-M", "-R", "-V", "-u", "-z", "--parallel",
              "gnu_only", flag_value=True, hidden=True, expose_value=True)
def sort_command(inputs, separator, key_fields, keys, numeric, reverse, comparator_options,
                 stable, buffer_size, tmpdir, output, check, fan_in, gnu_only):
    """Sort lines by key in Hadoop's shuffle order, in bounded memory.

    Equivalent to `LC_ALL=C sort -t$'\\t' -k1,1 -s` on ordinary data, and to Hadoop
    where they differ: only the key is compared (`a` sorts before `a\\x01`), and -n/-k
    follow KeyFieldBasedComparator. FILE may be `-`, a .gz/.bz2/.zst file, or a URL.
    Memory: about --buffer-size; beyond it sorted runs spill to -T and are merged.
    """
    from streamkit import sort_tool

    if gnu_only:
        flag = next(a for a in sys.argv[1:] if a in _GNU_ONLY or a.split("=")[0] in _GNU_ONLY)
        raise_usage(f"{flag} ({_GNU_ONLY[flag.split('=')[0]]}) is a GNU sort option with no Hadoop "
                    "equivalent; Hadoop compares keys as raw bytes (see --help)")
    sep = os.fsencode(separator.encode("utf-8").decode("unicode_escape") if "\\" in separator else separator)
    flags = ("n" if numeric else "") + ("r" if reverse else "")
    options = " ".join([comparator_options] + [f"-k{k}" for k in keys] + ([f"-{flags}"] if flags else []))
    opts = _handle(lambda: sort_tool.SortOptions(
        separator=sep, key_fields=key_fields, comparator_options=options.strip(), stable=stable,
        buffer_size=sort_tool.parse_size(buffer_size), tmpdir=tmpdir, fan_in=fan_in,
        inputs=list(inputs) or ["-"]).check())
    stdin = sys.stdin.buffer
    if check:
        bad = _handle(sort_tool.first_disorder, opts, stdin)
        if bad:
            name, number, line = bad
            click.echo(f"streamkit: {name}:{number}: disorder: {line.decode('utf-8', 'replace')}", err=True)
            sys.exit(1)
        return
    if output:
        _handle(_sort_to_file, sort_tool, opts, stdin, output)
    else:
        _handle(sort_tool.sort_to, opts, stdin, sys.stdout.buffer)
        _handle(sys.stdout.buffer.flush)


def _sort_to_file(sort_tool, opts, stdin, output: str) -> None:
    """-o: write next to the target and rename, so a failure leaves the old file intact.

    The temporary file is made (``mkstemp``: new, ``0600``, no links followed) before any
    input is read, so a bad -o path is one line and no work lost; it gets the old file's
    mode, or the umask's, just before the rename.
    """
    import tempfile

    directory = os.path.dirname(os.path.abspath(output))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(output)}.streamkit-", dir=directory)
    except OSError as exc:
        raise UsageError(f"-o {output}: cannot create a file in {directory}: {exc.strerror}; "
                         "check the directory exists and is writable") from None
    try:
        with open(fd, "wb") as out:
            sort_tool.sort_to(opts, stdin, out)
            os.fchmod(out.fileno(), _new_file_mode(output))
        os.replace(tmp, output)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def _new_file_mode(path: str) -> int:
    """The mode ``open(path, "w")`` would leave: the existing file's, else 0666 & ~umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@cli.command("stats", epilog=EXIT_CODES)
@click.argument("path", metavar="FILE")
def stats_command(path):
    """Print a --stats report as tables: phases, map tasks, partitions.

    Warns when the largest partition holds more than twice the median partition's
    records (skew), with what to try.
    """
    from streamkit import stats_report

    click.echo(stats_report.format_report(_handle(stats_report.load, path)))


RUN_HELP = """Run a Hadoop Streaming job locally: the same command line as `mapred streaming`.

\b
  streamkit run [-D key=value]... [-files a,b] -input IN -output OUT
                -mapper CMD [-combiner CMD] [-reducer CMD|NONE|aggregate]
                [-numReduceTasks N] [-partitioner CLASS] [-file F] [-cmdenv K=V]
                [-inputformat TextInputFormat|KeyValueTextInputFormat] [-lazyOutput]

Generic options (-D, -files) come first, as on Hadoop. Long spellings
(--input, --mapper, --reducers N, ...) work too. streamkit's own options:

\b
  --jobs N          worker processes (default: all cores)
  --memory SIZE     sort buffer per task before spilling (default 100M)
  --tmpdir DIR      where spills and task directories go (default $TMPDIR)
  --progress / --no-progress   progress bar on stderr (default: only on a TTY)
  --stats FILE      write counters, phase/task/partition figures as JSON
                    (read it with `streamkit stats FILE`)
  --shuffle-values  shuffle values within each key (flush out order bugs)
  --seed N          seed for --shuffle-values, --sample and --total-order
  --sample FRACTION run on a deterministic Bernoulli sample of the input records
  --merge-previous DIR  add a previous run's output to the reduce input: f(A+B)
                    from f(A) and B, for reducers that accept their own output
  --total-order     range-partition by sampled keys: cat OUT/part-* is sorted
  --clean-stale     remove an output dir / temp dirs left by a killed run
  --log FILE        append one JSON line per run (start, end, status, counters)
  -output -         stream the part files, in order, to stdout

A job file runs several steps in order, each one's output feeding the next
(README, "Multi-step jobs"):

\b
  streamkit run JOB.toml [-input IN] [-output OUT|-] [--resume] [own options]

The output directory must not exist; parts are committed with _SUCCESS last.
A failed task's stderr is kept, readable by you only, in
$XDG_STATE_HOME/streamkit/logs (default ~/.local/state/streamkit/logs).
"""


@cli.command("run", help=RUN_HELP, epilog=EXIT_CODES, context_settings={
    "ignore_unknown_options": True, "allow_extra_args": True, "allow_interspersed_args": False})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def run_command(args):
    from streamkit import hadoop_args, runner

    if args and args[0].endswith(".toml"):
        _job_file("run", args[0], args[1:])
        return
    spec = _handle(hadoop_args.parse, list(args))
    _run_and_report(spec, lambda progress: runner.run_job(spec, sys.stdout.buffer, progress))


SPARK_HELP = """Run the same Hadoop Streaming job on Apache Spark, with the same part files.

\b
  streamkit spark [--master URL] [--conf key=value]... ARGS...
  streamkit spark [--master URL] [--conf key=value]... JOB.toml [-input IN] [-output OUT]

ARGS are exactly those of `streamkit run` (and `mapred streaming`). --master is any
Spark master (default local[*]: all cores here; yarn, spark://host:7077, k8s://...);
--conf passes a Spark setting. Needs pyspark (pip install 'streamkit[spark]') and
Java 17. Task attempts: spark.task.maxFailures = mapreduce.{map,reduce}.maxattempts.
The output path must be a filesystem that the driver and every executor share.
"""


@cli.command("spark", help=SPARK_HELP, epilog=EXIT_CODES, context_settings={
    "ignore_unknown_options": True, "allow_extra_args": True, "allow_interspersed_args": False})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def spark_command(args):
    from streamkit import hadoop_args, spark_engine

    options, rest = _handle(spark_engine.split_spark_args, list(args))
    if rest and rest[0].endswith(".toml"):
        _job_file("spark", rest[0], rest[1:], spark_options=options)
        return
    spec = _handle(hadoop_args.parse, rest)
    _handle(spark_engine.check_spec, spec)
    _run_and_report(spec, lambda progress: spark_engine.run_spark_job(spec, options, stdout=sys.stdout.buffer))


def _job_file(engine: str, path: str, rest, spark_options=None, launcher=None, dry_run=False) -> None:
    """A job file (streamkit/pipeline.py): load it, then run every step with ``engine``."""
    from streamkit import pipeline

    args = _handle(pipeline.split_args, list(rest))
    job = _handle(pipeline.load, path)
    out = sys.stdout.buffer
    if engine == "hadoop":
        planned = _handle(pipeline.plan_hadoop, job, args, launcher)
        if dry_run:
            click.echo(pipeline.dry_run(planned))
            return
        shown = args.progress if args.progress is not None else sys.stderr.isatty()
        echo = sys.stderr.buffer if shown else None
        _run_and_report(args, lambda progress: pipeline.submit_hadoop(job, planned, echo))
    elif engine == "spark":
        _run_and_report(args, lambda progress: pipeline.run_spark(job, args, spark_options, out))
    else:
        _run_and_report(args, lambda progress: pipeline.run_local(job, args, out, progress))


def _run_and_report(spec, run, display=None) -> None:
    """Run a job with an engine; then the --log line, warnings, --stats and the summary.

    ``run(progress)`` gets what ``display()`` makes (default: progress bars) when progress
    is shown (``--progress``, or stderr is a terminal), else None.
    """
    # --log and --stats are opened now: a bad path is a usage error before the job runs,
    # never a finished job whose report cannot be written.
    log = _handle(ReportFile, spec.log, "--log", append=True) if spec.log else None
    stats = _handle(ReportFile, spec.stats, "--stats", append=False) if spec.stats else None
    tty = sys.stderr.isatty()
    progress = (display or ProgressBars)() if (spec.progress if spec.progress is not None else tty) else None
    started = time.time()
    report, failure = None, None
    try:
        report = run(progress)
    except (StreamkitError, KeyboardInterrupt, BrokenPipeError) as exc:
        failure = exc
    finally:
        if isinstance(progress, ProgressBars):
            progress.close()
    if log:
        log.finish(_log_line(spec, started, report, failure))
    if failure is not None:
        if stats:
            stats.discard()
        _handle(_reraise, failure)
    for warning in report.warnings:
        click.echo(f"streamkit: warning: {warning}", err=True)
    if stats:
        stats.finish(json.dumps(report.to_json(), indent=2))
    if spec.verbose or tty:
        click.echo(format_counters(report), err=True)


def _reraise(exc: BaseException) -> None:
    raise exc


def _log_line(spec, started: float, report, failure) -> str:
    """--log: one JSON line per run, for cron jobs and their monitors."""
    status = "ok" if failure is None else getattr(failure, "exit_code", 130)
    record = {"start": started, "end": time.time(), "status": status,
              "output": report.output if report else spec.output, "error": None if failure is None else str(failure) or type(failure).__name__,
              "counters": report.to_json()["counters"] if report else {}}
    return json.dumps(record) + "\n"


class ReportFile:
    """A --log/--stats file opened before the job runs, written when it ends.

    --log is opened for appending. --stats is opened without truncating: the old report
    stays until a new one replaces it, and a file created here is removed again if the
    job fails (a failed job leaves nothing).
    """

    def __init__(self, path: str, option: str, append: bool):
        self.path, self.option, self.append = path, option, append
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else 0)
        try:
            try:
                self.fd, self.created = os.open(path, flags | os.O_EXCL, 0o666), True
            except FileExistsError:
                self.fd, self.created = os.open(path, flags), False
        except OSError as exc:
            raise UsageError(f"{option} {path}: {exc.strerror}; check the directory exists "
                             "and is writable, or choose another path") from None

    def finish(self, text: str) -> None:
        """Write the report: appended (--log), or replacing the old one (--stats)."""
        try:
            if not self.append:
                os.ftruncate(self.fd, 0)
            with open(self.fd, "w", closefd=True) as f:
                f.write(text)
        except OSError as exc:
            _fail(JobFailed(f"cannot write {self.option} {self.path}: {exc.strerror}"))

    def discard(self) -> None:
        os.close(self.fd)
        if self.created:
            os.unlink(self.path)


class ProgressBars:
    """One click progress bar per phase (maps, then reduces), on stderr."""

    def __init__(self):
        self.phase, self.bar, self.done = None, None, 0

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase != self.phase:
            self.close()
            self.phase, self.done = phase, 0
            self.bar = click.progressbar(length=total, label=f"{phase} tasks", file=sys.stderr,
                                         show_pos=True, show_eta=False)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def format_counters(report) -> str:
    """The end-of-job summary, grouped like Hadoop's counter dump (one per step of a job file)."""
    if hasattr(report, "steps"):
        return "\n".join(format_counters(r) if r is not None else f"streamkit: {s.title} skipped "
                         "(--resume: its output is complete)" for s, r in report.steps)
    lines = [f"streamkit: {report.job_id} completed; output {report.output}"]
    group = None
    for (g, name), value in sorted(report.counters.items()):
        if g != group:
            lines.append(f"  {g}")
            group = g
        lines.append(f"    {name}={value}")
    return "\n".join(lines)


HADOOP_HELP = """Submit the same command line to a Hadoop cluster (`mapred streaming ARGS`).

\b
  streamkit hadoop [--dry-run] [--streaming-jar JAR] ARGS...
  streamkit hadoop --dry-run --target dataproc --cluster NAME [--region R] ARGS...
  streamkit hadoop --dry-run --target emr --cluster-id j-XXXX ARGS...
  streamkit hadoop [--dry-run] JOB.toml [-input IN] [-output OUT]   (every step, in order)

ARGS are those of `streamkit run`, checked by the same parser first; they go to
Hadoop as typed, generic options (-D, -files, ...) moved first. Runs `mapred
streaming` when `mapred` is found, else `hadoop jar JAR` (JAR from --streaming-jar,
$HADOOP_STREAMING_JAR, or a search of $HADOOP_HOME and the distributions' paths).
streamkit's --stats, --log and --progress/--no-progress work; local-only options
(--jobs, --memory, --tmpdir, --shuffle-values, --seed, --clean-stale, -output -)
are refused. Exits with Hadoop's status: 1 job failed, 5 output exists or input
missing; 2 when streamkit refused it before submitting.
"""
_LAUNCHER_OPTIONS = ("--dry-run", "--target", "--streaming-jar", "--cluster", "--region", "--cluster-id")


@cli.command("hadoop", help=HADOOP_HELP, context_settings={
    "ignore_unknown_options": True, "allow_extra_args": True, "allow_interspersed_args": False})
@click.option("--dry-run", is_flag=True, help="Print the command (shell-quoted) instead of running it.")
@click.option("--target", type=click.Choice(["hadoop", "dataproc", "emr"]), default="hadoop",
              show_default=True, help="Print a gcloud (dataproc) or aws (emr) submission instead.")
@click.option("--streaming-jar", metavar="JAR", help="Run `hadoop jar JAR` with this streaming jar.")
@click.option("--cluster", metavar="NAME", help="Dataproc cluster (--target dataproc).")
@click.option("--region", metavar="R", help="Dataproc region (--target dataproc).")
@click.option("--cluster-id", metavar="ID", help="EMR cluster id j-... (--target emr).")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def hadoop_command(dry_run, target, streaming_jar, cluster, region, cluster_id, args):
    from streamkit import hadoop_launcher

    if args and args[0].endswith(".toml"):
        found, rest = _handle(_launcher_options, list(args[1:]))
        options = hadoop_launcher.Options(
            target=found.get("target", target), streaming_jar=found.get("streaming_jar", streaming_jar),
            cluster=found.get("cluster", cluster), region=found.get("region", region),
            cluster_id=found.get("cluster_id", cluster_id))
        _job_file("hadoop", args[0], rest, launcher=options, dry_run=dry_run or found.get("dry_run", False))
        return
    late = next((a for a in args if a.split("=")[0] in _LAUNCHER_OPTIONS), None)
    if late:
        raise_usage(f"{late} is an option of `streamkit hadoop` itself; put it before the Hadoop "
                    f"arguments: streamkit hadoop {late} ARGS...")
    options = hadoop_launcher.Options(target=target, streaming_jar=streaming_jar, cluster=cluster,
                                      region=region, cluster_id=cluster_id)
    sub = _handle(hadoop_launcher.plan, list(args), options)
    if dry_run:
        click.echo(sub.dry_run)
        return
    # Progress is Hadoop's own console, passed through.
    _run_and_report(sub.spec, lambda echo: hadoop_launcher.run(sub, echo), lambda: sys.stderr.buffer)


def _launcher_options(args: list[str]) -> tuple[dict, list[str]]:
    """``streamkit hadoop JOB.toml --dry-run``: the launcher's own options may follow a job file."""
    found, rest, i = {}, [], 0
    while i < len(args):
        name, eq, value = args[i].partition("=")
        if name not in _LAUNCHER_OPTIONS:
            rest.append(args[i])
        elif name == "--dry-run":
            found["dry_run"] = True
        else:
            if not eq:
                if i + 1 >= len(args):
                    raise UsageError(f"{name} needs a value")
                i += 1
                value = args[i]
            found[name[2:].replace("-", "_")] = value
        i += 1
    return found, rest


def raise_usage(message: str) -> None:
    _fail(UsageError(message))


def main() -> None:
    cli(prog_name="streamkit")
