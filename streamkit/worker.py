"""One task attempt, run inside a worker process: a map task or a reduce task.

Per-record work happens here, never in the driver.  A map attempt pipes its split into
the mapper and partitions/sorts/spills what comes out (or, map-only, writes its part
file); a reduce attempt merges its partition's segments from every map spill into the
reducer and writes the part file through TextOutputFormat.  Each returns a small dict
(counters, spill index) that the driver reads back as JSON.
"""

from __future__ import annotations

import errno
import os
import random
import resource
import select
import threading
import time
from collections import Counter, deque
from typing import Callable, Iterable, Iterator

from streamkit import aggregate, sampling
from streamkit.errors import InputError
from streamkit.extsort import (COUNT_RATIO, LINE_OVERHEAD, block_memory, merge_counted,
                               merge_files, read_compact, read_counted, repeated_blocks)
from streamkit.inputs import read_split, read_split_keyed, split_pieces
from streamkit.maptask import MapOutputCollector, from_combiner_output, to_reduce_input
from streamkit.output import TextOutput
from streamkit.records import LineReader, split_key_value
from streamkit.task import PIPE_SIZE, Counters, PipeWriter, StreamProcess, TaskError

FRAMEWORK = "Map-Reduce Framework"
STREAMING_BUFFER = 128 * 1024  # PipeMapRed's BUFFER_SIZE for the script's stdin
KERNEL_PIPE = 64 * 1024  # the default pipe Hadoop writes the script's stdin into
SMALL_READ = 64 * 1024       # a read shorter than this means the script writes in dribs
TRICKLE_WAIT = 0.002         # seconds to let such output accumulate at first (pipe is 1 MiB)...
MAX_TRICKLE_WAIT = 0.010     # ...and at most, as long as reads stay small
ORPHAN_GRACE = 2.0  # seconds a finished command's leftovers may hold its stdout open


def send_all(out: PipeWriter, src: int, offset: int, length: int) -> None:
    """``os.sendfile`` until ``length`` bytes of ``src`` from ``offset`` are in ``out``: the
    kernel moves them from the page cache into the pipe, Python never holds them.  A file
    system that cannot splice (EINVAL) gets them copied through Python instead."""
    while length:
        try:
            n = out.sendfile(src, offset, length)
        except OSError as err:
            if err.errno not in (errno.EINVAL, errno.ENOSYS):
                raise
            data = os.pread(src, min(length, 1 << 20), offset)
            n = len(data)
            out.write(data)
        if not n:  # the file lost those bytes after they were counted
            raise InputError(f"an input file shrank while a map task read it (at byte {offset}); "
                             "do not rewrite inputs while a job runs")
        offset, length = offset + n, length - n


class Feeder(threading.Thread):
    """Write blocks to a process's stdin from a thread, so its stdout can be read meanwhile.

    A piece is a block of ``\\n``-terminated records (bytes), a ``(block, records)`` pair
    whose records are known (:meth:`ReduceFeed.counted_blocks`), or an ``(fd, offset,
    length, records)`` range of an input file sent by :func:`send_all`
    (``inputs.split_pieces``).
    If the process stops reading (broken pipe), the rest of the input is still counted,
    not written: whether that fails the task depends on how much input there was.
    """

    def __init__(self, proc: StreamProcess, blocks: Iterable[bytes | tuple]):
        super().__init__(daemon=True)
        self.proc, self.blocks = proc, blocks
        self.total_records = 0    # records of the whole input
        self.total_bytes = 0
        self.sent_bytes = 0       # of those, bytes given as ranges of an input file
        self.paced = False        # whether the stdin was paced (task.PipeWriter)
        # (bytes, records) written so far, after each piece; only the pieces that can still
        # be in the pipe (the last PIPE_SIZE bytes) and one before them are kept.
        self.written: deque[tuple[int, int]] = deque([(0, 0)])
        self.error: BaseException | None = None

    def run(self) -> None:
        out = PipeWriter(self.proc.stdin_fd)  # here: it watches this thread's wake-ups
        broken = False
        try:
            for block in self.blocks:
                ranged = False
                if type(block) is not tuple:
                    size, n = len(block), block.count(b"\n")
                elif len(block) == 2:  # a block and its records
                    block, n = block
                    size = len(block)
                else:
                    src, offset, size, n = block
                    ranged = True
                self.total_records += n
                self.total_bytes += size
                if not broken:
                    try:
                        if ranged:
                            send_all(out, src, offset, size)
                            self.sent_bytes += size
                        else:
                            out.write(block)
                        written = self.written
                        written.append((self.total_bytes, self.total_records))
                        while written[1][0] <= self.total_bytes - PIPE_SIZE:
                            written.popleft()
                    except BrokenPipeError:
                        broken = True
                        self.proc.close_stdin()
        except BaseException as exc:  # an input error: reported by the task
            self.error = exc
        finally:
            self.paced = out.paced
            self.proc.close_stdin()

    def check_consumed(self, who: str, skip_allowed: bool = False) -> None:
        """Fail like Hadoop when the command stopped reading its input.

        Streaming writes through a 128 KiB buffer into a 64 KiB pipe: a command that
        quits early fails the task only when a write after that hits the closed pipe,
        i.e. when it left more than the pipe holds unread and there was more input than
        the buffer holds (a failure of the final flush is only logged).  Our pipe is
        wider (fewer wake-ups), so what the command left unread is measured instead
        (``StreamProcess.stdin_unread``) and held against the 64 KiB.  Call it after the
        command has finished and this thread has ended.
        """
        read = self.written[-1][0] - self.proc.stdin_unread
        if self.total_bytes - read <= KERNEL_PIPE or self.total_bytes <= STREAMING_BUFFER:
            return
        if skip_allowed:
            return
        records = max(n for size, n in self.written if size <= read)  # of whole pieces read
        hint = ", or set -D stream.minRecWrittenToEnableSkip_=0" if who == "mapper" else ""
        raise TaskError(f"the {who} stopped reading its input after {records} of "
                        f"{self.total_records} records (broken pipe); Hadoop fails such a "
                        f"task too: read all of stdin{hint}")


def pump(proc: StreamProcess, feeder: Feeder, sink: Callable[[bytes], None],
         timeout: float = 0.0) -> None:
    """Read the process's stdout into ``sink`` as record blocks until EOF.

    If the command exits while something it started keeps stdout open, that process
    group is killed after ``ORPHAN_GRACE`` idle seconds.  With ``timeout`` (Hadoop's
    ``mapreduce.task.timeout``), a command that neither writes a line to stdout nor to
    stderr for that long is killed and the attempt fails.
    """
    reader = LineReader()
    fd = proc.stdout_fd
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP)
    # Read into one buffer and copy out what came: a 1 MiB os.read that returns a few KB
    # costs an mmap, an mremap and an munmap each time.
    buf = bytearray(PIPE_SIZE)
    view = memoryview(buf)
    wait = TRICKLE_WAIT
    feeder.start()
    last_output = time.monotonic()
    try:
        while True:
            if poller.poll(1000):
                n = os.readv(fd, [buf])
                if not n:
                    break
                last_output = time.monotonic()
                block = reader.feed(bytes(view[:n]))
                if block:
                    sink(block)
                if n < SMALL_READ:
                    # A script that prints line by line (through an 8 KiB buffer, or none)
                    # trickles output; let it pile up in the pipe rather than wake for
                    # every write, waiting longer while reads stay small.
                    time.sleep(wait)
                    wait = min(wait * 2, MAX_TRICKLE_WAIT)
                elif n > PIPE_SIZE // 4:
                    wait = max(wait / 2, TRICKLE_WAIT)
                continue
            now = time.monotonic()
            idle = now - max(last_output, proc.stderr.last_activity)
            if proc.exited() and now - last_output > ORPHAN_GRACE:
                proc.kill_group()
            elif timeout and idle > timeout:
                proc.kill()
                raise TaskError(f"timed out: no output and no status for {idle:.0f} s "
                                f"(mapreduce.task.timeout={int(timeout * 1000)}); killed it")
        sink(reader.finish())
        proc.wait()  # so a feeder still writing to it gets its broken pipe now
    except BaseException:
        proc.kill()
        raise
    finally:
        feeder.join(ORPHAN_GRACE)


def run_command(command: str, task, blocks: Iterable[bytes | tuple],
                sink: Callable[[bytes], None], counters: Counters, suffix: str = "") -> Feeder:
    """Run one user command over ``blocks``; its output lines go to ``sink``."""
    spec = task.job.spec
    proc = StreamProcess(command, task.cwd, task.env, task.log_path + suffix,
                         spec.reporter_prefix, counters, task.pgid_path)
    feeder = Feeder(proc, blocks)
    pump(proc, feeder, sink, spec.task_timeout)
    if feeder.is_alive():  # something the command started still holds its stdin
        proc.kill_group()
        feeder.join()
    if feeder.error is not None:
        proc.kill()
        raise feeder.error
    proc.finish(spec.non_zero_exit_is_failure)
    return feeder


# ---------------------------------------------------------------- map side

def _keyvalue_input(blocks: Iterable[bytes], sep: bytes,
                    form: Callable[[bytes, bytes], bytes]) -> Iterator[bytes]:
    """KeyValueTextInputFormat: each line cut at its first ``sep`` into (key, value) (no
    separator: all key, empty value), then written as ``form(key, value)``."""
    for block in blocks:
        lines = block.split(b"\n")
        lines.pop()
        out = []
        for line in lines:
            key, found, value = line.partition(sep)
            out.append(form(key, value))
        yield b"\n".join(out) + b"\n"


def _split_blocks(task) -> Iterable[bytes]:
    """The split's records (only the sampled ones with ``--sample``), as blocks."""
    fraction = task.job.spec.sample
    if fraction >= 1:
        return read_split(task.split)
    return sampling.sample_split(task.split, fraction, task.job.seed, task.sample_tally)


def _offset_input(task, form: Callable[[bytes, bytes], bytes]) -> Iterator[bytes]:
    """TextInputFormat with its keys, the lines' byte offsets, written as ``form(key, line)``."""
    fraction = task.job.spec.sample
    if fraction >= 1:
        keyed = read_split_keyed(task.split)
    else:
        keyed = sampling.sample_split_keyed(task.split, fraction, task.job.seed, task.sample_tally)
    for records in keyed:
        yield b"\n".join([form(b"%d" % offset, line) for offset, line in records]) + b"\n"


def _records(task, form: Callable[[bytes, bytes], bytes]) -> Iterable[bytes]:
    spec = task.job.spec
    if spec.input_format == "keyvalue":
        return _keyvalue_input(_split_blocks(task), spec.keyvalue_sep, form)
    return _offset_input(task, form)


def map_input(task) -> Iterable[bytes | tuple[int, int, int, int]]:
    """What the mapper reads: PipeMapper's input writer over the input format's (key, value).

    ``TextInputWriter`` writes ``key SEP value`` or, when the key is ignored (the default
    for TextInputFormat), the value alone; ``KeyOnlyTextInputWriter`` the key alone.
    """
    spec = task.job.spec
    if not spec.map_input_key:
        if spec.input_format == "text":  # the file's own bytes, mostly: sendfile them
            return split_pieces(task.split) if spec.sample >= 1 else _split_blocks(task)
        return _keyvalue_input(_split_blocks(task), spec.keyvalue_sep, lambda k, v: v)
    if spec.map_input_keyonly:
        return _records(task, lambda k, v: k)
    sep = spec.map_input_sep
    return _records(task, lambda k, v: k + sep + v)


def identity_map_output(task) -> Iterable[bytes]:
    """IdentityMapper: the input format's (key, value) straight to the map output, as
    ``key SEP value`` lines (TextInputFormat's key is the byte offset)."""
    sep = task.job.spec.map_output_sep
    return _records(task, lambda k, v: k + sep + v)


PREVIOUS = "Previous output records"


def previous_output(task) -> Iterator[bytes]:
    """A previous run's part file as map output: each line parsed as the reducer's output
    (the reduce-output separator and key fields, as the combiner's output is) and written
    back as a map output line that splits into the same (key, value)."""
    spec = task.job.spec
    if spec.reducer is None:  # IdentityReducer wrote the map output's (key, value)
        sep, nfields, keyonly = spec.map_output_sep, spec.map_key_fields, spec.map_output_keyonly
    else:
        sep, nfields, keyonly = spec.reduce_output_sep, spec.reduce_key_fields, spec.reduce_output_keyonly
    if keyonly:
        nfields = 1 << 30  # TextOutputFormat wrote the key alone: all of the line is key
    for block in read_split(task.split):
        if spec.map_output_keyonly:  # a map output line is all key
            yield block
            continue
        lines = block.split(b"\n")
        lines.pop()
        lines = from_combiner_output(lines, sep, nfields, spec.map_output_sep, spec.map_key_fields)
        yield b"\n".join(lines) + b"\n"


def run_map(task) -> dict:
    """One map attempt; returns counters, its figures and, with reducers, the spill index."""
    job, spec = task.job, task.job.spec
    started = usage()
    counters = Counters()
    task.sample_tally = sampling.Tally()
    if spec.num_reducers == 0:
        sink = TextOutput(task.output_path, spec.map_output_sep, spec.map_key_fields,
                          spec.output_sep, spec.map_output_keyonly, spec.lazy_output)
        add = sink.write_block
    else:
        sink = MapOutputCollector(task.cwd, spec.num_reducers, job.part_of(),
                                  job.order(), spec.memory,
                                  _combiner(task, counters) if spec.combiner else None)
        add = sink.add
    records = in_bytes = previous = 0
    more = {}
    if task.split.previous:  # --merge-previous: a previous run's reducer output lines
        for block in previous_output(task):
            add(block)
            previous += block.count(b"\n")
            in_bytes += len(block)
        counters.incr(sampling.GROUP, PREVIOUS, previous)  # no map input: they skip the mapper
    elif spec.mapper is None:
        for block in identity_map_output(task):
            records += block.count(b"\n")
            in_bytes += len(block)
            add(block)
    else:
        feeder = run_command(spec.mapper, task, map_input(task), add, counters)
        feeder.check_consumed("mapper", spec.skip_broken_pipe)
        records, in_bytes = feeder.total_records, feeder.total_bytes
        more.update(sendfile_bytes=feeder.sent_bytes, stdin_paced=feeder.paced)
    counters.incr(FRAMEWORK, "Map input records", records)
    if spec.sample < 1:
        tally = task.sample_tally
        counters.incr(sampling.GROUP, sampling.SKIPPED, tally.read - tally.kept)
    if spec.num_reducers == 0:
        sink.close()
        counters.incr(FRAMEWORK, "Map output records", sink.records)
        return {"counters": counters.to_json(), "output": sink.path if os.path.exists(sink.path) else None,
                "stats": task_stats(started, records or previous, in_bytes, sink.records, sink.bytes, **more)}
    spills = sink.finish()
    counters.incr(FRAMEWORK, "Map output records", sink.records)
    counters.incr(FRAMEWORK, "Map output bytes", sink.bytes)
    counters.incr(FRAMEWORK, "Spilled Records", sink.spilled_records)
    return {"counters": counters.to_json(), "spills": spills,
            "stats": task_stats(started, records or previous, in_bytes, sink.records, sink.bytes, **more)}


def usage() -> tuple[float, float]:
    """(wall clock, CPU seconds of this process and the commands it waited for)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.monotonic(), own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def task_stats(started: tuple[float, float], records_in: int, bytes_in: int,
               records_out: int, bytes_out: int, **more) -> dict:
    """One attempt's figures for ``--stats``: records and bytes in and out, wall and CPU."""
    wall, cpu = usage()
    return {"wall_s": round(wall - started[0], 3), "cpu_s": round(cpu - started[1], 3),
            "records_in": records_in, "bytes_in": bytes_in,
            "records_out": records_out, "bytes_out": bytes_out, **more}


def _combiner(task, counters: Counters):
    """The combiner as a function that streams one partition's sorted lines (blocks of
    lines) through a new combiner process and hands its output, as map-output lines,
    to ``sink`` block by block."""
    spec = task.job.spec
    calls = [0]
    same = (spec.reduce_output_sep == spec.map_output_sep
            and spec.reduce_key_fields == spec.map_key_fields)

    def combine(part: int, blocks: Iterable[list[bytes]], sink: Callable[[bytes], None]) -> None:
        data = (b"\n".join(reduce_input(lines, spec)) + b"\n" for lines in blocks)
        written = [0]

        def collect(block: bytes) -> None:
            if not block:
                return
            if same:
                written[0] += block.count(b"\n")
                sink(block)
                return
            lines = block.split(b"\n")
            lines.pop()
            written[0] += len(lines)
            sink(b"\n".join(from_combiner_output(lines, spec.reduce_output_sep, spec.reduce_key_fields,
                                                 spec.map_output_sep, spec.map_key_fields)) + b"\n")

        calls[0] += 1
        feeder = run_command(spec.combiner, task, data, collect, counters,
                             suffix=f".combine{calls[0]}")
        feeder.check_consumed("combiner")
        counters.incr(FRAMEWORK, "Combine input records", feeder.total_records)
        counters.incr(FRAMEWORK, "Combine output records", written[0])

    def combine_builtin(part: int, blocks: Iterable[list[bytes]], sink: Callable[[bytes], None]) -> None:
        sep, nfields = spec.map_output_sep, task.job.order().nfields
        read, written, out = [0], 0, []

        def counted() -> Iterator[list[bytes]]:
            for lines in blocks:
                read[0] += len(lines)
                yield lines

        for key, values in run_builtin(spec.combiner, task, counted(), False):
            for value in values:  # back to a map output line that splits into (key, value)
                out.append(key if not value and key.count(sep) < nfields - 1 else key + sep + value)
            if len(out) >= 8192:
                sink(b"\n".join(out) + b"\n")
                written, out = written + len(out), []
        if out:
            sink(b"\n".join(out) + b"\n")
            written += len(out)
        counters.incr(FRAMEWORK, "Combine input records", read[0])
        counters.incr(FRAMEWORK, "Combine output records", written)

    return combine_builtin if aggregate.is_builtin(spec.combiner) else combine


def run_builtin(command: str, task, blocks: Iterable[list[bytes]],
                by_line: bool) -> Iterator[tuple[bytes, list[bytes]]]:
    """Run a Java class of Hadoop's Aggregate package in-process, as reducer or combiner.

    A Java reducer sees (key, value) pairs, not text: ``blocks`` are sorted map output
    lines, cut into groups with the job's key rules; yields ``(key, values)`` per group.
    """
    order = task.job.order()
    combine = command == aggregate.COMBINER
    cap = None if combine else aggregate.max_unique(task.job.spec.conf)
    cut = len(order.sep)

    def runs() -> Iterator[tuple[bytes, dict[bytes, int]]]:
        for lines in blocks:
            for key, i, j in order.key_runs(lines, by_line):
                start = len(key) + cut  # the value: after the key and its separator
                counts = Counter(lines[i:j]) if j - i > 1 else {lines[i]: 1}
                yield key, {line[start:]: n for line, n in counts.items()}

    try:
        yield from aggregate.aggregate(runs(), combine, cap)
    except aggregate.AggregateError as exc:
        raise TaskError(f"{command.rsplit('.', 1)[-1]}: {exc}") from None


# ---------------------------------------------------------------- reduce side

def whole_runs(blocks: Iterable[list[bytes]], order, by_line: bool,
               limit: int) -> Iterator[list[bytes]]:
    """Re-cut sorted blocks so that no run of equal keys straddles two blocks, unless
    the run alone takes more than ``limit`` bytes: then it comes in pieces of about that."""
    held: list[bytes] = []
    held_size = 0
    for lines in blocks:
        size = sum(map(len, lines)) + LINE_OVERHEAD * len(lines)
        if held:
            lines = held + lines
        start = order.last_run_start(lines, by_line)
        if start:
            held = lines[start:]
            held_size = sum(map(len, held)) + LINE_OVERHEAD * len(held)
            yield lines[:start]
        else:
            held = lines
            held_size += size
        if held_size > limit:
            yield held
            held, held_size = [], 0
    if held:
        yield held


def reduce_input(lines: list[bytes], spec) -> list[bytes]:
    """Sorted map output lines as a reducer or combiner reads them (PipeReducer's writer).

    ``TextInputWriter``: ``key SEP value``, the separator even for an empty value; after a
    keyonlytext map output the value is a NullWritable, which it writes as ``(null)``.
    ``KeyOnlyTextInputWriter`` (``stream.reduce.input=keyonlytext``): the key alone.
    """
    if spec.map_output_keyonly:  # the whole line is the key
        return lines if spec.reduce_input_keyonly else [
            line + spec.reduce_input_sep + b"(null)" for line in lines]
    if spec.reduce_input_keyonly:
        sep, nfields = spec.map_output_sep, spec.map_key_fields
        return [split_key_value(line, sep, nfields)[0] for line in lines]
    return to_reduce_input(lines, spec.map_output_sep, spec.map_key_fields, spec.reduce_input_sep)


class ReduceFeed:
    """Turn merged, sorted map output into reducer stdin blocks; count records and groups.

    Every line becomes ``key + SEP + value`` (separator even for an empty value).  In
    the default layout only key-only lines need it, and within a run of equal keys those
    sort first, so they are found per run, not per line.  Blocks are passed on as the
    merge makes them, so a key's values stream through in blocks however many there are;
    a group that continues from the previous block is not counted again.
    """

    def __init__(self, spec, order, by_line: bool, rng: random.Random | None,
                 window: int = 0):
        self.spec, self.order, self.by_line, self.rng = spec, order, by_line, rng
        self.window = window  # --shuffle-values: largest piece of a group shuffled at once
        self.records = 0
        self.groups = 0
        self._last_key: bytes | None = None
        sep = spec.map_output_sep
        self.simple = (by_line and sep == spec.reduce_input_sep and spec.map_key_fields == 1
                       and len(sep) == 1 and not spec.map_output_keyonly
                       and not spec.reduce_input_keyonly)

    def count(self, lines: list[bytes]) -> list[tuple[bytes, int, int]]:
        """Count ``lines`` (one sorted block) and its groups; return its key runs."""
        runs = list(self.order.key_runs(lines, self.by_line))
        self.records += len(lines)
        self.groups += len(runs) - (runs[0][0] == self._last_key)
        self._last_key = runs[-1][0]
        return runs

    def blocks(self, merged: Iterable[list[bytes]]) -> Iterator[bytes]:
        spec, rsep, rng = self.spec, self.spec.reduce_input_sep, self.rng
        if rng is not None:  # shuffle whole groups (up to the window), so keep them whole
            merged = whole_runs(merged, self.order, self.by_line, self.window)
        for lines in merged:
            if not lines:
                continue
            runs = self.count(lines)
            if self.simple:
                for key, i, j in runs:
                    while i < j and lines[i] == key:
                        lines[i] = key + rsep
                        i += 1
            else:
                lines = reduce_input(lines, spec)
            if rng is not None:
                for key, i, j in runs:
                    if j - i > 1:
                        group = lines[i:j]
                        rng.shuffle(group)
                        lines[i:j] = group
            data = b"\n".join(lines) + b"\n"
            del lines, runs  # free this block before the merge makes the next one
            yield data


    def counted_blocks(self, runs: Iterable[tuple[bytes, int]]) -> Iterator[tuple[bytes, int]]:
        """:meth:`blocks` for whole-line-sorted ``(line + b"\\n", count)`` runs: the
        reducer's input bytes, counted per run, about 1 MiB at a time, each block with its
        records (the Feeder need not count its newlines)."""
        spec, key_of = self.spec, self.order.key_of

        def reducer_lines() -> Iterator[tuple[bytes, int]]:
            for data, n in runs:
                line = data[:-1]
                key = key_of(line)
                if key != self._last_key:
                    self.groups += 1
                    self._last_key = key
                self.records += n
                yield reduce_input([line], spec)[0] + b"\n", n

        return repeated_blocks(reducer_lines())


def mostly_counted(segments: Iterable[tuple[bool, int]]) -> bool:
    """Whether to feed a partition's reducer run by run, from its segments' ``(counted,
    records)``: at most one record in COUNT_RATIO may lie in a segment that is not a
    counted spill (such a segment is read by run too, which costs more per line)."""
    total = uncounted = 0
    for counted, records in segments:
        total += records
        uncounted += 0 if counted else records
    return total > 0 and uncounted * COUNT_RATIO <= total


def run_reduce(task, segments: list[tuple[str, int, int]], by_line: bool,
               counted: bool = False, compact: Iterable[str] = ()) -> dict:
    """One reduce attempt over the sorted segments of its partition from every map spill.

    ``counted``: the segments are counted spills, or nearly all (:func:`mostly_counted`),
    so a command reducer is fed run by run, not line by line.  ``compact``: the files
    whose segments are counted spills' ``count\\tline`` entries (:func:`read_compact`);
    the others are read by :func:`read_counted`, or line by line.
    """
    job, spec = task.job, task.job.spec
    started = usage()
    counters = Counters()
    order = job.order()
    rng = random.Random(job.seed * 1000003 + task.index) if spec.shuffle_values else None
    window = spec.memory // 4 if rng is not None else 0
    compact = frozenset(compact)
    more = {}
    merged = merge_files(segments, None if by_line else order.key, job.fan_in, task.new_tmp_path,
                         memory=spec.memory - window, compact=compact)
    feed = ReduceFeed(spec, order, by_line, rng, window)
    by_run = (counted and by_line and rng is None and 0 < len(segments) <= job.fan_in
              and spec.reducer is not None and not aggregate.is_builtin(spec.reducer))
    if by_run:
        share = block_memory(spec.memory, len(segments))
        runs = merge_counted([read_compact(*segment, memory=share) if segment[0] in compact
                              else read_counted(*segment, size=share) for segment in segments])
        reducer_input = feed.counted_blocks(runs)
    else:
        reducer_input = feed.blocks(merged)
    if spec.reducer is None:  # IdentityReducer: (key, value) straight to the part file
        out = TextOutput(task.output_path, spec.map_output_sep, spec.map_key_fields,
                         spec.output_sep, spec.map_output_keyonly, spec.lazy_output)
    elif aggregate.is_builtin(spec.reducer):  # writes finished key + SEP + value lines
        out = TextOutput(task.output_path, keyonly=True, lazy=spec.lazy_output)
    else:
        out = TextOutput(task.output_path, spec.reduce_output_sep, spec.reduce_key_fields,
                         spec.output_sep, spec.reduce_output_keyonly, spec.lazy_output)
    try:
        if spec.reducer is None:
            for lines in merged:
                feed.records += len(lines)
                data = b"\n".join(lines) + b"\n"
                del lines
                out.write_block(data)
        elif aggregate.is_builtin(spec.reducer):
            feed.groups = _reduce_builtin(spec.reducer, task, feed, merged, by_line, out)
        elif not segments:  # Hadoop runs the reducer on no input and discards its output
            run_command(spec.reducer, task, iter(()), lambda block: None, counters)
        else:
            feeder = run_command(spec.reducer, task, reducer_input, out.write_block, counters)
            feeder.check_consumed("reducer")
            more["stdin_paced"] = feeder.paced
    except BaseException:
        out.abort()
        raise
    out.close()
    counters.incr(FRAMEWORK, "Reduce input records", feed.records)
    counters.incr(FRAMEWORK, "Reduce input groups", feed.groups)
    counters.incr(FRAMEWORK, "Reduce output records", out.records)
    return {"counters": counters.to_json(),
            "output": out.path if os.path.exists(out.path) else None,
            "stats": task_stats(started, feed.records, sum(size for _, _, size in segments),
                                out.records, out.bytes, groups=feed.groups, by_run=by_run,
                                **more)}


def _reduce_builtin(command: str, task, feed: ReduceFeed, merged: Iterable[list[bytes]],
                    by_line: bool, out: TextOutput) -> int:
    """The Aggregate reducer over the merged input; TextOutputFormat joins key and value."""
    sep = task.job.spec.output_sep
    groups = 0
    lines: list[bytes] = []

    def counted() -> Iterator[list[bytes]]:
        for block in merged:
            feed.records += len(block)
            yield block

    for key, values in run_builtin(command, task, counted(), by_line):
        groups += 1
        lines += [key + sep + value for value in values]
        if len(lines) >= 8192:
            out.write_block(b"\n".join(lines) + b"\n")
            lines = []
    if lines:
        out.write_block(b"\n".join(lines) + b"\n")
    return groups
