#!/usr/bin/env python3
"""Word count mapper: one `word TAB 1` per word (bytes in, bytes out)."""
import sys

out = sys.stdout.buffer
for line in sys.stdin.buffer:
    for word in line.lower().split():
        out.write(word + b"\t1\n")
