/*
 * sample.c — sampled tracking (sample.h, issue 11): the per-thread exponential
 * countdown, the counting filter in front of the pointer table, the per-site estimated
 * totals, LEAKSCOPE_SAMPLE / LEAKSCOPE_SEED and the run-time switch behind
 * leakscope_set_sample().
 *
 * Record-path contract (engine.c calls ls_sample_cross, ls_sample_note_alloc and
 * ls_sample_note_free from hooks): no lock, no allocation, no glibc call but log()/exp()
 * (pure functions of libm) and clock_gettime (vDSO). Memory comes from ls_pages_alloc
 * (mmap) when sampling is first turned on, outside any hook.
 */
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "sample.h"

_Atomic uint64_t ls_sample_rate;
_Atomic uint64_t ls_sample_class_rate[LS_PTR_CLASSES];
_Atomic uint8_t ls_sample_class;
atomic_int ls_sample_armed;
_Atomic uint8_t *ls_sample_filter;
__thread int64_t ls_sample_left __attribute__((tls_model("initial-exec")));

static __thread uint64_t rng __attribute__((tls_model("initial-exec")));
static __thread int thinning __attribute__((tls_model("initial-exec")));
static uint64_t seed;            /* LEAKSCOPE_SEED, 0 = from the clock */
static _Atomic uint64_t threads_seeded;
static atomic_int ever;
static atomic_int changed; /* the rate changed once sampling was on */
static pthread_mutex_t set_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- random numbers -------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* A thread's generator starts from LEAKSCOPE_SEED and the order in which threads first
 * allocate (reproducible for a program whose threads start in a fixed order), or from the
 * clock and the thread's own address when no seed is set. */
static void seed_thread(void)
{
    uint64_t k = atomic_fetch_add(&threads_seeded, 1) + 1;
    uint64_t s = seed;
    if (!s) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)(uintptr_t)&rng;
    }
    rng = splitmix64(s ^ splitmix64(k));
    if (!rng)
        rng = 1;
}

static uint64_t next_u64(void)
{
    if (LS_UNLIKELY(!rng))
        seed_thread();
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1Dull;
}

/* Uniform in (0, 1]. */
static double next_unit(void)
{
    return (double)((next_u64() >> 11) + 1) * 0x1.0p-53;
}

/* Bytes to the next sample: exponential with mean `rate`, at least 1. */
static int64_t draw_countdown(uint64_t rate)
{
    double d = -log(next_unit()) * (double)rate;
    if (d < 1.0)
        return 1;
    return d > 0x1.0p62 ? (int64_t)1 << 62 : (int64_t)d;
}

int ls_sample_cross(uint64_t size)
{
    uint64_t rate = atomic_load_explicit(&ls_sample_rate, memory_order_relaxed);
    if (!rate)
        return 1;
    int64_t left = ls_sample_left;
    if (LS_UNLIKELY(left <= 0 && !rng)) /* this thread's first allocation: draw its start */
        left = draw_countdown(rate);
    if ((uint64_t)left > size) {
        ls_sample_left = left - (int64_t)size;
        return 0;
    }
    ls_sample_left = draw_countdown(rate);
    return 1;
}

double ls_sample_weight(uint64_t size, uint64_t rate)
{
    if (!rate)
        return 1.0;
    double p = -expm1(-(double)size / (double)rate);
    return p > 0 ? 1.0 / p : (double)rate;
}

/* ---- per-site estimated totals ------------------------------------------------------ */

#define FX 1024.0 /* counts kept in 1/1024 of a block */
#define EST_CHUNK 1024
#define EST_CHUNKS 4096 /* 4M sites, as LS_MAX_SITES */

typedef struct {
    _Atomic uint64_t allocs_fx, bytes, frees_fx;
} est_t;

static est_t *_Atomic est_chunks[EST_CHUNKS];

/* The totals of `site`, the chunk mapped on first use; NULL when out of memory. */
static est_t *est_of(uint32_t site)
{
    uint32_t c = site / EST_CHUNK;
    if (c >= EST_CHUNKS)
        return NULL;
    est_t *chunk = atomic_load_explicit(&est_chunks[c], memory_order_acquire);
    if (LS_UNLIKELY(!chunk)) {
        est_t *fresh = ls_pages_alloc(EST_CHUNK * sizeof(est_t));
        if (!fresh)
            return NULL;
        est_t *expected = NULL;
        if (atomic_compare_exchange_strong(&est_chunks[c], &expected, fresh))
            chunk = fresh;
        else {
            ls_pages_free(fresh, EST_CHUNK * sizeof(est_t));
            chunk = expected;
        }
    }
    return &chunk[site % EST_CHUNK];
}

/* Add one to a filter counter unless saturated (a compare-and-swap: a byte must never
 * wrap to 0, which would hide a tracked block from its free). */
static void filter_up(uintptr_t p)
{
    _Atomic uint8_t *slot = &ls_sample_filter[ls_sample_slot(p)];
    uint8_t v = atomic_load_explicit(slot, memory_order_relaxed);
    while (v != LS_SAMPLE_FILTER_MAX &&
           !atomic_compare_exchange_weak_explicit(slot, &v, (uint8_t)(v + 1), memory_order_relaxed,
                                                  memory_order_relaxed))
        ;
}

void ls_sample_note_alloc(uint32_t site, uint64_t size, uint8_t cls)
{
    est_t *e = est_of(site);
    if (!e)
        return;
    double w = ls_sample_weight(size, ls_sample_rate_of(cls));
    atomic_fetch_add_explicit(&e->allocs_fx, (uint64_t)llround(w * FX), memory_order_relaxed);
    atomic_fetch_add_explicit(&e->bytes, (uint64_t)llround(w * (double)size), memory_order_relaxed);
}

void ls_sample_note_free(uintptr_t p, uint32_t site, uint64_t size, uint8_t cls, int filter_counted)
{
    _Atomic uint8_t *slot = &ls_sample_filter[ls_sample_slot(p)];
    uint8_t v = atomic_load_explicit(slot, memory_order_relaxed);
    while (filter_counted && v != 0 && v != LS_SAMPLE_FILTER_MAX &&
           !atomic_compare_exchange_weak_explicit(slot, &v, (uint8_t)(v - 1), memory_order_relaxed,
                                                  memory_order_relaxed))
        ;
    est_t *e = thinning ? NULL : est_of(site);
    if (!e)
        return;
    double w = ls_sample_weight(size, ls_sample_rate_of(cls));
    atomic_fetch_add_explicit(&e->frees_fx, (uint64_t)llround(w * FX), memory_order_relaxed);
}

void ls_sample_site_totals(uint32_t site, uint64_t *allocs, uint64_t *bytes, uint64_t *frees)
{
    est_t *chunk = site / EST_CHUNK < EST_CHUNKS ? atomic_load(&est_chunks[site / EST_CHUNK]) : NULL;
    est_t *e = chunk ? &chunk[site % EST_CHUNK] : NULL;
    *allocs = e ? (uint64_t)llround((double)atomic_load(&e->allocs_fx) / FX) : 0;
    *bytes = e ? atomic_load(&e->bytes) : 0;
    *frees = e ? (uint64_t)llround((double)atomic_load(&e->frees_fx) / FX) : 0;
}

uint64_t ls_sample_seed(void)
{
    return seed;
}

int ls_sample_ever(void)
{
    return atomic_load(&ever);
}

int ls_sample_changed(void)
{
    return atomic_load(&changed);
}

/* ---- switching: arming the filter, thinning the table ------------------------------- */

static void filter_add_entry(const ls_ptr_entry_t *e, void *ctx)
{
    (void)ctx;
    filter_up(e->ptr);
}

/* Arm the filter (once). The blocks already in the table are counted with every shard
 * locked, and from then on the table counts every address that enters it, under the lock
 * of its place (the insert hook), before anyone can take it out again; `armed` is set
 * before the locks are released. So a free that sees the filter armed takes out a block
 * that is counted, and may uncount it; a free that finds its slot at 0 may pass the table
 * by. A free that saw the filter unarmed before its take uncounts nothing (engine.c), so
 * no counter ever drops below the blocks it stands for: no tracked block is ever passed
 * by, and no entry goes stale. (A block counted twice, by the walk and by its insert, or
 * put back by a failed realloc that had taken it out counted, only makes its slot a false
 * hit.) */
static int arm(void)
{
    if (atomic_load(&ls_sample_armed))
        return 0;
    size_t sz = sizeof(uint8_t) << LS_SAMPLE_FILTER_BITS;
    ls_sample_filter = ls_pages_alloc(sz);
    if (!ls_sample_filter)
        return -1;
    if (atomic_load(&ls_state) != LS_READY) { /* at start: the table is empty */
        ls_ptr_set_insert_hook(filter_up);
        atomic_store(&ls_sample_armed, 1);
        return 0;
    }
    ls_ptr_lock_all();
    ls_ptr_foreach_locked(filter_add_entry, NULL);
    ls_ptr_set_insert_hook(filter_up);
    atomic_store(&ls_sample_armed, 1);
    ls_ptr_unlock_all();
    return 0;
}

/* Changing the rate: a block sampled at rate R stands for 1/p_R(S) blocks, and keeps its
 * class (its rate) for as long as it lives, whatever the rate in force later. A class can
 * be thinned to a sparser rate R' (each block kept with probability p_R'(S)/p_R(S)): its
 * blocks are then a Poisson sample at R' and join that rate's class. Turning sampling on
 * at R thins the exactly traced blocks (class 0, p = 1) and every denser class into R's
 * class; when the three sampled classes are all in use at sparser rates, the densest of
 * them is thinned into the next, which frees a class for R. Turning sampling off leaves
 * every class as it is; new blocks are traced exactly (class 0). */
typedef struct {
    uintptr_t *drop; /* blocks the thinning drops */
    size_t n, cap;
    uint64_t count[LS_PTR_CLASSES];
    uint64_t rate[LS_PTR_CLASSES]; /* each class's rate before the change */
    uint8_t into[LS_PTR_CLASSES];  /* where a class's blocks go */
    uint64_t into_rate[LS_PTR_CLASSES];
    uint8_t thin[LS_PTR_CLASSES]; /* the class is thinned */
} reclass_t;

static void count_entry(const ls_ptr_entry_t *e, void *ctx)
{
    ((reclass_t *)ctx)->count[e->cls]++;
}

/* Thin e into its class's destination, or drop it. */
static void thin_entry(ls_ptr_entry_t *e, void *ctx)
{
    reclass_t *t = ctx;
    uint8_t c = e->cls;
    if (!t->thin[c])
        return;
    double keep = ls_sample_weight(e->size, t->rate[c]) / ls_sample_weight(e->size, t->into_rate[c]);
    if (next_unit() <= keep || t->n == t->cap) /* no room to drop it: kept, weighted anew */
        e->cls = t->into[c];
    else
        t->drop[t->n++] = e->ptr;
}

static void thin_into(reclass_t *t, uint8_t c, uint8_t to, uint64_t rate)
{
    t->thin[c] = 1;
    t->into[c] = to;
    t->into_rate[c] = rate;
}

/* The class for new samples at rate r, with the thinning that makes it so in *t. A class
 * is free when it holds no block, or when all its blocks are thinned into r's. */
static uint8_t class_for(uint64_t r, reclass_t *t)
{
    uint8_t target = 0, free_class = 0;
    for (uint8_t c = 1; c < LS_PTR_CLASSES; c++) {
        if (t->rate[c] == r && t->count[c])
            target = c;
        if (!free_class && (!t->count[c] || t->rate[c] < r))
            free_class = c;
    }
    if (!target && !free_class) { /* three classes in use, all sparser than r */
        uint8_t dense = 1, next = 0;
        for (uint8_t c = 2; c < LS_PTR_CLASSES; c++)
            if (t->rate[c] < t->rate[dense])
                dense = c;
        for (uint8_t c = 1; c < LS_PTR_CLASSES; c++)
            if (c != dense && (!next || t->rate[c] < t->rate[next]))
                next = c;
        thin_into(t, dense, next, t->rate[next]);
        free_class = dense;
    }
    if (!target)
        target = free_class;
    for (uint8_t c = 0; c < LS_PTR_CLASSES; c++) /* exact blocks, and denser classes, join r's */
        if (t->count[c] && !t->thin[c] && (c == 0 || t->rate[c] < r))
            thin_into(t, c, target, r);
    return target;
}

/* Make rate r's class the class of new samples: the table is walked twice, and blocks
 * the thinning drops are released as frees that are not the program's. */
static void reclass_table(uint64_t r)
{
    reclass_t t = {.drop = NULL};
    ls_ptr_foreach(count_entry, &t); /* read only: no entry rewritten */
    for (uint8_t c = 0; c < LS_PTR_CLASSES; c++)
        t.rate[c] = ls_sample_rate_of(c);
    uint8_t target = class_for(r, &t);
    for (uint8_t c = 0; c < LS_PTR_CLASSES; c++)
        t.cap += t.thin[c] ? t.count[c] + 1024 : 0; /* room for blocks born meanwhile */
    t.drop = t.cap ? ls_pages_alloc(t.cap * sizeof *t.drop) : NULL;
    if (!t.drop)
        t.cap = 0; /* no memory: the blocks to thin are kept, weighted at their new class */
    atomic_store(&ls_sample_class_rate[target], r); /* before the walk relabels into it */
    ls_ptr_reclass(thin_entry, &t);
    thinning = 1;
    for (size_t i = 0; i < t.n; i++) {
        ls_taken_t old;
        if (ls_record_take((void *)t.drop[i], &old))
            ls_record_release(&old);
    }
    thinning = 0;
    ls_pages_free(t.drop, t.cap * sizeof *t.drop);
    atomic_store(&ls_sample_class, target);
}

void ls_sample_set(uint64_t bytes)
{
    ls_guard++;
    pthread_mutex_lock(&set_lock);
    uint64_t old = atomic_load(&ls_sample_rate);
    if (bytes && arm() != 0) {
        ls_log("cannot map the sampling filter (out of memory); tracking stays exact");
        bytes = 0;
    }
    if (bytes && atomic_load(&ls_state) == LS_READY) {
        reclass_table(bytes);
    } else if (bytes) { /* at start: nothing traced yet */
        atomic_store(&ls_sample_class_rate[1], bytes);
        atomic_store(&ls_sample_class, 1);
    } else {
        atomic_store(&ls_sample_class, 0);
    }
    if (atomic_load(&ever) && bytes != old)
        atomic_store(&changed, 1);
    if (bytes)
        atomic_store(&ever, 1);
    atomic_store(&ls_sample_rate, bytes);
    pthread_mutex_unlock(&set_lock);
    ls_engine_drain_deferred(); /* a handler's frees during the switch */
    ls_guard--;
}

/* ---- configuration ------------------------------------------------------------------ */

int ls_sample_parse(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    for (; s[i] >= '0' && s[i] <= '9'; i++) {
        if (i >= 15)
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (i == 0)
        return -1;
    static const struct {
        const char *suffix;
        unsigned shift;
    } units[] = {{"", 0}, {"B", 0}, {"K", 10}, {"KB", 10}, {"KiB", 10}, {"k", 10}, {"M", 20},
                 {"MB", 20}, {"MiB", 20}, {"G", 30}, {"GB", 30}, {"GiB", 30}};
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++)
        if (strcmp(s + i, units[u].suffix) == 0) {
            *out = v << units[u].shift;
            return 0;
        }
    return -1;
}

static const char *env_value(char *const *envp, const char *name)
{
    size_t n = strlen(name);
    for (; envp && *envp; envp++)
        if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
            return *envp + n + 1;
    return NULL;
}

void ls_sample_configure(char *const *envp)
{
    const char *v = env_value(envp, "LEAKSCOPE_SEED");
    uint64_t x = 0;
    if (v && *v && ls_sample_parse(v, &x) == 0 && strspn(v, "0123456789") == strlen(v))
        seed = x;
    else if (v && *v)
        ls_log("LEAKSCOPE_SEED=%.40s is not a decimal number; the sampler is seeded from the clock", v);
    v = env_value(envp, "LEAKSCOPE_SAMPLE");
    if (!v || !*v)
        return;
    if (ls_sample_parse(v, &x) != 0 || x > (1ull << 40)) {
        ls_log("LEAKSCOPE_SAMPLE=%.40s is not a number of bytes (with KiB, MiB or GiB) up to 1TiB; "
               "tracking is exact", v);
        return;
    }
    if (x)
        ls_sample_set(x);
}
