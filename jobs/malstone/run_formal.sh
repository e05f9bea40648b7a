#!/usr/bin/env bash
# MalStone A or B, formal form: two chained MapReduce jobs.
#
#   run_formal.sh [--pipe] INPUT OUTDIR a|b
#
#   step 1  keyed by entity: formal/step1_mapper.py | formal/{a,b}_step1_reducer.py
#           finds each entity's first compromise c(e), writes per-site partial sums
#   step 2  keyed by site:   formal/step2_mapper.py (identity) | {a,b}_reducer.py
#
# Writes OUTDIR/step1/ and OUTDIR/step2/ (the result: part-* files, each sorted by
# site; `cat OUTDIR/step2/part-* | LC_ALL=C sort` gives the canonical order).
# OUTDIR/step1 and OUTDIR/step2 must not exist, as with Hadoop.
#
# By default each step is `streamkit run` with Hadoop Streaming's command line.
# --pipe (or MALSTONE_PIPE=1) runs each step as the Unix pipeline
#   cat INPUT | map | LC_ALL=C sort -t$'\t' -k1,1 -s | reduce > STEPDIR/part-00000
# INPUT is a file or a directory (its files not starting with '_' or '.', as Hadoop).
#
# Environment: STREAMKIT (command, default `streamkit`), REDUCERS (-numReduceTasks,
# default 2), PYTHON (for --pipe, default python3).
set -euo pipefail

pipe=${MALSTONE_PIPE:-0}
if [[ ${1:-} == --pipe ]]; then
    pipe=1
    shift
fi
if [[ $# -ne 3 || ! $3 =~ ^[ab]$ ]]; then
    echo "usage: $0 [--pipe] INPUT OUTDIR a|b" >&2
    exit 2
fi
input=$1 outdir=$2 form=$3
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python3}
reducers=${REDUCERS:-2}

for step in step1 step2; do
    if [[ -e $outdir/$step ]]; then
        echo "$0: $outdir/$step already exists" >&2
        exit 5
    fi
done

# step NAME INPUT MAPPER REDUCER: one MapReduce job; scripts are paths under $here.
step() {
    local name=$1 in=$2 mapper=$3 reducer=$4
    local out=$outdir/$name
    if [[ $pipe == 1 ]]; then
        local files=("$in")
        if [[ -d $in ]]; then
            files=()
            for f in "$in"/*; do
                [[ -f $f && $(basename "$f") != [_.]* ]] && files+=("$f")
            done
        fi
        mkdir -p "$out"
        cat "${files[@]}" | "$python" "$here/$mapper" | LC_ALL=C sort -t$'\t' -k1,1 -s \
            | "$python" "$here/$reducer" > "$out/part-00000"
        : > "$out/_SUCCESS"
    else
        ${STREAMKIT:-streamkit} run -input "$in" -output "$out" \
            -mapper "python3 $(basename "$mapper")" -reducer "python3 $(basename "$reducer")" \
            -file "$here/$mapper" -file "$here/$reducer" -numReduceTasks "$reducers"
    fi
}

mkdir -p "$outdir"
step step1 "$input" formal/step1_mapper.py "formal/${form}_step1_reducer.py"
step step2 "$outdir/step1" formal/step2_mapper.py "${form}_reducer.py"
