/*
 * writer.c — the snapshot writer (format: docs/format.md) and the worker thread.
 *
 * The writer runs with ls_guard set and never calls the hooked allocator: its buffer
 * is static (guarded by snapshot_lock), its scratch tables come from mmap, its
 * numbers are encoded by hand. Files are written to ".<name>.tmp" (O_EXCL|O_NOFOLLOW,
 * mode 0600) and renamed into place without replacing anything.
 *
 * Locking: snapshot_lock is the outermost shim lock; while holding it the writer takes
 * the modules lock, then pointer-table shard locks one at a time, then the threads lock.
 */
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "leakscope_format.h"
#include "engine.h"
#include "modules.h"
#include "ptrtable.h"
#include "keep.h"   /* issue 11 */
#include "sample.h" /* issue 11 */
#include "scan.h"
#include "sites.h"
#include "writer.h"

_Static_assert(LS_MAX_FRAMES <= LS_FMT_MAX_FRAMES, "more frames than the format holds");
_Static_assert(LS_AGE_BUCKETS <= LS_FMT_MAX_AGE_BUCKETS, "more age buckets than the format holds");

static pthread_mutex_t snapshot_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t seq;                /* files written by this process (names) */
_Atomic uint64_t ls_snapshots_written; /* fork-inherited (epochs) */
static int exit_done;
static int output_failed;

/* ---- a write buffer with a running checksum (leakscope_format.h) ------------------------ */

typedef struct {
    int fd;
    int error; /* errno of the first failed write */
    ls_cksum_t sum;
    size_t used;
    uint8_t data[1 << 16]; /* a multiple of 8: every full flush is whole checksum words */
} writer_t;

static writer_t out;

/* Write out the buffer (its bytes have gone into the checksum already). */
static void w_write(writer_t *w)
{
    size_t off = 0;
    while (off < w->used && !w->error) {
        ssize_t n = write(w->fd, w->data + off, w->used - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            w->error = n < 0 ? errno : EIO;
        else
            off += (size_t)n;
    }
    w->used = 0;
}

static void w_bytes(writer_t *w, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        if (w->used == sizeof w->data) {
            ls_cksum_update(&w->sum, w->data, w->used);
            w_write(w);
        }
        size_t k = sizeof w->data - w->used;
        if (k > n)
            k = n;
        memcpy(w->data + w->used, b, k);
        w->used += k;
        b += k;
        n -= k;
    }
}

static void w_u8(writer_t *w, uint8_t v) { w_bytes(w, &v, 1); }
static void w_u16(writer_t *w, uint16_t v) { uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)}; w_bytes(w, b, 2); }
static void w_u32(writer_t *w, uint32_t v)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    w_bytes(w, b, 4);
}
static void w_u64(writer_t *w, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    w_bytes(w, b, 8);
}
static void w_str16(writer_t *w, const char *s, size_t n)
{
    if (n > LS_FMT_HEADER_STRING_MAX)
        n = LS_FMT_HEADER_STRING_MAX;
    w_u16(w, (uint16_t)n);
    w_bytes(w, s, n);
}
static void w_record(writer_t *w, uint16_t tag, uint64_t len)
{
    w_u16(w, tag);
    w_u32(w, (uint32_t)len);
}

/* ---- aggregation of live allocations per site and birth bucket ------------------ */

typedef struct {
    uint64_t bytes, count;
} pair_t;

typedef struct {
    pair_t *live;   /* per site */
    pair_t *age;    /* per site x LS_AGE_BUCKETS, or NULL when too many sites */
    uint32_t n_sites;
    uint64_t epochs; /* E: buckets cover [0, E) */
    uint32_t buckets;
    uint64_t untracked_bytes, untracked_count;
    /* Sampled snapshot (issue 11): once sampling has been on (`weighted`), every block counts
     * S/p(S) bytes and 1/p(S) blocks at the rate of its class (1 and S for a block traced
     * exactly; counts summed in 1/LS_COUNT_FX units, rounded once per figure); per site, the
     * variance of the live-bytes estimate and the number of live samples. `rate`: the rate
     * in force, or else the sparsest rate a live block was sampled at (0: exact). */
    int weighted;
    uint64_t rate, seen_rate;
    double *var;
    uint64_t *samples;
} aggregate_t;

#define LS_COUNT_FX 1024

static inline uint32_t bucket_of(const aggregate_t *a, uint64_t e)
{
    if (e >= a->epochs)
        return a->buckets - 1;
    return (uint32_t)(((e + 1) * a->buckets + a->epochs - 1) / a->epochs - 1);
}

static void aggregate_entry(const ls_ptr_entry_t *e, void *ctx)
{
    aggregate_t *a = ctx;
    if (e->site >= a->n_sites) { /* a site created after we sized the tables */
        a->untracked_bytes += e->size;
        a->untracked_count++;
        return;
    }
    uint64_t bytes = e->size, count = 1;
    if (a->weighted) { /* issue 11 */
        uint64_t rate = ls_sample_rate_of(e->cls);
        double w = ls_sample_weight(e->size, rate), sw = w * (double)e->size;
        bytes = (uint64_t)llround(sw);
        count = (uint64_t)llround(w * LS_COUNT_FX);
        a->var[e->site] += sw * sw * (1.0 - 1.0 / w);
        a->samples[e->site]++;
        a->seen_rate = rate > a->seen_rate ? rate : a->seen_rate;
    }
    a->live[e->site].bytes += bytes;
    a->live[e->site].count += count;
    if (a->age) {
        pair_t *p = &a->age[(size_t)e->site * LS_AGE_BUCKETS + bucket_of(a, e->epoch)];
        p->bytes += bytes;
        p->count += count;
    }
}

/* Sampled counts back to whole blocks (a block present in the sample counts at least 1). */
static void aggregate_round(aggregate_t *a)
{
    if (!a->weighted)
        return;
    for (uint32_t id = 0; id < a->n_sites; id++) {
        uint64_t fx = a->live[id].count;
        a->live[id].count = fx ? (fx + LS_COUNT_FX / 2) / LS_COUNT_FX + (fx < LS_COUNT_FX / 2) : 0;
        if (!a->age)
            continue;
        uint64_t sum = 0; /* the buckets must add up to the site's count (the reader checks) */
        for (uint32_t b = 0; b < LS_AGE_BUCKETS; b++) {
            pair_t *p = &a->age[(size_t)id * LS_AGE_BUCKETS + b];
            p->count = p->count ? (p->count + LS_COUNT_FX / 2) / LS_COUNT_FX + (p->count < LS_COUNT_FX / 2) : 0;
            sum += p->count;
        }
        a->live[id].count = sum;
    }
}

/* ---- files ---------------------------------------------------------------------- */

static void append(char *dst, size_t cap, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (*len + n >= cap)
        n = cap - 1 - *len;
    memcpy(dst + *len, s, n);
    *len += n;
    dst[*len] = 0;
}

static void append_u64(char *dst, size_t cap, size_t *len, uint64_t v, int width)
{
    char tmp[24];
    int n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n < width)
        tmp[n++] = '0';
    char s[24];
    for (int i = 0; i < n; i++)
        s[i] = tmp[n - 1 - i];
    s[n] = 0;
    append(dst, cap, len, s);
}

/* mkdir -p, each created level 0700. Returns an O_DIRECTORY fd, or -1 with errno set and
 * *step saying which failed ("create" or "open"). */
static int open_out_dir(const char *dir, const char **step)
{
    char path[4096];
    size_t n = strnlen(dir, sizeof path - 1);
    memcpy(path, dir, n);
    path[n] = 0;
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != 0)
            continue;
        char c = path[i];
        path[i] = 0;
        if (mkdir(path, 0700) != 0 && errno != EEXIST) {
            *step = "create";
            return -1;
        }
        path[i] = c;
    }
    *step = "open";
    return ls_fd_move_high(open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), 1);
}

static uint64_t now_ns(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t rss_bytes(void)
{
    char buf[128];
    int fd = ls_fd_move_high(open("/proc/self/statm", O_RDONLY | O_CLOEXEC), 1);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    const char *p = buf;
    while (*p && *p != ' ')
        p++;
    uint64_t pages = 0;
    while (*p == ' ')
        p++;
    while (*p >= '0' && *p <= '9')
        pages = pages * 10 + (uint64_t)(*p++ - '0');
    return pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

static uint64_t start_mono;

/* LEAKS record (docs/format.md): the scan's totals, then the sites with lost blocks. */
static void write_leaks(writer_t *w, const ls_scan_t *scan)
{
    uint32_t n = 0;
    for (uint32_t id = 0; id < scan->n_sites; id++)
        n += scan->per_site[id].direct_count + scan->per_site[id].indirect_count != 0;
    w_record(w, LS_TAG_LEAKS, LS_FMT_LEAKS_FIXED + (uint64_t)LS_FMT_LEAKS_ENTRY_LEN * n);
    w_u64(w, scan->blocks);
    w_u64(w, scan->heap_bytes);
    w_u64(w, scan->root_bytes);
    w_u64(w, scan->threads);
    w_u64(w, scan->duration_ns);
    w_u32(w, n);
    for (uint32_t id = 0; id < scan->n_sites; id++) {
        const ls_leak_figures_t *f = &scan->per_site[id];
        if (f->direct_count + f->indirect_count == 0)
            continue;
        w_u32(w, id);
        w_u64(w, f->direct_bytes);
        w_u64(w, f->direct_count);
        w_u64(w, f->indirect_bytes);
        w_u64(w, f->indirect_count);
    }
}

/* SAMPLING record (issue 11, docs/format.md): the rate, then per site its live samples,
 * the samples taken since start (raw_allocs) and the standard deviation of live_bytes. */
static void write_sampling(writer_t *w, const aggregate_t *a, const ls_site_counters_t *raw)
{
    uint32_t n = 0;
    for (uint32_t id = 0; id < a->n_sites; id++)
        n += ls_site_by_id(id) != NULL;
    w_record(w, LS_TAG_SAMPLING, LS_FMT_SAMPLING_FIXED + (uint64_t)LS_FMT_SAMPLING_ENTRY_LEN * n);
    w_u64(w, a->rate);
    w_u64(w, ls_sample_seed());
    w_u64(w, ls_sample_changed() ? LS_FMT_SAMPLING_RATE_CHANGED : 0u);
    w_u32(w, n);
    for (uint32_t id = 0; id < a->n_sites; id++) {
        if (!ls_site_by_id(id))
            continue;
        w_u32(w, id);
        w_u64(w, a->samples[id]);
        w_u64(w, raw[id].alloc_count);
        w_u64(w, (uint64_t)llround(sqrt(a->var[id])));
    }
}

/* Sampled snapshot: the per-site totals become the sampler's estimates (raw keeps the
 * sample counts for the SAMPLING record); the peak is the highest estimate written. */
static void estimate_totals(const aggregate_t *a, ls_site_counters_t *tot, ls_site_counters_t *raw)
{
    for (uint32_t id = 0; id < a->n_sites; id++) {
        raw[id] = tot[id];
        ls_sample_site_totals(id, &tot[id].alloc_count, &tot[id].alloc_bytes, &tot[id].free_count);
        if (tot[id].alloc_count < a->live[id].count + tot[id].free_count) /* blocks from before sampling */
            tot[id].alloc_count = a->live[id].count + tot[id].free_count;
    }
}

/* Write the snapshot body to out.fd. Called with snapshot_lock held. */
static void write_body(const char *label, uint64_t this_seq)
{
    writer_t *w = &out;
    ls_scan_t scan; /* issue 13: the scan runs first, while nothing else holds the tables */
    int scanned = !ls_sample_ever() && ls_scan_wanted(label) && ls_scan_run(&scan) == 0; /* issue 11: no scan once sampled */
    ls_cksum_init(&w->sum);
    w->used = 0;
    w->error = 0;

    uint64_t step, is_marked, untr_count, untr_bytes, current, peak, allocs, frees;
    ls_engine_header_figures(&step, &is_marked, &untr_count, &untr_bytes);
    uint64_t epoch = ls_engine_epoch();

    aggregate_t a = {0};
    a.n_sites = ls_sites_count();
    uint64_t e32 = epoch > UINT32_MAX - 1 ? UINT32_MAX - 1 : epoch;
    a.epochs = e32 + 1;
    a.buckets = a.epochs < LS_AGE_BUCKETS ? (uint32_t)a.epochs : LS_AGE_BUCKETS;
    size_t live_sz = ((size_t)a.n_sites + 1) * sizeof(pair_t);
    size_t age_sz = ((size_t)a.n_sites + 1) * LS_AGE_BUCKETS * sizeof(pair_t);
    a.live = ls_pages_alloc(live_sz);
    a.age = a.n_sites <= 262144 ? ls_pages_alloc(age_sz) : NULL;
    a.weighted = ls_sample_ever(); /* issue 11 */
    size_t smp_sz = a.weighted ? ((size_t)a.n_sites + 1) * (sizeof(double) + sizeof(uint64_t) + sizeof(ls_site_counters_t)) : 0;
    char *smp = a.weighted ? ls_pages_alloc(smp_sz) : NULL;
    if (a.weighted && smp) {
        a.var = (double *)smp;
        a.samples = (uint64_t *)(a.var + a.n_sites + 1);
    }
    if (!a.live || (a.weighted && !smp)) {
        ls_pages_free(smp, smp_sz);
        ls_pages_free(a.live, live_sz);
        if (scanned)
            ls_scan_free(&scan);
        w->error = ENOMEM;
        ls_pages_free(a.age, age_sz);
        return;
    }
    ls_ptr_foreach(aggregate_entry, &a);
    aggregate_round(&a);
    a.rate = atomic_load(&ls_sample_rate);
    a.rate = a.rate ? a.rate : a.seen_rate; /* sampling off, blocks sampled before still live */
    /* The header's figures are sums over the same walk and counters as the SITE records,
     * so a snapshot agrees with itself even while other threads allocate. */
    size_t tot_sz = ((size_t)a.n_sites + 1) * sizeof(ls_site_counters_t);
    ls_site_counters_t *tot = ls_pages_alloc(tot_sz);
    if (!tot) {
        if (scanned)
            ls_scan_free(&scan);
        w->error = ENOMEM;
        ls_pages_free(smp, smp_sz);
        ls_pages_free(a.live, live_sz);
        ls_pages_free(a.age, age_sz);
        return;
    }
    ls_site_counters_t *raw = a.weighted ? (ls_site_counters_t *)(a.samples + a.n_sites + 1) : NULL;
    for (uint32_t id = 0; id < a.n_sites; id++)
        ls_site_totals(id, &tot[id]);
    if (a.weighted) /* once sampled, the totals since start are the sampler's estimates */
        estimate_totals(&a, tot, raw);
    current = allocs = frees = 0;
    for (uint32_t id = 0; id < a.n_sites; id++) {
        current += a.live[id].bytes;
        allocs += tot[id].alloc_count;
        frees += tot[id].free_count;
    }
    uint64_t counted_current;
    ls_engine_traced(&counted_current, &peak);
    static uint64_t sampled_peak; /* issue 11: under snapshot_lock */
    if (a.rate) /* the traced peak counts samples, not estimates: the highest estimate seen */
        peak = sampled_peak = sampled_peak > current ? sampled_peak : current;
    if (peak < current)
        peak = current;
    untr_count += a.untracked_count;
    untr_bytes += a.untracked_bytes;

    /* preamble */
    w_bytes(w, LS_FMT_MAGIC, LS_FMT_MAGIC_LEN);
    w_u32(w, LS_FMT_VERSION);
    w_u32(w, 0);

    /* HEADER */
    char lab[40];
    ls_sanitise_label(lab, sizeof lab, label);
    size_t lab_len = strlen(lab), prog_len = strlen(ls_config.prog), exe_len = strnlen(ls_config.exe, LS_FMT_HEADER_STRING_MAX);
    w_record(w, LS_TAG_HEADER, LS_FMT_HEADER_FIXED + LS_FMT_HEADER_STRINGS * LS_FMT_HEADER_STRLEN + lab_len + prog_len + exe_len);
    w_u64(w, (uint64_t)getpid());
    w_u64(w, (uint64_t)getppid());
    w_u64(w, this_seq);
    w_u64(w, step);
    w_u64(w, is_marked);
    w_u64(w, epoch);
    w_u64(w, now_ns(CLOCK_REALTIME));
    w_u64(w, now_ns(CLOCK_MONOTONIC));
    w_u64(w, start_mono);
    w_u64(w, rss_bytes());
    w_u64(w, current);
    w_u64(w, peak);
    w_u64(w, allocs);
    w_u64(w, frees);
    w_u64(w, ls_config.frames);
    w_u64(w, (atomic_load(&ls_state) == LS_DISABLED ? LS_FMT_STATE_STOPPED : 0u) | (untr_count ? LS_FMT_STATE_UNTRACKED : 0u) |
                 (a.rate ? LS_FMT_STATE_SAMPLED : 0u));
    w_u64(w, untr_count);
    w_u64(w, untr_bytes);
    w_str16(w, lab, lab_len);
    w_str16(w, ls_config.prog, prog_len);
    w_str16(w, ls_config.exe, exe_len);

    /* MODULE records */
    ls_modules_refresh();
    ls_modules_lock();
    for (ls_module_t *m = ls_modules_list(); m; m = m->next) {
        w_record(w, LS_TAG_MODULE, LS_FMT_MODULE_FIXED + LS_FMT_MODULE_STRLENS + m->build_id_len + m->path_len);
        w_u64(w, m->start);
        w_u64(w, m->end);
        w_u64(w, m->bias);
        w_u64(w, m->flags);
        w_u8(w, m->build_id_len);
        w_bytes(w, m->build_id, m->build_id_len);
        w_u16(w, m->path_len);
        w_bytes(w, m->path, m->path_len);
    }
    ls_modules_unlock();

    /* AGE_EDGES */
    w_record(w, LS_TAG_AGE_EDGES, LS_FMT_AGE_EDGES_FIXED + 8ull * (a.buckets + 1));
    w_u32(w, a.buckets + 1);
    for (uint32_t i = 0; i <= a.buckets; i++)
        w_u64(w, i * a.epochs / a.buckets);

    /* SITE records */
    for (uint32_t id = 0; id < a.n_sites; id++) {
        ls_site_t *s = ls_site_by_id(id);
        if (!s)
            continue;
        uint16_t nage = 0;
        const pair_t *age = a.age ? &a.age[(size_t)id * LS_AGE_BUCKETS] : NULL;
        for (uint32_t b = 0; age && b < a.buckets; b++)
            nage += age[b].count != 0;
        w_record(w, LS_TAG_SITE, LS_FMT_SITE_FIXED + (size_t)LS_FMT_FRAME_LEN * s->nframes + (size_t)LS_FMT_AGE_ENTRY_LEN * nage);
        w_u32(w, id);
        w_u16(w, s->nframes);
        w_u16(w, nage);
        w_u64(w, a.live[id].bytes);
        w_u64(w, a.live[id].count);
        w_u64(w, tot[id].alloc_count);
        w_u64(w, tot[id].alloc_bytes);
        w_u64(w, tot[id].free_count);
        for (unsigned f = 0; f < s->nframes; f++)
            w_u64(w, s->frames[f]);
        for (uint32_t b = 0; age && b < a.buckets; b++) {
            if (!age[b].count)
                continue;
            w_u16(w, (uint16_t)b);
            w_u64(w, age[b].bytes);
            w_u64(w, age[b].count);
        }
    }

    if (a.rate) /* issue 11 */
        write_sampling(w, &a, raw);

    if (scanned) { /* issue 13 */
        write_leaks(w, &scan);
        ls_scan_free(&scan);
    }

    /* END */
    ls_cksum_update(&w->sum, w->data, w->used); /* every byte before END's tag */
    uint64_t sum = ls_cksum_final(&w->sum);
    w_record(w, LS_TAG_END, LS_FMT_END_LEN);
    w_u64(w, a.n_sites);
    w_u64(w, sum);
    w_write(w);
    ls_pages_free(a.live, live_sz);
    ls_pages_free(a.age, age_sz);
    ls_pages_free(tot, tot_sz);
    ls_pages_free(smp, smp_sz);
}

static void report_output_failure(const char *what, int err)
{
    if (output_failed)
        return;
    output_failed = 1;
    char why[640];
    int n = snprintf(why, sizeof why, "cannot %s snapshot in %.400s: %s", what, ls_config.out_dir, strerror(err));
    /* A process that changed user (a server's workers, dropped from root) cannot write where
     * its parent made the directory, mode 0700: say who it is, whose the directory is, and
     * what lets it write there. */
    struct stat st;
    unsigned me = (unsigned)geteuid();
    if ((err == EACCES || err == EPERM) && n > 0 && (size_t)n < sizeof why) {
        if (stat(ls_config.out_dir, &st) == 0 && st.st_uid != me)
            snprintf(why + n, sizeof why - (size_t)n,
                     " (as uid %u; the directory is uid %u's: make it beforehand, writable by uid %u,"
                     " e.g. mode 1777)", me, (unsigned)st.st_uid, me);
        else
            snprintf(why + n, sizeof why - (size_t)n, " (as uid %u)", me);
    }
    ls_engine_fail(why);
}

/* Write one snapshot file. Called with snapshot_lock held and ls_guard set. */
static int take_locked(const char *label)
{
    if (output_failed || exit_done)
        return -1;
    const char *step = "open";
    int dfd = open_out_dir(ls_config.out_dir, &step);
    if (dfd < 0) {
        int err = errno;
        char what[40];
        snprintf(what, sizeof what, "%s the directory for the", step);
        report_output_failure(what, err);
        return -1;
    }
    char lab[40], name[256], tmp[300];
    ls_sanitise_label(lab, sizeof lab, label);
    uint64_t this_seq = seq + 1;
    size_t tl = 0;
    append(tmp, sizeof tmp, &tl, ".");
    append(tmp, sizeof tmp, &tl, ls_config.prog);
    append(tmp, sizeof tmp, &tl, ".");
    append_u64(tmp, sizeof tmp, &tl, (uint64_t)getpid(), 0);
    append(tmp, sizeof tmp, &tl, ".tmp");
    int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) { /* left by a crashed earlier process of this pid */
        unlinkat(dfd, tmp, 0);
        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    }
    fd = ls_fd_move_high(fd, 1);
    if (fd < 0) {
        int err = errno;
        close(dfd);
        report_output_failure("create a", err);
        return -1;
    }
    out.fd = fd;
    /* Past RLIMIT_FSIZE the kernel sends SIGXFSZ, which would kill the program for our
     * file: hold it blocked while writing and take back the one our write raised (the
     * write itself fails with EFBIG and is reported like any other failure). */
    sigset_t xfsz, old_mask, pending;
    sigemptyset(&xfsz);
    sigaddset(&xfsz, SIGXFSZ);
    pthread_sigmask(SIG_BLOCK, &xfsz, &old_mask);
    int had_xfsz = sigpending(&pending) == 0 && sigismember(&pending, SIGXFSZ);
    write_body(label, this_seq);
    if (!had_xfsz && out.error == EFBIG) {
        struct timespec none = {0, 0};
        sigtimedwait(&xfsz, NULL, &none);
    }
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    int err = out.error;
    if (close(fd) != 0 && !err)
        err = errno;
    if (err) {
        unlinkat(dfd, tmp, 0);
        close(dfd);
        report_output_failure("write a", err);
        return -1;
    }
    /* Never replace a file: an earlier process with the same pid may have left one. */
    for (int attempt = 0; attempt < 1000; attempt++, this_seq++) {
        size_t nl = 0;
        append(name, sizeof name, &nl, ls_config.prog);
        append(name, sizeof name, &nl, ".");
        append_u64(name, sizeof name, &nl, (uint64_t)getpid(), 0);
        append(name, sizeof name, &nl, ".");
        append_u64(name, sizeof name, &nl, this_seq, 6);
        append(name, sizeof name, &nl, ".");
        append(name, sizeof name, &nl, lab);
        append(name, sizeof name, &nl, ".lss");
        int r = renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE);
        if (r != 0 && (errno == EINVAL || errno == ENOSYS)) { /* no NOREPLACE on this fs */
            r = linkat(dfd, tmp, dfd, name, 0);
            if (r == 0)
                unlinkat(dfd, tmp, 0);
        }
        if (r == 0) {
            seq = this_seq;
            atomic_fetch_add(&ls_snapshots_written, 1);
            ls_keep_after_write(dfd, ls_config.prog, (uint64_t)getpid()); /* issue 11 */
            close(dfd);
            return 0;
        }
        if (errno != EEXIST)
            break;
    }
    err = errno;
    unlinkat(dfd, tmp, 0);
    close(dfd);
    report_output_failure("name a", err);
    return -1;
}

/* Writing runs with cancellation disabled: open() and write() are cancellation points,
 * and a thread cancelled in the middle would leave snapshot_lock held for ever. */
int ls_snapshot_take(const char *label)
{
    if (atomic_load(&ls_state) != LS_READY)
        return -1;
    int cancel;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
    ls_guard++;
    pthread_mutex_lock(&snapshot_lock);
    int r = take_locked(label);
    pthread_mutex_unlock(&snapshot_lock);
    ls_engine_drain_deferred();
    ls_guard--;
    pthread_setcancelstate(cancel, NULL);
    return r;
}

void ls_snapshot_exit(void)
{
    int cancel;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
    pthread_mutex_lock(&snapshot_lock);
    if (!exit_done) {
        take_locked("exit");
        exit_done = 1;
    }
    pthread_mutex_unlock(&snapshot_lock);
    pthread_setcancelstate(cancel, NULL);
}

void ls_snapshot_lock(void)
{
    pthread_mutex_lock(&snapshot_lock);
}

void ls_snapshot_unlock(void)
{
    pthread_mutex_unlock(&snapshot_lock);
}

void ls_snapshot_init(void)
{
    start_mono = now_ns(CLOCK_MONOTONIC);
}

/* ---- the worker: snapshots on LEAKSCOPE_SIGNAL and on the timer ------------------ */

static sem_t wake;
static atomic_int signal_pending;
static atomic_int worker_running;

static void on_snapshot_signal(int sig)
{
    (void)sig;
    int saved = errno;
    atomic_store(&signal_pending, 1);
    sem_post(&wake); /* async-signal-safe */
    errno = saved;
}

static void *worker_main(void *arg)
{
    (void)arg;
    ls_guard = 1; /* whatever this thread does is the shim's own */
    /* A descriptor table of its own: what this thread opens can never take a number the
     * program is about to dup2() onto, nor shift the numbers the program gets. It keeps no
     * copy of the program's descriptors — a copy would hold the program's pipes open after
     * the program closed them (a daemon's caller waiting for EOF would wait for ever) — so
     * its messages are held and said by the program's threads (ls_log_flush_held). */
    if (unshare(CLONE_FILES) == 0) {
        ls_log_hold = 1;
        if (close_range(0, ~0u, 0) != 0) { /* a kernel before 5.9 */
            struct rlimit rl;
            int top = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;
            for (int fd = 0; fd < top; fd++)
                close(fd);
        }
    }
    uint64_t interval_ns = ls_config.interval_ms * 1000000ull;
    uint64_t next = now_ns(CLOCK_MONOTONIC) + interval_ns;
    for (;;) {
        int timed_out = 0;
        if (interval_ns) {
            struct timespec ts = {(time_t)(next / 1000000000ull), (long)(next % 1000000000ull)};
            if (sem_clockwait(&wake, CLOCK_MONOTONIC, &ts) != 0)
                timed_out = errno == ETIMEDOUT;
        } else if (sem_wait(&wake) != 0) {
            continue;
        }
        if (atomic_load(&ls_state) != LS_READY)
            break;
        if (atomic_exchange(&signal_pending, 0))
            ls_snapshot_take("signal");
        if (timed_out || (interval_ns && now_ns(CLOCK_MONOTONIC) >= next)) {
            ls_snapshot_take("timer");
            uint64_t now = now_ns(CLOCK_MONOTONIC);
            do
                next += interval_ns;
            while (next <= now);
        }
        /* Frees this thread made inside a snapshot (level 2 here) were queued: this thread
         * runs with every signal blocked, so at its own level 1 nothing lies below. */
        ls_engine_drain_deferred();
    }
    atomic_store(&worker_running, 0);
    return NULL;
}

/* Install the LEAKSCOPE_SIGNAL handler, unless the signal already has a disposition of
 * someone else's (a library's constructor ran first, or the signal was inherited as
 * ignored, nohup-style): taking it over would change what the program does. */
static void install_signal_handler(void)
{
    struct sigaction old, sa;
    if (sigaction(ls_config.signal, NULL, &old) != 0)
        return;
    int taken = (old.sa_flags & SA_SIGINFO) ? old.sa_sigaction != NULL : old.sa_handler != SIG_DFL;
    if (taken) {
        /* Inherited as ignored (nohup, `trap '' SIG`): every process of a build would say
         * so, so it is silent; a handler already installed (a library's constructor) is rare
         * and worth one line. */
        if ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_IGN)
            ls_log("LEAKSCOPE_SIGNAL: signal %d is already handled in this process; signal snapshots are off",
                   ls_config.signal);
        return;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_snapshot_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(ls_config.signal, &sa, NULL);
}

void ls_snapshot_start_worker(int install_handler)
{
    if (atomic_load(&ls_state) != LS_READY || (!ls_config.signal && !ls_config.interval_ms))
        return;
    if (atomic_exchange(&worker_running, 1))
        return;
    ls_guard++;
    sem_init(&wake, 0, 0);
    if (ls_config.signal && install_handler)
        install_signal_handler();
    /* The worker blocks every signal, so the program's signals keep going to its own
     * threads exactly as before. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t tid;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    int r = pthread_create(&tid, &attr, worker_main, NULL);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r != 0) {
        atomic_store(&worker_running, 0);
        ls_log("cannot start its snapshot thread (%s); timer and signal snapshots are off", strerror(r));
    } else {
        pthread_setname_np(tid, "leakscope");
    }
    ls_guard--;
}

void ls_snapshot_after_fork(void)
{
    seq = 0;
    exit_done = 0;
    atomic_store(&worker_running, 0);
    atomic_store(&signal_pending, 0);
    ls_snapshot_start_worker(0); /* dispositions survive fork: the handler is the parent's choice */
}
