#!/bin/bash
# bars.sh — the cost bars of issue 10 (exact tracking on dense, threaded, frame-pointer and
# Python workloads; heaptrack against leakscope) and issue 11 (sampled tracking,
# LEAKSCOPE_SAMPLE) measured side by side in one run and printed as ratios, each bar next to
# its figure with PASS or MISS. A MISS is reported, never an error: this is a measurement.
# Every variant of every workload runs once per repetition, bare and traced runs alternating,
# so load that comes and goes on the shared machine touches all of them alike; each figure is
# the median of the repetitions. Bars are judged on wall time; the CPU-time ratio (user + sys,
# children included) is printed next to it, steadier when the machine is loaded.
# Workloads are sized to run about 1 s bare, so start-up and the exit snapshot do not dominate.
# Run by bench/run.sh, or alone. Env: BUILD (default build); BENCH_REPS (default 5; REPS
# also accepted) and BENCH_HT_REPS (heaptrack's runs, default 3: each takes ~20 s);
# BENCH_PAIRS, BENCH_STORM_PAIRS, BENCH_DEEP_PAIRS, BENCH_PY_ROUNDS, BENCH_SIM_STEPS size the
# workloads. Besides the bars, a deep stack (bench/deep_stack.c: 16 frames of the program's
# own, with and without frame pointers) is printed: a cached stack is verified frame by frame;
# and threads started all the time (bench/thread_churn.c, with 0 and 500 threads parked).
set -u
cd "$(dirname "$0")/.." || exit 0
B=${BUILD:-build}
LIB=$PWD/$B/libleakscope.so
SIM=$PWD/$B/sim
REPS=${BENCH_REPS:-${REPS:-5}}
HT_REPS=${BENCH_HT_REPS:-3}
[ "$HT_REPS" -gt "$REPS" ] && HT_REPS=$REPS
PAIRS=${BENCH_PAIRS:-32000000}         # dense storm, split over the threads
CHURN=${BENCH_CHURN_ROUNDS:-2000}       # bench/thread_churn.c: rounds of 4 new threads
SPAIRS=${BENCH_STORM_PAIRS:-12000000}  # bench/storm.c, 1 thread
DPAIRS=${BENCH_DEEP_PAIRS:-40000000}   # bench/deep_stack.c
PYROUNDS=${BENCH_PY_ROUNDS:-50}
SIMSTEPS=${BENCH_SIM_STEPS:-1500000}
PY=${BENCH_PYTHON:-/usr/bin/python3}   # (the two overrides let the not-installed rows be tried)
HT=${BENCH_HEAPTRACK:-heaptrack}
RATES="64KiB 512KiB 2MiB"
TMP=$(mktemp -d /tmp/leakscope-bars.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
TIMEFORMAT='%R %U %S'

if [ ! -e "$LIB" ] || [ ! -x "$SIM" ]; then
    echo "bars: $LIB or $SIM not built (make all)"
    exit 0
fi
cc -O2 -g -o "$TMP/dense" bench/dense_storm.c -lpthread || exit 0
cc -O2 -g -fno-omit-frame-pointer -o "$TMP/dense_fp" bench/dense_storm.c -lpthread || exit 0
cc -O2 -g -o "$TMP/storm" bench/storm.c -lpthread || exit 0
cc -O2 -g -o "$TMP/deep" bench/deep_stack.c || exit 0
cc -O2 -g -fno-omit-frame-pointer -o "$TMP/deep_fp" bench/deep_stack.c || exit 0
cc -O2 -g -o "$TMP/churn" bench/thread_churn.c -lpthread || exit 0
have_ht=0; command -v "$HT" >/dev/null 2>&1 && have_ht=1
have_py=0; [ -x "$PY" ] && have_py=1

# The command line of variant KEY (workload.mode): modes bare, ls (exact), ht (heaptrack),
# and a LEAKSCOPE_SAMPLE rate. Traced runs write into $TMP/out, removed after each run.
workload() {
    case $1 in
    ds1) echo "$TMP/dense $PAIRS 1" ;;
    ds2) echo "$TMP/dense $PAIRS 2" ;;
    ds4) echo "$TMP/dense $PAIRS 4" ;;
    ds8) echo "$TMP/dense $PAIRS 8" ;;
    fp) echo "$TMP/dense_fp $PAIRS 1" ;;
    st) echo "$TMP/storm $SPAIRS 1" ;;
    dp) echo "$TMP/deep $DPAIRS" ;;
    dpf) echo "$TMP/deep_fp $DPAIRS" ;;
    tc) echo "$TMP/churn $CHURN 0" ;;
    tcp) echo "$TMP/churn $CHURN 500" ;;
    py) echo "env PYTHONMALLOC=malloc $PY bench/alloc_heavy.py $PYROUNDS" ;;
    sim) echo "$SIM --steps $SIMSTEPS" ;;
    esac
}
variant_cmd() {
    local w=${1%%.*} mode=${1#*.}
    case $mode in
    bare) workload "$w" ;;
    ls) echo "env LD_PRELOAD=$LIB LEAKSCOPE_OUT=$TMP/out $(workload "$w")" ;;
    ht) echo "$HT -o $TMP/ht $(workload "$w")" ;;
    *) echo "env LD_PRELOAD=$LIB LEAKSCOPE_OUT=$TMP/out LEAKSCOPE_SAMPLE=$mode $(workload "$w")" ;;
    esac
}

# Runs variant KEY once and appends "wall cpu" to $TMP/KEY.t; a failed run is said. The
# command line is split on blanks (the checkout's path must have none).
run_variant() {
    local key=$1 t rc
    # shellcheck disable=SC2046,SC2091
    t=$( { time $(variant_cmd "$key") >/dev/null 2>&1; } 2>&1 )
    rc=$?
    [ $rc = 0 ] || echo "  bars: $key exited with status $rc: $(variant_cmd "$key")"
    awk '{ printf "%s %.3f\n", $1, $2 + $3 }' <<<"$t" >>"$TMP/$key.t"
    rm -rf "$TMP/out" "$TMP"/ht.*
}

# The variants of one repetition, in the order they alternate.
variants() {
    local rep=$1 r
    echo ds1.bare ds1.ls
    [ $have_ht = 1 ] && [ "$rep" -le "$HT_REPS" ] && echo ds1.ht
    for r in $RATES; do echo "ds1.$r"; done
    echo ds2.bare ds2.ls ds4.bare ds4.ls ds8.bare ds8.ls fp.bare fp.ls st.bare st.ls
    echo dp.bare dp.ls dpf.bare dpf.ls tc.bare tc.ls tcp.bare tcp.ls
    if [ $have_py = 1 ]; then
        echo py.bare py.ls
        for r in $RATES; do echo "py.$r"; done
    fi
    echo sim.bare sim.ls
    for r in $RATES; do echo "sim.$r"; done
}

median() { [ -s "$1" ] && awk -v c="$2" '{ print $c }' "$1" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# row LABEL NUM DEN [OP LIMIT [NOTE]]: the median ratio NUM/DEN of wall (and CPU) time, the
# bar and PASS/MISS (the printed, rounded ratio against the limit), both median wall times.
row() {
    local label=$1 num=$2 den=$3 op=${4:-} lim=${5:-} note=${6:-} nw dw rw rc verdict=""
    nw=$(median "$TMP/$num.t" 1); dw=$(median "$TMP/$den.t" 1)
    if [ -z "$nw" ] || [ -z "$dw" ]; then
        printf '  %-44s %s\n' "$label" "$(skip_reason "$num" "$den")"
        return
    fi
    rw=$(ratio "$nw" "$dw")
    rc=$(ratio "$(median "$TMP/$num.t" 2)" "$(median "$TMP/$den.t" 2)")
    if [ -n "$op" ]; then
        verdict=MISS
        awk -v r="$rw" -v l="$lim" -v op="$op" 'BEGIN { exit !(op == "<=" ? r <= l : r >= l) }' && verdict=PASS
    fi
    printf '  %-44s %6sx  (%6sx)  %-10s %-4s  %6.2f / %5.2f s %s\n' "$label" "$rw" "$rc" \
        "${op:+$op ${lim}x}" "$verdict" "$nw" "$dw" "$note"
}
skip_reason() {
    case "$1 $2" in
    *.ht*) [ $have_ht = 1 ] || { echo "$HT: not installed"; return; } ;;
    py.*) [ $have_py = 1 ] || { echo "$PY: not installed"; return; } ;;
    esac
    echo "no measurement"
}

echo "== issues 10 and 11: exact and sampled tracking against bare runs (median of $REPS alternating"
echo "   runs, heaptrack $HT_REPS; bars judged on wall time; CPU-time ratio in brackets; $(nproc) CPUs;"
echo "   last column: the two median wall times)"
echo "   dense storm: $PAIRS malloc/free pairs split over the threads, 4096 blocks live per"
echo "   thread, 16..527 B, never written; storm.c: $SPAIRS pairs; python: bench/alloc_heavy.py"
echo "   $PYROUNDS rounds under $PY with PYTHONMALLOC=malloc; sim: $SIMSTEPS steps, ~50 snapshots;"
echo "   the frame-pointer build calls into libc's malloc, built without: the mixed case;"
echo "   deep stack: $DPAIRS pairs at the bottom of 16 frames of its own, 1,024 blocks live;"
echo "   new threads: $CHURN rounds of 4 threads started, 64 allocations each, joined"
load0=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)
for rep in $(seq "$REPS"); do
    for key in $(variants "$rep"); do run_variant "$key"; done
done
echo "   load average (1, 5, 15 min) at start: ${load0:-?}, at end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
echo "  -- exact tracking (issue 10)"
row "dense storm 1 thread: leakscope / bare" ds1.ls ds1.bare "<=" 3.00 "(moonshot 2x)"
row "dense storm: heaptrack / leakscope" ds1.ht ds1.ls ">=" 5.00
row "dense storm: heaptrack / bare" ds1.ht ds1.bare
row "bench/storm.c: leakscope / bare" st.ls st.bare "<=" 1.80
row "leakscope, 2 threads / 1 thread" ds2.ls ds1.ls "<=" 0.65
row "leakscope, 4 threads / 2 threads" ds4.ls ds2.ls "<=" 1.10
row "leakscope, 8 threads / 2 threads" ds8.ls ds2.ls "<=" 1.10
row "bare, 2 threads / 1 thread (reference)" ds2.bare ds1.bare
row "bare, 4 threads / 1 thread (reference)" ds4.bare ds1.bare
row "bare, 8 threads / 1 thread (reference)" ds8.bare ds1.bare
row "frame-pointer build: leakscope / bare" fp.ls fp.bare "<=" 3.00
row "leakscope: FP build / build without FP" fp.ls ds1.ls "<=" 1.00
row "python: leakscope / bare" py.ls py.bare "<=" 2.50
row "deep stack (16 frames): leakscope / bare" dp.ls dp.bare
row "deep stack, frame pointers: leakscope / bare" dpf.ls dpf.bare
row "deep stack: FP build / build without FP" dpf.ls dp.ls
row "new threads: leakscope / bare" tc.ls tc.bare
row "new threads, 500 parked: leakscope / bare" tcp.ls tcp.bare
echo "  -- sampled tracking, LEAKSCOPE_SAMPLE (issue 11); exact mode for reference"
for w in ds1 py sim; do
    name=$(case $w in ds1) echo "dense storm" ;; py) echo python ;; sim) echo simulator ;; esac)
    row "$name: exact / bare" "$w.ls" "$w.bare"
    for r in $RATES; do
        case $w.$r in
        ds1.512KiB) row "$name: $r / bare" "$w.$r" "$w.bare" "<=" 1.15 "(moonshot 1.05x)" ;;
        py.512KiB) row "$name: $r / bare" "$w.$r" "$w.bare" "<=" 1.20 ;;
        sim.512KiB) row "$name: $r / bare" "$w.$r" "$w.bare" "<=" 1.00 ;;
        *) row "$name: $r / bare" "$w.$r" "$w.bare" ;;
        esac
    done
done
exit 0
