/*
 * analysis.c — from a run directory to classified, ordered sites, module usage and the
 * policy's verdict (report.h): the part `report`, `gate` and `run` share, so that the
 * verdict a report prints is the one the gate exits with. The rules live in rules.c.
 */
#include "report.h"
#include "rules.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "locations.h"
#include "lost.h"
#include "util.h"

const char *ls_site_label(const ls_site_result_t *r, char *buf, size_t len)
{
    const ls_frame_info_t *l = r->loc;
    if (l->file && strcmp(l->file, "??") != 0)
        snprintf(buf, len, "%s (%s:%d)", l->function, l->file, l->line);
    else
        snprintf(buf, len, "%s (%s)", l->function, l->module);
    return buf;
}

/* How much a site matters, lower first. */
static int importance(const ls_class_t *c)
{
    switch (c->pattern) {
    case LS_PAT_LEAK: return 0;
    case LS_PAT_INCONCLUSIVE: return c->trend == LS_TREND_INCREASING ? 1 : 5;
    case LS_PAT_WARMUP: return 2;
    case LS_PAT_BOUNDED: return 3;
    case LS_PAT_SHRINKING: return 4;
    case LS_PAT_STABLE: return 6;
    }
    return 7;
}

static int cmp_site(const void *pa, const void *pb)
{
    const ls_site_result_t *a = pa, *b = pb;
    int ia = importance(&a->c), ib = importance(&b->c);
    if (ia != ib)
        return ia - ib;
    if (a->c.severity != b->c.severity)
        return (int)b->c.severity - (int)a->c.severity;
    if (ia <= 1 && a->c.bytes_per_step != b->c.bytes_per_step)
        return a->c.bytes_per_step > b->c.bytes_per_step ? -1 : 1;
    if (a->live_bytes != b->live_bytes)
        return a->live_bytes > b->live_bytes ? -1 : 1;
    return (a->s->id > b->s->id) - (a->s->id < b->s->id);
}

static void analyse_process(ls_analysis_t *a, size_t pi)
{
    const ls_policy_t *pol = a->policy;
    const ls_proc_series_t *p = &a->series.procs[pi];
    ls_proc_result_t *r = &a->procs[pi];
    r->p = p;
    r->n_sites = p->n_sites;
    r->sites = ls_xcalloc(p->n_sites ? p->n_sites : 1, sizeof *r->sites);
    ls_series_view_t *views = ls_xcalloc(p->n_sites ? p->n_sites : 1, sizeof *views);
    ls_class_t *cls = ls_xcalloc(p->n_sites ? p->n_sites : 1, sizeof *cls);
    for (size_t i = 0; i < p->n_sites; i++)
        views[i] = ls_series_view(p, i);
    ls_classify(views, p->n_sites, &pol->cls, cls);
    double x0 = p->n ? p->x[0] : 0; /* the views are relative to the first step */
    for (size_t i = 0; i < p->n_sites; i++)
        cls[i].burn_in += x0;
    double span = p->n > 1 ? (p->x[p->n - 1] - p->x[0]) / (double)(p->n - 1) : 0;
    for (size_t i = 0; i < p->n_sites; i++) {
        ls_site_result_t *s = &r->sites[i];
        s->s = &p->sites[i];
        s->loc = ls_site_location(s->s);
        s->c = cls[i];
        s->index = i;
        ls_lost_upgrade(p, s); /* lost at exit and growing is a leak (issue 13) */
        s->live_bytes = p->n ? s->s->bytes[p->n - 1] : 0;
        s->live_count = p->n ? s->s->count[p->n - 1] : 0;
        s->bytes_per_snapshot = s->c.bytes_per_step * span;
        s->sup = s->s->info ? ls_policy_suppressed(pol, s->s->info, s->s->ninfo) : NULL;
        r->counts[s->c.pattern]++;
    }
    /* The process's total, classified as one more series without age data. */
    ls_series_view_t tv = {.n = p->n, .x = p->x_rel, .y = p->traced, .t_s = p->t_s, .marked = p->marked};
    tv.last_is_teardown = p->n > 0 && p->labels[p->n - 1] && strcmp(p->labels[p->n - 1], "exit") == 0;
    ls_classify(&tv, 1, &pol->cls, &r->total);
    r->total.burn_in += x0;
    r->modules = ls_xcalloc(pol->n_modules ? pol->n_modules : 1, sizeof *r->modules);
    for (size_t m = 0; m < pol->n_modules; m++)
        for (size_t i = 0; i < p->n_sites; i++) {
            ls_site_result_t *s = &r->sites[i];
            if (s->sup || !s->s->info || !ls_module_matches(&pol->modules[m], s->s->info, s->s->ninfo))
                continue;
            r->modules[m].live_bytes += s->live_bytes;
            if (s->c.trend == LS_TREND_INCREASING &&
                (s->c.pattern == LS_PAT_LEAK || s->c.pattern == LS_PAT_INCONCLUSIVE))
                r->modules[m].bytes_per_step += s->c.bytes_per_step;
        }
    ls_sampling_adjust(a, pi); /* issue 11: verdicts on sampled estimates' intervals */
    qsort(r->sites, r->n_sites, sizeof *r->sites, cmp_site);
    ls_locations_build(r, &pol->cls); /* after the sort: the groups point at the sorted sites */
    free(views);
    free(cls);
    ls_rules_evaluate(a, pi);
}

int ls_analyze(const char *dir, const ls_policy_t *policy, ls_analysis_t *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->policy = policy;
    if (ls_series_load(dir, &a->series, err, errlen) < 0)
        return -1;
    a->n_procs = a->series.n_procs;
    a->procs = ls_xcalloc(a->n_procs ? a->n_procs : 1, sizeof *a->procs);
    for (size_t i = 0; i < a->n_procs; i++)
        analyse_process(a, i);
    ls_rules_recompute_fail(a);
    return 0;
}

void ls_analysis_free(ls_analysis_t *a)
{
    for (size_t i = 0; i < a->n_procs; i++) {
        ls_locations_free(&a->procs[i]);
        free(a->procs[i].sites);
        free(a->procs[i].modules);
    }
    for (size_t i = 0; i < a->n_v; i++) {
        free(a->v[i].rule);
        free(a->v[i].message);
    }
    free(a->v);
    free(a->procs);
    ls_series_free(&a->series);
    memset(a, 0, sizeof *a);
}

