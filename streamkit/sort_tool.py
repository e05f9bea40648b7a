"""``streamkit sort``: the drop-in for ``sort`` in ``mapper | sort | reducer`` pipelines.

It orders lines exactly as Hadoop's shuffle orders map output — by the key only, as
unsigned bytes, or by KeyFieldBasedComparator options — in bounded memory, reading
files through :mod:`streamkit.inputs` (so ``.gz``/``.bz2``/``.zst``/``s3://`` work).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import BinaryIO, Iterator

from streamkit import keycompare, keyfields
from streamkit.errors import UsageError, StreamkitError
from streamkit.extsort import DEFAULT_FAN_IN, ExternalSorter, Order
from streamkit.records import LineReader

_SIZE = re.compile(r"^(\d+)([bkmgt%]?)$", re.IGNORECASE)
_UNITS = {"": 1 << 10, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_size(text: str) -> int:
    """GNU sort's ``-S`` syntax: a number with an optional b/K/M/G/T suffix (default K).

    >>> parse_size("64M"), parse_size("512k"), parse_size("100")
    (67108864, 524288, 102400)
    """
    m = _SIZE.match(text.strip())
    if not m or m.group(2) == "%":
        raise UsageError(f"invalid buffer size {text!r}; use a number with a K, M or G suffix, e.g. 64M")
    return int(m.group(1)) * _UNITS[m.group(2).lower()]


@dataclass
class SortOptions:
    """What ``streamkit sort`` was asked for; defaults are Hadoop's (tab, 1 key field)."""

    separator: bytes = b"\t"
    key_fields: int | None = None
    comparator_options: str = ""
    stable: bool = False
    buffer_size: int = 100 << 20
    tmpdir: str | None = None
    fan_in: int = DEFAULT_FAN_IN
    inputs: list[str] = field(default_factory=lambda: ["-"])

    def check(self) -> "SortOptions":
        """Refuse bad options (``-k0``, a missing ``-T``) before any input is read."""
        from streamkit.private import check_temp_parent

        self.order()
        check_temp_parent(self.tmpdir, "-T")
        return self

    def order(self) -> Order:
        opts = keyfields.parse_options(self.comparator_options, strict=True)
        nfields = self.key_fields
        if nfields is None:  # let -k name fields beyond the first without --key-fields
            nfields = max([1] + [max(s.begin_field, s.end_field) for s in opts.specs])
        if nfields < 1:
            raise UsageError(f"--key-fields must be >= 1, got {nfields}")
        comparator = keycompare.comparator_key(opts, self.separator) if self.comparator_options.strip() else None
        return Order(self.separator, nfields, comparator, self.stable)


def _chunks(stream: BinaryIO, size: int = 1 << 20) -> Iterator[bytes]:
    """Read ``stream`` in chunks of up to ``size`` bytes.

    ``read1`` makes at most one system call: a buffered ``read(size)`` on a pipe keeps
    reading until it has ``size`` bytes, and a SIGTERM that lands between two of those
    reads is only handled when the call returns — never, if the writer goes quiet.
    """
    read = getattr(stream, "read1", stream.read)
    while True:
        chunk = read(size)
        if not chunk:
            return
        yield chunk


def record_blocks(inputs: list[str], stdin: BinaryIO) -> Iterator[bytes]:
    """Yield ``\\n``-terminated record blocks of every input in turn (``-`` is stdin)."""
    from streamkit.inputs import open_input

    for name in inputs:
        reader = LineReader()
        stream = stdin if name == "-" else open_input(name)
        try:
            for chunk in _chunks(stream):
                block = reader.feed(chunk)
                if block:
                    yield block
            block = reader.finish()
            if block:
                yield block
        except OSError as exc:
            raise StreamkitError(f"cannot read {name}: {exc.strerror or exc}; check the file") from exc
        finally:
            if stream is not stdin:
                stream.close()


def sort_to(opts: SortOptions, stdin: BinaryIO, out: BinaryIO) -> None:
    """Sort ``opts.inputs`` to ``out`` (written through its file descriptor)."""
    out.flush()
    with ExternalSorter(opts.order(), opts.buffer_size, opts.tmpdir, opts.fan_in,
                        parallel=True) as sorter:
        for block in record_blocks(opts.inputs, stdin):
            sorter.add(block)
        sorter.write_sorted(out.fileno())


def first_disorder(opts: SortOptions, stdin: BinaryIO) -> tuple[str, int, bytes] | None:
    """``--check``: the (input, 1-based line number, line) of the first out-of-order line."""
    order = opts.order()
    key_of, comparator = order.key_of, order.comparator
    key = (lambda line: comparator(key_of(line))) if comparator else key_of  # keys only
    for name in opts.inputs:
        previous = None
        number = 0
        for block in record_blocks([name], stdin):
            for line in block.split(b"\n")[:-1]:
                number += 1
                k = key(line)
                if previous is not None and k < previous:
                    return name, number, line
                previous = k
    return None
