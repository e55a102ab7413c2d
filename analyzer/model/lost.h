/*
 * lost.h — the verdicts of the exit snapshot's reachability scan (issue 13): a site lost
 * at exit that also grew is a leak whatever the series length; the direct-leak bytes that
 * the policy's `unreachable` rule judges. (Its section in the reports: out/report_lost.h.)
 */
#ifndef LS_LOST_H
#define LS_LOST_H

#include "report.h"

/* A site with blocks lost at exit that the classifier sees growing (pattern leak or
 * inconclusive, trend increasing: not a warm-up that levelled off) is a `leak` with
 * severity at least medium, however short the series. No change without a scan. */
void ls_lost_upgrade(const ls_proc_series_t *p, ls_site_result_t *s);

/* Bytes of direct leaks in the process, suppressed sites left out. */
double ls_lost_direct_bytes(const ls_proc_result_t *r);

#endif /* LS_LOST_H */
