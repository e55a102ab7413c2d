#!/bin/bash
# shim_thread_stacks.sh — a thread is not unwound again on a stack another thread has
# verified (tests/programs/thread_stacks.c, built here with -rdynamic so that it can count
# the shim's calls into libunwind, per thread), with and without frame pointers:
#  - the first thread of each call path is unwound (its count > 0: the counting works);
#  - every later thread of the same path is unwound 0 times: one after another, four at
#    once on distinct stacks (with frame pointers, their saved RBPs differ), and one with
#    a smaller stack;
#  - path b reaches the same allocating call at the same depth as path a through another
#    caller: its first thread is unwound, and it is a site of its own;
#  - the figures are exact: path a 11 threads x 40 x 48 B, path b 3 threads x 40 x 80 B.
exec python3 - <<'PY'
import os, subprocess, sys
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

SRC = "thread_stacks.c"
src = os.path.join(ROOT, "tests/programs", SRC)
flavours = {"frame pointers": ["-O1", "-fno-omit-frame-pointer"],
            "no frame pointers": ["-O2", "-fomit-frame-pointer"]}
path_line = {p: site_line(SRC, p) for p in ("path_a", "path_b")}
for name, flags in flavours.items():
    exe = os.path.join(TMP, "ts_" + name.replace(" ", "_"))
    cc = subprocess.run(["cc", "-std=gnu11", "-g", "-fno-inline", *flags, "-rdynamic", "-o", exe, src,
                         "-lpthread", "-ldl"], capture_output=True, text=True)
    if not check(cc.returncode == 0, f"cc {name}: {cc.stderr[-300:]}"):
        continue
    out = os.path.join(TMP, "out_" + os.path.basename(exe))
    r = run([exe], out)
    check(r.returncode == 0 and r.stderr == "", f"{name}: ran ({r.returncode}, {r.stderr!r})")
    unwinds = dict(l.split() for l in r.stdout.splitlines())
    print(f"{name}: unwinds per thread {unwinds}")
    check(unwinds.get("wrapped") == "1", f"{name}: the shim's libunwind calls were counted")
    for first in ("a1", "b1"):
        check(int(unwinds.get(first, 0)) > 0, f"{name}: {first}, the first of its path, is unwound")
    later = [t for t in unwinds if t not in ("a1", "b1", "wrapped")]
    check(len(later) == 12, f"{name}: twelve later threads reported: {later}")
    for t in later:
        check(unwinds[t] == "0", f"{name}: {t} is not unwound again, got {unwinds[t]} unwinds")
    stats = top(out, "--by", "traceback", "--limit", "0")
    for path, want in (("path_a", (11 * 40 * 48, 11 * 40)), ("path_b", (3 * 40 * 80, 3 * 40))):
        sites = [s for s in stats if s["function"] == "alloc_block"
                 and any(f["function"] == path and f["line"] == path_line[path] for f in s["frames"])]
        got = [(s["size"], s["count"]) for s in sites]
        check(got == [want], f"{name}: {path} is one site of {want[0]} B in {want[1]}, got {got}")
done()
PY
