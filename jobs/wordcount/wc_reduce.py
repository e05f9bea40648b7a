#!/usr/bin/env python3
"""Word count reducer and combiner: sums the counts of each word (input sorted by word)."""
import sys

out = sys.stdout.buffer
word, total = None, 0
for line in sys.stdin.buffer:
    key, _, value = line.rstrip(b"\n").partition(b"\t")
    if key != word:
        if word is not None:
            out.write(b"%s\t%d\n" % (word, total))
        word, total = key, 0
    total += int(value)
if word is not None:
    out.write(b"%s\t%d\n" % (word, total))
