#!/bin/bash
# scan_speed.sh — the reachability scan's cost (issue 13), side by side with
# LeakSanitizer's leak check on the same program (bench/scan_heap.c, MIB MiB live in 4 KiB
# blocks chained from a global). leakscope's time is the scan's own (the LEAKS record's
# duration, threads stopped to tally); LSan's is the wall-clock difference between
# detect_leaks=1 and detect_leaks=0 (it reports no timing of its own). Medians of REPS.
set -u
cd "$(dirname "$0")/.."
B=${BUILD:-build}
LIB=$PWD/$B/libleakscope.so
CLI=$PWD/$B/leakscope
REPS=${REPS:-3}
MIB=${SCAN_MIB:-1024}
TMP=$(mktemp -d /tmp/leakscope-scanbench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
cc -O2 -g -o "$TMP/scan_heap" bench/scan_heap.c
have_lsan=1
gcc -O2 -g -fsanitize=leak -o "$TMP/scan_heap_lsan" bench/scan_heap.c 2>/dev/null || have_lsan=0
# wall(): seconds of one run (bash's own timer); median(): of the numbers on stdin
wall() { local TIMEFORMAT=%R; { time "$@" >/dev/null 2>&1; } 2>&1; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

echo "== reachability scan at exit: $MIB MiB live in 4 KiB blocks (1 in 64 lost)"
: >"$TMP/ours"; : >"$TMP/l1"; : >"$TMP/l0"
for i in $(seq "$REPS"); do
    rm -rf "$TMP/out"
    LD_PRELOAD="$LIB" LEAKSCOPE_OUT="$TMP/out" "$TMP/scan_heap" "$MIB" >/dev/null
    "$CLI" report "$TMP/out" | sed -n 's/.*lost at exit (reachability scan.* \([0-9.]*\) ms).*/\1/p' >>"$TMP/ours"
    if [ $have_lsan = 1 ]; then
        wall env LSAN_OPTIONS=detect_leaks=1:exitcode=0 "$TMP/scan_heap_lsan" "$MIB" >>"$TMP/l1"
        wall env LSAN_OPTIONS=detect_leaks=0 "$TMP/scan_heap_lsan" "$MIB" >>"$TMP/l0"
    fi
done
ours=$(median <"$TMP/ours")
per_gib() { awk -v ms="$1" -v mib="$MIB" 'BEGIN { printf "%.0f", ms * 1024 / mib }'; }
printf '  leakscope scan:            %8s ms  = %s ms per GiB of live heap\n' "$ours" "$(per_gib "$ours")"
if [ $have_lsan = 1 ]; then
    lsan=$(awk -v a="$(median <"$TMP/l1")" -v b="$(median <"$TMP/l0")" 'BEGIN { printf "%.1f", (a - b) * 1000 }')
    printf '  LeakSanitizer leak check:  %8s ms  = %s ms per GiB of live heap\n' "$lsan" "$(per_gib "$lsan")"
    printf '  leakscope / LeakSanitizer: %sx\n' "$(awk -v a="$ours" -v b="$lsan" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
else
    echo "  LeakSanitizer: gcc -fsanitize=leak unavailable, skipped"
fi
