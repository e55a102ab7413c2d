#!/bin/bash
# shim_foreign_allocator.sh — a program linked with another allocator than glibc's keeps it
# under the shim (tests/programs/foreign_allocator.c, linked here with jemalloc, tcmalloc and
# mimalloc in turn): its output — each block's usable size and whether the linked allocator
# owns it, asked through that allocator's own API — is the bare run's, with every block owned;
# its exit status 0 and stderr empty (before, jemalloc's malloc_usable_size was handed a glibc
# block: Redis crashed at start); and the shim's figures are exact for each entry point. And
# tests/programs/foreign_first_call.c: a signal handler's block made while the shim finds the
# allocator (the program's first call) comes from that allocator, and main frees it there.
# An allocator listed before the shim in LD_PRELOAD, or a program's own malloc
# (tests/programs/own_malloc.c), takes every call: one line says nothing is tracked.
exec python3 - <<'PY'
import os, subprocess, sys
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

SRC = "foreign_allocator.c"
src = os.path.join(ROOT, "tests/programs", SRC)
LIBDIR = "/usr/lib/x86_64-linux-gnu"
allocators = {"jemalloc": "libjemalloc.so.2", "tcmalloc": "libtcmalloc_minimal.so.4", "mimalloc": "libmimalloc.so.2"}
sizes = [1, 24, 100, 1000, 5000, 70000, 1 << 20]
expected = {"malloc": (sum(sizes), len(sizes)), "calloc": (300, 1), "realloc": (3000, 1),
            "posix_memalign": (200, 1), "aligned_alloc": (512, 1), "memalign": (300, 1), "realloc_first": (0, 0)}
missing = []
for name, lib in allocators.items():
    path = os.path.join(LIBDIR, lib)
    if not os.path.exists(path):
        missing.append(name)
        continue
    exe = os.path.join(TMP, "fa_" + name)
    cc = subprocess.run(["cc", "-std=gnu11", "-O1", "-g", "-fno-inline", "-o", exe, src, path, "-ldl"],
                        capture_output=True, text=True)
    if not check(cc.returncode == 0, f"cc with {name}: {cc.stderr[-300:]}"):
        continue
    bare = run([exe], shim=False)
    lines = bare.stdout.splitlines()
    check(bare.returncode == 0 and len(lines) == 14 and all("owned by the linked allocator" in l for l in lines),
          f"{name}: bare run owns every block ({bare.returncode}, {bare.stdout!r})")
    out = os.path.join(TMP, "out_" + name)
    r = run([exe], out, timeout=60)
    check(r.returncode == 0 and r.stderr == "", f"{name}: under the shim: status {r.returncode}, stderr {r.stderr[-300:]!r}")
    check(r.stdout == bare.stdout, f"{name}: output as bare:\n{r.stdout}\n-- bare --\n{bare.stdout}")
    if not check(snapshots(out), f"{name}: an exit snapshot"):
        continue
    stats = top(out, "--limit", "0")
    for site, want in expected.items():
        got = figures_at(stats, SRC, site)
        check(got == want, f"{name}: {site} holds {got}, expected {want}")
    print(f"{name}: output as bare, {len(lines)} blocks owned by {name}, figures exact")
    # a handler's block made while the shim finds the allocator comes from that allocator
    first = os.path.join(TMP, "ffc_" + name)
    cc = subprocess.run(["cc", "-std=gnu11", "-O1", "-g", "-rdynamic", "-o", first,
                         os.path.join(ROOT, "tests/programs/foreign_first_call.c"), path, "-ldl"],
                        capture_output=True, text=True)
    if check(cc.returncode == 0, f"cc foreign_first_call with {name}: {cc.stderr[-300:]}"):
        r = run([first], os.path.join(TMP, "outffc_" + name), timeout=60)
        check(r.returncode == 0 and r.stdout == "kept yes\nok\n" and r.stderr == "",
              f"{name}: a handler's block during the first call: {r.returncode} {r.stdout!r} {r.stderr[-200:]!r}")
    # listed before the shim in LD_PRELOAD, the allocator takes every call: one line says that
    # nothing is tracked, and the program runs as bare
    r = run([exe], os.path.join(TMP, "outfirst_" + name), env={"LD_PRELOAD": f"{path}:{LIB}"}, timeout=60)
    check(r.returncode == 0 and r.stdout == bare.stdout and r.stderr == f"leakscope: malloc is {lib}'s, found before "
          "the shim's: nothing is tracked (list libleakscope.so first in LD_PRELOAD)\n",
          f"{name} before the shim: {r.returncode} {r.stderr!r}")

# a program with a malloc of its own: the same, said of the program
own = os.path.join(PROGS, "own_malloc")
r = run([own], os.path.join(TMP, "outown"), timeout=60)
check(r.returncode == 0 and r.stdout == "ok\n" and
      r.stderr == "leakscope: malloc is the program's own, found before the shim's: nothing is tracked\n",
      f"own malloc: {r.returncode} {r.stdout!r} {r.stderr!r}")
done_or_skip(missing)
PY
