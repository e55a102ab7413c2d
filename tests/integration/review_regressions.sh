#!/bin/bash
# review_regressions.sh — what an independent review of the shim found, kept fixed:
# a variable-size frame (alloca) must not make the stack cache return another trace;
# the program's own handler for LEAKSCOPE_SIGNAL survives in it and in forked children;
# the shim's descriptors stay off the small numbers a shell redirects onto; exit() from a
# signal handler that interrupted the API does not hang; frees from such a handler count.
exec python3 - <<'PY'
import os, sys
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

# alloca: 3 blocks through g1, 1 through g2, told apart by their traces
out = os.path.join(TMP, "alloca")
r = run([os.path.join(PROGS, "review_alloca")], out)
check(r.returncode == 0 and r.stdout == "done 4\n", f"review_alloca: {r.returncode} {r.stdout!r}")
g1, g2 = site_line("review_alloca.c", "via_g1"), site_line("review_alloca.c", "via_g2")
counts = {g1: 0, g2: 0}
for s in top(out, "--by", "traceback"):
    lines = [f["line"] for f in s.get("frames", [])]
    for g in (g1, g2):
        if g in lines:
            counts[g] += s["count"]
check(counts == {g1: 3, g2: 1}, f"alloca: blocks by caller {counts}, want g1 3, g2 1")

# the program's LEAKSCOPE_SIGNAL handler, in the parent and in a forked child
out = os.path.join(TMP, "sigfork")
bare = run([os.path.join(PROGS, "review_sigfork")], shim=False)
shim = run([os.path.join(PROGS, "review_sigfork")], out, env={"LEAKSCOPE_SIGNAL": "USR1"})
check(bare.returncode == 0 and shim.returncode == 0 and shim.stdout == bare.stdout,
      f"sigfork: bare {bare.returncode} {bare.stdout!r}, shim {shim.returncode} {shim.stdout!r}")
check(shim.stderr == "", f"sigfork: nothing on stderr: {shim.stderr!r}")
# a signal already ignored when the program starts (nohup-style) stays ignored: one line
shim = run(["bash", "-c", f"trap '' USR1; exec {os.path.join(PROGS, 'api_figures')}"],
           os.path.join(TMP, "ignored"), env={"LEAKSCOPE_SIGNAL": "USR1"})
check(shim.returncode == 0 and shim.stderr.count("leakscope:") == 1 and "already ignored" in shim.stderr,
      f"ignored signal: one line saying signal snapshots are off: {shim.stderr!r}")

# fixed descriptor numbers under a busy timer
out = os.path.join(TMP, "fixedfd")
target = os.path.join(TMP, "fixedfd.txt")
r = run([os.path.join(PROGS, "review_fixed_fd"), target], out, env={"LEAKSCOPE_INTERVAL_MS": "1"}, timeout=120)
check(r.returncode == 0 and r.stdout == "errors=0\n" and r.stderr == "", f"fixed fd: {r.returncode} {r.stdout!r} {r.stderr!r}")
data = open(target, "rb").read()
check(data == b"line\n" * 100000, f"fixed fd: the program's file holds {len(data)} bytes, want 500000 of its own lines")
check(len(snapshots(out, "*.timer.lss")) >= 1, "fixed fd: timer snapshots were written")
check(not [f for f in os.listdir(out) if f.endswith(".tmp")], "fixed fd: no temporary file left")

# frees from a signal handler that interrupted a hook are recorded, not reported as live
for i in range(3):
    out = os.path.join(TMP, f"hfree{i}")
    r = run([os.path.join(PROGS, "review_handler_free")], out, timeout=60)
    check(r.returncode == 0 and r.stdout == "freed 200\n", f"handler free: {r.returncode} {r.stdout!r}")
    got = figures_at(top(out), "review_handler_free.c", "handler_freed")
    check(got == (0, 0), f"handler free, run {i}: the freed blocks still show as {got}")

# exit() in a signal handler that interrupted leakscope_traced_memory()
for i in range(5):
    r = run([os.path.join(PROGS, "review_exit_in_handler")], os.path.join(TMP, f"exit{i}"), timeout=20)
    check(r.returncode == 0, f"exit in handler, run {i}: exit {r.returncode}")
done()
PY
