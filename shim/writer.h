/*
 * writer.h — writing snapshot files (docs/format.md) without allocating through the
 * hooks, and the worker thread that writes them on LEAKSCOPE_SIGNAL and on the timer
 * (never from inside a signal handler, which may have interrupted malloc).
 */
#ifndef LS_SHIM_WRITER_H
#define LS_SHIM_WRITER_H

#include <stdint.h>

#include "common.h"

LS_HIDDEN void ls_snapshot_init(void);
/* Start the worker thread when a signal or an interval is configured and, with
 * `install_handler`, install the LEAKSCOPE_SIGNAL handler (when the signal is still at its
 * default disposition). Called from the library constructor (the C library is fully up
 * then) with 1, and in a forked child with 0. */
LS_HIDDEN void ls_snapshot_start_worker(int install_handler);
/* Snapshots written by this process so far (the birth epoch when nothing is marked). */
LS_HIDDEN extern _Atomic uint64_t ls_snapshots_written;
static inline uint64_t ls_snapshot_count(void)
{
    return atomic_load_explicit(&ls_snapshots_written, memory_order_relaxed);
}
/* The exit snapshot: written once; later requests are ignored. */
LS_HIDDEN void ls_snapshot_exit(void);
LS_HIDDEN void ls_snapshot_lock(void);
LS_HIDDEN void ls_snapshot_unlock(void);
/* In a forked child: its own sequence numbers, pid and worker. */
LS_HIDDEN void ls_snapshot_after_fork(void);

/* Keep [A-Za-z0-9_+-] of a label (others become '_'), at most 32 characters. */
LS_HIDDEN void ls_sanitise_label(char *dst, size_t cap, const char *label);

#endif /* LS_SHIM_WRITER_H */
