#!/usr/bin/env python3
"""`make demo`: generate MalStone records, run MalStone A with `streamkit run`, show it.

Generates 1M records (once; reused) under work/malstone/, runs the benchmark-form
A job on all cores with a combiner, and prints the top 10 sites by ratio, the
counters, the wall time and records/s.  The same command line runs on Hadoop.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def generate(path: str, records: int, seed: int) -> None:
    if os.path.exists(path):
        return
    print(f"generating {records:,} MalStone records into {path} ...", flush=True)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    subprocess.run([sys.executable, os.path.join(HERE, "malgen.py"), "--records", str(records),
                    "--seed", str(seed), "-o", tmp], check=True)
    os.replace(tmp, path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", default=os.path.join(ROOT, "work", "malstone"))
    args = parser.parse_args()

    data = os.path.join(args.workdir, f"malstone-{args.records}-s{args.seed}.txt")
    generate(data, args.records, args.seed)
    out = os.path.join(args.workdir, "out-a")
    shutil.rmtree(out, ignore_errors=True)
    cores = os.cpu_count() or 1
    command = [sys.executable, "-m", "streamkit", "run",
               "-D", f"mapreduce.job.reduces={cores}",
               "-files", ",".join(os.path.join(HERE, f) for f in
                                  ("a_mapper.py", "a_reducer.py")),
               "-input", data, "-output", out,
               "-mapper", "python3 a_mapper.py", "-combiner", "python3 a_reducer.py --combine",
               "-reducer", "python3 a_reducer.py", "--verbose"]
    print("$ streamkit run " + " ".join(command[4:]).replace(ROOT + "/", ""), flush=True)
    start = time.monotonic()
    result = subprocess.run(command, cwd=ROOT)
    wall = time.monotonic() - start
    if result.returncode:
        return result.returncode

    rows = []
    for name in sorted(os.listdir(out)):
        if name.startswith("part-"):
            with open(os.path.join(out, name), "rb") as f:
                rows += [line.split(b"\t") for line in f.read().splitlines()]
    rows.sort(key=lambda r: (-float(r[3]), r[0]))
    print("\ntop 10 sites by ratio (site, visits, hits, ratio):")
    for row in rows[:10]:
        print("  " + "  ".join(field.decode() for field in row))
    print(f"\n{len(rows):,} sites; {args.records:,} records in {wall:.1f} s on {cores} cores "
          f"= {args.records / wall:,.0f} records/s; output in {os.path.relpath(out, ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
