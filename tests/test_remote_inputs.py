"""Remote inputs for real: ``s3://`` on a local S3 server (moto), ``gs://`` on a GCS emulator,
``http://`` on local HTTP servers, all on 127.0.0.1, read by real ``streamkit`` subprocesses
(fixtures in conftest.py, servers in remote_servers.py).

The reference for every remote job is the same job on the same bytes as local files: same
splits, same part files, byte for byte.
"""

from __future__ import annotations

import gzip
import json
import os

import pytest

from conftest import streamkit
from streamkit.errors import InputError
from streamkit.inputs import InputFile, expand_inputs, plan_splits, read_split
from test_inputs import BOM, hadoop_split, hadoop_split_records
from test_run import CAT, WC_MAP, WC_REDUCE, parts, words

# Lines straddle every small split size; CRLF, a lone CR, a long line and a BOM at offset 0.
TRICKY = (BOM + b"first\tline\r\n" + b"crlf\tend\r\n" * 7 + b"lone\rcr\n" + b"x" * 3000 + b"\n"
          + b"".join(b"k%03d\tv %s\r\n" % (i, b"w" * (i % 37)) for i in range(200)) + b"tail")
SMALL_SPLITS = ["-D", "mapreduce.input.fileinputformat.split.minsize=1",
                "-D", "fs.local.block.size=1500"]


@pytest.fixture
def marker_mapper(tmp_path, script):
    """A mapper that leaves a file behind when it runs: proves that no task started."""
    script("mark.py", f"""
        import shutil, sys
        open({str(tmp_path / 'mapper-ran')!r}, 'w').close()
        shutil.copyfileobj(sys.stdin.buffer, sys.stdout.buffer)
        """)
    return tmp_path / "mapper-ran"


def job(tmp_path, inputs, output, *extra, env=None):
    """`streamkit run` of a job in tmp_path; its (result, parts, stats)."""
    res = streamkit("run", *extra, "-input", inputs, "-output", output, "--stats", output + ".json",
                    cwd=str(tmp_path), env=env)
    if res.returncode:
        return res, None, None
    stats = json.loads((tmp_path / (output + ".json")).read_text())
    return res, parts(tmp_path / output), stats


def local_and_remote_inputs(tmp_path, store):
    """The same files in tmp_path/in and under in/ in a new bucket (hidden ones included)."""
    bucket = store.bucket()
    files = {"a.txt": TRICKY, "b.txt": words(500, seed=3), "c.gz": gzip.compress(words(300)),
             "_SUCCESS": b"", ".hidden": b"never read\n"}
    (tmp_path / "in").mkdir()
    for name, data in files.items():
        (tmp_path / "in" / name).write_bytes(data)
        store.put(bucket, f"in/{name}", data)
    return bucket


def test_word_count_and_splits_equal_the_local_run(tmp_path, script, object_store):
    """A prefix read as a directory, split into ranges like local files, .gz whole: the part
    files, the number of map tasks and the framework counters equal the local run's."""
    bucket = local_and_remote_inputs(tmp_path, object_store)
    script("m.py", WC_MAP)
    script("r.py", WC_REDUCE)
    wc = [*SMALL_SPLITS, "-D", "mapreduce.job.reduces=3", "-files", "m.py,r.py",
          "-mapper", "python3 m.py", "-reducer", "python3 r.py"]
    local = job(tmp_path, "in", "local", *wc)
    remote = job(tmp_path, f"{object_store.scheme}://{bucket}/in", "remote", *wc,
                 env=object_store.env)
    assert local[0].returncode == 0, local[0].stderr
    assert remote[0].returncode == 0, remote[0].stderr
    assert remote[0].stderr == b""
    assert remote[1] == local[1]                     # part-00000..2 and _SUCCESS, byte for byte
    assert remote[2]["num_maps"] == local[2]["num_maps"] > 3 + 5  # a.txt and b.txt are cut up
    assert remote[2]["counters"] == local[2]["counters"]


def test_s3_splits_are_exact_at_every_boundary(tmp_path, script, s3_server):
    """Map-only identity: part-NNNNN is exactly what map task N read, so byte-identical parts
    mean every split began and ended at the same line as the local file's (CRLF, lone CR,
    BOM, a line longer than a split); a glob with braces selects the same objects."""
    bucket = local_and_remote_inputs(tmp_path, s3_server)
    script("cat.py", CAT)
    ident = [*SMALL_SPLITS, "-D", "fs.local.block.size=700",
             "-numReduceTasks", "0", "-file", "cat.py", "-mapper", "python3 cat.py"]
    local = job(tmp_path, "in/{a,c}.*", "local", *ident)
    remote = job(tmp_path, f"s3://{bucket}/i?/{{a,c}}.*", "remote", *ident, env=s3_server.env)
    assert local[0].returncode == 0 and remote[0].returncode == 0, remote[0].stderr
    assert remote[1] == local[1]
    assert len(remote[1]) == remote[2]["num_maps"] + 1 > 8


def test_library_reads_remote_ranges_as_hadoop_does(s3_server, http_server, monkeypatch):
    """read_split over s3:// and http:// range reads gives LineRecordReader's records for
    every split of several sizes (the oracle of test_inputs.py)."""
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    data = (BOM + b"a\tb\r\n" + b"crlf\r\n" * 3 + b"lone\rcr\n" + b"y" * 90 + b"\n\r\n\r\n"
            + b"last\r" + b"tail")
    bucket = s3_server.bucket()
    urls = [s3_server.put(bucket, "t.txt", data), http_server.put("lib-t.txt", data)]
    files = expand_inputs(urls)
    assert files == [InputFile(url, len(data), True) for url in urls]
    for size in (4, 9, 50):
        splits = plan_splits(files, 1, min_split_size=1, block_size=size)
        assert len(splits) > 2 * (len(data) // size) - 2
        for split in splits:
            assert b"".join(read_split(split, chunk_size=7)) == hadoop_split(data, split)


def test_http_range_reads_split_and_plain_server_reads_whole(tmp_path, script, http_server,
                                                             plain_http_server):
    """A server that accepts ranges gets one request per split; Python's own http.server
    (no Range support) gets one split per file; both give the local run's part files."""
    script("cat.py", CAT)
    data = gzip.compress(TRICKY)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "t.txt").write_bytes(TRICKY)
    (tmp_path / "in" / "t.gz").write_bytes(data)
    ranged = ",".join(http_server.put(f"{tmp_path.name}/{n}", d) for n, d in
                      (("t.txt", TRICKY), ("t.gz", data)))
    plain = plain_http_server.put(f"{tmp_path.name}/t.txt", TRICKY)
    ident = [*SMALL_SPLITS, "-numReduceTasks", "0", "-file", "cat.py", "-mapper", "python3 cat.py"]
    local = job(tmp_path, "in/t.txt,in/t.gz", "local", *ident)
    remote = job(tmp_path, ranged, "remote", *ident)
    whole = job(tmp_path, plain, "whole", *ident)
    assert remote[0].returncode == 0, remote[0].stderr
    assert remote[1] == local[1] and remote[2]["num_maps"] == local[2]["num_maps"] > 2
    assert whole[0].returncode == 0, whole[0].stderr
    assert whole[2]["num_maps"] == 1
    records = hadoop_split_records(TRICKY, 0, len(TRICKY))  # TextOutputFormat: key TAB value
    assert whole[1]["part-00000"] == b"".join(r + (b"\n" if b"\t" in r else b"\t\n")
                                              for r in records)


@pytest.mark.parametrize("case", ["s3 object", "s3 bucket", "gs object", "gs bucket",
                                  "s3 endpoint down", "http 404", "http port closed",
                                  "one of two missing"])
def test_missing_remote_input_fails_at_submission(tmp_path, s3_server, gcs_server, http_server,
                                                  marker_mapper, case):
    """Exit 5 before any task runs, one line naming the URL and the reason, no output dir."""
    store = gcs_server if case.startswith("gs") else s3_server
    bucket = store.bucket()
    good = store.put(bucket, "good.txt", b"a\n")
    url, reason = {
        "s3 object": (f"s3://{bucket}/nope.txt", f"no object nope.txt and nothing under "
                                                 f"nope.txt/ in bucket {bucket}"),
        "s3 bucket": ("s3://no-such-bucket-here/x.txt", "bucket no-such-bucket-here does not "
                                                        "exist"),
        "gs object": (f"gs://{bucket}/d/nope.gz", f"no object d/nope.gz and nothing under "
                                                  f"d/nope.gz/ in bucket {bucket}"),
        "gs bucket": ("gs://no-such-bucket-here/x.txt", "bucket no-such-bucket-here does not "
                                                        "exist"),
        "s3 endpoint down": (good, 'Could not connect to the endpoint URL: "http://127.0.0.1:9/'),
        "http 404": (http_server.url("nope.txt"), "HTTP 404"),
        "http port closed": ("http://127.0.0.1:9/x", "Connection refused"),
        "one of two missing": (f"{good},s3://{bucket}/gone.gz", "no object gone.gz"),
    }[case]
    res = streamkit("run", "-input", url, "-output", "out", "-file", "mark.py",
                    "-mapper", "python3 mark.py", "-reducer", "cat", cwd=str(tmp_path),
                    env={**s3_server.env, **gcs_server.env,
                         **({"AWS_ENDPOINT_URL": "http://127.0.0.1:9"} if "down" in case else {})})
    assert res.returncode == 5, res.stderr
    line = res.stderr.decode()
    assert line.count("\n") == 1 and line.startswith("streamkit: "), line
    assert f"input path does not exist: {url.split(',')[-1]} (" in line or "cannot read" in line
    assert url.split(",")[-1] in line and reason in line, line
    assert not marker_mapper.exists()
    assert not (tmp_path / "out").exists()


def test_remote_directory_rules_follow_hadoop(tmp_path, s3_server):
    """One level deep like a local dir: a sub-"directory" is refused, an empty glob match
    and a hidden name are errors, an empty prefix with a marker object is a job with no maps."""
    bucket = s3_server.bucket()
    s3_server.put(bucket, "d/a.txt", b"a\n")
    s3_server.put(bucket, "d/sub/b.txt", b"b\n")
    s3_server.put(bucket, "d/_x", b"hidden\n")
    s3_server.put(bucket, "empty/", b"")             # the console's "folder" marker
    for url, expected in [(f"s3://{bucket}/d", "contains sub-directory sub"),
                          (f"s3://{bucket}/d/*.gz", "matched no files"),
                          (f"s3://{bucket}/nope/*", "matched no files"),
                          (f"s3://{bucket}/d/_x", "Hadoop ignores names starting with '_'"),
                          (f"s3://{bucket}/d/b.txt", "does not exist")]:
        res = streamkit("run", "-input", url, "-output", "out", cwd=str(tmp_path),
                        env=s3_server.env)
        assert res.returncode == 5 and expected in res.stderr.decode(), (url, res.stderr)
        assert res.stderr.decode().count("\n") == 1
    res = streamkit("run", "-input", f"s3://{bucket}/d/*", "-output", "out", "-mapper", "cat", "-reducer", "cat",
                    cwd=str(tmp_path), env=s3_server.env)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out" / "part-00000").read_bytes() == b"a\t\nb\t\n"  # d/a.txt, d/sub/b.txt
    res = streamkit("run", "-input", f"s3://{bucket}/empty/", "-output", "out2",
                    cwd=str(tmp_path), env=s3_server.env)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out2" / "_SUCCESS").exists()


def test_sort_reads_s3_objects(tmp_path, s3_server):
    bucket = s3_server.bucket()
    url = s3_server.put(bucket, "x.gz", gzip.compress(b"b\t2\na\t1\nc\t3\n"))
    res = streamkit("sort", url, env=s3_server.env)
    assert res.returncode == 0, res.stderr
    assert res.stdout == b"a\t1\nb\t2\nc\t3\n"


@pytest.mark.parametrize("url,package,extra", [("s3://b/x", "boto3", "remote"),
                                               ("http://127.0.0.1:9/x", "requests", "remote"),
                                               ("gs://b/x", "google", "gcs"),
                                               ("hdfs://namenode/x", "pyarrow", "hdfs")])
def test_missing_client_says_what_to_install(tmp_path, url, package, extra):
    """With the store's client not importable (a package on PYTHONPATH that raises
    ImportError stands for it), one line names what to pip install; exit 5, nothing run."""
    shadow = tmp_path / "shadow" / package
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(f"raise ImportError('No module named {package}')\n")
    res = streamkit("run", "-input", url, "-output", "out", cwd=str(tmp_path),
                    env={"PYTHONPATH": str(tmp_path / "shadow")})
    assert res.returncode == 5, res.stderr
    line = res.stderr.decode()
    assert line.count("\n") == 1 and f"pip install 'streamkit[{extra}]'" in line, line
    assert url.split(":")[0] + "://" in line
    assert not (tmp_path / "out").exists()


def test_plan_splits_cuts_only_ranged_uncompressed_objects():
    files = [InputFile("s3://b/a.txt", 300, True), InputFile("http://h/b.txt", 300, False),
             InputFile("s3://b/c.gz", 300, True), InputFile("ftp://h/d.txt", None, False)]
    spans = [(s.file.uri[-5:], s.start, s.length) for s in plan_splits(files, 1, 1, 100)]
    assert spans == [("a.txt", 0, 100), ("a.txt", 100, 100), ("a.txt", 200, 100),
                     ("b.txt", 0, -1), ("/c.gz", 0, -1), ("d.txt", 0, -1)]


def test_object_removed_after_submission_is_one_line_with_the_reason(
        s3_server, gcs_server, http_server, monkeypatch):
    """A task that finds its object gone says why (issue 13 saw an empty reason)."""
    for name, value in {**s3_server.env, **gcs_server.env}.items():
        monkeypatch.setenv(name, value)
    buckets = [s3_server.bucket(), gcs_server.bucket()]
    urls = [s3_server.put(buckets[0], "gone.txt", b"x\n" * 100),
            gcs_server.put(buckets[1], "gone.txt", b"x\n" * 100), http_server.put("gone.txt", b"x\n")]
    splits = plan_splits(expand_inputs(urls), 1, min_split_size=1, block_size=100)
    s3_server.delete(buckets[0], "gone.txt")
    gcs_server.delete(buckets[1], "gone.txt")
    os.remove(os.path.join(http_server.directory, "gone.txt"))
    assert len(splits) == 5
    for split, reason in zip([splits[1], splits[3], splits[4]], ["NoSuchKey", "404", "404"]):
        with pytest.raises(InputError, match=f"cannot (read|open) input {split.file.uri}.*{reason}"):
            list(read_split(split))


@pytest.mark.spark
def test_streamkit_spark_reads_s3_like_streamkit_run(tmp_path, script, s3_server, sc):
    """The real `streamkit spark` command (its own JVM, which hands the environment and so
    the S3 endpoint to its executors) on an S3 prefix cut into ranges, with a .gz object:
    the same part files and counters as `streamkit run` on the same objects."""
    bucket = local_and_remote_inputs(tmp_path, s3_server)
    script("m.py", WC_MAP)
    script("r.py", WC_REDUCE)
    wc = [*SMALL_SPLITS, "-D", "mapreduce.job.reduces=3", "-files", "m.py,r.py",
          "-mapper", "python3 m.py", "-reducer", "python3 r.py"]
    local = job(tmp_path, f"s3://{bucket}/in", "local", *wc, env=s3_server.env)
    assert local[0].returncode == 0, local[0].stderr
    res = streamkit("spark", "--master", "local[2]", *wc, "-input", f"s3://{bucket}/in",
                    "-output", "spark", "--stats", "spark.json",
                    cwd=str(tmp_path), env=s3_server.env, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stderr == b""
    assert parts(tmp_path / "spark") == local[1]
    stats = json.loads((tmp_path / "spark.json").read_text())
    assert stats["num_maps"] == local[2]["num_maps"] > 3 + 5
    assert stats["counters"] == local[2]["counters"]
