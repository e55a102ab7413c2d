/*
 * report.c — from a run directory to classified, ordered sites and the policy's verdict
 * (report.h): the part `report`, `gate` and `run` share, so that the verdict a report
 * prints is the one the gate exits with.
 */
#include "report.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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

__attribute__((format(printf, 5, 6))) static void add_violation(ls_analysis_t *a, size_t proc,
                                                                const ls_site_result_t *site, const char *rule,
                                                                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    if (msg && site && a->n_procs > 1) { /* several processes: say which one */
        const ls_proc_series_t *p = a->procs[proc].p;
        char *named = ls_xasprintf("%s (pid %llu): %s", p->prog, (unsigned long long)p->pid, msg);
        free(msg);
        msg = named;
    }
    a->v = ls_xrealloc(a->v, (a->n_v + 1) * sizeof *a->v);
    a->v[a->n_v++] = (ls_violation_t){proc, site, ls_xstrdup(rule), msg ? msg : ls_xstrdup(rule), 0};
}

const char *ls_format_rate(char *buf, size_t len, double bytes)
{
    int64_t r = (int64_t)llround(bytes);
    return ls_format_size(buf, len, r, r != 0);
}

static const char *sz(char *buf, size_t len, double bytes) { return ls_format_size(buf, len, (int64_t)llround(bytes), 0); }

/* The policy's rules over one process. */
static void evaluate(ls_analysis_t *a, size_t pi)
{
    const ls_policy_t *pol = a->policy;
    ls_proc_result_t *r = &a->procs[pi];
    char b1[32], b2[32], b3[32], lab[512];
    const char *unit = r->p->marked ? "step" : "snapshot";
    for (size_t i = 0; i < r->n_sites; i++) {
        ls_site_result_t *s = &r->sites[i];
        if (s->sup)
            continue;
        const ls_class_t *c = &s->c;
        if (c->pattern == LS_PAT_LEAK && (int)c->severity >= pol->fail_on) {
            add_violation(a, pi, s, "leak",
                          "%s: leak of severity %s: %s/%s, %s live, projected %s over the horizon (rule: fail_on %s)",
                          ls_site_label(s, lab, sizeof lab), ls_severity_name(c->severity),
                          ls_format_rate(b1, sizeof b1, c->bytes_per_step), unit,
                          sz(b2, sizeof b2, s->live_bytes), sz(b3, sizeof b3, c->projected_bytes),
                          ls_severity_name(pol->fail_on));
            s->violated = 1;
        }
        int growing = c->trend == LS_TREND_INCREASING && (c->pattern == LS_PAT_LEAK || c->pattern == LS_PAT_INCONCLUSIVE);
        if (growing && pol->max_bytes_per_step >= 0 && c->bytes_per_step > pol->max_bytes_per_step) {
            add_violation(a, pi, s, "growth.max_bytes_per_step", "%s: grows %s/%s, budget %s/%s",
                          ls_site_label(s, lab, sizeof lab), sz(b1, sizeof b1, c->bytes_per_step), unit,
                          sz(b2, sizeof b2, pol->max_bytes_per_step), unit);
            s->violated = 1;
        }
        if (growing && pol->max_bytes_per_snapshot >= 0 && s->bytes_per_snapshot > pol->max_bytes_per_snapshot) {
            add_violation(a, pi, s, "growth.max_bytes_per_snapshot", "%s: grows %s per snapshot interval, budget %s",
                          ls_site_label(s, lab, sizeof lab), sz(b1, sizeof b1, s->bytes_per_snapshot),
                          sz(b2, sizeof b2, pol->max_bytes_per_snapshot));
            s->violated = 1;
        }
    }
    if (pol->max_bytes >= 0) {
        double peak = (double)r->p->traced_peak;
        double pct = pol->max_bytes > 0 ? 100.0 * peak / pol->max_bytes : INFINITY;
        if (pct >= pol->critical_pct)
            add_violation(a, pi, NULL, "global.max_bytes",
                          "%s (pid %llu): peak traced memory %s is %.1f%% of the budget %s (critical at %g%%)",
                          r->p->prog, (unsigned long long)r->p->pid, sz(b1, sizeof b1, peak), pct,
                          sz(b2, sizeof b2, pol->max_bytes), pol->critical_pct);
        else if (pct >= pol->warning_pct) {
            add_violation(a, pi, NULL, "global.max_bytes",
                          "%s (pid %llu): peak traced memory %s is %.1f%% of the budget %s (warning at %g%%)",
                          r->p->prog, (unsigned long long)r->p->pid, sz(b1, sizeof b1, peak), pct,
                          sz(b2, sizeof b2, pol->max_bytes), pol->warning_pct);
            a->v[a->n_v - 1].warning = 1;
        }
    }
    for (size_t m = 0; m < pol->n_modules; m++) {
        const ls_module_budget_t *mb = &pol->modules[m];
        const ls_module_usage_t *u = &r->modules[m];
        char *rule = ls_xasprintf("module:%s", mb->name);
        if (mb->max_bytes >= 0 && u->live_bytes > mb->max_bytes)
            add_violation(a, pi, NULL, rule, "module %s in %s (pid %llu): %s live at the end, budget %s", mb->name,
                          r->p->prog, (unsigned long long)r->p->pid, sz(b1, sizeof b1, u->live_bytes),
                          sz(b2, sizeof b2, mb->max_bytes));
        if (mb->max_bytes_per_step >= 0 && u->bytes_per_step > mb->max_bytes_per_step)
            add_violation(a, pi, NULL, rule, "module %s in %s (pid %llu): grows %s/%s, budget %s/%s", mb->name,
                          r->p->prog, (unsigned long long)r->p->pid, sz(b1, sizeof b1, u->bytes_per_step), unit,
                          sz(b2, sizeof b2, mb->max_bytes_per_step), unit);
        free(rule);
    }
}

/* Issue 13: the exit snapshot's scan under the policy's `unreachable` rule — every site
 * with direct leaks is named; they fail the gate when the process's direct-leak bytes pass
 * max_direct_leak_bytes under `unreachable: fail`, else they are warnings. */
static void evaluate_unreachable(ls_analysis_t *a, size_t pi)
{
    const ls_policy_t *pol = a->policy;
    ls_proc_result_t *r = &a->procs[pi];
    if (!r->p->has_scan || pol->unreachable == LS_UNREACHABLE_OFF)
        return;
    double total = ls_lost_direct_bytes(r);
    int fails = pol->unreachable == LS_UNREACHABLE_FAIL && total > pol->max_direct_leak_bytes;
    char lab[512], b1[32], b2[32];
    for (size_t i = 0; i < r->n_sites; i++) {
        ls_site_result_t *s = &r->sites[i];
        if (s->sup || !s->s->direct_count)
            continue;
        add_violation(a, pi, s, "unreachable",
                      "%s: direct leak of %llu byte(s) in %llu object(s) at exit (%s in all, allowed %s)",
                      ls_site_label(s, lab, sizeof lab), (unsigned long long)s->s->direct_bytes,
                      (unsigned long long)s->s->direct_count, sz(b1, sizeof b1, total),
                      pol->unreachable == LS_UNREACHABLE_FAIL ? sz(b2, sizeof b2, pol->max_direct_leak_bytes) : "any (report)");
        a->v[a->n_v - 1].warning = !fails;
        s->violated |= fails;
    }
}

static void recompute_fail(ls_analysis_t *a)
{
    a->fail = 0;
    for (size_t i = 0; i < a->n_procs; i++)
        a->procs[i].fail = 0;
    for (size_t i = 0; i < a->n_v; i++)
        if (!a->v[i].warning) {
            a->fail = 1;
            a->procs[a->v[i].proc].fail = 1;
        }
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
    double span = p->n > 1 ? (p->x[p->n - 1] - p->x[0]) / (double)(p->n - 1) : 0;
    for (size_t i = 0; i < p->n_sites; i++) {
        ls_site_result_t *s = &r->sites[i];
        s->s = &p->sites[i];
        s->loc = ls_site_location(s->s);
        s->c = cls[i];
        s->index = i;
        ls_lost_upgrade(p, s); /* issue 13: lost at exit and growing is a leak */
        s->live_bytes = p->n ? s->s->bytes[p->n - 1] : 0;
        s->live_count = p->n ? s->s->count[p->n - 1] : 0;
        s->bytes_per_snapshot = s->c.bytes_per_step * span;
        s->sup = s->s->info ? ls_policy_suppressed(pol, s->s->info, s->s->nframes) : NULL;
        r->counts[s->c.pattern]++;
    }
    /* The process's total, classified as one more series without age data. */
    ls_series_view_t tv = {.n = p->n, .x = p->x, .y = p->traced, .t_s = p->t_s, .marked = p->marked};
    tv.last_is_teardown = p->n > 0 && p->labels[p->n - 1] && strcmp(p->labels[p->n - 1], "exit") == 0;
    ls_classify(&tv, 1, &pol->cls, &r->total);
    r->modules = ls_xcalloc(pol->n_modules ? pol->n_modules : 1, sizeof *r->modules);
    for (size_t m = 0; m < pol->n_modules; m++)
        for (size_t i = 0; i < p->n_sites; i++) {
            ls_site_result_t *s = &r->sites[i];
            if (s->sup || !s->s->info || !ls_module_matches(&pol->modules[m], s->s->info, s->s->nframes))
                continue;
            r->modules[m].live_bytes += s->live_bytes;
            if (s->c.trend == LS_TREND_INCREASING &&
                (s->c.pattern == LS_PAT_LEAK || s->c.pattern == LS_PAT_INCONCLUSIVE))
                r->modules[m].bytes_per_step += s->c.bytes_per_step;
        }
    qsort(r->sites, r->n_sites, sizeof *r->sites, cmp_site);
    free(views);
    free(cls);
    evaluate(a, pi);
    evaluate_unreachable(a, pi); /* issue 13 */
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
    recompute_fail(a);
    return 0;
}

void ls_analysis_filter(ls_analysis_t *a, int (*keep)(const ls_analysis_t *a, const ls_violation_t *v, void *arg),
                        void *arg)
{
    size_t w = 0;
    for (size_t i = 0; i < a->n_procs; i++)
        for (size_t k = 0; k < a->procs[i].n_sites; k++)
            a->procs[i].sites[k].violated = 0;
    for (size_t i = 0; i < a->n_v; i++) {
        if (keep(a, &a->v[i], arg)) {
            a->v[w++] = a->v[i];
            if (a->v[i].site && !a->v[i].warning)
                ((ls_site_result_t *)a->v[i].site)->violated = 1;
        } else {
            free(a->v[i].rule);
            free(a->v[i].message);
        }
    }
    a->n_v = w;
    recompute_fail(a);
}

void ls_analysis_free(ls_analysis_t *a)
{
    for (size_t i = 0; i < a->n_procs; i++) {
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

const char *ls_sparkline(const double *y, size_t n, size_t width, char *buf, size_t len)
{
    static const char *const bars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    size_t w = n < width ? n : width, pos = 0;
    buf[0] = 0;
    if (n == 0 || len < 4)
        return buf;
    double cell[256];
    if (w > 256)
        w = 256;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t k = 0; k < w; k++) { /* each cell shows the highest value in its span */
        size_t a0 = k * n / w, a1 = (k + 1) * n / w;
        double m = y[a0];
        for (size_t i = a0; i < a1; i++)
            if (y[i] > m)
                m = y[i];
        cell[k] = m;
        if (m < lo)
            lo = m;
        if (m > hi)
            hi = m;
    }
    for (size_t k = 0; k < w && pos + 4 < len; k++) {
        int level = 0;
        if (hi - lo > 0.01 * fabs(hi))
            level = (int)floor((cell[k] - lo) / (hi - lo) * 7.0 + 0.5);
        else
            level = hi > 0 ? 3 : 0;
        memcpy(buf + pos, bars[level], 3);
        pos += 3;
    }
    buf[pos] = 0;
    return buf;
}
