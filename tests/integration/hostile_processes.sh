#!/bin/bash
# hostile_processes.sh — processes made while the shim is busy: 50 forks from the main
# thread and 5 from an allocating thread while 3 threads malloc/realloc/free in loops
# (a snapshot timer running too), several times over, under a timeout: no deadlock,
# every child and the parent write their own exact exit snapshots; vfork+exec,
# posix_spawn and exec of the parent itself with the variables inherited: each image
# writes its own snapshot with its own figures; a vfork child that _exits writes none;
# 400 forks while two threads walk their stacks with libunwind: no child ever hangs.
exec python3 - <<'PY'
import os, subprocess, sys
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

def pid_of(path):
    return int(os.path.basename(path).split(".")[1])

# ---- fork while other threads allocate
FORKS, THREADS, THREAD_FORKS = 50, 3, 5
prog = os.path.join(PROGS, "hostile_fork")
bare = run([prog, str(FORKS), str(THREADS), str(THREAD_FORKS)], shim=False, timeout=60)
check(bare.returncode == 0, f"bare run: {bare.returncode} {bare.stderr}")
for attempt in range(4):
    out = os.path.join(TMP, f"fork{attempt}")
    env = {"LEAKSCOPE_INTERVAL_MS": "2"} if attempt % 2 else {}
    tag = f"attempt {attempt}{' (timer on)' if env else ''}"
    try:
        r = run([prog, str(FORKS), str(THREADS), str(THREAD_FORKS)], out, env=env, timeout=60)
    except subprocess.TimeoutExpired:
        check(False, f"{tag}: still running after 60 s (deadlock)")
        continue
    if not check(r.returncode == 0, f"{tag}: exit {r.returncode} {r.stderr}"):
        continue
    check(r.stdout == bare.stdout, f"{tag}: output {r.stdout!r} vs {bare.stdout!r}")
    check(r.stderr == "", f"{tag}: stderr {r.stderr!r}")
    exits = snapshots(out, "*.exit.lss")
    check(len(exits) == FORKS + THREAD_FORKS + 1, f"{tag}: {len(exits)} exit snapshots, expected {FORKS + THREAD_FORKS + 1}")
    check(len({pid_of(f) for f in exits}) == len(exits), f"{tag}: one exit snapshot per process")
    if attempt == 0:  # figures read back for every process (once: time)
        child_sizes, parents = [], []
        for f in exits:
            st = top(f)
            size, count = figures_at(st, "hostile_fork.c", "child_site")
            if count:
                child_sizes.append(size)
                check(count == 1, f"{tag}: {os.path.basename(f)}: {count} blocks at child_site")
                check(figures_at(st, "hostile_fork.c", "child_churn_site") == (0, 0),
                      f"{tag}: {os.path.basename(f)}: the child's churn freed everything")
            else:
                parents.append(st)
        expected = sorted([1000 + i for i in range(FORKS)] + [5000 + i for i in range(THREAD_FORKS)])
        check(sorted(child_sizes) == expected, f"{tag}: each child's own block: {sorted(child_sizes)}")
        check(len(parents) == 1, f"{tag}: one parent snapshot, got {len(parents)}")
        if parents:
            check(figures_at(parents[0], "hostile_fork.c", "parent_site") == (777, 1), f"{tag}: parent_site")
            check(figures_at(parents[0], "hostile_fork.c", "thread_site") == (0, 0),
                  f"{tag}: the threads freed all they held: {figures_at(parents[0], 'hostile_fork.c', 'thread_site')}")

# ---- fork while other threads are inside libunwind (tests/programs/fork_unwinding.c):
# libunwind's step holds a mutex of its own; a child forked while another thread held it
# used to wait for ever at its first stack walk (1 run in 3 of this program hung a child)
prog = os.path.join(PROGS, "fork_unwinding")
out = os.path.join(TMP, "fork_unwinding")
try:
    r = run([prog, "400", "2"], out, timeout=180)
    check(r.returncode == 0 and r.stdout == "forked 400 children\n" and r.stderr == "",
          f"forks while threads unwind: {r.returncode} {r.stdout!r} {r.stderr!r}")
    exits = snapshots(out, "*.exit.lss")
    check(len(exits) == 401, f"forks while threads unwind: {len(exits)} exit snapshots, expected 401")
except subprocess.TimeoutExpired:
    check(False, "forks while threads unwind: still running after 180 s (deadlock)")

# ---- vfork + exec, vfork + _exit, posix_spawn, exec of the parent itself
prog = os.path.join(PROGS, "hostile_spawn")
bare = run([prog], shim=False, timeout=60)
out = os.path.join(TMP, "spawn")
r = run([prog], out, timeout=60)
check(bare.returncode == 5 and r.returncode == 5, f"exit status 5 kept: bare {bare.returncode}, shim {r.returncode}")
check(r.stdout == bare.stdout, f"output kept:\n{bare.stdout}---\n{r.stdout}")
check("vfork+_exit child: 7" in r.stdout and "posix_spawn: 0 child: 0" in r.stdout, "children ran: " + r.stdout)
check(r.stderr == "", "stderr: " + r.stderr)
files = snapshots(out)
check(len(files) == 3 and all(f.endswith(".exit.lss") for f in files),
      f"three exit snapshots (vfork+exec child, spawned child, exec'd parent): {[os.path.basename(f) for f in files]}")
by_site = {}
for f in files:
    st = top(f)
    for site, size in (("vfork_site", 2222), ("spawn_site", 3333), ("exec_site", 4444)):
        got = figures_at(st, "hostile_spawn.c", site)
        if got != (0, 0):
            check(got == (size, 1), f"{site}: {got}")
            by_site.setdefault(site, []).append(pid_of(f))
    check(figures_at(st, "hostile_spawn.c", "parent_site") == (0, 0),
          f"{os.path.basename(f)}: an exec'd image starts afresh (nothing from the parent)")
check(sorted(by_site) == ["exec_site", "spawn_site", "vfork_site"] and all(len(v) == 1 for v in by_site.values()),
      f"each image in its own snapshot: {by_site}")
check(len({p[0] for p in by_site.values()}) == 3, f"three distinct pids: {by_site}")
done()
PY
