/*
 * keep.h — LEAKSCOPE_KEEP (issue 11): a bound on the snapshot files one process leaves in
 * its directory, for runs of days. When a write takes the count past N, the older files
 * are thinned: the first is kept, the newest N/2, and between them the ones nearest a
 * geometric spread of ages (distances in sequence numbers from the newest), so the
 * analyzer still sees the whole history, densely near the end and sparsely before.
 */
#ifndef LS_KEEP_H
#define LS_KEEP_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* LEAKSCOPE_KEEP from the environment (0 or unset: keep every file). */
LS_HIDDEN void ls_keep_configure(char *const *envp);
/* The bound in force, 0 when off. */
LS_HIDDEN uint64_t ls_keep_limit(void);
/* After a snapshot was written into the directory open as dfd: delete what the bound
 * asks among the files of this process ("<prog>.<pid>.<seq>.<label>.lss"). Called from
 * the writer with its lock held; allocation-free (pages from mmap). */
LS_HIDDEN void ls_keep_after_write(int dfd, const char *prog, uint64_t pid);

/* The choice itself, for the unit tests: given n sequence numbers in increasing order,
 * set keep[i] to 1 for the files to keep (at most `limit` of them). */
LS_HIDDEN void ls_keep_choose(const uint64_t *seq, size_t n, uint64_t limit, unsigned char *keep);

#endif /* LS_KEEP_H */
