#!/bin/bash
# export_massif.sh — `export --format massif` read by the real consumer, ms_print (Debian
# valgrind): one massif snapshot per leakscope snapshot, times the steps of a marking program
# (time_unit i) or milliseconds (time_unit ms), every mem_heap_B equal to that snapshot's
# live bytes by `leakscope top` (so the last one is the run's end), the detailed trees at the
# peak and the last, whose lines ms_print prints with the allocating function.
command -v ms_print >/dev/null || { echo "skip: ms_print (valgrind) not installed"; exit 77; }
exec python3 - <<'PY'
import os, re, subprocess, sys
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

def massif(d, name):
    path = os.path.join(TMP, name)
    r = subprocess.run([CLI, "export", d, "--format", "massif", "-o", path], capture_output=True, text=True)
    check(r.returncode == 0 and r.stderr == "", f"export massif {d}: {r.returncode} {r.stderr}")
    p = subprocess.run(["ms_print", path], capture_output=True, text=True)
    check(p.returncode == 0 and p.stderr == "", f"ms_print {name}: {p.returncode} {p.stderr[-300:]}")
    return open(path).read(), p.stdout

# a program that marks steps: a snapshot every 50 of 400 steps, and the exit one
out = os.path.join(TMP, "steady")
run([os.path.join(PROGS, "fx_steady_leak"), "--steps", "400", "--every", "50"], out)
files = snapshots(out)
text, printed = massif(out, "steady.massif")
check(re.search(r"^time_unit: i$", text, re.M) is not None, "steps: time_unit i")
heap = [int(v) for v in re.findall(r"^mem_heap_B=(\d+)$", text, re.M)]
live = [sum(s["size"] for s in top(f)) for f in files]
check(heap == live, f"mem_heap_B per snapshot {heap} == leakscope top's {live}")
steps = [int(v) for v in re.findall(r"^time=(\d+)$", text, re.M)]
check(steps[:3] == [0, 50, 100] and steps[-1] == 400, f"times are steps: {steps}")
trees = re.findall(r"^heap_tree=(\w+)$", text, re.M)
peak = max(range(len(heap)), key=lambda k: (heap[k], -k))
check(trees.count("peak") == 1 and trees[peak] == "peak" and trees[-1] in ("detailed", "peak")
      and trees.count("empty") == len(trees) - len({peak, len(trees) - 1}), f"trees {trees}")
check(f"Number of snapshots: {len(files)}" in printed, "ms_print counts every snapshot")
last = "{:,}".format(heap[-1])
check(re.search(r"^100\.00% \(" + re.escape(last) + r"B\) \(heap allocation functions\)", printed, re.M) is not None,
      "ms_print's last tree totals the live bytes")
check(re.search(r"^->100\.00% \([\d,]+B\) 0x[0-9A-F]+: remember \(\S*fx_steady_leak\.c:\d+\)$", printed, re.M)
      is not None, "the leaking function heads ms_print's tree")

# a program that marks no steps: milliseconds since tracking started
out = os.path.join(TMP, "exact")
run([os.path.join(PROGS, "exact_alloc")], out)
text, printed = massif(out, "exact.massif")
check(re.search(r"^time_unit: ms$", text, re.M) is not None, "no steps: time_unit ms")
heap = [int(v) for v in re.findall(r"^mem_heap_B=(\d+)$", text, re.M)]
check(heap == [sum(s["size"] for s in top(out))], f"exact_alloc mem_heap_B {heap}")
for name in ("use_malloc", "use_realloc", "use_aligned"):
    check(re.search(r"0x[0-9A-F]+: %s \(\S*exact_alloc\.c:\d+\)" % name, printed) is not None, f"{name} in the tree")

r = subprocess.run([CLI, "export", files[0], "--format", "massif"], capture_output=True, text=True)
check(r.returncode == 2 and r.stderr.count("\n") == 1 and "directory" in r.stderr, f"massif of one file: {r.stderr!r}")
done()
PY
