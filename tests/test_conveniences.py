"""Issue 11's conveniences on real `streamkit run` subprocesses: --sample, --merge-previous,
--total-order, and the --stats figures read by `streamkit stats`."""
import gzip
import json
import random

import pytest

from conftest import streamkit

WC_MAP = """\
import sys
for line in sys.stdin:
    for word in line.split():
        print(f"{word}\\t1")
"""
WC_REDUCE = """\
import sys
current, total = None, 0
for line in sys.stdin:
    word, count = line.rstrip("\\n").split("\\t", 1)
    if word != current:
        if current is not None:
            print(f"{current}\\t{total}")
        current, total = word, 0
    total += int(count)
if current is not None:
    print(f"{current}\\t{total}")
"""


@pytest.fixture
def wc(script):
    script("wc_map.py", WC_MAP)
    script("wc_reduce.py", WC_REDUCE)
    return ["-files", "wc_map.py,wc_reduce.py"], ["-mapper", "python3 wc_map.py",
                                                   "-reducer", "python3 wc_reduce.py"]


def words_file(path, lines, seed=1, vocabulary=3000):
    rng = random.Random(seed)
    words = [f"w{rng.randrange(10**6):06d}" for _ in range(vocabulary)]
    path.write_text("".join(" ".join(rng.choice(words) for _ in range(rng.randrange(1, 8))) + "\n"
                            for _ in range(lines)))


def ok(done):
    assert done.returncode == 0, done.stderr.decode()
    return done


def parts(out):
    return b"".join(p.read_bytes() for p in sorted(out.glob("part-*")))


def stats(path):
    return json.loads(path.read_text())


# ---------------------------------------------------------------- --sample

@pytest.fixture
def sample_input(tmp_path):
    """~2.6 MiB (3 sampling windows): duplicated lines, \\r\\n, lone \\r and a BOM."""
    rng = random.Random(7)
    out = [b"\xef\xbb\xbfrecord-start\tbom\n"]
    for i in range(60000):
        line = b"dup\tsame" if i % 5 == 0 else b"r%06d\t%s" % (i, b"x" * rng.randrange(60))
        out.append(line + rng.choice([b"\n", b"\n", b"\r\n", b"\r"]))
    (tmp_path / "in.txt").write_bytes(b"".join(out))
    return "in.txt"


def sampled(run, tmp_path, name, *extra, fraction="0.02", seed="5"):
    ok(run(*extra[:-2], "-input", "in.txt", "-output", name, *extra[-2:], "-reducer", "NONE",
           "--sample", fraction, "--seed", seed, "--stats", name + ".json"))
    lines = sorted(parts(tmp_path / name).split(b"\n")[:-1])
    return lines, stats(tmp_path / (name + ".json"))


@pytest.mark.parametrize("fraction", ["0.02", "0.3"])  # gap draws, and one draw per record
def test_sample_is_the_same_records_whatever_the_split_count(tmp_path, run, sample_input, fraction):
    results, maps = {}, set()
    for block in ("250000", "700000", None):  # many splits, a few, the default planner
        extra = ["-D", f"fs.local.block.size={block}"] if block else []
        results[block], report = sampled(run, tmp_path, f"out{block}", *extra, "-mapper", "cat",
                                         fraction=fraction)
        maps.add(report["num_maps"])
        c = report["counters"]
        kept, skipped = c["Map-Reduce Framework.Map input records"], c["streamkit.Sample skipped records"]
        assert kept == len(results[block]) and kept + skipped == 60001
        assert abs(kept - 60001 * float(fraction)) < 6 * (60001 * float(fraction)) ** 0.5
    assert len(maps) == 3 and min(maps) > 1
    assert results["250000"] == results["700000"] == results[None]
    # the mapper shown the byte-offset keys (the per-line reader) gets the same records
    keyed, _ = sampled(run, tmp_path, "keyed", "-D", "fs.local.block.size=700000", "-D",
                       "stream.map.input.ignoreKey=false", "-mapper", "cut -f2-", fraction=fraction)
    assert keyed == results[None]


def test_sample_draws_duplicates_independently_and_the_seed_decides(tmp_path, run):
    (tmp_path / "in.txt").write_bytes(b"same line\n" * 20000)
    first, _ = sampled(run, tmp_path, "a", "-mapper", "cat", fraction="0.1", seed="1")
    assert 1700 < len(first) < 2300  # a Bernoulli sample of records, not all-or-nothing per line
    again, _ = sampled(run, tmp_path, "b", "-mapper", "cat", fraction="0.1", seed="1")
    assert again == first
    (tmp_path / "in.txt").write_bytes(b"".join(b"%d\n" % i for i in range(20000)))
    one, _ = sampled(run, tmp_path, "c", "-mapper", "cat", fraction="0.1", seed="1")
    other, _ = sampled(run, tmp_path, "d", "-mapper", "cat", fraction="0.1", seed="2")
    assert one != other and len(set(one) & set(other)) < len(one) / 2


def test_sample_reads_compressed_input_and_feeds_the_reducers(tmp_path, run, wc):
    files, commands = wc
    words_file(tmp_path / "words.txt", 20000)
    with gzip.open(tmp_path / "in.txt.gz", "wb") as f:
        f.write((tmp_path / "words.txt").read_bytes())
    for name in ("s1", "s2"):
        ok(run(*files, "-input", "in.txt.gz", "-output", name, *commands, "-numReduceTasks", "2",
               "--sample", "0.05", "--seed", "9", "--stats", name + ".json"))
    assert parts(tmp_path / "s1") == parts(tmp_path / "s2")
    c = stats(tmp_path / "s1.json")["counters"]
    assert 800 < c["Map-Reduce Framework.Map input records"] < 1200
    assert c["Map-Reduce Framework.Map input records"] + c["streamkit.Sample skipped records"] == 20000
    assert stats(tmp_path / "s1.json")["seed"] == 9


@pytest.mark.parametrize("value", ["0", "1.5", "-0.1", "abc", "nan"])
def test_sample_refuses_a_fraction_outside_0_1(tmp_path, run, value):
    (tmp_path / "in.txt").write_text("a\n")
    done = run("-input", "in.txt", "-output", "out", "-mapper", "cat", "--sample", value)
    assert done.returncode == 2 and b"--sample" in done.stderr
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- --merge-previous

def test_merge_previous_gives_f_of_a_plus_b_from_f_of_a_and_b(tmp_path, run, wc):
    files, commands = wc
    words_file(tmp_path / "a.txt", 3000, seed=1, vocabulary=500)
    words_file(tmp_path / "b.txt", 2000, seed=2, vocabulary=500)
    ok(run("-D", "mapreduce.output.fileoutputformat.compress=true", "-D",
           "mapreduce.output.fileoutputformat.compress.codec=org.apache.hadoop.io.compress.GzipCodec",
           *files, "-input", "a.txt", "-output", "fa", *commands, "-numReduceTasks", "2"))
    assert sorted(p.name for p in (tmp_path / "fa").glob("part-*")) == ["part-00000.gz", "part-00001.gz"]
    ok(run(*files, "-input", "b.txt", "-output", "fab", *commands, "-numReduceTasks", "3",
           "--merge-previous", "fa", "--stats", "s.json"))
    ok(run(*files, "-input", "a.txt,b.txt", "-output", "all", *commands, "-numReduceTasks", "3"))
    assert parts(tmp_path / "fab") == parts(tmp_path / "all")  # same keys, same partitions
    previous = sum(1 for p in (tmp_path / "fa").glob("part-*") for _ in gzip.open(p))
    report = stats(tmp_path / "s.json")
    c = report["counters"]
    assert c["streamkit.Previous output records"] == previous
    assert c["Map-Reduce Framework.Map input records"] == 2000          # B's lines only
    assert c["Map-Reduce Framework.Reduce input records"] == c["Map-Reduce Framework.Map output records"]
    assert [t.get("previous", False) for t in report["map_tasks"]][-2:] == [True, True]


def test_merge_previous_with_a_combiner_and_identity_reducer(tmp_path, run, wc):
    files, commands = wc
    (tmp_path / "a.txt").write_text("x y\nx\n")
    (tmp_path / "b.txt").write_text("y z\n")
    ok(run(*files, "-input", "a.txt", "-output", "fa", *commands))
    ok(run(*files, "-input", "b.txt", "-output", "fab", *commands, "-combiner", "python3 wc_reduce.py",
           "--merge-previous", "fa"))
    assert parts(tmp_path / "fab") == b"x\t2\ny\t2\nz\t1\n"
    # IdentityReducer: the previous lines come back as they were, next to the new ones
    ok(run("-input", "b.txt", "-output", "id", "-mapper", "cat", "--merge-previous", "fa"))
    assert parts(tmp_path / "id") == b"x\t2\ny\t1\ny z\t\n"


def test_merge_previous_refuses_what_cannot_work(tmp_path, run):
    (tmp_path / "b.txt").write_text("a\n")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "part-00000").write_text("a\t1\n")
    for args, code, words in [
        (["--merge-previous", "missing"], 5, b"no such directory"),
        (["--merge-previous", "half"], 5, b"no _SUCCESS"),
        (["-reducer", "NONE", "--merge-previous", "half"], 2, b"map-only"),
        (["-reducer", "aggregate", "--merge-previous", "half"], 2, b"aggregate"),
    ]:
        done = run("-input", "b.txt", "-output", "out", "-mapper", "cat", *args)
        assert done.returncode == code, done.stderr
        assert done.stderr.count(b"\n") == 1 and words in done.stderr
        assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- --total-order

def key_order_ok(data, key=lambda k: k):
    keys = [key(line.split(b"\t", 1)[0]) for line in data.split(b"\n")[:-1]]
    return keys == sorted(keys)


@pytest.mark.parametrize("vocabulary", [4000, 300])  # 300: counted (count\tline) spills
def test_total_order_parts_concatenate_to_the_single_reducer_output(tmp_path, run, wc, vocabulary):
    files, commands = wc
    words_file(tmp_path / "in.txt", 6000, vocabulary=vocabulary)
    ok(run(*files, "-input", "in.txt", "-output", "one", *commands))
    ok(run(*files, "-input", "in.txt", "-output", "four", *commands, "-numReduceTasks", "4",
           "--total-order", "--stats", "s.json"))
    assert parts(tmp_path / "four") == parts(tmp_path / "one")
    assert key_order_ok(parts(tmp_path / "four"))
    report = stats(tmp_path / "s.json")
    assert report["phases"]["sample"]["split_points"] == 3
    sizes = report["partition_records"]
    assert min(sizes) > sum(sizes) / 8  # sampled split points spread the keys
    # without --total-order the same job's parts are hash-partitioned: not sorted overall
    ok(run(*files, "-input", "in.txt", "-output", "hashed", *commands, "-numReduceTasks", "4"))
    assert not key_order_ok(parts(tmp_path / "hashed"))


def test_total_order_follows_the_key_comparator_and_streams_to_stdout(tmp_path, run):
    rng = random.Random(3)
    (tmp_path / "in.txt").write_text("".join(f"{rng.randrange(-5000, 5000)}\tv{i}\n" for i in range(5000)))
    numeric = ["-D", "mapreduce.job.output.key.comparator.class="
               "org.apache.hadoop.mapred.lib.KeyFieldBasedComparator",
               "-D", "mapreduce.partition.keycomparator.options=-k1,1nr"]
    one = ok(run(*numeric, "-input", "in.txt", "-output", "-", "-mapper", "cat", "-reducer", "cat")).stdout
    three = ok(run(*numeric, "-input", "in.txt", "-output", "-", "-mapper", "cat", "-reducer", "cat",
                   "-numReduceTasks", "3", "--total-order")).stdout
    assert key_order_ok(three, key=lambda k: -int(k))
    assert sorted(three.split(b"\n")) == sorted(one.split(b"\n"))
    assert [l.split(b"\t")[0] for l in three.split(b"\n")] == [l.split(b"\t")[0] for l in one.split(b"\n")]


def test_total_order_refuses_map_only_and_another_partitioner(tmp_path, run):
    (tmp_path / "in.txt").write_text("a\n")
    for args in (["-reducer", "NONE"],
                 ["-partitioner", "org.apache.hadoop.mapred.lib.KeyFieldBasedPartitioner"]):
        done = run("-input", "in.txt", "-output", "out", "-mapper", "cat", *args, "--total-order")
        assert done.returncode == 2 and b"--total-order" in done.stderr
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- --stats and `streamkit stats`

def test_stats_has_per_task_and_per_partition_figures(tmp_path, run, wc):
    files, commands = wc
    words_file(tmp_path / "in.txt", 4000)
    ok(run("-D", "fs.local.block.size=20000", *files, "-input", "in.txt", "-output", "out", *commands,
           "-numReduceTasks", "3", "--stats", "s.json"))
    report = stats(tmp_path / "s.json")
    for kept in ("counters", "phases", "partition_records", "num_maps", "job_id", "output", "warnings"):
        assert kept in report
    c = report["counters"]
    maps, partitions = report["map_tasks"], report["partitions"]
    assert len(maps) == report["num_maps"] > 1 and len(partitions) == 3
    assert sum(t["records_in"] for t in maps) == c["Map-Reduce Framework.Map input records"] == 4000
    assert sum(t["bytes_in"] for t in maps) == (tmp_path / "in.txt").stat().st_size
    assert sum(t["records_out"] for t in maps) == c["Map-Reduce Framework.Map output records"]
    assert [p["records_in"] for p in partitions] == report["partition_records"]
    assert sum(p["records_out"] for p in partitions) == c["Map-Reduce Framework.Reduce output records"]
    assert sum(p["bytes_out"] for p in partitions) == len(parts(tmp_path / "out"))
    assert all(t["wall_s"] > 0 and t["cpu_s"] >= 0 for t in maps + partitions)
    assert report["phases"]["map"]["records_in"] == 4000
    assert report["phases"]["reduce"]["records_out"] == c["Map-Reduce Framework.Reduce output records"]
    shown = ok(streamkit("stats", "s.json", cwd=str(tmp_path))).stdout.decode()
    assert "phases" in shown and "partitions (3)" in shown and "skew" not in shown
    assert f"{c['Map-Reduce Framework.Map output records']:,}" in shown


def test_stats_command_warns_of_a_skewed_partition(tmp_path, run):
    (tmp_path / "in.txt").write_text("hot\t1\n" * 3000 + "".join(f"k{i}\t1\n" for i in range(30)))
    ok(run("-input", "in.txt", "-output", "out", "-mapper", "cat", "-reducer", "cat",
           "-numReduceTasks", "3", "--stats", "s.json"))
    shown = ok(streamkit("stats", "s.json", cwd=str(tmp_path))).stdout.decode()
    assert "warning: skew: partition" in shown
    assert "combiner" in shown and "more reducers" in shown and "key" in shown
    bad = streamkit("stats", "missing.json", cwd=str(tmp_path))
    assert bad.returncode == 2 and bad.stderr.startswith(b"streamkit: stats missing.json")


@pytest.mark.parametrize("option", [["--sample", "0.1"], ["--merge-previous", "prev"], ["--total-order"]])
def test_hadoop_launcher_refuses_the_local_conveniences_by_name(tmp_path, option):
    done = streamkit("hadoop", "--dry-run", "-input", "in", "-output", "out", "-mapper", "cat",
                     *option, cwd=str(tmp_path))
    assert done.returncode == 2 and option[0].encode() in done.stderr


def test_split_points_and_partitioner_follow_hadoop_total_order():
    from streamkit import total_order

    samples = [b"%03d" % i for i in range(100)]
    points = total_order.split_points(samples, 4)
    assert points == [b"025", b"050", b"075"]                  # Math.round(25.0 * i)
    part = total_order.partitioner(points, 4)
    assert [part(k) for k in (b"", b"024", b"025", b"0255", b"074", b"075", b"\xff")] == [0, 0, 1, 1, 2, 3, 3]
    # duplicates: every point strictly above the previous one; too few keys: fewer points
    assert total_order.split_points([b"a"] * 50 + [b"b"] * 50, 4) == [b"a", b"b"]
    assert total_order.split_points([], 4) == []
    # a comparator (-k1,1nr): points in its order, keys partitioned by it
    from streamkit.keycompare import comparator_key
    desc = comparator_key("-k1,1nr")
    points = total_order.split_points([b"%d" % i for i in range(-50, 50)], 2, desc)
    assert points == [b"-1"]
    part = total_order.partitioner(points, 2, desc)
    assert (part(b"49"), part(b"0"), part(b"-1"), part(b"-50")) == (0, 0, 1, 1)
    long_keys = total_order.reservoir((b"x" * 1000 for _ in range(10)), 5, seed=1)
    assert len(long_keys) == 5 and all(len(k) == total_order.MAX_KEY_BYTES for k in long_keys)
