/*
 * test_analyzer_baseline.c — the baseline reader (model/baseline.c, on jansson) and the JSON
 * string writer: a report's sites and modules read back exactly; `\u` escapes, surrogate
 * pairs included, decode to UTF-8; input cut at every byte, deep nesting, non-objects and
 * special files are one-line errors; names that are not UTF-8 are written as U+FFFD.
 */
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baseline.h"
#include "util.h"

static char err[512];

static const char report[] =
    "{\n  \"schema_version\": 1,\n  \"program\": \"app\", \"peak_traced_bytes\": 4096,\n"
    "  \"sites\": [{\"function\": \"m\\u00e9moriser\", \"file\": \"a.c\", \"line\": 12, \"pattern\": \"leak\","
    " \"severity\": \"high\", \"bytes_per_step\": 72.5},\n"
    "   {\"function\": \"clef_\\ud834\\udd1e\", \"file\": \"b.c\", \"line\": 3, \"pattern\": \"warmup\","
    " \"severity\": \"none\", \"bytes_per_step\": 0}],\n"
    "  \"modules\": [{\"name\": \"cache\", \"live_bytes\": 100, \"bytes_per_step\": 2}]\n}\n";

START_TEST(reads_a_report)
{
    ls_baseline_t b;
    ck_assert_int_eq(ls_baseline_parse(report, strlen(report), "r.json", &b, err, sizeof err), 0);
    ck_assert_uint_eq(b.n, 1);
    ck_assert_str_eq(b.procs[0].prog, "app");
    ck_assert(b.procs[0].peak == 4096);
    ck_assert_uint_eq(b.procs[0].n_sites, 2);
    ck_assert_str_eq(b.procs[0].sites[0].function, "m\xc3\xa9moriser");   /* U+00E9 */
    ck_assert_str_eq(b.procs[0].sites[1].function, "clef_\xf0\x9d\x84\x9e"); /* U+1D11E */
    ck_assert_int_eq(b.procs[0].sites[0].line, 12);
    ck_assert_int_eq(b.procs[0].sites[0].pattern, LS_PAT_LEAK);
    ck_assert(b.procs[0].sites[0].bps == 72.5);
    ck_assert_uint_eq(b.procs[0].n_mods, 1);
    ck_assert_str_eq(b.procs[0].mods[0].name, "cache");
    ck_assert(b.procs[0].mods[0].live == 100 && b.procs[0].mods[0].bps == 2);
    ls_baseline_free(&b);
}
END_TEST

/* Cut at every byte: never a crash or a read past the end (ASan/valgrind tiers), always
 * one line naming the file. */
START_TEST(every_cut_is_one_line)
{
    size_t n = strlen(report);
    for (size_t cut = 0; cut + 2 < n; cut++) {
        char *copy = malloc(cut ? cut : 1); /* exactly cut bytes: no terminator to lean on */
        memcpy(copy, report, cut);
        ls_baseline_t b;
        int rc = ls_baseline_parse(copy, cut, "r.json", &b, err, sizeof err);
        free(copy);
        ck_assert_msg(rc == -1, "cut at %zu accepted", cut);
        ck_assert_msg(strncmp(err, "r.json", 6) == 0 && !strchr(err, '\n'), "cut at %zu: '%s'", cut, err);
    }
}
END_TEST

START_TEST(rejects_what_is_not_a_report)
{
    ls_baseline_t b;
    static const char *const bad[] = {"[1, 2]", "{\"sites\": 3}", "{\"sites\": [{\"function\": \"f\"}]}",
                                      "{\"sites\": []} trailing", "\"\\ud800\"", "{\"a\": \"\xff\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(ls_baseline_parse(bad[i], strlen(bad[i]), "x", &b, err, sizeof err) == -1, "%s", bad[i]);
        ck_assert(!strchr(err, '\n'));
    }
    size_t depth = 100000;
    char *deep = malloc(2 * depth + 1);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    deep[2 * depth] = 0;
    ck_assert_int_eq(ls_baseline_parse(deep, 2 * depth, "deep", &b, err, sizeof err), -1);
    free(deep);
}
END_TEST

START_TEST(reads_only_regular_files)
{
    ls_baseline_t b;
    ck_assert_int_eq(ls_baseline_from_json("/dev/zero", &b, err, sizeof err), -1);
    ck_assert_str_eq(err, "/dev/zero: baseline: not a regular file");
    char dir[] = "/tmp/ls-baseline-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char fifo[64];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    ck_assert_int_eq(ls_baseline_from_json(fifo, &b, err, sizeof err), -1); /* returns: no writer needed */
    ck_assert(strstr(err, "not a regular file"));
    unlink(fifo);
    rmdir(dir);
}
END_TEST

START_TEST(json_strings_are_valid_utf8)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    ls_json_string(f, "a\xff" "b \"q\" \\ \n caf\xc3\xa9 \xed\xa0\x80");
    ls_json_string(f, NULL);
    fclose(f);
    ck_assert_str_eq(out, "\"a\xef\xbf\xbd" "b \\\"q\\\" \\\\ \\n caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"null");
    free(out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("analyzer_baseline");
    TCase *t = tcase_create("baseline");
    tcase_add_test(t, reads_a_report);
    tcase_add_test(t, every_cut_is_one_line);
    tcase_add_test(t, rejects_what_is_not_a_report);
    tcase_add_test(t, reads_only_regular_files);
    tcase_add_test(t, json_strings_are_valid_utf8);
    suite_add_tcase(s, t);
    return ls_check_run(s, CK_FORK_GETENV);
}
