/*
 * rules.h — the policy's rules, evaluated over an analysis (model/rules.c). Internal to the
 * model: commands read the resulting violations from ls_analysis_t (report.h).
 */
#ifndef LS_RULES_H
#define LS_RULES_H

#include "report.h"

/* Append process pi's violations to a->v and mark the sites that break a rule. */
void ls_rules_evaluate(ls_analysis_t *a, size_t pi);
/* a->fail and every process's fail from the violations that are not warnings. */
void ls_rules_recompute_fail(ls_analysis_t *a);

#endif /* LS_RULES_H */
