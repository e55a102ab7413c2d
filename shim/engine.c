/*
 * engine.c — lifecycle, configuration and the record path of the shim (engine.h).
 *
 * Locking: the record path takes the sites lock only for a trace never seen before,
 * then one pointer-table shard lock; traced_current/peak are lock-free atomics. fork()
 * holds every shim lock across the call (see on_fork_prepare) so the child never
 * inherits one held by a thread that no longer exists.
 *
 * The record path and the C library's own locks. A hook may be entered while glibc holds
 * any of its internal locks on this thread: pthread_getattr_np allocates holding the
 * thread's lock, setenv the environment lock, fopen/atexit/register_atfork their list
 * locks, the loader its dl_load_lock (dlopen), fork its atfork lock (prepare handlers).
 * So nothing the record path calls (hooks.c -> ls_record_* here -> unwind.c, sites.c,
 * ptrtable.c, memory.c, procfs.c) may take a glibc lock that is not recursive or
 * allocate through the hooks. Checked, call by call:
 *  - the real allocator (__libc_malloc...): called with no shim lock held, never from
 *    inside glibc's malloc itself;
 *  - mmap/munmap (ls_pages_alloc), sched_yield (spinlocks), write (ls_log), syscall()
 *    (procfs.c: open/read/close of /proc, getpid, getppid), getrlimit, pthread_sigmask,
 *    pthread_self: system-call wrappers or plain reads, no lock, no allocation;
 *  - pthread_setcancelstate: an atomic update of the thread's own flags, no lock;
 *  - pthread_setspecific (sites.c): the shim's key is below PTHREAD_KEY_2NDLEVEL_SIZE,
 *    so it writes the thread's static slot, no allocation;
 *  - vsnprintf (ls_log, failures only): a string stream without lock, and the formats
 *    used (%s %d %zu, bounded precisions) never allocate;
 *  - libunwind (unw_backtrace, unw_init_local/unw_step): its caches are per thread (set
 *    up with mmap), it checks memory through a pipe (pipe2, read, write: wrappers), and it
 *    finds unwind tables with dl_iterate_phdr, which takes the loader's dl_load_write_lock
 *    — a recursive lock, and glibc never allocates while holding it, so neither the
 *    same thread nor one waiting for a shim lock can be its holder;
 *  - the stack bounds (unwind.c): no longer pthread_getattr_np (the thread's lock:
 *    Rust, the JVM and Ruby threads hung) but the kernel's map read with syscall();
 *  - ls_engine_init, which may run in the first hook: readlink, getcwd, getauxval,
 *    open/read of /proc/self/environ and raw reads of /proc (wrappers, no lock);
 *    dl_iterate_phdr (recursive, as above); pthread_key_create (no lock: atomic slot
 *    claims); its own mutex. pthread_atfork is left to the constructor
 *    (ls_engine_watch_forks): it takes the atfork lock that fork holds for prepare
 *    handlers; dlsym (resolve_real) runs in the constructor, or in a hook only before
 *    it, under the recursive dl_load_lock;
 *  - modules.c is not on the record path (dlclose hook, snapshots), and the snapshot
 *    writer runs outside hooks: from the worker thread, the API, exit and _exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "modules.h"
#include "procfs.h"
#include "keep.h"   /* issue 11 */
#include "sample.h" /* issue 11 */
#include "scan.h"
#include "sites.h"
#include "writer.h"
#include "unwind.h"

atomic_int ls_state = LS_UNINIT;
ls_config_t ls_config;
__thread int ls_guard __attribute__((tls_model("initial-exec")));

/* Traced bytes. The first thread to allocate (usually main) owns a counter of its own,
 * which only it writes (a plain store, no locked instruction), so its changes and the
 * peak while only it allocates are exact. Every other thread keeps its changes in its own
 * block (traced_pending) and adds them to the shared counter once they pass
 * LS_TRACED_SLACK either way, so threads do not fight over one cache line on every call:
 * the current figure stays exact (pending amounts are summed when read, and when the
 * peak moves), and the peak can read low by at most LS_TRACED_SLACK per thread holding
 * pending bytes — a high that never reaches the shared counter before it is freed again.
 * Sums wrap modulo 2^64: a thread may free more than it allocated. */
static struct {
    _Atomic uint64_t current; /* flushed by threads other than the owner */
    _Atomic uint64_t peak;
} __attribute__((aligned(LS_CACHELINE))) traced;

static struct {
    ls_thread_t *_Atomic thread; /* NULL until a thread claims it; given up at its exit */
    _Atomic uint64_t bytes;      /* written by the owner only */
} __attribute__((aligned(LS_CACHELINE))) owner;

static _Atomic uint64_t epoch_step;   /* latest leakscope_mark step */
static atomic_int marked;            /* leakscope_mark was called */
static _Atomic uint64_t untracked_count, untracked_bytes;
static atomic_int fail_reported;

/* ---- configuration ------------------------------------------------------------ */

static const char *env_lookup(char *const *envp, const char *name)
{
    size_t n = strlen(name);
    for (; envp && *envp; envp++)
        if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
            return *envp + n + 1;
    return NULL;
}

/* Decimal in [lo, hi]; -1 when malformed or out of range. Bounded: at most 20 digits. */
static int parse_bounded(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    if (!s || !*s)
        return -1;
    for (; s[i]; i++) {
        if (s[i] < '0' || s[i] > '9' || i >= 20)
            return -1;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* LEAKSCOPE_SIGNAL takes only the signals that mean nothing to a program until it says
 * so itself: USR1, USR2 and the real-time signals. Every other one has a default action
 * or a meaning programs rely on (`seq | head` ends by SIGPIPE, `kill PID` by SIGTERM, a
 * shell waits on SIGCHLD), which a handler installed for snapshots would take away.
 * "USR2", "SIGUSR2", "RTMIN+3", "RTMAX-1", "12" -> the signal number; 0 when refused. */
static int parse_signal(const char *s)
{
    uint64_t v, k = 0;
    if (strncmp(s, "SIG", 3) == 0)
        s += 3;
    if (parse_bounded(s, 1, (uint64_t)SIGRTMAX, &v) == 0)
        return v == SIGUSR1 || v == SIGUSR2 || (int)v >= SIGRTMIN ? (int)v : 0;
    if (strcmp(s, "USR1") == 0 || strcmp(s, "USR2") == 0)
        return s[3] == '1' ? SIGUSR1 : SIGUSR2;
    if (strncmp(s, "RTMIN", 5) == 0 && (s[5] == 0 || (s[5] == '+' && parse_bounded(s + 6, 0, 64, &k) == 0)))
        return SIGRTMIN + (int)k <= SIGRTMAX ? SIGRTMIN + (int)k : 0;
    if (strncmp(s, "RTMAX", 5) == 0 && (s[5] == 0 || (s[5] == '-' && parse_bounded(s + 6, 0, 64, &k) == 0)))
        return SIGRTMAX - (int)k >= SIGRTMIN ? SIGRTMAX - (int)k : 0;
    return 0;
}

static void sanitise_name(char *dst, size_t cap, const char *src, size_t len, const char *fallback)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < cap && n < 32; i++) {
        char c = src[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-' || c == '+';
        dst[n++] = ok ? c : '_';
    }
    if (n == 0) {
        strncpy(dst, fallback, cap - 1);
        dst[cap - 1] = 0;
        return;
    }
    dst[n] = 0;
}

LS_HIDDEN void ls_sanitise_label(char *dst, size_t cap, const char *label)
{
    sanitise_name(dst, cap, label ? label : "", label ? strnlen(label, 256) : 0, "snapshot");
}

/* Turn a relative directory into an absolute one, so a chdir() in the program does not
 * move the output. Returns 0, or -1 when it does not fit. */
static int absolutise(char *out, size_t cap, const char *dir)
{
    size_t dl = strnlen(dir, cap);
    if (dl >= cap)
        return -1;
    if (dir[0] == '/') {
        memcpy(out, dir, dl + 1);
        return 0;
    }
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return -1;
    size_t cl = strlen(cwd);
    if (cl + 1 + dl + 1 > cap)
        return -1;
    memcpy(out, cwd, cl);
    out[cl] = '/';
    memcpy(out + cl + 1, dir, dl + 1);
    return 0;
}

static void u64_to_dec(char *buf, uint64_t v)
{
    char tmp[21];
    int n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    for (int i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = 0;
}

/* ---- one warning per process tree --------------------------------------------- */

/* Matching whole "NAME=value" entries against a NUL-separated environment, as a stream. */
typedef struct {
    const char *entries[2];
    size_t at[2]; /* bytes matched in the current entry; SIZE_MAX: not this one */
    unsigned found; /* bit e: entries[e] was seen */
} env_match_t;

static int env_match_chunk(void *ctx, const char *buf, long n)
{
    env_match_t *m = ctx;
    for (long i = 0; i < n; i++)
        for (unsigned e = 0; e < 2; e++) {
            if (buf[i] == 0) { /* an entry ends */
                if (m->at[e] != SIZE_MAX && m->entries[e][m->at[e]] == 0)
                    m->found |= 1u << e;
                m->at[e] = 0;
            } else if (m->at[e] != SIZE_MAX) {
                m->at[e] = m->entries[e][m->at[e]] == buf[i] ? m->at[e] + 1 : SIZE_MAX;
            }
        }
    return 0;
}

/* A bad LEAKSCOPE_* value is said once per process tree, not by every process of a
 * pipeline or a build: a process stays silent when its parent started with the same
 * value and the same LD_PRELOAD, since the parent (or its own parent...) said it then.
 * This changes nothing the program sees (no variable is added or altered). A parent
 * that exited (the child is re-parented) or whose /proc entry cannot be read makes the
 * child say it again, as does the root of the tree when it execs another program in its
 * own process (a shell running its last command in place: its parent is not under the
 * shim) — so a tree says it once, at most twice; a parent that had both entries but
 * could not load the shim (a static or setuid program) leaves it unsaid. `value` is env_lookup(envp, name). */
static int parent_was_told(char *const *envp, const char *name, const char *value)
{
    const char *preload = env_lookup(envp, "LD_PRELOAD");
    if (!preload)
        return 0;
    env_match_t m = {{preload - strlen("LD_PRELOAD="), value - strlen(name) - 1}, {0, 0}, 0};
    char path[48] = "/proc/"; /* the parent's environment as it started */
    u64_to_dec(path + 6, (uint64_t)syscall(SYS_getppid));
    memcpy(path + strlen(path), "/environ", 9);
    return ls_proc_read(path, env_match_chunk, &m) == 0 && m.found == 3;
}

/* The variables the shim reads (and `leakscope run`'s LEAKSCOPE_LIB, found in the
 * environment of the programs it starts). */
static const char *const known_variables[] = {
    "LEAKSCOPE_OUT",  "LEAKSCOPE_FRAMES", "LEAKSCOPE_INTERVAL_MS", "LEAKSCOPE_SIGNAL", "LEAKSCOPE_SAMPLE",
    "LEAKSCOPE_SEED", "LEAKSCOPE_KEEP",   "LEAKSCOPE_SCAN",        "LEAKSCOPE_LIB"};

/* A LEAKSCOPE_ variable the shim does not know is a typo (LEAKSCOPE_INTERVAL for
 * LEAKSCOPE_INTERVAL_MS) that would otherwise leave the user waiting for snapshots that never
 * come: said once per process tree, like a bad value, with the name it may have meant (a
 * known name that begins with it, or that it begins with). */
static void warn_unknown_variables(char *const *envp)
{
    const size_t prefix = strlen("LEAKSCOPE_");
    for (char *const *e = envp; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (strncmp(*e, "LEAKSCOPE_", prefix) != 0 || !eq || (size_t)(eq - *e) <= prefix)
            continue;
        size_t len = (size_t)(eq - *e);
        const char *meant = NULL;
        int known = 0;
        for (size_t k = 0; k < sizeof known_variables / sizeof *known_variables && !known; k++) {
            size_t kl = strlen(known_variables[k]);
            known = kl == len && memcmp(known_variables[k], *e, len) == 0;
            if (memcmp(known_variables[k], *e, kl < len ? kl : len) == 0)
                meant = known_variables[k];
        }
        char name[64];
        size_t cut = len < sizeof name - 1 ? len : sizeof name - 1;
        memcpy(name, *e, cut);
        name[cut] = 0;
        if (known || parent_was_told(envp, name, eq + 1))
            continue;
        if (meant)
            ls_log("%s is not a leakscope variable; ignored (did you mean %s?)", name, meant);
        else
            ls_log("%s is not a leakscope variable; ignored (leakscope --help lists them)", name);
    }
}

void ls_config_from_env(ls_config_t *cfg, char *const *envp)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->frames = LS_DEFAULT_FRAMES;

    ssize_t n = readlink("/proc/self/exe", cfg->exe, sizeof cfg->exe - 1);
    cfg->exe[n > 0 ? n : 0] = 0;
    const char *base = strrchr(cfg->exe, '/');
    base = base ? base + 1 : cfg->exe;
    sanitise_name(cfg->prog, sizeof cfg->prog, base, strlen(base), "prog");

    const char *v;
    uint64_t x;
    if ((v = env_lookup(envp, "LEAKSCOPE_FRAMES"))) {
        if (parse_bounded(v, 1, LS_MAX_FRAMES, &x) == 0)
            cfg->frames = (unsigned)x;
        else if (!parent_was_told(envp, "LEAKSCOPE_FRAMES", v))
            ls_log("LEAKSCOPE_FRAMES=%.40s is not a number from 1 to %d; using %d", v, LS_MAX_FRAMES,
                   LS_DEFAULT_FRAMES);
    }
    if ((v = env_lookup(envp, "LEAKSCOPE_INTERVAL_MS"))) {
        if (parse_bounded(v, 0, 86400000ull * 365, &x) == 0)
            cfg->interval_ms = x;
        else if (!parent_was_told(envp, "LEAKSCOPE_INTERVAL_MS", v))
            ls_log("LEAKSCOPE_INTERVAL_MS=%.40s is not a number of milliseconds; timer off", v);
    }
    if ((v = env_lookup(envp, "LEAKSCOPE_SIGNAL")) && *v) {
        cfg->signal = parse_signal(v);
        if (!cfg->signal && !parent_was_told(envp, "LEAKSCOPE_SIGNAL", v))
            ls_log("LEAKSCOPE_SIGNAL=%.40s is not USR1, USR2 or a real-time signal (RTMIN+n, "
                   "RTMAX-n), which programs leave free; signal snapshots are off",
                   v);
    }
    char dir[4096];
    v = env_lookup(envp, "LEAKSCOPE_OUT");
    if (v && *v && strnlen(v, 4000) < 4000) {
        memcpy(dir, v, strlen(v) + 1);
    } else {
        if (v && *v && !parent_was_told(envp, "LEAKSCOPE_OUT", v))
            ls_log("LEAKSCOPE_OUT is too long; using the default directory");
        char pid[24];
        u64_to_dec(pid, (uint64_t)getpid());
        size_t pl = strlen(cfg->prog);
        memcpy(dir, "leakscope.", 10);
        memcpy(dir + 10, cfg->prog, pl);
        dir[10 + pl] = '.';
        memcpy(dir + 11 + pl, pid, strlen(pid) + 1);
    }
    if (absolutise(cfg->out_dir, sizeof cfg->out_dir, dir) != 0)
        memcpy(cfg->out_dir, dir, strlen(dir) + 1);
    ls_scan_configure(envp); /* issue 13: LEAKSCOPE_SCAN */
    ls_sample_configure(envp); /* issue 11: LEAKSCOPE_SAMPLE, LEAKSCOPE_SEED */
    ls_keep_configure(envp);   /* issue 11: LEAKSCOPE_KEEP */
    warn_unknown_variables(envp);
}

/* ---- lifecycle ----------------------------------------------------------------- */

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

static void on_fork_prepare(void);
static void on_fork_parent(void);
static void on_fork_child(void);

/* The process the shim's memory belongs to: set at start and in a forked child (whose
 * memory is its own copy). A vfork child runs on its parent's memory, with getpid()
 * telling it apart. */
static pid_t own_pid;

static pid_t raw_getpid(void)
{
    return (pid_t)syscall(SYS_getpid);
}

static int engine_setup(void)
{
    own_pid = raw_getpid();
    if (ls_ptr_init() != 0 || ls_sites_init() != 0)
        return -1;
    ls_unwind_init();
    ls_snapshot_init();
    return 0;
}

int ls_engine_init_with(const ls_config_t *cfg)
{
    ls_config = *cfg;
    if (engine_setup() != 0) {
        atomic_store(&ls_state, LS_DISABLED);
        return -1;
    }
    atomic_store(&ls_state, LS_READY);
    return 0;
}

/* The environment as the process started with it: `environ` may not be set up yet
 * when the loader itself makes the first allocation, so fall back to /proc. */
static char *const *initial_environment(void)
{
    extern char **environ;
    static char buf[65536];
    static char *vec[1024];
    if (environ)
        return environ;
    int fd = open("/proc/self/environ", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return NULL;
    buf[n] = 0;
    size_t k = 0;
    for (ssize_t i = 0; i < n && k + 1 < sizeof vec / sizeof vec[0]; i += (ssize_t)strlen(buf + i) + 1)
        vec[k++] = buf + i;
    vec[k] = NULL;
    return vec;
}

void ls_engine_warn_not_first(const char *whose)
{
    char *const *envp = initial_environment();
    const char *preload = env_lookup(envp, "LD_PRELOAD");
    if (preload && parent_was_told(envp, "LD_PRELOAD", preload))
        return;
    if (whose)
        ls_log("malloc is %.100s's, found before the shim's: nothing is tracked (list libleakscope.so "
               "first in LD_PRELOAD)", whose);
    else
        ls_log("malloc is the program's own, found before the shim's: nothing is tracked");
}

void ls_engine_init(void)
{
    int expected = LS_UNINIT;
    if (!atomic_compare_exchange_strong(&ls_state, &expected, LS_INITIALIZING))
        return;
    ls_guard++;
    pthread_mutex_lock(&init_lock);
    if (getauxval(AT_SECURE)) { /* setuid/setgid or capabilities: never touch it */
        atomic_store(&ls_state, LS_DISABLED);
        goto out;
    }
    ls_config_t cfg;
    ls_config_from_env(&cfg, initial_environment());
    if (ls_engine_init_with(&cfg) != 0)
        ls_log("cannot set up its tables (out of memory); tracking is off");
out:
    pthread_mutex_unlock(&init_lock);
    ls_guard--;
}

/* Not in ls_engine_init, which may run inside the first hook: pthread_atfork takes glibc's
 * atfork lock, which fork() holds while running prepare handlers — one that allocates
 * would find the shim waiting for that lock under it. */
void ls_engine_watch_forks(void)
{
    static int registered;
    pthread_mutex_lock(&init_lock); /* another thread may be initialising */
    if (atomic_load(&ls_state) == LS_READY && !registered++)
        pthread_atfork(on_fork_prepare, on_fork_parent, on_fork_child);
    pthread_mutex_unlock(&init_lock);
}

void ls_engine_fail(const char *why)
{
    ls_log_flush_held();
    if (atomic_exchange(&fail_reported, 1) == 0)
        ls_log("%s; tracking stopped, the program goes on", why);
    atomic_store(&ls_state, LS_DISABLED);
}

/* ---- recording ----------------------------------------------------------------- */

static inline uint32_t current_epoch32(void)
{
    uint64_t e = ls_engine_epoch();
    return e > UINT32_MAX ? UINT32_MAX : (uint32_t)e;
}

#define LS_TRACED_SLACK (256 * 1024)

/* Raise the peak to at least cur (a compare-and-swap loop, only when it moves). */
static LS_NOINLINE void peak_raise(uint64_t cur)
{
    /* A new high: count what other threads hold pending too, so the peak is the real
     * total (a walk of the thread blocks, only when the peak moves). */
    if (ls_threads_multi())
        cur += (uint64_t)ls_threads_pending();
    uint64_t peak = atomic_load_explicit(&traced.peak, memory_order_relaxed);
    while (cur > peak && !atomic_compare_exchange_weak_explicit(&traced.peak, &peak, cur, memory_order_relaxed,
                                                                 memory_order_relaxed))
        ;
}

static inline void traced_shared_add(int64_t n)
{
    uint64_t cur = atomic_fetch_add_explicit(&traced.current, (uint64_t)n, memory_order_relaxed) + (uint64_t)n;
    cur += atomic_load_explicit(&owner.bytes, memory_order_relaxed);
    if (n > 0 && cur > atomic_load_explicit(&traced.peak, memory_order_relaxed))
        peak_raise(cur);
}

static inline void owner_add(int64_t n)
{
    uint64_t mine = atomic_load_explicit(&owner.bytes, memory_order_relaxed) + (uint64_t)n;
    atomic_store_explicit(&owner.bytes, mine, memory_order_relaxed);
    if (n > 0) {
        uint64_t cur = mine + atomic_load_explicit(&traced.current, memory_order_relaxed);
        if (LS_UNLIKELY(cur > atomic_load_explicit(&traced.peak, memory_order_relaxed)))
            peak_raise(cur);
    }
}

/* traced_change's ways other than the two common ones. */
static LS_NOINLINE void traced_change_slow(ls_thread_t *t, int64_t n)
{
    ls_thread_t *own = atomic_load_explicit(&owner.thread, memory_order_relaxed);
    if (LS_LIKELY(own == t && t != NULL))
        return owner_add(n);
    if (LS_UNLIKELY(own == NULL) && t && !t->shared &&
        atomic_compare_exchange_strong(&owner.thread, &own, t))
        return owner_add(n);
    if (LS_LIKELY(t && !t->shared && ls_threads_multi())) {
        int64_t p = t->traced_pending + n;
        if (LS_LIKELY(p < LS_TRACED_SLACK && p > -LS_TRACED_SLACK)) {
            __atomic_store_n(&t->traced_pending, p, __ATOMIC_RELAXED);
            return;
        }
        __atomic_store_n(&t->traced_pending, 0, __ATOMIC_RELAXED);
        n = p;
    } else if (t && t->traced_pending) { /* back to one thread: settle what is pending */
        n += __atomic_exchange_n(&t->traced_pending, 0, __ATOMIC_RELAXED);
    }
    traced_shared_add(n);
}

/* Count n traced bytes more (or fewer) on thread t: the owner thread's own counter, or a
 * pending sum of t's within the slack, mostly; traced_change_slow for everything else. */
static inline void traced_change(ls_thread_t *t, int64_t n)
{
    ls_thread_t *own = atomic_load_explicit(&owner.thread, memory_order_relaxed);
    if (LS_LIKELY(own == t && t != NULL))
        return owner_add(n);
    if (LS_LIKELY(t && !t->shared && own != NULL && ls_threads_multi())) {
        int64_t p = t->traced_pending + n;
        if (LS_LIKELY(p < LS_TRACED_SLACK && p > -LS_TRACED_SLACK)) {
            __atomic_store_n(&t->traced_pending, p, __ATOMIC_RELAXED);
            return;
        }
    }
    traced_change_slow(t, n);
}

/* An exiting thread settles its pending bytes; an exiting owner hands its counter over
 * to the shared one and gives up ownership (its bytes first, so a new owner starts at 0). */
void ls_engine_thread_exit(ls_thread_t *t)
{
    int64_t p = __atomic_exchange_n(&t->traced_pending, 0, __ATOMIC_RELAXED);
    if (p)
        traced_shared_add(p);
    if (atomic_load(&owner.thread) == t) {
        atomic_fetch_add(&traced.current, atomic_exchange(&owner.bytes, 0));
        atomic_store(&owner.thread, NULL);
    }
}

static LS_NOINLINE void record_untracked(uint64_t size)
{
    atomic_fetch_add(&untracked_count, 1);
    atomic_fetch_add(&untracked_bytes, size);
    if (ls_sites_degraded())
        ls_engine_fail("its site table cannot grow (out of memory)");
}

#define DEFERRED_MAX 64
static __thread void *deferred[DEFERRED_MAX] __attribute__((tls_model("initial-exec")));
__thread unsigned ls_deferred_count __attribute__((tls_model("initial-exec")));
extern void __libc_free(void *);
static void (*real_free)(void *) = __libc_free;

void ls_engine_set_real_free(void (*fn)(void *))
{
    __atomic_store_n(&real_free, fn, __ATOMIC_RELAXED);
}

int ls_engine_defer_free(void *p)
{
    if (atomic_load_explicit(&ls_state, memory_order_relaxed) != LS_READY)
        return 0;
    /* The slot is reserved in one instruction, then written: a handler for another signal
     * that interrupts this one in between reserves the next slot, not the same one. Only
     * the outermost guard holder drains (ls_engine_drain_deferred), after every handler
     * has returned, so no slot is read before it is written. */
    unsigned n = __atomic_fetch_add(&ls_deferred_count, 1, __ATOMIC_RELAXED);
    if (n >= DEFERRED_MAX) {
        __atomic_fetch_sub(&ls_deferred_count, 1, __ATOMIC_RELAXED);
        return 0;
    }
    deferred[n] = p;
    return 1;
}

void ls_engine_drain_deferred_slow(void)
{
    /* Signals blocked, so a handler cannot append while the queue shrinks. */
    sigset_t all, old;
    sigfillset(&all);
    int saved = errno;
    pthread_sigmask(SIG_SETMASK, &all, &old);
    while (ls_deferred_count) {
        void *p = deferred[--ls_deferred_count];
        deferred[ls_deferred_count] = NULL; /* a slot reserved and never written (its handler
                                             * left by longjmp) is then empty, not stale */
        if (!p)
            continue;
        ls_record_free(p);
        __atomic_load_n(&real_free, __ATOMIC_RELAXED)(p);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = saved;
}

void ls_record_alloc(void *p, size_t size, ls_caller_t caller)
{
    if (LS_UNLIKELY(ls_sample_skip(size))) /* issue 11: not sampled, not traced */
        return;
    ls_record_sampled(p, size, caller);
}

void ls_record_sampled(void *p, size_t size, ls_caller_t caller)
{
    ls_thread_t *t = ls_thread_self();
    if (LS_UNLIKELY(!t))
        return ls_engine_fail("cannot allocate its per-thread table (out of memory)");
    uintptr_t frames[LS_MAX_FRAMES];
    void **memo;
    unsigned n = ls_unwind_capture(frames, ls_config.frames, t->shared ? NULL : &t->stack_cache,
                                   caller, &memo);
    LS_ASSERT(n >= 1 && n <= ls_config.frames);
    ls_site_t *site = memo ? *memo : NULL; /* a trace recognised: frames left unwritten */
    LS_ASSERT(!site || site->nframes == n);
    if (!site) {
        site = ls_site_intern(t, frames, n);
        if (LS_UNLIKELY(!site))
            return record_untracked(size);
        if (memo)
            ls_unwind_memo_set(t->stack_cache, memo, site);
    }
    ls_ptr_entry_t stale;
    uint8_t cls = atomic_load_explicit(&ls_sample_class, memory_order_relaxed); /* issue 11 */
    int r = ls_ptr_insert((uintptr_t)p, size, site->id, current_epoch32(), cls, &stale);
    if (LS_UNLIKELY(r != 0)) {
        if (r < 0)
            return ls_engine_fail("its table of live allocations cannot grow (out of memory)");
        /* The block was freed behind our back (by a signal handler inside a hook). */
        ls_count_free(t, stale.site);
        traced_change(t, -(int64_t)stale.size);
    }
    ls_count_alloc(t, site->id, size);
    traced_change(t, (int64_t)size);
    if (LS_UNLIKELY(atomic_load_explicit(&ls_sample_armed, memory_order_relaxed))) /* issue 11 */
        ls_sample_note_alloc(site->id, size, cls);
}

/* The sampling filter is armed, read before a take: every block in the table is counted
 * in it then (sample.c, arm), so the block about to be taken may be uncounted. */
static inline int filter_counts_all(void)
{
    return atomic_load_explicit(&ls_sample_armed, memory_order_acquire);
}

/* Charge the release of a block taken out of the table to its site. */
static inline void release_entry(const ls_ptr_entry_t *old, int filter_counted)
{
    ls_thread_t *t = ls_thread_self();
    if (LS_LIKELY(t != NULL))
        ls_count_free(t, old->site);
    traced_change(t, -(int64_t)old->size);
    if (LS_UNLIKELY(atomic_load_explicit(&ls_sample_armed, memory_order_relaxed))) /* issue 11 */
        ls_sample_note_free(old->ptr, old->site, old->size, old->cls, filter_counted);
}

int ls_record_free(void *p)
{
    /* The free hook asked the sampling filter first (ls_sample_miss). */
    int filter_counted = filter_counts_all();
    ls_ptr_raw_t r = ls_ptr_take((uintptr_t)p);
    if (LS_UNLIKELY(!r.key)) {
        ls_ptr_entry_t old;
        if (!ls_ptr_remove_side((uintptr_t)p, &old))
            return 0;
        release_entry(&old, filter_counted);
        return 1;
    }
    ls_ptr_entry_t old; /* unpacked inline: release_entry reads only what it needs */
    ls_ptr_unpack(r, &old);
    release_entry(&old, filter_counted);
    return 1;
}

int ls_record_take(void *p, ls_taken_t *old)
{
    if (LS_UNLIKELY(ls_sample_miss(p))) /* issue 11 */
        return 0;
    old->filter_counted = filter_counts_all();
    return ls_ptr_remove((uintptr_t)p, &old->e);
}

void ls_record_restore(const ls_taken_t *old)
{
    const ls_ptr_entry_t *e = &old->e;
    ls_ptr_entry_t stale;
    if (ls_ptr_insert(e->ptr, e->size, e->site, e->epoch, e->cls, &stale) < 0)
        ls_engine_fail("its table of live allocations cannot grow (out of memory)");
}

void ls_record_release(const ls_taken_t *old)
{
    release_entry(&old->e, old->filter_counted);
}

/* ---- figures ------------------------------------------------------------------- */

void ls_engine_traced(uint64_t *current, uint64_t *peak)
{
    *current = atomic_load(&traced.current) + atomic_load(&owner.bytes) + (uint64_t)ls_threads_pending();
    *peak = atomic_load(&traced.peak);
    while (*peak < *current && /* a peak seen by summing pending bytes counts too */
           !atomic_compare_exchange_weak(&traced.peak, peak, *current))
        ;
    if (*peak < *current)
        *peak = *current;
}

void ls_engine_reset_peak(void)
{
    uint64_t current, peak;
    ls_engine_traced(&current, &peak);
    atomic_store(&traced.peak, current);
}

void ls_engine_mark(uint64_t step)
{
    atomic_store_explicit(&epoch_step, step, memory_order_relaxed);
    atomic_store_explicit(&marked, 1, memory_order_relaxed);
}

uint64_t ls_engine_epoch(void)
{
    if (atomic_load_explicit(&marked, memory_order_relaxed))
        return atomic_load_explicit(&epoch_step, memory_order_relaxed);
    return ls_snapshot_count();
}

LS_HIDDEN void ls_engine_header_figures(uint64_t *step, uint64_t *is_marked, uint64_t *untr_count,
                                        uint64_t *untr_bytes)
{
    *step = atomic_load(&epoch_step);
    *is_marked = (uint64_t)atomic_load(&marked);
    *untr_count = atomic_load(&untracked_count);
    *untr_bytes = atomic_load(&untracked_bytes);
}

/* ---- fork ---------------------------------------------------------------------- */

static void on_fork_prepare(void)
{
    ls_guard++;
    ls_unwind_fork_prepare(); /* first: a walker may need the locks below once out */
    ls_snapshot_lock();
    ls_modules_lock();
    ls_sites_lock_all();
    ls_ptr_lock_all();
}

static void on_fork_parent(void)
{
    ls_ptr_unlock_all();
    ls_sites_unlock_all();
    ls_modules_unlock();
    ls_snapshot_unlock();
    ls_unwind_fork_parent();
    ls_guard--;
}

static void on_fork_child(void)
{
    /* Only this thread exists in the child, and it holds every lock: release them. */
    own_pid = raw_getpid();
    ls_ptr_reset_after_fork();
    ls_sites_unlock_all();
    ls_modules_unlock();
    ls_snapshot_unlock();
    ls_snapshot_after_fork();
    ls_unwind_fork_child();
    ls_guard--;
}

/* ---- exit ---------------------------------------------------------------------- */

/* The exit snapshot; `may_scan`: it may carry the reachability scan. An _exit's may not:
 * a forked child that _exits has only the forking thread, so blocks that only the parent's
 * other threads referenced would read as lost (LeakSanitizer, too, scans only at exit()). */
static void at_exit(int may_scan)
{
    ls_log_flush_held(); /* a line the snapshot thread could not say itself */
    if (atomic_load(&ls_state) != LS_READY)
        return;
    /* exit() called from a signal handler that interrupted one of our hooks on this
     * thread: the interrupted hook may hold a table lock, so writing now could deadlock.
     * The program's exit matters more than its last snapshot. */
    if (ls_guard)
        return;
    ls_guard++;
    if (may_scan) {
        LS_SCAN_NOTE_ENTRY(); /* issue 13: the scan's roots on this stack start here */
        ls_scan_arm_exit();
    }
    ls_snapshot_exit();
    ls_engine_drain_deferred();
    ls_guard--;
}

void ls_engine_at_exit(void)
{
    at_exit(1);
}

/* A vfork child (or a clone sharing memory, as posix_spawn makes) that calls _exit runs
 * on its parent's memory while the parent waits: a snapshot from it would be written
 * under the parent's name and mark the parent's exit snapshot as taken. Nothing is
 * written or changed then, not even the held log line. */
void ls_engine_at_immediate_exit(void)
{
    if (raw_getpid() == own_pid)
        at_exit(0);
}
