/*
 * ptrtable.c — the table of live allocations (see ptrtable.h).
 *
 * Layout. 256 shards, each an open-addressing table under its own spinlock on its own
 * cache line. A shard is picked by the 64 MiB region of the address, not by a hash of the
 * whole address: glibc gives each thread an arena of its own, made of 64 MiB-aligned
 * heaps, so a thread's blocks mostly fall in a few regions and its hooks keep meeting the
 * same shard lock and table lines, in its own core's cache. (Hashing the whole address
 * sent every call to a random one of 256 locks, last touched by the other core.)
 *
 * Within a shard, an open-addressing table of 64-byte buckets, one cache line each, of
 * four 16-byte entries: a lookup reads the address's home bucket and, only when an entry
 * was pushed past it, the next (F14's scheme: a byte per bucket counts the live entries
 * whose probe passed over it, so probing stops at the first bucket with a count of 0, an
 * erase decrements the counts on its way, and there are no tombstones to clean up).
 * One cache line per lookup matters: on a program that frees blocks it allocated long
 * ago, the entry's line is a cache miss that nothing can hide. An insert looks for its
 * address (a stale entry) past the home bucket only once the hooks have said that a
 * block may have been freed without its record (ls_ptr_expect_stale): until then an
 * address being allocated cannot be in the table, and an insert into a home bucket with
 * room, even one that others were pushed past, settles in one look.
 *
 * Entries are 16 bytes: the address divided by 16 (glibc's blocks are 16-aligned and
 * below 2^47) with the site id in the top 21 bits, and the size (30 bits), the sampling
 * class (2) and the birth epoch (32).
 * The table is doubled at 13/16 full, so a live block costs 19.7 to 39.4 bytes of it.
 * The rare block that does not fit (1 GiB or more, an unaligned or high address, a site
 * id of 2^21 or more) goes to a small side list under its own lock, looked at only while
 * it holds something.
 *
 * Locking: no function here takes two locks except ls_ptr_lock_all (fork, the scan),
 * which takes the shard locks in index order, then the side list's. Shard locks are
 * biased (biaslock.h): the thread that keeps using a shard enters it without a locked
 * instruction.
 */
#include <emmintrin.h>
#include <string.h>

#include "biaslock.h"
#include "ptrtable.h"

#define BUCKET 4             /* slots per bucket: 4 x 16 bytes, one cache line */
#define INITIAL_BUCKETS 16u  /* per shard; a power of two */
#define REGION_SHIFT 26      /* glibc's arena heaps are 64 MiB-aligned */
#define PASSED_MAX 255       /* a `passed` counter this high is stuck until the next rehash */

#define ADDR_BITS LS_PTR_ADDR_BITS /* address / 16 */
#define SITE_BITS (64 - ADDR_BITS)
#define ADDR_MASK ((1ull << ADDR_BITS) - 1)
#define SIZE_BITS LS_PTR_SIZE_BITS /* sizes packed in a slot are below 2^SIZE_BITS (1 GiB) */
#define CLS_SHIFT LS_PTR_CLS_SHIFT /* then the sampling class, 2 bits */

/* A bucket holds its four keys, then their four values, so that the keys are matched
 * with two 16-byte loads. */
typedef struct {
    uint64_t key[BUCKET]; /* address/16 | site << 43; 0: an empty slot (no block lives at 0) */
    uint64_t val[BUCKET]; /* size | class << 30 | epoch << 32 */
} __attribute__((aligned(64))) bucket_t;

typedef struct {
    ls_bias_lock_t lock;
    uint32_t mask;     /* buckets - 1; stored atomically (ls_ptr_table_bytes reads it unlocked) */
    uint32_t shift;    /* 64 - log2(buckets): a hash's top bits pick its home bucket */
    uint64_t count;    /* full slots */
    uint64_t limit;    /* count at which the table is doubled (max_fill) */
    bucket_t *buckets;
    uint8_t *passed;   /* per bucket: live entries whose probe passed over it, full */
} __attribute__((aligned(LS_CACHELINE))) shard_t;

static shard_t shards[LS_PTR_SHARDS];

/* Set by ls_ptr_expect_stale: inserts look for a stale entry past the home bucket too. */
static uint8_t stale_possible;

/* ls_ptr_set_insert_hook's function, read under the lock of the place an entry enters. */
static void (*insert_hook)(uintptr_t p);

static inline void note_insert(uintptr_t p)
{
    void (*fn)(uintptr_t) = __atomic_load_n(&insert_hook, __ATOMIC_RELAXED);
    if (fn)
        fn(p);
}

/* The side list: entries that do not pack into a slot, unordered. */
static struct {
    ls_spinlock_t lock;
    _Atomic uint64_t count;
    uint64_t cap;
    ls_ptr_entry_t *items;
} __attribute__((aligned(LS_CACHELINE))) side;

/* Fibonacci hashing: a table of 2^k buckets takes the product's top k bits (home_of),
 * which depend on every bit of the address. */
static inline uint64_t hash_addr(uint64_t a)
{
    return a * 0x9E3779B97F4A7C15ull;
}

static inline shard_t *shard_of(uintptr_t p)
{
    return &shards[hash_addr((uint64_t)p >> REGION_SHIFT) >> 56];
}

/* The address fits a slot (16-aligned, below 2^47). */
static inline int addr_packs(uintptr_t p)
{
    return (((uint64_t)p & 15) | ((uint64_t)p >> (ADDR_BITS + 4))) == 0;
}

static inline int packable(uintptr_t p, uint64_t size, uint32_t site)
{
    return addr_packs(p) && size < (1ull << SIZE_BITS) && site < (1u << SITE_BITS);
}

_Static_assert(LS_PTR_CLASSES <= 1u << (32 - CLS_SHIFT), "a class fits between size and epoch");

static inline uint64_t pack_val(uint64_t size, uint8_t cls, uint32_t epoch)
{
    return size | (uint64_t)cls << CLS_SHIFT | (uint64_t)epoch << 32;
}

_Static_assert(LS_PTR_SHARDS == 256, "shard_of picks a shard with the hash's top 8 bits");
_Static_assert(sizeof(bucket_t) == 64, "a bucket is one cache line");

/* The home bucket of an address (h its hash) in shard s's table. */
static inline uint32_t home_of(uint64_t h, const shard_t *s)
{
    return (uint32_t)(h >> s->shift);
}

/* A table of n buckets may hold this many entries before it is doubled (13/16 of its
 * slots: a live block then costs 19.7 to 39.4 bytes of table). */
static inline uint64_t max_fill(uint64_t n)
{
    return n * BUCKET * 13 / 16;
}

/* Buckets, then the `passed` counters rounded up to a cache line. */
static inline size_t table_bytes(uint64_t n)
{
    return (size_t)n * sizeof(bucket_t) + (((size_t)n + 63) & ~(size_t)63);
}

static void shard_set_table(shard_t *s, void *mem, uint64_t n)
{
    s->buckets = mem;
    __atomic_store_n(&s->mask, (uint32_t)(n - 1), __ATOMIC_RELAXED);
    s->shift = 64u - (uint32_t)__builtin_ctzll(n);
    s->passed = (uint8_t *)mem + n * sizeof(bucket_t);
    s->limit = max_fill(n);
}

int ls_ptr_init(void)
{
    ls_bias_init();
    size_t one = table_bytes(INITIAL_BUCKETS);
    char *all = ls_pages_alloc(one * LS_PTR_SHARDS);
    if (!all)
        return -1;
    for (unsigned i = 0; i < LS_PTR_SHARDS; i++) {
        shards[i].count = 0;
        shard_set_table(&shards[i], all + (size_t)i * one, INITIAL_BUCKETS);
    }
    return 0;
}

/* ---- buckets ------------------------------------------------------------------- */

/* Bit k set: key k of the bucket has the address `addr16`; in *empty, bit k set: key k is
 * empty. Branch-free (which of the four slots holds a block is random: a branch on it
 * was mispredicted every other lookup), in SSE2: 64-bit lanes compared as two 32-bit
 * halves that must both match. */
static inline uint32_t bucket_scan(const bucket_t *bk, uint64_t addr16, uint32_t *empty)
{
    const __m128i mask = _mm_set1_epi64x((long long)ADDR_MASK), want = _mm_set1_epi64x((long long)addr16);
    const __m128i zero = _mm_setzero_si128();
    __m128i lo = _mm_and_si128(_mm_load_si128((const __m128i *)&bk->key[0]), mask);
    __m128i hi = _mm_and_si128(_mm_load_si128((const __m128i *)&bk->key[2]), mask);
    __m128i lo_eq = _mm_cmpeq_epi32(lo, want), hi_eq = _mm_cmpeq_epi32(hi, want);
    __m128i lo_0 = _mm_cmpeq_epi32(lo, zero), hi_0 = _mm_cmpeq_epi32(hi, zero);
    lo_eq = _mm_and_si128(lo_eq, _mm_shuffle_epi32(lo_eq, _MM_SHUFFLE(2, 3, 0, 1)));
    hi_eq = _mm_and_si128(hi_eq, _mm_shuffle_epi32(hi_eq, _MM_SHUFFLE(2, 3, 0, 1)));
    lo_0 = _mm_and_si128(lo_0, _mm_shuffle_epi32(lo_0, _MM_SHUFFLE(2, 3, 0, 1)));
    hi_0 = _mm_and_si128(hi_0, _mm_shuffle_epi32(hi_0, _MM_SHUFFLE(2, 3, 0, 1)));
    *empty = (uint32_t)_mm_movemask_pd(_mm_castsi128_pd(lo_0)) | (uint32_t)_mm_movemask_pd(_mm_castsi128_pd(hi_0)) << 2;
    return (uint32_t)_mm_movemask_pd(_mm_castsi128_pd(lo_eq)) | (uint32_t)_mm_movemask_pd(_mm_castsi128_pd(hi_eq)) << 2;
}

static inline uint32_t bucket_match(const bucket_t *bk, uint64_t addr16)
{
    uint32_t empty;
    return bucket_scan(bk, addr16, &empty);
}

/* The slot holding addr16 (bucket * BUCKET + index), or UINT32_MAX. Probing stops at the
 * first bucket no live entry passed over. Called with the shard lock held. */
static inline uint32_t shard_find(const shard_t *s, uint64_t addr16, uint64_t h)
{
    uint32_t mask = s->mask, b = home_of(h, s);
    for (uint32_t seen = 0; seen <= mask; seen++, b = (b + 1) & mask) {
        uint32_t m = bucket_match(&s->buckets[b], addr16);
        if (LS_LIKELY(m))
            return b * BUCKET + (uint32_t)__builtin_ctz(m);
        if (LS_LIKELY(!s->passed[b]))
            break;
    }
    return UINT32_MAX;
}

/* Put an entry in the first empty slot from its home bucket on, counting the full
 * buckets it passes. The table has room (count < its slots). */
static inline void shard_place(shard_t *s, uint64_t h, uint64_t key, uint64_t val)
{
    uint32_t mask = s->mask, b = home_of(h, s), m;
    while (LS_UNLIKELY(!(m = bucket_match(&s->buckets[b], 0)))) {
        s->passed[b] += s->passed[b] != PASSED_MAX;
        b = (b + 1) & mask;
    }
    uint32_t k = (uint32_t)__builtin_ctz(m);
    s->buckets[b].key[k] = key;
    s->buckets[b].val[k] = val;
    s->count++;
}

/* Move every entry into a fresh table of twice as many buckets. Called with the shard
 * lock held. 0, or -1 when the kernel refuses memory. */
static LS_NOINLINE int shard_grow(shard_t *s)
{
    uint64_t n = (uint64_t)s->mask + 1, fresh_n = n * 2;
    if (fresh_n * BUCKET > (1ull << 31))
        return -1;
    void *mem = ls_pages_alloc(table_bytes(fresh_n));
    if (!mem)
        return -1;
    bucket_t *old = s->buckets;
    uint64_t count = s->count;
    s->count = 0;
    shard_set_table(s, mem, fresh_n);
    /* The initial tables are carved from one mapping and stay mapped (about 270 KiB of
     * address space, touched only where used); a later table has a mapping of its own,
     * unmapped a page at a time as its buckets are moved, so that the two tables are not
     * both whole at the peak (the memory per live block would be half as much again). */
    size_t released = 0, page = 4096; /* x86-64 pages */
    int release = n != INITIAL_BUCKETS && n * sizeof(bucket_t) >= 2 * page;
    for (uint64_t b = 0; b < n; b++) {
        for (uint32_t k = 0; k < BUCKET; k++)
            if (old[b].key[k])
                shard_place(s, hash_addr(old[b].key[k] & ADDR_MASK), old[b].key[k], old[b].val[k]);
        if (release && (b + 1) * sizeof(bucket_t) - released >= page) {
            ls_pages_free((char *)old + released, page);
            released += page;
        }
    }
    LS_ASSERT(s->count == count); /* every entry moved */
    (void)count;
    if (n != INITIAL_BUCKETS)
        ls_pages_free((char *)old + released, table_bytes(n) - released);
    return 0;
}

/* Empty slot i, whose entry has hash h: the buckets its probe passed over (from its home
 * up to its own) count one entry fewer. */
static inline void shard_delete_at(shard_t *s, uint32_t i, uint64_t h)
{
    uint32_t mask = s->mask, at = i / BUCKET;
    for (uint32_t b = home_of(h, s); b != at; b = (b + 1) & mask)
        s->passed[b] -= s->passed[b] != PASSED_MAX;
    s->buckets[at].key[i % BUCKET] = 0;
    LS_ASSERT(s->count > 0);
    s->count--;
}

/* ---- the side list ------------------------------------------------------------- */

static LS_NOINLINE int side_insert(const ls_ptr_entry_t *e, ls_ptr_entry_t *replaced)
{
    ls_spin_lock(&side.lock);
    uint64_t n = atomic_load_explicit(&side.count, memory_order_relaxed);
    for (uint64_t i = 0; i < n; i++)
        if (side.items[i].ptr == e->ptr) {
            *replaced = side.items[i];
            side.items[i] = *e;
            note_insert(e->ptr);
            ls_spin_unlock(&side.lock);
            return 1;
        }
    if (n == side.cap) {
        uint64_t cap = side.cap ? side.cap * 2 : 256;
        ls_ptr_entry_t *fresh = ls_pages_alloc(cap * sizeof *fresh);
        if (!fresh) {
            ls_spin_unlock(&side.lock);
            return -1;
        }
        if (side.items) {
            memcpy(fresh, side.items, n * sizeof *fresh);
            ls_pages_free(side.items, side.cap * sizeof *fresh);
        }
        side.items = fresh;
        side.cap = cap;
    }
    side.items[n] = *e;
    atomic_store_explicit(&side.count, n + 1, memory_order_relaxed);
    note_insert(e->ptr);
    ls_spin_unlock(&side.lock);
    return 0;
}

static LS_NOINLINE int side_remove(uintptr_t p, ls_ptr_entry_t *out)
{
    int found = 0;
    ls_spin_lock(&side.lock);
    uint64_t n = atomic_load_explicit(&side.count, memory_order_relaxed);
    for (uint64_t i = 0; i < n; i++)
        if (side.items[i].ptr == p) {
            *out = side.items[i];
            side.items[i] = side.items[n - 1];
            atomic_store_explicit(&side.count, n - 1, memory_order_relaxed);
            found = 1;
            break;
        }
    ls_spin_unlock(&side.lock);
    return found;
}

static inline int side_maybe_holds(void)
{
    return atomic_load_explicit(&side.count, memory_order_relaxed) != 0;
}

/* ---- shards -------------------------------------------------------------------- */

/* The slow ways around the hot paths below are out of line, so that those need no
 * registers saved: a hot path that does not find its case in one look hands over with a
 * tail call. */

/* Take the entry in slot i (whose hash is h) out of its shard. Lock held. */
static inline ls_ptr_raw_t shard_take_at(shard_t *s, uint32_t i, uint64_t h)
{
    bucket_t *bk = &s->buckets[i / BUCKET];
    ls_ptr_raw_t r = {bk->key[i % BUCKET], bk->val[i % BUCKET]};
    shard_delete_at(s, i, h);
    return r;
}

/* Take p's entry (addr16 = p / 16) wherever its probe put it: key 0 when absent. Lock held. */
static ls_ptr_raw_t shard_take_probing(shard_t *s, uint64_t addr16)
{
    uint64_t h = hash_addr(addr16);
    uint32_t i = shard_find(s, addr16, h);
    if (i == UINT32_MAX)
        return (ls_ptr_raw_t){0, 0};
    return shard_take_at(s, i, h);
}

/* The same, entered as the lock's owner by ls_ptr_take, which it leaves. */
static LS_NOINLINE ls_ptr_raw_t shard_take_probing_as_owner(shard_t *s, uint64_t addr16)
{
    ls_ptr_raw_t r = shard_take_probing(s, addr16);
    ls_bias_leave_owner(&s->lock);
    return r;
}

static LS_NOINLINE ls_ptr_raw_t shard_take_by_lock(shard_t *s, uint64_t addr16)
{
    ls_bias_lock_slow(&s->lock, ls_bias_me(), 1);
    ls_ptr_raw_t r = shard_take_probing(s, addr16);
    ls_bias_unlock_slow(&s->lock);
    return r;
}

ls_ptr_raw_t ls_ptr_take(uintptr_t p)
{
    if (LS_UNLIKELY(!addr_packs(p)))
        return (ls_ptr_raw_t){0, 0};
    shard_t *s = shard_of(p);
    uint64_t addr16 = (uint64_t)p >> 4;
    if (LS_UNLIKELY(!ls_bias_enter_owner(&s->lock, ls_bias_token)))
        return shard_take_by_lock(s, addr16);
    /* One look at the home bucket, mostly. */
    bucket_t *bk = &s->buckets[home_of(hash_addr(addr16), s)];
    uint32_t m = bucket_match(bk, addr16);
    if (LS_UNLIKELY(!m))
        return shard_take_probing_as_owner(s, addr16);
    uint32_t k = (uint32_t)__builtin_ctz(m); /* in its home bucket: no probe passed a bucket */
    ls_ptr_raw_t r = {bk->key[k], bk->val[k]};
    bk->key[k] = 0;
    s->count--;
    ls_bias_leave_owner(&s->lock);
    return r;
}

int ls_ptr_remove_side(uintptr_t p, ls_ptr_entry_t *out)
{
    return LS_UNLIKELY(side_maybe_holds()) && side_remove(p, out);
}

/* Take p (which packs) out of its shard into *out: 1 when it was there. */
static int shard_remove(uintptr_t p, ls_ptr_entry_t *out)
{
    ls_ptr_raw_t r = ls_ptr_take(p);
    if (r.key)
        ls_ptr_unpack(r, out);
    return r.key != 0;
}

/* Insert in shard s whatever the table holds (lock held): as ls_ptr_insert. The address
 * is looked for first (a stale entry, replaced in place): only an entry that is really
 * added may double a full table. */
static int shard_insert(shard_t *s, uint64_t key, uint64_t val, ls_ptr_entry_t *replaced)
{
    uint64_t addr16 = key & ADDR_MASK, h = hash_addr(addr16);
    uint32_t i = shard_find(s, addr16, h);
    if (i != UINT32_MAX) {
        bucket_t *bk = &s->buckets[i / BUCKET];
        ls_ptr_unpack((ls_ptr_raw_t){bk->key[i % BUCKET], bk->val[i % BUCKET]}, replaced);
        bk->key[i % BUCKET] = key;
        bk->val[i % BUCKET] = val;
        note_insert((uintptr_t)(addr16 << 4));
        return 1;
    }
    if (LS_UNLIKELY(s->count >= s->limit) && shard_grow(s) != 0)
        return -1;
    shard_place(s, h, key, val);
    note_insert((uintptr_t)(addr16 << 4));
    return 0;
}

/* The insert's hot path entered as the owner and could not settle it in one look. */
static LS_NOINLINE int shard_insert_as_owner(shard_t *s, uint64_t key, uint64_t val, ls_ptr_entry_t *replaced)
{
    int r = shard_insert(s, key, val, replaced);
    ls_bias_leave_owner(&s->lock);
    return r;
}

static LS_NOINLINE int shard_insert_by_lock(shard_t *s, uint64_t key, uint64_t val, ls_ptr_entry_t *replaced)
{
    ls_bias_lock_slow(&s->lock, ls_bias_me(), 1);
    int r = shard_insert(s, key, val, replaced);
    ls_bias_unlock_slow(&s->lock);
    return r;
}

/* An entry that does not pack, or any entry while the side list holds some: p must be
 * in one store only (an address that packed before may come back too large for a slot,
 * and one in the side list small again). */
static LS_NOINLINE int insert_minding_side(uintptr_t p, uint64_t size, uint32_t site, uint32_t epoch,
                                           uint8_t cls, ls_ptr_entry_t *replaced)
{
    if (!packable(p, size, site)) {
        ls_ptr_entry_t e = {p, size, site, epoch, cls};
        if (addr_packs(p) && shard_remove(p, replaced))
            return side_insert(&e, replaced) < 0 ? -1 : 1;
        return side_insert(&e, replaced);
    }
    int was_aside = side_remove(p, replaced);
    uint64_t key = ((uint64_t)p >> 4) | (uint64_t)site << ADDR_BITS;
    int r = shard_insert_by_lock(shard_of(p), key, pack_val(size, cls, epoch),
                                 was_aside ? &(ls_ptr_entry_t){0} : replaced);
    return r < 0 ? -1 : (was_aside || r);
}

int ls_ptr_insert(uintptr_t p, uint64_t size, uint32_t site, uint32_t epoch, uint8_t cls,
                  ls_ptr_entry_t *replaced)
{
    LS_ASSERT(p != 0); /* 0 marks an empty slot */
    if (LS_UNLIKELY(!packable(p, size, site) || side_maybe_holds()))
        return insert_minding_side(p, size, site, epoch, cls, replaced);
    shard_t *s = shard_of(p);
    uint64_t addr16 = (uint64_t)p >> 4;
    uint64_t key = addr16 | (uint64_t)site << ADDR_BITS, val = pack_val(size, cls, epoch);
    if (LS_UNLIKELY(!ls_bias_enter_owner(&s->lock, ls_bias_token)))
        return shard_insert_by_lock(s, key, val, replaced);
    /* The common case in one look at the home bucket: p is not there (nor anywhere else,
     * unless stale entries are possible and an entry was pushed past it), it has an empty
     * slot, the table has room, and no insert hook is to be called. */
    uint32_t b = home_of(hash_addr(addr16), s), empty;
    bucket_t *bk = &s->buckets[b];
    if (LS_UNLIKELY(bucket_scan(bk, addr16, &empty) || !empty || s->count >= s->limit ||
                    (__atomic_load_n(&stale_possible, __ATOMIC_RELAXED) && s->passed[b]) ||
                    __atomic_load_n(&insert_hook, __ATOMIC_RELAXED)))
        return shard_insert_as_owner(s, key, val, replaced);
    uint32_t k = (uint32_t)__builtin_ctz(empty);
    bk->key[k] = key;
    bk->val[k] = val;
    s->count++;
    ls_bias_leave_owner(&s->lock);
    return 0;
}

void ls_ptr_set_insert_hook(void (*fn)(uintptr_t p))
{
    __atomic_store_n(&insert_hook, fn, __ATOMIC_RELAXED);
}

void ls_ptr_expect_stale(void)
{
    __atomic_store_n(&stale_possible, 1, __ATOMIC_RELAXED);
}

/* ---- walking, counting, fork ---------------------------------------------------- */

static void shard_walk(const shard_t *s, void (*fn)(const ls_ptr_entry_t *e, void *ctx), void *ctx)
{
    if (!s->count) /* most shards of a small program: their pages were never touched */
        return;
    for (uint64_t b = 0; b <= s->mask; b++)
        for (uint32_t k = 0; k < BUCKET; k++)
            if (s->buckets[b].key[k]) {
                ls_ptr_entry_t e;
                ls_ptr_unpack((ls_ptr_raw_t){s->buckets[b].key[k], s->buckets[b].val[k]}, &e);
                fn(&e, ctx);
            }
}

static void side_walk(void (*fn)(const ls_ptr_entry_t *e, void *ctx), void *ctx)
{
    uint64_t n = atomic_load_explicit(&side.count, memory_order_relaxed);
    for (uint64_t i = 0; i < n; i++) {
        ls_ptr_entry_t e = side.items[i];
        fn(&e, ctx);
    }
}

void ls_ptr_foreach(void (*fn)(const ls_ptr_entry_t *e, void *ctx), void *ctx)
{
    uint32_t me = ls_bias_me();
    for (unsigned k = 0; k < LS_PTR_SHARDS; k++) {
        ls_bias_lock_slow(&shards[k].lock, me, 0);
        shard_walk(&shards[k], fn, ctx);
        ls_bias_unlock_slow(&shards[k].lock);
    }
    ls_spin_lock(&side.lock);
    side_walk(fn, ctx);
    ls_spin_unlock(&side.lock);
}

void ls_ptr_reclass(void (*fn)(ls_ptr_entry_t *e, void *ctx), void *ctx)
{
    uint32_t me = ls_bias_me();
    for (unsigned k = 0; k < LS_PTR_SHARDS; k++) {
        shard_t *s = &shards[k];
        ls_bias_lock_slow(&s->lock, me, 0);
        for (uint64_t b = 0; s->count && b <= s->mask; b++)
            for (uint32_t i = 0; i < BUCKET; i++)
                if (s->buckets[b].key[i]) {
                    ls_ptr_entry_t e;
                    ls_ptr_unpack((ls_ptr_raw_t){s->buckets[b].key[i], s->buckets[b].val[i]}, &e);
                    fn(&e, ctx);
                    s->buckets[b].val[i] = pack_val(e.size, e.cls & (LS_PTR_CLASSES - 1), e.epoch);
                }
        ls_bias_unlock_slow(&s->lock);
    }
    ls_spin_lock(&side.lock);
    uint64_t n = atomic_load_explicit(&side.count, memory_order_relaxed);
    for (uint64_t i = 0; i < n; i++)
        fn(&side.items[i], ctx);
    ls_spin_unlock(&side.lock);
}

void ls_ptr_foreach_locked(void (*fn)(const ls_ptr_entry_t *e, void *ctx), void *ctx)
{
    for (unsigned k = 0; k < LS_PTR_SHARDS; k++)
        shard_walk(&shards[k], fn, ctx);
    side_walk(fn, ctx);
}

/* One shard's invariants: every entry is found from its home bucket, `count` is the
 * number of entries, and each bucket's `passed` is the number of entries whose probe
 * went past it (or stuck at PASSED_MAX). Lock held; `expect` is room for a count per
 * bucket. */
static int shard_consistent(const shard_t *s, uint32_t *expect)
{
    uint32_t n = s->mask + 1;
    uint64_t count = 0;
    memset(expect, 0, n * sizeof *expect);
    for (uint32_t c = 0; c < n; c++)
        for (uint32_t k = 0; k < BUCKET; k++) {
            uint64_t key = s->buckets[c].key[k], h = hash_addr(key & ADDR_MASK);
            if (!key)
                continue;
            count++;
            if (shard_find(s, key & ADDR_MASK, h) != c * BUCKET + k)
                return 0;
            for (uint32_t b = home_of(h, s); b != c; b = (b + 1) & s->mask)
                expect[b]++;
        }
    for (uint32_t b = 0; b < n; b++)
        if (s->passed[b] != PASSED_MAX && s->passed[b] != expect[b])
            return 0;
    return count == s->count;
}

int ls_ptr_consistent(void)
{
    int ok = 1;
    uint32_t me = ls_bias_me();
    for (unsigned k = 0; k < LS_PTR_SHARDS && ok; k++) {
        ls_bias_lock_slow(&shards[k].lock, me, 0);
        size_t room = ((size_t)shards[k].mask + 1) * sizeof(uint32_t);
        uint32_t *expect = ls_pages_alloc(room);
        ok = expect && shard_consistent(&shards[k], expect);
        ls_pages_free(expect, room);
        ls_bias_unlock_slow(&shards[k].lock);
    }
    return ok;
}

uint64_t ls_ptr_count(void)
{
    uint64_t n = atomic_load_explicit(&side.count, memory_order_relaxed);
    for (unsigned k = 0; k < LS_PTR_SHARDS; k++)
        n += __atomic_load_n(&shards[k].count, __ATOMIC_RELAXED);
    return n;
}

uint64_t ls_ptr_table_bytes(void)
{
    uint64_t bytes = atomic_load_explicit(&side.count, memory_order_relaxed) ? side.cap * sizeof(ls_ptr_entry_t) : 0;
    for (unsigned k = 0; k < LS_PTR_SHARDS; k++)
        bytes += table_bytes((uint64_t)__atomic_load_n(&shards[k].mask, __ATOMIC_RELAXED) + 1);
    return bytes;
}

void ls_ptr_lock_all(void)
{
    uint32_t me = ls_bias_me();
    for (unsigned k = 0; k < LS_PTR_SHARDS; k++)
        ls_bias_lock_slow(&shards[k].lock, me, 0);
    ls_spin_lock(&side.lock);
}

void ls_ptr_unlock_all(void)
{
    ls_spin_unlock(&side.lock);
    for (unsigned k = 0; k < LS_PTR_SHARDS; k++)
        ls_bias_unlock_slow(&shards[k].lock);
}

void ls_ptr_reset_after_fork(void)
{
    ls_bias_init(); /* the child registers for membarrier again */
    ls_spin_unlock(&side.lock);
    for (unsigned k = 0; k < LS_PTR_SHARDS; k++)
        ls_bias_reset_in_child(&shards[k].lock);
}
