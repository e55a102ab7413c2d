/*
 * policy.h — the CI gate's policy: budgets, the severity horizon, the failing severity and
 * suppressions, read from a YAML file (libyaml) or a LeakSanitizer suppression file, with
 * strict validation ("<file>:<line>: <what>"). docs/policy.md is the user's reference.
 */
#ifndef LS_POLICY_H
#define LS_POLICY_H

#include <stddef.h>

#include "classify.h"
#include "snapshot.h"

/* A pattern list: glob patterns (fnmatch, '*' and '?'). */
typedef struct {
    char **pat;
    size_t n;
} ls_patterns_t;

/* A module: the sites any of whose frames matches one of the patterns. */
typedef struct {
    char *name;
    ls_patterns_t files, functions, objects;
    double max_bytes;          /* live bytes of its sites at the end; < 0: no budget */
    double max_bytes_per_step; /* summed growth rate of its growing sites; < 0: none */
    int line;
} ls_module_budget_t;

/* A location budget (issue 14): the allocation locations (function + file + line of the
 * allocating frame, its stacks summed: locations.h) whose function matches `function`, whose
 * file matches `file` when set, at line `at_line` when set; each such location is judged by
 * itself against the budget. */
typedef struct {
    char *name;                /* the rule is "location:<name>"; default: the function pattern */
    char *function, *file;     /* globs (fnmatch); file NULL: any file */
    int at_line;               /* 0: any line */
    double max_bytes;          /* live bytes of the location at the end; < 0: no budget */
    double max_bytes_per_step; /* growth rate of the location while it grows; < 0: none */
    int line;                  /* where it was written in the policy */
} ls_location_budget_t;

/* A suppression: `lsan` holds a LeakSanitizer pattern (matched against every frame's
 * function, file and object, '*' wildcards, '^'/'$' anchors); otherwise each of
 * function/file/object that is set must match one frame (globs). */
typedef struct {
    char *lsan;
    char *function, *file, *object;
    char *reason;
    char *origin; /* "<file>:<line>" where it was written */
} ls_suppression_t;

typedef struct {
    char *path;                 /* NULL for the default policy */
    ls_classify_opts_t cls;     /* horizon, severity thresholds, detection floors */
    int fail_on;                /* the least severity of a `leak` that fails the gate */
    double max_bytes;           /* global budget on the peak traced bytes; < 0: none */
    double warning_pct, critical_pct;
    double max_bytes_per_step;  /* growth budget for any growing site; < 0: none */
    double max_bytes_per_snapshot;
    ls_module_budget_t *modules;
    size_t n_modules;
    ls_location_budget_t *locations; /* budgets.locations */
    size_t n_locations;
    ls_suppression_t *sups;
    size_t n_sups;
    /* Issue 13, the exit snapshot's reachability scan: `unreachable: fail|report|off`
     * (LS_UNREACHABLE_*) and the direct-leak bytes allowed before it fails (default 0). */
    int unreachable;
    double max_direct_leak_bytes;
} ls_policy_t;

enum { LS_UNREACHABLE_OFF, LS_UNREACHABLE_REPORT, LS_UNREACHABLE_FAIL };

/* The documented default: fail on a `leak` of severity medium or worse; no budgets. */
void ls_policy_default(ls_policy_t *p);

/* Read a policy file: YAML, or a file of LeakSanitizer `leak:` lines (then the defaults
 * plus those suppressions). Returns 0, or -1 with "<file>:<line>: <what>" in err. */
int ls_policy_load(const char *path, ls_policy_t *p, char *err, size_t errlen);
/* The same from memory; `name` stands for the file in messages; `dir` resolves a relative
 * suppressions_file (NULL: the working directory). */
int ls_policy_parse(const char *text, size_t len, const char *name, const char *dir, ls_policy_t *p,
                    char *err, size_t errlen);
void ls_policy_free(ls_policy_t *p);

/* Parse a size: a number of bytes, or a number with a unit (B, k/K/KB, M/MB, G/GB, T/TB
 * are powers of 1000; KiB, MiB, GiB, TiB powers of 1024). Returns 0 or -1. */
int ls_parse_size(const char *s, double *out);

/* LeakSanitizer's matching: `pattern` occurs in `s`, '*' matching any run, '^' and '$'
 * anchoring at the ends. */
int ls_lsan_match(const char *pattern, const char *s);

/* The first suppression that matches a site's frames, or NULL. */
const ls_suppression_t *ls_policy_suppressed(const ls_policy_t *p, const ls_frame_info_t *frames, size_t n);
/* Whether a site with these frames belongs to module `m`. */
int ls_module_matches(const ls_module_budget_t *m, const ls_frame_info_t *frames, size_t n);
/* Whether the allocation location `loc` (a site's location frame) falls under budget `b`. */
int ls_location_budget_matches(const ls_location_budget_t *b, const ls_frame_info_t *loc);

#endif /* LS_POLICY_H */
