#!/bin/bash
# export_watch.sh — `leakscope watch` on a real service running under the shim with timer
# snapshots (LEAKSCOPE_INTERVAL_MS): while its directory grows, watch rewrites a metrics file
# that promtool accepts and that names the running process; once the service has ended, one
# more round writes exactly what `export --format openmetrics` writes, with the leak's live
# bytes equal to what the service says it holds. A directory that cannot be read leaves the
# last good file in place and is reported once; bad options exit 2. Rounds are bounded with
# --count, and the test waits for files to appear (a polled condition), never for a time.
command -v promtool >/dev/null || { echo "skip: promtool (prometheus) not installed"; exit 77; }
exec python3 - <<'PY'
import os, re, subprocess, sys, time
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

out = os.path.join(TMP, "service")
prom = os.path.join(TMP, "textfile", "leakscope.prom")
os.makedirs(os.path.dirname(prom))
env = dict(os.environ, LD_PRELOAD=LIB, LEAKSCOPE_OUT=out, LEAKSCOPE_INTERVAL_MS="20")
svc = subprocess.Popen([os.path.join(PROGS, "export_service")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                       env=env, text=True)

def wait_for_snapshots(n, label):
    """Polls (at most 60 s) until the directory holds n snapshots with `label`."""
    for _ in range(6000):
        if len(snapshots(out, f"*.{label}.lss")) >= n:
            return True
        time.sleep(0.01)
    return False

def promtool_ok(path):
    r = subprocess.run(["promtool", "check", "metrics"], stdin=open(path), capture_output=True, text=True)
    check(r.returncode == 0 and r.stdout == "" and r.stderr == "", f"promtool check metrics {path}: {r.stdout} {r.stderr}")

for i in range(40):
    svc.stdin.write(f"GET /item/{i}\n")
svc.stdin.flush()
check(wait_for_snapshots(3, "timer"), "the service writes timer snapshots")
r = subprocess.run([CLI, "watch", out, "--openmetrics", prom, "--every", "0.05", "--count", "4"],
                   capture_output=True, text=True, timeout=120)
check(r.returncode == 0 and r.stderr == "", f"watch while the service runs: exit {r.returncode}: {r.stderr}")
promtool_ok(prom)
text = open(prom).read()
check(f'leakscope_traced_bytes{{program="export_service",pid="{svc.pid}"}}' in text, "the running service's series:\n" + text)
check(not [f for f in os.listdir(os.path.dirname(prom)) if f != "leakscope.prom"], "no temporary file left beside it")

for i in range(40, 100):
    svc.stdin.write(f"POST /item/{i}\n")
svc.stdin.close()
said = svc.stdout.read()
check(svc.wait(timeout=60) == 0, "the service exits 0")
held = int(re.search(r"held (\d+)", said).group(1))
r = subprocess.run([CLI, "watch", out, "--openmetrics", prom, "--count", "1"], capture_output=True, text=True)
check(r.returncode == 0, f"watch --count 1: {r.stderr}")
exported = subprocess.run([CLI, "export", out, "--format", "openmetrics"], capture_output=True, text=True).stdout
text = open(prom).read()
check(text == exported, "watch writes what export writes")
promtool_ok(prom)
live = sum(float(v) for v in re.findall(r'^leakscope_site_live_bytes\{[^}]*function="remember",file="[^"]*export_service\.c"'
                                         r'[^}]*\} (\S+)$', text, re.M))
check(live == held, f"live bytes of the log's sites {live} == {held} the service holds")
check("leakscope_site_growth_bytes_per_second{" in text, "a service that marks no steps: growth per second")

# a directory that cannot be read: the last good file stays, one line however many rounds
r = subprocess.run([CLI, "watch", os.path.join(TMP, "missing"), "--openmetrics", prom, "--every", "0.01",
                    "--count", "3"], capture_output=True, text=True)
check(r.returncode == 2 and r.stderr.count("\n") == 1 and "missing" in r.stderr,
      f"missing directory: exit {r.returncode}, stderr {r.stderr!r}")
check(open(prom).read() == text, "the last good metrics file is kept")
for args, pat in ((["--every", "0"], "--every"), ([], "--openmetrics FILE is required"),
                  (["--count", "x"], "--count"), (["--bogus"], "unknown option")):
    cmd = [CLI, "watch", out] + ([] if not args else ["--openmetrics", prom]) + args
    r = subprocess.run(cmd, capture_output=True, text=True)
    check(r.returncode == 2 and r.stderr.count("\n") == 1 and pat in r.stderr, f"watch {args}: {r.returncode} {r.stderr!r}")
done()
PY
