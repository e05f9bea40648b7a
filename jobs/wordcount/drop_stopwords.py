#!/usr/bin/env python3
"""Join reducer: a word's values are its count and, if it is a stop word, a `-` from
stopwords.txt; print `word TAB count` for the words that are not stop words."""
import sys

out = sys.stdout.buffer
word, values = None, []


def flush():
    if word is not None and b"-" not in values:
        out.write(b"%s\t%d\n" % (word, sum(int(v) for v in values)))


for line in sys.stdin.buffer:
    key, _, value = line.rstrip(b"\n").partition(b"\t")
    if key != word:
        flush()
        word, values = key, []
    values.append(value)
flush()
