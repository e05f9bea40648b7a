"""Reducers fed run by run from counted map spills: the same bytes and counters as line by line."""

import json
import os
import random
from collections import Counter
from types import SimpleNamespace

import pytest
from hypothesis import given, settings, strategies as st

from streamkit.extsort import (Order, compact_bytes, merge_counted, merge_files, read_compact,
                               read_compact_lines, read_counted, read_run)
from streamkit.maptask import MapOutputCollector
from streamkit.worker import ReduceFeed, mostly_counted

from conftest import oracle

# Small alphabet, so that one line often ends with another ("ba" after "a"): a window
# of a later line may then look like a copy of the run before it.
LINE = st.lists(st.sampled_from([b"a", b"b", b"\t", b"\xff", b"ab"]), max_size=5).map(b"".join)


def spec(sep=b"\t", rsep=b"\t", nfields=1, keyonly=False):
    return SimpleNamespace(map_output_sep=sep, reduce_input_sep=rsep, map_key_fields=nfields,
                           map_output_keyonly=keyonly, reduce_input_keyonly=False)


def write_segments(path, runs, pad=b"junk\n"):
    """Sorted runs into one file between padding; return their (path, offset, length)."""
    segments, data = [], pad
    for lines in runs:
        body = b"".join(line + b"\n" for line in sorted(lines))
        segments.append((str(path), len(data), len(body)))
        data += body
    path.write_bytes(data + pad)
    return segments


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(LINE, st.integers(1, 40)), min_size=1, max_size=12),
       st.integers(1, 4), st.integers(1, 64), st.randoms(use_true_random=False))
def test_read_counted_finds_every_run_whatever_the_read_size(tmp_path_factory, vocab, nsegs,
                                                              size, rng):
    lines = [line for line, n in vocab for _ in range(n)]
    rng.shuffle(lines)
    runs = [lines[i::nsegs] for i in range(nsegs)]
    segments = write_segments(tmp_path_factory.mktemp("c") / "spill", runs)
    for segment, seg_lines in zip(segments, runs):
        expected = [(l + b"\n", n) for l, n in sorted(Counter(seg_lines).items())]
        assert list(read_counted(*segment, size=size)) == expected
    merged = list(merge_counted([read_counted(*s, size=size) for s in segments]))
    assert merged == [(l + b"\n", n) for l, n in sorted(Counter(lines).items())]


def test_a_later_line_ending_like_the_run_is_not_counted_in_it(tmp_path):
    # Windows of 2 bytes from "a\n": the one after the run reads "ba"/"a\n" out of step.
    lines = [b"a"] * 3 + [b"ba"] * 5 + [b"bba"] * 2
    segment = write_segments(tmp_path / "s", [lines])[0]
    for size in (1, 2, 3, 7, 100):
        assert list(read_counted(*segment, size=size)) == [(b"a\n", 3), (b"ba\n", 5), (b"bba\n", 2)]


def write_compact(path, runs, pad=b"junk\n"):
    """Each run as ``count\tline`` entries (compact_bytes, tiny chunks) between padding."""
    segments, data = [], pad
    for lines in runs:
        counts = Counter(lines)
        body = b"".join(compact_bytes(sorted(counts), counts, size=7))
        segments.append((str(path), len(data), len(body)))
        data += body
    path.write_bytes(data + pad)
    return segments


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(LINE, st.sampled_from([1, 2, 9, 66000])), min_size=1, max_size=5),
       st.integers(1, 3), st.integers(0, 1 << 30))
def test_compact_runs_read_back_as_the_lines_they_count(tmp_path_factory, vocab, nsegs, seed):
    """Lines with tabs, empty lines, counts past BLOCK_LINES: read_compact gives the runs,
    read_compact_lines the lines, and merge_files merges compact and plain runs alike."""
    lines = [line for line, n in vocab for _ in range(n)]
    random.Random(seed).shuffle(lines)
    runs = [lines[i::nsegs] for i in range(nsegs)]
    where = tmp_path_factory.mktemp("k")
    compact = write_compact(where / "compact", runs)
    for segment, seg_lines in zip(compact, runs):
        assert list(read_compact(*segment, memory=64)) == \
            [(l + b"\n", n) for l, n in sorted(Counter(seg_lines).items())]
        blocks = list(read_compact_lines(*segment, memory=64))
        assert [l for b in blocks for l in b] == sorted(seg_lines)
        assert all(len(b) <= 65536 for b in blocks)
    plain = write_segments(where / "plain", [lines[::2]])
    merged = merge_files(compact + plain, None, 16, None, compact={str(where / "compact")})
    assert [l for b in merged for l in b] == sorted(lines + lines[::2])


def feeds(segments, spec_, order):
    line_feed, run_feed = ReduceFeed(spec_, order, True, None), ReduceFeed(spec_, order, True, None)
    by_line = b"".join(line_feed.blocks(merge_files(segments, None, 16, None)))
    pairs = list(run_feed.counted_blocks(
        merge_counted([read_counted(*s, size=64) for s in segments])))
    assert [n for _, n in pairs] == [block.count(b"\n") for block, _ in pairs]  # its records
    by_run = b"".join(block for block, _ in pairs)
    return (by_line, line_feed.records, line_feed.groups), (by_run, run_feed.records, run_feed.groups)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(LINE, st.integers(1, 30)), min_size=1, max_size=10),
       st.sampled_from([spec(), spec(rsep=b"|"), spec(nfields=2), spec(keyonly=True)]),
       st.randoms(use_true_random=False))
def test_reducer_input_by_run_equals_line_by_line(tmp_path_factory, vocab, spec_, rng):
    lines = [line for line, n in vocab for _ in range(n)]
    rng.shuffle(lines)
    segments = write_segments(tmp_path_factory.mktemp("f") / "spill", [lines[0::3], lines[1::3],
                                                                        lines[2::3]])
    segments = [s for s in segments if s[2]]
    by_line, by_run = feeds(segments, spec_, Order(spec_.map_output_sep, spec_.map_key_fields))
    assert by_run == by_line


def collector(tmp_path, combine=None):
    order = Order()
    return MapOutputCollector(str(tmp_path), 2, lambda key: len(key) % 2, order, 1 << 30, combine)


def test_repetitive_spills_are_marked_counted_and_distinct_ones_not(tmp_path):
    rng = random.Random(1)
    repetitive = collector(tmp_path)
    repetitive.add(b"".join(b"site%d\t%d\n" % (rng.randrange(50), rng.randrange(2))
                            for _ in range(20000)))
    (tmp_path / "d").mkdir()
    distinct = collector(tmp_path / "d")
    distinct.add(b"".join(b"site%d\t1\n" % i for i in range(20000)))
    assert [s["counted"] for s in repetitive.finish()] == [True]
    assert [s["counted"] for s in distinct.finish()] == [False]


@pytest.mark.parametrize("keys", [100, 300])
def test_counted_job_gives_the_pipeline_bytes(run, script, tmp_path, keys):
    """Enough repetitive map output per task (> 4,096 lines) for counted spills, key-only
    lines (no tab) among them, two reducers, several map tasks and spills.  With 300 keys
    the last, short map task is not repetitive enough to be counted: its segment is a
    small share of each partition, which is still fed by run."""
    rng = random.Random(7)
    data = b"".join(b"%d %s\n" % (rng.randrange(keys), rng.choice([b"x", b"", b"y\xff"]))
                    for _ in range(60000))
    (tmp_path / "in.txt").write_bytes(data)
    script("m.py", """\
        import sys
        for line in sys.stdin.buffer:
            k, _, v = line.rstrip(b"\\n").partition(b" ")
            sys.stdout.buffer.write(k + (b"\\t" + v if v else b"") + b"\\n")
        """)
    script("r.py", """\
        import sys
        n = {}
        for line in sys.stdin.buffer:  # Hadoop adds a tab to key-only lines; the pipeline not
            line = line[:-1].rstrip(b"\\t") + b"\\n"
            n[line] = n.get(line, 0) + 1
        for line in sorted(n):
            sys.stdout.buffer.write(line[:-1] + b"\\t%d\\n" % n[line])
        """)
    result = run("-D", "fs.local.block.size=100000", "-input", "in.txt", "-output", "out",
                 "-mapper", "./m.py", "-reducer", "./r.py", "-file", "m.py", "-file", "r.py",
                 "-numReduceTasks", "2", "--memory", "2M", "--stats", "stats.json")
    assert result.returncode == 0, result.stderr
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["num_maps"] >= 3 and stats["counters"]["Map-Reduce Framework.Reduce input records"] == 60000
    assert [p["by_run"] for p in stats["partitions"]] == [True, True]  # fed run by run
    got = sorted(b"".join((tmp_path / "out" / p).read_bytes()
                          for p in ("part-00000", "part-00001")).splitlines())
    assert got == sorted(oracle(data, "./m.py", "./r.py", str(tmp_path)).splitlines())


@pytest.mark.parametrize("case", ["identity", "fan_in", "aggregate"])
def test_compact_spills_read_expanded_where_reducers_are_not_fed_by_run(run, script, tmp_path,
                                                                         case):
    """Repetitive map output spilled as ``count\tline`` entries, then read line by line:
    IdentityReducer, more segments than the merge fan-in (intermediate merges), and the
    Aggregate reducer: each gives the bytes of the map output it was given."""
    rng = random.Random(3)
    pairs = [(b"%d" % rng.randrange(100), b"v%d" % rng.randrange(3)) for _ in range(60000)]
    (tmp_path / "in.txt").write_bytes(b"".join(k + b" " + v + b"\n" for k, v in pairs))
    prefix = b"LongValueSum:" if case == "aggregate" else b""
    script("m.py", f"""\
        import sys
        for line in sys.stdin.buffer:
            k, _, v = line.rstrip(b"\\n").partition(b" ")
            sys.stdout.buffer.write({prefix!r} + k + b"\\t" + (b"1" if {prefix!r} else v) + b"\\n")
        """)
    script("r.py", """\
        import sys
        n = {}
        for line in sys.stdin.buffer:
            n[line] = n.get(line, 0) + 1
        for line in sorted(n):
            sys.stdout.buffer.write(line[:-1] + b"\\t%d\\n" % n[line])
        """)
    args = ["-D", "fs.local.block.size=100000", "-input", "in.txt", "-output", "out",
            "-mapper", "./m.py", "-file", "m.py", "-file", "r.py", "-numReduceTasks", "2",
            "--stats", "stats.json"]
    if case == "fan_in":
        args[:0] = ["-D", "mapreduce.task.io.sort.factor=2"]
        args += ["-reducer", "./r.py"]
    elif case == "aggregate":
        args += ["-reducer", "aggregate"]
    result = run(*args)
    assert result.returncode == 0, result.stderr
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["num_maps"] >= 3 and not any(p["by_run"] for p in stats["partitions"])
    parts = [(tmp_path / "out" / p).read_bytes().splitlines() for p in ("part-00000", "part-00001")]
    got = sorted(parts[0] + parts[1])
    if case == "identity":
        assert got == sorted(k + b"\t" + v for k, v in pairs)
        assert all(p == sorted(p) for p in parts)  # each partition in key (and line) order
    elif case == "fan_in":
        assert got == sorted(b"%s\t%s\t%d" % (k, v, n) for (k, v), n in Counter(pairs).items())
    else:
        assert got == sorted(b"%s\t%d" % (k, n) for k, n in Counter(k for k, _ in pairs).items())


def spilled(collector):
    """Each partition's lines, per spill, as the spill file holds them (expanded where
    it holds ``count\tline`` entries)."""
    out = []
    for spill in collector.finish():
        read = read_compact_lines if spill["counted"] else read_run
        out.append([[line for block in read(spill["path"], o, n) for line in block]
                    for o, n, _ in spill["segments"]])
    return out


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 400), st.integers(1, 60000), st.booleans()),
                min_size=1, max_size=4),
       st.sampled_from([1 << 16, 1 << 20, 1 << 30]))
def test_counting_then_buffering_spills_every_line_in_key_order(tmp_path_factory, phases, budget):
    """Phases of repetitive (few distinct) and distinct output, some holding a byte below
    the tab (whole-line order no longer valid): every line is spilled once, each segment
    in key order, in its partition, with exact records counts."""
    where = tmp_path_factory.mktemp("collect")
    order = Order()
    sink = MapOutputCollector(str(where), 3, lambda key: len(key) % 3, order, budget)
    sent = []
    serial = 0
    for distinct, n, low in phases:
        lines = []
        for _ in range(n):
            serial += 1
            lines.append(b"k%d%s\tv%d" % (serial % distinct, b"\x01" * low, serial % 3))
        for i in range(0, n, 5000):
            sink.add(b"".join(line + b"\n" for line in lines[i:i + 5000]))
        sent += lines
    spills = spilled(sink)
    got = [line for spill in spills for part in spill for line in part]
    assert sorted(got) == sorted(sent)
    for spill in spills:
        for part, lines in enumerate(spill):
            keys = [order.key_of(line) for line in lines]
            assert keys == sorted(keys) and all(len(k) % 3 == part for k in keys)
    assert sink.spilled_records == len(sent) and sink.records == len(sent)


def test_repetitive_output_is_counted_not_buffered(tmp_path):
    sink = MapOutputCollector(str(tmp_path), 2, lambda key: 0, Order(), 1 << 20)
    for _ in range(50):  # 5M lines of output in 100 MiB, 20 distinct: never spills early
        sink.add(b"".join(b"key%d\t1\n" % (i % 20) for i in range(100000)))
    assert not sink.buffer and len(sink.counts) == 20 and sink.used < 1 << 20
    spills = sink.finish()
    assert len(spills) == 1 and spills[0]["counted"]
    # each distinct line once, with its count: 20 entries, not 5M lines
    assert os.path.getsize(spills[0]["path"]) == sum(len(b"250000\tkey%d\t1\n" % i) for i in range(20))
    assert spills[0]["segments"][0][2] == 5_000_000 and sink.spilled_records == 5_000_000
    assert [line for block in read_compact_lines(spills[0]["path"]) for line in block] == \
        [b"key%d\t1" % i for i in sorted(range(20), key=lambda i: b"key%d" % i) for _ in range(250000)]


def test_mostly_counted_allows_one_record_in_eight_outside_counted_spills():
    assert mostly_counted([(True, 700), (False, 100)])
    assert not mostly_counted([(True, 700), (False, 101)])
    assert not mostly_counted([])
