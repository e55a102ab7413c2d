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
 * Within a shard, the table is laid out as Abseil's "Swiss" tables are: a control byte
 * per slot holding 7 bits of the address's hash, matched 16 at a time with one SSE2
 * compare, so a lookup reads one group of control bytes and usually one slot, without
 * the data-dependent branches of a linear probe, and stays fast up to 7/8 full.
 * Deletion leaves a tombstone only where a probe may have passed; a table full of
 * tombstones is rehashed at its size, one full of live entries doubled.
 *
 * Entries are 16 bytes: the address divided by 16 (glibc's blocks are 16-aligned and
 * below 2^47) with the site id in the top 21 bits, and the size with the birth epoch.
 * With the control byte, a live block costs 19–39 bytes of table (7/16 to 7/8 full).
 * The rare block that does not fit (4 GiB or more, an unaligned or high address, a site
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

#define INITIAL_CAPACITY 64u /* slots per shard; a power of two, at least GROUP */
#define GROUP 16             /* control bytes matched at once (one SSE2 compare) */
#define REGION_SHIFT 26      /* glibc's arena heaps are 64 MiB-aligned */

#define ADDR_BITS 43 /* address / 16 */
#define SITE_BITS 21
#define ADDR_MASK ((1ull << ADDR_BITS) - 1)

/* Control bytes, one per slot: 0 empty, 1 deleted (a tombstone), 0x80|tag full, where the
 * tag is 7 bits of the address's hash. Zero pages from the kernel are all empty. */
#define CTRL_EMPTY 0x00
#define CTRL_DELETED 0x01
#define CTRL_FULL 0x80

typedef struct {
    uint64_t key; /* address/16 | site << 43 */
    uint64_t val; /* size | epoch << 32 */
} slot_t;

typedef struct {
    ls_bias_lock_t lock;
    uint32_t mask;        /* capacity - 1 */
    uint64_t count;       /* full slots */
    uint64_t growth_left; /* empty slots that may still be filled before a rehash */
    slot_t *slots;
    uint8_t *ctrl; /* capacity + GROUP bytes: the first GROUP repeated at the end, so a
                    * group read near the end needs no wrap-around */
} __attribute__((aligned(LS_CACHELINE))) shard_t;

static shard_t shards[LS_PTR_SHARDS];

/* The side list: entries that do not pack into a slot, unordered. */
static struct {
    ls_spinlock_t lock;
    _Atomic uint64_t count;
    uint64_t cap;
    ls_ptr_entry_t *items;
} __attribute__((aligned(LS_CACHELINE))) side;

static inline uint64_t hash_addr(uint64_t a)
{
    a *= 0x9E3779B97F4A7C15ull;
    return a ^ (a >> 29);
}

static inline shard_t *shard_of(uintptr_t p)
{
    return &shards[hash_addr((uint64_t)p >> REGION_SHIFT) >> 56];
}

/* The address fits a slot (16-aligned, below 2^47). */
static inline int addr_packs(uintptr_t p)
{
    return (p & 15) == 0 && (p >> 4) <= ADDR_MASK;
}

static inline int packable(uintptr_t p, uint64_t size, uint32_t site)
{
    return addr_packs(p) && size <= UINT32_MAX && site < (1u << SITE_BITS);
}

static inline void unpack(const slot_t *s, ls_ptr_entry_t *e)
{
    e->ptr = (uintptr_t)((s->key & ADDR_MASK) << 4);
    e->site = (uint32_t)(s->key >> ADDR_BITS);
    e->size = (uint32_t)s->val;
    e->epoch = (uint32_t)(s->val >> 32);
}

_Static_assert(LS_PTR_SHARDS == 256, "shard_of picks a shard with the hash's top 8 bits");

/* A table's capacity in slots may hold this many before it is rehashed (7/8). */
static inline uint64_t max_fill(uint64_t cap)
{
    return cap - cap / 8;
}

static inline size_t table_bytes(uint64_t cap)
{
    return (size_t)cap * sizeof(slot_t) + (size_t)cap + GROUP;
}

int ls_ptr_init(void)
{
    ls_bias_init();
    size_t one = table_bytes(INITIAL_CAPACITY);
    char *all = ls_pages_alloc(one * LS_PTR_SHARDS);
    if (!all)
        return -1;
    for (unsigned i = 0; i < LS_PTR_SHARDS; i++) {
        shard_t *s = &shards[i];
        s->mask = INITIAL_CAPACITY - 1;
        s->count = 0;
        s->growth_left = max_fill(INITIAL_CAPACITY);
        s->slots = (slot_t *)(all + (size_t)i * one);
        s->ctrl = (uint8_t *)(s->slots + INITIAL_CAPACITY);
    }
    return 0;
}

/* ---- groups of control bytes --------------------------------------------------- */

/* Bit k set: control byte pos+k equals c. */
static inline uint32_t group_match(const uint8_t *ctrl, uint32_t pos, uint8_t c)
{
    __m128i g = _mm_loadu_si128((const __m128i *)(ctrl + pos));
    return (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(g, _mm_set1_epi8((char)c)));
}

/* Bit k set: control byte pos+k is empty or deleted (its top bit is clear). */
static inline uint32_t group_free(const uint8_t *ctrl, uint32_t pos)
{
    __m128i g = _mm_loadu_si128((const __m128i *)(ctrl + pos));
    return ~(uint32_t)_mm_movemask_epi8(g) & 0xffffu;
}

static inline void set_ctrl(shard_t *s, uint32_t i, uint8_t c)
{
    s->ctrl[i] = c;
    if (i < GROUP)
        s->ctrl[s->mask + 1 + i] = c;
}

/* The probe sequence visits groups at h, h+16, h+48, h+96... (triangular steps), which
 * covers every slot of a power-of-two table. */
static inline uint32_t home_of(uint64_t h, uint32_t mask)
{
    return (uint32_t)(h >> 7) & mask;
}

static inline uint8_t tag_of(uint64_t h)
{
    return (uint8_t)(CTRL_FULL | (h & 0x7f));
}

/* The slot holding addr16, or UINT32_MAX. Called with the shard lock held. */
static inline uint32_t shard_find(const shard_t *s, uint64_t addr16, uint64_t h)
{
    uint32_t mask = s->mask, pos = home_of(h, mask);
    uint8_t tag = tag_of(h);
    for (uint32_t step = GROUP;; pos = (pos + step) & mask, step += GROUP) {
        for (uint32_t m = group_match(s->ctrl, pos, tag); m; m &= m - 1) {
            uint32_t i = (pos + (uint32_t)__builtin_ctz(m)) & mask;
            if ((s->slots[i].key & ADDR_MASK) == addr16)
                return i;
        }
        if (group_match(s->ctrl, pos, CTRL_EMPTY))
            return UINT32_MAX;
    }
}

/* The first empty or deleted slot on h's probe sequence. */
static inline uint32_t shard_find_free(const shard_t *s, uint64_t h)
{
    uint32_t mask = s->mask, pos = home_of(h, mask);
    for (uint32_t step = GROUP;; pos = (pos + step) & mask, step += GROUP) {
        uint32_t m = group_free(s->ctrl, pos);
        if (m)
            return (pos + (uint32_t)__builtin_ctz(m)) & mask;
    }
}

/* Move every full slot into a fresh table of new_cap slots (twice the size when the
 * table is full of live entries, the same size when tombstones filled it). Called with
 * the shard lock held. 0, or -1 when the kernel refuses memory. */
static LS_NOINLINE int shard_rehash(shard_t *s, uint64_t new_cap)
{
    if (new_cap > (1ull << 31))
        return -1;
    void *mem = ls_pages_alloc(table_bytes(new_cap));
    if (!mem)
        return -1;
    shard_t fresh = {.mask = (uint32_t)(new_cap - 1), .slots = mem};
    fresh.ctrl = (uint8_t *)(fresh.slots + new_cap);
    uint64_t cap = (uint64_t)s->mask + 1;
    for (uint64_t i = 0; i < cap; i++) {
        if (!(s->ctrl[i] & CTRL_FULL))
            continue;
        uint64_t h = hash_addr(s->slots[i].key & ADDR_MASK);
        uint32_t j = shard_find_free(&fresh, h);
        set_ctrl(&fresh, j, tag_of(h));
        fresh.slots[j] = s->slots[i];
        fresh.count++;
    }
    LS_ASSERT(fresh.count == s->count); /* every live entry, and only those, moved */
    /* The initial tables are carved from one mapping and stay mapped (about 270 KiB of
     * address space, touched only where used); later ones have mappings of their own. */
    if (cap != INITIAL_CAPACITY)
        ls_pages_free(s->slots, table_bytes(cap));
    s->slots = fresh.slots;
    s->ctrl = fresh.ctrl;
    s->mask = fresh.mask;
    s->growth_left = max_fill(new_cap) - s->count;
    return 0;
}

/* Remove slot i. Its control byte becomes empty again when no probe sequence can have
 * passed over it while looking further (a run of empty-or-deleted bytes around it, read
 * as one group, was never full); otherwise a tombstone. */
static inline void shard_delete_at(shard_t *s, uint32_t i)
{
    uint32_t before = (i - GROUP) & s->mask;
    uint32_t empty_after = group_match(s->ctrl, i, CTRL_EMPTY);
    uint32_t empty_before = group_match(s->ctrl, before, CTRL_EMPTY);
    int never_full = empty_after && empty_before &&
                     (uint32_t)__builtin_ctz(empty_after) + (uint32_t)(__builtin_clz(empty_before) - 16) < GROUP;
    set_ctrl(s, i, never_full ? CTRL_EMPTY : CTRL_DELETED);
    s->growth_left += never_full;
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

/* Take p's entry (p packs) out of its shard: 1 and *out filled when it was there. */
static inline int shard_remove(uintptr_t p, ls_ptr_entry_t *out)
{
    shard_t *s = shard_of(p);
    uint64_t addr16 = (uint64_t)p >> 4;
    int found = 0;
    int fast = ls_bias_lock(&s->lock, ls_bias_me());
    uint32_t i = shard_find(s, addr16, hash_addr(addr16));
    if (LS_LIKELY(i != UINT32_MAX)) {
        unpack(&s->slots[i], out);
        shard_delete_at(s, i);
        found = 1;
    }
    ls_bias_unlock(&s->lock, fast);
    return found;
}

/* Put a new entry (its address known absent, h its hash) in the shard. Called with the
 * lock held. */
static inline int shard_add(shard_t *s, uint64_t h, uint64_t key, uint64_t val)
{
    uint32_t i = shard_find_free(s, h);
    if (LS_UNLIKELY(s->growth_left == 0) && s->ctrl[i] == CTRL_EMPTY) {
        uint64_t cap = (uint64_t)s->mask + 1;
        /* Many tombstones: rehash at the same size (as Abseil does, up to 25/32 live);
         * mostly live: double. */
        if (shard_rehash(s, s->count * 32 <= cap * 25 ? cap : cap * 2) != 0)
            return -1;
        i = shard_find_free(s, h);
    }
    s->growth_left -= s->ctrl[i] == CTRL_EMPTY;
    set_ctrl(s, i, tag_of(h));
    s->slots[i].key = key;
    s->slots[i].val = val;
    s->count++;
    LS_ASSERT(s->count + s->growth_left <= max_fill((uint64_t)s->mask + 1));
    return 0;
}

int ls_ptr_insert(uintptr_t p, uint64_t size, uint32_t site, uint32_t epoch,
                  ls_ptr_entry_t *replaced)
{
    LS_ASSERT(p != 0); /* 0 marks an empty slot */
    if (LS_UNLIKELY(!packable(p, size, site))) {
        /* p is never in both stores: an address that packed before may come back too
         * large for a slot (and one in the side list, below, small again). */
        ls_ptr_entry_t e = {p, size, site, epoch};
        if (addr_packs(p) && shard_remove(p, replaced)) {
            if (side_insert(&e, replaced) < 0)
                return -1;
            return 1;
        }
        return side_insert(&e, replaced);
    }
    if (LS_UNLIKELY(side_maybe_holds()) && side_remove(p, replaced)) {
        ls_ptr_entry_t dummy;
        return ls_ptr_insert(p, size, site, epoch, &dummy) < 0 ? -1 : 1;
    }
    shard_t *s = shard_of(p);
    uint64_t addr16 = (uint64_t)p >> 4, h = hash_addr(addr16);
    uint64_t key = addr16 | (uint64_t)site << ADDR_BITS, val = size | (uint64_t)epoch << 32;
    int result = 0;
    int fast = ls_bias_lock(&s->lock, ls_bias_me());
    uint32_t i = shard_find(s, addr16, h);
    if (LS_UNLIKELY(i != UINT32_MAX)) {
        unpack(&s->slots[i], replaced);
        s->slots[i].key = key;
        s->slots[i].val = val;
        result = 1;
    } else if (shard_add(s, h, key, val) != 0) {
        result = -1;
    }
    ls_bias_unlock(&s->lock, fast);
    return result;
}

int ls_ptr_remove(uintptr_t p, ls_ptr_entry_t *out)
{
    int found = addr_packs(p) && shard_remove(p, out);
    if (!found && LS_UNLIKELY(side_maybe_holds()))
        found = side_remove(p, out);
    return found;
}

/* ---- walking, counting, fork ---------------------------------------------------- */

static void shard_walk(const shard_t *s, void (*fn)(const ls_ptr_entry_t *e, void *ctx), void *ctx)
{
    if (!s->count) /* most shards of a small program: their pages were never touched */
        return;
    for (uint64_t i = 0; i <= s->mask && s->slots; i++)
        if (s->ctrl[i] & CTRL_FULL) {
            ls_ptr_entry_t e;
            unpack(&s->slots[i], &e);
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

void ls_ptr_foreach_locked(void (*fn)(const ls_ptr_entry_t *e, void *ctx), void *ctx)
{
    for (unsigned k = 0; k < LS_PTR_SHARDS; k++)
        shard_walk(&shards[k], fn, ctx);
    side_walk(fn, ctx);
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
