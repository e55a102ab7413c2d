/*
 * api.c — the entry points include/leakscope.h reaches through weak references
 * (leakscope_shim_*), and the same calls under their plain names for programs that
 * look them up with dlsym. Each keeps errno as it was.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "sample.h"
#include "scan.h"
#include "writer.h"

/* Declared here rather than by including leakscope.h, whose static inline wrappers
 * carry the plain names this file exports as aliases. */
LS_EXPORT void leakscope_shim_snapshot(const char *label);
LS_EXPORT void leakscope_shim_mark(uint64_t step);
LS_EXPORT int leakscope_shim_active(void);
LS_EXPORT void leakscope_shim_traced_memory(size_t *current, size_t *peak);
LS_EXPORT void leakscope_shim_reset_peak(void);
LS_EXPORT void leakscope_shim_set_sample(size_t bytes);

LS_EXPORT void leakscope_shim_snapshot(const char *label)
{
    LS_SCAN_NOTE_ENTRY(); /* issue 13: a "scan" snapshot's roots start at the caller */
    int saved = errno;
    if (atomic_load(&ls_state) == LS_UNINIT)
        ls_engine_init();
    /* Called from a signal handler that interrupted one of our hooks on this thread
     * (ls_guard set): a table lock may be held below us, so no snapshot this time. */
    if (!ls_guard)
        ls_snapshot_take(label && *label ? label : "snapshot");
    errno = saved;
}

LS_EXPORT void leakscope_shim_mark(uint64_t step)
{
    ls_engine_mark(step);
}

/* The figures below take the threads lock: with ls_guard raised, a signal handler that
 * interrupts them and calls exit() or leakscope_snapshot() sees a hook in progress on
 * this thread and does not try to take that lock again (engine.c, ls_engine_at_exit). */

LS_EXPORT int leakscope_shim_active(void)
{
    return atomic_load(&ls_state) == LS_READY;
}

LS_EXPORT void leakscope_shim_traced_memory(size_t *current, size_t *peak)
{
    uint64_t c, p;
    ls_guard++;
    ls_engine_traced(&c, &p);
    ls_engine_drain_deferred();
    ls_guard--;
    if (current)
        *current = (size_t)c;
    if (peak)
        *peak = (size_t)p;
}

LS_EXPORT void leakscope_shim_reset_peak(void)
{
    ls_guard++;
    ls_engine_reset_peak();
    ls_engine_drain_deferred();
    ls_guard--;
}

/* Issue 11: switch between exact (0) and sampled tracking. From a signal handler that
 * interrupted a hook (ls_guard set) it does nothing: the switch walks the tables. */
LS_EXPORT void leakscope_shim_set_sample(size_t bytes)
{
    int saved = errno;
    if (atomic_load(&ls_state) == LS_UNINIT)
        ls_engine_init();
    if (!ls_guard && atomic_load(&ls_state) == LS_READY)
        ls_sample_set(bytes > (1ull << 40) ? (1ull << 40) : (uint64_t)bytes);
    errno = saved;
}

LS_EXPORT void leakscope_snapshot(const char *label) __attribute__((alias("leakscope_shim_snapshot")));
LS_EXPORT void leakscope_mark(uint64_t step) __attribute__((alias("leakscope_shim_mark")));
LS_EXPORT int leakscope_active(void) __attribute__((alias("leakscope_shim_active")));
LS_EXPORT void leakscope_traced_memory(size_t *current, size_t *peak)
    __attribute__((alias("leakscope_shim_traced_memory")));
LS_EXPORT void leakscope_reset_peak(void) __attribute__((alias("leakscope_shim_reset_peak")));
LS_EXPORT void leakscope_set_sample(size_t bytes) __attribute__((alias("leakscope_shim_set_sample")));
