#!/bin/bash
# classify_fixtures.sh — every fixture program (tests/programs/fx_*.c) under the shim for
# 20 seeds: each leak must be classified `leak` with severity medium or worse at the
# leaking function and fail the default gate; each benign behaviour must have severity
# none everywhere and pass the gate. Env: LS_LIB, LS_CLI, LS_PROGS, LS_TMP (tests/run-all.sh).
set -u
SEEDS=${FX_SEEDS:-20}
for f in "$LS_LIB" "$LS_CLI"; do
    [ -e "$f" ] || { echo "skip: $f not built"; exit 77; }
done
command -v python3 >/dev/null || { echo "skip: python3 not installed"; exit 77; }

# fixture  expected  leaking function (for leaks)
cases="
fx_steady_leak    leak    remember
fx_sparse_leak    leak    handle
fx_realloc_array  leak    history_push
fx_thread_leak    leak    worker
fx_cycle_leak     leak    controller_create
fx_doubling_array leak    log_append
fx_warmup         benign  -
fx_ring_buffer    benign  -
fx_truncate       benign  -
fx_memo_cache     benign  -
fx_churn          benign  -
fx_temporaries    benign  -
"

check() { # fixture kind function seed  -> prints nothing on success, a reason on failure
    local fx=$1 kind=$2 fn=$3 seed=$4 out=$LS_TMP/$1.$4
    rm -rf "$out"
    if ! LD_PRELOAD=$LS_LIB LEAKSCOPE_OUT=$out "$LS_PROGS/$fx" --seed "$seed" >"$out.log" 2>&1; then
        echo "$fx seed $seed: the program failed: $(tail -n 3 "$out.log")"; return
    fi
    if ! "$LS_CLI" report "$out" --format json >"$out.json" 2>"$out.err"; then
        echo "$fx seed $seed: report failed: $(cat "$out.err")"; return
    fi
    local why
    why=$(python3 - "$out.json" "$kind" "$fn" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
kind, fn = sys.argv[2], sys.argv[3]
sev = ["none", "low", "medium", "high", "critical"]
desc = "; ".join("%s %s/%s %.1fB/step (%s)" % (s["function"], s["pattern"], s["severity"], s["bytes_per_step"], s["evidence"])
                 for s in rep["sites"] if s["pattern"] != "stable")
if kind == "leak":
    hits = [s for s in rep["sites"] if s["function"] == fn]
    if not hits:
        print("no site in %s: %s" % (fn, desc))
    elif not any(s["pattern"] == "leak" and sev.index(s["severity"]) >= 2 for s in hits):
        print("%s not a leak of severity >= medium: %s" % (fn, desc))
    elif rep["verdict"] != "fail":
        print("verdict %s" % rep["verdict"])
else:
    bad = [s for s in rep["sites"] if s["severity"] != "none" or s["pattern"] == "leak"]
    if bad:
        print("flagged: %s" % desc)
    elif rep["verdict"] != "pass":
        print("verdict %s" % rep["verdict"])
PY
)
    if [ -n "$why" ]; then echo "$fx seed $seed: $why"; return; fi
    "$LS_CLI" gate "$out" >"$out.gate" 2>&1
    local rc=$? want=0
    [ "$kind" = leak ] && want=1
    if [ $rc != $want ]; then echo "$fx seed $seed: gate exit $rc, expected $want: $(tail -n 2 "$out.gate")"; return; fi
    rm -rf "$out" "$out".*
}

fail=0 total=0
while read -r fx kind fn; do
    [ -n "$fx" ] || continue
    [ -x "$LS_PROGS/$fx" ] || { echo "FAIL: $LS_PROGS/$fx not built"; fail=$((fail + 1)); continue; }
    ok=0
    for seed in $(seq 1 "$SEEDS"); do
        total=$((total + 1))
        msg=$(check "$fx" "$kind" "$fn" "$seed")
        if [ -n "$msg" ]; then echo "FAIL: $msg"; fail=$((fail + 1)); else ok=$((ok + 1)); fi
    done
    printf '%-18s %-6s %2d/%d\n' "$fx" "$kind" "$ok" "$SEEDS"
done <<<"$cases"
echo "$((total - fail))/$total fixture runs as expected"
[ $fail = 0 ]
