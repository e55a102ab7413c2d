/*
 * baseline.c — reads an earlier run's verdict for `gate --baseline` (baseline.h): a JSON
 * report or a run directory, and decides which of today's violations are new or worse.
 */
#include "baseline.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* A small JSON reader, enough for leakscope's own reports: values into a tree. */
typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype_t;
typedef struct jval {
    jtype_t t;
    double num;
    char *str;
    struct jval *items; /* J_ARR / J_OBJ values */
    char **keys;        /* J_OBJ */
    size_t n;
} jval_t;

typedef struct {
    const char *s, *end, *start;
    const char *why;
    int depth;
} jparser_t;

static void jskip(jparser_t *p)
{
    while (p->s < p->end && isspace((unsigned char)*p->s))
        p->s++;
}

static int jerr(jparser_t *p, const char *why)
{
    if (!p->why)
        p->why = why;
    return -1;
}

static int jstring(jparser_t *p, char **out)
{
    if (p->s >= p->end || *p->s != '"')
        return jerr(p, "expected a string");
    p->s++;
    size_t cap = 32, n = 0;
    char *b = ls_xmalloc(cap);
    while (p->s < p->end && *p->s != '"') {
        char c = *p->s++;
        if (c == '\\') {
            if (p->s >= p->end)
                break;
            char e = *p->s++;
            switch (e) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'u':
                if (p->end - p->s < 4) {
                    free(b);
                    return jerr(p, "bad \\u escape");
                }
                {
                    char hex[5] = {p->s[0], p->s[1], p->s[2], p->s[3], 0};
                    long v = strtol(hex, NULL, 16);
                    p->s += 4;
                    if (v >= 0x80) { /* UTF-8: two or three bytes (surrogates stay as they are) */
                        if (n + 4 > cap)
                            b = ls_xrealloc(b, cap *= 2);
                        if (v >= 0x800)
                            b[n++] = (char)(0xE0 | (v >> 12)), b[n++] = (char)(0x80 | ((v >> 6) & 0x3F));
                        else
                            b[n++] = (char)(0xC0 | (v >> 6));
                        c = (char)(0x80 | (v & 0x3F));
                    } else
                        c = (char)v;
                }
                break;
            default: c = e;
            }
        }
        if (n + 2 > cap)
            b = ls_xrealloc(b, cap *= 2);
        b[n++] = c;
    }
    if (p->s >= p->end) {
        free(b);
        return jerr(p, "unterminated string");
    }
    p->s++;
    b[n] = 0;
    *out = b;
    return 0;
}

static void jfree(jval_t *v)
{
    free(v->str);
    for (size_t i = 0; i < v->n; i++) {
        jfree(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
}

static int jvalue(jparser_t *p, jval_t *v)
{
    memset(v, 0, sizeof *v);
    jskip(p);
    if (p->s >= p->end)
        return jerr(p, "unexpected end");
    if (++p->depth > 64)
        return jerr(p, "nested too deeply");
    int rc = 0;
    char c = *p->s;
    if (c == '{' || c == '[') {
        v->t = c == '{' ? J_OBJ : J_ARR;
        p->s++;
        jskip(p);
        if (p->s < p->end && *p->s == (c == '{' ? '}' : ']')) {
            p->s++;
            p->depth--;
            return 0;
        }
        for (;;) {
            char *key = NULL;
            jskip(p);
            if (v->t == J_OBJ) {
                if (jstring(p, &key))
                    return -1;
                jskip(p);
                if (p->s >= p->end || *p->s != ':') {
                    free(key);
                    return jerr(p, "expected ':'");
                }
                p->s++;
            }
            v->items = ls_xrealloc(v->items, (v->n + 1) * sizeof *v->items);
            if (v->t == J_OBJ)
                v->keys = ls_xrealloc(v->keys, (v->n + 1) * sizeof *v->keys), v->keys[v->n] = key;
            if (jvalue(p, &v->items[v->n])) {
                v->n++;
                return -1;
            }
            v->n++;
            jskip(p);
            if (p->s < p->end && *p->s == ',') {
                p->s++;
                continue;
            }
            if (p->s < p->end && *p->s == (v->t == J_OBJ ? '}' : ']')) {
                p->s++;
                break;
            }
            return jerr(p, "expected ',' or a closing bracket");
        }
    } else if (c == '"') {
        v->t = J_STR;
        rc = jstring(p, &v->str);
    } else if (!strncmp(p->s, "true", 4) || !strncmp(p->s, "false", 5)) {
        v->t = J_BOOL;
        v->num = *p->s == 't';
        p->s += *p->s == 't' ? 4 : 5;
    } else if (!strncmp(p->s, "null", 4)) {
        p->s += 4;
    } else {
        char *e;
        errno = 0;
        v->t = J_NUM;
        v->num = strtod(p->s, &e);
        if (e == p->s || e > p->end)
            return jerr(p, "unexpected character");
        p->s = e;
    }
    p->depth--;
    return rc;
}

static const jval_t *jget(const jval_t *o, const char *key)
{
    if (!o || o->t != J_OBJ)
        return NULL;
    for (size_t i = 0; i < o->n; i++)
        if (!strcmp(o->keys[i], key))
            return &o->items[i];
    return NULL;
}

static const char *jstr(const jval_t *o, const char *key)
{
    const jval_t *v = jget(o, key);
    return v && v->t == J_STR ? v->str : NULL;
}

static double jnum(const jval_t *o, const char *key, double def)
{
    const jval_t *v = jget(o, key);
    return v && v->t == J_NUM ? v->num : def;
}

static int pattern_parse(const char *s)
{
    for (int i = 0; i <= LS_PAT_INCONCLUSIVE; i++)
        if (s && !strcmp(s, ls_pattern_name((ls_pattern_t)i)))
            return i;
    return -1;
}

static int base_proc_from_json(const jval_t *o, base_proc_t *bp, const char **why)
{
    const jval_t *sites = jget(o, "sites");
    if (!sites || sites->t != J_ARR) {
        *why = "no \"sites\" array (not a leakscope report)";
        return -1;
    }
    const char *prog = jstr(o, "program");
    bp->prog = ls_xstrdup(prog ? prog : "");
    bp->peak = jnum(o, "peak_traced_bytes", NAN);
    bp->sites = ls_xcalloc(sites->n ? sites->n : 1, sizeof *bp->sites);
    for (size_t i = 0; i < sites->n; i++) {
        const jval_t *s = &sites->items[i];
        const char *fn = jstr(s, "function"), *file = jstr(s, "file");
        int pat = pattern_parse(jstr(s, "pattern")), sev = ls_severity_parse(jstr(s, "severity"));
        if (!fn || !file || pat < 0 || sev < 0) {
            *why = "a site lacks function, file, pattern or severity";
            return -1;
        }
        base_site_t *b = &bp->sites[bp->n_sites++];
        b->function = ls_xstrdup(fn);
        b->file = ls_xstrdup(file);
        b->line = (int)jnum(s, "line", 0);
        b->pattern = pat;
        b->severity = sev;
        b->bps = jnum(s, "bytes_per_step", 0);
    }
    const jval_t *mods = jget(o, "modules");
    if (mods && mods->t == J_ARR) {
        bp->mods = ls_xcalloc(mods->n ? mods->n : 1, sizeof *bp->mods);
        for (size_t i = 0; i < mods->n; i++) {
            const char *name = jstr(&mods->items[i], "name");
            if (!name)
                continue;
            base_module_t *m = &bp->mods[bp->n_mods++];
            m->name = ls_xstrdup(name);
            m->live = jnum(&mods->items[i], "live_bytes", NAN);
            m->bps = jnum(&mods->items[i], "bytes_per_step", NAN);
        }
    }
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
}

int ls_baseline_from_json(const char *path, ls_baseline_t *b, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    char *text = ls_xmalloc(cap);
    size_t r;
    while ((r = fread(text + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap)
            text = ls_xrealloc(text, cap *= 2);
    }
    text[n] = 0; /* strtod and strncmp may look past the end: they stop here */
    fclose(f);
    jparser_t p = {text, text + n, text, NULL, 0};
    jval_t root;
    int rc = jvalue(&p, &root);
    if (rc == 0) {
        jskip(&p);
        if (p.s != p.end)
            rc = jerr(&p, "trailing data after the report");
    }
    const char *why = p.why;
    if (rc == 0 && root.t != J_OBJ)
        why = "not a JSON object (not a leakscope report)", rc = -1;
    if (rc == 0) {
        const jval_t *procs = jget(&root, "processes");
        size_t np = procs && procs->t == J_ARR ? procs->n : 1;
        b->procs = ls_xcalloc(np, sizeof *b->procs);
        for (size_t i = 0; i < np && rc == 0; i++) {
            b->n = i + 1;
            rc = base_proc_from_json(procs && procs->t == J_ARR ? &procs->items[i] : &root, &b->procs[i], &why);
        }
    }
    if (rc) {
        if (p.why) {
            int line = 1;
            for (const char *c = text; c < p.s && c < text + n; c++)
                line += *c == '\n';
            snprintf(err, errlen, "%s:%d: baseline is not valid JSON: %s", path, line, why);
        } else
            snprintf(err, errlen, "%s: baseline: %s", path, why);
        ls_baseline_free(b);
        memset(b, 0, sizeof *b);
    }
    jfree(&root);
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

