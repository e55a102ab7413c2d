#!/bin/bash
# review_regressions.sh — what an independent review of the shim found, kept fixed:
# a variable-size frame (alloca) must not make the stack cache return another trace;
# the program's own handler for LEAKSCOPE_SIGNAL survives in it and in forked children;
# the shim's descriptors stay off the small numbers a shell redirects onto; exit() from a
# signal handler that interrupted the API does not hang; frees from such a handler count,
# even more than the shim can defer.
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
# a signal already ignored when the program starts (nohup-style) stays ignored, silently
# (every process of a build would otherwise say so)
shim = run(["bash", "-c", f"trap '' USR1; exec {os.path.join(PROGS, 'review_sigfork')}"],
           os.path.join(TMP, "ignored"), env={"LEAKSCOPE_SIGNAL": "USR1"})
check(shim.returncode == 0 and shim.stderr == "", f"ignored signal: unchanged, silent: {shim.returncode} {shim.stderr!r}")

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

# more frees from such a handler than the shim can defer, and a realloc there: their
# entries go stale, and are settled when glibc hands the addresses out again
for i in range(3):
    out = os.path.join(TMP, f"hover{i}")
    r = run([os.path.join(PROGS, "review_handler_overflow")], out, timeout=60)
    check(r.returncode == 0 and r.stdout == "freed 4000 moved 40 reused 4040 of 4040\n", f"handler overflow: {r.returncode} {r.stdout!r}")
    exit_top = top(out)
    for line, want in (("handler_freed", (0, 0)), ("handler_moved", (0, 0)), ("allocated_again", (4040 * 48, 4040))):
        got = figures_at(exit_top, "review_handler_overflow.c", line)
        check(got == want, f"handler overflow, run {i}: {line} shows {got}, want {want}")

# a free deferred during leakscope_snapshot() is recorded before the address comes back
for i in range(3):
    r = run([os.path.join(PROGS, "review_reuse_after_api")], os.path.join(TMP, f"reuse{i}"), timeout=60)
    check(r.returncode == 0 and "got 48)" in r.stdout, f"reuse after API, run {i}: {r.stdout.strip()}")

# leakscope_traced_memory() from a handler interrupting leakscope_traced_memory()
r = run([os.path.join(PROGS, "review_api_in_handler")], os.path.join(TMP, "apih"), timeout=60)
check(r.returncode == 0 and r.stdout == "done handled>0: 1\n", f"API in handler: {r.returncode} {r.stdout!r}")

# a snapshot past RLIMIT_FSIZE: the write fails (one line), SIGXFSZ does not kill the program
r = run(["bash", "-c", f"ulimit -f 1; exec {os.path.join(PROGS, 'exact_alloc')}"], os.path.join(TMP, "xfsz"))
check(r.returncode == 3 and r.stderr.count("leakscope:") == 1 and "File too large" in r.stderr,
      f"RLIMIT_FSIZE: {r.returncode} {r.stderr!r}")

# a shell redirecting onto fd 3 over and over while the timer writes snapshots
script = 'f=$1; fail=0; for i in $(seq 1 5000); do exec 3>"$f" || fail=$((fail+1)); exec 3>&-; done; echo "failed $fail"'
r = run(["bash", "-c", script, "sh", os.path.join(TMP, "redir.txt")], os.path.join(TMP, "redir"),
        env={"LEAKSCOPE_INTERVAL_MS": "1"}, timeout=120)
check(r.returncode == 0 and r.stdout == "failed 0\n" and r.stderr == "", f"redirections: {r.stdout!r} {r.stderr[-200:]!r}")

# a program that closes stdout/stderr: its reader sees end-of-file at once, timer or not
import select, subprocess as sp
env = dict(os.environ, LD_PRELOAD=LIB, LEAKSCOPE_OUT=os.path.join(TMP, "stdio"), LEAKSCOPE_INTERVAL_MS="5")
proc = sp.Popen([os.path.join(PROGS, "review_close_stdio")], stdin=sp.PIPE, stdout=sp.PIPE, stderr=sp.PIPE, env=env)
got, open_fds = b"", {proc.stdout.fileno(), proc.stderr.fileno()}
for _ in range(200):  # at most 20 s
    ready, _, _ = select.select(list(open_fds), [], [], 0.1)
    for fd in ready:
        chunk = os.read(fd, 4096)
        if not chunk:
            open_fds.discard(fd)
        elif fd == proc.stdout.fileno():
            got += chunk
    if not open_fds:
        break
check(not open_fds and got == b"ready\n",
      f"close stdio: end-of-file on stdout and stderr while the program runs: {not open_fds}, {got!r}")
proc.stdin.write(b"x")
proc.stdin.close()
check(proc.wait(timeout=20) == 0, "close stdio: the program exits 0")

# the traced peak with an idle helper thread is as exact as without one
for args in ([], ["threads"]):
    r = run([os.path.join(PROGS, "review_peak_helper"), *args], os.path.join(TMP, "peak" + "".join(args)))
    check(r.stdout == "peak rose by 250000, current by 0\n", f"peak {args}: {r.stdout!r}")

# exit() in a signal handler that interrupted leakscope_traced_memory()
for i in range(5):
    r = run([os.path.join(PROGS, "review_exit_in_handler")], os.path.join(TMP, f"exit{i}"), timeout=20)
    check(r.returncode == 0, f"exit in handler, run {i}: exit {r.returncode}")
done()
PY
