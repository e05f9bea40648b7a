"""``task.PipeWriter``: a command's stdin written half a pipe per wake-up for a script that
reads it in small pieces, blocking as before for one that reads big blocks, every byte
delivered in order either way, and a broken pipe still told when the reader goes."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import zlib

import pytest

from streamkit.task import MAX_PAUSE, PIPE_SIZE, PipeWriter, pipe_unread, widen_pipe

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux pipes")

# A reader that copies its stdin to stdout READ bytes at a time, sleeping between reads
# (slower than the writer, so the pipe fills and the writer has to wait), and stops after
# LIMIT bytes (0: at EOF).
READER = """\
import os, sys, time
size, pause, limit = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
got = 0
while not limit or got < limit:
    chunk = os.read(0, size)
    if not chunk:
        break
    os.write(1, chunk)
    got += len(chunk)
    time.sleep(pause)
"""


MIB_LINES = (1 << 20) // 8  # 8-byte lines in a MiB


def data(mib: int) -> bytes:
    return b"".join(b"%07d\n" % i for i in range(mib * MIB_LINES))


class Recording(PipeWriter):
    """Notes what was still unread, and the pause, each time a wait for room ends."""

    def __init__(self, fd):
        super().__init__(fd)
        self.waits: list[tuple[int, float]] = []

    def wait_for_room(self):
        super().wait_for_room()
        self.waits.append((pipe_unread(self.fd), self.pause))


def feed(payload: bytes, read_size: int, pause: float, wide: bool = True, limit: int = 0):
    """Write ``payload`` from a thread of its own into a reader process; return (what the
    reader read, the writer, whether its pipe ended non-blocking, the error raised)."""
    r, w = os.pipe()
    if wide:
        widen_pipe(w)
    reader = subprocess.Popen([sys.executable, "-c", READER, str(read_size), str(pause), str(limit)],
                              stdin=r, stdout=subprocess.PIPE)
    os.close(r)
    result: dict = {}

    def write():
        writer = result["writer"] = Recording(w)
        try:
            for i in range(0, len(payload), 1 << 20):
                writer.write(payload[i:i + (1 << 20)])
        except BrokenPipeError as exc:
            result["error"] = exc
        result["paced"] = not os.get_blocking(w)
        os.close(w)

    thread = threading.Thread(target=write)
    thread.start()
    with reader:
        out = reader.stdout.read()
    thread.join(10)
    assert not thread.is_alive(), "the writer hung"
    return out, result["writer"], result["paced"], result.get("error")


def test_a_reader_of_small_pieces_gets_every_byte_half_a_pipe_at_a_time():
    payload = data(12)
    out, writer, paced, error = feed(payload, 8192, 0.0001)
    assert error is None and out == payload
    assert paced, "8 KiB reads should have woken the writer often enough to pace it"
    assert writer.waits, "a paced writer waits for room"
    # each wait ends with at most half the pipe unread (or at the longest pause)
    assert all(unread <= writer.half or pause >= MAX_PAUSE for unread, pause in writer.waits)


def test_a_reader_of_big_blocks_keeps_blocking_writes():
    payload = data(12)
    out, writer, paced, error = feed(payload, 1 << 20, 0.002)
    assert error is None and out == payload
    assert not paced and not writer.waits


def test_a_narrow_pipe_is_never_paced():
    payload = data(6)
    out, writer, paced, error = feed(payload, 8192, 0.0001, wide=False)
    assert error is None and out == payload
    assert 0 < writer.half * 2 < PIPE_SIZE and not paced


def test_a_reader_that_quits_while_paced_gives_a_broken_pipe():
    payload = data(32)
    out, writer, paced, error = feed(payload, 8192, 0.0001, limit=6 << 20)
    assert paced and isinstance(error, BrokenPipeError)
    assert out == payload[:len(out)] and len(out) >= 6 << 20


@pytest.mark.parametrize("then", ["reads", "quits"])
def test_a_stalled_reader_is_waited_for_in_the_kernel(then):
    """A paced writer whose reader reads nothing does not wake every few milliseconds: it
    waits in poll() until the reader frees room, or is gone (then the write breaks)."""
    r, w = os.pipe()
    widen_pipe(w)
    writer = PipeWriter(w)
    os.set_blocking(w, False)  # paced, as PipeWriter makes it for a reader of small pieces
    try:
        while True:
            os.write(w, b"x" * 65536)
    except BlockingIOError:
        pass
    waited: dict = {}

    def wait():
        switches = resource.getrusage(resource.RUSAGE_THREAD).ru_nvcsw
        writer.wait_for_room()
        waited["switches"] = resource.getrusage(resource.RUSAGE_THREAD).ru_nvcsw - switches

    thread = threading.Thread(target=wait, daemon=True)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive(), "it waits while the reader reads nothing"
    if then == "reads":
        os.read(r, 1 << 20)
    else:
        os.close(r)
    thread.join(5)
    assert not thread.is_alive(), "room (or no reader) ends the wait"
    assert waited["switches"] < 10  # sleeping 2 ms at a time: ~250 in 0.5 s
    if then == "quits":
        with pytest.raises(BrokenPipeError):
            writer.write(b"x")
    else:
        os.close(r)
    os.close(w)


# ---------------------------------------------------------------- through streamkit run

LINES = """\
import sys, zlib
n = h = 0
limit = int(sys.argv[1]) if len(sys.argv) > 1 else -1
for line in sys.stdin.buffer:  # 8 KiB reads
    n += 1
    h = zlib.crc32(line, h)
    if n == limit:
        break
print("%d\\t%d" % (n, h))
"""

BLOCKS = """\
import sys
n = 0
while True:
    block = sys.stdin.buffer.read(1 << 20)
    if not block:
        break
    n += block.count(b"\\n")
print(n)
"""

ONE_SPLIT = ("-D", "mapred.min.split.size=1000000000", "-D", "mapreduce.map.maxattempts=1")


def job_input(tmp_path, keys: int = 0, records: int = 1_000_000) -> bytes:
    lines = b"".join(b"%07d\tval\n" % (i % keys if keys else i) for i in range(records))
    (tmp_path / "in.txt").write_bytes(lines)
    (tmp_path / "lines.py").write_text(LINES)
    (tmp_path / "blocks.py").write_text(BLOCKS)
    return lines


def crc_of(lines: list[bytes]) -> int:
    crc = 0
    for line in lines:
        crc = zlib.crc32(line, crc)
    return crc


def test_run_paces_a_line_by_line_mapper_and_it_reads_everything(tmp_path, run):
    lines = job_input(tmp_path)
    res = run(*ONE_SPLIT, "-input", "in.txt", "-output", "out", "-file", "lines.py",
              "-mapper", f"{sys.executable} lines.py", "-numReduceTasks", "0", "--stats", "s.json")
    assert res.returncode == 0, res.stderr.decode()
    crc = crc_of(lines.splitlines(keepends=True))
    assert (tmp_path / "out" / "part-00000").read_bytes() == b"%d\t%d\n" % (1_000_000, crc)
    report = json.loads((tmp_path / "s.json").read_text())
    assert [task["stdin_paced"] for task in report["map_tasks"]] == [True]


def test_run_paces_a_line_by_line_reducer_fed_faster_than_it_reads(tmp_path, run):
    """1,000 keys: the map output is counted, so the reducer's input is made as fast as
    memory copies it and the reducer, reading lines, is the slower side."""
    lines = job_input(tmp_path, keys=1000)
    res = run("-input", "in.txt", "-output", "out", "-file", "lines.py", "-mapper", "cat",
              "-reducer", f"{sys.executable} lines.py", "-numReduceTasks", "1", "--stats", "s.json")
    assert res.returncode == 0, res.stderr.decode()
    crc = crc_of(sorted(lines.splitlines(keepends=True)))
    assert (tmp_path / "out" / "part-00000").read_bytes() == b"%d\t%d\n" % (1_000_000, crc)
    report = json.loads((tmp_path / "s.json").read_text())
    assert report["partitions"][0]["stdin_paced"] is True


def test_run_keeps_blocking_writes_for_a_mapper_that_reads_blocks(tmp_path, run):
    job_input(tmp_path)
    res = run(*ONE_SPLIT, "-input", "in.txt", "-output", "out", "-file", "blocks.py",
              "-mapper", f"{sys.executable} blocks.py", "-numReduceTasks", "0", "--stats", "s.json")
    assert res.returncode == 0, res.stderr.decode()
    assert (tmp_path / "out" / "part-00000").read_bytes() == b"1000000\t\n"  # no TAB: all key (TextOutputFormat)
    report = json.loads((tmp_path / "s.json").read_text())
    assert [task["stdin_paced"] for task in report["map_tasks"]] == [False]


def test_a_paced_mapper_that_quits_early_fails_the_task_like_hadoop(tmp_path, run):
    """Hadoop's rule (more than 128 KiB of input, more than 64 KiB left unread) holds on a
    paced pipe too, and the records given are at most those the mapper read."""
    job_input(tmp_path)
    read = 600_000  # 7.2 MB of the 12 MB
    res = run(*ONE_SPLIT, "-input", "in.txt", "-output", "out", "-file", "lines.py",
              "-mapper", f"{sys.executable} lines.py {read}", "-numReduceTasks", "0")
    assert res.returncode == 1
    message = res.stderr[res.stderr.index(b"the mapper stopped"):].split(b" (broken pipe)")[0]
    given = int(message.split(b" after ")[1].split(b" of ")[0])
    assert message.endswith(b" of 1000000 records")
    # what it read (and Python's 8 KiB read-ahead), less at most the pipe and one piece
    assert read - 2 * (1 << 20) // 12 <= given <= read + 8192 // 12
    assert not (tmp_path / "out").exists()
