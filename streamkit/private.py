"""Private files and directories, safe to create in places other users can write.

streamkit runs from cron on shared servers, where ``/tmp`` belongs to everyone.  Another
local user can pre-create a directory under a name streamkit is about to use, make it
world-writable, or plant a symbolic link where a file is about to be written.  So:

* a directory streamkit keeps things in (failed-attempt logs) is its user's own: created
  ``0700``, and checked with ``lstat`` (owner, not a link, not writable by others) before
  use; anything else is refused with one line;
* a file in it is created with ``O_CREAT | O_EXCL | O_NOFOLLOW``, mode ``0600``: it never
  opens something that was there first, link or not;
* a parent directory for temporary files (``--tmpdir``, ``sort -T``) must be the user's,
  or root's and sticky (like ``/tmp``), so nobody else can rename what streamkit makes
  there.  The temporary directories themselves come from ``tempfile.mkdtemp`` (``0700``,
  ``O_EXCL``-style creation).
"""

from __future__ import annotations

import os
import stat
import tempfile

from streamkit.errors import UsageError

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def owned_dir(path: str) -> bool:
    """A real directory (not a link to one) owned by this user: safe to read or remove."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid()


def read_own_file(path: str, limit: int = 4096) -> bytes | None:
    """The start of ``path`` if it is this user's regular file (never through a link)."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid():
            return None
        return os.read(fd, limit)
    except OSError:
        return None
    finally:
        os.close(fd)


def check_temp_parent(path: str | None, option: str) -> str:
    """Check a directory where temporary directories will be made; return its path.

    It must exist, be writable, and be safe from other users: owned by this user, or by
    root and either not writable by others or sticky (``/tmp``).  ``option`` names the
    setting in the message (``--tmpdir``, ``-T``).
    """
    where = path if path is not None else tempfile.gettempdir()
    shown = f"{option} {where}" if path is not None else f"temporary directory {where} ($TMPDIR)"
    try:
        st = os.stat(where)
    except FileNotFoundError:
        raise UsageError(f"{shown} does not exist; create it or choose another directory") from None
    except OSError as exc:
        raise UsageError(f"{shown}: {exc.strerror}; choose another directory") from None
    if not stat.S_ISDIR(st.st_mode):
        raise UsageError(f"{shown} is not a directory; choose a directory for temporary files")
    if not os.access(where, os.W_OK | os.X_OK):
        raise UsageError(f"{shown} is not writable; choose a directory you can write to")
    if st.st_uid not in (os.geteuid(), 0):
        raise UsageError(f"{shown} belongs to another user (uid {st.st_uid}), who could read or "
                         "replace streamkit's files there; use a directory of your own")
    if st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX:
        raise UsageError(f"{shown} is writable by other users and not sticky, so they could "
                         "replace streamkit's files there; use a private directory (chmod go-w)")
    return where


def private_dir(path: str, what: str) -> str:
    """Create (0700) or check a directory only this user can write; return its path.

    Refused, with one line: a link, a non-directory, a directory of another user, or one
    that others can write (they could plant links or read what appears there).
    """
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    st = os.lstat(path)
    problem = None
    if stat.S_ISLNK(st.st_mode):
        problem = "is a symbolic link"
    elif not stat.S_ISDIR(st.st_mode):
        problem = "is not a directory"
    elif st.st_uid != os.geteuid():
        problem = f"belongs to another user (uid {st.st_uid})"
    elif st.st_mode & 0o022:
        problem = f"is writable by other users (mode {stat.S_IMODE(st.st_mode):04o})"
    if problem:
        raise UsageError(f"refusing {what} {path}: it {problem}, so others could read or "
                         "redirect what streamkit writes there; remove it, or set "
                         "XDG_STATE_HOME to a private directory")
    return path


def log_dir() -> str:
    """Where failed attempts' logs are kept, created private on first use.

    ``$XDG_STATE_HOME/streamkit/logs`` (default ``~/.local/state/streamkit/logs``); for a
    user without a usable home (a system account), ``streamkit-logs-<uid>`` in the
    temporary directory, checked the same way.
    """
    state = os.environ.get("XDG_STATE_HOME", "")
    if not os.path.isabs(state):
        home = os.environ.get("HOME") or os.path.expanduser("~")
        state = os.path.join(home, ".local", "state") if os.path.isabs(home) else ""
    if state:
        path = os.path.join(state, "streamkit", "logs")
        try:
            return private_dir(path, "log directory")
        except OSError:
            pass  # no home to write to: a system account
    return private_dir(os.path.join(tempfile.gettempdir(), f"streamkit-logs-{os.geteuid()}"),
                       "log directory")


def create_private_file(directory: str, name: str) -> tuple[int, str]:
    """Create a new ``0600`` file in ``directory`` (never an existing one, never via a link).

    If ``name`` is taken, ``name.1``, ``name.2``... are tried.  Returns (fd, path).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
    for n in range(100):
        path = os.path.join(directory, name if n == 0 else f"{name}.{n}")
        try:
            return os.open(path, flags, 0o600), path
        except FileExistsError:
            continue
    raise FileExistsError(f"{directory}: {name} and 99 alternatives exist")
