/*
 * stats.c — tracemalloc's Snapshot.statistics and Snapshot.compare_to over symbolized
 * snapshots (stats.h), and their text and JSON renderings for `top` and `diff`.
 * Grouping sorts (key, size, count) items and merges runs, so equal keys from sites at
 * different addresses merge, and two groupings merge-join for a diff.
 */
#include "stats.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sampling.h"
#include "util.h"

int ls_key_type_parse(const char *name, ls_key_type_t *out)
{
    static const struct {
        const char *name;
        ls_key_type_t key;
    } names[] = {{"lineno", LS_BY_LINENO},       {"line", LS_BY_LINENO},
                 {"function", LS_BY_FUNCTION},   {"file", LS_BY_FILE},
                 {"filename", LS_BY_FILE},       {"traceback", LS_BY_TRACEBACK}};
    for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].key;
            return 0;
        }
    return -1;
}

const char *ls_key_type_name(ls_key_type_t key)
{
    switch (key) {
    case LS_BY_LINENO: return "lineno";
    case LS_BY_FUNCTION: return "function";
    case LS_BY_FILE: return "file";
    case LS_BY_TRACEBACK: return "traceback";
    }
    return "?";
}

/* ---- keys ------------------------------------------------------------------------ */

static int sc(const char *a, const char *b)
{
    return a == b ? 0 : strcmp(a ? a : "", b ? b : "");
}

static int known(const char *file)
{
    return file && *file && strcmp(file, "??") != 0;
}

static int icmp(long a, long b)
{
    return (a > b) - (a < b);
}

/* A location as a lineno key: file and line; without a file, module and function.
 * Used for a stat's own location and for each frame of a traceback. */
static int location_cmp(const char *file_a, int line_a, const char *module_a, const char *function_a,
                        const char *file_b, int line_b, const char *module_b, const char *function_b)
{
    int c = sc(file_a, file_b);
    if (c)
        return c;
    if (!known(file_a)) {
        if ((c = sc(module_a, module_b)) != 0)
            return c;
        return sc(function_a, function_b);
    }
    return icmp(line_a, line_b);
}

static int frame_cmp(const ls_frame_info_t *a, const ls_frame_info_t *b)
{
    return location_cmp(a->file, a->line, a->module, a->function, b->file, b->line, b->module, b->function);
}

/* Total order on keys; 0 exactly when two stats belong to one group. */
static int key_cmp(ls_key_type_t key, const ls_stat_t *a, const ls_stat_t *b)
{
    int c;
    switch (key) {
    case LS_BY_LINENO:
        return location_cmp(a->file, a->line, a->module, a->function, b->file, b->line, b->module, b->function);
    case LS_BY_FUNCTION:
        if ((c = sc(a->function, b->function)) != 0 || (c = sc(a->file, b->file)) != 0)
            return c;
        return known(a->file) ? 0 : sc(a->module, b->module);
    case LS_BY_FILE:
        if ((c = sc(a->file, b->file)) != 0)
            return c;
        return known(a->file) ? 0 : sc(a->module, b->module);
    case LS_BY_TRACEBACK:
        for (size_t i = 0; i < a->nframes && i < b->nframes; i++)
            if ((c = frame_cmp(&a->frames[i], &b->frames[i])) != 0)
                return c;
        return icmp((long)a->nframes, (long)b->nframes);
    }
    return 0;
}

static int cmp_key_asc(const void *x, const void *y, void *ctx)
{
    return key_cmp(*(const ls_key_type_t *)ctx, x, y);
}

static uint64_t mag(int64_t v)
{
    return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

static int ucmp(uint64_t a, uint64_t b)
{
    return (a > b) - (a < b);
}

/* tracemalloc Statistic._sort_key, reversed: size, count, key — descending. */
static int cmp_stat_desc(const void *x, const void *y, void *ctx)
{
    const ls_stat_t *a = x, *b = y;
    int c;
    if ((c = ucmp(b->size, a->size)) != 0 || (c = ucmp(b->count, a->count)) != 0)
        return c;
    return key_cmp(*(const ls_key_type_t *)ctx, b, a);
}

/* tracemalloc StatisticDiff._sort_key, reversed: |size_diff|, size, |count_diff|, count, key. */
static int cmp_diff_desc(const void *x, const void *y, void *ctx)
{
    const ls_stat_t *a = x, *b = y;
    int c;
    if ((c = ucmp(mag(b->size_diff), mag(a->size_diff))) != 0 || (c = ucmp(b->size, a->size)) != 0 ||
        (c = ucmp(mag(b->count_diff), mag(a->count_diff))) != 0 || (c = ucmp(b->count, a->count)) != 0)
        return c;
    return key_cmp(*(const ls_key_type_t *)ctx, b, a);
}

/* ---- grouping ---------------------------------------------------------------------- */

static void item_from_frame(ls_stat_t *it, ls_key_type_t key, const ls_frame_info_t *f)
{
    memset(it, 0, sizeof *it);
    it->function = key == LS_BY_FILE ? NULL : f->function;
    it->file = f->file;
    it->line = key == LS_BY_FILE ? 0 : f->line;
    it->module = f->module;
}

/* The number of items `snap` gives (its sites with something live, times their frames from
 * the location outward when cumulative); -1 with err set when it is not symbolized. */
static long count_items(const ls_snapshot_t *snap, int cumulative, char *err, size_t errlen)
{
    size_t cap = 0;
    for (size_t i = 0; i < snap->n_sites; i++) {
        const ls_site_t *s = &snap->sites[i];
        if (!s->info || s->loc < 0 || s->loc >= s->ninfo) {
            snprintf(err, errlen, "%s: not symbolized", snap->path ? snap->path : "(snapshot)");
            return -1;
        }
        if (s->live_count || s->live_bytes)
            cap += cumulative ? (size_t)(s->ninfo - s->loc) : 1;
    }
    return (long)cap;
}

/* The item of site `s` keyed by its frame j. */
static void site_item(ls_stat_t *it, const ls_snapshot_t *snap, const ls_site_t *s, int j, ls_key_type_t key)
{
    item_from_frame(it, key, &s->info[j]);
    if (key == LS_BY_TRACEBACK) {
        it->frames = &s->info[s->loc];
        it->nframes = (size_t)(s->ninfo - s->loc);
    }
    it->size = s->live_bytes;
    it->count = s->live_count;
    it->has_scan = snap->has_scan; /* issue 13 */
    it->direct_size = s->direct_bytes;
    it->direct_count = s->direct_count;
    it->indirect_size = s->indirect_bytes;
    it->indirect_count = s->indirect_count;
}

/* Appends the items of every live site to items[] (a key met twice in one trace once);
 * returns their number. */
static size_t collect_items(const ls_snapshot_t *snap, ls_key_type_t key, int cumulative, ls_stat_t *items)
{
    size_t n = 0;
    for (size_t i = 0; i < snap->n_sites; i++) {
        const ls_site_t *s = &snap->sites[i];
        if (!s->live_count && !s->live_bytes)
            continue; /* like tracemalloc, which only sees live traces */
        size_t first = n;
        for (int j = s->loc; j < s->ninfo; j++) {
            ls_stat_t it;
            site_item(&it, snap, s, j, key);
            int dup = 0;
            for (size_t k = first; k < n && !dup; k++)
                dup = key_cmp(key, &items[k], &it) == 0;
            if (!dup)
                items[n++] = it;
            if (!cumulative)
                break;
        }
    }
    return n;
}

/* Adds item b into its group g. */
static void merge_item(ls_stat_t *g, const ls_stat_t *b, ls_key_type_t key)
{
    g->size += b->size;
    g->count += b->count;
    g->direct_size += b->direct_size;
    g->direct_count += b->direct_count;
    g->indirect_size += b->indirect_size;
    g->indirect_count += b->indirect_count;
    /* Representatives that do not depend on the order of sites in the file. */
    if (key == LS_BY_LINENO && sc(b->function, g->function) < 0)
        g->function = b->function;
    if (key == LS_BY_FUNCTION && b->line > 0 && (g->line == 0 || b->line < g->line))
        g->line = b->line;
}

/* Merges runs of equal keys in items[0..n), sorted by key, in place; returns the groups. */
static size_t merge_runs(ls_stat_t *items, size_t n, ls_key_type_t key)
{
    size_t m = 0;
    for (size_t i = 0; i < n;) {
        ls_stat_t g = items[i];
        size_t j = i + 1;
        for (; j < n && key_cmp(key, &items[j], &g) == 0; j++)
            merge_item(&g, &items[j], key);
        items[m++] = g;
        i = j;
    }
    return m;
}

/* Groups one snapshot: the result is sorted by key, ascending, for merge-joins. */
static int group(const ls_snapshot_t *snap, ls_key_type_t key, int cumulative, ls_stat_t **outp,
                 size_t *np, char *err, size_t errlen)
{
    *outp = NULL;
    *np = 0;
    if (cumulative && key == LS_BY_TRACEBACK) {
        snprintf(err, errlen, "cumulative mode cannot be used with key type 'traceback'");
        return -1;
    }
    long cap = count_items(snap, cumulative, err, errlen);
    if (cap < 0)
        return -1;
    ls_stat_t *items = ls_xmalloc((cap ? (size_t)cap : 1) * sizeof *items);
    size_t n = collect_items(snap, key, cumulative, items);
    qsort_r(items, n, sizeof *items, cmp_key_asc, &key);
    *outp = items;
    *np = merge_runs(items, n, key);
    return 0;
}

/* Issue 11: a snapshot's sampling rate (its SAMPLING record), 0 when exact or unknown;
 * *sampled set when its figures are estimates. */
static uint64_t snapshot_rate(const ls_snapshot_t *snap, int *sampled)
{
    if (!(snap->state_flags & LS_FMT_STATE_SAMPLED))
        return 0;
    *sampled = 1;
    ls_sampling_t smp;
    char err[512];
    if (!snap->path || ls_sampling_read(snap->path, &smp, err, sizeof err) < 0)
        return 0;
    uint64_t rate = smp.rate;
    ls_sampling_free(&smp);
    return rate;
}

int ls_statistics(const ls_snapshot_t *snap, ls_key_type_t key, int cumulative, ls_stats_t *out,
                  char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (group(snap, key, cumulative, &out->stats, &out->n, err, errlen) < 0)
        return -1;
    qsort_r(out->stats, out->n, sizeof *out->stats, cmp_stat_desc, &key);
    out->nsnap = 1;
    out->sample_rate[0] = snapshot_rate(snap, &out->estimated);
    return 0;
}

int ls_compare_to(const ls_snapshot_t *old_snap, const ls_snapshot_t *new_snap, ls_key_type_t key,
                  int cumulative, ls_stats_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    ls_stat_t *a, *b;
    size_t na, nb;
    if (group(old_snap, key, cumulative, &a, &na, err, errlen) < 0)
        return -1;
    if (group(new_snap, key, cumulative, &b, &nb, err, errlen) < 0) {
        free(a);
        return -1;
    }
    ls_stat_t *r = ls_xmalloc((na + nb + 1) * sizeof *r);
    size_t n = 0, i = 0, j = 0;
    while (i < na || j < nb) {
        int c = i == na ? 1 : j == nb ? -1 : key_cmp(key, &a[i], &b[j]);
        ls_stat_t s;
        if (c > 0) { /* new key */
            s = b[j++];
            s.size_diff = (int64_t)s.size;
            s.count_diff = (int64_t)s.count;
        } else if (c < 0) { /* gone from NEW */
            s = a[i++];
            s.size_diff = (int64_t)((uint64_t)0 - s.size);
            s.count_diff = (int64_t)((uint64_t)0 - s.count);
            s.size = 0;
            s.count = 0;
        } else {
            s = b[j];
            s.size_diff = (int64_t)(b[j].size - a[i].size);
            s.count_diff = (int64_t)(b[j].count - a[i].count);
            i++, j++;
        }
        r[n++] = s;
    }
    free(a);
    free(b);
    qsort_r(r, n, sizeof *r, cmp_diff_desc, &key);
    out->stats = r;
    out->n = n;
    out->nsnap = 2;
    out->sample_rate[0] = snapshot_rate(old_snap, &out->estimated);
    out->sample_rate[1] = snapshot_rate(new_snap, &out->estimated);
    return 0;
}

void ls_stats_free(ls_stats_t *st)
{
    if (!st)
        return;
    free(st->stats);
    st->stats = NULL;
    st->n = 0;
}

/* ---- output ------------------------------------------------------------------------- */

static const char *base_name(const char *path)
{
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : path ? path : "??";
}

static void print_frame(FILE *f, const ls_frame_info_t *fr)
{
    if (known(fr->file))
        fprintf(f, "%s:%d (%s)", fr->file, fr->line, fr->function);
    else if (fr->module && strcmp(fr->module, "??") != 0)
        fprintf(f, "%s (%s)", fr->function, base_name(fr->module));
    else
        fprintf(f, "0x%" PRIx64 " (?\?)", fr->addr);
}

static void print_key(FILE *f, const ls_stat_t *s, ls_key_type_t key)
{
    int k = known(s->file);
    switch (key) {
    case LS_BY_LINENO:
    case LS_BY_TRACEBACK:
        if (k)
            fprintf(f, "%s:%d", s->file, s->line);
        else
            fprintf(f, "%s (%s)", s->function, base_name(s->module));
        break;
    case LS_BY_FUNCTION:
        if (k)
            fprintf(f, "%s (%s:%d)", s->function, s->file, s->line);
        else
            fprintf(f, "%s (%s)", s->function, base_name(s->module));
        break;
    case LS_BY_FILE:
        fputs(k ? s->file : s->module, f);
        break;
    }
}

/* One group's figures: size, count, average, what the scan found lost; est is "~" or "". */
static void print_figures(FILE *f, const ls_stat_t *s, int diff, const char *est)
{
    char a[32], b[32];
    fprintf(f, ": size=%s%s", est, ls_format_size(a, sizeof a, (int64_t)s->size, 0));
    if (diff)
        fprintf(f, " (%s%s)", est, ls_format_size(b, sizeof b, s->size_diff, 1));
    fprintf(f, ", count=%s%" PRIu64, est, s->count);
    if (diff)
        fprintf(f, " (%s%+" PRId64 ")", est, s->count_diff);
    if (s->count)
        fprintf(f, ", average=%s%s", est,
                ls_format_size(a, sizeof a, (int64_t)((s->size + s->count / 2) / s->count), 0));
    if (s->has_scan && !diff && s->direct_count + s->indirect_count) /* issue 13 */
        fprintf(f, ", lost: direct=%s in %" PRIu64 ", indirect=%s in %" PRIu64,
                ls_format_size(a, sizeof a, (int64_t)s->direct_size, 0), s->direct_count,
                ls_format_size(b, sizeof b, (int64_t)s->indirect_size, 0), s->indirect_count);
}

void ls_stats_print_text(FILE *f, const ls_stats_t *st, ls_key_type_t key, int diff, size_t limit)
{
    size_t n = limit && limit < st->n ? limit : st->n;
    for (size_t i = 0; i < n; i++) {
        const ls_stat_t *s = &st->stats[i];
        print_key(f, s, key);
        print_figures(f, s, diff, LS_EST(st->estimated));
        fputc('\n', f);
        for (size_t j = 0; key == LS_BY_TRACEBACK && j < s->nframes; j++) {
            fputs("  ", f);
            print_frame(f, &s->frames[j]);
            fputc('\n', f);
        }
    }
}

/* "sampled at 64 KiB" or "exact" for one snapshot. */
static const char *rate_words(char *buf, size_t len, uint64_t rate)
{
    char r[32];
    if (!rate)
        snprintf(buf, len, "exact");
    else
        snprintf(buf, len, "sampled at %s", ls_sampling_rate_text(r, sizeof r, rate));
    return buf;
}

void ls_stats_print_note(FILE *f, const ls_stats_t *st)
{
    if (!st->estimated)
        return;
    char a[64], b[64];
    const uint64_t *r = st->sample_rate;
    if (st->nsnap == 1 || r[0] == r[1])
        fprintf(f, "note: %s", r[0] ? rate_words(a, sizeof a, r[0]) : "sampled");
    else
        fprintf(f, "note: old %s, new %s", rate_words(a, sizeof a, r[0]), rate_words(b, sizeof b, r[1]));
    fputs(" (LEAKSCOPE_SAMPLE): figures marked ~ are estimates; `leakscope report` gives their 95% "
          "intervals\n", f);
}

static void json_frame_fields(FILE *f, const char *function, const char *file, int line, const char *module)
{
    fputs("\"function\": ", f);
    ls_json_string(f, function);
    fputs(", \"file\": ", f);
    ls_json_string(f, file);
    fprintf(f, ", \"line\": %d, \"module\": ", line);
    ls_json_string(f, module);
}

void ls_stats_print_json(FILE *f, const ls_stats_t *st, ls_key_type_t key, int diff, size_t limit)
{
    size_t n = limit && limit < st->n ? limit : st->n;
    fprintf(f, "{\"schema_version\": %d", LS_JSON_SCHEMA_VERSION);
    if (st->estimated && st->nsnap == 2) /* issue 11 */
        fprintf(f, ", \"estimated\": true, \"old_sample_rate\": %" PRIu64 ", \"new_sample_rate\": %" PRIu64,
                st->sample_rate[0], st->sample_rate[1]);
    else if (st->estimated)
        fprintf(f, ", \"estimated\": true, \"sample_rate\": %" PRIu64, st->sample_rate[0]);
    fputs(", \"stats\": [", f);
    for (size_t i = 0; i < n; i++) {
        const ls_stat_t *s = &st->stats[i];
        fputs(i ? ",\n  {" : "\n  {", f);
        json_frame_fields(f, s->function, s->file, s->line, s->module);
        fprintf(f, ", \"size\": %" PRIu64, s->size);
        if (diff)
            fprintf(f, ", \"size_diff\": %" PRId64, s->size_diff);
        fprintf(f, ", \"count\": %" PRIu64, s->count);
        if (diff)
            fprintf(f, ", \"count_diff\": %" PRId64, s->count_diff);
        if (s->has_scan && !diff) /* issue 13 */
            fprintf(f, ", \"direct_leak_bytes\": %" PRIu64 ", \"direct_leak_count\": %" PRIu64
                       ", \"indirect_leak_bytes\": %" PRIu64 ", \"indirect_leak_count\": %" PRIu64,
                    s->direct_size, s->direct_count, s->indirect_size, s->indirect_count);
        if (key == LS_BY_TRACEBACK) {
            fputs(", \"frames\": [", f);
            for (size_t j = 0; j < s->nframes; j++) {
                const ls_frame_info_t *fr = &s->frames[j];
                fputs(j ? ", {" : "{", f);
                json_frame_fields(f, fr->function, fr->file, fr->line, fr->module);
                fputc('}', f);
            }
            fputc(']', f);
        }
        fputc('}', f);
    }
    fputs(n ? "\n]}\n" : "]}\n", f);
}

/* ---- issue 13: ordering by what the reachability scan found lost ------------------ */

static int cmp_lost(const void *pa, const void *pb, void *arg)
{
    const ls_stat_t *a = pa, *b = pb;
    int indirect = *(const int *)arg;
    uint64_t la = indirect ? a->indirect_size : a->direct_size, lb = indirect ? b->indirect_size : b->direct_size;
    if (la != lb)
        return la > lb ? -1 : 1;
    if (a->size != b->size)
        return a->size > b->size ? -1 : 1;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    int c = sc(a->file, b->file);
    return c ? c : a->line - b->line;
}

void ls_stats_sort_lost(ls_stats_t *st, int indirect)
{
    qsort_r(st->stats, st->n, sizeof *st->stats, cmp_lost, &indirect);
}
