/*
 * commands.h — the analyzer's subcommands. Each takes the arguments after its
 * name (argv[0] is the command name) and returns the process exit status:
 * 0 success, 1 a gate or rule broken (gate/run only), 2 bad arguments or input.
 */
#ifndef LS_COMMANDS_H
#define LS_COMMANDS_H

int ls_cmd_top(int argc, char **argv);
int ls_cmd_diff(int argc, char **argv);
int ls_cmd_report(int argc, char **argv);
int ls_cmd_gate(int argc, char **argv);
int ls_cmd_run(int argc, char **argv);
int ls_cmd_export(int argc, char **argv);
int ls_cmd_watch(int argc, char **argv);

/* Each command's options and --help (options.h), for main's usage. */
#include "options.h"
extern const ls_command_spec_t ls_top_spec, ls_diff_spec, ls_report_spec, ls_gate_spec, ls_run_spec,
    ls_export_spec, ls_watch_spec;

#endif /* LS_COMMANDS_H */
