"""Bad input is refused up front with one line, never a traceback or a late failure.

Each case runs the real command; the mapper would leave a marker file, so "nothing ran"
is checked, as are the exit status, the one-line message naming the option and value,
and that no output, temporary or report file was left.
"""

import json
import os

import pytest

from conftest import streamkit

KFB = "org.apache.hadoop.mapred.lib.KeyFieldBasedComparator"
KFP = "org.apache.hadoop.mapred.lib.KeyFieldBasedPartitioner"


@pytest.fixture
def job(tmp_path, script):
    """A two-reducer job whose mapper leaves a marker; returns run(*args) -> result."""
    (tmp_path / "in.txt").write_bytes(b"b\t2\na\t1\n")
    (tmp_path / "tmp").mkdir()
    (tmp_path / "afile").write_bytes(b"")
    script("m.py", f"import sys\nopen({str(tmp_path / 'ran')!r}, 'w').close()\n"
                   "sys.stdout.write(sys.stdin.read())\n")

    def go(*args, generic=(), reducers=("-numReduceTasks", "2")):
        return streamkit("run", *generic, "-input", "in.txt", "-output", "out", "-file", "m.py",
                         "-mapper", "python3 m.py", *reducers, "--tmpdir", "tmp",
                         *args, cwd=str(tmp_path))
    return go


def assert_refused(res, tmp_path, code, *needles):
    err = res.stderr.decode()
    assert res.returncode == code, err
    assert err.count("\n") == 1 and err.startswith("streamkit: ") and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, err
    assert not (tmp_path / "ran").exists(), "the job ran"
    assert not (tmp_path / "out").exists()
    if (tmp_path / "tmp").is_dir():
        assert os.listdir(tmp_path / "tmp") == []


@pytest.mark.parametrize("args,needles", [
    (["--tmpdir", "missing"], ["--tmpdir missing does not exist"]),
    (["--tmpdir", "afile"], ["--tmpdir afile is not a directory"]),
    (["--stats", "missing/s.json"], ["--stats missing/s.json: No such file or directory"]),
    (["--log", "missing/runs.log"], ["--log missing/runs.log: No such file or directory"]),
    (["--log", "afile/runs.log"], ["--log afile/runs.log: Not a directory"]),
    (["--memory", "0"], ["--memory 0"]),
])
def test_bad_paths_and_sizes_are_usage_errors_before_the_job_runs(tmp_path, job, args, needles):
    assert_refused(job(*args, "--stats", "s.json") if "--stats" not in args else job(*args),
                   tmp_path, 2, *needles)
    assert not (tmp_path / "s.json").exists()


@pytest.mark.parametrize("settings,needle", [
    (["mapreduce.task.timeout=abc"], "-D mapreduce.task.timeout=abc: expected a whole number"),
    (["mapred.task.timeout=1.5"], "-D mapreduce.task.timeout=1.5: expected a whole number"),
    (["mapreduce.job.output.key.comparator.class=" + KFB, "mapreduce.partition.keycomparator.options=-kx"],
     "-D mapreduce.partition.keycomparator.options=-kx: invalid key option '-kx'"),
    (["mapreduce.job.output.key.comparator.class=" + KFB, "mapreduce.partition.keycomparator.options=-k2,2q"],
     "-D mapreduce.partition.keycomparator.options=-k2,2q: invalid key option"),
    (["mapreduce.job.output.key.comparator.class=org.example.MyComparator"],
     "-D mapreduce.job.output.key.comparator.class=org.example.MyComparator"),
    (["mapreduce.partition.keypartitioner.options=-k1.x", "PARTITIONER"],
     "-D mapreduce.partition.keypartitioner.options=-k1.x: invalid key option"),
    (["num.key.fields.for.partition=two", "PARTITIONER"],
     "-D num.key.fields.for.partition=two: expected a whole number"),
    (["mapreduce.task.io.sort.factor=1"], "-D mapreduce.task.io.sort.factor=1: must be at least 2"),
    (["io.sort.factor=ten"], "-D mapreduce.task.io.sort.factor=ten: expected a whole number"),
    (["mapreduce.task.io.sort.mb=lots"], "-D mapreduce.task.io.sort.mb=lots: expected a whole number"),
    (["mapreduce.task.io.sort.mb=0"], "-D mapreduce.task.io.sort.mb=0: must be at least 1"),
    (["mapreduce.map.maxattempts=four"], "-D mapreduce.map.maxattempts=four: expected a whole number"),
    (["mapred.reduce.max.attempts=x"], "-D mapreduce.reduce.maxattempts=x: expected a whole number"),
    (["mapreduce.job.reduces=some", "NO -numReduceTasks"],
     "-D mapreduce.job.reduces=some: expected a whole number"),
    (["stream.num.map.output.key.fields=0"], "-D stream.num.map.output.key.fields=0: must be at least 1"),
    (["stream.num.reduce.output.key.fields=x"], "-D stream.num.reduce.output.key.fields=x: expected a whole number"),
    (["stream.map.output.field.separator="], "-D stream.map.output.field.separator is empty"),
    (["stream.reduce.output.field.separator="], "-D stream.reduce.output.field.separator is empty"),
    (["mapreduce.input.keyvaluelinerecordreader.key.value.separator=", "KEYVALUE"],
     "-D mapreduce.input.keyvaluelinerecordreader.key.value.separator is empty"),
    (["mapreduce.output.fileoutputformat.compress=yes"],
     "-D mapreduce.output.fileoutputformat.compress=yes: expected true or false"),
    (["mapreduce.output.fileoutputformat.compress=true", "mapreduce.output.fileoutputformat.compress.codec=lz4"],
     "-D mapreduce.output.fileoutputformat.compress.codec=lz4: supported codecs are"),
    (["stream.non.zero.exit.is.failure=no"], "-D stream.non.zero.exit.is.failure=no: expected true or false"),
    (["stream.map.input.ignoreKey=nope"], "-D stream.map.input.ignoreKey=nope: expected true or false"),
    (["mapreduce.input.fileinputformat.split.minsize=-1"],
     "-D mapreduce.input.fileinputformat.split.minsize=-1: must be at least 0"),
    (["fs.local.block.size=64MB"],
     "-D fs.local.block.size=64MB: expected a whole number"),
    (["stream.minRecWrittenToEnableSkip_=zero"], "-D stream.minRecWrittenToEnableSkip_=zero: expected a whole number"),
    (["stream.map.output=rawbytes"], "-D stream.map.output=rawbytes: streamkit reads and writes text and keyonlytext only"),
    (["stream.reduce.output=typedbytes"], "-D stream.reduce.output=typedbytes"),
    (["stream.map.input=typedbytes"], "-D stream.map.input=typedbytes: streamkit reads and writes text and keyonlytext only"),
])
def test_every_interpreted_setting_is_checked_when_the_command_line_is_parsed(
        tmp_path, job, settings, needle):
    """Before: the job started, every task failed 4 times, exit 1."""
    generic, extra, reducers = [], [], ("-numReduceTasks", "2")
    for setting in settings:
        if setting == "NO -numReduceTasks":  # it would replace mapreduce.job.reduces
            reducers = ()
        elif setting == "PARTITIONER":
            extra += ["-partitioner", KFP]
        elif setting == "KEYVALUE":
            extra += ["-inputformat", "KeyValueTextInputFormat"]
        else:
            generic += ["-D", setting]
    assert_refused(job(*extra, generic=generic, reducers=reducers), tmp_path, 2, needle)


def test_settings_parse_like_hadoops_configuration(tmp_path, job):
    """getInt/getLong trim and take 0x hex; getBoolean ignores case; a timeout <= 0 never
    fires (Hadoop's TaskHeartbeatHandler), it does not kill the task at once."""
    res = job(generic=["-D", "mapreduce.map.maxattempts= 0x2 ", "-D", "mapreduce.task.timeout=-1",
                       "-D", "stream.non.zero.exit.is.failure=TRUE", "-D", "mapreduce.job.reduces= 0x2"],
              reducers=())
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out" / "part-00000").read_bytes() + (tmp_path / "out" / "part-00001").read_bytes() \
        in (b"a\t1\nb\t2\n", b"b\t2\na\t1\n")


def test_a_failed_job_creates_no_stats_file_keeps_an_old_one_and_logs_its_line(tmp_path, script, job):
    script("m.py", "import sys\nsys.stdin.read()\nsys.exit(4)\n")
    res = job("--stats", "new.json", "--log", "runs.log", generic=["-D", "mapreduce.map.maxattempts=1"])
    assert res.returncode == 1 and b"subprocess failed with code 4" in res.stderr
    assert not (tmp_path / "new.json").exists()
    (tmp_path / "old.json").write_text("old")
    res = job("--stats", "old.json", "--log", "runs.log", generic=["-D", "mapreduce.map.maxattempts=1"])
    assert res.returncode == 1
    assert (tmp_path / "old.json").read_text() == "old"
    lines = [json.loads(line) for line in (tmp_path / "runs.log").read_text().splitlines()]
    assert [line["status"] for line in lines] == [1, 1]
    assert os.listdir(tmp_path / "tmp") == []


def test_stats_replace_an_old_report_when_the_job_succeeds(tmp_path, job):
    (tmp_path / "s.json").write_text("x" * 100000)  # longer than the report: truncated
    res = job("--stats", "s.json")
    assert res.returncode == 0, res.stderr
    assert json.loads((tmp_path / "s.json").read_text())["counters"]["Map-Reduce Framework.Map input records"] == 2


@pytest.mark.parametrize("args,needle", [
    (["-T", "missing"], "-T missing does not exist"),
    (["-T", "afile"], "-T afile is not a directory"),
    (["-o", "missing/sorted.txt"], "-o missing/sorted.txt: cannot create a file in"),
    (["-o", "afile/sorted.txt"], "Not a directory"),
    (["-k", "0"], "invalid key option '-k0': field number 0 is not allowed"),
    (["-k", "0,1"], "invalid key option '-k0,1': field number 0"),
    (["-k", "1,0"], "invalid key option '-k1,0': field number 0"),
    (["-k", "2,0n"], "field number 0"),
    (["-k", "-1"], "field number -1"),
    (["--comparator-options", "-k2,2 -k0"], "invalid key option '-k0'"),
])
def test_sort_refuses_bad_options_before_reading_input(tmp_path, args, needle):
    (tmp_path / "afile").write_bytes(b"")
    res = streamkit("sort", *args, input=b"b\na\n", cwd=str(tmp_path))
    err = res.stderr.decode()
    assert res.returncode == 2 and res.stdout == b"", err
    assert err.count("\n") == 1 and needle in err and "Traceback" not in err, err
    assert sorted(os.listdir(tmp_path)) == ["afile"]  # no temporary or output file


def test_sort_accepts_field_numbers_from_one_and_char_zero_at_the_end():
    res = streamkit("sort", "-k2,2.0", "-k1,1", input=b"x\t2\ny\t1\n")
    assert res.returncode == 0 and res.stdout == b"y\t1\nx\t2\n", res.stderr
