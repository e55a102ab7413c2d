/*
 * series.c — loading a run for `report` and `gate` (series.h): streams each process's
 * snapshots through ls_snapshot_read, keeping per site and snapshot only live bytes and
 * count, plus the birth-age histograms of the last two snapshots, then symbolizes once.
 *
 * Locking: decoding a snapshot (checksum, validation) costs far more than folding it, so
 * reader threads decode the next few files while the caller's thread folds them in order.
 * One mutex guards the prefetch ring (slot states, the next file to claim, the consumer's
 * position); a reader decodes outside it, into a slot no one else touches until it is
 * marked ready.
 */
#include "series.h"

#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* Open-addressing map from site id to index in the process's site array. */
typedef struct {
    uint32_t *keys;
    size_t *vals;
    size_t cap, used;
} idmap_t;

static size_t hash_id(uint32_t id) { return (size_t)(id * 2654435761u); }

static void idmap_grow(idmap_t *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 1024;
    uint32_t *nk = ls_xmalloc(ncap * sizeof *nk);
    size_t *nv = ls_xmalloc(ncap * sizeof *nv);
    for (size_t i = 0; i < ncap; i++)
        nv[i] = SIZE_MAX;
    for (size_t i = 0; i < m->cap; i++)
        if (m->vals[i] != SIZE_MAX) {
            size_t h = hash_id(m->keys[i]) & (ncap - 1);
            while (nv[h] != SIZE_MAX)
                h = (h + 1) & (ncap - 1);
            nk[h] = m->keys[i];
            nv[h] = m->vals[i];
        }
    free(m->keys);
    free(m->vals);
    m->keys = nk;
    m->vals = nv;
    m->cap = ncap;
}

/* The slot for `id`: its index, or SIZE_MAX with *slot ready for an insert. */
static size_t idmap_find(idmap_t *m, uint32_t id, size_t *slot)
{
    if ((m->used + 1) * 2 > m->cap)
        idmap_grow(m);
    size_t h = hash_id(id) & (m->cap - 1);
    while (m->vals[h] != SIZE_MAX && m->keys[h] != id)
        h = (h + 1) & (m->cap - 1);
    *slot = h;
    return m->vals[h];
}

static const ls_frame_info_t unknown_frame = {0, "??", "??", 0, "??", 0};

const ls_frame_info_t *ls_site_location(const ls_site_series_t *s)
{
    if (!s->info || s->ninfo == 0 || s->loc < 0 || s->loc >= s->ninfo)
        return &unknown_frame;
    return &s->info[s->loc];
}

/* x_rel and the relative age edges. Steps are subtracted as integers: near 2^64 a double
 * cannot tell neighbouring steps apart, and a leak would look flat. */
static void relative_axis(ls_proc_series_t *p, const double *epoch)
{
    p->x_rel = ls_xcalloc(p->n ? p->n : 1, sizeof *p->x_rel);
    for (size_t j = 0; j < p->n; j++)
        p->x_rel[j] = p->marked ? (double)(p->step[j] - p->step[0]) : epoch[j] - epoch[0];
    double x0 = p->n ? p->x[0] : 0;
    for (size_t i = 0; i <= LS_MAX_AGE_BUCKETS; i++) {
        p->edges_last_rel[i] = p->edges_last[i] - x0;
        p->edges_prev_rel[i] = p->edges_prev[i] - x0;
    }
}

static void fill_edges(double *dst, size_t *nb, const ls_snapshot_t *snap)
{
    size_t ne = snap->n_age_edges;
    if (ne > LS_MAX_AGE_BUCKETS + 1)
        ne = LS_MAX_AGE_BUCKETS + 1;
    for (size_t i = 0; i < ne; i++)
        dst[i] = (double)snap->age_edges[i];
    *nb = ne >= 2 ? ne - 1 : 0;
}

static void fill_ages(double *dst, const ls_site_t *st)
{
    memset(dst, 0, LS_MAX_AGE_BUCKETS * sizeof *dst);
    for (unsigned a = 0; a < st->nage; a++)
        if (st->age[a].bucket < LS_MAX_AGE_BUCKETS)
            dst[st->age[a].bucket] += (double)st->age[a].bytes;
}

/* Symbolize every site: those in the last snapshot from it; any other (gone from the last
 * snapshot) through a stand-in snapshot with the last one's module map and its own frames. */
static void symbolize(ls_symbolizer_t *sym, ls_proc_series_t *p, ls_snapshot_t *last, idmap_t *map)
{
    ls_symbolize_snapshot(sym, last);
    char *seen = ls_xcalloc(p->n_sites, 1);
    for (size_t i = 0; i < last->n_sites; i++) {
        size_t slot, k = idmap_find(map, last->sites[i].id, &slot);
        if (k == SIZE_MAX)
            continue;
        p->sites[k].info = last->sites[i].info;
        p->sites[k].ninfo = last->sites[i].ninfo;
        p->sites[k].loc = last->sites[i].loc;
        if (p->sites[k].nframes > last->sites[i].nframes)
            p->sites[k].nframes = last->sites[i].nframes;
        seen[k] = 1;
    }
    size_t missing = 0;
    for (size_t k = 0; k < p->n_sites; k++)
        missing += !seen[k];
    if (missing) {
        ls_snapshot_t stand = *last;
        stand.sites = ls_xcalloc(missing, sizeof *stand.sites);
        stand.n_sites = 0;
        for (size_t k = 0; k < p->n_sites; k++)
            if (!seen[k]) {
                ls_site_t *st = &stand.sites[stand.n_sites++];
                st->id = p->sites[k].id;
                st->nframes = p->sites[k].nframes;
                st->frames = p->sites[k].frames;
            }
        ls_symbolize_snapshot(sym, &stand);
        for (size_t i = 0, k = 0; k < p->n_sites; k++)
            if (!seen[k]) {
                p->sites[k].info = stand.sites[i].info;
                p->sites[k].ninfo = stand.sites[i].ninfo;
                p->sites[k].loc = stand.sites[i].loc;
                i++;
            }
        free(stand.sites);
    }
    free(seen);
}

/* ---- prefetching reader threads ------------------------------------------------------- */

#define PREFETCH_SLOTS 4
#define MAX_READERS 4

typedef struct {
    const ls_process_t *pr;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t next;     /* the next file a reader claims */
    size_t consumed; /* files folded by the consumer; readers stay within PREFETCH_SLOTS of it */
    int stop;
    int state[PREFETCH_SLOTS]; /* 0 empty, 1 ready, -1 failed */
    size_t index[PREFETCH_SLOTS];
    ls_snapshot_t snap[PREFETCH_SLOTS];
    char err[PREFETCH_SLOTS][1024];
} prefetch_t;

static void *reader_main(void *arg)
{
    prefetch_t *pf = arg;
    for (;;) {
        pthread_mutex_lock(&pf->mu);
        size_t j;
        while (!pf->stop && (j = pf->next) < pf->pr->n_paths && j >= pf->consumed + PREFETCH_SLOTS)
            pthread_cond_wait(&pf->cv, &pf->mu); /* (another reader may claim j meanwhile) */
        j = pf->next;
        if (pf->stop || j >= pf->pr->n_paths) {
            pthread_mutex_unlock(&pf->mu);
            return NULL;
        }
        pf->next = j + 1;
        pthread_mutex_unlock(&pf->mu);
        size_t k = j % PREFETCH_SLOTS;
        int rc = ls_snapshot_read(pf->pr->paths[j], &pf->snap[k], pf->err[k], sizeof pf->err[k]);
        pthread_mutex_lock(&pf->mu);
        pf->index[k] = j;
        pf->state[k] = rc < 0 ? -1 : 1;
        pthread_cond_broadcast(&pf->cv);
        pthread_mutex_unlock(&pf->mu);
    }
}

/* Wait for snapshot j; returns 0 with *out filled (the caller frees it and calls
 * prefetch_done), or -1 with err set. */
static int prefetch_take(prefetch_t *pf, size_t j, ls_snapshot_t *out, char *err, size_t errlen)
{
    size_t k = j % PREFETCH_SLOTS;
    pthread_mutex_lock(&pf->mu);
    while (!(pf->state[k] != 0 && pf->index[k] == j))
        pthread_cond_wait(&pf->cv, &pf->mu);
    int st = pf->state[k];
    *out = pf->snap[k];
    if (st < 0)
        snprintf(err, errlen, "%s", pf->err[k]);
    pthread_mutex_unlock(&pf->mu);
    return st < 0 ? -1 : 0;
}

static void prefetch_done(prefetch_t *pf, size_t j)
{
    pthread_mutex_lock(&pf->mu);
    pf->state[j % PREFETCH_SLOTS] = 0;
    pf->consumed = j + 1;
    pthread_cond_broadcast(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
}

/* Starts the reader threads (as many as CPUs, at most MAX_READERS and n); returns how many
 * started (0: the caller reads in its own thread). */
static prefetch_t *prefetch_start(const ls_process_t *pr, pthread_t *th, size_t *started)
{
    prefetch_t *pf = ls_xcalloc(1, sizeof *pf);
    pf->pr = pr;
    pthread_mutex_init(&pf->mu, NULL);
    pthread_cond_init(&pf->cv, NULL);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nthreads = ncpu < 1 ? 1 : ncpu > MAX_READERS ? MAX_READERS : (size_t)ncpu;
    if (nthreads > pr->n_paths)
        nthreads = pr->n_paths;
    *started = 0;
    for (size_t t = 0; t < nthreads; t++)
        if (pthread_create(&th[t], NULL, reader_main, pf) == 0)
            ++*started;
    return pf;
}

static void prefetch_stop(prefetch_t *pf, pthread_t *th, size_t started)
{
    pthread_mutex_lock(&pf->mu);
    pf->stop = 1;
    pthread_cond_broadcast(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
    for (size_t t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    for (size_t k = 0; k < PREFETCH_SLOTS; k++) /* decoded but never folded (after an error) */
        if (pf->state[k] == 1)
            ls_snapshot_free(&pf->snap[k]);
    pthread_mutex_destroy(&pf->mu);
    pthread_cond_destroy(&pf->cv);
    free(pf);
}

/* Snapshot j, from a reader thread or read here. */
static int next_snapshot(const ls_process_t *pr, prefetch_t *pf, size_t started, size_t j, ls_snapshot_t *snap,
                         char *err, size_t errlen)
{
    if (!started)
        return ls_snapshot_read(pr->paths[j], snap, err, errlen);
    if (prefetch_take(pf, j, snap, err, errlen) < 0)
        return -1;
    prefetch_done(pf, j);
    return 0;
}

/* A snapshot with a reachability scan (issue 13) replaces the figures of an earlier one. */
static void fold_scan_totals(ls_proc_series_t *p, const ls_snapshot_t *snap, size_t j)
{
    p->has_scan = 1;
    p->scan_snapshot = j;
    p->scan_blocks = snap->scan_blocks;
    p->scan_heap_bytes = snap->scan_heap_bytes;
    p->scan_ns = snap->scan_ns;
    for (size_t k = 0; k < p->n_sites; k++)
        p->sites[k].direct_bytes = p->sites[k].direct_count = p->sites[k].indirect_bytes =
            p->sites[k].indirect_count = 0;
}

/* The process-wide figures of snapshot j of n. */
static void fold_header(ls_proc_series_t *p, const ls_snapshot_t *snap, size_t j, double *epoch)
{
    if (j == 0) {
        p->ppid = snap->ppid;
        p->prog = ls_xstrdup(snap->prog);
        p->exe = ls_xstrdup(snap->exe);
    }
    p->step[j] = snap->step;
    p->marked = snap->marked != 0;
    epoch[j] = (double)snap->epoch;
    p->t_s[j] = snap->mono_ns >= snap->start_mono_ns ? (double)(snap->mono_ns - snap->start_mono_ns) / 1e9 : 0;
    p->labels[j] = ls_xstrdup(snap->label);
    p->traced[j] = (double)snap->traced_current;
    if (snap->traced_peak > p->traced_peak)
        p->traced_peak = snap->traced_peak;
    p->rss_last = snap->rss_bytes;
    p->state_flags |= snap->state_flags;
    p->untracked_bytes = snap->untracked_bytes;
    if (j + 2 == p->n)
        fill_edges(p->edges_prev, &p->n_buckets_prev, snap);
    if (j + 1 == p->n)
        fill_edges(p->edges_last, &p->n_buckets_last, snap);
    if (snap->has_scan)
        fold_scan_totals(p, snap, j);
}

/* The series index of snapshot site `st` (of snapshot j) when it is not the i-th series:
 * found by id, or a new series. */
static size_t site_index(ls_proc_series_t *p, idmap_t *map, size_t *cap, const ls_site_t *st, size_t j)
{
    size_t slot, k = idmap_find(map, st->id, &slot);
    if (k != SIZE_MAX)
        return k;
    if (p->n_sites == *cap) {
        *cap = *cap ? *cap * 2 : 256;
        p->sites = ls_xrealloc(p->sites, *cap * sizeof *p->sites);
    }
    k = p->n_sites++;
    map->keys[slot] = st->id;
    map->vals[slot] = k;
    map->used++;
    ls_site_series_t *s = &p->sites[k];
    memset(s, 0, sizeof *s);
    s->id = st->id;
    s->first = j;
    s->bytes = ls_xcalloc(p->n, sizeof *s->bytes);
    s->count = ls_xcalloc(p->n, sizeof *s->count);
    s->nframes = st->nframes;
    s->frames = ls_xmalloc((st->nframes ? st->nframes : 1) * sizeof *s->frames);
    memcpy(s->frames, st->frames, st->nframes * sizeof *s->frames);
    return k;
}

static void fold_sites(ls_proc_series_t *p, idmap_t *map, size_t *cap, const ls_snapshot_t *snap, size_t j)
{
    for (size_t i = 0; i < snap->n_sites; i++) {
        const ls_site_t *st = &snap->sites[i];
        /* The shim lists sites in the order they first allocated, as they are stored here:
         * the i-th site is usually our i-th (the fast path, 10^7 times in the bench). */
        size_t k = i < p->n_sites && p->sites[i].id == st->id ? i : site_index(p, map, cap, st, j); /* may move p->sites */
        ls_site_series_t *s = &p->sites[k];
        s->bytes[j] = (double)st->live_bytes;
        s->count[j] = st->live_count > UINT32_MAX ? UINT32_MAX : (uint32_t)st->live_count;
        s->alloc_count = st->alloc_count;
        s->alloc_bytes = st->alloc_bytes;
        s->free_count = st->free_count;
        if (snap->has_scan) {
            s->direct_bytes = st->direct_bytes;
            s->direct_count = st->direct_count;
            s->indirect_bytes = st->indirect_bytes;
            s->indirect_count = st->indirect_count;
        }
        if (j + 2 == p->n)
            fill_ages(s->age_prev, st);
        if (j + 1 == p->n)
            fill_ages(s->age_last, st);
    }
}

/* The axis: the program's step when it marks steps, else the snapshot's epoch (the number
 * of snapshots before it), the unit the birth epochs are counted in. Steps that never
 * advance or go backwards (a counter reset per phase) cannot carry a rate: then the axis
 * is the snapshot sequence and growth is per snapshot. */
static void choose_axis(ls_proc_series_t *p, double *epoch)
{
    size_t n = p->n;
    int usable = p->marked && n >= 2 && p->step[n - 1] > p->step[0];
    for (size_t j = 1; usable && j < n; j++)
        if (p->step[j] < p->step[j - 1])
            usable = 0;
    if (p->marked && n >= 2 && !usable) {
        p->marked = 0;
        p->steps_unusable = 1;
        p->n_buckets_last = p->n_buckets_prev = 0; /* birth epochs are steps: not this axis */
        for (size_t j = 0; j < n; j++)
            epoch[j] = (double)j;
    }
    for (size_t j = 0; j < n; j++)
        p->x[j] = p->marked ? (double)p->step[j] : epoch[j];
    relative_axis(p, epoch);
}

static int load_process(const ls_process_t *pr, ls_symbolizer_t *sym, ls_proc_series_t *p, char *err, size_t errlen)
{
    size_t n = pr->n_paths, cap = 0, started;
    memset(p, 0, sizeof *p);
    p->n = n;
    p->pid = pr->pid;
    p->x = ls_xcalloc(n, sizeof *p->x);
    p->t_s = ls_xcalloc(n, sizeof *p->t_s);
    p->step = ls_xcalloc(n, sizeof *p->step);
    p->labels = ls_xcalloc(n, sizeof *p->labels);
    p->traced = ls_xcalloc(n, sizeof *p->traced);
    double *epoch = ls_xcalloc(n, sizeof *epoch);
    idmap_t map = {0};
    int rc = 0;
    pthread_t th[MAX_READERS];
    prefetch_t *pf = prefetch_start(pr, th, &started);
    for (size_t j = 0; j < n && rc == 0; j++) {
        ls_snapshot_t snap;
        if (next_snapshot(pr, pf, started, j, &snap, err, errlen) < 0) {
            rc = -1;
            break;
        }
        if (snap.pid != pr->pid) {
            snprintf(err, errlen, "%s: corrupt: its header says pid %llu, its name %llu", pr->paths[j],
                     (unsigned long long)snap.pid, (unsigned long long)pr->pid);
            rc = -1;
        } else {
            fold_header(p, &snap, j, epoch);
            fold_sites(p, &map, &cap, &snap, j);
            if (j + 1 == n)
                symbolize(sym, p, &snap, &map);
        }
        ls_snapshot_free(&snap);
    }
    prefetch_stop(pf, th, started);
    if (rc == 0)
        choose_axis(p, epoch);
    free(epoch);
    free(map.keys);
    free(map.vals);
    if (!p->prog)
        p->prog = ls_xstrdup(pr->prog);
    return rc;
}

static void free_process(ls_proc_series_t *p)
{
    for (size_t k = 0; k < p->n_sites; k++) {
        free(p->sites[k].bytes);
        free(p->sites[k].count);
        free(p->sites[k].frames);
    }
    for (size_t j = 0; j < p->n; j++)
        free(p->labels ? p->labels[j] : NULL);
    free(p->sites);
    free(p->labels);
    free(p->x);
    free(p->x_rel);
    free(p->t_s);
    free(p->step);
    free(p->traced);
    free(p->prog);
    free(p->exe);
}

int ls_series_load(const char *dir, ls_series_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    /* Each snapshot is decoded into a few buffers of megabytes that are freed at once: keep
     * them in the heap rather than fresh mmaps, whose page faults cost as much as decoding. */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    ls_run_t run;
    if (ls_run_open(dir, &run, err, errlen) < 0)
        return -1;
    out->dir = ls_xstrdup(dir);
    out->sym = ls_symbolizer_new();
    out->procs = ls_xcalloc(run.n_procs, sizeof *out->procs);
    for (size_t i = 0; i < run.n_procs; i++) {
        out->n_procs = i + 1;
        if (load_process(&run.procs[i], out->sym, &out->procs[i], err, errlen) < 0) {
            ls_run_free(&run);
            ls_series_free(out);
            return -1;
        }
    }
    ls_run_free(&run);
    return 0;
}

void ls_series_free(ls_series_t *s)
{
    for (size_t i = 0; i < s->n_procs; i++)
        free_process(&s->procs[i]);
    free(s->procs);
    free(s->dir);
    if (s->sym)
        ls_symbolizer_free(s->sym);
    memset(s, 0, sizeof *s);
}

ls_series_view_t ls_series_view(const ls_proc_series_t *p, size_t i)
{
    const ls_site_series_t *s = &p->sites[i];
    ls_series_view_t v = {0};
    v.n = p->n;
    v.x = p->x_rel;
    v.y = s->bytes;
    v.t_s = p->t_s;
    v.marked = p->marked;
    v.last_is_teardown = p->n > 0 && p->labels[p->n - 1] && strcmp(p->labels[p->n - 1], "exit") == 0;
    v.age_last = (ls_age_hist_t){p->n_buckets_last, p->edges_last_rel, s->age_last};
    v.age_prev = (ls_age_hist_t){p->n_buckets_prev, p->edges_prev_rel, s->age_prev};
    return v;
}
