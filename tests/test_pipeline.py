"""Multi-step jobs (streamkit/pipeline.py): `streamkit run JOB.toml` as a real subprocess.

Each job's answer is checked against a computation in the test itself (Counter, sorted);
temporary outputs must leave nothing in $TMPDIR; bad job files are one line, exit 2,
before anything runs. The Spark test runs the engine on one module-scoped context.
"""
import json
import os
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from conftest import ROOT, streamkit

TEXT = b"the quick brown fox\nthe lazy dog\nthe fox jumps\n" * 5
WC_MAP = """\
import sys
for line in sys.stdin:
    for word in line.split():
        print(f"{word}\\t1")
"""
WC_REDUCE = """\
import sys
counts = {}
for line in sys.stdin:
    key, value = line.rstrip("\\n").split("\\t")
    counts[key] = counts.get(key, 0) + int(value)
for key in sorted(counts):
    print(f"{key}\\t{counts[key]}")
"""
# count TAB word, keyed by the zero-padded count so the shuffle sorts by it
BY_COUNT_MAP = """\
import sys
for line in sys.stdin:
    word, count = line.rstrip("\\n").split("\\t")
    print(f"{int(count):06d}\\t{word}")
"""


@pytest.fixture
def job(tmp_path, script):
    """A work dir holding the word-count scripts and in.txt; write(name, toml) adds a job file."""
    (tmp_path / "in.txt").write_bytes(TEXT)
    script("wc_map.py", WC_MAP)
    script("wc_reduce.py", WC_REDUCE)
    script("by_count.py", BY_COUNT_MAP)
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()

    class Job:
        root = tmp_path
        tmpdir = tmp

        def write(self, name, text):
            (tmp_path / name).write_bytes(textwrap.dedent(text).encode("utf-8", "surrogateescape"))
            return name

        def run(self, *args, cwd=None, **kw):
            return streamkit(*args, cwd=str(cwd or tmp_path), env={"TMPDIR": str(tmp)}, **kw)

        def parts(self, out):
            out = tmp_path / out
            return b"".join((out / p).read_bytes() for p in sorted(os.listdir(out)) if p.startswith("part-"))

    return Job()


def word_counts():
    return Counter(TEXT.split())


def one_line(done) -> str:
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("streamkit: "), done.stderr.decode()
    return lines[0]


CHAIN = """\
input = "in.txt"
output = "out"

[[step]]
name = "count"
files = ["wc_map.py", "wc_reduce.py"]
mapper = "python3 wc_map.py"
reducer = "python3 wc_reduce.py"
reducers = 3

[[step]]
name = "by_count"
files = ["by_count.py"]
mapper = "python3 by_count.py"
reducer = "cat"
D = { "mapreduce.job.reduces" = 1 }
"""


def test_two_step_chain_feeds_each_output_to_the_next(job):
    done = job.run("run", job.write("job.toml", CHAIN), "--jobs", "2")
    assert done.returncode == 0, done.stderr.decode()
    expected = sorted(f"{n:06d}\t{w.decode()}\n" for w, n in word_counts().items())
    assert job.parts("out").decode() == "".join(expected)
    assert (job.root / "out" / "_SUCCESS").exists()
    assert os.listdir(job.tmpdir) == []  # step 1's output was temporary


def test_job_file_from_another_directory_and_output_to_stdout(job):
    """Paths in the job file are relative to the file; -output - streams the last step."""
    job.write("job.toml", CHAIN)
    elsewhere = job.root / "elsewhere"
    elsewhere.mkdir()
    done = job.run("run", str(job.root / "job.toml"), "-output", "-", cwd=elsewhere)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode() == "".join(sorted(f"{n:06d}\t{w.decode()}\n" for w, n in word_counts().items()))
    assert not (job.root / "out").exists() and os.listdir(elsewhere) == []
    assert os.listdir(job.tmpdir) == []


def test_join_step_reads_two_earlier_outputs_and_a_glob(job, script):
    (job.root / "other.txt").write_bytes(b"fox fox cat\n")
    (job.root / "extra").mkdir()
    (job.root / "extra" / "e.txt").write_bytes(b"dog\t100\n")
    script("join.py", """\
        import sys
        rows = {}
        for line in sys.stdin:
            key, value = line.rstrip("\\n").split("\\t")
            rows.setdefault(key, []).append(int(value))
        for key in sorted(rows):
            print(f"{key}\\t{sum(rows[key])}\\t{len(rows[key])}")
        """)
    job.write("join.toml", """\
        [[step]]
        name = "left"
        input = "in.txt"
        files = ["wc_map.py", "wc_reduce.py"]
        mapper = "python3 wc_map.py"
        reducer = "python3 wc_reduce.py"

        [[step]]
        name = "right"
        input = "other.txt"
        files = ["wc_map.py", "wc_reduce.py"]
        mapper = "python3 wc_map.py"
        reducer = "python3 wc_reduce.py"
        reducers = 2

        [[step]]
        name = "join"
        input = ["left", "right", "extra/*.txt"]
        output = "joined"
        files = ["join.py"]
        mapper = "cat"
        reducer = "python3 join.py"
        """)
    done = job.run("run", "join.toml")
    assert done.returncode == 0, done.stderr.decode()
    rows = {}
    for data in (TEXT, b"fox fox cat\n"):
        for word, n in Counter(data.split()).items():
            rows.setdefault(word.decode(), []).append(n)
    rows["dog"].append(100)
    expected = "".join(f"{k}\t{sum(v)}\t{len(v)}\n" for k, v in sorted(rows.items()))
    assert job.parts("joined").decode() == expected
    assert os.listdir(job.tmpdir) == []


def test_command_step_gets_the_parts_on_stdin_and_runs_beside_the_job_file(job, script):
    script("top.py", """\
        import sys
        rows = sorted((line.split("\\t") for line in sys.stdin), key=lambda r: -int(r[1]))
        for word, count in rows[:2]:
            print(f"{word} {count.strip()}")
        """)
    job.write("top.toml", """\
        input = "in.txt"
        output = "top"

        [[step]]
        name = "count"
        files = ["wc_map.py", "wc_reduce.py"]
        mapper = "python3 wc_map.py"
        reducer = "python3 wc_reduce.py"
        reducers = 3

        [[step]]
        name = "report"
        command = "python3 top.py | tr a-z A-Z"
        """)
    elsewhere = job.root / "elsewhere"
    elsewhere.mkdir()
    done = job.run("run", "../top.toml", cwd=elsewhere)
    assert done.returncode == 0, done.stderr.decode()
    assert sorted(os.listdir(job.root / "top")) == ["_SUCCESS", "part-00000"]
    assert job.parts("top") == b"THE 15\nFOX 10\n"
    assert os.listdir(job.tmpdir) == []


def test_kept_outputs_stay_and_temporary_ones_leave_nothing(job):
    job.write("kept.toml", """\
        input = "in.txt"
        output = "out"

        [[step]]
        name = "count"
        keep = true
        files = ["wc_map.py", "wc_reduce.py"]
        mapper = "python3 wc_map.py"
        reducer = "python3 wc_reduce.py"

        [[step]]
        name = "by_count"
        files = ["by_count.py"]
        mapper = "python3 by_count.py"

        [[step]]
        name = "again"
        output = "copy"
        input = "count"
        mapper = "cat"
        reducers = 0

        [[step]]
        name = "last"
        input = ["by_count", "again"]
        mapper = "cat"
        """)
    done = job.run("run", "kept.toml")
    assert done.returncode == 0, done.stderr.decode()
    counts = "".join(f"{w.decode()}\t{n}\n" for w, n in sorted(word_counts().items()))
    assert job.parts("kept.steps/count").decode() == counts
    assert (job.root / "kept.steps" / "count" / "_SUCCESS").exists()
    assert job.parts("copy").decode() == counts  # a named output is kept
    assert sorted(os.listdir(job.root / "kept.steps")) == ["count"]  # by_count was temporary
    assert os.listdir(job.tmpdir) == []
    assert len(job.parts("out").splitlines()) == 2 * len(word_counts())


def test_a_failing_step_is_named_leaves_no_final_output_and_suggests_resume(job):
    job.write("fail.toml", """\
        input = "in.txt"
        output = "out"

        [[step]]
        name = "count"
        keep = true
        files = ["wc_map.py", "wc_reduce.py"]
        mapper = "python3 wc_map.py"
        reducer = "python3 wc_reduce.py"

        [[step]]
        name = "by_count"
        mapper = "sh -c 'exit 3'"
        """)
    done = job.run("run", "fail.toml")
    assert done.returncode == 1
    line = one_line(done)
    assert line.startswith('streamkit: step 2 "by_count" failed: map task 1 of 1 ')
    assert "subprocess failed with code 3" in line and "rerun with --resume" in line
    assert not (job.root / "out").exists()
    assert (job.root / "fail.steps" / "count" / "_SUCCESS").exists()
    assert os.listdir(job.tmpdir) == []


def test_resume_skips_the_steps_whose_output_is_complete(job):
    marker = job.root / "marker"
    flag = job.root / "fail-now"
    job.write("resume.toml", f"""\
        input = "in.txt"
        output = "out"

        [[step]]
        name = "count"
        keep = true
        files = ["wc_map.py", "wc_reduce.py"]
        mapper = "sh -c 'echo ran >> {marker}; python3 wc_map.py'"
        reducer = "python3 wc_reduce.py"

        [[step]]
        name = "by_count"
        files = ["by_count.py"]
        mapper = "python3 by_count.py"

        [[step]]
        name = "last"
        mapper = "sh -c 'test ! -e {flag} && cat'"
        """)
    flag.touch()
    first = job.run("run", "resume.toml")
    assert first.returncode == 1 and 'step 3 "last" failed' in one_line(first)
    assert marker.read_text() == "ran\n" and not (job.root / "out").exists()
    flag.unlink()
    again = job.run("run", "resume.toml")  # without --resume: the kept output is in the way
    assert again.returncode == 5
    assert 'step 1 "count": output directory' in one_line(again) and "--resume" in one_line(again)
    resumed = job.run("run", "resume.toml", "--resume")
    assert resumed.returncode == 0, resumed.stderr.decode()
    assert marker.read_text() == "ran\n"  # step 1 did not run again; steps 2 and 3 did
    expected = sorted(f"{n:06d}\t{w.decode()}\n" for w, n in word_counts().items())
    assert job.parts("out").decode() == "".join(expected)
    stats = job.root / "s.json"
    nothing = job.run("run", "resume.toml", "--resume", "--stats", str(stats))
    assert nothing.returncode == 0, nothing.stderr.decode()
    assert [s["skipped"] for s in json.loads(stats.read_text())["steps"]] == [True, True, True]
    assert marker.read_text() == "ran\n"
    assert os.listdir(job.tmpdir) == []


BAD = [
    ("toml-syntax", 'input = "in.txt"\n\n[[step]]\nmapper = cat\n',
     ["bad.toml: not valid TOML:", "line 4"]),
    ("unknown-key", '[[step]]\ninput = "in.txt"\noutput = "o"\nmapperr = "cat"\n',
     ['bad.toml: step 1 "step1": unknown key \'mapperr\'']),
    ("missing-mapper", '[[step]]\ninput = "in.txt"\noutput = "o"\nreducer = "cat"\n',
     ['bad.toml: step 1 "step1": no mapper']),
    ("unknown-step", '[[step]]\nname = "a"\ninput = "in.txt"\nmapper = "cat"\n'
     '[[step]]\ninput = ["a", "nosuch"]\noutput = "o"\nmapper = "cat"\n',
     ['bad.toml: step 2 "step2": input \'nosuch\' names no step of this job (a, step2)']),
    ("cycle", '[[step]]\nname = "a"\ninput = "b"\nmapper = "cat"\n'
     '[[step]]\nname = "b"\ninput = "a"\noutput = "o"\nmapper = "cat"\n',
     ['bad.toml: step 1 "a": input \'b\' is a later step; steps run in file order']),
    ("reads-itself", '[[step]]\nname = "a"\ninput = "a"\noutput = "o"\nmapper = "cat"\n',
     ["input 'a' is this step"]),
    ("bad-option-value", '[[step]]\ninput = "in.txt"\noutput = "o"\nmapper = "cat"\nreducers = "x"\n',
     ['bad.toml: step 1 "step1": -numReduceTasks x: expected a whole number']),
    ("bad-define", '[[step]]\ninput = "in.txt"\noutput = "o"\nmapper = "cat"\n'
     'D = { "mapreduce.task.timeout" = "soon" }\n', ['bad.toml: step 1 "step1": ', "mapreduce.task.timeout"]),
    ("command-and-mapper", '[[step]]\ninput = "in.txt"\noutput = "o"\nmapper = "cat"\ncommand = "cat"\n',
     ["either a command step (command) or a streaming step"]),
    ("duplicate-name", '[[step]]\nname = "a"\ninput = "in.txt"\nmapper = "cat"\nkeep = true\n'
     '[[step]]\nname = "a"\noutput = "o"\nmapper = "cat"\n', ["another step has the name 'a'"]),
    ("no-output", '[[step]]\ninput = "in.txt"\nmapper = "cat"\n', ["no output for the job's last step"]),
    ("unread-temporary", '[[step]]\nname = "a"\ninput = "in.txt"\nmapper = "cat"\n'
     '[[step]]\ninput = "in.txt"\noutput = "o"\nmapper = "cat"\n', ['step 1 "a": its output is never read']),
    ("own-option-in-step", '[[step]]\ninput = "in.txt"\noutput = "o"\nmapper = "cat"\njobs = 2\n',
     ["jobs is streamkit's own option"]),
    ("no-steps", 'input = "in.txt"\n', ["bad.toml: no steps"]),
    ("not-utf8", '[[step]]\nmapper = "\udcff"\n', ["bad.toml: not valid TOML: not UTF-8 at byte 19"]),
    ("stdout-mid-job", '[[step]]\ninput = "in.txt"\noutput = "-"\nmapper = "cat"\n'
     '[[step]]\noutput = "o"\nmapper = "cat"\n', ["output - (stdout) is only for the job's last step"]),
    ("unknown-top-level", 'inputs = "in.txt"\n[[step]]\nmapper = "cat"\n', ["unknown top-level key 'inputs'"]),
]


@pytest.mark.parametrize("text, expected", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_job_files_are_one_line_exit_2_before_anything_runs(job, text, expected):
    done = job.run("run", job.write("bad.toml", text))
    assert done.returncode == 2, done.stderr.decode()
    line = one_line(done)
    for fragment in expected:
        assert fragment in line
    assert not (job.root / "o").exists() and not (job.root / "bad.steps").exists()
    assert os.listdir(job.tmpdir) == []


def test_command_line_after_the_job_file_takes_only_the_jobs_options(job):
    job.write("job.toml", CHAIN)
    done = job.run("run", "job.toml", "-mapper", "cat")
    assert done.returncode == 2 and "-mapper: a job file's steps carry their own options" in one_line(done)
    done = job.run("run", "job.toml", "--jobs", "many")
    assert done.returncode == 2 and "--jobs many: expected a number" in one_line(done)
    missing = job.run("run", "nosuch.toml")
    assert missing.returncode == 2 and "nosuch.toml: no such job file" in one_line(missing)
    # a job file's -input/-output on the command line replace the file's
    (job.root / "in2.txt").write_bytes(b"a a b\n")
    done = job.run("run", "job.toml", "-input", "in2.txt", "-output", "out2")
    assert done.returncode == 0, done.stderr.decode()
    assert job.parts("out2") == b"000001\tb\n000002\ta\n" and not (job.root / "out").exists()


# ---------------------------------------------------------------- other engines

HADOOP_JOB = """\
input = "hdfs:///data/logs"
output = "wordcount"

[[step]]
name = "count"
D = { "mapreduce.job.reduces" = 3, "mapreduce.map.speculative" = false }
files = ["wc_map.py", "wc_reduce.py"]
mapper = "python3 wc_map.py"
combiner = "python3 wc_reduce.py"
reducer = "python3 wc_reduce.py"
cmdenv = { LC_ALL = "C" }

[[step]]
name = "by_count"
files = ["by_count.py"]
mapper = "python3 by_count.py"
reducer = "org.apache.hadoop.mapred.lib.IdentityReducer"
partitioner = "org.apache.hadoop.mapred.lib.KeyFieldBasedPartitioner"
lazyOutput = true
"""

HADOOP_DRY_RUN = """\
# step 1 "count"
mapred streaming \\
  -D mapreduce.job.reduces=3 \\
  -D mapreduce.map.speculative=false \\
  -files wc_map.py,wc_reduce.py \\
  -mapper 'python3 wc_map.py' \\
  -combiner 'python3 wc_reduce.py' \\
  -reducer 'python3 wc_reduce.py' \\
  -cmdenv LC_ALL=C \\
  -input hdfs:///data/logs \\
  -output hadoop.steps/count

# step 2 "by_count"
mapred streaming \\
  -files by_count.py \\
  -mapper 'python3 by_count.py' \\
  -reducer org.apache.hadoop.mapred.lib.IdentityReducer \\
  -partitioner org.apache.hadoop.mapred.lib.KeyFieldBasedPartitioner \\
  -lazyOutput \\
  -input hadoop.steps/count \\
  -output wordcount
"""


def test_hadoop_dry_run_prints_every_step_in_order(job):
    bin_dir = job.root / "bin"
    bin_dir.mkdir()
    (bin_dir / "mapred").write_text("#!/bin/sh\necho 'the dry run ran mapred' >&2\nexit 1\n")
    (bin_dir / "mapred").chmod(0o755)
    job.write("hadoop.toml", HADOOP_JOB)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HADOOP_")}
    env["PATH"] = str(bin_dir)
    for args in (["hadoop.toml", "--dry-run"], ["--dry-run", "hadoop.toml"]):
        done = streamkit("hadoop", *args, cwd=str(job.root), env=env)
        assert done.returncode == 0, done.stderr.decode()
        assert done.stdout.decode() == HADOOP_DRY_RUN and done.stderr == b""


def test_hadoop_refuses_a_command_step_before_submitting_anything(job):
    job.write("cmd.toml", HADOOP_JOB + '\n[[step]]\nname = "report"\ncommand = "head"\n')
    done = streamkit("hadoop", "cmd.toml", "--dry-run", cwd=str(job.root))
    assert done.returncode == 2
    assert 'cmd.toml: step 3 "report" is a command step; streamkit hadoop submits streaming steps only' in one_line(done)


def test_spark_refuses_a_bad_job_file_before_starting_spark(job):
    done = job.run("spark", job.write("bad.toml", '[[step]]\ninput = "in.txt"\noutput = "o"\nmapperr = "cat"\n'))
    assert done.returncode == 2 and "unknown key 'mapperr'" in one_line(done)
    done = job.run("spark", job.write("job.toml", CHAIN), "--jobs", "2")
    assert done.returncode == 2 and "--jobs is streamkit run's option" in one_line(done)


@pytest.mark.spark
def test_spark_runs_the_same_chain_as_streamkit_run(job, sc, monkeypatch, script):
    from streamkit import pipeline, spark_engine

    script("top.py", "import sys\nsys.stdout.writelines(sorted(sys.stdin)[-2:])\n")
    text = CHAIN + '\n[[step]]\nname = "top"\ncommand = "python3 top.py"\n'
    job.write("job.toml", text.replace('output = "out"', 'output = "local"'))
    done = job.run("run", "job.toml")
    assert done.returncode == 0, done.stderr.decode()
    monkeypatch.chdir(job.root)
    monkeypatch.setenv("TMPDIR", str(job.tmpdir))
    args = pipeline.split_args(["-output", "spark"])
    report = pipeline.run_spark(pipeline.load("job.toml"), args, spark_engine.SparkOptions("local[2]"), sc=sc)
    assert [s.name for s, _ in report.steps] == ["count", "by_count", "top"]
    assert job.parts("spark") == job.parts("local") == b"000010\tfox\n000015\tthe\n"
    assert sorted(os.listdir(job.root / "spark")) == ["_SUCCESS", "part-00000"]
    assert os.listdir(job.tmpdir) == []


def test_the_readme_example_job_file(tmp_path):
    """jobs/wordcount/pipeline.toml, the README's complete example, on a copy of its folder."""
    import shutil

    folder = tmp_path / "wordcount"
    shutil.copytree(Path(ROOT) / "jobs" / "wordcount", folder,
                    ignore=shutil.ignore_patterns("pipeline.steps", "top"))
    done = streamkit("run", str(folder / "pipeline.toml"))
    assert done.returncode == 0, done.stderr.decode()
    assert (folder / "top" / "part-00000").read_bytes() == b"fox\t4\ndog\t3\nquick\t2\n"
    count = folder / "pipeline.steps" / "count"
    assert sorted(p for p in os.listdir(count) if p.startswith("part-")) == ["part-00000", "part-00001"]
    printed = streamkit("run", str(folder / "pipeline.toml"), "--resume", "-output", "-")
    assert printed.returncode == 0, printed.stderr.decode()
    assert printed.stdout == b"fox\t4\ndog\t3\nquick\t2\n"


def test_hadoop_submits_the_steps_in_order_and_names_a_failed_one(tmp_path):
    import hadoop_consoles as consoles
    from test_hadoop_launcher import Cluster

    cluster = Cluster(tmp_path).fake("mapred").replay(consoles.SUCCESS, 0)
    for name in ("wc_map.py", "wc_reduce.py", "by_count.py"):
        cluster.file(name)
    (cluster.cwd / "hadoop.toml").write_text(HADOOP_JOB)
    res = cluster.streamkit("hadoop.toml", "-output", "hdfs:///out/wc", "--stats", "s.json")
    assert res.returncode == 0, res.stderr.decode()
    calls = cluster.calls()
    assert [c[c.index("-output") + 1] for c in calls] == ["hadoop.steps/count", "hdfs:///out/wc"]
    assert calls[1][calls[1].index("-input") + 1] == "hadoop.steps/count"
    stats = json.loads((cluster.cwd / "s.json").read_text())
    assert [s["job_id"] for s in stats["steps"]] == ["job_1764669600000_0007"] * 2
    cluster.argv_file.unlink()
    cluster.replay(consoles.FAILED, 1)
    res = cluster.streamkit("hadoop.toml")
    assert res.returncode == 1 and len(cluster.calls()) == 1
    assert one_line(res).startswith('streamkit: step 1 "count" failed: job job_1764669600000_0008 '
                                    "failed (Hadoop exit 1)")
