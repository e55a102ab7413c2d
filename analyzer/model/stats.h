/*
 * stats.h — tracemalloc-style statistics of symbolized snapshots: live memory grouped
 * by source line, function, file or whole traceback (Snapshot.statistics), and the
 * difference between two snapshots (Snapshot.compare_to), with tracemalloc's ordering.
 */
#ifndef LS_STATS_H
#define LS_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "snapshot.h"

typedef enum {
    LS_BY_LINENO,    /* file and line of the site's location frame (function carried along) */
    LS_BY_FUNCTION,  /* function (and its file) of the location frame */
    LS_BY_FILE,      /* file of the location frame */
    LS_BY_TRACEBACK, /* the whole trace, from the location frame outward */
} ls_key_type_t;

/* "lineno", "function", "file" (or tracemalloc's "filename"), "traceback"; 0 or -1. */
int ls_key_type_parse(const char *name, ls_key_type_t *out);
const char *ls_key_type_name(ls_key_type_t key);

/* One group. Strings belong to the symbolizer that symbolized the snapshots.
 * Keys are symbolized, not raw addresses: sites at different addresses on one line merge.
 * A frame whose file is unknown ("??") is keyed by its function and module instead, so
 * unresolved sites in different places stay apart. */
typedef struct {
    const char *function; /* LS_BY_FILE: NULL. LS_BY_LINENO: the (alphabetically first)
                             function seen at that line */
    const char *file;     /* "??" when unknown */
    int line;             /* LS_BY_FILE: 0; LS_BY_FUNCTION: the lowest allocating line */
    const char *module;
    const ls_frame_info_t *frames; /* LS_BY_TRACEBACK: the trace from the location frame */
    size_t nframes;                /* outward; otherwise NULL and 0 */
    uint64_t size, count;          /* live bytes and allocations (in NEW for a diff) */
    int64_t size_diff, count_diff; /* NEW - OLD (0 for ls_statistics) */
    /* Issue 13: lost at exit per the snapshot's reachability scan (has_scan 0: none). */
    int has_scan;
    uint64_t direct_size, direct_count, indirect_size, indirect_count;
} ls_stat_t;

typedef struct {
    ls_stat_t *stats;
    size_t n;
    /* Issue 11: the figures come from a sampled snapshot (HEADER state flag 4): they are
     * estimates, printed with "~" and a note. sample_rate: each snapshot's LEAKSCOPE_SAMPLE
     * from its SAMPLING record (top: [0]; diff: old, new), 0 for an exact one. */
    int estimated, nsnap;
    uint64_t sample_rate[2];
} ls_stats_t;

/* Snapshot.statistics(key_type, cumulative): groups sorted by size, count, then key, all
 * descending. Only live memory counts (sites with nothing live are left out). With
 * `cumulative`, every frame from the site's location outward adds the site once to its own
 * key (a key met twice in one trace counts once); not valid with LS_BY_TRACEBACK.
 * The snapshot must have been symbolized. Returns 0, or -1 with err set. */
int ls_statistics(const ls_snapshot_t *snap, ls_key_type_t key, int cumulative, ls_stats_t *out,
                  char *err, size_t errlen);

/* NEW.compare_to(OLD, key_type, cumulative): every key of either snapshot, sorted by
 * |size_diff|, size, |count_diff|, count, then key, all descending. A key only in NEW has
 * size_diff = size; a key only in OLD appears with size 0, count 0 and negative diffs. */
int ls_compare_to(const ls_snapshot_t *old_snap, const ls_snapshot_t *new_snap, ls_key_type_t key,
                  int cumulative, ls_stats_t *out, char *err, size_t errlen);

void ls_stats_free(ls_stats_t *st);

/* Output of `top` and `diff` (see cmd_top.c): at most `limit` groups (0: all).
 * Text, like tracemalloc's str(Statistic) / str(StatisticDiff):
 *   <key>: size=<s> [(<+d>)], count=<n> [(<+d>)], average=<a>
 * where <key> is "file:line" (lineno), "function (file:line)" (function), "file" (file),
 * or for traceback the location's "file:line" followed by one "  file:line (function)"
 * line per frame. File paths are printed as DWARF recorded them (usually absolute). */
void ls_stats_print_text(FILE *f, const ls_stats_t *st, ls_key_type_t key, int diff, size_t limit);
/* Issue 11: when the figures are estimates, "~" before each of them and this one-line note:
 *   note: sampled at 64 KiB (LEAKSCOPE_SAMPLE): figures marked ~ are estimates; ...
 * (for a diff, each snapshot's rate, "exact" for one that was not sampled). Nothing for
 * exact snapshots, whose output is unchanged. */
void ls_stats_print_note(FILE *f, const ls_stats_t *st);
/* JSON: {"stats": [{"function","file","line","module","size",["size_diff",]"count"
 * [,"count_diff"][,"frames":[...]]}]}; "function" is null when grouped by file. Estimates
 * (issue 11) add "estimated": true and "sample_rate" (top) or "old_sample_rate" and
 * "new_sample_rate" (diff; 0 for an exact snapshot) after "schema_version". */
void ls_stats_print_json(FILE *f, const ls_stats_t *st, ls_key_type_t key, int diff, size_t limit);

/* `top --sort direct|indirect`: order by lost bytes (then size, count), descending. */
void ls_stats_sort_lost(ls_stats_t *st, int indirect);

/* The `top` (nsnap 1) and `diff` (nsnap 2) commands; argv[0] is the command name. */
int ls_stats_command(int argc, char **argv, int nsnap);

#endif /* LS_STATS_H */
