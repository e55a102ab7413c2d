/*
 * options.c — the commands' option parser and help printer over getopt_long (options.h).
 */
#include "options.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define HELP_ID (-1)

static size_t count(const ls_command_spec_t *spec)
{
    size_t n = 0;
    while (spec->opts[n].name)
        n++;
    return n;
}

/* getopt_long's tables: long options (val = 256 + index) and "+:h" plus the short ones. */
static void build_tables(const ls_command_spec_t *spec, struct option *lo, char *shorts)
{
    size_t n = count(spec), k = 0;
    if (spec->stop_at_operand)
        shorts[k++] = '+';
    shorts[k++] = ':'; /* a missing value returns ':' */
    shorts[k++] = 'h';
    for (size_t i = 0; i < n; i++) {
        const ls_option_t *o = &spec->opts[i];
        lo[i] = (struct option){o->name, o->value ? required_argument : no_argument, NULL, 256 + (int)i};
        if (o->short_name) {
            shorts[k++] = o->short_name;
            if (o->value)
                shorts[k++] = ':';
        }
    }
    lo[n] = (struct option){"help", no_argument, NULL, 'h'};
    lo[n + 1] = (struct option){NULL, 0, NULL, 0};
    shorts[k] = 0;
}

static int index_of_short(const ls_command_spec_t *spec, int c)
{
    for (size_t i = 0; spec->opts[i].name; i++)
        if (spec->opts[i].short_name == c)
            return (int)i;
    return -2;
}

/* The option as the user wrote it, for messages ("--limit", "-o"). */
static const char *written(char **argv, int at)
{
    return at > 0 && argv[at - 1] ? argv[at - 1] : "?";
}

static int fail_option(const ls_command_spec_t *spec, int c, char **argv)
{
    const char *arg = written(argv, optind);
    char shortopt[3] = {'-', (char)optopt, 0};
    if (optopt && optopt < 256 && (c == ':' || strncmp(arg, "--", 2) != 0))
        arg = shortopt;
    size_t len = strcspn(arg, "=");
    if (c == ':')
        return ls_error("%s: %.*s needs a value (try 'leakscope %s --help')", spec->name, (int)len, arg, spec->name);
    return ls_error("%s: unknown option '%.*s' (try 'leakscope %s --help')", spec->name, (int)len, arg, spec->name);
}

static int check_operands(const ls_command_spec_t *spec, int n)
{
    if (n < spec->min_operands)
        return ls_error("%s: missing %s (try 'leakscope %s --help')", spec->name, spec->operands, spec->name);
    if (spec->max_operands >= 0 && n > spec->max_operands)
        return ls_error("%s: too many arguments: leakscope %s takes %s (try 'leakscope %s --help')", spec->name,
                        spec->name, spec->operands, spec->name);
    return 0;
}

int ls_options_parse(const ls_command_spec_t *spec, int argc, char **argv, ls_option_fn on, void *ctx, int *first)
{
    size_t n = count(spec);
    struct option *lo = ls_xcalloc(n + 2, sizeof *lo);
    char *shorts = ls_xmalloc(2 * n + 5);
    build_tables(spec, lo, shorts);
    int rc = 0, c, saved_opterr = opterr;
    opterr = 0;
    optind = 0; /* a full reset: commands may be run more than once in a process (tests) */
    while (rc == 0 && (c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
        if (c == 'h') {
            ls_options_help(stdout, spec);
            rc = 1;
        } else if (c == '?' || c == ':')
            rc = fail_option(spec, c, argv);
        else {
            int i = c >= 256 ? c - 256 : index_of_short(spec, c);
            rc = i < 0 ? fail_option(spec, '?', argv) : on(ctx, i, spec->opts[i].value ? optarg : NULL);
        }
    }
    if (rc == 0)
        rc = check_operands(spec, argc - optind);
    *first = optind;
    opterr = saved_opterr;
    free(lo);
    free(shorts);
    return rc;
}

void ls_options_synopsis(FILE *f, const ls_command_spec_t *spec)
{
    int operands_last = spec->stop_at_operand;
    fprintf(f, "leakscope %s", spec->name);
    if (!operands_last)
        fprintf(f, " %s", spec->operands);
    for (size_t i = 0; spec->opts[i].name; i++) {
        const ls_option_t *o = &spec->opts[i];
        if (o->value)
            fprintf(f, " [--%s %s]", o->name, o->value);
        else
            fprintf(f, " [--%s]", o->name);
    }
    if (operands_last)
        fprintf(f, " %s", spec->operands);
}

void ls_options_help(FILE *f, const ls_command_spec_t *spec)
{
    fputs("usage: ", f);
    ls_options_synopsis(f, spec);
    fprintf(f, "\n%s\noptions (--opt VALUE or --opt=VALUE):\n", spec->summary);
    for (size_t i = 0; spec->opts[i].name; i++) {
        const ls_option_t *o = &spec->opts[i];
        char head[96];
        if (o->short_name)
            snprintf(head, sizeof head, "-%c, --%s%s%s", o->short_name, o->name, o->value ? " " : "",
                     o->value ? o->value : "");
        else
            snprintf(head, sizeof head, "--%s%s%s", o->name, o->value ? " " : "", o->value ? o->value : "");
        fprintf(f, "  %-30s ", head);
        for (const char *h = o->help; *h; h++) {
            fputc(*h, f);
            if (*h == '\n')
                fprintf(f, "  %-30s ", "");
        }
        fputc('\n', f);
    }
    fprintf(f, "  %-30s show this help\n", "-h, --help");
}
