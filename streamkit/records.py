"""Hadoop Streaming's record model, on bytes only.

Two rules, both from Hadoop's own readers (never decoded, never re-encoded):

* line terminators, as ``LineReader.readDefaultLine``: ``\\n``, ``\\r\\n`` and a lone
  ``\\r`` each end a line; the terminator is not part of the line; a final line without a
  terminator is still a line; a terminator at EOF adds no empty line;
* the key/value split, as ``TextOutputReader.splitKeyVal``: the key ends at the N-th
  separator; a line with fewer than N separators is all key, with an empty value.

>>> LineReader().feed(b"a\\r\\nb\\rc\\n\\nd")
b'a\\nb\\nc\\n\\n'
>>> split_key_value(b"a\\tb\\tc")
(b'a', b'b\\tc')
>>> split_key_value(b"a\\tb\\tc", nfields=2)
(b'a\\tb', b'c')
>>> split_key_value(b"abc")
(b'abc', b'')
"""

from __future__ import annotations

from typing import Iterator


class LineReader:
    """Cut a stream of byte chunks into Hadoop records, re-terminated with ``\\n``.

    ``feed(chunk)`` returns the complete records seen so far as one block in which every
    record ends with ``\\n`` (``\\r\\n`` and lone ``\\r`` become ``\\n``); an incomplete
    last record is held back until the next chunk. ``finish()`` returns the held-back
    record, terminated, if the stream did not end with a terminator.

    Chunks without ``\\r`` pass through with one ``rfind`` and a slice: no per-line work.
    """

    __slots__ = ("_tail", "_pending", "pending_bytes", "_after_cr")

    def __init__(self) -> None:
        self._tail = b""
        self._pending: list[bytes] = []  # pieces of one long line, joined once it ends
        self.pending_bytes = 0
        self._after_cr = False

    def feed(self, chunk: bytes) -> bytes:
        if self._after_cr:
            self._after_cr = False
            if chunk[:1] == b"\n":  # second half of a "\r\n" split across chunks
                chunk = chunk[1:]
        if b"\n" not in chunk and b"\r" not in chunk:
            if chunk:  # no terminator: hold it without copying (a 100 MB line stays linear)
                self._pending.append(chunk)
                self.pending_bytes += len(chunk)
            return b""
        data = b"".join([self._tail, *self._pending, chunk])
        self._pending, self.pending_bytes = [], 0
        if b"\r" in data:
            if data.endswith(b"\r"):
                self._after_cr = True
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        end = data.rfind(b"\n") + 1
        self._tail = data[end:]
        return data[:end]

    def take_pending(self) -> bytes:
        """Hand over the unterminated bytes held so far (to log an endless line in pieces)."""
        data = b"".join([self._tail, *self._pending])
        self._tail, self._pending, self.pending_bytes = b"", [], 0
        return data

    def finish(self) -> bytes:
        tail = b"".join([self._tail, *self._pending])
        self._tail, self._pending, self.pending_bytes = b"", [], 0
        return tail + b"\n" if tail else b""


def iter_records(chunks) -> Iterator[bytes]:
    """Yield each record (without terminator) of an iterable of byte chunks.

    Equivalent to ``b"".join(chunks).splitlines()`` restricted to Hadoop's terminators
    (``splitlines`` also breaks on ``\\x0b``, ``\\x0c``, ``\\x1c``…, which Hadoop does not).
    """
    reader = LineReader()
    for chunk in chunks:
        block = reader.feed(chunk)
        if block:
            yield from block.split(b"\n")[:-1]
    block = reader.finish()
    if block:
        yield block[:-1]


def key_end(line: bytes, sep: bytes = b"\t", nfields: int = 1) -> int:
    """Index where the key of ``line`` ends (the N-th separator), or -1 if it is all key."""
    pos = line.find(sep)
    step = len(sep)
    while nfields > 1 and pos >= 0:
        pos = line.find(sep, pos + step)
        nfields -= 1
    return pos


def split_key_value(line: bytes, sep: bytes = b"\t", nfields: int = 1) -> tuple[bytes, bytes]:
    """Split one record into ``(key, value)`` exactly as Hadoop's ``TextOutputReader``."""
    pos = key_end(line, sep, nfields)
    if pos < 0:
        return line, b""
    return line[:pos], line[pos + len(sep):]


def key_of(line: bytes, sep: bytes = b"\t", nfields: int = 1) -> bytes:
    """The key of one record: ``split_key_value(line, sep, nfields)[0]``."""
    pos = key_end(line, sep, nfields)
    return line if pos < 0 else line[:pos]
