#!/bin/bash
# classify_teardown.sh — after a teardown (the program frees everything before it exits)
# the report shows the figures of the series the verdict rests on (issue 14, part 4).
# tests/programs/teardown_grow grows a reachable list by 304-byte nodes, 3000 steps, then
# frees it: the verdict is a leak; its live bytes are those of the last snapshot before
# the exit snapshot (3000 nodes), not the 0 B left at exit. Env: LS_LIB LS_CLI LS_PROGS LS_TMP.
set -u
for f in "$LS_LIB" "$LS_CLI" "$LS_PROGS/teardown_grow"; do
    [ -e "$f" ] || { echo "skip: $f not built"; exit 77; }
done
command -v python3 >/dev/null || { echo "skip: python3 not installed"; exit 77; }
out=$LS_TMP/td
LD_PRELOAD=$LS_LIB LEAKSCOPE_OUT=$out "$LS_PROGS/teardown_grow" || { echo "FAIL: the program failed"; exit 1; }
"$LS_CLI" report "$out" --format json >"$out.json" || { echo "FAIL: report --format json"; exit 1; }
"$LS_CLI" report "$out" >"$out.txt" || { echo "FAIL: report"; exit 1; }
"$LS_CLI" report "$out" --format html -o "$out.html" || { echo "FAIL: report --format html"; exit 1; }
python3 - "$out.json" "$out.txt" "$out.html" <<'PY' || exit 1
import json, re, sys
rep = json.load(open(sys.argv[1]))
s = [s for s in rep["sites"] if s["function"] == "grow_list"]
assert len(s) == 1, "sites at grow_list: %d" % len(s)
s = s[0]
# malloc(304): the live bytes before teardown are 3000 nodes exactly (exact mode)
assert s["live_bytes"] == 0, "live_bytes at exit %s, expected 0" % s["live_bytes"]
assert s["verdict_live_bytes"] == 3000 * 304, "verdict_live_bytes %s, expected 912000" % s["verdict_live_bytes"]
assert s["verdict_growth_bytes"] > 0.9 * 912000, "verdict_growth_bytes %s" % s["verdict_growth_bytes"]
assert s["pattern"] == "leak" and s["severity"] in ("medium", "high", "critical"), "%s/%s" % (s["pattern"], s["severity"])
txt = open(sys.argv[2]).read()
row = [l for l in txt.splitlines() if "grow_list" in l and " leak " in l and "FAIL" not in l]
assert row, "no report row for grow_list"
assert "891 KiB" in row[0] and " 0 B " not in row[0], "row shows: " + row[0]
fail = [l for l in txt.splitlines() if "FAIL:" in l and "grow_list" in l]
assert fail and "891 KiB live" in fail[0], "gate line: %s" % fail
html = open(sys.argv[3]).read()
assert "891 KiB live" in html, "html card does not show the verdict's live bytes"
print("ok")
PY
echo "classify_teardown: pass"
