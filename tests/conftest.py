"""Shared fixtures: the real `streamkit` command, small scripts, and the Unix-pipeline oracle."""

import os
import subprocess
import sys
import textwrap
from contextlib import contextmanager

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STREAMKIT = [sys.executable, "-m", "streamkit"]


def streamkit(*args, input=None, cwd=None, env=None, timeout=120):
    """Run the real command line; return the CompletedProcess (bytes)."""
    full_env = dict(os.environ, **(env or {}))
    full_env["PYTHONPATH"] = ROOT + os.pathsep + full_env.get("PYTHONPATH", "")
    return subprocess.run(STREAMKIT + list(args), input=input, cwd=cwd, env=full_env,
                          capture_output=True, timeout=timeout)


def oracle(data: bytes, mapper: str, reducer: str, cwd: str) -> bytes:
    """`cat | mapper | LC_ALL=C sort -t$'\\t' -k1,1 -s | reducer`: what users run today."""
    cmd = f"{mapper} | LC_ALL=C sort -t \"$(printf '\\t')\" -k1,1 -s | {reducer}"
    return subprocess.run(["bash", "-c", cmd], input=data, cwd=cwd, capture_output=True,
                          check=True, timeout=120).stdout


@pytest.fixture(autouse=True)
def private_state(tmp_path_factory, monkeypatch):
    """Failed attempts' logs go to $XDG_STATE_HOME/streamkit/logs: give each test its own,
    outside tmp_path (tests list tmp_path) and outside the real home."""
    state = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    return state


@pytest.fixture
def script(tmp_path):
    """Write an executable Python script into tmp_path; return its file name."""
    def make(name: str, body: str) -> str:
        path = tmp_path / name
        path.write_text("#!/usr/bin/env python3\n" + textwrap.dedent(body))
        path.chmod(0o755)
        return name
    return make


@pytest.fixture
def run(tmp_path):
    """`streamkit run ARGS` in tmp_path."""
    def go(*args, **kw):
        return streamkit("run", *args, cwd=str(tmp_path), **kw)
    return go


@pytest.fixture(scope="session")
def sc(tmp_path_factory):
    """One SparkContext (`local[2]`) for every Spark test: starting Spark costs ~10 s."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        if os.environ.get("STREAMKIT_SPARK_TESTS") == "required":
            pytest.fail("pyspark is not installed; `make test` installs it (streamkit[spark])")
        pytest.skip("pyspark not installed (pip install 'streamkit[spark]')")
    from streamkit import hadoop_args, spark_engine

    spec = hadoop_args.parse(["-input", "x", "-output", "y"])
    log = tmp_path_factory.mktemp("spark") / "spark.log"
    context = spark_engine.start_context(spec, spark_engine.SparkOptions("local[2]"), str(log))
    yield context
    context.stop()


@contextmanager
def cwd(path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def spark(sc, where, *args, stdout=None):
    """`streamkit spark ARGS` in ``where``, through the library on the shared context."""
    from streamkit import hadoop_args, spark_engine

    with cwd(where):
        spec = hadoop_args.parse(list(args))
        return spark_engine.run_spark_job(spec, sc=sc, stdout=stdout)


@pytest.fixture(scope="session")
def s3_server():
    """An S3-compatible server on 127.0.0.1 (moto); ``.env`` points a subprocess at it."""
    from remote_servers import S3Server

    server = S3Server()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def gcs_server():
    """A GCS emulator on 127.0.0.1; ``.env`` points a subprocess at it."""
    from remote_servers import GCSServer

    server = GCSServer()
    yield server
    server.stop()


@pytest.fixture(params=["s3", "gs"])
def object_store(request):
    """Each object store in turn (same interface): run a test against S3 and GCS."""
    return request.getfixturevalue({"s3": "s3_server", "gs": "gcs_server"}[request.param])


@pytest.fixture(scope="session")
def http_server(tmp_path_factory):
    """An HTTP server on 127.0.0.1 with Range support, serving a fresh directory."""
    from remote_servers import HTTPServer

    server = HTTPServer(str(tmp_path_factory.mktemp("http-root")))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def plain_http_server(tmp_path_factory):
    """Python's own ``http.server`` on 127.0.0.1: no Range support."""
    from remote_servers import HTTPServer

    server = HTTPServer(str(tmp_path_factory.mktemp("plain-http-root")), ranges=False)
    yield server
    server.stop()
