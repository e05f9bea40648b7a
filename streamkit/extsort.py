"""External merge sort of records by key, in bounded memory, in Hadoop's order.

Hadoop sorts map output by the *key only*, as unsigned bytes (``Text`` raw comparator),
and promises nothing about the order of equal keys.  Both halves are C-speed here:

* each memory-sized buffer is sorted with ``list.sort`` and spilled as a run file;
* runs are merged block by block: take from every run the lines not greater than the
  smallest "last line of the current block" and ``list.sort`` them together.  Timsort finds
  the already-sorted runs and merges them with galloping, so a k-way merge costs
  O(n log k) comparisons done in C, instead of a Python-level heap step per line.

Whole-line order is a valid key order whenever the separator is one byte and no record
holds a byte below it (for tab: no ``\\x00``-``\\x08``), because the separator, the
smallest byte present, then ends every key.  That is checked per buffer with one regex
scan; otherwise lines are sorted with an exact key function.

``streamkit sort`` (``parallel``) uses both cores: forked children split, sort and write
the buffers while the parent only reads; the runs are merged in two key ranges at once
(:meth:`ExternalSorter._merge_in_halves`).  Before any of that its lines are counted in
one Counter: mapper output with few distinct lines (50,000 keys in 5M lines) is then
sorted by counting, with no run at all.
"""

from __future__ import annotations

import heapq
import os
import shutil
import tempfile
from bisect import bisect_left, bisect_right
from collections import Counter
from itertools import chain
from operator import methodcaller
from typing import Callable, Collection, Iterable, Iterator

from streamkit.errors import JobFailed, disk_errors
from streamkit.records import key_of

#: Approximate bytes of memory per buffered line beyond its own length: the bytes object
#: header (33) plus the list slot (8), rounded up to the allocator's 16-byte steps.
LINE_OVERHEAD = 56
#: Memory (line bytes + LINE_OVERHEAD each) of one block read from a run while merging,
#: at most: large enough that per-block Python work is negligible, small enough to cache.
BLOCK_MEMORY = 1 << 20
#: Lines per block handed out of an in-memory sort or a count expansion.
BLOCK_LINES = 65536
DEFAULT_FAN_IN = 32
#: Count-sort a buffer only if at most one line in COUNT_RATIO is distinct...
COUNT_RATIO = 8
#: ...judged first on this many lines.
COUNT_SAMPLE = 1 << 16
#: ``streamkit sort`` stops counting its input when more than all but one line in this
#: many of its first COUNT_SAMPLE lines are distinct.
DISTINCT_GIVE_UP = 16
DEFAULT_MERGE_MEMORY = 64 << 20
SORT_CHILDREN = 2  # buffers being sorted by forked children at once (parallel mode)
#: Approximate bytes of memory per distinct line held in a Counter beyond its own length:
#: the bytes object header (33), the dict entry and index slots (~50 with the dict's
#: spare room) and the count (28 past 256), rounded up.
COUNTED_OVERHEAD = 120


class Order:
    """How records compare: by their key (``sep``, ``nfields``), optionally by a key
    comparator (a function of the key bytes, e.g. KeyFieldBasedComparator's).

    ``key`` is an exact sort key for ``list.sort``; ``whole_line_ok(block)`` says whether
    plain whole-line comparison is a valid key order for the records in ``block``.
    """

    def __init__(self, sep: bytes = b"\t", nfields: int = 1,
                 comparator: Callable[[bytes], object] | None = None, stable: bool = False):
        self.sep, self.nfields, self.comparator, self.stable = sep, nfields, comparator, stable
        if nfields == 1:
            self.key_of = lambda line: line.partition(sep)[0]
        else:
            self.key_of = lambda line: key_of(line, sep, nfields)
        if comparator is not None:
            self.key = lambda line: comparator(key_of(line, sep, nfields))
        elif nfields == 1 and not stable:
            # [key, value] lists compare key first, then value: an exact key order.
            self.key = methodcaller("split", sep, 1)
        else:
            self.key = lambda line: key_of(line, sep, nfields)
        # Bytes below a one-byte separator are what would make whole-line order differ
        # from key order; memchr-ing for each is the cheapest test (tens of GB/s).
        self._low: tuple[bytes, ...] | None = None
        if comparator is None and not stable and len(sep) == 1:
            self._low = tuple(bytes([b]) for b in range(sep[0]))

    def whole_line_ok(self, block: bytes) -> bool:
        low = self._low
        if low is None:
            return False
        if len(low) > 16:
            return not block.translate(None, _HIGH_BYTES[len(low)])
        return not any(b in block for b in low)


    def last_run_start(self, lines: list[bytes], by_line: bool) -> int:
        """Index where the run of the last line's key starts in sorted ``lines``."""
        key_of = self.key_of
        last = key_of(lines[-1])
        if self.comparator is None:
            if by_line and self.nfields == 1 and len(self.sep) == 1:
                return bisect_left(lines, last)  # smaller keys' lines all sort below "last"
            return bisect_left(lines, last, key=key_of)
        start = len(lines) - 1
        while start > 0 and key_of(lines[start - 1]) == last:
            start -= 1
        return start

    def key_runs(self, lines: list[bytes], by_line: bool) -> Iterator[tuple[bytes, int, int]]:
        """Yield ``(key, start, end)`` for each run of equal keys in sorted ``lines``.

        Each run's end is found by bisection, so the cost is O(k log n) for k distinct
        keys, not O(n): map output repeats keys, and this is what lets partitioning and
        group counting skip per-line Python work.  Short runs are stepped over linearly.
        """
        n, i = len(lines), 0
        key_of = self.key_of
        if by_line and self.nfields == 1 and len(self.sep) == 1:
            # Lines of key k are "k" and "k<sep>...": all sort below k + (sep + 1).
            after = bytes([self.sep[0] + 1])
            while i < n:
                k = key_of(lines[i])
                bound = k + after
                j = i + 1
                if j < n and lines[j] < bound:
                    j = bisect_left(lines, bound, j + 1)
                yield k, i, j
                i = j
            return
        if self.comparator is not None:
            # Comparator-equal keys may differ in bytes (and partition): compare bytes.
            while i < n:
                k = key_of(lines[i])
                j = i + 1
                while j < n and key_of(lines[j]) == k:
                    j += 1
                yield k, i, j
                i = j
            return
        while i < n:
            k = key_of(lines[i])
            j = i + 1
            while j < n and j - i < 8 and key_of(lines[j]) == k:
                j += 1
            if j - i == 8:
                j = bisect_right(lines, k, j, key=key_of)
            yield k, i, j
            i = j


_HIGH_BYTES = [bytes(range(n, 256)) for n in range(257)]


class ExternalSorter:
    """Accumulate blocks of ``\\n``-terminated records; spill sorted runs past ``budget``.

    Use as a context manager so the run files are removed on every exit path.
    ``add(block)`` takes records in the form :class:`~streamkit.records.LineReader`
    produces; ``sorted_blocks()`` yields sorted lists of records (without terminators).
    """

    def __init__(self, order: Order, budget: int, tmpdir: str | None = None,
                 fan_in: int = DEFAULT_FAN_IN, parallel: bool = False, count: bool = True):
        self.order, self.budget, self.fan_in = order, max(budget, 1 << 16), max(fan_in, 2)
        self.count = count  # may sort a repetitive buffer by counting (see count_sorted)
        self._tmpdir_parent = tmpdir
        self._tmpdir: str | None = None
        self._lines: list[bytes] = []
        self._used = 0
        self._by_line = True  # whole-line order valid for everything seen so far
        self._count = 0
        self.runs: list[str] = []
        self.records = 0
        # With ``parallel`` forked children sort and write full buffers (two at a time,
        # one per core of a small machine) while this process fills the next one.  Each
        # buffer then gets a quarter of the budget: three buffers plus the children's
        # copies of the interpreter (counted again in every process's RSS) stay within it.
        self.parallel = parallel and hasattr(os, "fork")
        self._limit = self.budget // (SORT_CHILDREN + 2) if self.parallel else self.budget
        self._sorting: dict[int, str] = {}  # child pid -> the run it is writing
        if self.parallel:  # imported once here, not again (~0.1 s) in every forked child
            import streamkit.task  # noqa: F401
        # In parallel mode the buffer is kept as the blocks read: the child that sorts it
        # splits it into lines, so the parent never makes (nor frees) a line object.
        self._blocks: list[bytes] = []
        # ...and lines are first counted in one Counter for the whole input (see add):
        # input whose distinct lines fit in half the budget is then sorted by counting,
        # without any run, however long it is.  None once they did not fit.  Only where
        # the order is total on distinct lines (one key field, bytes, not stable), so
        # that counting cannot reorder lines whose keys tie.
        self._total = order.comparator is None and order.nfields == 1 and not order.stable
        self._counts: Counter | None = Counter() if (
            self.parallel and count and self._total) else None
        self._repetitive = True  # False once counting stopped: skip count_sorted
        # The blocks counted until COUNT_SAMPLE lines were seen: if nearly all of their
        # lines are distinct, counting stops there and they go to the sorting children
        # (counting all-distinct input only delays the children's start).
        self._sampled: list[bytes] | None = [] if self._counts is not None else None

    def __enter__(self) -> "ExternalSorter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._lines, self._blocks, self._counts, self._sampled = [], [], None, None
        for pid in self._sorting:
            try:
                os.kill(pid, 9)  # SIGKILL
            except OSError:
                pass
        for pid in list(self._sorting):
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:  # reaped by a waitpid that a signal then cut short
                pass
        self._sorting.clear()
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    @property
    def by_line(self) -> bool:
        """Whether whole-line order is key order for every record added."""
        return self._by_line

    @property
    def key(self):
        return None if self._by_line else self.order.key

    def add(self, block: bytes) -> None:
        if not block:
            return
        if self._by_line and not self.order.whole_line_ok(block):
            self._by_line = False
        if self.parallel:
            self._add_parallel(block)
            return
        lines = block.split(b"\n")
        lines.pop()
        self._lines += lines
        self.records += len(lines)
        self._used += len(block) + LINE_OVERHEAD * len(lines)
        if self._used >= self._limit:
            self.spill()

    def _add_parallel(self, block: bytes) -> None:
        """Count the block's lines while their Counter fits in half the budget, else
        keep the block whole for a child to split and sort."""
        n = block.count(b"\n")
        self.records += n
        counts = self._counts
        if counts is None:
            self._buffer(block, n)
            return
        lines = block.split(b"\n")
        lines.pop()
        counts.update(lines)
        if len(counts) * (COUNTED_OVERHEAD + len(block) // max(n, 1)) > self.budget // 2:
            path = self._new_run_path()
            write_counted(path, sorted(counts, key=self.key), counts)
            self.runs.append(path)
            self._counts, self._repetitive, self._sampled = None, False, None
        elif self._sampled is not None:
            self._sampled.append(block)
            if self.records >= COUNT_SAMPLE:
                sampled, self._sampled = self._sampled, None
                if len(counts) > self.records - self.records // DISTINCT_GIVE_UP:
                    self._counts, self._repetitive = None, False
                    for kept in sampled:
                        self._buffer(kept, kept.count(b"\n"))

    def _buffer(self, block: bytes, n: int) -> None:
        """Keep a block of ``n`` lines for a sorting child; spill once the buffer is full."""
        self._blocks.append(block)
        self._used += len(block) + LINE_OVERHEAD * n
        if self._used >= self._limit:
            self.spill()

    def _new_run_path(self) -> str:
        if self._tmpdir is None:
            self._tmpdir = tempfile.mkdtemp(prefix="streamkit-sort-", dir=self._tmpdir_parent)
        self._count += 1
        return os.path.join(self._tmpdir, f"run-{self._count:05d}")

    def spill(self) -> None:
        """Sort the buffer and write it as one run file."""
        if self._blocks:
            path = self._new_run_path()
            self._wait_for_children(keep=SORT_CHILDREN - 1)
            pid = os.fork()
            if pid == 0:
                self._sort_in_child(path)
            self._sorting[pid] = path
            self.runs.append(path)
            self._blocks = []
            self._used = 0
            return
        if not self._lines:
            return
        path = self._new_run_path()
        counted = self.count and count_sorted(self._lines, self.key, self.order.stable)
        if counted:
            write_counted(path, *counted)
        else:
            self._lines.sort(key=self.key)
            write_run(path, self._lines)
        self.runs.append(path)
        self._lines = []
        self._used = 0

    def _sort_in_child(self, path: str) -> None:
        """Forked child: sort the buffer, write the run, exit (never returns)."""
        def sort() -> None:
            if self.key is None and not (self._repetitive and self.count):
                write_text_sorted(path, self._blocks)
                return
            lines: list[bytes] = []
            for block in self._blocks:
                more = block.split(b"\n")
                more.pop()
                lines += more
            counted = self._repetitive and self.count and count_sorted(
                lines, self.key, self.order.stable)
            if counted:
                write_counted(path, *counted)
            else:
                lines.sort(key=self.key)
                write_run(path, lines)

        _child(path, sort)

    def _wait_for_children(self, keep: int) -> None:
        """Reap sorting children until ``keep`` remain; raise if one failed."""
        while len(self._sorting) > keep:
            pid = next(iter(self._sorting))
            _, status = os.waitpid(pid, 0)
            path = self._sorting.pop(pid)
            if status:
                try:
                    with open(path + ".error") as f:
                        reason = f.read()
                except OSError:
                    reason = f"the sorting process ended with status {status}"
                raise JobFailed(reason)

    def sorted_blocks(self) -> Iterator[list[bytes]]:
        """Yield all records, sorted, as lists of lines; merges runs if any were spilled."""
        return self._sorted(data=False)

    def sorted_data(self) -> Iterator[bytes]:
        """Yield all records, sorted, as ``\\n``-terminated bytes: counted lines are
        repeated as bytes and a child's merged half is copied as read, with no line
        object for either."""
        return self._sorted(data=True)

    def write_sorted(self, fd: int) -> None:
        """Write all records, sorted, to ``fd`` from its offset (``streamkit sort``).  Into
        a regular file the child merging the upper half writes its part in place while
        this process writes the lower one: no copy of it afterwards."""
        from streamkit.task import write_all

        for data in self._sorted(data=True, fd=fd):
            write_all(fd, data)

    def _sorted(self, data: bool, fd: int | None = None) -> Iterator:
        expanded = counted_bytes if data else expand
        blocks_as = joined if data else iter
        if not self.runs and self._counts is not None:
            counts, self._counts = self._counts, None
            yield from expanded(sorted(counts, key=self.key), counts)
            return
        if not self.runs:
            lines, self._lines = self._lines, []
            for block in self._blocks:
                lines += block.split(b"\n")
                lines.pop()
            self._blocks = []
            counted = self.count and count_sorted(lines, self.key, self.order.stable)
            if counted:
                yield from expanded(*counted)
                return
            lines.sort(key=self.key)
            yield from blocks_as(lines[i:i + BLOCK_LINES] for i in range(0, len(lines), BLOCK_LINES))
            return
        self.spill()
        self._wait_for_children(keep=0)
        if self.parallel and 1 < len(self.runs) <= self.fan_in and (
                self._total or self.order.stable or self.key is None):
            # Splitting at a key gives the same lines in the same order where ties are
            # identical lines (a total order) or keep run order (stable: a heap merge).
            yield from self._merge_in_halves(data, fd)
            return
        yield from blocks_as(merge_files([(p, 0, -1) for p in self.runs], self.key, self.fan_in,
                                         self._new_run_path, self.order.stable, owned=True,
                                         memory=self.budget))

    def _merge_in_halves(self, data: bool, fd: int | None = None) -> Iterator:
        """Merge on both cores: a forked child merges every run's part from a pivot key
        on while this process merges and yields the parts below it.  The child writes
        into ``fd`` past where the lower part will end if ``fd`` is a regular file, else
        into a file yielded after.  Each merge gets half the budget."""
        key = self.key
        sizes = [os.path.getsize(p) for p in self.runs]
        pivot = _pivot([line for p, n in zip(self.runs, sizes) for line in _samples(p, n)], key)
        cuts = [_first_at_or_above(p, n, pivot, key) for p, n in zip(self.runs, sizes)]
        base = None if fd is None else _write_offset(fd)
        upper = self._new_run_path()
        pid = os.fork()
        if pid == 0:
            self._merge_in_child([(p, c, n - c) for p, c, n in zip(self.runs, cuts, sizes)],
                                 upper, sum(sizes) - sum(cuts),
                                 None if base is None else (fd, base + sum(cuts)))
        self._sorting[pid] = upper
        lower = merge_files([(p, 0, c) for p, c in zip(self.runs, cuts)], key, self.fan_in,
                            self._new_run_path, self.order.stable, memory=self.budget // 2)
        yield from joined(lower) if data else lower
        self._wait_for_children(keep=0)
        if base is not None:
            os.lseek(fd, base + sum(sizes), os.SEEK_SET)  # past the child's part
            return
        yield from read_data(upper) if data else read_run(upper)

    def _merge_in_child(self, runs: list[tuple[str, int, int]], path: str, nbytes: int,
                        at: tuple[int, int] | None = None) -> None:
        """Forked child: merge ``runs`` into ``path``, or into file descriptor ``at[0]``
        from offset ``at[1]``; exit (never returns).  Failures are reported in
        ``path.error`` either way."""
        def merge() -> None:
            blocks = joined(merge_files(runs, self.key, self.fan_in, self._new_run_path,
                                        self.order.stable, memory=self.budget // 2))
            if at is not None:
                fd, offset = at
                for data in blocks:
                    offset = pwrite_all(fd, data, offset)
                return
            with disk_errors(path, nbytes), open(path, "wb") as out:
                for data in blocks:
                    out.write(data)

        _child(path, merge)


def _write_offset(fd: int) -> int | None:
    """Where the next write to ``fd`` lands, if it is a regular file written at its
    offset (not O_APPEND, which would put any ``pwrite`` at the end); else None."""
    import fcntl
    import stat

    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode) or fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND:
            return None
        return os.lseek(fd, 0, os.SEEK_CUR)
    except OSError:
        return None


def pwrite_all(fd: int, data: bytes, offset: int) -> int:
    """``os.pwrite`` all of ``data`` at ``offset``; return the offset after it."""
    view = memoryview(data)
    while view:
        n = os.pwrite(fd, view, offset)
        view, offset = view[n:], offset + n
    return offset


def _child(path: str, body: Callable[[], None]) -> None:
    """A forked child's whole life: ``body()`` then exit 0; on failure (e.g. disk full) the
    reason goes to ``path.error`` for the parent to report, and exit 1.  Never returns."""
    code = 1
    try:
        from streamkit.task import default_signals, die_with_parent

        die_with_parent()
        default_signals()
        body()
        code = 0
    except BaseException as exc:
        try:
            with open(path + ".error", "w") as f:
                f.write(str(exc) or type(exc).__name__)
        except OSError:
            pass
    finally:
        os._exit(code)


def _samples(path: str, size: int, count: int = 8) -> list[bytes]:
    """Lines at ``count`` evenly spaced offsets of a sorted run (the first whole line
    after each), to choose a pivot from."""
    out = []
    with open(path, "rb") as f:
        for i in range(1, count):
            start, line = _line_after(f, size * i // count, size)
            if line is not None:
                out.append(line)
    return out


def _pivot(samples: list[bytes], key) -> bytes:
    samples.sort(key=key)
    return samples[len(samples) // 2] if samples else b""


def _line_after(f, pos: int, size: int) -> tuple[int, bytes | None]:
    """(start, line) of the first line starting at or after ``pos``; (size, None) if none."""
    if pos > 0:
        f.seek(pos - 1)
        skipped = f.readline()  # the rest of the line holding pos - 1, with its "\n"
        pos += len(skipped) - 1
    else:
        f.seek(0)
    if pos >= size:
        return size, None
    return pos, f.readline().rstrip(b"\n")


def _first_at_or_above(path: str, size: int, pivot: bytes, key) -> int:
    """Offset of the first line of a sorted run whose key is not below ``pivot``'s
    (``size`` if none), by bisecting the file: O(log size) short reads."""
    below = (lambda line: line < pivot) if key is None else (
        lambda line, k=key(pivot): key(line) < k)
    lo, hi = 0, size  # lo is a line start; the answer is in [lo, hi]
    with open(path, "rb") as f:
        while lo < hi:
            start, line = _line_after(f, (lo + hi) // 2, size)
            if start >= hi or start == lo:
                start, line = _line_after(f, lo, size)  # step one line from lo
                if below(line):
                    lo = start + len(line) + 1
                else:
                    hi = lo
            elif below(line):
                lo = start + len(line) + 1
            else:
                hi = start
    return lo


def merge_files(runs: list[tuple[str, int, int]], key, fan_in: int,
                new_path: Callable[[], str], stable: bool = False,
                owned: bool = False, memory: int = DEFAULT_MERGE_MEMORY,
                compact: Collection[str] = ()) -> Iterator[list[bytes]]:
    """Merge sorted runs ``(path, offset, length)`` with at most ``fan_in`` open at once.

    Runs in the files named in ``compact`` hold ``count\\tline`` entries
    (:func:`compact_bytes`) and are read expanded.

    Past ``fan_in`` runs, groups of ``fan_in`` are first merged into new files named by
    ``new_path()`` (more passes as needed).  Inputs are deleted once merged only if
    ``owned``; intermediate files always are.

    Memory stays within ``memory`` whatever the number, size or content of the runs:
    each open run holds one block of ``memory / (3 × runs open)`` (see :func:`read_run`),
    and a merged block is at most the sum of those.
    """
    made: set[str] = set()
    while len(runs) > fan_in:
        merged = []
        share = block_memory(memory, fan_in)
        for i in range(0, len(runs), fan_in):
            group = runs[i:i + fan_in]
            if len(group) == 1:
                merged.append(group[0])
                continue
            path = new_path()
            with disk_errors(path, sum(r[2] for r in group)), open(path, "wb") as out:
                for lines in merge_blocks([read_lines(r, share, compact) for r in group], key,
                                          stable, share):
                    out.write(b"\n".join(lines) + b"\n")
            for r in group:
                if owned or r[0] in made:
                    os.unlink(r[0])
            made.add(path)
            merged.append((path, 0, -1))
        runs = merged
    share = block_memory(memory, len(runs))
    yield from merge_blocks([read_lines(r, share, compact) for r in runs], key, stable, share)


def joined(blocks: Iterable[list[bytes]]) -> Iterator[bytes]:
    """Lists of lines as ``\\n``-terminated bytes, one piece per list."""
    for lines in blocks:
        yield b"\n".join(lines) + b"\n"


def read_data(path: str, size: int = 1 << 20) -> Iterator[bytes]:
    """A file's bytes as read, ``size`` at a time."""
    with open(path, "rb") as f:
        while chunk := f.read(size):
            yield chunk


def read_lines(run: tuple[str, int, int], memory: int = BLOCK_MEMORY,
               compact: Collection[str] = ()) -> Iterator[list[bytes]]:
    """A run ``(path, offset, length)`` as lists of lines, expanded if its file is one of
    the ``compact`` ones (:func:`read_compact_lines`), else :func:`read_run`."""
    if run[0] in compact:
        return read_compact_lines(*run, memory=memory)
    return read_run(*run, memory=memory)


def block_memory(memory: int, runs: int) -> int:
    """Memory for one run's block when ``runs`` are merged within ``memory``.

    A third of ``memory`` goes to the blocks held (one per run), a third to the next
    blocks read while the merged block still holds the last ones, a third to the
    consumer's copy of the merged block.
    """
    return max(1 << 12, min(BLOCK_MEMORY, memory // (3 * max(runs, 1))))


def count_sorted(lines: list[bytes], key, stable: bool):
    """Sort a buffer of repetitive lines by counting them: ``(distinct_sorted, counts)``.

    Mapper output repeats itself (``site\\t1``, ``word\\t1``): counting lines with a
    C-speed ``Counter`` and sorting only the distinct ones costs O(n + k log k) instead
    of O(n log n).  Identical lines are indistinguishable, so expanding the counts gives
    exactly the sorted buffer.  Returns None when there are few repeats, or for
    ``stable`` sorts (equal keys with different lines must keep input order).
    """
    sample = min(len(lines), COUNT_SAMPLE)
    if stable or sample < 4096:
        return None
    # The sample's distinct lines are counted in the Counter itself (a set of them cost
    # as much again).  Then count a slice at a time and give up once too many of the
    # lines seen are distinct: a buffer that is repetitive only at its start must not
    # grow a Counter nearly as big as itself on top of it (~10 % of the buffer's memory).
    counts: Counter = Counter(lines[:sample])
    if len(counts) > sample // COUNT_RATIO:
        return None
    step = 1 << 18
    for i in range(0, len(lines), step):
        counts.update(lines[max(i, sample):i + step] if i < sample else lines[i:i + step])
        if len(counts) > min(len(lines), i + step) // COUNT_RATIO:
            return None
    return sorted(counts, key=key), counts


def expand(distinct: list[bytes], counts: Counter, size: int = BLOCK_LINES) -> Iterator[list[bytes]]:
    """Yield the counted lines back in order, as lists of at most ``size`` lines."""
    return expand_runs(((line, counts[line]) for line in distinct), size)


def expand_runs(runs: Iterable[tuple[bytes, int]], size: int = BLOCK_LINES) -> Iterator[list[bytes]]:
    """Each ``(line, n)`` as ``n`` copies of the line, in lists of at most ``size`` lines
    (a line counted 20M times comes back in pieces, never as one 20M-slot list)."""
    out: list[bytes] = []
    for line, n in runs:
        while n:
            take = min(n, size - len(out))
            out += [line] * take
            n -= take
            if len(out) >= size:
                yield out
                out = []
    if out:
        yield out


def counted_bytes(distinct: list[bytes], counts: Counter, size: int = 1 << 20) -> Iterator[bytes]:
    """The counted lines as ``\\n``-terminated bytes, in chunks of about ``size`` bytes
    (a line repeated many times is cut into chunks too)."""
    return repeated_bytes(((line + b"\n", counts[line]) for line in distinct), size)


def repeated_bytes(pairs: Iterable[tuple[bytes, int]], size: int = 1 << 20) -> Iterator[bytes]:
    """``data * n`` for each ``(data, n)`` in turn, as chunks of about ``size`` bytes."""
    return (chunk for chunk, _ in repeated_blocks(pairs, size))


def repeated_blocks(pairs: Iterable[tuple[bytes, int]],
                    size: int = 1 << 20) -> Iterator[tuple[bytes, int]]:
    """:func:`repeated_bytes` with each chunk's number of copies: for ``(line + b"\\n",
    n)`` pairs, its records, so that no one has to count its newlines again."""
    parts: list[bytes] = []
    held = copies = 0
    for data, n in pairs:
        while n:
            take = min(n, max(1, (size - held) // len(data)))
            parts.append(data * take)
            held += len(data) * take
            copies += take
            n -= take
            if held >= size or n:
                yield b"".join(parts), copies
                parts, held, copies = [], 0, 0
    if parts:
        yield b"".join(parts), copies


def compact_bytes(distinct: list[bytes], counts: Counter, size: int = 1 << 20) -> Iterator[bytes]:
    """The counted lines as ``count\\tline\\n`` entries, one per distinct line, in chunks of
    about ``size`` bytes: how a repetitive map spill stores its segments (read back by
    :func:`read_compact`, or expanded by :func:`read_compact_lines`), so that neither the
    map side writes nor the reduce side reads every copy of a line."""
    parts: list[bytes] = []
    held = 0
    for line in distinct:
        entry = b"%d\t%s\n" % (counts[line], line)
        parts.append(entry)
        held += len(entry)
        if held >= size:
            yield b"".join(parts)
            parts, held = [], 0
    if parts:
        yield b"".join(parts)


def read_compact(path: str, offset: int = 0, length: int = -1,
                 memory: int = BLOCK_MEMORY) -> Iterator[tuple[bytes, int]]:
    """Yield ``(line + b"\\n", count)`` for each entry of a :func:`compact_bytes` run."""
    for entries in read_run(path, offset, length, memory):
        for entry in entries:
            count, _, line = entry.partition(b"\t")
            yield line + b"\n", int(count)


def read_compact_lines(path: str, offset: int = 0, length: int = -1,
                       memory: int = BLOCK_MEMORY) -> Iterator[list[bytes]]:
    """A :func:`compact_bytes` run as :func:`read_run` gives a plain one: lists of its
    lines, each repeated ``count`` times, at most BLOCK_LINES a list."""
    return expand_runs((data[:-1], n) for data, n in read_compact(path, offset, length, memory))


def write_counted(path: str, distinct: list[bytes], counts: Counter) -> None:
    if sum(counts.values()) == len(distinct):  # no line repeats: no per-line expansion
        write_run(path, distinct)
        return
    with disk_errors(path, lambda: sum((len(l) + 1) * n for l, n in counts.items())), \
            open(path, "wb") as out:
        for data in counted_bytes(distinct, counts):
            out.write(data)


def write_text_sorted(path: str, blocks: list[bytes]) -> None:
    """Sort the lines of ``blocks`` whole and write them to ``path`` as a run.

    They are sorted as latin-1 text, which orders exactly as the bytes do (byte ``b`` is
    code point ``b``) and compares ~15 % faster: ``list.sort`` compares such strings
    with a bare ``memcmp``, bytes through their type's rich comparison.
    """
    lines = b"".join(blocks).decode("latin-1").split("\n")
    lines.pop()
    lines.sort()
    with disk_errors(path, lambda: sum(map(len, blocks))), open(path, "wb") as out:
        for i in range(0, len(lines), 65536):
            out.write(("\n".join(lines[i:i + 65536]) + "\n").encode("latin-1"))


def write_run(path: str, lines: list[bytes]) -> None:
    """Write sorted lines to ``path``, ``\\n``-terminated, in slices (no full copy)."""
    with disk_errors(path, lambda: sum(map(len, lines)) + len(lines)), open(path, "wb") as out:
        for i in range(0, len(lines), 65536):
            out.write(b"\n".join(lines[i:i + 65536]) + b"\n")


def read_run(path: str, offset: int = 0, length: int = -1,
             memory: int = BLOCK_MEMORY) -> Iterator[list[bytes]]:
    """Yield a run file (or its ``length`` bytes from ``offset``) as lists of lines.

    Each list takes about ``memory`` bytes (its lines plus ``LINE_OVERHEAD`` each): the
    read size adapts to the line lengths seen, starting from the worst case (one-byte
    lines), so short lines cannot blow a block up.  Only a single line longer than
    that is held whole.
    """
    worst = LINE_OVERHEAD + 2
    size = max(1 << 12, memory * 2 // worst)
    with open(path, "rb") as f:
        f.seek(offset)
        left = length if length >= 0 else float("inf")
        held: list[bytes] = []  # pieces of a line longer than a block: joined once
        while left > 0:
            chunk = f.read(int(min(size, left)))
            if not chunk:
                break
            left -= len(chunk)
            if b"\n" not in chunk:
                held.append(chunk)
                continue
            lines = (b"".join(held) + chunk if held else chunk).split(b"\n")
            held = [lines.pop()]
            n = len(chunk)
            size = max(1 << 12, memory * n // (n + LINE_OVERHEAD * len(lines)))
            yield lines
        tail = b"".join(held)
        if tail:  # runs always end in "\n"; tolerate a foreign file
            yield [tail]


def read_counted(path: str, offset: int = 0, length: int = -1,
                 size: int = BLOCK_MEMORY) -> Iterator[tuple[bytes, int]]:
    """Yield ``(line + b"\\n", count)`` for each run of identical lines of a sorted run file.

    For mapper output that repeats itself (what :func:`count_sorted` spills): a run of one
    line repeated is measured by galloping over line-sized windows, so reading costs
    O(distinct × log count) Python steps, not O(lines), in ``size``-byte reads.  Identical
    lines must be contiguous, as in any whole-line-sorted or count-sorted run.
    """
    with open(path, "rb") as f:
        f.seek(offset)
        left = length if length >= 0 else float("inf")
        buf, line, count = b"", b"", 0
        while True:
            chunk = f.read(int(min(size, left))) if left > 0 else b""
            left -= len(chunk)
            if not chunk:
                if not buf:
                    break
                chunk = b"\n"  # runs always end in "\n"; tolerate a foreign file
            buf += chunk
            pos = 0
            while (end := buf.find(b"\n", pos) + 1):
                data = buf[pos:end]
                n = _copies(buf, pos, data)
                if data == line:  # the run went on past the last read
                    count += n
                else:
                    if count:
                        yield line, count
                    line, count = data, n
                pos += n * len(data)
            buf = buf[pos:]
    if count:
        yield line, count


def _copies(buf: bytes, pos: int, data: bytes) -> int:
    """How many copies of the line ``data`` lie back to back in ``buf`` from ``pos`` (≥ 1).

    Copy ``i`` is there iff the window after ``"\\n"`` at ``pos + i·len - 1`` equals it:
    then it is a whole line, and identical lines being contiguous, one of this run.  That
    is monotone in ``i``, so gallop, then bisect.
    """
    size, probe = len(data), b"\n" + data
    last = (len(buf) - pos) // size  # copies that fit

    def there(i: int) -> bool:
        at = pos + i * size
        return buf[at - 1:at + size] == probe

    lo, step = 1, 1  # copies [0, lo) are there
    while lo < last and there(lo + step - 1):
        lo += step
        step *= 2
    hi = min(lo + step - 1, last)  # copy hi is not there (or does not fit)
    while lo < hi:
        mid = (lo + hi) // 2
        if there(mid):
            lo = mid + 1
        else:
            hi = mid
    return lo


def merge_counted(runs: list[Iterator[tuple[bytes, int]]]) -> Iterator[tuple[bytes, int]]:
    """Merge :func:`read_counted` runs in whole-line order, adding up equal lines' counts.

    The order is the lines' without their ``\\n`` ("k" before "k\\tv", as sorted)."""
    line, count = b"", 0
    for data, n in heapq.merge(*runs, key=_without_newline):
        if data == line:
            count += n
        else:
            if count:
                yield line, count
            line, count = data, n
    if count:
        yield line, count


def _without_newline(run: tuple[bytes, int]) -> bytes:
    return run[0][:-1]


def merge_blocks(runs: list[Iterator[list[bytes]]], key=None,
                 stable: bool = False, memory: int = BLOCK_MEMORY) -> Iterator[list[bytes]]:
    """Merge sorted runs given as iterators of sorted blocks; yield sorted blocks.

    Equivalent to ``sorted(chain(*runs), key=key)`` cut into lists, but streams, holding
    one block per run.  With ``stable`` equal keys keep run order (heap merge, slower),
    and blocks take about ``memory`` bytes.
    """
    if stable:
        merged = heapq.merge(*(chain.from_iterable(r) for r in runs), key=key)
        n = max(1, memory // (LINE_OVERHEAD + 2))
        while True:
            block = [line for _, line in zip(range(n), merged)]
            if not block:
                return
            yield block
            used = sum(map(len, block)) + LINE_OVERHEAD * len(block)
            n = max(1, min(BLOCK_LINES, memory * len(block) // used))
    heads: list[list[bytes]] = []
    sources: list[Iterator[list[bytes]]] = []
    for run in runs:
        block = next(run, None)
        if block:
            heads.append(block)
            sources.append(run)
    while heads:
        if len(heads) == 1:
            yield heads[0]
            yield from sources[0]
            return
        if key is None:
            bound = min(block[-1] for block in heads)
        else:
            bound = min((key(block[-1]) for block in heads))
        taken: list[bytes] = []
        for i, block in enumerate(heads):
            cut = bisect_right(block, bound, key=key)
            if cut == len(block):
                taken += block
                heads[i] = next(sources[i], None) or []
            elif cut:
                taken += block[:cut]
                heads[i] = block[cut:]
        taken.sort(key=key)
        yield taken
        if not all(heads):
            sources = [s for s, h in zip(sources, heads) if h]
            heads = [h for h in heads if h]
