#!/bin/bash
# shim_processes.sh — fork and exec keep tracking: each process writes its own exit
# snapshot into the same directory with its own figures; snapshots on request, on
# LEAKSCOPE_SIGNAL and on the timer carry exact figures; the API's traced memory figures
# follow tracemalloc's semantics; the same program runs unchanged without the shim.
exec python3 - <<'PY'
import os, sys
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

# fork + exec
out = os.path.join(TMP, "fork")
bare = run([os.path.join(PROGS, "fork_exec")], shim=False)
r = run([os.path.join(PROGS, "fork_exec")], out)
check(r.returncode == 0 and r.stdout == bare.stdout, f"fork_exec output kept: {r.stdout!r} vs {bare.stdout!r}")
files = snapshots(out)
check(len(files) == 2, f"two processes' exit snapshots (child, exec'd parent): {files}")
pids = sorted({int(os.path.basename(f).split(".")[1]) for f in files})
check(len(pids) == 2, f"two pids: {pids}")
by_pid = {}
for f in files:
    by_pid[int(os.path.basename(f).split(".")[1])] = top(f)
child = [p for p, st in by_pid.items() if figures_at(st, "fork_exec.c", "child_site") != (0, 0)]
execd = [p for p, st in by_pid.items() if figures_at(st, "fork_exec.c", "exec_site") != (0, 0)]
check(len(child) == 1 and len(execd) == 1 and child != execd, f"child {child}, exec'd {execd}")
if child and execd:
    c, e = by_pid[child[0]], by_pid[execd[0]]
    check(figures_at(c, "fork_exec.c", "child_site") == (2000, 1), "child's own block")
    check(figures_at(c, "fork_exec.c", "parent_site") == (1000, 1), "child inherits the parent's live block")
    check(figures_at(e, "fork_exec.c", "exec_site") == (3000, 1), "exec'd image's block")
    check(figures_at(e, "fork_exec.c", "parent_site") == (0, 0), "exec'd image starts afresh")
    # `top DIR --pid N` picks a process
    check(figures_at(top(out, "--pid", str(child[0])), "fork_exec.c", "child_site") == (2000, 1), "top --pid")

# snapshots on request: leakscope_snapshot(), LEAKSCOPE_SIGNAL, LEAKSCOPE_INTERVAL_MS
for mode, env in (("api", {}), ("signal", {"LEAKSCOPE_SIGNAL": "USR2"}), ("timer", {"LEAKSCOPE_INTERVAL_MS": "15"})):
    out = os.path.join(TMP, "req-" + mode)
    r = run([os.path.join(PROGS, "snap_requests"), mode, out], out, env=env, timeout=120)
    check(r.returncode == 0 and r.stdout == f"{mode}: done\n", f"{mode}: exit {r.returncode} {r.stdout!r} {r.stderr!r}")
    label = "checkpoint" if mode == "api" else mode
    files = snapshots(out, f"*.{label}.lss")
    check(len(files) >= 5, f"{mode}: at least 5 {label} snapshots, got {len(files)}")
    if mode != "timer":
        for k, f in enumerate(files[:5], 1):
            got = figures_at(top(f), "snap_requests.c", "step_site")
            check(got == (100 * k, k), f"{mode}: snapshot {k} holds {got}, expected {(100 * k, k)}")
    else:
        sizes = [figures_at(top(f), "snap_requests.c", "step_site")[0] for f in files]
        check(sizes == sorted(sizes) and sizes[-1] <= 500, f"timer snapshots grow in order: {sizes}")
    check(len(snapshots(out, "*.exit.lss")) == 1, f"{mode}: one exit snapshot")
    names = [os.path.basename(f) for f in snapshots(out)]
    seqs = [int(n.split(".")[2]) for n in names]
    check(seqs == list(range(1, len(seqs) + 1)), f"{mode}: names sort in the order taken: {names}")

# the API figures (tracemalloc semantics), with and without the shim
r = run([os.path.join(PROGS, "api_figures")], os.path.join(TMP, "api"))
check(r.stdout == "api figures\nactive=1 current=+50000 peak=+150000\n"
      "after reset: current=+50000 peak=+50000\nafter free: current=+0 peak=+50000\n", "api figures: " + r.stdout)
r = run([os.path.join(PROGS, "api_figures")], shim=False)
check(r.returncode == 0 and "active=0 current=+0 peak=+0" in r.stdout, "runs unchanged without the shim: " + r.stdout)

# bad environment values: one line each on stderr, defaults used, the program runs
out = os.path.join(TMP, "badenv")
r = run([os.path.join(PROGS, "api_figures")], out,
        env={"LEAKSCOPE_FRAMES": "0", "LEAKSCOPE_INTERVAL_MS": "soon", "LEAKSCOPE_SIGNAL": "KILL"})
lines = r.stderr.strip().splitlines()
check(r.returncode == 0 and len(lines) == 3 and all(l.startswith("leakscope: LEAKSCOPE_") for l in lines),
      "bad values: one line each: " + r.stderr)
check(len(snapshots(out, "*.exit.lss")) == 1, "still tracked with defaults")
done()
PY
