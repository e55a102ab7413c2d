#!/bin/bash
# export_flame.sh — flame graphs of live memory. `export --format collapsed` of real programs
# under the shim: well-formed `root;...;leaf BYTES` lines summing to the snapshot's live bytes
# by `leakscope top`, each leaf's bytes equal to top's by function. The HTML report's icicle
# graph, loaded in headless Chromium (Debian chromium) and dumped as its DOM: the SVG is
# there, its root is the live bytes at the last snapshot, each row's frames fit under their
# parent, the leaking function is drawn, and the page loads nothing from outside itself.
command -v chromium >/dev/null || { echo "skip: chromium not installed"; exit 77; }
exec python3 - <<'PY'
import collections, html, os, re, subprocess, sys
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

def collapsed(d):
    r = subprocess.run([CLI, "export", d, "--format", "collapsed"], capture_output=True, text=True)
    check(r.returncode == 0 and r.stderr == "", f"export collapsed {d}: {r.returncode} {r.stderr}")
    lines = r.stdout.splitlines()
    for line in lines:
        check(re.match(r"^[^;\n]+(;[^;\n]+)* \d+$", line) is not None, f"a collapsed line: {line!r}")
    return [(l.rsplit(" ", 1)[0].split(";"), int(l.rsplit(" ", 1)[1])) for l in lines]

def by_function(stats):
    c = collections.Counter()
    for s in stats:
        c[s["function"]] += s["size"]
    return {k: v for k, v in c.items() if v}

for prog, args in (("exact_alloc", []), ("fx_steady_leak", ["--steps", "300", "--every", "100"])):
    out = os.path.join(TMP, prog)
    run([os.path.join(PROGS, prog), *args], out)
    stacks = collapsed(out)
    stats = top(out, "--by", "function")
    total = sum(s["size"] for s in stats)
    check(sum(b for _, b in stacks) == total and total > 0, f"{prog}: stacks sum {sum(b for _, b in stacks)} == {total}")
    leaves = collections.Counter()
    for frames, b in stacks:
        leaves[frames[-1]] += b
    check(dict(leaves) == by_function(stats), f"{prog}: leaves {dict(leaves)} vs top {by_function(stats)}")
    check(all(f[0] == "_start" for f, _ in stacks), f"{prog}: stacks start at the root")

# the HTML report of the simulator's history leak, rendered by Chromium
out = os.path.join(TMP, "sim")
r = run([os.environ["LS_SIM"], "--leak", "history", "--steps", "1500", "--snapshot-every", "150"], out)
check(r.returncode == 0, f"sim: {r.returncode} {r.stderr[-300:]}")
page = os.path.join(TMP, "report.html")
subprocess.run([CLI, "report", out, "--format", "html", "-o", page], check=True)
src = open(page).read()
check(not re.search(r"<script|src=|href=|url\(", src, re.I), "the report loads nothing from outside")
profile = os.path.join(TMP, "chromium-profile")
dom = subprocess.run(["timeout", "120", "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                      "--disable-background-networking", "--disable-component-update", "--disable-sync",
                      "--user-data-dir=" + profile, "--dump-dom", "file://" + page], capture_output=True, text=True)
check(dom.returncode == 0 and "</html>" in dom.stdout, f"chromium --dump-dom: {dom.returncode} {dom.stderr[-300:]}")
svg = re.search(r'<svg class="flame"[^>]*data-total="(\d+)"[^>]*>(.*?)</svg>', dom.stdout, re.S)
check(svg is not None, "the flame graph is in the rendered DOM")
if svg:
    rep = json.loads(subprocess.run([CLI, "report", out, "--format", "json"], capture_output=True, text=True).stdout)
    live = sum(s["live_bytes"] for s in rep["sites"])
    check(int(svg.group(1)) == live, f"the graph's total {svg.group(1)} == the live bytes {live}")
    rects = [(float(x), float(w), int(b), int(d)) for x, w, b, d in re.findall(
        r'<rect x="([\d.]+)" y="\d+" width="([\d.]+)" height="\d+" fill="[^"]+" data-bytes="(\d+)" data-depth="(\d+)"',
        svg.group(2))]
    check(rects and rects[0][2] == live and rects[0][3] == 0, f"the root frame holds everything: {rects[:1]}")
    rows = collections.defaultdict(int)
    for x, w, b, d in rects:
        rows[d] += b
    check(all(rows[d] <= rows[d - 1] for d in rows if d), f"each row fits under the one above: {dict(rows)}")
    titles = [html.unescape(t) for t in re.findall(r"<title>([^<]*)</title>", svg.group(2))]
    check(any(t.startswith("leak_history_append (") for t in titles), f"the leaking function is drawn: {titles[:12]}")
done()
PY
