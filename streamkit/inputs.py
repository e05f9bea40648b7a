"""Map-side input as Hadoop's ``TextInputFormat`` sees it: which files, splits and records.

* ``expand_inputs`` follows ``FileInputFormat.listStatus``: comma lists (commas inside ``{..}``
  do not split), globs with ``{a,b}``, directories read one level deep, names starting with
  ``_`` or ``.`` ignored, a file named twice read twice.
* ``plan_splits`` follows ``FileInputFormat.getSplits`` (goal size, ``SPLIT_SLOP``).
* ``read_split`` yields exactly the records ``LineRecordReader`` gives that split, re-terminated
  with ``\\n`` by :class:`streamkit.records.LineReader`; ``read_split_keyed`` yields the same
  records with ``LineRecordReader``'s key, the byte offset of each line in the (decompressed) file.

Compression is chosen by file-name suffix, case-sensitively, as Hadoop's
``CompressionCodecFactory`` does (``x.GZ`` is read as plain bytes there too). Every compressed
file is one split: Hadoop can split ``.bz2`` by block, but the records are the same.
Remote URLs (``s3://``, ``gs://``, ``http(s)://``, ``hdfs://``) follow the same rules: they are
checked, sized and listed when the job is submitted (:mod:`streamkit.remote`), an uncompressed
object is cut into splits read by range requests, and the same codecs decode them.
"""

from __future__ import annotations

import bz2
import glob
import gzip
import io
import lzma
import os
import re
import stat
import sys
import zlib
from dataclasses import dataclass
from typing import Iterator
from urllib.parse import urlsplit

from streamkit.errors import InputError
from streamkit.records import LineReader
from streamkit.remote import reason_of, store, url_path

BOM = b"\xef\xbb\xbf"
SPLIT_SLOP = 1.1  # FileInputFormat: a tail up to 10 % over joins the last split
COMPRESSED = (".gz", ".bz2", ".zst", ".xz", ".deflate", ".lz4", ".snappy")
# Hadoop frames .lz4 and .snappy in its own block format; no Python library reads it.
UNREADABLE = (".lz4", ".snappy")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_GLOB_CHARS = re.compile(r"[*?\[{]")
_TERMINATOR = re.compile(rb"[\r\n]")


def _is_url(uri: str) -> bool:
    return bool(_URL.match(uri)) and not uri.startswith("file:")


def _codec(uri: str) -> str | None:
    """The compression suffix of ``uri`` (query string ignored), or None for plain text."""
    if _is_url(uri):
        uri = url_path(uri)
    return next((ext for ext in COMPRESSED if uri.endswith(ext)), None)


@dataclass(frozen=True)
class InputFile:
    """One file to read: an absolute local path or a URL, and its size when known.
    ``ranged``: a byte range can be read without what precedes it (a seek, a range request)."""

    uri: str
    size: int | None
    ranged: bool = True

    @property
    def splittable(self) -> bool:
        """Only an uncompressed file of known size that we can seek in is cut into ranges."""
        return self.ranged and self.size is not None and _codec(self.uri) is None

    @property
    def file_uri(self) -> str:
        """What Hadoop exports as ``mapreduce_map_input_file``: ``file:/abs/path`` when local."""
        return self.uri if _is_url(self.uri) else "file:" + self.uri


@dataclass(frozen=True)
class Split:
    """Bytes ``[start, start+length)`` of a file; ``length == -1`` means the whole stream."""

    file: InputFile
    start: int
    length: int
    index: int
    previous: bool = False  # a --merge-previous part file: reducer output lines, not input


def _split_top(text: str) -> list[str]:
    """Split on commas outside ``{..}``, as ``FileInputFormat.getPathStrings``.

    >>> _split_top("a,b{c,d},e")
    ['a', 'b{c,d}', 'e']
    """
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch == "{") - (ch == "}" and depth > 0)
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return parts + [text[start:]]


def _expand_braces(pattern: str) -> list[str]:
    """Expand ``{a,b}`` alternation (nested too); Python's glob only knows ``* ? [..]``.

    >>> _expand_braces("x{a,b{1,2}}.gz")
    ['xa.gz', 'xb1.gz', 'xb2.gz']
    """
    depth = 0
    for i, ch in enumerate(pattern):
        if ch == "{":
            depth, opened = depth + 1, (i if depth == 0 else opened)
        elif ch == "}" and depth:
            depth -= 1
            if depth == 0:
                head, body, tail = pattern[:opened], pattern[opened + 1:i], pattern[i + 1:]
                return [p for alt in _split_top(body) for p in _expand_braces(head + alt + tail)]
    return [pattern]


def _hidden(path: str) -> bool:
    """Hadoop's ``hiddenFileFilter``: it is why a previous job's ``_SUCCESS`` is not read."""
    return os.path.basename(path.rstrip("/") or "/")[:1] in ("_", ".")


def _denied(path: str) -> InputError:
    return InputError(f"cannot read input {path}: permission denied; make it readable "
                      "(chmod a+r, a+rx for a dir) or leave it out of -input")


def _local_file(path: str) -> InputFile:
    """Stat and probe one file now, so a bad input fails the job before any task runs."""
    try:
        st = os.stat(path)
        if stat.S_ISREG(st.st_mode):  # probing a pipe would close it under its writer
            open(path, "rb").close()
    except PermissionError:
        raise _denied(path) from None
    except OSError as err:
        raise InputError(f"cannot read input {path}: {err.strerror}") from None
    _refuse_codec(path)  # a pipe (-input <(zcat x)) has no size: read it whole, one split
    return InputFile(path, st.st_size if stat.S_ISREG(st.st_mode) else None)


local_file = _local_file


def _dir_files(path: str) -> list[InputFile]:
    """A directory's visible files, by name; Hadoop (non-recursive) refuses a sub-directory."""
    try:
        entries = sorted((e for e in os.scandir(path) if not _hidden(e.name)), key=lambda e: e.name)
    except PermissionError:
        raise _denied(path) from None
    for e in entries:
        if e.is_dir():
            raise InputError(f"input dir {path} contains sub-directory {e.name}; Hadoop refuses "
                             f"it (Not a file); remove it, or give -input '{path}/*' to read "
                             "one level down")
    return [_local_file(e.path) for e in entries]


def _remote_file(entry) -> InputFile:
    _refuse_codec(entry.url)
    return InputFile(entry.url, entry.size, entry.ranged)


def _expand_url(element: str) -> list[InputFile]:
    """A URL element, by the rules of the local ones below: globs, directories one level
    deep (a sub-directory refused), hidden names ignored. Checked now, as Hadoop's
    ``FileInputFormat`` does at submission, so a missing object fails before any task runs."""
    fs = store(element)
    if _GLOB_CHARS.search(url_path(element)):
        if not fs.can_list:
            raise InputError(f"input {element}: {urlsplit(element).scheme}:// cannot be listed, "
                             "so globs are not expanded; name the objects one by one")
        found = {e.url: e for alt in _expand_braces(element) for e in fs.glob(alt)}
        matches = [found[url] for url in sorted(found) if not _hidden(url)]
        if not matches:
            raise InputError(f"input '{element}' matched no files; check the path or quote the "
                             "glob (names starting with '_' or '.' are ignored, as in Hadoop)")
    else:
        matches = [fs.stat(element)]
        if _hidden(element):
            raise InputError(f"input '{element}' matched no files: Hadoop ignores names starting "
                             "with '_' or '.'; rename it")
    files = []
    for match in matches:
        if not match.is_dir:
            files.append(_remote_file(match))
            continue
        for entry in sorted(fs.listdir(match.url), key=lambda e: e.url):
            if _hidden(entry.url):
                continue
            if entry.is_dir:
                raise InputError(f"input dir {match.url} contains sub-directory {entry.name}; "
                                 "Hadoop refuses it (Not a file); remove it, or give -input "
                                 f"'{match.url.rstrip('/')}/*' to read one level down")
            files.append(_remote_file(entry))
    return files


def _expand_one(element: str) -> list[InputFile]:
    """One comma-list element: a URL, a glob, a directory or a file."""
    if not element:
        raise InputError("empty input path in -input; remove the stray comma")
    if _is_url(element):
        return _expand_url(element)
    if element.startswith("file:"):
        element = urlsplit(element).path
    if _GLOB_CHARS.search(element):
        found = {os.path.abspath(p) for alt in _expand_braces(element) for p in glob.glob(alt)}
        matches = sorted(p for p in found if not _hidden(p))
        if not matches:
            raise InputError(f"input '{element}' matched no files; check the path or quote the "
                             "glob (names starting with '_' or '.' are ignored, as in Hadoop)")
    else:
        matches = [os.path.abspath(element)]
        if not os.path.exists(matches[0]):
            raise InputError(f"input path does not exist: {element}")
        if _hidden(matches[0]):
            raise InputError(f"input '{element}' matched no files: Hadoop ignores names starting "
                             "with '_' or '.'; rename it")
    return [f for p in matches for f in (_dir_files(p) if os.path.isdir(p) else [_local_file(p)])]


def expand_inputs(specs: list[str]) -> list[InputFile]:
    """All files named by the ``-input`` values, in order; a file named twice is read twice.

    Every bad element is reported at once, as Hadoop's ``InvalidInputException`` does.
    """
    files: list[InputFile] = []
    errors: list[str] = []
    for spec in specs:
        for element in _split_top(spec):
            try:
                files.extend(_expand_one(element))
            except InputError as err:
                errors.append(str(err))
    if errors:
        raise InputError("; ".join(errors))
    if not specs:
        raise InputError("no input files: no -input given; give at least one -input with data")
    return files  # empty directories are fine: Hadoop runs the job with no map tasks


def plan_splits(files: list[InputFile], target_splits: int,
                min_split_size: int = 1 << 20, block_size: int | None = None) -> list[Split]:
    """Cut files into splits like ``FileInputFormat.getSplits``: one size for the whole job,
    ``computeSplitSize`` = max(min size, min(total / target_splits, block size)).
    """
    total = sum(f.size or 0 for f in files)
    goal = total // max(1, target_splits)
    if block_size:
        goal = min(goal, block_size)
    split_size = max(1, min_split_size, goal)
    splits: list[Split] = []
    for f in files:
        for start, length in _ranges(f, split_size):
            splits.append(Split(f, start, length, len(splits)))
    return splits


def plan_tapered_splits(files: list[InputFile], workers: int,
                        min_split_size: int = 1 << 20) -> list[Split]:
    """Default splits in the sizes :func:`tapered_sizes` gives (1/4, 1/4, then four of 1/8
    of the job with two workers), so that the cores run out of map work together: a core
    that finishes early takes more of the small splits instead of waiting for another's
    big last one.  Sizes never go below ``min_split_size``; a file's tail up to
    ``SPLIT_SLOP`` of a split joins it, as in ``FileInputFormat``.
    """
    sizes = iter(tapered_sizes(sum(f.size or 0 for f in files), workers, min_split_size))
    size = next(sizes)
    splits: list[Split] = []
    for f in files:
        if not f.size or not f.splittable:
            ranges = _ranges(f, size)
        else:
            ranges, pos = [], 0
            while f.size - pos > size * SPLIT_SLOP:
                ranges.append((pos, size))
                pos += size
                size = next(sizes, size)
            ranges.append((pos, f.size - pos))
        for start, length in ranges:
            splits.append(Split(f, start, length, len(splits)))
        size = next(sizes, size)
    return splits


def tapered_sizes(total: int, workers: int, min_size: int) -> list[int]:
    """Split sizes for :func:`plan_tapered_splits`: ``workers`` of total/(2 workers), then
    twice ``workers`` of total/(4 workers): half the job in one split per worker, the
    other half in small ones that the worker done first takes more of.

    >>> [s * 8 // 1600 for s in tapered_sizes(1600, 2, 1)]
    [2, 2, 1, 1, 1, 1]
    """
    workers = max(1, workers)
    sizes = []
    for share, count in ((2, workers), (4, 2 * workers)):
        sizes += [max(min_size, total // (share * workers))] * count
    return sizes


def _ranges(f: InputFile, split_size: int) -> list[tuple[int, int]]:
    """A zero-length file still gets one (empty) split: Hadoop starts a mapper for it."""
    if f.size == 0:
        return [(0, 0)]
    if not f.splittable:
        return [(0, -1)]
    ranges, left = [], f.size
    while left / split_size > SPLIT_SLOP:
        ranges.append((f.size - left, split_size))
        left -= split_size
    return ranges + [(f.size - left, left)]


class _Decoded(io.RawIOBase):
    """A zlib (Hadoop ``.deflate``) or zstd stream; concatenated frames read on.

    Neither ``decompressobj`` complains about a truncated stream, so we do.
    """

    def __init__(self, raw, new) -> None:
        self._raw, self._new, self._obj, self._buf, self._seen = raw, new, new(), b"", False

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self._buf:
            if self._obj.eof:
                data = self._obj.unused_data or self._raw.read(1 << 16)
                if not data:
                    return 0
                self._obj = self._new()
            else:
                data = self._raw.read(1 << 16)
                if not data:
                    if self._seen:
                        raise EOFError("stream ends before its end-of-stream marker")
                    return 0  # a zero-byte file reads as empty, like gzip's
            self._seen = True
            self._buf = self._obj.decompress(data)
        n = min(len(b), len(self._buf))
        b[:n], self._buf = self._buf[:n], self._buf[n:]
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


def _zstd():
    import zstandard  # smart_open 9 wants backports.zstd on Python < 3.14; zstandard is ours

    return zstandard.ZstdDecompressor().decompressobj()


_OWN_CODECS = {".deflate": zlib.decompressobj, ".zst": _zstd}
_LOCAL_CODECS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
_STREAM_CODECS = {".gz": lambda raw: gzip.GzipFile(fileobj=raw, mode="rb"),
                  ".bz2": bz2.BZ2File, ".xz": lzma.LZMAFile}


class _Owning(io.RawIOBase):
    """A stdlib decoder over a remote stream that closes the stream with it (theirs do not)."""

    def __init__(self, decoder, raw) -> None:
        self._decoder, self._raw = decoder, raw

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        return self._decoder.readinto(b)

    def close(self) -> None:
        try:
            self._decoder.close()
        finally:
            self._raw.close()
            super().close()


def _refuse_codec(uri: str) -> None:
    if _codec(uri) in UNREADABLE:
        raise InputError(f"input {uri} uses Hadoop's {_codec(uri)} block format, which streamkit "
                         f"cannot read; decompress it first (hadoop fs -text {uri})")


def open_input(uri: str):
    """Open ``uri`` for binary reading, decompressed by suffix; failures become InputError."""
    _refuse_codec(uri)
    codec = _codec(uri)
    try:
        if _is_url(uri):
            raw = store(uri).open(uri)  # only remote inputs import smart_open and clients
            if codec in _STREAM_CODECS:
                return io.BufferedReader(_Owning(_STREAM_CODECS[codec](raw), raw), 1 << 16)
            if codec in _OWN_CODECS:
                return io.BufferedReader(_Decoded(raw, _OWN_CODECS[codec]), 1 << 16)
            return raw
        path = uri[len("file:"):] if uri.startswith("file:") else uri
        if codec in _LOCAL_CODECS:
            return _LOCAL_CODECS[codec](path, "rb")
        raw = open(path, "rb")
        if codec in _OWN_CODECS:
            return io.BufferedReader(_Decoded(raw, _OWN_CODECS[codec]), 1 << 16)
        return raw
    except FileNotFoundError:
        raise InputError(f"input path does not exist: {uri} (was it removed after the job "
                         "started?)") from None
    except PermissionError:
        raise _denied(uri) from None
    except InputError:
        raise
    except Exception as err:  # smart_open's transports raise their own types (botocore, http…)
        raise InputError(f"cannot open input {uri}: {reason_of(err)}; check the path, URL and "
                         "credentials") from err


def _read(fh, n: int, uri: str) -> bytes:
    """One read; decoder errors (gzip, bz2, lzma, zlib, zstd) name the file and the remedy."""
    try:
        return fh.read(n)
    except Exception as err:
        codec = _codec(uri)
        if codec is None:
            raise InputError(f"cannot read input {uri}: {reason_of(err)}") from err
        raise InputError(f"input {uri} is truncated or corrupt ({codec[1:]}: {err}); "
                         "re-create it or remove it from -input") from err


def _seek(fh, pos: int, uri: str) -> None:
    """A seek; on a remote object it is a request, which can fail (object gone, server down)."""
    try:
        fh.seek(pos)
    except Exception as err:
        raise InputError(f"cannot read input {uri} at byte {pos}: {reason_of(err)}") from err


def _line_start_after(fh, pos: int, uri: str, chunk_size: int) -> int:
    """The first line start strictly after ``pos`` (or EOF): where ``LineRecordReader``
    resumes after discarding the line it lands in. A ``\\r`` ends a line unless a ``\\n``
    follows, so the byte after a ``\\r`` decides."""
    _seek(fh, pos, uri)
    while True:
        buf = _read(fh, chunk_size, uri)
        if not buf:
            return pos
        m = _TERMINATOR.search(buf)
        if m is None:
            pos += len(buf)
            continue
        at = m.start()
        if buf[at] == 0x0A:
            return pos + at + 1
        after = buf[at + 1:at + 2] if at + 1 < len(buf) else _read(fh, 1, uri)
        return pos + at + (2 if after == b"\n" else 1)


def _records(fh, uri: str, chunk_size: int, left: float, strip_bom: bool,
             first: int = 0) -> Iterator[bytes]:
    """Blocks of ``\\n``-terminated records from the next ``left`` bytes of ``fh``; the BOM
    is looked for at file offset 0 only. Blocks pass through: no per-line Python work.
    ``first``: the size of the first read, when not ``chunk_size`` (see :func:`split_pieces`)."""
    reader, head = LineReader(), (b"" if strip_bom else None)
    size = first or chunk_size
    while left > 0:
        chunk = _read(fh, int(min(size, left)), uri)
        size = chunk_size
        if not chunk:
            break
        left -= len(chunk)
        if head is not None:  # decoders may return short reads: gather 3 bytes first
            head += chunk
            if len(head) < 3:
                continue
            chunk, head = head[3:] if head.startswith(BOM) else head, None
        block = reader.feed(chunk)
        if block:
            yield block
    block = (reader.feed(head) if head else b"") + reader.finish()  # head: < 3 bytes, no BOM
    if block:
        yield block


def split_bounds(fh, split: Split, chunk_size: int = 1 << 20) -> tuple[int, int]:
    """``[begin, stop)``: the byte range holding the starts of ``split``'s records (both
    line starts, or EOF), for a splittable file opened as ``fh``."""
    uri, start = split.file.uri, split.start
    probe = min(chunk_size, 1 << 16)  # a remote seek is a request: fetch little past it
    stop = _line_start_after(fh, start + split.length, uri, probe)
    begin = _line_start_after(fh, start, uri, probe) if start else 0
    return begin, stop


def line_start_at_or_after(fh, pos: int, uri: str, chunk_size: int = 1 << 20) -> int:
    """The first line start at or after byte ``pos`` (or EOF)."""
    return _line_start_after(fh, pos - 1, uri, chunk_size) if pos else 0


def read_range(fh, uri: str, begin: int, stop: float, chunk_size: int = 1 << 20) -> Iterator[bytes]:
    """Blocks of the records starting in ``[begin, stop)``, both line starts (``stop`` may
    be infinite: to EOF), as :func:`read_split` yields them."""
    if begin < stop:
        _seek(fh, begin, uri)
        yield from _records(fh, uri, chunk_size, stop - begin, strip_bom=not begin)


def read_split(split: Split, chunk_size: int = 1 << 20) -> Iterator[bytes]:
    """Blocks of complete records, each ending ``\\n``: exactly the records Hadoop's
    ``LineRecordReader`` assigns to ``split``. The caller counts bytes if it wants to.

    A split reads the lines starting in ``(start, end]`` (``[0, end]`` for the first one): it
    discards the line it lands in and reads one line past its end. So a line is read once, by
    the split holding the byte before it, whatever the terminators at the boundaries.
    """
    uri, start = split.file.uri, split.start
    with open_input(uri) as fh:
        if split.length < 0 or not split.file.splittable:
            if start:
                raise ValueError(f"cannot start at byte {start} of unsplittable {uri}")
            yield from _records(fh, uri, chunk_size, float("inf"), strip_bom=True)
            return
        begin, stop = split_bounds(fh, split, chunk_size)
        yield from read_range(fh, uri, begin, stop, chunk_size)


#: bytes per read of :func:`split_pieces` (a module constant so tests can shrink it)
PIECE_CHUNK = 1 << 20
_PIPE_SENDFILE = sys.platform.startswith("linux")  # elsewhere sendfile wants a socket


def split_pieces(split: Split,
                 chunk_size: int | None = None) -> Iterator[bytes | tuple[int, int, int, int]]:
    """:func:`read_split`'s records with the copy through Python left out where it can be.

    Yields ``(fd, offset, length, records)`` for a range of the open input file whose bytes
    are already what the mapper must read (the caller hands it over with ``os.sendfile``),
    and ``bytes`` blocks where Python has to make them: from the first chunk holding a
    ``\\r`` on (LineReader rewrites ``\\r\\n`` and ``\\r``), the ``\\n`` after a final
    unterminated record. Only a local, plain, splittable file on Linux (where a pipe takes
    ``sendfile``) gets ranges; anything else is :func:`read_split`'s blocks.

    The bytes are counted (and searched for ``\\r``) from a ``preadv`` into one buffer,
    ``chunk_size`` at a time on :func:`read_split`'s grid; each range ends at the last line
    end of its chunk, so the pieces holding records are exactly ``read_split``'s blocks
    and a mapper that quits early is found to have been given the same records.
    """
    chunk_size = chunk_size or PIECE_CHUNK
    uri = split.file.uri
    if _is_url(uri) or not split.file.splittable or split.length < 0 or not _PIPE_SENDFILE:
        yield from read_split(split, chunk_size)
        return
    with open_input(uri) as fh:
        begin, stop = split_bounds(fh, split)
        if not begin and stop < 3:  # too short to tell a BOM: read_split's single block
            yield from read_range(fh, uri, begin, stop, chunk_size)
            return
        fd, buf = fh.fileno(), bytearray(chunk_size)
        view = memoryview(buf)
        # the next byte to read; the first not handed over (a line start, or after the BOM)
        pos, sent = begin, (3 if not begin and os.pread(fd, 3, 0) == BOM else begin)
        while pos < stop:
            n = os.preadv(fd, [view[:min(chunk_size, stop - pos)]], pos)
            if not n:
                break  # the file shrank since it was planned: read_split stops at EOF too
            if buf.find(b"\r", 0, n) >= 0:  # LineReader from here, on the same read grid
                _seek(fh, sent, uri)
                yield from _records(fh, uri, chunk_size, stop - sent, not sent,
                                    pos + chunk_size - sent)
                return
            end = buf.rfind(b"\n", 0, n) + 1
            if end:
                yield fd, sent, pos + end - sent, buf.count(b"\n", 0, n)
                sent = pos + end
            pos += n
        if pos > sent:  # a final record without terminator: LineReader adds one
            yield fd, sent, pos - sent, 0
            yield b"\n"


_LINE_END = re.compile(rb"\r\n|\r|\n")


def read_split_keyed(split: Split, chunk_size: int = 1 << 20) -> Iterator[list[tuple[int, bytes]]]:
    """Lists of ``(offset, line)``: :func:`read_split`'s records with ``LineRecordReader``'s
    key, the offset of the line's first byte (terminators and a leading BOM counted; the
    first line's key is 0 even when its BOM is dropped).  Per-line work: only for jobs
    that show the mapper its keys."""
    uri, start = split.file.uri, split.start
    with open_input(uri) as fh:
        if split.length < 0 or not split.file.splittable:
            if start:
                raise ValueError(f"cannot start at byte {start} of unsplittable {uri}")
            begin, stop = 0, float("inf")
        else:
            stop = _line_start_after(fh, start + split.length, uri, chunk_size)
            begin = _line_start_after(fh, start, uri, chunk_size) if start else 0
            fh.seek(begin)
        pos, buf, eof = begin, b"", begin >= stop
        while not eof:
            chunk = _read(fh, chunk_size, uri)
            eof = not chunk
            scan = max(0, len(buf) - 1)  # what is held has no terminator but a final "\r"
            buf += chunk
            out, at = [], 0
            for m in _LINE_END.finditer(buf, scan):
                if m.group() == b"\r" and m.end() == len(buf) and not eof:
                    break  # a "\r" at the end of the buffer may be half of "\r\n"
                out.append((pos + at, buf[at:m.start()]))
                at = m.end()
            if eof and at < len(buf):
                if pos + at or buf[at:] != BOM:  # a lone BOM is no record (LineRecordReader)
                    out.append((pos + at, buf[at:]))
                at = len(buf)
            buf, pos = buf[at:], pos + at
            out = [(off, line) for off, line in out if off < stop]
            if out and out[0][0] == 0 and out[0][1].startswith(BOM):
                out[0] = (0, out[0][1][3:])
            if out:
                yield out
            if pos >= stop:
                break
