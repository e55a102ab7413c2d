/*
 * series.h — a run's snapshots folded into compact per-site time series, one process at a
 * time, streaming: each snapshot is read, folded and freed, so memory grows with
 * sites × snapshots × 12 bytes, not with the snapshots' size. Sites are symbolized once.
 */
#ifndef LS_SERIES_H
#define LS_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include "classify.h"
#include "snapshot.h"
#include "symbols.h"

/* One call site of one process over the run. */
typedef struct {
    uint32_t id;
    size_t first;        /* index of the first snapshot that lists it */
    double *bytes;       /* live bytes at each snapshot (0 before `first`) */
    uint32_t *count;     /* live allocations (saturating at UINT32_MAX) */
    double age_last[LS_MAX_AGE_BUCKETS], age_prev[LS_MAX_AGE_BUCKETS]; /* bytes by birth bucket */
    uint64_t alloc_count, alloc_bytes, free_count; /* at the last snapshot that lists it */
    uint16_t nframes;
    uint64_t *frames;    /* as first seen */
    uint16_t ninfo;      /* entries in info: nframes plus inlined calls (symbols.h) */
    const ls_frame_info_t *info; /* ninfo entries, owned by the symbolizer */
    int loc;             /* index of the location frame in info */
    /* Issue 13: from the latest snapshot that carries a reachability scan (else 0). */
    uint64_t direct_bytes, direct_count, indirect_bytes, indirect_count;
} ls_site_series_t;

/* One process: the snapshot axis and its sites. */
typedef struct {
    uint64_t pid, ppid;
    char *prog, *exe;
    size_t n;             /* snapshots */
    int marked;           /* the program called leakscope_mark (the axis is its step) */
    int steps_unusable;   /* it did, but its steps never advanced or went back: per snapshot */
    double *x;            /* the step axis: step when marked, else the snapshot's epoch */
    double *x_rel;        /* x - x[0], computed in integers: what the classifier reads, so that
                             steps near 2^64 keep their differences (ls_series_view) */
    double *t_s;          /* seconds since tracking started */
    uint64_t *step;
    char **labels;
    double *traced;       /* traced_current at each snapshot */
    uint64_t traced_peak; /* highest traced_peak of any snapshot */
    uint64_t rss_last, state_flags, untracked_bytes;
    double edges_last[LS_MAX_AGE_BUCKETS + 1], edges_prev[LS_MAX_AGE_BUCKETS + 1];
    size_t n_buckets_last, n_buckets_prev;
    double edges_last_rel[LS_MAX_AGE_BUCKETS + 1], edges_prev_rel[LS_MAX_AGE_BUCKETS + 1]; /* - x[0] */
    ls_site_series_t *sites;
    size_t n_sites;
    /* Issue 13: the latest snapshot with a reachability scan (has_scan 0: none). */
    int has_scan;
    size_t scan_snapshot;
    uint64_t scan_blocks, scan_heap_bytes, scan_ns;
} ls_proc_series_t;

typedef struct {
    char *dir;
    ls_proc_series_t *procs; /* in the order the processes started */
    size_t n_procs;
    ls_symbolizer_t *sym;    /* owns every site's info */
} ls_series_t;

/* Read every snapshot of every process in `dir`. Returns 0, or -1 with a one-line message
 * naming the file and the fault in err (nothing is returned half-read). */
int ls_series_load(const char *dir, ls_series_t *out, char *err, size_t errlen);
void ls_series_free(ls_series_t *s);

/* A view of site `i` of `p` for the classifier (pointers into p), on the relative axis
 * x_rel: a class's burn_in is then relative to x[0]. */
ls_series_view_t ls_series_view(const ls_proc_series_t *p, size_t i);

/* The location frame of a site (function/file/line/module), or a placeholder. */
const ls_frame_info_t *ls_site_location(const ls_site_series_t *s);

#endif /* LS_SERIES_H */
