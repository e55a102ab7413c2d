#!/bin/bash
# run_command.sh — `leakscope run`: it preloads the shim (LEAKSCOPE_LIB), writes snapshots to
# --out or a fresh leakscope.<prog>.<pid>, prints the report, and exits with the gate's
# verdict under --policy, else with the program's own status (128 + signal when killed).
set -u
for f in "$LS_LIB" "$LS_CLI" "$LS_PROGS/fx_steady_leak" "$LS_PROGS/fx_ring_buffer"; do
    [ -e "$f" ] || { echo "skip: $f not built"; exit 77; }
done
cd "$LS_TMP" || exit 1
export LEAKSCOPE_LIB=$LS_LIB
fail=0
check() { # description expected-status actual-status
    if [ "$2" != "$3" ]; then echo "FAIL: $1: exit $3, expected $2"; fail=1; else echo "ok: $1"; fi
}
printf 'fail_on: medium\n' >policy.yaml

"$LS_CLI" run --out leak -- "$LS_PROGS/fx_steady_leak" --seed 2 >leak.txt 2>&1
check "leaky program, no policy: its own status" 0 $?
grep -q "leak .*remember" leak.txt || { echo "FAIL: report does not name the leak"; cat leak.txt; fail=1; }
ls leak/*.lss >/dev/null 2>&1 || { echo "FAIL: no snapshots in --out"; fail=1; }

"$LS_CLI" run --policy policy.yaml --out leak2 -- "$LS_PROGS/fx_steady_leak" --seed 2 >/dev/null 2>&1
check "leaky program under a policy: the gate fails" 1 $?
"$LS_CLI" run --policy policy.yaml --frames 4 -- "$LS_PROGS/fx_ring_buffer" --seed 2 >ring.txt 2>&1
check "benign program under a policy: the gate passes" 0 $?
ls -d leakscope.fx_ring_buffer.* >/dev/null 2>&1 || { echo "FAIL: no default leakscope.<prog>.<pid> directory"; fail=1; }
"$LS_CLI" run --format json -o ring.json --out json -- "$LS_PROGS/fx_ring_buffer" >/dev/null 2>&1
python3 -c "import json; json.load(open('ring.json'))" 2>/dev/null || { echo "FAIL: run --format json is not JSON"; fail=1; }

"$LS_CLI" run --out st -- sh -c 'exit 7' >/dev/null 2>&1
check "program's exit status passes through" 7 $?
"$LS_CLI" run --out sig -- sh -c 'kill -TERM $$' >/dev/null 2>&1
check "killed program: 128 + signal" 143 $?
LEAKSCOPE_LIB=/nonexistent/libleakscope.so "$LS_CLI" run -- true >/dev/null 2>err.txt
check "missing shim: unusable" 2 $?
exit $fail
