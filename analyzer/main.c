/*
 * main.c — the `leakscope` command: dispatches to the subcommands of commands.h.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "util.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *synopsis;
} commands[] = {
    {"top", ls_cmd_top, "top SNAPSHOT [--by lineno|function|file|traceback] [--cumulative] [--limit N] [--pid N] [--format text|json]"},
    {"diff", ls_cmd_diff, "diff OLD NEW [--by ...] [--cumulative] [--limit N] [--pid N] [--format text|json]"},
    {"report", ls_cmd_report, "report DIR [--format text|json|html] [-o FILE] [--policy FILE]"},
    {"gate", ls_cmd_gate, "gate DIR [--policy FILE] [--baseline PREVIOUS] [--junit FILE] [--format text|json]"},
    {"run", ls_cmd_run, "run [--policy FILE] [--out DIR] [--frames N] [--format text|json|html] -- CMD ..."},
    {"export", ls_cmd_export, "export SNAPSHOT|DIR --format pprof|collapsed|openmetrics|massif [-o FILE] [--pid N] [--top N]"},
    {"watch", ls_cmd_watch, "watch DIR --openmetrics FILE [--every SECONDS] [--top N] [--count N]"},
};

static void usage(FILE *f)
{
    fputs("usage: leakscope COMMAND [ARGS]\n\n"
          "Finds memory that keeps growing in long-running programs, from snapshots written\n"
          "by libleakscope.so (LD_PRELOAD). A SNAPSHOT argument may be a directory: it stands\n"
          "for the last snapshot in it.\n\ncommands:\n",
          f);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  leakscope %s\n", commands[i].synopsis);
    fputs("\nExit status: 0 ok, 1 gate failed, 2 bad arguments or unusable input.\n"
          "See leakscope(1) and docs/ for details.\n",
          f);
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
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    return ls_error("unknown command '%s' (try 'leakscope --help')", argv[1]);
}
