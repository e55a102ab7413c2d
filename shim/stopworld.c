/*
 * stopworld.c — stopping the other threads for the reachability scan (stopworld.h).
 *
 * The tracer runs on a stack of its own, shares the address space but not the thread
 * group, and uses raw system calls only: it shares the caller's thread pointer, so it
 * must not touch errno or any other thread-local state, and it must not allocate
 * (a stopped thread may hold the allocator's locks).
 *
 * Handshake through w->phase (a futex word): the tracer attaches every thread, reads
 * its registers and sets 1; the caller scans, then sets 2; the tracer detaches every
 * thread (handing back a signal a stop intercepted) and sets 3 and exits; the caller
 * reaps it (it was cloned with no exit signal: nothing reaches the program's SIGCHLD
 * handler or its wait() calls, which only see __WCLONE children when they ask).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stopworld.h"

#if defined(__x86_64__)

#define TRACER_STACK (128 * 1024)

/* A system call without errno: returns the kernel's answer (-errno on failure). */
static inline long raw6(long n, long a, long b, long c, long d, long e, long f)
{
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#define RAW(n, a, b, c, d) raw6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

static void futex_wait(atomic_int *word, int seen)
{
    RAW(SYS_futex, word, FUTEX_WAIT_PRIVATE, seen, 0);
}

static void futex_wake(atomic_int *word)
{
    RAW(SYS_futex, word, FUTEX_WAKE_PRIVATE, 0x7fffffff, 0);
}

/* Wait until *word differs from `from`. */
static void wait_change(atomic_int *word, int from)
{
    while (atomic_load(word) == from)
        futex_wait(word, from);
}

/* The caller's wait for the tracer: as wait_change, but gives up (returns -1) when the
 * tracer is gone (killed: SIGKILL cannot be blocked), so the program never hangs on it. */
static int wait_tracer(ls_world_t *w, int from)
{
    struct timespec tick = {0, 100 * 1000 * 1000};
    while (atomic_load(&w->phase) == from) {
        RAW(SYS_futex, &w->phase, FUTEX_WAIT_PRIVATE, from, &tick);
        int st;
        if (atomic_load(&w->phase) == from && RAW(SYS_wait4, w->tracer_tid, &st, __WALL | WNOHANG, 0) != 0)
            return -1; /* reaped now (it died), or not ours to wait for any more */
    }
    return 0;
}

/* "/proc/<pid>/task" or "/proc/<pid>/task/<tid>/stat" without snprintf. */
static void proc_path(char *out, int pid, int tid)
{
    char *p = out;
    const char *pre = "/proc/";
    while (*pre)
        *p++ = *pre++;
    int ids[2] = {pid, tid};
    for (int k = 0; k < (tid ? 2 : 1); k++) {
        char tmp[16];
        int n = 0, v = ids[k];
        do
            tmp[n++] = (char)('0' + v % 10);
        while ((v /= 10) != 0);
        while (n)
            *p++ = tmp[--n];
        const char *mid = k == 0 ? "/task" : "/stat";
        if (k == 0 && tid)
            mid = "/task/";
        while (*mid)
            *p++ = *mid++;
    }
    *p = 0;
}

/* A zombie or dead task (an exited main thread waits as a zombie for the others). */
static int task_is_dead(int pid, int tid)
{
    char path[64], buf[256];
    proc_path(path, pid, tid);
    int fd = (int)RAW(SYS_open, path, O_RDONLY | O_CLOEXEC, 0, 0);
    if (fd < 0)
        return 1;
    long n = RAW(SYS_read, fd, buf, sizeof buf - 1, 0);
    RAW(SYS_close, fd, 0, 0, 0);
    if (n <= 0)
        return 1;
    buf[n] = 0;
    char *rp = strrchr(buf, ')'); /* the name may hold spaces and parentheses */
    return !rp || rp[1] != ' ' || rp[2] == 'Z' || rp[2] == 'X';
}

/* Wait for t's first stop after PTRACE_INTERRUPT; record a signal it intercepted. */
static void wait_stop(ls_world_thread_t *t)
{
    for (;;) {
        int st = 0;
        long r = RAW(SYS_wait4, t->tid, &st, __WALL, 0);
        if (r == -EINTR)
            continue;
        if (r < 0 || WIFEXITED(st) || WIFSIGNALED(st))
            return; /* it exited meanwhile: nothing of it to scan */
        if (!WIFSTOPPED(st))
            continue;
        if ((st >> 16) == 0) /* a signal-delivery stop: the signal is handed back at detach */
            t->signal = WSTOPSIG(st);
        struct user_regs_struct regs;
        if (RAW(SYS_ptrace, PTRACE_GETREGS, t->tid, 0, &regs) != 0)
            return;
        memcpy(t->regs, &regs, sizeof t->regs < sizeof regs ? sizeof t->regs : sizeof regs);
        t->sp = (uintptr_t)regs.rsp;
        t->tls = (uintptr_t)regs.fs_base;
        t->stopped = 1;
        return;
    }
}

static int known(const ls_world_t *w, int tid)
{
    for (int i = 0; i < w->n; i++)
        if (w->threads[i].tid == tid)
            return 1;
    return 0;
}

/* Attach one thread. 0, or -errno when the stop cannot be complete. */
static int attach_one(ls_world_t *w, int tid)
{
    if (w->n >= LS_WORLD_MAX_THREADS)
        return -EOVERFLOW;
    long r = RAW(SYS_ptrace, PTRACE_SEIZE, tid, 0, 0);
    if (r == -ESRCH || (r == -EPERM && task_is_dead(w->pid, tid)))
        return 0; /* gone, or a zombie main thread: no stack to scan */
    if (r != 0)
        return (int)r;
    ls_world_thread_t *t = &w->threads[w->n++];
    t->tid = tid;
    RAW(SYS_ptrace, PTRACE_INTERRUPT, tid, 0, 0);
    wait_stop(t);
    return 0;
}

/* One pass over /proc/<pid>/task: attach threads not yet known. Returns how many were
 * new, or -errno. */
static int attach_pass(ls_world_t *w)
{
    char path[64], buf[4096];
    proc_path(path, w->pid, 0);
    int fd = (int)RAW(SYS_open, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, 0);
    if (fd < 0)
        return fd;
    int added = 0, err = 0;
    long n;
    while (!err && (n = RAW(SYS_getdents64, fd, buf, sizeof buf, 0)) > 0) {
        for (long off = 0; off < n && !err;) {
            struct {
                uint64_t ino;
                int64_t off;
                unsigned short reclen;
                unsigned char type;
                char name[];
            } *d = (void *)(buf + off);
            off += d->reclen;
            int tid = 0;
            for (const char *c = d->name; *c >= '0' && *c <= '9'; c++)
                tid = tid * 10 + (*c - '0');
            if (tid <= 0 || tid == w->caller_tid || known(w, tid))
                continue;
            int before = w->n;
            err = attach_one(w, tid);
            added += w->n > before; /* a gone or zombie thread is not new: the passes end */
        }
    }
    RAW(SYS_close, fd, 0, 0, 0);
    return err ? err : added;
}

static void detach_all(ls_world_t *w)
{
    for (int i = 0; i < w->n; i++)
        RAW(SYS_ptrace, PTRACE_DETACH, w->threads[i].tid, 0, w->threads[i].signal);
}

static int tracer_main(void *arg)
{
    ls_world_t *w = arg;
    int r;
    /* Threads may start threads until they are stopped: list again until a pass finds
     * no new one (each pass stops the ones it finds, so this ends). */
    while ((r = attach_pass(w)) > 0)
        ;
    w->error = -r > 0 ? -r : 0;
    atomic_store(&w->phase, 1);
    futex_wake(&w->phase);
    wait_change(&w->phase, 1);
    detach_all(w);
    atomic_store(&w->phase, 3);
    futex_wake(&w->phase);
    return 0;
}

ls_world_t *ls_world_stop(int *err)
{
    size_t bytes = sizeof(ls_world_t) + TRACER_STACK;
    ls_world_t *w = ls_pages_alloc(bytes);
    if (!w) {
        *err = ENOMEM;
        return NULL;
    }
    w->pid = (int)RAW(SYS_getpid, 0, 0, 0, 0);
    w->caller_tid = (int)RAW(SYS_gettid, 0, 0, 0, 0);
    /* ptrace needs a dumpable process; set it for the stop, as LeakSanitizer does. */
    int dumpable = (int)RAW(SYS_prctl, PR_GET_DUMPABLE, 0, 0, 0);
    if (dumpable != 1)
        RAW(SYS_prctl, PR_SET_DUMPABLE, 1, 0, 0);
    char *stack_top = (char *)(((uintptr_t)w + bytes) & ~(uintptr_t)15);
    /* The tracer starts with every signal blocked (a terminal's SIGINT reaches its process
     * group, the tracer included; it must not die with the threads stopped). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int pid = clone(tracer_main, stack_top, CLONE_VM | CLONE_UNTRACED, w);
    int clone_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = clone_errno;
    if (pid > 0) {
        w->tracer_tid = pid;
        if (wait_tracer(w, 0) != 0) { /* killed: its tracees were detached by the kernel */
            *err = ECHILD;
            ls_pages_free(w, bytes);
            return NULL;
        }
    }
    if (dumpable != 1 && dumpable >= 0)
        RAW(SYS_prctl, PR_SET_DUMPABLE, dumpable, 0, 0);
    if (pid <= 0 || w->error) {
        *err = pid <= 0 ? errno : w->error;
        if (pid > 0)
            ls_world_resume(w);
        else
            ls_pages_free(w, bytes);
        return NULL;
    }
    return w;
}

void ls_world_resume(ls_world_t *w)
{
    atomic_store(&w->phase, 2);
    futex_wake(&w->phase);
    if (wait_tracer(w, 2) == 0) {
        int st;
        while (RAW(SYS_wait4, w->tracer_tid, &st, __WALL, 0) == -EINTR)
            ;
    }
    ls_pages_free(w, sizeof(ls_world_t) + TRACER_STACK);
}

#else /* not x86-64 */

ls_world_t *ls_world_stop(int *err)
{
    *err = ENOSYS;
    return NULL;
}

void ls_world_resume(ls_world_t *w)
{
    (void)w;
}

#endif
