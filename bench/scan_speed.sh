#!/bin/bash
# scan_speed.sh — the reachability scan's cost (issue 13), side by side with
# LeakSanitizer's leak check on the same program (bench/scan_heap.c, MIB MiB live in 4 KiB
# blocks chained from a global). leakscope's time is the scan's own (the LEAKS record's
# duration: stopping the threads, marking, tallying); LSan's is its own check
# (__lsan_do_recoverable_leak_check, timed inside the program, report included). Medians.
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
gcc -O2 -g -DWITH_LSAN -fsanitize=leak -o "$TMP/scan_heap_lsan" bench/scan_heap.c 2>/dev/null || have_lsan=0
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

echo "== reachability scan at exit: $MIB MiB live in 4 KiB blocks (1 in 64 lost)"
: >"$TMP/ours"; : >"$TMP/lsan"
for i in $(seq "$REPS"); do
    rm -rf "$TMP/out"
    LD_PRELOAD="$LIB" LEAKSCOPE_OUT="$TMP/out" "$TMP/scan_heap" "$MIB" >/dev/null
    "$CLI" report "$TMP/out" | sed -n 's/.*lost at exit (reachability scan.* \([0-9.]*\) ms).*/\1/p' >>"$TMP/ours"
    if [ $have_lsan = 1 ]; then
        LSAN_OPTIONS=detect_leaks=1:exitcode=0 "$TMP/scan_heap_lsan" "$MIB" 2>/dev/null |
            sed -n 's/^lsan_check_ms //p' >>"$TMP/lsan"
    fi
done
ours=$(median <"$TMP/ours")
per_gib() { awk -v ms="$1" -v mib="$MIB" 'BEGIN { printf "%.0f", ms * 1024 / mib }'; }
printf '  leakscope scan:            %8s ms  = %s ms per GiB of live heap\n' "$ours" "$(per_gib "$ours")"
if [ $have_lsan = 1 ]; then
    lsan=$(median <"$TMP/lsan")
    printf '  LeakSanitizer leak check:  %8s ms  = %s ms per GiB of live heap\n' "$lsan" "$(per_gib "$lsan")"
    printf '  leakscope / LeakSanitizer: %sx\n' "$(awk -v a="$ours" -v b="$lsan" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
else
    echo "  LeakSanitizer: gcc -fsanitize=leak unavailable, skipped"
fi
