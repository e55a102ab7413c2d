#!/bin/bash
# report_speed.sh — `leakscope report` over a synthetic run of 1,000 snapshots of 10,000
# sites each (bench/gen_snapshots.c): prints wall seconds and peak memory, and fails when
# they exceed the targets (5 s, 1 GiB). Env: LS_BUILD (default build), BENCH_SNAPSHOTS,
# BENCH_SITES, BENCH_DIR (where to write the ~2 GB of snapshots; default a temporary dir).
set -u
cd "$(dirname "$0")/.."
B=${LS_BUILD:-$PWD/build}
N=${BENCH_SNAPSHOTS:-1000} S=${BENCH_SITES:-10000}
for f in "$B/leakscope" "$B/analyzer.a"; do [ -e "$f" ] || { echo "report_speed: $f not built (make)"; exit 2; }; done
[ -x /usr/bin/time ] || { echo "report_speed: /usr/bin/time is missing (Debian package: time)"; exit 2; }
work=${BENCH_DIR:-$(mktemp -d /tmp/leakscope-bench.XXXXXX)}
trap 'rm -rf "$work"' EXIT
${CC:-cc} -std=gnu11 -O2 -Iinclude -Ianalyzer/load -o "$work/gen" bench/gen_snapshots.c "$B/analyzer.a" -ldw -lelf -lyaml -ljansson -lstdc++ -lm || exit 2
echo "report_speed: writing $N snapshots x $S sites ..."
"$work/gen" "$work/run" "$N" "$S" || exit 2
echo "report_speed: $(du -sh "$work/run" | cut -f1) of snapshots"
/usr/bin/time -f '%e %M' -o "$work/time" "$B/leakscope" report "$work/run" >"$work/report.txt" 2>"$work/err"
rc=$?
[ $rc = 0 ] || { echo "report_speed: leakscope report failed ($rc): $(cat "$work/err")"; exit 1; }
read -r secs kib <"$work/time"
mib=$((kib / 1024))
echo "report_speed: leakscope report: $N snapshots x $S sites in ${secs} s, peak memory ${mib} MiB (targets: 5 s, 1024 MiB)"
grep -m1 'sites:' "$work/report.txt"
awk -v s="$secs" -v m="$mib" 'BEGIN { exit !(s < 5 && m < 1024) }' || { echo "report_speed: over target"; exit 1; }
