#!/bin/bash
# cli_options.sh — one option parser for every command: for every option that a command's
# --help lists (read from the help itself, so a new option is tested without an edit here),
# `--opt=value` and `--opt value` give the same output and status, and the option is
# accepted; main's usage lists exactly the options each command's --help lists; unknown
# options and missing values are one line and exit 2.
set -u
[ -x "$LS_CLI" ] || { echo "skip: $LS_CLI not built"; exit 77; }
for f in "$LS_LIB" "$LS_PROGS/fx_steady_leak"; do [ -e "$f" ] || { echo "skip: $f not built"; exit 77; }; done
cd "$LS_TMP" || exit 1
export LEAKSCOPE_LIB=$LS_LIB
fail=0
cp -r "$LS_ROOT/tests/golden/series" run
printf 'fail_on: critical\n' >policy.yaml
"$LS_CLI" report run --format json -o baseline.json || { echo "FAIL: cannot write a baseline"; exit 1; }

value_for() { # command option -> a valid value
    case "$2" in
    format) case "$1" in report|run) echo html ;; export) echo collapsed ;; *) echo json ;; esac ;;
    openmetrics) echo metrics.prom ;; every) echo 0.01 ;; top) echo 3 ;; count) echo 2 ;;
    output) echo out.txt ;; policy) echo policy.yaml ;; limit) echo 3 ;; by) echo function ;;
    pid) echo 4242 ;; baseline) echo baseline.json ;; junit) echo junit.xml ;; out) echo runout ;;
    frames) echo 4 ;; sort) echo size ;; *) echo "UNKNOWN-OPTION-$2" ;;
    esac
}
operands_for() { # command, option -> operands
    case "$1" in
    top) echo run ;; diff) echo "run run" ;; report|gate) echo run ;; run) echo "-- $LS_PROGS/fx_steady_leak --steps 50" ;;
    export) case "$2" in format) echo run ;; top|policy) echo "run --format openmetrics" ;; *) echo "run --format collapsed" ;; esac ;;
    watch) case "$2" in openmetrics) echo "run --count 1" ;; count) echo "run -o metrics.prom" ;; *) echo "run -o metrics.prom --count 1" ;; esac ;;
    esac
}
for cmd in top diff report gate run export watch; do
    "$LS_CLI" "$cmd" --help >help.txt || { echo "FAIL: $cmd --help exits $?"; fail=1; continue; }
    opts=$(sed -n 's/^  \(-., \)\{0,1\}--\([a-z-]*\)\( [^ ]*\)\{0,1\} .*/\2/p' help.txt | grep -v '^help$')
    [ -n "$opts" ] || { echo "FAIL: $cmd --help lists no options"; fail=1; }
    synopsis=$("$LS_CLI" --help | grep "^  leakscope $cmd ")
    for o in $opts; do
        grep -q -- "--$o\b" <<<"$synopsis" || { echo "FAIL: main's usage for $cmd lacks --$o"; fail=1; }
        takes=$(grep -E -- "--$o [^ ]" help.txt >/dev/null && echo yes || echo no)
        # shellcheck disable=SC2046
        if [ "$takes" = yes ]; then
            v=$(value_for "$cmd" "$o")
            rm -rf runout out.txt junit.xml
            timeout 60 "$LS_CLI" "$cmd" "--$o=$v" $(operands_for "$cmd" "$o") >eq.out 2>eq.err; rc1=$?
            rm -rf runout out.txt junit.xml
            timeout 60 "$LS_CLI" "$cmd" "--$o" "$v" $(operands_for "$cmd" "$o") >sp.out 2>sp.err; rc2=$?
        else
            timeout 60 "$LS_CLI" "$cmd" "--$o" $(operands_for "$cmd" "$o") >eq.out 2>eq.err; rc1=$?
            rc2=$rc1; cp eq.out sp.out
        fi
        if [ "$rc1" -gt 1 ] || [ "$rc1" != "$rc2" ]; then
            echo "FAIL: $cmd --$o: exit $rc1 (=value) and $rc2 (value)"; sed 's/^/  /' eq.err; fail=1
        elif ! diff <(grep -v 'pid [0-9]*\|leakscope\.\|snapshots: ' eq.out | sed 's/"pid": [0-9]*//') \
                    <(grep -v 'pid [0-9]*\|leakscope\.\|snapshots: ' sp.out | sed 's/"pid": [0-9]*//') >/dev/null; then
            [ "$cmd" = run ] || { echo "FAIL: $cmd --$o: output differs between --$o=V and --$o V"; fail=1; }
        else
            echo "ok: $cmd --$o"
        fi
    done
    timeout 20 "$LS_CLI" "$cmd" --no-such-option run >/dev/null 2>err.txt
    rc=$?; [ $rc = 2 ] && [ "$(wc -l <err.txt)" = 1 ] || { echo "FAIL: $cmd --no-such-option: exit $rc"; cat err.txt; fail=1; }
done
exit $fail
