/*
 * test_analyzer_stats.c — tracemalloc-style grouping and comparison (analyzer/stats.c) on
 * hand-symbolized snapshots: exact sizes and counts, tracemalloc's ordering and its ties,
 * cumulative mode, keys new in or gone from the second snapshot, and the text/JSON output.
 */
#include <check.h>

#include "check_main.h"
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "snapshot.h"
#include "stats.h"

#define MAXS 16

typedef struct {
    ls_snapshot_t snap;
    ls_site_t sites[MAXS];
    ls_frame_info_t info[MAXS][8];
    uint64_t frames[MAXS][8];
} fixture_t;

static void fx_init(fixture_t *fx)
{
    memset(fx, 0, sizeof *fx);
    fx->snap.path = "fixture.lss";
    fx->snap.sites = fx->sites;
}

/* Adds a site with frames given as "function@file:line" strings ("fn@??" for an unknown file),
 * innermost first; `loc` is the location frame. */
static void add_site(fixture_t *fx, uint64_t bytes, uint64_t count, int loc, int n, ...)
{
    size_t i = fx->snap.n_sites++;
    ls_site_t *s = &fx->sites[i];
    s->id = (uint32_t)i + 1;
    s->nframes = (uint16_t)n;
    s->live_bytes = bytes;
    s->live_count = count;
    s->frames = fx->frames[i];
    s->info = fx->info[i];
    s->ninfo = (uint16_t)n;
    s->loc = loc;
    va_list ap;
    va_start(ap, n);
    for (int k = 0; k < n; k++) {
        const char *spec = va_arg(ap, const char *);
        static char buf[MAXS * 8][64];
        static int used;
        char *b = buf[used++ % (MAXS * 8)];
        snprintf(b, 64, "%s", spec);
        char *at = strchr(b, '@'), *colon = strrchr(b, ':');
        *at = 0;
        ls_frame_info_t *f = &fx->info[i][k];
        f->addr = 0x1000 * (i + 1) + (uint64_t)k;
        fx->frames[i][k] = f->addr;
        f->function = b;
        f->module = "/bin/prog";
        if (colon) {
            *colon = 0;
            f->line = atoi(colon + 1);
        }
        f->file = at + 1;
    }
    va_end(ap);
}

static ls_stats_t stats(fixture_t *fx, ls_key_type_t key, int cumulative)
{
    ls_stats_t st;
    char err[256];
    ck_assert_msg(ls_statistics(&fx->snap, key, cumulative, &st, err, sizeof err) == 0, "%s", err);
    return st;
}

#define ck_stat(st, i, file_, line_, size_, count_)                 \
    do {                                                             \
        ck_assert_uint_gt((st).n, (size_t)(i));                      \
        ck_assert_str_eq((st).stats[i].file, file_);                 \
        ck_assert_int_eq((st).stats[i].line, line_);                 \
        ck_assert_uint_eq((st).stats[i].size, size_);                \
        ck_assert_uint_eq((st).stats[i].count, count_);              \
    } while (0)

START_TEST(lineno_groups_and_orders)
{
    fixture_t fx;
    fx_init(&fx);
    add_site(&fx, 100, 2, 0, 2, "alpha@a.c:10", "main@m.c:1");
    add_site(&fx, 150, 1, 0, 2, "alpha@a.c:10", "other@m.c:2"); /* same line, other trace */
    add_site(&fx, 300, 1, 0, 1, "beta@b.c:5");
    add_site(&fx, 0, 0, 0, 1, "dead@d.c:1");                   /* nothing live: left out */
    add_site(&fx, 300, 3, 0, 1, "gamma@c.c:7");
    add_site(&fx, 40, 1, 1, 2, "operator new@??", "delta@e.c:3"); /* location is frame 1 */
    ls_stats_t st = stats(&fx, LS_BY_LINENO, 0);
    ck_assert_uint_eq(st.n, 4);
    ck_stat(st, 0, "c.c", 7, 300, 3); /* size tie: more allocations first */
    ck_stat(st, 1, "b.c", 5, 300, 1);
    ck_stat(st, 2, "a.c", 10, 250, 3);
    ck_assert_str_eq(st.stats[2].function, "alpha");
    ck_stat(st, 3, "e.c", 3, 40, 1);
    ck_assert_int_eq(st.stats[0].size_diff, 0);
    ls_stats_free(&st);
}
END_TEST

/* Equal size and count: the key decides, descending (tracemalloc sorts reverse=True). */
START_TEST(ties_sort_by_key_descending)
{
    fixture_t fx;
    fx_init(&fx);
    add_site(&fx, 64, 1, 0, 1, "f@a.c:1");
    add_site(&fx, 64, 1, 0, 1, "f@z.c:1");
    add_site(&fx, 64, 1, 0, 1, "f@m.c:9");
    add_site(&fx, 64, 1, 0, 1, "f@m.c:10");
    ls_stats_t st = stats(&fx, LS_BY_LINENO, 0);
    ck_stat(st, 0, "z.c", 1, 64, 1);
    ck_stat(st, 1, "m.c", 10, 64, 1);
    ck_stat(st, 2, "m.c", 9, 64, 1);
    ck_stat(st, 3, "a.c", 1, 64, 1);
    ls_stats_free(&st);
}
END_TEST

START_TEST(by_file_function_traceback)
{
    fixture_t fx;
    fx_init(&fx);
    add_site(&fx, 10, 1, 0, 2, "push@h.c:24", "run@main.c:50");
    add_site(&fx, 20, 1, 0, 2, "push@h.c:30", "run@main.c:51");
    add_site(&fx, 40, 2, 0, 2, "push@h.c:24", "run@main.c:50"); /* same trace as the first */
    add_site(&fx, 5, 1, 0, 1, "init@i.c:3");

    ls_stats_t st = stats(&fx, LS_BY_FILE, 0);
    ck_assert_uint_eq(st.n, 2);
    ck_stat(st, 0, "h.c", 0, 70, 4);
    ck_assert_ptr_null(st.stats[0].function);
    ck_stat(st, 1, "i.c", 0, 5, 1);
    ls_stats_free(&st);

    st = stats(&fx, LS_BY_FUNCTION, 0);
    ck_assert_uint_eq(st.n, 2);
    ck_assert_str_eq(st.stats[0].function, "push");
    ck_stat(st, 0, "h.c", 24, 70, 4); /* the function's lowest allocating line */
    ls_stats_free(&st);

    st = stats(&fx, LS_BY_TRACEBACK, 0);
    ck_assert_uint_eq(st.n, 3);
    ck_stat(st, 0, "h.c", 24, 50, 3);
    ck_assert_uint_eq(st.stats[0].nframes, 2);
    ck_assert_str_eq(st.stats[0].frames[1].file, "main.c");
    ck_assert_int_eq(st.stats[0].frames[1].line, 50);
    ck_stat(st, 1, "h.c", 30, 20, 1);
    ck_stat(st, 2, "i.c", 3, 5, 1);
    ls_stats_free(&st);
}
END_TEST

START_TEST(cumulative_counts_each_trace_once_per_key)
{
    fixture_t fx;
    fx_init(&fx);
    add_site(&fx, 100, 1, 0, 3, "leaf@a.c:10", "mid@m.c:20", "main@m.c:30");
    add_site(&fx, 50, 5, 0, 2, "other@b.c:5", "mid@m.c:20");
    /* Recursion: the same line twice in one trace counts once. */
    add_site(&fx, 7, 1, 0, 3, "rec@r.c:1", "rec@r.c:1", "main@m.c:30");
    ls_stats_t st = stats(&fx, LS_BY_LINENO, 1);
    ck_assert_uint_eq(st.n, 5);
    ck_stat(st, 0, "m.c", 20, 150, 6);
    ck_stat(st, 1, "m.c", 30, 107, 2);
    ck_stat(st, 2, "a.c", 10, 100, 1);
    ck_stat(st, 3, "b.c", 5, 50, 5);
    ck_stat(st, 4, "r.c", 1, 7, 1);
    ls_stats_free(&st);

    st = stats(&fx, LS_BY_FILE, 1); /* m.c appears twice in the first trace: once */
    ck_stat(st, 0, "m.c", 0, 157, 7);
    ls_stats_free(&st);

    ls_stats_t bad;
    char err[256];
    ck_assert_int_eq(ls_statistics(&fx.snap, LS_BY_TRACEBACK, 1, &bad, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "cumulative"));
}
END_TEST

START_TEST(unknown_files_stay_apart)
{
    fixture_t fx;
    fx_init(&fx);
    add_site(&fx, 10, 1, 0, 1, "libx.so+0x10@??");
    add_site(&fx, 20, 1, 0, 1, "libx.so+0x99@??");
    add_site(&fx, 30, 1, 0, 1, "libx.so+0x10@??");
    ls_stats_t st = stats(&fx, LS_BY_LINENO, 0);
    ck_assert_uint_eq(st.n, 2);
    ck_assert_str_eq(st.stats[0].function, "libx.so+0x10");
    ck_assert_uint_eq(st.stats[0].size, 40);
    ls_stats_free(&st);
}
END_TEST

START_TEST(compare_to_new_gone_changed)
{
    fixture_t a, b;
    fx_init(&a);
    fx_init(&b);
    add_site(&a, 100, 1, 0, 1, "f@a.c:10");
    add_site(&a, 200, 2, 0, 1, "g@b.c:5");
    add_site(&a, 50, 1, 0, 1, "h@gone.c:1");
    add_site(&a, 80, 1, 0, 1, "k@same.c:1");
    add_site(&b, 250, 2, 0, 1, "f@a.c:10");
    add_site(&b, 150, 2, 0, 1, "f2@a.c:10"); /* another site on that line: merges */
    add_site(&b, 200, 2, 0, 1, "g@b.c:5");
    add_site(&b, 50, 1, 0, 1, "n@new.c:3");
    add_site(&b, 80, 1, 0, 1, "k@same.c:1");
    add_site(&b, 0, 0, 0, 1, "z@freed.c:1"); /* freed in both: not a key at all */
    ls_stats_t st;
    char err[256];
    ck_assert_msg(ls_compare_to(&a.snap, &b.snap, LS_BY_LINENO, 0, &st, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(st.n, 5);
    ck_stat(st, 0, "a.c", 10, 400, 4);
    ck_assert_int_eq(st.stats[0].size_diff, 300);
    ck_assert_int_eq(st.stats[0].count_diff, 3);
    /* |size_diff| 50 both: the new key (size 50) before the gone one (size 0). */
    ck_stat(st, 1, "new.c", 3, 50, 1);
    ck_assert_int_eq(st.stats[1].size_diff, 50);
    ck_assert_int_eq(st.stats[1].count_diff, 1);
    ck_stat(st, 2, "gone.c", 1, 0, 0);
    ck_assert_int_eq(st.stats[2].size_diff, -50);
    ck_assert_int_eq(st.stats[2].count_diff, -1);
    /* Unchanged keys: by size. */
    ck_stat(st, 3, "b.c", 5, 200, 2);
    ck_assert_int_eq(st.stats[3].size_diff, 0);
    ck_stat(st, 4, "same.c", 1, 80, 1);
    ls_stats_free(&st);

    /* compare_to of a snapshot with itself: every diff is 0. */
    ck_assert(ls_compare_to(&b.snap, &b.snap, LS_BY_FUNCTION, 1, &st, err, sizeof err) == 0);
    for (size_t i = 0; i < st.n; i++)
        ck_assert(st.stats[i].size_diff == 0 && st.stats[i].count_diff == 0);
    ls_stats_free(&st);
}
END_TEST

/* After |size_diff| and size, tracemalloc orders by |count_diff|, then count. */
START_TEST(compare_to_count_ties)
{
    fixture_t a, b;
    fx_init(&a);
    fx_init(&b);
    add_site(&a, 100, 10, 0, 1, "f@p.c:1");
    add_site(&a, 100, 1, 0, 1, "f@q.c:1");
    add_site(&b, 200, 11, 0, 1, "f@p.c:1"); /* +100, count +1 */
    add_site(&b, 200, 5, 0, 1, "f@q.c:1");  /* +100, count +4 */
    ls_stats_t st;
    char err[256];
    ck_assert(ls_compare_to(&a.snap, &b.snap, LS_BY_LINENO, 0, &st, err, sizeof err) == 0);
    ck_assert_str_eq(st.stats[0].file, "q.c");
    ck_assert_str_eq(st.stats[1].file, "p.c");
    ls_stats_free(&st);
}
END_TEST

START_TEST(needs_symbolization)
{
    fixture_t fx;
    fx_init(&fx);
    add_site(&fx, 1, 1, 0, 1, "f@a.c:1");
    fx.sites[0].info = NULL;
    ls_stats_t st;
    char err[256];
    ck_assert_int_eq(ls_statistics(&fx.snap, LS_BY_LINENO, 0, &st, err, sizeof err), -1);
    ck_assert_str_eq(err, "fixture.lss: not symbolized");
}
END_TEST

static char *render(const ls_stats_t *st, ls_key_type_t key, int diff, size_t limit, int json)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (json)
        ls_stats_print_json(f, st, key, diff, limit);
    else
        ls_stats_print_text(f, st, key, diff, limit);
    fclose(f);
    return buf;
}

START_TEST(text_and_json_output)
{
    fixture_t a, b;
    fx_init(&a);
    fx_init(&b);
    add_site(&a, 100, 1, 0, 2, "push@/src/h.c:24", "main@/src/m.c:9");
    add_site(&b, 1228800, 100, 0, 2, "push@/src/h.c:24", "main@/src/m.c:9");
    add_site(&b, 250, 3, 0, 1, "lib+0x10@??");
    ls_stats_t st = stats(&b, LS_BY_LINENO, 0);
    char *t = render(&st, LS_BY_LINENO, 0, 0, 0);
    ck_assert_str_eq(t, "/src/h.c:24: size=1200 KiB, count=100, average=12.0 KiB\n"
                        "lib+0x10 (prog): size=250 B, count=3, average=83 B\n");
    free(t);
    t = render(&st, LS_BY_LINENO, 0, 1, 1);
    ck_assert_str_eq(t, "{\"schema_version\": 1, \"stats\": [\n  {\"function\": \"push\", \"file\": \"/src/h.c\", \"line\": 24, "
                        "\"module\": \"/bin/prog\", \"size\": 1228800, \"count\": 100}\n]}\n");
    free(t);
    ls_stats_free(&st);

    st = stats(&b, LS_BY_TRACEBACK, 0);
    t = render(&st, LS_BY_TRACEBACK, 0, 1, 0);
    ck_assert_str_eq(t, "/src/h.c:24: size=1200 KiB, count=100, average=12.0 KiB\n"
                        "  /src/h.c:24 (push)\n"
                        "  /src/m.c:9 (main)\n");
    free(t);
    t = render(&st, LS_BY_TRACEBACK, 0, 1, 1);
    ck_assert_ptr_nonnull(strstr(t, "\"frames\": [{\"function\": \"push\", \"file\": \"/src/h.c\", \"line\": 24, "
                                    "\"module\": \"/bin/prog\"}, {\"function\": \"main\""));
    free(t);
    ls_stats_free(&st);

    char err[256];
    ck_assert(ls_compare_to(&a.snap, &b.snap, LS_BY_FUNCTION, 0, &st, err, sizeof err) == 0);
    t = render(&st, LS_BY_FUNCTION, 1, 0, 0);
    ck_assert_str_eq(t, "push (/src/h.c:24): size=1200 KiB (+1200 KiB), count=100 (+99), average=12.0 KiB\n"
                        "lib+0x10 (prog): size=250 B (+250 B), count=3 (+3), average=83 B\n");
    free(t);
    t = render(&st, LS_BY_FUNCTION, 1, 0, 1);
    ck_assert_ptr_nonnull(strstr(t, "\"size\": 1228800, \"size_diff\": 1228700, \"count\": 100, \"count_diff\": 99}"));
    free(t);
    ls_stats_free(&st);

    ck_assert(ls_compare_to(&a.snap, &b.snap, LS_BY_FILE, 0, &st, err, sizeof err) == 0);
    t = render(&st, LS_BY_FILE, 1, 0, 1);
    ck_assert_ptr_nonnull(strstr(t, "{\"function\": null, \"file\": \"/src/h.c\", \"line\": 0"));
    free(t);
    ls_stats_free(&st);

    ls_stats_t empty = {.stats = NULL, .n = 0};
    t = render(&empty, LS_BY_LINENO, 0, 0, 1);
    ck_assert_str_eq(t, "{\"schema_version\": 1, \"stats\": []}\n");
    free(t);
}
END_TEST

START_TEST(key_names)
{
    ls_key_type_t k;
    ck_assert_int_eq(ls_key_type_parse("lineno", &k), 0);
    ck_assert_int_eq(k, LS_BY_LINENO);
    ck_assert_int_eq(ls_key_type_parse("filename", &k), 0);
    ck_assert_int_eq(k, LS_BY_FILE);
    ck_assert_int_eq(ls_key_type_parse("traceback", &k), 0);
    ck_assert_str_eq(ls_key_type_name(k), "traceback");
    ck_assert_int_eq(ls_key_type_parse("bogus", &k), -1);
    ck_assert_int_eq(ls_key_type_parse(NULL, &k), -1);
}
END_TEST

/* ---- the top and diff commands, in process, on snapshot files ------------------------------ */

static char dir[64];

/* Two snapshots of one process: site 1 grows 100 -> 300 bytes, site 2 is freed, site 3 is new.
 * The module's file does not exist, so frames resolve to "prog+0x<offset>". */
static void write_series(void)
{
    snprintf(dir, sizeof dir, "/tmp/ls-stats-test.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ls_module_t mod = {.start = 0x400000, .end = 0x500000, .bias = 0x400000, .path = "/nonexistent/prog"};
    uint64_t f1[2] = {0x401000, 0x409000}, f2[1] = {0x402000}, f3[1] = {0x403000};
    ls_age_t a1 = {0, 100, 1}, a1b[2] = {{0, 100, 1}, {1, 200, 2}}, a2 = {0, 50, 1}, a3 = {1, 7, 7};
    ls_site_t s1[2] = {{.id = 1, .nframes = 2, .nage = 1, .live_bytes = 100, .live_count = 1, .frames = f1, .age = &a1},
                       {.id = 2, .nframes = 1, .nage = 1, .live_bytes = 50, .live_count = 1, .frames = f2, .age = &a2}};
    ls_site_t s2[3] = {{.id = 1, .nframes = 2, .nage = 2, .live_bytes = 300, .live_count = 3, .frames = f1, .age = a1b},
                       {.id = 2, .nframes = 1, .frames = f2},
                       {.id = 3, .nframes = 1, .nage = 1, .live_bytes = 7, .live_count = 7, .frames = f3, .age = &a3}};
    ls_snapshot_t s = {.pid = 4242, .seq = 1, .label = "start", .prog = "prog", .modules = &mod, .n_modules = 1,
                       .sites = s1, .n_sites = 2, .traced_current = 150, .traced_peak = 150};
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/prog.4242.000001.start.lss", dir);
    ck_assert_msg(ls_snapshot_write(path, &s, err, sizeof err) == 0, "%s", err);
    s.seq = 2, s.epoch = 1, s.step = 10, s.label = "exit", s.sites = s2, s.n_sites = 3;
    s.traced_current = 307;
    s.traced_peak = 400;
    snprintf(path, sizeof path, "%s/prog.4242.000002.exit.lss", dir);
    ck_assert_msg(ls_snapshot_write(path, &s, err, sizeof err) == 0, "%s", err);
}

/* Runs a command with stdout captured; returns its exit status and output. */
static int run_cmd(int (*cmd)(int, char **), char **out, int argc, ...)
{
    char *argv[16];
    va_list ap;
    va_start(ap, argc);
    for (int i = 0; i < argc; i++)
        argv[i] = va_arg(ap, char *);
    va_end(ap);
    argv[argc] = NULL;
    char path[128];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    fflush(stdout);
    int saved = dup(1), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
    close(fd);
    int rc = cmd(argc, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    FILE *f = fopen(path, "r");
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    *out = buf;
    return rc;
}

START_TEST(cli_top_and_diff)
{
    write_series();
    char *o, first[128];
    snprintf(first, sizeof first, "%s/prog.4242.000001.start.lss", dir);
    ck_assert_int_eq(run_cmd(ls_cmd_top, &o, 2, "top", dir), 0);
    ck_assert_msg(strstr(o, "snapshot ") == o && strstr(o, "prog.4242.000002.exit.lss: label exit, step 10, pid 4242 (prog), "
                                                       "traced 307 B, peak 400 B, 3 sites\n"), "%s", o);
    ck_assert_msg(strstr(o, "[ top 2 of 2 by lineno ]\n"
                            "prog+0x1000 (prog): size=300 B, count=3, average=100 B\n"
                            "prog+0x3000 (prog): size=7 B, count=7, average=1 B\n"
                            "total: size=307 B, count=10\n"), "%s", o);

    ck_assert_int_eq(run_cmd(ls_cmd_top, &o, 4, "top", dir, "--format=json", "--cumulative"), 0);
    /* The caller's frame ties with the location (300/3): the key decides, descending. */
    ck_assert_msg(strstr(o, "{\"schema_version\": 1, \"stats\": [\n  {\"function\": \"prog+0x9000\", \"file\": \"??\", \"line\": 0, "
                            "\"module\": \"/nonexistent/prog\", \"size\": 300, \"count\": 3},\n") == o, "%s", o);
    ck_assert_ptr_nonnull(strstr(o, "\"function\": \"prog+0x1000\""));

    ck_assert_int_eq(run_cmd(ls_cmd_diff, &o, 5, "diff", first, dir, "--limit", "2"), 0);
    ck_assert_msg(strstr(o, "old ") == o, "%s", o);
    ck_assert_msg(strstr(o, "[ top 2 of 3 differences by lineno ]\n"
                            "prog+0x1000 (prog): size=300 B (+200 B), count=3 (+2), average=100 B\n"
                            "prog+0x2000 (prog): size=0 B (-50 B), count=0 (-1)\n"
                            "total: size=307 B (+157 B), count=10 (+8)\n"), "%s", o);

    ck_assert_int_eq(run_cmd(ls_cmd_diff, &o, 6, "diff", "--by", "traceback", first, dir, "--pid=4242"), 0);
    ck_assert_msg(strstr(o, "prog+0x1000 (prog): size=300 B (+200 B), count=3 (+2), average=100 B\n"
                            "  prog+0x1000 (prog)\n  prog+0x9000 (prog)\n"), "%s", o);

    ck_assert_int_eq(run_cmd(ls_cmd_top, &o, 2, "top", "--help"), 0);
    ck_assert_ptr_nonnull(strstr(o, "usage: leakscope top SNAPSHOT"));
    /* Bad arguments and input: exit 2, nothing on stdout. */
    ck_assert_int_eq(run_cmd(ls_cmd_top, &o, 1, "top"), 2);
    ck_assert_int_eq(run_cmd(ls_cmd_top, &o, 3, "top", dir, "--bogus"), 2);
    ck_assert_int_eq(run_cmd(ls_cmd_top, &o, 3, "top", dir, "--limit"), 2);
    ck_assert_int_eq(run_cmd(ls_cmd_top, &o, 4, "top", dir, "--limit", "-1"), 2);
    ck_assert_int_eq(run_cmd(ls_cmd_top, &o, 4, "top", dir, "--by", "size"), 2);
    ck_assert_int_eq(run_cmd(ls_cmd_top, &o, 4, "top", dir, "--format", "xml"), 2);
    ck_assert_int_eq(run_cmd(ls_cmd_top, &o, 5, "top", dir, "--by", "traceback", "--cumulative"), 2);
    ck_assert_int_eq(run_cmd(ls_cmd_top, &o, 4, "top", dir, "--pid", "77"), 2);
    ck_assert_int_eq(run_cmd(ls_cmd_top, &o, 3, "top", dir, dir), 2);
    ck_assert_int_eq(run_cmd(ls_cmd_diff, &o, 2, "diff", dir), 2);
    ck_assert_int_eq(run_cmd(ls_cmd_top, &o, 2, "top", "/nonexistent.lss"), 2);
    ck_assert_str_eq(o, "");
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("analyzer_stats");
    TCase *t = tcase_create("core");
    tcase_add_test(t, lineno_groups_and_orders);
    tcase_add_test(t, ties_sort_by_key_descending);
    tcase_add_test(t, by_file_function_traceback);
    tcase_add_test(t, cumulative_counts_each_trace_once_per_key);
    tcase_add_test(t, unknown_files_stay_apart);
    tcase_add_test(t, compare_to_new_gone_changed);
    tcase_add_test(t, compare_to_count_ties);
    tcase_add_test(t, needs_symbolization);
    tcase_add_test(t, text_and_json_output);
    tcase_add_test(t, key_names);
    suite_add_tcase(s, t);
    TCase *c = tcase_create("cli");
    tcase_add_test(c, cli_top_and_diff);
    suite_add_tcase(s, c);
    return s;
}

int main(void)
{
    return ls_check_run(suite(), CK_FORK_GETENV);
}
