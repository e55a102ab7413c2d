/*
 * biaslock.c — the slow side of biased locks (biaslock.h): entering by the spinlock,
 * asking a biased owner out with membarrier(2), granting and withdrawing the bias.
 */
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "biaslock.h"

#define BIAS_FIRST_STREAK 1024u /* entries in a row by one thread that grant the bias */
#define BIAS_MAX_STREAK (1u << 30)
#define BIAS_MAX_INTRUSIONS 16u /* entries by others that withdraw it */

__thread uint32_t ls_bias_token __attribute__((tls_model("initial-exec")));
static _Atomic uint32_t tokens_issued;
static atomic_int membarrier_ok;
static _Atomic uint64_t grants, revocations; /* for the tests: the handshake really ran */

uint32_t ls_bias_token_new(void)
{
    uint32_t t;
    do
        t = atomic_fetch_add_explicit(&tokens_issued, 1, memory_order_relaxed) + 1;
    while (t == 0);
    ls_bias_token = t;
    return t;
}

void ls_bias_init(void)
{
#if defined(__SANITIZE_THREAD__)
    atomic_store(&membarrier_ok, 0); /* ThreadSanitizer cannot see the handshake */
#else
    long r = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0);
    atomic_store(&membarrier_ok, r == 0);
#endif
}

/* Every running thread of the process executes a full barrier before this returns. */
static int barrier_everywhere(void)
{
    return syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0;
}

/* The lock is held and biased to another thread: ask the owner out and wait until it is
 * not inside. */
static void revoke_owner(ls_bias_lock_t *l)
{
    /* An exchange: a full barrier on this side, before the one on the owner's side. */
    atomic_exchange_explicit(&l->revoke, 1, memory_order_seq_cst);
    l->revoking = 1;
    atomic_fetch_add_explicit(&revocations, 1, memory_order_relaxed);
    /* Cannot fail once registered (the kernel keeps the registration for the process); were
     * it to, no lock is biased from then on, and this wait relies on the owner's store of
     * `busy` draining from its store buffer, which it does within microseconds. */
    if (!barrier_everywhere())
        atomic_store(&membarrier_ok, 0);
    for (unsigned spins = 0; atomic_load_explicit(&l->busy, memory_order_acquire); spins++) {
        if (spins > 64) {
            sched_yield();
            spins = 0;
        } else {
            __builtin_ia32_pause();
        }
    }
}

/* An entry by the lock, counted: a run of entries by one thread grants it the bias; an
 * entry by another thread while biased counts towards withdrawing it. */
static void count_entry(ls_bias_lock_t *l, uint32_t me, uint32_t owner)
{
    if (owner) {
        if (owner != me && ++l->intrusions >= BIAS_MAX_INTRUSIONS) {
            atomic_store_explicit(&l->owner, 0, memory_order_relaxed); /* the owner is out */
            if (l->bias_after < BIAS_MAX_STREAK)
                l->bias_after *= 2;
            l->streak = 0;
        }
        return;
    }
    if (l->streak_token != me) {
        l->streak_token = me;
        l->streak = 0;
    }
    if (!l->bias_after)
        l->bias_after = BIAS_FIRST_STREAK;
    if (++l->streak >= l->bias_after && atomic_load_explicit(&membarrier_ok, memory_order_relaxed)) {
        l->intrusions = 0;
        atomic_fetch_add_explicit(&grants, 1, memory_order_relaxed);
        /* Seen by the next holder through the lock, by this thread at its next entry. */
        atomic_store_explicit(&l->owner, me, memory_order_relaxed);
    }
}

void ls_bias_lock_slow(ls_bias_lock_t *l, uint32_t me, int count)
{
    ls_spin_lock(&l->lock);
    uint32_t owner = atomic_load_explicit(&l->owner, memory_order_relaxed);
    if (owner && owner != me)
        revoke_owner(l);
    if (count)
        count_entry(l, me, owner);
}

void ls_bias_unlock_slow(ls_bias_lock_t *l)
{
    if (l->revoking) {
        l->revoking = 0;
        atomic_store_explicit(&l->revoke, 0, memory_order_release);
    }
    ls_spin_unlock(&l->lock);
}

void ls_bias_reset_in_child(ls_bias_lock_t *l)
{
    atomic_store(&l->owner, 0);
    atomic_store(&l->busy, 0);
    l->streak = 0;
    ls_bias_unlock_slow(l);
}

int ls_bias_available(void)
{
    return atomic_load(&membarrier_ok);
}

void ls_bias_counts(uint64_t *granted, uint64_t *revoked)
{
    *granted = atomic_load(&grants);
    *revoked = atomic_load(&revocations);
}
