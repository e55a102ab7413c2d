/*
 * classify.c — the per-site classifier: burn-in by change-point, robust slope, rank trend
 * test with autocorrelation and multiple-testing correction, effect-size floors, age and
 * envelope evidence. docs/classification.md explains each step and why it is there.
 */
#include "classify.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "classify_rules.h"
#include "util.h"

/* Series longer than this are folded into this many consecutive blocks (means) before the
 * O(m^2) rank statistics: it bounds the cost per site and damps short-range noise. */
#define MAX_BLOCKS 128
/* Fewest points of the steady segment on which a trend test can reach significance. */
#define MIN_POST 6

static const char *const pattern_names[] = {"leak", "warmup", "bounded", "stable", "shrinking", "inconclusive"};
static const char *const trend_names[] = {"increasing", "stable", "decreasing"};
static const char *const severity_names[] = {"none", "low", "medium", "high", "critical"};

const char *ls_pattern_name(ls_pattern_t p) { return pattern_names[p]; }
const char *ls_trend_name(ls_trend_t t) { return trend_names[t]; }
const char *ls_severity_name(ls_severity_t s) { return severity_names[s]; }

int ls_severity_parse(const char *s)
{
    for (int i = 0; i < 5; i++)
        if (s && strcmp(s, severity_names[i]) == 0)
            return i;
    return -1;
}

void ls_classify_defaults(ls_classify_opts_t *o)
{
    o->horizon_steps = 1e6;
    o->horizon_seconds = 86400;
    o->sev_medium = 10.0 * 1024 * 1024;
    o->sev_high = 100.0 * 1024 * 1024;
    o->sev_critical = 1024.0 * 1024 * 1024;
    o->fdr = 0.05;
    o->min_growth_bytes = 1024;
    o->min_growth_rel = 0.05;
}

ls_severity_t ls_severity_for(double projected, const ls_classify_opts_t *o)
{
    if (projected >= o->sev_critical)
        return LS_SEV_CRITICAL;
    if (projected >= o->sev_high)
        return LS_SEV_HIGH;
    if (projected >= o->sev_medium)
        return LS_SEV_MEDIUM;
    return LS_SEV_LOW;
}

/* ---- robust statistics ------------------------------------------------------------ */

/* k-th smallest of a[0..n) (0-based); reorders a. Hoare selection, median-of-three pivot. */
static double select_kth(double *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        double p0 = a[lo], p1 = a[mid], p2 = a[hi], pivot;
        if ((p0 <= p1 && p1 <= p2) || (p2 <= p1 && p1 <= p0))
            pivot = p1;
        else if ((p1 <= p0 && p0 <= p2) || (p2 <= p0 && p0 <= p1))
            pivot = p0;
        else
            pivot = p2;
        size_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i <= j) {
                double t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return a[k];
    }
    return a[k];
}

/* Median of a[0..n), n >= 1; reorders a. */
static double median(double *a, size_t n)
{
    double m = select_kth(a, n, n / 2);
    if (n % 2 == 0) {
        double lo = a[0];
        for (size_t i = 1; i < n / 2; i++) /* after selection, a[0..n/2) <= a[n/2] */
            if (a[i] > lo)
                lo = a[i];
        m = (m + lo) / 2;
    }
    return m;
}

/* Scratch space for pairwise slopes; grows on demand, reused across sites. */
static double *slope_buf;
static size_t slope_cap;

double ls_theil_sen(const double *x, const double *y, size_t n)
{
    size_t pairs = n * (n - 1) / 2, k = 0;
    if (n < 2)
        return 0;
    if (pairs > slope_cap) {
        slope_cap = pairs;
        slope_buf = ls_xrealloc(slope_buf, slope_cap * sizeof *slope_buf);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (x[j] != x[i])
                slope_buf[k++] = (y[j] - y[i]) / (x[j] - x[i]);
    return k ? median(slope_buf, k) : 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double ls_mann_kendall(const double *y, size_t n, double *var)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            s += (y[j] > y[i]) - (y[j] < y[i]);
    double v = (double)n * (n - 1) * (2.0 * n + 5);
    double *sorted = ls_xmalloc(n * sizeof *sorted);
    memcpy(sorted, y, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_double);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && sorted[j] == sorted[i])
            j++;
        double t = (double)(j - i);
        if (t > 1)
            v -= t * (t - 1) * (2 * t + 5);
        i = j;
    }
    free(sorted);
    *var = v / 18.0;
    return s;
}

/* Upper tail of the standard normal. */
static double norm_sf(double z) { return 0.5 * erfc(z / sqrt(2.0)); }

/* Live bytes of a histogram born in [lo, hi), buckets taken as uniform in birth epoch. */
static double hist_mass(const ls_age_hist_t *h, double lo, double hi)
{
    double m = 0;
    for (size_t i = 0; i < h->n; i++) {
        double a = h->edges[i], b = h->edges[i + 1];
        if (b <= a) {
            if (a >= lo && a < hi)
                m += h->bytes[i];
            continue;
        }
        double l = a > lo ? a : lo, r = b < hi ? b : hi;
        if (r > l)
            m += h->bytes[i] * (r - l) / (b - a);
    }
    return m;
}

/* ---- per-site analysis -------------------------------------------------------------- */


typedef struct {
    double x[MAX_BLOCKS], y[MAX_BLOCKS], ymax[MAX_BLOCKS], xmin[MAX_BLOCKS], t[MAX_BLOCKS];
    size_t m;
} blocks_t;

/* Fold n points into at most MAX_BLOCKS consecutive blocks of equal count (means; max and
 * first x kept). Used when the snapshots are evenly spaced, where equal counts are equal
 * spans of x. */
static void blocks_by_count(const ls_series_view_t *v, size_t n, blocks_t *b)
{
    size_t m = n < MAX_BLOCKS ? n : MAX_BLOCKS;
    b->m = m;
    for (size_t k = 0; k < m; k++) {
        size_t lo = k * n / m, hi = (k + 1) * n / m;
        double sx = 0, sy = 0, mx = v->y[lo];
        for (size_t i = lo; i < hi; i++) {
            sx += v->x[i];
            sy += v->y[i];
            if (v->y[i] > mx)
                mx = v->y[i];
        }
        b->x[k] = sx / (double)(hi - lo);
        b->y[k] = sy / (double)(hi - lo);
        b->ymax[k] = mx;
        b->xmin[k] = v->x[lo];
        b->t[k] = v->t_s ? v->t_s[lo] : 0;
    }
}

/* Evenly spaced: every gap between snapshots within a factor of 2 of every other (timer
 * jitter passes; bursts, thinning and rate changes do not). Snapshots at the same x (the
 * exit snapshot taken at the last marked step) are no gap. */
static int evenly_spaced(const ls_series_view_t *v, size_t n)
{
    double lo = INFINITY, hi = 0;
    for (size_t i = 1; i < n; i++) {
        double g = v->x[i] - v->x[i - 1];
        if (g <= 0)
            continue;
        if (g < lo)
            lo = g;
        if (g > hi)
            hi = g;
    }
    return hi <= 2 * lo;
}

/* Value of the piecewise-linear series (and of its clock) at x; j is a cursor that only
 * moves forward, x must not decrease between calls. */
static void interp_at(const ls_series_view_t *v, size_t n, double x, size_t *j, double *y, double *t)
{
    while (*j + 2 < n && v->x[*j + 1] <= x)
        (*j)++;
    size_t a = *j, c = a + 1 < n ? a + 1 : a;
    double w = v->x[c] > v->x[a] ? (x - v->x[a]) / (v->x[c] - v->x[a]) : 0;
    if (w < 0)
        w = 0;
    if (w > 1)
        w = 1;
    *y = v->y[a] + w * (v->y[c] - v->y[a]);
    *t = v->t_s ? v->t_s[a] + w * (v->t_s[c] - v->t_s[a]) : 0;
}

/* Unevenly spaced snapshots are put on an even grid of x: m bins of equal width; a bin
 * with snapshots holds their mean, a bin without any holds the piecewise-linear series at
 * its centre. Every rule that counts blocks (the steady segment's least length, its two
 * halves, the envelope's last third) then counts spans of x, the documented axis, instead
 * of snapshots: a dense stretch weighs no more than a sparse one of the same length. */
static void blocks_by_x(const ls_series_view_t *v, size_t n, blocks_t *b)
{
    size_t m = n < MAX_BLOCKS ? n : MAX_BLOCKS, i = 0, j = 0;
    double x0 = v->x[0], w = (v->x[n - 1] - x0) / (double)m;
    b->m = m;
    for (size_t k = 0; k < m; k++) {
        double lo = x0 + w * (double)k, hi = k + 1 == m ? INFINITY : lo + w;
        double sx = 0, sy = 0, cnt = 0, mx = -INFINITY;
        size_t first = i;
        for (; i < n && v->x[i] < hi; i++) {
            sx += v->x[i];
            sy += v->y[i];
            cnt++;
            if (v->y[i] > mx)
                mx = v->y[i];
        }
        if (cnt > 0) {
            b->x[k] = sx / cnt;
            b->y[k] = sy / cnt;
            b->ymax[k] = mx;
            b->xmin[k] = v->x[first];
            b->t[k] = v->t_s ? v->t_s[first] : 0;
        } else {
            double c = lo + w / 2, y, t;
            interp_at(v, n, c, &j, &y, &t);
            b->x[k] = b->xmin[k] = c;
            b->y[k] = b->ymax[k] = y;
            b->t[k] = t;
        }
    }
}

static void make_blocks(const ls_series_view_t *v, size_t n, blocks_t *b)
{
    if (evenly_spaced(v, n) || v->x[n - 1] <= v->x[0])
        blocks_by_count(v, n, b);
    else
        blocks_by_x(v, n, b);
}

/* Sums for least squares on a prefix: index i holds sums over blocks [0, i). */
typedef struct {
    double n, sx, sy, sxx, sxy, syy;
} sums_t;

static double seg_sse(const sums_t *p, size_t a, size_t b)
{
    double n = p[b].n - p[a].n, sx = p[b].sx - p[a].sx, sy = p[b].sy - p[a].sy;
    double sxx = p[b].sxx - p[a].sxx, sxy = p[b].sxy - p[a].sxy, syy = p[b].syy - p[a].syy;
    double vx = sxx - sx * sx / n, vy = syy - sy * sy / n, cxy = sxy - sx * sy / n;
    double sse = vx > 1e-12 ? vy - cxy * cxy / vx : vy;
    return sse > 0 ? sse : 0;
}

/* The burn-in: the block where a two-segment (discontinuous) linear fit beats one line by
 * the BIC, searched so that the steady segment keeps at least a quarter of the run and
 * MIN_POST blocks. Returns 0 when one line is as good (no burn-in). */
static size_t find_burn_in(const blocks_t *b, double yrange)
{
    size_t m = b->m, tail = m / 4 > MIN_POST ? m / 4 : MIN_POST;
    if (m < tail + 3)
        return 0;
    sums_t p[MAX_BLOCKS + 1];
    double x0 = b->x[0], xs = b->x[m - 1] - b->x[0];
    if (xs <= 0)
        xs = 1;
    double ys = yrange > 0 ? yrange : 1;
    memset(&p[0], 0, sizeof p[0]);
    for (size_t i = 0; i < m; i++) {
        double x = (b->x[i] - x0) / xs, y = (b->y[i] - b->y[0]) / ys;
        p[i + 1].n = p[i].n + 1;
        p[i + 1].sx = p[i].sx + x;
        p[i + 1].sy = p[i].sy + y;
        p[i + 1].sxx = p[i].sxx + x * x;
        p[i + 1].sxy = p[i].sxy + x * y;
        p[i + 1].syy = p[i].syy + y * y;
    }
    const double eps = 1e-6; /* residuals below 0.1% of the range count as exact */
    double md = (double)m;
    double sse1 = seg_sse(p, 0, m);
    double bic1 = md * log(sse1 / md + eps) + 2 * log(md);
    double best = bic1;
    size_t best_k = 0;
    for (size_t k = 2; k + tail <= m; k++) {
        double sse = seg_sse(p, 0, k) + seg_sse(p, k, m);
        double bic2 = md * log(sse / md + eps) + 5 * log(md);
        if (bic2 < best - 1e-9 && sse < 0.7 * sse1) {
            best = bic2;
            best_k = k;
        }
    }
    return best_k;
}

/* Growth in steps that keep coming — a buffer doubled by realloc, a table grown in chunks —
 * is flat between its steps, so the steady-segment tests can take its last step for the end
 * of a warm-up. Its running maximum, though, grows as much in the second half of the run as
 * in the first (for doubling: exactly one doubling falls in every (T/2, T]), in at least
 * three separate episodes, never falls back, and has not been flat for longer than its
 * recent rhythm. Sets s->step_ok and s->step_rate (bytes per x over the second half). */
static void stepwise(const ls_series_view_t *v, size_t n, const ls_classify_opts_t *o, const blocks_t *b,
                     site_stats_t *s)
{
    double x0 = v->x[0], xe = v->x[n - 1], xm = (x0 + xe) / 2;
    if (n < 8 || xe <= x0)
        return;
    double env = v->y[0], env_mid = v->y[0], jump = 0.01 * s->ymax;
    if (jump < o->min_growth_bytes / 8)
        jump = o->min_growth_bytes / 8;
    int episodes = 0, in_episode = 0;
    double ep_start[2] = {0, 0}, last_rise = x0; /* the last two episodes' starts */
    for (size_t i = 1; i < n; i++) {
        if (v->y[i] > env + jump) {
            if (!in_episode) {
                episodes++;
                ep_start[0] = ep_start[1];
                ep_start[1] = v->x[i - 1];
            }
            in_episode = 1;
            last_rise = v->x[i];
        } else
            in_episode = 0;
        if (v->y[i] > env)
            env = v->y[i];
        if (v->x[i] <= xm)
            env_mid = env;
    }
    double e1 = env_mid - v->y[0], e2 = env - env_mid;
    if (episodes < 3 || e2 < o->min_growth_bytes || e2 < 0.5 * e1 || v->y[n - 1] < 0.9 * env)
        return;
    double rhythm = ep_start[1] - ep_start[0];
    if (xe - last_rise > 2.5 * rhythm)
        return;
    /* Never falls back: concordant pairs must outweigh discordant ones 9 to 1. */
    double conc = 0, disc = 0;
    for (size_t i = 0; i < b->m; i++)
        for (size_t j = i + 1; j < b->m; j++) {
            conc += b->y[j] > b->y[i];
            disc += b->y[j] < b->y[i];
        }
    if (conc + disc == 0 || (conc - disc) / (conc + disc) < 0.8)
        return;
    s->step_ok = 1;
    s->step_rate = e2 / (xe - xm);
}

/* Leaves out a final `exit` snapshot that drops (the program tearing down, not its steady
 * behaviour), sets n, the first, last, lowest and highest values. Returns 1 when the
 * series moves enough to analyse, else marks it K_STABLE. */
static int measure_range(const ls_series_view_t *v, const ls_classify_opts_t *o, site_stats_t *s, int *use_prev_age)
{
    size_t n = v->n;
    *use_prev_age = 0;
    if (v->last_is_teardown && n >= 3 && v->y[n - 1] < v->y[n - 2]) {
        n--;
        *use_prev_age = 1;
    }
    s->n = n;
    s->kind = K_STABLE;
    if (n == 0)
        return 0;
    s->ystart = v->y[0];
    s->yend = v->y[n - 1];
    s->ymin = s->ymax = v->y[0];
    for (size_t i = 1; i < n; i++) {
        if (v->y[i] < s->ymin)
            s->ymin = v->y[i];
        if (v->y[i] > s->ymax)
            s->ymax = v->y[i];
    }
    double range = s->ymax - s->ymin;
    return !(range < o->min_growth_bytes || range < 0.02 * s->ymax);
}

/* The burn-in block. A burn-in is a phase that behaves differently: a warm-up rises much
 * faster than what follows, a late start much slower. Memory that grows throughout at
 * rates within a factor of 3 of each other (a leak whose rate wanders: a random walk always
 * has some best split) has none: measure it over the whole run. */
static size_t choose_burn_in(const blocks_t *b, double range)
{
    size_t m = b->m, k = find_burn_in(b, range);
    if (k > 0) {
        double pre = ls_theil_sen(b->x, b->y, k), post = ls_theil_sen(b->x + k, b->y + k, m - k);
        if (pre > 0 && post > 0 && pre <= 3 * post && post <= 3 * pre)
            k = 0;
    }
    return k;
}

static void extremes(const double *y, size_t n, double *lo, double *hi)
{
    *lo = *hi = y[0];
    for (size_t i = 1; i < n; i++) {
        if (y[i] < *lo)
            *lo = y[i];
        if (y[i] > *hi)
            *hi = y[i];
    }
}

/* The robust line of the steady segment (blocks k..m) and the levels around it. */
static void fit_steady(const ls_series_view_t *v, size_t n, const blocks_t *b, size_t k, site_stats_t *s)
{
    size_t m = b->m, np = m - k;
    const double *px = b->x + k, *py = b->y + k;
    s->burn_x = b->xmin[k];
    s->end_x = v->x[n - 1];
    s->burn_t = b->t[k];
    s->end_t = v->t_s ? v->t_s[n - 1] : 0;
    s->beta = ls_theil_sen(px, py, np);
    double *r = ls_xmalloc(np * sizeof *r);
    for (size_t i = 0; i < np; i++)
        r[i] = py[i] - s->beta * px[i];
    s->alpha = median(r, np);
    free(r);
    s->level_b = s->alpha + s->beta * s->burn_x;
    s->pre_rise = (k > 0 ? s->level_b : b->y[0]) - v->y[0];
    double pmin, pmax;
    extremes(py, np, &pmin, &pmax);
    s->post_range = pmax - pmin;
    extremes(b->y, m, &s->bmin, &s->bpeak);
    s->bend = b->y[m - 1];
}

/* Age: where the memory alive at the end was born. */
static void age_evidence(const ls_age_hist_t *h, site_stats_t *s)
{
    if (h->n == 0)
        return;
    double total = hist_mass(h, -INFINITY, INFINITY);
    double len = s->end_x - s->burn_x;
    if (total <= 0)
        return;
    s->have_age = 1;
    s->old_frac = hist_mass(h, -INFINITY, s->burn_x) / total;
    /* Start at the first bucket edge at or after the burn-in, so that a bucket holding the
     * warm-up's memory is not counted as born after it. */
    double from = s->burn_x;
    for (size_t i = 0; i <= h->n; i++)
        if (h->edges[i] >= s->burn_x) {
            from = h->edges[i];
            break;
        }
    double mid = s->burn_x + len / 2;
    if (from < mid) {
        s->age_first = hist_mass(h, from, mid);
        s->age_span = mid - from;
    }
}

/* Residual scale (sigma) about the robust line; returns the lag-1 autocorrelation. */
static double residuals(const double *px, const double *py, size_t np, double range, site_stats_t *s)
{
    double *res = ls_xmalloc(np * sizeof *res);
    double mean = 0;
    for (size_t i = 0; i < np; i++) {
        res[i] = py[i] - s->alpha - s->beta * px[i];
        mean += res[i];
    }
    mean /= (double)np;
    double c0 = 0, c1 = 0;
    for (size_t i = 0; i < np; i++) {
        c0 += (res[i] - mean) * (res[i] - mean);
        if (i + 1 < np)
            c1 += (res[i] - mean) * (res[i + 1] - mean);
    }
    double r1 = c0 > 1e-9 * (range * range) * (double)np ? c1 / c0 : 0;
    for (size_t i = 0; i < np; i++)
        res[i] = fabs(res[i] - mean);
    s->sigma = 1.4826 * median(res, np);
    free(res);
    return r1;
}

/* Mann–Kendall on the steady segment; an AR(1)-like residual inflates the variance by the
 * effective-sample-size factor (1+r1)/(1-r1) when r1 is significant. */
static void trend_test(const double *py, size_t np, double r1, site_stats_t *s)
{
    double var, S = ls_mann_kendall(py, np, &var);
    if (r1 > 2.0 / sqrt((double)np)) {
        if (r1 > 0.8)
            r1 = 0.8;
        var *= (1 + r1) / (1 - r1);
    }
    if (var > 0) {
        s->p_up = S > 0 ? norm_sf((S - 1) / sqrt(var)) : 1;
        s->p_down = S < 0 ? norm_sf((-S - 1) / sqrt(var)) : 1;
    }
    s->tau = S / ((double)np * (np - 1) / 2);
}

/* Is it still growing at the end? Slopes of the two halves, and the envelope of the last
 * third against the highest level seen before it (anywhere in the run). */
static void late_growth(const blocks_t *b, size_t k, site_stats_t *s)
{
    size_t m = b->m, np = m - k, h1 = np / 2;
    const double *px = b->x + k, *py = b->y + k;
    s->beta1 = ls_theil_sen(px, py, h1);
    s->beta2 = ls_theil_sen(px + h1, py + h1, np - h1);
    size_t t3 = k + (2 * np) / 3;
    double before = b->ymax[0], last = b->ymax[t3];
    for (size_t i = 1; i < t3; i++)
        if (b->ymax[i] > before)
            before = b->ymax[i];
    for (size_t i = t3; i < m; i++)
        if (b->ymax[i] > last)
            last = b->ymax[i];
    s->e_late = last - before;
    s->span3 = s->end_x - b->xmin[t3];
}

/* The measurements of one site (site_stats_t), in the order docs/classification.md gives. */
static void analyse(const ls_series_view_t *v, const ls_classify_opts_t *o, site_stats_t *s)
{
    memset(s, 0, sizeof *s);
    s->p_up = s->p_down = 1;
    int use_prev_age;
    if (!measure_range(v, o, s, &use_prev_age))
        return;
    size_t n = s->n;
    double range = s->ymax - s->ymin;
    blocks_t *b = ls_xmalloc(sizeof *b);
    make_blocks(v, n, b);
    stepwise(v, n, o, b, s);
    size_t k = choose_burn_in(b, range), np = b->m - k;
    fit_steady(v, n, b, k, s);
    age_evidence(use_prev_age ? &v->age_prev : &v->age_last, s);
    s->kind = np < MIN_POST ? K_SHORT : K_TESTED;
    if (s->kind == K_TESTED) {
        double r1 = residuals(b->x + k, b->y + k, np, range, s);
        trend_test(b->y + k, np, r1, s);
        late_growth(b, k, s);
    }
    free(b);
}

/* Benjamini–Hochberg: q-values for p[idx[0..m)], written to q[idx[...]]. */
typedef struct {
    double p;
    size_t i;
} pidx_t;

static int cmp_pidx(const void *a, const void *b)
{
    const pidx_t *x = a, *y = b;
    if (x->p != y->p)
        return x->p < y->p ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

static void bh_adjust(pidx_t *v, size_t m, double *q)
{
    qsort(v, m, sizeof *v, cmp_pidx);
    double run = 1;
    for (size_t r = m; r-- > 0;) {
        double adj = v[r].p * (double)m / (double)(r + 1);
        if (adj < run)
            run = adj;
        q[v[r].i] = run;
    }
}

void ls_classify(const ls_series_view_t *sites, size_t nsites, const ls_classify_opts_t *opts,
                 ls_class_t *out)
{
    ls_classify_opts_t def;
    if (!opts) {
        ls_classify_defaults(&def);
        opts = &def;
    }
    site_stats_t *st = ls_xcalloc(nsites ? nsites : 1, sizeof *st);
    pidx_t *pv = ls_xmalloc((nsites ? nsites : 1) * sizeof *pv);
    double *q = ls_xmalloc((nsites ? nsites : 1) * sizeof *q);
    size_t m = 0;
    for (size_t i = 0; i < nsites; i++) {
        analyse(&sites[i], opts, &st[i]);
        memset(&out[i], 0, sizeof out[i]);
        out[i].q_up = out[i].q_down = 1;
    }
    /* Only sites that were tested count as hypotheses: series without variation or too
     * short to test are filtered out independently of the test statistic. */
    for (size_t i = 0; i < nsites; i++)
        if (st[i].kind == K_TESTED)
            pv[m++] = (pidx_t){st[i].p_up, i};
    bh_adjust(pv, m, q);
    for (size_t r = 0; r < m; r++)
        out[pv[r].i].q_up = q[pv[r].i];
    m = 0;
    for (size_t i = 0; i < nsites; i++)
        if (st[i].kind == K_TESTED)
            pv[m++] = (pidx_t){st[i].p_down, i};
    bh_adjust(pv, m, q);
    for (size_t r = 0; r < m; r++)
        out[pv[r].i].q_down = q[pv[r].i];
    for (size_t i = 0; i < nsites; i++)
        ls_classify_decide(&sites[i], &st[i], opts, &out[i]);
    free(st);
    free(pv);
    free(q);
}
