/*
 * snapshot_write.c — the analyzer-side encoder of docs/format.md (defined once in
 * include/leakscope_format.h), for tests, synthetic fixtures, benchmarks and fuzzing seeds. (The shim has its own writer, which must not
 * allocate; this one builds the file in memory and renames it into place.)
 */
#include "snapshot.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leakscope_format.h"
#include "util.h"

typedef struct {
    uint8_t *p;
} cur_t;

static void put8(cur_t *c, uint8_t v) { *c->p++ = v; }
static void put16(cur_t *c, uint16_t v)
{
    v = htole16(v);
    memcpy(c->p, &v, 2);
    c->p += 2;
}
static void put32(cur_t *c, uint32_t v)
{
    v = htole32(v);
    memcpy(c->p, &v, 4);
    c->p += 4;
}
static void put64(cur_t *c, uint64_t v)
{
    v = htole64(v);
    memcpy(c->p, &v, 8);
    c->p += 8;
}
static void putbytes(cur_t *c, const void *s, size_t n)
{
    if (n)
        memcpy(c->p, s, n);
    c->p += n;
}
/* Starts a record; returns where its length goes (patched by end_record). */
static uint8_t *begin_record(cur_t *c, uint16_t tag)
{
    put16(c, tag);
    uint8_t *lenp = c->p;
    put32(c, 0);
    return lenp;
}
static void end_record(cur_t *c, uint8_t *lenp)
{
    uint32_t n = htole32((uint32_t)(c->p - lenp - 4));
    memcpy(lenp, &n, 4);
}

__attribute__((format(printf, 4, 5)))
static int werr(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
    if (err && errlen) {
        int n = snprintf(err, errlen, "%s: ", path);
        if (n >= 0 && (size_t)n < errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return -1;
}

static size_t slen(const char *s) { return s ? strlen(s) : 0; }

/* The edges the shim uses when a snapshot gives none: [0, epoch + 1) cut into at most
 * 32 buckets of equal width (one per epoch while epoch + 1 <= 32). */
static size_t default_edges(uint64_t epoch, uint64_t edges[LS_MAX_AGE_BUCKETS + 1])
{
    uint64_t span = epoch + 1;
    uint64_t w = span <= LS_MAX_AGE_BUCKETS ? 1 : (span + LS_MAX_AGE_BUCKETS - 1) / LS_MAX_AGE_BUCKETS;
    size_t n = 0;
    for (uint64_t e = 0; e < span; e += w)
        edges[n++] = e;
    edges[n++] = span;
    return n;
}

/* Checks what the reader checks, so a fixture fails here with a clear message rather
 * than later as "corrupt". */
static int validate(const char *path, const ls_snapshot_t *s, size_t n_edges, const uint64_t *edges,
                    char *err, size_t errlen)
{
    if (slen(s->label) > LS_FMT_HEADER_STRING_MAX)
        return werr(err, errlen, path, "cannot write: label longer than %d bytes", LS_FMT_HEADER_STRING_MAX);
    if (slen(s->prog) > 65535 || slen(s->exe) > 65535)
        return werr(err, errlen, path, "cannot write: prog or exe longer than 65535 bytes");
    if (n_edges < 2 || n_edges > LS_MAX_AGE_BUCKETS + 1)
        return werr(err, errlen, path, "cannot write: %zu age edges (2..33)", n_edges);
    for (size_t i = 1; i < n_edges; i++)
        if (edges[i] <= edges[i - 1])
            return werr(err, errlen, path, "cannot write: age edges not strictly increasing");
    for (size_t i = 0; i < s->n_modules; i++) {
        if (s->modules[i].build_id_len > LS_FMT_BUILD_ID_MAX)
            return werr(err, errlen, path, "cannot write: module %zu: build-id longer than %d bytes", i,
                        LS_FMT_BUILD_ID_MAX);
        if (slen(s->modules[i].path) > 65535)
            return werr(err, errlen, path, "cannot write: module %zu: path too long", i);
    }
    for (size_t i = 0; i < s->n_sites; i++) {
        const ls_site_t *st = &s->sites[i];
        if (st->nframes < 1 || st->nframes > LS_MAX_FRAMES)
            return werr(err, errlen, path, "cannot write: site %zu has %u frames (1..%d)", i,
                        st->nframes, LS_MAX_FRAMES);
        if (st->nage > n_edges - 1)
            return werr(err, errlen, path, "cannot write: site %zu has %u age entries for %zu buckets",
                        i, st->nage, n_edges - 1);
        uint64_t b = 0, c = 0;
        for (unsigned k = 0; k < st->nage; k++) {
            if (st->age[k].bucket >= n_edges - 1 || (k && st->age[k].bucket <= st->age[k - 1].bucket))
                return werr(err, errlen, path,
                            "cannot write: site %zu: age buckets out of order or range", i);
            b += st->age[k].bytes;
            c += st->age[k].count;
        }
        if (b != st->live_bytes || c != st->live_count)
            return werr(err, errlen, path,
                        "cannot write: site %zu: age entries sum to %llu bytes/%llu allocations, "
                        "live is %llu/%llu",
                        i, (unsigned long long)b, (unsigned long long)c,
                        (unsigned long long)st->live_bytes, (unsigned long long)st->live_count);
    }
    return 0;
}

/* Issue 13: the LEAKS record, when the snapshot carries a scan (sites with lost blocks). */
static size_t leaks_size(const ls_snapshot_t *s)
{
    size_t n = 0;
    for (size_t i = 0; s->has_scan && i < s->n_sites; i++)
        n += s->sites[i].direct_count + s->sites[i].indirect_count != 0;
    return s->has_scan ? LS_FMT_RECHDR_LEN + LS_FMT_LEAKS_FIXED + LS_FMT_LEAKS_ENTRY_LEN * n : 0;
}

static void put_leaks(cur_t *c, const ls_snapshot_t *s)
{
    if (!s->has_scan)
        return;
    uint8_t *r = begin_record(c, LS_TAG_LEAKS);
    const uint64_t totals[LS_FMT_LEAKS_TOTALS] = {s->scan_blocks, s->scan_heap_bytes, s->scan_root_bytes,
                                s->scan_threads, s->scan_ns};
    for (int i = 0; i < LS_FMT_LEAKS_TOTALS; i++)
        put64(c, totals[i]);
    put32(c, (uint32_t)((leaks_size(s) - LS_FMT_RECHDR_LEN - LS_FMT_LEAKS_FIXED) / LS_FMT_LEAKS_ENTRY_LEN));
    for (size_t i = 0; i < s->n_sites; i++) {
        const ls_site_t *st = &s->sites[i];
        if (st->direct_count + st->indirect_count == 0)
            continue;
        put32(c, st->id);
        put64(c, st->direct_bytes);
        put64(c, st->direct_count);
        put64(c, st->indirect_bytes);
        put64(c, st->indirect_count);
    }
    end_record(c, r);
}

/* Issue 11: the SAMPLING record, when the snapshot is written as sampled. */
static size_t sampling_size(const ls_snapshot_sampling_t *smp)
{
    return smp ? LS_FMT_RECHDR_LEN + LS_FMT_SAMPLING_FIXED + LS_FMT_SAMPLING_ENTRY_LEN * smp->n : 0;
}

static void put_sampling(cur_t *c, const ls_snapshot_sampling_t *smp)
{
    if (!smp)
        return;
    uint8_t *r = begin_record(c, LS_TAG_SAMPLING);
    put64(c, smp->rate);
    put64(c, smp->seed);
    put64(c, smp->flags);
    put32(c, (uint32_t)smp->n);
    for (size_t i = 0; i < smp->n; i++) {
        put32(c, smp->sites[i].id);
        put64(c, smp->sites[i].live_samples);
        put64(c, smp->sites[i].samples);
        put64(c, smp->sites[i].live_bytes_sd);
    }
    end_record(c, r);
}

/* The bytes encode() writes. */
static size_t encoded_size(const ls_snapshot_t *s, size_t n_edges, const ls_snapshot_sampling_t *smp)
{
    size_t size = LS_FMT_PREAMBLE_LEN + LS_FMT_RECHDR_LEN + LS_FMT_HEADER_FIXED +
                  LS_FMT_HEADER_STRINGS * LS_FMT_HEADER_STRLEN + slen(s->label) + slen(s->prog) + slen(s->exe);
    for (size_t i = 0; i < s->n_modules; i++)
        size += LS_FMT_RECHDR_LEN + LS_FMT_MODULE_FIXED + LS_FMT_MODULE_STRLENS + s->modules[i].build_id_len +
                slen(s->modules[i].path);
    size += LS_FMT_RECHDR_LEN + LS_FMT_AGE_EDGES_FIXED + 8 * n_edges;
    for (size_t i = 0; i < s->n_sites; i++)
        size += LS_FMT_RECHDR_LEN + LS_FMT_SITE_FIXED + LS_FMT_FRAME_LEN * (size_t)s->sites[i].nframes +
                LS_FMT_AGE_ENTRY_LEN * (size_t)s->sites[i].nage;
    size += sampling_size(smp) + leaks_size(s);
    return size + LS_FMT_RECHDR_LEN + LS_FMT_END_LEN;
}

/* The HEADER record; state_flags gets the sampled bit (4) when `sampled`. */
static void put_header(cur_t *c, const ls_snapshot_t *s, int sampled)
{
    uint8_t *r = begin_record(c, LS_TAG_HEADER);
    const uint64_t hv[LS_FMT_HEADER_U64S] = {s->pid, s->ppid, s->seq, s->step, s->marked, s->epoch, s->time_ns,
                             s->mono_ns, s->start_mono_ns, s->rss_bytes, s->traced_current,
                             s->traced_peak, s->alloc_calls, s->free_calls, s->frames_max,
                             s->state_flags | (sampled ? LS_FMT_STATE_SAMPLED : 0u),
                             s->untracked_count, s->untracked_bytes};
    for (int i = 0; i < LS_FMT_HEADER_U64S; i++)
        put64(c, hv[i]);
    const char *strs[LS_FMT_HEADER_STRINGS] = {s->label, s->prog, s->exe};
    for (int i = 0; i < LS_FMT_HEADER_STRINGS; i++) {
        put16(c, (uint16_t)slen(strs[i]));
        putbytes(c, strs[i], slen(strs[i]));
    }
    end_record(c, r);
}

static void put_module(cur_t *c, const ls_module_t *m)
{
    uint8_t *r = begin_record(c, LS_TAG_MODULE);
    put64(c, m->start);
    put64(c, m->end);
    put64(c, m->bias);
    put64(c, m->flags);
    put8(c, (uint8_t)m->build_id_len);
    putbytes(c, m->build_id, m->build_id_len);
    put16(c, (uint16_t)slen(m->path));
    putbytes(c, m->path, slen(m->path));
    end_record(c, r);
}

static void put_age_edges(cur_t *c, size_t n_edges, const uint64_t *edges)
{
    uint8_t *r = begin_record(c, LS_TAG_AGE_EDGES);
    put32(c, (uint32_t)n_edges);
    for (size_t i = 0; i < n_edges; i++)
        put64(c, edges[i]);
    end_record(c, r);
}

static void put_site(cur_t *c, const ls_site_t *st)
{
    uint8_t *r = begin_record(c, LS_TAG_SITE);
    put32(c, st->id);
    put16(c, st->nframes);
    put16(c, st->nage);
    put64(c, st->live_bytes);
    put64(c, st->live_count);
    put64(c, st->alloc_count);
    put64(c, st->alloc_bytes);
    put64(c, st->free_count);
    for (unsigned k = 0; k < st->nframes; k++)
        put64(c, st->frames[k]);
    for (unsigned k = 0; k < st->nage; k++) {
        put16(c, st->age[k].bucket);
        put64(c, st->age[k].bytes);
        put64(c, st->age[k].count);
    }
    end_record(c, r);
}

/* END: the checksum covers every byte before this record's tag. */
static void put_end(cur_t *c, const uint8_t *buf, uint64_t n_sites)
{
    uint64_t h = ls_cksum(buf, (size_t)(c->p - buf));
    uint8_t *r = begin_record(c, LS_TAG_END);
    put64(c, n_sites);
    put64(c, h);
    end_record(c, r);
}

/* Encodes into a malloc'd buffer; the caller has validated. smp: a SAMPLING record, or NULL. */
static uint8_t *encode(const ls_snapshot_t *s, size_t n_edges, const uint64_t *edges,
                       const ls_snapshot_sampling_t *smp, size_t *lenp)
{
    size_t size = encoded_size(s, n_edges, smp);
    uint8_t *buf = ls_xmalloc(size);
    cur_t c = {buf};
    putbytes(&c, LS_FMT_MAGIC, LS_FMT_MAGIC_LEN);
    put32(&c, s->has_scan || smp ? LS_FMT_VERSION : LS_FMT_VERSION_MIN); /* version 1 files stay as they were */
    put32(&c, 0);
    put_header(&c, s, smp != NULL);
    for (size_t i = 0; i < s->n_modules; i++)
        put_module(&c, &s->modules[i]);
    put_age_edges(&c, n_edges, edges);
    for (size_t i = 0; i < s->n_sites; i++)
        put_site(&c, &s->sites[i]);
    put_sampling(&c, smp); /* issue 11, after the SITE records as the shim writes it */
    put_leaks(&c, s);
    put_end(&c, buf, s->n_sites);
    *lenp = (size_t)(c.p - buf);
    return buf;
}

/* Issue 11: what the reader of the SAMPLING record checks (model/sampling.c). */
static int validate_sampling(const char *path, const ls_snapshot_sampling_t *smp, char *err, size_t errlen)
{
    if (!smp)
        return 0;
    if (!smp->rate)
        return werr(err, errlen, path, "cannot write: a sampled snapshot with a rate of 0");
    if (smp->n > UINT32_MAX)
        return werr(err, errlen, path, "cannot write: too many SAMPLING entries");
    for (size_t i = 1; i < smp->n; i++)
        if (smp->sites[i].id <= smp->sites[i - 1].id)
            return werr(err, errlen, path, "cannot write: SAMPLING entries not in increasing site order");
    return 0;
}

/* Writes buf[0..len) to path through a temporary file and a rename. */
static int write_atomically(const char *path, const uint8_t *buf, size_t len, char *err, size_t errlen);

static int write_snapshot(const char *path, const ls_snapshot_t *snap, const ls_snapshot_sampling_t *smp,
                          char *err, size_t errlen)
{
    uint64_t defedges[LS_MAX_AGE_BUCKETS + 1];
    const uint64_t *edges = snap->age_edges;
    size_t n_edges = snap->n_age_edges;
    if (n_edges == 0) {
        n_edges = default_edges(snap->epoch, defedges);
        edges = defedges;
    }
    if (validate(path, snap, n_edges, edges, err, errlen) < 0 || validate_sampling(path, smp, err, errlen) < 0)
        return -1;
    size_t len;
    uint8_t *buf = encode(snap, n_edges, edges, smp, &len);
    int rc = write_atomically(path, buf, len, err, errlen);
    free(buf);
    return rc;
}

/* An empty age-edge list (n_age_edges 0) stands for the shim's default edges for
 * snap->epoch. Everything else is written as given, after the checks the reader makes. */
int ls_snapshot_write(const char *path, const ls_snapshot_t *snap, char *err, size_t errlen)
{
    return write_snapshot(path, snap, NULL, err, errlen);
}

int ls_snapshot_write_sampled(const char *path, const ls_snapshot_t *snap, const ls_snapshot_sampling_t *smp,
                              char *err, size_t errlen)
{
    return write_snapshot(path, snap, smp, err, errlen);
}

/* The shim's weight of a sampled block of `size` bytes at `rate`: 1/p(S), p(S) = 1 - e^(-S/R)
 * (shim/sample.c, ls_sample_weight). */
static double sample_weight(uint64_t size, uint64_t rate)
{
    double p = -expm1(-(double)size / (double)rate);
    return p > 0 ? 1.0 / p : (double)rate;
}

void ls_snapshot_sample_estimate(const uint64_t *sizes, size_t n, uint64_t rate, uint64_t *live_bytes,
                                 uint64_t *live_count, uint64_t *sd)
{
    uint64_t bytes = 0, fx = 0;
    double var = 0;
    for (size_t i = 0; i < n; i++) {
        double w = sample_weight(sizes[i], rate), sw = w * (double)sizes[i];
        bytes += (uint64_t)llround(sw);
        fx += (uint64_t)llround(w * 1024);
        var += sw * sw * (1.0 - 1.0 / w);
    }
    *live_bytes = bytes;
    *live_count = fx ? (fx + 512) / 1024 + (fx < 512) : 0;
    *sd = (uint64_t)llround(sqrt(var));
}

static int write_atomically(const char *path, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    /* Temporary file beside the target, named like the shim's (".<name>.tmp"), plus
     * our pid so that concurrent writers in one directory do not collide. */
    const char *slash = strrchr(path, '/');
    char *tmp = slash ? ls_xasprintf("%.*s/.%s.%ld.tmp", (int)(slash - path), path, slash + 1, (long)getpid())
                      : ls_xasprintf(".%s.%ld.tmp", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) { /* left over by a crashed writer with our pid */
        unlink(tmp);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    }
    int rc = 0;
    if (fd < 0) {
        rc = werr(err, errlen, path, "cannot write: %s", strerror(errno));
    } else {
        size_t off = 0;
        while (off < len) {
            ssize_t w = write(fd, buf + off, len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                rc = werr(err, errlen, path, "cannot write: %s", w < 0 ? strerror(errno) : "short write");
                break;
            }
            off += (size_t)w;
        }
        if (close(fd) < 0 && rc == 0)
            rc = werr(err, errlen, path, "cannot write: %s", strerror(errno));
        if (rc == 0 && rename(tmp, path) < 0)
            rc = werr(err, errlen, path, "cannot write: %s", strerror(errno));
        if (rc < 0)
            unlink(tmp);
    }
    free(tmp);
    return rc;
}
