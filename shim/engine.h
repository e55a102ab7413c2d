/*
 * engine.h — the shim's engine: configuration, lifecycle (uninitialised, initialising,
 * ready, disabled), recording allocations and frees, snapshots. hooks.c is the only
 * caller in the preloaded library; the engine's unit tests call it directly.
 */
#ifndef LS_ENGINE_H
#define LS_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "ptrtable.h"
#include "unwind.h"

enum { LS_UNINIT = 0, LS_INITIALIZING, LS_READY, LS_DISABLED };

typedef struct {
    unsigned frames;        /* LEAKSCOPE_FRAMES, 1..128 */
    uint64_t interval_ms;   /* LEAKSCOPE_INTERVAL_MS, 0 = off */
    int signal;             /* LEAKSCOPE_SIGNAL as a number, 0 = off */
    char out_dir[4096];     /* LEAKSCOPE_OUT, or leakscope.<prog>.<pid> */
    char prog[64];          /* sanitised program name */
    char exe[4096];         /* /proc/self/exe */
} ls_config_t;

/* Global state; hooks read it on every call. */
LS_HIDDEN extern atomic_int ls_state;
LS_HIDDEN extern ls_config_t ls_config;

/* Per-thread re-entry guard: non-zero while the shim itself runs on this thread, so
 * any allocation it (or a library it calls) makes goes straight to the real allocator. */
LS_HIDDEN extern __thread int ls_guard __attribute__((tls_model("initial-exec")));

/* Initialise from the environment (idempotent; the first caller wins, concurrent
 * callers return at once and see state LS_INITIALIZING). Secure-mode (setuid) processes
 * are left alone: the state becomes LS_DISABLED. */
LS_HIDDEN void ls_engine_init(void);
/* Register the fork handlers (from the library constructor, outside any hook). */
LS_HIDDEN void ls_engine_watch_forks(void);
/* Initialise with an explicit configuration (unit tests). 0 or -1. */
LS_HIDDEN int ls_engine_init_with(const ls_config_t *cfg);
/* Parse the environment into *cfg (defaults for bad values, with one stderr line each). */
LS_HIDDEN void ls_config_from_env(ls_config_t *cfg, char *const *envp);

/* Record a successful allocation of `size` requested bytes at p, charged to the
 * caller's trace (`caller`: see LS_CALLER). Call with ls_guard set. */
LS_HIDDEN void ls_record_alloc(void *p, size_t size, ls_caller_t caller);
/* The same, for an allocation the sampler already chose (the hooks ask ls_sample_skip
 * themselves, so an untraced allocation costs them no call and no errno save). */
LS_HIDDEN void ls_record_sampled(void *p, size_t size, ls_caller_t caller);
/* Forget p before the real free. Returns 1 when p was tracked. Call with ls_guard set. */
LS_HIDDEN int ls_record_free(void *p);
/* An entry taken out of the table, and whether the sampling filter was armed before it
 * was taken (the filter had then counted it: its release may uncount it; sample.c). */
typedef struct {
    ls_ptr_entry_t e;
    int filter_counted;
} ls_taken_t;
/* realloc: take p's entry out before the real call (returns 1 when tracked); after a
 * failed realloc put it back unchanged with ls_record_restore. */
LS_HIDDEN int ls_record_take(void *p, ls_taken_t *old);
LS_HIDDEN void ls_record_restore(const ls_taken_t *old);
/* The free half of a realloc that moved or resized a tracked block. */
LS_HIDDEN void ls_record_release(const ls_taken_t *old);

/* free(p) arriving while the shim is busy on this thread (ls_guard set: a signal handler
 * interrupted a hook, an API call or a snapshot). Queues p — both the record and the real
 * free, so its address cannot be reused before the record — and returns 1; returns 0 when
 * the queue is full (the caller frees at once; the entry goes stale and is settled when
 * the address is next allocated). Async-signal-safe. */
LS_HIDDEN int ls_engine_defer_free(void *p);
/* The free that deferred blocks go to: glibc's, or the allocator the program is linked
 * with (hooks.c finds it). */
LS_HIDDEN void ls_engine_set_real_free(void (*fn)(void *));
/* The program's malloc is another's, found before the shim's (an allocator listed before it in
 * LD_PRELOAD, named by `whose`, or the program's own: NULL): the hooks never run, so nothing
 * is tracked. Said in one line, once per process tree. */
LS_HIDDEN void ls_engine_warn_not_first(const char *whose);
/* Record and free what was queued on this thread. Call with ls_guard set, just before
 * lowering it; one TLS load when nothing is queued. Only the outermost guard holder
 * drains: at a deeper level (a signal handler that interrupted the shim and called the
 * API) the interrupted code may hold a table lock, or a handler below may not have
 * written its slot yet; the outermost level drains when it leaves. */
LS_HIDDEN extern __thread unsigned ls_deferred_count __attribute__((tls_model("initial-exec")));
LS_HIDDEN void ls_engine_drain_deferred_slow(void);
static inline void ls_engine_drain_deferred(void)
{
    if (LS_UNLIKELY(ls_deferred_count) && ls_guard == 1)
        ls_engine_drain_deferred_slow();
}

/* Write a snapshot labelled `label` now. Returns 0 or -1 (the reason is logged once). */
LS_HIDDEN int ls_snapshot_take(const char *label);

/* Stop tracking for good after an internal failure: says why once on stderr. */
LS_HIDDEN void ls_engine_fail(const char *why);

/* Process-wide figures, as in a snapshot header. */
LS_HIDDEN void ls_engine_traced(uint64_t *current, uint64_t *peak);
LS_HIDDEN void ls_engine_reset_peak(void);
LS_HIDDEN void ls_engine_mark(uint64_t step);
LS_HIDDEN uint64_t ls_engine_epoch(void);

/* The exit snapshot, from the library destructor (skipped when exit() was called from a
 * signal handler that interrupted a hook on this thread: see engine.c). */
LS_HIDDEN void ls_engine_at_exit(void);
/* The exit snapshot from _exit/_Exit (hooks.c): as ls_engine_at_exit, and never in a
 * process that shares this one's memory without being it (a vfork child: engine.c). */
LS_HIDDEN void ls_engine_at_immediate_exit(void);
/* Header figures of a snapshot that only the engine knows (writer.c). */
LS_HIDDEN void ls_engine_header_figures(uint64_t *step, uint64_t *is_marked, uint64_t *untr_count,
                                        uint64_t *untr_bytes);

#endif /* LS_ENGINE_H */
