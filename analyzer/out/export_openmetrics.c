/*
 * export_openmetrics.c — `export --format openmetrics` and `watch`: an analysed run in the
 * Prometheus text exposition format (version 0.0.4, what node_exporter's textfile collector
 * reads), with the names and labels of the spec:
 *   leakscope_traced_bytes, leakscope_peak_traced_bytes, leakscope_gate_failed   {program, pid}
 *   leakscope_site_live_bytes, leakscope_site_growth_bytes_per_step (per_second for a
 *   process that marks no steps), leakscope_site_severity (0 none .. 4 critical)
 *                                           {program, pid, function, file, line, pattern}
 * Cardinality is bounded: per process, the sites classified `leak` (or of any severity) plus
 * the `top` largest by live bytes. Sites that share every label (one line reached by several
 * traces) are summed into one series — Prometheus rejects a repeated label set: bytes and
 * rates add up, the severity is the highest.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "util.h"

typedef struct {
    const ls_frame_info_t *loc;
    ls_pattern_t pattern;
    double live, rate;
    int severity;
} om_site_t;

typedef struct {
    om_site_t *v;
    size_t n;
} om_proc_t;

/* A label value: backslash, double quote and newline escaped as the format requires; bytes
 * that are not valid UTF-8 (a hostile or damaged snapshot) become '?'. */
static void label_value(FILE *f, const char *s)
{
    const unsigned char *c = (const unsigned char *)(s ? s : "");
    while (*c) {
        size_t len = *c < 0x80 ? 1 : (*c & 0xe0) == 0xc0 ? 2 : (*c & 0xf0) == 0xe0 ? 3 : (*c & 0xf8) == 0xf0 ? 4 : 0;
        for (size_t k = 1; k < len; k++)
            if ((c[k] & 0xc0) != 0x80)
                len = 0;
        if (len == 2 && *c < 0xc2)
            len = 0; /* overlong */
        if (len == 0) {
            fputc('?', f);
            c++;
        } else if (*c == '\\' || *c == '"') {
            fputc('\\', f), fputc(*c, f), c++;
        } else if (*c == '\n') {
            fputs("\\n", f), c++;
        } else {
            fwrite(c, 1, len, f);
            c += len;
        }
    }
}

static void proc_labels(FILE *f, const ls_proc_series_t *p)
{
    fputs("program=\"", f);
    label_value(f, p->prog);
    fprintf(f, "\",pid=\"%llu\"", (unsigned long long)p->pid);
}

static void site_labels(FILE *f, const ls_proc_series_t *p, const om_site_t *s)
{
    fputc('{', f);
    proc_labels(f, p);
    fputs(",function=\"", f);
    label_value(f, s->loc->function);
    fputs("\",file=\"", f);
    label_value(f, s->loc->file);
    fprintf(f, "\",line=\"%d\",pattern=\"%s\"}", s->loc->line, ls_pattern_name(s->pattern));
}

static void value(FILE *f, double v)
{
    if (isnan(v))
        fputs(" NaN\n", f);
    else if (isinf(v))
        fputs(v > 0 ? " +Inf\n" : " -Inf\n", f);
    else if (v == floor(v) && fabs(v) < 1e15)
        fprintf(f, " %.0f\n", v);
    else
        fprintf(f, " %.10g\n", v);
}

static int same_labels(const om_site_t *a, const ls_site_result_t *b)
{
    return a->pattern == b->c.pattern && a->loc->line == b->loc->line && !strcmp(a->loc->function, b->loc->function) &&
           !strcmp(a->loc->file, b->loc->file);
}

static int cmp_live(const void *pa, const void *pb)
{
    const ls_site_result_t *a = *(const ls_site_result_t *const *)pa, *b = *(const ls_site_result_t *const *)pb;
    if (a->live_bytes != b->live_bytes)
        return a->live_bytes > b->live_bytes ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

static void add_site(om_proc_t *o, const ls_proc_series_t *p, const ls_site_result_t *r)
{
    double rate = p->marked ? r->c.bytes_per_step : r->c.bytes_per_second;
    for (size_t i = 0; i < o->n; i++)
        if (same_labels(&o->v[i], r)) {
            o->v[i].live += r->live_bytes;
            o->v[i].rate += rate;
            if ((int)r->c.severity > o->v[i].severity)
                o->v[i].severity = (int)r->c.severity;
            return;
        }
    o->v[o->n++] = (om_site_t){r->loc, r->c.pattern, r->live_bytes, rate, (int)r->c.severity};
}

/* The sites of one process that get series: leaking ones, then the largest. */
static void select_sites(const ls_proc_result_t *r, size_t top, om_proc_t *o)
{
    const ls_site_result_t **by_live = ls_xcalloc(r->n_sites + 1, sizeof *by_live);
    o->v = ls_xcalloc(r->n_sites + 1, sizeof *o->v);
    o->n = 0;
    size_t n = 0;
    for (size_t i = 0; i < r->n_sites; i++) {
        const ls_site_result_t *s = &r->sites[i];
        if (s->c.pattern == LS_PAT_LEAK || s->c.severity != LS_SEV_NONE)
            add_site(o, r->p, s);
        else
            by_live[n++] = s;
    }
    qsort(by_live, n, sizeof *by_live, cmp_live);
    for (size_t i = 0; i < n && i < top && by_live[i]->live_bytes > 0; i++)
        add_site(o, r->p, by_live[i]);
    free(by_live);
}

static void family(FILE *f, const char *name, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

enum { SITE_LIVE, SITE_RATE_STEP, SITE_RATE_SECOND, SITE_SEVERITY };

static void site_family(FILE *f, const ls_analysis_t *a, const om_proc_t *o, int which)
{
    static const char *const names[] = {"leakscope_site_live_bytes", "leakscope_site_growth_bytes_per_step",
                                        "leakscope_site_growth_bytes_per_second", "leakscope_site_severity"};
    static const char *const help[] = {
        "Bytes live at the last snapshot, allocated at this site.",
        "Growth rate of the site's live bytes after the warm-up, per leakscope_mark step.",
        "Growth rate of the site's live bytes after the warm-up, per second (the program marks no steps).",
        "Severity of the site's growth: 0 none, 1 low, 2 medium, 3 high, 4 critical."};
    int any = 0;
    for (size_t pi = 0; pi < a->n_procs; pi++) {
        const ls_proc_series_t *p = a->procs[pi].p;
        if ((which == SITE_RATE_STEP && !p->marked) || (which == SITE_RATE_SECOND && p->marked))
            continue;
        for (size_t i = 0; i < o[pi].n; i++) {
            const om_site_t *s = &o[pi].v[i];
            if (!any++)
                family(f, names[which], help[which]);
            fputs(names[which], f);
            site_labels(f, p, s);
            value(f, which == SITE_LIVE ? s->live : which == SITE_SEVERITY ? s->severity : s->rate);
        }
    }
}

static void proc_family(FILE *f, const ls_analysis_t *a, const char *name, const char *help, int which)
{
    family(f, name, help);
    for (size_t pi = 0; pi < a->n_procs; pi++) {
        const ls_proc_series_t *p = a->procs[pi].p;
        double v = which == 0 ? (p->n ? p->traced[p->n - 1] : 0) : which == 1 ? (double)p->traced_peak : a->procs[pi].fail;
        fprintf(f, "%s{", name);
        proc_labels(f, p);
        fputc('}', f);
        value(f, v);
    }
}

void ls_export_openmetrics(FILE *f, const ls_analysis_t *a, size_t top)
{
    om_proc_t *o = ls_xcalloc(a->n_procs + 1, sizeof *o);
    for (size_t pi = 0; pi < a->n_procs; pi++)
        select_sites(&a->procs[pi], top, &o[pi]);
    proc_family(f, a, "leakscope_traced_bytes", "Bytes the program had allocated and not freed at the last snapshot.", 0);
    proc_family(f, a, "leakscope_peak_traced_bytes", "Highest traced bytes of the run.", 1);
    proc_family(f, a, "leakscope_gate_failed", "1 when the process breaks the policy (leakscope gate would fail).", 2);
    for (int which = SITE_LIVE; which <= SITE_SEVERITY; which++)
        site_family(f, a, o, which);
    for (size_t pi = 0; pi < a->n_procs; pi++)
        free(o[pi].v);
    free(o);
}
