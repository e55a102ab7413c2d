/*
 * policy.c — reading and validating gate policies (YAML through libyaml's document API,
 * or LeakSanitizer suppression files) and matching suppressions and modules to sites.
 * Every fault is reported once as "<file>:<line>: <what>"; nothing is half-applied.
 */
#include "policy.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util.h"

void ls_policy_default(ls_policy_t *p)
{
    memset(p, 0, sizeof *p);
    ls_classify_defaults(&p->cls);
    p->fail_on = LS_SEV_MEDIUM;
    p->max_bytes = -1;
    p->warning_pct = 80;
    p->critical_pct = 100;
    p->max_bytes_per_step = -1;
    p->max_bytes_per_snapshot = -1;
    p->unreachable = LS_UNREACHABLE_FAIL; /* as LeakSanitizer's exit status: any direct leak fails */
    p->max_direct_leak_bytes = 0;
}

static void free_patterns(ls_patterns_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->pat[i]);
    free(l->pat);
}

void ls_policy_free(ls_policy_t *p)
{
    for (size_t i = 0; i < p->n_modules; i++) {
        free(p->modules[i].name);
        free_patterns(&p->modules[i].files);
        free_patterns(&p->modules[i].functions);
        free_patterns(&p->modules[i].objects);
    }
    for (size_t i = 0; i < p->n_locations; i++) {
        free(p->locations[i].name);
        free(p->locations[i].function);
        free(p->locations[i].file);
    }
    free(p->locations);
    for (size_t i = 0; i < p->n_sups; i++) {
        ls_suppression_t *s = &p->sups[i];
        free(s->lsan);
        free(s->function);
        free(s->file);
        free(s->object);
        free(s->reason);
        free(s->origin);
    }
    free(p->modules);
    free(p->sups);
    free(p->path);
    memset(p, 0, sizeof *p);
}

int ls_parse_size(const char *s, double *out)
{
    if (!s)
        return -1;
    while (isspace((unsigned char)*s))
        s++;
    if (!isdigit((unsigned char)*s) && *s != '.')
        return -1;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || end == s || !isfinite(v) || v < 0)
        return -1;
    while (isspace((unsigned char)*end))
        end++;
    static const struct {
        const char *unit;
        double mult;
    } units[] = {
        {"", 1}, {"b", 1}, {"k", 1e3}, {"kb", 1e3}, {"m", 1e6}, {"mb", 1e6}, {"g", 1e9}, {"gb", 1e9},
        {"t", 1e12}, {"tb", 1e12}, {"kib", 1024.0}, {"mib", 1048576.0}, {"gib", 1073741824.0},
        {"tib", 1099511627776.0}, {"ki", 1024.0}, {"mi", 1048576.0}, {"gi", 1073741824.0},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcasecmp(end, units[i].unit) == 0) {
            *out = v * units[i].mult;
            return 0;
        }
    return -1;
}

/* ---- LeakSanitizer patterns -------------------------------------------------------- */

/* Does `p` (up to pend) match `s` starting exactly at s, '*' any run, '$' end anchor. */
static int lsan_here(const char *p, const char *s)
{
    for (; *p; p++) {
        if (*p == '*') {
            while (p[1] == '*')
                p++;
            if (!p[1])
                return 1;
            for (const char *t = s; *t; t++)
                if (lsan_here(p + 1, t))
                    return 1;
            return lsan_here(p + 1, s + strlen(s));
        }
        if (*p == '$' && !p[1])
            return *s == 0;
        if (*s != *p)
            return 0;
        s++;
    }
    return 1;
}

int ls_lsan_match(const char *pattern, const char *s)
{
    if (!pattern || !s)
        return 0;
    if (*pattern == '^')
        return lsan_here(pattern + 1, s);
    for (const char *t = s;; t++) {
        if (lsan_here(pattern, t))
            return 1;
        if (!*t)
            return 0;
    }
}

static int glob_any(const char *pat, const ls_frame_info_t *f, size_t n, int which)
{
    for (size_t i = 0; i < n; i++) {
        const char *s = which == 0 ? f[i].function : which == 1 ? f[i].file : f[i].module;
        if (s && fnmatch(pat, s, 0) == 0)
            return 1;
    }
    return 0;
}

const ls_suppression_t *ls_policy_suppressed(const ls_policy_t *p, const ls_frame_info_t *frames, size_t n)
{
    for (size_t k = 0; k < p->n_sups; k++) {
        const ls_suppression_t *s = &p->sups[k];
        if (s->lsan) {
            for (size_t i = 0; i < n; i++)
                if (ls_lsan_match(s->lsan, frames[i].function) || ls_lsan_match(s->lsan, frames[i].file) ||
                    ls_lsan_match(s->lsan, frames[i].module))
                    return s;
            continue;
        }
        if ((!s->function || glob_any(s->function, frames, n, 0)) && (!s->file || glob_any(s->file, frames, n, 1)) &&
            (!s->object || glob_any(s->object, frames, n, 2)))
            return s;
    }
    return NULL;
}

int ls_module_matches(const ls_module_budget_t *m, const ls_frame_info_t *frames, size_t n)
{
    for (size_t i = 0; i < m->functions.n; i++)
        if (glob_any(m->functions.pat[i], frames, n, 0))
            return 1;
    for (size_t i = 0; i < m->files.n; i++)
        if (glob_any(m->files.pat[i], frames, n, 1))
            return 1;
    for (size_t i = 0; i < m->objects.n; i++)
        if (glob_any(m->objects.pat[i], frames, n, 2))
            return 1;
    return 0;
}

int ls_location_budget_matches(const ls_location_budget_t *b, const ls_frame_info_t *loc)
{
    return loc && loc->function && fnmatch(b->function, loc->function, 0) == 0 &&
           (!b->file || (loc->file && fnmatch(b->file, loc->file, 0) == 0)) && (!b->at_line || loc->line == b->at_line);
}

/* ---- parsing ---------------------------------------------------------------------- */

typedef struct {
    yaml_document_t doc;
    const char *name, *dir;
    char *err;
    size_t errlen;
    ls_policy_t *p;
} ctx_t;

/* Every error message of the parser goes through here: "<where>:<line>: <what>", one
 * line whatever the file held (a quoted value may carry newlines or control characters:
 * found by fuzzing, tests/fuzz/regressions/policy/). Returns -1. */
static int vfail_at(ctx_t *c, const char *where, int line, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (line > 0)
        snprintf(c->err, c->errlen, "%s:%d: %s", where, line, msg);
    else
        snprintf(c->err, c->errlen, "%s: %s", where, msg);
    for (char *q = c->err; c->errlen && *q; q++)
        if ((unsigned char)*q < 0x20 || *q == 0x7f)
            *q = ' ';
    return -1;
}

__attribute__((format(printf, 4, 5))) static int fail_at(ctx_t *c, const char *where, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vfail_at(c, where, line, fmt, ap);
    va_end(ap);
    return r;
}

__attribute__((format(printf, 3, 4))) static int fail(ctx_t *c, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vfail_at(c, c->name, line, fmt, ap);
    va_end(ap);
    return r;
}

static int line_of(yaml_node_t *n) { return n ? (int)n->start_mark.line + 1 : 0; }
static yaml_node_t *node(ctx_t *c, int id) { return yaml_document_get_node(&c->doc, id); }

static const char *scalar(yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int want_scalar(ctx_t *c, yaml_node_t *n, const char *key, const char **out)
{
    if (!(*out = scalar(n)))
        return fail(c, line_of(n), "'%s' must be a single value", key);
    return 0;
}

static int get_size(ctx_t *c, yaml_node_t *n, const char *key, double *out)
{
    const char *s;
    if (want_scalar(c, n, key, &s))
        return -1;
    if (ls_parse_size(s, out))
        return fail(c, line_of(n), "'%s': '%s' is not a size (a number of bytes, or e.g. 64KiB, 10MB, 1GiB)", key, s);
    return 0;
}

static int get_number(ctx_t *c, yaml_node_t *n, const char *key, double lo, double hi, double *out)
{
    const char *s;
    if (want_scalar(c, n, key, &s))
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi)
        return fail(c, line_of(n), "'%s': '%s' is not a number in [%g, %g]", key, s, lo, hi);
    *out = v;
    return 0;
}

static int get_string(ctx_t *c, yaml_node_t *n, const char *key, char **out)
{
    const char *s;
    if (want_scalar(c, n, key, &s))
        return -1;
    if (!*s)
        return fail(c, line_of(n), "'%s' is empty", key);
    free(*out);
    *out = ls_xstrdup(s);
    return 0;
}

static int get_severity(ctx_t *c, yaml_node_t *n, const char *key, int *out)
{
    const char *s;
    if (want_scalar(c, n, key, &s))
        return -1;
    int v = ls_severity_parse(s);
    if (v < 0)
        return fail(c, line_of(n), "'%s': '%s' is not a severity (none, low, medium, high, critical)", key, s);
    *out = v;
    return 0;
}

static int get_patterns(ctx_t *c, yaml_node_t *n, const char *key, ls_patterns_t *out)
{
    if (n->type == YAML_SCALAR_NODE) {
        out->pat = ls_xrealloc(out->pat, (out->n + 1) * sizeof *out->pat);
        out->pat[out->n++] = ls_xstrdup(scalar(n));
        return 0;
    }
    if (n->type != YAML_SEQUENCE_NODE)
        return fail(c, line_of(n), "'%s' must be a pattern or a list of patterns", key);
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        yaml_node_t *e = node(c, *it);
        const char *s = scalar(e);
        if (!s || !*s)
            return fail(c, line_of(e), "'%s': each entry must be a non-empty pattern", key);
        out->pat = ls_xrealloc(out->pat, (out->n + 1) * sizeof *out->pat);
        out->pat[out->n++] = ls_xstrdup(s);
    }
    return 0;
}

/* Iterate a mapping node's pairs; the body sees `k` (key string), `kn` and `v` (nodes). */
#define FOR_PAIRS(c, map, k, kn, v)                                                                      \
    for (yaml_node_pair_t *pr_##k = (map)->data.mapping.pairs.start; pr_##k < (map)->data.mapping.pairs.top; \
         pr_##k++)                                                                                       \
        for (yaml_node_t *kn = node(c, pr_##k->key), *v = node(c, pr_##k->value); kn; kn = NULL)         \
            for (const char *k = scalar(kn) ? scalar(kn) : ""; k; k = NULL)

static int want_mapping(ctx_t *c, yaml_node_t *n, const char *what)
{
    if (!n || n->type != YAML_MAPPING_NODE)
        return fail(c, line_of(n), "'%s' must be a mapping (key: value lines)", what);
    return 0;
}

static int unknown(ctx_t *c, yaml_node_t *kn, const char *k, const char *where, const char *known)
{
    return fail(c, line_of(kn), "unknown key '%s' in %s (known: %s)", k, where, known);
}

static int parse_global(ctx_t *c, yaml_node_t *m)
{
    if (want_mapping(c, m, "global"))
        return -1;
    FOR_PAIRS(c, m, k, kn, v)
    {
        double d;
        if (!strcmp(k, "max_bytes") || !strcmp(k, "max_memory")) {
            if (get_size(c, v, k, &c->p->max_bytes))
                return -1;
        } else if (!strcmp(k, "max_memory_mb")) {
            if (get_number(c, v, k, 0, 1e12, &d))
                return -1;
            c->p->max_bytes = d * 1048576.0;
        } else if (!strcmp(k, "warning_percent") || !strcmp(k, "warning_threshold_percent")) {
            if (get_number(c, v, k, 0, 1000, &c->p->warning_pct))
                return -1;
        } else if (!strcmp(k, "critical_percent") || !strcmp(k, "critical_threshold_percent")) {
            if (get_number(c, v, k, 0, 1000, &c->p->critical_pct))
                return -1;
        } else
            return unknown(c, kn, k, "global",
                           "max_bytes, max_memory_mb, warning_percent, critical_percent");
    }
    if (c->p->warning_pct > c->p->critical_pct)
        return fail(c, line_of(m), "global: warning_percent (%g) is above critical_percent (%g)", c->p->warning_pct,
                    c->p->critical_pct);
    return 0;
}

static int parse_growth(ctx_t *c, yaml_node_t *m)
{
    if (want_mapping(c, m, "growth"))
        return -1;
    FOR_PAIRS(c, m, k, kn, v)
    {
        if (!strcmp(k, "max_bytes_per_step")) {
            if (get_size(c, v, k, &c->p->max_bytes_per_step))
                return -1;
        } else if (!strcmp(k, "max_bytes_per_snapshot")) {
            if (get_size(c, v, k, &c->p->max_bytes_per_snapshot))
                return -1;
        } else
            return unknown(c, kn, k, "growth", "max_bytes_per_step, max_bytes_per_snapshot");
    }
    return 0;
}

static ls_module_budget_t *new_module(ctx_t *c, const char *name, int line)
{
    for (size_t i = 0; i < c->p->n_modules; i++)
        if (!strcmp(c->p->modules[i].name, name)) {
            fail(c, line, "module '%s' is defined twice", name);
            return NULL;
        }
    c->p->modules = ls_xrealloc(c->p->modules, (c->p->n_modules + 1) * sizeof *c->p->modules);
    ls_module_budget_t *mb = &c->p->modules[c->p->n_modules++];
    memset(mb, 0, sizeof *mb);
    mb->name = ls_xstrdup(name);
    mb->max_bytes = mb->max_bytes_per_step = -1;
    mb->line = line;
    return mb;
}

/* One module: `name` given (mapping form) or taken from a `name:` key (list form). */
static int parse_module(ctx_t *c, yaml_node_t *n, const char *name, int line)
{
    if (n->type == YAML_SCALAR_NODE) { /* seed shorthand  name: 100MB  (name as the pattern) */
        if (!name)
            return fail(c, line_of(n), "a module in a list must be a mapping with a name");
        ls_module_budget_t *mb = new_module(c, name, line);
        if (!mb || get_size(c, n, name, &mb->max_bytes))
            return -1;
        char *pat = ls_xasprintf("*%s*", name);
        for (int w = 0; w < 3; w++) {
            ls_patterns_t *l = w == 0 ? &mb->files : w == 1 ? &mb->functions : &mb->objects;
            l->pat = ls_xmalloc(sizeof *l->pat);
            l->pat[0] = ls_xstrdup(pat);
            l->n = 1;
        }
        free(pat);
        return 0;
    }
    if (want_mapping(c, n, name ? name : "modules entry"))
        return -1;
    if (!name) {
        FOR_PAIRS(c, n, k, kn, v)
        {
            if (!strcmp(k, "name") && !(name = scalar(v)))
                return fail(c, line_of(v), "'name' must be a single value");
        }
        if (!name || !*name)
            return fail(c, line_of(n), "module without a 'name'");
    }
    ls_module_budget_t *mb = new_module(c, name, line);
    if (!mb)
        return -1;
    FOR_PAIRS(c, n, k, kn, v)
    {
        if (!strcmp(k, "name"))
            continue;
        if (!strcmp(k, "files") || !strcmp(k, "paths")) {
            if (get_patterns(c, v, k, &mb->files))
                return -1;
        } else if (!strcmp(k, "functions")) {
            if (get_patterns(c, v, k, &mb->functions))
                return -1;
        } else if (!strcmp(k, "objects") || !strcmp(k, "libraries")) {
            if (get_patterns(c, v, k, &mb->objects))
                return -1;
        } else if (!strcmp(k, "max_bytes")) {
            if (get_size(c, v, k, &mb->max_bytes))
                return -1;
        } else if (!strcmp(k, "max_bytes_per_step")) {
            if (get_size(c, v, k, &mb->max_bytes_per_step))
                return -1;
        } else
            return unknown(c, kn, k, "a module", "name, files, functions, objects, max_bytes, max_bytes_per_step");
    }
    if (!mb->files.n && !mb->functions.n && !mb->objects.n)
        return fail(c, line, "module '%s' has no files, functions or objects patterns", name);
    if (mb->max_bytes < 0 && mb->max_bytes_per_step < 0)
        return fail(c, line, "module '%s' has no budget (max_bytes or max_bytes_per_step)", name);
    return 0;
}

/* One entry of a list-or-mapping section: the node, its name when the section is a
 * mapping (NULL in a list), the line it starts at. */
typedef int (*entry_parser_t)(ctx_t *c, yaml_node_t *n, const char *name, int line);

/* A section given either as a list of entries or as a mapping of names to entries
 * ('modules', 'locations'): `what` names it in errors, `key_what` its keys. */
static int parse_entries(ctx_t *c, yaml_node_t *n, entry_parser_t parse_one, const char *what,
                         const char *key_what)
{
    if (n->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
            if (parse_one(c, node(c, *it), NULL, line_of(node(c, *it))))
                return -1;
        return 0;
    }
    if (n->type != YAML_MAPPING_NODE)
        return fail(c, line_of(n), "%s", what);
    FOR_PAIRS(c, n, k, kn, v)
    {
        if (!*k)
            return fail(c, line_of(kn), "%s", key_what);
        if (parse_one(c, v, k, line_of(kn)))
            return -1;
    }
    return 0;
}

static int parse_modules(ctx_t *c, yaml_node_t *n)
{
    return parse_entries(c, n, parse_module, "'modules' must be a list or a mapping of modules",
                         "a module name must be a plain string");
}

static ls_location_budget_t *new_location(ctx_t *c, const char *name, int line)
{
    for (size_t i = 0; i < c->p->n_locations; i++)
        if (!strcmp(c->p->locations[i].name, name)) {
            fail(c, line, "location budget '%s' is defined twice", name);
            return NULL;
        }
    c->p->locations = ls_xrealloc(c->p->locations, (c->p->n_locations + 1) * sizeof *c->p->locations);
    ls_location_budget_t *lb = &c->p->locations[c->p->n_locations++];
    memset(lb, 0, sizeof *lb);
    lb->name = ls_xstrdup(name);
    lb->max_bytes = lb->max_bytes_per_step = -1;
    lb->line = line;
    return lb;
}

/* A location budget's keys other than name and function. */
static int location_key(ctx_t *c, ls_location_budget_t *lb, yaml_node_t *kn, const char *k, yaml_node_t *v)
{
    double d;
    if (!strcmp(k, "file"))
        return get_string(c, v, k, &lb->file);
    if (!strcmp(k, "line")) {
        if (get_number(c, v, k, 1, INT32_MAX, &d))
            return -1;
        if (d != floor(d))
            return fail(c, line_of(v), "'line': '%s' is not a whole line number", scalar(v));
        lb->at_line = (int)d;
        return 0;
    }
    if (!strcmp(k, "max_bytes"))
        return get_size(c, v, k, &lb->max_bytes);
    if (!strcmp(k, "max_bytes_per_step"))
        return get_size(c, v, k, &lb->max_bytes_per_step);
    return unknown(c, kn, k, "a location budget", "name, function, file, line, max_bytes, max_bytes_per_step");
}

/* One location budget: a mapping with `function` (list form), or under a key (mapping form,
 * `key` set) that names it and, without a `function`, is the function pattern. The rule's
 * name is `name`, else the key, else the function pattern. */
static int parse_location(ctx_t *c, yaml_node_t *n, const char *key, int line)
{
    if (want_mapping(c, n, key ? key : "locations entry"))
        return -1;
    const char *name = NULL, *function = NULL;
    FOR_PAIRS(c, n, k, kn, v)
    {
        if ((!strcmp(k, "name") && want_scalar(c, v, k, &name)) ||
            (!strcmp(k, "function") && want_scalar(c, v, k, &function)))
            return -1;
    }
    if (!function)
        function = key;
    if (!function || !*function)
        return fail(c, line, "a location budget needs a 'function' (a function name or glob)");
    ls_location_budget_t *lb = new_location(c, name && *name ? name : key ? key : function, line);
    if (!lb)
        return -1;
    lb->function = ls_xstrdup(function);
    FOR_PAIRS(c, n, k, kn, v)
    {
        if (strcmp(k, "name") && strcmp(k, "function") && location_key(c, lb, kn, k, v))
            return -1;
    }
    if (lb->max_bytes < 0 && lb->max_bytes_per_step < 0)
        return fail(c, line, "location budget '%s' has no budget (max_bytes or max_bytes_per_step)", lb->name);
    return 0;
}

static int parse_locations(ctx_t *c, yaml_node_t *n)
{
    return parse_entries(c, n, parse_location, "'locations' must be a list or a mapping of location budgets",
                         "a location's function must be a plain string");
}

static int parse_budgets(ctx_t *c, yaml_node_t *m, const char *key)
{
    if (want_mapping(c, m, key))
        return -1;
    FOR_PAIRS(c, m, k, kn, v)
    {
        int r;
        if (!strcmp(k, "global"))
            r = parse_global(c, v);
        else if (!strcmp(k, "growth"))
            r = parse_growth(c, v);
        else if (!strcmp(k, "modules") || !strcmp(k, "services"))
            r = parse_modules(c, v);
        else if (!strcmp(k, "locations"))
            r = parse_locations(c, v);
        else
            r = unknown(c, kn, k, key, "global, growth, modules, locations");
        if (r)
            return -1;
    }
    return 0;
}

static ls_suppression_t *new_sup(ctx_t *c, const char *where, int line)
{
    c->p->sups = ls_xrealloc(c->p->sups, (c->p->n_sups + 1) * sizeof *c->p->sups);
    ls_suppression_t *s = &c->p->sups[c->p->n_sups++];
    memset(s, 0, sizeof *s);
    s->origin = ls_xasprintf("%s:%d", where, line);
    return s;
}

/* One LeakSanitizer suppression line ("leak:PATTERN"); blank lines and '#' comments are
 * skipped by the caller. Other LSan/ASan kinds are rejected so a typo is not silent. */
static int lsan_line(ctx_t *c, const char *where, int line, const char *text)
{
    while (isspace((unsigned char)*text))
        text++;
    size_t len = strlen(text);
    while (len && isspace((unsigned char)text[len - 1]))
        len--;
    if (len < 6 || strncmp(text, "leak:", 5) != 0) {
        char *t = strndup(text, len);
        fail_at(c, where, line, "'%s' is not a suppression (expected leak:PATTERN)", t ? t : "");
        free(t);
        return -1;
    }
    ls_suppression_t *s = new_sup(c, where, line);
    s->lsan = strndup(text + 5, len - 5);
    if (!s->lsan)
        s->lsan = ls_xstrdup("");
    return 0;
}

static int parse_lsan_text(ctx_t *c, const char *where, const char *text, size_t len)
{
    int line = 0;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && text[j] != '\n')
            j++;
        line++;
        char *l = strndup(text + i, j - i);
        if (!l)
            l = ls_xstrdup("");
        char *t = l;
        while (isspace((unsigned char)*t))
            t++;
        int r = 0;
        if (*t && *t != '#')
            r = lsan_line(c, where, line, t);
        free(l);
        if (r)
            return -1;
        i = j + 1;
    }
    return 0;
}

static int read_file(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY); /* a FIFO must not block */
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: cannot open: %s", path, fd < 0 ? strerror(errno) : "not a regular file");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    size_t cap = 4096, n = 0;
    char *buf = ls_xmalloc(cap + 1);
    for (;;) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (n < cap)
            break;
        if (cap >= (64u << 20)) {
            fclose(f);
            free(buf);
            snprintf(err, errlen, "%s: larger than 64 MiB, not a policy", path);
            return -1;
        }
        cap *= 2;
        buf = ls_xrealloc(buf, cap + 1);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        snprintf(err, errlen, "%s: cannot read", path);
        return -1;
    }
    buf[n] = 0;
    *out = buf;
    *len = n;
    return 0;
}

static int parse_suppressions(ctx_t *c, yaml_node_t *n)
{
    if (n->type != YAML_SEQUENCE_NODE)
        return fail(c, line_of(n), "'suppressions' must be a list");
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        yaml_node_t *e = node(c, *it);
        if (e->type == YAML_SCALAR_NODE) {
            if (lsan_line(c, c->name, line_of(e), scalar(e)))
                return -1;
            continue;
        }
        if (want_mapping(c, e, "suppressions entry"))
            return -1;
        ls_suppression_t *s = new_sup(c, c->name, line_of(e));
        FOR_PAIRS(c, e, k, kn, v)
        {
            int r;
            if (!strcmp(k, "function"))
                r = get_string(c, v, k, &s->function);
            else if (!strcmp(k, "file"))
                r = get_string(c, v, k, &s->file);
            else if (!strcmp(k, "object"))
                r = get_string(c, v, k, &s->object);
            else if (!strcmp(k, "reason"))
                r = get_string(c, v, k, &s->reason);
            else if (!strcmp(k, "leak"))
                r = get_string(c, v, k, &s->lsan);
            else
                r = unknown(c, kn, k, "a suppression", "function, file, object, leak, reason");
            if (r)
                return -1;
        }
        if (!s->function && !s->file && !s->object && !s->lsan)
            return fail(c, line_of(e), "a suppression needs function, file, object or leak");
    }
    return 0;
}

static int parse_suppressions_file(ctx_t *c, yaml_node_t *n)
{
    const char *f;
    if (want_scalar(c, n, "suppressions_file", &f))
        return -1;
    char *path = (f[0] == '/' || !c->dir) ? ls_xstrdup(f) : ls_xasprintf("%s/%s", c->dir, f);
    char *text;
    size_t len;
    char sub[512];
    if (read_file(path, &text, &len, sub, sizeof sub)) {
        fail(c, line_of(n), "suppressions_file: %s", sub);
        free(path);
        return -1;
    }
    int r = parse_lsan_text(c, path, text, len);
    free(text);
    free(path);
    return r;
}

/* Sections of the memory-policy files people already keep (alerting, ledgers, cleanup) that
 * a CI gate has no use for: accepted and ignored, as docs/policy.md says. */
static const char *const ignored_sections[] = {"alerts", "ledger", "auto_cleanup", "cleanup", "tracemalloc",
                                               "snapshots", "monitoring"};

static int parse_version(ctx_t *c, yaml_node_t *v)
{
    const char *s = scalar(v);
    if (!s || strcmp(s, "1") != 0)
        return fail(c, line_of(v), "unsupported policy version '%s' (this leakscope reads version 1)", s ? s : "?");
    return 0;
}

/* horizon: N (steps), or a mapping of steps, seconds, hours. */
static int parse_horizon(ctx_t *c, yaml_node_t *v)
{
    if (v->type == YAML_SCALAR_NODE)
        return get_number(c, v, "horizon", 1, 1e15, &c->p->cls.horizon_steps);
    if (want_mapping(c, v, "horizon"))
        return -1;
    FOR_PAIRS(c, v, hk, hkn, hv)
    {
        int r;
        if (!strcmp(hk, "steps"))
            r = get_number(c, hv, "horizon.steps", 1, 1e15, &c->p->cls.horizon_steps);
        else if (!strcmp(hk, "seconds"))
            r = get_number(c, hv, "horizon.seconds", 1, 1e12, &c->p->cls.horizon_seconds);
        else if (!strcmp(hk, "hours")) {
            double h;
            r = get_number(c, hv, "horizon.hours", 0.001, 1e8, &h);
            c->p->cls.horizon_seconds = h * 3600;
        } else
            r = unknown(c, hkn, hk, "horizon", "steps, seconds, hours");
        if (r)
            return -1;
    }
    return 0;
}

/* severity: the medium, high and critical thresholds, in that order of size. */
static int parse_severity(ctx_t *c, yaml_node_t *v)
{
    if (want_mapping(c, v, "severity"))
        return -1;
    FOR_PAIRS(c, v, sk, skn, sv)
    {
        int r;
        if (!strcmp(sk, "medium"))
            r = get_size(c, sv, "severity.medium", &c->p->cls.sev_medium);
        else if (!strcmp(sk, "high"))
            r = get_size(c, sv, "severity.high", &c->p->cls.sev_high);
        else if (!strcmp(sk, "critical"))
            r = get_size(c, sv, "severity.critical", &c->p->cls.sev_critical);
        else
            r = unknown(c, skn, sk, "severity", "medium, high, critical");
        if (r)
            return -1;
    }
    if (!(c->p->cls.sev_medium <= c->p->cls.sev_high && c->p->cls.sev_high <= c->p->cls.sev_critical))
        return fail(c, line_of(v), "severity thresholds must be medium <= high <= critical");
    return 0;
}

/* detection: the false discovery rate and the effect-size floors. */
static int parse_detection(ctx_t *c, yaml_node_t *v)
{
    if (want_mapping(c, v, "detection"))
        return -1;
    FOR_PAIRS(c, v, dk, dkn, dv)
    {
        int r;
        double pct;
        if (!strcmp(dk, "fdr"))
            r = get_number(c, dv, "detection.fdr", 1e-9, 0.5, &c->p->cls.fdr);
        else if (!strcmp(dk, "min_growth"))
            r = get_size(c, dv, "detection.min_growth", &c->p->cls.min_growth_bytes);
        else if (!strcmp(dk, "min_growth_percent")) {
            r = get_number(c, dv, "detection.min_growth_percent", 0, 1000, &pct);
            c->p->cls.min_growth_rel = pct / 100;
        } else
            r = unknown(c, dkn, dk, "detection", "fdr, min_growth, min_growth_percent");
        if (r)
            return -1;
    }
    return 0;
}

/* unreachable: what the gate does with blocks lost at exit (issue 13). */
static int parse_unreachable(ctx_t *c, yaml_node_t *v)
{
    const char *m = scalar(v);
    static const char *const modes[] = {"off", "report", "fail"};
    for (int i = 0; i < 3; i++)
        if (m && !strcmp(m, modes[i])) {
            c->p->unreachable = i;
            return 0;
        }
    return fail(c, line_of(v), "unreachable must be fail, report or off, not '%s'", m ? m : "?");
}

/* A key none of the sections above knows: ignored if it belongs to the memory-policy
 * documents this format grew from, else an error naming the keys there are. */
static int parse_other_key(ctx_t *c, yaml_node_t *kn, const char *k)
{
    size_t ni = sizeof ignored_sections / sizeof ignored_sections[0];
    for (size_t i = 0; i < ni; i++)
        if (!strcmp(k, ignored_sections[i]))
            return 0;
    return unknown(c, kn, k, "the policy",
                   "version, fail_on, horizon, severity, detection, budgets, suppressions, suppressions_file, "
                   "unreachable, max_direct_leak_bytes");
}

static int parse_key(ctx_t *c, yaml_node_t *kn, const char *k, yaml_node_t *v)
{
    if (!strcmp(k, "version"))
        return parse_version(c, v);
    if (!strcmp(k, "fail_on") || !strcmp(k, "min_severity"))
        return get_severity(c, v, k, &c->p->fail_on);
    if (!strcmp(k, "horizon"))
        return parse_horizon(c, v);
    if (!strcmp(k, "severity"))
        return parse_severity(c, v);
    if (!strcmp(k, "detection"))
        return parse_detection(c, v);
    if (!strcmp(k, "unreachable"))
        return parse_unreachable(c, v);
    if (!strcmp(k, "max_direct_leak_bytes"))
        return get_size(c, v, k, &c->p->max_direct_leak_bytes);
    if (!strcmp(k, "budgets") || !strcmp(k, "memory_budgets"))
        return parse_budgets(c, v, k);
    if (!strcmp(k, "suppressions"))
        return parse_suppressions(c, v);
    if (!strcmp(k, "suppressions_file"))
        return parse_suppressions_file(c, v);
    return parse_other_key(c, kn, k);
}

static int parse_root(ctx_t *c, yaml_node_t *root)
{
    if (!root)
        return 0; /* an empty file: the defaults */
    if (root->type != YAML_MAPPING_NODE)
        return fail(c, line_of(root), "a policy must be a mapping (key: value lines) or leak: suppression lines");
    FOR_PAIRS(c, root, k, kn, v)
    {
        if (parse_key(c, kn, k, v))
            return -1;
    }
    return 0;
}

/* A file whose first meaningful line is "leak:..." is a LeakSanitizer suppression file. */
static int looks_lsan(const char *text, size_t len)
{
    size_t i = 0;
    while (i < len) {
        while (i < len && isspace((unsigned char)text[i]))
            i++;
        if (i < len && text[i] == '#') {
            while (i < len && text[i] != '\n')
                i++;
            continue;
        }
        return i + 5 <= len && strncmp(text + i, "leak:", 5) == 0;
    }
    return 0;
}

/* Deepest nesting of flow collections ('{', '[') outside quotes and comments, with the line
 * where it first passes `limit`. libyaml takes time quadratic in this depth (100,000 levels:
 * minutes), so it is bounded before libyaml sees the text; a policy needs four levels. */
#define POLICY_MAX_DEPTH 64
static int flow_depth_ok(const char *t, size_t len, int limit, int *line)
{
    int depth = 0;
    char quote = 0;
    *line = 1;
    for (size_t i = 0; i < len; i++) {
        char ch = t[i];
        if (ch == '\n')
            ++*line;
        if (quote) {
            if (ch == '\\' && quote == '"' && i + 1 < len)
                i++;
            else if (ch == quote)
                quote = 0;
        } else if (ch == '"' || ch == '\'')
            quote = ch;
        else if (ch == '#' && (i == 0 || t[i - 1] == ' ' || t[i - 1] == '\t' || t[i - 1] == '\n'))
            while (i + 1 < len && t[i + 1] != '\n')
                i++;
        else if ((ch == '{' || ch == '[') && ++depth > limit)
            return 0;
        else if ((ch == '}' || ch == ']') && depth > 0)
            depth--;
    }
    return 1;
}

int ls_policy_parse(const char *text, size_t len, const char *name, const char *dir, ls_policy_t *p, char *err,
                    size_t errlen)
{
    ls_policy_default(p);
    p->path = ls_xstrdup(name);
    ctx_t c = {.name = name, .dir = dir, .err = err, .errlen = errlen, .p = p};
    if (memchr(text, 0, len)) {
        fail(&c, 0, "binary data, not a policy");
        ls_policy_free(p);
        return -1;
    }
    if (looks_lsan(text, len)) {
        if (parse_lsan_text(&c, name, text, len)) {
            ls_policy_free(p);
            return -1;
        }
        return 0;
    }
    int line;
    if (!flow_depth_ok(text, len, POLICY_MAX_DEPTH, &line)) {
        fail(&c, line, "nested deeper than %d levels, not a policy", POLICY_MAX_DEPTH);
        ls_policy_free(p);
        return -1;
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        fail(&c, 0, "cannot start the YAML parser");
        ls_policy_free(p);
        return -1;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &c.doc)) {
        fail(&c, (int)parser.problem_mark.line + 1, "not valid YAML: %s%s%s", parser.problem ? parser.problem : "syntax error",
             parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        ls_policy_free(p);
        return -1;
    }
    int r = parse_root(&c, yaml_document_get_root_node(&c.doc));
    if (!r) { /* a second document is a mistake worth naming */
        yaml_document_t extra;
        if (yaml_parser_load(&parser, &extra)) {
            if (yaml_document_get_root_node(&extra))
                r = fail(&c, (int)yaml_document_get_root_node(&extra)->start_mark.line + 1,
                         "more than one YAML document; a policy is one");
            yaml_document_delete(&extra);
        }
    }
    yaml_document_delete(&c.doc);
    yaml_parser_delete(&parser);
    if (r) {
        ls_policy_free(p);
        return -1;
    }
    return 0;
}

int ls_policy_load(const char *path, ls_policy_t *p, char *err, size_t errlen)
{
    char *text;
    size_t len;
    if (read_file(path, &text, &len, err, errlen)) {
        memset(p, 0, sizeof *p);
        return -1;
    }
    char *dir = ls_xstrdup(path), *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    int r = ls_policy_parse(text, len, path, slash ? dir : NULL, p, err, errlen);
    free(dir);
    free(text);
    return r;
}
