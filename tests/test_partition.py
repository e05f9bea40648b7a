"""HashPartitioner: the reducer each key goes to, as Hadoop 3.5 computes it."""

import pytest
from hypothesis import given, strategies as st

from streamkit.partition import cached, hash_partition, text_hash


def reference_hash(key: bytes) -> int:
    h = 1
    for b in key:
        h = (31 * h + (b - 256 if b >= 128 else b)) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


@pytest.mark.parametrize("key,r,part", [
    (b"dog", 3, 0), (b"fox", 3, 1), (b"the", 3, 1), (b"", 3, 1), ("é".encode(), 3, 2),
    ("😀".encode(), 3, 1), (b"dog", 7, 5), (b"fox", 7, 5), (b"the", 7, 0), (b"", 7, 1),
    ("é".encode(), 7, 0), ("😀".encode(), 7, 2), (b"foo", 3, 1), (b"bar", 3, 1), (b"a", 3, 2),
])
def test_worked_values_observed_on_hadoop(key, r, part):
    assert hash_partition(key, r) == part


def test_worked_hashes():
    assert [text_hash(k) for k in (b"dog", b"fox", b"the", b"foo", b"bar", b"a", b"")] == \
        [129435, 131374, 144592, 131365, 127090, 128, 1]
    assert text_hash("é".encode()) == -1017


@given(st.binary(max_size=64), st.integers(1, 50))
def test_matches_the_java_loop_on_any_bytes(key, r):
    assert text_hash(key) == reference_hash(key)
    assert hash_partition(key, r) == (reference_hash(key) & 0x7FFFFFFF) % r


def test_cache_is_bounded_and_correct():
    part = cached(hash_partition, 7, limit=4)
    for i in range(100):
        key = b"k%d" % i
        assert part(key) == hash_partition(key, 7)
