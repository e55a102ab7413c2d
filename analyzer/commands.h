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

#endif /* LS_COMMANDS_H */
