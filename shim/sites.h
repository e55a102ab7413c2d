/*
 * sites.h — call sites (distinct traces) and the per-thread state that makes finding
 * one cheap: a direct-mapped cache of recent traces, and per-site counters that only
 * their thread writes (summed at snapshot time), so no two threads share a hot line.
 */
#ifndef LS_SITES_H
#define LS_SITES_H

#include <stdint.h>

#include "common.h"

typedef struct ls_site ls_site_t;
struct ls_site {
    void *hh_opaque[7]; /* uthash handle (UT_hash_handle); sites.c checks the size */
    uint64_t hash;
    uint32_t id;
    uint16_t nframes;
    uintptr_t frames[]; /* innermost first */
};

/* Per thread, per site counters. Written only by the owning thread (relaxed stores),
 * read by the snapshot writer. */
typedef struct {
    uint64_t alloc_count, alloc_bytes, free_count;
} ls_site_counters_t;

#define LS_SITE_CACHE 512
#define LS_COUNTER_CHUNK 1024
#define LS_MAX_SITES (1u << 22)
#define LS_COUNTER_CHUNKS (LS_MAX_SITES / LS_COUNTER_CHUNK)

typedef struct ls_thread ls_thread_t;
struct ls_thread {
    ls_thread_t *next_all; /* every block ever made; never freed, recycled at thread exit */
    ls_thread_t *next_free;
    int shared; /* the block of threads past their TLS destructor: updated atomically */
    int64_t traced_pending; /* traced bytes not yet added to the shared counter (engine.c) */
    struct ls_stack_cache *stack_cache; /* unwind.c; reset when the block changes hands */
    struct {
        uint64_t hash;
        ls_site_t *site;
    } cache[LS_SITE_CACHE];
    ls_site_counters_t *chunks[LS_COUNTER_CHUNKS];
};

/* Set up the site table and the thread-exit key. 0, or -1 when out of memory. */
LS_HIDDEN int ls_sites_init(void);

/* The calling thread's block (made or recycled on first use); NULL if out of memory. */
LS_HIDDEN extern __thread ls_thread_t *ls_thread_block __attribute__((tls_model("initial-exec")));
LS_HIDDEN ls_thread_t *ls_thread_attach(void);
static inline ls_thread_t *ls_thread_self(void)
{
    ls_thread_t *t = ls_thread_block;
    return LS_LIKELY(t != NULL) ? t : ls_thread_attach();
}

/* The site for this trace, created on first sight. NULL when the table cannot grow. */
LS_HIDDEN ls_site_t *ls_site_intern(ls_thread_t *t, const uintptr_t *frames, unsigned n);

/* Add to a site's counters from thread t (never NULL-returning: when the chunk for a
 * new id cannot be mapped, the counts are dropped and ls_sites_degraded() turns true).
 * Inline: they are on every hook's path. */
LS_HIDDEN ls_site_counters_t *ls_counters_chunk_slow(ls_thread_t *t, uint32_t chunk);
LS_HIDDEN uint32_t ls_sites_count(void);

static inline ls_site_counters_t *ls_counters_of(ls_thread_t *t, uint32_t site)
{
    ls_site_counters_t *c = __atomic_load_n(&t->chunks[site / LS_COUNTER_CHUNK], __ATOMIC_ACQUIRE);
    if (LS_UNLIKELY(!c) && !(c = ls_counters_chunk_slow(t, site / LS_COUNTER_CHUNK)))
        return NULL;
    return &c[site % LS_COUNTER_CHUNK];
}

/* Owner-only increment: a relaxed load and store (no locked instruction); the shared
 * block of exiting threads needs a real atomic add. */
static inline void ls_counter_bump(const ls_thread_t *t, uint64_t *field, uint64_t v)
{
    if (LS_LIKELY(!t->shared))
        __atomic_store_n(field, *field + v, __ATOMIC_RELAXED);
    else
        __atomic_fetch_add(field, v, __ATOMIC_RELAXED);
}

static inline void ls_count_alloc(ls_thread_t *t, uint32_t site, uint64_t bytes)
{
    LS_ASSERT(site < ls_sites_count());
    ls_site_counters_t *c = ls_counters_of(t, site);
    if (LS_LIKELY(c != NULL)) {
        ls_counter_bump(t, &c->alloc_count, 1);
        ls_counter_bump(t, &c->alloc_bytes, bytes);
    }
}

static inline void ls_count_free(ls_thread_t *t, uint32_t site)
{
    LS_ASSERT(site < ls_sites_count());
    ls_site_counters_t *c = ls_counters_of(t, site);
    if (LS_LIKELY(c != NULL))
        ls_counter_bump(t, &c->free_count, 1);
}

/* Number of sites (above), the site with id `id` (NULL beyond), and its counters summed
 * over all threads (a snapshot's call totals are the sums of these). */
LS_HIDDEN ls_site_t *ls_site_by_id(uint32_t id);
LS_HIDDEN void ls_site_totals(uint32_t id, ls_site_counters_t *sum);
LS_HIDDEN int ls_sites_degraded(void);
/* More than one thread has tracked allocations (blocks in use > 1). */
LS_HIDDEN extern atomic_int ls_blocks_in_use; /* thread blocks in use (sites.c) */
static inline int ls_threads_multi(void)
{
    return atomic_load_explicit(&ls_blocks_in_use, memory_order_relaxed) > 1;
}
/* Sum of every block's traced_pending. */
LS_HIDDEN int64_t ls_threads_pending(void);
/* Called at thread exit with the block being released (engine.c flushes its pending bytes). */
LS_HIDDEN void ls_engine_thread_exit(ls_thread_t *t);

/* fork(): hold the sites and threads locks across it; the child resets them. */
LS_HIDDEN void ls_sites_lock_all(void);
LS_HIDDEN void ls_sites_unlock_all(void);

#endif /* LS_SITES_H */
