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

/* Where the program's part of the scanning thread's stack begins: the entry points
 * (exit path, API) note their frame and the callee-saved registers on entry, so the
 * shim's own frames — stale words of the program's earlier calls among them — are
 * not read as roots. Without a note the scan starts at its own frame. */
typedef struct {
    uintptr_t sp;
    uintptr_t regs[6];
} ls_scan_entry_t;
LS_HIDDEN extern __thread ls_scan_entry_t ls_scan_entry __attribute__((tls_model("initial-exec")));
#if defined(__x86_64__)
#define LS_SCAN_NOTE_ENTRY()                                                                       \
    do {                                                                                           \
        __asm__ volatile("mov %%rbx, 0(%0)\n\tmov %%rbp, 8(%0)\n\tmov %%r12, 16(%0)\n\t"            \
                         "mov %%r13, 24(%0)\n\tmov %%r14, 32(%0)\n\tmov %%r15, 40(%0)"             \
                         ::"r"(ls_scan_entry.regs) : "memory");                                     \
        /* the callee-saved registers this function pushed lie just below its frame */         \
        ls_scan_entry.sp = (uintptr_t)__builtin_frame_address(0) - 48;                             \
    } while (0)
#else
#define LS_SCAN_NOTE_ENTRY() ((void)0)
#endif

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
