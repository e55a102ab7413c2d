#!/bin/bash
# hostile_threads.sh — 8 threads allocate a million blocks each and free each other's
# blocks (every block freed by a thread other than the one that allocated it): the exit
# snapshot holds exactly what the program holds, per line (through `leakscope top`) and
# per site (allocation counts), and the header's totals agree with the sites.
exec python3 - <<'PY'
import os, struct, sys, time
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

def parse(path):
    """The HEADER totals and each SITE's counters of a snapshot (docs/format.md)."""
    data = open(path, "rb").read()
    off, head, sites = 16, None, []
    while off < len(data):
        tag, ln = struct.unpack_from("<HI", data, off)
        body = data[off + 6: off + 6 + ln]
        if tag == 1:
            f = struct.unpack_from("<18Q", body)
            head = dict(current=f[10], allocs=f[12], frees=f[13], flags=f[15], untracked=f[16])
        elif tag == 4:
            live_bytes, live_count, alloc_count, alloc_bytes, free_count = struct.unpack_from("<5Q", body, 8)
            sites.append(dict(live_bytes=live_bytes, live_count=live_count, alloc_count=alloc_count,
                              alloc_bytes=alloc_bytes, free_count=free_count))
        off += 6 + ln
    return head, sites

THREADS, ROUNDS, SIZE, KEEP_EVERY = 8, 1000000, 48, 10
out = os.path.join(TMP, "threads")
bare = run([os.path.join(PROGS, "threads_alloc"), str(THREADS), str(ROUNDS)], shim=False, timeout=120)
start = time.monotonic()
r = run([os.path.join(PROGS, "threads_alloc"), str(THREADS), str(ROUNDS)], out, timeout=120)
print(f"under the shim: {time.monotonic() - start:.1f} s")
check(r.returncode == 0 and r.stdout == bare.stdout and r.stdout, f"exit {r.returncode}, output {r.stdout!r} vs {bare.stdout!r}")
check(r.stderr == "", "nothing on stderr: " + r.stderr)
files = snapshots(out)
check(len(files) == 1 and files[0].endswith(".exit.lss"), f"one exit snapshot: {files}")
if files:
    stats = top(files[0])
    kept = THREADS * ROUNDS // KEEP_EVERY
    got = figures_at(stats, "threads_alloc.c", "thread_site")
    check(got == (kept * SIZE, kept), f"thread_site: expected {kept * SIZE} B in {kept}, got {got}")
    got = figures_at(stats, "threads_alloc.c", "row_site")
    check(got == (THREADS * ROUNDS * 8, THREADS), f"row_site: {got}")
    got = figures_at(stats, "threads_alloc.c", "table_site")
    check(got == (THREADS * 8, 1), f"table_site: {got}")
    head, sites = parse(files[0])
    # the one site of the threads' blocks: every allocation and every cross-thread free counted
    mine = [s for s in sites if s["alloc_count"] == THREADS * ROUNDS]
    check(len(mine) == 1, f"one site with {THREADS * ROUNDS} allocations: {[s['alloc_count'] for s in sites]}")
    if mine:
        s = mine[0]
        check(s["alloc_bytes"] == THREADS * ROUNDS * SIZE and s["free_count"] == THREADS * ROUNDS - kept
              and s["live_count"] == kept, f"its counters: {s}")
    check(head["current"] == sum(s["live_bytes"] for s in sites),
          f"traced_current {head['current']} = sum of live bytes {sum(s['live_bytes'] for s in sites)}")
    check(head["allocs"] - head["frees"] == sum(s["live_count"] for s in sites),
          f"alloc_calls - free_calls {head['allocs'] - head['frees']} = live blocks {sum(s['live_count'] for s in sites)}")
    check(head["allocs"] == sum(s["alloc_count"] for s in sites) and head["frees"] == sum(s["free_count"] for s in sites),
          "header call counts = sums of the sites' counts")
    check(head["flags"] == 0 and head["untracked"] == 0, f"nothing untracked, tracking never stopped: {head}")
done()
PY
