#!/bin/bash
# policy_locations.sh — location budgets through the CLI (issue 14, budgets.locations in
# docs/policy.md). tests/programs/spread_leak callers keeps 8 B per step at leak_piece()
# through 12 callers: 96 B/step at one location. With the leak rule out of the way
# (fail_on: critical), a location budget of 50 B/step on leak_piece fails the gate (exit 1)
# and the JUnit file has a `location leak_piece budget` case whose failure names the
# location, and `report --policy` marks the location's row; 100 B/step passes (exit 0), as
# does a budget whose file glob misses. A broken
# location budget is one line on stderr and exit 2. Env: LS_LIB LS_CLI LS_PROGS LS_TMP.
set -u
for f in "$LS_LIB" "$LS_CLI" "$LS_PROGS/spread_leak"; do
    [ -e "$f" ] || { echo "skip: $f not built"; exit 77; }
done
fail=0
out=$LS_TMP/spread
LD_PRELOAD=$LS_LIB LEAKSCOPE_OUT=$out "$LS_PROGS/spread_leak" callers >"$out.log" 2>&1 || {
    echo "FAIL: the program failed"; exit 1; }

gate() { # gate NAME EXPECTED_EXIT BUDGET_LINES...
    local name=$1 want=$2; shift 2
    printf 'fail_on: critical\nbudgets:\n  locations:\n' >"$LS_TMP/$name.yaml"
    printf '    %s\n' "$@" >>"$LS_TMP/$name.yaml"
    "$LS_CLI" gate "$out" --policy "$LS_TMP/$name.yaml" --junit "$LS_TMP/$name.xml" >"$LS_TMP/$name.out" 2>"$LS_TMP/$name.err"
    local rc=$?
    if [ $rc != "$want" ]; then
        echo "FAIL: $name: gate exit $rc, expected $want"; cat "$LS_TMP/$name.out" "$LS_TMP/$name.err"; fail=$((fail + 1)); return 1
    fi
}

if gate tight 1 "- {function: leak_piece, file: '*/spread_leak.c', max_bytes_per_step: 50}"; then
    grep -q '^FAIL: \[location:leak_piece\] location leak_piece (tests/programs/spread_leak.c:[0-9]*), its stacks summed: grows 96 B/step, budget 50 B/step$' \
        "$LS_TMP/tight.out" || { echo "FAIL: tight: gate line"; cat "$LS_TMP/tight.out"; fail=$((fail + 1)); }
    python3 - "$LS_TMP/tight.xml" <<'PY' || fail=$((fail + 1))
import sys, xml.etree.ElementTree as ET
cases = {c.get("name"): c for c in ET.parse(sys.argv[1]).getroot().iter("testcase")}
c = cases.get("location leak_piece budget")
f = c.findall("failure") if c is not None else []
if len(f) != 1 or f[0].get("type") != "location:leak_piece" or "location leak_piece (tests/programs/spread_leak.c:" not in f[0].get("message"):
    print("FAIL: tight: JUnit case: %s" % [(x.get("type"), x.get("message")) for x in f]); sys.exit(1)
PY
    # the report under that policy marks the location's row (the leak rule alone would not:
    # fail_on critical)
    "$LS_CLI" report "$out" --policy "$LS_TMP/tight.yaml" >"$LS_TMP/tight.txt" 2>&1
    grep -q 'leak_piece (tests/programs/spread_leak.c:[0-9]*)  \[breaks policy\]$' "$LS_TMP/tight.txt" ||
        { echo "FAIL: tight: the report does not mark the location"; cat "$LS_TMP/tight.txt"; fail=$((fail + 1)); }
fi
gate loose 0 "leak_piece: {max_bytes_per_step: 100}"
gate other_file 0 "- {function: leak_piece, file: '*/other.c', max_bytes_per_step: 50}"

printf 'budgets:\n  locations:\n    - function: leak_piece\n' >"$LS_TMP/bad.yaml"
"$LS_CLI" gate "$out" --policy "$LS_TMP/bad.yaml" >"$LS_TMP/bad.out" 2>"$LS_TMP/bad.err"; rc=$?
if [ $rc != 2 ] || [ "$(wc -l <"$LS_TMP/bad.err")" != 1 ] ||
    ! grep -q "bad.yaml:3: location budget 'leak_piece' has no budget (max_bytes or max_bytes_per_step)" "$LS_TMP/bad.err"; then
    echo "FAIL: bad policy: exit $rc: $(cat "$LS_TMP/bad.err")"; fail=$((fail + 1))
fi
[ $fail = 0 ] || exit 1
echo "policy_locations: pass"
