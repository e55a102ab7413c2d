#!/bin/bash
# shim_unwind.sh — the shim's cache of verified stacks never hands one path's trace to
# another: tests/programs/unwind_variety.c reaches one allocating leaf through frames
# whose size changes at every call (alloca), a stack-realigning (DRAP) frame, two callers,
# a recursion, threads, and two paths that meet one variable-size frame at the same stack
# pointer (a stale return address in the old slot); built with frame pointers (every frame is then checked through
# its saved RBP), without them, and with LEAKSCOPE_FRAMES=1. Each path must come out as one
# site with its exact live bytes and count, and the program's output must be unchanged.
exec python3 - <<'PY'
import os, subprocess, sys
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

src = os.path.join(ROOT, "tests/programs/unwind_variety.c")
expected = {(300 * 24, 300), (300 * 40, 300), (300 * 56, 300), (300 * 72, 300), (4 * 300 * 88, 1200),
            (5120 * 104, 5120), (5120 * 120, 5120)}
flavours = {"frame pointers": ["-O1", "-fno-omit-frame-pointer"],
            "no frame pointers": ["-O2", "-fomit-frame-pointer"]}
for name, flags in flavours.items():
    exe = os.path.join(TMP, "uv_" + name.replace(" ", "_"))
    cc = subprocess.run(["cc", "-std=gnu11", "-g", "-fno-inline", *flags, "-o", exe, src, "-lpthread"],
                        capture_output=True, text=True)
    check(cc.returncode == 0, f"cc {name}: {cc.stderr[-300:]}")
    for frames in ("16", "1"):
        out = os.path.join(TMP, f"out_{os.path.basename(exe)}_{frames}")
        r = run([exe], out, env={"LEAKSCOPE_FRAMES": frames})
        check(r.returncode == 0 and r.stdout == "ok\n", f"{name}, {frames} frames: ran ({r.returncode}, {r.stdout!r})")
        stats = top(out, "--by", "traceback", "--limit", "0")
        figures = [(s["size"], s["count"]) for s in stats]
        paths = [s for s in stats if s["function"] in ("leaf", "varframe", "varframe2", "aligned_frame")]
        if frames == "16":
            for want in sorted(expected):
                n = figures.count(want)
                check(n == 1, f"{name}: one site of {want[0]} B in {want[1]}, found {n} ({sorted(figures)})")
            for s in paths:  # no site mixes blocks of two paths (each path's size is its own)
                check(s["size"] % s["count"] == 0 and s["size"] // s["count"] in (24, 40, 56, 72, 88, 104, 120),
                      f"{name}: a site mixing paths: {s['size']} B in {s['count']}")
        # one frame: the trace is the caller alone (the leaf, or the frame that tail-called
        # malloc), and every path's blocks are there
        total = sum(b for b, _ in expected), sum(c for _, c in expected)
        got = sum(s["size"] for s in paths), sum(s["count"] for s in paths)
        check(got == total, f"{name}, {frames} frames: the paths hold {got}, expected {total}")
done()
PY
