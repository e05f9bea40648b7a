"""``--total-order``: range partitioning from sampled keys, as Hadoop's TotalOrderPartitioner.

Hadoop sorts globally by sampling keys (``InputSampler``), writing R-1 split points
(``writePartitionFile``) and sending each key to the partition its binary search lands in
(``TotalOrderPartitioner``): keys below the first point go to reducer 0, keys equal to a
point go to the partition above it.  Partition i then holds only keys ordered before
partition i+1's, so ``cat part-*`` is sorted.  Streaming's map output keys are not the
input keys, so the runner samples *map output* keys (the mapper run on a Bernoulli sample
of the input); this module only picks the points and partitions by them.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from typing import Callable, Iterable

from streamkit.partition import cached

MAX_KEYS = 100_000  # InputSampler's default numSamples
#: sampled keys are cut to this many bytes, so the sample stays within ~30 MiB; any byte
#: string is a valid split point (partitions stay ranges), only balance could suffer
MAX_KEY_BYTES = 256
SAMPLE_BYTES = 8 << 20  # input bytes the mapper is run over, at most, to sample keys
MAX_SPLITS = 10  # input splits sampled at most (RandomSampler's maxSplitsSampled in TeraSort)
UNKNOWN_SIZE = 64 << 20  # what a split of unknown size (pipe, URL) is assumed to hold


def reservoir(keys: Iterable[bytes], size: int, seed: int) -> list[bytes]:
    """A uniform sample of at most ``size`` keys (Algorithm R), each cut to
    :data:`MAX_KEY_BYTES`, in bounded memory."""
    rng = random.Random(f"streamkit-total-order:{seed}")
    kept: list[bytes] = []
    for seen, key in enumerate(keys):
        key = key[:MAX_KEY_BYTES]
        if seen < size:
            kept.append(key)
        else:
            slot = rng.randrange(seen + 1)
            if slot < size:
                kept[slot] = key
    return kept


def split_points(samples: list[bytes], partitions: int,
                 comparator: Callable[[bytes], object] | None = None) -> list[bytes]:
    """``InputSampler.writePartitionFile``: R-1 points at even steps through the sorted
    sample, each strictly above the previous one.  With fewer distinct keys than that
    (Hadoop would fail), the points run out early and the last partitions stay empty."""
    if partitions < 2 or not samples:
        return []
    compare = comparator or (lambda key: key)
    samples = sorted(samples, key=compare)
    step = len(samples) / partitions
    points: list[bytes] = []
    last = -1
    for i in range(1, partitions):
        k = math.floor(step * i + 0.5)  # Java's Math.round
        while last >= 0 and k < len(samples) and compare(samples[last]) == compare(samples[k]):
            k += 1
        if k >= len(samples):
            break
        points.append(samples[k])
        last = k
    return points


def partitioner(points: list[bytes], partitions: int,
                comparator: Callable[[bytes], object] | None = None) -> Callable[[bytes], int]:
    """``TotalOrderPartitioner.getPartition``: the number of points <= the key."""
    if comparator is None:
        return cached(lambda key, _r: bisect_right(points, key), partitions)
    bounds = [comparator(point) for point in points]
    return cached(lambda key, _r: bisect_right(bounds, comparator(key)), partitions)


def sample_fraction(split_bytes: Iterable[int | None]) -> float:
    """The Bernoulli fraction that runs the mapper over about :data:`SAMPLE_BYTES`."""
    total = sum(UNKNOWN_SIZE if size is None or size < 0 else size for size in split_bytes)
    return 1.0 if total <= SAMPLE_BYTES else SAMPLE_BYTES / total


def sampled_splits(splits: list, seed: int) -> list:
    """At most :data:`MAX_SPLITS` of the splits, chosen at random (RandomSampler shuffles
    the splits and reads the first ones), in their own order."""
    if len(splits) <= MAX_SPLITS:
        return list(splits)
    chosen = random.Random(f"streamkit-total-order-splits:{seed}").sample(range(len(splits)), MAX_SPLITS)
    return [splits[i] for i in sorted(chosen)]
