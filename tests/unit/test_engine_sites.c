/*
 * test_engine_sites.c — call sites and per-thread blocks under concurrency: one site per
 * distinct trace whatever the thread, dense ids, counters written by their own thread
 * and summed exactly, blocks recycled at thread exit without losing counts. Built under
 * TSan too (tests/run-all.sh sanitize), so a racy counter or cache shows up there.
 */
#include <check.h>

#include "check_main.h"
#include <pthread.h>
#include <string.h>

#include "sites.h"

enum { THREADS = 6, TRACES = 50, ROUNDS = 4000 };

static void trace_of(unsigned k, uintptr_t *frames, unsigned *n)
{
    *n = 2 + k % 7; /* traces of different lengths, some sharing prefixes */
    for (unsigned i = 0; i < *n; i++)
        frames[i] = 0x400000 + (uintptr_t)(k % 10) * 0x100 + i * 0x10 + (i == *n - 1 ? k : 0);
}

static ls_site_t *seen[THREADS][TRACES];

static void *worker(void *arg)
{
    int w = (int)(long)arg;
    ls_thread_t *t = ls_thread_self();
    ck_assert_ptr_nonnull(t);
    for (int r = 0; r < ROUNDS; r++) {
        unsigned k = (unsigned)(r * 7 + w) % TRACES, n;
        uintptr_t frames[16];
        trace_of(k, frames, &n);
        ls_site_t *s = ls_site_intern(t, frames, n);
        ck_assert_ptr_nonnull(s);
        if (!seen[w][k])
            seen[w][k] = s;
        ck_assert_ptr_eq(seen[w][k], s);
        ls_count_alloc(t, s->id, 10);
        if (r % 2)
            ls_count_free(t, s->id);
    }
    return NULL;
}

START_TEST(sites_are_shared_and_counts_exact)
{
    ck_assert_int_eq(ls_sites_init(), 0);
    for (int wave = 0; wave < 3; wave++) { /* later waves adopt recycled blocks */
        pthread_t tid[THREADS];
        for (long w = 0; w < THREADS; w++)
            pthread_create(&tid[w], NULL, worker, (void *)w);
        for (int w = 0; w < THREADS; w++)
            pthread_join(tid[w], NULL);
    }
    ck_assert_uint_eq(ls_sites_count(), TRACES);
    for (int k = 0; k < TRACES; k++)
        for (int w = 1; w < THREADS; w++)
            if (seen[0][k] && seen[w][k])
                ck_assert_ptr_eq(seen[0][k], seen[w][k]);
    uint64_t allocs = 0, bytes = 0, frees = 0;
    for (uint32_t id = 0; id < ls_sites_count(); id++) {
        ls_site_t *s = ls_site_by_id(id);
        ck_assert_ptr_nonnull(s);
        ck_assert_uint_eq(s->id, id);
        ls_site_counters_t c;
        ls_site_totals(id, &c);
        allocs += c.alloc_count;
        bytes += c.alloc_bytes;
        frees += c.free_count;
    }
    ck_assert_uint_eq(allocs, 3 * THREADS * ROUNDS);
    ck_assert_uint_eq(bytes, 3 * THREADS * ROUNDS * 10ull);
    ck_assert_uint_eq(frees, 3 * THREADS * ROUNDS / 2);
    ck_assert_int_eq(ls_sites_degraded(), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sites");
    TCase *tc = tcase_create("concurrency");
    tcase_add_test(tc, sites_are_shared_and_counts_exact);
    suite_add_tcase(s, tc);
    return ls_check_run(s, CK_NOFORK);
}
