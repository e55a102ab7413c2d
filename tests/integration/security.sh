#!/bin/bash
# security.sh — what the shim writes and what it trusts. The output directory (every
# level it creates) is 0700 and snapshot files 0600 whatever the umask; files planted in
# the output directory under the names the shim will use (a symlink at the temporary
# name, symlinks, a dangling symlink, a hard link and a regular file at final names)
# are never written through or replaced, and a symlinked output directory is refused;
# setuid and other secure-mode processes are left alone (with LD_PRELOAD ignored by the
# loader, and with the shim actually loaded from a trusted directory); the environment
# is bounded: overlong, out-of-range and junk values (control characters included) give
# one line each on stderr and the defaults, never a crash; odd program names are
# sanitised in file names.
exec python3 - <<'PY'
import os, shutil, stat, struct, subprocess, sys
sys.path.insert(0, os.path.join(os.environ["LS_ROOT"], "tests/integration"))
from lstest import *

prog = os.path.join(PROGS, "hostile_secure")
REPORT_ACTIVE = "euid=0 secure=0 shim_loaded=yes active=1\n"

def mode_of(path):
    return stat.S_IMODE(os.lstat(path).st_mode)

def frames_max(path):
    """LEAKSCOPE_FRAMES in force, from the snapshot's HEADER."""
    data = open(path, "rb").read()
    return struct.unpack_from("<18Q", data, 16 + 6)[14]

# ---- modes, whatever the umask
for mask in (0o000, 0o077):
    base = os.path.join(TMP, f"umask{mask:03o}")
    out = os.path.join(base, "a", "b", "c")
    os.makedirs(base)
    r = run([prog, "report"], out, preexec_fn=lambda m=mask: os.umask(m), timeout=60)
    check(r.returncode == 0 and r.stdout == REPORT_ACTIVE, f"umask {mask:03o}: {r.returncode} {r.stdout!r} {r.stderr!r}")
    for d in ("a", "a/b", "a/b/c"):
        p = os.path.join(base, d)
        check(os.path.isdir(p) and mode_of(p) == 0o700, f"umask {mask:03o}: {d} is 0700: {oct(mode_of(p)) if os.path.exists(p) else 'missing'}")
    files = snapshots(out)
    check(len(files) == 1 and all(mode_of(f) == 0o600 for f in files), f"umask {mask:03o}: files 0600: {[(f, oct(mode_of(f))) for f in files]}")
# the default directory, in the working directory
cwd = os.path.join(TMP, "default-dir")
os.makedirs(cwd)
r = run([prog, "report"], None, cwd=cwd, preexec_fn=lambda: os.umask(0), timeout=60)
dirs = os.listdir(cwd)
check(r.returncode == 0 and len(dirs) == 1 and dirs[0].startswith("leakscope.hostile_secure."),
      f"default directory leakscope.<prog>.<pid>: {dirs}")
if dirs:
    check(mode_of(os.path.join(cwd, dirs[0])) == 0o700, "default directory is 0700")

# ---- files planted under the names the shim will use
out = os.path.join(TMP, "planted")
os.makedirs(out, mode=0o700)
victims = {}
for name in ("victim1", "victim2", "victim3"):
    victims[name] = os.path.join(TMP, name)
    with open(victims[name], "w") as f:
        f.write(f"{name}: precious\n")
e = dict(os.environ, LD_PRELOAD=LIB, LEAKSCOPE_OUT=out)
p = subprocess.Popen([prog, "wait"], env=e, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
pid = int(p.stdout.readline())
stem = f"hostile_secure.{pid}"
dangling_target = os.path.join(TMP, "created-through-a-dangling-link")
os.symlink(victims["victim1"], os.path.join(out, f".{stem}.tmp"))
os.symlink(victims["victim2"], os.path.join(out, f"{stem}.000001.checkpoint.lss"))
with open(os.path.join(out, f"{stem}.000002.checkpoint.lss"), "w") as f:
    f.write("not ours\n")
os.symlink(dangling_target, os.path.join(out, f"{stem}.000003.checkpoint.lss"))
os.link(victims["victim3"], os.path.join(out, f"{stem}.000004.checkpoint.lss"))
stdout, stderr = p.communicate("go\n", timeout=60)
check(p.returncode == 0 and stdout == "done\n" and stderr == "", f"planted: {p.returncode} {stdout!r} {stderr!r}")
for name, path in victims.items():
    check(open(path).read() == f"{name}: precious\n", f"planted: {name} untouched")
check(not os.path.lexists(dangling_target), "planted: nothing created through the dangling symlink")
first = os.path.join(out, f"{stem}.000001.checkpoint.lss")
check(os.path.islink(first) and os.readlink(first) == victims["victim2"], "planted: symlink at a final name kept")
check(open(os.path.join(out, f"{stem}.000002.checkpoint.lss"), "rb").read() == b"not ours\n", "planted: regular file kept")
check(os.path.islink(os.path.join(out, f"{stem}.000003.checkpoint.lss")), "planted: dangling symlink kept")
check(os.stat(victims["victim3"]).st_nlink == 2, "planted: hard link kept")
mine = sorted(f for f in os.listdir(out) if f.startswith(stem) and int(f.split(".")[2]) >= 5)
check(mine == [f"{stem}.000005.checkpoint.lss", f"{stem}.000006.checkpoint.lss", f"{stem}.000007.exit.lss"],
      f"planted: the shim's own files take the next free names, in order: {mine}")
for name, want in zip(mine, ((100, 1), (200, 2), (200, 2))):
    path = os.path.join(out, name)
    check(not os.path.islink(path) and mode_of(path) == 0o600, f"planted: {name} is a 0600 regular file")
    check(figures_at(top(path), "hostile_secure.c", "wait_site") == want, f"planted: {name} holds {want}")
check(not [f for f in os.listdir(out) if f.startswith(".")], f"planted: no temporary file left: {os.listdir(out)}")

# a symlinked output directory is not followed
elsewhere = os.path.join(TMP, "elsewhere")
os.makedirs(elsewhere)
link = os.path.join(TMP, "linked-out")
os.symlink(elsewhere, link)
r = run([prog, "report"], link, timeout=60)
lines = r.stderr.splitlines()
check(r.returncode == 0 and r.stdout == REPORT_ACTIVE, f"symlinked directory: the program runs: {r.stdout!r}")
check(len(lines) == 1 and lines[0].startswith("leakscope: "), f"symlinked directory: one line: {r.stderr!r}")
check(os.listdir(elsewhere) == [], f"symlinked directory: nothing written through it: {os.listdir(elsewhere)}")

# ---- the environment, bounded
def env_run(tag, env, lines_expected, cwd=None, out="default"):
    outd = os.path.join(TMP, "env-" + tag) if out == "default" else out
    r = run([prog, "report"], outd, env=env, cwd=cwd, timeout=60)
    lines = r.stderr.splitlines()
    check(r.returncode == 0 and r.stdout == REPORT_ACTIVE, f"{tag}: the program runs as usual: {r.returncode} {r.stdout!r}")
    check(len(lines) == lines_expected and all(l.startswith("leakscope: ") for l in lines),
          f"{tag}: {lines_expected} line(s) on stderr, got {r.stderr!r}")
    check(all(ch >= " " for l in lines for ch in l), f"{tag}: no control characters reach stderr: {r.stderr!r}")
    return outd, r

for k, v in enumerate(("99999999999999999999999", "129", "0", "-1", "0x10", "16abc", " 16", "", "1" * 5000,
                       "12\nleakscope: forged")):
    outd, r = env_run(f"frames{k}", {"LEAKSCOPE_FRAMES": v}, 1)
    files = snapshots(outd)
    check(len(files) == 1 and frames_max(files[0]) == 16, f"LEAKSCOPE_FRAMES={v[:30]!r}: default 16 in force")
outd, r = env_run("frames128", {"LEAKSCOPE_FRAMES": "128"}, 0)
check(frames_max(snapshots(outd)[0]) == 128, "LEAKSCOPE_FRAMES=128 accepted")
for v in ("KILL", "SIGSEGV", "RTMIN+999", "99999", "USR2junk", "-1", "\x01\x02\x1b[2J", "U" * 5000):
    env_run("signal", {"LEAKSCOPE_SIGNAL": v}, 1)
for v in ("99999999999999999999999", "1e3", "-5", "\t"):
    env_run("interval", {"LEAKSCOPE_INTERVAL_MS": v}, 1)
# all at once: one line each
env_run("all", {"LEAKSCOPE_FRAMES": "x", "LEAKSCOPE_SIGNAL": "x", "LEAKSCOPE_INTERVAL_MS": "x"}, 3)
# an overlong LEAKSCOPE_OUT: one line, and the default directory instead
cwd = os.path.join(TMP, "long-out")
os.makedirs(cwd)
env_run("long-out", {"LEAKSCOPE_OUT": "/tmp/" + "d" * 100000}, 1, cwd=cwd, out=None)
made = os.listdir(cwd)
check(len(made) == 1 and made[0].startswith("leakscope.hostile_secure.") and len(snapshots(os.path.join(cwd, made[0]))) == 1,
      f"long LEAKSCOPE_OUT: the default directory is used: {made}")
# a component longer than a file name may be: one line when the first snapshot fails
long_component = os.path.join(TMP, "x" * 300, "out")
env_run("long-component", {"LEAKSCOPE_OUT": long_component}, 1, out=None)
# a newline in LEAKSCOPE_OUT cannot forge a second line
forged = os.path.join(TMP, "nodir-file")
open(forged, "w").close()
env_run("forged-out", {"LEAKSCOPE_OUT": forged + "/x\nleakscope: forged"}, 1, out=None)

# ---- an odd program name is sanitised (at most 32 of [A-Za-z0-9_+-]) in file names
odd_dir = os.path.join(TMP, "odd")
os.makedirs(odd_dir)
odd = os.path.join(odd_dir, "-rf ;$(touch pwned) \x1b[31m" + "long" * 50)
shutil.copy(prog, odd)
out = os.path.join(TMP, "odd-out")
r = run([odd, "report"], out, cwd=odd_dir, timeout=60)
check(r.returncode == 0 and r.stdout == REPORT_ACTIVE, f"odd name: runs: {r.stdout!r} {r.stderr!r}")
files = os.listdir(out) if os.path.isdir(out) else []
check(len(files) == 1, f"odd name: one snapshot: {files}")
if files:
    prog_part = files[0].split(".")[0]
    check(len(prog_part) <= 32 and all(c.isalnum() or c in "_+-" for c in prog_part),
          f"odd name: sanitised in the file name: {files[0]!r}")
check(os.listdir(odd_dir) == [os.path.basename(odd)], f"odd name: nothing else created: {os.listdir(odd_dir)}")
# ---- setuid and secure mode
setpriv = shutil.which("setpriv")
if not setpriv or os.geteuid() != 0:
    print("setuid checks skipped: need root and setpriv")
else:
    sdir = os.path.join(TMP, "setuid")
    os.makedirs(sdir)
    os.chmod(TMP, 0o755)
    os.chmod(sdir, 0o1777)  # the program, run as nobody, could create its output here
    suid = os.path.join(sdir, "hostile_secure")
    shutil.copy(prog, suid)
    os.chown(suid, 0, 0)
    os.chmod(suid, 0o4755)
    as_nobody = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    probe = subprocess.run(as_nobody + [suid, "report"], capture_output=True, text=True, cwd=sdir)
    if probe.returncode != 0 or "secure=1" not in probe.stdout:
        print(f"setuid checks skipped: cannot run a setuid program as nobody here ({probe.returncode}: "
              f"{(probe.stdout + probe.stderr).strip()[:200]})")
        done()

    def secure_run(tag, cmd, preload, expect):
        outd = os.path.join(sdir, f"out-{tag}")
        r = run(as_nobody + [cmd, "report"], outd, env={"LD_PRELOAD": preload}, cwd=sdir, timeout=60)
        check(r.returncode == 0 and r.stdout == expect, f"{tag}: {r.returncode} {r.stdout!r}, expected {expect!r}")
        check(r.stderr == "", f"{tag}: nothing on stderr: {r.stderr!r}")
        check(not os.path.exists(outd), f"{tag}: no output directory")

    # LD_PRELOAD with a path: the loader itself ignores it for a setuid program
    secure_run("setuid", suid, LIB, "euid=0 secure=1 shim_loaded=no active=0\n")
    # the shim from a trusted directory, itself setuid: the loader preloads it, the shim stays idle
    arch = subprocess.run(["gcc", "-print-multiarch"], capture_output=True, text=True).stdout.strip() or "x86_64-linux-gnu"
    trusted = f"/usr/lib/{arch}"
    name = f"libleakscope-security-test-{os.getpid()}.so"
    copy = os.path.join(trusted, name)
    try:
        shutil.copy(LIB, copy)
        os.chmod(copy, 0o4755)
        # the same preload works for an ordinary program, so an idle shim is the shim's doing
        r = run([prog, "report"], os.path.join(sdir, "out-plain"), env={"LD_PRELOAD": name}, timeout=60)
        check(r.stdout == REPORT_ACTIVE, f"trusted preload of a plain program: {r.stdout!r} {r.stderr!r}")
        secure_run("setuid+trusted", suid, name, "euid=0 secure=1 shim_loaded=yes active=0\n")
        setcap = shutil.which("setcap")
        if setcap:
            capped = os.path.join(sdir, "hostile_secure_cap")
            shutil.copy(prog, capped)
            os.chmod(capped, 0o755)
            if subprocess.run([setcap, "cap_net_bind_service+ep", capped], capture_output=True).returncode == 0:
                secure_run("capabilities+trusted", capped, name, "euid=65534 secure=1 shim_loaded=yes active=0\n")
            else:
                print("file capabilities check skipped: setcap failed")
        else:
            print("file capabilities check skipped: no setcap")
    except PermissionError as e:
        print(f"trusted-directory checks skipped: {e}")
    finally:
        if os.path.exists(copy):
            os.unlink(copy)

done()
PY
