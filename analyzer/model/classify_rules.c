/*
 * classify_rules.c — the classifier's decision as an ordered table of rules (see
 * classify_rules.h and docs/classification.md): the measurements become evidence once,
 * then the first rule that applies names the pattern.
 */
#include "classify_rules.h"

#include <math.h>

/* ---- figures and evidence ------------------------------------------------------------ */

static void base_figures(const ls_series_view_t *v, const site_stats_t *s, ls_class_t *c)
{
    c->n_used = s->n;
    c->burn_in = s->burn_x;
    c->tau = s->tau;
    c->p_up = s->p_up;
    c->p_down = s->p_down;
    c->old_fraction = s->old_frac;
    c->trend = LS_TREND_STABLE;
    c->severity = LS_SEV_NONE;
    c->growth_bytes = v->n ? v->y[v->n - 1] - v->y[0] : 0;
    c->verdict_live_bytes = s->n ? v->y[s->n - 1] : 0;
    c->verdict_growth_bytes = s->n ? v->y[s->n - 1] - v->y[0] : 0;
}

/* Rates and the projection over the horizon (marked runs per step, else per second). */
static void rate_figures(const ls_series_view_t *v, const site_stats_t *s, const ls_classify_opts_t *o,
                         const ls_evidence_t *e, ls_class_t *c)
{
    c->bytes_per_step = s->beta;
    c->bytes_per_second = e->dt > 0 ? e->G / e->dt : 0;
    c->projected_bytes = v->marked || e->dt <= 0 ? s->beta * o->horizon_steps : c->bytes_per_second * o->horizon_seconds;
    if (c->projected_bytes < 0)
        c->projected_bytes = 0;
    if (s->kind != K_TESTED)
        return;
    c->late_ratio = s->beta1 > 0 ? s->beta2 / s->beta1 : (s->beta2 > 0 ? INFINITY : 0);
    c->age_ratio = s->have_age && s->beta > 0 && s->age_span > 0 ? s->age_first / (s->beta * s->age_span) : 0;
}

static double max2(double a, double b) { return a > b ? a : b; }

/* The tested segment's evidence (all of it pure: a rule reads only what it names). */
static void tested_evidence(const site_stats_t *s, const ls_classify_opts_t *o, const ls_class_t *c,
                            ls_evidence_t *e)
{
    double floor_abs = o->min_growth_bytes, G = e->G;
    /* Growth must clear the absolute floor and the residual noise; the floor relative to the
     * site's level applies where no age evidence backs the trend. */
    int floors_up = G >= floor_abs && G >= 2 * s->sigma;
    int floors_down = -G >= floor_abs && -G >= o->min_growth_rel * max2(e->level, s->ymax * 0.5) && -G >= 2 * s->sigma;
    e->rising = c->q_up < o->fdr && floors_up;
    e->falling = c->q_down < o->fdr && floors_down;
    e->still = s->beta2 > 0 && (s->beta1 <= 0 || s->beta2 >= 0.4 * s->beta1) && s->e_late > 0;
    e->by_age = s->have_age && c->age_ratio >= 0.5;
    /* Memory reborn as it grows (realloc) has no old survivors: then the live bytes alone
     * must rise almost monotonically, well above the noise and the level. */
    e->by_envelope = s->tau >= 0.8 && s->e_late >= 0.5 * s->beta * s->span3 && G >= 4 * s->sigma &&
                     G >= o->min_growth_rel * e->level;
    double late = s->beta2 * e->len / 2;
    e->late_small = late < floor_abs || late < o->min_growth_rel * s->ymax || s->e_late <= 0;
    double big = s->ymax - s->ymin, bbig = s->bpeak - s->bmin;
    double movefloor = max2(floor_abs, 0.1 * bbig);
    e->came_down = s->bend < s->bpeak - max2(floor_abs, 0.5 * bbig) && s->post_range < movefloor;
    e->early_rise = s->pre_rise >= floor_abs && s->pre_rise >= 0.5 * big && s->post_range < 0.25 * s->pre_rise;
}

void ls_classify_evidence(const ls_series_view_t *v, const site_stats_t *s, const ls_classify_opts_t *o,
                          ls_class_t *c, ls_evidence_t *e)
{
    *e = (ls_evidence_t){.v = v, .s = s, .o = o};
    base_figures(v, s, c);
    if (s->kind == K_STABLE)
        return;
    e->len = s->end_x - s->burn_x;
    e->G = s->beta * e->len;
    e->dt = s->end_t - s->burn_t;
    e->level = s->level_b > 0 ? s->level_b : 0;
    rate_figures(v, s, o, e, c);
    if (s->kind == K_TESTED)
        tested_evidence(s, o, c, e);
}

/* ---- the rules, in order ------------------------------------------------------------- */

static int when_unchanged(const ls_evidence_t *e) { return e->s->kind == K_STABLE; }
static void unchanged(const ls_evidence_t *e, ls_class_t *c)
{
    c->pattern = e->s->n < 2 && e->v->n < 2 ? LS_PAT_INCONCLUSIVE : LS_PAT_STABLE;
    c->why = e->s->n < 2 ? "one snapshot" : "no change above the floors";
}

static int when_short(const ls_evidence_t *e) { return e->s->kind == K_SHORT; }
/* Too few points after the burn-in to test: say which way it went, and give a severity only
 * when every step went up by more than the floors. */
static void too_short(const ls_evidence_t *e, ls_class_t *c)
{
    const site_stats_t *s = e->s;
    const ls_classify_opts_t *o = e->o;
    c->pattern = LS_PAT_INCONCLUSIVE;
    c->why = "too few snapshots for a trend test";
    int mono = 1; /* strictly: a flat interval is what a finished warm-up looks like */
    for (size_t i = 1; i < s->n; i++)
        if (e->v->y[i] <= e->v->y[i - 1])
            mono = 0;
    double rise = s->yend - s->ystart;
    if (rise >= o->min_growth_bytes && rise >= o->min_growth_rel * s->ystart) {
        c->trend = LS_TREND_INCREASING;
        if (mono && s->n >= 3 && c->projected_bytes > 0)
            c->severity = ls_severity_for(c->projected_bytes, o);
    } else if (-rise >= o->min_growth_bytes && -rise >= o->min_growth_rel * s->ymax)
        c->trend = LS_TREND_DECREASING;
}

static int when_steady_leak(const ls_evidence_t *e) { return e->rising && e->still && (e->by_age || e->by_envelope); }
static void steady_leak(const ls_evidence_t *e, ls_class_t *c)
{
    c->trend = LS_TREND_INCREASING;
    c->pattern = LS_PAT_LEAK;
    c->severity = ls_severity_for(c->projected_bytes, e->o);
    c->why = e->by_age ? "grows after the burn-in and the memory born then survives"
                       : "grows steadily after the burn-in with no plateau (memory is reborn)";
}

static int when_stepwise_leak(const ls_evidence_t *e) { return e->s->kind == K_TESTED && e->s->step_ok; }
/* The rate is the running maximum's over the second half of the run. */
static void stepwise_leak(const ls_evidence_t *e, ls_class_t *c)
{
    const site_stats_t *s = e->s;
    c->pattern = LS_PAT_LEAK;
    c->trend = LS_TREND_INCREASING;
    c->bytes_per_step = s->step_rate;
    c->projected_bytes = s->step_rate * e->o->horizon_steps;
    if (!e->v->marked && e->dt > 0) {
        c->bytes_per_second = s->step_rate * (s->end_x - s->burn_x) / e->dt;
        c->projected_bytes = c->bytes_per_second * e->o->horizon_seconds;
    }
    c->severity = ls_severity_for(c->projected_bytes, e->o);
    c->why = "grows in steps that keep coming, with no plateau (e.g. a doubling buffer)";
}

static int when_levelled_off(const ls_evidence_t *e) { return e->rising && !e->still && e->late_small; }
static void levelled_off(const ls_evidence_t *e, ls_class_t *c)
{
    const site_stats_t *s = e->s;
    c->trend = LS_TREND_STABLE;
    c->pattern = s->e_late <= 0 && s->pre_rise < e->o->min_growth_bytes ? LS_PAT_BOUNDED
                 : (s->have_age && s->old_frac < 0.5)                    ? LS_PAT_BOUNDED
                                                                         : LS_PAT_WARMUP;
    c->why = "growth levelled off";
}

static int when_slowing(const ls_evidence_t *e) { return e->rising && !e->still; }
static void slowing(const ls_evidence_t *e, ls_class_t *c)
{
    (void)e;
    c->trend = LS_TREND_INCREASING;
    c->pattern = LS_PAT_INCONCLUSIVE;
    c->why = "grows, but slower and slower";
}

static int when_young_rise(const ls_evidence_t *e) { return e->rising; }
static void young_rise(const ls_evidence_t *e, ls_class_t *c)
{
    (void)e;
    c->trend = LS_TREND_INCREASING;
    c->pattern = LS_PAT_INCONCLUSIVE;
    c->why = "grows, but its memory is young and the rise not steady";
}

static int when_falls(const ls_evidence_t *e) { return e->falling; }
static void falls(const ls_evidence_t *e, ls_class_t *c)
{
    (void)e;
    c->trend = LS_TREND_DECREASING;
    c->pattern = LS_PAT_SHRINKING;
    c->why = "falls after the burn-in";
}

static int when_came_down(const ls_evidence_t *e) { return e->came_down; }
static void came_down(const ls_evidence_t *e, ls_class_t *c)
{
    (void)e;
    c->pattern = LS_PAT_SHRINKING;
    c->trend = LS_TREND_STABLE;
    c->why = "came down from its peak and stayed down";
}

static int when_early_rise(const ls_evidence_t *e) { return e->early_rise; }
static void early_rise(const ls_evidence_t *e, ls_class_t *c)
{
    int young = e->s->have_age && e->s->old_frac < 0.5;
    c->pattern = young ? LS_PAT_BOUNDED : LS_PAT_WARMUP;
    c->why = young ? "filled early, then turned over at a fixed level" : "grew early, then stayed flat";
}

static int always(const ls_evidence_t *e) { return (void)e, 1; }
static void no_trend(const ls_evidence_t *e, ls_class_t *c)
{
    c->pattern = e->s->post_range >= e->o->min_growth_bytes ? LS_PAT_BOUNDED : LS_PAT_STABLE;
    c->why = c->pattern == LS_PAT_BOUNDED ? "varies within a bound" : "no meaningful change";
}

const ls_class_rule_t ls_class_rules[] = {
    {"unchanged", "range below the floors, or one point", when_unchanged, unchanged},
    {"too-short", "fewer than MIN_POST points after the burn-in; direction and monotony", when_short, too_short},
    {"steady-leak", "rising, still growing at the end, and old survivors or a monotone envelope", when_steady_leak,
     steady_leak},
    {"stepwise-leak", "running maximum grows in steps that keep coming (tested segment)", when_stepwise_leak,
     stepwise_leak},
    {"levelled-off", "rising, but the second half's growth is below the floors", when_levelled_off, levelled_off},
    {"slowing", "rising, but the second half grows much slower", when_slowing, slowing},
    {"young-rise", "rising, still growing, but no age or envelope evidence", when_young_rise, young_rise},
    {"falls", "significant decrease clearing the floors", when_falls, falls},
    {"came-down", "ended well below its peak and stayed there", when_came_down, came_down},
    {"early-rise", "rose before the steady segment, flat after it", when_early_rise, early_rise},
    {"no-trend", "movement of the steady segment against the floor", always, no_trend},
};
const size_t ls_n_class_rules = sizeof ls_class_rules / sizeof ls_class_rules[0];

size_t ls_classify_rule_for(const ls_evidence_t *e)
{
    size_t i = 0;
    while (i + 1 < ls_n_class_rules && !ls_class_rules[i].applies(e))
        i++;
    return i;
}

void ls_classify_decide(const ls_series_view_t *v, const site_stats_t *s, const ls_classify_opts_t *o,
                        ls_class_t *c)
{
    ls_evidence_t e;
    ls_classify_evidence(v, s, o, c, &e);
    ls_class_rules[ls_classify_rule_for(&e)].conclude(&e, c);
}
