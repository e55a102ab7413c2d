#!/bin/bash
# shim_options.sh — options that must not change the program. LEAKSCOPE_SIGNAL takes only
# USR1, USR2 and real-time signals; any other (PIPE, TERM, HUP, CHLD, ALRM, SYS...) is
# one line on stderr and signal snapshots stay off, so `seq | head` still ends by SIGPIPE
# and a SIGTERM still ends the program. A bad LEAKSCOPE_* value, or a LEAKSCOPE_* variable the
# shim does not know (a typo), is said once per process tree, not by every process of a
# pipeline; programs started apart each say it.
exec python3 - <<'PY'
import os, sys
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

TRUE = "/bin/true"
for v in ("USR1", "USR2", "SIGUSR2", "RTMIN", "RTMIN+3", "RTMAX", "RTMAX-2", "SIGRTMAX", "10", "12", "34", "64"):
    r = run([TRUE], os.path.join(TMP, "accepted"), env={"LEAKSCOPE_SIGNAL": v}, timeout=60)
    check(r.returncode == 0 and r.stderr == "", f"LEAKSCOPE_SIGNAL={v} accepted silently: {r.stderr!r}")
for v in ("PIPE", "TERM", "SIGTERM", "HUP", "CHLD", "ALRM", "SYS", "INT", "QUIT", "WINCH", "URG", "13", "15",
          "33", "RTMIN+31", "RTMAX-31", "RTMIN-1", "KILL"):
    r = run([TRUE], os.path.join(TMP, "refused"), env={"LEAKSCOPE_SIGNAL": v}, timeout=60)
    check(r.returncode == 0 and r.stderr == f"leakscope: LEAKSCOPE_SIGNAL={v} is not USR1, USR2 or a real-time "
          "signal (RTMIN+n, RTMAX-n), which programs leave free; signal snapshots are off\n",
          f"LEAKSCOPE_SIGNAL={v}: one line: {r.stderr!r}")

# PIPE refused: the pipeline ends as it does bare (seq killed by SIGPIPE: 141 with pipefail)
PIPELINE = ["bash", "-c", "set -o pipefail; seq 1 1000000 | head -1"]
bare = run(PIPELINE, shim=False, timeout=60)
r = run(PIPELINE, os.path.join(TMP, "pipe"), env={"LEAKSCOPE_SIGNAL": "PIPE"}, timeout=60)
check(bare.returncode == 141 and r.returncode == 141, f"seq | head: status {bare.returncode} bare, {r.returncode} under the shim")
check(r.stdout == bare.stdout == "1\n", f"seq | head: output {r.stdout!r}")
lines = r.stderr.splitlines()
check(len(lines) == 1 and lines[0].startswith("leakscope: LEAKSCOPE_SIGNAL=PIPE"),
      f"seq | head: one line for the whole pipeline, no write error: {r.stderr!r}")
check({os.path.basename(f).split(".")[0] for f in snapshots(os.path.join(TMP, "pipe"))} == {"bash", "head"},
      f"seq | head: bash and head write their exit snapshots (seq dies of SIGPIPE): {snapshots(os.path.join(TMP, 'pipe'))}")

# TERM refused: a SIGTERM still ends the program
KILLED = ["python3", "-c", "import os, signal; os.kill(os.getpid(), signal.SIGTERM); print('survived')"]
bare = run(KILLED, shim=False, timeout=60)
r = run(KILLED, os.path.join(TMP, "term"), env={"LEAKSCOPE_SIGNAL": "TERM"}, timeout=60)
check(bare.returncode == -15 and r.returncode == -15 and r.stdout == "",
      f"SIGTERM ends the program: {bare.returncode} bare, {r.returncode} {r.stdout!r} under the shim")

# one line per process tree: a shell, its pipeline, a nested shell and its pipeline
TREE = ["bash", "-c", "seq 1 3 | cat; sh -c 'echo x | cat; (echo sub)'; echo done"]
out = os.path.join(TMP, "tree")
bare = run(TREE, shim=False, timeout=60)
r = run(TREE, out, env={"LEAKSCOPE_FRAMES": "0", "LEAKSCOPE_INTERVAL_MS": "soon"}, timeout=60)
check(r.returncode == 0 and r.stdout == bare.stdout == "1\n2\n3\nx\nsub\ndone\n", f"tree: output {r.stdout!r}")
check(r.stderr == "leakscope: LEAKSCOPE_FRAMES=0 is not a number from 1 to 128; using 16\n"
      "leakscope: LEAKSCOPE_INTERVAL_MS=soon is not a number of milliseconds; timer off\n",
      f"tree: each bad value said once for the whole tree: {r.stderr!r}")
progs = sorted(os.path.basename(f).split(".")[0] for f in snapshots(out))
check(progs.count("cat") == 2 and "seq" in progs and "bash" in progs and "dash" in progs,
      f"tree: every process tracked with the defaults: {progs}")
# a variable the shim does not know (a typo) is said like a bad value, once per tree, with the
# name it may have meant; the program runs as bare, its timer off as asked by nothing
r = run(TREE, os.path.join(TMP, "typo"), env={"LEAKSCOPE_INTERVAL": "100", "LEAKSCOPE_OUTDIR": "x",
                                              "LEAKSCOPE_COLOUR": "1"}, timeout=60)
check(r.returncode == 0 and r.stdout == bare.stdout, f"typo: output {r.stdout!r}")
check(sorted(r.stderr.splitlines()) == [
    "leakscope: LEAKSCOPE_COLOUR is not a leakscope variable; ignored (leakscope --help lists them)",
    "leakscope: LEAKSCOPE_INTERVAL is not a leakscope variable; ignored (did you mean LEAKSCOPE_INTERVAL_MS?)",
    "leakscope: LEAKSCOPE_OUTDIR is not a leakscope variable; ignored (did you mean LEAKSCOPE_OUT?)"],
    f"typo: each unknown variable said once for the whole tree: {r.stderr!r}")
for known in ("LEAKSCOPE_SEED", "LEAKSCOPE_LIB", "LEAKSCOPE_SCAN"):
    r = run([TRUE], os.path.join(TMP, "known"), env={known: "1"}, timeout=60)
    check(r.stderr == "", f"{known} is known: {r.stderr!r}")
# programs started apart (their parent is not under the shim) each say it
for k in range(2):
    r = run([TRUE], os.path.join(TMP, "apart"), env={"LEAKSCOPE_FRAMES": "0"}, timeout=60)
    check(r.stderr.count("leakscope: LEAKSCOPE_FRAMES=0") == 1, f"started apart {k}: said: {r.stderr!r}")
done()
PY
