#!/bin/bash
# shim_exact.sh — per-line live bytes and counts at exit match what the programs hold,
# to the byte, for every allocation function, C++ new, and 8 threads freeing each
# other's blocks; output, errno behaviour and exit status are unchanged by the shim.
exec python3 - <<'PY'
import os, re, sys
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

# every allocation function, with the EXPECT lines of the program as the truth
out = os.path.join(TMP, "exact")
bare = run([os.path.join(PROGS, "exact_alloc")], shim=False)
shim = run([os.path.join(PROGS, "exact_alloc")], out)
check(bare.returncode == 3 and shim.returncode == 3, f"exit status kept: bare {bare.returncode}, shim {shim.returncode}")
check(bare.stdout == shim.stdout, "stdout unchanged:\n" + bare.stdout + "---\n" + shim.stdout)
check(shim.stderr == "", "nothing on stderr: " + shim.stderr)
stats = top(out)
src = open(os.path.join(ROOT, "tests/programs/exact_alloc.c")).read()
for name, size, count in re.findall(r"EXPECT (\w+) (\d+) (\d+)", src):
    got = figures_at(stats, "exact_alloc.c", name)
    check(got == (int(size), int(count)), f"{name}: expected {size} B in {count}, got {got[0]} B in {got[1]}")
check(figures_at(stats, "exact_alloc.c", "realloc_start") == (0, 0), "realloc chain leaves nothing at its first line")

# C++ new / new[]: charged to the line with `new`, not to operator new
out = os.path.join(TMP, "cxx")
r = run([os.path.join(PROGS, "cxx_new")], out)
check(r.returncode == 0 and r.stdout == "nodes=7\n", f"cxx_new ran: {r.returncode} {r.stdout!r}")
stats = top(out)
check(figures_at(stats, "cxx_new.cc", "new_site") == (7 * 48, 7), f"new Node x7: {figures_at(stats, 'cxx_new.cc', 'new_site')}")
check(figures_at(stats, "cxx_new.cc", "new_array_site") == (4 * 100, 4), f"new int[25] x4: {figures_at(stats, 'cxx_new.cc', 'new_array_site')}")
check(figures_at(stats, "cxx_new.cc", "temp_site") == (0, 0), "temporaries leave nothing")
check(not any("operator new" in s["function"] for s in stats), "operator new is never a location")

# C++ container growth inlined into the program (-O2) is charged to the line that used
# the container, as with -fno-inline: vector of 32-byte samples grown to 1024 slots; the
# map's nodes and strings at the line that fills it.
import subprocess
o2 = os.path.join(TMP, "cxx_inlined_O2")
cc = subprocess.run(["g++", "-O2", "-g", "-I" + os.path.join(ROOT, "include"), "-o", o2,
                     os.path.join(ROOT, "tests/programs/cxx_inlined.cc")], capture_output=True, text=True)
check(cc.returncode == 0, "g++ -O2 cxx_inlined.cc: " + cc.stderr[-300:])
for name, prog in (("fno-inline", os.path.join(PROGS, "cxx_inlined")), ("O2", o2)):
    out = os.path.join(TMP, "cxxi-" + name)
    r = run([prog], out)
    check(r.returncode == 0 and r.stdout == "1000 1000\n", f"cxx_inlined {name}: {r.returncode} {r.stdout!r}")
    full = snapshots(out, "*.full.lss")
    check(len(full) == 1, f"cxx_inlined {name}: one 'full' snapshot")
    if full:
        stats = top(full[0])
        check(figures_at(stats, "cxx_inlined.cc", "vector_site") == (1024 * 32, 1),
              f"cxx_inlined {name}: vector at its push_back line: {figures_at(stats, 'cxx_inlined.cc', 'vector_site')}")
        size, count = figures_at(stats, "cxx_inlined.cc", "map_site")
        check(count >= 1000, f"cxx_inlined {name}: map nodes and strings at the line that fills the map: {size} B in {count}")
        stdout_line = site_line("cxx_inlined.cc", "stdout_buffer")
        check(not any(s["function"] == "main" and s["line"] != stdout_line
                      for s in stats if s["file"].endswith("cxx_inlined.cc")),
              f"cxx_inlined {name}: nothing charged to main's calls of record/remember")

# threads: 8 threads, blocks freed by a thread other than their allocator
out = os.path.join(TMP, "threads")
r = run([os.path.join(PROGS, "threads_alloc"), "8", "20000"], out)
check(r.returncode == 0, f"threads_alloc exit {r.returncode}: {r.stderr}")
stats = top(out)
check(figures_at(stats, "threads_alloc.c", "thread_site") == (8 * 2000 * 48, 8 * 2000),
      f"threads: {figures_at(stats, 'threads_alloc.c', 'thread_site')}")
check(figures_at(stats, "threads_alloc.c", "row_site") == (8 * 20000 * 8, 8), "row tables")
done()
PY
