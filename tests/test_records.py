"""The record model: Hadoop's LineReader terminators and TextOutputReader's key split."""

import re

from hypothesis import given, strategies as st

from streamkit.records import LineReader, iter_records, key_of, split_key_value

ALPHABET = st.sampled_from([b"a", b"b", b"\t", b"\n", b"\r", b"\xff", b"\x00", b"::", b" "])
DATA = st.lists(ALPHABET, max_size=60).map(b"".join)


def hadoop_lines(data: bytes) -> list[bytes]:
    """Reference: terminators \\r\\n, \\r, \\n (longest match); final unterminated line kept."""
    lines = re.split(rb"\r\n|\r|\n", data)
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in zip(points, points[1:])]


@given(DATA, st.lists(st.integers(0, 60), max_size=8))
def test_line_reader_matches_hadoop_for_any_chunking(data, cuts):
    assert list(iter_records(chunked(data, cuts))) == hadoop_lines(data)


@given(DATA, st.lists(st.integers(0, 60), max_size=8))
def test_line_reader_blocks_are_newline_terminated_records(data, cuts):
    reader = LineReader()
    out = b"".join(reader.feed(c) for c in chunked(data, cuts)) + reader.finish()
    assert out == b"".join(line + b"\n" for line in hadoop_lines(data))


def test_documented_examples():
    assert list(iter_records([b"a\r\nb\rc\n\nd"])) == [b"a", b"b", b"c", b"", b"d"]
    assert list(iter_records([b"x\n"])) == [b"x"]
    assert list(iter_records([b""])) == []
    assert list(iter_records([b"a\r", b"\nb"])) == [b"a", b"b"]  # CRLF split across chunks
    assert list(iter_records([b"a\x0bb\x0cc"])) == [b"a\x0bb\x0cc"]  # not terminators in Hadoop


def test_split_key_value_table():
    cases = [
        (b"a\tb\tc", b"\t", 1, (b"a", b"b\tc")),
        (b"abc", b"\t", 1, (b"abc", b"")),
        (b"\tx", b"\t", 1, (b"", b"x")),
        (b"a\t", b"\t", 1, (b"a", b"")),
        (b"a\tb\tc", b"\t", 2, (b"a\tb", b"c")),
        (b"a\tb", b"\t", 2, (b"a\tb", b"")),
        (b"", b"\t", 1, (b"", b"")),
        (b"11.12.1.2", b".", 2, (b"11.12", b"1.2")),
        (b"a::b::c", b"::", 2, (b"a::b", b"c")),
        (b"a::b", b"::", 3, (b"a::b", b"")),
        (b"\xff\xfe\tv", b"\t", 1, (b"\xff\xfe", b"v")),
    ]
    for line, sep, n, expected in cases:
        assert split_key_value(line, sep, n) == expected, (line, sep, n)
        assert key_of(line, sep, n) == expected[0]


@given(st.lists(st.sampled_from([b"a", b"\t", b"x", b".", b"\xff"]), max_size=20).map(b"".join),
       st.sampled_from([b"\t", b".", b"a."]), st.integers(1, 4))
def test_split_round_trips_when_a_separator_was_found(line, sep, n):
    key, value = split_key_value(line, sep, n)
    if line.count(sep) >= n or (key != line):
        assert key + sep + value == line
    else:
        assert (key, value) == (line, b"")
