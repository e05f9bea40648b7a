"""The crontab line in README.md, run as cron would run it: no TTY, minimal env."""

import os
import re
import subprocess
import sys

from conftest import ROOT

WC_MAP = "import sys\nfor l in sys.stdin:\n    [print(w + '\\t1') for w in l.split()]\n"
WC_REDUCE = """import sys
cur, n = None, 0
for l in sys.stdin:
    k, v = l.rstrip('\\n').split('\\t')
    if k != cur:
        if cur is not None: print(f'{cur}\\t{n}')
        cur, n = k, 0
    n += int(v)
if cur is not None: print(f'{cur}\\t{n}')
"""


def crontab_command() -> str:
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    line = re.search(r"^30 3 \* \* \*\s+(.*)$", text, re.M).group(1)
    return line.replace("\\%", "%")  # cron turns \% into %


def test_readme_crontab_line(tmp_path):
    jobs = tmp_path / "jobs"
    (jobs / "logs").mkdir(parents=True)
    (jobs / "logs" / "day1.txt").write_text("b a b\n")
    (jobs / "wc_map.py").write_text(WC_MAP)
    (jobs / "wc_reduce.py").write_text(WC_REDUCE)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "streamkit").write_text(f"#!/bin/sh\nPYTHONPATH={ROOT} exec {sys.executable} -m streamkit \"$@\"\n")
    (bindir / "streamkit").chmod(0o755)
    env = {"HOME": str(tmp_path), "PATH": f"{bindir}:/usr/bin:/bin", "SHELL": "/bin/sh"}
    cmd = crontab_command()
    first = subprocess.run(["/bin/sh", "-c", cmd], env=env, stdin=subprocess.DEVNULL, capture_output=True)
    assert first.returncode == 0 and first.stdout == b"" and first.stderr == b""
    (out,) = os.listdir(jobs / "out")
    assert sorted(os.listdir(jobs / "out" / out)) == ["_SUCCESS", "part-00000"]
    assert (jobs / "out" / out / "part-00000").read_text() == "a\t1\nb\t2\n"
    assert (jobs / "streamkit-errors.log").read_text() == ""
    second = subprocess.run(["/bin/sh", "-c", cmd], env=env, stdin=subprocess.DEVNULL, capture_output=True)
    assert second.returncode == 5
    assert "already exists" in (jobs / "streamkit-errors.log").read_text()
    assert len((jobs / "streamkit-runs.log").read_text().splitlines()) == 2
    assert (jobs / "out" / out / "part-00000").read_text() == "a\t1\nb\t2\n"
