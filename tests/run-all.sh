#!/bin/bash
# run-all.sh — runs leakscope's test tiers and prints one closing line "N passed, N failed".
#   tests/run-all.sh            unit suites, then integration scripts, then golden files
#   tests/run-all.sh unit       only the Check suites in $LS_UNIT_DIR (default build/tests/unit)
#   tests/run-all.sh integration
#   tests/run-all.sh sanitize   the unit suites built under ASan+UBSan and TSan (make sanitize-build)
# Integration scripts (tests/integration/*.sh) exit 0 to pass, 77 to skip (with a message), else fail.
# They get LS_ROOT, LS_BUILD, LS_LIB, LS_CLI, LS_SIM, LS_PROGS (test program dir) and a private LS_TMP.
set -u
cd "$(dirname "$0")/.."
export LS_ROOT=$PWD
export LS_BUILD=${LS_BUILD:-$PWD/build}
export LS_LIB=$LS_BUILD/libleakscope.so LS_CLI=${LS_CLI:-$LS_BUILD/leakscope} LS_SIM=$LS_BUILD/sim
export LS_PROGS=$LS_BUILD/tests
unit_dir=${LS_UNIT_DIR:-$LS_BUILD/tests/unit}
filter=${LS_UNIT_FILTER:-test_}
what=${1:-all}
passed=0 failed=0 skipped=0 failures=""

run_one() { # name, command...
    local name=$1; shift
    local log; log=$(mktemp)
    local start=$SECONDS
    "$@" >"$log" 2>&1
    local rc=$?
    local took=$((SECONDS - start))
    if [ $rc = 0 ]; then
        passed=$((passed + 1)); printf '  PASS  %-40s %3ss\n' "$name" "$took"
    elif [ $rc = 77 ]; then
        skipped=$((skipped + 1)); printf '  SKIP  %-40s %s\n' "$name" "$(tail -n 1 "$log")"
    else
        failed=$((failed + 1)); failures="$failures $name"
        printf '  FAIL  %-40s (exit %s)\n' "$name" "$rc"
        sed 's/^/        | /' "$log" | tail -n 40
    fi
    rm -f "$log"
}

if [ "$what" = all ] || [ "$what" = unit ]; then
    echo "== unit suites ($unit_dir)"
    for t in "$unit_dir"/${filter}*; do
        [ -x "$t" ] || continue
        case "$t" in *.d|*.o) continue;; esac
        run_one "unit/$(basename "$t")" env CK_DEFAULT_TIMEOUT=120 "$t"
    done
    for t in "$unit_dir"/replay_*; do
        [ -x "$t" ] || continue
        case "$t" in *.d|*.o) continue;; esac
        h=${t##*/replay_}
        run_one "fuzz-replay/$h" "$t" tests/fuzz/corpus/$h tests/fuzz/regressions/$h
    done
fi
if [ "$what" = all ] || [ "$what" = sanitize ]; then
    for san in asan tsan; do
        dir=$LS_BUILD/san-$san/tests/unit
        [ -d "$dir" ] || continue
        echo "== unit suites under ${san^^} ($dir)"
        for t in "$dir"/test_* "$dir"/replay_*; do
            [ -x "$t" ] || continue
            case "$t" in *.d|*.o) continue;; esac
            args=()
            case "$t" in */replay_*) h=${t##*/replay_}; args=(tests/fuzz/corpus/$h tests/fuzz/regressions/$h);; esac
            run_one "$san/$(basename "$t")" env CK_DEFAULT_TIMEOUT=300 \
                ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
                TSAN_OPTIONS=halt_on_error=1 "$t" "${args[@]}"
        done
    done
fi
if [ "$what" = all ] || [ "$what" = integration ]; then
    echo "== integration (real programs under the shim)"
    for t in tests/integration/*.sh; do
        [ -f "$t" ] || continue
        tmp=$(mktemp -d /tmp/leakscope-test.XXXXXX)
        run_one "integration/$(basename "$t" .sh)" env LS_TMP="$tmp" bash "$t"
        rm -rf "$tmp"
    done
fi
echo
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
