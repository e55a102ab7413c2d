/*
 * locations.c — sites grouped by allocation location, their series summed and classified
 * (locations.h). A function that leaks 96 B per step reached through 12 recursion depths
 * or 12 callers gives 12 stacks of 8 B/step each, every one of low severity; the location
 * carries the 96 B/step that severity and the gate must judge.
 */
#include "locations.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Same allocating frame: function, file and line all known and equal. */
static int same_location(const ls_frame_info_t *a, const ls_frame_info_t *b)
{
    return a->line == b->line && strcmp(a->function, b->function) == 0 && strcmp(a->file, b->file) == 0;
}

static int known(const ls_frame_info_t *l)
{
    return l && l->line > 0 && l->function && l->file && strcmp(l->function, "??") != 0 && strcmp(l->file, "??") != 0;
}

/* Adds site s to location g: its series and its age histograms. */
static void add_stack(ls_location_result_t *g, const ls_site_result_t *s, size_t n, double *age_last,
                      double *age_prev, size_t nl, size_t np)
{
    g->stacks = ls_xrealloc(g->stacks, (g->n_stacks + 1) * sizeof *g->stacks);
    g->stacks[g->n_stacks++] = s;
    for (size_t i = 0; i < n; i++)
        g->bytes[i] += s->s->bytes[i];
    for (size_t i = 0; i < nl; i++)
        age_last[i] += s->s->age_last[i];
    for (size_t i = 0; i < np; i++)
        age_prev[i] += s->s->age_prev[i];
    g->live_bytes += s->live_bytes;
}

static int cmp_location(const void *pa, const void *pb)
{
    const ls_location_result_t *a = pa, *b = pb;
    if (a->c.pattern == LS_PAT_LEAK && b->c.pattern == LS_PAT_LEAK && a->c.severity != b->c.severity)
        return a->c.severity > b->c.severity ? -1 : 1;
    if ((a->c.pattern == LS_PAT_LEAK) != (b->c.pattern == LS_PAT_LEAK))
        return a->c.pattern == LS_PAT_LEAK ? -1 : 1;
    if (a->c.bytes_per_step != b->c.bytes_per_step)
        return a->c.bytes_per_step > b->c.bytes_per_step ? -1 : 1;
    return (a->live_bytes < b->live_bytes) - (a->live_bytes > b->live_bytes);
}

/* Orders eligible sites by location, then by importance (their index in the sorted sites). */
static const ls_site_result_t *sort_base;

static int cmp_by_location(const void *pa, const void *pb)
{
    size_t ia = *(const size_t *)pa, ib = *(const size_t *)pb;
    const ls_frame_info_t *a = sort_base[ia].loc, *b = sort_base[ib].loc;
    int d = strcmp(a->function, b->function);
    if (!d)
        d = strcmp(a->file, b->file);
    if (!d)
        d = (a->line > b->line) - (a->line < b->line);
    return d ? d : (ia > ib) - (ia < ib);
}

/* Groups of two or more stacks, found by sorting (O(n log n) in the number of sites); the
 * age sums of group g live at ages[2g] (last) and ages[2g+1] (previous). */
static size_t group_sites(ls_proc_result_t *r, ls_location_result_t *g, double **ages)
{
    const ls_proc_series_t *p = r->p;
    size_t *idx = ls_xcalloc(r->n_sites ? r->n_sites : 1, sizeof *idx), ne = 0, ng = 0;
    for (size_t i = 0; i < r->n_sites; i++)
        if (!r->sites[i].sup && known(r->sites[i].loc))
            idx[ne++] = i;
    sort_base = r->sites;
    qsort(idx, ne, sizeof *idx, cmp_by_location);
    for (size_t i = 0, j; i < ne; i = j) {
        for (j = i + 1; j < ne && same_location(r->sites[idx[i]].loc, r->sites[idx[j]].loc); j++)
            ;
        if (j - i < 2)
            continue;
        ls_location_result_t *l = &g[ng];
        memset(l, 0, sizeof *l);
        l->loc = r->sites[idx[i]].loc;
        l->bytes = ls_xcalloc(p->n ? p->n : 1, sizeof *l->bytes);
        ages[2 * ng] = ls_xcalloc(p->n_buckets_last + 1, sizeof(double));
        ages[2 * ng + 1] = ls_xcalloc(p->n_buckets_prev + 1, sizeof(double));
        for (size_t k = i; k < j; k++)
            add_stack(l, &r->sites[idx[k]], p->n, ages[2 * ng], ages[2 * ng + 1], p->n_buckets_last,
                      p->n_buckets_prev);
        ng++;
    }
    free(idx);
    return ng;
}

void ls_locations_build(ls_proc_result_t *r, const ls_classify_opts_t *opts)
{
    const ls_proc_series_t *p = r->p;
    size_t cap = r->n_sites / 2 + 1;
    ls_location_result_t *g = ls_xcalloc(cap, sizeof *g);
    double **ages = ls_xcalloc(2 * cap, sizeof *ages);
    size_t ng = group_sites(r, g, ages);
    ls_series_view_t *v = ls_xcalloc(ng ? ng : 1, sizeof *v);
    ls_class_t *c = ls_xcalloc(ng ? ng : 1, sizeof *c);
    for (size_t i = 0; i < ng; i++) {
        v[i] = ls_series_view(p, g[i].stacks[0]->index);
        v[i].y = g[i].bytes;
        v[i].age_last.bytes = ages[2 * i];
        v[i].age_prev.bytes = ages[2 * i + 1];
    }
    ls_classify(v, ng, opts, c);
    double x0 = p->n ? p->x[0] : 0;
    for (size_t i = 0; i < ng; i++) {
        g[i].c = c[i];
        g[i].c.burn_in += x0;
        free(ages[2 * i]);
        free(ages[2 * i + 1]);
    }
    qsort(g, ng, sizeof *g, cmp_location);
    free(ages);
    free(v);
    free(c);
    r->locations = g;
    r->n_locations = ng;
}

void ls_locations_free(ls_proc_result_t *r)
{
    for (size_t i = 0; i < r->n_locations; i++) {
        free(r->locations[i].stacks);
        free(r->locations[i].bytes);
    }
    free(r->locations);
    r->locations = NULL;
    r->n_locations = 0;
}
