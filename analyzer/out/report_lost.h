/*
 * report_lost.h — the "lost at exit" section of the text and HTML reports (issue 13), in
 * LeakSanitizer's manner, from the exit snapshot's reachability scan.
 */
#ifndef LS_REPORT_LOST_H
#define LS_REPORT_LOST_H

#include <stdio.h>

#include "report.h"

/* The "lost at exit" section; nothing when the process has no scan. */
void ls_lost_text(FILE *f, const ls_proc_result_t *r);
void ls_lost_html(FILE *f, const ls_proc_result_t *r);

#endif /* LS_REPORT_LOST_H */
