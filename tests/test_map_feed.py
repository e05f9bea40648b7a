"""Feeding mappers with ``os.sendfile`` (``inputs.split_pieces`` + ``worker.Feeder``).

The mapper must read exactly the bytes today's path gives it (``read_split``: Python reads
the split and LineReader re-terminates it), with the same counters and the same broken-pipe
verdicts; the tests below compare the two and check the fast path is really taken.
"""

from __future__ import annotations

import errno
import gzip
import itertools
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamkit import inputs
from streamkit.errors import InputError
from streamkit.inputs import InputFile, Split, plan_splits, read_split, split_pieces
from streamkit.task import PipeWriter
from streamkit.worker import send_all

BOM = b"\xef\xbb\xbf"
MIB = 1 << 20

# Small files where every terminator rule shows; each is cut at every byte below.
TRICKY = {
    "empty": b"",
    "bom_only": BOM,
    "bom": BOM + b"a\tb\nc\n",
    "bom_no_newline": BOM + b"x",
    "half_bom": b"\xef\xbb",
    "bom_later": b"a\n" + BOM + b"b\n",
    "lf": b"one\ttwo\nthree\n\nfour\tfive\tsix\n",
    "no_final_newline": b"a\nbb\nccc",
    "cr": b"a\rb\rc\r\rd",
    "crlf": b"a\r\nb\r\n\r\nc\r\n",
    "mixed": b"a\nb\r\nc\rd\n\r\n\re",
    "cr_late": b"".join(b"line %d\n" % i for i in range(12)) + b"x\ry\n",
    "only_newlines": b"\n\n\n",
}


def materialize(pieces) -> list[tuple[bytes, int, bool]]:
    """Each piece as (bytes, records, sent by sendfile), checking a range's record count."""
    out = []
    for piece in pieces:
        if type(piece) is tuple:
            fd, offset, length, records = piece
            data = os.pread(fd, length, offset)
            assert len(data) == length and data.count(b"\n") == records
            out.append((data, records, True))
        else:
            out.append((piece, piece.count(b"\n"), False))
    return out


def check_split(split: Split, chunk: int) -> list[tuple[bytes, int, bool]]:
    """split_pieces gives read_split's bytes, and its record-holding pieces end where
    read_split's blocks do (so a broken pipe finds the same records given)."""
    old = list(read_split(split, chunk))
    new = materialize(split_pieces(split, chunk))
    assert b"".join(data for data, _, _ in new) == b"".join(old)
    new_ends = [end for end, (_, records, _) in
                zip(itertools.accumulate(len(d) for d, _, _ in new), new) if records]
    assert new_ends == list(itertools.accumulate(map(len, old)))
    return new


def write(tmp_path, name: str, data: bytes) -> InputFile:
    path = tmp_path / name
    path.write_bytes(data)
    return InputFile(str(path), len(data))


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_pieces_match_read_split_at_every_cut_and_chunk_size(tmp_path, name):
    f = write(tmp_path, name, TRICKY[name])
    for block in (1, 2, 3, 5, 8, 1000):
        for split in plan_splits([f], 1, min_split_size=1, block_size=block):
            for chunk in (3, 4, 5, 7, 16, 1 << 20):
                check_split(split, chunk)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.lists(st.sampled_from([b"a", b"bc", b"\t", b"\n", b"\r", b"\r\n", BOM, b"\xff"]),
                     max_size=40).map(b"".join),
       block=st.integers(1, 30), chunk=st.integers(3, 12))
def test_pieces_match_read_split_on_any_bytes(tmp_path, data, block, chunk):
    f = write(tmp_path, "any", data)
    for split in plan_splits([f], 1, min_split_size=1, block_size=block):
        check_split(split, chunk)


def test_plain_lines_are_all_sendfile_and_a_cr_hands_the_rest_to_python(tmp_path, monkeypatch):
    """The chunk size is a module constant: shrunk here so a small file has many chunks."""
    monkeypatch.setattr(inputs, "PIECE_CHUNK", 64)
    lines = b"".join(b"record %03d\n" % i for i in range(100))  # 11 bytes a line
    whole = Split(write(tmp_path, "plain", lines), 0, len(lines), 0)
    pieces = check_split(whole, 64)
    assert all(sent for _, _, sent in pieces) and len(pieces) == -(-len(lines) // 64)
    # A CRLF split across the edge of the 6th chunk: chunks 0-4 are sent, then Python.
    data = bytearray(lines)
    data[6 * 64 - 1:6 * 64 + 1] = b"\r\n"
    pieces = materialize(split_pieces(Split(write(tmp_path, "crlf", bytes(data)), 0, len(data), 0)))
    assert [sent for _, _, sent in pieces] == [True] * 5 + [False] * (len(pieces) - 5)
    assert b"".join(d for d, _, _ in pieces) == b"".join(read_split(Split(
        InputFile(str(tmp_path / "crlf"), len(data)), 0, len(data), 0), 64))
    # No final newline: the last record is sent, and its "\n" made by Python.
    tail = check_split(Split(write(tmp_path, "tail", lines + b"last"), 0, len(lines) + 4, 0), 64)
    assert tail[-2][0].endswith(b"last") and tail[-2][1:] == (0, True)
    assert tail[-1] == (b"\n", 1, False)


def test_a_compressed_input_keeps_read_splits_blocks(tmp_path):
    data = b"a\nb\n"
    (tmp_path / "x.gz").write_bytes(gzip.compress(data))
    gz = InputFile(str(tmp_path / "x.gz"), None)
    assert list(split_pieces(Split(gz, 0, -1, 0))) == [data]


def test_send_all_copies_where_sendfile_cannot_and_stops_at_a_shrunk_file(tmp_path):
    r, w = os.pipe()
    try:
        (tmp_path / "ten").write_bytes(b"0123456789")
        src = os.open(tmp_path / "ten", os.O_RDONLY)
        with pytest.raises(InputError, match="shrank while a map task read it"):
            send_all(PipeWriter(w), src, 5, 10)  # 5 bytes are there, then none
        assert os.read(r, 100) == b"56789"
        os.close(src)
        src = os.open("/proc/self/status", os.O_RDONLY)  # procfs: no splice on Linux 6
        try:
            os.sendfile(w, src, 0, 5)
            pytest.skip("this kernel splices /proc/self/status; no file to refuse sendfile")
        except OSError as err:
            assert err.errno == errno.EINVAL
        send_all(PipeWriter(w), src, 0, 5)
        assert os.read(r, 100) == b"Name:"
        os.close(src)
    finally:
        os.close(r)
        os.close(w)


# ---------------------------------------------------------------- through streamkit run

DUMP = """\
#!/bin/sh
# what the mapper reads, byte for byte, in one file per split
cat > "$DUMP/${mapreduce_map_input_file##*/}@$mapreduce_map_input_start"
"""


def dump_run(tmp_path, run, files: dict[str, bytes], *args):
    """Run a map-only job whose mapper copies its stdin to a file per split; return the
    stats and, per map task, (what the mapper read, what read_split gives that split)."""
    indir, dump = tmp_path / "in", tmp_path / "dump"
    indir.mkdir(exist_ok=True)
    dump.mkdir()
    for name, data in files.items():
        (indir / name).write_bytes(data)
    (tmp_path / "dump.sh").write_text(DUMP)
    (tmp_path / "dump.sh").chmod(0o755)
    res = run(*args, "-input", "in", "-output", "out", "-file", "dump.sh", "-mapper", "dump.sh",
              "-cmdenv", f"DUMP={dump}", "-numReduceTasks", "0", "--stats", "s.json")
    assert res.returncode == 0, res.stderr.decode()
    report = json.loads((tmp_path / "s.json").read_text())
    tasks = []
    for task in report["map_tasks"]:
        uri, _, span = task["input"].rpartition(":")
        start, end = map(int, span.split("-"))
        split = Split(InputFile(uri, os.path.getsize(uri)), start, end - start, 0)
        read = (dump / f"{os.path.basename(uri)}@{start}").read_bytes()
        tasks.append((task, read, b"".join(read_split(split))))
    return report, tasks


def test_mapper_reads_todays_bytes_over_many_splits(tmp_path, run):
    files = {f"{name}.txt": data for name, data in TRICKY.items()}
    report, tasks = dump_run(tmp_path, run, files, "-D", "fs.local.block.size=4")
    assert len(tasks) > 40  # every file cut every 4 bytes
    for task, read, expected in tasks:
        assert read == expected, task["input"]
        assert (task["records_in"], task["bytes_in"]) == (expected.count(b"\n"), len(expected))
    total = sum(expected.count(b"\n") for _, _, expected in tasks)
    assert report["counters"]["Map-Reduce Framework.Map input records"] == total
    for task, _, expected in tasks:  # the fast path was taken where it can be
        name = task["input"].rpartition("/")[2].split(":")[0]
        if name == "lf.txt":
            assert task["sendfile_bytes"] == task["bytes_in"]
        elif name in ("crlf.txt", "cr.txt"):
            assert task["sendfile_bytes"] == 0
    assert sum(t["sendfile_bytes"] for t, _, _ in tasks) > 0


def test_big_lines_and_late_cr_across_one_mib_chunks(tmp_path, run):
    lines = b"".join(b"%07d\tsome value\n" % i for i in range(160_000))  # 2.9 MB
    crlf_at_edge = bytearray(lines)
    crlf_at_edge[2 * MIB - 1:2 * MIB + 1] = b"\r\n"  # across the 2nd chunk's end, split 0
    late_cr = bytearray(lines)
    late_cr[-100] = ord("\r")
    files = {"long_line.txt": b"a\n" + b"x" * (3 * MIB) + b"\nb\n",
             "crlf_at_edge.txt": bytes(crlf_at_edge),
             "late_cr.txt": bytes(late_cr),
             "no_final_newline.txt": lines + b"tail without newline",
             "bom.txt": BOM + lines}
    report, tasks = dump_run(tmp_path, run, files, "-D", "fs.local.block.size=2500000")
    for task, read, expected in tasks:
        assert read == expected, task["input"]
        assert (task["records_in"], task["bytes_in"]) == (expected.count(b"\n"), len(expected))
    first = {t["input"].rpartition("/")[2].split(":")[0]: t for t, _, _ in tasks
             if ":0-" in t["input"]}
    assert first["crlf_at_edge.txt"]["sendfile_bytes"] == lines[:MIB].rindex(b"\n") + 1
    assert first["long_line.txt"]["sendfile_bytes"] == 2 + 3 * MIB + 1  # a 3 MiB range too
    assert first["bom.txt"]["sendfile_bytes"] == first["bom.txt"]["bytes_in"]
    last = max((t for t, _, _ in tasks if "no_final_newline" in t["input"]),
               key=lambda t: t["input"])
    assert last["sendfile_bytes"] == last["bytes_in"] - 1  # the "\n" Python adds
    assert sum(t["sendfile_bytes"] for t, _, _ in tasks if "late_cr" in t["input"]) > 2 * MIB


def broken_pipe_message(run, name: str, mapper: str) -> bytes:
    res = run("-D", "mapreduce.map.maxattempts=1", "-D", "mapred.min.split.size=100000000",
              "-input", name, "-output", "out-" + name,  # one split, as the .gz's
              "-mapper", mapper, "-numReduceTasks", "0")
    assert res.returncode == 1
    return res.stderr[res.stderr.index(b"the mapper stopped"):].split(b" (broken pipe)")[0]


def test_a_mapper_that_quits_early_fails_as_today_with_the_same_counts(tmp_path, run):
    """> 128 KiB: Hadoop's rule fails the task; the records given are those of the blocks
    fully written, the same on the sendfile path (plain file) as on today's (a .gz)."""
    lines = b"".join(b"%07d\tvalue\n" % i for i in range(250_000))  # 3.5 MB
    (tmp_path / "in.txt").write_bytes(lines)
    (tmp_path / "in.txt.gz").write_bytes(gzip.compress(lines, 1))
    given = lines[:MIB].count(b"\n")  # head reads 1.5 MB: the first 1 MiB block only
    for mapper, records in (("head -n 1", 0), ("head -c 1500000", given)):
        fast = broken_pipe_message(run, "in.txt", mapper)
        assert fast == b"the mapper stopped reading its input after %d of 250000 records" % records
        assert broken_pipe_message(run, "in.txt.gz", mapper) == fast


def test_a_mapper_that_quits_early_on_less_than_128_kib_succeeds(tmp_path, run):
    lines = b"".join(b"%07d\tvalue\n" % i for i in range(9000))  # 126 KB: the pipe breaks
    (tmp_path / "in.txt").write_bytes(lines)
    res = run("-input", "in.txt", "-output", "out", "-mapper", "head -n 1",
              "-numReduceTasks", "0", "--stats", "s.json")
    assert res.returncode == 0, res.stderr.decode()
    report = json.loads((tmp_path / "s.json").read_text())
    assert report["counters"]["Map-Reduce Framework.Map input records"] == 9000
    assert (tmp_path / "out" / "part-00000").read_bytes() == b"0000000\tvalue\n"


@pytest.mark.parametrize("args", [
    ["--sample", "0.5", "--seed", "1"],
    ["-D", "stream.map.input.ignoreKey=false"],
    ["-inputformat", "KeyValueTextInputFormat"],
])
def test_other_inputs_keep_todays_path(tmp_path, run, args):
    (tmp_path / "in.txt").write_bytes(b"".join(b"k%d\tv\n" % i for i in range(1000)))
    res = run(*args, "-input", "in.txt", "-output", "out", "-mapper", "cat",
              "-numReduceTasks", "0", "--stats", "s.json")
    assert res.returncode == 0, res.stderr.decode()
    report = json.loads((tmp_path / "s.json").read_text())
    assert [t["sendfile_bytes"] for t in report["map_tasks"]] == [0]
    assert report["map_tasks"][0]["records_in"] > 0
