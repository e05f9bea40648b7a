"""The map side of one map task: partition, buffer, sort, combine and spill.

This is Hadoop's ``MapOutputBuffer`` in Python: map output lines are kept verbatim
(the key is recomputed from the line when needed, exactly as ``TextOutputReader`` would
cut it), bucketed by partition, sorted by key when the memory budget fills up, and
written as one spill file holding each partition's sorted segment in turn.  Reducers
read their segment of every spill of every map task.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Callable, Iterable, Iterator

from streamkit.errors import disk_errors
from streamkit.extsort import (BLOCK_LINES, COUNT_RATIO, COUNT_SAMPLE, COUNTED_OVERHEAD,
                               LINE_OVERHEAD, ExternalSorter, Order, compact_bytes, count_sorted,
                               counted_bytes, expand)
from streamkit.records import split_key_value

#: Share of the budget for sorting one partition's combiner output (it spills past that)
#: while the rest of the spilled buffer is still held.
COMBINER_SHARE = 8


class MapOutputCollector:
    """Collect one map task's output lines into sorted, partitioned spill files.

    Lines are counted or buffered unpartitioned; a spill sorts them once, then walks the
    runs of equal keys (:meth:`Order.key_runs`) to hand each run to its partition, so the
    partitioner runs once per distinct key, not once per line.

    Mapper output usually repeats itself (``site\\t1``), so lines are first counted
    block by block in a Counter, never buffered: the spill sorts the distinct lines and
    writes each once with its count (``count\\tline``, :func:`compact_bytes`; expanded,
    these are the bytes sorting the lines would give; ``"counted"`` in the spill).  Once
    too many of them are distinct, or whole-line order stops being the key order (then
    counting could reorder lines whose keys tie), the rest of the task buffers lines; the
    counted ones join the buffer if they fit and may, else they are spilled first.
    """

    def __init__(self, workdir: str, num_partitions: int, part_of: Callable[[bytes], int],
                 order: Order, budget: int,
                 combine: Callable[[int, Iterable[list[bytes]], Callable[[bytes], None]], None]
                 | None = None):
        self.workdir, self.R, self.part_of = workdir, num_partitions, part_of
        self.order, self.budget, self.combine = order, budget, combine
        self.buffer: list[bytes] = []
        self.counts: Counter | None = Counter()  # None: buffering lines
        self.counted = 0  # lines in ``counts``
        self.used = 0
        self.by_line = True
        self.spills: list[dict] = []
        self.records = 0
        self.bytes = 0
        self.spilled_records = 0
        # Per line: the buffered bytes object, plus what a spill adds (its slot in a
        # partition's list, Timsort's scratch), so the spill itself fits the budget too.
        self._overhead = LINE_OVERHEAD + 4 + (8 if num_partitions > 1 else 0)

    def add(self, block: bytes) -> None:
        """Take a ``\\n``-terminated block of map output lines."""
        if not block:
            return
        lines = block.split(b"\n")
        lines.pop()
        n = len(lines)
        self.records += n
        self.bytes += len(block) - n
        if self.by_line and not self.order.whole_line_ok(block):
            self.by_line = False
            self._stop_counting()
        counts = self.counts
        if counts is None:
            self.buffer += lines
            self.used += len(block) + self._overhead * n
        else:
            distinct = len(counts)
            counts.update(lines)
            self.counted += n
            self.used += (len(counts) - distinct) * (COUNTED_OVERHEAD + len(block) // n)
            if self.counted >= COUNT_SAMPLE and len(counts) * COUNT_RATIO > self.counted:
                self._stop_counting()
        if self.used >= self.budget:
            self.spill()

    def _stop_counting(self) -> None:
        """From now on buffer lines.  What was counted goes into the line buffer if it
        fits and may be reordered (whole-line order: identical lines are interchangeable);
        otherwise it is spilled as it is."""
        counts = self.counts
        if counts is None:
            return
        size = sum((len(line) + self._overhead) * n for line, n in counts.items())
        if self.by_line and size < self.budget:
            self.buffer, self.used = list(counts.elements()), size
        elif counts:
            self.spill()
        self.counts = None

    def _partitions(self, lines: list[bytes]) -> list[list[bytes]]:
        """Split sorted ``lines`` into per-partition sorted lists."""
        if self.R == 1:
            return [lines]
        parts: list[list[bytes]] = [[] for _ in range(self.R)]
        part_of = self.part_of
        for key, i, j in self.order.key_runs(lines, self.by_line):
            parts[part_of(key)] += lines[i:j]
        return parts

    def spill(self) -> None:
        """Sort the buffer and write each partition's segment, in order, to one file.

        Counted lines (or a repetitive line buffer, :func:`count_sorted`) are sorted as
        distinct lines, then written ``count`` times each.
        """
        if self.counts is not None:
            if not self.counts:
                return
            counts, self.counted = self.counts, 0
            lines = sorted(counts)  # counting mode implies whole-line order
            # Go on counting only if that paid (a small budget spills before the check in add).
            self.counts = Counter() if len(lines) * COUNT_RATIO <= sum(counts.values()) else None
        else:
            if not self.buffer:
                return
            lines, self.buffer = self.buffer, []
            key = None if self.by_line else self.order.key
            counted = count_sorted(lines, key, False)
            if counted:
                lines, counts = counted
            else:
                lines.sort(key=key)
                counts = None
        path = os.path.join(self.workdir, f"spill{len(self.spills)}.out")
        parts = self._partitions(lines)
        # Repetitive: each distinct line written once, with its count (compact_bytes);
        # reducers read it run by run or expanded (merge_files' ``compact``).
        repetitive = (counts is not None and self.combine is None
                      and len(lines) * COUNT_RATIO <= sum(counts.values()))
        del lines
        segments = []
        offset = 0
        by_line = self.by_line
        with disk_errors(path, self.used), open(path, "wb", buffering=1 << 20) as out:
            for part, lines in enumerate(parts):
                if not lines:
                    chunks, records = (), 0
                elif self.combine is not None:
                    blocks = expand(lines, counts) if counts is not None else _slices(lines)
                    sorter = ExternalSorter(self.order, self.budget // COMBINER_SHARE,
                                            self.workdir, count=False)
                    chunks, records = self._combined(sorter, part, blocks), None
                elif counts is not None:
                    chunks = (compact_bytes if repetitive else counted_bytes)(lines, counts)
                    records = sum(map(counts.__getitem__, lines))
                else:
                    chunks, records = (b"\n".join(b) + b"\n" for b in _slices(lines)), len(lines)
                size = 0
                for data in chunks:
                    out.write(data)
                    size += len(data)
                if records is None:
                    records, by_line = sorter.records, by_line and sorter.by_line
                segments.append([offset, size, records])
                self.spilled_records += records
                offset += size
                parts[part] = []
        self.spills.append({"path": path, "segments": segments, "by_line": by_line,
                            "counted": repetitive})
        self.used = 0

    def _combined(self, sorter: ExternalSorter, part: int,
                  blocks: Iterable[list[bytes]]) -> Iterator[bytes]:
        """Run the combiner over one partition's sorted lines; yield its output re-sorted
        (a combiner that breaks order must not break the merge).

        ``sorter`` holds a share of the budget and spills past it, so neither a
        combiner's input nor its output is ever held whole.
        """
        with sorter:
            self.combine(part, blocks, sorter.add)
            for lines in sorter.sorted_blocks():
                yield b"\n".join(lines) + b"\n"

    def finish(self) -> list[dict]:
        self.spill()
        return self.spills


def _slices(lines: list[bytes]) -> Iterator[list[bytes]]:
    for i in range(0, len(lines), BLOCK_LINES):
        yield lines[i:i + BLOCK_LINES]


def to_reduce_input(lines: list[bytes], sep: bytes, nfields: int, rsep: bytes) -> list[bytes]:
    """Map output lines as the reducer reads them: ``key + rsep + value``, separator always."""
    if nfields == 1 and sep == rsep:
        return [line if sep in line else line + sep for line in lines]
    out = []
    for line in lines:
        key, value = split_key_value(line, sep, nfields)
        out.append(key + rsep + value)
    return out


def from_combiner_output(lines: list[bytes], osep: bytes, onfields: int,
                         sep: bytes, nfields: int) -> list[bytes]:
    """Combiner output (parsed with the reduce-output settings) back into map-output lines."""
    if osep == sep and onfields == nfields:
        return lines
    out = []
    for line in lines:
        key, value = split_key_value(line, osep, onfields)
        seps = key.count(sep)
        # Choose the line that map-side parsing cuts back into exactly (key, value).
        out.append(key if not value and seps < nfields - 1 else key + sep + value)
    return out
