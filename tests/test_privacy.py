"""Nothing of one user's run is readable, writable or removable by another local user.

The two-user tests reproduce issue 13's attack on a shared temporary directory with
throwaway accounts (as GNU coreutils' tests do); they need root and ``useradd`` and are
skipped, with the reason, otherwise.  The same-user tests check the mechanisms (modes,
``O_NOFOLLOW``, lstat owner checks) everywhere.
"""

import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile

import pytest

from conftest import ROOT, streamkit
from streamkit.commit import stale_workdirs
from streamkit.private import create_private_file

SECRET = b"SECRET_TOKEN=abc123"


def failing_job(tmp_path, *extra, env=None):
    """A job whose mapper prints a secret on stderr and fails (one attempt)."""
    (tmp_path / "in.txt").write_bytes(b"a\t1\n")
    (tmp_path / "fail.sh").write_text(
        f"touch {tmp_path}/ran; cat >/dev/null; echo {SECRET.decode()} >&2; exit 3\n")
    return streamkit("run", "-D", "mapreduce.map.maxattempts=2", "-input", "in.txt", "-output", "out",
                     "-file", "fail.sh", "-mapper", "sh fail.sh", *extra, cwd=str(tmp_path), env=env)


def one_line(res) -> str:
    err = res.stderr.decode()
    assert err.count("\n") == 1 and err.startswith("streamkit: ") and "Traceback" not in err, err
    return err


# ---------------------------------------------------------------- one user


def test_failed_attempt_log_is_a_0600_file_in_a_0700_state_dir(tmp_path, private_state):
    res = failing_job(tmp_path)
    assert res.returncode == 1
    log = one_line(res).rsplit("log: ", 1)[1].strip()
    logs = private_state / "streamkit" / "logs"
    assert os.path.dirname(log) == str(logs)
    assert stat.S_IMODE(os.stat(logs).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
    with open(log, "rb") as f:
        assert SECRET in f.read()


@pytest.mark.parametrize("plant", ["world-writable", "symlink"])
def test_unsafe_log_dir_is_refused_before_anything_runs(tmp_path, private_state, plant):
    logs = private_state / "streamkit" / "logs"
    logs.parent.mkdir()
    if plant == "symlink":
        (tmp_path / "elsewhere").mkdir()
        logs.symlink_to(tmp_path / "elsewhere")
    else:
        logs.mkdir()
        logs.chmod(0o777)
    res = failing_job(tmp_path)
    assert res.returncode == 2
    err = one_line(res)
    assert f"refusing log directory {logs}" in err and SECRET.decode() not in err
    assert not (tmp_path / "out").exists() and not (tmp_path / "ran").exists()
    if plant == "symlink":
        assert os.listdir(tmp_path / "elsewhere") == []


def test_log_file_is_never_opened_through_a_planted_link(tmp_path):
    (tmp_path / "victim").write_bytes(b"untouched")
    os.symlink(tmp_path / "victim", tmp_path / "attempt_x.stderr.log")
    fd, path = create_private_file(str(tmp_path), "attempt_x.stderr.log")
    os.write(fd, SECRET)
    os.close(fd)
    assert path == str(tmp_path / "attempt_x.stderr.log.1")
    assert (tmp_path / "victim").read_bytes() == b"untouched"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_stale_checks_never_follow_a_link(tmp_path):
    """A link named like a killed run's temp dir is neither reported nor removed."""
    dead = _dead_pid()
    target = tmp_path / "target"
    target.mkdir()
    (target / "streamkit.pid").write_text(f"{dead}\n")
    shared = tmp_path / "shared"
    shared.mkdir()
    os.symlink(target, shared / "streamkit-planted")
    (shared / "streamkit-mine").mkdir()
    (shared / "streamkit-mine" / "streamkit.pid").write_text(f"{dead}\n")
    assert stale_workdirs(str(shared)) == [str(shared / "streamkit-mine")]  # control: found


def test_tmpdir_writable_by_others_without_sticky_bit_is_refused(tmp_path):
    (tmp_path / "open").mkdir()
    (tmp_path / "open").chmod(0o777)
    (tmp_path / "in.txt").write_bytes(b"a\n")
    res = streamkit("run", "-input", "in.txt", "-output", "out", "--tmpdir", "open", cwd=str(tmp_path))
    assert res.returncode == 2
    assert "--tmpdir open is writable by other users and not sticky" in one_line(res)
    (tmp_path / "open").chmod(0o1777)  # sticky, like /tmp: accepted
    res = streamkit("run", "-input", "in.txt", "-output", "out", "--tmpdir", "open", cwd=str(tmp_path))
    assert res.returncode == 0, res.stderr
    assert os.listdir(tmp_path / "open") == []


def test_sort_output_temp_file_is_private_and_gets_the_usual_mode(tmp_path):
    res = subprocess.run([sys.executable, "-m", "streamkit", "sort", "-o", "sorted"], input=b"b\na\n",
                         cwd=tmp_path, env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True,
                         preexec_fn=lambda: os.umask(0o027))
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "sorted").read_bytes() == b"a\nb\n"
    assert stat.S_IMODE(os.stat(tmp_path / "sorted").st_mode) == 0o640
    assert os.listdir(tmp_path) == ["sorted"]


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


# ---------------------------------------------------------------- two users


@pytest.fixture(scope="module")
def users():
    """Two throwaway accounts, A (the attacker) and B (the victim), removed afterwards."""
    if os.geteuid() != 0:
        pytest.skip("two-user tests need root to create throwaway users")
    if not (shutil.which("useradd") and shutil.which("userdel")):
        pytest.skip("two-user tests need useradd and userdel")
    names = [f"sk-test-{who}-{os.getpid()}"[:31] for who in "ab"]
    made = []
    try:
        for name in names:
            added = subprocess.run(["useradd", "-M", "-N", "-s", "/usr/sbin/nologin", name],
                                   capture_output=True)
            if added.returncode != 0:
                pytest.skip(f"useradd {name} failed: {added.stderr.decode().strip()}")
            made.append(name)
        yield [pwd.getpwnam(n) for n in names]
    finally:
        for name in made:
            subprocess.run(["userdel", name], capture_output=True)


@pytest.fixture(scope="module")
def python_for_users(users, tmp_path_factory):
    """A python and a copy of streamkit + click that an unprivileged user can run.

    The worktree and its .venv may live where other users cannot enter (/root, /work),
    so the package and its run-time dependency are copied to a world-readable directory
    and run with the first interpreter the user can execute.
    """
    import click

    lib = tempfile.mkdtemp(prefix="sk-privacy-lib-", dir="/tmp")
    os.chmod(lib, 0o755)
    shutil.copytree(os.path.join(ROOT, "streamkit"), os.path.join(lib, "streamkit"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(os.path.dirname(click.__file__), os.path.join(lib, "click"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    for dirpath, dirnames, filenames in os.walk(lib):
        for name in dirnames:
            os.chmod(os.path.join(dirpath, name), 0o755)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o644)
    b = users[1]
    candidates = [os.path.realpath(sys._base_executable), shutil.which("python3"),
                  "/usr/bin/python3", "/usr/local/bin/python3"]
    try:
        for python in dict.fromkeys(c for c in candidates if c):
            try:
                probe = subprocess.run([python, "-c", "import streamkit.cli"], user=b.pw_uid,
                                       group=b.pw_gid, extra_groups=[], cwd="/",
                                       env={"PYTHONPATH": lib, "PATH": "/usr/bin:/bin"},
                                       capture_output=True)
            except OSError:  # not executable by B (e.g. under /root)
                continue
            if probe.returncode == 0:
                yield python, lib
                return
        pytest.skip(f"no python >= 3.10 that user {b.pw_name} can run (tried {candidates})")
    finally:
        shutil.rmtree(lib, ignore_errors=True)


@pytest.fixture
def box(users, python_for_users):
    """A world-traversable scratch area: shared/ is a sticky, world-writable /tmp."""
    a, b = users
    base = tempfile.mkdtemp(prefix="sk-privacy-", dir="/tmp")
    os.chmod(base, 0o755)
    dirs = {"shared": (0, 0o1777), "a": (a.pw_uid, 0o700), "b": (b.pw_uid, 0o700),
            "bhome": (b.pw_uid, 0o755)}
    for name, (uid, mode) in dirs.items():
        path = os.path.join(base, name)
        os.mkdir(path)
        os.chown(path, uid, -1)
        os.chmod(path, mode)
    python, lib = python_for_users

    def as_user(user, argv, home=None, cwd=None, input=None):
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": lib, "TMPDIR": os.path.join(base, "shared"),
               "HOME": home or "/nonexistent", "USER": user.pw_name}
        return subprocess.run(argv, user=user.pw_uid, group=user.pw_gid, extra_groups=[],
                              cwd=cwd or "/", env=env, input=input, capture_output=True, timeout=120)

    def write_as(user, path, data: bytes):
        with open(path, "wb") as f:
            f.write(data)
        os.chown(path, user.pw_uid, -1)

    def b_job(*extra, home=None):
        """B's job: the mapper leaves a marker in B's dir, prints the secret and fails."""
        bdir = os.path.join(base, "b")
        write_as(b, os.path.join(bdir, "in.txt"), b"a\t1\n")
        write_as(b, os.path.join(bdir, "fail.sh"),
                 f"touch {bdir}/ran; cat >/dev/null; echo {SECRET.decode()} >&2; exit 3\n".encode())
        return as_user(b, [python, "-m", "streamkit", "run", "-D", "mapreduce.map.maxattempts=2",
                           "-input", "in.txt", "-output", "out", "-file", "fail.sh",
                           "-mapper", "sh fail.sh", *extra], home=home, cwd=bdir)

    yield {"base": base, "a": a, "b": b, "as_user": as_user, "b_job": b_job,
           "shared": os.path.join(base, "shared"), "python": python}
    shutil.rmtree(base, ignore_errors=True)


def _files_containing(root: str, needle: bytes) -> list[str]:
    found = []
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                with open(path, "rb") as f:
                    if needle in f.read():
                        found.append(path)
    return found


def test_other_user_cannot_read_a_failed_attempts_log(box):
    a, b = box["a"], box["b"]
    home = os.path.join(box["base"], "bhome")
    res = box["b_job"](home=home)
    assert res.returncode == 1, res.stderr
    log = one_line(res).rsplit("log: ", 1)[1].strip()
    assert log.startswith(os.path.join(home, ".local", "state", "streamkit", "logs") + "/")
    with open(log, "rb") as f:
        assert SECRET in f.read()
    peek = box["as_user"](a, ["cat", log])
    assert peek.returncode != 0 and SECRET not in peek.stdout
    assert _files_containing(box["shared"], SECRET) == []   # nothing left in the shared /tmp


def test_without_a_home_logs_go_to_a_private_dir_in_tmpdir(box):
    a, b = box["a"], box["b"]
    res = box["b_job"]()
    assert res.returncode == 1, res.stderr
    log = one_line(res).rsplit("log: ", 1)[1].strip()
    logs = os.path.join(box["shared"], f"streamkit-logs-{b.pw_uid}")
    assert os.path.dirname(log) == logs
    st = os.lstat(logs)
    assert st.st_uid == b.pw_uid and stat.S_IMODE(st.st_mode) == 0o700
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
    assert box["as_user"](a, ["cat", log]).returncode != 0


@pytest.mark.parametrize("plant", ["dir 0777", "symlink"])
def test_log_dir_planted_by_another_user_is_refused(box, plant):
    """Issue 13's attack: A pre-creates B's log dir name (0777, or a link to A's dir)."""
    a, b, shared = box["a"], box["b"], box["shared"]
    logs = os.path.join(shared, f"streamkit-logs-{b.pw_uid}")
    trap = os.path.join(box["base"], "a", "trap")
    assert box["as_user"](a, ["mkdir", "-m", "777", trap]).returncode == 0
    made = (box["as_user"](a, ["mkdir", "-m", "777", logs]) if plant == "dir 0777"
            else box["as_user"](a, ["ln", "-s", trap, logs]))
    assert made.returncode == 0, made.stderr
    res = box["b_job"]()
    assert res.returncode == 2
    err = one_line(res)
    assert f"refusing log directory {logs}" in err and SECRET.decode() not in err
    assert not os.path.exists(os.path.join(box["base"], "b", "ran"))   # nothing ran
    assert os.listdir(trap) == [] and (plant == "symlink" or os.listdir(logs) == [])
    assert _files_containing(shared, SECRET) + _files_containing(os.path.dirname(trap), SECRET) == []


def test_clean_stale_never_touches_another_users_runs(box):
    a, b, shared = box["a"], box["b"], box["shared"]
    dead = _dead_pid()
    for name in ("streamkit-a-stale", "streamkit-b-stale"):
        path = os.path.join(shared, name)
        os.mkdir(path, 0o700)
        with open(os.path.join(path, "streamkit.pid"), "w") as f:
            f.write(f"{dead}\n")
        owner = a if name == "streamkit-a-stale" else b
        for p in (path, os.path.join(path, "streamkit.pid")):
            os.chown(p, owner.pw_uid, -1)
    assert box["as_user"](a, ["ln", "-s", os.path.join(shared, "streamkit-a-stale"),
                              os.path.join(shared, "streamkit-a-link")]).returncode == 0
    bdir = os.path.join(box["base"], "b")
    with open(os.path.join(bdir, "in.txt"), "wb") as f:
        f.write(b"x\t1\n")
    os.chown(os.path.join(bdir, "in.txt"), b.pw_uid, -1)
    res = box["as_user"](b, [box["python"], "-m", "streamkit", "run", "-input", "in.txt",
                             "-output", "out", "--clean-stale"], cwd=bdir)
    assert res.returncode == 0, res.stderr
    assert res.stderr.decode() == f"streamkit: warning: removed stale temporary directory {shared}/streamkit-b-stale\n"
    assert sorted(n for n in os.listdir(shared) if n.startswith("streamkit-")) == [
        "streamkit-a-link", "streamkit-a-stale", f"streamkit-logs-{b.pw_uid}"]


def test_another_users_directory_as_tmpdir_is_refused(box):
    a, b = box["a"], box["b"]
    theirs = os.path.join(box["base"], "a", "tmp")
    assert box["as_user"](a, ["mkdir", "-m", "1777", theirs]).returncode == 0
    os.chmod(os.path.join(box["base"], "a"), 0o755)
    res = box["b_job"]("--tmpdir", theirs)
    assert res.returncode == 2
    assert f"--tmpdir {theirs} belongs to another user (uid {a.pw_uid})" in one_line(res)
    assert not os.path.exists(os.path.join(box["base"], "b", "ran"))
    assert os.listdir(theirs) == []
