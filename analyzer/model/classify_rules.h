/*
 * classify_rules.h — the classifier's decision (docs/classification.md): the measurements
 * of one site (site_stats_t, made by classify.c), the evidence derived from them
 * (ls_evidence_t), and an ordered table of rules — the first rule whose condition holds
 * gives the pattern, trend, severity and the phrase of evidence. Internal to the model,
 * exposed for the unit tests of each rule.
 */
#ifndef LS_CLASSIFY_RULES_H
#define LS_CLASSIFY_RULES_H

#include "classify.h"

/* What the measurements of a site allow: nothing moved, too few points after the burn-in
 * to test, or a tested steady segment. */
enum { K_STABLE, K_SHORT, K_TESTED };

/* The measurements of one site (classify.c measures, the rules read). */
typedef struct {
    int kind;
    size_t n;             /* points used */
    double ymin, ymax, yend, ystart;
    double beta, alpha;   /* Theil–Sen line of the steady segment */
    double beta1, beta2;  /* ... of its first and second halves */
    double burn_x, end_x, burn_t, end_t;
    double level_b;       /* the line's value at the burn-in */
    double pre_rise;      /* level at the burn-in minus the first value */
    double post_range;    /* max - min of the steady segment (block means) */
    double bpeak, bmin, bend; /* highest, lowest and last block mean */
    double sigma;         /* robust residual scale (1.4826 MAD) */
    double e_late;        /* max of the last third of the steady segment - max of all before it */
    double span3;         /* x length of that last third */
    double tau;
    double p_up, p_down;
    double age_first;     /* survivors born in the first half of the steady segment */
    double age_span;      /* the birth-epoch span age_first covers */
    double old_frac;      /* share of final live bytes born before the burn-in */
    int have_age;
    /* Stepwise growth of the running maximum over the whole series (see stepwise()). */
    int step_ok;
    double step_rate;
} site_stats_t;

/* The evidence the rules read, derived once per site. */
typedef struct {
    const ls_series_view_t *v;
    const site_stats_t *s;
    const ls_classify_opts_t *o;
    double len;        /* x length of the steady segment */
    double G;          /* its growth: slope × length */
    double dt;         /* its length in seconds (0 when unknown) */
    double level;      /* the line's level at the burn-in, >= 0 */
    int rising;        /* significant increase (BH q < fdr) clearing the floors */
    int falling;       /* significant decrease clearing the floors */
    int still;         /* still growing at the end: second half's slope and the late envelope */
    int by_age;        /* memory born after the burn-in survives (age ratio >= 0.5) */
    int by_envelope;   /* rises almost monotonically, well above noise and level */
    int late_small;    /* the second half's growth is below the floors, or the envelope flat */
    int came_down;     /* ended well below its peak and stayed there */
    int early_rise;    /* rose before the steady segment, which then stays within a quarter of it */
} ls_evidence_t;

/* One rule: when it applies (reading only the evidence) and what it concludes. */
typedef struct {
    const char *name;     /* for tests and docs/classification.md */
    const char *evidence; /* what it reads, in words */
    int (*applies)(const ls_evidence_t *e);
    void (*conclude)(const ls_evidence_t *e, ls_class_t *c);
} ls_class_rule_t;

/* The rules in the order they are tried; the last one always applies. */
extern const ls_class_rule_t ls_class_rules[];
extern const size_t ls_n_class_rules;

/* The figures of c that do not depend on the rule (rates, projection, ratios) and the
 * evidence e. c->q_up and c->q_down must be set. */
void ls_classify_evidence(const ls_series_view_t *v, const site_stats_t *s, const ls_classify_opts_t *o,
                          ls_class_t *c, ls_evidence_t *e);
/* The index of the rule that decides e. */
size_t ls_classify_rule_for(const ls_evidence_t *e);
/* Evidence, then the first rule that applies. */
void ls_classify_decide(const ls_series_view_t *v, const site_stats_t *s, const ls_classify_opts_t *o,
                        ls_class_t *c);

#endif /* LS_CLASSIFY_RULES_H */
