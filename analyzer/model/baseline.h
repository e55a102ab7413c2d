/*
 * baseline.h — what an earlier run said (its JSON report, or its run directory analysed
 * again), and the rule `gate --baseline` applies: only what is new or worse fails.
 */
#ifndef LS_BASELINE_H
#define LS_BASELINE_H

#include <stddef.h>

#include "report.h"

typedef struct {
    char *function, *file;
    int line, pattern, severity;
    double bps;
} base_site_t;

typedef struct {
    char *name;
    double live, bps;
} base_module_t;

typedef struct {
    char *prog;
    double peak;
    base_site_t *sites;
    size_t n_sites;
    base_module_t *mods;
    size_t n_mods;
} base_proc_t;

typedef struct {
    base_proc_t *procs;
    size_t n;
} ls_baseline_t;

/* The largest baseline read: a report of 100,000 sites is about 60 MB. */
#define LS_BASELINE_MAX_BYTES (256u << 20)

/* Read a JSON report written by `report --format json` (a regular file, at most
 * LS_BASELINE_MAX_BYTES). Returns 0, or -1 with one line in err. */
int ls_baseline_from_json(const char *path, ls_baseline_t *b, char *err, size_t errlen);
/* Parse a JSON report held in memory (`name` for messages). Returns 0, or -1 with one line in err. */
int ls_baseline_parse(const char *text, size_t len, const char *name, ls_baseline_t *b, char *err, size_t errlen);
/* Analyse an earlier run directory with the same policy. Returns 0, or -1 with one line in err. */
int ls_baseline_from_run(const char *dir, const ls_policy_t *pol, ls_baseline_t *b, char *err, size_t errlen);
void ls_baseline_free(ls_baseline_t *b);

/* For ls_analysis_filter (arg: the baseline): keeps a violation when its site is new or
 * worse (higher severity, growth more than 25% faster), or a process-wide figure is more
 * than 5% higher; warnings are always kept. */
int ls_baseline_keep(const ls_analysis_t *a, const ls_violation_t *v, void *arg);

#endif /* LS_BASELINE_H */
