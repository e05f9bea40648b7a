"""Hadoop's ``KeyFieldBasedComparator``: the order that ``keycomparator.options`` gives.

Transliterated line by line from ``KeyFieldBasedComparator.java`` (``compare``,
``compareByteSequence``, ``numericalCompare``, ``decimalCompare``, ``oneNegativeCompare``,
``isZero``): a job must see its keys in Hadoop 3.5's order, and Hadoop's ``-n`` is not
``sort -n``.  Options and field offsets come from :mod:`streamkit.keyfields`.

    >>> keys = [b"x\\t2", b"x\\t20", b"x\\t3", b"x\\t10"]
    >>> sorted(keys, key=comparator_key("-k2,2nr"))    # values are Hadoop 3.5's
    [b'x\\t20', b'x\\t10', b'x\\t3', b'x\\t2']
    >>> compare(b"007", b"7", parse_options("-n")) < 0   # Hadoop's -n is not sort -n
    True
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Callable, Optional, Union

from streamkit.keyfields import (  # parse_options: for the doctests
    _SIGNED, _WHOLE_KEY, KeySpec, OptionsLike, _coerce, _coerce_sep, _end_offset,
    _start_offset, _word_lengths, parse_options,
)

__all__ = ["compare", "comparator_key"]

_NEGATIVE = 0x2D  # '-'
_ZERO = 0x30  # '0'
_DECIMAL = 0x2E  # '.'
# 255 - b: used to build a byte string whose order is the reverse of the original's.
_INVERT = bytes(255 - b for b in range(256))
# Canonical decimals: on two of these numericalCompare agrees with true numeric order
# (checked exhaustively in the tests), so they may be compared as Decimals.  Leading
# zeros, '+', blanks, exponents, a bare '.' or a trailing '.' are all excluded.
_CANONICAL_NUMBER = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")


def _compare_bytes(a: bytes, s1: int, l1: int, b: bytes, s2: int, l2: int) -> int:
    """``WritableComparator.compareBytes``: unsigned, then ``l1 - l2``.

    Lengths can be negative (``-k3,2``, negative end chars): then no byte is looked at and
    the result is ``l1 - l2``, exactly as ``FastByteComparisons`` does.
    """
    m = min(l1, l2)
    if m > 0:
        x = a[s1:s1 + m]
        y = b[s2:s2 + m]
        if x != y:
            for p, q in zip(x, y):
                if p != q:
                    return p - q
    return l1 - l2


def _isdigit(c: int) -> bool:
    return 0x30 <= c <= 0x39


def _is_zero(a: bytes, i: int, end: int) -> bool:
    """``isZero``: no non-zero digit before the first other byte, nor in a ``.`` fraction.

    Java may read ``a[i]`` one past an empty range here; whatever it finds, the answer is
    ``true``, which is what the ``i <= end`` guard below gives.
    """
    while i <= end:
        c = a[i]
        if c != _ZERO:
            if c != _DECIMAL and _isdigit(c):
                return False
            break
        i += 1
    if i <= end and a[i] == _DECIMAL:
        i += 1
        while i <= end:
            c = a[i]
            if c != _ZERO:
                if _isdigit(c):
                    return False
                break
            i += 1
    return True


def _one_negative_compare(a: bytes, s1: int, e1: int, b: bytes, s2: int, e2: int) -> int:
    """``oneNegativeCompare``: ``a`` had a leading ``-``, ``b`` did not."""
    if not _is_zero(a, s1, e1):
        return -1
    if not _is_zero(b, s2, e2):
        return -1
    return 0


def _decimal_compare1(a: bytes, i: int, end: int) -> int:
    while i <= end:
        c = a[i]
        if c == _ZERO:
            i += 1
            continue
        return 1 if _isdigit(c) else 0
    return 0


def _decimal_compare(a: bytes, i: int, end1: int, b: bytes, j: int, end2: int) -> int:
    if i > end1:
        return -_decimal_compare1(b, j + 1, end2)
    if j > end2:
        return _decimal_compare1(a, i + 1, end1)
    if a[i] == _DECIMAL and b[j] == _DECIMAL:
        while i <= end1 and j <= end2:
            p = a[i]
            q = b[j]
            if p != q:
                if _isdigit(p) and _isdigit(q):
                    return p - q
                if _isdigit(p):
                    return 1
                if _isdigit(q):
                    return -1
                return 0
            i += 1
            j += 1
        if i > end1 and j > end2:
            return 0
        if i > end1:
            return -_decimal_compare1(b, j, end2)
        return _decimal_compare1(a, i, end1)
    if a[i] == _DECIMAL:
        return _decimal_compare1(a, i + 1, end1)
    if b[j] == _DECIMAL:
        return -_decimal_compare1(b, j + 1, end2)
    return 0


def _numerical_compare(a: bytes, start1: int, end1: int, b: bytes, start2: int, end2: int) -> int:
    """``numericalCompare``, quirks included.

    ``a[start1]`` is read even when the range is empty (it is always inside the key), and
    ``first_a``/``first_b`` keep that first byte when the scan runs off the end, which is
    why ``"007" < "7"``.  Bytes are signed in the ``first_a - first_b`` difference, so a
    non-ASCII first byte sorts below ``"0"``.
    """
    i = start1
    j = start2
    mul = 1
    first_a = _SIGNED[a[i]]
    first_b = _SIGNED[b[j]]
    if first_a == _NEGATIVE:
        if first_b != _NEGATIVE:
            # cases like -0.0 and 0.0 are equal
            return _one_negative_compare(a, start1 + 1, end1, b, start2, end2)
        i += 1
    if first_b == _NEGATIVE:
        if first_a != _NEGATIVE:
            return -_one_negative_compare(b, start2 + 1, end2, a, start1, end1)
        j += 1
    if first_b == _NEGATIVE and first_a == _NEGATIVE:
        mul = -1
    # skip over ZEROs
    while i <= end1 and a[i] == _ZERO:
        i += 1
    while j <= end2 and b[j] == _ZERO:
        j += 1
    # skip over equal digits, stop at the first non-digit (could be '.')
    while i <= end1 and j <= end2:
        c = a[i]
        if not _isdigit(c) or c != b[j]:
            break
        i += 1
        j += 1
    if i <= end1:
        first_a = _SIGNED[a[i]]
    if j <= end2:
        first_b = _SIGNED[b[j]]
    first_result = first_a - first_b
    if ((first_a == _DECIMAL and (not _isdigit(first_b) or j > end2))
            or (first_b == _DECIMAL and (not _isdigit(first_a) or i > end1))):
        r = _decimal_compare(a, i, end1, b, j, end2)
        return -r if mul < 0 else r
    # count the remaining mantissa digits
    na = 0
    while i <= end1:
        c = a[i]
        i += 1
        if _isdigit(c):
            na += 1
        else:
            break
    nb = 0
    while j <= end2:
        c = b[j]
        j += 1
        if _isdigit(c):
            nb += 1
        else:
            break
    ret = na - nb
    if ret == 0:
        return -first_result if mul < 0 else first_result
    return -ret if mul < 0 else ret


def compare(a: bytes, b: bytes, opts: OptionsLike, sep: Union[bytes, str] = b"\t") -> int:
    """``KeyFieldBasedComparator.compare`` on two raw keys: negative, 0 or positive.

    Exactly Hadoop's result, inconsistencies included: when *both* keys lack a spec's start
    position the answer is -1 (+1 under ``r``) in either order.  For sorting use
    :func:`comparator_key`, which turns that into a tie.

    >>> o = parse_options("-k2,2")
    >>> compare(b"b", b"c\\ta", o), compare(b"c\\ta", b"b", o)   # missing field first
    (-1, 1)
    >>> compare(b"b", b"b", o)                                 # ...even against itself
    -1
    """
    opts = _coerce(opts)
    specs = opts.specs
    if not specs:
        return _compare_bytes(a, 0, len(a), b, 0, len(b))
    sep = _coerce_sep(sep)
    seplen = len(sep)
    n1 = len(a)
    n2 = len(b)
    if opts.key_spec_seen:
        la = _word_lengths(a, sep)
        lb = _word_lengths(b, sep)
    else:
        la = lb = _WHOLE_KEY
    for spec in specs:
        s1 = _start_offset(n1, la, spec, seplen)
        e1 = _end_offset(n1, la, spec, seplen)
        s2 = _start_offset(n2, lb, spec, seplen)
        e2 = _end_offset(n2, lb, spec, seplen)
        # compareByteSequence
        if s1 == -1:
            return 1 if spec.reverse else -1
        if s2 == -1:
            return -1 if spec.reverse else 1
        if spec.numeric:
            r = _numerical_compare(a, s1, e1, b, s2, e2)
        else:
            r = _compare_bytes(a, s1, e1 - s1 + 1, b, s2, e2 - s2 + 1)
        if spec.reverse:
            r = -r
        if r != 0:
            return r
    return 0


# Tuple elements for a spec whose start position the key lacks.  Present fields are
# (1, ...), so a missing one sorts first, or last under 'r'; the tuple ends there, which
# makes two keys that both lack it tie (Hadoop never looks at the later specs then).
_MISSING_FIRST = (0,)
_MISSING_LAST = (2,)


def _reversed_bytes(seg: bytes) -> bytes:
    """A byte string whose order is the exact reverse of ``seg``'s unsigned order.

    Each byte ``c`` becomes the pair ``(255 - c, 1)`` and the string ends with ``(255, 2)``:
    the first differing byte compares inverted, and a proper prefix (normally smaller) now
    ends with a pair that beats every byte pair, so it is larger.
    """
    n = len(seg)
    out = bytearray(2 * n + 2)
    out[0:2 * n:2] = seg.translate(_INVERT)
    out[1:2 * n:2] = b"\x01" * n
    out[2 * n] = 0xFF
    out[2 * n + 1] = 0x02
    return bytes(out)


def _byte_element(key: bytes, s: int, e: int, reverse: bool) -> tuple:
    """Sort element equivalent to ``compareBytes`` on ``key[s..e]`` (signed length)."""
    length = e - s + 1
    if length < 0:
        # compareBytes with a negative length: only l1 - l2 counts, and any
        # non-negative length is larger.
        return (1, -length, b"") if reverse else (1, length, b"")
    seg = key[s:e + 1]
    return (1, 0, _reversed_bytes(seg)) if reverse else (1, 0, seg)


class _NumericKey:
    """Sort key for option sets with a numeric spec.

    ``numericalCompare`` is not a total order (``".x" == "a"`` and ``".x" == "b"`` but
    ``"a" < "b"``), so no tuple can reproduce it; this object runs the transliterated
    compare on offsets computed once per key.  Both-missing is a tie, as in the tuple path.

    Fast path: when every numeric field of *both* keys is a canonical decimal
    (``_CANONICAL_NUMBER``), Hadoop's answer equals the numeric one, so the precomputed
    tuples ``fast`` (Decimals in place of the numeric fields) are compared in C instead.
    """

    __slots__ = ("key", "parts", "specs", "fast")

    def __init__(self, key: bytes, parts: list, specs: tuple[KeySpec, ...],
                 fast: Optional[tuple]) -> None:
        self.key = key
        self.parts = parts
        self.specs = specs
        self.fast = fast

    def _cmp(self, other: "_NumericKey") -> int:
        x = self.fast
        if x is not None:
            y = other.fast
            if y is not None:
                return (x > y) - (x < y)
        a = self.key
        b = other.key
        for spec, p, q in zip(self.specs, self.parts, other.parts):
            if p is None:
                if q is None:
                    return 0
                return 1 if spec.reverse else -1
            if q is None:
                return -1 if spec.reverse else 1
            if spec.numeric:
                r = _numerical_compare(a, p[0], p[1], b, q[0], q[1])
                if r:
                    return -r if spec.reverse else r
            elif p != q:  # byte elements are built unreversed here
                r = -1 if p < q else 1
                return -r if spec.reverse else r
        return 0

    def __lt__(self, other: "_NumericKey") -> bool:
        x = self.fast
        if x is not None:
            y = other.fast
            if y is not None:
                return x < y
        return self._cmp(other) < 0

    def __gt__(self, other: "_NumericKey") -> bool:
        return self._cmp(other) > 0

    def __le__(self, other: "_NumericKey") -> bool:
        return self._cmp(other) <= 0

    def __ge__(self, other: "_NumericKey") -> bool:
        return self._cmp(other) >= 0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _NumericKey):
            return NotImplemented
        return self._cmp(other) == 0

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"_NumericKey({self.key!r})"


def comparator_key(options: OptionsLike, sep: Union[bytes, str] = b"\t"
                   ) -> Optional[Callable[[bytes], object]]:
    """A ``key=`` function giving ``KeyFieldBasedComparator`` order, or ``None``.

    ``None`` means "no options": Hadoop then compares whole keys as unsigned bytes, which is
    plain ``bytes`` order, and the caller should sort by the key itself.

    Without numeric specs the key is a tuple of byte strings (exactly ``compare``'s order;
    reversed specs use an order-inverting encoding).  With a numeric spec it is an object
    running the transliterated ``numericalCompare``.  Keys that Hadoop's comparator cannot
    order (both lack the field a spec starts at) tie; Hadoop leaves their order undefined.

    >>> k = comparator_key("-k2,2 -k1,1r")
    >>> sorted([b"a\\tx", b"b\\tx", b"z", b"c\\tw"], key=k)
    [b'z', b'c\\tw', b'b\\tx', b'a\\tx']
    """
    opts = _coerce(options)
    specs = opts.specs
    if not specs:
        return None
    sep = _coerce_sep(sep)
    seplen = len(sep)
    seen = opts.key_spec_seen

    if not any(s.numeric for s in specs):
        def tuple_key(key: bytes) -> tuple:
            n = len(key)
            lengths = _word_lengths(key, sep) if seen else _WHOLE_KEY
            out = []
            for spec in specs:
                s = _start_offset(n, lengths, spec, seplen)
                if s == -1:
                    out.append(_MISSING_LAST if spec.reverse else _MISSING_FIRST)
                    break
                e = _end_offset(n, lengths, spec, seplen)
                out.append(_byte_element(key, s, e, spec.reverse))
            return tuple(out)
        return tuple_key

    canonical = _CANONICAL_NUMBER.fullmatch

    def numeric_key(key: bytes) -> _NumericKey:
        key = bytes(key)
        n = len(key)
        lengths = _word_lengths(key, sep) if seen else _WHOLE_KEY
        parts: list = []
        fast: Optional[list] = []
        for spec in specs:
            s = _start_offset(n, lengths, spec, seplen)
            if s == -1:
                parts.append(None)
                if fast is not None:
                    fast.append(_MISSING_LAST if spec.reverse else _MISSING_FIRST)
                break
            e = _end_offset(n, lengths, spec, seplen)
            if spec.numeric:
                parts.append((s, e))
                if fast is not None:
                    m = canonical(key, s, e + 1) if e >= s else None
                    if m is None:
                        fast = None
                    else:
                        d = Decimal(m.group().decode("ascii"))
                        fast.append((1, d.copy_negate() if spec.reverse else d))  # exact, no rounding
            else:
                parts.append(_byte_element(key, s, e, False))
                if fast is not None:
                    fast.append(_byte_element(key, s, e, spec.reverse))
        return _NumericKey(key, parts, specs, None if fast is None else tuple(fast))
    return numeric_key
