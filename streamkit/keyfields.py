"""Hadoop's ``KeyFieldHelper``: the ``-k`` key-field options and field offsets, byte for byte.

Hadoop's ``KeyFieldBasedComparator`` (:mod:`streamkit.keycompare`) and
``KeyFieldBasedPartitioner`` (:mod:`streamkit.keyhash`) both parse their options and find
key fields through one helper, ``org/apache/hadoop/mapreduce/lib/partition/KeyFieldHelper.java``
(``parseOption``, ``parseKey``, ``getWordLengths``, ``getStartOffset``, ``getEndOffset``).
This module is that helper, shared by the two, so they agree on what a field is.

Why a transliteration and not "something like ``sort -k``": a streaming job that sets
``-D mapreduce.partition.keycomparator.options=-k2,2nr`` or uses
``-partitioner org.apache.hadoop.mapred.lib.KeyFieldBasedPartitioner`` must put every record
in the same reducer, in the same order, as Hadoop 3.5 does, and Hadoop's code differs from
GNU sort in many small ways (numeric compare that is not ``sort -n``, a multi-byte separator
bug, a different hash for the same key depending on whether ``-k`` was given...).  So the
functions here and in those two modules follow the Java line by line.

The old-API classes ``org.apache.hadoop.mapred.lib.KeyField*`` that streaming names are thin
wrappers around these.  See the reference contract, sections 4.2, 5.2 and 17.

Deliberate deviations (all are ``UsageError`` at parse time, never silent):

* a character position below 1 in ``pos1`` (``-k1.0``): Hadoop accepts it, but its
  comparator then reads the byte *before* the key in its sort buffer (the serialized
  length), so the order would not be a property of the keys; GNU sort rejects it too;
* a character position beyond +/- 2**30: Hadoop's ``int`` offset arithmetic can overflow
  there and the task dies with ``ArrayIndexOutOfBoundsException``;
* with ``strict=True`` (``streamkit sort``), a field number below 1 (``-k0``, ``-k1,0``),
  as GNU sort refuses it.

Everything else Hadoop accepts is emulated, including its odd corners (negative or zero
field numbers, ``-k3,2``, negative end characters, an empty separator).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Optional, Union

from streamkit.errors import UsageError

__all__ = [
    "KeySpec",
    "KeyFieldOptions",
    "parse_options",
    "legacy_partition_options",
]

_INT_MIN = -(2 ** 31)
_INT_MAX = 2 ** 31 - 1
# Largest |character position| we accept: far below the point where Java's
# ``position + c`` / ``start + position + c - 1`` could overflow for any real key.
_CHAR_LIMIT = 2 ** 30

# Java bytes are signed: b[i] in ``31*h + b[i]`` is -128..127.  Adding the negative value
# and masking to 32 bits is the same as Java's int wrap-around.
_SIGNED = tuple(b - 256 if b >= 128 else b for b in range(256))

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


def _check_fields_from_one(spec: KeySpec, end_given: bool, arg: str) -> None:
    """``streamkit sort`` only: fields count from 1, as GNU ``sort -k`` insists.

    Hadoop's KeyFieldHelper takes ``-k0`` (it reads as field 1) and ``-k1,0`` (to the end
    of the key) without a word; someone typing ``sort -k 0`` made a mistake.
    """
    for number in (spec.begin_field, spec.end_field if end_given else 1):
        if number < 1:
            raise UsageError(f"invalid key option {arg!r}: field number {number} is not "
                             "allowed; fields count from 1, as in sort -k")


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
            if strict:
                _check_fields_from_one(spec, "," in key_args, shown)
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
