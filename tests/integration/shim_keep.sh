#!/bin/bash
# shim_keep.sh — LEAKSCOPE_KEEP (issue 11): over a run of timer snapshots
# (LEAKSCOPE_INTERVAL_MS=1, tests/programs/keep_timer.c) the directory never holds more
# than N files of the process, the first is kept, and `report` still classifies the leak,
# the warm-up and the ring buffer right on the thinned, unevenly spaced series.
exec python3 - <<'PY'
import json, os, subprocess, sys
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

TARGET, KEEP = int(os.environ.get("LS_KEEP_TARGET", "5000")), 40
out = os.path.join(TMP, "keep")
r = run([os.path.join(PROGS, "keep_timer"), str(TARGET)], out,
        env={"LEAKSCOPE_KEEP": str(KEEP), "LEAKSCOPE_INTERVAL_MS": "1"}, timeout=600)
check(r.returncode == 0 and r.stdout.startswith("snapshots "), f"keep_timer ran: {r.returncode} {r.stdout!r} {r.stderr!r}")
files = sorted(f for f in os.listdir(out) if f.endswith(".lss"))
seqs = sorted(int(f.split(".")[2]) for f in files)
print(f"{len(files)} files kept of {seqs[-1] if seqs else 0} snapshots written")
check(len(files) <= KEEP, f"at most {KEEP} files: {len(files)}")
check(seqs and seqs[0] == 1 and seqs[-1] >= TARGET, f"first kept, {TARGET}+ written: {seqs[:3]}..{seqs[-3:]}")
rep = json.loads(subprocess.run([CLI, "report", out, "--format", "json"], capture_output=True, text=True).stdout)
def pattern(name):
    line = site_line("keep_timer.c", name)
    return next((s["pattern"] for s in rep["sites"] if s["line"] == line and s["file"].endswith("keep_timer.c")), None)
check(pattern("leak") == "leak", f"leak on the thinned series: {pattern('leak')}")
check(pattern("warmup") == "warmup", f"warm-up on the thinned series: {pattern('warmup')}")
check(pattern("ring") not in ("leak", None), f"ring not a leak: {pattern('ring')}")
done()
PY
