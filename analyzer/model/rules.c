/*
 * rules.c — the policy's rules over one analysed process: a leak at fail_on severity, site
 * growth budgets, the global peak budget, module and location budgets, each broken rule a structured
 * violation (kind, module index, site) with a one-line message (rules.h, report.h).
 */
#include "rules.h"

#include "locations.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lost.h"
#include "sampling.h"
#include "util.h"

int ls_rule_is_module(ls_rule_kind_t kind) { return kind == LS_RULE_MODULE_MAX_BYTES || kind == LS_RULE_MODULE_GROWTH; }
int ls_rule_is_location(ls_rule_kind_t kind) { return kind == LS_RULE_LOCATION_MAX_BYTES || kind == LS_RULE_LOCATION_GROWTH; }

/* The name people see for a rule: the policy's key, "module:<name>" or "location:<name>". */
static char *rule_name(const ls_policy_t *pol, ls_rule_kind_t kind, size_t module)
{
    switch (kind) {
    case LS_RULE_LEAK: return ls_xstrdup("leak");
    case LS_RULE_GROWTH_PER_STEP: return ls_xstrdup("growth.max_bytes_per_step");
    case LS_RULE_GROWTH_PER_SNAPSHOT: return ls_xstrdup("growth.max_bytes_per_snapshot");
    case LS_RULE_GLOBAL_MAX_BYTES: return ls_xstrdup("global.max_bytes");
    case LS_RULE_UNREACHABLE: return ls_xstrdup("unreachable");
    case LS_RULE_LOCATION_MAX_BYTES:
    case LS_RULE_LOCATION_GROWTH: return ls_xasprintf("location:%s", pol->locations[module].name);
    case LS_RULE_MODULE_MAX_BYTES:
    case LS_RULE_MODULE_GROWTH: break;
    }
    return ls_xasprintf("module:%s", pol->modules[module].name);
}

__attribute__((format(printf, 6, 7))) static void add_violation(ls_analysis_t *a, size_t proc,
                                                                const ls_site_result_t *site, ls_rule_kind_t kind,
                                                                size_t module, const char *fmt, ...)
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
    char *rule = rule_name(a->policy, kind, module);
    a->v[a->n_v++] = (ls_violation_t){proc, site, kind, module, rule, msg ? msg : ls_xstrdup(rule), 0};
}

const char *ls_format_rate(char *buf, size_t len, double bytes)
{
    int64_t r = (int64_t)llround(bytes);
    return ls_format_size(buf, len, r, r != 0);
}

static const char *sz(char *buf, size_t len, double bytes) { return ls_format_size(buf, len, (int64_t)llround(bytes), 0); }

/* Issue 11: "~" before each measured figure of a sampled process (an estimate), as `top` and
 * `diff` print them and as `gate`'s note line for the process says; "" in an exact run, whose
 * messages are unchanged. Budgets are the policy's exact numbers and stay unmarked. */
static const char *est_of(const ls_analysis_t *a, size_t pi)
{
    return LS_EST(a->procs[pi].sample_rate);
}

/* A site's rules: a leak at fail_on severity or worse, and the growth budgets. */
static void evaluate_site(ls_analysis_t *a, size_t pi, ls_site_result_t *s, const char *unit)
{
    const ls_policy_t *pol = a->policy;
    char b1[32], b2[32], b3[32], lab[512];
    const ls_class_t *c = &s->c;
    const char *est = est_of(a, pi);
    if (c->pattern == LS_PAT_LEAK && (int)c->severity >= pol->fail_on) {
        add_violation(a, pi, s, LS_RULE_LEAK, 0,
                      "%s: leak of severity %s: %s%s/%s, %s%s live, projected %s%s over the horizon (rule: fail_on %s)",
                      ls_site_label(s, lab, sizeof lab), ls_severity_name(c->severity), est,
                      ls_format_rate(b1, sizeof b1, c->bytes_per_step), unit, est,
                      sz(b2, sizeof b2, c->verdict_live_bytes), est, sz(b3, sizeof b3, c->projected_bytes),
                      ls_severity_name(pol->fail_on));
        s->violated = 1;
    }
    int growing = c->trend == LS_TREND_INCREASING && (c->pattern == LS_PAT_LEAK || c->pattern == LS_PAT_INCONCLUSIVE);
    if (growing && pol->max_bytes_per_step >= 0 && c->bytes_per_step > pol->max_bytes_per_step) {
        add_violation(a, pi, s, LS_RULE_GROWTH_PER_STEP, 0, "%s: grows %s%s/%s, budget %s/%s",
                      ls_site_label(s, lab, sizeof lab), est, sz(b1, sizeof b1, c->bytes_per_step), unit,
                      sz(b2, sizeof b2, pol->max_bytes_per_step), unit);
        s->violated = 1;
    }
    if (growing && pol->max_bytes_per_snapshot >= 0 && s->bytes_per_snapshot > pol->max_bytes_per_snapshot) {
        add_violation(a, pi, s, LS_RULE_GROWTH_PER_SNAPSHOT, 0, "%s: grows %s%s per snapshot interval, budget %s",
                      ls_site_label(s, lab, sizeof lab), est, sz(b1, sizeof b1, s->bytes_per_snapshot),
                      sz(b2, sizeof b2, pol->max_bytes_per_snapshot));
        s->violated = 1;
    }
}

/* The leak rule on a location (locations.h): its summed series classified leak at fail_on
 * severity or worse breaks the rule, reported against its most important stack, unless a
 * stack of it already broke the rule by itself at the same or a higher severity. */
static void evaluate_location(ls_analysis_t *a, size_t pi, ls_location_result_t *l, const char *unit)
{
    const ls_policy_t *pol = a->policy;
    const ls_class_t *c = &l->c;
    char b1[32], b2[32], b3[32];
    const char *est = est_of(a, pi);
    if (c->pattern != LS_PAT_LEAK || (int)c->severity < pol->fail_on)
        return;
    for (size_t i = 0; i < l->n_stacks; i++)
        if (l->stacks[i]->c.pattern == LS_PAT_LEAK && l->stacks[i]->c.severity >= c->severity)
            return;
    add_violation(a, pi, l->stacks[0], LS_RULE_LEAK, 0,
                  "%s (%s:%d): leak of severity %s at this location, summed over %zu stacks: %s%s/%s, %s%s live, "
                  "projected %s%s over the horizon (rule: fail_on %s)",
                  l->loc->function, l->loc->file, l->loc->line, ls_severity_name(c->severity), l->n_stacks, est,
                  ls_format_rate(b1, sizeof b1, c->bytes_per_step), unit, est, sz(b2, sizeof b2, c->verdict_live_bytes),
                  est, sz(b3, sizeof b3, c->projected_bytes), ls_severity_name(pol->fail_on));
    l->violated = 1;
}

/* The global budget on the process's peak: a violation at critical_pct, a warning at warning_pct. */
static void evaluate_global(ls_analysis_t *a, size_t pi)
{
    const ls_policy_t *pol = a->policy;
    const ls_proc_result_t *r = &a->procs[pi];
    char b1[32], b2[32];
    const char *est = est_of(a, pi); /* the peak, and its share of the budget */
    if (pol->max_bytes < 0)
        return;
    double peak = (double)r->p->traced_peak;
    double pct = pol->max_bytes > 0 ? 100.0 * peak / pol->max_bytes : INFINITY;
    if (pct >= pol->critical_pct)
        add_violation(a, pi, NULL, LS_RULE_GLOBAL_MAX_BYTES, 0,
                      "%s (pid %llu): peak traced memory %s%s is %s%.1f%% of the budget %s (critical at %g%%)",
                      r->p->prog, (unsigned long long)r->p->pid, est, sz(b1, sizeof b1, peak), est, pct,
                      sz(b2, sizeof b2, pol->max_bytes), pol->critical_pct);
    else if (pct >= pol->warning_pct) {
        add_violation(a, pi, NULL, LS_RULE_GLOBAL_MAX_BYTES, 0,
                      "%s (pid %llu): peak traced memory %s%s is %s%.1f%% of the budget %s (warning at %g%%)",
                      r->p->prog, (unsigned long long)r->p->pid, est, sz(b1, sizeof b1, peak), est, pct,
                      sz(b2, sizeof b2, pol->max_bytes), pol->warning_pct);
        a->v[a->n_v - 1].warning = 1;
    }
}

static void evaluate_modules(ls_analysis_t *a, size_t pi, const char *unit)
{
    const ls_policy_t *pol = a->policy;
    const ls_proc_result_t *r = &a->procs[pi];
    char b1[32], b2[32];
    const char *est = est_of(a, pi);
    for (size_t m = 0; m < pol->n_modules; m++) {
        const ls_module_budget_t *mb = &pol->modules[m];
        const ls_module_usage_t *u = &r->modules[m];
        if (mb->max_bytes >= 0 && u->live_bytes > mb->max_bytes)
            add_violation(a, pi, NULL, LS_RULE_MODULE_MAX_BYTES, m,
                          "module %s in %s (pid %llu): %s%s live at the end, budget %s", mb->name, r->p->prog,
                          (unsigned long long)r->p->pid, est, sz(b1, sizeof b1, u->live_bytes),
                          sz(b2, sizeof b2, mb->max_bytes));
        if (mb->max_bytes_per_step >= 0 && u->bytes_per_step > mb->max_bytes_per_step)
            add_violation(a, pi, NULL, LS_RULE_MODULE_GROWTH, m,
                          "module %s in %s (pid %llu): grows %s%s/%s, budget %s/%s", mb->name, r->p->prog,
                          (unsigned long long)r->p->pid, est, sz(b1, sizeof b1, u->bytes_per_step), unit,
                          sz(b2, sizeof b2, mb->max_bytes_per_step), unit);
    }
}

/* A location as a location budget judges it: the summed series of its stacks (locations.h)
 * when it has several, else its one stack's. Violations stand against `site`, its leading stack. */
typedef struct {
    const ls_frame_info_t *loc;
    const ls_class_t *c;
    double live_bytes;
    size_t n_stacks;
    ls_site_result_t *site;
    int *violated; /* the location's flag (locations.h), NULL for a location of one stack */
} loc_view_t;

/* Budget b (index bi) on one location: live bytes at the end over max_bytes, or growth — while
 * it grows, as for the growth budgets of sites — faster than max_bytes_per_step. */
static void judge_location(ls_analysis_t *a, size_t pi, size_t bi, const loc_view_t *l, const char *unit)
{
    const ls_location_budget_t *b = &a->policy->locations[bi];
    const ls_class_t *c = l->c;
    char b1[32], b2[32], where[640];
    const char *est = est_of(a, pi);
    snprintf(where, sizeof where, "location %s (%s:%d)%s", l->loc->function, l->loc->file, l->loc->line,
             l->n_stacks > 1 ? ", its stacks summed" : "");
    if (b->max_bytes >= 0 && l->live_bytes > b->max_bytes) {
        add_violation(a, pi, l->site, LS_RULE_LOCATION_MAX_BYTES, bi, "%s: %s%s live at the end, budget %s", where,
                      est, sz(b1, sizeof b1, l->live_bytes), sz(b2, sizeof b2, b->max_bytes));
        l->site->violated = 1;
        if (l->violated)
            *l->violated = 1;
    }
    int growing = c->trend == LS_TREND_INCREASING && (c->pattern == LS_PAT_LEAK || c->pattern == LS_PAT_INCONCLUSIVE);
    if (growing && b->max_bytes_per_step >= 0 && c->bytes_per_step > b->max_bytes_per_step) {
        add_violation(a, pi, l->site, LS_RULE_LOCATION_GROWTH, bi, "%s: grows %s%s/%s, budget %s/%s", where,
                      est, sz(b1, sizeof b1, c->bytes_per_step), unit, sz(b2, sizeof b2, b->max_bytes_per_step), unit);
        l->site->violated = 1;
        if (l->violated)
            *l->violated = 1;
    }
}

/* Every location budget on every location it matches: the locations of several stacks, then
 * the unsuppressed sites that are the only stack of their location. */
static void evaluate_location_budgets(ls_analysis_t *a, size_t pi, const char *unit)
{
    ls_proc_result_t *r = &a->procs[pi];
    if (!a->policy->n_locations)
        return;
    char *grouped = ls_xcalloc(r->n_sites ? r->n_sites : 1, 1);
    for (size_t i = 0; i < r->n_locations; i++)
        for (size_t k = 0; k < r->locations[i].n_stacks; k++)
            grouped[r->locations[i].stacks[k] - r->sites] = 1;
    for (size_t bi = 0; bi < a->policy->n_locations; bi++) {
        const ls_location_budget_t *b = &a->policy->locations[bi];
        for (size_t i = 0; i < r->n_locations; i++) {
            ls_location_result_t *l = &r->locations[i];
            loc_view_t v = {l->loc, &l->c, l->live_bytes, l->n_stacks, (ls_site_result_t *)l->stacks[0], &l->violated};
            if (ls_location_budget_matches(b, l->loc))
                judge_location(a, pi, bi, &v, unit);
        }
        for (size_t i = 0; i < r->n_sites; i++) {
            ls_site_result_t *s = &r->sites[i];
            loc_view_t v = {s->loc, &s->c, s->live_bytes, 1, s, NULL};
            if (!grouped[i] && !s->sup && ls_location_budget_matches(b, s->loc))
                judge_location(a, pi, bi, &v, unit);
        }
    }
    free(grouped);
}

/* The exit snapshot's scan under the policy's `unreachable` rule (issue 13): every site with
 * direct leaks is named; they fail the gate when the process's direct-leak bytes pass
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
        add_violation(a, pi, s, LS_RULE_UNREACHABLE, 0,
                      "%s: direct leak of %llu byte(s) in %llu object(s) at exit (%s in all, allowed %s)",
                      ls_site_label(s, lab, sizeof lab), (unsigned long long)s->s->direct_bytes,
                      (unsigned long long)s->s->direct_count, sz(b1, sizeof b1, total),
                      pol->unreachable == LS_UNREACHABLE_FAIL ? sz(b2, sizeof b2, pol->max_direct_leak_bytes)
                                                              : "any (report)");
        a->v[a->n_v - 1].warning = !fails;
        s->violated |= fails;
    }
}

/* The policy's rules over one process, in the order they are reported. */
void ls_rules_evaluate(ls_analysis_t *a, size_t pi)
{
    ls_proc_result_t *r = &a->procs[pi];
    const char *unit = r->p->marked ? "step" : "snapshot";
    for (size_t i = 0; i < r->n_sites; i++)
        if (!r->sites[i].sup)
            evaluate_site(a, pi, &r->sites[i], unit);
    for (size_t i = 0; i < r->n_locations; i++)
        evaluate_location(a, pi, &r->locations[i], unit);
    evaluate_global(a, pi);
    evaluate_modules(a, pi, unit);
    evaluate_location_budgets(a, pi, unit);
    evaluate_unreachable(a, pi);
}

void ls_rules_recompute_fail(ls_analysis_t *a)
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
    ls_rules_recompute_fail(a);
}
