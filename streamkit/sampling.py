"""``--sample FRACTION``: a deterministic Bernoulli sample of the input records.

Every record is kept with probability FRACTION, independently of the others, by a
decision that depends only on ``(seed, file, the record's position in the file)``: not on
the split that reads it (so any split count gives the same records) and not on its bytes
(so duplicated lines are sampled independently, as a Bernoulli sample of *records* must;
a hash of the line would keep or drop every copy together and skew counts).

Positions: a splittable file is cut into fixed windows of :data:`WINDOW` bytes; a record
belongs to the window holding its first byte (``LineRecordReader``'s key // WINDOW), and
the records of window k, in file order, draw keep/drop from one random stream seeded by
``(seed, file uri, k)``.  A split that starts inside a window counts the window's records
before it (at most a window's bytes read twice) and skips that many draws.  A file read
whole as one split (compressed, remote, a pipe) is one window.  The stream draws the
*gaps* between kept records (geometric), so the per-record cost is one C-level
``split`` per block plus Python work per kept record only.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Iterable, Iterator

from streamkit.inputs import (Split, line_start_at_or_after, open_input, read_range,
                              read_split, read_split_keyed, split_bounds)

WINDOW = 1 << 20  # bytes of a file that share one random stream
DENSE = 0.05      # from this fraction up, one draw per record beats drawing gaps
GROUP = "streamkit"
SKIPPED = "Sample skipped records"


@dataclass
class Tally:
    """Records read and kept by one task's sampler (for its counters)."""

    read: int = 0
    kept: int = 0


class _Stream:
    """The keep/drop decisions of one window's records, ordinal by ordinal.

    Sparse fractions draw the *gaps* between kept records (geometric, Knuth's method):
    Python work per kept record only.  From :data:`DENSE` up, one uniform draw per
    record in a comprehension is cheaper.  Either way record i is kept or not by the
    window's stream alone; the mode depends on the fraction only, so every split agrees.
    """

    def __init__(self, seed: int, uri: str, window: int, fraction: float):
        # Seeding with a str hashes it with SHA-512: the same stream in every process
        # and Python version (Mersenne Twister output is stable too).
        self.rng = random.Random(f"streamkit-sample:{seed}:{uri}:{window}")
        self.fraction = fraction
        self.dense = fraction >= DENSE
        self.log_q = math.log1p(-fraction)
        self.ordinal = 0  # the next record's ordinal
        self.next = 0 if self.dense else self._gap()  # sparse: ordinal of the next kept record

    def _gap(self) -> int:
        """Records dropped before the next kept one: Geometric(fraction)."""
        return int(math.log(1.0 - self.rng.random()) / self.log_q)

    def skip(self, n: int) -> None:
        """Consume the decisions of the first ``n`` records (read by an earlier split)."""
        if self.dense:
            draw = self.rng.random
            for _ in range(n):
                draw()
        else:
            while self.next < n:
                self.next += 1 + self._gap()
        self.ordinal = n

    def pick(self, lines: list[bytes]) -> list[bytes]:
        """The kept ones of ``lines``, the window's next records."""
        first = self.ordinal
        self.ordinal += len(lines)
        if self.dense:
            draw, fraction = self.rng.random, self.fraction
            return [line for line in lines if draw() < fraction]
        end, kept = self.ordinal, []
        while self.next < end:
            kept.append(lines[self.next - first])
            self.next += 1 + self._gap()
        return kept

    def keep(self) -> bool:
        """Whether the window's next record is kept (the per-line path)."""
        if self.dense:
            self.ordinal += 1
            return self.rng.random() < self.fraction
        kept = self.next == self.ordinal
        if kept:
            self.next += 1 + self._gap()
        self.ordinal += 1
        return kept


def _pick_blocks(blocks: Iterable[bytes], stream: _Stream, tally: Tally) -> Iterator[bytes]:
    for block in blocks:
        lines = block.split(b"\n")
        lines.pop()
        kept = stream.pick(lines)
        tally.read += len(lines)
        tally.kept += len(kept)
        if kept:
            yield b"\n".join(kept) + b"\n"


def _count_records(fh, uri: str, begin: int, stop: int) -> int:
    """How many records start in ``[begin, stop)``, both line starts."""
    return sum(block.count(b"\n") for block in read_range(fh, uri, begin, stop))


def sample_split(split: Split, fraction: float, seed: int, tally: Tally) -> Iterator[bytes]:
    """:func:`read_split`'s blocks, with only the sampled records."""
    uri = split.file.uri
    if split.length < 0 or not split.file.splittable:  # one split, one window
        yield from _pick_blocks(read_split(split), _Stream(seed, uri, 0, fraction), tally)
        return
    with open_input(uri) as fh:
        begin, stop = split_bounds(fh, split)
        pos = begin
        while pos < stop:
            window = pos // WINDOW
            stream = _Stream(seed, uri, window, fraction)
            if pos == begin and pos > window * WINDOW:  # the window began in an earlier split
                stream.skip(_count_records(fh, uri, line_start_at_or_after(fh, window * WINDOW, uri), pos))
            end = min(stop, line_start_at_or_after(fh, (window + 1) * WINDOW, uri))
            yield from _pick_blocks(read_range(fh, uri, pos, end), stream, tally)
            pos = end


def sample_split_keyed(split: Split, fraction: float, seed: int,
                       tally: Tally) -> Iterator[list[tuple[int, bytes]]]:
    """:func:`read_split_keyed`'s ``(offset, line)`` lists, with only the sampled records
    (the same records :func:`sample_split` keeps)."""
    uri = split.file.uri
    whole = split.length < 0 or not split.file.splittable
    stream, window = None, -1
    for records in read_split_keyed(split):
        kept = []
        for offset, line in records:
            w = 0 if whole else offset // WINDOW
            if w != window:
                first_window = window < 0
                window, stream = w, _Stream(seed, uri, w, fraction)
                if first_window and offset > w * WINDOW:  # it began in an earlier split
                    with open_input(uri) as fh:
                        stream.skip(_count_records(
                            fh, uri, line_start_at_or_after(fh, w * WINDOW, uri), offset))
            if stream.keep():
                kept.append((offset, line))
        tally.read += len(records)
        tally.kept += len(kept)
        if kept:
            yield kept
