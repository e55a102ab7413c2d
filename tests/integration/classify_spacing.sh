#!/bin/bash
# classify_spacing.sh — verdicts hold when snapshots are unevenly spaced (issue 14, part 1).
# tests/programs/spacing_leak leaks 200 B/step at leak_one(); it either stops halfway (a
# warm-up: severity none, the gate passes) or never stops (a leak of 200 B/step, severity
# medium or worse, the gate fails). Each case runs under even, uneven (dense while it
# leaks, at several ratios), late-dense, bursty and thinned spacing: the verdict and the
# rate must not depend on where the snapshots fall. Env: LS_LIB, LS_CLI, LS_PROGS, LS_TMP.
set -u
for f in "$LS_LIB" "$LS_CLI" "$LS_PROGS/spacing_leak"; do
    [ -e "$f" ] || { echo "skip: $f not built"; exit 77; }
done
command -v python3 >/dev/null || { echo "skip: python3 not installed"; exit 77; }

fail=0
# mode ratio stop  expected
cases="
even    1   5000  warmup
uneven  2   5000  warmup
uneven  4   5000  warmup
uneven  20  5000  warmup
uneven  100 5000  warmup
late    20  5000  warmup
bursty  10  5000  warmup
thinned 10  5000  warmup
even    1   10001 leak
uneven  20  10001 leak
late    20  10001 leak
bursty  10  10001 leak
thinned 10  10001 leak
"
while read -r mode ratio stop want; do
    [ -n "$mode" ] || continue
    out=$LS_TMP/sp.$mode.$ratio.$stop
    if ! LD_PRELOAD=$LS_LIB LEAKSCOPE_OUT=$out "$LS_PROGS/spacing_leak" "$mode" "$ratio" "$stop" >"$out.log" 2>&1; then
        echo "FAIL: $mode $ratio $stop: the program failed"; fail=$((fail + 1)); continue
    fi
    "$LS_CLI" report "$out" --format json >"$out.json" 2>"$out.err" || {
        echo "FAIL: $mode $ratio $stop: report: $(cat "$out.err")"; fail=$((fail + 1)); continue; }
    why=$(python3 - "$out.json" "$want" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1])); want = sys.argv[2]
sev = ["none", "low", "medium", "high", "critical"]
s = [s for s in rep["sites"] if s["function"] == "leak_one"]
if len(s) != 1:
    print("%d sites at leak_one" % len(s)); sys.exit()
s = s[0]
got = "%s/%s %.1f B/step" % (s["pattern"], s["severity"], s["bytes_per_step"])
if want == "warmup":
    if s["pattern"] != "warmup" or s["severity"] != "none" or rep["verdict"] != "pass":
        print("expected warmup/none and pass, got %s, verdict %s" % (got, rep["verdict"]))
else:
    if s["pattern"] != "leak" or sev.index(s["severity"]) < 2 or rep["verdict"] != "fail":
        print("expected leak >= medium and fail, got %s, verdict %s" % (got, rep["verdict"]))
    elif abs(s["bytes_per_step"] - 200) > 2:
        print("rate %.2f B/step, expected 200" % s["bytes_per_step"])
PY
)
    if [ -n "$why" ]; then echo "FAIL: $mode $ratio $stop: $why"; fail=$((fail + 1)); continue; fi
    "$LS_CLI" gate "$out" >"$out.gate" 2>&1; rc=$?
    exp=0; [ "$want" = leak ] && exp=1
    [ $rc = $exp ] || { echo "FAIL: $mode $ratio $stop: gate exit $rc, expected $exp"; fail=$((fail + 1)); continue; }
    echo "ok: $mode $ratio $stop $want"
    rm -rf "$out" "$out".*
done <<<"$cases"
[ $fail = 0 ] || { echo "$fail case(s) failed"; exit 1; }
echo "classify_spacing: all cases pass"
