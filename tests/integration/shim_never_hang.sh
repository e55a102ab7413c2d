#!/bin/bash
# shim_never_hang.sh — programs whose threads call pthread_getattr_np before their first
# allocation (glibc allocates in there holding the thread's lock; a shim that asked
# pthread_getattr_np for the stack bounds on that allocation waited for ever): a C
# program, on the main thread and on new threads (glibc's stacks and a mapped one), with
# exact figures; a Rust program with threads; `java -version` and a Java program with
# threads; Ruby threads. Each runs bare and under the shim, under a timeout, with the same
# output and status and one exit snapshot named after the program. The runtimes are built
# into $LS_TMP; the script skips (77) only when a toolchain is not installed at all.
exec python3 - <<'PY'
import os, re, shutil, subprocess, sys
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

SRC = os.path.join(ROOT, "tests/programs/runtimes")
missing = []

def same(tag, cmd, prog, timeout=60, cwd=None):
    """Bare and under the shim: same stdout, stderr and status; one exit snapshot of `prog`."""
    out = os.path.join(TMP, "out-" + tag)
    bare = run(cmd, shim=False, timeout=timeout, cwd=cwd)
    r = run(cmd, out, timeout=timeout, cwd=cwd)
    check(r.returncode != 124, f"{tag}: still running after {timeout} s under the shim (a hang)")
    check(bare.returncode == 0 and r.returncode == bare.returncode,
          f"{tag}: exit status {bare.returncode} bare, {r.returncode} under the shim: {r.stderr[-300:]!r}")
    check(r.stdout == bare.stdout, f"{tag}: stdout differs:\n{bare.stdout}---\n{r.stdout}")
    check(r.stderr == bare.stderr, f"{tag}: stderr differs:\n{bare.stderr}---\n{r.stderr}")
    names = [os.path.basename(f) for f in snapshots(out)]
    check(len(names) == 1 and names[0].startswith(prog + ".") and names[0].endswith(".exit.lss"),
          f"{tag}: one exit snapshot of {prog}: {names}")
    print(f"{tag}: same output and status ({bare.returncode}), snapshots {names}")
    sys.stdout.flush()
    return out, bare

def have(tool):
    if shutil.which(tool):
        return True
    missing.append(tool)
    print(f"skip: {tool} is not installed")
    return False

def build(tag, cmd):
    b = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    return check(b.returncode == 0, f"{tag}: cannot build: {b.stderr[-600:]}")

# ---- C: pthread_getattr_np before and after the first allocation, exact figures
out, bare = same("stack_attr", [os.path.join(PROGS, "stack_attr")], "stack_attr", timeout=60)
check(bare.stdout.count(" ok") == 12 and "thread 4 on a mapped stack of 262144 bytes" in bare.stdout,
      f"stack_attr: every call succeeds and holds the caller's locals: {bare.stdout!r}")
files = snapshots(out)
if files:
    st = top(files[0])
    for site, want in (("main_site", (1000, 1)), ("first_site", (300, 2)), ("after_site", (700, 2)),
                       ("custom_site", (500, 1))):
        got = figures_at(st, "stack_attr.c", site)
        check(got == want, f"stack_attr: {site}: expected {want}, got {got}")

# ---- Rust: the runtime asks for the stack of every thread at its start
if have("rustc"):
    exe = os.path.join(TMP, "rust_threads")
    if build("rust", ["rustc", "-g", "-O", "-o", exe, os.path.join(SRC, "threads.rs")]):
        out, bare = same("rust", [exe], "rust_threads")
        check(bare.stdout.startswith("worker0:1000 worker1:2000 worker2:3000 worker3:4000\n"),
              f"rust: the threads ran: {bare.stdout!r}")

# ---- Java: the JVM asks for the stack of every thread it starts
if have("java") and have("javac"):
    same("java -version", ["java", "-version"], "java")
    classes = os.path.join(TMP, "classes")
    if build("java", ["javac", "-d", classes, os.path.join(SRC, "Threads.java")]):
        out, bare = same("java threads", ["java", "-cp", classes, "Threads"], "java")
        check(bare.stdout == "".join(f"worker {k} summed {4500 * (k + 1)}\n" for k in range(4)),
              f"java: the threads ran: {bare.stdout!r}")

# ---- Ruby: each Thread.new asks for its stack
if have("ruby"):
    # named as the shim names it: the real executable (ruby3.1), sanitised to [A-Za-z0-9_+-]
    prog = re.sub(r"[^A-Za-z0-9_+-]", "_", os.path.basename(os.path.realpath(shutil.which("ruby"))))[:32]
    out, bare = same("ruby", ["ruby", os.path.join(SRC, "threads.rb")], prog)
    check(bare.stdout == "".join(f"worker {k} summed {4500 * (k + 1)}\n" for k in range(4)),
          f"ruby: the threads ran: {bare.stdout!r}")

done_or_skip(missing)
PY
