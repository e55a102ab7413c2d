/*
 * cmd_gate.c — `leakscope gate DIR [--policy FILE] [--baseline PREVIOUS] [--junit FILE]
 * [--format text|json]`: the CI verdict. Exit 0 pass, 1 a rule broken, 2 unusable input.
 * With --baseline (a run directory or a JSON report) only what is new or worse fails.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "baseline.h"
#include "report.h"
#include "util.h"

int ls_cmd_gate(int argc, char **argv)
{
    const char *dir = NULL, *policy_path = NULL, *baseline = NULL, *junit = NULL, *format = "text";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--policy") && i + 1 < argc)
            policy_path = argv[++i];
        else if (!strcmp(a, "--baseline") && i + 1 < argc)
            baseline = argv[++i];
        else if (!strcmp(a, "--junit") && i + 1 < argc)
            junit = argv[++i];
        else if (!strcmp(a, "--format") && i + 1 < argc)
            format = argv[++i];
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            puts("usage: leakscope gate DIR [--policy FILE] [--baseline PREVIOUS] [--junit FILE] [--format text|json]");
            return LS_EXIT_OK;
        } else if (a[0] == '-' && a[1])
            return ls_error("gate: unknown or incomplete option '%s'", a);
        else if (!dir)
            dir = a;
        else
            return ls_error("gate: one run directory only ('%s' and '%s')", dir, a);
    }
    if (!dir)
        return ls_error("usage: leakscope gate DIR [--policy FILE] [--baseline PREVIOUS] [--junit FILE] [--format text|json]");
    if (strcmp(format, "text") && strcmp(format, "json"))
        return ls_error("gate: --format must be text or json, not '%s'", format);
    char err[1024];
    ls_policy_t pol;
    if (policy_path) {
        if (ls_policy_load(policy_path, &pol, err, sizeof err) < 0)
            return ls_error("%s", err);
    } else
        ls_policy_default(&pol);
    ls_baseline_t base = {0};
    if (baseline) {
        struct stat st;
        int rc;
        if (stat(baseline, &st) < 0)
            rc = (snprintf(err, sizeof err, "%s: baseline: %s", baseline, strerror(errno)), -1);
        else if (S_ISDIR(st.st_mode))
            rc = ls_baseline_from_run(baseline, &pol, &base, err, sizeof err);
        else
            rc = ls_baseline_from_json(baseline, &base, err, sizeof err);
        if (rc < 0) {
            ls_policy_free(&pol);
            return ls_error("%s", err);
        }
    }
    ls_analysis_t a;
    if (ls_analyze(dir, &pol, &a, err, sizeof err) < 0) {
        ls_baseline_free(&base);
        ls_policy_free(&pol);
        return ls_error("%s", err);
    }
    if (baseline)
        ls_analysis_filter(&a, ls_baseline_keep, &base);
    int rc = LS_EXIT_OK;
    if (!strcmp(format, "json")) {
        ls_report_json(stdout, &a);
        rc = a.fail ? LS_EXIT_FAIL : LS_EXIT_OK;
    } else
        rc = ls_gate_print(stdout, &a);
    if (fflush(stdout) != 0)
        rc = ls_error("cannot write to standard output: %s", strerror(errno));
    if (junit && ls_report_junit(junit, &a) < 0)
        rc = LS_EXIT_USAGE;
    ls_analysis_free(&a);
    ls_baseline_free(&base);
    ls_policy_free(&pol);
    return rc;
}
