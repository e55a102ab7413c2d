#!/bin/bash
# run.sh — `make bench`: leakscope's cost, measured side by side in one run and printed
# as ratios (the machines are shared and noisy: absolute times mean little).
#   1. allocation storm (2M malloc/free pairs, mixed sizes, stacks 1-8 deep): bare,
#      under the shim (16 frames), under heaptrack; and split over 2 threads.
#   2. memory per live allocation; output size vs heaptrack's file, at 2M and 8M pairs.
#   3. the simulator: run time and per-step control latency p99 with and without the shim.
#   4. `leakscope report` over 1,000 snapshots of 10,000 sites (bench/report_speed.sh).
#   5. the reachability scan per GiB of live heap, next to LeakSanitizer (bench/scan_speed.sh).
#   6. the bars of issues 10 and 11 (bench/bars.sh): a dense storm (1, 2, 4, 8 threads, a
#      frame-pointer build, heaptrack), bench/storm.c, an allocation-heavy Python script and
#      the simulator, exact and sampled (LEAKSCOPE_SAMPLE), each bar with PASS or MISS.
# Each timing is the median of BENCH_REPS runs (default 5; REPS also accepted), the variants
# interleaved; BENCH_REPS=3 is the quicker run. A missing heaptrack or python3 is said in its
# row; a bar missed is reported, never an error.
set -u
cd "$(dirname "$0")/.." || exit 0
B=${BUILD:-build}
LIB=$PWD/$B/libleakscope.so
REPS=${BENCH_REPS:-${REPS:-5}}
export BENCH_REPS=$REPS
TMP=$(mktemp -d /tmp/leakscope-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
cc -O2 -g -o "$TMP/storm" bench/storm.c -lpthread
cc -O2 -g -fno-omit-frame-pointer -o "$TMP/storm_fp" bench/storm.c -lpthread
cc -O2 -g -o "$TMP/live_set" bench/live_set.c

# seconds of one run of "$@" (wall clock)
wall() {
    local s e
    s=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    e=$(date +%s.%N)
    awk -v s="$s" -v e="$e" 'BEGIN { printf "%.4f\n", e - s }'
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

echo "== allocation storm: 2,000,000 malloc/free pairs, stacks 1-8 deep, LEAKSCOPE_FRAMES=16"
have_heaptrack=0
command -v heaptrack >/dev/null && have_heaptrack=1
: >"$TMP/bare1" ; : >"$TMP/shim1" ; : >"$TMP/bare2" ; : >"$TMP/shim2" ; : >"$TMP/ht1"
for i in $(seq "$REPS"); do
    wall "$TMP/storm" 2000000 1 >>"$TMP/bare1"
    wall env LD_PRELOAD="$LIB" LEAKSCOPE_OUT="$TMP/out.s1" LEAKSCOPE_FRAMES=16 "$TMP/storm" 2000000 1 >>"$TMP/shim1"
    wall "$TMP/storm" 2000000 2 >>"$TMP/bare2"
    wall env LD_PRELOAD="$LIB" LEAKSCOPE_OUT="$TMP/out.s2" LEAKSCOPE_FRAMES=16 "$TMP/storm" 2000000 2 >>"$TMP/shim2"
    [ $have_heaptrack = 1 ] && wall heaptrack -o "$TMP/ht.$i" "$TMP/storm" 2000000 1 >>"$TMP/ht1"
done
bare1=$(median <"$TMP/bare1"); shim1=$(median <"$TMP/shim1"); bare2=$(median <"$TMP/bare2"); shim2=$(median <"$TMP/shim2")
printf '  leakscope / bare (1 thread):            %sx   (bar: <= 5)\n' "$(ratio "$shim1" "$bare1")"
if [ $have_heaptrack = 1 ]; then
    ht1=$(median <"$TMP/ht1")
    printf '  heaptrack / leakscope (1 thread):       %sx   (bar: >= 3)\n' "$(ratio "$ht1" "$shim1")"
    printf '  heaptrack / bare:                       %sx\n' "$(ratio "$ht1" "$bare1")"
else
    echo "  heaptrack: not installed, skipped"
fi
printf '  leakscope 2 threads / 1 thread:         %s    (bar: <= 0.75; bare: %s)\n' "$(ratio "$shim2" "$shim1")" "$(ratio "$bare2" "$bare1")"
# Built with frame pointers, the program's frames bypass the verified stack cache
# (shim/unwind.c: such frames may vary in size) and every allocation is unwound.
: >"$TMP/fpb"; : >"$TMP/fps"
for i in $(seq "$REPS"); do
    wall "$TMP/storm_fp" 2000000 1 >>"$TMP/fpb"
    wall env LD_PRELOAD="$LIB" LEAKSCOPE_OUT="$TMP/out.fp" "$TMP/storm_fp" 2000000 1 >>"$TMP/fps"
done
printf '  built with frame pointers, leakscope / bare: %sx\n' "$(ratio "$(median <"$TMP/fps")" "$(median <"$TMP/fpb")")"

echo "== memory per live allocation (1,000,000 live blocks of 24-48 bytes)"
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1; }
if [ -x /usr/bin/time ]; then
    rb=$(rss "$TMP/live_set" 1000000)
    rs=$(rss env LD_PRELOAD="$LIB" LEAKSCOPE_OUT="$TMP/out.live" "$TMP/live_set" 1000000)
    printf '  peak RSS bare %s KiB, under the shim %s KiB: %s bytes per live allocation\n' "$rb" "$rs" \
        "$(( (rs - rb) * 1024 / 1000000 ))"
else
    echo "  /usr/bin/time: not installed (Debian package: time), skipped"
fi

echo "== output size (depends on sites and snapshots, not on allocations)"
for pairs in 2000000 8000000; do
    rm -rf "$TMP/out.size"
    env LD_PRELOAD="$LIB" LEAKSCOPE_OUT="$TMP/out.size" "$TMP/storm" "$pairs" 1 >/dev/null
    ours=$(du -sb "$TMP/out.size" | cut -f1)
    if [ $have_heaptrack = 1 ]; then
        rm -f "$TMP"/ht.size*
        heaptrack -o "$TMP/ht.size" "$TMP/storm" "$pairs" 1 >/dev/null 2>&1
        theirs=$(du -cb "$TMP"/ht.size* | tail -n 1 | cut -f1)
        printf '  %8s pairs: leakscope %8s bytes (1 exit snapshot), heaptrack %10s bytes (%sx)\n' \
            "$pairs" "$ours" "$theirs" "$(ratio "$theirs" "$ours")"
    else
        printf '  %8s pairs: leakscope %8s bytes\n' "$pairs" "$ours"
    fi
done

echo "== simulator (classical_smc, 200,000 steps, no leak): shim cost"
: >"$TMP/simb"; : >"$TMP/sims"; : >"$TMP/p99b"; : >"$TMP/p99s"
for i in $(seq "$REPS"); do
    s=$(date +%s.%N); "$B/sim" --steps 200000 --snapshot-every 0 >"$TMP/sim.out"; e=$(date +%s.%N)
    awk -v s="$s" -v e="$e" 'BEGIN { printf "%.4f\n", e - s }' >>"$TMP/simb"
    sed -n 's/.*p99 \([0-9.]*\) us.*/\1/p' "$TMP/sim.out" >>"$TMP/p99b"
    s=$(date +%s.%N)
    LD_PRELOAD="$LIB" LEAKSCOPE_OUT="$TMP/out.sim" "$B/sim" --steps 200000 --snapshot-every 0 >"$TMP/sim.out"
    e=$(date +%s.%N)
    awk -v s="$s" -v e="$e" 'BEGIN { printf "%.4f\n", e - s }' >>"$TMP/sims"
    sed -n 's/.*p99 \([0-9.]*\) us.*/\1/p' "$TMP/sim.out" >>"$TMP/p99s"
done
printf '  run time under the shim / bare:         %sx\n' "$(ratio "$(median <"$TMP/sims")" "$(median <"$TMP/simb")")"
printf '  control latency p99 under the shim / bare: %sx  (p99 %s us bare)\n' \
    "$(ratio "$(median <"$TMP/p99s")" "$(median <"$TMP/p99b")")" "$(median <"$TMP/p99b")"
: >"$TMP/simb"; : >"$TMP/sims"
for i in $(seq "$REPS"); do
    wall "$B/sim" --leak history --steps 200000 >>"$TMP/simb"
    wall env LD_PRELOAD="$LIB" LEAKSCOPE_OUT="$TMP/out.simh.$i" "$B/sim" --leak history --steps 200000 >>"$TMP/sims"
done
printf '  with --leak history (a malloc per step, 50 snapshots): %sx\n' "$(ratio "$(median <"$TMP/sims")" "$(median <"$TMP/simb")")"

if [ -x bench/report_speed.sh ] && [ -x /usr/bin/time ]; then
    echo "== leakscope report over a long series"
    LS_BUILD=$PWD/$B bench/report_speed.sh
fi

# 5. the reachability scan at exit per GiB of live heap, next to LeakSanitizer's (issue 13)
[ -x bench/scan_speed.sh ] && BUILD=$B bench/scan_speed.sh

# 6. the bars of issues 10 (exact tracking) and 11 (sampled tracking at 64 KiB, 512 KiB, 2 MiB)
BUILD=$B bench/bars.sh
exit 0
