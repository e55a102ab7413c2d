/*
 * ptrtable.h — the table of live allocations: pointer -> (requested size, site id,
 * birth epoch). Sharded by address region, so each thread mostly meets the shards of its
 * own malloc arena; each shard is an open-addressing table of 16-byte entries in
 * cache-line buckets (ptrtable.c says how entries are packed and found).
 */
#ifndef LS_PTRTABLE_H
#define LS_PTRTABLE_H

#include <stdint.h>

#include "common.h"

typedef struct {
    uintptr_t ptr; /* 0: empty slot */
    uint64_t size;
    uint32_t site;
    uint32_t epoch;
    uint8_t cls; /* sampling class (sample.h): 0 traced exactly, else the rate it stands for */
} ls_ptr_entry_t;

#define LS_PTR_CLASSES 4 /* cls < LS_PTR_CLASSES */

#define LS_PTR_SHARDS 256

/* 0 on success, -1 when the kernel refuses memory for the tables. */
LS_HIDDEN int ls_ptr_init(void);

/* Insert p. Returns 0 when inserted, 1 when p was already present (a stale entry: the
 * block was freed behind the shim's back, e.g. from a signal handler during a hook):
 * it is replaced and its old contents are copied to *replaced; -1 when the shard
 * could not grow (the allocation is then not recorded). A stale entry is looked for in
 * p's home bucket always, and past it surely only once ls_ptr_expect_stale has been called. */
LS_HIDDEN int ls_ptr_insert(uintptr_t p, uint64_t size, uint32_t site, uint32_t epoch, uint8_t cls,
                            ls_ptr_entry_t *replaced);

/* From now on the table may hold stale entries: a block that was tracked has been freed,
 * or moved by realloc, without its record (the hooks call this when a signal handler's
 * free or realloc inside a hook could not be deferred). Until then an allocated address
 * cannot be in the table, so an insert need not look for it past its home bucket, which
 * lets most inserts settle in one look (in a table under churn, a third of the home
 * buckets have had an entry pushed past them). Sticky for the process and its forked
 * children; async-signal-safe. */
LS_HIDDEN void ls_ptr_expect_stale(void);

/* fn is called with every address that enters the table (inserted, or replacing a stale
 * entry), under the lock that guards its place, before any other thread can take it out
 * again (sample.c's filter counts it there). Set it with every lock of the table held
 * (ls_ptr_lock_all), or before any thread inserts; NULL: no call. While it is set, every
 * insert takes the out-of-line path. */
LS_HIDDEN void ls_ptr_set_insert_hook(void (*fn)(uintptr_t p));

/* How an entry is packed in a slot (ptrtable.c): the key holds the address / 16 and the
 * site above it, the value the size, the sampling class and the birth epoch. */
#define LS_PTR_ADDR_BITS 43
#define LS_PTR_SIZE_BITS 30 /* sizes packed in a slot are below 2^30 (1 GiB) */
#define LS_PTR_CLS_SHIFT 30

/* A slot's raw contents; key 0: no entry. */
typedef struct {
    uint64_t key, val;
} ls_ptr_raw_t;

/* Remove p from the shards (the hot path: a block that packs, found in one look);
 * returns its raw entry, or key 0 when the shards do not hold it. */
LS_HIDDEN ls_ptr_raw_t ls_ptr_take(uintptr_t p);
/* Remove p from the side list of entries that do not pack (when it holds any): 1 and
 * *out filled, or 0. */
LS_HIDDEN int ls_ptr_remove_side(uintptr_t p, ls_ptr_entry_t *out);

static inline void ls_ptr_unpack(ls_ptr_raw_t r, ls_ptr_entry_t *e)
{
    e->ptr = (uintptr_t)((r.key & ((1ull << LS_PTR_ADDR_BITS) - 1)) << 4);
    e->site = (uint32_t)(r.key >> LS_PTR_ADDR_BITS);
    e->size = r.val & ((1ull << LS_PTR_SIZE_BITS) - 1);
    e->cls = (uint8_t)((r.val >> LS_PTR_CLS_SHIFT) & (LS_PTR_CLASSES - 1));
    e->epoch = (uint32_t)(r.val >> 32);
}

/* Remove p. Returns 1 and fills *out when p was present, 0 when it was not. Inline, so
 * that a caller's unused fields are never unpacked. */
static inline int ls_ptr_remove(uintptr_t p, ls_ptr_entry_t *out)
{
    ls_ptr_raw_t r = ls_ptr_take(p);
    if (LS_LIKELY(r.key != 0)) {
        ls_ptr_unpack(r, out);
        return 1;
    }
    return ls_ptr_remove_side(p, out);
}

/* Call fn for every live entry, one shard at a time under that shard's lock; fn must
 * not allocate or take shard locks. */
LS_HIDDEN void ls_ptr_foreach(void (*fn)(const ls_ptr_entry_t *e, void *ctx), void *ctx);

/* Call fn for every live entry, as ls_ptr_foreach; fn may change the entry's `cls`
 * (nothing else), and the change is kept. */
LS_HIDDEN void ls_ptr_reclass(void (*fn)(ls_ptr_entry_t *e, void *ctx), void *ctx);

/* The same, for a caller that holds every shard lock (ls_ptr_lock_all): the scan. */
LS_HIDDEN void ls_ptr_foreach_locked(void (*fn)(const ls_ptr_entry_t *e, void *ctx), void *ctx);

/* 1 when every shard's internal counts agree with its entries (the unit tests; quadratic
 * in a shard's buckets). */
LS_HIDDEN int ls_ptr_consistent(void);

/* Number of live entries. */
LS_HIDDEN uint64_t ls_ptr_count(void);
/* Bytes the table's slots take (for the cost figures: bytes per live entry). */
LS_HIDDEN uint64_t ls_ptr_table_bytes(void);

/* fork() and the scan: take every lock of the table (shards in index order), release them. */
LS_HIDDEN void ls_ptr_lock_all(void);
LS_HIDDEN void ls_ptr_unlock_all(void);
/* In a forked child, instead of ls_ptr_unlock_all: release every lock and forget which
 * threads the shard locks were biased to (only the forking thread is left). */
LS_HIDDEN void ls_ptr_reset_after_fork(void);

#endif /* LS_PTRTABLE_H */
