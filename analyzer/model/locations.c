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

/* Groups of two or more stacks; the age sums of group g live at ages + 2*g (last, prev). */
static size_t group_sites(ls_proc_result_t *r, ls_location_result_t *g, double **ages)
{
    const ls_proc_series_t *p = r->p;
    size_t ng = 0;
    char *taken = ls_xcalloc(r->n_sites ? r->n_sites : 1, 1);
    for (size_t i = 0; i < r->n_sites; i++) {
        const ls_site_result_t *s = &r->sites[i];
        if (taken[i] || s->sup || !known(s->loc))
            continue;
        size_t peers = 0;
        for (size_t j = i + 1; j < r->n_sites; j++)
            peers += !taken[j] && !r->sites[j].sup && known(r->sites[j].loc) && same_location(s->loc, r->sites[j].loc);
        if (!peers)
            continue;
        ls_location_result_t *l = &g[ng];
        memset(l, 0, sizeof *l);
        l->loc = s->loc;
        l->bytes = ls_xcalloc(p->n ? p->n : 1, sizeof *l->bytes);
        ages[2 * ng] = ls_xcalloc(p->n_buckets_last + 1, sizeof(double));
        ages[2 * ng + 1] = ls_xcalloc(p->n_buckets_prev + 1, sizeof(double));
        for (size_t j = i; j < r->n_sites; j++)
            if (!taken[j] && !r->sites[j].sup && known(r->sites[j].loc) && same_location(s->loc, r->sites[j].loc)) {
                taken[j] = 1;
                add_stack(l, &r->sites[j], p->n, ages[2 * ng], ages[2 * ng + 1], p->n_buckets_last,
                          p->n_buckets_prev);
            }
        ng++;
    }
    free(taken);
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
