"""`streamkit spark` gets --sample, --merge-previous and --total-order from the same worker
code as `streamkit run`: the same sampled records, f(A + B), globally sorted parts."""
import json
import random

import pytest

from conftest import spark, streamkit

pytestmark = pytest.mark.spark


def ok(done):
    assert done.returncode == 0, done.stderr.decode()
    return done


def parts(out):
    return b"".join(p.read_bytes() for p in sorted(out.glob("part-*")))


def test_spark_sample_merge_previous_and_total_order_match_streamkit_run(sc, tmp_path):
    rng = random.Random(5)
    words = [f"w{i:04d}" for i in range(800)]
    (tmp_path / "a.txt").write_text("".join(" ".join(rng.choice(words) for _ in range(4)) + "\n"
                                            for _ in range(6000)))
    (tmp_path / "b.txt").write_text("w0001 w0002 zzz\n")
    (tmp_path / "m.py").write_text("import sys\nfor l in sys.stdin:\n    for w in l.split():\n"
                                   "        print(w + '\\t1')\n")
    (tmp_path / "r.py").write_text(
        "import sys\nc, n = None, 0\nfor l in sys.stdin:\n    k, v = l.rstrip('\\n').split('\\t')\n"
        "    if k != c:\n        if c is not None: print(f'{c}\\t{n}')\n        c, n = k, 0\n"
        "    n += int(v)\nif c is not None: print(f'{c}\\t{n}')\n")
    job = ["-files", "m.py,r.py", "-mapper", "python3 m.py", "-reducer", "python3 r.py"]

    # --sample: the records streamkit run keeps, with other splits
    ok(streamkit("run", "-D", "fs.local.block.size=30000", "-input", "a.txt", "-output", "run-s",
                 "-mapper", "cat", "-reducer", "NONE", "--sample", "0.1", "--seed", "4",
                 cwd=str(tmp_path)))
    report = spark(sc, tmp_path, "-input", "a.txt", "-output", "spark-s", "-mapper", "cat",
                   "-reducer", "NONE", "--sample", "0.1", "--seed", "4")
    assert sorted(parts(tmp_path / "spark-s").split(b"\n")) == sorted(parts(tmp_path / "run-s").split(b"\n"))
    assert report.counters[("streamkit", "Sample skipped records")] > 5000

    # --merge-previous: f(A) from streamkit run, + B on Spark = f(A + B)
    ok(streamkit("run", *job[:2], "-input", "a.txt", "-output", "fa", *job[2:], "-numReduceTasks", "2",
                 cwd=str(tmp_path)))
    ok(streamkit("run", *job[:2], "-input", "a.txt,b.txt", "-output", "fab-run", *job[2:],
                 "-numReduceTasks", "3", cwd=str(tmp_path)))
    report = spark(sc, tmp_path, *job[:2], "-input", "b.txt", "-output", "fab", *job[2:],
                   "-numReduceTasks", "3", "--merge-previous", "fa")
    assert parts(tmp_path / "fab") == parts(tmp_path / "fab-run")
    assert report.counters[("streamkit", "Previous output records")] == 800

    # --total-order: Spark's parts concatenate to the one-reducer output
    ok(streamkit("run", *job[:2], "-input", "a.txt", "-output", "one", *job[2:], cwd=str(tmp_path)))
    report = spark(sc, tmp_path, *job[:2], "-input", "a.txt", "-output", "sorted", *job[2:],
                   "-numReduceTasks", "3", "--total-order")
    assert parts(tmp_path / "sorted") == parts(tmp_path / "one")
    assert all(n > 0 for n in report.partition_records)
    figures = report.to_json()
    assert len(figures["partitions"]) == 3 and figures["phases"]["sample"]["split_points"] == 2
    assert sum(t["records_in"] for t in figures["map_tasks"]) == 6000
    json.dumps(figures)
