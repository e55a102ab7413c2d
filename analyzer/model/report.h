/*
 * report.h — a run analysed for people and CI: every process's sites classified, ordered
 * so that the sites that matter come first, and the policy's rules evaluated into
 * violations. Shared by `report` (text, JSON, HTML), `gate` and `run`.
 */
#ifndef LS_REPORT_H
#define LS_REPORT_H

#include <stdio.h>

#include "classify.h"
#include "policy.h"
#include "series.h"

/* Issue 11: a site of a sampled process — its figures are estimates, with 95% intervals
 * (model/sampling_verdict.c). sampled 0 in an exact run. */
typedef struct {
    int sampled;
    uint64_t live_samples;          /* samples behind the last live figure */
    double live_lo, live_hi;        /* live bytes at the last snapshot */
    double rate_lo, rate_hi;        /* growth per step (per snapshot when unmarked) */
} ls_site_estimate_t;

typedef struct {
    const ls_site_series_t *s;
    const ls_frame_info_t *loc;
    ls_class_t c;
    double live_bytes, live_count; /* at the last snapshot */
    double bytes_per_snapshot;     /* growth per snapshot interval */
    const ls_suppression_t *sup;   /* the suppression that matches it, or NULL */
    int violated;                  /* breaks a rule of the policy */
    size_t index;                  /* in the process's sites */
    ls_site_estimate_t est;        /* issue 11: sampled runs */
} ls_site_result_t;

typedef struct {
    double live_bytes, bytes_per_step;
} ls_module_usage_t;

typedef struct {
    const ls_proc_series_t *p;
    ls_site_result_t *sites; /* most important first */
    size_t n_sites;
    ls_class_t total;        /* the process's traced bytes, classified like a site */
    ls_module_usage_t *modules; /* one per policy module */
    size_t counts[6];        /* sites per pattern */
    struct ls_location_result *locations; /* locations of two or more stacks (locations.h) */
    size_t n_locations;
    int fail;                /* some rule is broken in this process */
    uint64_t sample_rate;    /* issue 11: LEAKSCOPE_SAMPLE of its last snapshot, 0 exact */
} ls_proc_result_t;

/* The kinds of rule a policy sets (docs/policy.md). */
typedef enum {
    LS_RULE_LEAK,                 /* a site classified leak at fail_on severity or worse */
    LS_RULE_GROWTH_PER_STEP,      /* growth.max_bytes_per_step, per site */
    LS_RULE_GROWTH_PER_SNAPSHOT,  /* growth.max_bytes_per_snapshot, per site */
    LS_RULE_GLOBAL_MAX_BYTES,     /* global.max_bytes, the process's peak */
    LS_RULE_MODULE_MAX_BYTES,     /* a module's max_bytes */
    LS_RULE_MODULE_GROWTH,        /* a module's max_bytes_per_step */
    LS_RULE_UNREACHABLE,          /* unreachable: a site's direct leaks at exit (issue 13) */
    LS_RULE_LOCATION_MAX_BYTES,   /* a location budget's max_bytes (issue 14) */
    LS_RULE_LOCATION_GROWTH,      /* a location budget's max_bytes_per_step (issue 14) */
} ls_rule_kind_t;

/* A broken rule, or a warning (`warning` set: reported, never fails). Consumers decide by
 * kind, module and site; `rule` is only the name shown to people. */
typedef struct {
    size_t proc;
    const ls_site_result_t *site; /* NULL for a process-wide rule */
    ls_rule_kind_t kind;
    size_t module;                /* index in the policy's modules (LS_RULE_MODULE_*), or in its
                                     location budgets (LS_RULE_LOCATION_*) */
    char *rule;                   /* "leak", "growth.max_bytes_per_step", "global.max_bytes", "module:<name>",
                                     "location:<name>" ... */
    char *message;                /* one line with the numbers */
    int warning;
} ls_violation_t;

/* True for the rules of a module budget. */
int ls_rule_is_module(ls_rule_kind_t kind);
/* True for the rules of a location budget (the violation's site is the location's leading
 * stack; `module` indexes the policy's location budgets). */
int ls_rule_is_location(ls_rule_kind_t kind);

typedef struct {
    ls_series_t series;
    const ls_policy_t *policy;
    ls_proc_result_t *procs;
    size_t n_procs;
    ls_violation_t *v;
    size_t n_v;
    int fail;
} ls_analysis_t;

/* Load `dir`, classify with the policy's options and evaluate its rules. Returns 0, or -1
 * with a one-line message in err. */
int ls_analyze(const char *dir, const ls_policy_t *policy, ls_analysis_t *a, char *err, size_t errlen);
void ls_analysis_free(ls_analysis_t *a);

/* "function (file:line)" of a site, for messages; static buffer of the caller. */
const char *ls_site_label(const ls_site_result_t *r, char *buf, size_t len);

/* Keep only the violations that `keep` accepts (used by --baseline); recomputes fail. */
void ls_analysis_filter(ls_analysis_t *a, int (*keep)(const ls_analysis_t *a, const ls_violation_t *v, void *arg),
                        void *arg);

/* Issue 11 (model/sampling_verdict.c): in a sampled process, give every site its 95%
 * intervals and judge its verdict on them (a leak the noise could explain becomes
 * inconclusive; severity from the interval's low end). Call before the rules. */
void ls_sampling_adjust(ls_analysis_t *a, size_t pi);
/* Issue 11 (out/report_sampling.c): the sampled-run notes and intervals of each output. */
void ls_sampling_text(FILE *f, const ls_proc_result_t *r, size_t limit, int all);
void ls_sampling_json_proc(FILE *f, const ls_proc_result_t *r); /* ", \"sampling\": {...}" or nothing */
void ls_sampling_json_site(FILE *f, const ls_site_result_t *s); /* ", \"estimate\": {...}" or nothing */
void ls_sampling_html(FILE *f, const ls_proc_result_t *r);

/* Renderers; `limit` caps the sites listed (0: all that matter). */
void ls_report_text(FILE *f, const ls_analysis_t *a, size_t limit, int all);
void ls_report_json(FILE *f, const ls_analysis_t *a);
void ls_report_html(FILE *f, const ls_analysis_t *a);

/* `gate --junit`: the verdict as JUnit XML. */
void ls_report_junit(FILE *f, const ls_analysis_t *a);

/* The gate's output: one line per broken rule (and warning), then the verdict line.
 * Returns the gate's exit status (0 pass, 1 fail). */
int ls_gate_print(FILE *f, const ls_analysis_t *a);

/* A growth rate for people: "+40 B", "-2 B", "0 B" (no sign on nothing). */
const char *ls_format_rate(char *buf, size_t len, double bytes);

/* Unicode sparkline of `n` values resampled to `width` cells into buf. */
const char *ls_sparkline(const double *y, size_t n, size_t width, char *buf, size_t len);

#endif /* LS_REPORT_H */
