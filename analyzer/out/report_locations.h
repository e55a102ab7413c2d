/*
 * report_locations.h — the location groups of a process (model/locations.h) in `report`:
 * each location reached through several stacks, its summed verdict, and its stacks below
 * it; printed ahead of the individual stacks (docs/report.md).
 */
#ifndef LS_REPORT_LOCATIONS_H
#define LS_REPORT_LOCATIONS_H

#include <stdio.h>

#include "locations.h"

/* Locations shown: not stable, or breaking a rule. */
int ls_location_shown(const ls_location_result_t *l);
/* Text: a section with a header, or nothing when no location is shown. */
void ls_report_locations_text(FILE *f, const ls_proc_result_t *r, const char *unit);
/* JSON: a frame's fields `"function": F, "file": "F", "line": N`, without braces, as the
 * sites, their frames, the locations and the violations all write them. */
void ls_json_frame_fields(FILE *f, const ls_frame_info_t *fi);
/* JSON: the value of the "locations" field (an array, possibly empty). */
void ls_report_locations_json(FILE *f, const ls_proc_result_t *r);
/* HTML: a table, or nothing when no location is shown. */
void ls_report_locations_html(FILE *f, const ls_proc_result_t *r, const char *unit);

#endif /* LS_REPORT_LOCATIONS_H */
