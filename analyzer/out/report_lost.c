/*
 * report_lost.c — the "lost at exit" section of the text and HTML reports (report_lost.h),
 * from the exit snapshot's reachability scan. It follows LeakSanitizer's report: direct
 * leaks first, then indirect ones, each largest first, "Direct leak of N byte(s) in M
 * object(s) allocated from:" and the allocation trace (innermost first, from the caller of
 * the allocation function), then a SUMMARY line.
 */
#include "report_lost.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

typedef struct {
    const ls_site_result_t *site;
    int indirect;
    uint64_t bytes, count;
} entry_t;

static int cmp_entry(const void *pa, const void *pb)
{
    const entry_t *a = pa, *b = pb;
    if (a->indirect != b->indirect)
        return a->indirect - b->indirect;
    if (a->bytes != b->bytes)
        return a->bytes > b->bytes ? -1 : 1;
    return (a->site->s->id > b->site->s->id) - (a->site->s->id < b->site->s->id);
}

/* The lost entries of a process (direct and indirect per site), sorted; *n set. */
static entry_t *entries(const ls_proc_result_t *r, size_t *n, uint64_t *bytes, uint64_t *count)
{
    entry_t *e = ls_xcalloc(2 * r->n_sites + 1, sizeof *e);
    *n = 0;
    *bytes = *count = 0;
    for (size_t i = 0; i < r->n_sites; i++) {
        const ls_site_series_t *s = r->sites[i].s;
        if (r->sites[i].sup)
            continue;
        if (s->direct_count)
            e[(*n)++] = (entry_t){&r->sites[i], 0, s->direct_bytes, s->direct_count};
        if (s->indirect_count)
            e[(*n)++] = (entry_t){&r->sites[i], 1, s->indirect_bytes, s->indirect_count};
        *bytes += s->direct_bytes + s->indirect_bytes;
        *count += s->direct_count + s->indirect_count;
    }
    qsort(e, *n, sizeof *e, cmp_entry);
    return e;
}

static void out_str(FILE *f, const char *s, int html)
{
    if (html)
        ls_markup_escape(f, s);
    else
        fputs(s, f);
}

/* "Direct leak of N byte(s) in M object(s) allocated from:" and the trace, LSan's way:
 * "#K 0xADDR in function file:line" (or "(module)" when the line is unknown). */
static void entry_print(FILE *f, const entry_t *e, const char *indent, int html)
{
    const ls_site_series_t *s = e->site->s;
    fprintf(f, "%s%s leak of %llu byte(s) in %llu object(s) allocated from:\n", indent,
            e->indirect ? "Indirect" : "Direct", (unsigned long long)e->bytes, (unsigned long long)e->count);
    for (size_t k = 0; s->info && k < s->ninfo; k++) {
        const ls_frame_info_t *fi = &s->info[k];
        int known = fi->file && strcmp(fi->file, "??") != 0;
        fprintf(f, "%s    #%zu 0x%llx in ", indent, k, (unsigned long long)fi->addr);
        out_str(f, fi->function, html);
        fputs(known ? " " : " (", f);
        out_str(f, known ? fi->file : fi->module, html);
        if (known)
            fprintf(f, ":%d\n", fi->line);
        else
            fputs(")\n", f);
    }
}

void ls_lost_text(FILE *f, const ls_proc_result_t *r)
{
    const ls_proc_series_t *p = r->p;
    if (!p->has_scan)
        return;
    size_t n;
    uint64_t bytes, count;
    entry_t *e = entries(r, &n, &bytes, &count);
    char b1[32];
    fprintf(f, "\n  lost at exit (reachability scan of snapshot %zu: %llu blocks, %s, %.1f ms)%s\n",
            p->scan_snapshot + 1, (unsigned long long)p->scan_blocks,
            ls_format_size(b1, sizeof b1, (int64_t)p->scan_heap_bytes, 0), (double)p->scan_ns / 1e6,
            n ? ":" : ": nothing lost");
    for (size_t i = 0; i < n; i++) {
        fputc('\n', f);
        entry_print(f, &e[i], "  ", 0);
    }
    if (n)
        fprintf(f, "\n  SUMMARY: %llu byte(s) leaked in %llu allocation(s).\n", (unsigned long long)bytes,
                (unsigned long long)count);
    free(e);
}

void ls_lost_html(FILE *f, const ls_proc_result_t *r)
{
    const ls_proc_series_t *p = r->p;
    if (!p->has_scan)
        return;
    size_t n;
    uint64_t bytes, count;
    entry_t *e = entries(r, &n, &bytes, &count);
    fprintf(f, "<h3>Lost at exit</h3>\n<p class=\"facts\">reachability scan: %llu blocks; ",
            (unsigned long long)p->scan_blocks);
    if (!n)
        fputs("nothing lost</p>\n", f);
    else
        fprintf(f, "%llu byte(s) leaked in %llu allocation(s)</p>\n", (unsigned long long)bytes,
                (unsigned long long)count);
    for (size_t i = 0; i < n; i++) {
        fputs("<pre class=\"lost\">", f);
        entry_print(f, &e[i], "", 1);
        fputs("</pre>\n", f);
    }
    free(e);
}
