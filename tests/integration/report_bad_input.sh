#!/bin/bash
# report_bad_input.sh — report and gate on unusable input: a missing directory, an empty
# one, a truncated, corrupt or future-version snapshot, a malformed policy or baseline. Each
# must exit 2 with one line on stderr naming the file and the fault — never a crash.
set -u
[ -x "$LS_CLI" ] && [ -f "$LS_BUILD/analyzer.a" ] || { echo "skip: analyzer not built"; exit 77; }
cd "$LS_TMP" || exit 1
${CC:-cc} -std=gnu11 -O1 -I"$LS_ROOT/include" -I"$LS_ROOT/analyzer/load" -o gen_series "$LS_ROOT/tests/golden/gen_series.c" \
    "$LS_BUILD/analyzer.a" -ldw -lelf -lyaml -ljansson -lstdc++ -lm || exit 1
./gen_series good >/dev/null || exit 1
fail=0
expect2() { # what  pattern-in-message  command...
    local what=$1 pat=$2; shift 2
    "$@" >out.txt 2>err.txt
    local rc=$? lines
    lines=$(wc -l <err.txt)
    if [ $rc != 2 ] || [ "$lines" != 1 ] || ! grep -q -- "$pat" err.txt; then
        echo "FAIL: $what: exit $rc, stderr ($lines lines): $(cat err.txt)"; fail=1
    else
        echo "ok: $what: $(cat err.txt)"
    fi
}
last=$(ls good | grep goldapp | tail -n 1)
mk() { rm -rf "$1"; mkdir "$1"; cp good/goldapp.* "$1"/; }

expect2 "missing directory" "nonexistent" "$LS_CLI" report nonexistent
mkdir -p empty
expect2 "empty directory" "empty" "$LS_CLI" report empty
expect2 "empty directory (gate)" "empty" "$LS_CLI" gate empty
mk trunc; head -c 300 "good/$last" >"trunc/$last"
expect2 "truncated snapshot" "trunc/$last" "$LS_CLI" report trunc
mk corrupt; python3 -c "
import sys; p='corrupt/$last'; b=bytearray(open(p,'rb').read()); b[len(b)//2]^=0x55; open(p,'wb').write(b)"
expect2 "corrupt snapshot" "corrupt/$last" "$LS_CLI" gate corrupt
mk future; python3 -c "
import sys; p='future/$last'; b=bytearray(open(p,'rb').read()); b[8]=9; open(p,'wb').write(b)"
expect2 "future-version snapshot" "newer" "$LS_CLI" report future --format json
printf 'budgets:\n  global:\n    max_bytes: lots\n' >bad.yaml
expect2 "malformed policy" "bad.yaml:3:" "$LS_CLI" gate good --policy bad.yaml
expect2 "missing policy" "nope.yaml" "$LS_CLI" gate good --policy nope.yaml
printf '{"sites": [' >bad.json
expect2 "malformed baseline" "bad.json" "$LS_CLI" gate good --baseline bad.json
expect2 "bad format" "format" "$LS_CLI" report good --format pdf
expect2 "run: malformed policy" "bad.yaml:3:" "$LS_CLI" run --policy bad.yaml -- true
# The good run still works, and its gate verdict is 1 (it leaks).
"$LS_CLI" gate good >/dev/null 2>&1
rc=$?
[ $rc = 1 ] || { echo "FAIL: gate on the good run: exit $rc, expected 1"; fail=1; }
exit $fail
