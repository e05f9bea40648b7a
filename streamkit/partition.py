"""Hadoop's HashPartitioner on bytes: which reducer (part file) a key goes to.

``Text.hashCode`` is ``h = 1; h = 31*h + b`` over the key's *signed* bytes, in int32;
the partition is ``(h & 0x7fffffff) % R``.  Only the key counts, never the value.

>>> hash_partition(b"foo", 3), hash_partition(b"dog", 3), hash_partition(b"", 3)
(1, 0, 1)
>>> text_hash(b"foo"), text_hash("é".encode())
(131365, -1017)
"""

from __future__ import annotations

from operator import mul
from typing import Callable

_MASK = 0xFFFFFFFF
_POWERS: dict[int, tuple[int, ...]] = {}


def _powers(n: int) -> tuple[int, ...]:
    """31**(n-1-i) mod 2**32 for i in range(n): the weight of byte i in a length-n hash."""
    p = _POWERS.get(n)
    if p is None:
        p = tuple(pow(31, n - 1 - i, 1 << 32) for i in range(n))
        _POWERS[n] = p
    return p


def text_hash(key: bytes) -> int:
    """``org.apache.hadoop.io.Text.hashCode()`` of ``key`` as a signed int32.

    Horner's rule unrolled: ``31**n + sum(b_i * 31**(n-1-i))`` with one C-level
    ``sum(map(mul, ...))``; bytes >= 0x80 count as ``b - 256`` (Java bytes are signed).
    """
    n = len(key)
    weights = _powers(n)
    h = pow(31, n, 1 << 32) + sum(map(mul, key, weights))
    if not key.isascii():
        h -= 256 * sum(w for b, w in zip(key, weights) if b >= 0x80)
    h &= _MASK
    return h - (1 << 32) if h >= 1 << 31 else h


def hash_partition(key: bytes, num_partitions: int) -> int:
    """``HashPartitioner.getPartition``: ``(Text.hashCode(key) & 0x7fffffff) % R``."""
    return (text_hash(key) & 0x7FFFFFFF) % num_partitions


def cached(partition: Callable[[bytes, int], int], num_partitions: int,
           limit: int = 1 << 16) -> Callable[[bytes], int]:
    """A per-key memo of ``partition(key, num_partitions)``: map output repeats keys a lot.

    The memo is dropped whenever it reaches ``limit`` keys, so memory stays bounded on
    high-cardinality keys.
    """
    memo: dict[bytes, int] = {}

    def part_of(key: bytes) -> int:
        p = memo.get(key)
        if p is None:
            if len(memo) >= limit:
                memo.clear()
            p = memo[key] = partition(key, num_partitions)
        return p

    return part_of
