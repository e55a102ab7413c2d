/*
 * report_html.c — `report --format html`: one self-contained page (inline CSS and SVG, no
 * script, no external resource) that opens offline: the processes' traced memory over the
 * run, a chart per leading site (live bytes over steps, where its surviving bytes were
 * born), and the table of sites with their traces.
 */
#include <math.h>
#include <string.h>

#include "export.h"
#include "report_lost.h"
#include "report.h"
#include "report_locations.h"
#include "util.h"

/* Sites drawn as charts per process; the table lists every site that is not stable. */
#define CHART_SITES 8
#define TABLE_SITES 200

static const char *pattern_color(ls_pattern_t p)
{
    switch (p) {
    case LS_PAT_LEAK: return "#c62828";
    case LS_PAT_INCONCLUSIVE: return "#ef6c00";
    case LS_PAT_WARMUP: return "#1565c0";
    case LS_PAT_BOUNDED: return "#2e7d32";
    case LS_PAT_SHRINKING: return "#6a1b9a";
    case LS_PAT_STABLE: return "#546e7a";
    }
    return "#000";
}

/* A line chart of y over x: axes with min/max labels, the series as a polyline, an
 * optional vertical marker (the burn-in). */
static void line_chart(FILE *f, const double *x, const double *y, size_t n, double marker, const char *color,
                       const char *xlabel, int w, int h)
{
    const int l = 70, r = 10, t = 10, b = 28;
    double x0 = n ? x[0] : 0, x1 = n ? x[n - 1] : 1, y1 = 0;
    for (size_t i = 0; i < n; i++)
        if (y[i] > y1)
            y1 = y[i];
    if (x1 <= x0)
        x1 = x0 + 1;
    if (y1 <= 0)
        y1 = 1;
    char b1[32];
    fprintf(f, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\">\n", w, h, w, h);
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"plot\"/>\n", l, t, w - l - r, h - t - b);
    for (int g = 1; g < 4; g++) {
        double gy = t + (h - t - b) * g / 4.0;
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\"/>\n", l, gy, w - r, gy);
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"ax\" text-anchor=\"end\">%s</text>\n", l - 4, t + 10,
            ls_format_size(b1, sizeof b1, (int64_t)y1, 0));
    fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"ax\" text-anchor=\"end\">0</text>\n", l - 4, h - b);
    fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"ax\">%.0f</text>\n", l, h - 10, x0);
    fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"ax\" text-anchor=\"end\">%.0f</text>\n", w - r, h - 10, x1);
    fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"ax\" text-anchor=\"middle\">%s</text>\n", (l + w - r) / 2, h - 10, xlabel);
    if (isfinite(marker) && marker > x0 && marker < x1) {
        double mx = l + (marker - x0) / (x1 - x0) * (w - l - r);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"burn\"><title>burn-in ends at %.0f</title></line>\n",
                mx, t, mx, h - b, marker);
    }
    /* Points beyond a few per pixel add nothing visible: thin them to at most 2 per pixel. */
    size_t stride = n > (size_t)(2 * (w - l - r)) ? n / (size_t)(2 * (w - l - r)) + 1 : 1;
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", color);
    for (size_t i = 0; i < n; i += stride) {
        size_t k = i + stride < n ? i : n - 1;
        fprintf(f, "%.1f,%.1f ", l + (x[k] - x0) / (x1 - x0) * (w - l - r), h - b - y[k] / y1 * (h - t - b));
        if (k == n - 1)
            break;
    }
    fprintf(f, "\"/>\n</svg>\n");
}

/* Bars of the live bytes at the end by birth epoch: old survivors vs young memory. */
static void age_chart(FILE *f, const ls_proc_series_t *p, const ls_site_series_t *s, const ls_class_t *c, int w,
                      int h)
{
    const int l = 70, r = 10, t = 10, b = 28;
    /* The ages of the point the classifier used: before the `exit` teardown when it left it out. */
    int prev = c->n_used < p->n && p->n_buckets_prev > 0;
    size_t nb = prev ? p->n_buckets_prev : p->n_buckets_last;
    const double *edges = prev ? p->edges_prev : p->edges_last, *ages = prev ? s->age_prev : s->age_last;
    double burn = c->burn_in, hi = 0;
    for (size_t i = 0; i < nb; i++)
        if (ages[i] > hi)
            hi = ages[i];
    fprintf(f, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\">\n", w, h, w, h);
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"plot\"/>\n", l, t, w - l - r, h - t - b);
    char b1[32];
    if (nb == 0 || hi <= 0) {
        fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"ax\" text-anchor=\"middle\">nothing live at the end</text></svg>\n",
                w / 2, h / 2);
        return;
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"ax\" text-anchor=\"end\">%s</text>\n", l - 4, t + 10,
            ls_format_size(b1, sizeof b1, (int64_t)hi, 0));
    double e0 = edges[0], e1 = edges[nb];
    if (e1 <= e0)
        e1 = e0 + 1;
    for (size_t i = 0; i < nb; i++) {
        double a = l + (edges[i] - e0) / (e1 - e0) * (w - l - r);
        double bw = (edges[i + 1] - edges[i]) / (e1 - e0) * (w - l - r);
        double bh = ages[i] / hi * (h - t - b);
        int old = edges[i + 1] <= burn;
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"%s\"><title>born %.0f..%.0f: %s</title></rect>\n",
                a + 0.5, h - b - bh, bw > 1.5 ? bw - 1 : bw, bh, old ? "old" : "young", edges[i], edges[i + 1],
                ls_format_size(b1, sizeof b1, (int64_t)ages[i], 0));
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"ax\">%.0f</text>\n", l, h - 10, e0);
    fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"ax\" text-anchor=\"end\">%.0f</text>\n", w - r, h - 10, e1);
    fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"ax\" text-anchor=\"middle\">birth %s of the bytes live at the end%s</text>\n",
            (l + w - r) / 2, h - 10, p->marked ? "step" : "snapshot", prev ? " (before the exit teardown)" : "");
    fputs("</svg>\n", f);
}

static void badge(FILE *f, const ls_class_t *c)
{
    fprintf(f, "<span class=\"badge\" style=\"background:%s\">%s</span>", pattern_color(c->pattern), ls_pattern_name(c->pattern));
    if (c->severity != LS_SEV_NONE)
        fprintf(f, " <span class=\"sev sev-%s\">%s</span>", ls_severity_name(c->severity), ls_severity_name(c->severity));
}

/* The process's heading, its facts, and its traced memory over the run. */
static void process_head_html(FILE *f, const ls_proc_result_t *r, const char *xl)
{
    const ls_proc_series_t *p = r->p;
    char b1[32], b2[32];
    fputs("<h2>", f);
    ls_markup_escape(f, p->prog);
    fprintf(f, " <small>pid %llu</small> <span class=\"verdict %s\">%s</span></h2>\n", (unsigned long long)p->pid,
            r->fail ? "fail" : "pass", r->fail ? "FAIL" : "pass");
    fprintf(f, "<p class=\"facts\">%zu snapshots", p->n);
    if (p->marked && p->n)
        fprintf(f, ", steps %llu&ndash;%llu", (unsigned long long)p->step[0], (unsigned long long)p->step[p->n - 1]);
    fprintf(f, " &middot; %zu sites &middot; traced at the end %s, peak %s</p>\n", p->n_sites,
            ls_format_size(b1, sizeof b1, (int64_t)(p->n ? p->traced[p->n - 1] : 0), 0),
            ls_format_size(b2, sizeof b2, (int64_t)p->traced_peak, 0));
    ls_sampling_html(f, r); /* issue 11 */
    fputs("<h3>Total traced memory</h3>\n", f);
    line_chart(f, p->x, p->traced, p->n, NAN, "#37474f", xl, 1180, 220);
    ls_report_flame(f, p);
}

/* One leading site's card: its badge and label, facts, and its two charts side by side. */
static void site_card_html(FILE *f, const ls_proc_series_t *p, const ls_site_result_t *s, const char *xl)
{
    char b1[32], b2[32], lab[512];
    fputs("<div class=\"card\">\n<h4>", f);
    badge(f, &s->c);
    fputs(" <code>", f);
    ls_markup_escape(f, ls_site_label(s, lab, sizeof lab));
    fputs("</code></h4>\n", f);
    fprintf(f, "<p class=\"facts\">%s live &middot; %s per %s &middot; ",
            ls_format_size(b1, sizeof b1, (int64_t)s->c.verdict_live_bytes, 0),
            ls_format_rate(b2, sizeof b2, s->c.bytes_per_step), xl);
    ls_markup_escape(f, s->c.why);
    fputs("</p>\n<div class=\"pair\">\n", f);
    line_chart(f, p->x, s->s->bytes, p->n, s->c.burn_in, pattern_color(s->c.pattern), xl, 540, 180);
    age_chart(f, p, s->s, &s->c, 540, 180);
    fputs("</div>\n</div>\n", f);
}

/* Cards of the first CHART_SITES sites that are not stable and hold or grow memory;
 * nothing, not even the heading, when there is none. */
static void leading_sites_html(FILE *f, const ls_proc_result_t *r, const char *xl)
{
    size_t charts = 0;
    for (size_t i = 0; i < r->n_sites && charts < CHART_SITES; i++) {
        const ls_site_result_t *s = &r->sites[i];
        if (s->c.pattern == LS_PAT_STABLE || s->c.verdict_live_bytes + fabs(s->c.verdict_growth_bytes) <= 0)
            continue;
        if (!charts)
            fputs("<h3>Leading sites</h3>\n<div class=\"cards\">\n", f);
        charts++;
        site_card_html(f, r->p, s, xl);
    }
    if (charts)
        fputs("</div>\n", f);
}

/* A site's stack as a list, its location frame in bold: function, then file:line when
 * known, else the module. */
static void trace_html(FILE *f, const ls_site_series_t *ss)
{
    fputs("<ol class=\"trace\">", f);
    for (size_t k = 0; ss->info && k < ss->ninfo; k++) {
        const ls_frame_info_t *fi = &ss->info[k];
        fprintf(f, "<li%s><code>", (int)k == ss->loc ? " class=\"loc\"" : "");
        ls_markup_escape(f, fi->function);
        fputs("</code> ", f);
        if (fi->file && strcmp(fi->file, "??"))
            fprintf(f, "<span class=\"muted\">"), ls_markup_escape(f, fi->file), fprintf(f, ":%d</span>", fi->line);
        else
            fprintf(f, "<span class=\"muted\">"), ls_markup_escape(f, fi->module), fputs("</span>", f);
        fputs("</li>", f);
    }
    fputs("</ol>", f);
}

/* One row of the sites table: pattern (and policy, suppression), trend, figures, and the
 * label that opens the trace. */
static void site_row_html(FILE *f, const ls_site_result_t *s)
{
    char b1[32], b2[32], lab[512];
    fputs("<tr><td>", f);
    badge(f, &s->c);
    if (s->violated)
        fputs(" <span class=\"sev sev-critical\">breaks policy</span>", f);
    if (s->sup)
        fputs(" <span class=\"muted\">suppressed</span>", f);
    fprintf(f, "</td><td>%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td>", ls_trend_name(s->c.trend),
            ls_format_rate(b1, sizeof b1, s->c.bytes_per_step),
            ls_format_size(b2, sizeof b2, (int64_t)s->c.verdict_live_bytes, 0));
    fprintf(f, "<td class=\"num\">%s</td><td><details><summary><code>",
            ls_format_size(b1, sizeof b1, (int64_t)s->c.verdict_growth_bytes, 1));
    ls_markup_escape(f, ls_site_label(s, lab, sizeof lab));
    fputs("</code></summary>", f);
    trace_html(f, s->s);
    fputs("</details></td></tr>\n", f);
}

/* The table of the first TABLE_SITES sites that are not stable; a note counts the rest. */
static void sites_table_html(FILE *f, const ls_proc_result_t *r, const char *xl)
{
    fputs("<h3>Sites</h3>\n<table>\n<thead><tr><th>pattern</th><th>trend</th><th>growth / ", f);
    fputs(xl, f);
    fputs("</th><th>live</th><th>growth</th><th>location and trace</th></tr></thead>\n<tbody>\n", f);
    size_t rows = 0, rest = 0;
    for (size_t i = 0; i < r->n_sites; i++) {
        const ls_site_result_t *s = &r->sites[i];
        if (s->c.pattern == LS_PAT_STABLE || rows >= TABLE_SITES) {
            rest++;
            continue;
        }
        rows++;
        site_row_html(f, s);
    }
    fputs("</tbody>\n</table>\n", f);
    if (rest)
        fprintf(f, "<p class=\"muted\">%zu more sites (stable, or past the first %d) are in the JSON report.</p>\n", rest,
                TABLE_SITES);
}

/* One process's section: heading and total, leading sites' charts, location groups, the
 * sites table, and what the exit scan found lost. */
static void process_html(FILE *f, const ls_analysis_t *a, size_t pi)
{
    const ls_proc_result_t *r = &a->procs[pi];
    const char *xl = r->p->marked ? "step" : "snapshot";
    fputs("<section class=\"proc\">\n", f);
    process_head_html(f, r, xl);
    leading_sites_html(f, r, xl);
    ls_report_locations_html(f, r, xl); /* ahead of the individual stacks (issue 14) */
    sites_table_html(f, r, xl);
    ls_lost_html(f, r); /* issue 13 */
    fputs("</section>\n", f);
}

static const char css[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;background:#f5f6f8;color:#1d252c}"
    "header{background:#263238;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}"
    "header p{margin:4px 0 0;color:#b0bec5}main{padding:8px 28px 40px;max-width:1240px}"
    ".proc{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:12px 20px;margin:18px 0}"
    "h2{font-size:19px;margin:6px 0}h2 small{color:#78909c;font-weight:normal}h3{font-size:15px;margin:18px 0 6px}"
    "h4{font-size:14px;margin:0 0 4px;font-weight:600}.facts{color:#455a64;margin:2px 0 8px}"
    ".verdict{font-size:13px;padding:2px 10px;border-radius:12px;color:#fff;vertical-align:middle}"
    ".verdict.fail{background:#c62828}.verdict.pass{background:#2e7d32}"
    ".badge{color:#fff;border-radius:4px;padding:1px 7px;font-size:12px}"
    ".sev{border:1px solid #c62828;color:#c62828;border-radius:4px;padding:0 6px;font-size:12px}"
    ".sev-low{border-color:#f9a825;color:#8d6e00}.sev-medium{border-color:#ef6c00;color:#ef6c00}"
    ".cards{display:flex;flex-direction:column;gap:12px}.card{border:1px solid #e0e4e8;border-radius:6px;padding:10px 12px}"
    ".pair{display:flex;gap:8px;flex-wrap:wrap}svg.chart{background:#fff;max-width:100%;height:auto}"
    ".plot{fill:#fafbfc;stroke:#cfd8dc}.grid{stroke:#eceff1}.ax{font-size:11px;fill:#607d8b}"
    ".burn{stroke:#90a4ae;stroke-dasharray:4 3}.old{fill:#c62828;opacity:.8}.young{fill:#64b5f6}"
    "table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eceff1;vertical-align:top}"
    "th{background:#eceff1;font-weight:600}.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}"
    "code{font:12px ui-monospace,Menlo,Consolas,monospace}.muted{color:#78909c}ol.trace{margin:4px 0;padding-left:22px}"
    ".trace li.loc code{font-weight:bold}summary{cursor:pointer}.viol{color:#c62828;margin:2px 0}"
    ".legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px;vertical-align:middle}"
    ".legend .old{background:#c62828}.legend .young{background:#64b5f6}";

void ls_report_html(FILE *f, const ls_analysis_t *a)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>leakscope report: ",
          f);
    ls_markup_escape(f, a->series.dir);
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<header><h1>leakscope report</h1><p>", css);
    ls_markup_escape(f, a->series.dir);
    fprintf(f, " &middot; %zu process%s &middot; verdict <strong>%s</strong> under ", a->n_procs, a->n_procs == 1 ? "" : "es",
            a->fail ? "FAIL" : "pass");
    ls_markup_escape(f, a->policy->path ? a->policy->path : "the default policy");
    fputs("</p></header>\n<main>\n", f);
    if (a->n_v) {
        fputs("<section class=\"proc\"><h2>Policy</h2>\n", f);
        for (size_t i = 0; i < a->n_v; i++) {
            fprintf(f, "<p class=\"viol\">%s [", a->v[i].warning ? "warning" : "FAIL");
            ls_markup_escape(f, a->v[i].rule);
            fputs("] ", f);
            ls_markup_escape(f, a->v[i].message);
            fputs("</p>\n", f);
        }
        fputs("</section>\n", f);
    }
    fputs("<p class=\"legend muted\">Site charts: live bytes over the run (dashed line: end of the burn-in), and the "
          "bytes alive at the end by birth<span class=\"old\"></span>born before the burn-in"
          "<span class=\"young\"></span>born after it.</p>\n",
          f);
    for (size_t i = 0; i < a->n_procs; i++)
        process_html(f, a, i);
    fputs("</main>\n</body>\n</html>\n", f);
}
