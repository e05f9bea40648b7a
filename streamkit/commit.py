"""Hadoop's FileOutputCommitter contract for the output directory.

* the output directory must not exist: creating it is the lock (``os.mkdir`` is atomic,
  so of two runs writing the same output exactly one wins);
* parts are written under ``out/_temporary/`` and renamed into place at commit;
* ``_SUCCESS`` is written last; a failed run removes the directory it created, so
  nothing that looks like finished output remains;
* a run killed with SIGKILL leaves ``out/_temporary/`` with the pid of its driver: the
  next run reports it, and ``--clean-stale`` removes it if that process is gone.
"""

from __future__ import annotations

import os
import shutil

from streamkit.errors import JobFailed, OutputExistsError
from streamkit.private import owned_dir, read_own_file

TEMPORARY = "_temporary"
SUCCESS = "_SUCCESS"
PIDFILE = "streamkit.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _pid_in(directory: str) -> int | None:
    """The pid recorded in ``directory`` if it and its pid file are this user's own.

    Checked with ``lstat``/``O_NOFOLLOW``: another user's directory (in a shared
    ``/tmp``), or a link planted to look like one, is never read, followed or removed.
    """
    if not owned_dir(directory):
        return None
    data = read_own_file(os.path.join(directory, PIDFILE))
    try:
        return int(data.strip() or 0) if data is not None else None
    except ValueError:
        return None


def stale_workdirs(parent: str) -> list[str]:
    """This user's temporary job directories under ``parent`` whose driver is gone (SIGKILL)."""
    try:
        names = [n for n in os.listdir(parent) if n.startswith("streamkit-")]
    except OSError:
        return []
    stale = []
    for name in names:
        pid = _pid_in(os.path.join(parent, name))
        if pid is not None and not _alive(pid):
            stale.append(os.path.join(parent, name))
    return stale


def mark_owner(directory: str) -> None:
    """Record this process as the owner of ``directory`` (read back by the stale checks)."""
    fd = os.open(os.path.join(directory, PIDFILE),
                 os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    with open(fd, "w") as f:
        f.write(f"{os.getpid()}\n")


def stale_owner(output: str) -> int | None:
    """The dead driver pid of an interrupted run of this user that left ``output`` behind."""
    if not owned_dir(output):
        return None
    try:
        entries = set(os.listdir(output))
    except OSError:
        return None
    pid = _pid_in(os.path.join(output, TEMPORARY))
    if pid is not None and entries == {TEMPORARY} and not _alive(pid):
        return pid
    return None


class OutputCommitter:
    """Claim, fill and commit (or abort) one job's output directory."""

    def __init__(self, output: str, clean_stale: bool = False):
        self.output = os.path.abspath(output)
        self.clean_stale = clean_stale
        self.temporary = os.path.join(self.output, TEMPORARY, "0")
        self._claimed = False

    def setup(self) -> None:
        if os.path.lexists(self.output):
            pid = stale_owner(self.output)
            if pid is not None and self.clean_stale:
                shutil.rmtree(self.output)
            elif pid is not None:
                raise OutputExistsError(
                    f"output directory {self.output} already exists: it holds only _temporary "
                    f"from an interrupted run (pid {pid}, no _SUCCESS); remove it or rerun with --clean-stale")
            else:
                raise OutputExistsError(f"output directory {self.output} already exists; "
                                        "choose a new -output or remove the old one")
        parent = os.path.dirname(self.output)
        try:
            os.makedirs(parent, exist_ok=True)
            os.mkdir(self.output)
        except FileExistsError:
            raise OutputExistsError(f"output directory {self.output} already exists (another run "
                                    "created it just now); choose a new -output") from None
        except OSError as exc:
            raise JobFailed(f"cannot create output directory {self.output}: {exc.strerror}; "
                            "check the path and permissions") from None
        self._claimed = True
        os.makedirs(self.temporary)
        mark_owner(os.path.join(self.output, TEMPORARY))

    def part_path(self, name: str) -> str:
        return os.path.join(self.temporary, name)

    def commit(self, parts: list[str]) -> None:
        """Move finished parts into place, drop ``_temporary``, then write ``_SUCCESS``."""
        for path in parts:
            os.replace(path, os.path.join(self.output, os.path.basename(path)))
        shutil.rmtree(os.path.join(self.output, TEMPORARY))
        with open(os.path.join(self.output, SUCCESS), "wb"):
            pass
        self._claimed = False

    def abort(self) -> None:
        """Remove everything this run created; an output it did not create stays."""
        if self._claimed:
            shutil.rmtree(self.output, ignore_errors=True)
            self._claimed = False
