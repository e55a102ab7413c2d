#!/bin/bash
# hostile_signals.sh — snapshot requests by signal (LEAKSCOPE_SIGNAL=USR2) arriving
# while the program is inside malloc, as fast as a thread can send them (pthread_kill
# at the allocating thread and kill at the process, up to 400000): no crash, no
# deadlock, output and exit status as without the shim; every signal snapshot is
# complete and readable, their figures never go backwards, and the exit snapshot is
# exact. Three runs.
exec python3 - <<'PY'
import os, struct, subprocess, sys
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

M = (1 << 64) - 1

def step(h, w):
    h = ((h ^ w) * 0x100000001b3) & M
    return h ^ (h >> 32)

def verify(path):
    """'' when the file is a complete snapshot (records in bounds, END's site count and
    checksum right: docs/format.md), else what is wrong. Also the HEADER totals."""
    data = open(path, "rb").read()
    if data[:8] != b"LSCOPE\r\n":
        return "bad magic", None
    off, sites, head = 16, 0, None
    while off + 6 <= len(data):
        tag, ln = struct.unpack_from("<HI", data, off)
        if off + 6 + ln > len(data):
            return "record past the end", None
        if tag == 1:
            f = struct.unpack_from("<18Q", data, off + 6)
            head = dict(current=f[10], allocs=f[12], frees=f[13], flags=f[15])
        if tag == 4:
            sites += 1
        if tag == 0xFFFF:
            n, ck = struct.unpack_from("<QQ", data, off + 6)
            body = data[:off] + b"\0" * (-off % 8)
            lanes = [0xcbf29ce484222325 + k for k in range(4)]
            for i, w in enumerate(struct.unpack("<%dQ" % (len(body) // 8), body)):
                lanes[i & 3] = step(lanes[i & 3], w)
            h = 0xcbf29ce484222325
            for l in lanes + [off]:
                h = step(h, l)
            if n != sites or h != ck:
                return "END disagrees (corrupt)", None
            return ("" if off + 6 + ln == len(data) else "bytes after END"), head
        off += 6 + ln
    return "no END (truncated)", None

ROUNDS, KEEP_EVERY, KEEP_SIZE = 1000000, 1000, 24
prog = os.path.join(PROGS, "hostile_signals")
bare = run([prog, str(ROUNDS)], shim=False, timeout=60)
check(bare.returncode == 0 and bare.stdout.startswith("rounds="), f"bare run: {bare.returncode} {bare.stdout!r}")
for attempt in range(3):
    out = os.path.join(TMP, f"sig{attempt}")
    try:
        r = run([prog, str(ROUNDS)], out, env={"LEAKSCOPE_SIGNAL": "USR2"}, timeout=60)
    except subprocess.TimeoutExpired:
        check(False, f"run {attempt}: still running after 60 s (deadlock)")
        continue
    check(r.returncode == 0, f"run {attempt}: exit {r.returncode}: {r.stderr}")
    check(r.stdout == bare.stdout, f"run {attempt}: output {r.stdout!r} vs {bare.stdout!r}")
    lines = r.stderr.splitlines()
    check(len(lines) == 1 and lines[0].startswith("signals sent: "), f"run {attempt}: stderr {r.stderr!r}")
    sent = int(lines[0].split()[-1]) if lines and lines[0].startswith("signals sent: ") else 0
    sigs = snapshots(out, "*.signal.lss")
    exits = snapshots(out, "*.exit.lss")
    print(f"run {attempt}: {sent} signals sent, {len(sigs)} signal snapshots")
    check(sent >= 1000, f"run {attempt}: the sender sent {sent} signals")
    check(len(sigs) >= 5, f"run {attempt}: at least 5 signal snapshots, got {len(sigs)}")
    check(len(exits) == 1, f"run {attempt}: one exit snapshot: {exits}")
    check(not [f for f in os.listdir(out) if not f.endswith(".lss")], f"run {attempt}: no temporary files left")
    bad = [(os.path.basename(f), verify(f)[0]) for f in sigs + exits if verify(f)[0]]
    check(not bad, f"run {attempt}: incomplete snapshots: {bad[:5]}")
    # figures through the analyzer: a sample of signal snapshots (first, last, spread), in order
    sample = sorted(set(sigs[:: max(1, len(sigs) // 6)] + sigs[-1:]))
    kept = [figures_at(top(f), "hostile_signals.c", "kept_site") for f in sample]
    check(all(s == c * KEEP_SIZE for s, c in kept), f"run {attempt}: kept_site bytes = count x {KEEP_SIZE}: {kept}")
    counts = [c for s, c in kept]
    check(counts == sorted(counts) and counts[-1] <= ROUNDS // KEEP_EVERY,
          f"run {attempt}: kept blocks never decrease across snapshots: {counts}")
    if exits:
        st = top(exits[0])
        n = ROUNDS // KEEP_EVERY
        check(figures_at(st, "hostile_signals.c", "kept_site") == (n * KEEP_SIZE, n),
              f"run {attempt}: exit kept_site {figures_at(st, 'hostile_signals.c', 'kept_site')}")
        check(figures_at(st, "hostile_signals.c", "churn_site") == (0, 0), f"run {attempt}: churn freed")
        err, head = verify(exits[0])
        if head:
            check(head["flags"] == 0, f"run {attempt}: tracking never stopped: {head}")
done()
PY
