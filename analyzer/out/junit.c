/*
 * junit.c — `gate --junit FILE`: the verdict as JUnit XML for CI (one suite per process,
 * one case for the global budget, one per module budget, one per location budget, one per
 * site that matters).
 * The caller opens the file first (ls_out_open: atomic), so that a path that cannot be
 * written fails before the verdict is printed.
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "util.h"


/* What a test case holds: one site's violations, the global budget's, module m's, or
 * location budget m's (whichever locations broke it: each failure names its location). */
typedef enum { CASE_SITE, CASE_GLOBAL, CASE_MODULE, CASE_LOCATION } case_kind_t;

static int in_case(const ls_violation_t *v, case_kind_t kind, size_t module)
{
    switch (kind) {
    case CASE_SITE: return !ls_rule_is_location(v->kind);
    case CASE_GLOBAL: return v->kind == LS_RULE_GLOBAL_MAX_BYTES;
    case CASE_MODULE: return ls_rule_is_module(v->kind) && v->module == module;
    case CASE_LOCATION: return ls_rule_is_location(v->kind) && v->module == module;
    }
    return 0;
}

static void junit_case(FILE *f, const ls_analysis_t *a, size_t pi, const ls_site_result_t *site, case_kind_t kind,
                       size_t module, const char *name)
{
    const ls_proc_series_t *p = a->procs[pi].p;
    fprintf(f, "    <testcase classname=\"leakscope.");
    ls_markup_escape(f, p->prog);
    fputs("\" name=\"", f);
    ls_markup_escape(f, name);
    fputs("\">\n", f);
    for (size_t i = 0; i < a->n_v; i++) {
        const ls_violation_t *v = &a->v[i];
        if (v->proc != pi || v->warning || (kind != CASE_LOCATION && v->site != site))
            continue;
        if (!in_case(v, kind, module))
            continue;
        fputs("      <failure type=\"", f);
        ls_markup_escape(f, v->rule);
        fputs("\" message=\"", f);
        ls_markup_escape(f, v->message);
        fputs("\">", f);
        ls_markup_escape(f, v->message);
        fputs("</failure>\n", f);
    }
    if (site) {
        fputs("      <system-out>", f);
        char b[64];
        fprintf(f, "pattern %s, trend %s, severity %s, %s per %s; ", ls_pattern_name(site->c.pattern),
                ls_trend_name(site->c.trend), ls_severity_name(site->c.severity),
                ls_format_rate(b, sizeof b, site->c.bytes_per_step), p->marked ? "step" : "snapshot");
        ls_markup_escape(f, site->c.why);
        fputs("</system-out>\n", f);
    }
    fputs("    </testcase>\n", f);
}

void ls_report_junit(FILE *f, const ls_analysis_t *a)
{
    size_t failures = 0;
    for (size_t i = 0; i < a->n_v; i++)
        failures += !a->v[i].warning;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"leakscope gate\" failures=\"%zu\">\n",
            failures);
    for (size_t pi = 0; pi < a->n_procs; pi++) {
        const ls_proc_result_t *r = &a->procs[pi];
        size_t tests = 1 + a->policy->n_modules + a->policy->n_locations, fails = 0;
        for (size_t k = 0; k < r->n_sites; k++)
            tests += r->sites[k].c.pattern != LS_PAT_STABLE || r->sites[k].violated;
        for (size_t i = 0; i < a->n_v; i++)
            fails += a->v[i].proc == pi && !a->v[i].warning;
        fputs("  <testsuite name=\"leakscope: ", f);
        ls_markup_escape(f, r->p->prog);
        fprintf(f, " (pid %llu)\" tests=\"%zu\" failures=\"%zu\">\n", (unsigned long long)r->p->pid, tests, fails);
        junit_case(f, a, pi, NULL, CASE_GLOBAL, 0, "global budget");
        for (size_t m = 0; m < a->policy->n_modules; m++) {
            char *name = ls_xasprintf("module %s budget", a->policy->modules[m].name);
            junit_case(f, a, pi, NULL, CASE_MODULE, m, name);
            free(name);
        }
        for (size_t m = 0; m < a->policy->n_locations; m++) {
            char *name = ls_xasprintf("location %s budget", a->policy->locations[m].name);
            junit_case(f, a, pi, NULL, CASE_LOCATION, m, name);
            free(name);
        }
        for (size_t k = 0; k < r->n_sites; k++) {
            const ls_site_result_t *s = &r->sites[k];
            if (s->c.pattern == LS_PAT_STABLE && !s->violated)
                continue;
            char lab[512];
            junit_case(f, a, pi, s, CASE_SITE, 0, ls_site_label(s, lab, sizeof lab));
        }
        fputs("  </testsuite>\n", f);
    }
    fputs("</testsuites>\n", f);
}

