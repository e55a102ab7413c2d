/*
 * report_locations.c — `report`'s location groups (report_locations.h): a location's own
 * verdict, from its stacks' summed series, then each stack with its own verdict and the
 * callers that tell it apart. Shown ahead of the per-stack table, because a leak spread
 * over many stacks is only visible summed.
 */
#include "report_locations.h"

#include "rules.h"
#include "util.h"

/* Stacks listed under a location, at most. */
#define STACKS_SHOWN 8
/* Caller frames that identify a stack under its location. */
#define CALLERS_SHOWN 3

int ls_location_shown(const ls_location_result_t *l)
{
    return l->c.pattern != LS_PAT_STABLE || l->violated;
}

/* "via f1 < f2 < f3": the frames under the allocating one, innermost first. */
static void callers_text(FILE *f, const ls_site_result_t *s)
{
    fputs("via ", f);
    size_t n = s->s->info ? s->s->ninfo : 0, shown = 0;
    for (size_t k = (size_t)s->s->loc + 1; k < n && shown < CALLERS_SHOWN; k++, shown++)
        fprintf(f, "%s%s:%d", shown ? " < " : "", s->s->info[k].function, s->s->info[k].line);
    if (!shown)
        fputs("(no caller frames)", f);
}

void ls_report_locations_text(FILE *f, const ls_proc_result_t *r, const char *unit)
{
    char b1[32], b2[32], b3[32];
    size_t shown = 0;
    for (size_t i = 0; i < r->n_locations; i++) {
        const ls_location_result_t *l = &r->locations[i];
        if (!ls_location_shown(l))
            continue;
        if (!shown++)
            fprintf(f, "\n  locations reached through several stacks (their stacks summed; growth per %s):\n"
                       "  %-8s  %-12s  %12s  %10s  %11s  %6s  %s\n",
                    unit, "SEVERITY", "PATTERN", "GROWTH/STEP", "LIVE", "GROWTH", "STACKS", "LOCATION");
        fprintf(f, "  %-8s  %-12s  %12s  %10s  %11s  %6zu  %s (%s:%d)%s\n", ls_severity_name(l->c.severity),
                ls_pattern_name(l->c.pattern), ls_format_rate(b1, sizeof b1, l->c.bytes_per_step),
                ls_format_size(b2, sizeof b2, (int64_t)l->c.verdict_live_bytes, 0),
                ls_format_size(b3, sizeof b3, (int64_t)l->c.verdict_growth_bytes, 1), l->n_stacks, l->loc->function,
                l->loc->file, l->loc->line, l->violated ? "  [breaks policy]" : "");
        for (size_t k = 0; k < l->n_stacks && k < STACKS_SHOWN; k++) {
            const ls_site_result_t *s = l->stacks[k];
            fprintf(f, "      %-8s  %-12s  %8s  %10s  ", ls_severity_name(s->c.severity), ls_pattern_name(s->c.pattern),
                    ls_format_rate(b1, sizeof b1, s->c.bytes_per_step),
                    ls_format_size(b2, sizeof b2, (int64_t)s->c.verdict_live_bytes, 0));
            callers_text(f, s);
            fputc('\n', f);
        }
        if (l->n_stacks > STACKS_SHOWN)
            fprintf(f, "      ... %zu more stacks\n", l->n_stacks - STACKS_SHOWN);
    }
}

void ls_json_frame_fields(FILE *f, const ls_frame_info_t *fi)
{
    fputs("\"function\": ", f);
    ls_json_string(f, fi->function);
    fputs(", \"file\": ", f);
    ls_json_string(f, fi->file);
    fprintf(f, ", \"line\": %d", fi->line);
}

/* One location: its frame, verdict, figures, and its stacks as the ids of "sites". */
static void location_json(FILE *f, const ls_location_result_t *l)
{
    fputs("    {", f);
    ls_json_frame_fields(f, l->loc);
    fprintf(f, ", \"pattern\": \"%s\", \"trend\": \"%s\", \"severity\": \"%s\",\n     \"bytes_per_step\": ",
            ls_pattern_name(l->c.pattern), ls_trend_name(l->c.trend), ls_severity_name(l->c.severity));
    ls_json_number(f, l->c.bytes_per_step);
    fputs(", \"projected_bytes\": ", f);
    ls_json_number(f, l->c.projected_bytes);
    fputs(", \"live_bytes\": ", f);
    ls_json_number(f, l->live_bytes);
    fputs(", \"verdict_live_bytes\": ", f);
    ls_json_number(f, l->c.verdict_live_bytes);
    fputs(", \"verdict_growth_bytes\": ", f);
    ls_json_number(f, l->c.verdict_growth_bytes);
    fprintf(f, ", \"violates_policy\": %s,\n     \"evidence\": ", l->violated ? "true" : "false");
    ls_json_string(f, l->c.why);
    fputs(", \"stack_ids\": [", f);
    for (size_t k = 0; k < l->n_stacks; k++)
        fprintf(f, "%s%u", k ? ", " : "", l->stacks[k]->s->id);
    fputs("]}", f);
}

void ls_report_locations_json(FILE *f, const ls_proc_result_t *r)
{
    fputc('[', f);
    for (size_t i = 0; i < r->n_locations; i++) {
        fputs(i ? ",\n" : "\n", f);
        location_json(f, &r->locations[i]);
    }
    fputs(r->n_locations ? "\n  ]" : "]", f);
}

void ls_report_locations_html(FILE *f, const ls_proc_result_t *r, const char *unit)
{
    char b1[32], b2[32];
    size_t shown = 0;
    for (size_t i = 0; i < r->n_locations; i++) {
        const ls_location_result_t *l = &r->locations[i];
        if (!ls_location_shown(l))
            continue;
        if (!shown++)
            fprintf(f, "<h3>Locations reached through several stacks</h3>\n<table>\n<thead><tr><th>severity</th>"
                       "<th>pattern</th><th>growth / %s</th><th>live</th><th>stacks</th><th>location</th></tr></thead>\n<tbody>\n",
                    unit);
        fprintf(f, "<tr><td>%s</td><td>%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td class=\"num\">%zu</td><td><details><summary><code>",
                ls_severity_name(l->c.severity), ls_pattern_name(l->c.pattern),
                ls_format_rate(b1, sizeof b1, l->c.bytes_per_step),
                ls_format_size(b2, sizeof b2, (int64_t)l->c.verdict_live_bytes, 0), l->n_stacks);
        ls_markup_escape(f, l->loc->function);
        fputs(" (", f);
        ls_markup_escape(f, l->loc->file);
        fprintf(f, ":%d)", l->loc->line);
        fputs("</code></summary><ol class=\"trace\">", f);
        for (size_t k = 0; k < l->n_stacks && k < STACKS_SHOWN; k++) {
            const ls_site_result_t *s = l->stacks[k];
            fprintf(f, "<li>%s %s %s/%s ", ls_severity_name(s->c.severity), ls_pattern_name(s->c.pattern),
                    ls_format_rate(b1, sizeof b1, s->c.bytes_per_step), unit);
            size_t j0 = (size_t)s->s->loc + 1; /* the frames under the allocating one */
            for (size_t j = j0; s->s->info && j < s->s->ninfo && j < j0 + CALLERS_SHOWN; j++) {
                fputs(j > j0 ? " &lt; " : "via ", f);
                ls_markup_escape(f, s->s->info[j].function);
            }
            fputs("</li>", f);
        }
        fputs("</ol></details></td></tr>\n", f);
    }
    if (shown)
        fputs("</tbody>\n</table>\n", f);
}
