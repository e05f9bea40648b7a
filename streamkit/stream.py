"""Helpers for Hadoop Streaming scripts: records, groups, emit, counters -- stdlib only.

A script that uses them is still a plain program that reads stdin and writes stdout:
it runs in ``cat | x.py -m | sort | x.py -r``, under ``streamkit run`` and under
Hadoop Streaming.  This file imports nothing outside the standard library and nothing
from streamkit, so it works as a single file copied (``-file``) next to the script or
from a zip; ``python3 -X importtime`` puts it at about half a millisecond.

Reading (bytes by default; ``text=True`` gives ``str`` decoded as UTF-8 with
``surrogateescape``, so any byte survives the round trip through :func:`emit`):

* :func:`blocks` -- stdin as ~1 MiB blocks of whole records, each ending in ``\\n``;
* :func:`lines` -- each record, terminator removed;
* :func:`records` -- ``(key, value)`` per record;
* :func:`groups` -- ``(key, values)`` per run of equal keys: one pass, constant memory.

Records follow Hadoop's readers (``streamkit/records.py`` is the reference, and
``tests/test_stream.py`` checks this file against it): ``\\n``, ``\\r\\n`` and a lone
``\\r`` end a record; the key ends at the first separator; a line without one is all
key with an empty value.  Which settings apply depends on what the script reads:

* a **reducer or combiner** reads the shuffle, ``key + SEP + value`` where the key is
  the first ``stream.num.map.output.key.fields`` fields separated by
  ``stream.map.output.field.separator`` and ``SEP`` is
  ``stream.reduce.input.field.separator``; Hadoop writes ``SEP`` even when the value is
  empty, so a trailing ``SEP`` is not part of the key (a tab inside the *last* key field
  cannot be told from ``SEP``);
* a **mapper** reads input lines: the key ends at the first
  ``stream.map.input.field.separator``.

All default to one field and a tab, so in a plain pipeline both rules are "split at the
first tab".  The settings come from the environment, where Hadoop and ``streamkit run``
export the job conf (``stream_num_map_output_key_fields``...).  The role is the one
:func:`run` was started in, else ``mapreduce_task_ismap`` from the environment (which is
``true`` in a combiner too: a standalone combiner script should use :func:`groups`,
which always reads the shuffle), else "reducer".

Writing: :func:`emit` writes ``key SEP value\\n`` with the separator Hadoop will split
that role's output on (``stream.map.output.field.separator`` for a mapper,
``stream.reduce.output.field.separator`` for a reducer or combiner; a tab by default).
:func:`counter` and :func:`status` write the stderr reporter protocol; counters are
added up in memory and written at most once a second and at exit, so a counter in a
hot loop costs a dict update, not a write.

>>> import io
>>> data = io.BytesIO(b"b\\t1\\nb\\t2\\r\\nc\\nd\\t\\n")
>>> [(key, list(values)) for key, values in groups(stream=data)]
[(b'b', [b'1', b'2']), (b'c', [b'']), (b'd', [b''])]
"""

import atexit
import io
import os
import sys
import time
from itertools import chain, groupby, repeat

try:
    from _operator import itemgetter, methodcaller  # skips operator.py: ~1 ms per task
except ImportError:  # pragma: no cover - not CPython
    from operator import itemgetter, methodcaller

__all__ = ["blocks", "lines", "records", "groups", "emit", "emit_json", "write",
           "counter", "status", "flush", "run"]

BLOCK_SIZE = 1 << 20
COUNTER_FLUSH_S = 1.0  # counters reach the framework at most this late (and at exit)

_KEY, _VALUE = itemgetter(0), itemgetter(-1)  # on (key, value) and (key, sep, value)
_PAIR = itemgetter(0, -1)
_role = None  # "map", "reduce" or "combine" once run() has chosen


# ------------------------------------------------------------------ configuration


def _env(name, default):
    """A job conf setting as bytes, as exported by Hadoop (dots become underscores)."""
    value = os.environ.get(name.replace(".", "_"))
    return value.encode("utf-8", "surrogateescape") if value else default


def _current_role(role=None):
    if role is None:
        role = _role
    if role is None:
        ismap = os.environ.get("mapreduce_task_ismap") or os.environ.get("mapred_task_is_map")
        role = "map" if ismap == "true" else "reduce"
    if role not in ("map", "reduce", "combine"):
        raise ValueError("role must be 'map', 'reduce' or 'combine', not %r" % (role,))
    return role


def _out_sep(role=None):
    if _current_role(role) == "map":
        return _env("stream.map.output.field.separator", b"\t")
    return _env("stream.reduce.output.field.separator", b"\t")


def _splitter(shuffle, text):
    """A function line -> (key, ..., value) for the map input or the shuffle rule."""
    if shuffle:
        nfields = int(_env("stream.num.map.output.key.fields", b"1"))
        key_sep = _env("stream.map.output.field.separator", b"\t")
        sep = _env("stream.reduce.input.field.separator", b"\t")
    else:
        nfields, key_sep = 1, b"\t"
        sep = _env("stream.map.input.field.separator", b"\t")
    if text:
        key_sep, sep = key_sep.decode("utf-8", "surrogateescape"), sep.decode("utf-8", "surrogateescape")
    if nfields <= 1:
        return methodcaller("partition", sep)  # C: (key, sep, value); no sep -> (line, '', '')
    return _nth_field_splitter(nfields, key_sep, sep)


def _nth_field_splitter(nfields, key_sep, sep):
    """Split a shuffle line whose key has ``nfields`` fields (see the module doc)."""
    step, width = len(key_sep), len(sep)

    def split(line):
        start = 0
        for _ in range(nfields - 1):
            pos = line.find(key_sep, start)
            if pos < 0:
                break
            start = pos + step
        else:
            pos = line.find(sep, start)
            if pos >= 0:
                return line[:pos], line[pos + width:]
        # Fewer fields than nfields: the whole line is key; Hadoop appended SEP.
        if line.endswith(sep):
            return line[:-width], line[:0]
        return line, line[:0]

    return split


# ------------------------------------------------------------------ reading


def blocks(stream=None, size=BLOCK_SIZE):
    """Yield ``stream`` (default stdin) as blocks of whole records, each ending in ``\\n``.

    Hadoop's terminators (``LineReader``): ``\\r\\n`` and a lone ``\\r`` come out as
    ``\\n``; a last record without a terminator gets one.  A block without ``\\r`` costs
    one ``rfind`` and a slice; a very long line is joined once, not copied per read.
    """
    read = (stream if stream is not None else sys.stdin.buffer).read
    tail, pending, after_cr = b"", [], False
    while True:
        data = read(size)
        if not data:
            break
        if after_cr:
            after_cr = False
            if data[:1] == b"\n":  # second half of a "\r\n" split between reads
                data = data[1:]
        if b"\n" not in data and b"\r" not in data:
            if data:
                pending.append(data)
            continue
        if tail or pending:  # rebinding frees the read buffer at once: fewer fresh pages
            data = b"".join([tail, *pending, data])
            pending = []
        if b"\r" in data:
            after_cr = data.endswith(b"\r")
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        cut = data.rfind(b"\n") + 1
        tail = data[cut:]
        yield data[:cut] if tail else data
    tail = b"".join([tail, *pending])
    if tail:
        yield tail + b"\n"


def _line_lists(stream, text):
    """Each block as a list of its records (terminators dropped)."""
    if text:
        for block in blocks(stream):
            block = block.decode("utf-8", "surrogateescape").split("\n")
            block.pop()
            yield block
    else:
        for block in blocks(stream):
            block = block.split(b"\n")
            block.pop()
            yield block


def lines(text=False, stream=None):
    """Iterate over the records of stdin, without their terminators."""
    return chain.from_iterable(_line_lists(stream, text))


def _split_records(stream, text, shuffle):
    split = _splitter(shuffle, text)
    return chain.from_iterable(map(map, repeat(split), _line_lists(stream, text)))


def records(text=False, stream=None, role=None):
    """Iterate over ``(key, value)`` for each record of stdin.

    ``role`` ("map", "reduce", "combine") picks the splitting rule of the module doc;
    by default the role :func:`run` was started in, else the environment's.
    """
    return map(_PAIR, _split_records(stream, text, _current_role(role) != "map"))


def groups(text=False, json_values=False, counted=False, stream=None):
    """Iterate over ``(key, values)`` for each run of equal keys in sorted input.

    ``values`` is an iterator over that key's values, read lazily from stdin: memory
    stays constant however large a group is, and a group whose values are not (all)
    read is skipped over.  As with :func:`itertools.groupby`, use a group's values
    before asking for the next group.  Always reads the shuffle rule (module doc).

    ``json_values=True`` decodes each value with :func:`json.loads`.
    ``counted=True`` gives ``(value, n)`` pairs instead: identical records within a
    block are counted in C (``collections.Counter``), so a reducer whose values repeat
    (flags, ones) looks at each distinct value once per block.  A value may come in
    more than one pair; add the ``n``.
    """
    if counted:
        items = _counted_records(stream, text)
        value = itemgetter(1, 2)
    else:
        items = _split_records(stream, text, True)
        value = _VALUE
    if json_values:
        import json
        loads = json.loads
        if counted:
            value = _json_counted(value, loads)
        else:
            raw = value
            value = lambda item: loads(raw(item))  # noqa: E731
    return ((key, map(value, group)) for key, group in groupby(items, _KEY))


def _json_counted(value, loads):
    def decoded(item):
        raw, n = value(item)
        return loads(raw), n
    return decoded


def _counted_records(stream, text):
    """``(key, value, n)`` for each distinct record of each block, in first-seen order.

    Sorted input keeps a key's distinct records together in that order, so grouping
    the result by key gives the same groups as grouping the records.
    """
    from collections import Counter
    split = _splitter(True, text)
    for block in _line_lists(stream, text):
        for line, n in Counter(block).items():
            parts = split(line)
            yield parts[0], parts[-1], n


# ------------------------------------------------------------------ writing


_own_stdout = None  # our buffer when Python's stdout is unbuffered (-u, PYTHONUNBUFFERED)


def _write(data):
    """Write bytes to stdout; binds the real writer on first use.

    Python's ``sys.stdout.buffer`` is used when it is buffered.  Under ``python -u`` or
    ``PYTHONUNBUFFERED`` it is not, and a write per record would cost a system call
    each, so the helpers then buffer stdout themselves (flushed by :func:`flush`,
    at exit, and by :func:`run`): do not mix :func:`emit` with ``print`` there.
    """
    global _write, _own_stdout
    out = sys.stdout.buffer
    if isinstance(out, io.FileIO):  # unbuffered: buffer the same descriptor ourselves
        sys.stdout.flush()
        _own_stdout = out = io.open(out.fileno(), "wb", buffering=1 << 16, closefd=False)
    _write = out.write
    return _write(data)


def _bytes(item):
    """``str`` -> UTF-8 (surrogateescape, so decoded input round-trips); others via str()."""
    if isinstance(item, str):
        return item.encode("utf-8", "surrogateescape")
    if isinstance(item, (bytes, bytearray, memoryview)):
        return bytes(item)
    return str(item).encode("utf-8", "surrogateescape")


_SEP = None  # the output separator, resolved on first emit


def emit(key, value=None):
    """Write ``key SEP value\\n`` (just ``key\\n`` if value is None).

    key and value may be bytes, str, or anything else (written as ``str(x)``).
    """
    if type(key) is not bytes:
        key = _bytes(key)
    if value is None:
        _write(key + b"\n")
        return
    if type(value) is not bytes:
        value = _bytes(value)
    sep = _SEP if _SEP is not None else _resolve_sep()
    _write(b"%s%s%s\n" % (key, sep, value))


def emit_json(key, value):
    """Write ``key SEP json(value)\\n`` (compact JSON, UTF-8)."""
    emit(key, _dumps(value))


def _dumps(value):
    import json
    global _dumps
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
    _dumps = lambda value: encoder.encode(value).encode("utf-8", "surrogateescape")  # noqa: E731
    return _dumps(value)


def _resolve_sep():
    global _SEP
    _SEP = _out_sep()
    return _SEP


def write(data):
    """Write raw bytes (or str) to stdout: whole lines you formatted yourself."""
    _write(data if type(data) is bytes else _bytes(data))


# ------------------------------------------------------------------ counters and status

_counts = {}  # (group, name) -> amount not yet written
_next_flush = 0.0
_monotonic = time.monotonic


def counter(group, name, amount=1):
    """Add ``amount`` to Hadoop counter ``group, name`` (written batched, totals exact).

    Commas in the names become ``;`` (Hadoop's counter line has no escape), as mrjob does.
    """
    global _next_flush
    if type(amount) is not int and not isinstance(amount, int):
        raise TypeError("counter amount must be an int, not %r" % (amount,))
    key = (group, name)
    _counts[key] = _counts.get(key, 0) + amount
    if _monotonic() >= _next_flush:
        _flush_counters()
        _next_flush = _monotonic() + COUNTER_FLUSH_S


def _text(name):
    if isinstance(name, (bytes, bytearray)):
        name = bytes(name).decode("utf-8", "replace")
    return str(name).replace(",", ";").replace("\n", " ").replace("\r", " ")


def _prefix():
    return _env("stream.stderr.reporter.prefix", b"reporter:").decode("utf-8", "replace")


def _flush_counters():
    if not _counts:
        return
    prefix = _prefix() + "counter:"
    out = "".join("%s%s,%s,%d\n" % (prefix, _text(group), _text(name), amount)
                  for (group, name), amount in _counts.items())
    _counts.clear()
    sys.stderr.write(out)
    sys.stderr.flush()


def status(message):
    """Set the task's status line now (``reporter:status:message``); also keeps it alive."""
    text = str(message).replace("\n", " ").replace("\r", " ")
    sys.stderr.write("%sstatus:%s\n" % (_prefix(), text))
    sys.stderr.flush()


def flush():
    """Write pending counters and flush stdout (done for you at exit)."""
    _flush_counters()
    if _own_stdout is not None:
        _own_stdout.flush()
    if sys.stdout is not None:
        sys.stdout.flush()


def _at_exit():
    try:
        flush()
    except BrokenPipeError:
        _devnull_stdout()


atexit.register(_at_exit)


# ------------------------------------------------------------------ single-file jobs

_FLAGS = {"-m": "map", "--mapper": "map", "-r": "reduce", "--reducer": "reduce",
          "-c": "combine", "--combiner": "combine"}
_SHORT = {"map": "-m", "reduce": "-r", "combine": "-c"}


def run(mapper=None, reducer=None, combiner=None, *, map_task=None, reduce_task=None,
        combine_task=None, text=False, json_values=False, counted=False, argv=None):
    """Run the role named by the first argument: ``-m`` mapper, ``-r`` reducer, ``-c`` combiner.

    ``x.py -m | sort | x.py -r`` is the whole protocol: no hidden flags.  Per record:

    * ``mapper(line)`` -> pairs: called for each input line (bytes; str with
      ``text=True``); the line is whole, tabs included;
    * ``reducer(key, values)``, ``combiner(key, values)`` -> pairs: called for each
      group of :func:`groups`;

    where "pairs" is None, one ``(key, value)`` tuple, or an iterable of them (a
    generator), each written by :func:`emit`.  Mapper results are written 512 lines
    at a time (a mapper that also calls :func:`emit` itself should return None).  ``json_values=True`` JSON-encodes the
    values mapper and combiner write and decodes the values combiner and reducer read;
    the reducer's output is written as given.  ``counted=True`` hands the reducer and
    combiner ``(value, n)`` pairs (see :func:`groups`).

    For speed or per-task state, give a whole task instead: ``map_task()``,
    ``reduce_task()``, ``combine_task()`` take no arguments and read and write
    themselves with :func:`blocks`, :func:`groups`, :func:`emit`...

    Arguments after the role flag are left in ``sys.argv`` for the job.  A closed
    stdout (``| head``) ends the task quietly with status 0.
    """
    global _role, _SEP
    argv = sys.argv if argv is None else argv
    prog = os.path.basename(argv[0]) if argv and argv[0] else "job"
    funcs = {"map": (mapper, map_task), "reduce": (reducer, reduce_task),
             "combine": (combiner, combine_task)}
    for role, (each, task) in funcs.items():
        if each is not None and task is not None:
            raise TypeError("run(): give %s or %s_task, not both" % (
                {"map": "mapper", "reduce": "reducer", "combine": "combiner"}[role], role))
    defined = [_SHORT[role] for role, pair in funcs.items() if pair != (None, None)]
    flag = argv[1] if len(argv) > 1 else None
    if flag in ("-h", "--help"):
        _usage(prog, defined, sys.stdout)
        sys.exit(0)
    role = _FLAGS.get(flag)
    if role is None or funcs[role] == (None, None):
        what = "no role given" if flag is None else (
            "this job has no %s" % {"map": "mapper", "reduce": "reducer", "combine": "combiner"}[role]
            if role else "unknown role %r" % flag)
        sys.stderr.write("%s: %s; run it as %s %s (see %s --help)\n"
                         % (prog, what, prog, " or ".join(defined) or "-m/-r/-c", prog))
        sys.exit(2)
    _role, _SEP = role, None
    each, task = funcs[role]
    try:
        if task is not None:
            task()
        elif role == "map":
            _map_each(each, text, json_values)
        else:
            _reduce_each(each, groups(text, json_values, counted),
                         encode=json_values and role == "combine")
        flush()
    except BrokenPipeError:
        _quiet_broken_pipe()


def _usage(prog, defined, out):
    doc = getattr(sys.modules.get("__main__"), "__doc__", None)
    if doc:
        out.write(doc.strip() + "\n\n")
    names = {"-m": "mapper", "-r": "reducer", "-c": "combiner"}
    out.write("usage: %s %s\n" % (prog, " | ".join(defined)))
    for flag in defined:
        out.write("  %s  run the %s: stdin -> stdout\n" % (flag, names[flag]))
    if "-m" in defined and "-r" in defined:
        out.write("e.g.  cat input | %s -m | LC_ALL=C sort -t$'\\t' -k1,1 -s | %s -r\n"
                  % (prog, prog))


def _quiet_broken_pipe():
    """The reader went away (``| head``): not an error, exit 0 without a traceback."""
    _devnull_stdout()
    sys.exit(0)


def _devnull_stdout():
    """Point stdout at /dev/null so the interpreter's final flush stays quiet too
    (Python's documented recipe for SIGPIPE)."""
    global _write
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    _write = len  # whatever is still emitted goes nowhere


def _emit_all(out, encode):
    """Write what a mapper/reducer call returned (see :func:`run`)."""
    if out is None:
        return
    if type(out) is tuple and len(out) == 2 and not isinstance(out[0], (tuple, list)):
        out = (out,)
    if encode:
        for key, value in out:
            emit(key, _dumps(value))
    else:
        for key, value in out:
            emit(key, value)


_MAP_BATCH = 512  # lines whose results are held at once (memory stays bounded)


def _map_each(mapper, text, encode):
    """Call ``mapper`` on each line, 512 lines at a time.

    Fast path: when every call of a batch returned one ``(bytes, bytes)`` pair, the
    batch's output is formatted and written by C loops (``bytes % pair``).  Anything
    else (a generator, str, None...) makes that raise TypeError before anything is
    written, and the batch's results then go through :func:`emit` one by one.
    """
    fast = not (text or encode)
    pair_line = (b"%s" + _out_sep() + b"%s\n").__mod__
    for block in _line_lists(None, text):
        for start in range(0, len(block), _MAP_BATCH):
            outs = list(map(mapper, block[start:start + _MAP_BATCH]))
            if fast:
                try:
                    _write(b"".join(map(pair_line, outs)))
                    continue
                except TypeError:
                    pass
            for out in outs:
                if out is not None:
                    _emit_all(out, encode)


def _reduce_each(reducer, grouped, encode):
    for key, values in grouped:
        out = reducer(key, values)
        if out is not None:
            _emit_all(out, encode)
