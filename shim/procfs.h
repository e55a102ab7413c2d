/*
 * procfs.h — reading the kernel's /proc files from inside any hook: which mapping holds
 * an address (/proc/thread-self/maps), a parent's environment. Nothing here calls into
 * the C library in a way that takes a lock, allocates or is a cancellation point
 * (procfs.c).
 */
#ifndef LS_PROCFS_H
#define LS_PROCFS_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* Read the file at `path` with raw system calls, handing it to fn a chunk at a time
 * until fn returns non-zero. Returns fn's non-zero result, 0 at the end of the file, -1
 * when the file cannot be opened or read. Keeps errno. */
LS_HIDDEN int ls_proc_read(const char *path, int (*fn)(void *ctx, const char *buf, long n), void *ctx);

typedef struct {
    uintptr_t start, end; /* the mapping holding the address: [start, end) */
    uintptr_t prev_end;   /* end of the mapping just below it (0 when none) */
} ls_mapping_t;

/* Find the mapping that holds `addr`. Its name (a file path, "[stack]", "[heap]", or ""
 * for anonymous memory) is copied into name, cut to cap - 1 bytes and NUL-terminated (cap
 * >= 1). Returns 1 when found, 0 when not (or when the map cannot be read: no /proc, no
 * free descriptor). Keeps errno. */
LS_HIDDEN int ls_maps_find(uintptr_t addr, ls_mapping_t *m, char *name, size_t cap);

#endif /* LS_PROCFS_H */
