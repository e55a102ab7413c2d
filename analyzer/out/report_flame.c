/*
 * report_flame.c — the HTML report's flame graph: an icicle of the bytes live at the last
 * snapshot by trace, the outermost frames on top and each site's location frame at the
 * bottom of its column, widths in proportion to bytes. Inline SVG with <title> tooltips: no
 * script, nothing loaded from outside the page. Frames are merged by function name, as
 * flame graphs do; `export --format collapsed` gives the same stacks as text.
 */
#include <string.h>

#include "export.h"
#include "util.h"

#define FLAME_WIDTH 1180
#define FLAME_ROW 18
#define FLAME_MAX_DEPTH 64 /* rows drawn; deeper frames are folded into their parent */
#define CHAR_PX 6.6        /* average width of a character of the 11px label font */

static size_t tree_depth(const ls_fnode_t *n)
{
    size_t d = 0;
    for (size_t i = 0; i < n->nkids; i++) {
        size_t k = tree_depth(n->kids[i]);
        if (k > d)
            d = k;
    }
    return d + 1;
}

/* A warm colour from the name, so one function has one colour wherever it appears. */
static void colour(const char *name, char *buf, size_t len)
{
    unsigned h = 2166136261u;
    for (const unsigned char *c = (const unsigned char *)name; *c; c++)
        h = (h ^ *c) * 16777619u;
    snprintf(buf, len, "hsl(%u,%u%%,%u%%)", 5 + h % 45, 70 + (h >> 8) % 25, 55 + (h >> 16) % 15);
}

static void flame_node(FILE *f, const ls_fnode_t *n, double x, size_t depth, double scale, double total)
{
    double w = n->bytes * scale;
    if (w < 0.5 || depth >= FLAME_MAX_DEPTH)
        return;
    char fill[48], size[32], name[512];
    const char *fn = n->fi ? ls_frame_name(n->fi, name, sizeof name) : "all";
    colour(fn, fill, sizeof fill);
    double y = (double)(depth * FLAME_ROW);
    fputs("<g><title>", f);
    ls_markup_escape(f, fn);
    if (n->fi && n->fi->file && strcmp(n->fi->file, "??"))
        fputs(" (", f), ls_markup_escape(f, n->fi->file), fprintf(f, ":%d)", n->fi->line);
    fprintf(f, ": %s, %.1f%%</title><rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%d\" fill=\"%s\" "
               "data-bytes=\"%.0f\" data-depth=\"%zu\"/>",
            ls_format_size(size, sizeof size, (int64_t)n->bytes, 0), total > 0 ? 100.0 * n->bytes / total : 0, x, y,
            w, FLAME_ROW - 1, n->fi ? fill : "#b0bec5", n->bytes, depth);
    size_t fit = (size_t)((w - 6) / CHAR_PX);
    if (fit >= 3) {
        size_t len = strlen(fn);
        if (len > fit) { /* cut to fit, marked with ".." */
            name[fit - 2] = name[fit - 1] = '.';
            name[fit] = 0;
        }
        fprintf(f, "<text x=\"%.1f\" y=\"%.0f\">", x + 3, y + FLAME_ROW - 5);
        ls_markup_escape(f, n->fi ? name : fn);
        fputs("</text>", f);
    }
    fputs("</g>\n", f);
    for (size_t i = 0; i < n->nkids; i++) {
        flame_node(f, n->kids[i], x, depth + 1, scale, total);
        x += n->kids[i]->bytes * scale;
    }
}

void ls_report_flame(FILE *f, const ls_proc_series_t *p)
{
    if (!p->n)
        return;
    ls_fnode_t root = {0};
    const ls_frame_info_t *path[LS_MAX_INFO];
    for (size_t i = 0; i < p->n_sites; i++) {
        const ls_site_series_t *s = &p->sites[i];
        double b = s->bytes[p->n - 1];
        if (b > 0)
            ls_ftree_add(&root, path, ls_site_path(s->info, s->ninfo, s->loc, 1, path), b, 0);
    }
    ls_ftree_sort(&root);
    size_t depth = tree_depth(&root);
    if (depth > FLAME_MAX_DEPTH)
        depth = FLAME_MAX_DEPTH;
    char total[32];
    fprintf(f, "<h3>Live memory by trace at the last snapshot <small class=\"muted\">%s; outermost frame on top, "
               "the allocating line at the bottom of each column</small></h3>\n",
            ls_format_size(total, sizeof total, (int64_t)root.bytes, 0));
    if (root.bytes <= 0) {
        fputs("<p class=\"muted\">Nothing is live at the last snapshot.</p>\n", f);
        return;
    }
    fprintf(f, "<svg class=\"flame\" viewBox=\"0 0 %d %zu\" width=\"%d\" height=\"%zu\" role=\"img\" "
               "font-family=\"ui-monospace,Menlo,Consolas,monospace\" font-size=\"11\" data-total=\"%.0f\">\n",
            FLAME_WIDTH, depth * FLAME_ROW, FLAME_WIDTH, depth * FLAME_ROW, root.bytes);
    flame_node(f, &root, 0, 0, FLAME_WIDTH / root.bytes, root.bytes);
    fputs("</svg>\n", f);
    ls_ftree_free(&root);
}
