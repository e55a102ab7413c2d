/*
 * lost.c — the verdicts the exit snapshot's reachability scan adds (lost.h): a site lost at
 * exit that grew is a leak whatever the series length, and the process's direct-leak bytes
 * that the policy's `unreachable` rule judges (analysis.c).
 */
#include "lost.h"

void ls_lost_upgrade(const ls_proc_series_t *p, ls_site_result_t *s)
{
    const ls_site_series_t *ss = s->s;
    /* "Grows": the classifier sees it still growing (not a warm-up that levelled off). */
    int growing = s->c.trend == LS_TREND_INCREASING &&
                  (s->c.pattern == LS_PAT_LEAK || s->c.pattern == LS_PAT_INCONCLUSIVE) && s->c.growth_bytes > 0;
    if (!p->has_scan || ss->direct_count + ss->indirect_count == 0 || !growing)
        return;
    s->c.pattern = LS_PAT_LEAK;
    s->c.trend = LS_TREND_INCREASING;
    if (s->c.severity < LS_SEV_MEDIUM)
        s->c.severity = LS_SEV_MEDIUM;
    s->c.why = "lost at exit (unreachable) and grew over the run";
}

double ls_lost_direct_bytes(const ls_proc_result_t *r)
{
    double sum = 0;
    for (size_t i = 0; i < r->n_sites; i++)
        if (!r->sites[i].sup)
            sum += (double)r->sites[i].s->direct_bytes;
    return sum;
}
