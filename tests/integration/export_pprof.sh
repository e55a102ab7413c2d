#!/bin/bash
# export_pprof.sh — `export --format pprof` read by the real consumer, `go tool pprof` (Debian
# golang-go), for real programs run under the shim: the inuse_space and inuse_objects totals
# and every function's bytes equal `leakscope top`'s to the byte; `-diff_base OLD NEW` equals
# `leakscope diff` per function and in total; the mapping carries the executable's build-id;
# an inlined call gives a location with two lines; C++ names come demangled; bad input,
# an unwritable -o and an unknown format each give one line and exit 2, leaving no file.
command -v go >/dev/null || { echo "skip: go (golang-go) not installed"; exit 77; }
command -v readelf >/dev/null || { echo "skip: readelf not installed"; exit 77; }
# go tool pprof as root in CI, offline: a build cache of our own, no toolchain or module downloads.
export GOCACHE="$LS_TMP/gocache" GOPATH="$LS_TMP/gopath" GOTOOLCHAIN=local GOPROXY=off GOFLAGS= GO111MODULE=off
export PPROF_TMPDIR="$LS_TMP/pprof" HOME="$LS_TMP"
exec python3 - <<'PY'
import collections, os, re, subprocess, sys
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

def pprof(*args):
    r = subprocess.run(["go", "tool", "pprof", *args], capture_output=True, text=True, timeout=300)
    check(r.returncode == 0, f"go tool pprof {' '.join(args)}: exit {r.returncode}: {r.stderr[-400:]}")
    return r.stdout

ROW = re.compile(r"^\s*(-?\d+)(B?)\s+-?[\d.]+%\s+-?[\d.]+%\s+(-?\d+)B?\s+-?[\d.]+%\s+(.+?)\s*$")

def pprof_top(*args):
    """{function: flat} and the total of `go tool pprof -top`, values exact (-unit=B)."""
    out = pprof("-top", "-unit=B", "-nodefraction=0", "-edgefraction=0", "-nodecount=100000", *args)
    flat = collections.Counter()
    for line in out.splitlines():
        m = ROW.match(line)
        if m:
            flat[m.group(4)] += int(m.group(1))
    total = re.search(r"of (-?\d+)B? total", out)
    return flat, int(total.group(1)) if total else None

def export(src, dst, *extra):
    r = subprocess.run([CLI, "export", src, "--format", "pprof", "-o", dst, *extra], capture_output=True, text=True)
    check(r.returncode == 0 and r.stderr == "", f"export {src}: exit {r.returncode}: {r.stderr}")
    return dst

def by_function(stats, key="size"):
    c = collections.Counter()
    for s in stats:
        c[s["function"]] += s[key]
    return {k: v for k, v in c.items() if v}

# exact_alloc: every allocation function, sizes known to the byte
out = os.path.join(TMP, "exact")
run([os.path.join(PROGS, "exact_alloc")], out)
pb = export(out, os.path.join(TMP, "exact.pb.gz"))
stats = top(out, "--by", "function")
live = sum(s["size"] for s in stats)
flat, total = pprof_top("-sample_index=inuse_space", pb)
check(total == live, f"inuse_space total {total} == leakscope top's {live}")
check(dict((k, v) for k, v in flat.items() if v) == by_function(stats),
      f"per function: pprof {dict(flat)} vs top {by_function(stats)}")
objs = pprof("-top", "-nodefraction=0", "-sample_index=inuse_objects", pb)
count = sum(s["count"] for s in stats)
check(re.search(r"of %d total" % count, objs) is not None, f"inuse_objects total {count}: {objs[:400]}")
raw = pprof("-raw", pb)
check(raw.count("\n") > 10 and "inuse_space/bytes[dflt]" in raw, "raw: default sample type inuse_space: " + raw[:300])
for t in ("inuse_objects/count", "alloc_objects/count", "alloc_space/bytes"):
    check(t in raw, f"raw: sample type {t}")
check(re.search(r"^Time: 20\d\d-", raw, re.M) is not None, "raw: the snapshot's time")
bid = re.search(r"Build ID: ([0-9a-f]+)", subprocess.run(["readelf", "-n", os.path.join(PROGS, "exact_alloc")],
                capture_output=True, text=True).stdout).group(1)
check(re.search(r"^1: 0x[0-9a-f]+/0x[0-9a-f]+/0x0 \S*exact_alloc %s" % bid, raw.split("Mappings")[1].strip(), re.M)
      is not None, f"mapping 1 is the executable with build-id {bid}: " + raw.split("Mappings")[1][:300])

# -diff_base OLD NEW == leakscope diff, a leaking program with a snapshot per 50 steps
out = os.path.join(TMP, "steady")
run([os.path.join(PROGS, "fx_steady_leak"), "--steps", "300", "--every", "50"], out)
snaps = snapshots(out)
old = export(snaps[1], os.path.join(TMP, "old.pb.gz"))
new = export(out, os.path.join(TMP, "new.pb.gz"))
r = subprocess.run([CLI, "diff", snaps[1], out, "--by", "function", "--format", "json"], capture_output=True, text=True)
diff = json.loads(r.stdout)["stats"]
want = {k: v for k, v in by_function(diff, "size_diff").items() if v}
flat, _ = pprof_top("-sample_index=inuse_space", "-diff_base", old, new)
got = {k: v for k, v in flat.items() if v}
check(got == want, f"diff per function: pprof {got} vs leakscope diff {want}")
check(sum(got.values()) == sum(s["size_diff"] for s in diff) and sum(got.values()) > 0,
      f"diff total {sum(got.values())} == {sum(s['size_diff'] for s in diff)}")

# an always_inline function: its location lists it and the function it was inlined into
out = os.path.join(TMP, "inl")
run([os.path.join(PROGS, "export_inlined")], out)
raw = pprof("-raw", export(out, os.path.join(TMP, "inl.pb.gz")))
pat = r"^\s+\d+: 0x[0-9a-f]+ M=1 make_record \S*export_inlined.c:%d s=0\n\s+build_table \S*export_inlined.c:%d s=0$" % (
    site_line("export_inlined.c", "inlined_malloc"), site_line("export_inlined.c", "inlined_call"))
check(re.search(pat, raw, re.M) is not None, "inlined lines: " + raw.split("Locations")[1][:500])

# C++: demangled names, totals exact
out = os.path.join(TMP, "cxx")
run([os.path.join(PROGS, "cxx_new")], out)
pb = export(out, os.path.join(TMP, "cxx.pb.gz"))
raw = pprof("-raw", pb)
names = re.findall(r"^\s+\d+: 0x[0-9a-f]+ M=\d+ (\S+)", raw, re.M)
check(names and not any(n.startswith("_Z") for n in names), f"demangled names: {names}")
flat, total = pprof_top("-sample_index=inuse_space", pb)
check(total == sum(s["size"] for s in top(out)), f"C++ total {total}")

# bad input: one line, exit 2, no file left behind
def bad(what, pattern, *args, must_not_exist=None):
    r = subprocess.run([CLI, "export", *args], capture_output=True, text=True)
    ok = r.returncode == 2 and r.stderr.count("\n") == 1 and re.search(pattern, r.stderr)
    check(ok, f"{what}: exit {r.returncode}, stderr {r.stderr!r}")
    if must_not_exist:
        left = [f for f in os.listdir(os.path.dirname(must_not_exist)) if f.startswith(os.path.basename(must_not_exist))]
        check(not left, f"{what}: files left behind: {left}")

corrupt = os.path.join(TMP, "corrupt")
os.makedirs(corrupt)
data = bytearray(open(snaps[-1], "rb").read())
data[len(data) // 2] ^= 0x55
open(os.path.join(corrupt, os.path.basename(snaps[-1])), "wb").write(data)
bad("corrupt snapshot", os.path.basename(snaps[-1]), corrupt, "--format", "pprof", "-o", os.path.join(TMP, "c.pb.gz"),
    must_not_exist=os.path.join(TMP, "c.pb.gz"))
bad("unwritable -o", "cannot write", out, "--format", "pprof", "-o", os.path.join(TMP, "no/such/dir/x.pb.gz"))
bad("unknown format", "unknown format 'svg'", out, "--format", "svg")
bad("missing format", "--format is required", out)
bad("unknown option", "unknown option '--frobnicate'", out, "--format", "pprof", "--frobnicate")
bad("missing snapshot dir", "nonexistent", os.path.join(TMP, "nonexistent"), "--format", "collapsed")
done()
PY
