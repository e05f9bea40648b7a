"""The map tasks of a job: its splits, numbered as Hadoop numbers them, and the
``--total-order`` split points sampled from the mapper's own output.

Shared by every engine, so ``streamkit run`` and ``streamkit spark`` cut the same splits.
"""

from __future__ import annotations

import dataclasses
import os
import shutil

from streamkit import total_order
from streamkit.errors import InputError, JobFailed
from streamkit.extsort import read_lines
from streamkit.inputs import Split, local_file, plan_splits, plan_tapered_splits
from streamkit.job import Attempt, Job
from streamkit.spec import JobSpec

def biggest_first(splits: list[Split]) -> list[Split]:
    """Number map tasks as Hadoop's JobSubmitter does: splits sorted by length, largest
    first (a stable sort), so map task i — and a map-only job's ``part-0000i`` — is the
    i-th largest split, not the i-th in input order."""
    def length(split: Split) -> int:
        return split.length if split.length >= 0 else (split.file.size or 0)

    ordered = sorted(splits, key=length, reverse=True)
    return [dataclasses.replace(split, index=i) for i, split in enumerate(ordered)]


def job_splits(spec: JobSpec, files, workers: int) -> list[Split]:
    """The map tasks' splits, numbered as Hadoop numbers them; ``workers`` sizes them by default.

    With ``--merge-previous DIR``, DIR's part files follow as extra map tasks, one each.
    """
    splits = biggest_first(_plan(spec, files, workers))
    _check_key_types(spec, splits)
    if spec.merge_previous is not None:
        splits += [Split(f, 0, -1, len(splits) + i, previous=True)
                   for i, f in enumerate(previous_parts(spec.merge_previous))]
    return splits


def previous_parts(directory: str):
    """The part files of a previous run's committed output (compressed ones too)."""
    if not os.path.isdir(directory):
        raise InputError(f"--merge-previous {directory}: no such directory; name the output "
                         "directory of a previous run of this job")
    if not os.path.exists(os.path.join(directory, "_SUCCESS")):
        raise InputError(f"--merge-previous {directory}: no _SUCCESS file, so that run did not "
                         "finish; rerun it, or merge from a complete output")
    names = sorted(n for n in os.listdir(directory) if n.startswith("part-"))
    return [local_file(os.path.abspath(os.path.join(directory, n))) for n in names]


def sample_split_points(job: Job, splits: list[Split], run_tasks) -> tuple[list[bytes], dict]:
    """--total-order: run the map tasks of a Bernoulli sample of the input (at most
    ``total_order.MAX_SPLITS`` splits, about ``SAMPLE_BYTES`` of input), reservoir-sample
    their map output keys and pick the R-1 split points (``InputSampler``'s job).

    Streaming map output keys are not the input keys, so the mapper must run: over the
    sample, in the job's own task environment.  ``run_tasks`` is a
    :meth:`Scheduler.run`; the sample's attempts work in ``WORKDIR/sample``.
    """
    from streamkit import worker

    spec = job.spec
    chosen = total_order.sampled_splits([s for s in splits if not s.previous], job.seed)
    fraction = min(spec.sample, total_order.sample_fraction(
        s.length if s.length >= 0 else s.file.size for s in chosen))
    sample = Job.__new__(Job)
    sample.__dict__.update(job.__dict__)
    sample.spec = dataclasses.replace(spec, sample=fraction, num_reducers=1, combiner=None,
                                      total_order=False, memory=min(spec.memory, 16 << 20))
    sample.workdir = os.path.join(job.workdir, "sample")
    os.makedirs(sample.workdir)

    def attempt(index: int, n: int) -> Attempt:
        return Attempt(sample, "m", index, n, os.path.join(sample.workdir, "unused"),
                       split=chosen[index])

    results = run_tasks([()] * len(chosen), attempt, worker.run_map, spec.map_attempts)
    order = job.order()

    def keys():  # every map output line's key, in turn (counted spills expanded)
        for result in results:
            for spill in result["spills"]:
                compact = (spill["path"],) if spill["counted"] else ()
                for lines in read_lines((spill["path"], 0, -1), compact=compact):
                    for line in lines:
                        yield order.key_of(line)

    samples = total_order.reservoir(keys(), total_order.MAX_KEYS, job.seed)
    shutil.rmtree(sample.workdir, ignore_errors=True)
    points = total_order.split_points(samples, spec.num_reducers, order.comparator)
    return points, {"tasks": len(chosen), "fraction": fraction, "keys": len(samples),
                    "split_points": len(points)}


#: the smallest tapering split: Hadoop's local block size (``fs.local.block.size``)
TAPER_MIN = 32 << 20
#: keys that make streamkit cut splits exactly as Hadoop's old-API FileInputFormat does
OLD_API_SPLIT_KEYS = ("mapreduce.input.fileinputformat.split.minsize", "fs.local.block.size",
                      "mapreduce.job.maps", "mapreduce.input.fileinputformat.split.maxsize")


def _plan(spec: JobSpec, files, workers: int) -> list[Split]:
    """Splits: Hadoop's own rule when the user sets one of its keys, else sized by cores.

    Streaming's ``mapred.FileInputFormat.getSplits`` with the local runner's map-count hint
    of 1: size = max(minsize, min(total, ``fs.local.block.size``)), 1.1 slop; it never
    reads ``split.maxsize``.  By default streamkit cuts splits so that every core has work
    until the map phase ends (README, "differs on purpose"): tapering ones of at least
    TAPER_MIN (``plan_tapered_splits``) with several workers, where that gives each worker
    two or more; else two of max(1 MiB, total / (2 x workers)) per worker, as a task's
    start-up would cost more than a shorter tail saves.
    """
    if any(key in spec.conf for key in OLD_API_SPLIT_KEYS):
        return plan_splits(files, 1, spec.split_min_size, spec.local_block_size)
    if workers > 1:
        splits = plan_tapered_splits(files, workers, TAPER_MIN)
        if len(splits) >= 2 * workers:
            return splits
    return plan_splits(files, max(2, 2 * workers), 1 << 20)


def _check_key_types(spec: JobSpec, splits: list[Split]) -> None:
    """IdentityMapper over TextInputFormat emits LongWritable offsets; Hadoop's map task fails
    on its first record when the map output key class is Text (a streaming reducer or
    combiner, or any ``stream.*.output`` setting)."""
    text_keys = (spec.reducer is not None or spec.combiner is not None
                 or "stream.map.output" in spec.conf or "stream.reduce.output" in spec.conf)
    if (spec.offset_keys and spec.num_reducers and text_keys
            and any(split.length != 0 for split in splits)):
        raise JobFailed("Type mismatch in key from map: expected org.apache.hadoop.io.Text, "
                        "received org.apache.hadoop.io.LongWritable: without -mapper (or with "
                        "IdentityMapper) the keys are TextInputFormat's byte offsets, as in Hadoop; "
                        "give -mapper cat, or -inputformat KeyValueTextInputFormat")


