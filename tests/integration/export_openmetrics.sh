#!/bin/bash
# export_openmetrics.sh — `export --format openmetrics` read by the real consumer, promtool
# (Debian prometheus): `promtool check metrics` accepts the committed series
# (tests/golden/series) and real runs under the shim; the figures equal `leakscope report`'s;
# cardinality follows --top; label values with a quote, a backslash and UTF-8 (from a program
# built from such a path) are escaped and read back; the alert rules of docs/fleet.md pass
# `promtool check rules`, and `promtool test rules` fires the leak alert on the exported
# series of a real leaking program.
command -v promtool >/dev/null || { echo "skip: promtool (prometheus) not installed"; exit 77; }
exec python3 - <<'PY'
import os, re, shutil, subprocess, sys
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

SEV = {"none": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
LINE = re.compile(r'^(\w+)\{((?:[a-z]+="(?:[^"\\]|\\.)*",?)*)\} (\S+)$')

def unescape(v):
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1), v)

def parse(text):
    """[(name, {label: value}, float)] of the exposition, label values unescaped."""
    out = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = LINE.match(line)
        check(m is not None, f"a sample line: {line!r}")
        if m:
            labels = {k: unescape(v) for k, v in re.findall(r'([a-z]+)="((?:[^"\\]|\\.)*)"', m.group(2))}
            out.append((m.group(1), labels, float(m.group(3))))
    return out

def export(d, *extra):
    path = os.path.join(TMP, os.path.basename(d) + ".prom")
    r = subprocess.run([CLI, "export", d, "--format", "openmetrics", "-o", path, *extra], capture_output=True, text=True)
    check(r.returncode == 0 and r.stderr == "", f"export {d}: {r.returncode} {r.stderr}")
    c = subprocess.run(["promtool", "check", "metrics"], stdin=open(path), capture_output=True, text=True)
    check(c.returncode == 0 and c.stdout == "" and c.stderr == "", f"promtool check metrics {d}: {c.stdout}{c.stderr}")
    return open(path).read()

def report(d):
    return json.loads(subprocess.run([CLI, "report", d, "--format", "json"], capture_output=True, text=True).stdout)

# the committed series: two processes, every pattern
golden = os.path.join(ROOT, "tests/golden/series")
samples = parse(export(golden))
names = {n for n, _, _ in samples}
for n in ("leakscope_traced_bytes", "leakscope_peak_traced_bytes", "leakscope_gate_failed", "leakscope_site_live_bytes",
          "leakscope_site_growth_bytes_per_step", "leakscope_site_severity"):
    check(n in names, f"golden: family {n}")
check(len({(n, tuple(sorted(l.items()))) for n, l, _ in samples}) == len(samples), "golden: no repeated label set")
small = parse(export(golden, "--top", "0"))
pids = {l["pid"] for _, l, _ in samples}
for pid in pids:
    leaks = [l for n, l, v in small if n == "leakscope_site_severity" and l["pid"] == pid]
    check(all(l["pattern"] == "leak" or l["pattern"] == "inconclusive" for l in leaks),
          f"--top 0: only growing sites for pid {pid}: {leaks}")

# a real leaking program: the figures are report's
out = os.path.join(TMP, "steady")
run([os.path.join(PROGS, "fx_steady_leak"), "--steps", "400", "--every", "50"], out)
text = export(out)
samples = parse(text)
rep = report(out)
site = [s for s in rep["sites"] if s["pattern"] == "leak"][0]
got = {n: (l, v) for n, l, v in samples if n.startswith("leakscope_site") and l["function"] == site["function"]}
check(got["leakscope_site_live_bytes"][1] == site["live_bytes"], f"live bytes {got['leakscope_site_live_bytes']} vs {site['live_bytes']}")
check(got["leakscope_site_severity"][1] == SEV[site["severity"]] >= 2, f"severity {got['leakscope_site_severity']} vs {site['severity']}")
check(abs(got["leakscope_site_growth_bytes_per_step"][1] - site["bytes_per_step"]) <= 1e-6 * abs(site["bytes_per_step"]),
      f"growth per step {got['leakscope_site_growth_bytes_per_step']} vs {site['bytes_per_step']}")
traced = [v for n, l, v in samples if n == "leakscope_traced_bytes"]
check(traced == [rep["traced_bytes"]], f"traced bytes {traced} vs {rep['traced_bytes']}")
check([v for n, l, v in samples if n == "leakscope_gate_failed"] == [1.0 if rep["verdict"] == "fail" else 0.0], "gate_failed")

r = subprocess.run([CLI, "export", out, "--format", "openmetrics", "--pid", "1"], capture_output=True, text=True)
check(r.returncode == 2 and r.stderr.count("\n") == 1 and "--pid" in r.stderr, f"--pid with openmetrics: {r.stderr!r}")

# label escaping: a program built from a path with a quote, a backslash and UTF-8
weird = os.path.join(TMP, 'we"ird\\dir é')
os.makedirs(weird)
src = os.path.join(weird, "leak.c")
shutil.copy(os.path.join(ROOT, "tests/programs/fx_steady_leak.c"), src)
shutil.copy(os.path.join(ROOT, "tests/programs/fx_common.h"), weird)
cc = subprocess.run(["cc", "-O1", "-g", "-fno-inline", "-I" + os.path.join(ROOT, "include"), "-o",
                     os.path.join(weird, "leak"), src], capture_output=True, text=True)
check(cc.returncode == 0, "cc: " + cc.stderr)
out = os.path.join(TMP, "weird")
run([os.path.join(weird, "leak"), "--steps", "300", "--every", "50"], out)
samples = parse(export(out))
files = {l["file"] for n, l, _ in samples if n == "leakscope_site_live_bytes"}
check(src in files, f"the file label reads back as {src!r}: {files}")

# the alert rules of docs/fleet.md: valid, and the leak alert fires on the exported series
doc = open(os.path.join(ROOT, "docs/fleet.md")).read()
rules = re.search(r"<!-- leakscope-rules.yml: begin -->\n```yaml\n(.*?)```\n<!-- leakscope-rules.yml: end -->", doc, re.S)
check(rules is not None, "docs/fleet.md has the rule file")
rule_file = os.path.join(TMP, "leakscope-rules.yml")
open(rule_file, "w").write(rules.group(1))
r = subprocess.run(["promtool", "check", "rules", rule_file], capture_output=True, text=True)
check(r.returncode == 0 and "SUCCESS: 2 rules found" in r.stdout, f"promtool check rules: {r.stdout}{r.stderr}")
sev = [line for line in text.splitlines() if line.startswith("leakscope_site_severity{") and 'pattern="leak"' in line][0]
series, value = sev.rsplit(" ", 1)
labels = dict(parse(sev)[0][1], instance="host1:9100")
series = series.replace("{", '{instance="host1:9100",', 1)
def fill(template):
    return re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: labels[m.group(1)], template).replace("{{ $value }}", value)
ann = dict(re.findall(r'^\s+(summary|description): "(.*)"$', rules.group(1), re.M)[:2])
test = {"rule_files": [rule_file], "evaluation_interval": "1m", "tests": [{
    "interval": "1m",
    "input_series": [{"series": series, "values": f"{value}x30"}],
    "alert_rule_test": [
        {"eval_time": "5m", "alertname": "LeakscopeMemoryLeak", "exp_alerts": []},
        {"eval_time": "15m", "alertname": "LeakscopeMemoryLeak", "exp_alerts": [{
            "exp_labels": dict(labels, severity="warning"),
            "exp_annotations": {k: fill(v) for k, v in ann.items()}}]}]}]}
test_file = os.path.join(TMP, "rules-test.yml")
open(test_file, "w").write(json.dumps(test))  # JSON is YAML
r = subprocess.run(["promtool", "test", "rules", test_file], capture_output=True, text=True)
check(r.returncode == 0 and "SUCCESS" in r.stdout, f"promtool test rules: {r.stdout}{r.stderr}")
done()
PY
