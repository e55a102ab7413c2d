/*
 * locations.h — one leak spread over many stacks (issue 14, part 2): the sites of a process
 * grouped by allocation location (function + file + line of the allocating frame), their
 * series summed and classified like a site, so that severity and the gate judge the
 * location as well as each stack. docs/classification.md, "Locations and stacks".
 */
#ifndef LS_LOCATIONS_H
#define LS_LOCATIONS_H

#include "report.h"

typedef struct ls_location_result {
    const ls_frame_info_t *loc;     /* the shared allocating frame */
    ls_class_t c;                   /* the summed series, classified */
    double live_bytes;              /* summed, at the last snapshot */
    const ls_site_result_t **stacks; /* its stacks, most important first */
    size_t n_stacks;
    double *bytes;                  /* the summed series (p->n points) */
    int violated;                   /* breaks the leak rule or a location budget as a location */
} ls_location_result_t;

/* Group the (sorted) sites of r by location: only locations reached through two or more
 * unsuppressed stacks are kept, most important first. The summed series of all locations
 * of the process are classified in one call (their own Benjamini–Hochberg family). */
void ls_locations_build(ls_proc_result_t *r, const ls_classify_opts_t *opts);
void ls_locations_free(ls_proc_result_t *r);

#endif /* LS_LOCATIONS_H */
