#!/bin/bash
# cli_hardening.sh — issue 8's CLI items, each failing on the analyzer before the fix; every
# command under `timeout`, so a hang fails instead of blocking, and the readers under
# valgrind where bad input reaches them:
#   run --out unusable: one line, exit 2, the program never starts (was killed: 137);
#   special files: baseline /dev/zero, FIFOs as snapshot files, module paths, --policy and
#   suppressions_file; a policy of 100,000 nested flow mappings is refused at once;
#   write errors: report -o /dev/full, top > /dev/full, gate --junit /dev/full: exit 2;
#   run with a missing program leaves no snapshot folder; --pid with a snapshot file is
#   refused; gate --junit /bad/path fails before the verdict; run --format json keeps the
#   program's stdout out of the JSON; an unusable entry in a directory is skipped with one
#   warning.
set -u
for f in "$LS_LIB" "$LS_CLI" "$LS_PROGS/fx_steady_leak"; do [ -e "$f" ] || { echo "skip: $f not built"; exit 77; }; done
cd "$LS_TMP" || exit 1
export LEAKSCOPE_LIB=$LS_LIB
fail=0
VG=()
command -v valgrind >/dev/null && VG=(valgrind -q --error-exitcode=99)
expect() { # description expected-status command... (stderr must be one line when the status is 2)
    local what=$1 want=$2; shift 2
    timeout 120 "$@" >out.txt 2>err.txt
    local rc=$?
    if [ "$rc" != "$want" ]; then
        echo "FAIL: $what: exit $rc, expected $want"; sed 's/^/  | /' err.txt | head -5; fail=1
    elif [ "$want" = 2 ] && [ "$(grep -vc '^==' err.txt)" != 1 ]; then
        echo "FAIL: $what: $(wc -l <err.txt) lines on stderr, expected one"; sed 's/^/  | /' err.txt | head -5; fail=1
    else
        echo "ok: $what"
    fi
}
cp -r "$LS_ROOT/tests/golden/series" run
first=$(ls run | head -n 1)

# run --out that cannot be used
expect "run --out /nonexistent/a/b" 2 "$LS_CLI" run --out /nonexistent/a/b -- sh -c 'echo started >started.txt; exit 3'
[ -e started.txt ] && { echo "FAIL: the program ran although its snapshot folder was unusable"; fail=1; }
touch plainfile
expect "run --out a regular file" 2 "$LS_CLI" run --out plainfile -- sh -c 'echo started >started.txt'
[ -e started.txt ] && { echo "FAIL: the program ran although --out is a file"; fail=1; }

# special files never block, never exhaust memory
expect "gate --baseline /dev/zero" 2 "${VG[@]}" "$LS_CLI" gate run --baseline /dev/zero
mkfifo fifo
expect "gate --baseline FIFO" 2 "${VG[@]}" "$LS_CLI" gate run --baseline fifo
expect "report --policy FIFO" 2 "${VG[@]}" "$LS_CLI" report run --policy fifo
printf 'suppressions_file: fifo\n' >sup.yaml
expect "suppressions_file FIFO" 2 "${VG[@]}" "$LS_CLI" report run --policy sup.yaml
expect "top FIFO" 2 "${VG[@]}" "$LS_CLI" top fifo
cp -r run withfifo
mkfifo withfifo/goldapp.4242.000099.step.lss
expect "report over a FIFO named like a snapshot" 0 "${VG[@]}" "$LS_CLI" report withfifo
grep -q "warning: .*skipped 1 \*.lss entry" err.txt || { echo "FAIL: no warning for the FIFO"; cat err.txt; fail=1; }
# one unusable entry in a directory: skipped, one warning, the same report
cp -r run withdir
mkdir withdir/goldapp.4242.000098.step.lss
expect "report over a directory named like a snapshot" 0 "$LS_CLI" report withdir
[ "$(grep -c warning err.txt)" = 1 ] || { echo "FAIL: not one warning"; cat err.txt; fail=1; }
"$LS_CLI" report run >plain.txt 2>/dev/null
diff <(sed 1d plain.txt) <(sed 1d out.txt) >/dev/null || { echo "FAIL: the skipped entry changed the report"; fail=1; }
# a module path that is a FIFO: the snapshot of a program run from a FIFO-shadowed path
cp "$LS_PROGS/fx_steady_leak" ./moved_prog
mkdir -p fifomod && "$LS_CLI" run --out fifomod -- ./moved_prog --steps 50 >/dev/null 2>&1
rm -f moved_prog && mkfifo moved_prog
expect "a module path that is a FIFO" 0 "${VG[@]}" "$LS_CLI" report fifomod
rm -f moved_prog
# bounded nesting
python3 -c "print('{a: ' * 100000 + '1' + '}' * 100000)" >deep.yaml
start=$SECONDS
expect "policy of 100,000 nested flow mappings" 2 "$LS_CLI" report run --policy deep.yaml
[ $((SECONDS - start)) -le 5 ] || { echo "FAIL: the deep policy took $((SECONDS - start)) s"; fail=1; }

# write errors
expect "report -o /dev/full" 2 "$LS_CLI" report run -o /dev/full
[ -c /dev/full ] || { echo "FAIL: /dev/full is no longer a device"; fail=1; }
expect "report > /dev/full" 2 sh -c "'$LS_CLI' report run >/dev/full"
expect "top > /dev/full" 2 sh -c "'$LS_CLI' top run >/dev/full"
expect "diff > /dev/full" 2 sh -c "'$LS_CLI' diff run/$first run >/dev/full"
expect "gate --junit /dev/full" 2 "$LS_CLI" gate run --junit /dev/full
[ -c /dev/full ] || { echo "FAIL: /dev/full is no longer a device"; fail=1; }
expect "gate --junit /bad/path" 2 "$LS_CLI" gate run --junit /nonexistent-dir/j.xml
[ -s out.txt ] && { echo "FAIL: gate printed the verdict before failing on --junit"; fail=1; }

# run with a missing program
expect "run with a missing program" 127 "$LS_CLI" run --out missing -- ./no-such-program
[ -e missing ] && { echo "FAIL: run left a snapshot folder for a program that never started"; fail=1; }
ls -d leakscope.no-such-program.* >/dev/null 2>&1 && { echo "FAIL: run left a default snapshot folder"; fail=1; }
"$LS_CLI" run -- ./no-such-program >/dev/null 2>&1
ls -d leakscope.no-such-program.* >/dev/null 2>&1 && { echo "FAIL: run left a default snapshot folder"; fail=1; }

# --pid with a snapshot file
expect "top FILE --pid N" 2 "$LS_CLI" top "run/$first" --pid 4242
expect "top DIR --pid N" 0 "$LS_CLI" top run --pid 4242

# run --format json: the program's stdout stays out of the JSON
timeout 60 "$LS_CLI" run --out js --format json -- bash -c 'echo hello from the program' >prog.out 2>report.json
python3 -c "import json; json.load(open('report.json'))" 2>/dev/null || { echo "FAIL: run --format json: the report is not JSON"; fail=1; }
grep -q "hello from the program" prog.out || { echo "FAIL: the program's output was lost"; fail=1; }
timeout 60 "$LS_CLI" run --out js2 --format json -o r2.json -- bash -c 'echo hello' >/dev/null 2>&1
python3 -c "import json; json.load(open('r2.json'))" 2>/dev/null || { echo "FAIL: run -o r2.json is not JSON"; fail=1; }
exit $fail
