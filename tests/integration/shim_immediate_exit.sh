#!/bin/bash
# shim_immediate_exit.sh — processes that end with _exit/_Exit write their exit snapshot:
# a C program whose forked child calls _exit and which ends with _Exit (or with _exit from
# an atexit handler), with exact figures, and none from its vfork child (which shares the
# parent's memory) or from posix_spawn's failing child; dash and busybox ash scripts with
# subshells, a command substitution, a pipeline and a failed exec (dash runs a missing
# command in a vfork child); Python's forked workers (os._exit). Bare and under the shim: the same output and status, and
# exactly one exit snapshot per process, named after its program — every process of the
# scripts writes its pid down, so the set of snapshots is checked pid by pid.
exec python3 - <<'PY'
import os, re, shutil, sys
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

def pid_roles(path):
    with open(path) as f:
        return [(role, int(pid)) for role, pid in (line.split() for line in f)]

def snapshot_pids(out):
    """{pid: program} of the exit snapshots; every file must be an exit snapshot."""
    names = [os.path.basename(f) for f in snapshots(out)]
    check(all(n.endswith(".exit.lss") for n in names), f"only exit snapshots: {names}")
    got = {}
    for n in names:
        prog, pid = n.split(".")[:2]
        check(int(pid) not in got, f"one snapshot per process: {names}")
        got[int(pid)] = prog
    return got

# ---- C: _exit after fork, _Exit, _exit from an atexit handler; vfork and posix_spawn children
PROG = os.path.join(PROGS, "exit_paths")
for mode, status in (("_Exit", 4), ("atexit", 6)):
    out = os.path.join(TMP, "c-" + mode)
    args = [] if mode == "_Exit" else ["atexit"]
    bare = run([PROG, os.path.join(TMP, f"pids-bare-{mode}")] + args, shim=False, timeout=60)
    pidfile = os.path.join(TMP, f"pids-{mode}")
    r = run([PROG, pidfile] + args, out, timeout=60)
    want_out = "forked child: 7\nvfork child: 9\nposix_spawn of a missing program: failed\n"
    check(bare.returncode == status and r.returncode == status, f"{mode}: exit {bare.returncode} / {r.returncode}, expected {status}")
    check(bare.stdout == want_out and r.stdout == want_out, f"{mode}: output {bare.stdout!r} / {r.stdout!r}")
    check(bare.stderr == "" and r.stderr == "", f"{mode}: stderr {bare.stderr!r} / {r.stderr!r}")
    roles = dict(pid_roles(pidfile))
    got = snapshot_pids(out)
    check(got == {roles["parent"]: "exit_paths", roles["child"]: "exit_paths"},
          f"{mode}: snapshots of the parent and the forked child only (not the vfork child {roles['vfork']}): {got} {roles}")
    for who, want in (("parent", {"parent_site": (1000, 1), "child_site": (0, 0), "late_site": (3000, 1)}),
                      ("child", {"parent_site": (1000, 1), "child_site": (2000, 1), "late_site": (0, 0)})):
        files = snapshots(out, f"*.{roles[who]}.*.lss")
        if not files:
            continue
        st = top(files[0])
        for site, fig in want.items():
            got_fig = figures_at(st, "exit_paths.c", site)
            check(got_fig == fig, f"{mode}: {who}: {site}: expected {fig}, got {got_fig}")

# ---- Python's forked workers end with os._exit
POOL = r"""
import multiprocessing as mp, sys
def work(k):
    print(f"worker {k}: {sum(bytearray(1000 * (k + 1)))}", flush=True)
if __name__ == "__main__":
    mp.set_start_method("fork")
    with open(sys.argv[1], "w") as pids:
        import os; print("main", os.getpid(), file=pids)
        for k in range(2):
            p = mp.Process(target=work, args=(k,)); p.start(); p.join()
            print("worker", p.pid, file=pids)
            print(f"worker {k} exit status {p.exitcode}", flush=True)
"""
out = os.path.join(TMP, "python")
bare = run([sys.executable, "-c", POOL, os.path.join(TMP, "pids-python-bare")], shim=False, timeout=60)
r = run([sys.executable, "-c", POOL, os.path.join(TMP, "pids-python")], out, timeout=60)
check(bare.returncode == r.returncode == 0 and bare.stdout == r.stdout == "worker 0: 0\nworker 0 exit status 0\n"
      "worker 1: 0\nworker 1 exit status 0\n", f"python: output {bare.stdout!r} / {r.stdout!r} {r.stderr!r}")
py = re.sub(r"[^A-Za-z0-9_+-]", "_", os.path.basename(os.path.realpath(sys.executable)))[:32]
got = snapshot_pids(out)
check(got == {pid: py for _, pid in pid_roles(os.path.join(TMP, "pids-python"))},
      f"python: the main process and both forked workers write exit snapshots: {got}")

# ---- shells that end every process with _exit
SCRIPT = r'''
rec() { read p _ < /proc/self/stat; echo "$1 $p" >> "$PIDS"; }
rec main
x=$(rec subst; echo a)
(rec subshell; echo "subshell sees $x"; exit 3)
echo "subshell status $?"
{ rec left; echo piped; } | { rec right; exec /bin/cat; }
[ -n "$MISSING" ] && $MISSING 2>/dev/null
echo "missing command status $?"
(rec execfail; exec /nonexistent/command) 2>/dev/null
echo "failed exec status $?"
exit 5
'''
WANT = ("subshell sees a\nsubshell status 3\npiped\nmissing command status 127\n"
        "failed exec status 127\n")
SHELLS = (("dash", ["dash", "-c", SCRIPT], "dash", "/nonexistent/command"),
          # busybox runs a missing command in a forked child (not vfork), which cannot
          # write its pid down: its case is dash's
          ("busybox", ["busybox", "sh", "-c", SCRIPT], "busybox", ""))
skipped = []
for tag, cmd, prog, missing in SHELLS:
    if not shutil.which(cmd[0]):
        skipped.append(cmd[0])
        print(f"skip: {cmd[0]} is not installed")
        continue
    out = os.path.join(TMP, "sh-" + tag)
    env = {"PIDS": os.path.join(TMP, f"pids-{tag}-bare"), "MISSING": missing or "false"}
    bare = run(cmd, shim=False, env=env, timeout=60)
    env["PIDS"] = os.path.join(TMP, f"pids-{tag}")
    r = run(cmd, out, env=env, timeout=60)
    want = WANT if missing else WANT.replace("missing command status 127", "missing command status 1")
    check(bare.returncode == 5 and r.returncode == 5, f"{tag}: exit {bare.returncode} / {r.returncode}, expected 5")
    check(bare.stdout == want and r.stdout == want, f"{tag}: output {bare.stdout!r} / {r.stdout!r}")
    check(bare.stderr == r.stderr == "", f"{tag}: stderr {bare.stderr!r} / {r.stderr!r}")
    roles = pid_roles(env["PIDS"])
    check(sorted(role for role, _ in roles) == ["execfail", "left", "main", "right", "subshell", "subst"],
          f"{tag}: every process wrote its pid: {roles}")
    expect = {pid: ("cat" if role == "right" else prog) for role, pid in roles if role != "execfail"}
    # the failed exec leaves the subshell to end with _exit(127)
    expect.update({pid: prog for role, pid in roles if role == "execfail"})
    got = snapshot_pids(out)
    check(got == expect, f"{tag}: one exit snapshot per process, named after its program:\n  got  {got}\n  want {expect}")
    for f in snapshots(out):
        try:
            top(f)
        except Exception as e:
            check(False, f"{tag}: unreadable snapshot {f}: {e}")
    print(f"{tag}: same output and status, snapshots {sorted(got.values())}")

done_or_skip(skipped)
PY
