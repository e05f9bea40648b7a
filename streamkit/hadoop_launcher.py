"""``streamkit hadoop``: the command line of ``streamkit run``, submitted to a real cluster.

A launcher, not an engine. :func:`plan` checks the argv with streamkit's own parser
(cluster mode, so a typo fails in a second, not after a queue wait), refuses what only
exists locally, runs the pre-flight checks that catch the classic cluster failures
(missing ``-files``, CRLF shebangs, scripts without an exec bit, ``-cmdenv`` values that
Hadoop would cut at a space), and finds the command: ``mapred streaming`` or ``hadoop jar
JAR``. The argv goes through as typed; only generic options (``-D``, ``-files``…) are moved
first, keeping their order, because Hadoop requires that. :func:`run` runs it, reads the
console with :mod:`streamkit.hadoop_console`, and turns Hadoop's exit status into a
report or one explaining line.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from typing import BinaryIO, Mapping

from streamkit.errors import StreamkitError, UsageError
from streamkit.hadoop_args import ALIASES, GENERIC, OWN, STREAMING, parse, split_command_line
from streamkit.hadoop_console import ConsoleParser
from streamkit.spec import JobSpec

TARGETS = ("hadoop", "dataproc", "emr")
DATAPROC_JAR = "file:///usr/lib/hadoop-mapreduce/hadoop-streaming.jar"
#: streamkit options that mean nothing on a cluster -> what to do instead
LOCAL_ONLY = {
    "--jobs": "--jobs sets local worker processes; on a cluster YARN decides (-numReduceTasks N "
              "sets the reducers)",
    "--memory": "--memory is the local sort buffer; on a cluster pass -D mapreduce.task.io.sort.mb=N",
    "--tmpdir": "--tmpdir is local; cluster tasks use the nodes' yarn.nodemanager.local-dirs",
    "--shuffle-values": "--shuffle-values is a local test aid of `streamkit run`; drop it for the cluster",
    "--seed": "--seed goes with --shuffle-values and --sample, local test aids; drop it for the cluster",
    "--sample": "--sample is a local test aid of `streamkit run`/`spark`; drop it for the cluster",
    "--merge-previous": "--merge-previous is streamkit's; on Hadoop add the previous output as an "
                        "input read by a mapper that passes its lines through",
    "--total-order": "--total-order is streamkit's; on Hadoop use TotalOrderPartitioner with an "
                     "InputSampler partition file",
    "--clean-stale": "--clean-stale is for local output; on HDFS remove a stale output with "
                     "`hdfs dfs -rm -r OUT`",
}
LOCAL_ONLY["-j"] = LOCAL_ONLY["--jobs"]
#: where distributions put the streaming jar (engines notes A1), after the env-var homes
JAR_DIRS = ("/home/hadoop/contrib", "/usr/lib/hadoop-mapreduce",
            "/usr/hdp/current/hadoop-mapreduce-client", "/opt/cloudera/parcels/CDH/lib/hadoop-mapreduce")
_JAR = re.compile(r"^hadoop.*streaming.*\.jar$")
_NOT_A_JOB_JAR = re.compile(r"(-sources|-test-sources|-tests?|-javadoc)\.jar$|mr1", re.IGNORECASE)
_SKIP_DIRS = {"doc", "docs", "jdiff", "webapps", "sources", "examples"}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_INTERPRETER = re.compile(r"^(python[\d.]*|bash|sh|perl|ruby|Rscript|node)$")
#: streaming options whose value is a file list shipped to the tasks (comma-separated)
_SHIPPING = {"-files", "-file", "-archives", "-libjars"}


@dataclass(frozen=True)
class Options:
    """How and where to submit (everything not in Hadoop's argv)."""

    target: str = "hadoop"
    streaming_jar: str | None = None
    cluster: str | None = None        # Dataproc cluster name
    region: str | None = None         # Dataproc region
    cluster_id: str | None = None     # EMR cluster id (j-…)
    env: Mapping[str, str] | None = None   # default: os.environ
    cwd: str | None = None                 # where relative local paths are; default: os.getcwd()


@dataclass(frozen=True)
class Token:
    """One option of the argv: its kind, Hadoop's spelling, and the words forwarded."""

    kind: str            # "generic", "streaming" or "own" (streamkit's, never forwarded)
    opt: str
    words: tuple[str, ...]
    value: str | None = None


@dataclass(frozen=True)
class Submission:
    """What :func:`plan` decided: the streaming argv and the command that runs it."""

    target: str
    command: tuple[str, ...]       # argv for target hadoop; the gcloud/aws line otherwise
    args: tuple[str, ...]          # Hadoop Streaming argv, generic options first
    spec: JobSpec
    dry_run: str                   # what --dry-run prints (a pasteable shell snippet)


@dataclass
class HadoopReport:
    """A finished cluster job, shaped like :class:`streamkit.runner.JobReport` where it can be."""

    job_id: str
    output: str
    counters: dict
    application_id: str | None = None
    tracking_url: str | None = None
    wall_s: float = 0.0
    warnings: list[str] = field(default_factory=list)

    @property
    def num_maps(self) -> int | None:
        return self.counters.get(("Job Counters", "Launched map tasks"))

    def to_json(self) -> dict:
        return {"job_id": self.job_id, "output": self.output, "num_maps": self.num_maps,
                "counters": {f"{g}.{n}": v for (g, n), v in sorted(self.counters.items())},
                "phases": {"job": {"wall_s": round(self.wall_s, 3)}}, "warnings": self.warnings,
                "engine": "hadoop", "application_id": self.application_id,
                "tracking_url": self.tracking_url}


# ---------------------------------------------------------------- planning

def plan(argv: list[str], options: Options = Options()) -> Submission:
    """Validate ``argv`` (``streamkit run``'s arguments) and decide what to submit.

    Raises :class:`UsageError` (exit 2) for anything that would fail on the cluster
    before the job does useful work, and when no Hadoop client is found.
    """
    if options.target not in TARGETS:
        raise UsageError(f"--target {options.target}: expected one of {', '.join(TARGETS)}")
    spec = parse(list(argv), cluster=True)
    tokens = tokenize(argv)
    _refuse_local_only(tokens, spec)
    cwd = options.cwd or os.getcwd()
    _preflight(tokens, cwd)
    forwarded = [t for t in tokens if t.kind == "generic"] + [t for t in tokens if t.kind == "streaming"]
    if options.target == "dataproc":
        return _dataproc(forwarded, spec, options, cwd)
    if options.target == "emr":
        return _emr(forwarded, spec, options)
    head = find_command(options)
    args = tuple(w for t in forwarded for w in t.words)
    text = format_command(_display(head, options), [t.words for t in forwarded])
    return Submission("hadoop", tuple(head) + args, args, spec, text)


def tokenize(argv: list[str]) -> list[Token]:
    """Split an argv (already accepted by :func:`~streamkit.hadoop_args.parse`) into
    options, spelled as Hadoop spells them (``--reducers 3`` → ``-numReduceTasks 3``)."""
    tokens, i = [], 0
    while i < len(argv):
        arg = argv[i]
        opt, eq, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        opt = ALIASES.get(opt, opt)
        if opt.startswith("--") and "-" + opt[2:] in STREAMING | dict.fromkeys(GENERIC):
            opt = "-" + opt[2:]

        def value() -> str:
            nonlocal i
            if eq:
                return inline
            i += 1
            return argv[i]

        if opt.startswith("-D") and len(opt) > 2:            # -Dkey=value, kept as typed
            tokens.append(Token("generic", "-D", (arg,), opt[2:]))
        elif opt == "-D":
            setting = value()
            tokens.append(Token("generic", "-D", ("-D", setting), setting))
        elif opt in OWN:
            takes_value = OWN[opt][1] not in (True, False)
            tokens.append(Token("own", opt, (arg,), value() if takes_value else None))
        elif opt in GENERIC:
            raw = value()
            tokens.append(Token("generic", opt, (opt, raw), raw))
        elif opt in STREAMING:
            raw = value() if STREAMING[opt] else None
            tokens.append(Token("streaming", opt, (opt,) if raw is None else (opt, raw), raw))
        else:  # parse() refuses unknown options first; keep the word rather than lose it
            tokens.append(Token("streaming", arg, (arg,)))
        i += 1
    return tokens


def _refuse_local_only(tokens: list[Token], spec: JobSpec) -> None:
    for token in tokens:
        if token.opt in LOCAL_ONLY:
            raise UsageError(LOCAL_ONLY[token.opt])
    if spec.output == "-":
        raise UsageError("-output - (part files to stdout) is local only; name a directory on the "
                         "cluster's filesystem and read it with `hdfs dfs -cat OUT/part-*`")


def _items(token: Token) -> list[tuple[str, str]]:
    """(source, link name) for each item of a shipping option (``a.py,b.py#alias``)."""
    pairs = []
    for item in (token.value or "").split(","):
        if item:
            source, _, alias = item.partition("#")
            pairs.append((source, alias or os.path.basename(source.rstrip("/"))))
    return pairs


def local_path(uri: str) -> str | None:
    """The local path a shipped item names, or None for a remote URI (hdfs://, s3://…)."""
    if uri.startswith("file://"):
        return uri[len("file://"):]
    if uri.startswith("file:"):
        return uri[len("file:"):]
    return None if _SCHEME.match(uri) else uri


def _preflight(tokens: list[Token], cwd: str) -> None:
    """Refuse, in one line each, what fails on the cluster only after the job was queued."""
    shipped: dict[str, str | None] = {}      # link name in the task cwd -> local source
    for token in tokens:
        if token.opt in _SHIPPING or token.opt == "-conf":
            for source, name in _items(token) if token.opt != "-conf" else [(token.value, "")]:
                path = local_path(source)
                if path is not None and not os.path.exists(os.path.join(cwd, path)):
                    raise UsageError(f"{token.opt} {source}: no such local file in {cwd}; fix the path, "
                                     "or name a file already on the cluster (hdfs://…)")
                if token.opt != "-conf":
                    shipped[name] = None if path is None else os.path.join(cwd, path)
        elif token.opt in ("-cacheFile", "-cacheArchive"):
            shipped.update((name, None) for _, name in _items(token))
    for token in tokens:
        if token.opt in ("-mapper", "-combiner", "-reducer") and token.value:
            _check_program(token.opt, token.value, shipped, cwd)
        elif token.opt == "-cmdenv" and token.value and " " in token.value:
            dropped = [w for w in token.value.split(" ") if w and "=" not in w]
            if dropped:
                name = token.value.partition("=")[0]
                raise UsageError(f"-cmdenv {token.value!r}: Hadoop splits -cmdenv values at spaces, so "
                                 f"the task would get {token.value.split(' ')[0]!r} and lose "
                                 f"{' '.join(dropped)!r}; pass it as -D {name}=... instead (jobconf "
                                 "values keep spaces and every key is exported to the task)")


def _check_program(opt: str, command: str, shipped: dict[str, str | None], cwd: str) -> None:
    words = split_command_line(command)
    if not words or words[0] in ("NONE", "aggregate") or os.path.isabs(words[0]):
        return
    if _INTERPRETER.match(os.path.basename(words[0])) and len(words) > 1:
        script = words[1][2:] if words[1].startswith("./") else words[1]
        if (not script.startswith("-") and not os.path.isabs(script) and os.path.isfile(os.path.join(cwd, script))
                and script.split("/", 1)[0] not in shipped):
            raise UsageError(f"{opt} {command!r}: {script} is not shipped, so the task cannot find it; "
                             f"add -files {script} (and call it {os.path.basename(script)})")
        return
    in_cwd = words[0].startswith("./")
    program = words[0][2:] if in_cwd else words[0]
    first = program.split("/", 1)[0]
    if ("/" in program or in_cwd) and first not in shipped:
        raise UsageError(f"{opt} {command!r}: {words[0]} is not shipped, so the task cannot find it; "
                         f"ship it with -files {program} and call it by its name, ./"
                         f"{os.path.basename(program)}")
    if "/" in program or program not in shipped:
        return   # a command on the nodes' PATH, a Java class, or inside a shipped archive
    source = shipped[program]
    if source is None or not os.path.isfile(source):
        return
    with open(source, "rb") as f:
        head = f.readline(4096)
    if head.startswith(b"#!") and head.endswith(b"\r\n"):
        interpreter = head[2:].strip().decode("utf-8", "replace")
        raise UsageError(f"{opt} {command!r}: {program} has a CRLF (Windows) first line, so the node "
                         f"looks for '{interpreter}\\r' and the task fails with code 127; convert it "
                         f"with `dos2unix {program}` or `sed -i 's/\\r$//' {program}`")
    if not head.startswith(b"#!") and not head.startswith(b"\x7fELF"):
        raise UsageError(f"{opt} {command!r}: {program} is run directly but has no #! line; add one "
                         f"(#!/usr/bin/env python3) or name its interpreter: {opt} 'python3 {command}'")
    if not os.stat(source).st_mode & 0o111:
        raise UsageError(f"{opt} {command!r}: {program} is run directly but is not executable; "
                         f"`chmod +x {program}`, or name its interpreter: {opt} 'python3 {command}'")


# ---------------------------------------------------------------- finding Hadoop

def _bin_dirs(env: Mapping[str, str]) -> list[str]:
    """mrjob's order for Hadoop's bin/: the *_PREFIX/HOME/INSTALL vars, $PATH, other *_HOME."""
    dirs = [os.path.join(env[v], "bin") for v in ("HADOOP_PREFIX", "HADOOP_HOME", "HADOOP_INSTALL")
            if env.get(v)]
    if env.get("HADOOP_INSTALL"):
        dirs.append(os.path.join(env["HADOOP_INSTALL"], "hadoop", "bin"))
    dirs += [d for d in env.get("PATH", "").split(os.pathsep) if d]
    dirs += [os.path.join(env[v], "bin") for v in sorted(env)
             if v.startswith("HADOOP_") and v.endswith("_HOME") and v != "HADOOP_HOME" and env[v]]
    return list(dict.fromkeys(dirs))


def _which(name: str, dirs: list[str]) -> str | None:
    for d in dirs:
        path = os.path.join(d, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def jar_search_dirs(env: Mapping[str, str], hadoop_bin: str | None) -> list[str]:
    """Where the streaming jar is looked for, in order (engines notes A1)."""
    dirs = [env[v] for v in ("HADOOP_PREFIX", "HADOOP_HOME", "HADOOP_INSTALL", "HADOOP_MAPRED_HOME")
            if env.get(v)]
    if hadoop_bin:
        home = os.path.dirname(os.path.dirname(os.path.realpath(hadoop_bin)))
        if home not in ("/", "/usr", "/usr/local"):
            dirs.append(home)
    dirs += [env[v] for v in sorted(env) if v.startswith("HADOOP_") and v.endswith("_HOME") and env[v]]
    dirs += JAR_DIRS
    return list(dict.fromkeys(os.path.normpath(d) for d in dirs))


def find_streaming_jar(dirs: list[str]) -> str | None:
    """The first dir holding a ``hadoop*streaming*.jar`` (not -sources/-tests/MR1) wins;
    within it the jar with the fewest path components, then the shortest name."""
    for top in dirs:
        if top in ("/", "/usr", "/usr/local") or not os.path.isdir(top):
            continue
        found = []
        for root, subdirs, names in os.walk(top):
            subdirs[:] = sorted(d for d in subdirs if d not in _SKIP_DIRS)
            found += [os.path.join(root, n) for n in names if _JAR.match(n) and not _NOT_A_JOB_JAR.search(n)]
        if found:
            return min(found, key=lambda p: (p.count(os.sep), len(os.path.basename(p)), p))
    return None


def _check_jar(jar: str, origin: str) -> str:
    if not os.path.isfile(jar):
        raise UsageError(f"{origin} {jar}: no such file; name the hadoop-streaming-<version>.jar of "
                         "your Hadoop (share/hadoop/tools/lib/ in a Hadoop 3 install)")
    if _NOT_A_JOB_JAR.search(os.path.basename(jar)):
        raise UsageError(f"{origin} {jar}: that is a sources/tests/MR1 jar, not the streaming job jar; "
                         "name hadoop-streaming-<version>.jar")
    return jar


def find_command(options: Options = Options()) -> list[str]:
    """``[mapred, streaming]`` or ``[hadoop, jar, JAR]``.

    An explicit jar (``--streaming-jar``, then ``$HADOOP_STREAMING_JAR``) means
    ``hadoop jar JAR``; otherwise ``mapred streaming`` (Hadoop 3) when ``mapred`` is
    found, else ``hadoop jar`` with the jar searched for.
    """
    env = os.environ if options.env is None else options.env
    dirs = _bin_dirs(env)
    hadoop = _which("hadoop", dirs)
    explicit = ((options.streaming_jar, "--streaming-jar") if options.streaming_jar else
                (env.get("HADOOP_STREAMING_JAR"), "HADOOP_STREAMING_JAR=") if env.get("HADOOP_STREAMING_JAR")
                else (None, None))
    where = ", ".join(dirs) or "(PATH is empty)"
    if explicit[0]:
        jar = _check_jar(explicit[0], explicit[1])
        if hadoop is None:
            raise UsageError(f"no `hadoop` command to run {jar} with: looked in {where}; put Hadoop's "
                             "bin/ on PATH or set HADOOP_HOME")
        return [hadoop, "jar", jar]
    mapred = _which("mapred", dirs)
    if mapred:
        return [mapred, "streaming"]
    if hadoop is None:
        raise UsageError(f"no Hadoop client found: no `mapred` or `hadoop` in {where}; install Hadoop "
                         "and put its bin/ on PATH (or set HADOOP_HOME), or print the submission for a "
                         "cloud cluster with --dry-run --target dataproc|emr")
    searched = jar_search_dirs(env, hadoop)
    jar = find_streaming_jar(searched)
    if jar is None:
        raise UsageError(f"found {hadoop} but no hadoop-streaming*.jar (sources/tests/MR1 jars skipped) "
                         f"under {', '.join(searched)}; pass --streaming-jar JAR or set HADOOP_STREAMING_JAR")
    return [hadoop, "jar", jar]


def _display(head: list[str], options: Options) -> list[str]:
    """The command as a user would type it: a bare name when $PATH finds the same file."""
    env = os.environ if options.env is None else options.env
    name = os.path.basename(head[0])
    same = shutil.which(name, path=env.get("PATH", "")) == head[0]
    return [name if same else head[0]] + head[1:]


# ---------------------------------------------------------------- cloud shapes

def _dataproc(forwarded: list[Token], spec: JobSpec, options: Options, cwd: str) -> Submission:
    """``gcloud dataproc jobs submit hadoop``: local shipped files go to gcloud's own
    ``--files/--archives/--jars`` (gcloud uploads them); remote ones stay in the args."""
    if not options.cluster:
        raise UsageError("--target dataproc needs --cluster NAME (and --region R unless gcloud has "
                         "a default dataproc/region)")
    flag_for = {"-files": "--files", "-file": "--files", "-archives": "--archives", "-libjars": "--jars"}
    uploads: dict[str, list[str]] = {}
    kept = []
    for token in forwarded:
        if token.opt == "-conf" and local_path(token.value or "") is not None:
            raise UsageError(f"-conf {token.value}: a local file is not on the Dataproc driver; pass "
                             "the settings with -D key=value")
        if token.opt not in flag_for:
            kept.append(token)
            continue
        remote = []
        for item in (token.value or "").split(","):
            source, _, alias = item.partition("#")
            path = local_path(source)
            if not item:
                continue
            if path is None:
                remote.append(item)
            elif alias and alias != os.path.basename(path.rstrip("/")):
                raise UsageError(f"{token.opt} {item}: gcloud ships local files under their own name; "
                                 f"rename the file to {alias}, or upload it to gs:// and ship "
                                 f"gs://…/{os.path.basename(path)}#{alias}")
            else:
                uploads.setdefault(flag_for[token.opt], []).append(path)
        if remote:
            kept.append(Token(token.kind, token.opt, (token.opt, ",".join(remote)), ",".join(remote)))
    jar = options.streaming_jar or DATAPROC_JAR
    flags = [f"--cluster={options.cluster}"] + ([f"--region={options.region}"] if options.region else [])
    flags += [f"--jar={jar}"] + [f"{flag}={','.join(paths)}" for flag, paths in uploads.items()]
    head = ["gcloud", "dataproc", "jobs", "submit", "hadoop"]
    args = tuple(w for t in kept for w in t.words)
    text = format_command(head, [[f] for f in flags] + [["--"]] + [t.words for t in kept])
    return Submission("dataproc", tuple(head + flags + ["--"]) + args, args, spec, text)


def _emr(forwarded: list[Token], spec: JobSpec, options: Options) -> Submission:
    """``aws emr add-steps`` with a STREAMING step in a JSON file (comma lists such as
    ``-files a,b`` cannot go through the shorthand syntax); aws-cli turns it into
    ``command-runner.jar hadoop-streaming ARGS`` on EMR 4+."""
    if not options.cluster_id:
        raise UsageError("--target emr needs --cluster-id j-XXXXXXXXXXXXX (see `aws emr list-clusters`)")
    for token in forwarded:
        if token.opt in _SHIPPING or token.opt == "-conf":
            for source, _ in _items(token) if token.opt != "-conf" else [(token.value, "")]:
                if local_path(source) is not None:
                    raise UsageError(f"{token.opt} {source}: an EMR step runs on the cluster and cannot "
                                     f"read local files; upload it (`aws s3 cp {source} s3://BUCKET/…`) "
                                     "and name the s3:// URI")
    args = tuple(w for t in forwarded for w in t.words)
    step = [{"Type": "STREAMING", "Name": f"streamkit: {spec.output}", "ActionOnFailure": "CONTINUE",
             "Args": list(args)}]
    command = ("aws", "emr", "add-steps", "--cluster-id", options.cluster_id,
               "--steps", "file://streamkit-step.json")
    text = ("cat > streamkit-step.json <<'EOF'\n" + json.dumps(step, indent=2, ensure_ascii=False)
            + "\nEOF\n" + shlex.join(command))
    return Submission("emr", command, args, spec, text)


def format_command(head: list[str], groups: list[tuple[str, ...] | list[str]]) -> str:
    """Shell-quoted, one option (with its value) per line, backslash continuations.

    >>> print(format_command(["mapred", "streaming"], [("-input", "in"), ("-mapper", "python3 m.py")]))
    mapred streaming \\
      -input in \\
      -mapper 'python3 m.py'
    """
    lines = [shlex.join(head)] + ["  " + shlex.join(g) for g in groups]
    return " \\\n".join(lines)


# ---------------------------------------------------------------- running

def run(sub: Submission, echo: BinaryIO | None = None, env: Mapping[str, str] | None = None) -> HadoopReport:
    """Run the submission; copy Hadoop's console to ``echo`` (if given) as it comes.

    Success is exit status 0, nothing else (as mrjob decides). Otherwise raises a
    :class:`StreamkitError` whose exit code is Hadoop's status and whose message
    explains it. SIGINT/SIGTERM stop the local client (the cluster job may go on:
    the message says how to kill it).
    """
    if sub.target != "hadoop":
        raise UsageError(f"--target {sub.target} only prints the submission (streamkit does not call "
                         "gcloud/aws); add --dry-run")
    console = ConsoleParser()
    started = time.monotonic()
    try:
        proc = subprocess.Popen(list(sub.command), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                env=None if env is None else dict(env))
    except OSError as exc:
        raise UsageError(f"cannot run {sub.command[0]}: {exc.strerror}") from None
    try:
        for raw in iter(lambda: proc.stdout.readline(1 << 16), b""):
            if echo is not None:
                echo.write(raw)
                echo.flush()
            console.feed(raw.decode("utf-8", "replace"))
        rc = proc.wait()
    except BaseException as exc:
        signum = _signal_of(exc)
        if signum is None:
            raise
        console.close()
        raise StreamkitError(_interrupted(signum, console), 128 + signum) from None
    finally:
        _stop(proc)
    console.close()
    if rc != 0:
        raise explain(rc, console)
    return HadoopReport(console.job_id or "", console.output or sub.spec.output, dict(console.counters),
                        console.application_id, console.tracking_url, time.monotonic() - started)


def _signal_of(exc: BaseException) -> int | None:
    if isinstance(exc, KeyboardInterrupt):
        return signal.SIGINT
    code = getattr(exc, "exit_code", 0)
    return code - 128 if isinstance(exc, StreamkitError) and code in (130, 143) else None


def _interrupted(signum: int, console: ConsoleParser) -> str:
    name = signal.Signals(signum).name
    if console.job_id:
        return (f"interrupted by {name}; stopped the local Hadoop client, but job {console.job_id} may "
                f"still be running on the cluster: stop it with `mapred job -kill {console.job_id}`")
    return (f"interrupted by {name}; stopped the local Hadoop client before it printed a job id; "
            "check `mapred job -list` for a job it may have submitted")


def _stop(proc: subprocess.Popen) -> None:
    """Stop the client and everything it started (its own session), then reap it."""
    if proc.poll() is None:
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, None)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
    if proc.stdout:
        proc.stdout.close()


_TASK_HINTS = (
    ("code 127", "the command or its interpreter is missing on the nodes (python vs python3?), or a "
                 "script has a CRLF #! line"),
    ("code 126", "the script is not executable on the nodes"),
    ("error=13", "the script is not executable on the nodes (chmod +x, or name its interpreter)"),
    ("error=2,", "the program does not exist on the nodes: ship it with -files, or fix its name"),
)


def explain(rc: int, console: ConsoleParser) -> StreamkitError:
    """One line for Hadoop's non-zero status; the error keeps that status as exit code."""
    code = 128 - rc if rc < 0 else rc
    status = f"Hadoop exit {rc}" if rc > 0 else f"Hadoop client killed by {signal.Signals(-rc).name}"
    if console.launch_error == "output_exists":
        return StreamkitError(f"output directory {console.launch_path} already exists ({status}); remove "
                              f"it with `hdfs dfs -rm -r {console.launch_path}` or choose another -output", code)
    if console.launch_error == "input_missing":
        return StreamkitError(f"input path does not exist: {console.launch_path} ({status}); check -input "
                              f"on the cluster's filesystem (`hdfs dfs -ls {console.launch_path}`)", code)
    logs = f"; task logs: `yarn logs -applicationId {console.application_id}`" if console.application_id else ""
    if console.failed_attempts:
        last = console.failed_attempts[-1]
        hint = next((f" ({h})" for k, h in _TASK_HINTS if k in last.error), "")
        many = f"{console.attempts_failed} failed task attempts, the last " if console.attempts_failed > 1 else ""
        return StreamkitError(f"job {console.job_id} failed ({status}): {many}{last.attempt_id}: "
                              f"{last.error}{hint}{logs}", code)
    if console.job_id:
        why = console.reason or console.last_error or "see the tracking URL"
        return StreamkitError(f"job {console.job_id} failed ({status}): {why}{logs}", code)
    why = console.last_error or console.last_line or "no output"
    if "main class streaming" in why:   # Hadoop 2's `mapred` has no streaming subcommand
        why += "; this `mapred` has no streaming command (Hadoop 2?): pass --streaming-jar JAR"
    return StreamkitError(f"Hadoop refused the job before submitting it ({status}): {why}", code)
