#!/usr/bin/env python3
"""MalStone A map, line by line: the published Hadoop Streaming mapper's shape.

This is how most streaming scripts are written (one `print` per record), and what
the issue's ~15 s pipeline figure refers to; `../a_mapper.py` is the block-at-a-time
version that does the same in a fraction of the CPU.  Both print `site<TAB>flag`.
"""
import sys

for line in sys.stdin:
    record = line.split('|')
    print(record[2] + '\t' + record[3])
