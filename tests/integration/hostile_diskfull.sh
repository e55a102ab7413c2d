#!/bin/bash
# hostile_diskfull.sh — the output file system fills up (a 32 KiB tmpfs; skipped when it
# cannot be mounted): a snapshot that does not fit is dropped whole (no partial or
# temporary file left), the shim says so in exactly one line and stops, earlier
# snapshots stay intact, and the program's output and exit status are unchanged; the
# same when the file system is full from the start.
exec python3 - <<'PY'
import os, subprocess, sys
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

fs = os.path.join(TMP, "fs")
os.makedirs(fs)
m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32k,mode=0700", "tmpfs", fs], capture_output=True, text=True)
if m.returncode != 0:
    print("skip: cannot mount a small tmpfs (needs root):", m.stderr.strip())
    sys.exit(77)
prog = os.path.join(PROGS, "hostile_failures")
try:
    # room for a small snapshot, not for one with a thousand sites
    out = os.path.join(fs, "out")
    bare = run([prog, "sites"], shim=False, timeout=60)
    r = run([prog, "sites"], out, timeout=60)
    check(bare.returncode == 6 and r.returncode == 6, f"sites: exit status 6: bare {bare.returncode}, shim {r.returncode}")
    check(r.stdout == bare.stdout == "sites: done\n", f"sites: output {r.stdout!r}")
    lines = r.stderr.splitlines()
    check(len(lines) == 1 and lines[0].startswith("leakscope: ") and "No space left on device" in lines[0],
          f"sites: one line saying the disk is full: {r.stderr!r}")
    names = sorted(os.listdir(out)) if os.path.isdir(out) else []
    check(len(names) == 1 and names[0].endswith(".000001.small.lss"),
          f"sites: only the small snapshot, no partial or temporary file: {names}")
    if names:
        got = figures_at(top(os.path.join(out, names[0])), "hostile_failures.c", "small_site")
        check(got == (100, 1), f"sites: the small snapshot is intact: {got}")

    # full from the start: the first snapshot already fails
    subprocess.run(["rm", "-rf", out])
    fd = os.open(os.path.join(fs, "filler"), os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, b"\0" * 4096) > 0:
            pass
    except OSError:
        pass
    os.close(fd)
    out = os.path.join(fs, "out2")
    bare = run([prog, "snapshots"], shim=False, timeout=60)
    r = run([prog, "snapshots"], out, timeout=60)
    check(bare.returncode == 6 and r.returncode == 6 and r.stdout == bare.stdout == "snapshots: done\n",
          f"full: exit {r.returncode}, output {r.stdout!r}")
    lines = r.stderr.splitlines()
    check(len(lines) == 1 and lines[0].startswith("leakscope: "), f"full: one line: {r.stderr!r}")
    left = os.listdir(out) if os.path.isdir(out) else []
    check(left == [], f"full: nothing left in the output directory: {left}")
finally:
    subprocess.run(["umount", fs])
done()
PY
