/*
 * sample.h — sampled tracking (issue 11, LEAKSCOPE_SAMPLE): byte-based Poisson sampling
 * of allocations, the filter that lets a free of an unsampled block skip the pointer
 * table, and the per-site unbiased estimates the snapshot writer reports.
 *
 * The sampler: each thread counts down a number of bytes drawn from an exponential
 * distribution with mean R (the rate); an allocation that crosses zero is sampled and a
 * fresh countdown is drawn. By memorylessness a block of S bytes is sampled with
 * probability p(S) = 1 - e^(-S/R), independently of every other block, so S/p(S) bytes
 * and 1/p(S) blocks per sample are unbiased (Horvitz-Thompson) estimates, scaled per
 * sample and then summed.
 *
 * The filter: a counting filter of 2^16 one-byte counters (64 KiB, so it stays in the
 * core's cache) indexed by a hash of the address. Every block in the pointer table while
 * the filter is armed has added one to its counter (saturating at 255: a saturated counter
 * stays, costing only lookups), so a free whose counter is 0 cannot be of a tracked block
 * and returns without a lookup. Sampled blocks are few (live bytes / rate), so most
 * counters are 0. Once armed (the first time sampling is turned
 * on) it stays armed for the life of the process, so switching back to exact tracking
 * stays correct. Everything here is lock-free and allocation-free on the record path.
 */
#ifndef LS_SAMPLE_H
#define LS_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "ptrtable.h"

/* The rate in force: mean bytes between samples, 0 for exact tracking. */
LS_HIDDEN extern _Atomic uint64_t ls_sample_rate;
/* Sampling classes (ptrtable.h's `cls`): the rate each class of blocks in the table was
 * sampled at (class 0: traced exactly, rate 0), and the class new samples join. */
LS_HIDDEN extern _Atomic uint64_t ls_sample_class_rate[LS_PTR_CLASSES];
LS_HIDDEN extern _Atomic uint8_t ls_sample_class;

static inline uint64_t ls_sample_rate_of(uint8_t cls)
{
    return cls ? atomic_load_explicit(&ls_sample_class_rate[cls], memory_order_relaxed) : 0;
}

/* The filter is armed: frees consult it, allocations add to it. */
LS_HIDDEN extern atomic_int ls_sample_armed;
/* Bytes left before this thread's next sample (<= 0: draw first). */
LS_HIDDEN extern __thread int64_t ls_sample_left __attribute__((tls_model("initial-exec")));

#define LS_SAMPLE_FILTER_BITS 16
#define LS_SAMPLE_FILTER_MAX 255 /* a counter this high is saturated: never decremented */
LS_HIDDEN extern _Atomic uint8_t *ls_sample_filter;

/* The countdown crossed zero (or was never drawn): decide for this allocation of `size`
 * bytes and draw the next countdown. Returns 1 when the allocation is sampled. */
LS_HIDDEN int ls_sample_cross(uint64_t size);

/* 1 when this allocation of `size` bytes is NOT to be traced (sampling on, and the
 * countdown not crossed). The common case is a TLS subtraction. */
static inline int ls_sample_skip(size_t size)
{
    if (LS_LIKELY(atomic_load_explicit(&ls_sample_rate, memory_order_relaxed) == 0))
        return 0;
    int64_t left = ls_sample_left - (int64_t)size;
    if (LS_LIKELY(left > 0)) {
        ls_sample_left = left;
        return 1;
    }
    return !ls_sample_cross(size);
}

static inline uint32_t ls_sample_slot(uintptr_t p)
{
    return (uint32_t)(((uint64_t)p >> 4) * 0x9E3779B97F4A7C15ull >> (64 - LS_SAMPLE_FILTER_BITS));
}

/* 1 when p cannot be in the pointer table (the filter is armed and p's counter is 0).
 * Armed, read with acquire: every block in the table is counted (sample.c, arm). */
static inline int ls_sample_miss(const void *p)
{
    if (LS_LIKELY(!atomic_load_explicit(&ls_sample_armed, memory_order_acquire)))
        return 0;
    return atomic_load_explicit(&ls_sample_filter[ls_sample_slot((uintptr_t)p)], memory_order_relaxed) == 0;
}

/* A block entered / left the pointer table while the filter is armed: its site's
 * estimated totals, and on leaving its filter counter (the table counts it on entering:
 * sample.c, arm), only when `filter_counted`: the filter was armed before its free took it
 * out of the table (then it had counted it). */
LS_HIDDEN void ls_sample_note_alloc(uint32_t site, uint64_t size, uint8_t cls);
LS_HIDDEN void ls_sample_note_free(uintptr_t p, uint32_t site, uint64_t size, uint8_t cls, int filter_counted);

/* LEAKSCOPE_SAMPLE and LEAKSCOPE_SEED from the environment (bad values: one line each). */
LS_HIDDEN void ls_sample_configure(char *const *envp);
/* Parse "123", "64KiB", "2MiB", "1GiB" (also K, M, G, KB, MB, GB: powers of 1024).
 * 0 or -1 when malformed. */
LS_HIDDEN int ls_sample_parse(const char *s, uint64_t *out);
/* Switch to rate `bytes` (0: exact). Blocks in the table keep the weight of the rate they
 * were sampled at (their class); blocks traced exactly, and blocks sampled at a denser
 * rate, are thinned so that each stays with probability p_new(S)/p_old(S): a Poisson
 * sample at the new rate. Every estimate stays unbiased across any sequence of switches
 * (sample.c, reclass_table). Not from a hook. */
LS_HIDDEN void ls_sample_set(uint64_t bytes);

/* The weight of a sampled block of `size` bytes at `rate`: 1/p(S) (1 when rate is 0). */
LS_HIDDEN double ls_sample_weight(uint64_t size, uint64_t rate);
/* A site's estimated cumulative totals (allocations, bytes, frees) since sampling began. */
LS_HIDDEN void ls_sample_site_totals(uint32_t site, uint64_t *allocs, uint64_t *bytes, uint64_t *frees);
/* The seed in force (LEAKSCOPE_SEED; 0 when drawn from the clock). */
LS_HIDDEN uint64_t ls_sample_seed(void);
/* Sampling has been on at some point of this run (the site totals are estimates). */
LS_HIDDEN int ls_sample_ever(void);
/* The rate was changed (leakscope_set_sample) after sampling had started. */
LS_HIDDEN int ls_sample_changed(void);

#endif /* LS_SAMPLE_H */
