/*
 * report_json.c — `report --format json`, the fields of the spec that scripts rely on
 * (snapshots, first_step, last_step, sites[], verdict) for the first process, plus a few
 * added fields and, when the run has several processes, a `processes` array; first of all
 * `schema_version`. Strings go through jansson (escaping, valid UTF-8: ls_json_string);
 * numbers through ls_json_number (util.h), not jansson, whose %.17g reals and rewritten
 * exponents would change every number scripts already read.
 */
#include <string.h>

#include "report.h"
#include "report_locations.h"
#include "util.h"

/* A frame's fields with its module, without braces: a site's own location, and each of its frames. */
static void frame_fields(FILE *f, const ls_frame_info_t *fi)
{
    ls_json_frame_fields(f, fi);
    fputs(", \"module\": ", f);
    ls_json_string(f, fi->module);
}

static void site(FILE *f, const ls_proc_result_t *r, const ls_site_result_t *s)
{
    fputs("    {", f);
    frame_fields(f, s->loc);
    fputs(",\n     \"frames\": [", f);
    for (size_t i = 0; s->s->info && i < s->s->ninfo; i++) {
        fputs(i ? ", {" : "{", f);
        frame_fields(f, &s->s->info[i]);
        if (s->s->info[i].inlined) /* issue 14: inlined into the next frame's function, at the same address */
            fputs(", \"inlined\": true", f);
        fputc('}', f);
    }
    fputs("],\n     \"live_bytes\": ", f);
    ls_json_number(f, s->live_bytes);
    fputs(", \"live_count\": ", f);
    ls_json_number(f, s->live_count);
    fputs(", \"growth_bytes\": ", f);
    ls_json_number(f, s->c.growth_bytes);
    fputs(", \"verdict_live_bytes\": ", f);
    ls_json_number(f, s->c.verdict_live_bytes);
    fputs(", \"verdict_growth_bytes\": ", f);
    ls_json_number(f, s->c.verdict_growth_bytes);
    fputs(", \"bytes_per_step\": ", f);
    ls_json_number(f, s->c.bytes_per_step);
    fprintf(f, ",\n     \"pattern\": \"%s\", \"trend\": \"%s\", \"severity\": \"%s\"", ls_pattern_name(s->c.pattern),
            ls_trend_name(s->c.trend), ls_severity_name(s->c.severity));
    fprintf(f, ",\n     \"id\": %u, \"burn_in_step\": ", s->s->id);
    ls_json_number(f, s->c.burn_in);
    fputs(", \"bytes_per_second\": ", f);
    ls_json_number(f, s->c.bytes_per_second);
    fputs(", \"projected_bytes\": ", f);
    ls_json_number(f, s->c.projected_bytes);
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

/* The policy's modules with this process's figures for each: the value of "modules". */
static void modules_json(FILE *f, const ls_policy_t *pol, const ls_proc_result_t *r)
{
    fputc('[', f);
    for (size_t m = 0; m < pol->n_modules; m++) {
        fputs(m ? ", {\"name\": " : "{\"name\": ", f);
        ls_json_string(f, pol->modules[m].name);
        fputs(", \"live_bytes\": ", f);
        ls_json_number(f, r->modules[m].live_bytes);
        fputs(", \"bytes_per_step\": ", f);
        ls_json_number(f, r->modules[m].bytes_per_step);
        fputc('}', f);
    }
    fputc(']', f);
}

/* The rules process `pi` breaks, with the site's frame when a rule is about one: the value
 * of "violations". */
static void violations_json(FILE *f, const ls_analysis_t *a, size_t pi)
{
    int any = 0;
    fputc('[', f);
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
            fputs(", ", f);
            ls_json_frame_fields(f, v->site->loc);
        }
        fputc('}', f);
    }
    fputs(any ? "\n  ]" : "]", f);
}

/* The fields of one process, without braces. */
static void process_fields(FILE *f, const ls_analysis_t *a, size_t pi)
{
    const ls_proc_result_t *r = &a->procs[pi];
    const ls_proc_series_t *p = r->p;
    fprintf(f, "  \"snapshots\": %zu, \"first_step\": ", p->n);
    ls_json_number(f, p->n ? p->x[0] : 0);
    fputs(", \"last_step\": ", f);
    ls_json_number(f, p->n ? p->x[p->n - 1] : 0);
    fputs(",\n  \"program\": ", f);
    ls_json_string(f, p->prog);
    fprintf(f, ", \"pid\": %llu, \"marked\": %s, \"traced_bytes\": ", (unsigned long long)p->pid,
            p->marked ? "true" : "false");
    ls_json_number(f, p->n ? p->traced[p->n - 1] : 0);
    ls_sampling_json_proc(f, r); /* issue 11 */
    fprintf(f, ", \"peak_traced_bytes\": %llu,\n  \"total\": {\"pattern\": \"%s\", \"trend\": \"%s\", \"growth_bytes\": ",
            (unsigned long long)p->traced_peak, ls_pattern_name(r->total.pattern), ls_trend_name(r->total.trend));
    ls_json_number(f, r->total.growth_bytes);
    fputs(", \"bytes_per_step\": ", f);
    ls_json_number(f, r->total.bytes_per_step);
    fputs("},\n  \"locations\": ", f);
    ls_report_locations_json(f, r);
    fputs(",\n  \"sites\": [\n", f);
    for (size_t i = 0; i < r->n_sites; i++) {
        site(f, r, &r->sites[i]);
        fputs(i + 1 < r->n_sites ? ",\n" : "\n", f);
    }
    fputs("  ],\n  \"modules\": ", f);
    modules_json(f, a->policy, r);
    fputs(",\n  \"violations\": ", f);
    violations_json(f, a, pi);
    fputs(",\n", f);
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
