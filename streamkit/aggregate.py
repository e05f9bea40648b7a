"""Hadoop's Aggregate package (``-reducer aggregate``), on bytes.

The mapper writes ``TYPE:key<TAB>value``; Hadoop's ``ValueAggregatorReducer`` cuts the
map output key at its first ``:``, aggregates the group's values with the named
aggregator and writes ``key<TAB>report``; ``ValueAggregatorCombiner`` keeps the whole key
and writes the aggregator's partial results, one record each.  Types (matched ignoring
case, as ``compareToIgnoreCase``):

=============== ========================================= ==================================
type            reducer writes                            combiner writes
=============== ========================================= ==================================
LongValueSum    the sum (``Long.toString``, wraps at 2^64) the sum
LongValueMax    the largest long                          the largest long
LongValueMin    the smallest long                         the smallest long
DoubleValueSum  the sum (``Double.toString``: ``3.0``)    the sum
StringValueMax  the greatest value (Java String order)    the greatest value
StringValueMin  the smallest value                        the smallest value
UniqValueCount  how many distinct values                  each distinct value
ValueHistogram  ``n min median max average stddev``       ``value<TAB>count`` per value
=============== ========================================= ==================================

A ValueHistogram value may carry a count after its last tab (``value<TAB>3``), which is
how the combiner's output is read back.  ``-D aggregate.max.num.unique.values=N`` caps
UniqValueCount in the reducer; Hadoop's check lets the set grow to N + 1.

Hadoop works on Java Strings: keys and values are decoded as UTF-8 (bad bytes become
U+FFFD) and re-encoded on output, and strings compare by UTF-16 units.  Valid UTF-8
goes through byte for byte.  What makes Hadoop throw (a key without ``:``, an unknown
type, a value ``Long.parseLong``/``Double.parseDouble`` rejects) raises
:class:`AggregateError`, which fails the task as the Java exception does.

>>> list(aggregate([(b"LongValueSum:the", {b"1": 2}), (b"LongValueSum:the", {b"1": 1}),
...                 (b"DoubleValueSum:x", {b"1": 1, b"2": 1})]))
[(b'the', [b'3']), (b'x', [b'3.0'])]
>>> list(aggregate([(b"ValueHistogram:k", {b"a": 2, b"b": 1, b"c\\t5": 1})], combine=True))
[(b'ValueHistogram:k', [b'a\\t2', b'b\\t1', b'c\\t5'])]
>>> list(aggregate([(b"ValueHistogram:k", {b"a": 2, b"b": 1, b"c\\t5": 1})]))
[(b'k', [b'3\\t1\\t2\\t5\\t2.6666666666666665\\t1.699673171197595'])]
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Iterable, Iterator

REDUCER = "org.apache.hadoop.mapred.lib.aggregate.ValueAggregatorReducer"
COMBINER = "org.apache.hadoop.mapred.lib.aggregate.ValueAggregatorCombiner"
#: the Java classes streaming runs in-process for ``-reducer aggregate`` (and by name)
CLASSES = (REDUCER, COMBINER)
#: ``ValueAggregatorBaseDescriptor.configure`` reads the reducer's UniqValueCount cap here
MAX_UNIQUE_KEY = "aggregate.max.num.unique.values"

_LONG_MIN, _LONG_MAX = -(1 << 63), (1 << 63) - 1
_ASCII_LONGS = re.compile(rb"(?:[+-]?[0-9]+\n)*")     # a whole block of plain longs
_JAVA_LONG = re.compile(r"[+-]?\d+")                  # Long.parseLong: Unicode digits too
_HEX = r"0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?[0-9]+"
_JAVA_DOUBLE = re.compile(  # Double.valueOf's grammar, after String.trim()
    r"([+-]?)(?:(NaN|Infinity)|(" + _HEX + r")[fFdD]?|"
    r"((?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)[fFdD]?)", re.ASCII)
_JAVA_TRIM = "".join(map(chr, range(33)))


class AggregateError(ValueError):
    """A record Hadoop's aggregator throws on; the message names the record and the fix."""


def is_builtin(command: str | None) -> bool:
    """Whether ``command`` names a Java class of this package rather than a program."""
    return command in CLASSES


def max_unique(conf) -> int | None:
    """The reducer's UniqValueCount cap (``Configuration.getLong``; ≤ 0 means none).

    >>> max_unique({}), max_unique({MAX_UNIQUE_KEY: " 0x10 "}), max_unique({MAX_UNIQUE_KEY: "0"})
    (None, 16, None)
    """
    raw = conf.get(MAX_UNIQUE_KEY)
    if raw is None:
        return None
    text = raw.strip()
    try:
        if text.lower().startswith(("0x", "-0x")):
            value = -int(text[3:], 16) if text[0] == "-" else int(text[2:], 16)
        else:
            value = parse_long(text.encode())
    except (ValueError, AggregateError):
        from streamkit.errors import UsageError

        raise UsageError(f"-D {MAX_UNIQUE_KEY}={raw}: expected a whole number "
                         "(the most distinct values UniqValueCount keeps)") from None
    return value if value > 0 else None


# ---------------------------------------------------------------- Java number rules

def java_double(x: float) -> str:
    """``Double.toString``: shortest digits that read back as ``x``, in Java's layout.

    Plain notation for 10^-3 ≤ |x| < 10^7, else ``d.dddE±n``; always a fractional digit.
    A one-digit shortest form becomes the closest two-digit one (JDK 19+ rule, as
    Java has always printed ``Double.MIN_VALUE``).

    >>> [java_double(v) for v in (3.0, 1e10, 0.1 + 0.2, 0.001, 1e-4, 1234567.0, 12345678.0)]
    ['3.0', '1.0E10', '0.30000000000000004', '0.001', '1.0E-4', '1234567.0', '1.2345678E7']
    >>> [java_double(v) for v in (float("nan"), float("-inf"), -0.0, 5e-324, 1e23, -2.5e-7)]
    ['NaN', '-Infinity', '-0.0', '4.9E-324', '1.0E23', '-2.5E-7']
    """
    if x != x:
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    sign = "-" if x < 0 else ""
    x = abs(x)
    mantissa, _, exp = repr(x).partition("e")  # repr: the shortest digits that read back
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0")
    stripped = digits.rstrip("0")
    # x = int(digits) * 10**(exp - len(frac)); point = the power of ten of digits[0]
    point = int(exp or 0) - len(frac) + len(digits) - 1
    digits = stripped
    if len(digits) == 1:
        two = f"{x:.1e}"  # the closest two-digit decimal, if it still reads back as x
        if float(two) == x:
            digits, point = two[0] + two[2], int(two[4:])
            digits = digits.rstrip("0")
    if -3 <= point < 7:
        if point >= 0:
            digits = digits.ljust(point + 1, "0")
            return f"{sign}{digits[:point + 1]}.{digits[point + 1:] or '0'}"
        return f"{sign}0.{'0' * (-point - 1)}{digits}"
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{point}"


def parse_long(raw: bytes) -> int:
    """``Long.parseLong``: optional sign, decimal digits, no blanks, 64-bit range.

    >>> parse_long(b"+42"), parse_long(b"-9223372036854775808")
    (42, -9223372036854775808)
    >>> parse_long(b" 1")
    Traceback (most recent call last):
    streamkit.aggregate.AggregateError: " 1" is not a long (Long.parseLong)
    """
    text = _text(raw)
    if _JAVA_LONG.fullmatch(text):
        value = int(text)
        if _LONG_MIN <= value <= _LONG_MAX:
            return value
    raise AggregateError(f"{_show(raw)} is not a long (Long.parseLong)")


def parse_double(raw: bytes) -> float:
    """``Double.parseDouble``: Java's grammar (``1.5d``, ``0x1p3``, ``NaN``), trimmed.

    >>> [parse_double(v) for v in (b" 2.5 ", b"1e3", b"7f", b"-Infinity", b"0x1.8p1")]
    [2.5, 1000.0, 7.0, -inf, 3.0]
    >>> parse_double(b"inf")
    Traceback (most recent call last):
    streamkit.aggregate.AggregateError: "inf" is not a double (Double.parseDouble)
    """
    m = _JAVA_DOUBLE.fullmatch(_text(raw).strip(_JAVA_TRIM))
    if m is None:
        raise AggregateError(f"{_show(raw)} is not a double (Double.parseDouble)")
    sign, word, hexa, dec = m.groups()
    if word:
        value = math.nan if word == "NaN" else math.inf
    elif hexa:
        value = float.fromhex(hexa)
    else:
        value = float(dec)
    return -value if sign == "-" else value


def _wrap(n: int) -> int:
    """Java ``long`` overflow: the value modulo 2^64, signed."""
    return ((n - _LONG_MIN) & 0xFFFFFFFFFFFFFFFF) + _LONG_MIN


def _text(raw: bytes) -> str:
    """``Text.toString``: UTF-8, each malformed sequence becoming U+FFFD."""
    return raw.decode("utf-8", "replace")


def _java_order(text: str) -> bytes:
    """A sort key giving ``String.compareTo`` order (UTF-16 code units)."""
    return text.encode("utf-16-be", "surrogatepass")


def _show(raw: bytes, limit: int = 60) -> str:
    text = _text(raw)
    text = text if len(text) <= limit else text[:limit] + "..."
    return '"' + "".join(c if c.isprintable() else c.encode("unicode_escape").decode()
                         for c in text) + '"'


def _longs(values: list[bytes]) -> list[int]:
    """``Long.parseLong`` of each value; one regex pass when they are all plain ASCII."""
    if _ASCII_LONGS.fullmatch(b"\n".join(values) + b"\n"):
        numbers = list(map(int, values))
        if _LONG_MIN <= min(numbers) and max(numbers) <= _LONG_MAX:
            return numbers
    return [parse_long(v) for v in values]


# ---------------------------------------------------------------- the aggregators

class LongValueSum:
    def __init__(self) -> None:
        self.sum = 0

    def add(self, values: dict[bytes, int]) -> None:
        self.sum += sum(map(int.__mul__, _longs(list(values)), values.values()))

    def report(self) -> bytes:
        return b"%d" % _wrap(self.sum)

    def partials(self) -> list[bytes]:
        return [self.report()]


class LongValueMax:
    def __init__(self) -> None:
        self.value = _LONG_MIN

    def add(self, values: dict[bytes, int]) -> None:
        self.value = max(self.value, max(_longs(list(values))))

    def report(self) -> bytes:
        return b"%d" % self.value

    def partials(self) -> list[bytes]:
        return [self.report()]


class LongValueMin(LongValueMax):
    def __init__(self) -> None:
        self.value = _LONG_MAX

    def add(self, values: dict[bytes, int]) -> None:
        self.value = min(self.value, min(_longs(list(values))))


class DoubleValueSum:
    def __init__(self) -> None:
        self.sum = 0.0

    def add(self, values: dict[bytes, int]) -> None:
        total = self.sum
        for raw, n in values.items():  # one by one, as Java adds (sum() may compensate)
            value = parse_double(raw)
            for _ in range(n):
                total += value
        self.sum = total

    def report(self) -> bytes:
        return java_double(self.sum).encode()

    def partials(self) -> list[bytes]:
        return [self.report()]


class StringValueMax:
    pick = staticmethod(max)

    def __init__(self) -> None:
        self.value: str | None = None

    def add(self, values: dict[bytes, int]) -> None:
        found = self.pick(map(_text, values), key=_java_order)
        if self.value is None or self.pick(found, self.value, key=_java_order) is not self.value:
            self.value = found  # replaced only by a strictly greater (smaller) string

    def report(self) -> bytes:
        return self.value.encode()

    def partials(self) -> list[bytes]:
        return [self.report()]


class StringValueMin(StringValueMax):
    pick = staticmethod(min)


class UniqValueCount:
    """Distinct values; with a cap N Hadoop stops adding once it holds more than N."""

    def __init__(self, cap: int | None = None) -> None:
        self.items: set[str] = set()
        self.cap = cap

    def add(self, values: dict[bytes, int]) -> None:
        if self.cap is None:
            self.items.update(map(_text, values))
            return
        for v in values:
            if len(self.items) > self.cap:
                return
            self.items.add(_text(v))

    def report(self) -> bytes:
        return b"%d" % len(self.items)

    def partials(self) -> list[bytes]:
        return [t.encode() for t in sorted(self.items, key=_java_order)]


class ValueHistogram:
    """Counts per value; ``value<TAB>n`` (after the last tab) adds n."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def add(self, values: dict[bytes, int]) -> None:
        counts = self.counts
        for raw, n in values.items():
            text = _text(raw)
            tab = text.rfind("\t")
            if tab >= 0:
                text, n = text[:tab], n * parse_long(text[tab + 1:].encode())
            counts[text] += n

    def report(self) -> bytes:
        counts = sorted(_wrap(c) for c in self.counts.values())
        n = len(counts)
        fields = [str(n)]
        if n:
            average = float(_wrap(sum(counts))) / n
            sd = 0.0
            for c in counts:
                diff = c - average
                sd += diff * diff
            fields += [str(counts[0]), str(counts[n // 2]), str(counts[-1]),
                       java_double(average), java_double(math.sqrt(sd / n))]
        return "\t".join(fields).encode()

    def partials(self) -> list[bytes]:
        return [f"{t}\t{_wrap(self.counts[t])}".encode()
                for t in sorted(self.counts, key=_java_order)]


_TYPES = {cls.__name__: cls for cls in (LongValueSum, LongValueMax, LongValueMin, DoubleValueSum,
                                        StringValueMax, StringValueMin, UniqValueCount,
                                        ValueHistogram)}
_BY_LOWER = {name.lower().encode(): cls for name, cls in _TYPES.items()}


def _java_char_upper(c: str) -> str:
    u = c.upper()
    return u if len(u) == 1 else c  # Character.toUpperCase maps one char to one char


def _same_ignoring_case(a: str, b: str) -> bool:
    """``String.compareToIgnoreCase(a, b) == 0``, char by char as Java does."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x != y:
            x, y = _java_char_upper(x), _java_char_upper(y)
            if x != y and x.lower() != y.lower():
                return False
    return True


def new_aggregator(key: bytes, cap: int | None = None):
    """The aggregator the key's ``TYPE:`` prefix names; :class:`AggregateError` if none."""
    colon = key.find(b":")
    if colon < 0:
        raise AggregateError(f"key {_show(key)} has no TYPE: prefix; Hadoop's Aggregate package "
                             "reads map output like LongValueSum:word<TAB>1")
    cls = _BY_LOWER.get(key[:colon].lower())
    if cls is None:
        name = _text(key[:colon])
        cls = next((c for n, c in _TYPES.items() if _same_ignoring_case(name, n)), None)
        if cls is None:
            raise AggregateError(f"key {_show(key)}: unknown aggregator type {_show(key[:colon])}; "
                                 f"use one of {', '.join(_TYPES)}")
    return cls(cap) if cls is UniqValueCount else cls()


def _java_text(raw: bytes) -> bytes:
    """``new Text(text.toString())``: valid UTF-8 unchanged, bad bytes as U+FFFD."""
    try:
        raw.decode("utf-8")
        return raw
    except UnicodeDecodeError:
        return _text(raw).encode()


def aggregate(runs: Iterable[tuple[bytes, list[bytes]]], combine: bool = False,
              cap: int | None = None) -> Iterator[tuple[bytes, list[bytes]]]:
    """ValueAggregatorReducer (or, with ``combine``, ValueAggregatorCombiner) over runs.

    ``runs`` are ``(key, {value: times seen})`` in sort order; consecutive runs with the
    same key are one group (a group may straddle blocks).  Yields ``(key, values)`` per group:
    the reducer's ``[report]`` under the key without its type, or the combiner's
    partial results under the whole key.
    """
    key = agg = None
    for run_key, values in runs:
        if run_key != key or agg is None:
            if agg is not None:
                yield _result(key, agg, combine)
            key, agg = run_key, new_aggregator(run_key, None if combine else cap)
        try:
            agg.add(values)
        except AggregateError as exc:
            raise AggregateError(f"key {_show(key)}: {exc}") from None
    if agg is not None:
        yield _result(key, agg, combine)


def _result(key: bytes, agg, combine: bool) -> tuple[bytes, list[bytes]]:
    if combine:
        return key, agg.partials()
    return _java_text(key[key.find(b":") + 1:]), [agg.report()]
