/*
 * report_text.c — the human report: each process with its totals first, then the sites
 * that matter (leaks and growth first) with location, pattern, severity, growth per step
 * and a sparkline of live bytes, then the policy's verdict with every broken rule.
 */
#include <math.h>
#include <string.h>

#include "report_locations.h"
#include "report_lost.h"
#include "report.h"
#include "util.h"

static const char *pattern_plural(ls_pattern_t p, size_t n)
{
    static const char *const one[] = {"leak", "warmup", "bounded", "stable", "shrinking", "inconclusive"};
    static const char *const many[] = {"leaks", "warmup", "bounded", "stable", "shrinking", "inconclusive"};
    return n == 1 ? one[p] : many[p];
}

static void counts_line(FILE *f, const size_t *counts)
{
    static const ls_pattern_t order[] = {LS_PAT_LEAK, LS_PAT_INCONCLUSIVE, LS_PAT_WARMUP,
                                         LS_PAT_BOUNDED, LS_PAT_SHRINKING, LS_PAT_STABLE};
    const char *sep = "";
    for (size_t i = 0; i < 6; i++)
        if (counts[order[i]]) {
            fprintf(f, "%s%zu %s", sep, counts[order[i]], pattern_plural(order[i], counts[order[i]]));
            sep = ", ";
        }
    fputc('\n', f);
}

/* The process's heading line, its traced memory, warnings, and its sites by pattern. */
static void process_head_text(FILE *f, const ls_proc_result_t *r)
{
    const ls_proc_series_t *p = r->p;
    char b1[32], b2[32], b3[32], spark[256];
    fprintf(f, "process %s (pid %llu): %zu snapshot%s", p->prog, (unsigned long long)p->pid, p->n, p->n == 1 ? "" : "s");
    if (p->marked && p->n)
        fprintf(f, ", steps %llu..%llu", (unsigned long long)p->step[0], (unsigned long long)p->step[p->n - 1]);
    else if (p->steps_unusable)
        fputs(" (its marked steps do not advance steadily: growth is per snapshot)", f);
    else
        fputs(" (the program marks no steps: growth is per snapshot)", f);
    fprintf(f, ", %zu site%s\n", p->n_sites, p->n_sites == 1 ? "" : "s");
    double last = p->n ? p->traced[p->n - 1] : 0, first = p->n ? p->traced[0] : 0;
    fprintf(f, "  traced memory: %s at the last snapshot, peak %s, %s over the run  %s\n",
            ls_format_size(b1, sizeof b1, (int64_t)last, 0), ls_format_size(b2, sizeof b2, (int64_t)p->traced_peak, 0),
            ls_format_size(b3, sizeof b3, (int64_t)(last - first), 1), ls_sparkline(p->traced, p->n, 24, spark, sizeof spark));
    if (p->state_flags & 1)
        fputs("  warning: the shim stopped tracking during the run (its figures end there)\n", f);
    if (p->untracked_bytes)
        fprintf(f, "  note: %s live in allocations the shim could not charge to a site\n",
                ls_format_size(b1, sizeof b1, (int64_t)p->untracked_bytes, 0));
    fputs("  sites: ", f);
    if (p->n_sites)
        counts_line(f, r->counts);
    else
        fputs("none\n", f);
}

/* One row of the sites table; the sparkline is padded by cells, not bytes (each bar is 3
 * bytes of UTF-8). */
static void site_row_text(FILE *f, const ls_proc_series_t *p, const ls_site_result_t *s)
{
    char b1[32], b2[32], b3[32], spark[256], lab[512], rate[40], note[300] = "";
    snprintf(rate, sizeof rate, "%s", ls_format_rate(b1, sizeof b1, s->c.bytes_per_step));
    if (s->sup)
        snprintf(note, sizeof note, "  [suppressed: %s]", s->sup->reason ? s->sup->reason : s->sup->origin);
    size_t cells = p->n < 16 ? p->n : 16;
    fprintf(f, "  %-8s  %-12s  %12s  %10s  %11s  %s%*s  %s%s\n", ls_severity_name(s->c.severity),
            ls_pattern_name(s->c.pattern), rate, ls_format_size(b2, sizeof b2, (int64_t)s->c.verdict_live_bytes, 0),
            ls_format_size(b3, sizeof b3, (int64_t)s->c.verdict_growth_bytes, 1),
            ls_sparkline(s->s->bytes, p->n, 16, spark, sizeof spark), (int)(16 - cells), "",
            ls_site_label(s, lab, sizeof lab), note);
}

/* The sites that matter (all with `all`, else those not stable), at most `limit` of them
 * (0: no limit), then how many more there are; nothing when none matters. */
static void sites_text(FILE *f, const ls_proc_result_t *r, const char *unit, size_t limit, int all)
{
    size_t shown = 0, matter = 0;
    for (size_t i = 0; i < r->n_sites; i++)
        if (all || r->sites[i].c.pattern != LS_PAT_STABLE)
            matter++;
    size_t want = limit && limit < matter ? limit : matter;
    if (!want)
        return;
    fprintf(f, "\n  %-8s  %-12s  %12s  %10s  %11s  %-16s  %s\n", "SEVERITY", "PATTERN", "GROWTH/STEP", "LIVE", "GROWTH",
            "LIVE BYTES", "LOCATION");
    for (size_t i = 0; i < r->n_sites && shown < want; i++) {
        if (!all && r->sites[i].c.pattern == LS_PAT_STABLE)
            continue;
        site_row_text(f, r->p, &r->sites[i]);
        shown++;
    }
    if (shown < matter)
        fprintf(f, "  ... %zu more site%s (--limit N or --all to list)\n", matter - shown, matter - shown == 1 ? "" : "s");
    if (strcmp(unit, "step") != 0)
        fputs("  (growth per snapshot: the program calls no leakscope_mark)\n", f);
}

/* One process: heading and totals, location groups, the sites that matter, then what
 * sampling and the exit scan add. */
static void process_text(FILE *f, const ls_analysis_t *a, size_t pi, size_t limit, int all)
{
    const ls_proc_result_t *r = &a->procs[pi];
    const char *unit = r->p->marked ? "step" : "snapshot";
    process_head_text(f, r);
    ls_report_locations_text(f, r, unit); /* ahead of the individual stacks (issue 14) */
    sites_text(f, r, unit, limit, all);
    ls_sampling_text(f, r, limit, all); /* issue 11 */
    ls_lost_text(f, r); /* issue 13 */
}

void ls_report_text(FILE *f, const ls_analysis_t *a, size_t limit, int all)
{
    fprintf(f, "leakscope report: %s\n", a->series.dir);
    if (a->n_procs > 1)
        fprintf(f, "%zu processes\n", a->n_procs);
    for (size_t i = 0; i < a->n_procs; i++) {
        fputc('\n', f);
        process_text(f, a, i, limit, all);
    }
    fputc('\n', f);
    size_t broken = 0, warnings = 0;
    for (size_t i = 0; i < a->n_v; i++)
        a->v[i].warning ? warnings++ : broken++;
    fprintf(f, "verdict: %s", a->fail ? "FAIL" : "pass");
    if (broken)
        fprintf(f, " (%zu rule%s broken)", broken, broken == 1 ? "" : "s");
    fprintf(f, " under %s\n", a->policy->path ? a->policy->path : "the default policy (fail on a leak of severity medium or worse)");
    for (size_t i = 0; i < a->n_v; i++)
        fprintf(f, "  %s [%s] %s\n", a->v[i].warning ? "warning:" : "FAIL:", a->v[i].rule, a->v[i].message);
}
