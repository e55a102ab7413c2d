#!/bin/bash
# sampled.sh — the cost of sampled tracking (issue 11, LEAKSCOPE_SAMPLE) as ratios to the
# bare program, measured side by side in one run (CPU seconds, user + sys, median of REPS):
# the allocation storm (2M malloc/free pairs, bench/storm.c), an allocation-heavy Python
# script under /usr/bin/python3 with PYTHONMALLOC=malloc, and the simulator; exact tracking
# and LEAKSCOPE_SAMPLE = 64 KiB, 512 KiB, 2 MiB. Run by bench/run.sh; BUILD=build.
set -u
B=${BUILD:-build}
LIB=$PWD/$B/libleakscope.so
REPS=${REPS:-5}
TMP=$(mktemp -d /tmp/leakscope-bench-sampled.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
cc -O2 -g -o "$TMP/storm" bench/storm.c -lpthread
cat >"$TMP/alloc.py" <<'PY'
d = {}
for i in range(300000):
    d[i % 5000] = [str(i)] * 4 + [{"k": i}]
    s = "x" * (i % 300)
print(len(d))
PY
cpu() { /usr/bin/time -f "%U %S" "$@" 2>&1 >/dev/null | tail -1 | awk '{print $1 + $2}'; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
declare -A CMDS=([storm]="$TMP/storm 2000000 1" [python]="env PYTHONMALLOC=malloc /usr/bin/python3 $TMP/alloc.py"
                 [sim]="$PWD/$B/sim --steps 200000")
echo "== sampled tracking (LEAKSCOPE_SAMPLE): CPU time / bare, median of $REPS"
printf '  %-8s %8s %8s %8s %8s\n' program exact 64KiB 512KiB 2MiB
for prog in storm python sim; do
    for mode in bare 0 64KiB 512KiB 2MiB; do : >"$TMP/$prog.$mode"; done
    for i in $(seq "$REPS"); do
        for mode in bare 0 64KiB 512KiB 2MiB; do
            if [ $mode = bare ]; then
                cpu ${CMDS[$prog]} >>"$TMP/$prog.$mode"
            else
                cpu env LD_PRELOAD="$LIB" LEAKSCOPE_OUT="$TMP/out.$prog.$mode.$i" LEAKSCOPE_SAMPLE=$mode ${CMDS[$prog]} >>"$TMP/$prog.$mode"
            fi
        done
    done
    b=$(median <"$TMP/$prog.bare")
    printf '  %-8s' "$prog"
    for mode in 0 64KiB 512KiB 2MiB; do printf ' %7sx' "$(ratio "$(median <"$TMP/$prog.$mode")" "$b")"; done
    printf '   (bare %s s)\n' "$b"
done
