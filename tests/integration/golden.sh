#!/bin/bash
# golden.sh — analyzer output on a committed synthetic run (tests/golden/series/, made by
# tests/golden/gen_series.c) diffed against tests/golden/*.expected: report in text and
# JSON, with and without a policy, HTML structure, gate (output, exit status, JUnit), top
# and diff. The committed files also pin the format: the generator, rebuilt here, must
# reproduce them byte for byte. UPDATE_GOLDEN=1 rewrites the series and the expected files.
set -u
G=$LS_ROOT/tests/golden
[ -x "$LS_CLI" ] || { echo "skip: $LS_CLI not built"; exit 77; }
[ -f "$LS_BUILD/analyzer.a" ] || { echo "skip: $LS_BUILD/analyzer.a not built"; exit 77; }
cd "$LS_TMP" || exit 1
${CC:-cc} -std=gnu11 -O1 -I"$LS_ROOT/include" -I"$LS_ROOT/analyzer/load" -o gen_series "$G/gen_series.c" "$LS_BUILD/analyzer.a" \
    -ldw -lelf -lyaml -ljansson -lstdc++ -lm || { echo "cannot build gen_series"; exit 1; }
./gen_series run || exit 1
if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
    rm -rf "$G/series" && cp -r run "$G/series" && echo "updated tests/golden/series"
elif ! diff -r "$G/series" run >/dev/null; then
    echo "FAIL: gen_series no longer reproduces tests/golden/series byte for byte (format or writer changed?)"
    exit 1
fi
rm -rf run && cp -r "$G/series" run
cp "$G/policy.yaml" policy.yaml
first=$(ls run | head -n 1)

fail=0
golden() { # name command... : stdout, then "exit N", compared with $G/name.expected
    local name=$1; shift
    "$@" >"$name.out" 2>&1
    echo "exit $?" >>"$name.out"
    if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
        cp "$name.out" "$G/$name.expected"; echo "updated $name.expected"; return
    fi
    if ! diff -u "$G/$name.expected" "$name.out"; then
        echo "FAIL: $name differs from tests/golden/$name.expected"; fail=1
    fi
}

golden report_text "$LS_CLI" report run
golden report_text_all "$LS_CLI" report run --all --limit 3
golden report_json "$LS_CLI" report run --format json
golden report_policy_text "$LS_CLI" report run --policy policy.yaml
golden gate_default "$LS_CLI" gate run
golden gate_policy "$LS_CLI" gate run --policy policy.yaml --junit junit.xml
golden gate_junit cat junit.xml
"$LS_CLI" report run --format json -o baseline.json
golden gate_baseline_same "$LS_CLI" gate run --baseline baseline.json
golden gate_baseline_dir "$LS_CLI" gate run --policy policy.yaml --baseline run
golden top "$LS_CLI" top run
golden diff "$LS_CLI" diff "run/$first" run
# HTML: its structure, not its bytes (coordinates are not worth pinning).
"$LS_CLI" report run --format html -o report.html
golden report_html_outline sh -c "grep -o '<h[1-4]>[^<]*\|<svg class=\"chart\"\|<polyline\|<title>[^<]*' report.html | sort | uniq -c"
if grep -qiE '<script|https?://|<link ' report.html; then echo "FAIL: the HTML report refers outside itself"; fail=1; fi
# The JSON is JSON, with the spec's fields and types.
if command -v python3 >/dev/null; then
    python3 - baseline.json <<'PY' || { echo "FAIL: report --format json lacks the spec's fields"; fail=1; }
import json, sys
r = json.load(open(sys.argv[1]))
for k, t in (("snapshots", int), ("first_step", int), ("last_step", int), ("sites", list), ("verdict", str)):
    assert isinstance(r[k], t), k
assert r["verdict"] in ("pass", "fail")
for s in r["sites"]:
    for k, t in (("function", str), ("file", str), ("line", int), ("module", str), ("frames", list),
                 ("live_bytes", int), ("live_count", int), ("growth_bytes", int), ("bytes_per_step", (int, float)),
                 ("pattern", str), ("trend", str), ("severity", str)):
        assert isinstance(s[k], t), (k, s)
    assert s["pattern"] in ("leak", "warmup", "bounded", "stable", "shrinking", "inconclusive")
    assert s["trend"] in ("increasing", "stable", "decreasing")
    assert s["severity"] in ("none", "low", "medium", "high", "critical")
    for f in s["frames"]:
        assert set(f) == {"function", "file", "line", "module"}
assert len(r["processes"]) == 2 and r["processes"][0]["pid"] == r["pid"]
PY
fi
[ $fail = 0 ] && echo "golden files match"
exit $fail
