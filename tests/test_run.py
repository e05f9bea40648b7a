"""`streamkit run` on real subprocesses: the same answer, in the same part files, as Hadoop."""

import gzip
import json
import os
import random
from collections import Counter

import pytest

from conftest import oracle
from streamkit.partition import hash_partition

WC_MAP = """
import sys
for line in sys.stdin.buffer:
    for word in line.split():
        sys.stdout.buffer.write(word + b"\\t1\\n")
"""
WC_REDUCE = """
import sys
out = sys.stdout.buffer
current, total = None, 0
for line in sys.stdin.buffer:
    key, _, value = line.rstrip(b"\\n").partition(b"\\t")
    if key != current:
        if current is not None:
            out.write(current + b"\\t%d\\n" % total)
        current, total = key, 0
    total += int(value)
if current is not None:
    out.write(current + b"\\t%d\\n" % total)
"""
CAT = "import sys, shutil\nshutil.copyfileobj(sys.stdin.buffer, sys.stdout.buffer)\n"


def words(n=4000, seed=7) -> bytes:
    rng = random.Random(seed)
    vocab = [b"the", b"fox", b"dog", b"\xc3\xa9t\xc3\xa9", b"\xff\xfe", b"a", b"A", b"zz", b"x-y"]
    return b"".join(b" ".join(rng.choice(vocab) for _ in range(rng.randrange(1, 6))) + b"\n"
                    for _ in range(n))


def parts(out_dir) -> dict:
    return {name: (out_dir / name).read_bytes() for name in sorted(os.listdir(out_dir))}


def lines_of(data: bytes) -> Counter:
    return Counter(data.splitlines())


@pytest.mark.parametrize("reducers", [1, 2, 3, 7])
def test_word_count_equals_unix_pipeline_and_hash_placement(tmp_path, script, run, reducers):
    data = words()
    (tmp_path / "in.txt").write_bytes(data)
    script("m.py", WC_MAP)
    script("r.py", WC_REDUCE)
    res = run("-D", f"mapreduce.job.reduces={reducers}", "-input", "in.txt", "-output", "out",
              "-file", "m.py", "-mapper", "python3 m.py", "-file", "r.py", "-reducer", "python3 r.py", "--jobs", "2",
              "--memory", "1M")
    assert res.returncode == 0, res.stderr
    assert res.stderr == b""                               # quiet when not a TTY
    files = parts(tmp_path / "out")
    assert set(files) == {"_SUCCESS"} | {f"part-{p:05d}" for p in range(reducers)}
    assert files["_SUCCESS"] == b""
    expected = oracle(data, "python3 m.py", "python3 r.py", str(tmp_path))
    got = b"".join(v for k, v in files.items() if k.startswith("part-"))
    assert lines_of(got) == lines_of(expected)
    for p in range(reducers):
        keys = [line.split(b"\t")[0] for line in files[f"part-{p:05d}"].splitlines()]
        assert keys == sorted(keys)                         # each part sorted by key bytes
        assert all(hash_partition(k, reducers) == p for k in keys)


def test_part_placement_matches_hadoop_observation(tmp_path, script, run):
    (tmp_path / "in.txt").write_bytes(b"the quick brown fox\njumps over the lazy dog\n")
    script("m.py", WC_MAP)
    script("r.py", WC_REDUCE)
    assert run("-D", "mapreduce.job.reduces=3", "-input", "in.txt", "-output", "out",
               "-file", "m.py", "-mapper", "python3 m.py", "-file", "r.py", "-reducer", "python3 r.py").returncode == 0
    files = parts(tmp_path / "out")
    assert b"dog\t1\n" in files["part-00000"]
    assert b"fox\t1\n" in files["part-00001"] and b"the\t2\n" in files["part-00001"]


def test_empty_and_binary_keys_and_trailing_tab_rules(tmp_path, script, run):
    # cat/cat: lines without a tab come out with a trailing tab, empty lines as "\t".
    data = b"\tvalue-of-empty-key\nnotab\n\n\xff\xfe\tbin\na\tb\tc\n"
    (tmp_path / "in.txt").write_bytes(data)
    script("cat.py", CAT)
    res = run("-input", "in.txt", "-output", "out", "-file", "cat.py", "-mapper", "python3 cat.py",
              "-reducer", "python3 cat.py", "-numReduceTasks", "3")
    assert res.returncode == 0, res.stderr
    files = parts(tmp_path / "out")
    got = lines_of(b"".join(v for k, v in files.items() if k.startswith("part-")))
    assert got == lines_of(b"\tvalue-of-empty-key\nnotab\t\n\t\n\xff\xfe\tbin\na\tb\tc\n")
    assert b"\tvalue-of-empty-key\n" in files[f"part-{hash_partition(b'', 3):05d}"]
    assert b"\xff\xfe\tbin\n" in files[f"part-{hash_partition(bytes([255, 254]), 3):05d}"]


def test_reducer_reads_key_tab_value_even_for_empty_values(tmp_path, script, run):
    (tmp_path / "in.txt").write_bytes(b"foo\nbar\tx\n")
    script("cat.py", CAT)
    script("show.py", "import sys\nfor l in sys.stdin.buffer: sys.stdout.buffer.write(repr(l).encode() + b'\\n')\n")
    assert run("-D", "stream.reduce.output=keyonlytext", "-input", "in.txt", "-output", "out",
               "-file", "cat.py", "-mapper", "python3 cat.py",
               "-file", "show.py", "-reducer", "python3 show.py").returncode == 0
    assert (tmp_path / "out" / "part-00000").read_bytes() == b"b'bar\\tx\\n'\nb'foo\\t\\n'\n"


def test_map_only_one_part_per_map_in_input_order(tmp_path, script, run):
    (tmp_path / "a.txt").write_bytes(b"z\nnotab\n")
    (tmp_path / "b.txt").write_bytes(b"k\tv\n")
    script("cat.py", CAT)
    res = run("-input", "a.txt,b.txt", "-output", "out", "-file", "cat.py", "-mapper", "python3 cat.py",
              "-numReduceTasks", "0")
    assert res.returncode == 0, res.stderr
    assert parts(tmp_path / "out") == {"_SUCCESS": b"", "part-00000": b"z\t\nnotab\t\n",
                                       "part-00001": b"k\tv\n"}
    res = run("-D", "stream.map.output=keyonlytext", "-input", "a.txt", "-output", "out2",
              "-file", "cat.py", "-mapper", "python3 cat.py", "-reducer", "NONE")
    assert parts(tmp_path / "out2")["part-00000"] == b"z\nnotab\n"


def test_secondary_sort_keyfield_partitioner_and_comparator(tmp_path, script, run):
    rows = [(k, v) for k in (b"a", b"b", b"c") for v in (2, 20, 3, 1, 10, 5, 7, 4)]
    random.Random(3).shuffle(rows)
    (tmp_path / "in.txt").write_bytes(b"".join(k + b"\t%d\n" % v for k, v in rows))
    script("cat.py", CAT)
    res = run("-D", "stream.num.map.output.key.fields=2",
              "-D", "mapreduce.partition.keypartitioner.options=-k1,1",
              "-D", "mapreduce.job.output.key.comparator.class="
                    "org.apache.hadoop.mapreduce.lib.partition.KeyFieldBasedComparator",
              "-D", "mapreduce.partition.keycomparator.options=-k1,1 -k2,2nr",
              "-input", "in.txt", "-output", "out", "-file", "cat.py", "-mapper", "python3 cat.py",
              "-reducer", "python3 cat.py", "-numReduceTasks", "3",
              "-partitioner", "org.apache.hadoop.mapred.lib.KeyFieldBasedPartitioner")
    assert res.returncode == 0, res.stderr
    files = parts(tmp_path / "out")
    # Observed on Hadoop 3.5: a in part 1, b in part 2, c in part 0.
    desc = b"".join(b"\t%d\t\n" % v for v in (20, 10, 7, 5, 4, 3, 2, 1))
    assert files["part-00001"] == desc.replace(b"\t", b"a\t", 1).replace(b"\n\t", b"\na\t")
    assert files["part-00002"].startswith(b"b\t20\t\nb\t10\t\n")
    assert files["part-00000"].splitlines()[-1] == b"c\t1\t"


def test_combiner_same_answer_and_counters(tmp_path, script, run):
    data = words(3000, seed=11)
    (tmp_path / "in.txt").write_bytes(data)
    script("m.py", WC_MAP)
    script("r.py", WC_REDUCE)
    res = run("-input", "in.txt", "-output", "out", "-file", "m.py", "-mapper", "python3 m.py", "-reducer",
              "python3 r.py", "-file", "r.py", "-combiner", "python3 r.py", "-numReduceTasks", "2",
              "--stats", "stats.json", "--memory", "256K")
    assert res.returncode == 0, res.stderr
    got = b"".join(v for k, v in parts(tmp_path / "out").items() if k.startswith("part-"))
    assert lines_of(got) == lines_of(oracle(data, "python3 m.py", "python3 r.py", str(tmp_path)))
    c = json.loads((tmp_path / "stats.json").read_text())["counters"]
    fw = "Map-Reduce Framework."
    assert c[fw + "Combine input records"] == c[fw + "Map output records"] == sum(len(l.split()) for l in data.splitlines())
    assert c[fw + "Combine output records"] < c[fw + "Combine input records"]
    assert c[fw + "Reduce input records"] == c[fw + "Combine output records"]


def test_environment_of_tasks(tmp_path, script, run):
    (tmp_path / "in.txt").write_bytes(b"x\n")
    script("env.py", """
import os, sys
sys.stdin.read()
for k in ("mapreduce_task_partition", "mapreduce_task_ismap", "map_input_file",
          "mapreduce_map_input_file", "mapreduce_map_input_start", "mapreduce_job_reduces",
          "my_other_key", "MYVAR", "mapred_task_is_map"):
    print(k + "=" + os.environ.get(k, "<unset>"))
print("attempt=" + os.environ["mapreduce_task_attempt_id"].split("_", 2)[0])
print("tmpdir_ok=%s" % os.path.isdir(os.environ["TMPDIR"]))
print("cwd_is_pwd=%s" % (os.getcwd() == os.environ["PWD"]))
""")
    res = run("-D", "my.other-key=2", "-input", "in.txt", "-output", "out", "-file", "env.py", "-mapper",
              "python3 env.py", "-numReduceTasks", "0", "-cmdenv", "MYVAR=hello")
    assert res.returncode == 0, res.stderr
    env = dict(l.rstrip(b"\t").split(b"=", 1) for l in (tmp_path / "out/part-00000").read_bytes().splitlines())
    assert env[b"mapreduce_task_partition"] == b"0"
    assert env[b"mapreduce_task_ismap"] == b"true" and env[b"mapred_task_is_map"] == b"true"
    uri = b"file:" + str(tmp_path / "in.txt").encode()
    assert env[b"map_input_file"] == env[b"mapreduce_map_input_file"] == uri
    assert env[b"mapreduce_map_input_start"] == b"0"
    assert env[b"mapreduce_job_reduces"] == b"0"
    assert env[b"my_other_key"] == b"2" and env[b"MYVAR"] == b"hello"
    assert env[b"attempt"] == b"attempt" and env[b"tmpdir_ok"] == b"True" and env[b"cwd_is_pwd"] == b"True"


def test_reporter_counters_and_status(tmp_path, script, run):
    (tmp_path / "in.txt").write_bytes(b"a b\nc\n")
    script("m.py", """
import sys
for line in sys.stdin:
    for w in line.split():
        print(w + "\\t1")
        sys.stderr.write("reporter:counter:My Group,Words,1\\n")
sys.stderr.write("reporter:counter:Bad,Line\\n")
sys.stderr.write("reporter:status:halfway\\n")
sys.stderr.write("an ordinary log line\\n")
""")
    script("cat.py", CAT)
    res = run("-input", "in.txt", "-output", "out", "-file", "m.py", "-mapper", "python3 m.py", "-reducer",
              "python3 cat.py", "-file", "cat.py", "--stats", "s.json", "--verbose")
    assert res.returncode == 0, res.stderr
    counters = json.loads((tmp_path / "s.json").read_text())["counters"]
    assert counters["My Group.Words"] == 3
    assert not any(k.startswith("Bad.") for k in counters)
    assert b"Words=3" in res.stderr and b"Map input records=2" in res.stderr


def test_file_shipping_runs_from_any_cwd(tmp_path, script, run):
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "wc_map.py").write_text(WC_MAP)              # not executable on purpose
    (tmp_path / "in.txt").write_bytes(b"b a b\n")
    res = run("-input", "in.txt", "-output", "out", "-mapper", "wc_map.py",
              "-file", "scripts/wc_map.py", "-reducer", "NONE")
    assert res.returncode != 0                               # no shebang: not runnable as is
    (scripts / "wc_map.py").write_text("#!/usr/bin/env python3\n" + WC_MAP)
    res = run("-input", "in.txt", "-output", "out2", "-mapper", "wc_map.py",
              "-file", "scripts/wc_map.py", "-reducer", "NONE")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out2/part-00000").read_bytes() == b"b\t1\na\t1\nb\t1\n"
    assert not os.access(scripts / "wc_map.py", os.X_OK)    # the user's file is untouched


def test_gzip_input_and_output(tmp_path, script, run):
    (tmp_path / "in.gz").write_bytes(gzip.compress(words(500)))
    script("m.py", WC_MAP)
    script("r.py", WC_REDUCE)
    res = run("-D", "mapreduce.output.fileoutputformat.compress=true",
              "-D", "mapreduce.output.fileoutputformat.compress.codec=org.apache.hadoop.io.compress.GzipCodec",
              "-input", "in.gz", "-output", "out", "-file", "m.py", "-mapper", "python3 m.py", "-file", "r.py", "-reducer", "python3 r.py",
              "-numReduceTasks", "2")
    assert res.returncode == 0, res.stderr
    assert sorted(os.listdir(tmp_path / "out")) == ["_SUCCESS", "part-00000.gz", "part-00001.gz"]
    got = b"".join(gzip.decompress((tmp_path / "out" / n).read_bytes()) for n in ("part-00000.gz", "part-00001.gz"))
    assert lines_of(got) == lines_of(oracle(words(500), "python3 m.py", "python3 r.py", str(tmp_path)))


def test_output_to_stdout_streams_parts_in_order(tmp_path, script, run):
    (tmp_path / "in.txt").write_bytes(b"the quick brown fox\njumps over the lazy dog\n")
    script("m.py", WC_MAP)
    script("r.py", WC_REDUCE)
    res = run("-input", "in.txt", "-output", "-", "-file", "m.py", "-mapper", "python3 m.py", "-file", "r.py", "-reducer", "python3 r.py",
              "-numReduceTasks", "3")
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith(b"dog\t1\n")               # part-00000 first
    assert len(res.stdout.splitlines()) == 8
    assert sorted(os.listdir(tmp_path)) == ["in.txt", "m.py", "r.py"]


def test_shuffle_values_mode_breaks_order_dependent_reducers(tmp_path, script, run):
    (tmp_path / "in.txt").write_bytes(b"".join(b"k\t%03d\n" % i for i in range(200)))
    script("cat.py", CAT)
    script("first.py", "import sys\nprint(next(iter(sys.stdin)).rstrip())\nsys.stdin.read()\n")
    outs = set()
    for seed in (1, 2):
        res = run("-input", "in.txt", "-output", f"o{seed}", "-file", "cat.py", "-mapper", "python3 cat.py",
                  "-file", "first.py", "-reducer", "python3 first.py", "--shuffle-values", "--seed", str(seed))
        assert res.returncode == 0, res.stderr
        outs.add((tmp_path / f"o{seed}" / "part-00000").read_bytes())
    assert len(outs) == 2                                   # order varies with the seed


def test_map_tasks_are_numbered_largest_split_first_like_jobsubmitter(tmp_path, script, run):
    (tmp_path / "a_small.txt").write_bytes(b"small\n")
    (tmp_path / "b_big.txt").write_bytes(b"big big big\n")
    (tmp_path / "c_mid.txt").write_bytes(b"middle\n")
    (tmp_path / "d_mid.txt").write_bytes(b"middl2\n")     # same size as c: keeps input order
    script("cat.py", CAT)
    res = run("-input", "a_small.txt,b_big.txt,c_mid.txt,d_mid.txt", "-output", "out",
              "-file", "cat.py", "-mapper", "python3 cat.py", "-numReduceTasks", "0")
    assert res.returncode == 0, res.stderr
    files = parts(tmp_path / "out")
    assert [files[f"part-{i:05d}"] for i in range(4)] == [b"big big big\t\n", b"middle\t\n",
                                                          b"middl2\t\n", b"small\t\n"]
