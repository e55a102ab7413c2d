/*
 * cmd_export.c — `leakscope export SNAPSHOT|DIR --format pprof|collapsed|openmetrics|massif
 * [-o FILE] [--pid N] [--top N] [--policy FILE]`: the figures in the formats other tools read
 * (export.h). Also the option-table parser that `export` and `watch` share.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "export.h"
#include "report.h"
#include "symbols.h"
#include "util.h"

/* ---- option tables ------------------------------------------------------------------------ */

static void print_help(FILE *f, const char *synopsis, const ls_optdef_t *defs, size_t n)
{
    fprintf(f, "%s\n\noptions:\n", synopsis);
    for (size_t i = 0; i < n; i++) {
        char head[80], shortopt[8] = "    ";
        if (defs[i].o.val < 256)
            snprintf(shortopt, sizeof shortopt, "-%c, ", defs[i].o.val);
        snprintf(head, sizeof head, "%s--%s%s%s", shortopt, defs[i].o.name, defs[i].arg ? " " : "",
                 defs[i].arg ? defs[i].arg : "");
        fprintf(f, "  %-24s %s\n", head, defs[i].help);
    }
}

int ls_parse_options(int argc, char **argv, const char *cmd, const char *synopsis, const ls_optdef_t *defs,
                     size_t ndefs, int (*take)(int code, const char *arg, void *ctx),
                     int (*positional)(const char *arg, void *ctx), void *ctx)
{
    struct option *longs = ls_xcalloc(ndefs + 1, sizeof *longs);
    char shorts[128] = ":"; /* leading ':' — a missing value is told apart from an unknown option */
    size_t ns = 1;
    for (size_t i = 0; i < ndefs; i++) {
        longs[i] = defs[i].o;
        if (defs[i].o.val < 256 && ns + 3 < sizeof shorts) {
            shorts[ns++] = (char)defs[i].o.val;
            if (defs[i].o.has_arg == required_argument)
                shorts[ns++] = ':';
        }
    }
    shorts[ns] = 0;
    int rc = 0, c;
    optind = 1;
    opterr = 0;
    while (rc == 0 && (c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        if (c == 'h') {
            print_help(stdout, synopsis, defs, ndefs);
            rc = 1;
        } else if (c == '?') {
            if (optopt && optopt < 256)
                ls_error("%s: unknown option '-%c' (try 'leakscope %s --help')", cmd, optopt, cmd);
            else
                ls_error("%s: unknown option '%s' (try 'leakscope %s --help')", cmd, argv[optind - 1], cmd);
            rc = -1;
        } else if (c == ':') {
            ls_error("%s: %s needs a value", cmd, argv[optind - 1]);
            rc = -1;
        } else if (take(c, optarg, ctx) < 0) {
            rc = -1;
        }
    }
    for (int i = optind; rc == 0 && i < argc; i++)
        if (positional(argv[i], ctx) < 0)
            rc = -1;
    free(longs);
    return rc;
}

/* ---- export ------------------------------------------------------------------------------- */

enum { FMT_NONE, FMT_PPROF, FMT_COLLAPSED, FMT_OPENMETRICS, FMT_MASSIF };
enum { OPT_TOP = 256, OPT_POLICY };

typedef struct {
    const char *input, *output, *policy;
    int format;
    uint64_t pid, top;
} export_args_t;

static const char synopsis[] =
    "usage: leakscope export SNAPSHOT|DIR --format pprof|collapsed|openmetrics|massif [-o FILE] [--pid N]\n"
    "The figures in the formats other tools read:\n"
    "  pprof        gzipped profile.proto with Go's heap sample types (go tool pprof, Pyroscope, ...)\n"
    "  collapsed    'root;...;leaf BYTES' stacks of live memory (flamegraph.pl, inferno, speedscope)\n"
    "  openmetrics  Prometheus text format of a DIR's classified sites (node_exporter textfile)\n"
    "  massif       Valgrind massif output of a DIR's series (ms_print, massif-visualizer)\n"
    "A DIR stands for its last snapshot where one snapshot is meant (pprof, collapsed).";

static const ls_optdef_t options[] = {
    {{"format", required_argument, NULL, 'f'}, "FORMAT", "pprof, collapsed, openmetrics or massif (required)"},
    {{"output", required_argument, NULL, 'o'}, "FILE", "write FILE (a temporary file, then renamed) instead of stdout"},
    {{"pid", required_argument, NULL, 'p'}, "N", "pprof, collapsed, massif: process N of DIR (default: the first)"},
    {{"top", required_argument, NULL, OPT_TOP}, "N", "openmetrics: the N largest sites besides the leaking ones (20)"},
    {{"policy", required_argument, NULL, OPT_POLICY}, "FILE", "openmetrics: classify and gate with this policy"},
    {{"help", no_argument, NULL, 'h'}, NULL, "show this help"},
};

static int take_option(int code, const char *arg, void *ctx)
{
    export_args_t *a = ctx;
    static const char *const names[] = {"", "pprof", "collapsed", "openmetrics", "massif"};
    switch (code) {
    case 'f':
        for (int k = FMT_PPROF; k <= FMT_MASSIF; k++)
            if (!strcmp(arg, names[k]))
                a->format = k;
        if (a->format == FMT_NONE || strcmp(arg, names[a->format]))
            return ls_error("export: unknown format '%s' (pprof, collapsed, openmetrics or massif)", arg), -1;
        return 0;
    case 'o': a->output = arg; return 0;
    case 'p':
        if (ls_parse_u64(arg, &a->pid) < 0 || !a->pid)
            return ls_error("export: --pid: '%s' is not a process id", arg), -1;
        return 0;
    case OPT_TOP:
        if (ls_parse_u64(arg, &a->top) < 0)
            return ls_error("export: --top: '%s' is not a non-negative number", arg), -1;
        return 0;
    case OPT_POLICY: a->policy = arg; return 0;
    }
    return -1;
}

static int take_input(const char *arg, void *ctx)
{
    export_args_t *a = ctx;
    if (a->input)
        return ls_error("export: unexpected argument '%s' (try 'leakscope export --help')", arg), -1;
    a->input = arg;
    return 0;
}

/* pprof and collapsed: one symbolized snapshot. */
static int export_snapshot(const export_args_t *a, ls_out_t *out, char *err, size_t errlen)
{
    char *path = ls_resolve_snapshot_arg(a->input, a->pid, err, errlen);
    if (!path)
        return -1;
    ls_snapshot_t snap;
    int r = ls_snapshot_read(path, &snap, err, errlen);
    free(path);
    if (r < 0)
        return -1;
    ls_symbolizer_t *sym = ls_symbolizer_new();
    ls_symbolize_snapshot(sym, &snap);
    if (a->format == FMT_PPROF)
        r = ls_export_pprof(out->f, &snap, err, errlen);
    else
        ls_export_collapsed(out->f, &snap);
    ls_symbolizer_free(sym);
    ls_snapshot_free(&snap);
    return r;
}

static int need_dir(const export_args_t *a, char *err, size_t errlen)
{
    struct stat st;
    if (stat(a->input, &st) == 0 && !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: --format %s reads a directory of snapshots (a series), not one file", a->input,
                 a->format == FMT_MASSIF ? "massif" : "openmetrics");
        return -1;
    }
    return 0;
}

static int export_massif(const export_args_t *a, ls_out_t *out, char *err, size_t errlen)
{
    ls_series_t s;
    if (need_dir(a, err, errlen) < 0 || ls_series_load(a->input, &s, err, errlen) < 0)
        return -1;
    const ls_proc_series_t *p = NULL;
    for (size_t i = 0; i < s.n_procs && !p; i++)
        if (!a->pid || s.procs[i].pid == a->pid)
            p = &s.procs[i];
    int rc = 0;
    if (!p) {
        snprintf(err, errlen, "%s: no snapshots of process %llu", a->input, (unsigned long long)a->pid);
        rc = -1;
    } else
        ls_export_massif(out->f, p);
    ls_series_free(&s);
    return rc;
}

static int export_openmetrics(const export_args_t *a, ls_out_t *out, char *err, size_t errlen)
{
    ls_policy_t pol;
    if (need_dir(a, err, errlen) < 0)
        return -1;
    if (a->policy) {
        if (ls_policy_load(a->policy, &pol, err, errlen) < 0)
            return -1;
    } else
        ls_policy_default(&pol);
    ls_analysis_t an;
    int rc = ls_analyze(a->input, &pol, &an, err, errlen);
    if (rc == 0) {
        ls_export_openmetrics(out->f, &an, (size_t)a->top);
        ls_analysis_free(&an);
    }
    ls_policy_free(&pol);
    return rc;
}

int ls_cmd_export(int argc, char **argv)
{
    export_args_t a = {.top = 20};
    int r = ls_parse_options(argc, argv, "export", synopsis, options, sizeof options / sizeof options[0],
                             take_option, take_input, &a);
    if (r != 0)
        return r > 0 ? LS_EXIT_OK : LS_EXIT_USAGE;
    if (!a.input)
        return ls_error("export: missing SNAPSHOT or DIR (try 'leakscope export --help')");
    if (a.format == FMT_NONE)
        return ls_error("export: --format is required (pprof, collapsed, openmetrics or massif)");
    if (a.format == FMT_OPENMETRICS && a.pid)
        return ls_error("export: --pid does not apply to openmetrics, which covers every process of DIR");
    if (a.format == FMT_PPROF && (!a.output || !strcmp(a.output, "-")) && isatty(STDOUT_FILENO))
        return ls_error("export: a pprof profile is binary: give -o FILE or redirect the output");
    /* The output is opened first, so an unwritable -o fails before any work; on bad input its
     * temporary file is removed and an existing FILE stays as it was. */
    char err[1024] = "";
    ls_out_t out;
    if (ls_out_open(&out, a.output) < 0)
        return LS_EXIT_USAGE;
    if (a.format == FMT_PPROF || a.format == FMT_COLLAPSED)
        r = export_snapshot(&a, &out, err, sizeof err);
    else if (a.format == FMT_MASSIF)
        r = export_massif(&a, &out, err, sizeof err);
    else
        r = export_openmetrics(&a, &out, err, sizeof err);
    if (r < 0) {
        if (out.f != stdout) {
            fclose(out.f);
            unlink(out.tmp);
            free(out.path);
            free(out.tmp);
        }
        return ls_error("%s", err);
    }
    return ls_out_close(&out) < 0 ? LS_EXIT_USAGE : LS_EXIT_OK;
}
