/*
 * cmd_export.c — `leakscope export SNAPSHOT|DIR --format pprof|collapsed|openmetrics|massif
 * [-o FILE] [--pid N] [--top N] [--policy FILE]`: the figures in the formats other tools read
 * (out/export.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "export.h"
#include "options.h"
#include "report.h"
#include "symbols.h"
#include "util.h"

/* ---- export ------------------------------------------------------------------------------- */

enum { FMT_NONE, FMT_PPROF, FMT_COLLAPSED, FMT_OPENMETRICS, FMT_MASSIF };
enum { OPT_FORMAT, OPT_OUTPUT, OPT_PID, OPT_TOP, OPT_POLICY };
static const ls_option_t export_opts[] = {
    [OPT_FORMAT] = {"format", 'f', "pprof|collapsed|openmetrics|massif", "the format to write (required)"},
    [OPT_OUTPUT] = {"output", 'o', "FILE", "write FILE (a temporary file, then renamed) instead of stdout"},
    [OPT_PID] = {"pid", 0, "N", "pprof, collapsed, massif: process N of DIR (default: the first)"},
    [OPT_TOP] = {"top", 0, "N", "openmetrics: the N largest sites besides the leaking ones (default 20)"},
    [OPT_POLICY] = {"policy", 0, "FILE", "openmetrics: classify and gate with this policy"},
    {NULL, 0, NULL, NULL}, /* ends the table */
};

const ls_command_spec_t ls_export_spec = {
    "export", "SNAPSHOT|DIR",
    "The figures in the formats other tools read:\n"
    "  pprof        gzipped profile.proto with Go's heap sample types (go tool pprof, Pyroscope, ...)\n"
    "  collapsed    'root;...;leaf BYTES' stacks of live memory (flamegraph.pl, inferno, speedscope)\n"
    "  openmetrics  Prometheus text format of a DIR's classified sites (node_exporter textfile)\n"
    "  massif       Valgrind massif output of a DIR's series (ms_print, massif-visualizer)\n"
    "A DIR stands for its last snapshot where one snapshot is meant (pprof, collapsed).\n",
    export_opts, 1, 1, 0,
};

typedef struct {
    const char *input, *output, *policy;
    int format;
    uint64_t pid, top;
} export_args_t;

static int export_option(void *ctx, int index, const char *arg)
{
    export_args_t *a = ctx;
    static const char *const names[] = {"", "pprof", "collapsed", "openmetrics", "massif"};
    switch (index) {
    case OPT_FORMAT:
        a->format = FMT_NONE;
        for (int k = FMT_PPROF; k <= FMT_MASSIF; k++)
            if (!strcmp(arg, names[k]))
                a->format = k;
        if (a->format == FMT_NONE)
            return ls_error("export: unknown format '%s' (pprof, collapsed, openmetrics or massif)", arg);
        break;
    case OPT_OUTPUT: a->output = arg; break;
    case OPT_PID:
        if (ls_parse_u64(arg, &a->pid) < 0 || !a->pid)
            return ls_error("export: --pid: '%s' is not a process id", arg);
        break;
    case OPT_TOP:
        if (ls_parse_u64(arg, &a->top) < 0)
            return ls_error("export: --top: '%s' is not a non-negative number", arg);
        break;
    case OPT_POLICY: a->policy = arg; break;
    }
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
    int first, r = ls_options_parse(&ls_export_spec, argc, argv, export_option, &a, &first);
    if (r != 0)
        return r == 1 ? LS_EXIT_OK : r;
    a.input = argv[first];
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
