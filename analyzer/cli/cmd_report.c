/*
 * cmd_report.c — `leakscope report DIR [--format text|json|html] [-o FILE] [--policy FILE]
 * [--limit N] [--all]`: the whole series, each site's growth, pattern, trend and severity.
 */
#include <string.h>

#include "commands.h"
#include "options.h"
#include "report.h"
#include "util.h"

enum { OPT_FORMAT, OPT_OUTPUT, OPT_POLICY, OPT_LIMIT, OPT_ALL };
static const ls_option_t report_opts[] = {
    [OPT_FORMAT] = {"format", 'f', "text|json|html", "output format (default text)"},
    [OPT_OUTPUT] = {"output", 'o', "FILE", "write the report to FILE (atomically) instead of standard output"},
    [OPT_POLICY] = {"policy", 0, "FILE", "classify and judge with this policy (docs/policy.md)"},
    [OPT_LIMIT] = {"limit", 0, "N", "list at most N sites in text (default 20; 0: all that matter)"},
    [OPT_ALL] = {"all", 0, NULL, "list every site, stable ones too"},
    {NULL, 0, NULL, NULL}, /* ends the table */
};

const ls_command_spec_t ls_report_spec = {
    "report", "DIR",
    "The whole series of a run directory: each site's growth, pattern, trend and severity.\n",
    report_opts, 1, 1, 0,
};

typedef struct {
    const char *format, *outpath, *policy_path;
    uint64_t limit;
    int all;
} report_args_t;

static int report_option(void *ctx, int index, const char *v)
{
    report_args_t *r = ctx;
    switch (index) {
    case OPT_FORMAT:
        if (strcmp(v, "text") && strcmp(v, "json") && strcmp(v, "html"))
            return ls_error("report: --format must be text, json or html, not '%s'", v);
        r->format = v;
        break;
    case OPT_OUTPUT: r->outpath = v; break;
    case OPT_POLICY: r->policy_path = v; break;
    case OPT_LIMIT:
        if (ls_parse_u64(v, &r->limit))
            return ls_error("report: --limit takes a number, not '%s'", v);
        break;
    case OPT_ALL: r->all = 1; break;
    }
    return 0;
}

int ls_cmd_report(int argc, char **argv)
{
    report_args_t r = {"text", NULL, NULL, 20, 0};
    int first, rc = ls_options_parse(&ls_report_spec, argc, argv, report_option, &r, &first);
    if (rc)
        return rc == 1 ? LS_EXIT_OK : rc;
    const char *dir = argv[first], *format = r.format, *outpath = r.outpath, *policy_path = r.policy_path;
    uint64_t limit = r.limit;
    int all = r.all;

    char err[1024];
    ls_policy_t pol;
    if (policy_path) {
        if (ls_policy_load(policy_path, &pol, err, sizeof err) < 0)
            return ls_error("%s", err);
    } else
        ls_policy_default(&pol);
    ls_analysis_t a;
    if (ls_analyze(dir, &pol, &a, err, sizeof err) < 0) {
        ls_policy_free(&pol);
        return ls_error("%s", err);
    }
    ls_out_t out;
    rc = LS_EXIT_OK;
    if (ls_out_open(&out, outpath) < 0)
        rc = LS_EXIT_USAGE;
    else {
        if (!strcmp(format, "json"))
            ls_report_json(out.f, &a);
        else if (!strcmp(format, "html"))
            ls_report_html(out.f, &a);
        else
            ls_report_text(out.f, &a, (size_t)limit, all);
        if (ls_out_close(&out) < 0)
            rc = LS_EXIT_USAGE;
    }
    ls_analysis_free(&a);
    ls_policy_free(&pol);
    return rc;
}
