"""`streamkit spark` gives the part files `streamkit run` gives (and so Hadoop's).

Every job here runs twice: `streamkit run` as a real subprocess, and the Spark engine on
one SparkContext shared by the whole test session (conftest.py's `sc`) (`local[2]`; starting Spark costs ~10 s).
Part files must be byte-identical, except that values within one key may come in
another order (Hadoop leaves it open): then the lines and the key sequence must match.
Deselect with `-m "not spark"`; `make test` requires them (STREAMKIT_SPARK_TESTS=required).
"""
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, spark, streamkit
from streamkit.errors import JobFailed, OutputExistsError, UsageError

pytestmark = pytest.mark.spark
MALSTONE = Path(ROOT) / "jobs" / "malstone"




def local(where, *args):
    """`streamkit run ARGS --stats` as a subprocess; return its counters."""
    done = streamkit("run", *args, "--stats", "local-stats.json", cwd=str(where))
    assert done.returncode == 0, done.stderr.decode()
    counters = json.loads((Path(where) / "local-stats.json").read_text())["counters"]
    os.unlink(Path(where) / "local-stats.json")
    return counters


def key_sequence(data: bytes, sep=b"\t") -> list[bytes]:
    keys = []
    for line in data.split(b"\n")[:-1]:
        key = line.split(sep, 1)[0]
        if not keys or keys[-1] != key:
            keys.append(key)
    return keys


def assert_same_parts(a: Path, b: Path, sep=b"\t"):
    names = sorted(os.listdir(a))
    assert names == sorted(os.listdir(b))
    assert "_SUCCESS" in names
    for name in names:
        x, y = (a / name).read_bytes(), (b / name).read_bytes()
        if x != y:  # value order within a key is free, as on Hadoop
            assert sorted(x.split(b"\n")) == sorted(y.split(b"\n")), name
            assert key_sequence(x, sep) == key_sequence(y, sep), name


def both(sc, where, *args, sep=b"\t", compare_counters=True):
    """Run ARGS with both engines (outputs out-run, out-spark); compare parts and counters."""
    where = Path(where)
    expected = local(where, *args, "-output", "out-run")
    report = spark(sc, where, *args, "-output", "out-spark")
    assert_same_parts(where / "out-run", where / "out-spark", sep)
    got = report.to_json()["counters"]
    if compare_counters:
        assert got == expected
    return report


WC_MAP = """
import sys
for line in sys.stdin.buffer:
    for word in line.split():
        sys.stdout.buffer.write(word + b"\\t1\\n")
"""
WC_REDUCE = """
import sys
current, total = None, 0
for line in sys.stdin.buffer:
    key, value = line.rstrip(b"\\n").split(b"\\t", 1)
    if key != current:
        if current is not None:
            sys.stdout.buffer.write(current + b"\\t" + str(total).encode() + b"\\n")
        current, total = key, 0
    total += int(value)
if current is not None:
    sys.stdout.buffer.write(current + b"\\t" + str(total).encode() + b"\\n")
"""
TEXT = b"".join(b"the quick brown fox %d jumps over the lazy dog %d\n" % (i % 13, i % 7)
                for i in range(3000))


@pytest.fixture
def wordcount(tmp_path, script):
    script("wc_map.py", WC_MAP)
    script("wc_reduce.py", WC_REDUCE)
    (tmp_path / "in.txt").write_bytes(TEXT)
    return tmp_path


@pytest.mark.parametrize("reducers", [1, 3, 7])
def test_word_count_matches_streamkit_run(sc, wordcount, reducers):
    report = both(sc, wordcount, "-D", f"mapreduce.job.reduces={reducers}",
                  "-files", "wc_map.py,wc_reduce.py", "-input", "in.txt",
                  "-mapper", "python3 wc_map.py", "-reducer", "python3 wc_reduce.py")
    parts = sorted(p for p in os.listdir(wordcount / "out-spark") if p.startswith("part-"))
    assert len(parts) == reducers
    assert sum(report.partition_records) == TEXT.count(b" ") + TEXT.count(b"\n")


def test_combiner_and_gzip_input(sc, wordcount):
    with gzip.open(wordcount / "in.gz", "wb") as f:
        f.write(TEXT)
    report = both(sc, wordcount, "-D", "mapreduce.job.reduces=3", "-files", "wc_map.py,wc_reduce.py",
                  "-input", "in.gz", "-mapper", "python3 wc_map.py",
                  "-combiner", "python3 wc_reduce.py", "-reducer", "python3 wc_reduce.py")
    counters = report.to_json()["counters"]
    assert counters["Map-Reduce Framework.Combine input records"] == 33000
    assert counters["Map-Reduce Framework.Combine output records"] < 100


@pytest.mark.parametrize("form", ["a", "b"])
def test_malstone(sc, tmp_path, form):
    data = subprocess.run([sys.executable, str(MALSTONE / "malgen.py"), "--records", "4000",
                           "--seed", "5"], capture_output=True, check=True).stdout
    (tmp_path / "malstone.txt").write_bytes(data)
    both(sc, tmp_path, "-D", "mapreduce.job.reduces=2",
         "-files", f"{MALSTONE}/{form}_mapper.py,{MALSTONE}/{form}_reducer.py",
         "-input", "malstone.txt", "-mapper", f"python3 {form}_mapper.py",
         "-reducer", f"python3 {form}_reducer.py")


def test_bytes_empty_keys_no_tab_crlf_and_empty_partitions(sc, tmp_path):
    """Non-UTF-8, empty keys, tab-less lines and CRLF pass as on Hadoop; the reducer runs
    on empty partitions too, and what it prints there is discarded."""
    (tmp_path / "in.txt").write_bytes(
        b"\xff\xfe\tbinary\r\n\tempty key\r\nno tab here\n\xc3\xa9\tutf8\n"
        b"k\tv1\nk\tv2\r\n\x00nul\tz\n\n" + b"".join(b"%d\t%d\n" % (i % 5, i) for i in range(50)))
    both(sc, tmp_path, "-D", "mapreduce.job.reduces=7", "-input", "in.txt",
         "-mapper", "cat", "-reducer", "sh -c 'echo started; cat'")


def test_secondary_sort(sc, tmp_path):
    """KeyFieldBasedPartitioner on the first two fields, KeyFieldBasedComparator -k3,3nr."""
    (tmp_path / "in.txt").write_bytes(b"".join(
        b"%d.%d.%d.x%d\n" % (i % 3, i % 2, (i * 37) % 101, i) for i in range(400)))
    both(sc, tmp_path, "-D", "stream.map.output.field.separator=.",
         "-D", "stream.num.map.output.key.fields=3", "-D", "mapreduce.map.output.key.field.separator=.",
         "-D", "mapreduce.partition.keypartitioner.options=-k1,2",
         "-D", "mapreduce.job.output.key.comparator.class="
               "org.apache.hadoop.mapreduce.lib.partition.KeyFieldBasedComparator",
         "-D", "mapreduce.partition.keycomparator.options=-k1,2 -k3,3nr",
         "-D", "mapreduce.job.reduces=3", "-input", "in.txt", "-mapper", "cat",
         "-reducer", "cat", "-partitioner", "org.apache.hadoop.mapred.lib.KeyFieldBasedPartitioner",
         sep=b".")


def test_map_only_keyvalue_input_and_two_files(sc, tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_bytes(b"k1\tv1\nk2\n" * 40)
    (tmp_path / "d" / "b.txt").write_bytes(b"x\ty\tz\n" * 90)
    both(sc, tmp_path, "-numReduceTasks", "0", "-inputformat", "KeyValueTextInputFormat",
         "-input", "d", "-mapper", "cat")


def test_output_to_stdout(sc, wordcount):
    import io

    out = io.BytesIO()
    spark(sc, wordcount, "-D", "mapreduce.job.reduces=2", "-files", "wc_map.py,wc_reduce.py",
          "-input", "in.txt", "-output", "-", "-mapper", "python3 wc_map.py",
          "-reducer", "python3 wc_reduce.py", stdout=out)
    local(wordcount, "-D", "mapreduce.job.reduces=2", "-files", "wc_map.py,wc_reduce.py",
          "-input", "in.txt", "-output", "out", "-mapper", "python3 wc_map.py",
          "-reducer", "python3 wc_reduce.py")
    parts = b"".join((wordcount / "out" / p).read_bytes()
                     for p in sorted(os.listdir(wordcount / "out")) if p.startswith("part-"))
    assert out.getvalue() == parts
    assert not (wordcount / "-").exists()


def test_failing_mapper_names_the_task_and_leaves_no_output(sc, wordcount):
    with pytest.raises(JobFailed) as err:
        spark(sc, wordcount, "-D", "mapreduce.job.reduces=2", "-input", "in.txt", "-output", "out",
              "-mapper", "sh -c 'echo broken input >&2; exit 1'", "-reducer", "cat")
    message = str(err.value)
    assert message.startswith("map task 1 of 1 (input ")
    assert "subprocess failed with code 1; stderr: broken input" in message
    assert "\n" not in message
    assert not (wordcount / "out").exists()


def test_killed_reducer_fails_the_job(sc, wordcount):
    with pytest.raises(JobFailed) as err:
        spark(sc, wordcount, "-D", "mapreduce.job.reduces=2", "-input", "in.txt", "-output", "out",
              "-mapper", "cat", "-reducer", "sh -c 'kill -9 $$'")
    assert "reduce task" in str(err.value) and "killed by signal SIGKILL" in str(err.value)
    assert not (wordcount / "out").exists()


def test_existing_output_is_refused_before_spark_runs(sc, wordcount):
    (wordcount / "out").mkdir()
    with pytest.raises(OutputExistsError):
        spark(sc, wordcount, "-input", "in.txt", "-output", "out", "-mapper", "cat")
    assert os.listdir(wordcount / "out") == []


def test_local_only_options_are_refused(sc, wordcount):
    with pytest.raises(UsageError, match="--jobs is streamkit run's option"):
        spark(sc, wordcount, "-input", "in.txt", "-output", "o", "-mapper", "cat", "--jobs", "2")


def test_spark_arguments_are_taken_out_of_the_hadoop_argv():
    from streamkit.spark_engine import split_spark_args

    options, rest = split_spark_args(["--master", "yarn", "-D", "a=b", "-mapper", "--conf",
                                      "--conf=spark.x=1", "-input", "i", "--conf", "spark.y=2"])
    assert options.master == "yarn"
    assert options.conf == (("spark.x", "1"), ("spark.y", "2"))
    assert rest == ["-D", "a=b", "-mapper", "--conf", "-input", "i"]


def test_command_line_failure_is_one_line_exit_1(sc, tmp_path):
    """The real command: a failing job exits 1 with one line, no output dir, no temp dirs."""
    (tmp_path / "in.txt").write_bytes(b"a\tb\n")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    done = streamkit("spark", "--master", "local[1]", "-D", "mapreduce.map.maxattempts=1",
                     "-D", "mapreduce.reduce.maxattempts=1", "-input", "in.txt", "-output", "out",
                     "-mapper", "false", cwd=str(tmp_path), env={"TMPDIR": str(tmp)}, timeout=300)
    assert done.returncode == 1
    lines = done.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("streamkit: map task 1 of 1 (input ")
    assert "failed after 1 attempt(s) on Spark: subprocess failed with code 1" in lines[0]
    assert not (tmp_path / "out").exists()
    assert os.listdir(tmp) == []


def test_counted_spills_feed_the_reducers_run_by_run(sc, tmp_path):
    """Repetitive map output (> 4,096 lines a task) is spilled counted; Spark's reducers
    read those segments run by run, as `streamkit run`'s do, with the same bytes."""
    (tmp_path / "in.txt").write_bytes(b"".join(b"%d%s\n" % (i % 40, b"\tv" * (i % 3 == 0))
                                               for i in range(30000)))
    report = both(sc, tmp_path, "-D", "mapreduce.job.reduces=2", "-D", "fs.local.block.size=100000",
                  "-input", "in.txt", "-mapper", "cat", "-reducer", "uniq -c")
    assert [p["by_run"] for p in report.to_json()["partitions"]] == [True, True]
