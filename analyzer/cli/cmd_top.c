/*
 * cmd_top.c — `leakscope top SNAPSHOT` and, through the same driver, `leakscope diff OLD NEW`
 * (cmd_diff.c): tracemalloc's statistics()/compare_to() of snapshot files, as text or JSON.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "options.h"
#include "sampling.h"
#include "snapshot.h"
#include "stats.h"
#include "symbols.h"
#include "util.h"

#define TEXT_DEFAULT_LIMIT 10 /* tracemalloc's documented example prints the top 10 */

enum { OPT_BY, OPT_CUMULATIVE, OPT_LIMIT, OPT_PID, OPT_FORMAT, OPT_SORT };
/* The options top and diff share; top adds --sort (lost bytes belong to one snapshot). */
#define STATS_OPTS                                                                                              \
    [OPT_BY] = {"by", 0, "lineno|function|file|traceback", "how to group (default lineno)"},                      \
    [OPT_CUMULATIVE] = {"cumulative", 0, NULL, "count every frame of a trace, not only the allocating line\n"      \
                                               "(not with --by traceback)"},                                    \
    [OPT_LIMIT] = {"limit", 0, "N", "show the first N groups (default 10 for text, all for JSON;\n"               \
                                    "0 shows all)"},                                                            \
    [OPT_PID] = {"pid", 0, "N", "in a directory, use the snapshots of process N (default: the\n"                 \
                                "process that started first); refused with snapshot files"},                    \
    [OPT_FORMAT] = {"format", 0, "text|json", "output format (default text)"}
static const ls_option_t top_opts[] = {
    STATS_OPTS,
    [OPT_SORT] = {"sort", 0, "size|direct|indirect", "order by live size (default) or by the bytes lost at exit\n"
                                                     "(direct or indirect leaks: needs a snapshot with a scan)"},
    {NULL, 0, NULL, NULL}, /* ends the table */
};
static const ls_option_t diff_opts[] = {
    STATS_OPTS,
    {NULL, 0, NULL, NULL}, /* ends the table */
};

const ls_command_spec_t ls_top_spec = {
    "top", "SNAPSHOT",
    "Live memory of one snapshot grouped by allocation site, largest first.\n"
    "A SNAPSHOT may be a directory: it stands for the last snapshot in it.\n",
    top_opts, 1, 1, 0,
};

const ls_command_spec_t ls_diff_spec = {
    "diff", "OLD NEW",
    "Change of live memory between two snapshots, per allocation site, largest change\n"
    "first (tracemalloc's compare_to: by |size_diff|, size, |count_diff|, count).\n"
    "A snapshot may be a directory: it stands for the last snapshot in it.\n",
    diff_opts, 2, 2, 0,
};

typedef struct {
    const char *cmd;
    int cumulative, json, limit_set;
    int sort_lost; /* --sort direct (0) | indirect (1); -1: by size */
    ls_key_type_t key;
    uint64_t limit, pid;
} stats_args_t;

static int stats_option(void *ctx, int index, const char *v)
{
    stats_args_t *o = ctx;
    const char *cmd = o->cmd;
    switch (index) {
    case OPT_BY:
        if (ls_key_type_parse(v, &o->key) < 0)
            return ls_error("%s: --by: unknown key '%s' (lineno, function, file or traceback)", cmd, v);
        break;
    case OPT_CUMULATIVE: o->cumulative = 1; break;
    case OPT_SORT:
        if (strcmp(v, "size") && strcmp(v, "direct") && strcmp(v, "indirect"))
            return ls_error("%s: --sort: '%s' is not size, direct or indirect", cmd, v);
        o->sort_lost = !strcmp(v, "size") ? -1 : !strcmp(v, "indirect");
        break;
    case OPT_LIMIT:
        if (ls_parse_u64(v, &o->limit) < 0)
            return ls_error("%s: --limit: '%s' is not a non-negative number", cmd, v);
        o->limit_set = 1;
        break;
    case OPT_PID:
        if (ls_parse_u64(v, &o->pid) < 0 || o->pid == 0)
            return ls_error("%s: --pid: '%s' is not a process id", cmd, v);
        break;
    case OPT_FORMAT:
        if (strcmp(v, "json") && strcmp(v, "text"))
            return ls_error("%s: --format: '%s' is not text or json", cmd, v);
        o->json = !strcmp(v, "json");
        break;
    }
    return 0;
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

/* The traced figures of a sampled snapshot are estimates too (issue 11). */
static void print_header(FILE *f, const char *tag, const ls_snapshot_t *s)
{
    char cur[32], peak[32], label[256], prog[256];
    const char *est = LS_EST(s->state_flags & LS_FMT_STATE_SAMPLED);
    fprintf(f, "%s%s: label %s, step %" PRIu64 ", pid %" PRIu64 " (%s), traced %s%s, peak %s%s, %zu sites",
            tag, s->path, clean(label, sizeof label, s->label), s->step, s->pid,
            clean(prog, sizeof prog, s->prog), est,
            ls_format_size(cur, sizeof cur, (int64_t)s->traced_current, 0), est,
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

/* top's and diff's text: the snapshots' headers, the table, the totals. */
static void print_text(FILE *f, const ls_stats_t *st, const ls_snapshot_t *snaps, int nsnap, ls_key_type_t key,
                       int cumulative, size_t limit)
{
    uint64_t b0, c0, b1, c1;
    char s1[32], s2[32];
    const char *est = LS_EST(st->estimated);
    if (nsnap == 1) {
        print_header(f, "snapshot ", &snaps[0]);
    } else {
        print_header(f, "old ", &snaps[0]);
        print_header(f, "new ", &snaps[1]);
    }
    ls_stats_print_note(f, st); /* issue 11: sampled */
    size_t shown = limit && limit < st->n ? limit : st->n;
    fprintf(f, "[ top %zu of %zu%s by %s%s ]\n", shown, st->n, nsnap == 2 ? " differences" : "",
            ls_key_type_name(key), cumulative ? ", cumulative" : "");
    ls_stats_print_text(f, st, key, nsnap == 2, limit);
    live_totals(&snaps[nsnap - 1], &b1, &c1);
    if (nsnap == 1) {
        fprintf(f, "total: size=%s%s, count=%s%" PRIu64 "\n", est, ls_format_size(s1, sizeof s1, (int64_t)b1, 0),
                est, c1);
    } else {
        live_totals(&snaps[0], &b0, &c0);
        fprintf(f, "total: size=%s%s (%s%s), count=%s%" PRIu64 " (%s%+" PRId64 ")\n", est,
                ls_format_size(s1, sizeof s1, (int64_t)b1, 0), est, ls_format_size(s2, sizeof s2, (int64_t)(b1 - b0), 1),
                est, c1, est, (int64_t)(c1 - c0));
    }
}

/* The options and operands checked together: -1 to go on, or the exit status to end
 * with (LS_EXIT_OK after --help). args[] gets the snapshot operands. */
static int stats_args(int argc, char **argv, int nsnap, stats_args_t *o, const char *args[2])
{
    const ls_command_spec_t *spec = nsnap == 1 ? &ls_top_spec : &ls_diff_spec;
    const char *cmd = spec->name;
    int first, prc = ls_options_parse(spec, argc, argv, stats_option, o, &first);
    if (prc)
        return prc == 1 ? LS_EXIT_OK : prc;
    args[0] = argv[first];
    args[1] = nsnap == 2 ? argv[first + 1] : NULL;
    if (o->cumulative && o->key == LS_BY_TRACEBACK)
        return ls_error("%s: --cumulative cannot be used with --by traceback", cmd);
    if (!o->limit_set)
        o->limit = o->json ? 0 : TEXT_DEFAULT_LIMIT;
    struct stat sb; /* --pid chooses a process in a directory: with files only it would do nothing */
    int any_dir = 0;
    for (int k = 0; k < nsnap; k++)
        any_dir |= stat(args[k], &sb) == 0 && S_ISDIR(sb.st_mode);
    if (o->pid && !any_dir)
        return ls_error("%s: --pid %llu is unused: it chooses a process in a directory, and %s", cmd,
                        (unsigned long long)o->pid, nsnap == 1 ? "SNAPSHOT is a file" : "OLD and NEW are files");
    return -1;
}

/* Reads the snapshots the operands stand for; returns how many were loaded (all of them
 * unless err is set). */
static int load_snapshots(const char *args[2], int nsnap, uint64_t pid, ls_snapshot_t snaps[2], char *err,
                          size_t errlen)
{
    int loaded = 0;
    for (int k = 0; k < nsnap; k++) {
        char *path = ls_resolve_snapshot_arg(args[k], pid, err, errlen);
        if (!path)
            break;
        int r = ls_snapshot_read(path, &snaps[k], err, errlen);
        free(path);
        if (r < 0)
            break;
        loaded++;
    }
    return loaded;
}

/* Groups the symbolized snapshots as the options ask (ordered by lost bytes with --sort).
 * Returns 0, or -1 with err set. */
static int compute_stats(const ls_snapshot_t snaps[2], int nsnap, const stats_args_t *o, ls_stats_t *st,
                         char *err, size_t errlen)
{
    int r = nsnap == 1 ? ls_statistics(&snaps[0], o->key, o->cumulative, st, err, errlen)
                       : ls_compare_to(&snaps[0], &snaps[1], o->key, o->cumulative, st, err, errlen);
    if (r == 0 && o->sort_lost >= 0 && !snaps[0].has_scan) {
        snprintf(err, errlen, "top: --sort %s: %s carries no reachability scan (an exit snapshot with "
                 "LEAKSCOPE_SCAN=1, or one labelled \"scan\", does)", o->sort_lost ? "indirect" : "direct",
                 snaps[0].path);
        ls_stats_free(st);
        return -1;
    }
    if (r == 0 && o->sort_lost >= 0)
        ls_stats_sort_lost(st, o->sort_lost);
    return r;
}

/* Prints st as text or JSON; returns the exit status. */
static int print_stats(const ls_stats_t *st, const ls_snapshot_t snaps[2], int nsnap, const stats_args_t *o)
{
    if (o->json)
        ls_stats_print_json(stdout, st, o->key, nsnap == 2, (size_t)o->limit);
    else
        print_text(stdout, st, snaps, nsnap, o->key, o->cumulative, (size_t)o->limit);
    return fflush(stdout) == 0 && !ferror(stdout) ? LS_EXIT_OK : ls_error("%s: cannot write the output", o->cmd);
}

int ls_stats_command(int argc, char **argv, int nsnap)
{
    stats_args_t o = {nsnap == 1 ? ls_top_spec.name : ls_diff_spec.name, 0, 0, 0, -1, LS_BY_LINENO, 0, 0};
    const char *args[2];
    int rc = stats_args(argc, argv, nsnap, &o, args);
    if (rc >= 0)
        return rc;
    char err[1024];
    ls_snapshot_t snaps[2];
    memset(snaps, 0, sizeof snaps);
    int loaded = load_snapshots(args, nsnap, o.pid, snaps, err, sizeof err), r = -1;
    if (loaded == nsnap) {
        ls_symbolizer_t *sym = ls_symbolizer_new();
        for (int k = 0; k < nsnap; k++)
            ls_symbolize_snapshot(sym, &snaps[k]);
        ls_stats_t st;
        r = compute_stats(snaps, nsnap, &o, &st, err, sizeof err);
        if (r == 0) {
            rc = print_stats(&st, snaps, nsnap, &o);
            ls_stats_free(&st);
        }
        ls_symbolizer_free(sym);
    }
    for (int k = 0; k < loaded; k++)
        ls_snapshot_free(&snaps[k]);
    return r < 0 ? ls_error("%s", err) : rc;
}

int ls_cmd_top(int argc, char **argv)
{
    return ls_stats_command(argc, argv, 1);
}
