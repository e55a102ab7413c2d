/*
 * cmd_run.c — `leakscope run [--policy FILE] [--out DIR] [--frames N] [--format F] -- CMD ...`:
 * runs CMD under the shim (LD_PRELOAD, LEAKSCOPE_OUT, LEAKSCOPE_FRAMES), forwards the
 * signals meant for it, prints the report, and exits with CMD's own status when CMD failed
 * (128 + signal when it was killed); when CMD succeeded, with the gate's verdict (0 pass,
 * 1 fail) when a policy is given, else 0.
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

enum { OPT_POLICY, OPT_OUT, OPT_FRAMES, OPT_FORMAT };
static const ls_option_t run_opts[] = {
    [OPT_POLICY] = {"policy", 0, "FILE", "judge the run with this policy; the gate's verdict is the exit\n"
                                         "status only when CMD succeeded"},
    [OPT_OUT] = {"out", 0, "DIR", "snapshot directory (default leakscope.<prog>.<pid>)"},
    [OPT_FRAMES] = {"frames", 0, "N", "frames per trace, 1..128 (default 16)"},
    [OPT_FORMAT] = {"format", 0, "text|json|html", "report format (default text)"},
    {NULL, 0, NULL, NULL}, /* ends the table */
};

const ls_command_spec_t ls_run_spec = {
    "run", "-- CMD ...",
    "Runs CMD under the shim and prints the report. Exits with CMD's status when it failed\n"
    "(128+N when signal N killed it); when it succeeded, with the gate's verdict under --policy.\n",
    run_opts, 1, -1, 1,
};

typedef struct {
    const char *policy_path, *out, *format;
    uint64_t frames;
} run_args_t;

static int run_option(void *ctx, int index, const char *v)
{
    run_args_t *r = ctx;
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
    }
    return 0;
}

int ls_cmd_run(int argc, char **argv)
{
    run_args_t ra = {NULL, NULL, "text", 0};
    int first, prc = ls_options_parse(&ls_run_spec, argc, argv, run_option, &ra, &first);
    if (prc)
        return prc == 1 ? LS_EXIT_OK : prc;
    const char *policy_path = ra.policy_path, *out = ra.out, *format = ra.format;
    uint64_t frames = ra.frames;
    char **cmd = argv + first;

    char err[1024];
    ls_policy_t pol;
    if (policy_path) { /* read it first: a bad policy should not cost a run */
        if (ls_policy_load(policy_path, &pol, err, sizeof err) < 0)
            return ls_error("%s", err);
    } else
        ls_policy_default(&pol);
    char *lib = find_shim();
    if (!lib) {
        ls_policy_free(&pol);
        if (getenv("LEAKSCOPE_LIB") && *getenv("LEAKSCOPE_LIB"))
            return ls_error("run: LEAKSCOPE_LIB=%s: %s", getenv("LEAKSCOPE_LIB"), strerror(errno));
        return ls_error("run: cannot find libleakscope.so beside leakscope or in ../lib (set LEAKSCOPE_LIB)");
    }

    fflush(NULL);
    int gate[2];
    if (pipe(gate) < 0) { /* the child waits until the parent's signal handling is in place */
        free(lib);
        ls_policy_free(&pol);
        return ls_error("run: pipe: %s", strerror(errno));
    }
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    pid_t pid = fork();
    if (pid < 0) {
        free(lib);
        ls_policy_free(&pol);
        return ls_error("run: fork: %s", strerror(errno));
    }
    char *outdir = out ? ls_xstrdup(out) : NULL;
    if (!outdir) {
        char *prog = prog_name(cmd[0]);
        outdir = ls_xasprintf("leakscope.%s.%ld", prog, (long)(pid ? pid : getpid()));
        free(prog);
    }
    if (pid == 0) {
        close(gate[1]);
        char c;
        while (read(gate[0], &c, 1) < 0 && errno == EINTR)
            ;
        close(gate[0]);
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        const char *old = getenv("LD_PRELOAD");
        char *pre = old && *old ? ls_xasprintf("%s:%s", lib, old) : ls_xstrdup(lib);
        setenv("LD_PRELOAD", pre, 1);
        setenv("LEAKSCOPE_OUT", outdir, 1);
        if (frames) {
            char nb[24];
            snprintf(nb, sizeof nb, "%llu", (unsigned long long)frames);
            setenv("LEAKSCOPE_FRAMES", nb, 1);
        }
        execvp(cmd[0], cmd);
        fprintf(stderr, "leakscope: run: %s: %s\n", cmd[0], strerror(errno));
        _exit(errno == ENOENT ? 127 : 126);
    }
    if (mkdir(outdir, 0700) < 0 && errno != EEXIST) {
        ls_error("run: %s: cannot create: %s", outdir, strerror(errno));
        kill(pid, SIGKILL);
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
    int prog_rc = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
    if (WIFSIGNALED(status))
        fprintf(stderr, "leakscope: run: %s was killed by signal %d (%s)\n", cmd[0], WTERMSIG(status),
                strsignal(WTERMSIG(status)));

    /* A program that failed decides the status (its own, 128+N for a signal) so that a
     * failing test suite never passes CI; only a program that succeeded lets the gate's
     * verdict (0/1) decide. The report is printed either way. */
    ls_analysis_t a;
    int rc = prog_rc;
    if (ls_analyze(outdir, &pol, &a, err, sizeof err) < 0) {
        ls_error("%s", err);
        if (!prog_rc)
            rc = LS_EXIT_USAGE;
    } else {
        if (!strcmp(format, "json"))
            ls_report_json(stdout, &a);
        else if (!strcmp(format, "html"))
            ls_report_html(stdout, &a);
        else {
            ls_report_text(stdout, &a, 20, 0);
            printf("snapshots: %s\n", outdir);
        }
        if (policy_path && !prog_rc)
            rc = a.fail ? LS_EXIT_FAIL : LS_EXIT_OK;
        ls_analysis_free(&a);
    }
    fflush(stdout);
    free(outdir);
    free(lib);
    ls_policy_free(&pol);
    return rc;
}
