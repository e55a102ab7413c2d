#!/bin/bash
# classify_spread.sh — one leak spread over many stacks (issue 14, part 2).
# tests/programs/spread_leak keeps 8 B per step at leak_piece() through 12 stacks
# (recursion depths 1..12, or 12 callers): each stack is a leak of low severity, the
# location a leak of 96 B/step, severity medium, and the default gate fails on it. The
# churn mode frees every piece a step later: nothing grows, the location is benign and the
# gate passes. The pieces stay reachable, so no lost-at-exit upgrade is involved (every
# stack must stay `low`). Env: LS_LIB LS_CLI LS_PROGS LS_TMP.
set -u
for f in "$LS_LIB" "$LS_CLI" "$LS_PROGS/spread_leak"; do
    [ -e "$f" ] || { echo "skip: $f not built"; exit 77; }
done
command -v python3 >/dev/null || { echo "skip: python3 not installed"; exit 77; }
fail=0
for mode in recursion callers churn; do
    out=$LS_TMP/spread.$mode
    LD_PRELOAD=$LS_LIB LEAKSCOPE_OUT=$out "$LS_PROGS/spread_leak" $mode >"$out.log" 2>&1 || {
        echo "FAIL: $mode: the program failed"; fail=$((fail + 1)); continue; }
    "$LS_CLI" report "$out" --format json >"$out.json" && "$LS_CLI" report "$out" >"$out.txt" &&
        "$LS_CLI" report "$out" --format html -o "$out.html" || { echo "FAIL: $mode: report"; fail=$((fail + 1)); continue; }
    why=$(python3 - "$out.json" "$out.txt" "$out.html" "$mode" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1])); txt = open(sys.argv[2]).read(); html = open(sys.argv[3]).read()
mode = sys.argv[4]
stacks = [s for s in rep["sites"] if s["function"] == "leak_piece"]
locs = [l for l in rep["locations"] if l["function"] == "leak_piece"]
if len(stacks) != 12: print("%d stacks at leak_piece, expected 12" % len(stacks)); sys.exit()
if len(locs) != 1: print("%d locations at leak_piece, expected 1" % len(locs)); sys.exit()
l = locs[0]
if sorted(l["stack_ids"]) != sorted(s["id"] for s in stacks): print("stack_ids do not match the sites"); sys.exit()
if mode == "churn":
    if any(s["severity"] != "none" for s in stacks) or l["severity"] != "none" or l["pattern"] == "leak":
        print("churn flagged: location %s/%s" % (l["pattern"], l["severity"]))
    elif rep["verdict"] != "pass": print("verdict %s" % rep["verdict"])
    elif "locations reached through" in txt: print("a benign location is listed in the text report")
    sys.exit()
bad = [s for s in stacks if s["pattern"] != "leak" or s["severity"] != "low" or s["bytes_per_step"] != 8]
if bad: print("a stack is not leak/low at 8 B/step: %s" % bad[0]); sys.exit()
if l["pattern"] != "leak" or l["severity"] != "medium" or l["bytes_per_step"] != 96:
    print("location %s/%s %s B/step, expected leak/medium 96" % (l["pattern"], l["severity"], l["bytes_per_step"])); sys.exit()
if l["verdict_live_bytes"] != 12 * 8 * 5001: print("location live %s" % l["verdict_live_bytes"]); sys.exit()
if rep["verdict"] != "fail" or not l["violates_policy"]: print("verdict %s" % rep["verdict"]); sys.exit()
if not any("summed over 12 stacks" in v["message"] for v in rep["violations"]): print("no location violation"); sys.exit()
# text: the location group comes first, its 12 stacks below it, then the stacks' table
i = txt.find("locations reached through several stacks"); j = txt.find("LIVE BYTES")
if i < 0 or j < 0 or i > j: print("location section missing or not ahead of the stacks"); sys.exit()
sect = txt[i:j]
if "leak_piece (tests/programs/spread_leak.c" not in sect or "12  leak_piece" not in sect: print("group row: " + sect); sys.exit()
if sect.count("  low       leak") != 8 or "4 more stacks" not in sect: print("stacks under the group: " + sect); sys.exit()
want = "walk" if mode == "recursion" else "caller"
if ("via " + want) not in sect: print("stacks not told apart by their callers: " + sect); sys.exit()
if html.find("Locations reached through several stacks") < 0 or html.find("Locations reached") > html.find("<h3>Sites"):
    print("html: no location table ahead of the sites")
PY
)
    if [ -n "$why" ]; then echo "FAIL: $mode: $why"; fail=$((fail + 1)); continue; fi
    "$LS_CLI" gate "$out" >"$out.gate" 2>&1; rc=$?
    exp=1; [ $mode = churn ] && exp=0
    [ $rc = $exp ] || { echo "FAIL: $mode: gate exit $rc, expected $exp"; fail=$((fail + 1)); continue; }
    echo "ok: $mode"
done
[ $fail = 0 ] || exit 1
echo "classify_spread: pass"
