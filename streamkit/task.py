"""Start one user command (mapper, combiner or reducer) the way Hadoop Streaming does.

* argv comes from :func:`~streamkit.hadoop_args.split_command_line` (no shell);
  a relative program is looked up in the task's working directory first, then ``PATH``;
* the environment carries the job conf (``mapreduce_task_partition``...), ``-cmdenv``
  and ``TMPDIR``; the working directory holds the ``-file``/``-files`` links;
* stderr is read line by line: ``reporter:counter:G,C,N`` and ``reporter:status:...``
  are consumed, every other line goes to the task's log; the last lines are kept for
  the error message; memory stays bounded whatever the script writes.
"""

from __future__ import annotations

import fcntl
import os
import re
import resource
import select
import shutil
import signal
import stat
import struct
import subprocess
import termios
import threading
import time
from collections import deque

from streamkit.errors import JobFailed
from streamkit.hadoop_args import split_command_line
from streamkit.records import LineReader


def _libc_prctl():
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


# Looked up once, here: forked workers and the scripts' preexec inherit it instead of
# importing ctypes again in every new process (~4 ms each).
_PRCTL = _libc_prctl()


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (``PR_SET_PDEATHSIG``).

    So a SIGKILLed driver takes its workers, and a dead worker its scripts, with it:
    no orphans keep running on a cron box.  A no-op where prctl is unavailable.
    """
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1


_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def default_signals() -> None:
    """In a forked child: SIGINT/SIGTERM kill it outright instead of raising the
    parent's :class:`Interrupted` in a process that has nothing to clean up."""
    for signum in _STOP_SIGNALS:
        signal.signal(signum, signal.SIG_DFL)


class TaskError(Exception):
    """An attempt failed; ``str`` says why (exit code or signal, what the task was doing)."""


class Counters(dict):
    """``{(group, name): value}`` with Hadoop's increment semantics."""

    def incr(self, group: str, name: str, amount: int = 1) -> None:
        key = (group, name)
        self[key] = self.get(key, 0) + amount

    def merge(self, other: "Counters | list") -> None:
        items = other.items() if isinstance(other, dict) else ((tuple(k), v) for k, v in other)
        for (group, name), value in items:
            self.incr(group, name, value)

    def to_json(self) -> list:
        return [[list(k), v] for k, v in sorted(self.items())]


def resolve_program(argv: list[str], cwd: str, path: str) -> list[str]:
    """Hadoop's ``PathFinder``: a bare name is found in the task cwd first, then ``PATH``;
    ``./name`` is the same file in the cwd.

    A program in the cwd that is not executable (a ``-file`` shipped without its exec
    bit) is copied there and made so, as Hadoop's localized copy is; the user's own file
    is never touched.
    """
    prog = argv[0]
    name = os.path.normpath(prog)
    if os.path.isabs(prog) or os.sep in name or name in (os.curdir, os.pardir):
        return argv
    local = os.path.join(cwd, name)
    if os.path.isfile(local):
        if not os.access(local, os.X_OK):
            real = os.path.realpath(local)
            os.unlink(local) if os.path.islink(local) else None
            if real != local:
                shutil.copyfile(real, local)
            os.chmod(local, os.stat(local).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        return [local] + argv[1:]
    if os.sep in prog:  # ./name that is not in the task directory
        return argv
    found = shutil.which(prog, path=path)
    if found is None:
        raise TaskError(f'Cannot run program "{prog}": not found in the task directory or PATH')
    return [found] + argv[1:]


_JAVA_TRIM = "".join(map(chr, range(33)))  # String.trim(): every char <= ' '
_JAVA_LONG = re.compile(r"[+-]?[0-9]+")


class StderrReader(threading.Thread):
    """Drain a task's stderr: counters and status lines consumed, the rest logged."""

    TAIL_LINES = 20
    MAX_TAIL_LINE = 2000

    def __init__(self, pipe, log_path: str, prefix: str, counters: Counters):
        super().__init__(daemon=True)
        self.pipe, self.log_path, self.counters = pipe, log_path, counters
        self.counter_prefix = (prefix + "counter:").encode()
        self.status_prefix = (prefix + "status:").encode()
        self.prefix = prefix.encode()
        self.tail: deque[str] = deque(maxlen=self.TAIL_LINES)
        self.status = ""
        self.last_activity = time.monotonic()

    def run(self) -> None:
        reader = LineReader()
        with open(self.log_path, "ab") as log:
            fd = self.pipe.fileno()
            while True:
                chunk = os.read(fd, 1 << 16)
                self.last_activity = time.monotonic()
                block = reader.feed(chunk) if chunk else reader.finish()
                if block:
                    self._lines(block, log)
                if not chunk:
                    break
                if reader.pending_bytes > 1 << 20:  # an endless line: log it in pieces
                    log.write(reader.take_pending())

    def _lines(self, block: bytes, log) -> None:
        if self.prefix not in block:
            log.write(block)
            lines = block[-4 * self.MAX_TAIL_LINE:].split(b"\n")[-self.TAIL_LINES - 1:-1]
            self.tail.extend(l[:self.MAX_TAIL_LINE].decode("utf-8", "replace") for l in lines)
            return
        for line in block.split(b"\n")[:-1]:
            if line.startswith(self.counter_prefix):
                self._counter(line[len(self.counter_prefix):], log)
            elif line.startswith(self.status_prefix):
                self.status = line[len(self.status_prefix):].decode("utf-8", "replace").strip()
            elif line.startswith(self.prefix):
                log.write(b"WARN Cannot parse reporter line: " + line + b"\n")
            else:
                log.write(line + b"\n")
                self.tail.append(line[:self.MAX_TAIL_LINE].decode("utf-8", "replace"))

    def _counter(self, text: bytes, log) -> None:
        """``G,C,N`` as Java parses it: ``trim()``, ``split(",")`` (trailing empty columns
        dropped), exactly three columns, ``Long.parseLong`` (no spaces, no ``_``)."""
        columns = text.decode("utf-8", "replace").strip(_JAVA_TRIM).split(",")
        while columns and not columns[-1]:
            columns.pop()
        if len(columns) != 3:
            log.write(b"WARN Cannot parse counter line: " + text + b"\n")
            return
        if not _JAVA_LONG.fullmatch(columns[2]):
            log.write(b"WARN Cannot parse counter increment: " + text + b"\n")
            return
        self.counters.incr(columns[0], columns[1], int(columns[2]))


class StreamProcess:
    """A running user command with stdin/stdout pipes and a draining stderr thread."""

    def __init__(self, command: str, cwd: str, env: dict[str, str], log_path: str,
                 prefix: str, counters: Counters, pgid_file: str | None = None):
        argv = split_command_line(command)
        if not argv:
            raise TaskError("the command is empty; give -mapper/-reducer/-combiner a program to run")
        argv = resolve_program(argv, cwd, env.get("PATH", os.defpath))
        # stdin: our own pipe, whose read end this process keeps until the command has
        # exited, so that what it left unread can be measured (``stdin_unread``).
        reader, self._stdin = os.pipe()
        try:
            # Its own process group: one killpg stops it and anything it started.
            self.proc = subprocess.Popen(argv, stdin=reader, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, cwd=cwd, env=env, bufsize=0,
                                         start_new_session=True, preexec_fn=die_with_parent)
        except OSError as exc:
            os.close(reader)
            os.close(self._stdin)
            raise TaskError(f'Cannot run program "{argv[0]}": {exc.strerror or exc}') from None
        self._stdin_reader: int | None = reader
        self._stdin_lock = threading.Lock()
        self.stdin_unread = 0  # bytes written to stdin the command never read
        widen_pipe(self._stdin)
        widen_pipe(self.proc.stdout.fileno())
        if pgid_file:  # so the driver can stop this group even if the worker dies
            with open(pgid_file, "a") as f:
                f.write(f"{self.proc.pid}\n")
        self.command, self.cwd = command, cwd
        self.stderr = StderrReader(self.proc.stderr, log_path, prefix, counters)
        self.stderr.start()

    @property
    def stdin_fd(self) -> int:
        return self._stdin

    @property
    def stdout_fd(self) -> int:
        return self.proc.stdout.fileno()

    def close_stdin(self) -> None:
        """The writer's end: EOF for the command.  If the command is gone already
        (:meth:`release_stdin`), what is still in the pipe is what it left unread."""
        with self._stdin_lock:
            if self._stdin < 0:
                return
            if self._stdin_reader is None:
                self.stdin_unread = pipe_unread(self._stdin)
            os.close(self._stdin)
            self._stdin = -1

    def release_stdin(self) -> None:
        """Once the command has exited, drop our read end of its stdin, so that a writer
        still at it gets a broken pipe.  If the writer is done, what is still in the
        pipe is what the command left unread."""
        with self._stdin_lock:
            if self._stdin_reader is None:
                return
            if self._stdin < 0:
                self.stdin_unread = pipe_unread(self._stdin_reader)
            os.close(self._stdin_reader)
            self._stdin_reader = None

    def finish(self, non_zero_is_failure: bool = True) -> int:
        """Wait for exit and for stderr to drain; raise :class:`TaskError` on failure.

        Whatever the command left running in its process group is killed, as YARN kills a
        finished container's processes.
        """
        code = self.wait()
        self.kill_group()
        self.stderr.join()
        self.proc.stdout.close()
        self.proc.stderr.close()
        if code < 0:
            raise TaskError(f"killed by signal {signal.Signals(-code).name}{self.tail_text()}")
        if code and non_zero_is_failure:
            raise TaskError(f"subprocess failed with code {code}{self.tail_text()}"
                            f"{unshipped_hint(self.command, self.proc.args, self.cwd)}")
        return code

    def kill_group(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass

    def wait(self) -> int:
        """Wait for the command to exit, then :meth:`release_stdin`."""
        code = self.proc.wait()
        self.release_stdin()
        return code

    def kill(self) -> None:
        self.kill_group()
        self.proc.wait()
        self.release_stdin()

    def exited(self) -> bool:
        return self.proc.poll() is not None

    def tail_text(self) -> str:
        tail = [line for line in self.stderr.tail if line.strip()]
        return f"; stderr: {' | '.join(tail[-3:])}" if tail else ""


def unshipped_hint(command: str, argv: list[str], cwd: str) -> str:
    """Name a script the command uses that exists here but was not shipped with -file."""
    for word in split_command_line(command):
        if (os.sep not in word and os.path.isfile(word)
                and not os.path.lexists(os.path.join(cwd, word))):
            return (f"; hint: tasks run in their own directory, as on Hadoop: ship {word} "
                    f"with -file {word}")
    return ""


PIPE_SIZE = 1 << 20  # a command's stdin and stdout pipes: fewer wake-ups on both sides


def widen_pipe(fd: int, size: int = PIPE_SIZE) -> None:
    """Grow a pipe to 1 MiB (Linux ``F_SETPIPE_SZ``) so a script can keep writing while
    its reader batches, and read while its writer does; best effort, the default size
    still works."""
    try:
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), size)
    except OSError:
        pass


def pipe_unread(fd: int) -> int:
    """Bytes waiting in a pipe (``FIONREAD``, either end); 0 where that cannot be told."""
    try:
        return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
    except OSError:
        return 0


def pipe_capacity(fd: int) -> int:
    """A pipe's size in bytes (Linux ``F_GETPIPE_SZ``); 0 where that cannot be told."""
    try:
        return fcntl.fcntl(fd, getattr(fcntl, "F_GETPIPE_SZ", 1032))
    except OSError:
        return 0


# Seconds a full stdin is let drain.  At most 2 ms: the classic MalStone mapper reads half
# a 1 MiB pipe in ~5 ms, so longer sleeps left it waiting on an empty pipe (idle core-seconds
# of a whole 5M-record run, median of 10: 0.91 with a 10 ms cap, 0.58 with 2 ms; bench/README).
# A reader that reads nothing during a MAX_PAUSE sleep is waited for in poll().
MIN_PAUSE, FIRST_PAUSE, MAX_PAUSE = 0.0005, 0.001, 0.002
WAKE_SAMPLE = 4 << 20  # bytes written blocking before judging how the reader reads
SMALL_WAKE = 64 << 10  # fewer bytes than this per wake-up of the writer: pace it


class PipeWriter:
    """Write a command's stdin so that its feeder wakes once per half pipe, not per page.

    The kernel wakes a writer blocked on a full pipe as soon as the reader frees a page,
    so a script reading 8 KiB at a time (``for line in sys.stdin``) wakes its feeder for
    every 8 KiB it reads, each wake-up a cross-CPU interrupt that costs both sides
    (``bench/bench_feed.py``, feeding the classic MalStone mapper: paced, 0.63x the CPU
    and 0.82x the wall of blocking writes).  Writes block at first; if the writer's thread
    is woken more than once per SMALL_WAKE bytes, the pipe turns non-blocking and, when
    full, the writer sleeps until about half of it is free, the sleep (0.5-2 ms) doubling
    while the reader is slower and halving when it found the pipe drained; a reader that
    read nothing during the longest sleep is waited for in ``poll()``.  A script that reads big
    blocks keeps the blocking writes: it never waits for a sleep.  Only a 1 MiB pipe on
    Linux is paced.
    """

    def __init__(self, fd: int):
        self.fd = fd
        self.half = pipe_capacity(fd) // 2
        self.pause = FIRST_PAUSE
        self.paced = False
        self._sample = (self.half * 2 >= PIPE_SIZE and hasattr(resource, "RUSAGE_THREAD"))
        self._bytes = 0
        self._switches_before = self._switches() if self._sample else 0
        self._room = None  # a select.poll() of fd for POLLOUT, made when first needed

    @staticmethod
    def _switches() -> int:
        return resource.getrusage(resource.RUSAGE_THREAD).ru_nvcsw

    def _judge(self, n: int) -> None:
        """After ``n`` more bytes written blocking: pace the pipe if the reader reads small."""
        self._bytes += n
        if self._bytes >= WAKE_SAMPLE:
            self._sample = False
            if self._bytes < (self._switches() - self._switches_before) * SMALL_WAKE:
                os.set_blocking(self.fd, False)
                self.paced = True

    def write(self, data: bytes) -> None:
        """Write all of ``data`` (BrokenPipeError once the reader is gone)."""
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.fd, view)
            except BlockingIOError:
                self.wait_for_room()
                continue
            view = view[n:]
            if self._sample:
                self._judge(n)

    def sendfile(self, src: int, offset: int, count: int) -> int:
        """One ``os.sendfile`` of up to ``count`` bytes of ``src`` into the pipe, after
        waiting for room if it is full; returns how many it moved (0: end of file)."""
        while True:
            try:
                n = os.sendfile(self.fd, src, offset, count)
            except BlockingIOError:
                self.wait_for_room()
                continue
            if self._sample:
                self._judge(n)
            return n

    def wait_for_room(self) -> None:
        """Sleep until at most half of the pipe is unread, or for MAX_PAUSE at a time while
        the reader is slower (then write what it freed, keeping its cushion).  A reader
        that read nothing in a MAX_PAUSE sleep (stalled, or slower than that) is waited for
        in the kernel, until it frees a page or is gone (the next write tells): a slow
        script does not keep its feeder waking every 2 ms (~4 % of a core here)."""
        unread = pipe_unread(self.fd)
        while True:
            time.sleep(self.pause)
            left = pipe_unread(self.fd)
            if not left:
                self.pause = max(self.pause / 2, MIN_PAUSE)
            if left <= self.half:
                return
            if self.pause >= MAX_PAUSE:
                if left >= unread:
                    if self._room is None:
                        self._room = select.poll()
                        self._room.register(self.fd, select.POLLOUT)
                    self._room.poll()  # room for a page, or POLLERR: no reader any more
                return
            self.pause = min(self.pause * 2, MAX_PAUSE)
            unread = left


def write_all(fd: int, data: bytes) -> None:
    """``os.write`` until everything is written (pipes take partial writes)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def link_files(files: tuple[tuple[str, str], ...], cwd: str) -> None:
    """Hadoop's distributed cache: symlink each shipped file into the task cwd."""
    for source, name in files:
        target = os.path.join(cwd, name)
        if not os.path.exists(source):
            raise JobFailed(f"-file {source}: no such file; ship an existing file")
        if not os.path.lexists(target):
            os.symlink(os.path.abspath(source), target)
