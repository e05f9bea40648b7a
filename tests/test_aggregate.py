"""`-reducer aggregate`: Hadoop Streaming's Aggregate package, byte for byte.

Expected outputs are written out by hand from Hadoop 3.5's sources
(``org.apache.hadoop.mapred.lib.aggregate``: ValueAggregatorReducer/Combiner,
ValueAggregatorBaseDescriptor, and the aggregators of ``mapreduce.lib.aggregate``):

* StreamJob turns ``-reducer aggregate`` (any case) into ValueAggregatorReducer *and*
  ValueAggregatorCombiner; ``-combiner aggregate`` is not special there, it names a program.
* the reducer cuts the map output key at its first ``:``: the type (matched ignoring
  case) and the key it writes; TextOutputFormat writes ``key<TAB>report``.
* the partitioner and the sort see the whole map output key, ``TYPE:key``.
* reports: ``"" + long`` (Long.toString), ``"" + double`` (Double.toString: ``3.0``,
  ``1.0E10``, ``NaN``, ``Infinity``), ValueHistogram's ``n min median max avg sd``.
"""

import json
import os
from collections import Counter

import pytest

from streamkit import aggregate
from streamkit.partition import hash_partition

FW = "Map-Reduce Framework."
COMBINER = "org.apache.hadoop.mapred.lib.aggregate.ValueAggregatorCombiner"
REDUCER = "org.apache.hadoop.mapred.lib.aggregate.ValueAggregatorReducer"


def parts(out) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in sorted(os.listdir(out))}


def counters(tmp_path) -> dict:
    return json.loads((tmp_path / "stats.json").read_text())["counters"]


WC_MAP = """
import sys
for line in sys.stdin.buffer:
    for word in line.split():
        sys.stdout.buffer.write(b"LongValueSum:" + word + b"\\t1\\n")
"""


def test_word_count_with_long_value_sum(tmp_path, script, run):
    """The package's classic use: ``LongValueSum:word<TAB>1`` per word.

    One map, one spill: the combiner (set by ``-reducer aggregate``) sums each word
    once (8 records in, 5 out), the reducer writes ``word<TAB>sum`` in key order.
    """
    (tmp_path / "in.txt").write_bytes(b"the quick fox\nthe lazy dog\nthe fox\n")
    script("m.py", WC_MAP)
    res = run("-input", "in.txt", "-output", "out", "-file", "m.py", "-mapper", "python3 m.py",
              "-reducer", "aggregate", "--stats", "stats.json")
    assert res.returncode == 0, res.stderr
    assert parts(tmp_path / "out") == {
        "_SUCCESS": b"", "part-00000": b"dog\t1\nfox\t2\nlazy\t1\nquick\t1\nthe\t3\n"}
    c = counters(tmp_path)
    assert (c[FW + "Map output records"], c[FW + "Combine input records"],
            c[FW + "Combine output records"], c[FW + "Reduce input records"],
            c[FW + "Reduce input groups"], c[FW + "Reduce output records"]) == (8, 8, 5, 5, 5, 5)


def test_three_reducers_partition_on_the_typed_key(tmp_path, script, run):
    """HashPartitioner hashes the map output key, ``LongValueSum:word``, not ``word``.

    Small spills (--memory 256K) make several combiner outputs per word, which the
    reducer adds up again; the totals must still be the plain word counts.  A word of
    its own on every line keeps the output from fitting the budget once counted, and
    ~2.4 MB of map output is more than two reads of the mapper's 1 MiB pipe: at least
    two spills however the output arrives.
    """
    vocab = [b"w%d" % i for i in range(40)]
    data = b"".join(b" ".join(vocab[(i * 7 + j) % 40] for j in range(i % 5 + 1)) + b" u%d\n" % i
                    for i in range(30000))
    (tmp_path / "in.txt").write_bytes(data)
    script("m.py", WC_MAP)
    res = run("-D", "mapreduce.job.reduces=3", "-input", "in.txt", "-output", "out",
              "-file", "m.py", "-mapper", "python3 m.py", "-reducer", "aggregate",
              "--memory", "256K", "--jobs", "2", "--stats", "stats.json")
    assert res.returncode == 0, res.stderr
    files = parts(tmp_path / "out")
    expected = Counter(data.split())
    got = {}
    for p in range(3):
        lines = files[f"part-{p:05d}"].splitlines()
        keys = [line.split(b"\t")[0] for line in lines]
        assert all(hash_partition(b"LongValueSum:" + k, 3) == p for k in keys)
        assert keys == sorted(keys)
        got.update(line.split(b"\t") for line in lines)
    assert got == {w: b"%d" % n for w, n in expected.items()}
    # The test tells the two keys apart: some words would land elsewhere by their bare key.
    assert any(hash_partition(w, 3) != hash_partition(b"LongValueSum:" + w, 3) for w in vocab)
    c = counters(tmp_path)
    assert c[FW + "Combine input records"] == c[FW + "Map output records"] == sum(expected.values())
    assert c[FW + "Combine output records"] == c[FW + "Reduce input records"] > len(expected)  # spills
    assert c[FW + "Reduce input groups"] == c[FW + "Reduce output records"] == len(expected)


EVERY_TYPE = (
    "LongValueSum:a\t1\nLongValueSum:a\t2\nLongValueSum:a\t-4\n"
    "LongValueSum:wrap\t9223372036854775807\nLongValueSum:wrap\t1\n"
    "LongValueSum:\t7\n"
    "longvaluesum:ci\t2\n"
    "LongValueMax:m\t5\nLongValueMax:m\t-3\nLongValueMax:m\t+12\n"
    "LongValueMin:m\t5\nLongValueMin:m\t-3\nLongValueMin:m\t12\n"
    "DoubleValueSum:d\t1\nDoubleValueSum:d\t2\n"
    "DoubleValueSum:big\t1e10\nDoubleValueSum:small\t0.0001\n"
    "DoubleValueSum:java\t1.5d\nDoubleValueSum:java\t0x1p3\nDoubleValueSum:java\t 0.25 \n"
    "DoubleValueSum:inf\t1e308\nDoubleValueSum:inf\t1e308\n"
    "DoubleValueSum:nan\tNaN\nDoubleValueSum:nan\t1\n"
    "StringValueMax:s\tpear\nStringValueMax:s\tapple\nStringValueMax:s\t\uff5a\nStringValueMax:s\t\U0001F600\n"
    "StringValueMin:s\tpear\nStringValueMin:s\tapple\nStringValueMin:s\tApple\n"
    "StringValueMax:empty\t\n"
    "UniqValueCount:u\ta\nUniqValueCount:u\tb\nUniqValueCount:u\ta\nUniqValueCount:u\tc\n"
    "ValueHistogram:h\ta\nValueHistogram:h\tb\nValueHistogram:h\ta\nValueHistogram:h\tc\t5\n"
).encode() + b"LongValueSum:caf\xc3\xa9\t1\nLongValueSum:\xff\t1\n"


@pytest.mark.parametrize("reducer", ["Aggregate", REDUCER])
def test_every_type_exact_bytes(tmp_path, run, reducer):
    """Each aggregator's report, in the order of the typed keys (``DoubleValueSum:*`` first).

    By hand, from the Java sources:

    * LongValueSum 1 + 2 - 4 = ``-1``; Long.MAX_VALUE + 1 wraps to ``-9223372036854775808``;
      an empty key writes ``<TAB>7``; the type ``longvaluesum`` matches ignoring case.
    * LongValueMax/Min of 5, -3, +12 (Long.parseLong takes ``+``): ``12`` and ``-3``.
    * DoubleValueSum: 1 + 2 = ``3.0``; ``1.0E10``; 0.0001 prints ``1.0E-4``; ``1.5d`` +
      ``0x1p3`` + `` 0.25 `` (Java's grammar, trimmed) = ``9.75``; 1e308 + 1e308 =
      ``Infinity``; NaN + 1 = ``NaN``.
    * StringValueMax uses String.compareTo, UTF-16 units: U+1F600 is ``D83D DE00``, below
      U+FF5A, so the max is ``ｚ`` (byte order would pick the emoji); the min of pear,
      apple, Apple is ``Apple``; an empty value writes ``empty<TAB>``.
    * UniqValueCount of a, b, a, c: ``3``.
    * ValueHistogram of a, b, a, ``c<TAB>5`` (a count after the last tab): counts a=2, b=1,
      c=5 → sorted 1, 2, 5: n=3, min 1, median counts[3/2]=2, max 5, average 8/3 =
      ``2.6666666666666665``, sd = sqrt(((1-8/3)² + (2-8/3)² + (5-8/3)²)/3) = sqrt(26/9) =
      ``1.699673171197595``.
    * keys are Java Strings: ``café`` passes through, the invalid byte ``\\xff`` becomes
      U+FFFD (``\\xef\\xbf\\xbd``) as Text.toString()/new Text() do.

    ``Aggregate`` runs the combiner too (StreamJob compares ignoring case); the class name
    runs the reducer alone: the same bytes either way.
    """
    (tmp_path / "in.txt").write_bytes(EVERY_TYPE)
    res = run("-input", "in.txt", "-output", "out", "-mapper", "cat", "-reducer", reducer,
              "--stats", "stats.json")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out" / "part-00000").read_bytes() == (
        "big\t1.0E10\nd\t3.0\ninf\tInfinity\njava\t9.75\nnan\tNaN\nsmall\t1.0E-4\n"
        "m\t12\nm\t-3\n"
        "\t7\na\t-1\ncaf\u00e9\t1\nwrap\t-9223372036854775808\n\ufffd\t1\n"
        "empty\t\ns\t\uff5a\ns\tApple\n"
        "u\t3\n"
        "h\t3\t1\t2\t5\t2.6666666666666665\t1.699673171197595\n"
        "ci\t2\n").encode()
    combined = FW + "Combine input records" in counters(tmp_path)
    assert combined == (reducer == "Aggregate")


def test_combiner_partial_results_as_the_reducer_reads_them(tmp_path, run):
    """ValueAggregatorCombiner keeps the typed key and writes getCombinerOutput():

    sums as one value; UniqValueCount each distinct value; ValueHistogram ``value<TAB>count``
    per value, in TreeMap (String) order.  A ``cat`` reducer shows them as it reads them.
    """
    (tmp_path / "in.txt").write_bytes(
        b"ValueHistogram:h\tb\nValueHistogram:h\ta\nValueHistogram:h\ta\nValueHistogram:h\tc\t5\n"
        b"UniqValueCount:u\tb\nUniqValueCount:u\ta\nUniqValueCount:u\tb\n"
        b"LongValueSum:a\t1\nLongValueSum:a\t2\nDoubleValueSum:d\t1\nDoubleValueSum:d\t2\n")
    res = run("-input", "in.txt", "-output", "out", "-mapper", "cat", "-combiner", COMBINER,
              "-reducer", "cat", "--stats", "stats.json")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out" / "part-00000").read_bytes() == (
        b"DoubleValueSum:d\t3.0\nLongValueSum:a\t3\n"
        b"UniqValueCount:u\ta\nUniqValueCount:u\tb\n"
        b"ValueHistogram:h\ta\t2\nValueHistogram:h\tb\t1\nValueHistogram:h\tc\t5\n")
    c = counters(tmp_path)
    assert (c[FW + "Combine input records"], c[FW + "Combine output records"]) == (11, 7)


def test_separators_and_key_fields(tmp_path, run):
    """A Java reducer gets (key, value) pairs: the map output split rules make the key,
    TextOutputFormat's separator joins the output; stream.reduce.* do not apply.

    With ``,`` and 2 key fields, ``LongValueSum:a,x,3`` has key ``LongValueSum:a,x``; the
    output is ``a,x|7``.  A single histogram value: ``1 1 1 1 1.0 0.0``.
    """
    (tmp_path / "in.txt").write_bytes(
        b"LongValueSum:a,x,3\nLongValueSum:a,x,4\nLongValueSum:a,y,1\nValueHistogram:h,k,v\n")
    res = run("-D", "stream.map.output.field.separator=,", "-D", "stream.num.map.output.key.fields=2",
              "-D", "mapreduce.output.textoutputformat.separator=|",
              "-D", "stream.reduce.output.field.separator=;",
              "-input", "in.txt", "-output", "out", "-mapper", "cat", "-reducer", "aggregate")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out" / "part-00000").read_bytes() == (
        b"a,x|7\na,y|1\nh,k|1\t1\t1\t1\t1.0\t0.0\n")


def test_uniq_value_count_cap(tmp_path, run):
    """``aggregate.max.num.unique.values=2``: UniqValueCount adds while it holds ≤ 2, so it
    reports 3 for five distinct values (Hadoop's own off-by-one) and 2 for two."""
    (tmp_path / "in.txt").write_bytes(b"".join(b"UniqValueCount:five\t%s\n" % v for v in b"a b c d e a".split())
                                      + b"UniqValueCount:two\tx\nUniqValueCount:two\ty\n")
    res = run("-D", "aggregate.max.num.unique.values=2", "-input", "in.txt", "-output", "out",
              "-mapper", "cat", "-reducer", "aggregate")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out" / "part-00000").read_bytes() == b"five\t3\ntwo\t2\n"
    bad = run("-D", "aggregate.max.num.unique.values=lots", "-input", "in.txt", "-output", "out2",
              "-mapper", "cat", "-reducer", "aggregate")
    assert bad.returncode == 2
    assert bad.stderr.decode().startswith("streamkit: -D aggregate.max.num.unique.values=lots:")
    assert not (tmp_path / "out2").exists()


@pytest.mark.parametrize("line, reducer, message", [
    (b"foo\t1", "aggregate", 'ValueAggregatorCombiner: key "foo" has no TYPE: prefix'),
    (b"Bogus:foo\t1", "aggregate", 'unknown aggregator type "Bogus"'),
    (b"LongValueSum:foo\tx", "aggregate", '"x" is not a long (Long.parseLong)'),
    (b"LongValueMax:foo\t99999999999999999999", "aggregate", "is not a long"),
    (b"DoubleValueSum:foo\tinf", "aggregate", '"inf" is not a double (Double.parseDouble)'),
    (b"ValueHistogram:foo\tv\tmany", "aggregate", '"many" is not a long'),
    (b"LongValueSum:foo\tx", REDUCER, 'ValueAggregatorReducer: key "LongValueSum:foo": "x" is not'),
])
def test_malformed_map_output_fails_the_task(tmp_path, run, line, reducer, message):
    """Where Hadoop throws (substring(0, -1), a null aggregator, NumberFormatException) the
    task fails: in the map task's combiner with ``-reducer aggregate``, in the reduce task
    with the reducer class alone.  One line naming the task; no output left."""
    (tmp_path / "in.txt").write_bytes(b"LongValueSum:ok\t1\n" + line + b"\n")
    res = run("-D", "mapreduce.map.maxattempts=1", "-D", "mapreduce.reduce.maxattempts=1",
              "-input", "in.txt", "-output", "out", "-mapper", "cat", "-reducer", reducer)
    assert res.returncode == 1
    err = res.stderr.decode()
    assert err.count("\n") == 1 and err.startswith("streamkit: ")
    assert ("map task 1 of 1" if reducer == "aggregate" else "reduce task 1 of 1") in err
    assert message in err
    assert not (tmp_path / "out").exists()


def test_combiner_aggregate_is_a_program_as_in_hadoop(tmp_path, run):
    """StreamJob looks ``-combiner aggregate`` up as a class (there is none) and then runs it
    as a command: the task fails with "Cannot run program". Only ``-reducer aggregate``
    brings the Aggregate combiner."""
    (tmp_path / "in.txt").write_bytes(b"LongValueSum:a\t1\n")
    res = run("-D", "mapreduce.map.maxattempts=1", "-input", "in.txt", "-output", "out",
              "-mapper", "cat", "-combiner", "aggregate", "-reducer", "cat")
    assert res.returncode == 1
    assert 'Cannot run program "aggregate"' in res.stderr.decode()


def test_aggregate_without_reducers_is_map_only(tmp_path, run):
    """StreamJob sets the Aggregate classes only when there are reducers: with
    ``-numReduceTasks 0`` the map output is written as it is."""
    (tmp_path / "in.txt").write_bytes(b"LongValueSum:a\t1\nLongValueSum:a\t1\n")
    res = run("-input", "in.txt", "-output", "out", "-mapper", "cat", "-reducer", "aggregate",
              "-numReduceTasks", "0")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out" / "part-00000").read_bytes() == b"LongValueSum:a\t1\nLongValueSum:a\t1\n"


@pytest.mark.parametrize("value, java", [
    (3.0, "3.0"), (-3.0, "-3.0"), (0.1 + 0.2, "0.30000000000000004"), (1e10, "1.0E10"),
    (1e7, "1.0E7"), (9999999.0, "9999999.0"), (0.001, "0.001"), (0.00099, "9.9E-4"),
    (100.0, "100.0"), (1.7976931348623157e308, "1.7976931348623157E308"),
    (4.9e-324, "4.9E-324"), (float("inf"), "Infinity"), (float("nan"), "NaN"), (-0.0, "-0.0"),
    (1 / 3, "0.3333333333333333"), (123456789.0, "1.23456789E8"),
])
def test_java_double_to_string(value, java):
    """Double.toString's layout: plain for 10^-3 ≤ |x| < 10^7, else computerized
    scientific; always a digit after the point; shortest digits that read back."""
    assert aggregate.java_double(value) == java


def test_reducer_aggregate_replaces_any_combiner(tmp_path, run):
    """StreamJob sets ValueAggregatorCombiner after reading -combiner: the user's combiner
    (here ``false``, which would fail every map) is never run."""
    (tmp_path / "in.txt").write_bytes(b"LongValueSum:a\t1\nLongValueSum:a\t2\n")
    res = run("-input", "in.txt", "-output", "out", "-mapper", "cat", "-combiner", "false",
              "-reducer", "aggregate")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out" / "part-00000").read_bytes() == b"a\t3\n"


def test_type_names_match_as_java_compare_to_ignore_case():
    """compareToIgnoreCase compares char by char through Character.toUpperCase, so
    ``LONGVALUESUM`` and even ``LongValueſum`` (long s upper-cases to S) name LongValueSum."""
    for key in (b"LONGVALUESUM:x", "LongValue\u017fum:x".encode()):
        assert isinstance(aggregate.new_aggregator(key), aggregate.LongValueSum)
    with pytest.raises(aggregate.AggregateError, match="unknown aggregator type"):
        aggregate.new_aggregator(b"LongValueSums:x")
