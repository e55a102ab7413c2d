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
static inline unsigned ls_unwind_capture(uintptr_t *out, unsigned max, ls_stack_cache_t **cache,
                                         ls_caller_t caller, void ***memo);
LS_HIDDEN unsigned ls_unwind_capture_slow(uintptr_t *out, unsigned max, ls_stack_cache_t **cache,
                                          ls_caller_t caller, void ***memo);

/* ---- the cache's hit path, in line in the engine's record (unwind.c fills it) ---------- */

#define LS_UNWIND_WAYS 4 /* associativity: a few hot callers never evict each other */
/* Stack slots re-read to verify a hit; longer walks are not cached (each is unwound by
 * libunwind, some ten times the cost). A frame-pointer frame has two (its return address
 * and its saved RBP), so 32 covers the default 16 frames of a program built with frame
 * pointers throughout (24 did not: such a stack 13 frames deep was never cached). */
#define LS_UNWIND_CHECKS 32

/* An entry: the key, the engine's memo, and the checks — stack slots (as 8-byte word
 * offsets from the hook's frame, caller SP - 16) and the values they held when the entry
 * was filled: return-address slots, and where frame-pointer frames' RBP values are saved.
 * An entry is filled only for a key whose IP lies outside the shim and whose SP and
 * checked slots lie inside the thread's own stack, so a key that matches needs neither
 * test again. */
typedef struct {
    uintptr_t ip, sp; /* the key: caller of the hook */
    void *memo;       /* the engine's site for this trace */
    uint16_t n;       /* frames in the trace */
    uint16_t nchecks;
    uint16_t at[LS_UNWIND_CHECKS];
    uint32_t rel; /* checks whose value is a stack address (a saved RBP): bit k for check k */
    uintptr_t value[LS_UNWIND_CHECKS];
} ls_unwind_entry_t;
_Static_assert(LS_UNWIND_CHECKS <= 32, "rel holds a bit per check");

typedef struct {
    uintptr_t miss_ip[2], miss_sp[2]; /* the last keys that missed here without a fill */
    unsigned victim;                  /* round-robin replacement of ways */
    uint16_t misses[2];               /* how many times each missed */
    unsigned miss_next;               /* round-robin replacement of miss keys */
    ls_unwind_entry_t way[LS_UNWIND_WAYS];
} ls_unwind_set_t;

struct ls_stack_cache {
    int bounds_known;  /* 0 not yet, 1 known, -1 cannot be known */
    int shares;        /* a thread's own stack, cut at its control block: shares its entries */
    uintptr_t lo, hi;  /* this thread's stack */
    uint32_t set_mask; /* sets - 1 */
    uint32_t fills;    /* since the cache last grew */
    ls_unwind_set_t *sets;
};

static inline ls_unwind_set_t *ls_unwind_set_of(const ls_stack_cache_t *c, uintptr_t ip, uintptr_t sp)
{
    uint64_t h = (ip ^ (sp * 0x9E3779B97F4A7C15ull)) * 0xff51afd7ed558ccdull;
    return &c->sets[(h >> 40) & c->set_mask];
}

/* A hit: every checked slot still holds what it held when the entry was filled. */
static inline int ls_unwind_entry_holds(const ls_unwind_entry_t *e)
{
    const volatile uintptr_t *frame = (const volatile uintptr_t *)(e->sp - 16);
    for (uint32_t k = 0; k < e->nchecks; k++)
        if (frame[e->at[k]] != e->value[k])
            return 0;
    return 1;
}

/* The hit path of the capture; everything else (no cache yet, a miss, a walk) is
 * ls_unwind_capture_slow's. */
static inline unsigned ls_unwind_capture(uintptr_t *out, unsigned max, ls_stack_cache_t **cache,
                                         ls_caller_t caller, void ***memo)
{
    ls_stack_cache_t *c = cache ? *cache : NULL;
    if (LS_LIKELY(c != NULL && c->sets != NULL && max > 1)) {
        /* Several ways may hold the same caller with different outer frames (a wrapper
         * called from several places at one depth). A hit hands back the engine's memo
         * (its site) and no frames: the site holds them. */
        ls_unwind_set_t *set = ls_unwind_set_of(c, caller.ip, caller.sp);
        for (unsigned w = 0; w < LS_UNWIND_WAYS; w++) {
            ls_unwind_entry_t *e = &set->way[w];
            if (e->ip == caller.ip && e->sp == caller.sp && e->memo && LS_LIKELY(ls_unwind_entry_holds(e))) {
                *memo = &e->memo;
                return e->n;
            }
        }
    }
    return ls_unwind_capture_slow(out, max, cache, caller, memo);
}

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

/* The engine has just stored its site in a memo slot that ls_unwind_capture handed out
 * after a walk: the entry is complete, and other threads may now use it (unwind.c, shared
 * stacks). */
LS_HIDDEN void ls_unwind_memo_set(ls_stack_cache_t *cache, void **memo, void *site);

/* Forget a cache (its thread block is being handed to another thread). */
LS_HIDDEN void ls_unwind_cache_reset(ls_stack_cache_t *cache);

#endif /* LS_UNWIND_H */
