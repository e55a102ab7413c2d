/*
 * lost.h — the exit snapshot's reachability scan in reports (issue 13): the "lost at
 * exit" section of the text and HTML reports in LeakSanitizer's manner, and the rule that
 * a site lost at exit that also grew is a leak whatever the series length.
 */
#ifndef LS_LOST_H
#define LS_LOST_H

#include <stdio.h>

#include "report.h"

/* A site with blocks lost at exit that the classifier sees growing (pattern leak or
 * inconclusive, trend increasing: not a warm-up that levelled off) is a `leak` with
 * severity at least medium, however short the series. No change without a scan. */
void ls_lost_upgrade(const ls_proc_series_t *p, ls_site_result_t *s);

/* Bytes of direct leaks in the process, suppressed sites left out. */
double ls_lost_direct_bytes(const ls_proc_result_t *r);

/* The "lost at exit" section; nothing when the process has no scan. */
void ls_lost_text(FILE *f, const ls_proc_result_t *r);
void ls_lost_html(FILE *f, const ls_proc_result_t *r);

#endif /* LS_LOST_H */
