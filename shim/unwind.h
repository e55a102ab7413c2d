/*
 * unwind.h — capturing the trace of an allocation (libunwind), without the shim's
 * own frames, with a per-thread cache of verified stacks in front of it.
 */
#ifndef LS_UNWIND_H
#define LS_UNWIND_H

#include <stdint.h>

#include "common.h"

/* Where the program called the hook: the return address into the program and the
 * stack pointer at that moment (the hook frame's CFA). Both 0 when unknown. */
typedef struct {
    uintptr_t ip, sp;
} ls_caller_t;

/* The caller of the current (hook) function. The shim is built with frame pointers,
 * so the frame address of a hook is its frame base and its CFA is 16 bytes above. */
#define LS_CALLER()                                                                                \
    ((ls_caller_t){(uintptr_t)__builtin_return_address(0),                                         \
                   (uintptr_t)__builtin_frame_address(0) + 16})

typedef struct ls_stack_cache ls_stack_cache_t;

/* Prepare libunwind (per-thread caches) and find the shim's own code range. */
LS_HIDDEN void ls_unwind_init(void);

/* Store up to `max` return addresses of the current call stack, innermost first,
 * starting at the first frame outside the shim. Returns how many (at least 1: when
 * nothing can be unwound, a single 0 frame stands for "unknown"). `cache` (per thread,
 * may be NULL) and `caller` let a stack seen before be recognised without unwinding.
 * *memo is set to a slot the caller may use to remember what it derived from this
 * exact trace (the engine keeps the site there), or NULL; the slot is cleared whenever
 * its cache entry is refilled with another trace. When the slot already holds something,
 * the trace is the one it was derived from and `out` is left unwritten (only the count
 * is returned): a hit costs no copy. */
LS_HIDDEN unsigned ls_unwind_capture(uintptr_t *out, unsigned max, ls_stack_cache_t **cache,
                                     ls_caller_t caller, void ***memo);

/* LS_WALK_BLOCKED while this thread walks its stack step by step with every signal
 * blocked by the walk itself (unwind.c), else 0: libunwind's own sigprocmask calls are
 * then answered without a system call (hooks.c). */
#define LS_WALK_BLOCKED 2
LS_HIDDEN extern __thread int ls_walk_state __attribute__((tls_model("initial-exec")));

/* fork(): the prepare handler waits until no other thread is inside libunwind (and
 * keeps new walks out) so that no libunwind lock is held in the child; the parent and
 * child handlers open the gate again. */
LS_HIDDEN void ls_unwind_fork_prepare(void);
LS_HIDDEN void ls_unwind_fork_parent(void);
LS_HIDDEN void ls_unwind_fork_child(void);

/* Forget a cache (its thread block is being handed to another thread). */
LS_HIDDEN void ls_unwind_cache_reset(ls_stack_cache_t *cache);

#endif /* LS_UNWIND_H */
