#!/bin/bash
# scan_hostile.sh — the reachability scan at exit (issue 13) in hostile exits
# (tests/programs/scan_hostile.c): exit while 8 threads allocate (threads starting and
# ending during the stop), exit from a signal handler, exit() inside an atexit handler,
# _exit (an exit snapshot without a scan: a forked child that _exits would see
# blocks that only its parent's other threads held as lost; no hang), a fork child exiting, a 2 GiB live heap. Each: output,
# stderr and exit status as without the shim, within a time limit, and the lost blocks
# exactly those the program lost (1000 B each from lose(); 1 MiB each from big_alloc).
exec python3 - <<'PY'
import json, os, subprocess, sys
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

prog = os.path.join(PROGS, "scan_hostile")

def lost(out):
    """[(pid, {function: (direct bytes, direct count, indirect count)})] per process."""
    r = subprocess.run([CLI, "report", out, "--format", "json"], capture_output=True, text=True)
    if r.returncode != 0:
        return None
    d = json.loads(r.stdout)
    res = []
    for p in d.get("processes") or [d]:
        f = {}
        for s in p["sites"]:
            if "direct_leak_bytes" not in s:
                return None
            v = f.get(s["function"], (0, 0, 0))
            f[s["function"]] = (v[0] + s["direct_leak_bytes"], v[1] + s["direct_leak_count"], v[2] + s["indirect_leak_count"])
        res.append((p["pid"], f))
    return res

CASES = [  # args, exit status, expected per process in start order: {function: figures}
    (["threads"], 0, [{"lose": (3000, 3, 0), "worker_alloc": (0, 0, 0), "short_lived": (0, 0, 0)}]),
    (["signal"], 7, [{"lose": (2000, 2, 0)}]),
    (["atexit"], 9, [{"lose": (1000, 1, 0)}]),
    (["_exit"], 6, None),
    (["fork"], 0, [{"lose": (3000, 3, 0)}, {"lose": (2000, 2, 0)}]),
    (["bigheap", "2048"], 0, [{"lose": (1000, 1, 0), "big_alloc": (4 << 20, 4, 0)}]),
]
for args, status, want in CASES:
    tag = " ".join(args)
    out = os.path.join(TMP, args[0])
    bare = run([prog, *args], shim=False, timeout=120)
    r = run([prog, *args], out, timeout=120)
    check(bare.returncode == status, f"{tag}: bare exit {bare.returncode}, expected {status}")
    check((r.returncode, r.stdout, r.stderr) == (bare.returncode, bare.stdout, bare.stderr),
          f"{tag}: under the shim {r.returncode} {r.stdout!r} {r.stderr!r}, bare {bare.returncode} {bare.stdout!r} {bare.stderr!r}")
    files = snapshots(out)
    if want is None:
        check(len(files) == 1 and files[0].endswith(".exit.lss"), f"{tag}: one exit snapshot after _exit: {files}")
        check(lost(out) is None, f"{tag}: the _exit snapshot carries no scan")
        continue
    check(len(files) == len(want) and all(f.endswith(".exit.lss") for f in files), f"{tag}: exit snapshots {files}")
    got = lost(out)
    if not check(got is not None and len(got) == len(want), f"{tag}: every exit snapshot carries a scan: {got}"):
        continue
    for (pid, figs), w in zip(got, want):
        for fn, fig in w.items():
            check(figs.get(fn, (0, 0, 0)) == fig, f"{tag}: pid {pid}: {fn}: expected {fig}, got {figs.get(fn)}")
done()
PY
