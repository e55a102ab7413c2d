/*
 * main.c — the `leakscope` command: dispatches to the subcommands of commands.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "util.h"

static const struct {
    int (*run)(int argc, char **argv);
    const ls_command_spec_t *spec; /* name, options, --help: the synopsis comes from here */
} commands[] = {
    {ls_cmd_top, &ls_top_spec}, {ls_cmd_diff, &ls_diff_spec}, {ls_cmd_report, &ls_report_spec},
    {ls_cmd_gate, &ls_gate_spec}, {ls_cmd_run, &ls_run_spec},
    {ls_cmd_export, &ls_export_spec}, {ls_cmd_watch, &ls_watch_spec},
};

static void usage(FILE *f)
{
    fputs("usage: leakscope COMMAND [ARGS]\n\n"
          "Finds memory that keeps growing in long-running programs, from snapshots written\n"
          "by libleakscope.so (LD_PRELOAD). A SNAPSHOT argument may be a directory: it stands\n"
          "for the last snapshot in it.\n\ncommands:\n",
          f);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        fputs("  ", f);
        ls_options_synopsis(f, commands[i].spec);
        fputc('\n', f);
    }
    fputs("\nThe traced program's environment (read by libleakscope.so):\n"
          "  LEAKSCOPE_OUT=DIR  LEAKSCOPE_FRAMES=1..128  LEAKSCOPE_INTERVAL_MS=N  LEAKSCOPE_SIGNAL=USR1|USR2|RTMIN+n\n"
          "  LEAKSCOPE_SCAN=0|1  LEAKSCOPE_SAMPLE=BYTES  LEAKSCOPE_SEED=N  LEAKSCOPE_KEEP=N\n"
          "  (leakscope run finds the library at LEAKSCOPE_LIB when set)\n"
          "\nExit status: 0 ok, 1 gate failed, 2 bad arguments or unusable input.\n"
          "See leakscope(1) and docs/ for details.\n",
          f);
}

/* Every byte written and standard output closed cleanly, or one line and exit status 2
 * (a verdict that could not be written is not a verdict). A failed program's own status
 * (`run`) is kept. */
static int finish(int rc)
{
    int bad = fflush(stdout) != 0 || ferror(stdout);
    bad |= fclose(stdout) != 0;
    if (bad && (rc == LS_EXIT_OK || rc == LS_EXIT_FAIL))
        rc = ls_error("cannot write to standard output: %s", strerror(errno ? errno : EIO));
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr), LS_EXIT_USAGE;
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
        return usage(stdout), LS_EXIT_OK;
    if (!strcmp(argv[1], "--version")) {
        puts("leakscope 1.0");
        return LS_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].spec->name))
            return finish(commands[i].run(argc - 1, argv + 1));
    return ls_error("unknown command '%s' (try 'leakscope --help')", argv[1]);
}
