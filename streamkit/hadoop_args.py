"""Parse a ``mapred streaming`` command line, verbatim, into a :class:`JobSpec`.

Hadoop's shapes are kept: generic options (``-D k=v``, ``-files``) come first, then
streaming options (``-input``, ``-mapper``...), single dash.  The long idiomatic
spellings (``--input``, ``--reducers``...) are accepted too, and streamkit's own options
(``--jobs``, ``--memory``...) may appear anywhere.
"""

from __future__ import annotations

import os
import re

from streamkit import aggregate
from streamkit.conf import JobConf
from streamkit.errors import UsageError
from streamkit.spec import INPUT_FORMATS, IO_IDS, IO_KEYS, PARTITIONERS, JobSpec

GENERIC = {"-D", "-conf", "-fs", "-jt", "-files", "-libjars", "-archives"}
#: streaming option -> takes a value
STREAMING = {
    "-input": True, "-output": True, "-mapper": True, "-combiner": True, "-reducer": True,
    "-numReduceTasks": True, "-file": True, "-cmdenv": True, "-inputformat": True,
    "-outputformat": True, "-partitioner": True, "-lazyOutput": False, "-verbose": False,
    "-jobconf": True, "-io": True, "-cacheFile": True, "-cacheArchive": True,
    "-debug": False, "-info": False,
    "-background": False, "-mapdebug": True, "-reducedebug": True, "-inputreader": True,
    "-dfs": True, "-additionalconfspec": True,
}
REFUSED = {
    "-archives": "-archives is not supported; unpack the archive and ship its files with -files",
    "-cacheArchive": "-cacheArchive is not supported; unpack the archive and ship its files with -files",
    "-libjars": "-libjars is not supported: streamkit runs scripts, not Java classes",
    "-conf": "-conf is not supported; pass the settings with -D key=value",
    "-background": "-background is not supported; run streamkit in the background with the shell (&)",
    "-mapdebug": "-mapdebug is not supported; a failed task's stderr tail is printed and logged",
    "-reducedebug": "-reducedebug is not supported; a failed task's stderr tail is printed and logged",
    "-inputreader": "-inputreader is not supported; use TextInputFormat or KeyValueTextInputFormat",
    "-dfs": "-dfs is not supported; name inputs and output by path or URL",
    "-additionalconfspec": "-additionalconfspec is not supported; pass the settings with -D key=value",
}
#: options whose values name Java classes or modes the cluster resolves (cluster=True)
CLUSTER_CLASSES = {"-inputformat", "-outputformat", "-partitioner", "-io"}
IDENTITY_REDUCERS = {"org.apache.hadoop.mapred.lib.IdentityReducer",
                     "org.apache.hadoop.mapreduce.Reducer"}
IDENTITY_MAPPER = "org.apache.hadoop.mapred.lib.IdentityMapper"
#: A Java class name by convention: dotted identifiers, the last one capitalised.
_JAVA_CLASS = re.compile(r"(?:[A-Za-z_$][\w$]*\.)+[A-Z][\w$]*")
ALIASES = {"--reducers": "-numReduceTasks", "--num-reducers": "-numReduceTasks",
           "--define": "-D", "--lazy-output": "-lazyOutput", "--input-format": "-inputformat"}
#: streamkit's own options: name -> (JobSpec field, kind)
OWN = {
    "--jobs": ("jobs", int), "-j": ("jobs", int), "--memory": ("memory", "size"),
    "--tmpdir": ("tmpdir", str), "--progress": ("progress", True), "--no-progress": ("progress", False),
    "--stats": ("stats", str), "--shuffle-values": ("shuffle_values", True), "--seed": ("seed", int),
    "--log": ("log", str), "--clean-stale": ("clean_stale", True),
    "--sample": ("sample", float), "--merge-previous": ("merge_previous", str),
    "--total-order": ("total_order", True),
}


def split_command_line(args: str) -> list[str]:
    """Streaming's ``splitArgs``: split on spaces; '...' and "..." group; no escapes, no shell.

    A quote both opens/closes a group and ends the current word, as in Hadoop.

    >>> split_command_line("python3 m.py 'a b' \\"c d\\"")
    ['python3', 'm.py', 'a b', 'c d']
    >>> split_command_line("awk -F'\\\\t' x")
    ['awk', '-F', '\\\\t', 'x']
    """
    words, start, state = [], 0, None
    for i, ch in enumerate(args + " "):
        end = i == len(args)
        boundary = end
        if not end:
            if ch in "'\"":
                if state is None:
                    state, boundary = ch, True
                elif state == ch:
                    state, boundary = None, True
            elif ch == " " and state is None:
                boundary = True
        if boundary:
            if i > start:
                words.append(args[start:i])
            start = i + 1
    return words


def canonical(opt: str) -> str:
    """Hadoop's spelling of an option name: ``--reducers`` -> ``-numReduceTasks``,
    ``--input`` -> ``-input``; streamkit's own and unknown names come back unchanged."""
    opt = ALIASES.get(opt, opt)
    if opt.startswith("--") and "-" + opt[2:] in STREAMING | dict.fromkeys(GENERIC):
        opt = "-" + opt[2:]
    return opt


def takes_value(arg: str) -> bool:
    """Whether option ``arg``, as typed, consumes the next argument (``-D`` does, ``-Dk=v`` not)."""
    if arg.startswith("--") and "=" in arg:
        return False
    opt = canonical(arg)
    if opt in OWN:
        return OWN[opt][1] not in (True, False)
    return opt in GENERIC or STREAMING.get(opt, False)


def _link_names(value: str) -> list[tuple[str, str]]:
    """``-files a,b#alias``: (source, link name) pairs."""
    pairs = []
    for item in value.split(","):
        if not item:
            continue
        source, _, alias = item.partition("#")
        if source.startswith("file://"):
            source = source[len("file://"):]
        elif source.startswith("file:"):
            source = source[len("file:"):]
        pairs.append((source, alias or os.path.basename(source.rstrip("/"))))
    return pairs


def _size(value: str) -> int:
    from streamkit.sort_tool import parse_size

    return parse_size(value if value[-1:].isalpha() else value + "M")


def parse(argv: list[str], cluster: bool = False) -> JobSpec:
    """Turn a Hadoop Streaming argv (without ``mapred streaming``) into a validated spec.

    ``cluster=True`` validates for a real cluster (``streamkit hadoop``): what only the
    local emulation lacks (``-archives``, ``-libjars``, Java classes, other ``-io`` modes,
    remote ``-fs``, generic options after streaming ones, which the launcher moves first)
    is accepted, so the cluster decides; typos and malformed values still fail.
    """
    conf = JobConf()
    fields: dict = {"inputs": [], "files": [], "cmdenv": []}
    seen_streaming = False
    i = 0

    def value_of(opt: str) -> str:
        nonlocal i
        if i + 1 >= len(argv):
            raise UsageError(f"{opt} needs a value")
        i += 1
        return argv[i]

    while i < len(argv):
        arg = argv[i]
        opt, eq, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        opt = canonical(opt)
        if opt.startswith("-D"):  # -D k=v, -Dk=v, --define k=v
            if seen_streaming and not cluster:
                raise UsageError(f"{arg} comes after streaming options; Hadoop requires generic "
                                 "options (-D, -files) first, so move it before -input")
            setting = inline if eq else (opt[2:] if len(opt) > 2 else value_of("-D"))
            _define(conf, setting)
        elif opt in OWN:
            name, kind = OWN[opt]
            if kind is True or kind is False:
                fields[name] = kind
            else:
                raw = inline if eq else value_of(opt)
                try:
                    fields[name] = _size(raw) if kind == "size" else kind(raw)
                except ValueError:
                    raise UsageError(f"{opt} {raw}: expected {'a size like 256M' if kind == 'size' else 'a number'}") from None
        elif opt in REFUSED and not cluster:
            raise UsageError(REFUSED[opt])
        elif opt in GENERIC:
            if seen_streaming and not cluster:
                raise UsageError(f"{opt} comes after streaming options; Hadoop requires generic "
                                 "options (-D, -files) first, so move it before -input")
            raw = inline if eq else value_of(opt)
            if opt == "-files":
                fields["files"] += _link_names(raw)
            elif opt in ("-fs", "-jt") and raw not in ("local", "file:///", "file:/") and not cluster:
                raise UsageError(f"{opt} {raw}: streamkit runs locally; to submit to a cluster use "
                                 "Hadoop's own `mapred streaming` with the same arguments")
        elif opt in STREAMING:
            seen_streaming = True
            raw = (inline if eq else value_of(opt)) if STREAMING[opt] else ""
            if not (cluster and opt in CLUSTER_CLASSES):
                _streaming(opt, raw, conf, fields)
        else:
            raise UsageError(f"unknown option {arg!r}; see `streamkit run --help` for the Hadoop "
                             "Streaming options streamkit accepts")
        i += 1
    return _build(conf, fields, cluster)


def _define(conf: JobConf, setting: str) -> None:
    key, eq, value = setting.partition("=")
    if not eq or not key:
        raise UsageError(f"-D {setting}: expected key=value")
    conf[key] = value


def _streaming(opt: str, raw: str, conf: JobConf, fields: dict) -> None:
    if opt == "-input":
        fields["inputs"].append(raw)
    elif opt in ("-output", "-mapper", "-combiner", "-reducer"):
        fields[opt[1:]] = raw
    elif opt == "-numReduceTasks":
        try:
            fields["num_reducers"] = int(raw)
        except ValueError:
            raise UsageError(f"-numReduceTasks {raw}: expected a whole number") from None
    elif opt in ("-file", "-cacheFile"):
        fields["files"] += _link_names(raw)
        if opt == "-file":
            fields.setdefault("packaged", []).extend(raw.split(","))
    elif opt == "-cmdenv":
        if "=" not in raw:
            raise UsageError(f"-cmdenv {raw}: expected NAME=VALUE")
        # Hadoop joins -cmdenv values with spaces and splits them again on spaces, so a
        # value cannot hold one: "A=x y" sets A=x and drops "y".
        for item in raw.split(" "):
            name, eq, value = item.partition("=")
            if eq:
                fields["cmdenv"].append((name, value))
    elif opt == "-jobconf":
        _define(conf, raw)
    elif opt == "-inputformat":
        if raw not in INPUT_FORMATS:
            raise UsageError(f"-inputformat {raw}: streamkit reads TextInputFormat and KeyValueTextInputFormat")
        fields["input_format"] = INPUT_FORMATS[raw]
    elif opt == "-outputformat":
        if raw.rsplit(".", 1)[-1] != "TextOutputFormat":
            raise UsageError(f"-outputformat {raw}: streamkit writes TextOutputFormat only")
    elif opt == "-partitioner":
        if raw not in PARTITIONERS:
            raise UsageError(f"-partitioner {raw}: streamkit emulates HashPartitioner and "
                             "KeyFieldBasedPartitioner (org.apache.hadoop.mapred.lib.*)")
        fields["partitioner"] = PARTITIONERS[raw]
    elif opt == "-io":  # StreamJob sets all four after the -D settings, so -io wins
        if raw.lower() not in IO_IDS:
            raise UsageError(f"-io {raw}: streamkit supports -io text and keyonlytext (rawbytes "
                             "and typedbytes are binary formats it does not emulate)")
        fields["io"] = raw
    elif opt == "-lazyOutput":
        fields["lazy_output"] = True
    elif opt == "-verbose":
        fields["verbose"] = True
    # -debug, -info: accepted, no effect


def java_class(command: str | None, shipped: set[str]) -> bool:
    """Whether Hadoop would take ``command`` for a Java class rather than a program.

    StreamJob loads the whole string as a class (``StreamUtil.goodClassOrNull``) and runs
    it as a command only when that fails; streamkit has no classpath, so a name shaped like
    a class (``org.foo.Bar``: no space, dotted, last part capitalised) that is neither a
    file here nor a shipped file's name counts as one.
    """
    return bool(command and _JAVA_CLASS.fullmatch(command)
                and not os.path.exists(command) and command not in shipped)


def _unqualify(command: str | None, packaged: list[str]) -> str | None:
    """StreamJob's ``unqualifyIfLocalPath``: a program that is a ``-file`` shipped file, named
    by any path, runs as the task's copy (its base name in the task directory)."""
    if not command or not packaged:
        return command
    prog, space, args = command.partition(" ")
    canon = {os.path.realpath(p) for p in packaged if os.path.isfile(p)}
    if os.path.realpath(prog) in canon:
        return os.path.basename(prog) + space + args
    return command


def _commands(fields: dict, cluster: bool = False) -> None:
    """Resolve -mapper/-combiner/-reducer: shipped paths, and the Java classes streamkit
    emulates (IdentityMapper, IdentityReducer); any other class is refused up front."""
    packaged = fields.pop("packaged", [])
    shipped = {name for _, name in fields["files"]}
    for role in ("mapper", "combiner", "reducer"):
        command = _unqualify(fields.get(role), packaged)
        if command == IDENTITY_MAPPER and role == "mapper":
            command = None  # Hadoop's default mapper: key and value as the input format reads them
        elif command in IDENTITY_REDUCERS and role == "combiner":
            command = None  # an identity combiner changes nothing
        elif (java_class(command, shipped) and not cluster and command not in aggregate.CLASSES
              and not (role == "reducer" and command in IDENTITY_REDUCERS)):
            raise UsageError(f"-{role} {command}: a Java class; streamkit runs commands, and of "
                             f"Hadoop's classes only {IDENTITY_MAPPER} (-mapper) and "
                             "org.apache.hadoop.mapred.lib.IdentityReducer (-reducer); give a "
                             "command instead")
        if role in fields:
            fields[role] = command


def _build(conf: JobConf, fields: dict, cluster: bool = False) -> JobSpec:
    _commands(fields, cluster)
    io = fields.pop("io", None)
    for key in IO_KEYS if io else ():
        conf[key] = io
    reducer = fields.pop("reducer", None)
    if "num_reducers" in fields:
        reducers = fields.pop("num_reducers")
    else:
        reducers = conf.get_int("mapreduce.job.reduces", 1)
    if reducer == "NONE":
        reducer, reducers = None, 0
    elif reducer in IDENTITY_REDUCERS:
        reducer = None  # Hadoop's IdentityReducer: records straight to the part files
    elif reducer is not None and reducer.lower() == "aggregate" and reducers:
        # StreamJob: the Aggregate package's reducer, and its combiner over any -combiner
        reducer, fields["combiner"] = aggregate.REDUCER, aggregate.COMBINER
    if aggregate.REDUCER in (reducer, fields.get("combiner")):
        aggregate.max_unique(conf)  # a bad UniqValueCount cap: a usage error before anything runs
    conf["mapreduce.job.reduces"] = str(reducers)
    if "memory" not in fields and "mapreduce.task.io.sort.mb" in conf:
        fields["memory"] = conf.get_int("mapreduce.task.io.sort.mb", 100, minimum=1) << 20
    spec = JobSpec(
        inputs=tuple(fields.pop("inputs")), output=fields.pop("output", ""),
        reducer=reducer, num_reducers=reducers, conf=conf,
        files=tuple(fields.pop("files")), cmdenv=tuple(fields.pop("cmdenv")), **fields)
    return spec.validate(cluster)
