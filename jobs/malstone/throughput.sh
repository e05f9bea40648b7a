#!/usr/bin/env bash
# Single-process throughput of the MalStone generator and scripts.
#
#   throughput.sh [RECORDS] [RUNS]      (defaults 1000000 and 3)
#
# Generates RECORDS records (seed 1) into a temporary directory, then times each
# stage alone on files (no pipes, so stages do not share the CPU) and prints the
# best of RUNS runs as wall seconds and records/second of *input records* (for a
# reducer: the records whose map output it reduces).  PYTHON overrides python3.
set -euo pipefail

records=${1:-1000000}
runs=${2:-3}
python=${PYTHON:-python3}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# best NAME IN OUT CMD...: run CMD < IN > OUT RUNS times, report the fastest.
best() {
    local name=$1 in=$2 out=$3
    shift 3
    local fastest=
    for _ in $(seq "$runs"); do
        local start end
        start=$(date +%s.%N)
        "$@" < "$in" > "$out"
        end=$(date +%s.%N)
        fastest=$(echo "$start $end ${fastest:-inf}" | awk '{t = $2 - $1; print (t < $3 ? t : $3)}')
    done
    echo "$name $fastest" | awk -v n="$records" '{printf "%-28s %7.2f s  %10.0f records/s\n", $1, $2, n / $2}'
}

sort_key() { LC_ALL=C sort -t$'\t' -k1,1 -s; }

best malgen.py /dev/null "$tmp/data" "$python" "$here/malgen.py" --records "$records" --seed 1
for form in a b; do
    best "${form}_mapper.py" "$tmp/data" "$tmp/$form.map" "$python" "$here/${form}_mapper.py"
    sort_key < "$tmp/$form.map" > "$tmp/$form.sorted"
    best "${form}_reducer.py_--combine" "$tmp/$form.sorted" /dev/null "$python" "$here/${form}_reducer.py" --combine
    best "${form}_reducer.py" "$tmp/$form.sorted" /dev/null "$python" "$here/${form}_reducer.py"
done
best "sort(a_mapper_output)" "$tmp/a.map" /dev/null sort_key
best formal/step1_mapper.py "$tmp/data" "$tmp/step1.map" "$python" "$here/formal/step1_mapper.py"
sort_key < "$tmp/step1.map" > "$tmp/step1.sorted"
for form in a b; do
    best "formal/${form}_step1_reducer.py" "$tmp/step1.sorted" /dev/null \
        "$python" "$here/formal/${form}_step1_reducer.py"
done
