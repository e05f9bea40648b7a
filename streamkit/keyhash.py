"""Hadoop's ``KeyFieldBasedPartitioner``: the reducer a key goes to, byte for byte.

A transliteration of ``.../KeyFieldBasedPartitioner.java`` (``getPartition``, ``hashCode``),
``org/apache/hadoop/io/Text.java`` ``toString`` (UTF-8 decode with U+FFFD replacement, as
the JDK's ``sun.nio.cs.UTF_8`` decoder does it) and ``java.lang.String.hashCode``, because
every key must land in the same reducer, hence the same part file, as on Hadoop 3.5, and
Hadoop hashes a key differently depending on whether ``-k`` was given.  Options and field
offsets come from :mod:`streamkit.keyfields`.

Quick tour (the values are the ones Hadoop 3.5 gives)::

    >>> part = partitioner("-k1,2", b".")
    >>> part(b"11.12.1.2", 12)              # hashes the bytes "11.12", h0 = 0
    3
    >>> partitioner(None)(b"foo", 3), partitioner("-k1,1")(b"\\xc3\\xa9", 3)
    (0, 1)
"""

from __future__ import annotations

import sys
from typing import Callable, Union

from streamkit.keyfields import (
    _INT_MAX, _SIGNED, _WHOLE_KEY, OptionsLike, _coerce, _coerce_sep, _end_offset,
    _start_offset, _word_lengths,
)

__all__ = ["partitioner", "key_hash", "java_string_hashcode", "java_utf8_decode"]

_M32 = 0xFFFFFFFF
_UTF16 = "utf-16-le" if sys.byteorder == "little" else "utf-16-be"


def java_utf8_decode(data: bytes) -> str:
    """``Text.toString()``: UTF-8 decode replacing malformed input with U+FFFD the JDK way.

    Valid UTF-8 decodes as in Python.  For malformed input the JDK's ``UTF_8`` decoder
    groups bytes differently from Python's ``errors="replace"`` in one family: a 3-byte
    encoded surrogate (``ED A0 80``) is ONE U+FFFD in Java and three in Python (likewise
    ``ED A0`` + non-continuation is one, not two).  The rest matches Unicode's "maximal
    subpart" rule, as Python does, and a truncated sequence at the end is one U+FFFD.

    >>> java_utf8_decode(b"a\\xed\\xa0\\x80b"), b"a\\xed\\xa0\\x80b".decode("utf-8", "replace")
    ('a\\ufffdb', 'a\\ufffd\\ufffd\\ufffdb')
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    out: list[str] = []
    sp = 0
    sl = len(data)
    repl = "\ufffd"
    while sp < sl:
        b1 = data[sp]
        rem = sl - sp
        if b1 < 0x80:
            out.append(chr(b1))
            sp += 1
        elif 0xC2 <= b1 <= 0xDF:
            if rem < 2:
                out.append(repl)  # underflow at end of input: the rest is one malformed unit
                break
            b2 = data[sp + 1]
            if b2 & 0xC0 != 0x80:
                out.append(repl)
                sp += 1
            else:
                out.append(chr(((b1 & 0x1F) << 6) | (b2 & 0x3F)))
                sp += 2
        elif 0xE0 <= b1 <= 0xEF:
            if rem < 3:
                if rem > 1:
                    b2 = data[sp + 1]
                    if (b1 == 0xE0 and b2 & 0xE0 == 0x80) or b2 & 0xC0 != 0x80:
                        out.append(repl)
                        sp += 1
                        continue
                out.append(repl)
                break
            b2 = data[sp + 1]
            b3 = data[sp + 2]
            if (b1 == 0xE0 and b2 & 0xE0 == 0x80) or b2 & 0xC0 != 0x80 or b3 & 0xC0 != 0x80:
                out.append(repl)
                sp += 1 if ((b1 == 0xE0 and b2 & 0xE0 == 0x80) or b2 & 0xC0 != 0x80) else 2
                continue
            c = ((b1 & 0x0F) << 12) | ((b2 & 0x3F) << 6) | (b3 & 0x3F)
            out.append(repl if 0xD800 <= c <= 0xDFFF else chr(c))
            sp += 3
        elif 0xF0 <= b1 <= 0xF7:
            if rem < 4:
                if b1 > 0xF4 or (rem > 1 and _malformed4_2(b1, data[sp + 1])):
                    out.append(repl)
                    sp += 1
                    continue
                if rem > 2 and data[sp + 2] & 0xC0 != 0x80:
                    out.append(repl)
                    sp += 2
                    continue
                out.append(repl)
                break
            b2 = data[sp + 1]
            b3 = data[sp + 2]
            b4 = data[sp + 3]
            uc = ((b1 & 0x07) << 18) | ((b2 & 0x3F) << 12) | ((b3 & 0x3F) << 6) | (b4 & 0x3F)
            if (b2 & 0xC0 != 0x80 or b3 & 0xC0 != 0x80 or b4 & 0xC0 != 0x80
                    or not 0x10000 <= uc <= 0x10FFFF):
                out.append(repl)  # malformedN(src, 4)
                if (b1 > 0xF4 or (b1 == 0xF0 and not 0x90 <= b2 <= 0xBF)
                        or (b1 == 0xF4 and b2 & 0xF0 != 0x80) or b2 & 0xC0 != 0x80):
                    sp += 1
                elif b3 & 0xC0 != 0x80:
                    sp += 2
                else:
                    sp += 3
                continue
            out.append(chr(uc))
            sp += 4
        else:  # 80..BF, C0, C1, F8..FF
            out.append(repl)
            sp += 1
    return "".join(out)


def _malformed4_2(b1: int, b2: int) -> bool:
    return ((b1 == 0xF0 and (b2 < 0x90 or b2 > 0xBF))
            or (b1 == 0xF4 and b2 & 0xF0 != 0x80)
            or b2 & 0xC0 != 0x80)


def _to_int32(h: int) -> int:
    h &= _M32
    return h - 0x100000000 if h > _INT_MAX else h


def java_string_hashcode(s: str) -> int:
    """``java.lang.String.hashCode``: ``h = 31*h + c`` over UTF-16 code units, from 0.

    A character outside the BMP counts as its two surrogates.

    >>> java_string_hashcode("dog"), java_string_hashcode("\\N{GRINNING FACE}")
    (99644, 1772899)
    """
    h = 0
    for u in memoryview(s.encode(_UTF16, "surrogatepass")).cast("H"):
        h = (h * 31 + u) & _M32
    return _to_int32(h)


def _hash_bytes(data: bytes, h: int) -> int:
    for c in data:
        h = (h * 31 + _SIGNED[c]) & _M32
    return h


def _java_reencode(key: bytes) -> bytes:
    """``key.toString().getBytes(UTF_8)``: the key itself when it is valid UTF-8."""
    try:
        key.decode("utf-8")
        return key
    except UnicodeDecodeError:
        return java_utf8_decode(key).encode("utf-8")


def key_hash(options: OptionsLike, sep: Union[bytes, str] = b"\t") -> Callable[[bytes], int]:
    """The signed 32-bit hash ``KeyFieldBasedPartitioner`` reduces modulo R.

    No options (``None``/``""``): ``String.hashCode`` of the decoded key.  Otherwise:
    ``h = 0`` and ``h = 31*h + signed_byte`` over each spec's byte range of the re-encoded
    key, in option order, skipping specs whose start the key lacks; an empty key gives 0.

    >>> key_hash("-k1,2", ".")(b"11.12.1.2")
    46758063
    >>> key_hash("-k1,1 -k3,3", ".")(b"11.12.1.2") == key_hash("-k1,1")(b"111")
    True
    """
    opts = _coerce(options)
    specs = opts.specs
    if not specs:
        def string_hash(key: bytes) -> int:
            if key.isascii():  # one UTF-16 unit per byte, same value
                return _to_int32(_hash_bytes(key, 0))
            return java_string_hashcode(java_utf8_decode(bytes(key)))
        return string_hash

    sep = _coerce_sep(sep)
    seplen = len(sep)
    seen = opts.key_spec_seen

    def field_hash(key: bytes) -> int:
        kb = _java_reencode(bytes(key))
        n = len(kb)
        if n == 0:
            return 0  # "return 0 if the key is empty"
        lengths = _word_lengths(kb, sep) if seen else _WHOLE_KEY
        h = 0
        for spec in specs:
            s = _start_offset(n, lengths, spec, seplen)
            if s < 0:
                continue  # "no key found! continue"
            e = _end_offset(n, lengths, spec, seplen)
            if e >= s:
                h = _hash_bytes(kb[s:e + 1], h)
        return _to_int32(h)
    return field_hash


def partitioner(options: OptionsLike, sep: Union[bytes, str] = b"\t"
                ) -> Callable[[bytes, int], int]:
    """``KeyFieldBasedPartitioner.getPartition``: ``f(key, R) -> (hash & 0x7fffffff) % R``.

    ``options`` is ``mapreduce.partition.keypartitioner.options`` (``None`` when unset) and
    ``sep`` is ``mapreduce.map.output.key.field.separator``.  Note that the same key can land
    in a different reducer than with the default ``HashPartitioner`` (which starts at 1 and
    always hashes bytes).

    >>> p = partitioner(None)
    >>> [p(k, 3) for k in (b"foo", b"bar", b"a", b"", b"\\xc3\\xa9", b"dog")]
    [0, 0, 1, 0, 2, 2]
    >>> partitioner("-k2,2", "::")(b"a::bb::c", 7) == partitioner("-k1,1")(b"bb:", 7)
    True
    """
    h = key_hash(options, sep)

    def get_partition(key: bytes, num_partitions: int) -> int:
        return (h(key) & 0x7FFFFFFF) % num_partitions
    return get_partition
