/*
 * cmd_gate.c — `leakscope gate DIR [--policy FILE] [--baseline PREVIOUS] [--junit FILE]
 * [--format text|json]`: the CI verdict. Exit 0 pass, 1 a rule broken, 2 unusable input.
 * With --baseline (a run directory or a JSON report) only what is new or worse fails.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "options.h"
#include "baseline.h"
#include "report.h"
#include "sampling.h"
#include "util.h"

enum { OPT_POLICY, OPT_BASELINE, OPT_JUNIT, OPT_FORMAT };
static const ls_option_t gate_opts[] = {
    [OPT_POLICY] = {"policy", 0, "FILE", "the budgets and rules (docs/policy.md; default: fail on a leak\n"
                                         "of severity medium or worse)"},
    [OPT_BASELINE] = {"baseline", 0, "PREVIOUS", "an earlier run directory or JSON report: only what is\n"
                                                 "new or worse fails"},
    [OPT_JUNIT] = {"junit", 0, "FILE", "also write the verdict as JUnit XML"},
    [OPT_FORMAT] = {"format", 0, "text|json", "output format (default text)"},
    {NULL, 0, NULL, NULL}, /* ends the table */
};

const ls_command_spec_t ls_gate_spec = {
    "gate", "DIR",
    "The CI verdict on a run directory. Exit 0 pass, 1 a rule broken, 2 unusable input.\n",
    gate_opts, 1, 1, 0,
};

typedef struct {
    const char *policy_path, *baseline, *junit, *format;
} gate_args_t;

static int gate_option(void *ctx, int index, const char *v)
{
    gate_args_t *g = ctx;
    switch (index) {
    case OPT_POLICY: g->policy_path = v; break;
    case OPT_BASELINE: g->baseline = v; break;
    case OPT_JUNIT: g->junit = v; break;
    case OPT_FORMAT:
        if (strcmp(v, "text") && strcmp(v, "json"))
            return ls_error("gate: --format must be text or json, not '%s'", v);
        g->format = v;
        break;
    }
    return 0;
}

/* Issue 11: one line per sampled process before the verdict, saying that its figures are
 * estimates and at what rate (the JSON report carries "sample_rate" and "estimated"); the
 * messages below mark each of them with "~" (model/rules.c), for the same processes (those
 * with a sample_rate). Nothing for an exact run, whose output is unchanged. */
static void print_sampling_notes(FILE *f, const ls_analysis_t *a)
{
    for (size_t i = 0; i < a->n_procs; i++) {
        const ls_proc_result_t *r = &a->procs[i];
        if (!r->sample_rate)
            continue;
        char rate[32];
        fprintf(f, "note: pid %llu sampled at %s (LEAKSCOPE_SAMPLE): its figures are estimates (~); "
                   "`leakscope report` gives their 95%% intervals\n",
                (unsigned long long)r->p->pid, ls_sampling_rate_text(rate, sizeof rate, r->sample_rate));
    }
}

/* --baseline: a run directory (analysed under the same policy) or a JSON report. */
static int load_baseline(const char *baseline, const ls_policy_t *pol, ls_baseline_t *base, char *err,
                         size_t errlen)
{
    struct stat st;
    if (stat(baseline, &st) < 0)
        return snprintf(err, errlen, "%s: baseline: %s", baseline, strerror(errno)), -1;
    if (S_ISDIR(st.st_mode))
        return ls_baseline_from_run(baseline, pol, base, err, errlen);
    return ls_baseline_from_json(baseline, base, err, errlen);
}

int ls_cmd_gate(int argc, char **argv)
{
    gate_args_t g = {NULL, NULL, NULL, "text"};
    int first, prc = ls_options_parse(&ls_gate_spec, argc, argv, gate_option, &g, &first);
    if (prc)
        return prc == 1 ? LS_EXIT_OK : prc;
    const char *dir = argv[first], *policy_path = g.policy_path, *baseline = g.baseline, *junit = g.junit,
               *format = g.format;
    char err[1024];
    ls_policy_t pol;
    if (policy_path) {
        if (ls_policy_load(policy_path, &pol, err, sizeof err) < 0)
            return ls_error("%s", err);
    } else
        ls_policy_default(&pol);
    ls_baseline_t base = {0};
    if (baseline && load_baseline(baseline, &pol, &base, err, sizeof err) < 0) {
        ls_policy_free(&pol);
        return ls_error("%s", err);
    }
    ls_analysis_t a;
    if (ls_analyze(dir, &pol, &a, err, sizeof err) < 0) {
        ls_baseline_free(&base);
        ls_policy_free(&pol);
        return ls_error("%s", err);
    }
    if (baseline)
        ls_analysis_filter(&a, ls_baseline_keep, &base);
    ls_out_t jout = {0};
    int rc = LS_EXIT_USAGE;
    if (!junit || ls_out_open(&jout, junit) == 0) { /* a bad --junit fails before any verdict */
        if (!strcmp(format, "json")) {
            ls_report_json(stdout, &a);
            rc = a.fail ? LS_EXIT_FAIL : LS_EXIT_OK;
        } else {
            print_sampling_notes(stdout, &a);
            rc = ls_gate_print(stdout, &a);
        }
        if (fflush(stdout) != 0 || ferror(stdout))
            rc = ls_error("cannot write to standard output: %s", strerror(errno ? errno : EIO));
        if (junit) {
            ls_report_junit(jout.f, &a);
            if (ls_out_close(&jout) < 0)
                rc = LS_EXIT_USAGE;
        }
    }
    ls_analysis_free(&a);
    ls_baseline_free(&base);
    ls_policy_free(&pol);
    return rc;
}
