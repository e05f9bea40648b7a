"""Remote inputs: find, size, list and open objects behind ``s3://``, ``gs://``, ``http(s)://``
and ``hdfs://`` URLs.

Hadoop checks every input when the job is submitted and plans splits from file sizes, so the
driver must stat and list remote stores, not only read them. smart_open reads ``s3``, ``gs`` and
``http(s)`` with range requests (a split of one object is a seek); it has no stat or listing,
so those use the clients smart_open itself uses (boto3, google-cloud-storage, requests), with
their standard credentials and endpoints (``AWS_*`` variables, ``~/.aws``, ``AWS_ENDPOINT_URL``;
Google's application-default credentials). ``hdfs://`` goes through Apache Arrow's
``pyarrow.fs.HadoopFileSystem`` (libhdfs): smart_open's ``hdfs`` runs ``hdfs dfs -cat``, which
cannot seek, and fsspec's ``hdfs`` is the same pyarrow class underneath.

This is the only module that imports smart_open and the stores' clients, lazily: local jobs
never pay for them. Each store returns :class:`Entry` objects; what a directory or a glob
means to Hadoop (hidden names, one level deep) stays in :mod:`streamkit.inputs`.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from streamkit.errors import InputError

_GLOB_CHARS = re.compile(r"[*?\[]")
_ERRNO_TEXT = re.compile(r"\[Errno -?\d+\] ([^'\")]+)")
TIMEOUT_S = 60  # connect/read timeout of a stat or listing; reads rely on the task timeout


@dataclass(frozen=True)
class Entry:
    """One object or directory: ``size`` is None when unknown; ``ranged`` when a byte range
    can be read without reading what precedes it (what makes a split possible)."""

    url: str
    is_dir: bool = False
    size: int | None = None
    ranged: bool = False

    @property
    def name(self) -> str:
        return self.url.rstrip("/").rsplit("/", 1)[-1]


class Missing(InputError):
    """The object does not exist (a glob treats it as matching nothing)."""


def url_path(url: str) -> str:
    """The path of ``url``: for object stores everything after the bucket (``?`` is a glob
    character there, as in Hadoop's ``Path``); for http(s) without the query string."""
    if urlsplit(url).scheme.lower() in ("http", "https"):
        return urlsplit(url).path
    return "/" + url.split("://", 1)[1].partition("/")[2]


def _bucket_key(url: str) -> tuple[str, str]:
    rest = url.split("://", 1)[1]
    bucket, _, key = rest.partition("/")
    return bucket, key


def _root(url: str) -> str:
    """``scheme://bucket`` (or ``hdfs://namenode``), no trailing slash."""
    return url.split("://", 1)[0] + "://" + _bucket_key(url)[0]


def missing(url: str, why: str) -> Missing:
    return Missing(f"input path does not exist: {url} ({why})")


def unreadable(url: str, err: BaseException | str) -> InputError:
    reason = err if isinstance(err, str) else reason_of(err)
    return InputError(f"cannot read input {url}: {reason}; check the path, URL and credentials")


def reason_of(err: BaseException) -> str:
    """A short reason from a client's exception: its errno text when a socket failed
    ("Connection refused"), else its own message, else its type (some have no message)."""
    text = str(err).strip()
    found = _ERRNO_TEXT.search(text)
    if found and type(err).__module__.split(".")[0] in ("requests", "urllib3", "botocore"):
        return f"{found.group(1).strip()} ({type(err).__name__})"
    return " ".join(text.split()) if text else type(err).__name__  # one line, all of it


def _need(module: str, scheme: str, extra: str):
    """Import a store's client, or say in one line what to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise InputError(f"{scheme}:// inputs need the Python package {module.split('.')[0]}, "
                         f"which is not installed; pip install 'streamkit[{extra}]'") from None


class Store:
    """A store's operations; subclasses fill in what their client can do."""

    scheme = ""
    can_list = True

    def stat(self, url: str) -> Entry:
        """The object or directory at ``url``; InputError naming it if missing or unreadable."""
        raise NotImplementedError

    def listdir(self, url: str) -> list[Entry]:
        """The direct children of directory ``url``, in any order."""
        raise NotImplementedError

    def open(self, url: str):
        """A seekable binary file object (seeks on ``ranged`` entries become range reads)."""
        raise NotImplementedError

    def glob(self, pattern: str) -> list[Entry]:
        """Entries matching ``pattern`` (``* ? [..]``, no braces), walked one path component at
        a time as Hadoop's ``Globber`` does: a wildcard never crosses a ``/``."""
        components = url_path(pattern).strip("/").split("/")
        first = next(i for i, c in enumerate(components) if _GLOB_CHARS.search(c))
        base = _root(pattern) + "/" + "".join(c + "/" for c in components[:first])
        try:
            level = [self.stat(base)] if first else [Entry(base, is_dir=True)]
        except Missing:
            return []
        for depth, component in enumerate(components[first:], first):
            last = depth == len(components) - 1
            level = [child for entry in level if entry.is_dir for child in self.listdir(entry.url)
                     if fnmatch.fnmatchcase(child.name, component) and (last or child.is_dir)]
        return level


def _smart_open():
    """smart_open, imported by the driver when it checks the inputs: map attempts are forked
    from it, so they share the import (~1 s of CPU and ~20 MB) instead of each paying it."""
    import smart_open

    return smart_open


def _client_cache(make):
    """One client per process: clients hold connection pools a forked worker must not share."""
    clients: dict[int, object] = {}

    def get():
        pid = os.getpid()
        if pid not in clients:
            clients[pid] = make()
        return clients[pid]
    return get


# ------------------------------------------------------------------ s3://, s3a://, s3n://

class S3(Store):
    """Amazon S3 and S3-compatible servers. ``s3a``/``s3n`` are Hadoop's spellings of ``s3``."""

    scheme = "s3"

    def __init__(self) -> None:
        boto3 = _need("boto3", "s3", "remote")
        self._botocore = _need("botocore.exceptions", "s3", "remote")
        session = boto3.session.Session()  # its parsed API models are shared by forked workers
        self.client = _client_cache(lambda: session.client("s3"))
        self.smart_open = _smart_open()

    def _code(self, err: BaseException) -> str:
        return err.response.get("Error", {}).get("Code", "") if hasattr(err, "response") else ""

    def stat(self, url: str) -> Entry:
        bucket, key = _bucket_key(url)
        errors = (self._botocore.BotoCoreError, self._botocore.ClientError)
        if key and not key.endswith("/"):
            try:
                head = self.client().head_object(Bucket=bucket, Key=key)
                return Entry(url, size=head["ContentLength"], ranged=True)
            except errors as err:
                if self._code(err) not in ("404", "NoSuchKey"):
                    raise unreadable(url, err) from None
        prefix = key.rstrip("/") + "/" if key else ""
        try:  # not an object: a "directory" if any key starts with it (this also finds the bucket)
            found = self.client().list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
        except errors as err:
            if self._code(err) == "NoSuchBucket":
                raise missing(url, f"bucket {bucket} does not exist") from None
            raise unreadable(url, err) from None
        if found.get("KeyCount", 0) or not key:
            return Entry(url, is_dir=True)
        raise missing(url, f"no object {key} and nothing under {prefix} in bucket {bucket}")

    def listdir(self, url: str) -> list[Entry]:
        bucket, key = _bucket_key(url)
        prefix = key.rstrip("/") + "/" if key else ""
        root = _root(url) + "/"
        entries = []
        try:
            pages = self.client().get_paginator("list_objects_v2").paginate(
                Bucket=bucket, Prefix=prefix, Delimiter="/")
            for page in pages:
                entries += [Entry(root + p["Prefix"], is_dir=True)
                            for p in page.get("CommonPrefixes", [])]
                entries += [Entry(root + o["Key"], size=o["Size"], ranged=True)
                            for o in page.get("Contents", []) if o["Key"] != prefix]  # dir marker
        except (self._botocore.BotoCoreError, self._botocore.ClientError) as err:
            raise unreadable(url, err) from None
        return entries

    def open(self, url: str):
        bucket, key = _bucket_key(url)  # smart_open knows s3a/s3n too, but one client is simpler
        return self.smart_open.open(f"s3://{bucket}/{key}", "rb", compression="disable",
                               transport_params={"client": self.client(), "defer_seek": True})


# ------------------------------------------------------------------ gs://

class GCS(Store):
    """Google Cloud Storage, through google-cloud-storage (what smart_open's gcs uses)."""

    scheme = "gs"

    def __init__(self) -> None:
        storage = _need("google.cloud.storage", "gs", "gcs")
        self._exceptions = _need("google.api_core.exceptions", "gs", "gcs")
        self.client = _client_cache(storage.Client)
        self.smart_open = _smart_open()

    def stat(self, url: str) -> Entry:
        bucket, key = _bucket_key(url)
        try:
            if key and not key.endswith("/"):
                blob = self.client().bucket(bucket).get_blob(key)
                if blob is not None:
                    return Entry(url, size=blob.size, ranged=True)
            prefix = key.rstrip("/") + "/" if key else ""
            if not self.client().bucket(bucket).exists():
                raise missing(url, f"bucket {bucket} does not exist")
            if not key or any(True for _ in self.client().list_blobs(bucket, prefix=prefix,
                                                                      max_results=1)):
                return Entry(url, is_dir=True)
        except self._exceptions.GoogleAPIError as err:
            raise unreadable(url, err) from None
        raise missing(url, f"no object {key} and nothing under {prefix} in bucket {bucket}")

    def listdir(self, url: str) -> list[Entry]:
        bucket, key = _bucket_key(url)
        prefix = key.rstrip("/") + "/" if key else ""
        try:
            blobs = self.client().list_blobs(bucket, prefix=prefix, delimiter="/")
            entries = [Entry(f"gs://{bucket}/{b.name}", size=b.size, ranged=True)
                       for b in blobs if b.name != prefix]
            entries += [Entry(f"gs://{bucket}/{p}", is_dir=True) for p in blobs.prefixes]
        except self._exceptions.GoogleAPIError as err:
            raise unreadable(url, err) from None
        return entries

    def open(self, url: str):
        return self.smart_open.open(url, "rb", compression="disable",
                               transport_params={"client": self.client()})


# ------------------------------------------------------------------ http://, https://

class HTTP(Store):
    """A web server: no listing; a split is a ``Range`` request when the server says it
    accepts them (``Accept-Ranges: bytes``), else the object is read whole, one split."""

    scheme = "http"
    can_list = False
    HEADERS = {"Accept-Encoding": "identity"}  # sizes and offsets are of the bytes as stored

    def __init__(self) -> None:
        self.requests = _need("requests", "http", "remote")
        self.smart_open = _smart_open()

    def stat(self, url: str) -> Entry:
        try:
            response = self.requests.head(url, headers=self.HEADERS, allow_redirects=True,
                                          timeout=TIMEOUT_S)
            if response.status_code in (405, 501):  # HEAD not allowed: ask for the body, read none
                response = self.requests.get(url, headers=self.HEADERS, stream=True,
                                             timeout=TIMEOUT_S)
                response.close()
        except self.requests.RequestException as err:
            raise unreadable(url, err) from None
        if response.status_code in (404, 410):
            raise missing(url, f"HTTP {response.status_code} {response.reason}")
        if not response.ok:
            raise unreadable(url, f"HTTP {response.status_code} {response.reason}")
        length = response.headers.get("Content-Length", "")
        size = int(length) if length.isdigit() else None
        ranged = size is not None and response.headers.get("Accept-Ranges", "").lower() == "bytes"
        return Entry(url, size=size, ranged=ranged)

    def open(self, url: str):
        return self.smart_open.open(url, "rb", compression="disable",
                               transport_params={"headers": dict(self.HEADERS)})


# ------------------------------------------------------------------ hdfs://, viewfs://

class HDFS(Store):
    """HDFS through ``pyarrow.fs.HadoopFileSystem`` (libhdfs over JNI): it needs a Hadoop
    client on the machine (``JAVA_HOME``, ``HADOOP_HOME`` or ``ARROW_LIBHDFS_DIR``, and
    ``CLASSPATH=$(hadoop classpath --glob)``), as every HDFS client outside the JVM does."""

    scheme = "hdfs"

    def __init__(self) -> None:
        self.fs_mod = _need("pyarrow.fs", "hdfs", "hdfs")
        self._fs: dict[tuple[int, str], object] = {}

    def _connect(self, url: str):
        namenode = _bucket_key(url)[0]
        key = (os.getpid(), namenode)
        if key not in self._fs:
            try:
                self._fs[key] = self.fs_mod.HadoopFileSystem.from_uri(
                    f"{url.split('://')[0]}://{namenode or 'default'}")
            except Exception as err:  # libhdfs or the JVM not found, namenode unreachable
                raise unreadable(url, err) from None
        return self._fs[key], url_path(url)

    def _entry(self, url: str, info) -> Entry:
        kind = self.fs_mod.FileType
        if info.type == kind.Directory:
            return Entry(url, is_dir=True)
        return Entry(url, size=info.size, ranged=True)

    def stat(self, url: str) -> Entry:
        fs, path = self._connect(url)
        try:
            info = fs.get_file_info(path)
        except Exception as err:
            raise unreadable(url, err) from None
        if info.type == self.fs_mod.FileType.NotFound:
            raise missing(url, "not found on HDFS")
        return self._entry(url, info)

    def listdir(self, url: str) -> list[Entry]:
        fs, path = self._connect(url)
        root = _root(url)
        try:
            infos = fs.get_file_info(self.fs_mod.FileSelector(path))
        except Exception as err:
            raise unreadable(url, err) from None
        return [self._entry(root + "/" + i.path.lstrip("/"), i) for i in infos]

    def open(self, url: str):
        fs, path = self._connect(url)
        return fs.open_input_file(path)


# ------------------------------------------------------------------ anything else smart_open opens

class Probe(Store):
    """Schemes smart_open opens but streamkit cannot stat (ftp, sftp, azure, webhdfs…):
    opened once at submission so a missing object still fails before any task runs; size
    unknown, so one split each; no globs or directories."""

    can_list = False

    def __init__(self) -> None:
        self.smart_open = _smart_open()

    def stat(self, url: str) -> Entry:
        try:
            self.open(url).close()
        except FileNotFoundError as err:
            raise missing(url, reason_of(err)) from None
        except Exception as err:
            raise unreadable(url, err) from None
        return Entry(url)

    def open(self, url: str):
        return self.smart_open.open(url, "rb", compression="disable")


_STORES = {"s3": S3, "s3a": S3, "s3n": S3, "gs": GCS, "http": HTTP, "https": HTTP,
           "hdfs": HDFS, "viewfs": HDFS}
_made: dict[type, Store] = {}


def store(url: str) -> Store:
    """The store for ``url``'s scheme (its client imported now, so a missing one is reported
    when the job is submitted)."""
    scheme = urlsplit(url).scheme.lower()
    kind = _STORES.get(scheme, Probe)
    if kind not in _made:
        _made[kind] = kind()
    return _made[kind]
