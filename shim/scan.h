/*
 * scan.h — the reachability scan (issue 13): a conservative mark-and-sweep over the
 * live blocks the shim tracks, with LeakSanitizer's definitions. Roots: the writable
 * segments of every loaded module (.data, .bss, GOT; the shim's own excluded), the
 * stack (from the stack pointer up, red zone included) and the registers of every
 * thread, each thread's static TLS and thread descriptor, and the blocks the dynamic
 * linker allocated (DTVs, dynamic TLS: LSan treats them as roots too). A pointer to
 * any byte of a block keeps it reachable; only 8-byte-aligned words are pointers.
 * An unreachable block is a direct leak when no other unreachable block points to it,
 * else an indirect leak.
 *
 * LEAKSCOPE_SCAN=1 (default) scans at the exit snapshot, 0 turns that off; a snapshot
 * labelled "scan" (leakscope_snapshot("scan")) always scans.
 */
#ifndef LS_SCAN_H
#define LS_SCAN_H

#include <stdint.h>

#include "common.h"

typedef struct {
    uint64_t direct_bytes, direct_count, indirect_bytes, indirect_count;
} ls_leak_figures_t;

typedef struct {
    uint32_t n_sites;           /* entries of per_site (sites known when the scan ran) */
    ls_leak_figures_t *per_site;
    uint64_t blocks, heap_bytes; /* live blocks and bytes examined */
    uint64_t root_bytes;        /* bytes of roots scanned */
    uint64_t threads;           /* threads whose stacks and registers were scanned */
    uint64_t duration_ns;       /* wall time of the scan, threads stopped */
} ls_scan_t;

/* Read LEAKSCOPE_SCAN from the environment (one stderr line for a bad value). */
LS_HIDDEN void ls_scan_configure(char *const *envp);
/* The exit path says the coming "exit" snapshot is the real one (not an _exit). */
LS_HIDDEN void ls_scan_arm_exit(void);
/* Whether a snapshot labelled `label` carries a scan. */
LS_HIDDEN int ls_scan_wanted(const char *label);
/* Run the scan. Call with snapshot_lock held and ls_guard set, no pointer-table lock
 * held. 0 and *out filled, or -1 (the reason said once on stderr). */
LS_HIDDEN int ls_scan_run(ls_scan_t *out);
LS_HIDDEN void ls_scan_free(ls_scan_t *s);

#endif /* LS_SCAN_H */
