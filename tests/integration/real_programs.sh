#!/bin/bash
# real_programs.sh — programs nobody here wrote, bare and under the shim: the same
# output and exit status, nothing from leakscope on stderr, and an exit snapshot from
# every program involved, each carrying a completed reachability scan (issue 13, on by
# default). A program missing from the machine is skipped with a message.
exec python3 - <<'PY'
import hashlib, os, shutil, struct, sys
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

skipped = []

def have(*progs):
    missing = [p for p in progs if not shutil.which(p)]
    if missing:
        skipped.append(" ".join(missing))
        print("skip (not installed):", " ".join(missing))
    return not missing

def has_scan(path):
    """The snapshot holds a LEAKS record (tag 5, docs/format.md)."""
    b = open(path, "rb").read()
    pos = 16
    while pos + 6 <= len(b):
        tag, length = struct.unpack_from("<HI", b, pos)
        if tag == 5:
            return True
        pos += 6 + length
    return False


def same(name, script, cwd_bare, cwd_shim, expect_progs, normalise=lambda s: s, env=None):
    """Run `script` (bash) bare in cwd_bare and under the shim in cwd_shim."""
    out = os.path.join(TMP, "out-" + name)
    b = run(["bash", "-c", script], shim=False, cwd=cwd_bare, env=env, timeout=600)
    s = run(["bash", "-c", script], out, cwd=cwd_shim, env=env, timeout=600)
    check(b.returncode == s.returncode, f"{name}: exit status {b.returncode} bare, {s.returncode} under the shim")
    check(normalise(b.stdout) == normalise(s.stdout), f"{name}: stdout differs:\n{b.stdout[-600:]}\n---\n{s.stdout[-600:]}")
    check(normalise(b.stderr) == normalise(s.stderr), f"{name}: stderr differs:\n{b.stderr[-600:]}\n---\n{s.stderr[-600:]}")
    check("leakscope:" not in s.stderr, f"{name}: leakscope complained: {s.stderr[-300:]}")
    names = [os.path.basename(f) for f in snapshots(out, "*.exit.lss")]
    progs = {n.split(".")[0] for n in names}
    for p in expect_progs:
        check(any(p in q for q in progs), f"{name}: no exit snapshot from {p} (have {sorted(progs)})")
    # issue 13: every exit snapshot carries a completed reachability scan (a LEAKS record)
    for f in snapshots(out, "*.exit.lss")[:50]:
        check(has_scan(f), f"{name}: {os.path.basename(f)} carries no reachability scan")
    # every snapshot is readable by the analyzer
    for f in snapshots(out)[:50]:
        try:
            top(f)
        except Exception as e:
            check(False, f"{name}: unreadable snapshot {f}: {e}")
    print(f"{name}: same output and status ({b.returncode}), {len(names)} process snapshots")
    sys.stdout.flush()

def dirs(name):
    a, b = os.path.join(TMP, name + "-bare"), os.path.join(TMP, name + "-shim")
    os.makedirs(a); os.makedirs(b)
    return a, b

if have("git"):
    a, b = dirs("git")
    env = {"GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e", "HOME": TMP, "GIT_CONFIG_NOSYSTEM": "1"}
    same("git", """set -e
git init -q -b main repo && cd repo
for i in $(seq 1 40); do seq 1 $((i * 50)) > f$i.txt; done
git add . && git commit -q -m first && git log --format='%H %s'
for i in $(seq 1 40); do echo change >> f$i.txt; done
git commit -qam second && git log --format='%H %s' && git gc -q && git count-objects -v | grep -v size
git diff HEAD~1 --stat | tail -1""", a, b, ["git"], env=env)

if have("make", "gcc"):
    a, b = dirs("make")
    for d in (a, b):
        for i in range(6):
            open(os.path.join(d, f"m{i}.c"), "w").write(
                f"#include <stdio.h>\nint f{i}(int x) {{ int s = 0; for (int k = 0; k < x; k++) s += k * {i + 1}; return s; }}\n")
        open(os.path.join(d, "main.c"), "w").write(
            "#include <stdio.h>\n" + "".join(f"int f{i}(int);\n" for i in range(6)) +
            "int main(void) { long t = 0;\n" + "".join(f"t += f{i}(1000);\n" for i in range(6)) +
            'printf("total %ld\\n", t); return 0; }\n')
        open(os.path.join(d, "Makefile"), "w").write(
            "OBJS = main.o " + " ".join(f"m{i}.o" for i in range(6)) +
            "\nprog: $(OBJS)\n\tgcc -o $@ $(OBJS)\n%.o: %.c\n\tgcc -O2 -c $< -o $@\n")
    # --no-print-directory: a `make -C DIR check` above passes -w down through MAKEFLAGS, and
    # the two runs are in different directories
    same("make", "make -j2 -s --no-print-directory && ./prog", a, b, ["make", "gcc", "cc1", "as", "ld", "prog"],
         normalise=lambda s: "\n".join(sorted(s.splitlines())))

if have("python3"):
    a, b = dirs("python")
    same("python3", """python3 -c '
import json, collections, re
d = collections.Counter(re.findall(r"\\w+", " ".join(str(i * i) for i in range(200000))))
print(len(d), sum(d.values()), json.dumps(sorted(d.items())[:5]))
big = [dict(i=i, s=str(i)) for i in range(100000)]
print(sum(x["i"] for x in big))
'""", a, b, ["python3"])

if have("perl"):
    a, b = dirs("perl")
    same("perl", """perl -e 'my %h; $h{$_ % 9973} .= "x$_" for 1..200000; my $t = 0; $t += length($h{$_}) for keys %h; print scalar(keys %h), " $t\\n"; my @s = sort { $a <=> $b } map { ($_ * 7919) % 100003 } 1..100000; print "@s[0..4]\\n";'""", a, b, ["perl"])

if have("sqlite3"):
    a, b = dirs("sqlite")
    same("sqlite3", """sqlite3 :memory: "create table t(a integer primary key, b text, c real);
with recursive n(x) as (select 1 union all select x + 1 from n where x < 120000)
insert into t select x, printf('row-%08d', x), x * 0.5 from n;
create index tb on t(b);
select count(*), sum(a), min(b), max(c) from t;
select count(*) from t where b like 'row-0000%';
delete from t where a % 3 = 0; select count(*) from t;" """, a, b, ["sqlite3"])

if have("xz"):
    a, b = dirs("xz")
    for d in (a, b):
        with open(os.path.join(d, "data"), "wb") as f:  # 8 MiB, compressible but not trivially
            for i in range(8 * 1024 // 32):
                block = hashlib.sha256(str(i).encode()).digest()
                f.write((block * 32)[: 1024 - (i % 7)] * 32)
    same("xz", "xz -T2 -6 -k data && sha256sum data.xz && xz -dc data.xz | sha256sum && sha256sum data", a, b, ["xz"])

if have("node"):
    a, b = dirs("node")
    same("node", """node -e '
const m = new Map(); for (let i = 0; i < 200000; i++) m.set("k" + (i % 5000), (m.get("k" + (i % 5000)) || 0) + i);
let t = 0; for (const v of m.values()) t += v; console.log(m.size, t);
console.log(JSON.stringify(Array.from({length: 5}, (_, i) => ({i, sq: i * i}))));'""", a, b, ["node"])

if have("tclsh"):
    a, b = dirs("tcl")
    same("tclsh", """echo 'set d [dict create]; for {set i 0} {$i < 100000} {incr i} { dict incr d [expr {$i % 997}] $i }; set t 0; dict for {k v} $d { incr t $v }; puts "[dict size $d] $t"; puts [lsort -integer [lrange [lmap x [lrepeat 20 7] {expr {$x * 3}}] 0 3]]' | tclsh""", a, b, ["tclsh"])

if skipped:
    print("skipped (not installed):", "; ".join(skipped))
done()
PY
