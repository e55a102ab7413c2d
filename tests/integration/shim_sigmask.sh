#!/bin/bash
# shim_sigmask.sh — the program's sigprocmask calls keep their meaning under the shim
# (tests/programs/sigmask_calls.c), which answers libunwind's own calls while it walks a
# stack step by step with every signal blocked (shim/unwind.c, hooks.c): same output and
# status as the bare run, from the main thread, a second thread and a signal handler,
# while the program allocates from many new stacks; and the shim really walked (its exit
# snapshot holds the program's sites).
exec python3 - <<'PY'
import os, sys
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

prog = os.path.join(PROGS, "sigmask_calls")
bare = run([prog], shim=False)
expect = ("main: blocked 1, pending 1, delivered 0\n"
          "main: after unblock delivered 1, handler saw SIGUSR2 blocked 1\n"
          "main: SIGUSR2 blocked after the handler 0\n"
          "main: bad how -> -1 EINVAL\n")
check(bare.returncode == 0 and bare.stdout.startswith(expect), f"bare run: {bare.returncode} {bare.stdout!r}")
out = os.path.join(TMP, "sigmask")
r = run([prog], out)
check(r.returncode == 0 and r.stdout == bare.stdout and r.stderr == "",
      f"under the shim: {r.returncode}\n{r.stdout}---bare:\n{bare.stdout}{r.stderr}")
exits = snapshots(out, "*.exit.lss")
check(len(exits) == 1, f"one exit snapshot: {exits}")
done()
PY
