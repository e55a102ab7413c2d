/*
 * test_sim_stats.c — latency statistics of build/sim: nearest-rank percentiles, exact mean and
 * max, the reservoir past capacity, and the deterministic PRNG behind it.
 */
#include <check.h>

#include "check_main.h"
#include <stdlib.h>

#include "rng.h"
#include "stats.h"

START_TEST(percentiles_are_nearest_rank)
{
    sim_latency_t lat;
    ck_assert(sim_latency_init(&lat, 100));
    for (int i = 100; i >= 1; i--)  /* 1..100 us, recorded in reverse */
        sim_latency_record(&lat, (uint64_t)i * 1000);
    sim_latency_summary_t s;
    sim_latency_summarize(&lat, &s);
    ck_assert_uint_eq(s.count, 100);
    ck_assert_double_eq_tol(s.mean_us, 50.5, 1e-9);
    ck_assert_double_eq(s.p95_us, 95.0);
    ck_assert_double_eq(s.p99_us, 99.0);
    ck_assert_double_eq(s.max_us, 100.0);
    ck_assert_double_eq(sim_latency_percentile_us(&lat, 50.0), 50.0);
    ck_assert_double_eq(sim_latency_percentile_us(&lat, 100.0), 100.0);
    ck_assert_double_eq(sim_latency_percentile_us(&lat, 0.001), 1.0);
    sim_latency_free(&lat);
}
END_TEST

START_TEST(small_and_empty_sets)
{
    sim_latency_t lat;
    ck_assert(sim_latency_init(&lat, 8));
    sim_latency_summary_t s;
    sim_latency_summarize(&lat, &s);
    ck_assert_uint_eq(s.count, 0);
    ck_assert_double_eq(s.mean_us, 0.0);
    ck_assert_double_eq(s.p99_us, 0.0);
    sim_latency_record(&lat, 2500);
    sim_latency_summarize(&lat, &s);
    ck_assert_double_eq(s.p95_us, 2.5);
    ck_assert_double_eq(s.p99_us, 2.5);
    ck_assert_double_eq(s.max_us, 2.5);
    sim_latency_record(&lat, 500);  /* recording after a summary re-sorts */
    ck_assert_double_eq(sim_latency_percentile_us(&lat, 50.0), 0.5);
    sim_latency_free(&lat);
}
END_TEST

START_TEST(reservoir_keeps_count_mean_and_max_exact)
{
    sim_latency_t lat;
    ck_assert(sim_latency_init(&lat, 1000));
    uint64_t sum = 0;
    for (uint64_t i = 1; i <= 100000; i++) {
        const uint64_t ns = (i * 7919) % 10000 + 1;  /* 1..10000 ns, spread evenly */
        sum += ns;
        sim_latency_record(&lat, ns);
    }
    sim_latency_record(&lat, 5000000000ull);  /* beyond 32 bits: saturated in the sample only */
    sum += 5000000000ull;
    ck_assert_uint_eq(lat.stored, 1000);
    sim_latency_summary_t s;
    sim_latency_summarize(&lat, &s);
    ck_assert_uint_eq(s.count, 100001);
    ck_assert_double_eq_tol(s.mean_us, (double)sum / 100001 / 1000.0, 1e-9);
    ck_assert_double_eq(s.max_us, 5000000.0);
    /* A uniform sample of 1..10 us: the median is near 5 us. */
    ck_assert_double_eq_tol(sim_latency_percentile_us(&lat, 50.0), 5.0, 0.6);
    sim_latency_free(&lat);
}
END_TEST

START_TEST(rng_is_deterministic_and_in_range)
{
    sim_rng_t a, b;
    sim_rng_seed(&a, 1234);
    sim_rng_seed(&b, 1234);
    double sum = 0.0;
    for (int i = 0; i < 10000; i++) {
        ck_assert_uint_eq(sim_rng_next(&a), sim_rng_next(&b));
        const double u = sim_rng_uniform(&a);
        (void)sim_rng_uniform(&b);
        ck_assert_double_ge(u, 0.0);
        ck_assert_double_lt(u, 1.0);
        sum += u;
        const double r = sim_rng_range(&a, -2.0, 3.0);
        (void)sim_rng_range(&b, -2.0, 3.0);
        ck_assert_double_ge(r, -2.0);
        ck_assert_double_lt(r, 3.0);
    }
    ck_assert_double_eq_tol(sum / 10000, 0.5, 0.02);
    sim_rng_seed(&a, 0);  /* SplitMix64's first output for seed 0 */
    ck_assert_uint_eq(sim_rng_next(&a), 0xe220a8397b1dcdafull);
}
END_TEST

START_TEST(clock_is_monotonic)
{
    const uint64_t a = sim_now_ns();
    const uint64_t b = sim_now_ns();
    ck_assert_uint_ge(b, a);
}
END_TEST

static Suite *stats_suite(void)
{
    Suite *s = suite_create("sim_stats");
    TCase *tc = tcase_create("latency");
    tcase_add_test(tc, percentiles_are_nearest_rank);
    tcase_add_test(tc, small_and_empty_sets);
    tcase_add_test(tc, reservoir_keeps_count_mean_and_max_exact);
    tcase_add_test(tc, rng_is_deterministic_and_in_range);
    tcase_add_test(tc, clock_is_monotonic);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ls_check_run(stats_suite(), CK_FORK_GETENV);
}
