"""Errors that carry their exit code and a one-line message saying what to do.

The CLI catches :class:`StreamkitError` in one place and prints ``streamkit: <message>``.
Exit codes follow ``mapred streaming`` where Hadoop defines one:

====  =========================================================
0     success
1     the job failed (a task failed, a write failed)
2     usage error (bad option or option value)
5     output directory exists, or an input is missing/unreadable
130   interrupted (SIGINT);  143  terminated (SIGTERM)
====  =========================================================
"""

from __future__ import annotations

import errno
import os
from contextlib import contextmanager


class StreamkitError(Exception):
    """Base class: ``str(err)`` is the one-line message, ``err.exit_code`` the status."""

    exit_code = 1

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(StreamkitError):
    """A bad command line or option value."""

    exit_code = 2


class InputError(StreamkitError):
    """An input that is missing, unreadable, or not what Hadoop would accept."""

    exit_code = 5


class OutputExistsError(StreamkitError):
    """The output directory exists already; Hadoop refuses it too (exit 5)."""

    exit_code = 5


class JobFailed(StreamkitError):
    """A task failed after its last attempt, or the job could not commit."""

    exit_code = 1


class Interrupted(StreamkitError):
    """SIGINT or SIGTERM: children stopped, temporaries removed."""

    def __init__(self, signum: int) -> None:
        import signal

        name = signal.Signals(signum).name
        super().__init__(f"interrupted by {name}; stopped all tasks and removed temporary files",
                         128 + signum)


_DISK_FULL = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}


@contextmanager
def disk_errors(path: str, nbytes):
    """Turn a full disk (or a file-size limit) while writing ``path`` into one clear line.

    ``nbytes`` is the size being written, or a function computing it (only on failure).
    """
    try:
        yield
    except OSError as exc:
        if exc.errno not in _DISK_FULL:
            raise
        nbytes = nbytes() if callable(nbytes) else nbytes
        where = os.path.dirname(os.path.abspath(path))
        raise JobFailed(f"cannot write {path}: {exc.strerror} in {where} while writing about "
                        f"{nbytes} bytes; free space there or point --tmpdir/-output at a "
                        "larger disk") from None
