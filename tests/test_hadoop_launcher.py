"""`streamkit hadoop`: golden --dry-run outputs, and a fake `mapred`/`hadoop` on PATH that
records its argv and replays recorded Hadoop 3 consoles (as mrjob's tests do with
tests/mockhadoop.py). Real-cluster behaviour is checked elsewhere, against Hadoop 3.5."""

import json
import os
import shlex
import signal
import subprocess
import sys
import time

import pytest

import hadoop_consoles as consoles
from conftest import ROOT, STREAMKIT
from streamkit import hadoop_args
from streamkit.errors import UsageError
from streamkit.hadoop_console import ConsoleParser, parse_indented_counters
from streamkit.hadoop_launcher import Options, find_streaming_jar, jar_search_dirs, plan

FAKE = """#!{python}
# A fake `{name}`: records its argv, replays a recorded console (log4j lines to stderr,
# packageJobJar to stdout, as Hadoop does), then exits with $FAKE_RC.
import json, os, sys, time
with open(os.environ["FAKE_ARGV"], "a") as f:
    f.write(json.dumps([os.path.basename(sys.argv[0])] + sys.argv[1:]) + "\\n")
with open(os.environ["FAKE_ARGV"] + ".pid", "w") as f:
    f.write(str(os.getpid()))
if os.environ.get("FAKE_CONSOLE"):
    for line in open(os.environ["FAKE_CONSOLE"]).read().splitlines(keepends=True):
        out = sys.stdout if line.startswith("packageJobJar") else sys.stderr
        out.write(line)
        out.flush()
time.sleep(float(os.environ.get("FAKE_SLEEP", "0")))
sys.exit(int(os.environ.get("FAKE_RC", "0")))
"""


class Cluster:
    """A work dir, a bin dir holding fake Hadoop commands, and an env with nothing else."""

    def __init__(self, tmp_path):
        self.root = tmp_path
        self.cwd = tmp_path / "work"
        self.bin = tmp_path / "bin"
        self.cwd.mkdir()
        self.bin.mkdir()
        self.argv_file = tmp_path / "argv.jsonl"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("HADOOP_")}
        self.env.update(PATH=str(self.bin), FAKE_ARGV=str(self.argv_file), PYTHONPATH=ROOT)

    def fake(self, *names):
        for name in names:
            path = self.bin / name
            path.write_text(FAKE.format(python=sys.executable, name=name))
            path.chmod(0o755)
        return self

    def replay(self, console: str, rc: int):
        (self.root / "console.txt").write_text(console)
        self.env.update(FAKE_CONSOLE=str(self.root / "console.txt"), FAKE_RC=str(rc))
        return self

    def file(self, name, text="#!/usr/bin/env python3\nimport sys\n", mode=0o755):
        path = self.cwd / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode() if isinstance(text, str) else text)
        path.chmod(mode)
        return path

    def hadoop_home(self):
        """A Hadoop 3.5 tarball layout whose decoys must lose: sources/tests/MR1 jars,
        one of them shallower than the real jar."""
        home = self.root / "hadoop-3.5.0"
        for rel in ("share/hadoop/tools/lib/hadoop-streaming-3.5.0.jar",
                    "share/hadoop/tools/lib/hadoop-streaming-3.5.0-tests.jar",
                    "share/hadoop/tools/sources/hadoop-streaming-3.5.0-sources.jar",
                    "share/hadoop/tools/sources/hadoop-streaming-3.5.0-test-sources.jar",
                    "hadoop-streaming-3.5.0-test-sources.jar",
                    "lib/hadoop-streaming-2.6.0-mr1-cdh5.16.2.jar",
                    "share/hadoop/common/hadoop-common-3.5.0.jar"):
            (home / rel).parent.mkdir(parents=True, exist_ok=True)
            (home / rel).write_bytes(b"PK\x03\x04")
        return home

    def streamkit(self, *args, timeout=60):
        return subprocess.run(STREAMKIT + ["hadoop", *args], cwd=self.cwd, env=self.env,
                              capture_output=True, timeout=timeout)

    def calls(self):
        if not self.argv_file.exists():
            return []
        return [json.loads(line) for line in self.argv_file.read_text().splitlines()]


@pytest.fixture
def cluster(tmp_path):
    return Cluster(tmp_path)


def one_line(res) -> str:
    lines = res.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("streamkit: "), res.stderr.decode()
    return lines[0]


# ------------------------------------------------------------------ golden --dry-run table

WORDCOUNT = ["-input", "logs/", "-D", "mapreduce.job.reduces=3", "-output", "out",
             "-files", "m.py,r.py", "-mapper", "python3 m.py",
             "-Dstream.num.map.output.key.fields=2", "-reducer", "python3 r.py"]

GOLDEN = [
    ("generic-options-first-keep-their-order", ["mapred"], {}, WORDCOUNT, """\
mapred streaming \\
  -D mapreduce.job.reduces=3 \\
  -files m.py,r.py \\
  -Dstream.num.map.output.key.fields=2 \\
  -input logs/ \\
  -output out \\
  -mapper 'python3 m.py' \\
  -reducer 'python3 r.py'"""),
    ("quoting", ["mapred"], {},
     ["-files", "m.py,r.py", "-input", "in dir/part 1.txt", "-output", "out",
      "-mapper", "python3 m.py --sep ' '", "-combiner", "awk '{print $1}'",
      "-reducer", 'python3 r.py "a b"', "-cmdenv", "LANG=C.UTF-8"], """\
mapred streaming \\
  -files m.py,r.py \\
  -input 'in dir/part 1.txt' \\
  -output out \\
  -mapper 'python3 m.py --sep '"'"' '"'"'' \\
  -combiner 'awk '"'"'{print $1}'"'"'' \\
  -reducer 'python3 r.py "a b"' \\
  -cmdenv LANG=C.UTF-8"""),
    ("long-spellings-become-hadoop-spellings-streamkit-options-dropped", ["mapred"], {},
     ["--input", "in.txt", "--output", "out", "--mapper", "cat", "--reducers", "2", "--define", "a=b",
      "--files=m.py", "--lazy-output", "--input-format", "KeyValueTextInputFormat", "--stats", "s.json",
      "--no-progress"], """\
mapred streaming \\
  -D a=b \\
  -files m.py \\
  -input in.txt \\
  -output out \\
  -mapper cat \\
  -numReduceTasks 2 \\
  -lazyOutput \\
  -inputformat KeyValueTextInputFormat"""),
    ("cluster-only-options-forwarded-not-refused", ["mapred"], {},
     ["-libjars", "udf.jar", "-archives", "venv.tgz#venv", "-conf", "job.xml", "-fs", "hdfs://nn:8020",
      "-input", "hdfs:///in", "-output", "hdfs:///out", "-file", "m.py",
      "-mapper", "venv/bin/python m.py", "-inputformat", "org.apache.hadoop.mapred.SequenceFileAsTextInputFormat",
      "-partitioner", "com.example.ZonePartitioner", "-reducer", "aggregate", "-io", "typedbytes"], """\
mapred streaming \\
  -libjars udf.jar \\
  -archives 'venv.tgz#venv' \\
  -conf job.xml \\
  -fs hdfs://nn:8020 \\
  -input hdfs:///in \\
  -output hdfs:///out \\
  -file m.py \\
  -mapper 'venv/bin/python m.py' \\
  -inputformat org.apache.hadoop.mapred.SequenceFileAsTextInputFormat \\
  -partitioner com.example.ZonePartitioner \\
  -reducer aggregate \\
  -io typedbytes"""),
    ("no-mapred-hadoop-jar-with-the-searched-jar", ["hadoop"], {"home": True}, WORDCOUNT[:4] + ["-output", "out"], """\
hadoop jar @HOME@/share/hadoop/tools/lib/hadoop-streaming-3.5.0.jar \\
  -D mapreduce.job.reduces=3 \\
  -input logs/ \\
  -output out"""),
    ("streaming-jar-option-beats-mapred", ["mapred", "hadoop"], {"jar": "--streaming-jar"},
     ["-input", "in", "-output", "out"], """\
hadoop jar @HOME@/share/hadoop/tools/lib/hadoop-streaming-3.5.0.jar \\
  -input in \\
  -output out"""),
    ("streaming-jar-env-beats-mapred", ["mapred", "hadoop"], {"jar": "env"},
     ["-input", "in", "-output", "out"], """\
hadoop jar @HOME@/share/hadoop/tools/lib/hadoop-streaming-3.5.0.jar \\
  -input in \\
  -output out"""),
    ("dataproc-local-files-uploaded-by-gcloud", [], {"target": "dataproc", "cluster": "etl", "region": "europe-west1"},
     ["-files", "m.py,gs://bkt/lib/r.py,gs://bkt/lib/dict.txt#words", "-D", "mapreduce.job.reduces=3",
      "-input", "gs://bkt/in", "-output", "gs://bkt/out", "-mapper", "python3 m.py", "-reducer", "python3 r.py"], """\
gcloud dataproc jobs submit hadoop \\
  --cluster=etl \\
  --region=europe-west1 \\
  --jar=file:///usr/lib/hadoop-mapreduce/hadoop-streaming.jar \\
  --files=m.py \\
  -- \\
  -files 'gs://bkt/lib/r.py,gs://bkt/lib/dict.txt#words' \\
  -D mapreduce.job.reduces=3 \\
  -input gs://bkt/in \\
  -output gs://bkt/out \\
  -mapper 'python3 m.py' \\
  -reducer 'python3 r.py'"""),
    ("emr-streaming-step-json", [], {"target": "emr", "cluster_id": "j-2AXXXXXXGAPLF"},
     ["-input", "s3://bkt/in", "-output", "s3://bkt/out", "-files", "s3://bkt/m.py,s3://bkt/r.py",
      "-mapper", "python3 m.py", "-reducer", "python3 r.py"], """\
cat > streamkit-step.json <<'EOF'
[
  {
    "Type": "STREAMING",
    "Name": "streamkit: s3://bkt/out",
    "ActionOnFailure": "CONTINUE",
    "Args": [
      "-files",
      "s3://bkt/m.py,s3://bkt/r.py",
      "-input",
      "s3://bkt/in",
      "-output",
      "s3://bkt/out",
      "-mapper",
      "python3 m.py",
      "-reducer",
      "python3 r.py"
    ]
  }
]
EOF
aws emr add-steps --cluster-id j-2AXXXXXXGAPLF --steps file://streamkit-step.json"""),
]


@pytest.mark.parametrize("fakes, setup, argv, expected", [g[1:] for g in GOLDEN], ids=[g[0] for g in GOLDEN])
def test_dry_run_golden(cluster, fakes, setup, argv, expected):
    cluster.fake(*fakes)
    for name in ("m.py", "r.py", "udf.jar", "venv.tgz", "job.xml"):
        cluster.file(name)
    flags = []
    home = cluster.hadoop_home()
    jar = home / "share/hadoop/tools/lib/hadoop-streaming-3.5.0.jar"
    if setup.get("home"):
        cluster.env["HADOOP_HOME"] = str(home)
    if setup.get("jar") == "--streaming-jar":
        flags += ["--streaming-jar", str(jar)]
    elif setup.get("jar") == "env":
        cluster.env["HADOOP_STREAMING_JAR"] = str(jar)
    if "target" in setup:
        flags += ["--target", setup["target"]]
    for key in ("cluster", "region", "cluster_id"):
        if key in setup:
            flags += ["--" + key.replace("_", "-"), setup[key]]
    res = cluster.streamkit("--dry-run", *flags, *argv)
    assert res.returncode == 0, res.stderr.decode()
    text = res.stdout.decode().rstrip("\n")
    assert text == expected.replace("@HOME@", str(home))
    assert cluster.calls() == []          # --dry-run runs nothing
    if "target" not in setup:
        # the printed command is exactly what a shell would run: same words, round trip
        words = shlex.split(text.replace(" \\\n", " "))
        sub = plan(argv, Options(streaming_jar=str(jar) if setup.get("jar") else None,
                                 env=cluster.env, cwd=str(cluster.cwd)))
        assert words[len(words) - len(sub.args):] == list(sub.args)
        assert [os.path.basename(w) for w in words[:2]] == [os.path.basename(w) for w in sub.command[:2]]


def test_emr_step_json_is_valid_and_keeps_every_arg(cluster):
    argv = ["-D", "mapreduce.job.reduces=2", "-input", "s3://b/in", "-output", "s3://b/o",
            "-mapper", "python3 m.py 'x y'", "-reducer", "NONE"]
    res = cluster.streamkit("--dry-run", "--target", "emr", "--cluster-id", "j-1", *argv)
    text = res.stdout.decode()
    body = text.split("<<'EOF'\n", 1)[1].split("\nEOF\n", 1)[0]
    assert json.loads(body)[0]["Args"] == argv


# ------------------------------------------------------------------ finding the jar

def test_jar_search_prefers_real_jar_over_decoys(cluster):
    home = cluster.hadoop_home()
    env = {"HADOOP_HOME": str(home)}
    assert find_streaming_jar(jar_search_dirs(env, None)) == str(home / "share/hadoop/tools/lib/hadoop-streaming-3.5.0.jar")
    # only decoys left: nothing is found rather than a jar that fails with ClassNotFoundException
    os.remove(home / "share/hadoop/tools/lib/hadoop-streaming-3.5.0.jar")
    assert find_streaming_jar([str(home)]) is None


def test_jar_found_next_to_the_hadoop_binary_without_env(cluster):
    home = cluster.hadoop_home()
    (home / "bin").mkdir()
    cluster.bin.rmdir()
    os.symlink(home / "bin", cluster.bin)
    cluster.fake("hadoop")
    sub = plan(["-input", "in", "-output", "out"], Options(env=cluster.env, cwd=str(cluster.cwd)))
    assert sub.command[1:3] == ("jar", str(home / "share/hadoop/tools/lib/hadoop-streaming-3.5.0.jar"))


# ------------------------------------------------------------------ refused before submitting

PREFLIGHT = [
    ("typo-fails-at-once", ["-input", "in", "-output", "out", "-mappper", "cat"], 2, "unknown option '-mappper'"),
    ("local-only-jobs", ["-input", "in", "-output", "out", "--jobs", "4"], 2, "--jobs sets local worker processes"),
    ("local-only-memory", ["-input", "in", "-output", "out", "--memory", "1G"], 2, "mapreduce.task.io.sort.mb"),
    ("local-only-stdout", ["-input", "in", "-output", "-"], 2, "-output - (part files to stdout) is local only"),
    ("missing-files", ["-files", "m.py,nope.py", "-input", "in", "-output", "out"], 2, "-files nope.py: no such local file"),
    ("missing-file", ["-input", "in", "-output", "out", "-file", "gone.py"], 2, "-file gone.py: no such local file"),
    ("crlf-shebang", ["-files", "dos.py", "-input", "in", "-output", "out", "-mapper", "dos.py"], 2,
     "dos.py has a CRLF (Windows) first line"),
    ("no-exec-bit", ["-files", "plain.py", "-input", "in", "-output", "out", "-mapper", "./plain.py"], 2,
     "plain.py is run directly but is not executable"),
    ("no-shebang", ["-files", "noshebang.sh", "-input", "in", "-output", "out", "-reducer", "noshebang.sh"], 2,
     "noshebang.sh is run directly but has no #! line"),
    ("cmdenv-with-space", ["-input", "in", "-output", "out", "-mapper", "cat", "-cmdenv", "GREETING=hello world"], 2,
     "Hadoop splits -cmdenv values at spaces"),
    ("script-not-shipped", ["-files", "m.py", "-input", "in", "-output", "out", "-mapper", "python3 sub/m.py"], 2,
     "sub/m.py is not shipped"),
    ("dot-slash-script-not-shipped", ["-input", "in", "-output", "out", "-mapper", "./m.py"], 2,
     "./m.py is not shipped"),
    ("dir-path-to-shipped-script", ["-files", "sub/m.py", "-input", "in", "-output", "out", "-mapper", "./sub/m.py"], 2,
     "./sub/m.py is not shipped"),
]


@pytest.mark.parametrize("argv, code, message", [p[1:] for p in PREFLIGHT], ids=[p[0] for p in PREFLIGHT])
def test_preflight_refuses_with_one_line_and_never_calls_hadoop(cluster, argv, code, message):
    cluster.fake("mapred").replay(consoles.SUCCESS, 0)
    cluster.file("m.py")
    cluster.file("sub/m.py")
    cluster.file("dos.py", b"#!/usr/bin/env python3\r\nprint('x')\r\n")
    cluster.file("plain.py", mode=0o644)
    cluster.file("noshebang.sh", "cat\n")
    res = cluster.streamkit(*argv)
    assert res.returncode == code
    assert message in one_line(res)
    assert cluster.calls() == []


def test_preflight_accepts_what_works_on_a_cluster(cluster):
    """Interpreter-run scripts need no exec bit or shebang; -cmdenv 'A=1 B=2' is two settings."""
    cluster.fake("mapred").replay(consoles.SUCCESS, 0)
    cluster.file("plain.py", "print('no shebang, no exec bit')\n", mode=0o644)
    res = cluster.streamkit("-files", "plain.py", "-input", "in", "-output", "out",
                            "-mapper", "python3 plain.py", "-cmdenv", "A=1 B=2", "-reducer", "NONE")
    assert res.returncode == 0, res.stderr.decode()
    assert len(cluster.calls()) == 1


@pytest.mark.parametrize("fakes, flags, message", [
    ([], [], "no Hadoop client found: no `mapred` or `hadoop` in"),
    (["hadoop"], [], "but no hadoop-streaming*.jar"),
    (["hadoop"], ["--streaming-jar", "@HOME@/share/hadoop/tools/sources/hadoop-streaming-3.5.0-sources.jar"],
     "not the streaming job jar"),
    (["hadoop"], ["--streaming-jar", "/no/such/hadoop-streaming.jar"], "no such file"),
    (["mapred"], ["--target", "emr", "--cluster-id", "j-1"], "cannot read local files"),
    (["mapred"], ["--target", "dataproc"], "--target dataproc needs --cluster NAME"),
    (["mapred"], ["--target", "dataproc", "--cluster", "c", "--no-dry-run"], "put it before the Hadoop arguments"),
], ids=["nothing-found", "hadoop-without-jar", "sources-jar", "missing-jar", "emr-local-file",
        "dataproc-without-cluster", "launcher-option-after-args"])
def test_setup_errors_are_one_line_exit_2(cluster, fakes, flags, message):
    cluster.fake(*fakes)
    cluster.file("m.py")
    if any("@HOME@" in f for f in flags):   # (a tree next to bin/ would be found by the search)
        home = cluster.hadoop_home()
        flags = [f.replace("@HOME@", str(home)) for f in flags]
    late = ["--dry-run"] if "--no-dry-run" in flags else []
    flags = [f for f in flags if f != "--no-dry-run"]
    res = cluster.streamkit(*flags, "-files", "m.py", "-input", "in", "-output", "out", *late)
    assert res.returncode == 2
    line = one_line(res)
    assert message in line
    if not fakes:
        assert str(cluster.bin) in line            # it says where it looked
    assert cluster.calls() == []


def test_target_without_dry_run_is_refused(cluster):
    res = cluster.streamkit("--target", "emr", "--cluster-id", "j-1", "-input", "s3://b/in", "-output", "s3://b/o")
    assert res.returncode == 2
    assert "add --dry-run" in one_line(res)


def test_shared_parser_cluster_mode_accepts_what_only_local_mode_refuses():
    argv = ["-archives", "v.tgz#v", "-input", "in", "-output", "out", "-D", "late=1",
            "-inputformat", "org.apache.hadoop.mapred.SequenceFileInputFormat", "-reducer", "aggregate"]
    with pytest.raises(UsageError):
        hadoop_args.parse(argv)
    spec = hadoop_args.parse(argv, cluster=True)
    assert spec.conf["late"] == "1" and spec.output == "out"
    with pytest.raises(UsageError, match="needs a value"):
        hadoop_args.parse(["-input", "in", "-output"], cluster=True)


# ------------------------------------------------------------------ running against the fake cluster

def test_success_prints_counters_summary_and_stats(cluster):
    cluster.fake("mapred").replay(consoles.SUCCESS, 0)
    cluster.file("m.py")
    res = cluster.streamkit("-files", "m.py", "-input", "hdfs:///in", "-output", "out",
                            "-mapper", "python3 m.py", "-D", "mapreduce.job.reduces=3",
                            "--stats", "s.json", "-verbose")
    assert res.returncode == 0, res.stderr.decode()
    assert cluster.calls() == [["mapred", "streaming", "-files", "m.py", "-D", "mapreduce.job.reduces=3",
                                "-input", "hdfs:///in", "-output", "out", "-mapper", "python3 m.py", "-verbose"]]
    err = res.stderr.decode()
    assert "INFO mapreduce.Job" not in err                 # not a TTY: Hadoop's console stays quiet
    summary = err.splitlines()
    assert summary[0] == ("streamkit: job_1764669600000_0007 completed; "
                          "output hdfs://nn.example.com:8020/user/alice/out")
    assert "  Job Counters" in summary and "    Launched reduce tasks=3" in summary
    assert "  WordCount" in summary and "    Words=9" in summary
    assert "    Shuffled Maps=6" in summary
    stats = json.loads((cluster.cwd / "s.json").read_text())
    assert stats["job_id"] == "job_1764669600000_0007"
    assert stats["application_id"] == "application_1764669600000_0007"
    assert stats["tracking_url"] == "http://rm.example.com:8088/proxy/application_1764669600000_0007/"
    assert stats["num_maps"] == 2
    assert len(stats["counters"]) == 39                     # "Counters: 39"
    assert stats["counters"]["Map-Reduce Framework.Map input records"] == 5
    assert stats["counters"]["Map-Reduce Framework.Reduce output records"] == 3
    assert stats["counters"]["File Output Format Counters.Bytes Written"] == 22


def test_log_appends_one_json_line_per_submission(cluster):
    """--log works as for `streamkit run`: one line per run, ok with the counters, or the
    exit status and the error line of a failed job."""
    cluster.fake("mapred").replay(consoles.SUCCESS, 0)
    assert cluster.streamkit("-input", "in", "-output", "out", "--log", "runs.log").returncode == 0
    cluster.replay(consoles.FAILED, 1)
    assert cluster.streamkit("-input", "in", "-output", "out", "--log", "runs.log").returncode == 1
    first, second = [json.loads(line) for line in (cluster.cwd / "runs.log").read_text().splitlines()]
    assert first["status"] == "ok" and first["counters"]["Map-Reduce Framework.Map input records"] == 5
    assert second["status"] == 1 and "failed" in second["error"] and second["counters"] == {}


def test_progress_passes_hadoops_console_through(cluster):
    cluster.fake("mapred").replay(consoles.SUCCESS, 0)
    res = cluster.streamkit("-input", "in", "-output", "out", "--progress")
    assert res.returncode == 0
    assert consoles.SUCCESS.encode() in res.stderr         # byte for byte, packageJobJar included


def test_failed_job_exit_1_names_the_attempt_and_yarn_logs(cluster):
    cluster.fake("mapred").replay(consoles.FAILED, 1)
    res = cluster.streamkit("-input", "in", "-output", "out", "-mapper", "cat")
    assert res.returncode == 1
    line = one_line(res)
    assert "job job_1764669600000_0008 failed (Hadoop exit 1)" in line
    assert "4 failed task attempts" in line
    assert "attempt_1764669600000_0008_m_000000_3: java.lang.RuntimeException: " \
           "PipeMapRed.waitOutputThreads(): subprocess failed with code 2" in line
    assert line.endswith("task logs: `yarn logs -applicationId application_1764669600000_0008`")


def test_failed_attempt_reason_is_the_deepest_cause(cluster):
    cluster.fake("mapred").replay(consoles.CANNOT_RUN, 1)
    line = one_line(cluster.streamkit("-input", "in", "-output", "out"))
    assert "attempt_1764669600000_0011_m_000001_0: java.io.IOException: Cannot run program" in line
    assert "error=13, Permission denied (the script is not executable on the nodes" in line
    assert "yarn logs -applicationId application_1764669600000_0011" in line


def test_output_exists_exit_5(cluster):
    cluster.fake("mapred").replay(consoles.OUTPUT_EXISTS, 5)
    res = cluster.streamkit("-input", "in", "-output", "out")
    assert res.returncode == 5
    line = one_line(res)
    assert "output directory hdfs://nn.example.com:8020/user/alice/out already exists (Hadoop exit 5)" in line
    assert "hdfs dfs -rm -r hdfs://nn.example.com:8020/user/alice/out" in line
    assert len(cluster.calls()) == 1


def test_input_missing_exit_5(cluster):
    cluster.fake("mapred").replay(consoles.INPUT_MISSING, 5)
    res = cluster.streamkit("-input", "nope", "-output", "out")
    assert res.returncode == 5
    assert "input path does not exist: hdfs://nn.example.com:8020/user/alice/nope" in one_line(res)


def test_hadoop_jar_is_run_when_there_is_no_mapred(cluster):
    cluster.fake("hadoop").replay(consoles.SUCCESS, 0)
    home = cluster.hadoop_home()
    cluster.env["HADOOP_HOME"] = str(home)
    res = cluster.streamkit("-input", "in", "-output", "out", "-D", "a=b")
    assert res.returncode == 0, res.stderr.decode()
    assert cluster.calls() == [["hadoop", "jar", str(home / "share/hadoop/tools/lib/hadoop-streaming-3.5.0.jar"),
                                "-D", "a=b", "-input", "in", "-output", "out"]]


def test_sigterm_stops_the_client_and_prints_the_kill_hint(cluster):
    console = consoles.SUCCESS.split("2026-12-02 10:00:08,702")[0]   # submitted, then waiting
    cluster.fake("mapred").replay(console, 0)
    cluster.env["FAKE_SLEEP"] = "60"
    proc = subprocess.Popen(STREAMKIT + ["hadoop", "-input", "in", "-output", "out"], cwd=cluster.cwd,
                            env=cluster.env, stderr=subprocess.PIPE)
    pid_file = cluster.root / "argv.jsonl.pid"
    deadline = time.monotonic() + 30
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)                                # let the console reach streamkit
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143
    lines = err.decode().splitlines()
    assert len(lines) == 1
    assert "stop it with `mapred job -kill job_1764669600000_0007`" in lines[0]
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)


# ------------------------------------------------------------------ the console parser

def test_console_parser_reads_ids_progress_counters_output():
    parser = ConsoleParser()
    for line in consoles.SUCCESS.splitlines():
        parser.feed(line)
    parser.close()
    assert parser.job_id == "job_1764669600000_0007"
    assert parser.state == "SUCCEEDED"
    assert parser.progress == (100, 100)
    assert parser.output == "hdfs://nn.example.com:8020/user/alice/out"
    assert parser.counters[("Job Counters", "Launched map tasks")] == 2
    assert parser.counters[("File System Counters", "FILE: Number of bytes written")] == 1376244
    assert parser.launch_error is None and not parser.command_failed


def test_console_parser_hadoop2_layout_with_space_indentation():
    parser = ConsoleParser()
    for line in consoles.HADOOP2_SUCCESS.splitlines():
        parser.feed(line)
    parser.close()
    assert parser.application_id == "application_1449857544442_0002"
    assert parser.counters == {("File Input Format Counters", "Bytes Read"): 2102,
                               ("Map-Reduce Framework", "Map input records"): 2,
                               ("Map-Reduce Framework", "Map output records"): 2}
    assert parser.output.startswith("hdfs:///user/root/tmp/mrjob/")


def test_console_parser_failed_job():
    parser = ConsoleParser()
    for line in consoles.FAILED.splitlines():
        parser.feed(line)
    parser.close()
    assert parser.state == "FAILED" and parser.command_failed
    assert parser.reason == "Task failed task_1764669600000_0008_m_000000"
    assert parser.attempts_failed == 4
    assert [a.attempt_id[-1] for a in parser.failed_attempts] == ["0", "1", "2", "3"]
    assert parser.counters[("Job Counters", "Failed map tasks")] == 4


def test_indented_counters_need_to_be_deeper_than_their_group():
    assert parse_indented_counters(["  G", "  not=1", "    c=2", "\tH", "\t\tx y=3"]) == {
        ("not=1", "c"): 2, ("H", "x y"): 3}


def test_console_parser_memory_is_bounded():
    parser = ConsoleParser()
    parser.feed("2026-12-02 10:00:00,000 INFO mapreduce.Job: Task Id : "
                "attempt_1_0001_m_000000_0, Status : FAILED")
    for i in range(100_000):
        parser.feed(f"\tat frame{i}")
    assert len(parser._record[2]) <= 300
