#!/usr/bin/env python3
"""MalStone A reduce, line by line: `site visits hits ratio` for each run of a site."""
import sys

site, visits, hits = None, 0, 0
for line in sys.stdin:
    key, _, flag = line.rstrip('\n').partition('\t')
    if key != site:
        if site is not None:
            print('%s\t%d\t%d\t%r' % (site, visits, hits, hits / visits))
        site, visits, hits = key, 0, 0
    visits += 1
    hits += flag == '1'
if site is not None:
    print('%s\t%d\t%d\t%r' % (site, visits, hits, hits / visits))
