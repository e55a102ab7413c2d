/*
 * classify.h — telling a leak from growth that is fine: each call site's series of live
 * bytes over a run, plus the birth ages of its surviving memory, becomes a pattern, a trend
 * and a severity. The method is documented in docs/classification.md.
 */
#ifndef LS_CLASSIFY_H
#define LS_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    LS_PAT_LEAK,
    LS_PAT_WARMUP,
    LS_PAT_BOUNDED,
    LS_PAT_STABLE,
    LS_PAT_SHRINKING,
    LS_PAT_INCONCLUSIVE,
} ls_pattern_t;

typedef enum { LS_TREND_INCREASING, LS_TREND_STABLE, LS_TREND_DECREASING } ls_trend_t;

typedef enum { LS_SEV_NONE, LS_SEV_LOW, LS_SEV_MEDIUM, LS_SEV_HIGH, LS_SEV_CRITICAL } ls_severity_t;

const char *ls_pattern_name(ls_pattern_t p);
const char *ls_trend_name(ls_trend_t t);
const char *ls_severity_name(ls_severity_t s);
/* Parse a severity name ("none".."critical"); -1 when unknown. */
int ls_severity_parse(const char *s);

/* Tunables; ls_classify_defaults() gives the documented defaults (docs/classification.md).
 * The policy file sets horizon and thresholds; the rest are the method's constants. */
typedef struct {
    double horizon_steps;     /* severity horizon for programs that call leakscope_mark */
    double horizon_seconds;   /* ... and for programs that do not (rate per second × this) */
    double sev_medium, sev_high, sev_critical; /* projected bytes; a leak below medium is low */
    double fdr;               /* Benjamini–Hochberg false discovery rate across sites */
    double min_growth_bytes;  /* absolute effect floor: growth over the steady segment */
    double min_growth_rel;    /* relative effect floor: growth / level at the burn-in */
} ls_classify_opts_t;

void ls_classify_defaults(ls_classify_opts_t *o);

/* Live bytes by birth epoch at one point: bucket i holds the bytes born at epochs in
 * [edges[i], edges[i+1]) (epochs in x units). n == 0: no age data. */
typedef struct {
    size_t n;
    const double *edges; /* n + 1 */
    const double *bytes; /* n */
} ls_age_hist_t;

/* One site's series. x is the step axis (non-decreasing); y the live bytes at each point. */
typedef struct {
    size_t n;
    const double *x;
    const double *y;
    const double *t_s;      /* optional: seconds since start per point (rates for unmarked runs) */
    int marked;             /* x is a program step (else a snapshot index) */
    int last_is_teardown;   /* the last point is an `exit` snapshot: a drop there is teardown */
    ls_age_hist_t age_last; /* ages at point n-1 */
    ls_age_hist_t age_prev; /* ages at point n-2 (used when the last point is left out) */
} ls_series_view_t;

/* The verdict on one site, with the figures it rests on (for reports and debugging). */
typedef struct {
    ls_pattern_t pattern;
    ls_trend_t trend;
    ls_severity_t severity;
    double growth_bytes;     /* y[last] - y[first] over the whole series */
    double verdict_live_bytes;   /* y at the last point classified: the live bytes the verdict
                                  * rests on (differs from the last y when a teardown is left out) */
    double verdict_growth_bytes; /* ... minus y[first] */
    double bytes_per_step;   /* robust (Theil–Sen) slope after the burn-in, per x unit */
    double bytes_per_second; /* growth rate in time after the burn-in (0 when unknown) */
    double projected_bytes;  /* the rate × the horizon that gave the severity */
    double burn_in;          /* x where the steady segment starts */
    size_t n_used;           /* points classified (a teardown point is left out) */
    double p_up, q_up;       /* Mann–Kendall one-sided p for an increase, and its BH q */
    double p_down, q_down;
    double tau;              /* Kendall's tau of the steady segment */
    double late_ratio;       /* slope of the last half of the steady segment / first half */
    double age_ratio;        /* survivors born in the first half of the steady segment / expected */
    double old_fraction;     /* share of the final live bytes born before the burn-in */
    const char *why;         /* one phrase: the deciding evidence */
} ls_class_t;

/* Classify `nsites` series together: the per-site tests are corrected for their number
 * (Benjamini–Hochberg), so the sites of one process must be classified in one call.
 * Deterministic; never fails (degenerate series give `inconclusive` or `stable`). */
void ls_classify(const ls_series_view_t *sites, size_t nsites, const ls_classify_opts_t *opts,
                 ls_class_t *out);

/* Severity of a leak whose projected growth is `projected` bytes (>= low for any leak). */
ls_severity_t ls_severity_for(double projected, const ls_classify_opts_t *opts);

/* Theil–Sen slope of (x, y), n points (exact median of pairwise slopes; pairs with equal x
 * skipped). Returns 0 for fewer than two distinct x. Exposed for tests and reports. */
double ls_theil_sen(const double *x, const double *y, size_t n);

/* Mann–Kendall S with the tie-corrected variance; returns S and sets *var. */
double ls_mann_kendall(const double *y, size_t n, double *var);

#endif /* LS_CLASSIFY_H */
