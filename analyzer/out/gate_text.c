/*
 * gate_text.c — the gate's text output: one line per broken rule or warning, then the
 * verdict line (report.h).
 */
#include "report.h"
#include "util.h"

int ls_gate_print(FILE *f, const ls_analysis_t *a)
{
    size_t broken = 0;
    for (size_t i = 0; i < a->n_v; i++) {
        fprintf(f, "%s [%s] %s\n", a->v[i].warning ? "warning:" : "FAIL:", a->v[i].rule, a->v[i].message);
        broken += !a->v[i].warning;
    }
    size_t leaks = 0, sites = 0;
    for (size_t i = 0; i < a->n_procs; i++) {
        leaks += a->procs[i].counts[LS_PAT_LEAK];
        sites += a->procs[i].n_sites;
    }
    fprintf(f, "leakscope gate: %s — %zu rule%s broken; %zu process%s, %zu sites, %zu classified leak; policy: %s\n",
            a->fail ? "FAIL" : "pass", broken, broken == 1 ? "" : "s", a->n_procs, a->n_procs == 1 ? "" : "es", sites,
            leaks, a->policy->path ? a->policy->path : "default (fail on a leak of severity medium or worse)");
    return a->fail ? LS_EXIT_FAIL : LS_EXIT_OK;
}

