#!/bin/bash
# hostile_dlopen.sh — dlopen/dlclose of a library that allocates (in its constructor,
# in a function, in its destructor during dlclose); the blocks stay live after dlclose
# and their sites still resolve to the library's functions and source lines, in a
# snapshot taken after the unload and at exit: loaded by absolute path, by relative path
# ("./lib.so"), and with a second library loaded afterwards where the first one was.
exec python3 - <<'PY'
import os, subprocess, sys
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

SRC = os.path.join(ROOT, "tests/programs/hostile_dlopen.c")
libs = os.path.join(TMP, "libs")
os.makedirs(libs)
lib_a, lib_b = os.path.join(libs, "libhostile_a.so"), os.path.join(libs, "libhostile_b.so")
for lib, extra in ((lib_a, []), (lib_b, ["-DLIB_B"])):
    b = subprocess.run(["cc", "-shared", "-fPIC", "-g", "-O1", "-fno-inline", "-DHOSTILE_LIB", *extra,
                        "-o", lib, SRC], capture_output=True, text=True)
    if b.returncode != 0:
        print("cannot build the test library:", b.stderr)
        sys.exit(1)
prog = os.path.join(PROGS, "hostile_dlopen")

def entry(stats, name, module):
    """The (function, size, count) charged to SITE:<name> in `module`, or None."""
    line = site_line("hostile_dlopen.c", name)
    for s in stats:
        if s["file"].endswith("hostile_dlopen.c") and s["line"] == line and s["module"] == module:
            return s["function"], s["size"], s["count"]
    return None

def scenario(tag, args, cwd, expect):
    out = os.path.join(TMP, tag)
    bare = run([prog, *args], shim=False, cwd=cwd, timeout=60)
    r = run([prog, *args], out, cwd=cwd, timeout=60)
    check(r.returncode == 0 and bare.returncode == 0, f"{tag}: exit {bare.returncode} / {r.returncode}: {r.stderr}")
    check(r.stdout == bare.stdout == "library unloaded: yes; blocks kept: yes\n", f"{tag}: output {r.stdout!r} vs {bare.stdout!r}")
    for label in ("unloaded", "exit"):
        files = snapshots(out, f"*.{label}.lss")
        if not check(len(files) == 1, f"{tag}: one {label} snapshot: {files}"):
            continue
        stats = top(files[0])
        for name, module, want in expect:
            got = entry(stats, name, module)
            check(got == want, f"{tag}/{label}: SITE:{name} in {os.path.basename(module)}: expected {want}, got {got}")
        got = figures_at(stats, "hostile_dlopen.c", "after_site")
        check(got == (99, 1), f"{tag}/{label}: after_site {got}")
        check(not any(s["function"] == "??" and s["size"] >= 777 for s in stats),
              f"{tag}/{label}: nothing unresolved: {[s for s in stats if s['function'] == '??']}")
    return bare, r

one = [("lib_site", lib_a, ("lib_alloc", 3 * 5555, 3)), ("lib_ctor_site", lib_a, ("lib_ctor", 777, 1)),
       ("lib_dtor_site", lib_a, ("lib_dtor", 888, 1))]
scenario("absolute", [lib_a], TMP, one)
scenario("relative", ["./libhostile_a.so"], libs, one)

# B's constructor allocates from the same source line as A's, so that line holds both
two = [("lib_site", lib_a, ("lib_alloc", 3 * 5555, 3)), ("lib_dtor_site", lib_a, ("lib_dtor", 888, 1)),
       ("lib_b_site", lib_b, ("lib_alloc", 6666, 1))]
bare, r = scenario("reloaded", [lib_a, lib_b], TMP, two)
print("without the shim, the " + bare.stderr.strip())
stats = top(os.path.join(TMP, "reloaded"))
ctor = [s for s in stats if s["function"] == "lib_ctor"]
check(sum(s["size"] for s in ctor) == 2 * 777 and sum(s["count"] for s in ctor) == 2, f"two constructors' blocks: {ctor}")
done()
PY
