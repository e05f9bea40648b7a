"""TextOutputFormat: how a task's output lines become part-file bytes.

Each script output line is split into key and value (``TextOutputReader``: N-th
separator, fewer ⇒ all key) and written as ``key + SEP + value + "\\n"`` with
``mapreduce.output.textoutputformat.separator``; so a line without a separator gets
a trailing tab, as on Hadoop.  ``keyonlytext`` writes lines verbatim.
"""

from __future__ import annotations

import bz2
import gzip
import os
import zlib

from streamkit.errors import disk_errors
from streamkit.records import split_key_value


class _DeflateFile:
    """Hadoop's DefaultCodec (``.deflate``) is a plain zlib stream."""

    def __init__(self, path: str):
        self._f = open(path, "wb")
        self._z = zlib.compressobj()

    def write(self, data: bytes) -> None:
        self._f.write(self._z.compress(data))

    def close(self) -> None:
        self._f.write(self._z.flush())
        self._f.close()


def open_part(path: str):
    """Open a part file for writing, compressed by its suffix."""
    if path.endswith(".gz"):
        return gzip.open(path, "wb", compresslevel=6)
    if path.endswith(".bz2"):
        return bz2.open(path, "wb")
    if path.endswith(".zst"):
        import zstandard

        return zstandard.ZstdCompressor().stream_writer(open(path, "wb"), closefd=True)
    if path.endswith(".deflate"):
        return _DeflateFile(path)
    return open(path, "wb", buffering=1 << 20)


class TextOutput:
    """Write ``\\n``-terminated script output blocks to one part file.

    ``sep``/``nfields`` parse the script's lines; ``out_sep`` joins key and value.
    With ``lazy`` the file is created only when the first record arrives.
    """

    def __init__(self, path: str, sep: bytes = b"\t", nfields: int = 1,
                 out_sep: bytes = b"\t", keyonly: bool = False, lazy: bool = False):
        self.path, self.sep, self.nfields, self.out_sep = path, sep, nfields, out_sep
        self.keyonly = keyonly
        self.records = 0
        self.bytes = 0
        self._file = None if lazy else open_part(path)

    def write_block(self, block: bytes) -> None:
        if not block:
            return
        lines = block.split(b"\n")
        lines.pop()
        self.records += len(lines)
        if not self.keyonly:
            block = self._reformat(lines, block)
        with disk_errors(self.path, len(block)):
            if self._file is None:
                self._file = open_part(self.path)
            self._file.write(block)
        self.bytes += len(block)

    def _reformat(self, lines: list[bytes], block: bytes) -> bytes:
        sep, out_sep = self.sep, self.out_sep
        if self.nfields == 1 and sep == out_sep:
            if block.count(sep) >= len(lines) and all(sep in line for line in lines):
                return block
            return b"\n".join([l if sep in l else l + sep for l in lines]) + b"\n"
        out = []
        for line in lines:
            key, value = split_key_value(line, sep, self.nfields)
            out.append(key + out_sep + value)
        return b"\n".join(out) + b"\n"

    def close(self) -> None:
        if self._file is not None:
            with disk_errors(self.path, 0):
                self._file.close()
            self._file = None

    def abort(self) -> None:
        self.close()
        if os.path.exists(self.path):
            os.unlink(self.path)
