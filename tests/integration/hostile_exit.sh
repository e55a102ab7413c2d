#!/bin/bash
# hostile_exit.sh — allocations while the process exits: in atexit handlers (one
# registered by another, one by a destructor), in pthread key destructors (after the
# shim's own per-thread destructor), in a program destructor, from a thread allocating
# throughout, and after the shim's exit snapshot (a stdio cookie stream flushed by exit(),
# and the destructor of a library the program links against); exit via return and via
# pthread_exit of the main thread. Output and status as without the shim, one exact exit
# snapshot, and snapshot requests made after it are ignored.
exec python3 - <<'PY'
import os, subprocess, sys
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

SRC = os.path.join(ROOT, "tests/programs/hostile_exit.c")
build = os.path.join(TMP, "build")
os.makedirs(build)
lib = os.path.join(build, "libhostile_exit.so")
linked = os.path.join(build, "hostile_exit_linked")
inc = os.path.join(ROOT, "include")
for cmd in (["cc", "-shared", "-fPIC", "-g", "-O1", "-fno-inline", "-D_GNU_SOURCE", "-DHOSTILE_EXIT_LIB", "-I" + inc, "-o", lib, SRC],
            ["cc", "-g", "-O1", "-fno-inline", "-D_GNU_SOURCE", "-DWITH_LATE_LIB", "-I" + inc, "-o", linked, SRC,
             "-L" + build, "-lhostile_exit", "-Wl,-rpath," + build, "-lpthread"]):
    b = subprocess.run(cmd, capture_output=True, text=True)
    if b.returncode != 0:
        print("cannot build the test library or program:", b.stderr)
        sys.exit(1)

THREADS = 4
for prog in (os.path.join(PROGS, "hostile_exit"), linked):
    for mode, status in (("return", 3), ("pthread_exit", 0)):
        tag = f"{os.path.basename(prog)} {mode}"
        out = os.path.join(TMP, f"{os.path.basename(prog)}-{mode}")
        bare = run([prog, mode], shim=False, timeout=60)
        try:
            r = run([prog, mode], out, timeout=60)
        except subprocess.TimeoutExpired:
            check(False, f"{tag}: still running after 60 s")
            continue
        check(bare.returncode == status and r.returncode == status, f"{tag}: exit {bare.returncode} / {r.returncode}, expected {status}")
        check(r.stdout == bare.stdout, f"{tag}: output\n{bare.stdout}---\n{r.stdout}")
        check(r.stdout.endswith("cookie stream flushed: buffered until exit\n"), f"{tag}: the cookie stream was flushed last: {r.stdout!r}")
        if prog == linked:
            check("library destructor ran\n" in r.stdout, f"{tag}: the library destructor ran")
        check(r.stderr == bare.stderr == "", f"{tag}: stderr {r.stderr!r}")
        files = snapshots(out)
        check([os.path.basename(f).split(".")[3] for f in files] == ["exit"],
              f"{tag}: only the exit snapshot (requests after it ignored): {[os.path.basename(f) for f in files]}")
        if not files:
            continue
        st = top(files[0])
        threads = THREADS + (mode == "pthread_exit")
        for site, want in (("atexit_site", (111, 1)), ("nested_site", (222, 1)), ("dtor_site", (444, 1)),
                           ("late_site", (555, 1)), ("key_site", (333 * 2 * threads, 2 * threads)),
                           ("cookie_site", (0, 0))):
            got = figures_at(st, "hostile_exit.c", site)
            check(got == want, f"{tag}: {site}: expected {want}, got {got}")
        if prog == linked:
            check(figures_at(st, "hostile_exit.c", "lib_late_site") == (0, 0), f"{tag}: library destructor ran after the snapshot")
        # the background thread's ring of 16 blocks, seen while it keeps changing (the
        # table is read one shard at a time, so a block moving between shards may count twice)
        bg = figures_at(st, "hostile_exit.c", "bg_site")
        check(1 <= bg[1] <= 32, f"{tag}: the background thread's blocks: {bg}")
        check(not any(s["function"] == "??" and s["size"] >= 111 for s in st), f"{tag}: everything resolves: {[s for s in st if s['function'] == '??']}")
done()
PY
