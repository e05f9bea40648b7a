"""Hadoop's ``KeyFieldBasedComparator`` and ``KeyFieldBasedPartitioner``, byte for byte.

Why a transliteration and not "something like ``sort -k``": a streaming job that sets
``-D mapreduce.partition.keycomparator.options=-k2,2nr`` or uses
``-partitioner org.apache.hadoop.mapred.lib.KeyFieldBasedPartitioner`` must put every record
in the same reducer, in the same order, as Hadoop 3.5 does, and Hadoop's code differs from
GNU sort in many small ways (numeric compare that is not ``sort -n``, a multi-byte separator
bug, a different hash for the same key depending on whether ``-k`` was given...).  So the
functions below follow the Java line by line:

* ``org/apache/hadoop/mapreduce/lib/partition/KeyFieldHelper.java``
  (``parseOption``, ``parseKey``, ``getWordLengths``, ``getStartOffset``, ``getEndOffset``),
* ``.../KeyFieldBasedComparator.java`` (``compare``, ``compareByteSequence``,
  ``numericalCompare``, ``decimalCompare``, ``oneNegativeCompare``, ``isZero``),
* ``.../KeyFieldBasedPartitioner.java`` (``getPartition``, ``hashCode``),
* ``org/apache/hadoop/io/Text.java`` ``toString`` (UTF-8 decode with U+FFFD replacement, as
  the JDK's ``sun.nio.cs.UTF_8`` decoder does it) and ``java.lang.String.hashCode``.

The old-API classes ``org.apache.hadoop.mapred.lib.KeyField*`` that streaming names are thin
wrappers around these.  See the reference contract, sections 4.2, 5.2 and 17.

Quick tour (the values are the ones Hadoop 3.5 gives)::

    >>> part = partitioner("-k1,2", b".")
    >>> part(b"11.12.1.2", 12)              # hashes the bytes "11.12", h0 = 0
    3
    >>> partitioner(None)(b"foo", 3), partitioner("-k1,1")(b"\\xc3\\xa9", 3)
    (0, 1)
    >>> keys = [b"x\\t2", b"x\\t20", b"x\\t3", b"x\\t10"]
    >>> sorted(keys, key=comparator_key("-k2,2nr"))
    [b'x\\t20', b'x\\t10', b'x\\t3', b'x\\t2']
    >>> compare(b"007", b"7", parse_options("-n")) < 0   # Hadoop's -n is not sort -n
    True

Deliberate deviations (all are ``UsageError`` at parse time, never silent):

* a character position below 1 in ``pos1`` (``-k1.0``): Hadoop accepts it, but its
  comparator then reads the byte *before* the key in its sort buffer (the serialized
  length), so the order would not be a property of the keys; GNU sort rejects it too;
* a character position beyond +/- 2**30: Hadoop's ``int`` offset arithmetic can overflow
  there and the task dies with ``ArrayIndexOutOfBoundsException``.

Everything else Hadoop accepts is emulated, including its odd corners (negative or zero
field numbers, ``-k3,2``, negative end characters, an empty separator).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Iterator, Optional, Union

from streamkit.errors import UsageError

__all__ = [
    "KeySpec",
    "KeyFieldOptions",
    "parse_options",
    "legacy_partition_options",
    "comparator_key",
    "compare",
    "partitioner",
    "key_hash",
    "java_string_hashcode",
    "java_utf8_decode",
]

_INT_MIN = -(2 ** 31)
_INT_MAX = 2 ** 31 - 1
_M32 = 0xFFFFFFFF
# Largest |character position| we accept: far below the point where Java's
# ``position + c`` / ``start + position + c - 1`` could overflow for any real key.
_CHAR_LIMIT = 2 ** 30

_NEGATIVE = 0x2D  # '-'
_ZERO = 0x30  # '0'
_DECIMAL = 0x2E  # '.'

# Java bytes are signed: b[i] in ``31*h + b[i]`` is -128..127.  Adding the negative value
# and masking to 32 bits is the same as Java's int wrap-around.
_SIGNED = tuple(b - 256 if b >= 128 else b for b in range(256))
# 255 - b: used to build a byte string whose order is the reverse of the original's.
_INVERT = bytes(255 - b for b in range(256))
_UTF16 = "utf-16-le" if sys.byteorder == "little" else "utf-16-be"
# Canonical decimals: on two of these numericalCompare agrees with true numeric order
# (checked exhaustively in the tests), so they may be compared as Decimals.  Leading
# zeros, '+', blanks, exponents, a bare '.' or a trailing '.' are all excluded.
_CANONICAL_NUMBER = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")

# java.util.StringTokenizer's default delimiters (NOT Python's str.split() whitespace).
_OPTION_DELIMS = re.compile(r"[ \t\n\r\f]+")
# StringTokenizer(keyArgs, "nr.,", true): runs of other characters, or one delimiter.
_KEY_TOKENS = re.compile(r"[nr.,]|[^nr.,]+")
# Integer.parseInt: optional sign, then one or more Character.digit(c, 10) digits
# (any Unicode Nd digit, which is what Python's \d matches in a str pattern).
_JAVA_INT = re.compile(r"[+-]?\d+")

OptionsLike = Union[str, "KeyFieldOptions", None]


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class KeySpec:
    """One ``-k`` key description (``KeyFieldHelper.KeyDescription``).

    Defaults are Java's: ``begin_field=1, begin_char=1`` (start of field 1),
    ``end_field=0`` (to the end of the key), ``end_char=0`` (end of the end field).
    """

    begin_field: int = 1
    begin_char: int = 1
    end_field: int = 0
    end_char: int = 0
    numeric: bool = False
    reverse: bool = False

    def __str__(self) -> str:
        """Java's ``KeyDescription.toString``, e.g. ``-k2.1,2.0nr``."""
        return (f"-k{self.begin_field}.{self.begin_char},{self.end_field}.{self.end_char}"
                f"{'n' if self.numeric else ''}{'r' if self.reverse else ''}")


@dataclass(frozen=True)
class KeyFieldOptions:
    """Parsed options, the state of a configured ``KeyFieldHelper``.

    ``specs`` is ``allKeySpecs``: empty only when the option string was missing or ``""``
    (then the comparator is a plain byte compare and the partitioner uses
    ``String.hashCode``).  ``key_spec_seen`` is Java's ``keySpecSeen``: false when no ``-k``
    was given (e.g. options ``"-n"``), in which case the whole key is one field, whatever
    separators it contains.
    """

    specs: tuple[KeySpec, ...] = ()
    key_spec_seen: bool = False

    def __str__(self) -> str:
        return " ".join(str(s) for s in self.specs)


def _java_parse_int(token: str, arg: str) -> int:
    """``Integer.parseInt``: NumberFormatException becomes a UsageError."""
    if not _JAVA_INT.fullmatch(token):
        raise _bad_key(arg)
    value = int(token)
    if not _INT_MIN <= value <= _INT_MAX:
        raise _bad_key(arg)
    return value


def _bad_key(arg: str) -> UsageError:
    return UsageError(
        f"invalid key option {arg!r}: Hadoop's KeyFieldHelper accepts only "
        "-k POS1[,POS2] with POS = FIELD[.CHAR] optionally followed by n and/or r")


def _parse_key(key_args: str, arg: str) -> KeySpec:
    """``KeyFieldHelper.parseKey`` after the ``keyArgs`` null/empty check.

    ``arg`` is the text for error messages.  Java's ``NoSuchElementException`` (``-k1.``,
    ``-k1,``), ``NumberFormatException`` and ``IllegalArgumentException`` all become a
    ``UsageError``.
    """
    tokens = _KEY_TOKENS.findall(key_args)
    pos = 0

    def has() -> bool:
        return pos < len(tokens)

    def nxt() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise _bad_key(arg)  # StringTokenizer.nextToken: NoSuchElementException
        pos += 1
        return tokens[pos - 1]

    begin_field, begin_char, end_field, end_char = 1, 1, 0, 0
    numeric = reverse = False

    def done() -> KeySpec:
        return KeySpec(begin_field, begin_char, end_field, end_char, numeric, reverse)

    if has():
        begin_field = _java_parse_int(nxt(), arg)
    if not has():
        return done()
    token = nxt()
    if token == ".":
        begin_char = _java_parse_int(nxt(), arg)
        if not has():
            return done()
        token = nxt()
    while True:
        if token == "n":
            numeric = True
        elif token == "r":
            reverse = True
        else:
            break
        if not has():
            return done()
        token = nxt()
    if token != ",":
        raise _bad_key(arg)
    end_field = _java_parse_int(nxt(), arg)
    if has():
        token = nxt()
        if token == ".":
            end_char = _java_parse_int(nxt(), arg)
            if not has():
                return done()
            token = nxt()
        while True:
            if token == "n":
                numeric = True
            elif token == "r":
                reverse = True
            else:
                raise _bad_key(arg)
            if not has():
                break
            token = nxt()
    return done()


def _check_emulable(spec: KeySpec, arg: str) -> None:
    """Refuse the two corners whose Hadoop behaviour depends on memory outside the key."""
    if spec.begin_char < 1:
        raise UsageError(
            f"invalid key option {arg!r}: character position {spec.begin_char} in POS1 "
            "must be at least 1 (Hadoop would read bytes outside the key)")
    for c in (spec.begin_char, spec.end_char):
        if not -_CHAR_LIMIT <= c <= _CHAR_LIMIT:
            raise UsageError(
                f"invalid key option {arg!r}: character position {c} is out of range "
                "(Hadoop's int arithmetic overflows on it)")


def parse_options(options: Optional[str], *, strict: bool = False) -> KeyFieldOptions:
    """Parse Hadoop key-field options (``KeyFieldHelper.parseOption``).

    Accepts exactly what Hadoop accepts: ``-k POS1[,POS2]`` (also ``-kPOS1...``), global
    ``-n``, ``-r`` and ``-nr`` (but not ``-rn``!), which only reach the ``-k`` specs that
    carry neither ``n`` nor ``r``.  Tokens are split on Java's ``StringTokenizer`` blanks.

    Hadoop silently ignores every other token (``-t``, ``-f``, ``-b``, ``-u``, ``-s``, ``-g``,
    ``-V``, ``-rn``, stray words) and a trailing bare ``-k``.  With ``strict=False`` so do
    we; with ``strict=True`` (the ``streamkit sort`` CLI) they raise ``UsageError``, because
    a user who typed ``-t,`` expects it to do something.  Malformed ``-k`` text always raises
    ``UsageError`` (Hadoop throws while configuring the job).

    >>> parse_options("-k2,2nr -k1.3,1.5 -n").specs[1]
    KeySpec(begin_field=1, begin_char=3, end_field=1, end_char=5, numeric=True, reverse=False)
    >>> str(parse_options("-t. -k 1,2"))
    '-k1.1,2.0'
    >>> parse_options("-t. -k 1,2", strict=True)
    Traceback (most recent call last):
    ...
    streamkit.errors.UsageError: sort option '-t.' is not supported by Hadoop's KeyFieldBasedComparator, which only knows -k POS1[,POS2][nr], -n, -r and -nr (Hadoop would silently ignore it)
    """
    if options is None or options == "":
        return KeyFieldOptions()  # "we will have only default comparison"
    if not isinstance(options, str):
        raise TypeError(f"options must be a str, not {type(options).__name__}")
    tokens: Iterator[str] = iter(t for t in _OPTION_DELIMS.split(options) if t)
    g_numeric = g_reverse = False
    specs: list[KeySpec] = []
    for arg in tokens:
        # Java uses independent ifs, not else-if; the cases are disjoint anyway.
        if arg == "-n":
            g_numeric = True
        elif arg == "-r":
            g_reverse = True
        elif arg == "-nr":
            g_numeric = g_reverse = True
        elif arg.startswith("-k"):
            if len(arg) == 2:
                key_args = next(tokens, None)  # "-k 2,2": the next token, whatever it is
                shown = f"-k {key_args}"
            else:
                key_args = arg[2:]
                shown = arg
            if not key_args:
                if strict:
                    raise UsageError("option '-k' needs a key position, e.g. -k2,2 "
                                     "(Hadoop would silently ignore it)")
                continue
            spec = _parse_key(key_args, shown)
            _check_emulable(spec, shown)
            specs.append(spec)
        elif strict:
            raise UsageError(
                f"sort option {arg!r} is not supported by Hadoop's KeyFieldBasedComparator, "
                "which only knows -k POS1[,POS2][nr], -n, -r and -nr "
                "(Hadoop would silently ignore it)")
    key_spec_seen = bool(specs)
    specs = [s if (s.numeric or s.reverse)
             else KeySpec(s.begin_field, s.begin_char, s.end_field, s.end_char,
                          g_numeric, g_reverse)
             for s in specs]
    if not specs:
        # Options but no -k (e.g. "-nr", or only ignored tokens, or only blanks): one
        # global spec over the whole key.  Note "  " is NOT the same as "" here.
        specs = [KeySpec(numeric=g_numeric, reverse=g_reverse)]
    return KeyFieldOptions(tuple(specs), key_spec_seen)


def legacy_partition_options(num_fields: int) -> KeyFieldOptions:
    """``num.key.fields.for.partition=N`` (``KeyFieldHelper.setKeyFieldSpec(1, N)``).

    Hadoop turns it into ``-k1,N``; for ``N < 1`` it adds nothing, so the partitioner falls
    back to ``String.hashCode`` of the whole key.
    """
    if num_fields >= 1:
        return KeyFieldOptions((KeySpec(1, 1, num_fields, 0),), True)
    return KeyFieldOptions()


def _coerce(options: OptionsLike) -> KeyFieldOptions:
    if isinstance(options, KeyFieldOptions):
        return options
    return parse_options(options)


def _coerce_sep(sep: Union[bytes, bytearray, memoryview, str]) -> bytes:
    # Hadoop reads the separator as a String and uses its UTF-8 bytes.
    if isinstance(sep, str):
        return sep.encode("utf-8")
    return bytes(sep)


# --------------------------------------------------------------------- field offsets


def _word_lengths(key: bytes, sep: bytes) -> list[int]:
    """``getWordLengths`` when a ``-k`` was seen: ``[count, len1, len2, ...]``.

    Faithful to the multi-byte separator bug: after a separator found at ``pos`` the
    search restarts at ``pos + 1`` (not ``pos + len(sep)``), so with ``::`` the field after
    a separator starts with ``:`` and its length includes it.
    """
    lengths = [0]
    find = key.find
    start = 0
    end = len(key)
    idx = 1
    while True:
        pos = find(sep, start, end)  # UTF8ByteArrayUtils.findBytes (same for b"")
        if pos == -1:
            break
        idx += 1
        lengths.append(pos - start)
        start = pos + 1
    lengths.append(end - start if start != end else 0)
    lengths[0] = idx
    return lengths


_WHOLE_KEY = [1]  # getWordLengths without any -k: "the whole key is one word"


def _start_offset(n: int, lengths: list[int], spec: KeySpec, seplen: int) -> int:
    """``getStartOffset`` relative to the key; -1 when the key lacks the start position."""
    if lengths[0] >= spec.begin_field:
        position = 0
        for i in range(1, spec.begin_field):
            position += lengths[i] + seplen
        if position + spec.begin_char <= n:
            return position + spec.begin_char - 1
    return -1


def _end_offset(n: int, lengths: list[int], spec: KeySpec, seplen: int) -> int:
    """``getEndOffset`` (inclusive).  An end char past its field runs into the next one."""
    end_field = spec.end_field
    if end_field == 0:
        return n - 1
    if lengths[0] >= end_field:
        position = 0
        for i in range(1, end_field):
            position += lengths[i] + seplen
        if spec.end_char == 0:
            position += lengths[end_field if end_field > 1 else 1]  # Java's loop variable
        if position + spec.end_char <= n:
            return position + spec.end_char - 1
        return n - 1
    return n - 1


# ------------------------------------------------------------------------ comparator


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


# ----------------------------------------------------------------------- partitioner


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
