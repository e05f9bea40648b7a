#!/usr/bin/env python3
"""Benchmark `streamkit spark` on MalStone A against `streamkit run` and pyspark's own job.

Same input, same mapper and reducer (jobs/malstone/a_*.py), R = 2, one run each:

* `streamkit run` (all cores), the local engine;
* `streamkit spark --master local[2]`, whole command (JVM start included) — its
  `--stats` separates the job itself from Spark's start-up and shutdown;
* pyspark's idiom: `textFile → pipe(mapper) → sortByKey → pipe(reducer) →
  saveAsTextFile` (bench/pyspark_pipe_job.py), which is not byte-exact (engines notes B1);
* the Unix pipeline `cat | map | sort | reduce`, the reference of every ratio.

Target (issue 9): `streamkit spark` no slower than pyspark's pipe job.

    bench/bench_spark.py [--sizes 1M,5M]
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from bench_run import MAPPER, PYTHON3, REDUCER, input_file, run_pipeline  # noqa: E402

PIPE_JOB = os.path.join(common.BENCH, 'pyspark_pipe_job.py')


def parts(out):
    names = sorted(p for p in os.listdir(out) if p.startswith('part-'))
    return [open(os.path.join(out, p), 'rb').read() for p in names]


def bench_size(records, tmp):
    data = input_file(records, 1)
    common.warm_cache(data)
    job = ['-D', 'mapreduce.job.reduces=2', '-file', MAPPER, '-file', REDUCER, '-input', data,
           '-mapper', PYTHON3 + ' a_mapper.py', '-reducer', PYTHON3 + ' a_reducer.py']
    rows = {}
    out = os.path.join(tmp, 'run')
    rows['streamkit run'] = common.measure([common.STREAMKIT, 'run', *job, '-output', out], cwd=tmp)
    expected = parts(out)
    out, stats = os.path.join(tmp, 'spark'), os.path.join(tmp, 'stats.json')
    rows['streamkit spark'] = common.measure(
        [common.STREAMKIT, 'spark', '--master', 'local[2]', *job, '-output', out, '--stats', stats], cwd=tmp)
    assert parts(out) == expected, 'streamkit spark and streamkit run differ'
    with open(stats) as f:
        job_s = json.load(f)['phases']['spark']['wall_s']
    out = os.path.join(tmp, 'pipe')
    rows['pyspark textFile/pipe/sortByKey'] = common.measure(
        [sys.executable, PIPE_JOB, data, out, MAPPER, REDUCER, '2', PYTHON3], cwd=tmp)
    rows['Unix pipeline'] = run_pipeline(data, tmp)[0]
    for name in ('run', 'spark', 'pipe'):
        shutil.rmtree(os.path.join(tmp, name), ignore_errors=True)
    return rows, job_s


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', default='1M,5M')
    args = parser.parse_args()
    common.require(common.STREAMKIT)
    facts, sections = common.machine(), []
    with tempfile.TemporaryDirectory(prefix='bench-spark-') as tmp:
        for size in args.sizes.split(','):
            records = common.parse_count(size)
            rows, job_s = bench_size(records, tmp)
            base = rows['Unix pipeline'].wall
            spark_wall = rows['streamkit spark'].wall
            table = [[name, '%.2f s' % s.wall, '%.2f s' % s.cpu, '%.2f×' % (s.wall / base)]
                     for name, s in rows.items()]
            sections += ['## MalStone A, %s records, R = 2' % size, '',
                         common.markdown_table(['system', 'wall', 'CPU', 'vs pipeline'], table), '',
                         '`streamkit spark`: job %.2f s, Spark start-up and shutdown %.2f s; '
                         '%.2f× pyspark\'s pipe job (target ≤ 1.0×).' % (
                             job_s, spark_wall - job_s,
                             spark_wall / rows['pyspark textFile/pipe/sortByKey'].wall), '']
    text = '\n'.join(sections)
    print(text)
    print('results: %s' % common.write_results('spark', 'streamkit spark benchmark', facts, sections))


if __name__ == '__main__':
    main()
