"""Remote stores for tests, on 127.0.0.1 only: an S3-compatible server and HTTP servers.

Used by tests that read ``s3://`` and ``http://`` inputs through real ``streamkit``
subprocesses (any engine): a test puts objects in, passes ``env`` to the subprocess and names
the objects by URL. Nothing here needs the network; every server stops at teardown.

* :class:`S3Server` is moto's ``ThreadedMotoServer`` (S3 API over HTTP, objects in memory).
  streamkit finds it the way users point boto3 at any S3-compatible store: ``AWS_ENDPOINT_URL``
  and the standard credential variables; the user's own ``~/.aws`` is hidden from it.
* :class:`GCSServer` is gcp-storage-emulator, found through ``STORAGE_EMULATOR_HOST``.
  :class:`S3Server` and :class:`GCSServer` share ``bucket()``, ``put()``, ``delete()``, ``env``.
* :class:`HTTPServer` serves a directory. With ``ranges=True`` it answers ``Range: bytes=…``
  with 206 and says ``Accept-Ranges: bytes``; stdlib's ``SimpleHTTPRequestHandler`` (Python
  3.10–3.13) ignores ``Range`` and sends the whole file, so ``ranges=False`` uses it as it is:
  the server a user gets from ``python3 -m http.server``.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import threading
import uuid

_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


class S3Server:
    """moto's S3 on 127.0.0.1 (port chosen by the kernel)."""

    scheme = "s3"

    def __init__(self) -> None:
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        missing = os.path.join(os.path.dirname(__file__), "no-such-aws-config")
        self.env = {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": "testing",
                    "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                    "AWS_CONFIG_FILE": missing, "AWS_SHARED_CREDENTIALS_FILE": missing,
                    "AWS_EC2_METADATA_DISABLED": "true"}
        import boto3

        self.client = boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing")

    def bucket(self) -> str:
        """A new empty bucket; its name."""
        name = f"bucket-{uuid.uuid4().hex[:12]}"
        self.client.create_bucket(Bucket=name)
        return name

    def put(self, bucket: str, key: str, data: bytes) -> str:
        """Store ``data`` as ``key``; its ``s3://`` URL."""
        self.client.put_object(Bucket=bucket, Key=key, Body=data)
        return f"s3://{bucket}/{key}"

    def delete(self, bucket: str, key: str) -> None:
        self.client.delete_object(Bucket=bucket, Key=key)

    def stop(self) -> None:
        self._server.stop()


class GCSServer:
    """gcp-storage-emulator on 127.0.0.1: the GCS JSON API, objects in memory. The
    google-cloud-storage client finds it through ``STORAGE_EMULATOR_HOST`` (and then needs no
    credentials), as it finds any emulator."""

    scheme = "gs"

    def __init__(self) -> None:
        from gcp_storage_emulator.server import create_server

        self._server = create_server("127.0.0.1", 0, in_memory=True)
        self._server._api.daemon = True  # its thread must not keep a failed session alive
        self._server.start()
        host, port = self._server._api._httpd.server_address[:2]
        self.env = {"STORAGE_EMULATOR_HOST": f"http://{host}:{port}"}
        from google.cloud import storage

        old = os.environ.get("STORAGE_EMULATOR_HOST")
        os.environ["STORAGE_EMULATOR_HOST"] = self.env["STORAGE_EMULATOR_HOST"]
        try:
            self.client = storage.Client()
        finally:
            if old is None:
                del os.environ["STORAGE_EMULATOR_HOST"]
            else:
                os.environ["STORAGE_EMULATOR_HOST"] = old

    def bucket(self) -> str:
        name = f"bucket-{uuid.uuid4().hex[:12]}"
        self.client.create_bucket(name)
        return name

    def put(self, bucket: str, key: str, data: bytes) -> str:
        self.client.bucket(bucket).blob(key).upload_from_string(data)
        return f"gs://{bucket}/{key}"

    def delete(self, bucket: str, key: str) -> None:
        self.client.bucket(bucket).blob(key).delete()

    def stop(self) -> None:
        self._server.stop()


class _RangeHandler(http.server.SimpleHTTPRequestHandler):
    """GET/HEAD of files under ``directory``, honouring one ``Range: bytes=a-b`` (RFC 9110)."""

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def send_head(self):
        path = self.translate_path(self.path)
        if not os.path.isfile(path):
            self.send_error(404, "File not found")
            return None
        size = os.path.getsize(path)
        start, end = 0, size - 1
        match = _RANGE.match(self.headers.get("Range", ""))
        if match and match.group(1) + match.group(2):
            first, last = match.groups()
            if first:
                start, end = int(first), min(int(last), size - 1) if last else size - 1
            else:
                start = max(0, size - int(last))
            if start >= size or start > end:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        else:
            self.send_response(200)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        f = open(path, "rb")
        f.seek(start)
        self._left = end - start + 1
        return f

    def copyfile(self, source, outputfile) -> None:
        left = self._left
        while left > 0:
            block = source.read(min(left, 1 << 16))
            if not block:
                break
            outputfile.write(block)
            left -= len(block)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


class HTTPServer:
    """Serve ``directory`` on 127.0.0.1; ``url(name)`` is a file's URL."""

    def __init__(self, directory: str, ranges: bool = True) -> None:
        self.directory = directory
        handler = functools.partial(_RangeHandler if ranges else _QuietHandler,
                                    directory=directory)
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.base = f"http://{host}:{port}"

    def put(self, name: str, data: bytes) -> str:
        path = os.path.join(self.directory, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        return self.url(name)

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
