/*
 * ptrtable.c — sharded open-addressing table of live allocations (see ptrtable.h).
 *
 * Locking: each shard has its own spinlock; no function here takes two shard locks
 * except ls_ptr_lock_all (fork), which takes them in index order.
 */
#include <string.h>

#include "ptrtable.h"

#define INITIAL_CAPACITY 64u /* slots per shard; power of two. Small, so a small live
                                 * set stays in cache; shards double as they fill. */
#define MAX_LOAD_NUM 7         /* grow beyond 7/10 full */
#define MAX_LOAD_DEN 10

typedef struct {
    ls_spinlock_t lock;
    uint32_t mask; /* capacity - 1 */
    uint64_t count;
    ls_ptr_entry_t *slots;
} __attribute__((aligned(LS_CACHELINE))) shard_t;

static shard_t shards[LS_PTR_SHARDS];

static inline uint64_t mix(uintptr_t p)
{
    uint64_t x = (uint64_t)p >> 4; /* malloc alignment: the low bits carry nothing */
    x *= 0x9E3779B97F4A7C15ull;
    return x ^ (x >> 32);
}

int ls_ptr_init(void)
{
    size_t one = INITIAL_CAPACITY * sizeof(ls_ptr_entry_t);
    char *all = ls_pages_alloc(one * LS_PTR_SHARDS);
    if (!all)
        return -1;
    for (unsigned i = 0; i < LS_PTR_SHARDS; i++) {
        shards[i].mask = INITIAL_CAPACITY - 1;
        shards[i].count = 0;
        shards[i].slots = (ls_ptr_entry_t *)(all + (size_t)i * one);
    }
    return 0;
}

/* Double the shard's capacity. Called with the shard lock held. */
static LS_NOINLINE int shard_grow(shard_t *s)
{
    uint64_t cap = (uint64_t)s->mask + 1, new_cap = cap * 2;
    if (new_cap > (1ull << 31))
        return -1;
    ls_ptr_entry_t *fresh = ls_pages_alloc(new_cap * sizeof *fresh);
    if (!fresh)
        return -1;
    uint32_t new_mask = (uint32_t)(new_cap - 1);
    uint64_t moved = 0;
    for (uint64_t i = 0; i < cap; i++) {
        ls_ptr_entry_t *e = &s->slots[i];
        if (!e->ptr)
            continue;
        uint32_t j = (uint32_t)(mix(e->ptr) >> 8) & new_mask;
        while (fresh[j].ptr)
            j = (j + 1) & new_mask;
        fresh[j] = *e;
        moved++;
    }
    LS_ASSERT(moved == s->count); /* every live entry, and only those, moved */
    (void)moved;
    /* The initial tables are carved from one mapping and stay mapped (64 KiB in all);
     * grown ones have mappings of their own. */
    if (cap != INITIAL_CAPACITY)
        ls_pages_free(s->slots, cap * sizeof *fresh);
    s->slots = fresh;
    s->mask = new_mask;
    return 0;
}

int ls_ptr_insert(uintptr_t p, uint64_t size, uint32_t site, uint32_t epoch,
                  ls_ptr_entry_t *replaced)
{
    uint64_t h = mix(p);
    shard_t *s = &shards[h & (LS_PTR_SHARDS - 1)];
    int result = 0;
    LS_ASSERT(p != 0); /* 0 marks an empty slot */
    ls_spin_lock(&s->lock);
    if (LS_UNLIKELY((s->count + 1) * MAX_LOAD_DEN > ((uint64_t)s->mask + 1) * MAX_LOAD_NUM) &&
        shard_grow(s) != 0) {
        ls_spin_unlock(&s->lock);
        return -1;
    }
    uint32_t mask = s->mask, i = (uint32_t)(h >> 8) & mask;
    ls_ptr_entry_t *slots = s->slots;
    while (slots[i].ptr) {
        if (slots[i].ptr == p) {
            *replaced = slots[i];
            result = 1;
            break;
        }
        i = (i + 1) & mask;
    }
    if (!result)
        s->count++;
    LS_ASSERT(((uint64_t)s->mask & ((uint64_t)s->mask + 1)) == 0); /* a power of two */
    LS_ASSERT(s->count <= s->mask); /* never full: probes always end at an empty slot */
    slots[i].ptr = p;
    slots[i].size = size;
    slots[i].site = site;
    slots[i].epoch = epoch;
    ls_spin_unlock(&s->lock);
    return result;
}

int ls_ptr_remove(uintptr_t p, ls_ptr_entry_t *out)
{
    uint64_t h = mix(p);
    shard_t *s = &shards[h & (LS_PTR_SHARDS - 1)];
    ls_spin_lock(&s->lock);
    uint32_t mask = s->mask, i = (uint32_t)(h >> 8) & mask;
    ls_ptr_entry_t *slots = s->slots;
    for (;;) {
        if (!slots[i].ptr) {
            ls_spin_unlock(&s->lock);
            return 0;
        }
        if (slots[i].ptr == p)
            break;
        i = (i + 1) & mask;
    }
    *out = slots[i];
    LS_ASSERT(s->count > 0);
    s->count--;
    /* Backward-shift deletion: pull later members of the probe run into the hole so
     * lookups never need tombstones. */
    uint32_t hole = i;
    for (uint32_t j = (i + 1) & mask; slots[j].ptr; j = (j + 1) & mask) {
        uint32_t home = (uint32_t)(mix(slots[j].ptr) >> 8) & mask;
        /* Move j into the hole unless its home lies cyclically in (hole, j]. */
        int home_after_hole = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!home_after_hole) {
            slots[hole] = slots[j];
            hole = j;
        }
    }
    slots[hole].ptr = 0;
    ls_spin_unlock(&s->lock);
    return 1;
}

void ls_ptr_foreach(void (*fn)(const ls_ptr_entry_t *e, void *ctx), void *ctx)
{
    for (unsigned k = 0; k < LS_PTR_SHARDS; k++) {
        shard_t *s = &shards[k];
        ls_spin_lock(&s->lock);
        for (uint64_t i = 0; i <= s->mask && s->slots; i++)
            if (s->slots[i].ptr)
                fn(&s->slots[i], ctx);
        ls_spin_unlock(&s->lock);
    }
}

void ls_ptr_foreach_locked(void (*fn)(const ls_ptr_entry_t *e, void *ctx), void *ctx)
{
    for (unsigned k = 0; k < LS_PTR_SHARDS; k++)
        for (uint64_t i = 0; i <= shards[k].mask && shards[k].slots; i++)
            if (shards[k].slots[i].ptr)
                fn(&shards[k].slots[i], ctx);
}

uint64_t ls_ptr_count(void)
{
    uint64_t n = 0;
    for (unsigned k = 0; k < LS_PTR_SHARDS; k++)
        n += __atomic_load_n(&shards[k].count, __ATOMIC_RELAXED);
    return n;
}

void ls_ptr_lock_all(void)
{
    for (unsigned k = 0; k < LS_PTR_SHARDS; k++)
        ls_spin_lock(&shards[k].lock);
}

void ls_ptr_unlock_all(void)
{
    for (unsigned k = 0; k < LS_PTR_SHARDS; k++)
        ls_spin_unlock(&shards[k].lock);
}
