/*
 * baseline.c — reads an earlier run's verdict for `gate --baseline` (baseline.h): a JSON
 * report (parsed by jansson, a regular file of at most LS_BASELINE_MAX_BYTES) or a run
 * directory analysed again, and decides which of today's violations are new or worse.
 */
#include "baseline.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key)); /* NULL unless a string */
}

static double jnum(const json_t *o, const char *key, double def)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : def;
}

static int pattern_parse(const char *s)
{
    for (int i = 0; i <= LS_PAT_INCONCLUSIVE; i++)
        if (s && !strcmp(s, ls_pattern_name((ls_pattern_t)i)))
            return i;
    return -1;
}

/* One site of a report; -1 when it lacks a field the gate compares. */
static int base_site_from_json(const json_t *s, base_site_t *b)
{
    const char *fn = jstr(s, "function"), *file = jstr(s, "file");
    int pat = pattern_parse(jstr(s, "pattern")), sev = ls_severity_parse(jstr(s, "severity"));
    if (!fn || !file || pat < 0 || sev < 0)
        return -1;
    double line = jnum(s, "line", 0);
    b->function = ls_xstrdup(fn);
    b->file = ls_xstrdup(file);
    b->line = line >= 0 && line <= 1e9 ? (int)line : 0;
    b->pattern = pat;
    b->severity = sev;
    b->bps = jnum(s, "bytes_per_step", 0);
    return 0;
}

static void base_modules_from_json(const json_t *mods, base_proc_t *bp)
{
    if (!json_is_array(mods))
        return;
    bp->mods = ls_xcalloc(json_array_size(mods) ? json_array_size(mods) : 1, sizeof *bp->mods);
    size_t i;
    const json_t *m;
    json_array_foreach(mods, i, m) {
        const char *name = jstr(m, "name");
        if (!name)
            continue;
        base_module_t *bm = &bp->mods[bp->n_mods++];
        bm->name = ls_xstrdup(name);
        bm->live = jnum(m, "live_bytes", NAN);
        bm->bps = jnum(m, "bytes_per_step", NAN);
    }
}

static int base_proc_from_json(const json_t *o, base_proc_t *bp, const char **why)
{
    const json_t *sites = json_object_get(o, "sites");
    if (!json_is_array(sites)) {
        *why = "no \"sites\" array (not a leakscope report)";
        return -1;
    }
    const char *prog = jstr(o, "program");
    bp->prog = ls_xstrdup(prog ? prog : "");
    bp->peak = jnum(o, "peak_traced_bytes", NAN);
    bp->sites = ls_xcalloc(json_array_size(sites) ? json_array_size(sites) : 1, sizeof *bp->sites);
    size_t i;
    const json_t *s;
    json_array_foreach(sites, i, s) {
        if (base_site_from_json(s, &bp->sites[bp->n_sites]) < 0) {
            *why = "a site lacks function, file, pattern or severity";
            return -1;
        }
        bp->n_sites++;
    }
    base_modules_from_json(json_object_get(o, "modules"), bp);
    return 0;
}

void ls_baseline_free(ls_baseline_t *b)
{
    for (size_t i = 0; i < b->n; i++) {
        base_proc_t *p = &b->procs[i];
        for (size_t k = 0; k < p->n_sites; k++) {
            free(p->sites[k].function);
            free(p->sites[k].file);
        }
        for (size_t k = 0; k < p->n_mods; k++)
            free(p->mods[k].name);
        free(p->sites);
        free(p->mods);
        free(p->prog);
    }
    free(b->procs);
    memset(b, 0, sizeof *b);
}

/* The report's processes: its "processes" array, else the report itself (one process). */
static int baseline_from_root(const json_t *root, ls_baseline_t *b, const char **why)
{
    if (!json_is_object(root)) {
        *why = "not a JSON object (not a leakscope report)";
        return -1;
    }
    const json_t *procs = json_object_get(root, "processes");
    size_t np = json_is_array(procs) ? json_array_size(procs) : 1;
    b->procs = ls_xcalloc(np ? np : 1, sizeof *b->procs);
    for (size_t i = 0; i < np; i++) {
        b->n = i + 1;
        if (base_proc_from_json(json_is_array(procs) ? json_array_get(procs, i) : root, &b->procs[i], why) < 0)
            return -1;
    }
    return 0;
}

int ls_baseline_parse(const char *text, size_t len, const char *name, ls_baseline_t *b, char *err, size_t errlen)
{
    memset(b, 0, sizeof *b);
    json_error_t je;
    json_t *root = json_loadb(text, len, 0, &je); /* validates UTF-8; depth capped by jansson */
    if (!root) {
        snprintf(err, errlen, "%s:%d: baseline is not valid JSON: %s", name, je.line > 0 ? je.line : 1, je.text);
        for (char *c = err; *c; c++) /* jansson quotes the input near the fault: one line, no controls */
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                *c = '?';
        return -1;
    }
    const char *why = NULL;
    int rc = baseline_from_root(root, b, &why);
    json_decref(root);
    if (rc < 0) {
        snprintf(err, errlen, "%s: baseline: %s", name, why);
        ls_baseline_free(b);
    }
    return rc;
}

int ls_baseline_from_json(const char *path, ls_baseline_t *b, char *err, size_t errlen)
{
    char *text;
    size_t len;
    memset(b, 0, sizeof *b);
    if (ls_read_file(path, LS_BASELINE_MAX_BYTES, "baseline", &text, &len, err, errlen) < 0)
        return -1;
    int rc = ls_baseline_parse(text, len, path, b, err, errlen);
    free(text);
    return rc;
}

int ls_baseline_from_run(const char *dir, const ls_policy_t *pol, ls_baseline_t *b, char *err, size_t errlen)
{
    ls_analysis_t a;
    if (ls_analyze(dir, pol, &a, err, errlen) < 0)
        return -1;
    b->n = a.n_procs;
    b->procs = ls_xcalloc(a.n_procs ? a.n_procs : 1, sizeof *b->procs);
    for (size_t i = 0; i < a.n_procs; i++) {
        const ls_proc_result_t *r = &a.procs[i];
        base_proc_t *bp = &b->procs[i];
        bp->prog = ls_xstrdup(r->p->prog);
        bp->peak = (double)r->p->traced_peak;
        bp->sites = ls_xcalloc(r->n_sites ? r->n_sites : 1, sizeof *bp->sites);
        for (size_t k = 0; k < r->n_sites; k++) {
            const ls_site_result_t *s = &r->sites[k];
            base_site_t *bs = &bp->sites[bp->n_sites++];
            bs->function = ls_xstrdup(s->loc->function);
            bs->file = ls_xstrdup(s->loc->file);
            bs->line = s->loc->line;
            bs->pattern = (int)s->c.pattern;
            bs->severity = (int)s->c.severity;
            bs->bps = s->c.bytes_per_step;
        }
        bp->mods = ls_xcalloc(pol->n_modules ? pol->n_modules : 1, sizeof *bp->mods);
        for (size_t m = 0; m < pol->n_modules; m++) {
            bp->mods[m].name = ls_xstrdup(pol->modules[m].name);
            bp->mods[m].live = r->modules[m].live_bytes;
            bp->mods[m].bps = r->modules[m].bytes_per_step;
        }
        bp->n_mods = pol->n_modules;
    }
    ls_analysis_free(&a);
    return 0;
}

/* The baseline's process for `prog`: the same program name, else the only one. */
static const base_proc_t *base_proc(const ls_baseline_t *b, const char *prog)
{
    for (size_t i = 0; i < b->n; i++)
        if (!strcmp(b->procs[i].prog, prog))
            return &b->procs[i];
    return b->n == 1 ? &b->procs[0] : NULL;
}

/* The same site in the baseline: function, file and line; else function and file when that
 * names one site only (lines move between versions). */
static const base_site_t *base_site(const base_proc_t *bp, const ls_frame_info_t *loc)
{
    const base_site_t *by_func = NULL;
    int n_func = 0;
    for (size_t i = 0; i < bp->n_sites; i++) {
        const base_site_t *s = &bp->sites[i];
        if (strcmp(s->function, loc->function) || strcmp(s->file, loc->file))
            continue;
        if (s->line == loc->line)
            return s;
        by_func = s;
        n_func++;
    }
    return n_func == 1 ? by_func : NULL;
}

/* A violation stands against a baseline when its site is new, or worse: a higher severity, or
 * growth more than 25% faster; a process-wide figure when it is more than 5% higher. */
int ls_baseline_keep(const ls_analysis_t *a, const ls_violation_t *v, void *arg)
{
    const ls_baseline_t *b = arg;
    if (v->warning)
        return 1;
    const ls_proc_result_t *r = &a->procs[v->proc];
    const base_proc_t *bp = base_proc(b, r->p->prog);
    if (!bp)
        return 1;
    if (v->site) {
        const base_site_t *bs = base_site(bp, v->site->loc);
        if (!bs)
            return 1;
        if (v->kind == LS_RULE_LEAK)
            return bs->pattern != LS_PAT_LEAK || (int)v->site->c.severity > bs->severity;
        return v->site->c.bytes_per_step > 1.25 * (bs->bps > 0 ? bs->bps : 0);
    }
    if (v->kind == LS_RULE_GLOBAL_MAX_BYTES)
        return !(bp->peak >= 0) || (double)r->p->traced_peak > 1.05 * bp->peak;
    if (ls_rule_is_module(v->kind)) {
        const char *name = a->policy->modules[v->module].name;
        const ls_module_usage_t *u = &r->modules[v->module];
        for (size_t k = 0; k < bp->n_mods; k++)
            if (!strcmp(bp->mods[k].name, name))
                return !(u->live_bytes <= 1.05 * bp->mods[k].live &&
                         u->bytes_per_step <= 1.25 * (bp->mods[k].bps > 0 ? bp->mods[k].bps : 0));
    }
    return 1;
}

