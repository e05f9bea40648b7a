"""streamkit.inputs: the files, splits and records Hadoop's TextInputFormat would give."""

from __future__ import annotations

import builtins
import bz2
import gzip
import lzma
import os
import zlib

import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamkit.errors import InputError
from streamkit.inputs import (InputFile, Split, expand_inputs, open_input, plan_splits,
                              plan_tapered_splits, read_split)
from streamkit.records import iter_records

BOM = b"\xef\xbb\xbf"


# ------------------------------------------------------------------ oracles


def hadoop_split_records(data: bytes, start: int, length: int) -> list[bytes]:
    """Transliteration of LineRecordReader(start, end) over LineReader.readDefaultLine."""
    end = start + length

    def read_line(pos):  # (value, bytes consumed incl. the longest terminator)
        i = pos
        while i < len(data) and data[i] not in b"\r\n":
            i += 1
        if i >= len(data):
            return data[pos:i], i - pos
        if data[i:i + 2] == b"\r\n":
            return data[pos:i], i + 2 - pos
        return data[pos:i], i + 1 - pos

    pos = start
    if start != 0:
        pos += read_line(start)[1]
    out = []
    while pos <= end:
        was_zero = pos == 0
        value, size = read_line(pos)
        pos += size
        if was_zero and value[:3] == BOM:
            value, size = value[3:], size - 3
        if size == 0:
            break
        out.append(value)
    return out


def hadoop_split(data: bytes, split: Split) -> bytes:
    return b"".join(r + b"\n" for r in hadoop_split_records(data, split.start, split.length))


def all_records(data: bytes) -> bytes:
    """Every record of a file, as the mapper sees it: BOM dropped, each line + '\\n'."""
    data = data[3:] if data.startswith(BOM) else data
    return b"".join(r + b"\n" for r in iter_records([data]))


def read(split: Split, chunk_size: int = 1 << 20) -> bytes:
    blocks = list(read_split(split, chunk_size))
    assert all(b.endswith(b"\n") for b in blocks)
    return b"".join(blocks)


def write(path, data: bytes) -> InputFile:
    path.write_bytes(data)
    return InputFile(str(path), len(data))


def make_tree(root, names):
    for name in names:
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(name.encode() + b"\n")
    return root


# ------------------------------------------------------------------ split property

file_bytes = st.builds(
    lambda bom, parts: (BOM if bom else b"") + b"".join(parts),
    st.booleans(),
    st.lists(st.sampled_from([b"a", b"\n", b"\r", b"\t", b"\xff", b"\r\n", BOM[:2]]), max_size=60),
)
SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(data=file_bytes, target=st.integers(1, 40), chunk=st.integers(1, 9))
def test_planned_splits_read_every_record_once(tmp_path, data, target, chunk):
    f = write(tmp_path / "in.txt", data)
    splits = plan_splits([f], target, min_split_size=1)
    assert [s.index for s in splits] == list(range(len(splits)))
    assert sum(s.length for s in splits) == len(data)
    for s in splits:
        assert read(s, chunk) == hadoop_split(data, s)
    assert b"".join(read(s, chunk) for s in splits) == all_records(data)


@SETTINGS
@given(data=file_bytes, cuts=st.lists(st.integers(0, 70)), chunk=st.integers(1, 9))
def test_any_cover_of_the_file_reads_every_record_once(tmp_path, data, cuts, chunk):
    f = write(tmp_path / "in.txt", data)
    bounds = sorted({0, len(data), *(c for c in cuts if 0 < c < len(data))})
    splits = [Split(f, a, b - a, i) for i, (a, b) in enumerate(zip(bounds, bounds[1:]))]
    for s in splits:
        assert read(s, chunk) == hadoop_split(data, s)
    assert b"".join(read(s, chunk) for s in splits) == all_records(data)


@pytest.mark.parametrize("cut", range(1, 16))
def test_crlf_and_lone_cr_at_every_boundary(tmp_path, cut):
    data = b"ab\r\ncd\ref\r\n\r\ngh"
    f = write(tmp_path / "crlf.txt", data)
    first, second = Split(f, 0, cut, 0), Split(f, cut, len(data) - cut, 1)
    assert read(first, 1) + read(second, 1) == b"ab\ncd\nef\n\ngh\n"


def test_crlf_straddling_a_boundary(tmp_path):
    f = write(tmp_path / "x.txt", b"ab\r\ncd\r\nef")
    # boundary between \r and \n: the \n is the rest of the terminator, not an empty line
    assert read(Split(f, 0, 3, 0)) == b"ab\n"
    assert read(Split(f, 3, 4, 1)) == b"cd\n"
    assert read(Split(f, 7, 3, 2)) == b"ef\n"  # 7 is the \n before "ef"
    # a line starting exactly at a boundary belongs to the earlier split
    assert read(Split(f, 0, 4, 0)) == b"ab\ncd\n"
    assert read(Split(f, 4, 6, 1)) == b"ef\n"


def test_lone_cr_ends_a_record(tmp_path):
    f = write(tmp_path / "cr.txt", b"a\rb\r\rc")
    assert read(plan_splits([f], 1)[0]) == b"a\nb\n\nc\n"


def test_bom_stripped_only_at_offset_zero(tmp_path):
    f = write(tmp_path / "bom.txt", BOM + b"x\r\n\r y\xff\tz\n" + BOM + b"w\n")
    assert read(plan_splits([f], 1)[0]) == b"x\n\n y\xff\tz\n" + BOM + b"w\n"
    assert read(Split(f, 0, 1, 0)) == b"x\n"  # a split that ends inside the BOM
    assert read(Split(f, 1, f.size - 1, 1)) == b"\n y\xff\tz\n" + BOM + b"w\n"
    assert read(plan_splits([write(tmp_path / "only.txt", BOM)], 1)[0]) == b""


def test_empty_file_is_one_empty_split(tmp_path):
    f = write(tmp_path / "empty.txt", b"")
    splits = plan_splits([f], 4)
    assert splits == [Split(f, 0, 0, 0)]
    assert read(splits[0]) == b""


def test_last_line_without_newline_is_a_record(tmp_path):
    f = write(tmp_path / "t.txt", b"a\nb")
    assert read(plan_splits([f], 1)[0]) == b"a\nb\n"


def test_large_file_reads_in_blocks(tmp_path):
    data = b"".join(b"line %d\tvalue\n" % i for i in range(200_000))
    f = write(tmp_path / "big.txt", data)
    splits = plan_splits([f], 7, min_split_size=1)
    assert len(splits) == 7
    assert b"".join(read(s, 1 << 16) for s in splits) == data


# ------------------------------------------------------------------ plan_splits


def test_split_slop_tail_joins_last_split():
    f = lambda size: InputFile(f"/x{size}", size)  # noqa: E731
    assert [(s.start, s.length) for s in plan_splits([f(110)], 1, 100)] == [(0, 110)]
    assert [(s.start, s.length) for s in plan_splits([f(111)], 2, 100)] == [(0, 100), (100, 11)]
    assert [(s.start, s.length) for s in plan_splits([f(300)], 3, 1)] == [
        (0, 100), (100, 100), (200, 100)]


def test_goal_size_is_over_all_files_and_indexes_run_on():
    a, b, z = InputFile("/a", 300), InputFile("/b.gz", 50), InputFile("s3://bk/c", None)
    splits = plan_splits([a, b, z], 3, min_split_size=1)  # goal = 350 // 3 = 116
    assert [(s.file, s.start, s.length, s.index) for s in splits] == [
        (a, 0, 116, 0), (a, 116, 116, 1), (a, 232, 68, 2), (b, 0, -1, 3), (z, 0, -1, 4)]


def test_default_splits_taper_so_cores_finish_together():
    big = InputFile("/big", 1600)
    splits = plan_tapered_splits([big], 2, min_split_size=1)
    assert [(s.start, s.length) for s in splits] == [
        (0, 400), (400, 400), (800, 200), (1000, 200), (1200, 200), (1400, 200)]
    # several files: each covered exactly once, a tail within the slop joins its split,
    # unsplittable and empty files whole; indexes run on
    a, gz, empty, b = InputFile("/a", 1000), InputFile("/b.gz", 70), InputFile("/e", 0), \
        InputFile("/c", 650)
    splits = plan_tapered_splits([a, gz, empty, b], 2, min_split_size=1)
    assert [s.index for s in splits] == list(range(len(splits)))
    for f in (a, b):
        mine = [s for s in splits if s.file is f]
        assert mine[0].start == 0 and sum(s.length for s in mine) == f.size
        assert all(x.start + x.length == y.start for x, y in zip(mine, mine[1:]))
    assert [(s.start, s.length) for s in splits if s.file in (gz, empty)] == [(0, -1), (0, 0)]
    assert max(s.length for s in splits) == 1720 // 4
    # never below the minimum size; one worker still gets more than one split
    assert [s.length for s in plan_tapered_splits([big], 8, min_split_size=300)] == [
        300, 300, 300, 300, 300, 100]
    assert len(plan_tapered_splits([big], 1, min_split_size=1)) == 3


def test_input_file_properties():
    assert InputFile("/d/a.txt", 3).splittable
    assert InputFile("/d/a.txt", 3).file_uri == "file:/d/a.txt"
    assert not InputFile("/d/a.txt", None).splittable  # a pipe
    for name in ("a.gz", "a.bz2", "a.zst", "a.xz", "a.deflate", "a.lz4", "a.snappy"):
        assert not InputFile("/d/" + name, 3).splittable
    assert InputFile("/d/a.GZ", 3).splittable  # Hadoop matches suffixes case-sensitively
    remote = InputFile("s3://bucket/a.txt", None)
    assert not remote.splittable and remote.file_uri == "s3://bucket/a.txt"


# ------------------------------------------------------------------ compression

TEXT = BOM + b"one\r\ntwo\rthree\n\nfour"
RECORDS = b"one\ntwo\nthree\n\nfour\n"
CODECS = {
    ".gz": gzip.compress,
    ".bz2": bz2.compress,
    ".xz": lzma.compress,
    ".zst": lambda d: zstandard.ZstdCompressor().compress(d),
    ".deflate": zlib.compress,
}


@pytest.mark.parametrize("ext", sorted(CODECS))
def test_compressed_inputs_read_transparently_as_one_split(tmp_path, ext):
    (tmp_path / ("in" + ext)).write_bytes(CODECS[ext](TEXT))
    files = expand_inputs([str(tmp_path)])
    splits = plan_splits(files, 8, min_split_size=1)
    assert len(splits) == 1 and splits[0].length == -1
    assert read(splits[0], 3) == RECORDS


@pytest.mark.parametrize("ext", [".gz", ".zst", ".deflate"])
def test_concatenated_members_read_on(tmp_path, ext):
    (tmp_path / ("in" + ext)).write_bytes(CODECS[ext](b"a\nb") + CODECS[ext](b"\nc\n"))
    assert read(plan_splits(expand_inputs([str(tmp_path)]), 1)[0]) == b"a\nb\nc\n"


@pytest.mark.parametrize("ext", sorted(CODECS))
def test_truncated_compressed_input_names_the_file(tmp_path, ext):
    blob = CODECS[ext](os.urandom(50_000))
    path = tmp_path / ("bad" + ext)
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(InputError) as err:
        read(plan_splits(expand_inputs([str(path)]), 1)[0])
    assert err.value.exit_code == 5
    assert str(path) in str(err.value) and "truncated or corrupt" in str(err.value)


def test_corrupt_gzip_names_the_file(tmp_path):
    path = tmp_path / "bad.gz"
    path.write_bytes(b"this is not gzip\n")
    with pytest.raises(InputError, match="bad.gz is truncated or corrupt"):
        read(plan_splits(expand_inputs([str(path)]), 1)[0])


def test_empty_compressed_file_has_no_records(tmp_path):
    for ext in (".gz", ".zst", ".deflate"):
        (tmp_path / ("e" + ext)).write_bytes(b"")
    splits = plan_splits(expand_inputs([str(tmp_path)]), 1)
    assert [read(s) for s in splits] == [b"", b"", b""]


def test_hadoop_block_codecs_are_refused(tmp_path):
    (tmp_path / "x.snappy").write_bytes(b"\0\0\0\1")
    with pytest.raises(InputError, match="x.snappy uses Hadoop's .snappy block format"):
        expand_inputs([str(tmp_path)])
    with pytest.raises(InputError, match="lz4"):
        open_input(str(tmp_path / "y.lz4"))


# ------------------------------------------------------------------ expand_inputs


def names(files):
    return [os.path.basename(f.uri) for f in files]


def test_dir_skips_hidden_files_and_sorts(tmp_path):
    make_tree(tmp_path, ["out/part-00001", "out/part-00000", "out/_SUCCESS", "out/.part-00000.crc"])
    files = expand_inputs([str(tmp_path / "out")])
    assert names(files) == ["part-00000", "part-00001"]
    assert all(os.path.isabs(f.uri) and f.size == len(b"out/part-00000\n") for f in files)


def test_hidden_subdir_is_skipped_but_a_visible_one_is_refused(tmp_path):
    make_tree(tmp_path, ["in/a", "in/_temporary/x", "in/sub/b"])
    refused = r"contains sub-directory sub; Hadoop refuses it \(Not a file\)"
    with pytest.raises(InputError, match=refused) as err:
        expand_inputs([str(tmp_path / "in")])
    assert err.value.exit_code == 5 and str(tmp_path / "in") in str(err.value)


def test_glob_comma_list_and_braces(tmp_path, monkeypatch):
    make_tree(tmp_path, ["logs/2024-01.gz", "logs/2024-02.gz", "logs/2023-12.gz", "logs/_x.gz",
                         "a.txt", "b.txt", "c.txt", "d/x", "d/y"])
    monkeypatch.chdir(tmp_path)
    assert names(expand_inputs(["logs/2024-*.gz"])) == ["2024-01.gz", "2024-02.gz"]
    assert names(expand_inputs(["logs/*"])) == ["2023-12.gz", "2024-01.gz", "2024-02.gz"]
    assert names(expand_inputs(["c.txt,a.txt", "b.txt"])) == ["c.txt", "a.txt", "b.txt"]
    assert names(expand_inputs(["{c,a}.txt,d"])) == ["a.txt", "c.txt", "x", "y"]
    assert names(expand_inputs(["logs/{2023-1?,2024-0[2]}.gz"])) == ["2023-12.gz", "2024-02.gz"]
    assert names(expand_inputs(["{a,{b,c}}.txt"])) == ["a.txt", "b.txt", "c.txt"]
    assert names(expand_inputs(["[ab].txt"])) == ["a.txt", "b.txt"]
    assert names(expand_inputs(["file:" + str(tmp_path / "a.txt")])) == ["a.txt"]


def test_file_named_twice_is_read_twice(tmp_path, monkeypatch):
    make_tree(tmp_path, ["a.txt", "b.txt"])
    monkeypatch.chdir(tmp_path)
    files = expand_inputs(["a.txt,{a,b}.txt", "*.txt"])
    assert names(files) == ["a.txt", "a.txt", "b.txt", "a.txt", "b.txt"]
    assert names(expand_inputs(["{a,a*}.txt"])) == ["a.txt"]  # one pattern matches a file once
    splits = plan_splits(files, 1)
    assert b"".join(read(s) for s in splits) == b"a.txt\na.txt\nb.txt\na.txt\nb.txt\n"


def test_missing_paths_are_all_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_tree(tmp_path, ["a.txt"])
    with pytest.raises(InputError) as err:
        expand_inputs(["a.txt,nope.txt", "logs/*.gz"])
    assert err.value.exit_code == 5
    assert "input path does not exist: nope.txt" in str(err.value)
    assert "input 'logs/*.gz' matched no files; check the path or quote the glob" in str(err.value)


def test_explicit_hidden_file_matches_nothing(tmp_path):
    make_tree(tmp_path, ["_SUCCESS"])
    with pytest.raises(InputError, match="_SUCCESS' matched no files"):
        expand_inputs([str(tmp_path / "_SUCCESS")])


def test_no_input_files_at_all(tmp_path):
    make_tree(tmp_path, ["out/_SUCCESS"])
    assert expand_inputs([str(tmp_path / "out")]) == []   # Hadoop: a job with no maps
    with pytest.raises(InputError, match="no input files") as err:
        expand_inputs([])
    assert err.value.exit_code == 5


def test_empty_comma_element(tmp_path):
    with pytest.raises(InputError, match="empty input path"):
        expand_inputs([str(tmp_path) + ","])



@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_chmod(tmp_path):
    make_tree(tmp_path, ["in/a"])
    os.chmod(tmp_path / "in" / "a", 0)
    try:
        with pytest.raises(InputError, match="permission denied") as err:
            expand_inputs([str(tmp_path / "in")])
        assert str(tmp_path / "in" / "a") in str(err.value) and "chmod" in str(err.value)
    finally:
        os.chmod(tmp_path / "in" / "a", 0o644)


def deny(monkeypatch, module, path):
    """Make ``module.open`` raise PermissionError for ``path`` only (root ignores chmod)."""
    real = module.open

    def fake(file, *args, **kwargs):
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(file))
        return real(file, *args, **kwargs)

    monkeypatch.setattr(module, "open", fake)


def test_unreadable_file_at_expand(tmp_path, monkeypatch):
    make_tree(tmp_path, ["in/a", "in/b"])
    deny(monkeypatch, builtins, tmp_path / "in" / "b")
    with pytest.raises(InputError) as err:
        expand_inputs([str(tmp_path / "in")])
    assert err.value.exit_code == 5
    assert f"cannot read input {tmp_path / 'in' / 'b'}: permission denied" in str(err.value)
    assert "chmod a+r" in str(err.value)


def test_unreadable_file_at_open(tmp_path, monkeypatch):
    f = write(tmp_path / "a.txt", b"x\n")
    deny(monkeypatch, builtins, f.uri)
    with pytest.raises(InputError, match="permission denied") as err:
        read(plan_splits([f], 1)[0])
    assert f.uri in str(err.value) and err.value.exit_code == 5


def test_file_removed_after_planning(tmp_path):
    f = write(tmp_path / "gone.txt", b"x\n")
    os.remove(f.uri)
    with pytest.raises(InputError, match="input path does not exist: .*gone.txt"):
        read(plan_splits([f], 1)[0])


def test_file_that_changes_size_after_planning(tmp_path):
    """Splits are planned once, as Hadoop does: growth past the plan is not read,
    shrinking just ends the last split early; neither is an error."""
    path = tmp_path / "grow.txt"
    path.write_bytes(b"a\nb\n")
    (f,) = expand_inputs([str(path)])
    split = plan_splits([f], 1)[0]
    with open(path, "ab") as out:
        out.write(b"c\nd\n")
    assert b"".join(read_split(split)) == b"a\nb\nc\n"     # one line past the planned end
    path.write_bytes(b"a\n")
    assert b"".join(read_split(split)) == b"a\n"


def test_job_splits_taper_only_where_each_worker_gets_two_or_more():
    from streamkit import hadoop_args
    from streamkit.planning import TAPER_MIN, job_splits
    spec = hadoop_args.parse(["-input", "x", "-output", "y", "-mapper", "cat"])
    big, small = InputFile("/big", 16 * TAPER_MIN), InputFile("/small", 3 * TAPER_MIN)
    assert [s.length for s in job_splits(spec, [big], 2)] == [4 * TAPER_MIN] * 2 + [2 * TAPER_MIN] * 4
    tapered = job_splits(spec, [InputFile("/b", 5 * TAPER_MIN)], 2)   # floored at TAPER_MIN
    assert [s.length for s in tapered] == [TAPER_MIN * 5 // 4] * 2 + [TAPER_MIN] * 2 + [TAPER_MIN // 2]
    # too small to taper (three splits for two workers), or one worker: two equal per worker
    assert [s.length for s in job_splits(spec, [small], 2)] == [3 * TAPER_MIN // 4] * 4
    assert [s.length for s in job_splits(spec, [big], 1)] == [8 * TAPER_MIN] * 2
    # a Hadoop split key set: Hadoop's rule (32 MiB local blocks), never tapering
    spec = hadoop_args.parse(["-D", "mapreduce.job.maps=3", "-input", "x", "-output", "y"])
    assert {s.length for s in job_splits(spec, [big], 2)} == {32 << 20}
