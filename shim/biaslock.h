/*
 * biaslock.h — a lock that costs its usual thread no locked instruction.
 *
 * Every hook takes one pointer-table shard lock, and the locked exchange of a spinlock
 * waits for the thread's store buffer to drain: on an interpreter's allocations (CPython,
 * hot in cache) it was over 40% of the table's cost. Most shards are only ever used by
 * one thread (ptrtable.c shards by malloc arena), so a shard's lock becomes *biased* to
 * the thread that took it many times in a row. That thread (the owner) enters with plain
 * stores and loads; anyone else takes the spinlock, asks the owner out (revoke) and waits
 * until it is not inside — an asymmetric Dekker handshake: the owner's side has no fence,
 * the other side makes every running thread of the process execute one, with
 * membarrier(2). A lock that others keep entering loses its bias, and needs a longer run
 * of one thread before it is biased again, so programs that free blocks on other threads
 * than they allocate them on fall back to the plain spinlock.
 *
 * Contract: the critical sections are short and never block; the owner's fast path is
 * correct on x86-64's memory order (TSO) together with the membarrier on the other side.
 * Without membarrier (old kernels, seccomp) or under ThreadSanitizer (which cannot see
 * that synchronisation), no lock is ever biased.
 */
#ifndef LS_BIASLOCK_H
#define LS_BIASLOCK_H

#include <stdint.h>

#include "common.h"

typedef struct {
    ls_spinlock_t lock;      /* taken by all but the owner (and by the owner once revoked) */
    _Atomic uint32_t owner;  /* the biased thread's token; 0: not biased */
    _Atomic uint32_t busy;   /* the owner is inside: written by the owner only */
    _Atomic uint32_t revoke; /* a holder of `lock` wants the owner out */
    /* Under `lock`: */
    uint32_t revoking;     /* this holder set `revoke` and clears it on release */
    uint32_t streak_token; /* who took the lock last, and how many times in a row */
    uint32_t streak;
    uint32_t bias_after; /* a streak this long grants the bias (doubles at each loss) */
    uint32_t intrusions; /* entries by others since the bias was granted */
} ls_bias_lock_t;

/* This thread's token: unique among live threads, never 0. */
LS_HIDDEN extern __thread uint32_t ls_bias_token __attribute__((tls_model("initial-exec")));
LS_HIDDEN uint32_t ls_bias_token_new(void);

static inline uint32_t ls_bias_me(void)
{
    uint32_t t = ls_bias_token;
    return LS_LIKELY(t != 0) ? t : ls_bias_token_new();
}

/* Register for membarrier (once per process, again in a forked child). */
LS_HIDDEN void ls_bias_init(void);

/* Enter by the spinlock (not the owner, or the owner asked out). `count`: an ordinary
 * entry that counts towards the bias (a walk over every shard, or fork, does not). */
LS_HIDDEN void ls_bias_lock_slow(ls_bias_lock_t *l, uint32_t me, int count);
LS_HIDDEN void ls_bias_unlock_slow(ls_bias_lock_t *l);

/* Enter as the owner, without a locked instruction: 1, or 0 when this thread is not the
 * owner or is asked out (the caller then enters with ls_bias_lock_slow). `me` is this
 * thread's token, ls_bias_token (0 before its first ls_bias_me: never an owner). Leave
 * with ls_bias_leave_owner. */
static inline int ls_bias_enter_owner(ls_bias_lock_t *l, uint32_t me)
{
    if (LS_UNLIKELY(atomic_load_explicit(&l->owner, memory_order_relaxed) != me || me == 0))
        return 0;
    atomic_store_explicit(&l->busy, 1, memory_order_relaxed);
    atomic_signal_fence(memory_order_seq_cst); /* the CPU's part is the other side's membarrier */
    if (LS_LIKELY(!atomic_load_explicit(&l->revoke, memory_order_acquire) &&
                  atomic_load_explicit(&l->owner, memory_order_relaxed) == me))
        return 1;
    atomic_store_explicit(&l->busy, 0, memory_order_release);
    return 0;
}

static inline void ls_bias_leave_owner(ls_bias_lock_t *l)
{
    atomic_store_explicit(&l->busy, 0, memory_order_release);
}

/* Enter; returns 1 when entered as the owner (no locked instruction), 0 by the lock.
 * Pass the result to ls_bias_unlock. */
static inline int ls_bias_lock(ls_bias_lock_t *l, uint32_t me)
{
    if (ls_bias_enter_owner(l, me))
        return 1;
    ls_bias_lock_slow(l, me, 1);
    return 0;
}

static inline void ls_bias_unlock(ls_bias_lock_t *l, int as_owner)
{
    if (LS_LIKELY(as_owner))
        ls_bias_leave_owner(l);
    else
        ls_bias_unlock_slow(l);
}

/* Locks may be biased here (membarrier registered, not a ThreadSanitizer build). */
LS_HIDDEN int ls_bias_available(void);
/* How many times a bias was granted, and an owner asked out (the unit tests). */
LS_HIDDEN void ls_bias_counts(uint64_t *granted, uint64_t *revoked);

/* After fork, in the child (one thread left, every lock held by it): drop the bias, which
 * may name a thread that exists no more, and release. */
LS_HIDDEN void ls_bias_reset_in_child(ls_bias_lock_t *l);

#endif /* LS_BIASLOCK_H */
