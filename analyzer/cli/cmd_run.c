/*
 * cmd_run.c — `leakscope run [--policy FILE] [--out DIR] [--frames N] [--format F] [-o FILE]
 * -- CMD ...`: runs CMD under the shim (LD_PRELOAD, LEAKSCOPE_OUT, LEAKSCOPE_FRAMES),
 * forwards the signals meant for it, prints the report, and exits with CMD's own status when
 * CMD failed (128 + signal when it was killed); when CMD succeeded, with the gate's verdict
 * (0 pass, 1 fail) when a policy is given, else 0. Everything that can be checked before
 * CMD starts is (policy, shim, output folder, report file): a bad one is one line and exit
 * 2, and CMD never runs. The text report shares standard output with CMD, as a terminal
 * would show it; JSON and HTML go to -o FILE, else to standard error, never mixed with
 * CMD's own output.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "options.h"
#include "report.h"
#include "util.h"

static volatile sig_atomic_t child_pid;

/* Signals sent to `leakscope` itself go on to the program (the terminal's SIGINT and
 * SIGQUIT already reach the whole process group, so those are only ignored here). */
static void forward(int sig)
{
    if (child_pid > 0)
        kill((pid_t)child_pid, sig);
}

static char *dir_of_self(void)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0)
        return NULL;
    buf[n] = 0;
    char *slash = strrchr(buf, '/');
    if (!slash)
        return NULL;
    *slash = 0;
    return ls_xstrdup(buf);
}

/* $LEAKSCOPE_LIB, else libleakscope.so beside this executable, else in ../lib. */
static char *find_shim(void)
{
    const char *env = getenv("LEAKSCOPE_LIB");
    if (env && *env)
        return access(env, R_OK) == 0 ? ls_xstrdup(env) : NULL;
    char *dir = dir_of_self();
    if (!dir)
        return NULL;
    const char *const cands[] = {"", "/../lib"};
    for (size_t i = 0; i < 2; i++) {
        char *p = ls_xasprintf("%s%s/libleakscope.so", dir, cands[i]);
        if (access(p, R_OK) == 0) {
            char *real = realpath(p, NULL);
            free(p);
            free(dir);
            return real ? real : NULL;
        }
        free(p);
    }
    free(dir);
    return NULL;
}

/* The program's name as the shim sanitises it (for the default output directory). */
static char *prog_name(const char *cmd)
{
    const char *base = strrchr(cmd, '/');
    base = base ? base + 1 : cmd;
    size_t n = strlen(base);
    if (n > 32)
        n = 32;
    char *s = ls_xmalloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        char c = base[i];
        s[i] = ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '+' ||
                c == '-')
                   ? c
                   : '_';
    }
    s[n] = 0;
    return s;
}

enum { OPT_POLICY, OPT_OUT, OPT_FRAMES, OPT_FORMAT, OPT_OUTPUT };
static const ls_option_t run_opts[] = {
    [OPT_POLICY] = {"policy", 0, "FILE", "judge the run with this policy; the gate's verdict is the exit\n"
                                         "status only when CMD succeeded"},
    [OPT_OUT] = {"out", 0, "DIR", "snapshot directory (default leakscope.<prog>.<pid>)"},
    [OPT_FRAMES] = {"frames", 0, "N", "frames per trace, 1..128 (default 16)"},
    [OPT_FORMAT] = {"format", 0, "text|json|html", "report format (default text; json and html go to\n"
                                                   "-o FILE, else to standard error)"},
    [OPT_OUTPUT] = {"output", 'o', "FILE", "write the report to FILE (atomically)"},
    {NULL, 0, NULL, NULL}, /* ends the table */
};

const ls_command_spec_t ls_run_spec = {
    "run", "-- CMD ...",
    "Runs CMD under the shim and prints the report. Exits with CMD's status when it failed\n"
    "(128+N when signal N killed it); when it succeeded, with the gate's verdict under --policy.\n",
    run_opts, 1, -1, 1,
};

typedef struct {
    const char *policy_path, *out, *format, *output;
    uint64_t frames;
    char **cmd;
    char *lib, *outdir;
    int created;    /* run made outdir (removed again when nothing was written to it) */
    int have_pol;
    ls_policy_t pol;
    ls_out_t report;
} run_t;

static int run_option(void *ctx, int index, const char *v)
{
    run_t *r = ctx;
    switch (index) {
    case OPT_POLICY: r->policy_path = v; break;
    case OPT_OUT: r->out = v; break;
    case OPT_FRAMES:
        if (ls_parse_u64(v, &r->frames) || r->frames < 1 || r->frames > 128)
            return ls_error("run: --frames takes a number from 1 to 128, not '%s'", v);
        break;
    case OPT_FORMAT:
        if (strcmp(v, "text") && strcmp(v, "json") && strcmp(v, "html"))
            return ls_error("run: --format must be text, json or html, not '%s'", v);
        r->format = v;
        break;
    case OPT_OUTPUT: r->output = v; break;
    }
    return 0;
}

/* The snapshot folder: created now (0700) when missing, and usable — a directory this
 * process can write into — before CMD starts. The default name carries run's own pid. */
static int make_outdir(run_t *r)
{
    if (r->out)
        r->outdir = ls_xstrdup(r->out);
    else {
        char *prog = prog_name(r->cmd[0]);
        r->outdir = ls_xasprintf("leakscope.%s.%ld", prog, (long)getpid());
        free(prog);
    }
    if (mkdir(r->outdir, 0700) == 0)
        r->created = 1;
    else if (errno != EEXIST)
        return ls_error("run: %s: cannot create the snapshot folder: %s", r->outdir, strerror(errno));
    struct stat st;
    if (stat(r->outdir, &st) < 0 || !S_ISDIR(st.st_mode))
        return ls_error("run: %s: not a directory", r->outdir);
    if (access(r->outdir, W_OK | X_OK) < 0)
        return ls_error("run: %s: cannot write snapshots there: %s", r->outdir, strerror(errno));
    return 0;
}

/* Policy, shim, snapshot folder and report file, in that order. */
static int prepare(run_t *r)
{
    char err[1024];
    if (r->policy_path) { /* read it first: a bad policy should not cost a run */
        if (ls_policy_load(r->policy_path, &r->pol, err, sizeof err) < 0)
            return ls_error("%s", err);
    } else
        ls_policy_default(&r->pol);
    r->have_pol = 1;
    r->lib = find_shim();
    if (!r->lib) {
        if (getenv("LEAKSCOPE_LIB") && *getenv("LEAKSCOPE_LIB"))
            return ls_error("run: LEAKSCOPE_LIB=%s: %s", getenv("LEAKSCOPE_LIB"), strerror(errno));
        return ls_error("run: cannot find libleakscope.so beside leakscope or in ../lib (set LEAKSCOPE_LIB)");
    }
    if (make_outdir(r))
        return LS_EXIT_USAGE;
    if (r->output)
        return ls_out_open(&r->report, r->output) < 0 ? LS_EXIT_USAGE : 0;
    r->report.f = strcmp(r->format, "text") ? stderr : stdout;
    return 0;
}

/* In the child: wait until the parent's signal handling is in place, then exec CMD. */
static void child(const run_t *r, int gate)
{
    char c;
    while (read(gate, &c, 1) < 0 && errno == EINTR)
        ;
    close(gate);
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    const char *old = getenv("LD_PRELOAD");
    char *pre = old && *old ? ls_xasprintf("%s:%s", r->lib, old) : ls_xstrdup(r->lib);
    setenv("LD_PRELOAD", pre, 1);
    setenv("LEAKSCOPE_OUT", r->outdir, 1);
    if (r->frames) {
        char nb[24];
        snprintf(nb, sizeof nb, "%llu", (unsigned long long)r->frames);
        setenv("LEAKSCOPE_FRAMES", nb, 1);
    }
    execvp(r->cmd[0], r->cmd);
    fprintf(stderr, "leakscope: run: %s: %s\n", r->cmd[0], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
}

/* Runs CMD, forwarding signals; returns its status as a shell gives it (128+N for signal N),
 * or -1 after printing the error. */
static int execute(const run_t *r)
{
    fflush(NULL);
    int gate[2];
    if (pipe(gate) < 0)
        return ls_error("run: pipe: %s", strerror(errno)), -1;
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    pid_t pid = fork();
    if (pid < 0)
        return ls_error("run: fork: %s", strerror(errno)), -1;
    if (pid == 0) {
        close(gate[1]);
        child(r, gate[0]);
    }
    child_pid = pid;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward;
    sigemptyset(&sa.sa_mask);
    static const int fwd[] = {SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM, SIGCONT, SIGWINCH};
    for (size_t k = 0; k < sizeof fwd / sizeof fwd[0]; k++)
        sigaction(fwd[k], &sa, NULL);
    close(gate[0]);
    close(gate[1]); /* lets the child go on */
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            status = 0;
            break;
        }
    child_pid = 0;
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    if (WIFSIGNALED(status))
        fprintf(stderr, "leakscope: run: %s was killed by signal %d (%s)\n", r->cmd[0], WTERMSIG(status),
                strsignal(WTERMSIG(status)));
    return WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
}

/* The report of the run; returns the gate's verdict (0/1), or 2 when there is no report. */
static int report(run_t *r)
{
    char err[1024];
    ls_analysis_t a;
    if (ls_analyze(r->outdir, &r->pol, &a, err, sizeof err) < 0)
        return ls_error("%s", err);
    FILE *f = r->report.f;
    if (!strcmp(r->format, "json"))
        ls_report_json(f, &a);
    else if (!strcmp(r->format, "html"))
        ls_report_html(f, &a);
    else {
        ls_report_text(f, &a, 20, 0);
        fprintf(f, "snapshots: %s\n", r->outdir);
    }
    int rc = a.fail ? LS_EXIT_FAIL : LS_EXIT_OK;
    ls_analysis_free(&a);
    return rc;
}

static int finish_run(run_t *r, int rc)
{
    if (r->report.f && r->report.f != stderr && ls_out_close(&r->report) < 0 && rc != LS_EXIT_USAGE)
        rc = LS_EXIT_USAGE;
    if (r->created && r->outdir)
        rmdir(r->outdir); /* only when empty: CMD could not start, or wrote nothing */
    free(r->outdir);
    free(r->lib);
    if (r->have_pol)
        ls_policy_free(&r->pol);
    return rc;
}

int ls_cmd_run(int argc, char **argv)
{
    run_t r = {.format = "text"};
    int first, rc = ls_options_parse(&ls_run_spec, argc, argv, run_option, &r, &first);
    if (rc)
        return rc == 1 ? LS_EXIT_OK : rc;
    r.cmd = argv + first;
    if ((rc = prepare(&r)) != 0)
        return finish_run(&r, rc);
    int prog_rc = execute(&r);
    if (prog_rc < 0)
        return finish_run(&r, LS_EXIT_USAGE);
    /* A program that failed decides the status (its own, 128+N for a signal) so that a
     * failing test suite never passes CI; only a program that succeeded lets the gate's
     * verdict (0/1) decide. The report is printed either way. */
    int verdict = report(&r);
    rc = prog_rc ? prog_rc : verdict == LS_EXIT_USAGE ? LS_EXIT_USAGE : r.policy_path ? verdict : LS_EXIT_OK;
    return finish_run(&r, rc);
}
