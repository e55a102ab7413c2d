/*
 * test_analyzer_classify.c — the classifier on synthetic runs: each case is built from
 * individual allocations (birth, death, size), sampled like the shim samples a program,
 * so live bytes and birth ages agree. Covers every pattern and the cases naive methods fail.
 */
#include <check.h>

#include "check_main.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "classify_rules.h"

/* ---- a tiny object simulator -------------------------------------------------------- */

#define MAXOBJ 200000
#define MAXPTS 2048

typedef struct {
    double birth, death, size; /* alive on [birth, death) */
} obj_t;

typedef struct {
    obj_t o[MAXOBJ];
    size_t n;
    double x[MAXPTS], y[MAXPTS], edges[33], ages[32], pedges[33], pages[32];
    size_t npts;
} sim_t;

static sim_t sim;
static uint64_t rng_state;

static void sim_reset(uint64_t seed)
{
    sim.n = 0;
    sim.npts = 0;
    rng_state = seed * 0x9E3779B97F4A7C15ull + 1;
}

static double rnd(void) /* uniform [0,1) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static double gauss(void)
{
    double u = rnd() + 1e-12, v = rnd();
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

static void obj(double birth, double death, double size)
{
    ck_assert_uint_lt(sim.n, MAXOBJ);
    sim.o[sim.n++] = (obj_t){birth, death, size};
}

/* Live-bytes histogram at `at` over [0, at+1) in 32 equal buckets, as the shim builds it. */
static void hist_at(double at, double *edges, double *bytes)
{
    for (int i = 0; i <= 32; i++)
        edges[i] = (at + 1) * i / 32.0;
    memset(bytes, 0, 32 * sizeof *bytes);
    for (size_t i = 0; i < sim.n; i++)
        if (sim.o[i].birth <= at && at < sim.o[i].death) {
            int b = (int)(sim.o[i].birth * 32 / (at + 1));
            bytes[b < 0 ? 0 : b > 31 ? 31 : b] += sim.o[i].size;
        }
}

/* Sample at x = every `every` steps from 0 to `steps` (inclusive). */
static void sample(double steps, double every)
{
    sim.npts = 0;
    for (double x = 0; x <= steps + 1e-9; x += every) {
        double y = 0;
        for (size_t i = 0; i < sim.n; i++)
            if (sim.o[i].birth <= x && x < sim.o[i].death)
                y += sim.o[i].size;
        ck_assert_uint_lt(sim.npts, MAXPTS);
        sim.x[sim.npts] = x;
        sim.y[sim.npts++] = y;
    }
    hist_at(sim.x[sim.npts - 1], sim.edges, sim.ages);
    if (sim.npts >= 2)
        hist_at(sim.x[sim.npts - 2], sim.pedges, sim.pages);
}

static ls_series_view_t view(void)
{
    ls_series_view_t v = {0};
    v.n = sim.npts;
    v.x = sim.x;
    v.y = sim.y;
    v.marked = 1;
    v.age_last = (ls_age_hist_t){32, sim.edges, sim.ages};
    v.age_prev = (ls_age_hist_t){32, sim.pedges, sim.pages};
    return v;
}

static void dump(const ls_class_t *c)
{
    if (getenv("CLS_DEBUG"))
        fprintf(stderr,
                "%s/%s/%s why=%s bps=%.3f burn=%.0f n=%zu p=%.3g q=%.3g tau=%.3f late=%.3f age=%.3f old=%.3f\n",
                ls_pattern_name(c->pattern), ls_trend_name(c->trend), ls_severity_name(c->severity), c->why,
                c->bytes_per_step, c->burn_in, c->n_used, c->p_up, c->q_up, c->tau, c->late_ratio, c->age_ratio,
                c->old_fraction);
}

static ls_class_t classify_one(void)
{
    ls_series_view_t v = view();
    ls_class_t c;
    ls_classify(&v, 1, NULL, &c);
    dump(&c);
    return c;
}

#define INF 1e18

/* ---- leaks -------------------------------------------------------------------------- */

START_TEST(steady_leak)
{
    sim_reset(1);
    for (int s = 0; s < 2000; s++)
        obj(s, INF, 48);
    for (int s = 0; s <= 2000; s++) /* per-step temporaries from the same site */
        obj(s, s + 0.5, 200);
    sample(2000, 50);
    ls_class_t c = classify_one();
    ck_assert_str_eq(ls_pattern_name(c.pattern), "leak");
    ck_assert_str_eq(ls_trend_name(c.trend), "increasing");
    ck_assert_double_eq_tol(c.bytes_per_step, 48, 0.5);
    ck_assert_int_eq(c.severity, LS_SEV_MEDIUM); /* 48 B x 1e6 steps = 46 MiB */
    ck_assert_double_eq_tol(c.growth_bytes, 48.0 * 1999, 1e-6); /* objects born at steps 1..1999 */
}
END_TEST

START_TEST(sparse_leak_every_fourth_step)
{
    sim_reset(2);
    for (int s = 0; s < 2000; s += 4)
        obj(s, INF, 64);
    sample(2000, 10);
    ls_class_t c = classify_one();
    ck_assert_str_eq(ls_pattern_name(c.pattern), "leak");
    ck_assert_double_eq_tol(c.bytes_per_step, 16, 1);
    ck_assert_int_ge(c.severity, LS_SEV_MEDIUM);
}
END_TEST

START_TEST(realloc_grown_array_is_young)
{
    /* One buffer, reallocated every step to 24 more bytes: reborn each time, so every
     * byte alive at the end was born in the last step. The envelope must catch it. */
    sim_reset(3);
    for (int s = 0; s <= 1500; s++)
        obj(s, s + 1, 24.0 * (s + 1));
    sample(1500, 30);
    ls_class_t c = classify_one();
    ck_assert_double_lt(c.age_ratio, 0.01);
    ck_assert_str_eq(ls_pattern_name(c.pattern), "leak");
    ck_assert_int_ge(c.severity, LS_SEV_MEDIUM);
}
END_TEST

START_TEST(doubling_buffer)
{
    /* A vector that doubles its capacity when full, one element a step: flat between
     * doublings, the last flat stretch up to half the run, every byte young. */
    for (int steps = 1000; steps <= 5000; steps += 1000) {
        sim_reset(31);
        double cap = 1, born = 0;
        for (int s = 0; s <= steps; s++)
            if (s + 1 > cap) {
                obj(born, s, cap * 24);
                cap *= 2;
                born = s;
            }
        obj(born, INF, cap * 24);
        sample(steps, 50);
        ls_class_t c = classify_one();
        ck_assert_msg(c.pattern == LS_PAT_LEAK, "%d steps: %s (%s)", steps, ls_pattern_name(c.pattern), c.why);
        ck_assert_int_ge(c.severity, LS_SEV_MEDIUM);
    }
}
END_TEST

START_TEST(growth_in_two_phases_then_flat)
{
    /* Two separate fills (start-up, then a second table at 40% of the run), then flat:
     * stepwise, but too few episodes and a long final plateau — not a leak. */
    sim_reset(32);
    for (int s = 0; s < 100; s++)
        obj(s, INF, 2000);
    for (int s = 800; s < 900; s++)
        obj(s, INF, 2000);
    sample(2000, 40);
    ls_class_t c = classify_one();
    ck_assert_msg(c.pattern == LS_PAT_WARMUP, "%s (%s)", ls_pattern_name(c.pattern), c.why);
    ck_assert_int_eq(c.severity, LS_SEV_NONE);
}
END_TEST

START_TEST(leak_after_warmup_jump)
{
    /* The seeds' STA-SMC profile: a large one-time cache fill, then a slow steady leak. */
    sim_reset(4);
    for (int s = 0; s < 50; s++)
        obj(s, INF, 200000);
    for (int s = 0; s < 4000; s++)
        obj(s, INF, 40);
    sample(4000, 40);
    ls_class_t c = classify_one();
    ck_assert_str_eq(ls_pattern_name(c.pattern), "leak");
    ck_assert_double_eq_tol(c.bytes_per_step, 40, 1);
    ck_assert_double_gt(c.burn_in, 0);
}
END_TEST

START_TEST(leak_with_churn)
{
    /* Nine of ten objects are freed within a few steps, one is kept. */
    sim_reset(5);
    for (int s = 0; s < 3000; s++)
        for (int k = 0; k < 10; k++)
            obj(s, k == 0 ? INF : s + 1 + 5 * rnd(), 32 + 64 * rnd());
    sample(3000, 60);
    ls_class_t c = classify_one();
    ck_assert_str_eq(ls_pattern_name(c.pattern), "leak");
}
END_TEST

START_TEST(leak_torn_down_at_exit)
{
    /* Grows all run long, and the program frees it just before the `exit` snapshot. */
    sim_reset(6);
    for (int s = 0; s < 1000; s++)
        obj(s, 1000.5, 100);
    sample(1000, 20);
    sim.x[sim.npts] = 1001;
    sim.y[sim.npts++] = 0;
    memcpy(sim.pedges, sim.edges, sizeof sim.edges);
    memcpy(sim.pages, sim.ages, sizeof sim.ages);
    memset(sim.ages, 0, sizeof sim.ages);
    ls_series_view_t v = view();
    v.last_is_teardown = 1;
    ls_class_t c;
    ls_classify(&v, 1, NULL, &c);
    ck_assert_str_eq(ls_pattern_name(c.pattern), "leak");
    ck_assert_uint_eq(c.n_used, v.n - 1);
    /* The figures the verdict rests on are those before the teardown (issue 14). */
    ck_assert_double_eq(c.verdict_live_bytes, sim.y[v.n - 2]);
    ck_assert_double_eq(c.verdict_growth_bytes, sim.y[v.n - 2] - sim.y[0]);
    ck_assert_double_eq(c.growth_bytes, 0 - sim.y[0]);
}
END_TEST

/* Sample every `dense` steps before `at`, every `sparse` from there to `steps`. */
static void sample_uneven(double steps, double at, double dense, double sparse)
{
    sim.npts = 0;
    for (double x = 0; x <= steps + 1e-9; x += x < at ? dense : sparse) {
        double y = 0;
        for (size_t i = 0; i < sim.n; i++)
            if (sim.o[i].birth <= x && x < sim.o[i].death)
                y += sim.o[i].size;
        ck_assert_uint_lt(sim.npts, MAXPTS);
        sim.x[sim.npts] = x;
        sim.y[sim.npts++] = y;
    }
    hist_at(sim.x[sim.npts - 1], sim.edges, sim.ages);
    hist_at(sim.x[sim.npts - 2], sim.pedges, sim.pages);
}

START_TEST(uneven_spacing_leak_that_stops)
{
    /* 200 B/step for 5000 steps, then nothing, over 10000 steps (issue 14): a warm-up,
     * whether the snapshots are dense while it leaks (ratio 2..30) or after it stopped. */
    static const double ratios[] = {1, 2, 5, 20, 30};
    for (size_t r = 0; r < sizeof ratios / sizeof ratios[0]; r++)
        for (int late = 0; late < 2; late++) {
            sim_reset(40 + r);
            for (int s = 0; s < 5000; s++)
                obj(s, INF, 200);
            if (late)
                sample_uneven(10000, 5000, 100, 100 / ratios[r]);
            else
                sample_uneven(10000, 5000, 100 / ratios[r], 100);
            ls_class_t c = classify_one();
            ck_assert_msg(c.pattern == LS_PAT_WARMUP && c.severity == LS_SEV_NONE,
                          "ratio %g late %d: %s/%s", ratios[r], late, ls_pattern_name(c.pattern),
                          ls_severity_name(c.severity));
        }
}
END_TEST

START_TEST(uneven_spacing_steady_leak)
{
    /* The same leak that never stops: a leak at 200 B/step under every spacing. */
    static const double ratios[] = {2, 5, 20, 30};
    for (size_t r = 0; r < sizeof ratios / sizeof ratios[0]; r++)
        for (int late = 0; late < 2; late++) {
            sim_reset(60 + r);
            for (int s = 0; s < 10000; s++)
                obj(s, INF, 200);
            if (late)
                sample_uneven(10000, 5000, 100, 100 / ratios[r]);
            else
                sample_uneven(10000, 5000, 100 / ratios[r], 100);
            ls_class_t c = classify_one();
            ck_assert_msg(c.pattern == LS_PAT_LEAK, "ratio %g late %d: %s", ratios[r], late, ls_pattern_name(c.pattern));
            ck_assert_msg(fabs(c.bytes_per_step - 200) < 1, "ratio %g: %g B/step", ratios[r], c.bytes_per_step);
        }
}
END_TEST

START_TEST(unmarked_run_uses_time_horizon)
{
    sim_reset(7);
    for (int s = 0; s < 40; s++)
        obj(s, INF, 4096);
    sample(39, 1);
    double t[64];
    for (size_t i = 0; i < sim.npts; i++)
        t[i] = (double)i; /* one snapshot a second */
    ls_series_view_t v = view();
    v.marked = 0;
    v.t_s = t;
    ls_class_t c;
    ls_classify(&v, 1, NULL, &c);
    ck_assert_str_eq(ls_pattern_name(c.pattern), "leak");
    ck_assert_double_eq_tol(c.bytes_per_second, 4096, 1);
    ck_assert_double_eq_tol(c.projected_bytes, 4096.0 * 86400, 4096);
    ck_assert_int_eq(c.severity, LS_SEV_HIGH); /* 337 MiB a day */
}
END_TEST

/* ---- growth that is fine ------------------------------------------------------------- */

START_TEST(warmup_curve)
{
    /* Allocation rate decays exponentially: 1 - exp(-x/tau), tau = 8% of the run. */
    for (uint64_t seed = 0; seed < 20; seed++) {
        sim_reset(100 + seed);
        double tau = 160;
        for (int s = 0; s < 2000; s++)
            if (rnd() < exp(-s / tau))
                obj(s, INF, 1000 + 500 * rnd());
        sample(2000, 25);
        ls_class_t c = classify_one();
        ck_assert_msg(c.pattern == LS_PAT_WARMUP, "seed %d: %s (%s)", (int)seed, ls_pattern_name(c.pattern), c.why);
        ck_assert_int_eq(c.severity, LS_SEV_NONE);
    }
}
END_TEST

START_TEST(warmup_jump)
{
    sim_reset(8);
    for (int s = 0; s < 10; s++)
        obj(s, INF, 100000);
    for (int s = 0; s < 1000; s++)
        obj(s, s + 0.3, 5000);
    sample(1000, 20);
    ls_class_t c = classify_one();
    ck_assert_str_eq(ls_pattern_name(c.pattern), "warmup");
    ck_assert_str_eq(ls_trend_name(c.trend), "stable");
    ck_assert_int_eq(c.severity, LS_SEV_NONE);
}
END_TEST

START_TEST(cache_fill_saturates)
{
    /* A memo cache of 400 keys filled by random look-ups (coupon collector): the fill
     * slows down as it saturates; nothing is ever evicted. */
    for (uint64_t seed = 0; seed < 20; seed++) {
        sim_reset(200 + seed);
        int have[400] = {0};
        for (int s = 0; s < 3000; s++) {
            int key = (int)(rnd() * 400);
            if (!have[key]) {
                have[key] = 1;
                obj(s, INF, 256);
            }
        }
        sample(3000, 50);
        ls_class_t c = classify_one();
        ck_assert_msg(c.pattern != LS_PAT_LEAK && c.severity == LS_SEV_NONE, "seed %d: %s %s (%s)",
                      (int)seed, ls_pattern_name(c.pattern), ls_severity_name(c.severity), c.why);
    }
}
END_TEST

START_TEST(ring_buffer_is_bounded)
{
    sim_reset(9);
    /* 256 slots, one replaced per step: each entry lives 256 steps. */
    for (int s = 0; s < 3000; s++)
        obj(s, s + 256, 512);
    sample(3000, 50);
    ls_class_t c = classify_one();
    ck_assert_str_eq(ls_pattern_name(c.pattern), "bounded");
    ck_assert_int_eq(c.severity, LS_SEV_NONE);
}
END_TEST

START_TEST(truncated_history_sawtooth)
{
    /* A history grown to 400 entries and cut to the newest 200, over and over. */
    sim_reset(10);
    size_t first = sim.n;
    int len = 0;
    for (int s = 0; s < 3000; s++) {
        obj(s, INF, 96);
        len++;
        if (len == 400) { /* free the oldest 200 live entries now */
            int cut = 0;
            for (size_t i = first; i < sim.n && cut < 200; i++)
                if (sim.o[i].death == INF) {
                    sim.o[i].death = s + 0.5;
                    cut++;
                }
            len = 200;
        }
    }
    sample(3000, 20);
    ls_class_t c = classify_one();
    ck_assert_msg(c.pattern == LS_PAT_BOUNDED, "%s (%s)", ls_pattern_name(c.pattern), c.why);
    ck_assert_int_eq(c.severity, LS_SEV_NONE);
}
END_TEST

/* AR(1) queue length around a mean, with and without turnover: flat but autocorrelated. */
static int autocorrelated_flags(int turnover, uint64_t seed0, int runs)
{
    int flagged = 0;
    for (int r = 0; r < runs; r++) {
        sim_reset(seed0 + (uint64_t)r);
        double level = 0;
        size_t head = 0;
        int live = 0;
        for (int s = 0; s < 2000; s++) {
            level = 0.95 * level + gauss() * 6;
            int target = 300 + (int)level;
            if (target < 0)
                target = 0;
            while (live < target) {
                obj(s, INF, 128);
                live++;
            }
            while (live > target) { /* free the oldest live entry */
                while (sim.o[head].death != INF)
                    head++;
                sim.o[head].death = s + 0.5;
                live--;
            }
            if (turnover && live > 0) {
                while (sim.o[head].death != INF)
                    head++;
                sim.o[head].death = s + 0.5;
                obj(s + 0.5, INF, 128);
            }
        }
        sample(2000, 20);
        ls_class_t c = classify_one();
        if (c.pattern == LS_PAT_LEAK || c.severity != LS_SEV_NONE)
            flagged++;
    }
    return flagged;
}

START_TEST(autocorrelated_flat_noise)
{
    ck_assert_int_eq(autocorrelated_flags(0, 1000, 60), 0);
    ck_assert_int_eq(autocorrelated_flags(1, 2000, 60), 0);
}
END_TEST

START_TEST(random_churn_and_temporaries)
{
    for (uint64_t seed = 0; seed < 50; seed++) {
        sim_reset(300 + seed);
        for (int s = 0; s < 2000; s++) {
            int k = (int)(rnd() * 20);
            for (int i = 0; i < k; i++)
                obj(s, s + rnd() * 30, 16 + rnd() * 2000);
        }
        sample(2000, 40);
        ls_class_t c = classify_one();
        ck_assert_msg(c.pattern != LS_PAT_LEAK && c.severity == LS_SEV_NONE, "seed %d: %s (%s)", (int)seed,
                      ls_pattern_name(c.pattern), c.why);
    }
    sim_reset(11); /* pure temporaries: never alive at a snapshot */
    for (int s = 0; s < 1000; s++)
        obj(s + 0.1, s + 0.2, 4096);
    sample(1000, 10);
    ls_class_t c = classify_one();
    ck_assert_str_eq(ls_pattern_name(c.pattern), "stable");
    ck_assert_int_eq(c.severity, LS_SEV_NONE);
}
END_TEST

START_TEST(shrinking)
{
    sim_reset(12);
    for (int i = 0; i < 1000; i++)
        obj(0, 10 + i * 2, 300);
    sample(2000, 25);
    ls_class_t c = classify_one();
    ck_assert_str_eq(ls_pattern_name(c.pattern), "shrinking");
    ck_assert_str_eq(ls_trend_name(c.trend), "decreasing");
    ck_assert_int_eq(c.severity, LS_SEV_NONE);
}
END_TEST

START_TEST(stable_site)
{
    sim_reset(13);
    obj(0, INF, 1 << 20);
    sample(1000, 10);
    ls_class_t c = classify_one();
    ck_assert_str_eq(ls_pattern_name(c.pattern), "stable");
    ck_assert_str_eq(ls_trend_name(c.trend), "stable");
}
END_TEST

START_TEST(short_series_inconclusive)
{
    sim_reset(14);
    for (int s = 0; s < 30; s++)
        obj(s, INF, 1000);
    sample(20, 10); /* 3 snapshots */
    ls_class_t c = classify_one();
    ck_assert_str_eq(ls_pattern_name(c.pattern), "inconclusive");
    ck_assert_str_eq(ls_trend_name(c.trend), "increasing");
    sample(0, 10); /* one snapshot */
    c = classify_one();
    ck_assert_str_eq(ls_pattern_name(c.pattern), "inconclusive");
    ck_assert_int_eq(c.severity, LS_SEV_NONE);
}
END_TEST

/* ---- many sites at once --------------------------------------------------------------- */

START_TEST(many_sites_corrected)
{
    /* 300 noise sites and two leaks classified together: the leaks stay significant
     * after Benjamini–Hochberg, none of the noise sites is called a leak. */
    enum { N = 302, P = 61 };
    static double xs[N][P], ys[N][P], ed[N][33], ag[N][32];
    ls_series_view_t *v = calloc(N, sizeof *v);
    ls_class_t *c = calloc(N, sizeof *c);
    rng_state = 77;
    for (int i = 0; i < N; i++) {
        double level = 0;
        for (int p = 0; p < P; p++) {
            xs[i][p] = p * 10;
            level = 0.7 * level + gauss() * 3000;
            ys[i][p] = i < 2 ? 1000 + 30.0 * p * 10 : 50000 + level;
        }
        for (int k = 0; k <= 32; k++)
            ed[i][k] = 601.0 * k / 32;
        for (int k = 0; k < 32; k++)
            ag[i][k] = i < 2 ? 30.0 * 601 / 32 : (k == 31 ? ys[i][P - 1] : 0);
        v[i] = (ls_series_view_t){.n = P, .x = xs[i], .y = ys[i], .marked = 1,
                                  .age_last = {32, ed[i], ag[i]}};
    }
    ls_classify(v, N, NULL, c);
    ck_assert_int_eq(c[0].pattern, LS_PAT_LEAK);
    ck_assert_int_eq(c[1].pattern, LS_PAT_LEAK);
    for (int i = 0; i < N; i++)
        if (c[i].pattern == LS_PAT_LEAK)
            dump(&c[i]);
    for (int i = 2; i < N; i++)
        ck_assert_msg(c[i].pattern != LS_PAT_LEAK, "noise site %d called a leak", i);
    ck_assert_double_ge(c[5].q_up, c[5].p_up);
    free(v);
    free(c);
}
END_TEST

/* ---- the statistics themselves ---------------------------------------------------------- */

START_TEST(theil_sen_and_mann_kendall)
{
    double x[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, y[10];
    for (int i = 0; i < 10; i++)
        y[i] = 3 * x[i] + 7;
    y[4] = 1000; /* one outlier does not move the robust slope */
    ck_assert_double_eq_tol(ls_theil_sen(x, y, 10), 3, 1e-9);
    double var, s = ls_mann_kendall(y, 10, &var);
    ck_assert_double_eq(s, 45 - 2 * 5); /* the outlier exceeds the 5 later points */
    ck_assert_double_eq_tol(var, 10 * 9 * 25 / 18.0, 1e-9);
    double t[] = {1, 1, 2, 2, 2};
    s = ls_mann_kendall(t, 5, &var);
    ck_assert_double_eq(s, 6);
    ck_assert_double_eq_tol(var, (5 * 4 * 15 - 2 * 1 * 9 - 3 * 2 * 11) / 18.0, 1e-9);
    ck_assert_double_eq(ls_theil_sen(x, y, 1), 0);
    /* The median selection agrees with sorting on awkward inputs (ties, even counts). */
    for (int n = 2; n < 60; n++) {
        double xx[60], yy[60];
        for (int i = 0; i < n; i++) {
            xx[i] = i;
            yy[i] = (double)((i * 7919) % 13) - (i % 3 == 0 ? 5 : 0);
        }
        double sl[1800];
        int k = 0;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                sl[k++] = (yy[j] - yy[i]) / (xx[j] - xx[i]);
        for (int i = 1; i < k; i++) /* insertion sort */
            for (int j = i; j > 0 && sl[j - 1] > sl[j]; j--) {
                double tmp = sl[j];
                sl[j] = sl[j - 1];
                sl[j - 1] = tmp;
            }
        double want = k % 2 ? sl[k / 2] : (sl[k / 2 - 1] + sl[k / 2]) / 2;
        ck_assert_double_eq_tol(ls_theil_sen(xx, yy, (size_t)n), want, 1e-12);
    }
}
END_TEST

START_TEST(severity_thresholds)
{
    ls_classify_opts_t o;
    ls_classify_defaults(&o);
    ck_assert_int_eq(ls_severity_for(0, &o), LS_SEV_LOW);
    ck_assert_int_eq(ls_severity_for(10.0 * 1024 * 1024, &o), LS_SEV_MEDIUM);
    ck_assert_int_eq(ls_severity_for(100.0 * 1024 * 1024, &o), LS_SEV_HIGH);
    ck_assert_int_eq(ls_severity_for(2e9, &o), LS_SEV_CRITICAL);
    ck_assert_int_eq(ls_severity_parse("high"), LS_SEV_HIGH);
    ck_assert_int_eq(ls_severity_parse("severe"), -1);
}
END_TEST


/* ---- the decision table, rule by rule ------------------------------------------------
 * Each rule on evidence built by hand: it is the first rule that applies, and it concludes
 * the pattern, trend and phrase it documents. The rules before it must not apply. */

static const double rx[8] = {0, 1, 2, 3, 4, 5, 6, 7}, ry[8] = {0, 10, 20, 30, 40, 50, 60, 70};
static ls_series_view_t rv = {.n = 8, .x = rx, .y = ry, .marked = 1};
static ls_classify_opts_t ro;

static ls_evidence_t evidence(site_stats_t *st, int kind)
{
    ls_classify_defaults(&ro);
    memset(st, 0, sizeof *st);
    st->kind = kind;
    st->n = 8;
    st->ymax = 70;
    st->end_x = 7;
    st->beta = 10;
    return (ls_evidence_t){.v = &rv, .s = st, .o = &ro, .len = 7, .G = 70};
}

static ls_class_t decide_by(const ls_evidence_t *e, const char *want_rule)
{
    size_t r = ls_classify_rule_for(e);
    ck_assert_msg(strcmp(ls_class_rules[r].name, want_rule) == 0, "rule %s, wanted %s", ls_class_rules[r].name,
                  want_rule);
    ck_assert_ptr_nonnull(ls_class_rules[r].evidence);
    ls_class_t c = {.trend = LS_TREND_STABLE, .projected_bytes = 1e9};
    ls_class_rules[r].conclude(e, &c);
    return c;
}

START_TEST(rule_unchanged)
{
    site_stats_t st;
    ls_evidence_t e = evidence(&st, K_STABLE);
    ls_class_t c = decide_by(&e, "unchanged");
    ck_assert_int_eq(c.pattern, LS_PAT_STABLE);
    st.n = 1;
    rv.n = 1;
    c = decide_by(&e, "unchanged");
    rv.n = 8;
    ck_assert_int_eq(c.pattern, LS_PAT_INCONCLUSIVE);
    ck_assert_str_eq(c.why, "one snapshot");
}
END_TEST

START_TEST(rule_too_short)
{
    site_stats_t st;
    ls_evidence_t e = evidence(&st, K_SHORT);
    st.ystart = 0, st.yend = 70 * 1024 * 1024; /* rises past both floors, every step up */
    ls_class_t c = decide_by(&e, "too-short");
    ck_assert_int_eq(c.pattern, LS_PAT_INCONCLUSIVE);
    ck_assert_int_eq(c.trend, LS_TREND_INCREASING);
    ck_assert_int_ne(c.severity, LS_SEV_NONE);
    st.ystart = st.ymax = 70 * 1024 * 1024, st.yend = 0;
    c = decide_by(&e, "too-short");
    ck_assert_int_eq(c.trend, LS_TREND_DECREASING);
    ck_assert_int_eq(c.severity, LS_SEV_NONE);
}
END_TEST

START_TEST(rule_steady_leak)
{
    site_stats_t st;
    ls_evidence_t e = evidence(&st, K_TESTED);
    e.rising = e.still = e.by_age = 1;
    ls_class_t c = decide_by(&e, "steady-leak");
    ck_assert_int_eq(c.pattern, LS_PAT_LEAK);
    ck_assert_int_eq(c.trend, LS_TREND_INCREASING);
    ck_assert_int_ne(c.severity, LS_SEV_NONE);
    ck_assert_str_eq(c.why, "grows after the burn-in and the memory born then survives");
    e.by_age = 0, e.by_envelope = 1;
    c = decide_by(&e, "steady-leak");
    ck_assert_str_eq(c.why, "grows steadily after the burn-in with no plateau (memory is reborn)");
    e.by_envelope = 0; /* neither kind of evidence: not this rule */
    ck_assert_str_ne(ls_class_rules[ls_classify_rule_for(&e)].name, "steady-leak");
}
END_TEST

START_TEST(rule_stepwise_leak)
{
    site_stats_t st;
    ls_evidence_t e = evidence(&st, K_TESTED);
    st.step_ok = 1, st.step_rate = 5;
    ls_class_t c = decide_by(&e, "stepwise-leak"); /* without a significant trend */
    ck_assert_int_eq(c.pattern, LS_PAT_LEAK);
    ck_assert(c.bytes_per_step == 5 && c.projected_bytes == 5 * ro.horizon_steps);
    e.rising = 1; /* rising but not still: the steps decide before the slowing rules */
    c = decide_by(&e, "stepwise-leak");
    ck_assert_int_eq(c.trend, LS_TREND_INCREASING);
    st.kind = K_SHORT;
    decide_by(&e, "too-short");
}
END_TEST

START_TEST(rule_levelled_off)
{
    site_stats_t st;
    ls_evidence_t e = evidence(&st, K_TESTED);
    e.rising = e.late_small = 1;
    st.pre_rise = 1e9, st.e_late = 1; /* grew early, old memory: warm-up */
    ls_class_t c = decide_by(&e, "levelled-off");
    ck_assert_int_eq(c.pattern, LS_PAT_WARMUP);
    ck_assert_int_eq(c.trend, LS_TREND_STABLE);
    st.have_age = 1, st.old_frac = 0.2; /* young memory: it turns over */
    ck_assert_int_eq(decide_by(&e, "levelled-off").pattern, LS_PAT_BOUNDED);
}
END_TEST

START_TEST(rule_slowing_and_young_rise)
{
    site_stats_t st;
    ls_evidence_t e = evidence(&st, K_TESTED);
    e.rising = 1;
    ls_class_t c = decide_by(&e, "slowing");
    ck_assert_int_eq(c.pattern, LS_PAT_INCONCLUSIVE);
    ck_assert_int_eq(c.trend, LS_TREND_INCREASING);
    e.still = 1;
    c = decide_by(&e, "young-rise");
    ck_assert_int_eq(c.pattern, LS_PAT_INCONCLUSIVE);
    ck_assert_str_eq(c.why, "grows, but its memory is young and the rise not steady");
}
END_TEST

START_TEST(rule_falls_came_down_early_rise_no_trend)
{
    site_stats_t st;
    ls_evidence_t e = evidence(&st, K_TESTED);
    e.falling = e.came_down = e.early_rise = 1;
    ls_class_t c = decide_by(&e, "falls");
    ck_assert_int_eq(c.pattern, LS_PAT_SHRINKING);
    ck_assert_int_eq(c.trend, LS_TREND_DECREASING);
    e.falling = 0;
    c = decide_by(&e, "came-down");
    ck_assert_int_eq(c.pattern, LS_PAT_SHRINKING);
    ck_assert_int_eq(c.trend, LS_TREND_STABLE);
    e.came_down = 0;
    ck_assert_int_eq(decide_by(&e, "early-rise").pattern, LS_PAT_WARMUP);
    st.have_age = 1, st.old_frac = 0.1;
    ck_assert_int_eq(decide_by(&e, "early-rise").pattern, LS_PAT_BOUNDED);
    e.early_rise = 0;
    st.post_range = 1e12;
    ck_assert_int_eq(decide_by(&e, "no-trend").pattern, LS_PAT_BOUNDED);
    st.post_range = 0;
    ck_assert_int_eq(decide_by(&e, "no-trend").pattern, LS_PAT_STABLE);
}
END_TEST

/* The evidence made from measurements: a rising, still growing site with old survivors. */
START_TEST(evidence_from_measurements)
{
    site_stats_t st;
    evidence(&st, K_TESTED);
    st.beta = st.beta1 = st.beta2 = 1000, st.burn_x = 0, st.end_x = 100, st.e_late = 1, st.sigma = 1;
    st.have_age = 1, st.age_first = 50000, st.age_span = 50, st.ymax = 100000;
    ls_class_t c = {.q_up = 0.001, .q_down = 1};
    ls_evidence_t e;
    ls_classify_evidence(&rv, &st, &ro, &c, &e);
    ck_assert(e.G == 100000 && e.rising && e.still && e.by_age && !e.falling);
    ck_assert(c.age_ratio == 1 && c.bytes_per_step == 1000);
    ck_assert_str_eq(ls_class_rules[ls_classify_rule_for(&e)].name, "steady-leak");
    ck_assert_str_eq(ls_class_rules[ls_n_class_rules - 1].name, "no-trend");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("classify");
    TCase *t = tcase_create("leaks");
    tcase_add_test(t, steady_leak);
    tcase_add_test(t, sparse_leak_every_fourth_step);
    tcase_add_test(t, realloc_grown_array_is_young);
    tcase_add_test(t, doubling_buffer);
    tcase_add_test(t, leak_after_warmup_jump);
    tcase_add_test(t, leak_with_churn);
    tcase_add_test(t, leak_torn_down_at_exit);
    tcase_add_test(t, unmarked_run_uses_time_horizon);
    suite_add_tcase(s, t);
    t = tcase_create("benign");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, warmup_curve);
    tcase_add_test(t, warmup_jump);
    tcase_add_test(t, growth_in_two_phases_then_flat);
    tcase_add_test(t, cache_fill_saturates);
    tcase_add_test(t, ring_buffer_is_bounded);
    tcase_add_test(t, truncated_history_sawtooth);
    tcase_add_test(t, autocorrelated_flat_noise);
    tcase_add_test(t, random_churn_and_temporaries);
    tcase_add_test(t, shrinking);
    tcase_add_test(t, stable_site);
    tcase_add_test(t, short_series_inconclusive);
    suite_add_tcase(s, t);
    t = tcase_create("statistics");
    tcase_add_test(t, many_sites_corrected);
    tcase_add_test(t, theil_sen_and_mann_kendall);
    tcase_add_test(t, severity_thresholds);
    suite_add_tcase(s, t);
    t = tcase_create("rules");
    tcase_add_test(t, rule_unchanged);
    tcase_add_test(t, rule_too_short);
    tcase_add_test(t, rule_steady_leak);
    tcase_add_test(t, rule_stepwise_leak);
    tcase_add_test(t, rule_levelled_off);
    tcase_add_test(t, rule_slowing_and_young_rise);
    tcase_add_test(t, rule_falls_came_down_early_rise_no_trend);
    tcase_add_test(t, evidence_from_measurements);
    tcase_add_test(t, uneven_spacing_leak_that_stops);
    tcase_add_test(t, uneven_spacing_steady_leak);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return ls_check_run(suite(), CK_FORK_GETENV);
}
