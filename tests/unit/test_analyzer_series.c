/*
 * test_analyzer_series.c — the step axis as the classifier sees it: a steady leak whose
 * steps run just below 2^64 (where neighbouring steps are one double) is still a leak with
 * its exact growth per step and its burn-in reported in absolute steps; and the same run
 * shifted to small steps gets the same verdict.
 */
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "snapshot.h"

/* 40 snapshots, one site that keeps 96 bytes per step, steps base, base+50, ... */
static void write_run(const char *dir, uint64_t base)
{
    for (int j = 0; j < 40; j++) {
        uint64_t step = base + 50 * (uint64_t)j, frame = 0x1000;
        uint64_t edges[2] = {base, step + 1};
        uint64_t live = 4096 + 96 * 50 * (uint64_t)j;
        ls_age_t age = {0, live, live / 96};
        ls_site_t site = {.id = 0, .nframes = 1, .nage = 1, .live_bytes = live, .live_count = live / 96,
                          .alloc_count = live / 96, .alloc_bytes = live, .frames = &frame, .age = &age};
        ls_snapshot_t s = {.pid = 7, .ppid = 1, .seq = (uint64_t)j + 1, .step = step, .marked = 1, .epoch = step,
                           .mono_ns = 1000000000ull * (uint64_t)(j + 1), .traced_current = live,
                           .traced_peak = live, .frames_max = 16, .label = "step", .prog = "far", .exe = "/far",
                           .age_edges = edges, .n_age_edges = 2, .sites = &site, .n_sites = 1};
        char path[256], err[256];
        snprintf(path, sizeof path, "%s/far.7.%06d.step.lss", dir, j + 1);
        ck_assert_msg(ls_snapshot_write(path, &s, err, sizeof err) == 0, "%s", err);
    }
}

static void classify_run(uint64_t base, ls_class_t *out)
{
    char dir[] = "/tmp/ls-series-XXXXXX", err[512];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    write_run(dir, base);
    ls_policy_t pol;
    ls_policy_default(&pol);
    ls_analysis_t a;
    ck_assert_msg(ls_analyze(dir, &pol, &a, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(a.n_procs, 1);
    ck_assert_uint_eq(a.procs[0].n_sites, 1);
    *out = a.procs[0].sites[0].c;
    ls_analysis_free(&a);
    ls_policy_free(&pol);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(steps_near_2_64_still_leak)
{
    ls_class_t near, small;
    const uint64_t base = UINT64_MAX - 10000;
    classify_run(base, &near);
    classify_run(1000, &small);
    ck_assert_str_eq(ls_pattern_name(small.pattern), "leak");
    ck_assert_str_eq(ls_pattern_name(near.pattern), "leak");
    ck_assert_msg(near.bytes_per_step > 95.9 && near.bytes_per_step < 96.1, "%g per step", near.bytes_per_step);
    ck_assert(near.bytes_per_step == small.bytes_per_step && near.severity == small.severity);
    ck_assert(near.burn_in - (double)base == small.burn_in - 1000); /* absolute steps, as reported */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("analyzer_series");
    TCase *t = tcase_create("axis");
    tcase_add_test(t, steps_near_2_64_still_leak);
    suite_add_tcase(s, t);
    return ls_check_run(s, CK_FORK_GETENV);
}
