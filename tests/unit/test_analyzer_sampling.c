/*
 * test_analyzer_sampling.c — the analyzer's side of sampled tracking (issue 11) on synthetic
 * sampled snapshots with known samples (ls_snapshot_write_sampled): the SAMPLING record read
 * back, the shim's estimates for given live samples, the 95% interval of a site's live bytes
 * against the exact (Garwood) Poisson interval from tables, its coverage (95-97.5%) over
 * 20,000 simulated sampled runs of each of nine sites with known blocks, verdicts under sampling noise
 * (too few samples and growth within the noise are `inconclusive`, a clear leak stays a leak
 * and its severity is never above the exact run's), the gate's violation messages (text and
 * JSON) with `~` before each estimated figure and none on a budget or in an exact run, and
 * `top`'s estimate marks and note.
 */
#include <check.h>

#include "check_main.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "sampling.h"
#include "snapshot.h"
#include "stats.h"

#define RATE 65536u
#define STEPS 20
#define MAX_SITES 4

static char *make_dir(void)
{
    static char dir[64];
    snprintf(dir, sizeof dir, "/tmp/ls-sampling-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    return dir;
}

static void remove_dir(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* A site whose live sampled blocks at one snapshot are `samples` blocks of `size` bytes. */
typedef struct {
    uint64_t size, samples;
} live_t;

/* Writes snapshot j of a process whose site i has live[i] (sampled at RATE when `sampled`,
 * otherwise the same estimated figures written as exact ones). */
static void write_step(const char *dir, int j, const live_t *live, size_t n, int sampled)
{
    ls_site_t sites[MAX_SITES];
    ls_age_t age[MAX_SITES];
    ls_snapshot_sample_t smp[MAX_SITES];
    uint64_t frames[MAX_SITES], total = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t sizes[4096], bytes, count, sd;
        ck_assert_uint_le(live[i].samples, 4096);
        for (uint64_t k = 0; k < live[i].samples; k++)
            sizes[k] = live[i].size;
        ls_snapshot_sample_estimate(sizes, live[i].samples, RATE, &bytes, &count, &sd);
        frames[i] = 0x1000 + 0x100 * i;
        age[i] = (ls_age_t){0, bytes, count};
        sites[i] = (ls_site_t){.id = (uint32_t)i, .nframes = 1, .nage = count ? 1 : 0, .live_bytes = bytes,
                               .live_count = count, .alloc_count = count, .alloc_bytes = bytes,
                               .frames = &frames[i], .age = &age[i]};
        smp[i] = (ls_snapshot_sample_t){(uint32_t)i, live[i].samples, live[i].samples, sd};
        total += bytes;
    }
    uint64_t edges[2] = {0, (uint64_t)j + 1};
    ls_snapshot_t s = {.pid = 9, .ppid = 1, .seq = (uint64_t)j + 1, .step = (uint64_t)j, .marked = 1,
                       .epoch = (uint64_t)j, .mono_ns = 1000000000ull * (uint64_t)(j + 1),
                       .traced_current = total, .traced_peak = total, .frames_max = 16, .label = "step",
                       .prog = "smp", .exe = "/smp", .age_edges = edges, .n_age_edges = 2, .sites = sites,
                       .n_sites = n};
    ls_snapshot_sampling_t rec = {RATE, 5, 0, smp, n};
    char path[256], err[256];
    snprintf(path, sizeof path, "%s/smp.9.%06d.step.lss", dir, j + 1);
    int rc = sampled ? ls_snapshot_write_sampled(path, &s, &rec, err, sizeof err)
                     : ls_snapshot_write(path, &s, err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
}

typedef void (*series_fn)(int step, live_t *live);

/* Writes STEPS snapshots of `nsites` sites given by fn into a new directory. */
static char *write_series(series_fn fn, size_t nsites, int sampled)
{
    char *dir = make_dir();
    for (int j = 0; j < STEPS; j++) {
        live_t live[MAX_SITES];
        fn(j, live);
        write_step(dir, j, live, nsites, sampled);
    }
    return dir;
}

/* Writes STEPS snapshots of `nsites` sites given by fn, analyses them with the default
 * policy; the caller frees *a and *pol. */
static void analyze_series(series_fn fn, size_t nsites, int sampled, ls_analysis_t *a, ls_policy_t *pol,
                           char *dir_out)
{
    char *dir = write_series(fn, nsites, sampled);
    ls_policy_default(pol);
    char err[512];
    ck_assert_msg(ls_analyze(dir, pol, a, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(a->n_procs, 1);
    ck_assert_uint_eq(a->procs[0].n_sites, nsites);
    strcpy(dir_out, dir);
}

static const ls_site_result_t *site_of(const ls_analysis_t *a, uint32_t id)
{
    for (size_t i = 0; i < a->procs[0].n_sites; i++)
        if (a->procs[0].sites[i].s->id == id)
            return &a->procs[0].sites[i];
    ck_abort_msg("site %u missing", id);
    return NULL;
}

/* ---- the record and the estimates ---------------------------------------------------- */

START_TEST(sampling_record_round_trip)
{
    char *dir = make_dir();
    live_t live[2] = {{64, 100}, {65536, 3}};
    write_step(dir, 0, live, 2, 1);
    char path[256], err[256];
    snprintf(path, sizeof path, "%s/smp.9.000001.step.lss", dir);
    ls_snapshot_t snap;
    ck_assert_msg(ls_snapshot_read(path, &snap, err, sizeof err) == 0, "%s", err); /* the reader skips it */
    ck_assert(snap.state_flags & LS_FMT_STATE_SAMPLED);
    ck_assert_uint_eq(snap.n_sites, 2);
    ls_snapshot_free(&snap);
    ls_sampling_t s;
    ck_assert_msg(ls_sampling_read(path, &s, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(s.sampled, 1);
    ck_assert_uint_eq(s.rate, RATE);
    ck_assert_uint_eq(s.seed, 5);
    ck_assert_uint_eq(s.n, 2);
    const ls_sample_site_t *e = ls_sampling_site(&s, 1);
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(e->live_samples, 3);
    ck_assert_ptr_null(ls_sampling_site(&s, 2));
    ls_sampling_free(&s);
    remove_dir(dir);
}
END_TEST

START_TEST(writer_refuses_a_bad_sampling_record)
{
    char *dir = make_dir(), path[256], err[256];
    snprintf(path, sizeof path, "%s/x.lss", dir);
    uint64_t frame = 1, edges[2] = {0, 1};
    ls_site_t site = {.id = 0, .nframes = 1, .frames = &frame};
    ls_snapshot_t s = {.pid = 1, .label = "x", .prog = "x", .exe = "/x", .age_edges = edges, .n_age_edges = 2,
                       .sites = &site, .n_sites = 1};
    ls_snapshot_sample_t e[2] = {{3, 0, 0, 0}, {3, 0, 0, 0}};
    ls_snapshot_sampling_t zero = {0, 0, 0, e, 1}, unordered = {RATE, 0, 0, e, 2};
    ck_assert_int_eq(ls_snapshot_write_sampled(path, &s, &zero, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "rate of 0"));
    ck_assert_int_eq(ls_snapshot_write_sampled(path, &s, &unordered, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "increasing"));
    ck_assert_int_eq(access(path, F_OK), -1);
    remove_dir(dir);
}
END_TEST

/* The weights from their closed forms: 1/(1 - e^-1) = 1.58197670686932... for a block of
 * the rate, 1/(1 - e^(-1/1024)) = 1024.50008138... for 64 B at 64 KiB. */
START_TEST(estimates_of_known_samples)
{
    uint64_t sizes[3] = {65536, 65536, 64}, bytes, count, sd;
    ls_snapshot_sample_estimate(sizes, 1, RATE, &bytes, &count, &sd);
    ck_assert_uint_eq(bytes, 103676);                 /* 65536 x 1.5819767 */
    ck_assert_uint_eq(count, 2);                      /* 1620/1024 rounds to 2 */
    ck_assert_uint_eq(sd, 62883);                     /* sqrt(103676.43^2 x e^-1) */
    ls_snapshot_sample_estimate(sizes, 3, RATE, &bytes, &count, &sd);
    ck_assert_uint_eq(bytes, 2 * 103676 + 65568);
    ck_assert_uint_eq(count, 1028);                   /* (1620 + 1620 + 1049088) / 1024, rounded */
    ck_assert_uint_eq(sd, 110469);                    /* sqrt(2 x 3954262977.4 + 4294966954.7) */
    ls_snapshot_sample_estimate(sizes, 0, RATE, &bytes, &count, &sd);
    ck_assert(bytes == 0 && count == 0 && sd == 0);
}
END_TEST

/* ---- intervals --------------------------------------------------------------------- */

static void stable_100(int step, live_t *live)
{
    (void)step;
    live[0] = (live_t){64, 100}; /* ~6.25 MiB from 100 samples of 64 B */
    live[1] = (live_t){64, 0};   /* nothing sampled */
}

/* 100 samples of blocks far below the rate: the exact Poisson 95% interval for a count of
 * 100 is [81.36, 121.63] (chi-squared tables), times the bytes one sample stands for. */
START_TEST(live_interval_is_the_poisson_interval)
{
    ls_analysis_t a;
    ls_policy_t pol;
    char dir[64];
    analyze_series(stable_100, 2, 1, &a, &pol, dir);
    ck_assert_uint_eq(a.procs[0].sample_rate, RATE);
    const ls_site_result_t *s = site_of(&a, 0);
    ck_assert(s->est.sampled);
    ck_assert_uint_eq(s->est.live_samples, 100);
    ck_assert(s->live_bytes == 100.0 * 65568);
    double lo = s->est.live_lo / s->live_bytes * 100, hi = s->est.live_hi / s->live_bytes * 100;
    ck_assert_msg(fabs(lo - 81.36) < 0.3 && fabs(hi - 121.63) < 0.3, "interval [%g, %g] per 100", lo, hi);
    /* nothing sampled: [0, ~3.7 rates], -ln(0.025) rates being where a sample is 97.5% sure */
    const ls_site_result_t *z = site_of(&a, 1);
    ck_assert(z->est.live_lo == 0 && fabs(z->est.live_hi - 3.689 * RATE) < 1);
    ck_assert_int_ne(s->c.pattern, LS_PAT_LEAK);
    ls_analysis_free(&a);
    ls_policy_free(&pol);
    remove_dir(dir);
}
END_TEST

/* ---- coverage of the live interval ----------------------------------------------------- */

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static double unit_draw(void) /* uniform in (0, 1) */
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return ((double)((rng * 0x2545F4914F6CDD1Dull) >> 11) + 0.5) * 0x1.0p-53;
}

/* Samples among n blocks each kept with probability p (Binomial(n, p), drawn by skipping
 * geometric gaps). */
static uint64_t binomial(uint64_t n, double p)
{
    if (p >= 1)
        return n;
    uint64_t m = 0;
    for (double i = -1;;) {
        i += 1 + floor(log(unit_draw()) / log1p(-p));
        if (i >= (double)n)
            return m;
        m++;
    }
}

typedef struct {
    uint64_t size[2], blocks[2];
} config_t;

/* The share of 20,000 sampled runs in which the interval holds the true live bytes, each
 * run's estimate and sd made as the shim makes them (per block, rounded as it writes). */
static double coverage(const config_t *c)
{
    enum { RUNS = 20000 };
    double truth = (double)(c->size[0] * c->blocks[0] + c->size[1] * c->blocks[1]);
    int hit = 0;
    for (int r = 0; r < RUNS; r++) {
        double est = 0, var = 0;
        uint64_t samples = 0;
        for (int k = 0; k < 2 && c->blocks[k]; k++) {
            double p = -expm1(-(double)c->size[k] / RATE), sw = (double)c->size[k] / p;
            uint64_t m = binomial(c->blocks[k], p);
            samples += m;
            est += (double)m * (double)llround(sw);
            var += (double)m * sw * sw * (1 - p);
        }
        double lo, hi;
        ls_sampling_live_interval(est, (double)llround(sqrt(var)), samples, RATE, &lo, &hi);
        hit += lo <= truth && truth <= hi;
    }
    return (double)hit / RUNS;
}

/* The six sites of tests/programs/sampled_sites.c (shim_sampled.sh), then mixes of small
 * blocks with blocks near or above the rate: the interval holds the truth in 95% of runs or
 * a little more (Garwood's interval is conservative by design), never in fewer (the
 * standard error over 20,000 runs is 0.15%) and not artificially wide either. */
START_TEST(live_interval_covers_95_percent)
{
    static const config_t configs[] = {
        {{65536, 0}, {160, 0}}, {{128, 0}, {81920, 0}}, {{256, 0}, {40960, 0}},
        {{512, 0}, {16384, 0}}, {{1024, 0}, {4096, 0}}, {{1024, 0}, {1536, 0}},
        {{128, 65536}, {40000, 40}}, {{100, 30000}, {3000, 10}}, {{64, 131072}, {40000, 8}},
    };
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++) {
        double c = coverage(&configs[i]);
        ck_assert_msg(c >= 0.945 && c <= 0.975, "%llu x %llu B + %llu x %llu B: coverage %.4f",
                      (unsigned long long)configs[i].blocks[0], (unsigned long long)configs[i].size[0],
                      (unsigned long long)configs[i].blocks[1], (unsigned long long)configs[i].size[1], c);
    }
}
END_TEST

/* ---- verdicts ---------------------------------------------------------------------- */

static void three_sites(int step, live_t *live)
{
    live[0] = (live_t){64, 20 + 10 * (uint64_t)step};  /* clear leak: +640 KiB/step, sd small */
    live[1] = (live_t){64, 400 + (uint64_t)step};      /* +64 KiB/step on 25 MiB: within the noise */
    live[2] = (live_t){65536, (uint64_t)step / 4 + 1}; /* grows, but 5 samples at the end */
}

START_TEST(verdicts_under_sampling_noise)
{
    ls_analysis_t a, x;
    ls_policy_t pol, xpol;
    char dir[64], xdir[64];
    analyze_series(three_sites, 3, 1, &a, &pol, dir);
    analyze_series(three_sites, 3, 0, &x, &xpol, xdir); /* the same figures, as an exact run */
    for (uint32_t id = 0; id < 3; id++)
        ck_assert_msg(site_of(&x, id)->c.pattern == LS_PAT_LEAK, "exact: site %u is %s", id,
                      ls_pattern_name(site_of(&x, id)->c.pattern));
    const ls_site_result_t *leak = site_of(&a, 0), *noise = site_of(&a, 1), *few = site_of(&a, 2);
    ck_assert_str_eq(ls_pattern_name(leak->c.pattern), "leak");
    ck_assert(leak->est.rate_lo > 0 && leak->est.rate_lo < leak->c.bytes_per_step &&
              leak->c.bytes_per_step < leak->est.rate_hi);
    ck_assert_int_le(leak->c.severity, site_of(&x, 0)->c.severity);
    ck_assert_int_ge(leak->c.severity, LS_SEV_LOW);
    ck_assert_str_eq(ls_pattern_name(noise->c.pattern), "inconclusive");
    ck_assert(noise->est.rate_lo <= 0 && noise->c.severity == LS_SEV_NONE);
    ck_assert_ptr_nonnull(strstr(noise->c.why, "noise"));
    ck_assert_str_eq(ls_pattern_name(few->c.pattern), "inconclusive");
    ck_assert_ptr_nonnull(strstr(few->c.why, "too few samples"));
    ck_assert_uint_eq(a.procs[0].counts[LS_PAT_LEAK], 1);
    ck_assert_uint_eq(a.procs[0].counts[LS_PAT_INCONCLUSIVE], 2);
    ls_analysis_free(&a);
    ls_analysis_free(&x);
    ls_policy_free(&pol);
    ls_policy_free(&xpol);
    remove_dir(dir);
    remove_dir(xdir);
}
END_TEST

/* ---- gate ---------------------------------------------------------------------------- */

/* A budget of every kind the sites of three_sites break, and leaks of severity low fail. */
static const char gate_policy[] = "fail_on: low\n"
                                  "budgets:\n"
                                  "  global: {max_bytes: 1MiB}\n"
                                  "  growth: {max_bytes_per_step: 1KiB, max_bytes_per_snapshot: 1KiB}\n"
                                  "  modules: [{name: smp, functions: ['*'], max_bytes: 1KiB, max_bytes_per_step: 1KiB}]\n"
                                  "  locations: [{function: '*', max_bytes: 1KiB, max_bytes_per_step: 1KiB, name: all}]\n";

/* three_sites, sampled or as an exact run of the same figures, under gate_policy: the
 * analysis, and the gate's text and JSON outputs (the caller frees them). */
static void gate_series(int sampled, ls_analysis_t *a, ls_policy_t *pol, char **text, char **json)
{
    char *dir = write_series(three_sites, 3, sampled), err[512];
    ck_assert_msg(ls_policy_parse(gate_policy, strlen(gate_policy), "gate.yaml", NULL, pol, err, sizeof err) == 0,
                  "%s", err);
    ck_assert_msg(ls_analyze(dir, pol, a, err, sizeof err) == 0, "%s", err);
    size_t len;
    FILE *f = open_memstream(text, &len);
    ls_gate_print(f, a);
    fclose(f);
    f = open_memstream(json, &len);
    ls_report_json(f, a);
    fclose(f);
    remove_dir(dir);
}

/* The figures an estimate gives in a message of rule `rule`: the leak rule's rate, live
 * bytes and projection; the global budget's peak and its share of the budget; one otherwise. */
static size_t estimated_figures(const char *rule)
{
    return !strcmp(rule, "leak") ? 3 : !strcmp(rule, "global.max_bytes") ? 2 : 1;
}

static size_t count_marks(const char *s)
{
    size_t n = 0;
    for (; (s = strchr(s, '~')) != NULL; s++)
        n++;
    return n;
}

/* `msg` without its marks is the message of some violation of x: the marks are all that a
 * sampled run adds, the figures and budgets are the same. */
static int unmarked_in(const ls_analysis_t *x, const char *msg)
{
    char plain[1024];
    size_t w = 0;
    for (; *msg && w + 1 < sizeof plain; msg++)
        if (*msg != '~')
            plain[w++] = *msg;
    plain[w] = 0;
    for (size_t i = 0; i < x->n_v; i++)
        if (!strcmp(x->v[i].message, plain))
            return 1;
    return 0;
}

START_TEST(gate_marks_estimates)
{
    ls_analysis_t a, x;
    ls_policy_t pol, xpol;
    char *text, *json, *xtext, *xjson;
    gate_series(1, &a, &pol, &text, &json);
    gate_series(0, &x, &xpol, &xtext, &xjson);
    static const char *const rules[] = {"leak", "growth.max_bytes_per_step", "growth.max_bytes_per_snapshot",
                                        "global.max_bytes", "module:smp", "location:all"};
    unsigned seen = 0;
    for (size_t i = 0; i < a.n_v; i++) {
        const ls_violation_t *v = &a.v[i];
        for (size_t k = 0; k < sizeof rules / sizeof *rules; k++)
            seen |= !strcmp(v->rule, rules[k]) ? 1u << k : 0;
        ck_assert_msg(count_marks(v->message) == estimated_figures(v->rule), "[%s] %s", v->rule, v->message);
        ck_assert_msg(!strstr(v->message, "budget ~"), "a budget is the user's exact number: %s", v->message);
        if (strcmp(v->rule, "leak")) /* the leak rule's severity is judged on the interval */
            ck_assert_msg(unmarked_in(&x, v->message), "[%s] %s", v->rule, v->message);
    }
    ck_assert_uint_eq(seen, (1u << (sizeof rules / sizeof *rules)) - 1);
    ck_assert_msg(strstr(text, "FAIL: [growth.max_bytes_per_step] ?? (?\?): grows ~640 KiB/step, budget 1024 B/step\n"),
                  "%s", text);
    ck_assert_msg(strstr(text, "FAIL: [global.max_bytes] smp (pid 9): peak traced memory ~39.8 MiB is ~3982.6% of "
                               "the budget 1024 KiB (critical at 100%)\n"), "%s", text);
    ck_assert_msg(strstr(json, "\"message\": \"?? (?\?): leak of severity critical: ~+640 KiB/step, ~13.1 MiB live, "
                               "projected ~611 GiB over the horizon (rule: fail_on low)\""), "%s", json);
    ck_assert_msg(strstr(json, "\"message\": \"module smp in smp (pid 9): ~39.8 MiB live at the end, budget 1024 B\""),
                  "%s", json);
    /* the same figures from an exact run: the same messages, no mark anywhere */
    ck_assert_uint_ge(x.n_v, a.n_v);
    ck_assert_msg(strstr(xtext, "FAIL: [growth.max_bytes_per_step] ?? (?\?): grows 640 KiB/step, budget 1024 B/step\n"),
                  "%s", xtext);
    ck_assert_msg(!strchr(xtext, '~'), "%s", xtext);
    ck_assert_msg(!strchr(xjson, '~'), "%s", xjson);
    free(text);
    free(json);
    free(xtext);
    free(xjson);
    ls_analysis_free(&a);
    ls_analysis_free(&x);
    ls_policy_free(&pol);
    ls_policy_free(&xpol);
}
END_TEST

/* ---- top ---------------------------------------------------------------------------- */

static char *top_text(const char *path, int *estimated, uint64_t *rate)
{
    ls_snapshot_t snap;
    char err[256];
    ck_assert_msg(ls_snapshot_read(path, &snap, err, sizeof err) == 0, "%s", err);
    ls_frame_info_t info[MAX_SITES];
    for (size_t i = 0; i < snap.n_sites; i++) { /* symbolized by hand */
        info[i] = (ls_frame_info_t){snap.sites[i].frames[0], "fn", "/src/a.c", 10 + (int)i, "/smp", 0};
        snap.sites[i].info = &info[i];
        snap.sites[i].ninfo = 1; /* one frame, not inlined */
        snap.sites[i].loc = 0;
    }
    ls_stats_t st;
    ck_assert_msg(ls_statistics(&snap, LS_BY_LINENO, 0, &st, err, sizeof err) == 0, "%s", err);
    *estimated = st.estimated;
    *rate = st.sample_rate[0];
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    ls_stats_print_note(f, &st);
    ls_stats_print_text(f, &st, LS_BY_LINENO, 0, 0);
    ls_stats_print_json(f, &st, LS_BY_LINENO, 0, 0);
    fclose(f);
    ls_stats_free(&st);
    ls_snapshot_free(&snap);
    return buf;
}

START_TEST(top_marks_estimates)
{
    char *dir = make_dir(), path[256];
    live_t live[1] = {{64, 100}};
    write_step(dir, 0, live, 1, 1);
    snprintf(path, sizeof path, "%s/smp.9.000001.step.lss", dir);
    int est;
    uint64_t rate;
    char *t = top_text(path, &est, &rate);
    ck_assert(est && rate == RATE);
    ck_assert_msg(strstr(t, "note: sampled at 64 KiB (LEAKSCOPE_SAMPLE): figures marked ~ are estimates") == t, "%s", t);
    ck_assert_msg(strstr(t, "/src/a.c:10: size=~6403 KiB, count=~102450, average=~64 B\n"), "%s", t);
    ck_assert_msg(strstr(t, "{\"schema_version\": 1, \"estimated\": true, \"sample_rate\": 65536, \"stats\""), "%s", t);
    free(t);
    write_step(dir, 0, live, 1, 0); /* the same figures, exact: no mark, no note */
    t = top_text(path, &est, &rate);
    ck_assert(!est && rate == 0);
    ck_assert_msg(strncmp(t, "/src/a.c:10: size=6403 KiB, count=102450, average=64 B\n", 55) == 0, "%s", t);
    ck_assert_ptr_null(strchr(t, '~'));
    ck_assert_ptr_null(strstr(t, "estimated"));
    free(t);
    remove_dir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("analyzer_sampling");
    TCase *t = tcase_create("sampling");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, sampling_record_round_trip);
    tcase_add_test(t, writer_refuses_a_bad_sampling_record);
    tcase_add_test(t, estimates_of_known_samples);
    tcase_add_test(t, live_interval_is_the_poisson_interval);
    tcase_add_test(t, live_interval_covers_95_percent);
    tcase_add_test(t, verdicts_under_sampling_noise);
    tcase_add_test(t, gate_marks_estimates);
    tcase_add_test(t, top_marks_estimates);
    suite_add_tcase(s, t);
    return ls_check_run(s, CK_FORK_GETENV);
}
