/*
 * test_analyzer_policy.c — policy files: every section and its aliases, the seed's
 * memory_budgets layout, LeakSanitizer suppressions, and the one-line errors with the
 * line they point at.
 */
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"

static char err[512];

static int parse(const char *text, ls_policy_t *p)
{
    err[0] = 0;
    return ls_policy_parse(text, strlen(text), "p.yaml", NULL, p, err, sizeof err);
}

/* Parsing must fail, with this message. */
static void bad(const char *text, const char *want)
{
    ls_policy_t p;
    ck_assert_int_eq(parse(text, &p), -1);
    ck_assert_msg(strcmp(err, want) == 0, "got   '%s'\nwanted '%s'", err, want);
    ck_assert_ptr_null(strchr(err, '\n'));
}

START_TEST(defaults)
{
    ls_policy_t p;
    ls_policy_default(&p);
    ck_assert_int_eq(p.fail_on, LS_SEV_MEDIUM);
    ck_assert_double_eq(p.cls.horizon_steps, 1e6);
    ck_assert_double_eq(p.cls.horizon_seconds, 86400);
    ck_assert_double_lt(p.max_bytes, 0);
    ck_assert_uint_eq(p.n_modules, 0);
    ck_assert_uint_eq(p.n_sups, 0);
    ck_assert_int_eq(parse("# nothing but a comment\n", &p), 0);
    ck_assert_int_eq(p.fail_on, LS_SEV_MEDIUM);
    ck_assert_int_eq(p.unreachable, LS_UNREACHABLE_FAIL); /* issue 13: any direct leak fails */
    ck_assert_double_eq(p.max_direct_leak_bytes, 0);
    ls_policy_free(&p);
}
END_TEST

START_TEST(unreachable_rule)
{
    ls_policy_t p;
    ck_assert_int_eq(parse("unreachable: report\nmax_direct_leak_bytes: 1KiB\n", &p), 0);
    ck_assert_int_eq(p.unreachable, LS_UNREACHABLE_REPORT);
    ck_assert_double_eq(p.max_direct_leak_bytes, 1024);
    ls_policy_free(&p);
    ck_assert_int_eq(parse("unreachable: off\n", &p), 0);
    ck_assert_int_eq(p.unreachable, LS_UNREACHABLE_OFF);
    ls_policy_free(&p);
}
END_TEST

START_TEST(full_policy)
{
    ls_policy_t p;
    const char *text = "version: 1\n"
                       "fail_on: high\n"
                       "horizon: {steps: 50000, hours: 2}\n"
                       "severity: {medium: 1MiB, high: 5MiB, critical: 50MiB}\n"
                       "detection: {fdr: 0.01, min_growth: 4KiB, min_growth_percent: 10}\n"
                       "budgets:\n"
                       "  global: {max_bytes: 256MiB, warning_percent: 70, critical_percent: 90}\n"
                       "  growth: {max_bytes_per_step: 512, max_bytes_per_snapshot: 64KiB}\n"
                       "  modules:\n"
                       "    - name: parser\n"
                       "      files: ['*/parser/*']\n"
                       "      functions: [parse_*, lex_*]\n"
                       "      max_bytes: 64MiB\n"
                       "    - name: ssl\n"
                       "      objects: '*libssl.so*'\n"
                       "      max_bytes_per_step: 100\n"
                       "suppressions:\n"
                       "  - leak:libfontconfig\n"
                       "  - function: 'g_type_*'\n"
                       "    reason: type registry lives as long as the process\n";
    ck_assert_msg(parse(text, &p) == 0, "%s", err);
    ck_assert_int_eq(p.fail_on, LS_SEV_HIGH);
    ck_assert_double_eq(p.cls.horizon_steps, 50000);
    ck_assert_double_eq(p.cls.horizon_seconds, 7200);
    ck_assert_double_eq(p.cls.sev_medium, 1048576);
    ck_assert_double_eq(p.cls.sev_critical, 50 * 1048576.0);
    ck_assert_double_eq(p.cls.fdr, 0.01);
    ck_assert_double_eq(p.cls.min_growth_bytes, 4096);
    ck_assert_double_eq_tol(p.cls.min_growth_rel, 0.1, 1e-12);
    ck_assert_double_eq(p.max_bytes, 256 * 1048576.0);
    ck_assert_double_eq(p.warning_pct, 70);
    ck_assert_double_eq(p.critical_pct, 90);
    ck_assert_double_eq(p.max_bytes_per_step, 512);
    ck_assert_double_eq(p.max_bytes_per_snapshot, 65536);
    ck_assert_uint_eq(p.n_modules, 2);
    ck_assert_str_eq(p.modules[0].name, "parser");
    ck_assert_uint_eq(p.modules[0].functions.n, 2);
    ck_assert_str_eq(p.modules[0].functions.pat[1], "lex_*");
    ck_assert_double_lt(p.modules[0].max_bytes_per_step, 0);
    ck_assert_uint_eq(p.modules[1].objects.n, 1);
    ck_assert_double_eq(p.modules[1].max_bytes_per_step, 100);
    ck_assert_int_eq(p.modules[1].line, 14);
    ck_assert_uint_eq(p.n_sups, 2);
    ck_assert_str_eq(p.sups[0].lsan, "libfontconfig");
    ck_assert_str_eq(p.sups[0].origin, "p.yaml:18");
    ck_assert_str_eq(p.sups[1].function, "g_type_*");
    ck_assert_str_eq(p.sups[1].reason, "type registry lives as long as the process");
    ls_policy_free(&p);
}
END_TEST

START_TEST(seed_memory_policy_layout)
{
    /* The layout of the hand-written memory_policy.yaml in the seeds, with its sections
     * for alerting that a gate ignores. */
    ls_policy_t p;
    const char *text = "memory_budgets:\n"
                       "  global:\n"
                       "    max_memory_mb: 512\n"
                       "    warning_threshold_percent: 80\n"
                       "    critical_threshold_percent: 95\n"
                       "  services:\n"
                       "    messaging: 100MB\n"
                       "    vector_database: 200MB\n"
                       "alerts:\n"
                       "  channels: [logging, messaging]\n";
    ck_assert_msg(parse(text, &p) == 0, "%s", err);
    ck_assert_double_eq(p.max_bytes, 512 * 1048576.0);
    ck_assert_double_eq(p.warning_pct, 80);
    ck_assert_double_eq(p.critical_pct, 95);
    ck_assert_uint_eq(p.n_modules, 2);
    ck_assert_str_eq(p.modules[1].name, "vector_database");
    ck_assert_double_eq(p.modules[1].max_bytes, 200e6);
    ck_assert_str_eq(p.modules[1].files.pat[0], "*vector_database*");
    ls_frame_info_t fr[2] = {{0, "vdb_insert", "src/vector_database/index.c", 10, "/usr/bin/app", 0},
                             {0, "main", "main.c", 3, "/usr/bin/app", 0}};
    ck_assert(ls_module_matches(&p.modules[1], fr, 2));
    ck_assert(!ls_module_matches(&p.modules[0], fr, 2));
    ls_policy_free(&p);
}
END_TEST

START_TEST(errors_name_the_line)
{
    bad("fail_on: medium\nbudgets:\n  global:\n    max_byts: 1GiB\n",
        "p.yaml:4: unknown key 'max_byts' in global (known: max_bytes, max_memory_mb, warning_percent, critical_percent)");
    bad("budgets:\n  growth:\n    max_bytes_per_step: lots\n",
        "p.yaml:3: 'max_bytes_per_step': 'lots' is not a size (a number of bytes, or e.g. 64KiB, 10MB, 1GiB)");
    bad("fail_on: severe\n", "p.yaml:1: 'fail_on': 'severe' is not a severity (none, low, medium, high, critical)");
    bad("version: 2\n", "p.yaml:1: unsupported policy version '2' (this leakscope reads version 1)");
    bad("- a\n- b\n", "p.yaml:1: a policy must be a mapping (key: value lines) or leak: suppression lines");
    bad("budgets:\n  modules:\n    - name: x\n      max_bytes: 1MB\n",
        "p.yaml:3: module 'x' has no files, functions or objects patterns");
    bad("budgets:\n  modules:\n    - name: x\n      files: '*'\n",
        "p.yaml:3: module 'x' has no budget (max_bytes or max_bytes_per_step)");
    bad("budgets:\n  global: {warning_percent: 99, critical_percent: 90}\n",
        "p.yaml:2: global: warning_percent (99) is above critical_percent (90)");
    bad("horizon: {steps: 0}\n", "p.yaml:1: 'horizon.steps': '0' is not a number in [1, 1e+15]");
    bad("severity: {medium: 1GiB, high: 1MiB}\n", "p.yaml:1: severity thresholds must be medium <= high <= critical");
    bad("suppressions:\n  - leak:ok\n  - interceptor_via_fun:foo\n",
        "p.yaml:3: 'interceptor_via_fun:foo' is not a suppression (expected leak:PATTERN)");
    bad("suppressions:\n  - {reason: why}\n", "p.yaml:2: a suppression needs function, file, object or leak");
    bad("budgets: [1, 2]\n", "p.yaml:1: 'budgets' must be a mapping (key: value lines)");
    bad("a: 1\nfoo: [\n", "p.yaml:3: not valid YAML: did not find expected node content while parsing a flow node");
    bad("fail_on: low\n---\nfail_on: high\n", "p.yaml:3: more than one YAML document; a policy is one");
    bad("bogus: 1\n", "p.yaml:1: unknown key 'bogus' in the policy (known: version, fail_on, horizon, severity, "
                     "detection, budgets, suppressions, suppressions_file, unreachable, max_direct_leak_bytes)");
    bad("unreachable: maybe\n", "p.yaml:1: unreachable must be fail, report or off, not 'maybe'");
    char buf[3] = {'a', 0, 'b'};
    ls_policy_t p;
    ck_assert_int_eq(ls_policy_parse(buf, 3, "bin", NULL, &p, err, sizeof err), -1);
    ck_assert_str_eq(err, "bin: binary data, not a policy");
    ck_assert_int_eq(ls_policy_load("/nonexistent/policy.yaml", &p, err, sizeof err), -1);
    ck_assert_str_eq(err, "/nonexistent/policy.yaml: cannot open: No such file or directory");
}
END_TEST

/* Issue 14: budgets.locations, list and mapping forms, and what a budget matches. */
START_TEST(location_budgets)
{
    ls_policy_t p;
    ck_assert_msg(parse("budgets:\n  locations:\n"
                        "    - function: cache_put\n      file: '*/src/cache.c'\n      line: 120\n"
                        "      max_bytes_per_step: 1KiB\n"
                        "    - {name: parsers, function: 'parse_*', max_bytes: 64MiB}\n",
                        &p) == 0, "%s", err);
    ck_assert_uint_eq(p.n_locations, 2);
    const ls_location_budget_t *a = &p.locations[0], *b = &p.locations[1];
    ck_assert_str_eq(a->name, "cache_put");
    ck_assert_str_eq(a->function, "cache_put");
    ck_assert_str_eq(a->file, "*/src/cache.c");
    ck_assert_int_eq(a->at_line, 120);
    ck_assert_double_eq(a->max_bytes_per_step, 1024);
    ck_assert_double_eq(a->max_bytes, -1);
    ck_assert_int_eq(a->line, 3);
    ck_assert_str_eq(b->name, "parsers");
    ck_assert_ptr_null(b->file);
    ck_assert_int_eq(b->at_line, 0);
    ck_assert_double_eq(b->max_bytes, 64.0 * 1048576);
    ck_assert_double_eq(b->max_bytes_per_step, -1);
    ls_frame_info_t put = {0, "cache_put", "lib/src/cache.c", 120, "/bin/x", 0};
    ck_assert(ls_location_budget_matches(a, &put));
    put.line = 121;
    ck_assert(!ls_location_budget_matches(a, &put));
    put.line = 120;
    put.file = "lib/src/cache.h";
    ck_assert(!ls_location_budget_matches(a, &put));
    ls_frame_info_t json = {0, "parse_json", "??", 0, "/bin/x", 0}, main_fr = {0, "main", "m.c", 3, "/bin/x", 0};
    ck_assert(ls_location_budget_matches(b, &json));
    ck_assert(!ls_location_budget_matches(b, &main_fr));
    ls_policy_free(&p);
    /* Mapping form: the key names the budget and, without `function`, is the pattern. */
    ck_assert_msg(parse("memory_budgets:\n  locations:\n    cache_put: {max_bytes_per_step: 100}\n"
                        "    hot: {function: 'hot_*', max_bytes: 1MB}\n",
                        &p) == 0, "%s", err);
    ck_assert_uint_eq(p.n_locations, 2);
    ck_assert_str_eq(p.locations[0].name, "cache_put");
    ck_assert_str_eq(p.locations[0].function, "cache_put");
    ck_assert_double_eq(p.locations[0].max_bytes_per_step, 100);
    ck_assert_str_eq(p.locations[1].name, "hot");
    ck_assert_str_eq(p.locations[1].function, "hot_*");
    ls_policy_free(&p);
    bad("budgets:\n  locations:\n    - {file: '*.c', max_bytes: 1MB}\n",
        "p.yaml:3: a location budget needs a 'function' (a function name or glob)");
    bad("budgets:\n  locations:\n    - function: cache_put\n      file: '*.c'\n",
        "p.yaml:3: location budget 'cache_put' has no budget (max_bytes or max_bytes_per_step)");
    bad("budgets:\n  locations:\n    - function: cache_put\n      max_byte: 1MB\n",
        "p.yaml:4: unknown key 'max_byte' in a location budget (known: name, function, file, line, max_bytes, "
        "max_bytes_per_step)");
    bad("budgets:\n  locations:\n    - {function: f, line: 1.5, max_bytes: 1}\n",
        "p.yaml:3: 'line': '1.5' is not a whole line number");
    bad("budgets:\n  locations:\n    - {function: f, line: zero, max_bytes: 1}\n",
        "p.yaml:3: 'line': 'zero' is not a number in [1, 2.14748e+09]");
    bad("budgets:\n  locations:\n    - {function: f, max_bytes_per_step: fast}\n",
        "p.yaml:3: 'max_bytes_per_step': 'fast' is not a size (a number of bytes, or e.g. 64KiB, 10MB, 1GiB)");
    bad("budgets:\n  locations:\n    - {function: f, max_bytes: 1}\n    - {function: f, max_bytes: 2}\n",
        "p.yaml:4: location budget 'f' is defined twice");
    bad("budgets:\n  locations: cache_put\n", "p.yaml:2: 'locations' must be a list or a mapping of location budgets");
    bad("budgets:\n  locations:\n    - cache_put\n", "p.yaml:3: 'locations entry' must be a mapping (key: value lines)");
    bad("budgets:\n  locations:\n    f: [1]\n", "p.yaml:3: 'f' must be a mapping (key: value lines)");
    bad("budgets:\n  locations:\n    - {function: [a], max_bytes: 1}\n", "p.yaml:3: 'function' must be a single value");
    bad("budgets:\n  location: []\n",
        "p.yaml:2: unknown key 'location' in budgets (known: global, growth, modules, locations)");
}
END_TEST

START_TEST(lsan_files)
{
    char dir[] = "/tmp/ls-policy-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char supp[600], pol[600];
    snprintf(supp, sizeof supp, "%s/lsan.supp", dir);
    snprintf(pol, sizeof pol, "%s/policy.yaml", dir);
    FILE *f = fopen(supp, "w");
    fputs("# third-party leaks\n\nleak:libfontconfig.so\nleak:^g_type_register$\n", f);
    fclose(f);
    f = fopen(pol, "w");
    fputs("fail_on: low\nsuppressions_file: lsan.supp\nsuppressions: [leak:extra]\n", f);
    fclose(f);

    ls_policy_t p;
    ck_assert_msg(ls_policy_load(supp, &p, err, sizeof err) == 0, "%s", err); /* a bare LSan file */
    ck_assert_int_eq(p.fail_on, LS_SEV_MEDIUM);
    ck_assert_uint_eq(p.n_sups, 2);
    ck_assert_str_eq(p.sups[1].lsan, "^g_type_register$");
    char want[700];
    snprintf(want, sizeof want, "%s:4", supp);
    ck_assert_str_eq(p.sups[1].origin, want);
    ls_policy_free(&p);

    ck_assert_msg(ls_policy_load(pol, &p, err, sizeof err) == 0, "%s", err); /* relative to the policy */
    ck_assert_int_eq(p.fail_on, LS_SEV_LOW);
    ck_assert_uint_eq(p.n_sups, 3);
    ck_assert_str_eq(p.sups[2].lsan, "extra");
    ls_policy_free(&p);

    f = fopen(supp, "w");
    fputs("leak:fine\nleek:typo\n", f);
    fclose(f);
    ck_assert_int_eq(ls_policy_load(supp, &p, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:2: 'leek:typo' is not a suppression (expected leak:PATTERN)", supp);
    ck_assert_str_eq(err, want);
    ck_assert_int_eq(ls_policy_load(pol, &p, err, sizeof err), -1);
    ck_assert_str_eq(err, want);
    unlink(supp);
    f = fopen(pol, "w");
    fputs("suppressions_file: missing.supp\n", f);
    fclose(f);
    ck_assert_int_eq(ls_policy_load(pol, &p, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:1: suppressions_file: %s/missing.supp: cannot open: No such file or directory", pol,
             dir);
    ck_assert_str_eq(err, want);
    unlink(pol);
    rmdir(dir);
}
END_TEST

START_TEST(matching)
{
    ck_assert(ls_lsan_match("foo", "libfoo.so"));
    ck_assert(!ls_lsan_match("^foo", "libfoo.so"));
    ck_assert(ls_lsan_match("^lib", "libfoo.so"));
    ck_assert(ls_lsan_match(".so$", "libfoo.so"));
    ck_assert(!ls_lsan_match("foo$", "libfoo.so"));
    ck_assert(ls_lsan_match("lib*so", "libfoo.so"));
    ck_assert(ls_lsan_match("^*foo*$", "libfoo.so"));
    ck_assert(!ls_lsan_match("bar", "libfoo.so"));
    ck_assert(!ls_lsan_match("x", NULL));

    ls_policy_t p;
    ck_assert_int_eq(parse("suppressions:\n  - leak:cache_fill\n  - {function: 'init_*', file: '*/boot.c'}\n", &p), 0);
    ls_frame_info_t a[2] = {{0, "helper", "util.c", 5, "/bin/x", 0}, {0, "cache_fill_all", "cache.c", 9, "/bin/x", 0}};
    ls_frame_info_t b[2] = {{0, "init_tables", "src/boot.c", 5, "/bin/x", 0}, {0, "main", "main.c", 9, "/bin/x", 0}};
    ls_frame_info_t d[2] = {{0, "init_tables", "src/run.c", 5, "/bin/x", 0}, {0, "main", "boot.c", 9, "/bin/x", 0}};
    ck_assert_ptr_eq(ls_policy_suppressed(&p, a, 2), &p.sups[0]);
    ck_assert_ptr_eq(ls_policy_suppressed(&p, b, 2), &p.sups[1]);
    ck_assert_ptr_null(ls_policy_suppressed(&p, d, 2)); /* "*\/boot.c" needs a directory */
    ck_assert_ptr_null(ls_policy_suppressed(&p, a, 1));
    ls_policy_free(&p);
}
END_TEST

START_TEST(sizes)
{
    double v;
    ck_assert_int_eq(ls_parse_size("1024", &v), 0);
    ck_assert_double_eq(v, 1024);
    ck_assert_int_eq(ls_parse_size("1.5 KiB", &v), 0);
    ck_assert_double_eq(v, 1536);
    ck_assert_int_eq(ls_parse_size("100MB", &v), 0);
    ck_assert_double_eq(v, 100e6);
    ck_assert_int_eq(ls_parse_size("2gib", &v), 0);
    ck_assert_double_eq(v, 2147483648.0);
    ck_assert_int_eq(ls_parse_size("12 parsecs", &v), -1);
    ck_assert_int_eq(ls_parse_size("-5", &v), -1);
    ck_assert_int_eq(ls_parse_size("", &v), -1);
    ck_assert_int_eq(ls_parse_size("MB", &v), -1);
}
END_TEST

START_TEST(documented_examples)
{
    /* Every example in docs/examples/ parses; the written-out default equals the default. */
    const char *root = getenv("LS_ROOT") ? getenv("LS_ROOT") : ".";
    static const char *const files[] = {"default.yaml", "ci-strict.yaml", "memory_policy.yaml", "lsan.supp"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/docs/examples/%s", root, files[i]);
        ls_policy_t p;
        ck_assert_msg(ls_policy_load(path, &p, err, sizeof err) == 0, "%s", err);
        if (i == 0) {
            ls_policy_t d;
            ls_policy_default(&d);
            ck_assert_mem_eq(&p.cls, &d.cls, sizeof d.cls);
            ck_assert_int_eq(p.fail_on, d.fail_on);
        }
        if (i == 1) {
            ck_assert_uint_eq(p.n_modules, 2);
            ck_assert_uint_eq(p.n_locations, 1);
            ck_assert_uint_eq(p.n_sups, 4);
            ck_assert_int_eq(p.fail_on, LS_SEV_LOW);
        }
        if (i == 2)
            ck_assert_uint_eq(p.n_modules, 4);
        ls_policy_free(&p);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("policy");
    TCase *t = tcase_create("policy");
    tcase_add_test(t, defaults);
    tcase_add_test(t, unreachable_rule);
    tcase_add_test(t, full_policy);
    tcase_add_test(t, seed_memory_policy_layout);
    tcase_add_test(t, errors_name_the_line);
    tcase_add_test(t, location_budgets);
    tcase_add_test(t, lsan_files);
    tcase_add_test(t, matching);
    tcase_add_test(t, sizes);
    tcase_add_test(t, documented_examples);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return ls_check_run(suite(), CK_FORK_GETENV);
}
