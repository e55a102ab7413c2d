/*
 * sites.c — the site table (uthash over the shim's own pages) and per-thread blocks.
 *
 * Locking: sites_lock guards the uthash table and the id index (taken only when a
 * thread meets a trace missing from its cache); threads_lock guards the lists of
 * thread blocks. Only fork() holds both (sites_lock first).
 */
#include <pthread.h>
#include <string.h>

#include "engine.h"
#include "sites.h"
#include "unwind.h"

/* uthash must never allocate through the hooks, and must never exit() the program. */
static int uthash_oom;
#define uthash_malloc(sz) ls_pages_alloc(sz)
#define uthash_free(ptr, sz) ls_pages_free((ptr), (sz))
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(obj) (uthash_oom = 1)
#include <uthash.h>

_Static_assert(sizeof(UT_hash_handle) <= sizeof(((ls_site_t *)0)->hh_opaque),
               "ls_site_t.hh_opaque too small for UT_hash_handle");

typedef struct {
    UT_hash_handle hh;
} site_handle_t;

#define HH(site) (*(UT_hash_handle *)(site)->hh_opaque)

static ls_spinlock_t sites_lock;
static ls_site_t *sites_head; /* uthash head */
static ls_site_t **site_index[LS_MAX_SITES / LS_COUNTER_CHUNK];
static _Atomic uint32_t n_sites;
static atomic_int degraded;

static ls_spinlock_t threads_lock;
static ls_thread_t *threads_all, *threads_free;
static ls_thread_t shared_block_storage;
static pthread_key_t thread_key;
__thread ls_thread_t *ls_thread_block __attribute__((tls_model("initial-exec")));
static __thread int tls_exited __attribute__((tls_model("initial-exec")));
atomic_int ls_blocks_in_use;

static void thread_exit(void *arg);

int ls_sites_init(void)
{
    shared_block_storage.shared = 1;
    shared_block_storage.next_all = NULL;
    threads_all = &shared_block_storage;
    if (pthread_key_create(&thread_key, thread_exit) != 0)
        return -1;
    return 0;
}

/* At thread exit the block goes back on the free list, for the next new thread to
 * adopt: its counts stay valid, since snapshots only ever sum blocks. */
static void thread_exit(void *arg)
{
    ls_thread_t *t = arg;
    ls_guard++; /* the threads lock is taken below: see api.c */
    ls_engine_thread_exit(t);
    ls_thread_block = NULL;
    tls_exited = 1;
    ls_spin_lock(&threads_lock);
    LS_ASSERT(atomic_load_explicit(&ls_blocks_in_use, memory_order_relaxed) > 0);
    atomic_fetch_sub_explicit(&ls_blocks_in_use, 1, memory_order_relaxed);
    t->next_free = threads_free;
    threads_free = t;
    ls_spin_unlock(&threads_lock);
    ls_engine_drain_deferred();
    ls_guard--;
}

LS_NOINLINE ls_thread_t *ls_thread_attach(void)
{
    if (tls_exited) /* past our TLS destructor: share one atomically-updated block */
        return &shared_block_storage;
    ls_spin_lock(&threads_lock);
    atomic_fetch_add_explicit(&ls_blocks_in_use, 1, memory_order_relaxed);
    ls_thread_t *t = threads_free;
    if (t) {
        threads_free = t->next_free;
    } else {
        t = ls_pages_alloc(sizeof *t);
        if (t) {
            t->next_all = threads_all;
            __atomic_store_n(&threads_all, t, __ATOMIC_RELEASE); /* readers walk without the lock */
        }
    }
    ls_spin_unlock(&threads_lock);
    if (!t)
        return NULL;
    /* A recycled block keeps its counters and its site cache (those sites stay valid),
     * but not the stack cache: it describes the previous owner's stack. */
    ls_unwind_cache_reset(t->stack_cache);
    ls_thread_block = t;
    pthread_setspecific(thread_key, t); /* key < PTHREAD_KEY_2NDLEVEL_SIZE: no malloc */
    return t;
}

static inline uint64_t hash_frames(const uintptr_t *frames, unsigned n)
{
    uint64_t h = 0xcbf29ce484222325ull ^ n;
    for (unsigned i = 0; i < n; i++) {
        h ^= frames[i];
        h *= 0x100000001b3ull;
        h ^= h >> 29;
    }
    return h ? h : 1;
}

static LS_NOINLINE ls_site_t *site_lookup_slow(const uintptr_t *frames, unsigned n, uint64_t h)
{
    ls_site_t *s = NULL;
    size_t keylen = n * sizeof(uintptr_t);
    ls_spin_lock(&sites_lock);
    site_handle_t *found = NULL;
    /* uthash finds by the hash value we computed, so the key bytes are hashed once. */
    HASH_FIND_BYHASHVALUE(hh, (site_handle_t *)sites_head, frames, keylen, (unsigned)h, found);
    if (found) {
        s = (ls_site_t *)found;
        goto out;
    }
    uint32_t id = atomic_load_explicit(&n_sites, memory_order_relaxed);
    if (id >= LS_MAX_SITES)
        goto fail;
    ls_site_t ***chunk = &site_index[id / LS_COUNTER_CHUNK];
    if (!*chunk && !(*chunk = ls_pages_alloc(LS_COUNTER_CHUNK * sizeof(ls_site_t *))))
        goto fail;
    LS_ASSERT(n >= 1 && n <= LS_MAX_FRAMES);
    s = ls_arena_alloc(sizeof *s + keylen);
    if (!s)
        goto fail;
    memset(s, 0, sizeof *s);
    s->hash = h;
    s->id = id;
    s->nframes = (uint16_t)n;
    memcpy(s->frames, frames, keylen);
    site_handle_t *head = (site_handle_t *)sites_head;
    uthash_oom = 0;
    HASH_ADD_KEYPTR_BYHASHVALUE(hh, head, s->frames, keylen, (unsigned)h,
                                (site_handle_t *)s);
    if (uthash_oom) {
        s = NULL;
        goto fail;
    }
    sites_head = (ls_site_t *)head;
    (*chunk)[id % LS_COUNTER_CHUNK] = s;
    atomic_store_explicit(&n_sites, id + 1, memory_order_release);
out:
    ls_spin_unlock(&sites_lock);
    return s;
fail:
    atomic_store(&degraded, 1);
    ls_spin_unlock(&sites_lock);
    return NULL;
}

ls_site_t *ls_site_intern(ls_thread_t *t, const uintptr_t *frames, unsigned n)
{
    uint64_t h = hash_frames(frames, n);
    unsigned slot = (unsigned)h & (LS_SITE_CACHE - 1);
    ls_site_t *s = t->cache[slot].site;
    if (LS_LIKELY(t->cache[slot].hash == h && s && s->nframes == n &&
                  memcmp(s->frames, frames, n * sizeof(uintptr_t)) == 0))
        return s;
    s = site_lookup_slow(frames, n, h);
    /* The site found holds exactly this trace, under an id already published. */
    LS_ASSERT(!s || (s->nframes == n && memcmp(s->frames, frames, n * sizeof(uintptr_t)) == 0 &&
                     s->id < ls_sites_count()));
    if (s && !t->shared) {
        t->cache[slot].hash = h;
        t->cache[slot].site = s;
    }
    return s;
}

ls_site_counters_t *ls_counters_chunk_slow(ls_thread_t *t, uint32_t chunk)
{
    ls_site_counters_t *c = ls_pages_alloc(LS_COUNTER_CHUNK * sizeof *c);
    if (!c) {
        atomic_store(&degraded, 1);
        return NULL;
    }
    ls_site_counters_t *expected = NULL;
    if (!__atomic_compare_exchange_n(&t->chunks[chunk], &expected, c, 0, __ATOMIC_RELEASE,
                                     __ATOMIC_ACQUIRE)) {
        ls_pages_free(c, LS_COUNTER_CHUNK * sizeof *c);
        c = expected;
    }
    return c;
}

uint32_t ls_sites_count(void)
{
    return atomic_load_explicit(&n_sites, memory_order_acquire);
}

ls_site_t *ls_site_by_id(uint32_t id)
{
    if (id >= ls_sites_count())
        return NULL;
    ls_site_t *s = site_index[id / LS_COUNTER_CHUNK][id % LS_COUNTER_CHUNK];
    LS_ASSERT(s && s->id == id); /* ids are dense and published after their index entry */
    return s;
}

void ls_site_totals(uint32_t id, ls_site_counters_t *sum)
{
    memset(sum, 0, sizeof *sum);
    ls_spin_lock(&threads_lock);
    for (ls_thread_t *t = threads_all; t; t = t->next_all) {
        ls_site_counters_t *c = __atomic_load_n(&t->chunks[id / LS_COUNTER_CHUNK], __ATOMIC_ACQUIRE);
        if (!c)
            continue;
        c += id % LS_COUNTER_CHUNK;
        sum->alloc_count += __atomic_load_n(&c->alloc_count, __ATOMIC_RELAXED);
        sum->alloc_bytes += __atomic_load_n(&c->alloc_bytes, __ATOMIC_RELAXED);
        sum->free_count += __atomic_load_n(&c->free_count, __ATOMIC_RELAXED);
    }
    ls_spin_unlock(&threads_lock);
}

/* Lock-free: blocks are only ever prepended to threads_all (with a release store) and
 * never freed, so this may run from a signal handler that interrupted a holder of
 * threads_lock on this very thread (leakscope_traced_memory in a handler). */
int64_t ls_threads_pending(void)
{
    int64_t sum = 0;
    for (ls_thread_t *t = __atomic_load_n(&threads_all, __ATOMIC_ACQUIRE); t; t = t->next_all)
        sum += __atomic_load_n(&t->traced_pending, __ATOMIC_RELAXED);
    return sum;
}

int ls_sites_degraded(void)
{
    return atomic_load(&degraded);
}

void ls_sites_lock_all(void)
{
    ls_spin_lock(&sites_lock);
    ls_spin_lock(&threads_lock);
}

void ls_sites_unlock_all(void)
{
    ls_spin_unlock(&threads_lock);
    ls_spin_unlock(&sites_lock);
}
