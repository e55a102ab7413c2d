/*
 * cmd_top.c — `leakscope top SNAPSHOT` and, through the same driver, `leakscope diff OLD NEW`
 * (cmd_diff.c): tracemalloc's statistics()/compare_to() of snapshot files, as text or JSON.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "snapshot.h"
#include "stats.h"
#include "symbols.h"
#include "util.h"

#define TEXT_DEFAULT_LIMIT 10 /* tracemalloc's documented example prints the top 10 */

static void usage(FILE *f, int nsnap)
{
    if (nsnap == 1)
        fputs("usage: leakscope top SNAPSHOT [options]\n"
              "Live memory of one snapshot grouped by allocation site, largest first.\n",
              f);
    else
        fputs("usage: leakscope diff OLD NEW [options]\n"
              "Change of live memory between two snapshots, per allocation site, largest change\n"
              "first (tracemalloc's compare_to: by |size_diff|, size, |count_diff|, count).\n",
              f);
    fputs("A SNAPSHOT may be a directory: it stands for the last snapshot in it.\n\n"
          "options:\n"
          "  --by lineno|function|file|traceback   how to group (default lineno)\n"
          "  --sort size|direct|indirect   top only: order by live size (default) or by bytes\n"
          "                    lost at exit (direct or indirect leaks: needs a snapshot with a scan)\n"
          "  --cumulative      count every frame of a trace, not only the allocating line\n"
          "                    (not with --by traceback)\n"
          "  --limit N         show the first N groups (default 10 for text, all for JSON;\n"
          "                    0 shows all)\n"
          "  --pid N           in a directory, use the snapshots of process N (default: the\n"
          "                    process that started first)\n"
          "  --format text|json\n"
          "  -h, --help        show this help\n",
          f);
}

/* Strings from the file itself, printed with control characters masked so that a
 * damaged or hostile snapshot cannot break the line or drive the terminal. */
static const char *clean(char *buf, size_t len, const char *s)
{
    size_t i = 0;
    for (; s && s[i] && i + 1 < len; i++)
        buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    buf[i] = 0;
    return buf;
}

static void print_header(FILE *f, const char *tag, const ls_snapshot_t *s)
{
    char cur[32], peak[32], label[256], prog[256];
    fprintf(f, "%s%s: label %s, step %" PRIu64 ", pid %" PRIu64 " (%s), traced %s, peak %s, %zu sites",
            tag, s->path, clean(label, sizeof label, s->label), s->step, s->pid,
            clean(prog, sizeof prog, s->prog),
            ls_format_size(cur, sizeof cur, (int64_t)s->traced_current, 0),
            ls_format_size(peak, sizeof peak, (int64_t)s->traced_peak, 0), s->n_sites);
    if (s->state_flags & 1)
        fputs(", tracking stopped early", f);
    if (s->untracked_count)
        fprintf(f, ", %" PRIu64 " allocations not charged to a site", s->untracked_count);
    fputc('\n', f);
}

static void live_totals(const ls_snapshot_t *s, uint64_t *bytes, uint64_t *count)
{
    *bytes = *count = 0;
    for (size_t i = 0; i < s->n_sites; i++) {
        *bytes += s->sites[i].live_bytes;
        *count += s->sites[i].live_count;
    }
}

/* Takes "--opt value" or "--opt=value"; NULL when the value is missing. */
static const char *opt_value(int argc, char **argv, int *i, const char *eq)
{
    if (eq)
        return eq + 1;
    if (*i + 1 < argc)
        return argv[++*i];
    return NULL;
}

int ls_stats_command(int argc, char **argv, int nsnap)
{
    const char *cmd = nsnap == 1 ? "top" : "diff";
    const char *args[2] = {NULL, NULL};
    int nargs = 0, cumulative = 0, json = 0, limit_set = 0, only_args = 0;
    int sort_lost = -1; /* issue 13: --sort direct (0) | indirect (1); -1 size */
    ls_key_type_t key = LS_BY_LINENO;
    uint64_t limit = 0, pid = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_args || a[0] != '-' || !a[1]) {
            if (nargs == nsnap)
                return ls_error("%s: unexpected argument '%s' (try 'leakscope %s --help')", cmd, a, cmd);
            args[nargs++] = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            only_args = 1;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout, nsnap);
            return LS_EXIT_OK;
        }
        const char *eq = strchr(a, '=');
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
#define IS(opt) (nlen == strlen(opt) && !strncmp(a, opt, nlen))
        if (IS("--cumulative")) {
            if (eq)
                return ls_error("%s: --cumulative takes no value", cmd);
            cumulative = 1;
            continue;
        }
        if (!IS("--by") && !IS("--limit") && !IS("--pid") && !IS("--format") && !(IS("--sort") && nsnap == 1))
            return ls_error("%s: unknown option '%.*s' (try 'leakscope %s --help')", cmd, (int)nlen, a, cmd);
        const char *v = opt_value(argc, argv, &i, eq);
        if (!v)
            return ls_error("%s: %.*s needs a value", cmd, (int)nlen, a);
        if (IS("--by")) {
            if (ls_key_type_parse(v, &key) < 0)
                return ls_error("%s: --by: unknown key '%s' (lineno, function, file or traceback)", cmd, v);
        } else if (IS("--limit")) {
            if (ls_parse_u64(v, &limit) < 0)
                return ls_error("%s: --limit: '%s' is not a non-negative number", cmd, v);
            limit_set = 1;
        } else if (IS("--sort")) {
            if (strcmp(v, "size") && strcmp(v, "direct") && strcmp(v, "indirect"))
                return ls_error("%s: --sort: '%s' is not size, direct or indirect", cmd, v);
            sort_lost = !strcmp(v, "size") ? -1 : !strcmp(v, "indirect");
        } else if (IS("--pid")) {
            if (ls_parse_u64(v, &pid) < 0 || pid == 0)
                return ls_error("%s: --pid: '%s' is not a process id", cmd, v);
        } else {
            if (!strcmp(v, "json"))
                json = 1;
            else if (!strcmp(v, "text"))
                json = 0;
            else
                return ls_error("%s: --format: '%s' is not text or json", cmd, v);
        }
#undef IS
    }
    if (nargs < nsnap)
        return ls_error("%s: missing %s (try 'leakscope %s --help')", cmd,
                        nsnap == 1 ? "SNAPSHOT" : nargs == 0 ? "OLD and NEW" : "NEW", cmd);
    if (cumulative && key == LS_BY_TRACEBACK)
        return ls_error("%s: --cumulative cannot be used with --by traceback", cmd);
    if (!limit_set)
        limit = json ? 0 : TEXT_DEFAULT_LIMIT;

    char err[1024];
    ls_snapshot_t snaps[2];
    memset(snaps, 0, sizeof snaps);
    int loaded = 0, rc = LS_EXIT_USAGE;
    for (int k = 0; k < nsnap; k++) {
        char *path = ls_resolve_snapshot_arg(args[k], pid, err, sizeof err);
        if (!path)
            goto out;
        int r = ls_snapshot_read(path, &snaps[k], err, sizeof err);
        free(path);
        if (r < 0)
            goto out;
        loaded++;
    }

    ls_symbolizer_t *sym = ls_symbolizer_new();
    for (int k = 0; k < nsnap; k++)
        ls_symbolize_snapshot(sym, &snaps[k]);
    ls_stats_t st;
    int r = nsnap == 1 ? ls_statistics(&snaps[0], key, cumulative, &st, err, sizeof err)
                       : ls_compare_to(&snaps[0], &snaps[1], key, cumulative, &st, err, sizeof err);
    if (r == 0 && sort_lost >= 0 && !snaps[0].has_scan) {
        snprintf(err, sizeof err, "top: --sort %s: %s carries no reachability scan (an exit snapshot with "
                 "LEAKSCOPE_SCAN=1, or one labelled \"scan\", does)", sort_lost ? "indirect" : "direct", snaps[0].path);
        ls_stats_free(&st);
        r = -1;
    } else if (r == 0 && sort_lost >= 0)
        ls_stats_sort_lost(&st, sort_lost);
    if (r == 0) {
        if (json) {
            ls_stats_print_json(stdout, &st, key, nsnap == 2, (size_t)limit);
        } else {
            uint64_t b0, c0, b1, c1;
            char s1[32], s2[32];
            if (nsnap == 1) {
                print_header(stdout, "snapshot ", &snaps[0]);
            } else {
                print_header(stdout, "old ", &snaps[0]);
                print_header(stdout, "new ", &snaps[1]);
            }
            size_t shown = limit && limit < st.n ? (size_t)limit : st.n;
            printf("[ top %zu of %zu%s by %s%s ]\n", shown, st.n, nsnap == 2 ? " differences" : "",
                   ls_key_type_name(key), cumulative ? ", cumulative" : "");
            ls_stats_print_text(stdout, &st, key, nsnap == 2, (size_t)limit);
            live_totals(&snaps[nsnap - 1], &b1, &c1);
            if (nsnap == 1) {
                printf("total: size=%s, count=%" PRIu64 "\n", ls_format_size(s1, sizeof s1, (int64_t)b1, 0), c1);
            } else {
                live_totals(&snaps[0], &b0, &c0);
                printf("total: size=%s (%s), count=%" PRIu64 " (%+" PRId64 ")\n",
                       ls_format_size(s1, sizeof s1, (int64_t)b1, 0),
                       ls_format_size(s2, sizeof s2, (int64_t)(b1 - b0), 1), c1, (int64_t)(c1 - c0));
            }
        }
        ls_stats_free(&st);
        rc = fflush(stdout) == 0 && !ferror(stdout) ? LS_EXIT_OK
                                                     : ls_error("%s: cannot write the output", cmd);
    }
    ls_symbolizer_free(sym);
    if (r < 0)
        goto out;
    for (int k = 0; k < loaded; k++)
        ls_snapshot_free(&snaps[k]);
    return rc;
out:
    for (int k = 0; k < loaded; k++)
        ls_snapshot_free(&snaps[k]);
    return ls_error("%s", err);
}

int ls_cmd_top(int argc, char **argv)
{
    return ls_stats_command(argc, argv, 1);
}
