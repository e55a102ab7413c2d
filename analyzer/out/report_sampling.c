/*
 * report_sampling.c — what a sampled run adds to the reports (issue 11): the note that
 * figures are estimates and at what rate, each listed site's 95% intervals (text, JSON,
 * HTML), and that the exit reachability scan was skipped. Nothing for an exact run.
 */
#include <math.h>
#include <string.h>

#include "report.h"
#include "sampling.h"
#include "util.h"

static const char *signed_size(char *buf, size_t len, double v)
{
    return ls_format_size(buf, len, (int64_t)llround(v), 1);
}

void ls_sampling_text(FILE *f, const ls_proc_result_t *r, size_t limit, int all)
{
    if (!r->sample_rate)
        return;
    char rate[32], b1[32], b2[32], b3[32], b4[32], lab[512];
    fprintf(f, "\n  sampled at %s (LEAKSCOPE_SAMPLE): live bytes, counts and growth are estimates (~); "
               "95%% intervals:\n",
            ls_sampling_rate_text(rate, sizeof rate, r->sample_rate));
    fprintf(f, "  %-27s  %-29s  %7s  %s\n", "LIVE (95%)", "GROWTH/STEP (95%)", "SAMPLES", "LOCATION");
    size_t shown = 0;
    for (size_t i = 0; i < r->n_sites && (!limit || shown < limit); i++) {
        const ls_site_result_t *s = &r->sites[i];
        if (!all && s->c.pattern == LS_PAT_STABLE)
            continue;
        char live[64], grow[64];
        snprintf(live, sizeof live, "[%s, %s]", ls_format_size(b1, sizeof b1, (int64_t)s->est.live_lo, 0),
                 ls_format_size(b2, sizeof b2, (int64_t)s->est.live_hi, 0));
        if (isfinite(s->est.rate_lo))
            snprintf(grow, sizeof grow, "[%s, %s]", signed_size(b3, sizeof b3, s->est.rate_lo),
                     signed_size(b4, sizeof b4, s->est.rate_hi));
        else
            snprintf(grow, sizeof grow, "(one point)");
        fprintf(f, "  %-27s  %-29s  %7llu  %s\n", live, grow, (unsigned long long)s->est.live_samples,
                ls_site_label(s, lab, sizeof lab));
        shown++;
    }
    fputs("  (no reachability scan at exit under sampling: most blocks are not tracked; docs/scan.md)\n", f);
}

void ls_sampling_json_proc(FILE *f, const ls_proc_result_t *r)
{
    if (r->sample_rate)
        fprintf(f, ", \"sample_rate\": %llu, \"estimated\": true", (unsigned long long)r->sample_rate);
}

void ls_sampling_json_site(FILE *f, const ls_site_result_t *s)
{
    if (!s->est.sampled)
        return;
    fputs(",\n     \"estimate\": {\"live_bytes_ci95\": [", f);
    ls_json_number(f, s->est.live_lo);
    fputs(", ", f);
    ls_json_number(f, s->est.live_hi);
    fputs("], \"bytes_per_step_ci95\": [", f);
    ls_json_number(f, s->est.rate_lo);
    fputs(", ", f);
    ls_json_number(f, s->est.rate_hi);
    fprintf(f, "], \"live_samples\": %llu}", (unsigned long long)s->est.live_samples);
}

void ls_sampling_html(FILE *f, const ls_proc_result_t *r)
{
    if (!r->sample_rate)
        return;
    char rate[32];
    fprintf(f, "<p class=\"note\">Sampled at %s (LEAKSCOPE_SAMPLE): live bytes, counts and growth are "
               "unbiased estimates (~); <code>leakscope report</code> gives each site's 95%% interval. "
               "No reachability scan at exit under sampling.</p>\n",
            ls_sampling_rate_text(rate, sizeof rate, r->sample_rate));
}
