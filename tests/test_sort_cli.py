"""`streamkit sort` driven as a real command, compared with GNU sort where they agree."""

import gzip
import os
import random
import subprocess
import sys

import pytest

from conftest import streamkit


def gnu_sort(data: bytes, *args: str) -> bytes:
    return subprocess.run(["sort", "-t", "\t", "-k1,1", "-s", *args], input=data,
                          env=dict(os.environ, LC_ALL="C"), capture_output=True, check=True).stdout


def sample(n=3000, seed=1) -> bytes:
    rng = random.Random(seed)
    words = [b"apple", b"Apple", b"b", b"banana", b"a-b", b"a b", b"\xc3\xa9t\xc3\xa9", b"", b"zz"]
    return b"".join(rng.choice(words) + b"\t%d\n" % rng.randrange(100) for _ in range(n))


def test_same_bytes_as_gnu_sort_in_c_locale_on_ordinary_keys():
    data = sample()
    out = streamkit("sort", input=data)
    assert out.returncode == 0 and out.stderr == b""
    # GNU -s keeps input order for ties; Hadoop promises none: compare with --stable.
    assert streamkit("sort", "--stable", input=data).stdout == gnu_sort(data)
    assert sorted(out.stdout.splitlines()) == sorted(data.splitlines())


def test_hadoop_key_order_where_gnu_differs():
    data = b"a\x01\tx\na\ty\n"
    plain = subprocess.run(["sort"], input=data, env=dict(os.environ, LC_ALL="C"),
                           capture_output=True).stdout
    assert plain.startswith(b"a\x01")                   # whole-line sort: a\x01 first
    assert streamkit("sort", input=data).stdout == b"a\ty\na\x01\tx\n"   # key order: a first
    # A lone CR ends a record for Hadoop's LineReader; GNU sort keeps it inside the line.
    assert gnu_sort(b"b\rc\na\n") == b"a\nb\rc\n"
    assert streamkit("sort", input=b"b\rc\na\n").stdout == b"a\nb\nc\n"


def test_spills_with_small_buffer_and_cleans_temp_dir(tmp_path):
    data = sample(60000, seed=2)
    tmp = tmp_path / "t"
    tmp.mkdir()
    out = streamkit("sort", "--stable", "-S", "64K", "-T", str(tmp), "--batch-size", "2", input=data)
    assert out.returncode == 0, out.stderr
    assert out.stdout == gnu_sort(data)
    assert os.listdir(tmp) == []


def test_files_and_gzip_and_stdin_dash(tmp_path):
    (tmp_path / "a.gz").write_bytes(gzip.compress(b"b\t1\na\t2\n"))
    (tmp_path / "b.txt").write_bytes(b"c\t3\r\nab\t4")       # CRLF and no final newline
    out = streamkit("sort", "a.gz", "-", "b.txt", input=b"aa\t5\n", cwd=str(tmp_path))
    assert out.stdout == b"a\t2\naa\t5\nab\t4\nb\t1\nc\t3\n"


def test_key_field_comparator_options():
    data = b"".join(b"x\t%d\n" % v for v in (2, 20, 3, 1, 10))
    out = streamkit("sort", "-k2,2nr", input=data)
    assert out.stdout == b"x\t20\nx\t10\nx\t3\nx\t2\nx\t1\n"
    same = streamkit("sort", "--comparator-options", "-k2,2nr", "--key-fields", "2", input=data)
    assert same.stdout == out.stdout


def test_hadoop_numeric_quirk_not_gnu():
    out = streamkit("sort", "-n", input=b"7\n007\n")
    assert out.stdout == b"007\n7\n"     # Hadoop: "007" < "7"


def test_check_reports_first_disorder_line():
    ok = streamkit("sort", "-c", input=b"a\t2\na\t1\nb\n")
    assert ok.returncode == 0
    bad = streamkit("sort", "-c", input=b"a\nc\nb\nd\n")
    assert bad.returncode == 1
    assert b"-:3: disorder: b" in bad.stderr


@pytest.mark.parametrize("flag", ["-f", "-u", "-V", "-h"])
def test_gnu_only_flags_are_refused(flag):
    out = streamkit("sort", flag, input=b"a\n")
    assert out.returncode == 2
    assert b"GNU sort option" in out.stderr and out.stderr.count(b"\n") == 1


def test_bad_k_syntax_and_size():
    assert streamkit("sort", "-k", "x", input=b"").returncode == 2
    bad = streamkit("sort", "-S", "lots", input=b"")
    assert bad.returncode == 2 and b"invalid buffer size" in bad.stderr


def test_missing_file_is_one_line_naming_it():
    out = streamkit("sort", "/nonexistent/file.txt")
    assert out.returncode == 5
    assert b"/nonexistent/file.txt" in out.stderr and out.stderr.count(b"\n") == 1


def test_broken_pipe_exits_quietly():
    data = sample(200000, seed=3)
    proc = subprocess.run(["bash", "-c", f"set -o pipefail; {sys.executable} -m streamkit sort | head -1"],
                          input=data, capture_output=True,
                          env=dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(__file__))))
    assert proc.returncode == 0
    assert proc.stderr == b""
    assert proc.stdout.count(b"\n") == 1


def test_output_file_written_atomically(tmp_path):
    target = tmp_path / "sorted.txt"
    target.write_bytes(b"old\n")
    out = streamkit("sort", "-o", str(target), "/nonexistent", cwd=str(tmp_path))
    assert out.returncode == 5
    assert target.read_bytes() == b"old\n"               # untouched on failure
    assert sorted(os.listdir(tmp_path)) == ["sorted.txt"]
    assert streamkit("sort", "-o", str(target), input=b"b\na\n").returncode == 0
    assert target.read_bytes() == b"a\nb\n"


def test_disk_full_in_a_forked_spill_is_one_line(tmp_path):
    import resource
    data = b"".join(b"%09d\tv\n" % ((i * 7919) % 400000) for i in range(400000))
    (tmp_path / "t").mkdir()

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 10, 64 << 10))

    proc = subprocess.run([sys.executable, "-m", "streamkit", "sort", "-S", "4M", "-T", str(tmp_path / "t")],
                          input=data, capture_output=True, preexec_fn=limit,
                          env=dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(__file__))))
    assert proc.returncode == 1
    assert proc.stderr.count(b"\n") == 1 and b"File too large" in proc.stderr
    assert os.listdir(tmp_path / "t") == []


def distinct_lines(n=120000, seed=4) -> bytes:
    rng = random.Random(seed)
    return b"".join(b"%012d\t%d\n" % (rng.randrange(10 ** 12), i % 7) for i in range(n))


@pytest.mark.parametrize("redirect", ["> out", ">> out", "| cat > out"])
def test_sorted_halves_land_in_place_between_other_writes(tmp_path, redirect):
    # Distinct keys spilled in many runs: the last merge runs in two processes, the upper
    # half written straight into a regular output file (not one opened for appending).
    data = distinct_lines()
    (tmp_path / "in").write_bytes(data)
    (tmp_path / "out").write_bytes(b"before\n")
    (tmp_path / "t").mkdir()
    sort = f"{sys.executable} -m streamkit sort -S 1M -T t in"
    proc = subprocess.run(["bash", "-c", f"set -e; {{ echo head; {sort}; echo tail; }} {redirect}"],
                          cwd=tmp_path, capture_output=True,
                          env=dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(__file__))))
    assert proc.returncode == 0 and proc.stderr == b""
    kept = b"before\n" if redirect.startswith(">>") else b""
    expected = b"".join(sorted(data.splitlines(keepends=True)))
    assert (tmp_path / "out").read_bytes() == kept + b"head\n" + expected + b"tail\n"
    assert os.listdir(tmp_path / "t") == []


def test_disk_full_while_a_merging_child_writes_the_output_is_one_line(tmp_path):
    import resource
    data = distinct_lines()
    (tmp_path / "in").write_bytes(data)
    (tmp_path / "t").mkdir()

    def limit():  # runs (~250 KB) fit, the sorted output (~2 MB) does not
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))

    with open(tmp_path / "out", "wb") as out:
        proc = subprocess.run([sys.executable, "-m", "streamkit", "sort", "-S", "1M", "-T", "t", "in"],
                              cwd=tmp_path, stdout=out, stderr=subprocess.PIPE, preexec_fn=limit,
                              env=dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(__file__))))
    assert proc.returncode == 1
    assert proc.stderr.count(b"\n") == 1 and b"File too large" in proc.stderr, proc.stderr
    assert os.listdir(tmp_path / "t") == []
