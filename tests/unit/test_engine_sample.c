/*
 * test_engine_sample.c — the sampler's arithmetic (shim/sample.c) and the LEAKSCOPE_KEEP
 * choice (shim/keep.c), outside any process under LD_PRELOAD:
 *  - ls_sample_weight is 1/p(S), p(S) = 1 - e^(-S/R), against its closed form;
 *  - the countdown: with LEAKSCOPE_SEED fixed, the bytes between samples of a stream of
 *    1-byte allocations have the exponential's mean R and standard deviation R (to a few
 *    standard errors over 20,000 samples), and blocks of S bytes are sampled with
 *    probability p(S);
 *  - the per-sample weights make unbiased totals: over 200,000 blocks of five sizes from
 *    far below to far above the rate, sum S/p(S) over the samples is the true byte total
 *    within 0.2% (its standard deviation is 0.016%), and sum 1/p(S) the block count;
 *  - switching: exact (0) traces everything, a rate samples, back to 0 traces everything,
 *    and the run remembers that sampling was on and that the rate changed; across rate
 *    changes each block in the table keeps the class of the rate it was sampled at; a
 *    block taken out of the table before the filter was armed is not uncounted from it,
 *    and one put back after (a failed realloc) is counted: the table counts what enters it;
 *  - ls_keep_choose keeps the first file, the newest N/2 and a geometric spread between,
 *    and over 5,000 writes at N = 40 the directory never holds more than 40 files.
 * Each test runs in its own process (Check's fork mode), so each starts with a fresh sampler.
 */
#include <check.h>

#include "check_main.h"
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "keep.h"
#include "ptrtable.h"
#include "sample.h"
#include "sites.h"

static void seed_sampler(void)
{
    char *env[] = {"LEAKSCOPE_SEED=42", NULL};
    ls_sample_configure(env);
    ck_assert_uint_eq(ls_sample_seed(), 42);
}

START_TEST(weight_is_one_over_p)
{
    ck_assert(fabs(ls_sample_weight(65536, 65536) - 1.5819767068693265) < 1e-12); /* 1/(1 - 1/e) */
    ck_assert(fabs(ls_sample_weight(64, 65536) - 1024.5000813802071) < 1e-9);
    ck_assert(fabs(ls_sample_weight(1 << 24, 65536) - 1.0) < 1e-12); /* far above the rate: always sampled */
    ck_assert(ls_sample_weight(100, 0) == 1.0);                       /* exact tracking */
    double w = ls_sample_weight(1, 1ull << 40);                        /* p tiny but not 0 */
    ck_assert(w > 0.99 * 0x1.0p40 && w < 1.01 * 0x1.0p40);
}
END_TEST

START_TEST(parse_rates)
{
    uint64_t v;
    ck_assert(ls_sample_parse("512KiB", &v) == 0 && v == 512 * 1024);
    ck_assert(ls_sample_parse("2M", &v) == 0 && v == 2u << 20);
    ck_assert(ls_sample_parse("4096", &v) == 0 && v == 4096);
    ck_assert_int_eq(ls_sample_parse("64 KiB", &v), -1);
    ck_assert_int_eq(ls_sample_parse("KiB", &v), -1);
    ck_assert_int_eq(ls_sample_parse("1TB", &v), -1);
}
END_TEST

/* Bytes between samples in a stream of 1-byte allocations at rate R. */
START_TEST(countdown_is_exponential_with_mean_rate)
{
    enum { R = 4096, SAMPLES = 20000 };
    seed_sampler();
    ls_sample_set(R);
    double sum = 0, sum2 = 0;
    uint64_t below_median = 0, gap = 0;
    for (int n = 0; n < SAMPLES;) {
        gap++;
        if (ls_sample_skip(1))
            continue;
        sum += (double)gap;
        sum2 += (double)gap * (double)gap;
        below_median += gap <= (uint64_t)(R * M_LN2);
        gap = 0;
        n++;
    }
    double mean = sum / SAMPLES, sd = sqrt(sum2 / SAMPLES - mean * mean);
    /* standard errors: R/sqrt(20000) = 0.7% of R for the mean, ~1.6% for the sd, 0.35% for the median */
    ck_assert_msg(fabs(mean / R - 1) < 0.03, "mean gap %g for rate %d", mean, R);
    ck_assert_msg(fabs(sd / R - 1) < 0.06, "sd of the gaps %g for rate %d", sd, R);
    ck_assert_msg(fabs((double)below_median / SAMPLES - 0.5) < 0.015, "%llu of %d gaps below R ln 2",
                  (unsigned long long)below_median, SAMPLES);
}
END_TEST

/* Blocks of five sizes at rate R: the fraction sampled per size is p(S), and the
 * Horvitz-Thompson sums give back the true bytes and blocks. */
START_TEST(weighted_samples_are_unbiased)
{
    enum { R = 4096, CYCLES = 40000, KINDS = 5 };
    static const uint64_t size[KINDS] = {24, 700, 4096, 20000, 100000};
    seed_sampler();
    ls_sample_set(R);
    double est_bytes = 0, est_blocks = 0, truth = 0;
    uint64_t sampled[KINDS] = {0};
    for (int c = 0; c < CYCLES; c++)
        for (int k = 0; k < KINDS; k++) {
            truth += (double)size[k];
            if (ls_sample_skip(size[k]))
                continue;
            double w = ls_sample_weight(size[k], R);
            est_bytes += w * (double)size[k];
            est_blocks += w;
            sampled[k]++;
        }
    for (int k = 0; k < KINDS; k++) {
        double p = -expm1(-(double)size[k] / R), got = (double)sampled[k] / CYCLES;
        double se = sqrt(p * (1 - p) / CYCLES);
        ck_assert_msg(fabs(got - p) <= 4.5 * se + 1e-9, "size %llu: sampled %g, p(S) %g",
                      (unsigned long long)size[k], got, p);
    }
    ck_assert_msg(fabs(est_bytes / truth - 1) < 0.002, "bytes: estimate %g, truth %g", est_bytes, truth);
    ck_assert_msg(fabs(est_blocks / (KINDS * CYCLES) - 1) < 0.06, "blocks: estimate %g of %d", est_blocks,
                  KINDS * CYCLES);
}
END_TEST

START_TEST(switching_exact_sampled_exact)
{
    seed_sampler();
    ck_assert(!ls_sample_ever() && !ls_sample_changed());
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(ls_sample_skip(64), 0); /* exact: every allocation traced */
    ls_sample_set(1 << 20);
    ck_assert(ls_sample_ever() && !ls_sample_changed() && ls_sample_armed);
    int traced = 0;
    for (int i = 0; i < 100000; i++)
        traced += !ls_sample_skip(64); /* 6.4 MB at 1 MiB: ~6 samples */
    ck_assert_msg(traced >= 1 && traced <= 20, "%d of 100000 traced at 1 MiB", traced);
    ls_sample_set(0);
    ck_assert(ls_sample_changed());
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(ls_sample_skip(64), 0);
    ck_assert(ls_sample_armed); /* stays armed: frees of blocks traced while sampling still find them */
}
END_TEST

/* Per-class counts of the table's entries. */
static void count_classes(const ls_ptr_entry_t *e, void *ctx)
{
    ((uint64_t *)ctx)[e->cls]++;
}

static void table_classes(uint64_t count[LS_PTR_CLASSES])
{
    memset(count, 0, LS_PTR_CLASSES * sizeof *count);
    ls_ptr_foreach(count_classes, count);
}

/* The engine set up as under the shim (output in a directory of this process's own,
 * sampler seed 7), and a site of one frame to charge blocks to. */
static ls_site_t *engine_with_a_site(void)
{
    static char out_var[64];
    snprintf(out_var, sizeof out_var, "LEAKSCOPE_OUT=/tmp/leakscope-unit-%d", (int)getpid());
    char *env[] = {out_var, "LEAKSCOPE_SEED=7", NULL};
    ls_config_t cfg;
    ls_config_from_env(&cfg, env);
    ck_assert_int_eq(ls_engine_init_with(&cfg), 0);
    ls_sample_configure(env);
    const uintptr_t frames[1] = {0x401000};
    ls_site_t *site = ls_site_intern(ls_thread_self(), frames, 1);
    ck_assert_ptr_nonnull(site);
    return site;
}

static uint32_t test_site; /* a real site: blocks the thinning drops are counted as its frees */

/* Blocks traced as if sampled now: in the table, in the filter, in the current class. */
static void add_blocks(uintptr_t base, int n, uint64_t size)
{
    for (int i = 0; i < n; i++) {
        ls_ptr_entry_t old;
        uintptr_t p = base + (uintptr_t)i * 4096;
        ck_assert_int_eq(ls_ptr_insert(p, size, test_site, 0, ls_sample_class, &old), 0);
        if (ls_sample_armed)
            ls_sample_note_alloc(test_site, size, ls_sample_class);
    }
}

/* Rate changes keep every block's class (the rate it was sampled at), make a class for
 * each new rate, thin exactly traced and denser blocks into a sparser rate's class, and
 * with three rates in use thin the densest class into the next (sample.c, reclass_table). */
START_TEST(classes_follow_the_rate_each_block_was_sampled_at)
{
    ls_site_t *site = engine_with_a_site();
    test_site = site->id;
    uint64_t n[LS_PTR_CLASSES];

    add_blocks(0x10000000, 20000, 100); /* exact: class 0 */
    ls_sample_set(65536);
    uint8_t c64k = ls_sample_class;
    table_classes(n);
    ck_assert(c64k != 0 && ls_sample_rate_of(c64k) == 65536);
    ck_assert_uint_eq(n[0], 0); /* thinned: p(100 B) = 0.15% of 20,000, ~30 */
    ck_assert_msg(n[c64k] >= 5 && n[c64k] <= 80, "%llu of 20000 kept at 64 KiB", (unsigned long long)n[c64k]);
    uint64_t kept64k = n[c64k];

    add_blocks(0x20000000, 100, 100);
    ls_sample_set(8192); /* denser: a class of its own, the 64 KiB blocks untouched */
    uint8_t c8k = ls_sample_class;
    table_classes(n);
    ck_assert(c8k != 0 && c8k != c64k && ls_sample_rate_of(c8k) == 8192 && ls_sample_rate_of(c64k) == 65536);
    ck_assert_uint_eq(n[c64k], kept64k + 100);
    add_blocks(0x30000000, 200, 100);
    ls_sample_set(1024);
    uint8_t c1k = ls_sample_class;
    ck_assert(c1k != 0 && c1k != c64k && c1k != c8k);
    add_blocks(0x40000000, 300, 100);

    ls_sample_set(128); /* three classes in use: 1 KiB's blocks are thinned into 8 KiB's */
    table_classes(n);
    ck_assert_uint_eq(ls_sample_class, c1k);
    ck_assert(ls_sample_rate_of(c1k) == 128 && ls_sample_rate_of(c8k) == 8192);
    ck_assert_uint_eq(n[c1k], 0);
    ck_assert_uint_eq(n[c64k], kept64k + 100);
    ck_assert_msg(n[c8k] >= 200 && n[c8k] <= 200 + 100, "8 KiB class: %llu", (unsigned long long)n[c8k]);

    ls_sample_set(0); /* exact again: new blocks in class 0, the others as they were */
    ck_assert_uint_eq(ls_sample_class, 0);
    add_blocks(0x50000000, 50, 100);
    table_classes(n);
    ck_assert_uint_eq(n[0], 50);
    ck_assert_uint_eq(n[c64k], kept64k + 100);

    ls_sample_set(65536); /* back to 64 KiB's class: everything denser is thinned into it */
    table_classes(n);
    ck_assert_uint_eq(ls_sample_class, c64k);
    ck_assert_uint_eq(n[0] + n[c8k] + n[c1k], 0);
    ck_assert_uint_ge(n[c64k], kept64k + 100);
}
END_TEST

/* The filter never counts a block less than once while it is in the table: a block taken
 * out before the filter was armed (a free or realloc under way while sampling is switched
 * on) is not subtracted when it is released, which would leave its slot at 0 while
 * another block of the same slot lives on, and that block's free would then pass the
 * table by and leave its entry stale. A block taken out after arming is subtracted. */
START_TEST(a_block_taken_before_arming_is_not_uncounted)
{
    ls_site_t *site = engine_with_a_site();
    const uintptr_t x = 0x60000000; /* and y: another address with x's filter slot */
    uintptr_t y = x + 16;
    while (ls_sample_slot(y) != ls_sample_slot(x))
        y += 16;
    ls_ptr_entry_t old;
    ck_assert_int_eq(ls_ptr_insert(x, 64, site->id, 0, 0, &old), 0);
    ck_assert_int_eq(ls_ptr_insert(y, 1 << 20, site->id, 0, 0, &old), 0); /* kept by any thinning */
    ls_taken_t taken;
    ck_assert_int_eq(ls_record_take((void *)x, &taken), 1); /* before arming */
    ck_assert_int_eq(taken.filter_counted, 0);
    ls_sample_set(4096); /* arms: counts y */
    ck_assert(ls_sample_armed);
    ck_assert_int_eq(ls_sample_miss((void *)y), 0);
    ls_record_release(&taken); /* x was never counted: y's count stays */
    ck_assert_int_eq(ls_sample_miss((void *)y), 0);
    ck_assert_int_eq(ls_record_take((void *)y, &taken), 1); /* after arming: counted */
    ck_assert_int_eq(taken.filter_counted, 1);
    ls_record_release(&taken);
    ck_assert_int_eq(ls_sample_miss((void *)y), 1);
    /* An entry is counted by the table as it enters, before anyone can take it out (a
     * thinning could otherwise take it before its allocation counted it): here with no
     * ls_sample_note_alloc at all. */
    ck_assert_int_eq(ls_ptr_insert(y, 64, site->id, 0, ls_sample_class, &old), 0);
    ck_assert_int_eq(ls_sample_miss((void *)y), 0);
}
END_TEST

/* realloc takes its block out before the real call and puts it back when that fails: a
 * block taken out before the filter was armed and put back after is counted (else its
 * free would pass the table by and leave its entry for ever). */
START_TEST(a_block_put_back_after_arming_is_counted)
{
    ls_site_t *site = engine_with_a_site();
    const uintptr_t x = 0x60000000;
    ls_ptr_entry_t old;
    ck_assert_int_eq(ls_ptr_insert(x, 1 << 20, site->id, 0, 0, &old), 0);
    ls_taken_t taken;
    ck_assert_int_eq(ls_record_take((void *)x, &taken), 1);
    ck_assert_int_eq(taken.filter_counted, 0);
    ls_sample_set(4096);
    ls_record_restore(&taken); /* the realloc failed */
    ck_assert_int_eq(ls_sample_miss((void *)x), 0);
    ck_assert_int_eq(ls_record_free((void *)x), 1);
}
END_TEST

static size_t kept_count(const unsigned char *keep, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += keep[i];
    return k;
}

/* Files 1..100, N = 10: the first, the newest 5 (96..100) and 4 files between whose
 * distances from the newest are nearest 5 g^j on a log scale, g = (99/5)^(1/5): targets
 * 9.1, 16.5, 30.0, 54.5 -> files 91, 83, 70, 46. */
START_TEST(keep_choice_first_newest_geometric)
{
    uint64_t seq[100];
    unsigned char keep[100];
    for (int i = 0; i < 100; i++)
        seq[i] = (uint64_t)i + 1;
    ls_keep_choose(seq, 10, 10, keep);
    ck_assert_uint_eq(kept_count(keep, 10), 10); /* not over the limit: all */
    ls_keep_choose(seq, 100, 10, keep);
    static const int want[] = {1, 46, 70, 83, 91, 96, 97, 98, 99, 100};
    ck_assert_uint_eq(kept_count(keep, 100), 10);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(keep[want[i] - 1], "file %d not kept", want[i]);
}
END_TEST

/* One write at a time, as the shim thins after each: the directory stays at N files, keeps
 * the first and the newest N/2, and the files between reach back across the run with
 * distances from the newest growing by a bounded ratio (a geometric spread). */
START_TEST(keep_bounded_over_5000_writes)
{
    enum { LIMIT = 40, WRITES = 5000 };
    uint64_t files[LIMIT + 1];
    unsigned char keep[LIMIT + 1];
    size_t n = 0;
    for (uint64_t s = 1; s <= WRITES; s++) {
        files[n++] = s;
        ls_keep_choose(files, n, LIMIT, keep);
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (keep[i])
                files[m++] = files[i];
        ck_assert_uint_le(m, LIMIT);
        n = m;
    }
    ck_assert_uint_eq(n, LIMIT);
    ck_assert_uint_eq(files[0], 1);
    for (size_t i = 0; i < LIMIT / 2; i++)
        ck_assert_uint_eq(files[n - 1 - i], WRITES - i);
    ck_assert_msg(files[1] < WRITES / 2, "the oldest file after the first is %llu", (unsigned long long)files[1]);
    for (size_t i = 1; i + 1 < n - LIMIT / 2; i++) {
        double older = (double)(WRITES - files[i]), newer = (double)(WRITES - files[i + 1]);
        ck_assert_msg(older / newer > 1.0 && older / newer < 2.0, "distances %g then %g", older, newer);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("engine_sample");
    TCase *t = tcase_create("sample");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, weight_is_one_over_p);
    tcase_add_test(t, parse_rates);
    tcase_add_test(t, countdown_is_exponential_with_mean_rate);
    tcase_add_test(t, weighted_samples_are_unbiased);
    tcase_add_test(t, switching_exact_sampled_exact);
    tcase_add_test(t, classes_follow_the_rate_each_block_was_sampled_at);
    tcase_add_test(t, a_block_taken_before_arming_is_not_uncounted);
    tcase_add_test(t, a_block_put_back_after_arming_is_counted);
    tcase_add_test(t, keep_choice_first_newest_geometric);
    tcase_add_test(t, keep_bounded_over_5000_writes);
    suite_add_tcase(s, t);
    return ls_check_run(s, CK_FORK);
}
