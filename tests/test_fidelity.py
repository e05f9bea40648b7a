"""Hadoop 3.5 fidelity, round 2 (issue 8): each test runs the real `streamkit run` and its
docstring states what Hadoop 3.5 Streaming (local mode) does with the same input and options.
The expected bytes were checked against Hadoop 3.5.0's own classes (LocalJobRunner jobs)."""

import json
import os

CAT = "import sys, shutil\nshutil.copyfileobj(sys.stdin.buffer, sys.stdout.buffer)\n"
SHOW = "import sys\nfor l in sys.stdin.buffer: sys.stdout.buffer.write(repr(l).encode() + b'\\n')\n"
TEXT = b"hello\r\nworld\n\nx\ty\n"   # offsets 0, 7, 13, 14


def parts(out):
    return {n: (out / n).read_bytes() for n in sorted(os.listdir(out))}


def one_line_error(res, code):
    assert res.returncode == code, res.stderr
    assert res.stderr.count(b"\n") == 1 and res.stderr.startswith(b"streamkit: "), res.stderr


ENV_DUMP = """
import json, os, sys
sys.stdin.buffer.read()
kind = "map" if os.environ["mapreduce_task_ismap"] == "true" else "reduce"
env = dict(os.environ, LOCAL_DIR_IS_DIR=str(os.path.isdir(os.environ["mapreduce_cluster_local_dir"])))
json.dump(env, open("env-%s-%s.json" % (kind, os.environ["mapreduce_task_partition"]), "w"))
"""


# ------------------------------------------------------------------ 1. task environment

def test_task_environment_is_the_whole_job_conf(tmp_path, script, run):
    """Hadoop 3.5 exports every property of the job conf, defaults included: a mapper sees
    mapreduce_map_output_key_class=org.apache.hadoop.io.Text, mapreduce_task_io_sort_factor=10,
    mapred_output_format_class=org.apache.hadoop.mapred.TextOutputFormat,
    mapreduce_job_output_{key,value}_class=org.apache.hadoop.io.Text and a local dir; only
    reducers see mapreduce_jobtracker_address=local (and mapred_job_tracker=local).
    `-D mapred.reduce.tasks=2` is exported as mapreduce_job_reduces=2 only, never as
    mapred_reduce_tasks; keys the task sets are exported with their old names too
    (map_input_file, mapred_task_id, user_name)."""
    (tmp_path / "in.txt").write_bytes(b"a b\nc\n")
    out_dir = tmp_path / "dumps"
    out_dir.mkdir()
    script("env.py", ENV_DUMP.replace('open("env', f'open("{out_dir}/env'))
    res = run("-D", "mapred.reduce.tasks=2", "-D", "my.other-key=v", "-input", "in.txt",
              "-output", "out", "-file", "env.py", "-mapper", "python3 env.py",
              "-reducer", "python3 env.py")
    assert res.returncode == 0, res.stderr
    m = json.loads((out_dir / "env-map-0.json").read_text())
    r = json.loads((out_dir / "env-reduce-1.json").read_text())
    for env in (m, r):
        assert env["mapreduce_map_output_key_class"] == "org.apache.hadoop.io.Text"
        assert env["mapreduce_map_output_value_class"] == "org.apache.hadoop.io.Text"
        assert env["mapreduce_job_output_key_class"] == "org.apache.hadoop.io.Text"
        assert env["mapreduce_job_output_value_class"] == "org.apache.hadoop.io.Text"
        assert env["mapred_output_format_class"] == "org.apache.hadoop.mapred.TextOutputFormat"
        assert env["mapreduce_task_io_sort_factor"] == "10"
        assert env["mapreduce_job_reduces"] == "2" and "mapred_reduce_tasks" not in env
        assert env["my_other_key"] == "v"
        assert env["stream_map_streamprocessor"] == "python3+env.py"   # URL-encoded, as StreamJob
        assert env["user_name"] == env["mapreduce_job_user_name"]
        assert env["mapred_task_id"] == env["mapreduce_task_attempt_id"]
        assert env["LOCAL_DIR_IS_DIR"] == "True"
        assert env["mapred_local_dir"] == env["mapreduce_cluster_local_dir"]
        assert env["HADOOP_ROOT_LOGGER"] == ""
        assert len([k for k in env if k.startswith("yarn_")]) > 500   # yarn-default.xml too
    assert m["map_input_file"] == m["mapreduce_map_input_file"] == "file:" + str(tmp_path / "in.txt")
    assert "mapreduce_jobtracker_address" not in m
    assert r["mapreduce_jobtracker_address"] == r["mapred_job_tracker"] == "local"
    assert r["mapred_map_tasks"] == r["mapreduce_job_maps"] == "1"
    assert m["mapreduce_cluster_local_dir"] != r["mapreduce_cluster_local_dir"]   # per attempt


# ------------------------------------------------------------------ 2. stream.*.input/output

def test_reduce_input_keyonlytext_sends_keys_only(tmp_path, script, run):
    """`-D stream.reduce.input=keyonlytext`: KeyOnlyTextInputWriter writes the key and a newline,
    once per record; the reducer `cat` here echoes keys, stored as `key<TAB>` lines:
    input a\\t1, b\\t2, a\\t3 -> part-00000 = b"a\\t\\na\\t\\nb\\t\\n"."""
    (tmp_path / "in.txt").write_bytes(b"a\t1\nb\t2\na\t3\n")
    script("show.py", SHOW)
    res = run("-D", "stream.reduce.input=keyonlytext", "-input", "in.txt", "-output", "out",
              "-mapper", "cat", "-reducer", "cat")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out/part-00000").read_bytes() == b"a\t\na\t\nb\t\n"
    res = run("-D", "stream.reduce.input=KeyOnlyText", "-input", "in.txt", "-output", "out2",
              "-mapper", "cat", "-file", "show.py", "-reducer", "python3 show.py",
              "--jobs", "1")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out2/part-00000").read_bytes() == b"b'a\\n'\t\nb'a\\n'\t\nb'b\\n'\t\n"


def test_io_keyonlytext_sets_all_four(tmp_path, run):
    """`-io keyonlytext` sets stream.{map,reduce}.{input,output}: the mapper reads TextInputFormat's
    key alone (the byte offset), the reducer the key alone, and the reducer's lines are written
    verbatim (no trailing tab): lines x, yy -> mapper sees 0, 2 -> part-00000 = b"0\\n2\\n"."""
    (tmp_path / "in.txt").write_bytes(b"x\nyy\n")
    res = run("-input", "in.txt", "-output", "out", "-mapper", "cat", "-reducer", "cat",
              "-io", "keyonlytext")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out/part-00000").read_bytes() == b"0\n2\n"


def test_map_output_keyonlytext_reducer_reads_null_values(tmp_path, run):
    """`-D stream.map.output=keyonlytext` makes each mapper line a key with a NullWritable value;
    the reducer's TextInputWriter writes the value's toString, `(null)`: line `k v` arrives as
    `k v<TAB>(null)` and `cat` stores it unchanged (the first tab splits key and value)."""
    (tmp_path / "in.txt").write_bytes(b"k v\n")
    res = run("-D", "stream.map.output=keyonlytext", "-input", "in.txt", "-output", "out",
              "-mapper", "cat", "-reducer", "cat")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out/part-00000").read_bytes() == b"k v\t(null)\n"


def test_binary_io_ids_are_refused_naming_the_option(tmp_path, run):
    """Hadoop would switch to RawBytes/TypedBytes writers; streamkit does not emulate them and
    says so in one line, exit 2, before anything runs (never silently as text)."""
    (tmp_path / "in.txt").write_bytes(b"a\n")
    for key, value in (("stream.reduce.input", "rawbytes"), ("stream.map.output", "typedbytes"),
                       ("stream.map.input", "csv")):
        res = run("-D", f"{key}={value}", "-input", "in.txt", "-output", "out", "-mapper", "cat")
        one_line_error(res, 2)
        assert f"-D {key}={value}".encode() in res.stderr
    res = run("-input", "in.txt", "-output", "out", "-mapper", "cat", "-io", "rawbytes")
    one_line_error(res, 2)
    assert b"-io rawbytes" in res.stderr and not (tmp_path / "out").exists()


# ------------------------------------------------------------------ 4. ignoreKey

def test_ignore_key_false_shows_byte_offsets(tmp_path, run):
    """`-D stream.map.input.ignoreKey=false` with TextInputFormat: the mapper reads
    `byteoffset<TAB>line`, the offset of the line's first byte (CRLF counts two bytes):
    b"hello\\r\\nworld\\n\\nx\\ty\\n" -> map-only part = b"0\\thello\\n7\\tworld\\n13\\t\\n14\\tx\\ty\\n"."""
    (tmp_path / "in.txt").write_bytes(TEXT)
    res = run("-D", "stream.map.input.ignoreKey=false", "-input", "in.txt", "-output", "out",
              "-mapper", "cat", "-numReduceTasks", "0")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out/part-00000").read_bytes() == b"0\thello\n7\tworld\n13\t\n14\tx\ty\n"


def test_ignore_key_offsets_count_the_bom_and_use_the_uncompressed_stream(tmp_path, run):
    """LineRecordReader's key is the position in the decompressed stream; a BOM at file start is
    dropped from the first line but counted: BOM+"ab\\rcd\\n" gzipped -> `0\\tab`, `6\\tcd`."""
    import gzip
    (tmp_path / "in.gz").write_bytes(gzip.compress(b"\xef\xbb\xbfab\rcd\n"))
    res = run("-D", "stream.map.input.ignoreKey=false", "-input", "in.gz", "-output", "out",
              "-mapper", "cat", "-numReduceTasks", "0")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out/part-00000").read_bytes() == b"0\tab\n6\tcd\n"


def test_ignore_key_with_keyvalue_input(tmp_path, script, run):
    """KeyValueTextInputFormat keeps the key by default (`k1<TAB>v1`; a line without a tab arrives
    as `line<TAB>`); with `-D stream.map.input.ignoreKey=true` the mapper reads the value alone."""
    (tmp_path / "in.txt").write_bytes(b"k1\tv1\nnotab\n")
    script("show.py", SHOW)
    kv = ("-inputformat", "org.apache.hadoop.mapred.KeyValueTextInputFormat")
    res = run("-D", "stream.map.output=keyonlytext", "-input", "in.txt", "-output", "out", *kv,
              "-file", "show.py", "-mapper", "python3 show.py", "-numReduceTasks", "0")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out/part-00000").read_bytes() == b"b'k1\\tv1\\n'\nb'notab\\t\\n'\n"
    res = run("-D", "stream.map.input.ignoreKey=true", "-D", "stream.map.output=keyonlytext",
              "-input", "in.txt", "-output", "out2", *kv, "-file", "show.py",
              "-mapper", "python3 show.py", "-numReduceTasks", "0")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out2/part-00000").read_bytes() == b"b'v1\\n'\nb'\\n'\n"


# ------------------------------------------------------------------ 5. Java classes

def test_identity_mapper_emits_byte_offsets(tmp_path, run):
    """`-mapper org.apache.hadoop.mapred.lib.IdentityMapper` (and no -mapper at all: the same
    default class) passes TextInputFormat's (offset, line): map-only part =
    b"0\\thello\\n7\\tworld\\n13\\t\\n14\\tx\\ty\\n"; with IdentityReducer and 2 reducers keys
    sort as numbers and LongWritable.hashCode % 2 places them: part-00000 = offsets 0, 14,
    part-00001 = 7, 13."""
    (tmp_path / "in.txt").write_bytes(TEXT)
    res = run("-input", "in.txt", "-output", "out", "-mapper",
              "org.apache.hadoop.mapred.lib.IdentityMapper", "-numReduceTasks", "0")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out/part-00000").read_bytes() == b"0\thello\n7\tworld\n13\t\n14\tx\ty\n"
    res = run("-input", "in.txt", "-output", "out2", "-numReduceTasks", "2")
    assert res.returncode == 0, res.stderr
    assert parts(tmp_path / "out2") == {"_SUCCESS": b"", "part-00000": b"0\thello\n14\tx\ty\n",
                                        "part-00001": b"7\tworld\n13\t\n"}


def test_identity_mapper_numeric_order_across_many_offsets(tmp_path, run):
    """With one reducer (IdentityReducer) the offsets come out in numeric order, 2 before 10."""
    (tmp_path / "in.txt").write_bytes(b"a\n" * 12)
    res = run("-input", "in.txt", "-output", "out")
    assert res.returncode == 0, res.stderr
    got = (tmp_path / "out/part-00000").read_bytes()
    assert got == b"".join(b"%d\ta\n" % (2 * i) for i in range(12))


def test_identity_mapper_with_a_reducer_command_fails_like_hadoop(tmp_path, run):
    """IdentityMapper over TextInputFormat emits LongWritable keys; with a reducer command the
    map output key class is Text and Hadoop's map task fails: exit 1, "Type mismatch in key from
    map: expected org.apache.hadoop.io.Text, received org.apache.hadoop.io.LongWritable"."""
    (tmp_path / "in.txt").write_bytes(b"a\n")
    res = run("-input", "in.txt", "-output", "out", "-reducer", "cat")
    one_line_error(res, 1)
    assert (b"Type mismatch in key from map: expected org.apache.hadoop.io.Text, received "
            b"org.apache.hadoop.io.LongWritable") in res.stderr
    assert not (tmp_path / "out").exists()


def test_other_java_classes_are_refused_before_anything_runs(tmp_path, run):
    """Hadoop loads a class for `-mapper org.foo.Bar` if it can; streamkit cannot, so any Java
    class name other than IdentityMapper/IdentityReducer is one usage line, exit 2, and no
    task starts (no "Cannot run program" after 4 attempts). A script named like `m.py` or a
    shipped `My.Script` file is a command, as in Hadoop."""
    (tmp_path / "in.txt").write_bytes(b"a\n")
    for role, name in (("-mapper", "org.foo.Bar"), ("-reducer", "com.x.Y"),
                       ("-combiner", "org.apache.hadoop.mapred.lib.LongSumReducer"),
                       ("-mapper", "org.apache.hadoop.mapred.lib.IdentityReducer")):
        res = run("-input", "in.txt", "-output", "out", role, name, "--log", "runs.log")
        one_line_error(res, 2)
        assert f"{role} {name}: a Java class".encode() in res.stderr
        assert not (tmp_path / "out").exists()
    (tmp_path / "My.Script").write_text("#!/bin/sh\ncat\n")
    res = run("-input", "in.txt", "-output", "out", "-file", "My.Script", "-mapper", "My.Script",
              "-numReduceTasks", "0")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out/part-00000").read_bytes() == b"a\t\n"


# ------------------------------------------------------------------ 6. exec bit

def test_shipped_script_without_exec_bit_runs(tmp_path, run):
    """`-file Task1-mapper.py` with mode 644 and `-mapper ./Task1-mapper.py` (or the bare name,
    or the script's own path): Hadoop runs the task's copy, which is executable; the user's
    file keeps mode 644."""
    src = tmp_path / "Task1-mapper.py"
    src.write_text("#!/usr/bin/env python3\nimport sys\nfor l in sys.stdin: print(l.strip().upper())\n")
    src.chmod(0o644)
    (tmp_path / "in.txt").write_bytes(b"a\nb\n")
    for n, prog in enumerate(("./Task1-mapper.py", "Task1-mapper.py", str(src))):
        res = run("-file", "Task1-mapper.py", "-input", "in.txt", "-output", f"out{n}",
                  "-mapper", prog, "-numReduceTasks", "0")
        assert res.returncode == 0, res.stderr
        assert (tmp_path / f"out{n}/part-00000").read_bytes() == b"A\t\nB\t\n"
    assert src.stat().st_mode & 0o777 == 0o644


# ------------------------------------------------------------------ 7. splits

def _split_starts(tmp_path, run, *defines, size=81):
    (tmp_path / "in.txt").write_bytes(b"".join(b"%d\n" % i for i in range(1, 31))[:size])
    res = run(*[a for d in defines for a in ("-D", d)], "-input", "in.txt", "-output", "out",
              "-mapper", "printenv mapreduce_map_input_start mapreduce_map_input_length",
              "-numReduceTasks", "0", "--stats", "s.json")
    assert res.returncode == 0, res.stderr
    starts = sorted((tmp_path / "out" / p).read_bytes().split() for p in os.listdir(tmp_path / "out")
                    if p.startswith("part-") and (tmp_path / "out" / p).stat().st_size)
    return [(int(a), int(b)) for a, b in starts]


def test_splits_follow_the_old_api_and_ignore_maxsize(tmp_path, run):
    """81-byte file, `-D fs.local.block.size=40 -D mapreduce.input.fileinputformat.split.maxsize=5
    -D mapreduce.job.maps=4`: Hadoop 3.5 local mode cuts size max(1, min(81/1, 40)) = 40 and joins
    the 41-byte tail (41/40 <= 1.1): two maps, (0, 40) and (40, 41); maxsize and the map hint
    change nothing."""
    got = _split_starts(tmp_path, run, "fs.local.block.size=40",
                        "mapreduce.input.fileinputformat.split.maxsize=5", "mapreduce.job.maps=4")
    assert got == [(0, 40), (40, 41)]


def test_maxsize_alone_leaves_one_split_as_hadoop(tmp_path, run):
    """`-D mapreduce.input.fileinputformat.split.maxsize=10` alone: the old API never reads it,
    the block is 32 MiB, so the 81-byte file is one split (0, 81)."""
    assert _split_starts(tmp_path, run, "mapreduce.input.fileinputformat.split.maxsize=10") == [(0, 81)]


def test_old_minsize_alias_sets_the_split_size(tmp_path, run):
    """`-D mapred.min.split.size=1000` (old name of split.minsize) with block size 20: size =
    max(1000, min(81, 20)) = 1000, one split; block 20 alone gives 20-byte splits with a
    21-byte tail: (0,20) (20,20) (40,20) (60,21)."""
    assert _split_starts(tmp_path, run, "mapred.min.split.size=1000", "fs.local.block.size=20") == [(0, 81)]
    (tmp_path / "out").rename(tmp_path / "out-1")
    got = _split_starts(tmp_path, run, "fs.local.block.size=20")
    assert got == [(0, 20), (20, 20), (40, 20), (60, 21)]
