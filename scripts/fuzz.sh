#!/bin/bash
# fuzz.sh — `make fuzz`: libFuzzer (clang) on every tests/fuzz/fuzz_*.c harness, with
# ASan+UBSan, starting from the committed seed corpus tests/fuzz/corpus/<harness>/.
# FUZZ_SECONDS per harness (default 600), harnesses run one after another (FUZZ_JOBS=2 to
# run two at once). A crash is copied to tests/fuzz/regressions/<harness>/ — commit it:
# `make check` replays every regression input. FUZZ_ONLY=<harness> runs just that one.
set -eu
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-600}
JOBS=${FUZZ_JOBS:-1}
OUT=build/fuzz
CC_FUZZ=${CC_FUZZ:-clang}
command -v "$CC_FUZZ" >/dev/null || { echo "fuzz: needs clang and libclang-rt-14-dev (scripts/install-deps.sh --test)" >&2; exit 2; }
mkdir -p "$OUT/obj"
FLAGS="-g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -std=gnu11 -D_GNU_SOURCE -Iinclude -Ianalyzer -Ianalyzer/load -Ianalyzer/model -Ianalyzer/out -Ianalyzer/cli $(pkg-config --cflags libdw yaml-0.1)"
objs=()
for src in analyzer/*.c analyzer/*/*.c; do
    [ "$src" = analyzer/cli/main.c ] && continue
    o=$OUT/obj/$(echo "${src#analyzer/}" | tr / _ | sed 's/\.c$//').o
    $CC_FUZZ $FLAGS -c "$src" -o "$o"
    objs+=("$o")
done
pids=()
for h in tests/fuzz/fuzz_*.c; do
    name=$(basename "$h" .c); name=${name#fuzz_}
    [ -n "${FUZZ_ONLY:-}" ] && [ "$FUZZ_ONLY" != "$name" ] && continue
    bin=$OUT/fuzz_$name
    $CC_FUZZ $FLAGS -fsanitize=fuzzer "$h" "${objs[@]}" -o "$bin" -ldw -lelf -lyaml -ljansson -lz -lstdc++ -lm
    mkdir -p "$OUT/corpus-$name" "$OUT/crashes-$name" "tests/fuzz/regressions/$name"
    echo "fuzz: $name for ${SECONDS_EACH}s (corpus tests/fuzz/corpus/$name)"
    (
        set +e
        "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
            -artifact_prefix="$OUT/crashes-$name/" -print_final_stats=1 \
            "$OUT/corpus-$name" "tests/fuzz/corpus/$name" >"$OUT/$name.log" 2>&1
        rc=$?
        tail -n 12 "$OUT/$name.log" | grep -E "stat::number_of_executed_units|stat::new_units_added|Done|ERROR" || true
        found=0
        for c in "$OUT/crashes-$name"/*; do
            [ -f "$c" ] || continue
            cp "$c" "tests/fuzz/regressions/$name/"
            found=1
        done
        if [ $rc != 0 ] || [ $found = 1 ]; then
            echo "fuzz: $name FOUND A PROBLEM (exit $rc): see $OUT/$name.log; inputs copied to tests/fuzz/regressions/$name/"
            exit 1
        fi
        echo "fuzz: $name: no crash in ${SECONDS_EACH}s"
    ) &
    pids+=($!)
    if [ "${#pids[@]}" -ge "$JOBS" ]; then
        wait "${pids[0]}" || failed=1
        pids=("${pids[@]:1}")
    fi
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done
[ "${failed:-0}" = 0 ]
