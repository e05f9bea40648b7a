"""The external merge sort: Hadoop's key order, bounded memory, spills, multi-pass merges."""

import os
from itertools import chain

from hypothesis import given, settings, strategies as st

from streamkit import keycompare
from streamkit.extsort import ExternalSorter, Order, merge_blocks
from streamkit.records import key_of

LINE = st.lists(st.sampled_from([b"a", b"b", b"\t", b"\x00", b"\x01", b"\xff", b"z", b"."]),
                max_size=8).map(b"".join)


def blocks_of(lines, per=3):
    for i in range(0, len(lines), per):
        yield b"".join(l + b"\n" for l in lines[i:i + per])


def sort_stream(blocks, order, budget, tmpdir=None, fan_in=16):
    with ExternalSorter(order, budget, tmpdir, fan_in) as sorter:
        for block in blocks:
            sorter.add(block)
        yield from sorter.sorted_data()


def sort_all(lines, order, budget=1 << 20, fan_in=16, tmpdir=None):
    data = b"".join(sort_stream(blocks_of(lines), order, budget, tmpdir, fan_in))
    return data.split(b"\n")[:-1]


def keys(lines, sep=b"\t", n=1):
    return [key_of(l, sep, n) for l in lines]


@given(st.lists(LINE, max_size=200), st.sampled_from([b"\t", b"."]), st.integers(1, 3))
def test_sorted_by_key_bytes_only(lines, sep, n):
    out = sort_all(lines, Order(sep, n))
    assert sorted(out) == sorted(lines)                # nothing lost, nothing added
    assert keys(out, sep, n) == sorted(keys(lines, sep, n))


@settings(max_examples=40, deadline=None)
@given(st.lists(LINE, max_size=300), st.integers(2, 4))
def test_tiny_budget_forces_many_runs_and_multipass_merge(tmp_path_factory, lines, fan_in):
    tmp = str(tmp_path_factory.mktemp("spill"))
    out = sort_all(lines, Order(), budget=1, fan_in=fan_in, tmpdir=tmp)
    assert keys(out) == sorted(keys(lines))
    assert sorted(out) == sorted(lines)
    assert os.listdir(tmp) == []                       # run files removed


def test_hadoop_order_differs_from_whole_line_order():
    lines = [b"a\x01\tx", b"a\ty", b"a"]
    out = sort_all(lines, Order())
    assert keys(out) == [b"a", b"a", b"a\x01"]         # whole-line sort would put a\x01 first
    assert sorted(lines[:2])[0] == b"a\x01\tx"


def test_stable_keeps_input_order_of_equal_keys_across_spills(tmp_path):
    lines = [b"k\t%d" % i for i in range(2000)] + [b"a\t%d" % i for i in range(2000)]
    out = sort_all(lines, Order(stable=True), budget=1, fan_in=3, tmpdir=str(tmp_path))
    assert out == lines[2000:] + lines[:2000]


def test_many_runs_are_merged_in_passes_and_cleaned(tmp_path):
    lines = [b"%05d\tv" % ((i * 7919) % 5000) for i in range(5000)]
    with ExternalSorter(Order(), budget=1 << 16, tmpdir=str(tmp_path), fan_in=2) as sorter:
        for block in blocks_of(lines, 100):
            sorter.add(block)
        assert len(sorter.runs) > 3
        out = list(chain.from_iterable(sorter.sorted_blocks()))
    assert out == sorted(lines)
    assert os.listdir(tmp_path) == []


def test_error_midway_still_removes_runs(tmp_path):
    def broken():
        yield b"b\n" * 5000
        raise RuntimeError("input failed")
    try:
        list(sort_stream(broken(), Order(), 1, str(tmp_path)))
    except RuntimeError:
        pass
    assert os.listdir(tmp_path) == []


def test_key_field_comparator_numeric_reverse():
    comparator = keycompare.comparator_key("-k2,2nr", b"\t")
    lines = [b"x\t%d" % v for v in (2, 20, 3, 1, 10, 5, 7, 4)]
    out = sort_all(lines, Order(b"\t", 2, comparator))
    assert [l.split(b"\t")[1] for l in out] == [b"20", b"10", b"7", b"5", b"4", b"3", b"2", b"1"]


@given(st.lists(st.lists(LINE, max_size=30).map(sorted), max_size=6))
def test_merge_blocks_equals_sorted_chain(runs):
    iters = [iter([run[i:i + 4] for i in range(0, len(run), 4)]) for run in runs]
    assert list(chain.from_iterable(merge_blocks(iters))) == sorted(chain.from_iterable(runs))


@given(st.lists(LINE, max_size=100), st.sampled_from([b"\t", b"."]), st.integers(1, 2))
def test_key_runs_cover_each_key_once(lines, sep, n):
    order = Order(sep, n)
    by_line = order.whole_line_ok(b"\n".join(lines))
    lines.sort(key=None if by_line else order.key)
    runs = list(order.key_runs(lines, by_line))
    assert [k for k, _, _ in runs] == sorted(set(keys(lines, sep, n)))
    for k, i, j in runs:
        assert all(key_of(l, sep, n) == k for l in lines[i:j])
    if lines:
        start = order.last_run_start(lines, by_line)
        assert runs[-1][1] == start


@settings(max_examples=10, deadline=None)
@given(st.lists(LINE, min_size=1, max_size=12), st.integers(5000, 30000), st.booleans())
def test_repetitive_buffers_are_sorted_by_counting(tmp_path_factory, vocab, n, spill):
    from streamkit.extsort import count_sorted
    rng = __import__("random").Random(n)
    lines = [rng.choice(vocab) for _ in range(n)]
    assert count_sorted(list(lines), None, False) is not None     # the counting path is taken
    assert count_sorted(list(lines), None, True) is None           # never for stable sorts
    tmp = str(tmp_path_factory.mktemp("count"))
    out = sort_all(lines, Order(b"\t", 1), budget=1 if spill else 1 << 30, tmpdir=tmp)
    assert keys(out) == sorted(keys(lines))
    assert sorted(out) == sorted(lines)


def test_counting_is_skipped_for_distinct_lines():
    from streamkit.extsort import count_sorted
    assert count_sorted([b"%d" % i for i in range(10000)], None, False) is None


def test_parallel_spills_sort_in_children_and_clean_up(tmp_path):
    lines = [b"%08d\tv" % ((i * 7919) % 60000) for i in range(60000)]   # no repeats
    with ExternalSorter(Order(), budget=1 << 18, tmpdir=str(tmp_path), fan_in=4,
                        parallel=True) as sorter:
        for block in blocks_of(lines, 500):
            sorter.add(block)
        assert len(sorter.runs) > 4
        out = list(chain.from_iterable(sorter.sorted_blocks()))
        assert sorter._sorting == {}                     # every child reaped
    assert out == sorted(lines)
    assert os.listdir(tmp_path) == []


def parallel_sort(lines, order, budget, tmpdir, fan_in=16, per=500, count=True):
    with ExternalSorter(order, budget, tmpdir, fan_in, parallel=True, count=count) as sorter:
        for block in blocks_of(lines, per):
            sorter.add(block)
        runs = len(sorter.runs)
        return list(chain.from_iterable(sorter.sorted_blocks())), runs, sorter


def test_parallel_counts_repetitive_input_across_buffers_without_runs(tmp_path):
    # 20,000 distinct lines in 200,000: each budget/4 buffer looks unique, the input does not
    lines = [b"%07d\t%d" % ((i * 7919) % 10000, i % 2) for i in range(200000)]
    out, runs, sorter = parallel_sort(lines, Order(), 8 << 20, str(tmp_path))
    assert runs == 0 and sorter.runs == []             # counted, never spilled
    assert out == sorted(lines)
    assert os.listdir(tmp_path) == []


def test_parallel_counter_that_overflows_becomes_a_run(tmp_path):
    lines = [b"%08d\tv" % ((i * 7919) % 60000) for i in range(60000)]   # no repeats
    out, _, sorter = parallel_sort(lines, Order(), 1 << 18, str(tmp_path))
    assert sorter._counts is None and not sorter._repetitive
    assert out == sorted(lines)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from([b"a", b"b", b"c", b"ab", b"b\tx", b"b\ty", b"c\tz", b"",
                                 b"a\tq\tr", b"\xff"]), min_size=1, max_size=3000),
       st.booleans())
def test_parallel_merge_in_halves_gives_the_plain_merge_bytes(tmp_path_factory, lines, stable):
    # Ties (same key, other bytes) must come out exactly as the one-process merge orders
    # them: whole-line order, or input order with -s.
    tmp = str(tmp_path_factory.mktemp("halves"))
    order = Order(b"\t", 1, None, stable)
    out, _, sorter = parallel_sort(lines, order, 1 << 16, tmp, per=50, count=False)
    assert len(sorter.runs) > 1 or len(lines) < 1000
    expected = sorted(lines, key=(lambda l: l.partition(b"\t")[0]) if stable else None)
    assert out == expected


def test_first_at_or_above_bisects_a_run(tmp_path):
    from streamkit.extsort import _first_at_or_above
    lines = sorted([b"k%03d" % (i // 3) for i in range(300)] + [b"", b"zz" * 50])
    path = tmp_path / "run"
    path.write_bytes(b"\n".join(lines) + b"\n")
    data, size = path.read_bytes(), path.stat().st_size
    for pivot in [b"", b"k000", b"k050", b"k0505", b"k099", b"z", b"zzz" * 40]:
        cut = _first_at_or_above(str(path), size, pivot, None)
        below = [l for l in lines if l < pivot]
        assert cut == sum(len(l) + 1 for l in below), pivot
        assert data[:cut].count(b"\n") == len(below)


def test_counting_gives_up_past_the_sample_and_counts_every_line():
    from collections import Counter
    from streamkit.extsort import count_sorted
    start_only = [b"x"] * 70000 + [b"%d" % i for i in range(300000)]
    assert count_sorted(start_only, None, False) is None         # repetitive at its start only
    lines = [b"%d\t1" % (i % 997) for i in range(300000)]
    distinct, counts = count_sorted(lines, None, False)
    assert counts == Counter(lines) and distinct == sorted(set(lines))


def test_parallel_stops_counting_input_whose_sample_is_all_distinct(tmp_path):
    from streamkit.extsort import COUNT_SAMPLE
    distinct = [b"%07d\tv" % ((i * 7919) % 100000) for i in range(100000)]
    repeats = [b"%07d\tv" % ((i * 7919) % 40000) for i in range(100000)]  # 40,000 keys
    with ExternalSorter(Order(), 64 << 20, str(tmp_path), parallel=True) as sorter:
        for block in blocks_of(distinct[:COUNT_SAMPLE - 500], 500):
            sorter.add(block)
        assert sorter._counts is not None                # undecided before the sample ends
        for block in blocks_of(distinct[COUNT_SAMPLE - 500:], 500):
            sorter.add(block)
        assert sorter._counts is None and sorter.runs == []   # blocks kept for children
        assert sum(b.count(b"\n") for b in sorter._blocks) == len(distinct)
        assert list(chain.from_iterable(sorter.sorted_blocks())) == sorted(distinct)
    out, runs, sorter = parallel_sort(repeats, Order(), 64 << 20, str(tmp_path))
    assert runs == 0 and out == sorted(repeats)


def test_parallel_children_sort_lines_as_latin1_in_byte_order(tmp_path):
    rng = __import__("random").Random(5)
    alphabet = [bytes([b]) for b in range(256) if b not in (9, 10) and b > 8] + [b"\t"]
    lines = [b"".join(rng.choices(alphabet, k=rng.randrange(6))) for _ in range(20000)]
    out, runs, sorter = parallel_sort(lines, Order(), 1 << 18, str(tmp_path), count=False)
    assert runs > 1 and sorter.by_line
    assert out == sorted(lines)
