/*
 * snapshot.c — reading snapshot files (docs/format.md) and directories of them.
 * ls_snapshot_parse() is also the fuzzing entry point: it trusts nothing in its input,
 * bounds every count by the bytes that remain, and never returns a partial result.
 */
#include "snapshot.h"

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "leakscope_format.h"
#include "util.h"

static const uint8_t magic[LS_FMT_MAGIC_LEN] = LS_FMT_MAGIC;

/* ---- little-endian loads (no alignment assumed) ---------------------------------- */

static inline uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}
static inline uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return le32toh(v);
}
static inline uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return le64toh(v);
}

/* Writes "<name>: <message>" into err and returns -1. */
__attribute__((format(printf, 4, 5)))
static int fail(char *err, size_t errlen, const char *name, const char *fmt, ...)
{
    if (err && errlen) {
        int n = snprintf(err, errlen, "%s: ", name ? name : "(snapshot)");
        if (n < 0)
            n = 0;
        if ((size_t)n < errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return -1;
}

static const char *tag_name(uint16_t tag)
{
    switch (tag) {
    case LS_TAG_HEADER: return "HEADER";
    case LS_TAG_MODULE: return "MODULE";
    case LS_TAG_AGE_EDGES: return "AGE_EDGES";
    case LS_TAG_SITE: return "SITE";
    case LS_TAG_LEAKS: return "LEAKS";
    case LS_TAG_END: return "END";
    default: return "unknown";
    }
}

/* ---- pass 1: framing, order, lengths; counts for the allocation ------------------- */

typedef struct {
    size_t header_off, header_len;  /* payload of HEADER */
    size_t edges_off;               /* payload of AGE_EDGES */
    uint32_t n_edges;
    size_t n_modules, module_str;   /* MODULE records and the bytes of their paths (+NULs) */
    size_t n_sites, n_frames, n_age;
    size_t end_off;                 /* offset of the END record */
    size_t leaks_off;               /* payload offset of the LEAKS record, 0 when none */
    uint64_t end_n_sites;
    uint64_t end_checksum;
} scan_t;

/* A string field: u16 (or u8) length, then bytes, within [*pos, lim). */
static int take_str(const uint8_t *p, size_t lim, size_t *pos, int wide, size_t *len)
{
    size_t w = wide ? 2 : 1;
    if (lim - *pos < w)
        return -1;
    size_t n = wide ? rd16(p + *pos) : p[*pos];
    *pos += w;
    if (lim - *pos < n)
        return -1;
    *len = n;
    *pos += n;
    return 0;
}

/* Validates the HEADER payload's length; the values are read in pass 2. */
static int check_header(const uint8_t *p, size_t len)
{
    size_t pos = LS_FMT_HEADER_FIXED, n;
    if (len < LS_FMT_HEADER_FIXED)
        return -1;
    for (int i = 0; i < 3; i++) { /* label (at most 255 bytes), prog, exe: u16 length + bytes */
        if (take_str(p, len, &pos, 1, &n) < 0)
            return -1;
        if (i == 0 && n > LS_FMT_HEADER_STRING_MAX)
            return -1;
    }
    return pos == len ? 0 : -1;
}

/* Pass 1's state: where it is in the file's record order, and where errors go. */
typedef struct {
    const uint8_t *data;
    size_t len;
    const char *name;
    char *err;
    size_t errlen;
    scan_t *s;
    enum { WANT_HEADER, IN_MODULES, IN_SITES } state;
} scanner_t;

#define SCAN_FAIL(sc, ...) fail((sc)->err, (sc)->errlen, (sc)->name, __VA_ARGS__)

static int scan_header(scanner_t *sc, const uint8_t *p, uint32_t rl)
{
    if (sc->state != WANT_HEADER)
        return SCAN_FAIL(sc, "corrupt: more than one HEADER record");
    if (check_header(p, rl) < 0)
        return SCAN_FAIL(sc, "corrupt: HEADER record has a bad length");
    sc->s->header_off = (size_t)(p - sc->data);
    sc->s->header_len = rl;
    sc->state = IN_MODULES;
    return 0;
}

static int scan_module(scanner_t *sc, const uint8_t *p, uint32_t rl)
{
    scan_t *s = sc->s;
    if (sc->state != IN_MODULES)
        return SCAN_FAIL(sc, "corrupt: MODULE record %s", sc->state == WANT_HEADER ? "before HEADER" : "after AGE_EDGES");
    size_t q = LS_FMT_MODULE_FIXED, bid, path;
    if (rl < LS_FMT_MODULE_FIXED || take_str(p, rl, &q, 0, &bid) < 0 || bid > LS_FMT_BUILD_ID_MAX ||
        take_str(p, rl, &q, 1, &path) < 0 || q != rl)
        return SCAN_FAIL(sc, "corrupt: MODULE record %zu has a bad length", s->n_modules);
    s->n_modules++;
    s->module_str += path + 1;
    return 0;
}

static int scan_age_edges(scanner_t *sc, const uint8_t *p, uint32_t rl)
{
    if (sc->state != IN_MODULES)
        return SCAN_FAIL(sc, "corrupt: AGE_EDGES record %s", sc->state == WANT_HEADER ? "before HEADER" : "repeated");
    uint32_t n = rl >= LS_FMT_AGE_EDGES_FIXED ? rd32(p) : 0;
    if (rl < LS_FMT_AGE_EDGES_FIXED || n < 2 || n > LS_MAX_AGE_BUCKETS + 1 || rl != LS_FMT_AGE_EDGES_FIXED + 8 * (size_t)n)
        return SCAN_FAIL(sc, "corrupt: AGE_EDGES record has a bad count or length");
    sc->s->edges_off = (size_t)(p - sc->data);
    sc->s->n_edges = n;
    sc->state = IN_SITES;
    return 0;
}

static int scan_site(scanner_t *sc, const uint8_t *p, uint32_t rl)
{
    scan_t *s = sc->s;
    if (sc->state != IN_SITES)
        return SCAN_FAIL(sc, "corrupt: SITE record before %s", sc->state == WANT_HEADER ? "HEADER" : "AGE_EDGES");
    if (rl < LS_FMT_SITE_FIXED)
        return SCAN_FAIL(sc, "corrupt: SITE record %zu is too short", s->n_sites);
    unsigned nframes = rd16(p + 4), nage = rd16(p + 6);
    if (nframes < 1 || nframes > LS_MAX_FRAMES)
        return SCAN_FAIL(sc, "corrupt: SITE record %zu has %u frames (1..%d)", s->n_sites, nframes, LS_MAX_FRAMES);
    if (nage > s->n_edges - 1)
        return SCAN_FAIL(sc, "corrupt: SITE record %zu has %u age entries for %u buckets", s->n_sites, nage,
                         s->n_edges - 1);
    if (rl != LS_FMT_SITE_FIXED + LS_FMT_FRAME_LEN * (size_t)nframes + LS_FMT_AGE_ENTRY_LEN * (size_t)nage)
        return SCAN_FAIL(sc, "corrupt: SITE record %zu has a bad length", s->n_sites);
    s->n_sites++;
    s->n_frames += nframes;
    s->n_age += nage;
    return 0;
}

/* issue 13: after the SITE records, at most once */
static int scan_leaks(scanner_t *sc, const uint8_t *p, uint32_t rl)
{
    if (sc->state != IN_SITES || sc->s->leaks_off)
        return SCAN_FAIL(sc, "corrupt: LEAKS record %s", sc->state != IN_SITES ? "before AGE_EDGES" : "repeated");
    if (rl < LS_FMT_LEAKS_FIXED || rl != LS_FMT_LEAKS_FIXED + LS_FMT_LEAKS_ENTRY_LEN * (size_t)rd32(p + LS_FMT_LEAKS_TOTALS * 8))
        return SCAN_FAIL(sc, "corrupt: LEAKS record has a bad length");
    sc->s->leaks_off = (size_t)(p - sc->data);
    return 0;
}

/* The END record at pos; it must close the file. */
static int scan_end(scanner_t *sc, size_t pos, const uint8_t *p, uint32_t rl)
{
    if (sc->state != IN_SITES)
        return SCAN_FAIL(sc, "corrupt: END record before %s", sc->state == WANT_HEADER ? "HEADER" : "AGE_EDGES");
    if (rl != LS_FMT_END_LEN)
        return SCAN_FAIL(sc, "corrupt: END record has a bad length");
    sc->s->end_off = pos;
    sc->s->end_n_sites = rd64(p);
    sc->s->end_checksum = rd64(p + 8);
    if (pos + LS_FMT_RECHDR_LEN + rl != sc->len)
        return SCAN_FAIL(sc, "corrupt: %zu bytes of data after the END record", sc->len - (pos + LS_FMT_RECHDR_LEN + rl));
    return 0;
}

/* Pass 1: checks every record's length and the records' order, and counts what pass 2
 * will decode. 0, or -1 with `err` set. */
static int scan(const uint8_t *data, size_t len, const char *name, scan_t *s, char *err,
                size_t errlen)
{
    scanner_t sc = {data, len, name, err, errlen, s, WANT_HEADER};
    memset(s, 0, sizeof *s);
    for (size_t pos = LS_FMT_PREAMBLE_LEN;; ) {
        if (len - pos < LS_FMT_RECHDR_LEN)
            return fail(err, errlen, name, "truncated (no END record)");
        uint16_t tag = rd16(data + pos);
        uint32_t rl = rd32(data + pos + 2);
        const uint8_t *p = data + pos + LS_FMT_RECHDR_LEN;
        if (rl > len - pos - LS_FMT_RECHDR_LEN)
            return fail(err, errlen, name, "truncated or corrupt: %s record runs past end of file",
                        tag_name(tag));
        int r = 0;
        switch (tag) {
        case LS_TAG_HEADER: r = scan_header(&sc, p, rl); break;
        case LS_TAG_MODULE: r = scan_module(&sc, p, rl); break;
        case LS_TAG_AGE_EDGES: r = scan_age_edges(&sc, p, rl); break;
        case LS_TAG_SITE: r = scan_site(&sc, p, rl); break;
        case LS_TAG_LEAKS: r = scan_leaks(&sc, p, rl); break;
        case LS_TAG_END: return scan_end(&sc, pos, p, rl);
        default: break; /* a record of a later version: skipped, as the format asks */
        }
        if (r < 0)
            return -1;
        pos += LS_FMT_RECHDR_LEN + (size_t)rl;
    }
}

/* ---- pass 2: decoding into one block for sites and one for modules --------------- */

static int cmp_site_id(const void *a, const void *b)
{
    uint32_t x = ((const ls_site_t *)a)->id, y = ((const ls_site_t *)b)->id;
    return x < y ? -1 : x > y;
}

/* The LEAKS record (issue 13): the scan's totals and per-site figures. Returns a fault
 * of content, or NULL. */
static const char *decode_leaks(const uint8_t *p, ls_snapshot_t *o)
{
    o->has_scan = 1;
    o->scan_blocks = rd64(p);
    o->scan_heap_bytes = rd64(p + 8);
    o->scan_root_bytes = rd64(p + 16);
    o->scan_threads = rd64(p + 24);
    o->scan_ns = rd64(p + 32);
    uint32_t n = rd32(p + LS_FMT_LEAKS_TOTALS * 8);
    ls_site_t *by_id = ls_xmalloc((o->n_sites + 1) * sizeof *by_id);
    memcpy(by_id, o->sites, o->n_sites * sizeof *by_id);
    for (size_t i = 0; i < o->n_sites; i++)
        by_id[i].loc = (int)i; /* scratch: index in o->sites */
    qsort(by_id, o->n_sites, sizeof *by_id, cmp_site_id);
    const char *why = NULL;
    for (uint32_t k = 0; k < n && !why; k++) {
        const uint8_t *e = p + LS_FMT_LEAKS_FIXED + LS_FMT_LEAKS_ENTRY_LEN * (size_t)k;
        ls_site_t key = {.id = rd32(e)};
        ls_site_t *hit = bsearch(&key, by_id, o->n_sites, sizeof *by_id, cmp_site_id);
        if (!hit) {
            why = "a LEAKS entry names a site that has no SITE record";
            break;
        }
        ls_site_t *st = &o->sites[hit->loc];
        st->direct_bytes = rd64(e + 4);
        st->direct_count = rd64(e + 12);
        st->indirect_bytes = rd64(e + 20);
        st->indirect_count = rd64(e + 28);
    }
    free(by_id);
    return why;
}

static char *dup_bytes(const uint8_t *p, size_t n)
{
    char *s = ls_xmalloc(n + 1);
    memcpy(s, p, n);
    s[n] = 0;
    return s;
}

static void decode_header(const uint8_t *p, ls_snapshot_t *o)
{
    uint64_t *f[18] = {&o->pid, &o->ppid, &o->seq, &o->step, &o->marked, &o->epoch,
                       &o->time_ns, &o->mono_ns, &o->start_mono_ns, &o->rss_bytes,
                       &o->traced_current, &o->traced_peak, &o->alloc_calls, &o->free_calls,
                       &o->frames_max, &o->state_flags, &o->untracked_count, &o->untracked_bytes};
    for (int i = 0; i < 18; i++)
        *f[i] = rd64(p + 8 * i);
    size_t pos = LS_FMT_HEADER_FIXED;
    char **str[3] = {&o->label, &o->prog, &o->exe};
    for (int i = 0; i < 3; i++) {
        size_t n = rd16(p + pos);
        *str[i] = dup_bytes(p + pos + 2, n);
        pos += 2 + n;
    }
}

/* Rejects a snapshot in which two SITE records carry the same id. Ids are dense in
 * practice (assigned in order), so a bitmap no larger than the file usually does;
 * otherwise the ids are sorted. */
static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int check_unique_ids(const ls_snapshot_t *o, size_t file_len, uint32_t *dup)
{
    uint32_t lo = UINT32_MAX, hi = 0;
    for (size_t i = 0; i < o->n_sites; i++) {
        if (o->sites[i].id < lo)
            lo = o->sites[i].id;
        if (o->sites[i].id > hi)
            hi = o->sites[i].id;
    }
    if (o->n_sites < 2)
        return 0;
    uint64_t span = (uint64_t)hi - lo + 1;
    int bad = 0;
    if (span / 8 <= file_len) {
        uint8_t *bits = ls_xcalloc((size_t)(span / 8 + 1), 1);
        for (size_t i = 0; i < o->n_sites && !bad; i++) {
            uint64_t k = (uint64_t)o->sites[i].id - lo;
            if (bits[k / 8] & (1u << (k % 8)))
                bad = 1, *dup = o->sites[i].id;
            bits[k / 8] |= (uint8_t)(1u << (k % 8));
        }
        free(bits);
    } else {
        uint32_t *ids = ls_xmalloc(o->n_sites * sizeof *ids);
        for (size_t i = 0; i < o->n_sites; i++)
            ids[i] = o->sites[i].id;
        qsort(ids, o->n_sites, sizeof *ids, cmp_u32);
        for (size_t i = 1; i < o->n_sites && !bad; i++)
            if (ids[i] == ids[i - 1])
                bad = 1, *dup = ids[i];
        free(ids);
    }
    return bad ? -1 : 0;
}

/* Memory layout of a parsed snapshot (what ls_snapshot_free releases): `sites` is one
 * block holding the site array, then every site's frames, then every site's age
 * entries; `modules` is one block holding the module array, then the paths; `path`,
 * `label`, `prog`, `exe` and `age_edges` are separate allocations. `info` is not
 * owned by the snapshot (see symbols.c). */
/* The preamble: magic and a version this reader knows. 0, or -1 with `err` set. */
static int check_preamble(const uint8_t *data, size_t len, const char *name, uint32_t *version,
                          char *err, size_t errlen)
{
    if (!data || len == 0)
        return fail(err, errlen, name, "empty file (not a leakscope snapshot)");
    if (len < sizeof magic || memcmp(data, magic, sizeof magic) != 0) {
        if (len < sizeof magic && memcmp(data, magic, len) == 0)
            return fail(err, errlen, name, "truncated (no END record)");
        return fail(err, errlen, name, "not a leakscope snapshot (bad magic)");
    }
    if (len < LS_FMT_PREAMBLE_LEN)
        return fail(err, errlen, name, "truncated (no END record)");
    *version = rd32(data + LS_FMT_MAGIC_LEN);
    if (*version > LS_FORMAT_VERSION)
        return fail(err, errlen, name, "written by a newer leakscope (format version %u, this reads %d)",
                    *version, LS_FORMAT_VERSION);
    if (*version < 1)
        return fail(err, errlen, name, "corrupt: format version 0");
    /* flags (data + 12) are reserved: ignored, so that a later writer may use them. */
    return 0;
}

/* Where pass 2 writes: the module and site blocks, sized by pass 1's counts. */
typedef struct {
    char *mstr;
    uint64_t *frames;
    ls_age_t *ages;
} cursor_t;

/* Allocates the snapshot's arrays from pass 1's counts. Both blocks are bounded by a small
 * multiple of the file's size: every count was checked against record lengths that fit. */
static void alloc_arrays(const uint8_t *data, const scan_t *s, ls_snapshot_t *o, cursor_t *c)
{
    o->n_age_edges = s->n_edges;
    o->age_edges = ls_xmalloc(s->n_edges * sizeof *o->age_edges);
    for (uint32_t i = 0; i < s->n_edges; i++)
        o->age_edges[i] = rd64(data + s->edges_off + LS_FMT_AGE_EDGES_FIXED + 8 * (size_t)i);
    char *mblock = ls_xmalloc(s->n_modules * sizeof(ls_module_t) + s->module_str);
    o->modules = (ls_module_t *)(void *)mblock;
    c->mstr = mblock + s->n_modules * sizeof(ls_module_t);
    char *sblock = ls_xmalloc(s->n_sites * sizeof(ls_site_t) + s->n_frames * sizeof(uint64_t) +
                              s->n_age * sizeof(ls_age_t));
    o->sites = (ls_site_t *)(void *)sblock;
    c->frames = (uint64_t *)(void *)(sblock + s->n_sites * sizeof(ls_site_t));
    c->ages = (ls_age_t *)(void *)(c->frames + s->n_frames);
}

/* One MODULE record; returns a fault of content, or NULL. */
static const char *decode_module(const uint8_t *p, ls_snapshot_t *o, cursor_t *c)
{
    ls_module_t *m = &o->modules[o->n_modules++];
    m->start = rd64(p);
    m->end = rd64(p + 8);
    m->bias = rd64(p + 16);
    m->flags = rd64(p + 24);
    m->build_id_len = p[32];
    memset(m->build_id, 0, sizeof m->build_id);
    memcpy(m->build_id, p + 33, m->build_id_len);
    size_t q = 33 + m->build_id_len, n = rd16(p + q);
    memcpy(c->mstr, p + q + 2, n);
    c->mstr[n] = 0;
    m->path = c->mstr;
    c->mstr += n + 1;
    return m->end < m->start ? "a MODULE ends before it starts" : NULL;
}

/* A SITE's age entries, after its frames at q; returns a fault of content, or NULL. */
static const char *decode_ages(const uint8_t *q, ls_site_t *st, const ls_snapshot_t *o, cursor_t *c)
{
    const char *why = NULL;
    ls_age_t *ages = c->ages;
    uint64_t sum_b = 0, sum_c = 0;
    int prev = -1;
    st->age = ages;
    for (unsigned i = 0; i < st->nage; i++, q += LS_FMT_AGE_ENTRY_LEN) {
        ages[i].bucket = rd16(q);
        ages[i].bytes = rd64(q + 2);
        ages[i].count = rd64(q + 10);
        if ((int)ages[i].bucket <= prev || ages[i].bucket >= o->n_age_edges - 1)
            why = why ? why : "a SITE's age buckets are out of order or out of range";
        prev = ages[i].bucket;
        sum_b += ages[i].bytes;
        sum_c += ages[i].count;
    }
    c->ages += st->nage;
    if ((sum_b != st->live_bytes || sum_c != st->live_count) && !why)
        why = "a SITE's age entries do not add up to its live bytes and count";
    return why;
}

/* One SITE record; returns a fault of content, or NULL. */
static const char *decode_site(const uint8_t *p, ls_snapshot_t *o, cursor_t *c)
{
    ls_site_t *st = &o->sites[o->n_sites++];
    memset(st, 0, sizeof *st);
    st->id = rd32(p);
    st->nframes = rd16(p + 4);
    st->nage = rd16(p + 6);
    st->live_bytes = rd64(p + 8);
    st->live_count = rd64(p + 16);
    st->alloc_count = rd64(p + 24);
    st->alloc_bytes = rd64(p + 32);
    st->free_count = rd64(p + 40);
    st->frames = c->frames;
    const uint8_t *q = p + LS_FMT_SITE_FIXED;
    for (unsigned i = 0; i < st->nframes; i++, q += 8)
        c->frames[i] = rd64(q);
    c->frames += st->nframes;
    return decode_ages(q, st, o, c);
}

/* Pass 2: decodes every record. Faults of content are only returned (the first one): the
 * caller judges the checksum first, so damage reads as "checksum mismatch". */
static const char *decode_records(const uint8_t *data, const scan_t *s, ls_snapshot_t *o)
{
    cursor_t c;
    const char *why = NULL, *w;
    alloc_arrays(data, s, o, &c);
    for (size_t pos = LS_FMT_PREAMBLE_LEN; pos < s->end_off;) {
        uint16_t tag = rd16(data + pos);
        uint32_t rl = rd32(data + pos + 2);
        const uint8_t *p = data + pos + LS_FMT_RECHDR_LEN;
        w = NULL;
        if (tag == LS_TAG_MODULE)
            w = decode_module(p, o, &c);
        else if (tag == LS_TAG_SITE)
            w = decode_site(p, o, &c);
        if (w && !why)
            why = w;
        pos += LS_FMT_RECHDR_LEN + (size_t)rl;
    }
    if (s->leaks_off && !why)
        why = decode_leaks(data + s->leaks_off, o);
    for (uint32_t i = 1; i < s->n_edges && !why; i++)
        if (o->age_edges[i] <= o->age_edges[i - 1])
            why = "age edges are not strictly increasing";
    return why;
}

/* The verdict on a decoded snapshot, in the order faults are reported: checksum, END's
 * site count, content, unique ids. 0, or -1 with `err` set (the caller frees). */
static int judge(const uint8_t *data, size_t len, const char *name, const scan_t *s,
                 const ls_snapshot_t *o, const char *why, char *err, size_t errlen)
{
    uint32_t dup;
    uint64_t h = ls_cksum(data, s->end_off);
    if (h != s->end_checksum)
        return fail(err, errlen, name, "corrupt: checksum mismatch (file says %016llx, data gives %016llx)",
                    (unsigned long long)s->end_checksum, (unsigned long long)h);
    if (s->end_n_sites != s->n_sites)
        return fail(err, errlen, name, "corrupt: END record counts %llu sites, the file holds %zu",
                    (unsigned long long)s->end_n_sites, s->n_sites);
    if (why)
        return fail(err, errlen, name, "corrupt: %s", why);
    if (check_unique_ids(o, len, &dup) < 0)
        return fail(err, errlen, name, "corrupt: two SITE records with id %u", dup);
    return 0;
}

int ls_snapshot_parse(const uint8_t *data, size_t len, const char *name, ls_snapshot_t *out,
                      char *err, size_t errlen)
{
    uint32_t version = 0;
    scan_t s;
    memset(out, 0, sizeof *out);
    if (!name)
        name = "(snapshot)";
    if (check_preamble(data, len, name, &version, err, errlen) < 0 ||
        scan(data, len, name, &s, err, errlen) < 0)
        return -1;
    out->version = version;
    decode_header(data + s.header_off, out);
    const char *why = decode_records(data, &s, out);
    if (judge(data, len, name, &s, out, why, err, errlen) < 0) {
        ls_snapshot_free(out);
        return -1;
    }
    out->path = ls_xstrdup(name);
    return 0;
}

void ls_snapshot_free(ls_snapshot_t *snap)
{
    if (!snap)
        return;
    free(snap->path);
    free(snap->label);
    free(snap->prog);
    free(snap->exe);
    free(snap->age_edges);
    free(snap->modules);
    free(snap->sites);
    memset(snap, 0, sizeof *snap);
}

/* ---- files ----------------------------------------------------------------------- */

#define STREAM_MAX (1 << 30) /* bytes read at most from something that is not a regular file */

/* Reads a whole file with as few system calls as its size allows (one read for a
 * regular file; pipes are accepted too). Returns a malloc'd buffer, or NULL with err set. */
static uint8_t *slurp(const char *path, size_t *lenp, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY); /* a FIFO must not block the open */
    if (fd < 0) {
        fail(err, errlen, path, "%s", strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        fail(err, errlen, path, "%s", strerror(errno));
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        fail(err, errlen, path, S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
        close(fd);
        return NULL;
    }
    size_t cap = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 65536;
    size_t len = 0;
    uint8_t *buf = ls_xmalloc(cap);
    for (;;) {
        if (len == cap) {
            if (cap >= STREAM_MAX) { /* a pipe or device that does not end (/dev/zero) */
                fail(err, errlen, path, "too large for a snapshot (over %d MiB)", STREAM_MAX >> 20);
                free(buf);
                close(fd);
                return NULL;
            }
            buf = ls_xrealloc(buf, cap *= 2);
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            fail(err, errlen, path, "%s", strerror(errno));
            free(buf);
            close(fd);
            return NULL;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    *lenp = len;
    return buf;
}

int ls_snapshot_read(const char *path, ls_snapshot_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    size_t len;
    uint8_t *buf = slurp(path, &len, err, errlen);
    if (!buf)
        return -1;
    int rc = ls_snapshot_parse(buf, len, path, out, err, errlen);
    free(buf);
    return rc;
}

/* ---- directories ------------------------------------------------------------------ */

typedef struct {
    uint64_t pid, seq;
    char *prog; /* points into name */
    char *name;
} entry_t;

/* Splits "<prog>.<pid>.<seq>.<label>.lss" (name is modified: NULs at the dots).
 * Prog and label are sanitised by the shim and have no dots; prog is taken as
 * everything before the last three dots so that a hand-renamed prog still parses. */
static int parse_name(char *name, entry_t *e)
{
    size_t n = strlen(name);
    if (n <= 4 || strcmp(name + n - 4, ".lss") != 0 || name[0] == '.')
        return -1;
    name[n - 4] = 0;
    char *dot_label = strrchr(name, '.');
    if (!dot_label)
        return -1;
    *dot_label = 0;
    char *dot_seq = strrchr(name, '.');
    if (!dot_seq)
        return -1;
    *dot_seq = 0;
    char *dot_pid = strrchr(name, '.');
    if (!dot_pid || dot_pid == name)
        return -1;
    *dot_pid = 0;
    if (ls_parse_u64(dot_pid + 1, &e->pid) < 0 || ls_parse_u64(dot_seq + 1, &e->seq) < 0)
        return -1;
    e->prog = name;
    return 0;
}

static int cmp_entry(const void *a, const void *b)
{
    const entry_t *x = a, *y = b;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    int c = strcmp(x->prog, y->prog);
    if (c)
        return c;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* The start time and parent pid recorded in a snapshot's HEADER, read from the file's
 * first bytes only; start UINT64_MAX when unreadable (such a process sorts last, and
 * reading it in full later gives the real error). */
static uint64_t read_start_time(const char *path, uint64_t *ppid)
{
    *ppid = 0;
    uint8_t b[LS_FMT_PREAMBLE_LEN + LS_FMT_RECHDR_LEN + LS_FMT_HEADER_FIXED];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return UINT64_MAX;
    ssize_t n = pread(fd, b, sizeof b, 0);
    close(fd);
    if (n != (ssize_t)sizeof b || memcmp(b, magic, sizeof magic) != 0 ||
        rd32(b + LS_FMT_MAGIC_LEN) < LS_FMT_VERSION_MIN || rd32(b + LS_FMT_MAGIC_LEN) > LS_FORMAT_VERSION || rd16(b + LS_FMT_PREAMBLE_LEN) != LS_TAG_HEADER ||
        rd32(b + LS_FMT_PREAMBLE_LEN + 2) < LS_FMT_HEADER_FIXED)
        return UINT64_MAX;
    *ppid = rd64(b + LS_FMT_PREAMBLE_LEN + LS_FMT_RECHDR_LEN + 8);
    return rd64(b + LS_FMT_PREAMBLE_LEN + LS_FMT_RECHDR_LEN + 8 * 8);
}

typedef struct {
    ls_process_t p;
    uint64_t start, ppid;
    int child; /* its parent is another process of this run */
} proc_sort_t;

/* Parents before their children, then by start time: a program that forked and later
 * exec'd restarts its clock at the exec, yet it is still the process that came first. */
static int cmp_proc(const void *a, const void *b)
{
    const proc_sort_t *x = a, *y = b;
    if (x->child != y->child)
        return x->child - y->child;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->p.pid != y->p.pid)
        return x->p.pid < y->p.pid ? -1 : 1;
    return strcmp(x->p.prog, y->p.prog);
}

/* A directory entry that can be read as a snapshot: a regular file (after symlinks) that
 * this process may read. Opening a FIFO would block; a directory or an unreadable file
 * would fail the whole run. */
static int readable_regular(DIR *d, const struct dirent *de)
{
    struct stat st;
    if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN && de->d_type != DT_LNK)
        return 0;
    if (de->d_type != DT_REG && (fstatat(dirfd(d), de->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode)))
        return 0;
    return faccessat(dirfd(d), de->d_name, R_OK, 0) == 0;
}

/* The snapshots of directory `d`: its *.lss entries named <prog>.<pid>.<seq>.<label>.lss
 * (unsorted; *skipped counts the others). Entries that are not readable regular files are
 * left out with one warning on stderr for all of them, as *.tmp files are without a word. */
static entry_t *read_entries(const char *dir, DIR *d, size_t *n, size_t *skipped)
{
    entry_t *ents = NULL;
    size_t cap = 0, unusable = 0;
    char *first_unusable = NULL;
    struct dirent *de;
    *n = *skipped = 0;
    while ((de = readdir(d)) != NULL) {
        size_t nl = strlen(de->d_name);
        if (nl <= 4 || strcmp(de->d_name + nl - 4, ".lss") != 0 || de->d_name[0] == '.')
            continue;
        if (!readable_regular(d, de)) { /* a FIFO, a directory, an unreadable file: skipped */
            if (!unusable++)
                first_unusable = ls_xstrdup(de->d_name);
            continue;
        }
        entry_t e;
        e.name = ls_xstrdup(de->d_name);
        char *scratch = ls_xstrdup(de->d_name);
        if (parse_name(scratch, &e) < 0) {
            free(scratch);
            free(e.name);
            ++*skipped;
            continue;
        }
        if (*n == cap)
            ents = ls_xrealloc(ents, (cap = cap ? 2 * cap : 64) * sizeof *ents);
        ents[(*n)++] = e;
    }
    if (unusable)
        fprintf(stderr, "leakscope: warning: %s: skipped %zu *.lss %s (first: %s)\n", dir, unusable,
                unusable == 1 ? "entry that is not a readable regular file" : "entries that are not readable regular files",
                first_unusable);
    free(first_unusable);
    return ents;
}

/* A process is one (pid, program) pair: a program that execs another keeps its pid
 * but starts a new series (its shim restarts at seq 1). Groups the sorted entries into
 * processes, each with its paths in order, its start time and whether its parent is
 * another process of the run. */
static proc_sort_t *group_processes(const char *dir, const entry_t *ents, size_t n, size_t *np_out)
{
    size_t dirlen = strlen(dir); /* joined without doubling a trailing slash */
    while (dirlen > 1 && dir[dirlen - 1] == '/')
        dirlen--;
    proc_sort_t *ps = NULL;
    size_t np = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && ents[j].pid == ents[i].pid && strcmp(ents[j].prog, ents[i].prog) == 0)
            j++;
        ps = ls_xrealloc(ps, (np + 1) * sizeof *ps);
        proc_sort_t *p = &ps[np++];
        p->p.pid = ents[i].pid;
        p->p.prog = ls_xstrdup(ents[i].prog);
        p->p.n_paths = j - i;
        p->p.paths = ls_xmalloc((j - i) * sizeof(char *));
        for (size_t k = i; k < j; k++)
            p->p.paths[k - i] = ls_xasprintf("%.*s/%s", (int)dirlen, dir, ents[k].name);
        p->start = read_start_time(p->p.paths[0], &p->ppid);
        p->child = 0;
        i = j;
    }
    for (size_t i = 0; i < np; i++)
        for (size_t k = 0; k < np && !ps[i].child; k++)
            ps[i].child = ps[k].p.pid == ps[i].ppid && ps[k].p.pid != ps[i].p.pid;
    *np_out = np;
    return ps;
}

static void free_entries(entry_t *ents, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(ents[i].name);
        free(ents[i].prog);
    }
    free(ents);
}

int ls_run_open(const char *dir, ls_run_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    DIR *d = opendir(dir);
    if (!d)
        return fail(err, errlen, dir, "%s", strerror(errno));
    size_t n, skipped;
    entry_t *ents = read_entries(dir, d, &n, &skipped);
    closedir(d);
    if (n == 0) {
        free(ents);
        if (skipped)
            return fail(err, errlen, dir,
                        "no snapshots in directory (%zu *.lss files not named <prog>.<pid>.<seq>.<label>.lss)",
                        skipped);
        return fail(err, errlen, dir, "no snapshots (*.lss) in directory");
    }
    qsort(ents, n, sizeof *ents, cmp_entry);
    size_t np;
    proc_sort_t *ps = group_processes(dir, ents, n, &np);
    free_entries(ents, n);
    qsort(ps, np, sizeof *ps, cmp_proc);

    out->dir = ls_xstrdup(dir);
    out->n_procs = np;
    out->procs = ls_xmalloc(np * sizeof *out->procs);
    for (size_t i = 0; i < np; i++)
        out->procs[i] = ps[i].p;
    free(ps);
    return 0;
}

void ls_run_free(ls_run_t *run)
{
    if (!run)
        return;
    for (size_t i = 0; i < run->n_procs; i++) {
        for (size_t k = 0; k < run->procs[i].n_paths; k++)
            free(run->procs[i].paths[k]);
        free(run->procs[i].paths);
        free(run->procs[i].prog);
    }
    free(run->procs);
    free(run->dir);
    memset(run, 0, sizeof *run);
}

/* With a pid, a directory stands for the last snapshot of that pid; when the pid ran
 * several programs (exec), the one that started last — the program the pid ended as. */
char *ls_resolve_snapshot_arg(const char *arg, uint64_t pid, char *err, size_t errlen)
{
    struct stat st;
    if (!arg || !*arg) {
        fail(err, errlen, "(empty)", "no snapshot given");
        return NULL;
    }
    if (stat(arg, &st) < 0) {
        fail(err, errlen, arg, "%s", strerror(errno));
        return NULL;
    }
    if (!S_ISDIR(st.st_mode))
        return ls_xstrdup(arg);
    ls_run_t run;
    if (ls_run_open(arg, &run, err, errlen) < 0)
        return NULL;
    const ls_process_t *pick = NULL;
    if (pid == 0)
        pick = &run.procs[0];
    else
        for (size_t i = 0; i < run.n_procs; i++)
            if (run.procs[i].pid == pid)
                pick = &run.procs[i];
    char *path = NULL;
    if (pick) {
        path = ls_xstrdup(pick->paths[pick->n_paths - 1]);
    } else {
        char list[256] = "";
        size_t used = 0;
        for (size_t i = 0; i < run.n_procs && used < sizeof list - 32; i++) {
            int w = snprintf(list + used, sizeof list - used, "%s%llu", i ? ", " : "",
                             (unsigned long long)run.procs[i].pid);
            if (w > 0)
                used += (size_t)w;
        }
        fail(err, errlen, arg, "no snapshots of pid %llu in directory (pids: %s)",
             (unsigned long long)pid, list);
    }
    ls_run_free(&run);
    return path;
}
