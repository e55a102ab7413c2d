/*
 * sampling_verdict.c — verdicts under sampling (issue 11; report.h, sampling.h): each site
 * of a sampled process gets 95% intervals for its live bytes and its growth rate, and its
 * pattern and severity are judged on them, so that sampling noise never makes a leak.
 *
 * Live bytes: sd from the SAMPLING record (the Horvitz-Thompson variance, summed per
 * sample in the shim). With k = sd²/estimate the estimate is k times an effective Poisson
 * count n = estimate/k (exactly so for blocks much smaller than the rate, where every
 * sample stands for ~rate bytes), and the interval is the exact (Garwood) Poisson interval
 * on n, times k, its upper end one sample (est/samples bytes) above the count
 * (ls_sampling_live_interval): asymmetric, wider above a low estimate, and at least 95% — the plain
 * ± 1.96 sd undercovers when the estimate happens to be low, since its sd is low too. Rate: the classifier's slope ± 1.96 ×
 * sqrt(sd_end² + sd_start²) / (x_end − x_start) over its steady segment — the error of the
 * growth between the segment's ends, conservative when the two estimates share samples.
 * A leak whose rate interval reaches 0, or whose last estimate rests on fewer than
 * LS_SAMPLING_MIN_SAMPLES samples, becomes `inconclusive` (severity none); a leak keeps
 * the severity of the interval's low end. Other patterns are left as they are.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "sampling.h"
#include "util.h"

typedef struct {
    const ls_process_t *files; /* the process's snapshot paths */
    ls_sampling_t *at;         /* per snapshot, loaded on demand */
    unsigned char *loaded;
    uint64_t rate;
} sample_cache_t;

static const ls_sampling_t *sampling_at(sample_cache_t *c, size_t k)
{
    if (!c->loaded[k]) {
        char err[512];
        if (ls_sampling_read(c->files->paths[k], &c->at[k], err, sizeof err) < 0)
            memset(&c->at[k], 0, sizeof c->at[k]); /* unreadable now: treated as no samples */
        c->loaded[k] = 1;
    }
    return &c->at[k];
}

static double sd_of(sample_cache_t *c, size_t k, uint32_t id, uint64_t *live_samples)
{
    const ls_sample_site_t *s = ls_sampling_site(sampling_at(c, k), id);
    if (live_samples)
        *live_samples = s ? s->live_samples : 0;
    return s ? (double)s->sd : 0;
}

/* Quantile of chi-squared with nu degrees of freedom at normal quantile z (Wilson-Hilferty,
 * within 1% from nu = 2 up). */
static double chi2_quantile(double nu, double z)
{
    double c = 2.0 / (9.0 * nu), t = 1.0 - c + z * sqrt(c);
    return t > 0 ? nu * t * t * t : 0;
}

/* Garwood's upper end for a count n is the mean at which n or fewer occur 2.5% of the time:
 * one more sample than seen, 2n + 2 degrees of freedom. One more sample adds est/samples
 * bytes, which is 1/(1 - p) effective counts for blocks sampled with probability p (1 for
 * blocks far below the rate, 2.7 for blocks of the rate): counting it as 1 left the upper
 * tail at 3% for blocks near the rate (160 blocks of 64 KiB at 64 KiB: 95.0% coverage,
 * 1.9% below and 3.0% above), and the step in bytes balances the tails (96.0%: 1.9% and 2.0%). */
void ls_sampling_live_interval(double est, double sd, uint64_t samples, uint64_t rate, double *lo, double *hi)
{
    if (!(sd > 0)) { /* every block sampled for sure (blocks far above the rate), or none seen */
        *lo = est;
        *hi = est > 0 ? est : 3.689 * (double)rate; /* -ln(0.025): nothing sampled in ~3.7 rates */
        return;
    }
    double k = sd * sd / est, n = est / k, step = samples ? est / (double)samples / k : 1;
    *lo = n > 0 ? k * chi2_quantile(2 * n, -LS_SAMPLING_Z95) / 2 : 0;
    *hi = k * chi2_quantile(2 * (n + (step > 1 ? step : 1)), LS_SAMPLING_Z95) / 2;
}

/* First snapshot at or after the steady segment's start. */
static size_t index_at(const ls_proc_series_t *p, double x)
{
    size_t k = 0;
    while (k + 1 < p->n && p->x[k] < x)
        k++;
    return k;
}

static void adjust_site(ls_analysis_t *a, const ls_proc_series_t *p, sample_cache_t *c, ls_site_result_t *s)
{
    ls_site_estimate_t *e = &s->est;
    size_t last = p->n - 1, end = s->c.n_used ? s->c.n_used - 1 : last, start = index_at(p, s->c.burn_in);
    double sd = sd_of(c, last, s->s->id, &e->live_samples);
    e->sampled = 1;
    ls_sampling_live_interval(s->live_bytes, sd, e->live_samples, c->rate, &e->live_lo, &e->live_hi);
    if (start >= end)
        start = 0;
    double sd_end = sd_of(c, end, s->s->id, NULL), sd_start = sd_of(c, start, s->s->id, NULL);
    double dx = p->x[end] - p->x[start];
    double half = dx > 0 ? LS_SAMPLING_Z95 * sqrt(sd_end * sd_end + sd_start * sd_start) / dx : INFINITY;
    e->rate_lo = s->c.bytes_per_step - half;
    e->rate_hi = s->c.bytes_per_step + half;
    if (s->c.pattern != LS_PAT_LEAK)
        return;
    uint64_t samples = 0;
    sd_of(c, end, s->s->id, &samples);
    if (samples < LS_SAMPLING_MIN_SAMPLES || !(e->rate_lo > 0)) {
        s->c.pattern = LS_PAT_INCONCLUSIVE;
        s->c.severity = LS_SEV_NONE;
        s->c.why = samples < LS_SAMPLING_MIN_SAMPLES ? "too few samples to tell (sampled run)"
                                                           : "growth within the sampling noise (sampled run)";
        return;
    }
    double low = s->c.bytes_per_step > 0 ? s->c.projected_bytes * e->rate_lo / s->c.bytes_per_step : 0;
    s->c.severity = ls_severity_for(low, &a->policy->cls); /* never below low for a leak */
}

void ls_sampling_adjust(ls_analysis_t *a, size_t pi)
{
    ls_proc_result_t *r = &a->procs[pi];
    const ls_proc_series_t *p = r->p;
    if (!p->n || !(p->state_flags & LS_FMT_STATE_SAMPLED))
        return;
    ls_run_t run;
    char err[512];
    if (ls_run_open(a->series.dir, &run, err, sizeof err) < 0)
        return;
    if (pi < run.n_procs && run.procs[pi].n_paths == p->n && run.procs[pi].pid == p->pid) {
        sample_cache_t c = {&run.procs[pi], ls_xcalloc(p->n, sizeof(ls_sampling_t)), ls_xcalloc(p->n, 1), 0};
        r->sample_rate = c.rate = sampling_at(&c, p->n - 1)->rate;
        memset(r->counts, 0, sizeof r->counts);
        for (size_t i = 0; i < r->n_sites; i++) {
            if (r->sample_rate)
                adjust_site(a, p, &c, &r->sites[i]);
            r->counts[r->sites[i].c.pattern]++;
        }
        for (size_t k = 0; k < p->n; k++)
            ls_sampling_free(&c.at[k]);
        free(c.at);
        free(c.loaded);
    }
    ls_run_free(&run);
}
