#!/bin/bash
# inline_frames.sh — an inlined function is a frame above its caller, not in its place
# (issue 14, part 3). tests/programs/inline_wrappers calls glibc's getline from two
# functions and an always-inline helper of its own (make_label) from two others. Built with
# -O2 here (getline is then bits/stdio.h's inline wrapper of __getdelim, checked with
# objdump) and with the Makefile's -fno-inline (getline is libc's), the report must show:
#   - getline as a frame directly above the calling function at the line of the call, and
#     that caller as the location (a system header's inline wrapper is a wrapper, like
#     libc's own getline): the two callers are two locations;
#   - make_label (the program's own code) as the location, marked inlined at -O2 and
#     always, with the caller that it was inlined into, at the line of the call, as the next
#     frame: two stacks of one location, told apart by that frame;
# in JSON, text, `top` and the collapsed export. Env: LS_LIB LS_CLI LS_PROGS LS_TMP LS_ROOT.
exec python3 - <<'PY'
import os, re, subprocess, sys
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

SRC = "inline_wrappers.c"
prog_fno = os.path.join(PROGS, "inline_wrappers")
if not os.path.exists(prog_fno):
    print("skip: %s not built" % prog_fno); sys.exit(77)
prog_o2 = os.path.join(TMP, "inline_wrappers_O2")
cc = subprocess.run(["cc", "-std=gnu11", "-O2", "-g", "-D_GNU_SOURCE", "-I" + os.path.join(ROOT, "include"), "-o", prog_o2,
                     os.path.join(ROOT, "tests/programs", SRC)], capture_output=True, text=True)
if not check(cc.returncode == 0, "cc -O2 %s: %s" % (SRC, cc.stderr[-300:])):
    done()
# The premise: at -O2 glibc's getline is inlined (the program calls __getdelim itself).
dis = subprocess.run(["objdump", "-d", prog_o2], capture_output=True, text=True).stdout
check("<__getdelim@plt>" in dis and "<getline@plt>" not in dis, "-O2: getline is not inlined, the test proves nothing")

L = {k: site_line(SRC, k) for k in ("names_getline", "values_getline", "label_malloc", "label_users_call", "label_groups_call")}


def mine(fr):
    return fr["file"].endswith("/" + SRC)


def below(frames, i, fn, line):
    """frames[i + 1] is `fn` at inline_wrappers.c:line."""
    return i + 1 < len(frames) and frames[i + 1]["function"] == fn and mine(frames[i + 1]) and frames[i + 1]["line"] == line


def check_getline(build, rep, caller, key, count):
    sites = [s for s in rep["sites"] if s["function"] == caller and mine(s) and s["line"] == L[key] and s["live_count"] == count]
    if not check(len(sites) == 1, "%s: one site at %s:%d holding %d lines, got %d" % (build, caller, L[key], count, len(sites))):
        return
    fr = sites[0]["frames"]
    if build == "O2":
        i = next((k for k, f in enumerate(fr) if f["function"] == "getline"), None)
        check(i is not None and below(fr, i, caller, L[key]) and fr[i].get("inlined") is True and fr[i]["file"].endswith("bits/stdio.h"),
              "%s: getline (inlined, bits/stdio.h) directly above %s:%d: %s" % (build, caller, L[key], fr[:5]))
    else:  # libc's getline tail-calls __getdelim: the frame above the caller is libc's
        i = next((k for k, f in enumerate(fr) if mine(f)), 0) - 1
        check(i >= 0 and "libc.so" in fr[i]["module"] and below(fr, i, caller, L[key]),
              "%s: libc's frame directly above %s:%d: %s" % (build, caller, L[key], fr[:5]))


def check_label(build, rep, caller, key, count):
    sites = [s for s in rep["sites"] if s["function"] == "make_label" and mine(s) and s["line"] == L["label_malloc"]
             and s["live_count"] == count]
    if not check(len(sites) == 1, "%s: one make_label site of %d labels, got %d" % (build, count, len(sites))):
        return None
    s = sites[0]
    check(s["live_bytes"] == 40 * count, "%s: %s's labels: %s B" % (build, caller, s["live_bytes"]))
    fr = s["frames"]
    i = next((k for k, f in enumerate(fr) if f["function"] == "make_label"), None)
    check(i is not None and fr[i]["line"] == L["label_malloc"] and fr[i].get("inlined") is True and below(fr, i, caller, L[key]),
          "%s: make_label (inlined) directly above %s:%d: %s" % (build, caller, L[key], [(f["function"], f["line"], f.get("inlined")) for f in fr[:4]]))
    return s["id"]


for build, prog in (("O2", prog_o2), ("fno-inline", prog_fno)):
    out = os.path.join(TMP, "iw-" + build)
    r = run([prog], out)
    if not check(r.returncode == 0 and r.stdout == "3 5 7 11\n", "%s: ran: %d %r %s" % (build, r.returncode, r.stdout, r.stderr)):
        continue
    rj = subprocess.run([CLI, "report", out, "--format", "json"], capture_output=True, text=True)
    rt = subprocess.run([CLI, "report", out], capture_output=True, text=True)
    if not check(rj.returncode == 0 and rt.returncode == 0, "%s: report: %s%s" % (build, rj.stderr, rt.stderr)):
        continue
    rep = json.loads(rj.stdout)
    check_getline(build, rep, "read_names", "names_getline", 3)
    check_getline(build, rep, "read_values", "values_getline", 5)
    check(not any(s["function"] == "getline" for s in rep["sites"]), "%s: getline is nobody's location" % build)
    ids = [check_label(build, rep, "label_users", "label_users_call", 7), check_label(build, rep, "label_groups", "label_groups_call", 11)]
    locs = [l for l in rep["locations"] if l["function"] == "make_label" and l["line"] == L["label_malloc"]]
    check(len(locs) == 1 and sorted(locs[0]["stack_ids"]) == sorted(i for i in ids if i is not None),
          "%s: make_label is one location of the two stacks: %s" % (build, locs))
    check(not any(l["function"] in ("read_names", "read_values") and l["line"] in (L["names_getline"], L["values_getline"])
                  and len(l["stack_ids"]) > 2 for l in rep["locations"]), "%s: the getline callers stay apart" % build)
    txt = rt.stdout
    for want in ("via label_users:%d" % L["label_users_call"], "via label_groups:%d" % L["label_groups_call"]):
        check(want in txt, "%s: text report lacks %r" % (build, want))
    check(re.search(r"read_names \(\S*%s:%d\)" % (SRC, L["names_getline"]), txt) and
          re.search(r"read_values \(\S*%s:%d\)" % (SRC, L["values_getline"]), txt), "%s: text report: the getline callers' locations" % build)
    # top, by line: each caller's line holds its own figures
    snap = snapshots(out)[-1]
    stats = top(snap)
    check(figures_at(stats, SRC, "label_malloc") == (40 * 18, 18), "%s: top: make_label's line: %s" % (build, figures_at(stats, SRC, "label_malloc")))
    check(figures_at(stats, SRC, "names_getline")[1] == 3 and figures_at(stats, SRC, "values_getline")[1] == 5,
          "%s: top: the getline callers' lines: %s %s" % (build, figures_at(stats, SRC, "names_getline"), figures_at(stats, SRC, "values_getline")))
    # collapsed stacks: root first, from the location frame; the caller is kept under the leaf
    col = os.path.join(TMP, "iw-%s.collapsed" % build)
    e = subprocess.run([CLI, "export", snap, "--format", "collapsed", "-o", col], capture_output=True, text=True)
    if check(e.returncode == 0, "%s: export collapsed: %s" % (build, e.stderr)):
        lines = open(col).read().splitlines()
        for want in (r";main;label_users;make_label 280$", r";main;label_groups;make_label 440$", r";main;read_names \d+$",
                     r";main;read_values \d+$"):
            check(any(re.search(want, l) for l in lines), "%s: collapsed lacks %s: %s" % (build, want, lines))
done()
PY
