/*
 * export_pprof.c — `export --format pprof`: a symbolized snapshot as a gzipped
 * profile.proto (github.com/google/pprof, proto/profile.proto) with the sample types of Go's
 * heap profiles, so that `go tool pprof` and what reads its profiles (Pyroscope, Parca,
 * speedscope, Grafana) show leakscope's figures.
 *
 * The protobuf is written by hand: the profile uses six small messages and two wire types
 * (varint and length-delimited), about a hundred lines here, where protobuf-c would add a
 * generated file, a code generator at build time and a runtime library for the same bytes.
 * zlib (Debian zlib1g-dev) does the gzip.
 *
 * Layout: one sample per site, its locations leaf first from the site's location frame
 * (export.h), values [inuse_objects, inuse_space, alloc_objects, alloc_space] = [live_count,
 * live_bytes, alloc_count, alloc_bytes]; one mapping per module of the snapshot's module map
 * (the executable first, as pprof expects), with its build-id in hex; one location per frame
 * address (address − 1: inside the call instruction, as return addresses are resolved) whose
 * lines are the functions at that address, inlined ones first (the symbolizer's frames of one
 * address, symbols.h); one function per (name, file).
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include <zlib.h>

#include "export.h"
#include "util.h"

/* Profile fields (profile.proto). */
enum { P_SAMPLE_TYPE = 1, P_SAMPLE, P_MAPPING, P_LOCATION, P_FUNCTION, P_STRING_TABLE, P_DROP_FRAMES,
       P_KEEP_FRAMES, P_TIME_NANOS, P_DURATION_NANOS, P_PERIOD_TYPE, P_PERIOD, P_COMMENT,
       P_DEFAULT_SAMPLE_TYPE };

/* ---- protobuf encoding ------------------------------------------------------------------ */

typedef struct {
    uint8_t *b;
    size_t n, cap;
} pb_t;

static void pb_raw(pb_t *p, const void *data, size_t len)
{
    if (p->n + len > p->cap) {
        while (p->n + len > p->cap)
            p->cap = p->cap ? 2 * p->cap : 256;
        p->b = ls_xrealloc(p->b, p->cap);
    }
    if (len)
        memcpy(p->b + p->n, data, len);
    p->n += len;
}

static void pb_varint(pb_t *p, uint64_t v)
{
    uint8_t buf[10];
    size_t n = 0;
    do {
        buf[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    pb_raw(p, buf, n);
}

/* A varint field (wire type 0); proto3 leaves zero values out. */
static void pb_uint(pb_t *p, unsigned field, uint64_t v)
{
    if (!v)
        return;
    pb_varint(p, (uint64_t)field << 3);
    pb_varint(p, v);
}

/* A length-delimited field (wire type 2): bytes, a string or an embedded message. */
static void pb_bytes(pb_t *p, unsigned field, const void *data, size_t len)
{
    pb_varint(p, (uint64_t)field << 3 | 2);
    pb_varint(p, len);
    pb_raw(p, data, len);
}

/* An embedded message, built in `sub`, which is emptied for reuse. */
static void pb_msg(pb_t *p, unsigned field, pb_t *sub)
{
    pb_bytes(p, field, sub->b, sub->n);
    sub->n = 0;
}

/* ---- the tables: strings, functions, locations ------------------------------------------ */

typedef struct {
    const char *s;
    int64_t index;
    UT_hash_handle hh;
} str_ent_t;

typedef struct {
    int64_t key[2]; /* name and file string indexes */
    uint64_t id;
    UT_hash_handle hh;
} fn_ent_t;

/* A location: an address and the function of its first line (interned by the symbolizer):
 * a site whose location frame is inlined at that address starts its first location there. */
typedef struct {
    struct {
        uint64_t addr;
        const char *first;
    } key;
    uint64_t id;
    UT_hash_handle hh;
} loc_ent_t;

typedef struct {
    pb_t out, sub, sub2;
    str_ent_t *strings;
    const char **str_order;
    size_t n_strings;
    fn_ent_t *functions;
    loc_ent_t *locations;
    uint64_t next_fn, next_loc;
    const ls_snapshot_t *snap;
    size_t *map_order; /* mapping id - 1 -> module index */
    size_t n_maps;
    char **owned; /* strings made here, freed with the tables */
    size_t n_owned;
} prof_t;

static int64_t str_index(prof_t *p, const char *s)
{
    str_ent_t *e;
    s = s ? s : "";
    HASH_FIND_STR(p->strings, s, e);
    if (e)
        return e->index;
    e = ls_xcalloc(1, sizeof *e);
    e->s = s;
    e->index = (int64_t)p->n_strings;
    p->str_order = ls_xrealloc(p->str_order, (p->n_strings + 1) * sizeof *p->str_order);
    p->str_order[p->n_strings++] = s;
    HASH_ADD_KEYPTR(hh, p->strings, e->s, strlen(e->s), e);
    return e->index;
}

/* The index of a string made with malloc, which the tables then own. */
static int64_t str_index_owned(prof_t *p, char *s)
{
    p->owned = ls_xrealloc(p->owned, (p->n_owned + 1) * sizeof *p->owned);
    p->owned[p->n_owned++] = s;
    return str_index(p, s);
}

static const char *known(const char *s)
{
    return s && strcmp(s, "??") != 0 ? s : "";
}

static uint64_t function_id(prof_t *p, const ls_frame_info_t *fi)
{
    int64_t key[2] = {str_index(p, fi->function ? fi->function : "??"), str_index(p, known(fi->file))};
    fn_ent_t *e;
    HASH_FIND(hh, p->functions, key, sizeof key, e);
    if (e)
        return e->id;
    e = ls_xcalloc(1, sizeof *e);
    memcpy(e->key, key, sizeof key);
    e->id = ++p->next_fn;
    HASH_ADD(hh, p->functions, key, sizeof e->key, e);
    pb_uint(&p->sub, 1, e->id);
    pb_uint(&p->sub, 2, (uint64_t)key[0]);
    pb_uint(&p->sub, 3, (uint64_t)key[0]); /* system name: the symbolizer keeps only the demangled one */
    pb_uint(&p->sub, 4, (uint64_t)key[1]);
    pb_msg(&p->out, P_FUNCTION, &p->sub);
    return e->id;
}

/* The mapping (1-based id) whose module holds `addr`, 0 when none does. */
static uint64_t mapping_of(const prof_t *p, uint64_t addr)
{
    uint64_t best = 0;
    for (size_t k = 0; k < p->n_maps; k++) {
        const ls_module_t *m = &p->snap->modules[p->map_order[k]];
        if (addr >= m->start && addr < m->end && (!best || !(m->flags & 1)))
            best = k + 1;
    }
    return best;
}

/* The location of the frames fr[0..n-1], of one address: each but the last inlined into the
 * next. pprof lists a location's lines innermost first, as the frames are. */
static uint64_t location_id(prof_t *p, const ls_frame_info_t *const *fr, size_t n)
{
    loc_ent_t *e, probe;
    memset(&probe.key, 0, sizeof probe.key);
    probe.key.addr = fr[0]->addr;
    probe.key.first = fr[0]->function;
    HASH_FIND(hh, p->locations, &probe.key, sizeof probe.key, e);
    if (e)
        return e->id;
    e = ls_xcalloc(1, sizeof *e);
    e->key = probe.key;
    e->id = ++p->next_loc;
    HASH_ADD(hh, p->locations, key, sizeof e->key, e);
    /* Functions are written first: function_id uses `sub` and leaves it empty. */
    uint64_t fn[LS_MAX_INFO];
    for (size_t k = 0; k < n; k++)
        fn[k] = function_id(p, fr[k]);
    pb_uint(&p->sub, 1, e->id);
    pb_uint(&p->sub, 2, mapping_of(p, fr[0]->addr));
    pb_uint(&p->sub, 3, fr[0]->addr ? fr[0]->addr - 1 : 0);
    for (size_t k = 0; k < n; k++) {
        pb_uint(&p->sub2, 1, fn[k]);
        pb_uint(&p->sub2, 2, (uint64_t)(fr[k]->line > 0 ? fr[k]->line : 0));
        pb_msg(&p->sub, 4, &p->sub2);
    }
    pb_msg(&p->out, P_LOCATION, &p->sub);
    return e->id;
}

/* ---- the profile ------------------------------------------------------------------------- */

static void value_type(prof_t *p, unsigned field, const char *type, const char *unit)
{
    pb_uint(&p->sub, 1, (uint64_t)str_index(p, type));
    pb_uint(&p->sub, 2, (uint64_t)str_index(p, unit));
    pb_msg(&p->out, field, &p->sub);
}

static const char *hex_build_id(const ls_module_t *m, char *buf)
{
    for (unsigned i = 0; i < m->build_id_len && i < 64; i++)
        sprintf(buf + 2 * i, "%02x", m->build_id[i]);
    buf[2 * (m->build_id_len < 64 ? m->build_id_len : 64)] = 0;
    return buf;
}

/* Mappings, the executable first (pprof takes mapping 1 for the main binary). The module map
 * gives each object's span from its lowest loaded segment, which the GNU and LLVM linkers
 * place at file offset 0, so file_offset is 0 (pprof only uses it to symbolize again, and
 * every location carries its function and line already). */
static void write_mappings(prof_t *p)
{
    const ls_snapshot_t *s = p->snap;
    p->map_order = ls_xcalloc(s->n_modules + 1, sizeof *p->map_order);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < s->n_modules; i++) {
            const ls_module_t *m = &s->modules[i];
            int is_exe = s->exe && m->path && strcmp(s->exe, m->path) == 0;
            if (m->end > m->start && is_exe == (pass == 0))
                p->map_order[p->n_maps++] = i;
        }
    char bid[129];
    for (size_t k = 0; k < p->n_maps; k++) {
        const ls_module_t *m = &s->modules[p->map_order[k]];
        pb_uint(&p->sub, 1, k + 1);
        pb_uint(&p->sub, 2, m->start);
        pb_uint(&p->sub, 3, m->end);
        pb_uint(&p->sub, 5, (uint64_t)str_index(p, m->path));
        pb_uint(&p->sub, 6, (uint64_t)str_index_owned(p, ls_xstrdup(hex_build_id(m, bid))));
        for (unsigned f = 7; f <= 10; f++) /* has_functions, _filenames, _line_numbers, _inline_frames */
            pb_uint(&p->sub, f, 1);
        pb_msg(&p->out, P_MAPPING, &p->sub);
    }
}

static void write_sample(prof_t *p, const ls_site_t *site)
{
    const ls_frame_info_t *path[LS_MAX_INFO];
    size_t n = ls_site_path(site->info, site->ninfo, site->loc, 0, path);
    pb_t ids = {0};
    for (size_t k = 0, run; k < n; k += run) { /* one location per address: its inlined frames */
        for (run = 1; k + run < n && path[k + run - 1]->inlined; run++)
            ;
        pb_varint(&ids, location_id(p, &path[k], run)); /* may write locations: uses sub, not ids */
    }
    pb_t vals = {0};
    uint64_t v[4] = {site->live_count, site->live_bytes, site->alloc_count, site->alloc_bytes};
    for (int k = 0; k < 4; k++)
        pb_varint(&vals, v[k]);
    if (ids.n)
        pb_bytes(&p->sub, 1, ids.b, ids.n); /* packed location_id */
    pb_bytes(&p->sub, 2, vals.b, vals.n);   /* packed value */
    pb_msg(&p->out, P_SAMPLE, &p->sub);
    free(ids.b);
    free(vals.b);
}

static void write_header(prof_t *p)
{
    const ls_snapshot_t *s = p->snap;
    str_index(p, ""); /* string_table[0] must be "" */
    value_type(p, P_SAMPLE_TYPE, "inuse_objects", "count");
    value_type(p, P_SAMPLE_TYPE, "inuse_space", "bytes");
    value_type(p, P_SAMPLE_TYPE, "alloc_objects", "count");
    value_type(p, P_SAMPLE_TYPE, "alloc_space", "bytes");
    value_type(p, P_PERIOD_TYPE, "space", "bytes");
    pb_uint(&p->out, P_PERIOD, 1);
    pb_uint(&p->out, P_TIME_NANOS, s->time_ns);
    pb_uint(&p->out, P_DURATION_NANOS, s->mono_ns > s->start_mono_ns ? s->mono_ns - s->start_mono_ns : 0);
    pb_uint(&p->out, P_DEFAULT_SAMPLE_TYPE, (uint64_t)str_index(p, "inuse_space"));
    char *c = ls_xasprintf("leakscope snapshot %" PRIu64 " (%s) of %s, pid %" PRIu64 ", step %" PRIu64, s->seq,
                           s->label ? s->label : "", s->prog ? s->prog : "", s->pid, s->step);
    pb_uint(&p->out, P_COMMENT, (uint64_t)str_index_owned(p, c));
}

/* gzip of the encoded profile to `f`. */
static int write_gzip(FILE *f, const pb_t *data, char *err, size_t errlen)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        snprintf(err, errlen, "pprof: zlib cannot start");
        return -1;
    }
    uLong bound = deflateBound(&zs, (uLong)data->n);
    uint8_t *out = ls_xmalloc(bound);
    zs.next_in = data->b;
    zs.avail_in = (uInt)data->n;
    zs.next_out = out;
    zs.avail_out = (uInt)bound;
    int r = deflate(&zs, Z_FINISH);
    size_t len = bound - zs.avail_out;
    deflateEnd(&zs);
    int rc = 0;
    if (r != Z_STREAM_END) {
        snprintf(err, errlen, "pprof: zlib failed to compress the profile");
        rc = -1;
    } else if (fwrite(out, 1, len, f) != len) {
        snprintf(err, errlen, "pprof: cannot write the profile");
        rc = -1;
    }
    free(out);
    return rc;
}

static void prof_free(prof_t *p)
{
    str_ent_t *s, *st;
    HASH_ITER(hh, p->strings, s, st) {
        HASH_DEL(p->strings, s);
        free(s);
    }
    fn_ent_t *fe, *ft;
    HASH_ITER(hh, p->functions, fe, ft) {
        HASH_DEL(p->functions, fe);
        free(fe);
    }
    loc_ent_t *le, *lt;
    HASH_ITER(hh, p->locations, le, lt) {
        HASH_DEL(p->locations, le);
        free(le);
    }
    for (size_t i = 0; i < p->n_owned; i++)
        free(p->owned[i]);
    free(p->owned);
    free(p->str_order);
    free(p->map_order);
    free(p->out.b);
    free(p->sub.b);
    free(p->sub2.b);
}

int ls_export_pprof(FILE *f, const ls_snapshot_t *snap, char *err, size_t errlen)
{
    prof_t p;
    memset(&p, 0, sizeof p);
    p.snap = snap;
    write_header(&p);
    write_mappings(&p);
    for (size_t i = 0; i < snap->n_sites; i++)
        write_sample(&p, &snap->sites[i]);
    for (size_t i = 0; i < p.n_strings; i++)
        pb_bytes(&p.out, P_STRING_TABLE, p.str_order[i], strlen(p.str_order[i]));
    int rc = write_gzip(f, &p.out, err, errlen);
    prof_free(&p);
    return rc;
}
