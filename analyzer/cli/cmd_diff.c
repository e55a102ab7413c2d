/*
 * cmd_diff.c — `leakscope diff OLD NEW`: tracemalloc's compare_to between two snapshots.
 * The options, output and ordering are shared with `top` (ls_stats_command in cmd_top.c).
 */
#include "commands.h"
#include "stats.h"

int ls_cmd_diff(int argc, char **argv)
{
    return ls_stats_command(argc, argv, 2);
}
