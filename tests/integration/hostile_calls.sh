#!/bin/bash
# hostile_calls.sh — failing and odd calls behave exactly as without the shim: huge
# sizes (ENOMEM), calloc/reallocarray overflow, bad alignments (EINVAL), zero sizes,
# realloc to 0, failed reallocs keeping (and still tracking) their block, errno kept;
# double frees, frees of foreign pointers and a realloc of a freed block die the same
# way (glibc's own message on stderr, SIGABRT, or SIGSEGV for an unmapped chunk); and
# the program's file descriptors stay its own (the unwinder's pipe must neither shift
# the program's descriptor numbers nor touch files the program opens after closing
# every descriptor); malloc does not become a cancellation point, and threads cancelled
# around snapshot requests leave the shim working (no hang, an exact exit snapshot).
exec python3 - <<'PY'
import os, subprocess, sys
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

prog = os.path.join(PROGS, "hostile_calls")

# ---- contracts, and the figures of what stays live
out = os.path.join(TMP, "contracts")
bare = run([prog, "contracts"], shim=False, timeout=60)
r = run([prog, "contracts"], out, timeout=60)
check(bare.returncode == 4 and r.returncode == 4, f"exit status 4: bare {bare.returncode}, shim {r.returncode}")
check(r.stdout == bare.stdout and "ENOMEM" in r.stdout and "EINVAL" in r.stdout,
      "output unchanged:\n" + "".join(f"  bare: {a}\n  shim: {b}\n" for a, b in
                                       zip(bare.stdout.splitlines(), r.stdout.splitlines()) if a != b))
check(r.stderr == "", "stderr: " + r.stderr)
stats = top(out)
for site, want in (("zero_site", (0, 1)), ("zero_realloc_site", (0, 1)), ("kept_site", (300, 1)), ("ra_kept_site", (64, 1)),
                   ("big_site", (1 << 20, 1)), ("failed_site", (0, 0))):
    got = figures_at(stats, "hostile_calls.c", site)
    check(got == want, f"{site}: expected {want}, got {got}")

# ---- fatal misuse: the same death, the same words
for mode, how in (("double_small", "free(): double free detected in tcache 2"),
                  ("double_large", "double free or corruption"),
                  ("double_mmap", None),  # the chunk is unmapped: SIGSEGV, no message
                  ("foreign_stack", "invalid pointer"), ("foreign_static", "free(): invalid pointer"),
                  ("foreign_interior", "free(): invalid pointer"), ("realloc_freed", "double free or corruption")):
    out = os.path.join(TMP, mode)
    bare = run([prog, mode], shim=False, timeout=60)
    r = run([prog, mode], out, timeout=60)
    sig = -6 if how else -11
    check(bare.returncode == sig and r.returncode == sig, f"{mode}: killed by signal {-sig}: bare {bare.returncode}, shim {r.returncode}")
    check(r.stdout == bare.stdout == f"{mode}: before the bad call\n", f"{mode}: stdout {r.stdout!r} vs {bare.stdout!r}")
    check(r.stderr == bare.stderr and (how is None or how in r.stderr), f"{mode}: stderr {r.stderr!r} vs {bare.stderr!r}")

# ---- file descriptors (the unwinder's memory checks use a pipe); several runs, since
# whether a given run's unwinding needs the pipe depends on the stack layout
expected = None
for attempt in range(6):
    d = os.path.join(TMP, f"fds{attempt}")
    os.makedirs(d)
    if expected is None:
        bare = run([prog, "fds", d], shim=False, timeout=60)
        expected = bare.stdout
        check(bare.returncode == 0 and "first open(): 3" in expected and 'read back: 8 "ABCDEFGH"' in expected
              and 'own output: 6 bytes "hello"' in expected, "bare fds run: " + expected)
        continue
    r = run([prog, "fds", d], os.path.join(d, "out"), timeout=60)
    check(r.returncode == 0 and r.stdout == expected, f"fds run {attempt}:\n{r.stdout}--- expected\n{expected}")
    check(r.stderr == "", f"fds run {attempt}: stderr {r.stderr!r}")

# ---- thread cancellation
cancel = os.path.join(PROGS, "hostile_cancel")
for mode in ("malloc", "snapshot"):
    out = os.path.join(TMP, "cancel-" + mode)
    bare = run([cancel, mode, "20"], shim=False, timeout=60)
    try:
        r = run([cancel, mode, "20"], out, timeout=60)
    except subprocess.TimeoutExpired:
        check(False, f"cancel {mode}: still running after 60 s (a cancelled thread left a lock held?)")
        continue
    want = f"{mode}: 20 of 20 threads cancelled where they should be\n"
    check(bare.stdout == want and r.stdout == want and r.returncode == 0, f"cancel {mode}: {r.returncode} {r.stdout!r} (bare {bare.stdout!r})")
    check(r.stderr == "", f"cancel {mode}: stderr {r.stderr!r}")
    exits = snapshots(out, "*.exit.lss")
    check(len(exits) == 1, f"cancel {mode}: one exit snapshot: {exits}")
    if exits:
        check(figures_at(top(exits[0]), "hostile_cancel.c", "after_site") == (100, 1), f"cancel {mode}: exact exit snapshot")
done()
PY
