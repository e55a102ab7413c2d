/*
 * stopworld.h — stop every other thread of the process and read its registers, as
 * LeakSanitizer does: a tracer task (clone(CLONE_VM), not a thread of the process)
 * ptrace-seizes each thread, interrupts it and reads its registers; the caller scans
 * while they stay stopped; then the tracer detaches and exits.
 *
 * Why ptrace rather than a signal that parks each thread: a stop by PTRACE_INTERRUPT
 * does not depend on the program's signal masks or dispositions, does not run any code
 * on the stopped thread (a thread inside malloc, inside the shim or on an alternate
 * signal stack stays exactly where it was), and a thread stopped inside a system call
 * has the call restarted by the kernel on resumption (no EINTR, no short sleep), so
 * the program cannot tell it happened. A signal would be seen by the program (EINTR
 * from sleeps and waits, lost when masked, taken by a handler of its own).
 *
 * Contract: call with every shim lock that a stopped thread might want already held
 * by the caller (so no stopped thread holds one), and allocate nothing through
 * malloc between ls_world_stop and ls_world_resume. x86-64 Linux only; elsewhere
 * ls_world_stop fails and the scan is skipped.
 */
#ifndef LS_STOPWORLD_H
#define LS_STOPWORLD_H

#include <stdint.h>

#include "common.h"

#define LS_WORLD_MAX_THREADS 8192
#define LS_WORLD_NREGS 27 /* words of struct user_regs_struct on x86-64 */

typedef struct {
    int tid;
    int stopped;  /* 1: stopped and its registers read */
    int signal;   /* a signal the stop intercepted, handed back at detach */
    uintptr_t sp, tls; /* stack pointer, thread pointer (fs base) */
    uintptr_t regs[LS_WORLD_NREGS];
} ls_world_thread_t;

typedef struct {
    atomic_int phase;  /* futex word: 0 starting, 1 stopped (or failed), 2 release, 3 done */
    int error;         /* errno of a failure that makes the stop incomplete, else 0 */
    int n;             /* threads in `threads` */
    int caller_tid;
    int pid;
    int tracer_tid;
    ls_world_thread_t threads[LS_WORLD_MAX_THREADS];
} ls_world_t;

/* Stop every thread but the caller. Returns a world (mmap'd) with the caller's
 * registers not included, or NULL with *err set (ESRCH/EPERM from ptrace, ENOMEM,
 * EOVERFLOW beyond LS_WORLD_MAX_THREADS, ENOSYS off x86-64). When NULL nothing is
 * stopped. The world must be given back with ls_world_resume. */
LS_HIDDEN ls_world_t *ls_world_stop(int *err);
/* Resume the threads (pending signals handed back), reap the tracer, free the world. */
LS_HIDDEN void ls_world_resume(ls_world_t *w);

#endif /* LS_STOPWORLD_H */
