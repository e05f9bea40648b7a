#!/usr/bin/env python3
"""The job a pyspark user writes for streaming scripts: the baseline of bench_spark.py.

    pyspark_pipe_job.py INPUT OUTPUT MAPPER REDUCER R [PYTHON]

`textFile → pipe(mapper) → sortByKey(R) → pipe(reducer) → saveAsTextFile`, on
`local[2]`. Text in, text out, UTF-8 only: not byte-exact (engines notes B1, B2, B4),
measured only for its speed.
"""
import sys

from pyspark import SparkConf, SparkContext


def main():
    data, out, mapper, reducer, reducers = sys.argv[1:6]
    python = sys.argv[6] if len(sys.argv) > 6 else 'python3'  # what runs the scripts
    conf = SparkConf().setMaster('local[2]').setAppName('pipe-baseline') \
        .set('spark.ui.enabled', 'false').set('spark.pyspark.python', sys.executable)
    sc = SparkContext(conf=conf)
    sc.setLogLevel('ERROR')
    try:
        mapped = sc.textFile(data, 2).pipe(python + ' ' + mapper)
        pairs = mapped.map(lambda line: tuple(line.split('\t', 1)) if '\t' in line else (line, ''))
        ordered = pairs.sortByKey(numPartitions=int(reducers)).map(lambda kv: kv[0] + '\t' + kv[1])
        ordered.pipe(python + ' ' + reducer).saveAsTextFile(out)
    finally:
        sc.stop()


if __name__ == '__main__':
    main()
