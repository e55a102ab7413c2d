"""lstest.py — helpers for the integration tests: run programs bare and under the shim,
read figures back through `leakscope top --format json`, and find source lines by the
SITE:<name> markers the test programs carry."""
import glob
import json
import os
import re
import subprocess
import sys

ROOT = os.environ.get("LS_ROOT", os.getcwd())
LIB = os.environ["LS_LIB"]
CLI = os.environ["LS_CLI"]
PROGS = os.environ["LS_PROGS"]
TMP = os.environ["LS_TMP"]

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)
    return cond


def done():
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)
    print("all checks passed")
    sys.exit(0)


def done_or_skip(missing):
    """done(), except that a run with no failed check but tools missing is a skip (77)."""
    if missing and not failures:
        print("not installed (scripts/install-deps.sh --test installs them):", " ".join(missing))
        sys.exit(77)
    done()


def run(cmd, out_dir=None, env=None, shim=True, **kw):
    e = dict(os.environ)
    for k in list(e):
        if k.startswith("LEAKSCOPE_"):
            del e[k]
    if shim:
        e["LD_PRELOAD"] = LIB
        if out_dir:
            e["LEAKSCOPE_OUT"] = out_dir
    else:
        e.pop("LD_PRELOAD", None)
    if env:
        e.update(env)
    try:
        return subprocess.run(cmd, env=e, capture_output=True, text=True, **kw)
    except subprocess.TimeoutExpired as t:  # a hang is a failure like any other: report it
        out = t.stdout.decode(errors="replace") if isinstance(t.stdout, bytes) else (t.stdout or "")
        return subprocess.CompletedProcess(cmd, 124, out, f"timed out after {t.timeout} s")


def site_line(source, name):
    """Line number of the SITE:<name> marker in tests/programs/<source>."""
    path = os.path.join(ROOT, "tests", "programs", source)
    with open(path) as f:
        for i, line in enumerate(f, 1):
            if re.search(r"(/\*|//) SITE:%s\b" % re.escape(name), line):
                return i
    raise KeyError(f"no SITE:{name} in {source}")


def top(snapshot, *args):
    r = subprocess.run([CLI, "top", snapshot, "--format", "json", *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"leakscope top {snapshot} failed: {r.stderr.strip()}")
    return json.loads(r.stdout)["stats"]


def figures_at(stats, source, name):
    """(size, count) charged to the marked line, (0, 0) when absent."""
    line = site_line(source, name)
    for s in stats:
        if s["file"].endswith("/" + source) and s["line"] == line:
            return s["size"], s["count"]
    return 0, 0


def snapshots(out_dir, pattern="*.lss"):
    return sorted(glob.glob(os.path.join(out_dir, pattern)))
