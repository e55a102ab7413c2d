/*
 * snapshot.h — reading snapshot files (docs/format.md) and directories of them.
 *
 * Every reader function validates its input completely: a truncated, corrupt or
 * future-version file gives an error message naming the file and the fault, never
 * a crash and never a partial result. Memory belongs to the returned objects and is
 * released by the matching *_free function.
 */
#ifndef LS_SNAPSHOT_H
#define LS_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "leakscope_format.h" /* the on-disk format: the one definition */

#define LS_FORMAT_VERSION LS_FMT_VERSION
#ifndef LS_MAX_FRAMES /* the shim's common.h has its own, for its traces (round-trip tests see both) */
#define LS_MAX_FRAMES LS_FMT_MAX_FRAMES
#endif
_Static_assert(LS_MAX_FRAMES == LS_FMT_MAX_FRAMES, "the reader takes every trace the format holds");
/* Frames of a symbolized trace, inlined calls expanded (ls_site_t.ninfo): at most this many. */
#define LS_MAX_INFO (4 * LS_MAX_FRAMES)
#define LS_MAX_AGE_BUCKETS LS_FMT_MAX_AGE_BUCKETS

typedef struct {
    uint64_t start, end, bias, flags; /* flags bit 0: unloaded */
    uint8_t build_id[64];
    unsigned build_id_len;
    char *path;
} ls_module_t;

typedef struct {
    uint16_t bucket;
    uint64_t bytes, count;
} ls_age_t;

/* Where a frame address resolves to; strings are owned by the symbolizer. */
typedef struct {
    uint64_t addr;
    const char *function; /* demangled; "??" when unknown */
    const char *file;     /* source file as recorded in DWARF; "??" when unknown */
    int line;             /* 0 when unknown */
    const char *module;   /* path of the module, "??" when outside every module */
    int inlined;          /* 1: the compiler inlined this function into the next frame's, at the
                             same address (the next frame's line is that of the inlined call) */
} ls_frame_info_t;

typedef struct {
    uint32_t id;
    uint16_t nframes, nage;
    uint16_t ninfo; /* entries in info: nframes, plus the inlined calls (symbols.h) */
    uint64_t live_bytes, live_count, alloc_count, alloc_bytes, free_count;
    uint64_t *frames;  /* nframes return addresses, innermost first */
    ls_age_t *age;     /* nage entries */
    /* Filled by ls_symbolize_snapshot(): */
    ls_frame_info_t *info; /* ninfo entries, innermost first, or NULL before symbolization */
    int loc;               /* index in info of the site's location frame (see symbols.h) */
    /* From the LEAKS record (the reachability scan), 0 without one: */
    uint64_t direct_bytes, direct_count, indirect_bytes, indirect_count;
} ls_site_t;

typedef struct {
    char *path; /* the file this was read from */
    uint32_t version;
    uint64_t pid, ppid, seq, step, marked, epoch, time_ns, mono_ns, start_mono_ns, rss_bytes;
    uint64_t traced_current, traced_peak, alloc_calls, free_calls, frames_max, state_flags;
    uint64_t untracked_count, untracked_bytes;
    char *label, *prog, *exe;
    ls_module_t *modules;
    size_t n_modules;
    uint64_t *age_edges;
    size_t n_age_edges;
    ls_site_t *sites;
    size_t n_sites;
    /* The reachability scan (LEAKS record): has_scan 0 when the snapshot carries none. */
    int has_scan;
    uint64_t scan_blocks, scan_heap_bytes, scan_root_bytes, scan_threads, scan_ns;
} ls_snapshot_t;

/* Read one snapshot file. Returns 0 and fills *out, or -1 with a one-line message
 * ("<path>: <what is wrong>") in err. */
int ls_snapshot_read(const char *path, ls_snapshot_t *out, char *err, size_t errlen);
/* Parse a snapshot held in memory (the fuzzing entry point); `name` is used in messages. */
int ls_snapshot_parse(const uint8_t *data, size_t len, const char *name, ls_snapshot_t *out,
                      char *err, size_t errlen);
void ls_snapshot_free(ls_snapshot_t *snap);

/* Encode `snap` in the format of docs/format.md to `path` (temporary file, then
 * rename). For tests, synthetic fixtures, benchmarks and fuzzing seeds: the shim has
 * its own writer that does not allocate. Returns 0, or -1 with err set. */
int ls_snapshot_write(const char *path, const ls_snapshot_t *snap, char *err, size_t errlen);

/* Issue 11, for tests: a sampled snapshot's SAMPLING record (docs/format.md), one entry per
 * site id, increasing. */
typedef struct {
    uint32_t id;
    uint64_t live_samples, samples, live_bytes_sd;
} ls_snapshot_sample_t;
typedef struct {
    uint64_t rate, seed, flags; /* rate > 0; flags: LS_FMT_SAMPLING_* */
    const ls_snapshot_sample_t *sites;
    size_t n;
} ls_snapshot_sampling_t;
/* ls_snapshot_write of a sampled snapshot: HEADER state flag 4 set and the SAMPLING record
 * `smp` after the SITE records, as the shim writes one under LEAKSCOPE_SAMPLE. The SITE
 * figures are written as given (ls_snapshot_sample_estimate gives the shim's). */
int ls_snapshot_write_sampled(const char *path, const ls_snapshot_t *snap, const ls_snapshot_sampling_t *smp,
                              char *err, size_t errlen);
/* What the shim writes for a site whose live sampled blocks have sizes[0..n) at `rate`:
 * the estimated live bytes (each block S/p(S), p(S) = 1 - e^(-S/rate), rounded per block),
 * live count (1/p(S) per block, in 1/1024 units, rounded once; at least 1 when a block is
 * present) and the standard deviation of the bytes estimate (Horvitz-Thompson:
 * sqrt(sum S^2 (1 - p) / p^2)). */
void ls_snapshot_sample_estimate(const uint64_t *sizes, size_t n, uint64_t rate, uint64_t *live_bytes,
                                 uint64_t *live_count, uint64_t *sd);

/* The snapshots one process wrote into a directory, in the order they were taken. */
typedef struct {
    uint64_t pid;
    char *prog;
    char **paths;     /* sorted by sequence number */
    size_t n_paths;
} ls_process_t;

typedef struct {
    char *dir;
    ls_process_t *procs; /* parents before their children (by ppid), then by start time
                          * (first snapshot's start_mono_ns), then pid */
    size_t n_procs;
} ls_run_t;

/* List the snapshot files (*.lss) of `dir`, grouped by process. An empty or
 * missing directory, or one without snapshots, is an error. */
int ls_run_open(const char *dir, ls_run_t *out, char *err, size_t errlen);
void ls_run_free(ls_run_t *run);

/* Resolve a SNAPSHOT argument as the spec says: a file is itself; a directory
 * stands for the last snapshot of process `pid` in it (pid 0: the process that
 * started first). Returns a malloc'd path or NULL with err set. */
char *ls_resolve_snapshot_arg(const char *arg, uint64_t pid, char *err, size_t errlen);

#endif /* LS_SNAPSHOT_H */
