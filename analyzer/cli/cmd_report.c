/*
 * cmd_report.c — `leakscope report DIR [--format text|json|html] [-o FILE] [--policy FILE]
 * [--limit N] [--all]`: the whole series, each site's growth, pattern, trend and severity.
 */
#include <string.h>

#include "commands.h"
#include "report.h"
#include "util.h"

static int usage(void)
{
    return ls_error("usage: leakscope report DIR [--format text|json|html] [-o FILE] [--policy FILE] [--limit N] [--all]");
}

int ls_cmd_report(int argc, char **argv)
{
    const char *dir = NULL, *format = "text", *outpath = NULL, *policy_path = NULL;
    uint64_t limit = 20;
    int all = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((!strcmp(a, "--format") || !strcmp(a, "-f")) && i + 1 < argc)
            format = argv[++i];
        else if (!strncmp(a, "--format=", 9))
            format = a + 9;
        else if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && i + 1 < argc)
            outpath = argv[++i];
        else if (!strcmp(a, "--policy") && i + 1 < argc)
            policy_path = argv[++i];
        else if (!strcmp(a, "--limit") && i + 1 < argc) {
            if (ls_parse_u64(argv[++i], &limit))
                return ls_error("report: --limit takes a number, not '%s'", argv[i]);
        } else if (!strcmp(a, "--all"))
            all = 1;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            puts("usage: leakscope report DIR [--format text|json|html] [-o FILE] [--policy FILE] [--limit N] [--all]");
            return LS_EXIT_OK;
        } else if (a[0] == '-' && a[1])
            return ls_error("report: unknown or incomplete option '%s'", a);
        else if (!dir)
            dir = a;
        else
            return usage();
    }
    if (!dir)
        return usage();
    if (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "html"))
        return ls_error("report: --format must be text, json or html, not '%s'", format);

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
    int rc = LS_EXIT_OK;
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
