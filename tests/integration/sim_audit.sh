#!/bin/bash
# sim_audit.sh — the simulator's fault modes measured through the shim: each grows by
# exactly the bytes per step (history), per cycle (instance, cycle) or once (warmup) that
# docs/sim.md gives, truncate stays within its bound, none holds nothing new; and the
# default gate fails history, instance and cycle and passes none, warmup and truncate —
# for every controller.
exec python3 - <<'PY'
import json, os, re, subprocess, sys
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

SIM = os.environ["LS_SIM"]

def step_of(snapshot):
    head = subprocess.run([CLI, "top", snapshot], capture_output=True, text=True).stdout.splitlines()[0]
    return int(re.search(r", step (\d+),", head).group(1))

def bytes_in(snapshot, function):
    return sum(s["size"] for s in top(snapshot, "--by", "function") if s["function"] == function)

def gate(out):
    return subprocess.run([CLI, "gate", out], capture_output=True, text=True).returncode

controllers = ["classical_smc", "sta_smc", "adaptive_smc", "hybrid_adaptive_sta_smc"]
for c in controllers:
    runs = {}
    for mode, args in (("none", []), ("history", ["--steps", "3000", "--snapshot-every", "500"]),
                       ("warmup", ["--steps", "5000", "--snapshot-every", "500"]),
                       ("truncate", ["--steps", "3000", "--snapshot-every", "250"]),
                       ("instance", ["--cycles", "40", "--steps", "300", "--snapshot-every", "2"]),
                       ("cycle", ["--cycles", "40", "--steps", "300", "--snapshot-every", "2"])):
        out = os.path.join(TMP, f"{c}.{mode}")
        r = run([SIM, "--controller", c, "--leak", mode, *args], out, timeout=300)
        check(r.returncode == 0, f"{c} {mode}: sim exit {r.returncode}: {r.stderr[-300:]}")
        runs[mode] = out
    snaps = {m: [f for f in snapshots(o) if not f.endswith(".exit.lss")] for m, o in runs.items()}

    # history: 72 bytes per step, exactly, between any two snapshots
    h = snaps["history"]
    a, b = h[1], h[-1]
    grown = bytes_in(b, "leak_history_append") - bytes_in(a, "leak_history_append")
    steps = step_of(b) - step_of(a)
    check(steps > 0 and grown == 72 * steps, f"{c} history: {grown} B over {steps} steps (want 72/step)")

    # instance and cycle: exact bytes per create/destroy cycle
    for mode, funcs, per in (("instance", ["leak_instance_workspace_alloc"], 14336),
                             ("cycle", ["controller_block_alloc", "sim_dynamics_create"], None)):
        s = snaps[mode]
        a, b = s[0], s[-1]
        grown = sum(bytes_in(b, f) - bytes_in(a, f) for f in funcs)
        cycles = step_of(b) - step_of(a)
        if per is None:  # the controller's block (its size depends on the controller) + the dynamics block
            per_ctrl = [x for x in top(b, "--by", "function") if x["function"] == "controller_block_alloc"][0]
            per_dyn = [x for x in top(b, "--by", "function") if x["function"] == "sim_dynamics_create"][0]
            per = per_ctrl["size"] // per_ctrl["count"] + per_dyn["size"] // per_dyn["count"]
            check(per_dyn["size"] // per_dyn["count"] == 136, f"{c} cycle: dynamics block {per_dyn}")
            check(per_ctrl["size"] % per_ctrl["count"] == 0 and per_ctrl["size"] // per_ctrl["count"] >= 64400,
                  f"{c} cycle: controller block {per_ctrl}")
        check(cycles > 0 and grown == per * cycles, f"{c} {mode}: {grown} B over {cycles} cycles (want {per}/cycle)")

    # warmup: 242400 bytes once, then flat
    w = snaps["warmup"]
    late = [f for f in w if step_of(f) >= 1000]
    vals = {bytes_in(f, "leak_warmup_cache_fill") for f in late}
    check(vals == {242400}, f"{c} warmup: after the warm-up the cache holds {sorted(vals)} (want 242400 throughout)")

    # truncate: bounded between 24000 and 48000 bytes once the list has filled
    t = [f for f in snaps["truncate"] if step_of(f) >= 1000]
    vals = [bytes_in(f, "leak_truncate_append") for f in t]
    check(vals and all(24000 <= v <= 48000 for v in vals), f"{c} truncate: {vals[:8]}...")

    # none: nothing from the fault functions, and no site keeps growing
    n = snaps["none"]
    fault_funcs = ("leak_history_append", "leak_warmup_cache_fill", "leak_truncate_append",
                   "leak_instance_workspace_alloc")
    check(all(bytes_in(n[-1], f) == 0 for f in fault_funcs), f"{c} none: a fault function holds memory")

    # the default gate
    for mode, want in (("none", 0), ("warmup", 0), ("truncate", 0), ("history", 1), ("instance", 1), ("cycle", 1)):
        got = gate(runs[mode])
        check(got == want, f"{c} {mode}: default gate exit {got}, want {want}")
done()
PY
