/*
 * report_json.c — `report --format json`, the fields of the spec that scripts rely on
 * (snapshots, first_step, last_step, sites[], verdict) for the first process, plus a few
 * added fields and, when the run has several processes, a `processes` array; first of all
 * `schema_version`. Strings go through jansson (escaping, valid UTF-8: ls_json_string);
 * numbers are printed here, because jansson prints reals as %.17g and rewrites exponents
 * ("1.5e+06" as "1.5e6"), which would change every number scripts already read: integral
 * values as integers, others with six significant digits, non-finite ones as null.
 */
#include <math.h>
#include <string.h>

#include "report.h"
#include "report_locations.h"
#include "util.h"

static void num(FILE *f, double v)
{
    if (!isfinite(v))
        fputs("null", f);
    else if (v == floor(v) && fabs(v) < 9e15)
        fprintf(f, "%.0f", v);
    else
        fprintf(f, "%.6g", v);
}

static void frame(FILE *f, const ls_frame_info_t *fi)
{
    fputs("{\"function\": ", f);
    ls_json_string(f, fi->function);
    fputs(", \"file\": ", f);
    ls_json_string(f, fi->file);
    fprintf(f, ", \"line\": %d, \"module\": ", fi->line);
    ls_json_string(f, fi->module);
    if (fi->inlined) /* issue 14: inlined into the next frame's function, at the same address */
        fputs(", \"inlined\": true", f);
    fputc('}', f);
}

static void site(FILE *f, const ls_proc_result_t *r, const ls_site_result_t *s)
{
    const ls_frame_info_t *l = s->loc;
    fputs("    {\"function\": ", f);
    ls_json_string(f, l->function);
    fputs(", \"file\": ", f);
    ls_json_string(f, l->file);
    fprintf(f, ", \"line\": %d, \"module\": ", l->line);
    ls_json_string(f, l->module);
    fputs(",\n     \"frames\": [", f);
    for (size_t i = 0; s->s->info && i < s->s->ninfo; i++) {
        if (i)
            fputs(", ", f);
        frame(f, &s->s->info[i]);
    }
    fputs("],\n     \"live_bytes\": ", f);
    num(f, s->live_bytes);
    fputs(", \"live_count\": ", f);
    num(f, s->live_count);
    fputs(", \"growth_bytes\": ", f);
    num(f, s->c.growth_bytes);
    fputs(", \"verdict_live_bytes\": ", f);
    num(f, s->c.verdict_live_bytes);
    fputs(", \"verdict_growth_bytes\": ", f);
    num(f, s->c.verdict_growth_bytes);
    fputs(", \"bytes_per_step\": ", f);
    num(f, s->c.bytes_per_step);
    fprintf(f, ",\n     \"pattern\": \"%s\", \"trend\": \"%s\", \"severity\": \"%s\"", ls_pattern_name(s->c.pattern),
            ls_trend_name(s->c.trend), ls_severity_name(s->c.severity));
    fprintf(f, ",\n     \"id\": %u, \"burn_in_step\": ", s->s->id);
    num(f, s->c.burn_in);
    fputs(", \"bytes_per_second\": ", f);
    num(f, s->c.bytes_per_second);
    fputs(", \"projected_bytes\": ", f);
    num(f, s->c.projected_bytes);
    fputs(", \"evidence\": ", f);
    ls_json_string(f, s->c.why);
    fputs(", \"suppressed\": ", f);
    if (s->sup)
        ls_json_string(f, s->sup->reason ? s->sup->reason : s->sup->origin);
    else
        fputs("null", f);
    fprintf(f, ", \"violates_policy\": %s", s->violated ? "true" : "false");
    ls_sampling_json_site(f, s); /* issue 11 */
    if (r->p->has_scan) /* issue 13: only from a snapshot with a reachability scan */
        fprintf(f, ",\n     \"direct_leak_bytes\": %llu, \"direct_leak_count\": %llu, "
                   "\"indirect_leak_bytes\": %llu, \"indirect_leak_count\": %llu",
                (unsigned long long)s->s->direct_bytes, (unsigned long long)s->s->direct_count,
                (unsigned long long)s->s->indirect_bytes, (unsigned long long)s->s->indirect_count);
    fputc('}', f);
}

/* The fields of one process, without braces. */
static void process_fields(FILE *f, const ls_analysis_t *a, size_t pi)
{
    const ls_proc_result_t *r = &a->procs[pi];
    const ls_proc_series_t *p = r->p;
    fprintf(f, "  \"snapshots\": %zu, \"first_step\": ", p->n);
    num(f, p->n ? p->x[0] : 0);
    fputs(", \"last_step\": ", f);
    num(f, p->n ? p->x[p->n - 1] : 0);
    fputs(",\n  \"program\": ", f);
    ls_json_string(f, p->prog);
    fprintf(f, ", \"pid\": %llu, \"marked\": %s, \"traced_bytes\": ", (unsigned long long)p->pid,
            p->marked ? "true" : "false");
    num(f, p->n ? p->traced[p->n - 1] : 0);
    ls_sampling_json_proc(f, r); /* issue 11 */
    fprintf(f, ", \"peak_traced_bytes\": %llu,\n  \"total\": {\"pattern\": \"%s\", \"trend\": \"%s\", \"growth_bytes\": ",
            (unsigned long long)p->traced_peak, ls_pattern_name(r->total.pattern), ls_trend_name(r->total.trend));
    num(f, r->total.growth_bytes);
    fputs(", \"bytes_per_step\": ", f);
    num(f, r->total.bytes_per_step);
    fputs("},\n  \"locations\": ", f);
    ls_report_locations_json(f, r);
    fputs(",\n  \"sites\": [\n", f);
    for (size_t i = 0; i < r->n_sites; i++) {
        site(f, r, &r->sites[i]);
        fputs(i + 1 < r->n_sites ? ",\n" : "\n", f);
    }
    fputs("  ],\n  \"modules\": [", f);
    for (size_t m = 0; m < a->policy->n_modules; m++) {
        fputs(m ? ", {\"name\": " : "{\"name\": ", f);
        ls_json_string(f, a->policy->modules[m].name);
        fputs(", \"live_bytes\": ", f);
        num(f, r->modules[m].live_bytes);
        fputs(", \"bytes_per_step\": ", f);
        num(f, r->modules[m].bytes_per_step);
        fputc('}', f);
    }
    fputs("],\n  \"violations\": [", f);
    int any = 0;
    for (size_t i = 0; i < a->n_v; i++) {
        const ls_violation_t *v = &a->v[i];
        if (v->proc != pi)
            continue;
        fputs(any ? ",\n    {\"rule\": " : "\n    {\"rule\": ", f);
        any = 1;
        ls_json_string(f, v->rule);
        fputs(", \"message\": ", f);
        ls_json_string(f, v->message);
        fprintf(f, ", \"warning\": %s", v->warning ? "true" : "false");
        if (v->site) {
            fputs(", \"function\": ", f);
            ls_json_string(f, v->site->loc->function);
            fputs(", \"file\": ", f);
            ls_json_string(f, v->site->loc->file);
            fprintf(f, ", \"line\": %d", v->site->loc->line);
        }
        fputc('}', f);
    }
    fputs(any ? "\n  ],\n" : "],\n", f);
}

void ls_report_json(FILE *f, const ls_analysis_t *a)
{
    fprintf(f, "{\n  \"schema_version\": %d,\n", LS_JSON_SCHEMA_VERSION);
    if (a->n_procs)
        process_fields(f, a, 0);
    if (a->n_procs > 1) {
        fputs("  \"processes\": [\n", f);
        for (size_t i = 0; i < a->n_procs; i++) {
            fputs("  {\n", f);
            process_fields(f, a, i);
            fprintf(f, "  \"verdict\": \"%s\"}%s\n", a->procs[i].fail ? "fail" : "pass", i + 1 < a->n_procs ? "," : "");
        }
        fputs("  ],\n", f);
    }
    fputs("  \"policy\": ", f);
    ls_json_string(f, a->policy->path ? a->policy->path : "default");
    fprintf(f, ",\n  \"verdict\": \"%s\"\n}\n", a->fail ? "fail" : "pass");
}
