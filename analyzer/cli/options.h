/*
 * options.h — one option parser for every command (getopt_long): each command describes
 * its options once, in a table that both drives the parser and prints its `--help`, so
 * `--opt=value` and `--opt value` work for every option and the usage never drifts from
 * the code. `-h`/`--help` is added to every table.
 */
#ifndef LS_OPTIONS_H
#define LS_OPTIONS_H

#include <stdio.h>

typedef struct {
    const char *name;  /* long name, without "--" */
    char short_name;   /* 0 when none */
    const char *value; /* what the value is ("FILE", "text|json"), NULL for a flag */
    const char *help;  /* one line; "\n" continues it on the next line of --help */
} ls_option_t;

typedef struct {
    const char *name;        /* the command: "report" */
    const char *operands;    /* "DIR", "OLD NEW", "-- CMD ..." */
    const char *summary;     /* what it does, for --help (lines end with "\n") */
    const ls_option_t *opts; /* ends with an entry whose name is NULL */
    int min_operands, max_operands; /* max_operands < 0: any number */
    int stop_at_operand;     /* the first operand ends the options (run: the command's own) */
} ls_command_spec_t;

/* Called once per option given, in order: `index` in spec->opts, `value` NULL for a flag.
 * Returns 0, or LS_EXIT_USAGE after printing the error (ls_error). */
typedef int (*ls_option_fn)(void *ctx, int index, const char *value);

/* Parse argv (argv[0] the command name). Operands are left at argv[*first..argc).
 * Returns 0 to go on, 1 after printing --help (exit 0), or LS_EXIT_USAGE after printing one
 * line (unknown option, missing value, wrong number of operands, or `on` refused a value). */
int ls_options_parse(const ls_command_spec_t *spec, int argc, char **argv, ls_option_fn on, void *ctx, int *first);

/* "leakscope report DIR [--format text|json|html] [-o FILE] ..." (main's usage). */
void ls_options_synopsis(FILE *f, const ls_command_spec_t *spec);
/* The whole --help text. */
void ls_options_help(FILE *f, const ls_command_spec_t *spec);

#endif /* LS_OPTIONS_H */
