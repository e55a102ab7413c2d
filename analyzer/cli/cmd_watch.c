/*
 * cmd_watch.c — `leakscope watch DIR --openmetrics FILE [--every SECONDS] [--top N]
 * [--policy FILE] [--count N]`: while a service runs under the shim and its directory of
 * snapshots grows, re-analyse it every SECONDS and rewrite FILE in the Prometheus text format
 * (export_openmetrics.c), atomically (temporary file, then rename), so node_exporter's
 * textfile collector never reads half a file. docs/fleet.md shows the whole setup.
 *
 * A round that cannot analyse the directory (not created yet, no snapshot yet, a damaged
 * file) leaves the last good FILE in place and says why on stderr — once, until the reason
 * changes. --count N stops after N rounds (0, the default: run until killed); the exit status
 * is then that of the last round.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "export.h"
#include "options.h"
#include "util.h"

enum { OPT_OPENMETRICS, OPT_EVERY, OPT_TOP, OPT_POLICY, OPT_COUNT };
static const ls_option_t watch_opts[] = {
    [OPT_OPENMETRICS] = {"openmetrics", 'o', "FILE", "the metrics file to keep up to date (required)"},
    [OPT_EVERY] = {"every", 0, "SECONDS", "time between rounds (default 15; fractions allowed)"},
    [OPT_TOP] = {"top", 0, "N", "the N largest sites besides the leaking ones (default 20)"},
    [OPT_POLICY] = {"policy", 0, "FILE", "classify and gate with this policy"},
    [OPT_COUNT] = {"count", 0, "N", "stop after N rounds (default 0: never)"},
    {NULL, 0, NULL, NULL}, /* ends the table */
};

const ls_command_spec_t ls_watch_spec = {
    "watch", "DIR",
    "Re-analyses the growing snapshot directory of a running service every SECONDS and\n"
    "rewrites FILE (Prometheus text format, atomically) for node_exporter's textfile collector.\n",
    watch_opts, 1, 1, 0,
};

typedef struct {
    const char *dir, *output, *policy;
    double every;
    uint64_t top, count;
} watch_args_t;

static int watch_option(void *ctx, int index, const char *arg)
{
    watch_args_t *a = ctx;
    char *end;
    switch (index) {
    case OPT_OPENMETRICS: a->output = arg; break;
    case OPT_EVERY:
        errno = 0;
        a->every = strtod(arg, &end);
        if (errno || end == arg || *end || !(a->every > 0) || a->every > 86400 * 365)
            return ls_error("watch: --every: '%s' is not a number of seconds above 0", arg);
        break;
    case OPT_TOP:
        if (ls_parse_u64(arg, &a->top) < 0)
            return ls_error("watch: --top: '%s' is not a non-negative number", arg);
        break;
    case OPT_POLICY: a->policy = arg; break;
    case OPT_COUNT:
        if (ls_parse_u64(arg, &a->count) < 0)
            return ls_error("watch: --count: '%s' is not a non-negative number", arg);
        break;
    }
    return 0;
}

static void sleep_seconds(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* One round: analyse and rewrite. Returns 0, or -1 with the reason in err. */
static int round_once(const watch_args_t *a, const ls_policy_t *pol, char *err, size_t errlen)
{
    ls_analysis_t an;
    if (ls_analyze(a->dir, pol, &an, err, errlen) < 0)
        return -1;
    ls_out_t out;
    int rc = -1;
    if (ls_out_open(&out, a->output) == 0) {
        ls_export_openmetrics(out.f, &an, (size_t)a->top);
        rc = ls_out_close(&out);
    }
    if (rc < 0) /* ls_out_* said why already */
        snprintf(err, errlen, "(output)");
    ls_analysis_free(&an);
    return rc;
}

int ls_cmd_watch(int argc, char **argv)
{
    watch_args_t a = {.every = 15, .top = 20};
    int first, r = ls_options_parse(&ls_watch_spec, argc, argv, watch_option, &a, &first);
    if (r != 0)
        return r == 1 ? LS_EXIT_OK : r;
    a.dir = argv[first];
    if (!a.output || !strcmp(a.output, "-"))
        return ls_error("watch: --openmetrics FILE is required (a file: it is rewritten every round)");
    ls_policy_t pol;
    char err[1024], said[1024] = "";
    if (a.policy) {
        if (ls_policy_load(a.policy, &pol, err, sizeof err) < 0)
            return ls_error("%s", err);
    } else
        ls_policy_default(&pol);
    int rc = LS_EXIT_OK;
    for (uint64_t i = 0; a.count == 0 || i < a.count; i++) {
        if (i)
            sleep_seconds(a.every);
        err[0] = 0;
        rc = round_once(&a, &pol, err, sizeof err) == 0 ? LS_EXIT_OK : LS_EXIT_USAGE;
        if (rc != LS_EXIT_OK && strcmp(err, said) != 0 && strcmp(err, "(output)") != 0)
            ls_error("watch: %s (keeping the last metrics file; trying again every %g s)", err, a.every);
        snprintf(said, sizeof said, "%s", rc == LS_EXIT_OK ? "" : err);
    }
    ls_policy_free(&pol);
    return rc;
}
