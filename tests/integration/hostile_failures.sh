#!/bin/bash
# hostile_failures.sh — the shim's own failures never reach the program: an output
# directory that cannot be created (under a regular file), one that vanishes during the
# run (recreated by the next snapshot), one replaced by a file, and tables that cannot
# grow (the address space limited so that no new mapping can be made), and a directory a
# process that changed user cannot open (run as nobody). In each: output
# and exit status as without the shim, at most one line on stderr starting with
# "leakscope:" (exactly one where the shim had to give up), and what was written
# before the failure is intact.
exec python3 - <<'PY'
import os, shutil, sys, tempfile
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

prog = os.path.join(PROGS, "hostile_failures")

def compare(tag, args, out, lines_expected, bare_args=None):
    bare = run([prog, *(bare_args or args)], shim=False, timeout=60)
    r = run([prog, *args], out, timeout=60)
    check(bare.returncode == 6 and r.returncode == 6, f"{tag}: exit status 6: bare {bare.returncode}, shim {r.returncode}")
    check(r.stdout == bare.stdout, f"{tag}: output {r.stdout!r} vs {bare.stdout!r}")
    lines = r.stderr.splitlines()
    check(len(lines) == lines_expected and all(l.startswith("leakscope: ") for l in lines),
          f"{tag}: expected {lines_expected} line(s) from the shim on stderr, got {r.stderr!r}")
    return r

# an output directory that cannot be created: a path under a regular file (ENOTDIR;
# permissions would not stop root)
regular = os.path.join(TMP, "regular-file")
open(regular, "w").close()
r = compare("unwritable", ["snapshots"], os.path.join(regular, "leakscope-out"), 1)
check("Not a directory" in r.stderr, "unwritable: says why: " + r.stderr)

# the directory (and its parent) removed by the program between two snapshots
base = os.path.join(TMP, "vanish")
out = os.path.join(base, "parent", "out")
compare("vanish", ["vanish", out], out, 0, bare_args=["vanish", os.path.join(TMP, "vanish-bare", "parent", "out")])
names = sorted(os.path.basename(f).split(".")[3] for f in snapshots(out))
check(names == ["exit", "two"], f"vanish: the recreated directory holds snapshots two and exit: {names}")
for label in ("two", "exit"):
    for f in snapshots(out, f"*.{label}.lss"):
        st = top(f)
        for site, want in (("one_site", (100, 1)), ("two_site", (200, 1))):
            got = figures_at(st, "hostile_failures.c", site)
            check(got == want, f"vanish: {label}: {site} {got}, expected {want}")
for d in (os.path.join(base, "parent"), out):
    check(os.stat(d).st_mode & 0o777 == 0o700, f"vanish: {d} recreated with mode 0700: {oct(os.stat(d).st_mode)}")

# the directory replaced by a regular file: snapshot two cannot be written
for d in ("replace", "replace-bare"):
    os.makedirs(os.path.join(TMP, d))
out = os.path.join(TMP, "replace", "out")
r = compare("replace", ["replace", out], out, 1, bare_args=["replace", os.path.join(TMP, "replace-bare", "out")])
check(open(out).read() == "a file where the directory was\n", "replace: the program's file is untouched")

# tables that cannot grow: 1.5 million live blocks under an address-space limit
out = os.path.join(TMP, "tables")
r = compare("tables", ["tables"], out, 1)
check("cannot grow" in r.stderr, "tables: says why: " + r.stderr)
before = snapshots(out, "*.before.lss")
check(len(before) == 1 and top(before[0]) is not None, f"tables: the snapshot before the limit is intact: {snapshots(out)}")
check(not [f for f in os.listdir(out) if f.startswith(".")], f"tables: no temporary file left: {os.listdir(out)}")

# a process that changed user (a server's workers run as nobody) cannot open the directory
# its parent made: one line that says which step failed, why, as whom, whose the directory
# is and what would let it write there. The program and
# the shim are copied where nobody can read them; the directory exists, mode 0700, root's.
if os.geteuid() == 0 and shutil.which("setpriv"):
    shared = tempfile.mkdtemp(prefix="ls-nobody-", dir="/tmp")
    try:
        os.chmod(shared, 0o755)
        for f in (prog, LIB):
            shutil.copy(f, shared)
        denied = os.path.join(shared, "out")
        os.mkdir(denied, 0o700)
        lib = os.path.join(shared, os.path.basename(LIB))
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", os.path.join(shared, "hostile_failures")]
        bare = run([*as_nobody, "snapshots"], shim=False, timeout=60)
        r = run([*as_nobody, "snapshots"], denied, env={"LD_PRELOAD": lib}, timeout=60)
        check(bare.returncode == 6 and r.returncode == 6 and r.stdout == bare.stdout,
              f"as nobody: status and output as bare ({bare.returncode} {r.returncode} {r.stdout!r})")
        want = (f"leakscope: cannot open the directory for the snapshot in {denied}: Permission denied "
                "(as uid 65534; the directory is uid 0's: make it beforehand, writable by uid 65534, "
                "e.g. mode 1777); tracking stopped, the program goes on\n")
        check(r.stderr == want, f"as nobody: one line, the step, the reason, the uid: {r.stderr!r}")
    finally:
        shutil.rmtree(shared)
done()
PY
