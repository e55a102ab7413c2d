/*
 * test_analyzer_rules.c — location budgets (issue 14, budgets.locations in a policy)
 * evaluated over a run: snapshots written here whose sites' frames are real return
 * addresses of this program, so they symbolize to known function, file and line. Two stacks
 * share the location in loc_shared (40 B/step each: 80 B/step summed), one stack is alone at
 * loc_alone (30 B/step), one stack at loc_flat holds 5000 B and does not grow. Checks which
 * budgets break, that a location of several stacks is judged on their sum, that the file
 * and line of a budget narrow it, and the JUnit case that names the location.
 */
#include <check.h>

#include "check_main.h"
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "locations.h"
#include "report.h"
#include "snapshot.h"

/* ---- code at known places --------------------------------------------------------------- */

__attribute__((noinline, used)) int loc_shared(int x);
__attribute__((noinline, used)) int loc_alone(int x);
__attribute__((noinline, used)) int loc_flat(int x);
__attribute__((noinline, used)) int via_a(int x);
__attribute__((noinline, used)) int via_b(int x);
__attribute__((noinline, used)) int loc_shared(int x) { return x * 3 + 1; }
__attribute__((noinline, used)) int loc_alone(int x) { return x * 5 + 2; }
__attribute__((noinline, used)) int loc_flat(int x) { return x * 7 + 3; }
__attribute__((noinline, used)) int via_a(int x) { return loc_shared(x) + 1; }
__attribute__((noinline, used)) int via_b(int x) { return loc_shared(x) + 2; }

/* An address inside f (the symbolizer looks up address - 1). */
static uint64_t in(int (*f)(int)) { return (uint64_t)(uintptr_t)f + 2; }

/* ---- the program's own module, as the shim records it --------------------------------------- */

static ls_module_t self_mod;
static char self_path[4096];

static int first_module(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size, (void)data;
    ssize_t n = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
    ck_assert_int_gt(n, 0);
    self_path[n] = 0;
    self_mod.start = UINT64_MAX;
    self_mod.bias = info->dlpi_addr;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_LOAD) {
            uint64_t a = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
            if (a < self_mod.start)
                self_mod.start = a;
            if (a + info->dlpi_phdr[i].p_memsz > self_mod.end)
                self_mod.end = a + info->dlpi_phdr[i].p_memsz;
        }
    self_mod.path = self_path;
    return 1; /* the main program comes first */
}

/* ---- the run ------------------------------------------------------------------------------------ */

#define NSITES 4

/* 40 snapshots, 50 steps apart: sites 0 and 1 at loc_shared (through via_a, via_b) keep
 * 40 B/step each, site 2 at loc_alone 30 B/step, site 3 at loc_flat a flat 5000 B. */
static void write_run(const char *dir)
{
    dl_iterate_phdr(first_module, NULL);
    uint64_t fr[NSITES][2] = {{in(loc_shared), in(via_a)}, {in(loc_shared), in(via_b)}, {in(loc_alone), in(via_a)},
                              {in(loc_flat), in(via_b)}};
    const uint64_t rate[NSITES] = {40, 40, 30, 0};
    for (int j = 0; j < 40; j++) {
        uint64_t step = 1000 + 50 * (uint64_t)j, edges[2] = {1000, step + 1}, total = 0;
        ls_site_t site[NSITES];
        ls_age_t age[NSITES];
        for (int i = 0; i < NSITES; i++) {
            uint64_t live = (i == 3 ? 5000 : 1024) + rate[i] * 50 * (uint64_t)j;
            age[i] = (ls_age_t){0, live, live / 8};
            site[i] = (ls_site_t){.id = (uint32_t)i, .nframes = 2, .nage = 1, .live_bytes = live,
                                  .live_count = live / 8, .alloc_count = live / 8, .alloc_bytes = live,
                                  .frames = fr[i], .age = &age[i]};
            total += live;
        }
        ls_snapshot_t s = {.pid = 9, .ppid = 1, .seq = (uint64_t)j + 1, .step = step, .marked = 1, .epoch = step,
                           .mono_ns = 1000000000ull * (uint64_t)(j + 1), .traced_current = total,
                           .traced_peak = total, .frames_max = 16, .label = "step", .prog = "rules",
                           .exe = self_path, .age_edges = edges, .n_age_edges = 2, .sites = site,
                           .n_sites = NSITES, .modules = &self_mod, .n_modules = 1};
        char path[256], err[256];
        snprintf(path, sizeof path, "%s/rules.9.%06d.step.lss", dir, j + 1);
        ck_assert_msg(ls_snapshot_write(path, &s, err, sizeof err) == 0, "%s", err);
    }
}

static char run_dir[64];

static void setup(void)
{
    snprintf(run_dir, sizeof run_dir, "/tmp/ls-rules-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(run_dir));
    write_run(run_dir);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", run_dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* The run analysed under the policy `yaml`; the violations of location budgets are counted
 * into *n and the messages joined, one per line, into the returned string (malloc'd). */
static char *location_violations(const char *yaml, size_t *n, ls_analysis_t *a, ls_policy_t *pol)
{
    char err[512];
    ck_assert_msg(ls_policy_parse(yaml, strlen(yaml), "p.yaml", NULL, pol, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(ls_analyze(run_dir, pol, a, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(a->n_procs, 1);
    size_t len = 1;
    char *out = calloc(1, 1);
    *n = 0;
    for (size_t i = 0; i < a->n_v; i++)
        if (ls_rule_is_location(a->v[i].kind)) {
            size_t add = strlen(a->v[i].rule) + strlen(a->v[i].message) + 4;
            out = realloc(out, len + add);
            len += (size_t)sprintf(out + len - 1, "[%s] %s\n", a->v[i].rule, a->v[i].message);
            (*n)++;
        }
    return out;
}

/* The location of loc_shared's two stacks (locations.h): whether it is marked as breaking a rule. */
static int shared_violated(const ls_analysis_t *a)
{
    const ls_proc_result_t *r = &a->procs[0];
    for (size_t i = 0; i < r->n_locations; i++)
        if (!strcmp(r->locations[i].loc->function, "loc_shared")) {
            ck_assert_uint_eq(r->locations[i].n_stacks, 2);
            return r->locations[i].violated;
        }
    ck_abort_msg("no location of loc_shared's stacks");
    return -1;
}

static void done_with(ls_analysis_t *a, ls_policy_t *pol, char *s)
{
    ls_analysis_free(a);
    ls_policy_free(pol);
    free(s);
}

/* ---- tests ---------------------------------------------------------------------------------------- */

START_TEST(summed_stacks_break_the_growth_budget)
{
    ls_analysis_t a;
    ls_policy_t pol;
    size_t n;
    /* 80 B/step summed breaks 60; each stack alone (40) would not. */
    char *v = location_violations("fail_on: critical\nbudgets:\n  locations:\n    - function: loc_shared\n"
                                  "      max_bytes_per_step: 60\n", &n, &a, &pol);
    ck_assert_msg(n == 1, "%zu: %s", n, v);
    ck_assert_msg(strstr(v, "[location:loc_shared] location loc_shared (") && strstr(v, "its stacks summed: grows 80 B/step, budget 60 B/step"),
                  "%s", v);
    ck_assert_int_eq(a.n_v > 0 && a.fail, 1);
    ck_assert_int_eq(shared_violated(&a), 1);
    done_with(&a, &pol, v);
    v = location_violations("fail_on: critical\nbudgets:\n  locations:\n    - function: loc_shared\n"
                            "      max_bytes_per_step: 81\n", &n, &a, &pol);
    ck_assert_msg(n == 0, "%s", v);
    ck_assert_int_eq(a.fail, 0);
    ck_assert_int_eq(shared_violated(&a), 0);
    done_with(&a, &pol, v);
}
END_TEST

START_TEST(one_stack_and_live_bytes)
{
    ls_analysis_t a;
    ls_policy_t pol;
    size_t n;
    /* loc_alone: 30 B/step against 20; loc_flat: 5000 B live against 4000, and not growing, so
     * its growth budget of 1 B/step holds; the glob loc_* also meets loc_shared (80 > 20). */
    char *v = location_violations("fail_on: critical\nbudgets:\n  locations:\n"
                                  "    alone: {function: 'loc_a*', max_bytes_per_step: 20}\n"
                                  "    loc_flat: {max_bytes: 4000, max_bytes_per_step: 1}\n"
                                  "    any: {function: 'loc_s*', max_bytes_per_step: 20}\n", &n, &a, &pol);
    ck_assert_msg(n == 3, "%zu: %s", n, v);
    ck_assert_msg(strstr(v, "[location:alone] location loc_alone (") && strstr(v, "grows 30 B/step, budget 20 B/step"), "%s", v);
    ck_assert_msg(strstr(v, "[location:loc_flat] location loc_flat (") && strstr(v, "5000 B live at the end, budget 4000 B"), "%s", v);
    ck_assert_msg(strstr(v, "[location:any] location loc_shared ("), "%s", v);
    /* JUnit: a test case per location budget, its failure naming the location. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ls_report_junit(f, &a);
    fclose(f);
    ck_assert_msg(strstr(buf, "<testcase classname=\"leakscope.rules\" name=\"location alone budget\">\n"
                              "      <failure type=\"location:alone\" message=\"location loc_alone ("),
                  "%s", buf);
    ck_assert_ptr_nonnull(strstr(buf, "name=\"location loc_flat budget\""));
    free(buf);
    done_with(&a, &pol, v);
}
END_TEST

START_TEST(file_and_line_narrow_the_budget)
{
    ls_analysis_t a;
    ls_policy_t pol;
    size_t n;
    char *v = location_violations("budgets:\n  locations:\n    - {function: loc_shared, file: '*/other.c', max_bytes_per_step: 1}\n"
                                  "    - {function: loc_alone, line: 1, max_bytes_per_step: 1}\n", &n, &a, &pol);
    ck_assert_msg(n == 0, "%s", v);
    /* The right file and the line the location really has. */
    int line = -1;
    for (size_t i = 0; i < a.procs[0].n_sites; i++)
        if (!strcmp(a.procs[0].sites[i].loc->function, "loc_alone"))
            line = a.procs[0].sites[i].loc->line;
    ck_assert_int_gt(line, 0);
    done_with(&a, &pol, v);
    char yaml[256];
    snprintf(yaml, sizeof yaml, "budgets:\n  locations:\n    - {function: loc_alone, file: '*test_analyzer_rules.c', line: %d, "
                                "max_bytes_per_step: 1}\n", line);
    v = location_violations(yaml, &n, &a, &pol);
    ck_assert_msg(n == 1 && strstr(v, "location loc_alone ("), "%s", v);
    done_with(&a, &pol, v);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("analyzer_rules");
    TCase *t = tcase_create("location budgets");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 60);
    tcase_add_test(t, summed_stacks_break_the_growth_budget);
    tcase_add_test(t, one_stack_and_live_bytes);
    tcase_add_test(t, file_and_line_narrow_the_budget);
    suite_add_tcase(s, t);
    return ls_check_run(s, CK_FORK_GETENV);
}
