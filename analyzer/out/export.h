/*
 * export.h — leakscope's figures in the formats other tools read (`leakscope export`,
 * `leakscope watch`, the HTML report's flame graph): gzipped pprof profile.proto,
 * collapsed flame-graph stacks, the Prometheus text exposition format, and Valgrind's
 * massif format. Each writer takes already loaded and symbolized data and writes to a
 * stream the caller opened (ls_out_open: temporary file, then rename).
 *
 * Every format shows a site's trace from its location frame (the line that asked for the
 * memory, symbols.h) outward, as Go's heap profiles leave out runtime.mallocgc: the
 * allocator's own frames (malloc in libc, operator new, std:: internals) are not the
 * program's, and this way the leaf in pprof, in a flame graph and in massif is the line
 * `leakscope top` names.
 */
#ifndef LS_EXPORT_H
#define LS_EXPORT_H

#include <stddef.h>
#include <stdio.h>

#include "report.h"
#include "series.h"
#include "snapshot.h"

/* ---- stack trees (export_collapsed.c): shared by collapsed stacks, the flame graph and
 * massif ---------------------------------------------------------------------------------- */

typedef struct ls_fnode {
    const ls_frame_info_t *fi; /* the frame this node stands for; NULL for the root */
    double bytes;              /* live bytes of every trace through this node */
    double self;               /* ... of the traces that end here */
    struct ls_fnode **kids;
    size_t nkids, cap;
} ls_fnode_t;

/* Add a trace of `bytes` to the tree under `root`. `path` lists the frames in the order
 * they hang from the root. Nodes are merged by function name (`by_addr` 0: flame graphs)
 * or by frame address (`by_addr` 1: massif, which lists code locations). */
void ls_ftree_add(ls_fnode_t *root, const ls_frame_info_t *const *path, size_t n, double bytes, int by_addr);
/* Children ordered by bytes, largest first (then by name, for stable output). */
void ls_ftree_sort(ls_fnode_t *node);
/* Frees the nodes under `root` (not `root` itself). */
void ls_ftree_free(ls_fnode_t *root);

/* A site's frames (its info, ninfo entries) from its location frame outward into `out` (at most LS_MAX_INFO):
 * leaf first when `outer_first` is 0, root first otherwise. Returns how many. */
size_t ls_site_path(const ls_frame_info_t *info, size_t ninfo, int loc, int outer_first,
                    const ls_frame_info_t **out);

/* A frame's function name fit for one line of text: control characters and `;` (the
 * collapsed format's separator) become '?'. Returns buf. */
const char *ls_frame_name(const ls_frame_info_t *fi, char *buf, size_t len);

/* ---- the formats ------------------------------------------------------------------------ */

/* `root;..;leaf BYTES` per distinct stack, live bytes of a symbolized snapshot; the lines sum
 * to the snapshot's live bytes. */
void ls_export_collapsed(FILE *f, const ls_snapshot_t *snap);

/* A gzipped profile.proto of a symbolized snapshot with Go's heap sample types. Returns 0,
 * or -1 with err set. */
int ls_export_pprof(FILE *f, const ls_snapshot_t *snap, char *err, size_t errlen);

/* The Prometheus text exposition format of an analysed run: per process its traced and peak
 * bytes and whether the gate fails; per site (the leaking ones plus the `top` largest by live
 * bytes) live bytes, growth rate and severity. */
void ls_export_openmetrics(FILE *f, const ls_analysis_t *a, size_t top);

/* Valgrind massif's output format for process `p` of a loaded series: one massif snapshot
 * per leakscope snapshot, detailed trees at the peak and the last. */
void ls_export_massif(FILE *f, const ls_proc_series_t *p);

/* The HTML report's icicle graph of the live bytes at the last snapshot by trace
 * (report_flame.c): inline SVG, no script. */
void ls_report_flame(FILE *f, const ls_proc_series_t *p);

#endif /* LS_EXPORT_H */
