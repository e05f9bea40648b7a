#!/usr/bin/env python3
"""MalStone formal form, step 2, map: the identity.

Step 1's output lines are already keyed by site (``site<TAB>V,H`` for A,
``site<TAB>week<TAB>V,H`` for B), so step 2 only needs the shuffle and the
benchmark reducers a_reducer.py / b_reducer.py.  (Hadoop's ``-mapper cat`` would do
the same; a Python script runs wherever python3 does.)
"""
import shutil
import sys

if __name__ == '__main__':
    shutil.copyfileobj(sys.stdin.buffer, sys.stdout.buffer, 1 << 20)
