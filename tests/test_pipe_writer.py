"""``task.PipeWriter``: a command's stdin written half a pipe per wake-up for a script that
reads it in small pieces, blocking as before for one that reads big blocks, every byte
delivered in order either way, and a broken pipe still told when the reader goes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

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


def data(mib: int) -> bytes:
    return b"".join(b"%07d\n" % i for i in range(mib * MIB_LINES))


MIB_LINES = (1 << 20) // 8


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
