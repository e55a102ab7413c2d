/*
 * test_roundtrip_engine.c — the engine's snapshot writer read back by the analyzer's
 * reader: exact per-site figures, per-thread counters summed, birth-age buckets, the
 * header (step, epoch, traced current and peak), module map and file naming.
 */
#include <check.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "engine.h"
#include "snapshot.h"

static char out_dir[] = "/tmp/leakscope-rt.XXXXXX";

/* Distinct call sites: each function is its own trace. */
static __attribute__((noinline)) void alloc_a(uintptr_t p, size_t n)
{
    ls_record_alloc((void *)p, n, (ls_caller_t){0, 0});
    __asm__ volatile("" ::: "memory");
}
static __attribute__((noinline)) void alloc_b(uintptr_t p, size_t n)
{
    ls_record_alloc((void *)p, n, (ls_caller_t){0, 0});
    __asm__ volatile("" ::: "memory");
}

/* The newest snapshot file in out_dir (names sort by sequence). */
static char *newest_snapshot(void)
{
    DIR *d = opendir(out_dir);
    ck_assert_ptr_nonnull(d);
    char best[512] = "";
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".lss") && e->d_name[0] != '.' && strcmp(e->d_name, best) > 0)
            snprintf(best, sizeof best, "%s", e->d_name);
    closedir(d);
    ck_assert(best[0] != 0);
    char *path = malloc(1024);
    snprintf(path, 1024, "%s/%s", out_dir, best);
    return path;
}

static const ls_site_t *site_with_bytes(const ls_snapshot_t *s, uint64_t alloc_bytes)
{
    for (size_t i = 0; i < s->n_sites; i++)
        if (s->sites[i].alloc_bytes == alloc_bytes)
            return &s->sites[i];
    return NULL;
}

static void *thread_allocs(void *arg)
{
    uintptr_t base = (uintptr_t)arg;
    for (uintptr_t i = 0; i < 1000; i++)
        alloc_b(base + i * 16, 7);
    return NULL;
}

START_TEST(snapshot_round_trip_is_exact)
{
    ck_assert_ptr_nonnull(mkdtemp(out_dir));
    ls_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.frames = 16;
    snprintf(cfg.out_dir, sizeof cfg.out_dir, "%s", out_dir);
    snprintf(cfg.prog, sizeof cfg.prog, "rt");
    snprintf(cfg.exe, sizeof cfg.exe, "/proc/self/exe");
    ck_assert_int_eq(ls_engine_init_with(&cfg), 0);

    /* steps 0..99: one 100-byte block per step from alloc_a; blocks born at odd steps
     * are freed again, so 50 survive. */
    for (uint64_t step = 0; step < 100; step++) {
        ls_engine_mark(step);
        alloc_a(0x1000000 + step * 128, 100);
    }
    for (uint64_t step = 1; step < 100; step += 2)
        ck_assert_int_eq(ls_record_free((void *)(uintptr_t)(0x1000000 + step * 128)), 1);
    ck_assert_int_eq(ls_record_free((void *)0x42420), 0); /* never seen */
    uint64_t cur, peak;
    ls_engine_traced(&cur, &peak);
    ck_assert_uint_eq(cur, 50 * 100);
    ck_assert_uint_eq(peak, 100 * 100);

    /* 4 threads x 1000 blocks of 7 bytes from alloc_b, all live */
    pthread_t tid[4];
    for (uintptr_t t = 0; t < 4; t++)
        pthread_create(&tid[t], NULL, thread_allocs, (void *)(0x40000000 + t * 0x100000));
    for (int t = 0; t < 4; t++)
        pthread_join(tid[t], NULL);

    ls_engine_traced(&cur, &peak);
    ck_assert_uint_eq(cur, 50 * 100 + 4000 * 7);
    ck_assert_uint_eq(peak, 50 * 100 + 4000 * 7);

    ck_assert_int_eq(ls_snapshot_take("round trip!"), 0);
    char *path = newest_snapshot();
    ck_assert_ptr_nonnull(strstr(path, "/rt."));
    ck_assert_ptr_nonnull(strstr(path, ".000001.round_trip_.lss"));

    ls_snapshot_t s;
    char err[512];
    int r = ls_snapshot_read(path, &s, err, sizeof err);
    ck_assert_msg(r == 0, "%s", err);
    ck_assert_uint_eq(s.pid, (uint64_t)getpid());
    ck_assert_uint_eq(s.seq, 1);
    ck_assert_uint_eq(s.step, 99);
    ck_assert_uint_eq(s.marked, 1);
    ck_assert_uint_eq(s.epoch, 99);
    ck_assert_str_eq(s.label, "round_trip_");
    ck_assert_str_eq(s.prog, "rt");
    ck_assert_uint_eq(s.frames_max, 16);
    ck_assert_uint_eq(s.traced_current, 50 * 100 + 4000 * 7);
    ck_assert_uint_eq(s.traced_peak, 50 * 100 + 4000 * 7);
    ck_assert_uint_eq(s.alloc_calls, 4100);
    ck_assert_uint_eq(s.free_calls, 50);
    ck_assert_uint_eq(s.n_sites, 2);
    ck_assert(s.n_modules >= 1);

    const ls_site_t *a = site_with_bytes(&s, 100 * 100);
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(a->live_bytes, 5000);
    ck_assert_uint_eq(a->live_count, 50);
    ck_assert_uint_eq(a->alloc_count, 100);
    ck_assert_uint_eq(a->free_count, 50);
    ck_assert(a->nframes >= 2);

    /* 100 epochs in 32 equal buckets; the edges cover [0, 100). */
    ck_assert_uint_eq(s.n_age_edges, 33);
    ck_assert_uint_eq(s.age_edges[0], 0);
    ck_assert_uint_eq(s.age_edges[32], 100);
    uint64_t age_bytes = 0, age_count = 0;
    for (unsigned i = 0; i < a->nage; i++) {
        const ls_age_t *g = &a->age[i];
        uint64_t lo = s.age_edges[g->bucket], hi = s.age_edges[g->bucket + 1], evens = 0;
        for (uint64_t e = lo; e < hi; e++)
            evens += (e % 2 == 0);
        ck_assert_uint_eq(g->count, evens); /* exactly the even steps born in the bucket */
        ck_assert_uint_eq(g->bytes, evens * 100);
        age_bytes += g->bytes;
        age_count += g->count;
    }
    ck_assert_uint_eq(age_bytes, 5000);
    ck_assert_uint_eq(age_count, 50);

    const ls_site_t *b = site_with_bytes(&s, 4000 * 7);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(b->live_count, 4000);
    ck_assert_uint_eq(b->alloc_count, 4000);
    ck_assert_uint_eq(b->free_count, 0);
    ls_snapshot_free(&s);

    /* A second snapshot gets the next sequence number; exit is written once. */
    ck_assert_int_eq(ls_snapshot_take(NULL), 0);
    char *second = newest_snapshot();
    ck_assert_ptr_nonnull(strstr(second, ".000002.snapshot.lss"));
    ls_engine_at_exit();
    char *third = newest_snapshot();
    ck_assert_ptr_nonnull(strstr(third, ".000003.exit.lss"));
    ls_engine_at_exit();
    char *again = newest_snapshot();
    ck_assert_str_eq(again, third);
    free(again);
    free(path);
    free(second);
    free(third);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("roundtrip");
    TCase *tc = tcase_create("engine");
    tcase_add_test(tc, snapshot_round_trip_is_exact);
    suite_add_tcase(s, tc);
    int failed = ls_check_run(s, CK_NOFORK);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", out_dir);
    if (system(cmd) != 0)
        failed++;
    return failed ? 1 : 0;
}
