/*
 * test_analyzer_snapshot.c — the snapshot reader and writer (analyzer/snapshot*.c): exact
 * round trips, rejection of every truncation, corruption and out-of-range count with a
 * one-line message and no crash, and directory listing (ls_run_open, --pid resolution).
 * With LS_FUZZ_SEEDS=DIR set, also writes fuzzing seeds into DIR.
 */
#include <check.h>

#include "check_main.h"
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapshot.h"
#include "leakscope_format.h"

/* ---- fixtures ------------------------------------------------------------------------ */

static char tmpdir[256];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ls-snap-test.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void rm_tmpdir(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

static uint64_t frames_pool[4][128];
static ls_age_t ages_pool[4][32];
static ls_site_t sites_pool[4];
static ls_module_t modules_pool[3];
static uint64_t edges_pool[5] = {0, 3, 7, 20, 41};

/* A snapshot using every field: distinct header values, three modules (build-ids of
 * 0, 20 and 64 bytes, one unloaded), five age edges, sites of 1, 16, 128 and 3 frames
 * with 0..4 age entries. */
static ls_snapshot_t sample(void)
{
    ls_snapshot_t s;
    memset(&s, 0, sizeof s);
    uint64_t *h[18] = {&s.pid, &s.ppid, &s.seq, &s.step, &s.marked, &s.epoch, &s.time_ns,
                       &s.mono_ns, &s.start_mono_ns, &s.rss_bytes, &s.traced_current,
                       &s.traced_peak, &s.alloc_calls, &s.free_calls, &s.frames_max,
                       &s.state_flags, &s.untracked_count, &s.untracked_bytes};
    for (int i = 0; i < 18; i++)
        *h[i] = 0x0101010101010101ull * (uint64_t)(i + 1) + (uint64_t)i;
    s.label = "exit";
    s.prog = "growth";
    s.exe = "/usr/local/bin/growth";
    const char *paths[3] = {"/usr/local/bin/growth", "/lib/x86_64-linux-gnu/libc.so.6", "/opt/plugin.so"};
    const unsigned bidlen[3] = {20, 64, 0};
    for (int m = 0; m < 3; m++) {
        ls_module_t *mod = &modules_pool[m];
        memset(mod, 0, sizeof *mod);
        mod->start = 0x400000ull + 0x1000000ull * (uint64_t)m;
        mod->end = mod->start + 0x80000;
        mod->bias = m ? mod->start : 0;
        mod->flags = m == 2;
        mod->build_id_len = bidlen[m];
        for (unsigned k = 0; k < bidlen[m]; k++)
            mod->build_id[k] = (uint8_t)(k * 7 + (unsigned)m);
        mod->path = (char *)paths[m];
    }
    s.modules = modules_pool;
    s.n_modules = 3;
    s.age_edges = edges_pool;
    s.n_age_edges = 5;
    const unsigned nframes[4] = {1, 16, 128, 3}, nage[4] = {0, 1, 4, 2};
    for (int i = 0; i < 4; i++) {
        ls_site_t *st = &sites_pool[i];
        memset(st, 0, sizeof *st);
        st->id = (uint32_t)i * 3 + 1;
        st->nframes = (uint16_t)nframes[i];
        st->nage = (uint16_t)nage[i];
        st->frames = frames_pool[i];
        for (unsigned k = 0; k < nframes[i]; k++)
            frames_pool[i][k] = 0x400100ull + 0x1000ull * (uint64_t)i + k;
        st->age = ages_pool[i];
        for (unsigned k = 0; k < nage[i]; k++) {
            ages_pool[i][k].bucket = (uint16_t)(k + (i == 3)); /* increasing, < 4 buckets */
            ages_pool[i][k].bytes = 100u * (k + 1);
            ages_pool[i][k].count = k + 1;
            st->live_bytes += 100u * (k + 1);
            st->live_count += k + 1;
        }
        st->alloc_count = 1000 + (uint64_t)i;
        st->alloc_bytes = 0xfedcba9876543210ull - (uint64_t)i;
        st->free_count = 7 * (uint64_t)i;
    }
    s.sites = sites_pool;
    s.n_sites = 4;
    return s;
}

static uint8_t *file_bytes(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    ck_assert_int_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void put_file(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fwrite(b, 1, n, f), n);
    fclose(f);
}

/* The sample snapshot encoded, in a malloc'd buffer. */
static uint8_t *sample_bytes(size_t *len)
{
    ls_snapshot_t s = sample();
    char path[300], err[256];
    snprintf(path, sizeof path, "%s/sample.lss", tmpdir);
    ck_assert_msg(ls_snapshot_write(path, &s, err, sizeof err) == 0, "%s", err);
    return file_bytes(path, len);
}

/* Recomputes END's checksum (END is the last 22 bytes), so a test reaches the checks
 * that come after it. */
static void fix_checksum(uint8_t *b, size_t n)
{
    uint64_t h = ls_cksum(b, n - 22);
    memcpy(b + n - 8, &h, 8);
}

static void set_end_sites(uint8_t *b, size_t n, uint64_t v)
{
    memcpy(b + n - 16, &v, 8);
}

typedef struct {
    size_t off, len; /* whole record: 6-byte head + payload */
    uint16_t tag;
} rec_t;

/* Lists the records of a valid buffer. */
static size_t records(const uint8_t *b, size_t n, rec_t *out, size_t max)
{
    size_t k = 0;
    for (size_t pos = 16; pos < n && k < max;) {
        uint16_t tag;
        uint32_t rl;
        memcpy(&tag, b + pos, 2);
        memcpy(&rl, b + pos + 2, 4);
        out[k++] = (rec_t){pos, 6 + (size_t)rl, tag};
        pos += 6 + rl;
    }
    return k;
}

static int parse(const uint8_t *b, size_t n, char *err, size_t errlen)
{
    ls_snapshot_t s;
    int rc = ls_snapshot_parse(b, n, "t.lss", &s, err, errlen);
    if (rc == 0)
        ls_snapshot_free(&s);
    else {
        ck_assert_msg(strncmp(err, "t.lss: ", 7) == 0, "message must name the file: %s", err);
        ck_assert_msg(strchr(err, '\n') == NULL, "one line: %s", err);
    }
    return rc;
}

#define ck_rejects(b, n, what)                                                              \
    do {                                                                                    \
        char err_[512] = "";                                                                \
        ck_assert_msg(parse(b, n, err_, sizeof err_) < 0, "accepted, expected: %s", what);  \
        ck_assert_msg(strstr(err_, what) != NULL, "got '%s', expected '%s'", err_, what);   \
    } while (0)

/* ---- round trips --------------------------------------------------------------------- */

START_TEST(round_trip_all_fields)
{
    make_tmpdir();
    ls_snapshot_t s = sample(), r;
    char path[300], err[256];
    snprintf(path, sizeof path, "%s/growth.42.000001.exit.lss", tmpdir);
    ck_assert_msg(ls_snapshot_write(path, &s, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(ls_snapshot_read(path, &r, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(r.path, path);
    ck_assert_uint_eq(r.version, 1);
    const uint64_t *a[18] = {&s.pid, &s.ppid, &s.seq, &s.step, &s.marked, &s.epoch, &s.time_ns,
                             &s.mono_ns, &s.start_mono_ns, &s.rss_bytes, &s.traced_current,
                             &s.traced_peak, &s.alloc_calls, &s.free_calls, &s.frames_max,
                             &s.state_flags, &s.untracked_count, &s.untracked_bytes};
    const uint64_t *b[18] = {&r.pid, &r.ppid, &r.seq, &r.step, &r.marked, &r.epoch, &r.time_ns,
                             &r.mono_ns, &r.start_mono_ns, &r.rss_bytes, &r.traced_current,
                             &r.traced_peak, &r.alloc_calls, &r.free_calls, &r.frames_max,
                             &r.state_flags, &r.untracked_count, &r.untracked_bytes};
    for (int i = 0; i < 18; i++)
        ck_assert_msg(*a[i] == *b[i], "header field %d", i);
    ck_assert_str_eq(r.label, "exit");
    ck_assert_str_eq(r.prog, "growth");
    ck_assert_str_eq(r.exe, "/usr/local/bin/growth");
    ck_assert_uint_eq(r.n_modules, 3);
    for (int m = 0; m < 3; m++) {
        ck_assert_uint_eq(r.modules[m].start, s.modules[m].start);
        ck_assert_uint_eq(r.modules[m].end, s.modules[m].end);
        ck_assert_uint_eq(r.modules[m].bias, s.modules[m].bias);
        ck_assert_uint_eq(r.modules[m].flags, s.modules[m].flags);
        ck_assert_uint_eq(r.modules[m].build_id_len, s.modules[m].build_id_len);
        ck_assert(memcmp(r.modules[m].build_id, s.modules[m].build_id, 64) == 0);
        ck_assert_str_eq(r.modules[m].path, s.modules[m].path);
    }
    ck_assert_uint_eq(r.n_age_edges, 5);
    ck_assert(memcmp(r.age_edges, edges_pool, sizeof edges_pool) == 0);
    ck_assert_uint_eq(r.n_sites, 4);
    for (int i = 0; i < 4; i++) {
        const ls_site_t *x = &s.sites[i], *y = &r.sites[i];
        ck_assert_uint_eq(x->id, y->id);
        ck_assert_uint_eq(x->nframes, y->nframes);
        ck_assert_uint_eq(x->nage, y->nage);
        ck_assert_uint_eq(x->live_bytes, y->live_bytes);
        ck_assert_uint_eq(x->live_count, y->live_count);
        ck_assert_uint_eq(x->alloc_count, y->alloc_count);
        ck_assert_uint_eq(x->alloc_bytes, y->alloc_bytes);
        ck_assert_uint_eq(x->free_count, y->free_count);
        ck_assert(memcmp(x->frames, y->frames, x->nframes * sizeof(uint64_t)) == 0);
        for (unsigned k = 0; k < x->nage; k++) {
            ck_assert_uint_eq(x->age[k].bucket, y->age[k].bucket);
            ck_assert_uint_eq(x->age[k].bytes, y->age[k].bytes);
            ck_assert_uint_eq(x->age[k].count, y->age[k].count);
        }
        ck_assert_ptr_null(y->info);
    }
    ls_snapshot_free(&r);
    ls_snapshot_free(&r); /* freeing twice is harmless: free clears the struct */
    rm_tmpdir();
}
END_TEST

/* Issue 13: the LEAKS record (format version 2) round-trips, old files stay version 1,
 * and a LEAKS entry naming no SITE is corrupt. */
START_TEST(round_trip_leaks_record)
{
    make_tmpdir();
    ls_snapshot_t s = sample(), r;
    char path[300], err[256];
    snprintf(path, sizeof path, "%s/scan.1.000001.exit.lss", tmpdir);
    s.has_scan = 1;
    s.scan_blocks = 11, s.scan_heap_bytes = 2222, s.scan_root_bytes = 333, s.scan_threads = 4, s.scan_ns = 55;
    s.sites[1].direct_bytes = 96, s.sites[1].direct_count = 2;
    s.sites[3].indirect_bytes = 40, s.sites[3].indirect_count = 1, s.sites[3].direct_count = 0;
    ck_assert_msg(ls_snapshot_write(path, &s, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(ls_snapshot_read(path, &r, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(r.version, 2);
    ck_assert_int_eq(r.has_scan, 1);
    ck_assert_uint_eq(r.scan_blocks, 11);
    ck_assert_uint_eq(r.scan_heap_bytes, 2222);
    ck_assert_uint_eq(r.scan_root_bytes, 333);
    ck_assert_uint_eq(r.scan_threads, 4);
    ck_assert_uint_eq(r.scan_ns, 55);
    for (int i = 0; i < 4; i++) {
        ck_assert_uint_eq(r.sites[i].direct_bytes, s.sites[i].direct_bytes);
        ck_assert_uint_eq(r.sites[i].direct_count, s.sites[i].direct_count);
        ck_assert_uint_eq(r.sites[i].indirect_bytes, s.sites[i].indirect_bytes);
        ck_assert_uint_eq(r.sites[i].indirect_count, s.sites[i].indirect_count);
    }
    ls_snapshot_free(&r);
    /* an entry for a site id that has no SITE record */
    size_t n;
    uint8_t *b = file_bytes(path, &n);
    size_t off = 16;
    while (off + 6 <= n && (b[off] | b[off + 1] << 8) != 5)
        off += 6 + (size_t)(b[off + 2] | b[off + 3] << 8 | b[off + 4] << 16 | (uint32_t)b[off + 5] << 24);
    ck_assert_uint_lt(off + 6 + 44 + 4, n);
    b[off + 6 + 44] = 0xEE; /* the first entry's site id */
    fix_checksum(b, n);
    put_file(path, b, n);
    ck_assert_int_eq(ls_snapshot_read(path, &r, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "corrupt: a LEAKS entry names a site that has no SITE record") != NULL, "%s", err);
    free(b);
    /* without a scan the file is version 1, byte for byte what it was */
    s = sample();
    ck_assert_msg(ls_snapshot_write(path, &s, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(ls_snapshot_read(path, &r, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(r.version, 1);
    ck_assert_int_eq(r.has_scan, 0);
    ls_snapshot_free(&r);
    rm_tmpdir();
}
END_TEST

START_TEST(round_trip_minimal_and_default_edges)
{
    make_tmpdir();
    ls_snapshot_t s, r;
    memset(&s, 0, sizeof s); /* no strings, no modules, no sites, no edges given */
    s.epoch = 5;
    char path[300], err[256];
    snprintf(path, sizeof path, "%s/a.1.000001.snapshot.lss", tmpdir);
    ck_assert_msg(ls_snapshot_write(path, &s, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(ls_snapshot_read(path, &r, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(r.label, "");
    ck_assert_uint_eq(r.n_sites, 0);
    ck_assert_uint_eq(r.n_modules, 0);
    ck_assert_uint_eq(r.n_age_edges, 7); /* one bucket per epoch 0..5 */
    for (size_t i = 0; i < 7; i++)
        ck_assert_uint_eq(r.age_edges[i], i);
    ls_snapshot_free(&r);

    s.epoch = 99; /* 100 epochs: 25 buckets of 4 */
    ck_assert(ls_snapshot_write(path, &s, err, sizeof err) == 0);
    ck_assert(ls_snapshot_read(path, &r, err, sizeof err) == 0);
    ck_assert_uint_le(r.n_age_edges, 33);
    ck_assert_uint_eq(r.age_edges[0], 0);
    ck_assert_uint_eq(r.age_edges[r.n_age_edges - 1], 100);
    ls_snapshot_free(&r);

    /* No temporary file is left behind. */
    char cmd[400];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s' | grep -v '^a.1.000001.snapshot.lss$')\"", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
    rm_tmpdir();
}
END_TEST

START_TEST(writer_refuses_inconsistent_input)
{
    make_tmpdir();
    char path[300], err[256];
    snprintf(path, sizeof path, "%s/x.lss", tmpdir);
    ls_snapshot_t s = sample();
    sites_pool[1].live_bytes += 1;
    ck_assert_int_eq(ls_snapshot_write(path, &s, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "age entries sum"));
    s = sample();
    sites_pool[0].nframes = 0;
    ck_assert_int_eq(ls_snapshot_write(path, &s, err, sizeof err), -1);
    s = sample();
    ages_pool[2][1].bucket = 0; /* not increasing */
    ck_assert_int_eq(ls_snapshot_write(path, &s, err, sizeof err), -1);
    s = sample();
    snprintf(path, sizeof path, "%s/no/such/dir/x.lss", tmpdir);
    ck_assert_int_eq(ls_snapshot_write(path, &s, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "cannot write"));
    rm_tmpdir();
}
END_TEST

/* ---- rejection ------------------------------------------------------------------------ */

START_TEST(every_truncation_is_rejected)
{
    make_tmpdir();
    size_t n;
    uint8_t *b = sample_bytes(&n);
    char err[512];
    ck_assert_int_eq(parse(b, n, err, sizeof err), 0);
    ck_rejects(b, 0, "empty file");
    for (size_t len = 1; len < n; len++) {
        /* A copy of exactly `len` bytes, so ASan sees any read past the end. */
        uint8_t *c = malloc(len);
        memcpy(c, b, len);
        ck_rejects(c, len, "truncated");
        free(c);
    }
    free(b);
    rm_tmpdir();
}
END_TEST

START_TEST(every_byte_flip_is_rejected)
{
    make_tmpdir();
    size_t n;
    uint8_t *b = sample_bytes(&n);
    char err[512];
    for (size_t i = 0; i < n; i++) {
        if (i >= 12 && i < 16)
            continue; /* the reserved flags are ignored by design */
        b[i] ^= 0x5a;
        ck_assert_msg(parse(b, n, err, sizeof err) < 0, "flip at %zu accepted", i);
        b[i] ^= 0x5a;
    }
    free(b);
    rm_tmpdir();
}
END_TEST

START_TEST(bad_magic_version_checksum)
{
    make_tmpdir();
    size_t n;
    uint8_t *b = sample_bytes(&n);
    b[0] = 'X';
    ck_rejects(b, n, "not a leakscope snapshot (bad magic)");
    ck_rejects((const uint8_t *)"hello", 5, "not a leakscope snapshot (bad magic)");
    b[0] = 'L';
    uint32_t v = 7;
    memcpy(b + 8, &v, 4);
    ck_rejects(b, n, "t.lss: written by a newer leakscope (format version 7, this reads 2)");
    v = 0;
    memcpy(b + 8, &v, 4);
    ck_rejects(b, n, "version 0");
    v = 1;
    memcpy(b + 8, &v, 4);
    b[n - 30] ^= 1; /* inside the last site's age entries */
    ck_rejects(b, n, "corrupt: checksum mismatch");
    b[n - 30] ^= 1;
    b[n - 1] ^= 1; /* the checksum itself */
    ck_rejects(b, n, "corrupt: checksum mismatch");
    b[n - 1] ^= 1;
    char err[512];
    ck_assert_int_eq(parse(b, n, err, sizeof err), 0);
    free(b);
    rm_tmpdir();
}
END_TEST

/* Builds a file from the records of `b`, in the order given by idx (-1 ends), with an
 * optional extra raw record inserted before position `at`; n_sites and checksum fixed. */
static uint8_t *rebuild(const uint8_t *b, size_t n, const int *idx, const uint8_t *extra, size_t extra_len,
                       int at, size_t *outlen)
{
    rec_t r[32];
    size_t nr = records(b, n, r, 32);
    (void)nr;
    uint8_t *o = malloc(n * 3 + extra_len + 64);
    size_t len = 16, sites = 0;
    memcpy(o, b, 16);
    for (int k = 0; idx[k] >= 0; k++) {
        if (k == at) {
            memcpy(o + len, extra, extra_len);
            len += extra_len;
        }
        memcpy(o + len, b + r[idx[k]].off, r[idx[k]].len);
        len += r[idx[k]].len;
        sites += r[idx[k]].tag == 4;
    }
    set_end_sites(o, len, sites);
    fix_checksum(o, len);
    *outlen = len;
    return o;
}

START_TEST(record_order_and_unknown_records)
{
    make_tmpdir();
    size_t n, len;
    uint8_t *b = sample_bytes(&n);
    rec_t r[32];
    size_t nr = records(b, n, r, 32);
    /* HEADER, 3 MODULE, AGE_EDGES, 4 SITE, END */
    ck_assert_uint_eq(nr, 10);
    ck_assert_uint_eq(r[0].tag, 1);
    ck_assert_uint_eq(r[4].tag, 3);
    ck_assert_uint_eq(r[9].tag, 0xFFFF);

    const uint8_t unknown[] = {0x34, 0x12, 3, 0, 0, 0, 'a', 'b', 'c'};
    int same[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1};
    for (int at = 1; at <= 9; at++) { /* an unknown record anywhere after HEADER is skipped */
        uint8_t *o = rebuild(b, n, same, unknown, sizeof unknown, at, &len);
        char err[512];
        ck_assert_msg(parse(o, len, err, sizeof err) == 0, "at %d: %s", at, err);
        free(o);
    }
    int two_headers[] = {0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1};
    uint8_t *o = rebuild(b, n, two_headers, NULL, 0, -1, &len);
    ck_rejects(o, len, "more than one HEADER");
    free(o);
    int module_late[] = {0, 1, 2, 4, 3, 5, 6, 7, 8, 9, -1};
    o = rebuild(b, n, module_late, NULL, 0, -1, &len);
    ck_rejects(o, len, "MODULE record after AGE_EDGES");
    free(o);
    int no_header[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, -1};
    o = rebuild(b, n, no_header, NULL, 0, -1, &len);
    ck_rejects(o, len, "before HEADER");
    free(o);
    int no_edges[] = {0, 1, 2, 3, 5, 6, 7, 8, 9, -1};
    o = rebuild(b, n, no_edges, NULL, 0, -1, &len);
    ck_rejects(o, len, "SITE record before AGE_EDGES");
    free(o);
    int dup_site[] = {0, 1, 2, 3, 4, 5, 6, 6, 7, 8, 9, -1};
    o = rebuild(b, n, dup_site, NULL, 0, -1, &len);
    ck_rejects(o, len, "two SITE records with id");
    free(o);
    ck_rejects(b, n - 22, "truncated (no END record)"); /* ends cleanly after the last SITE */

    /* Data after END, n_sites disagreeing with the records. */
    uint8_t *t = malloc(n + 1);
    memcpy(t, b, n);
    t[n] = 0;
    ck_rejects(t, n + 1, "after the END record");
    set_end_sites(t, n, 5);
    fix_checksum(t, n);
    ck_rejects(t, n, "END record counts 5 sites");
    free(t);
    free(b);
    rm_tmpdir();
}
END_TEST

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

START_TEST(counts_out_of_range)
{
    make_tmpdir();
    size_t n;
    uint8_t *b = sample_bytes(&n);
    rec_t r[32];
    records(b, n, r, 32);
    uint8_t *c = malloc(n);
#define FRESH() memcpy(c, b, n)
    /* A length that runs past the end of the file. */
    FRESH();
    put32(c + r[6].off + 2, 0xFFFFFFF0u);
    ck_rejects(c, n, "SITE record runs past end of file");
    /* nframes 0 and 129, and an absurd nframes with the length to match it impossible. */
    const size_t site1 = r[6].off + 6; /* the 16-frame site */
    FRESH();
    put16(c + site1 + 4, 0);
    fix_checksum(c, n);
    ck_rejects(c, n, "has 0 frames");
    FRESH();
    put16(c + site1 + 4, 60000);
    fix_checksum(c, n);
    ck_rejects(c, n, "has 60000 frames");
    FRESH();
    put16(c + site1 + 4, 15); /* consistent range, inconsistent length */
    fix_checksum(c, n);
    ck_rejects(c, n, "bad length");
    FRESH();
    put16(c + site1 + 6, 40000);
    fix_checksum(c, n);
    ck_rejects(c, n, "age entries for 4 buckets");
    /* Age edges: count out of range, not increasing. */
    const size_t edges = r[4].off + 6;
    FRESH();
    put32(c + edges, 1000000);
    fix_checksum(c, n);
    ck_rejects(c, n, "AGE_EDGES record has a bad count");
    FRESH();
    put64(c + edges + 4 + 8, 0);
    fix_checksum(c, n);
    ck_rejects(c, n, "not strictly increasing");
    /* A site whose age entries do not add up; a bucket out of range. */
    FRESH();
    put64(c + site1 + 8, 12345);
    fix_checksum(c, n);
    ck_rejects(c, n, "do not add up");
    FRESH();
    put16(c + site1 + 48 + 16 * 8, 9);
    fix_checksum(c, n);
    ck_rejects(c, n, "out of order or out of range");
    /* A module with a build-id longer than 64 bytes; a module ending before it starts. */
    const size_t mod0 = r[1].off + 6;
    FRESH();
    c[mod0 + 32] = 65;
    fix_checksum(c, n);
    ck_rejects(c, n, "MODULE record 0 has a bad length");
    FRESH();
    put64(c + mod0 + 8, 1);
    fix_checksum(c, n);
    ck_rejects(c, n, "ends before it starts");
    /* HEADER: a label length beyond the record. */
    FRESH();
    put16(c + r[0].off + 6 + 144, 300);
    fix_checksum(c, n);
    ck_rejects(c, n, "HEADER record has a bad length");
#undef FRESH
    free(c);
    free(b);
    rm_tmpdir();
}
END_TEST

/* Random damage, with the checksum repaired so the damage reaches the decoder: nothing
 * may crash or read out of bounds (run under ASan by `make check-sanitize`). */
START_TEST(random_damage_never_crashes)
{
    make_tmpdir();
    size_t n;
    uint8_t *b = sample_bytes(&n);
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    int accepted = 0;
    for (int iter = 0; iter < 20000; iter++) {
        size_t len = n;
        uint8_t *c = malloc(n);
        memcpy(c, b, n);
        int flips = 1 + iter % 4;
        for (int k = 0; k < flips; k++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            size_t at = 16 + (size_t)(seed >> 33) % (n - 34);
            c[at] = (uint8_t)(seed >> 13);
        }
        if (iter % 7 == 0)
            len = n - (size_t)(seed >> 40) % 64;
        if (len >= 34)
            fix_checksum(c, len);
        uint8_t *d = malloc(len);
        memcpy(d, c, len);
        char err[512];
        accepted += parse(d, len, err, sizeof err) == 0;
        free(d);
        free(c);
    }
    ck_assert_int_lt(accepted, 20000);
    free(b);
    rm_tmpdir();
}
END_TEST

START_TEST(read_errors)
{
    make_tmpdir();
    char path[300], err[512];
    ls_snapshot_t s;
    snprintf(path, sizeof path, "%s/empty.lss", tmpdir);
    put_file(path, "", 0);
    ck_assert_int_eq(ls_snapshot_read(path, &s, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "empty file"));
    ck_assert(strncmp(err, path, strlen(path)) == 0);
    snprintf(path, sizeof path, "%s/missing.lss", tmpdir);
    ck_assert_int_eq(ls_snapshot_read(path, &s, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "missing.lss: No such file or directory"));
    ck_assert_int_eq(ls_snapshot_read(tmpdir, &s, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "is a directory"));
    /* A tiny error buffer truncates the message, never overflows. */
    char small[8];
    ck_assert_int_eq(ls_snapshot_read(path, &s, small, sizeof small), -1);
    ck_assert_uint_eq(strlen(small), 7);
    rm_tmpdir();
}
END_TEST

/* ---- directories ----------------------------------------------------------------------- */

static void write_named(const char *name, uint64_t pid, uint64_t seq, uint64_t start)
{
    ls_snapshot_t s;
    memset(&s, 0, sizeof s);
    s.pid = pid;
    s.seq = seq;
    s.start_mono_ns = start;
    s.label = "l";
    char path[400], err[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    ck_assert_msg(ls_snapshot_write(path, &s, err, sizeof err) == 0, "%s", err);
}

START_TEST(run_open_groups_and_orders)
{
    make_tmpdir();
    /* pid 100 started later than pid 200; pid 300 ran two programs (exec). */
    write_named("srv.100.000002.timer.lss", 100, 2, 5000);
    write_named("srv.100.000001.start.lss", 100, 1, 5000);
    write_named("srv.100.000010.exit.lss", 100, 10, 5000);
    write_named("wrk.200.000001.exit.lss", 200, 1, 1000);
    write_named("sh.300.000001.timer.lss", 300, 1, 7000);
    write_named("prog.300.000001.start.lss", 300, 1, 8000);
    write_named("prog.300.000002.exit.lss", 300, 2, 8000);
    char p[400];
    snprintf(p, sizeof p, "%s/.srv.100.000011.x.lss.tmp", tmpdir);
    put_file(p, "junk", 4);
    snprintf(p, sizeof p, "%s/notes.txt", tmpdir);
    put_file(p, "junk", 4);
    snprintf(p, sizeof p, "%s/badly-named.lss", tmpdir);
    put_file(p, "junk", 4);

    ls_run_t run;
    char err[512];
    ck_assert_msg(ls_run_open(tmpdir, &run, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(run.n_procs, 4);
    ck_assert_uint_eq(run.procs[0].pid, 200);
    ck_assert_uint_eq(run.procs[1].pid, 100);
    ck_assert_str_eq(run.procs[1].prog, "srv");
    ck_assert_uint_eq(run.procs[1].n_paths, 3);
    ck_assert_ptr_nonnull(strstr(run.procs[1].paths[0], "/srv.100.000001.start.lss"));
    ck_assert_ptr_nonnull(strstr(run.procs[1].paths[1], "/srv.100.000002.timer.lss"));
    ck_assert_ptr_nonnull(strstr(run.procs[1].paths[2], "/srv.100.000010.exit.lss"));
    ck_assert_str_eq(run.procs[2].prog, "sh");
    ck_assert_str_eq(run.procs[3].prog, "prog");
    ck_assert_uint_eq(run.procs[3].n_paths, 2);
    ls_run_free(&run);

    char *r = ls_resolve_snapshot_arg(tmpdir, 0, err, sizeof err);
    ck_assert_ptr_nonnull(r);
    ck_assert_ptr_nonnull(strstr(r, "/wrk.200.000001.exit.lss"));
    free(r);
    r = ls_resolve_snapshot_arg(tmpdir, 100, err, sizeof err);
    ck_assert_ptr_nonnull(strstr(r, "/srv.100.000010.exit.lss"));
    free(r);
    r = ls_resolve_snapshot_arg(tmpdir, 300, err, sizeof err); /* the program pid 300 became */
    ck_assert_ptr_nonnull(strstr(r, "/prog.300.000002.exit.lss"));
    free(r);
    ck_assert_ptr_null(ls_resolve_snapshot_arg(tmpdir, 999, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "no snapshots of pid 999 in directory (pids: 200, 100, 300, 300)"));
    snprintf(p, sizeof p, "%s/srv.100.000002.timer.lss", tmpdir);
    r = ls_resolve_snapshot_arg(p, 0, err, sizeof err);
    ck_assert_str_eq(r, p);
    free(r);
    rm_tmpdir();
}
END_TEST

START_TEST(run_open_errors)
{
    make_tmpdir();
    ls_run_t run;
    char err[512], p[400];
    ck_assert_int_eq(ls_run_open(tmpdir, &run, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, ": no snapshots (*.lss) in directory"));
    snprintf(p, sizeof p, "%s/nope", tmpdir);
    ck_assert_int_eq(ls_run_open(p, &run, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "/nope: No such file or directory"));
    ck_assert_ptr_null(ls_resolve_snapshot_arg(p, 0, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "/nope: No such file or directory"));
    snprintf(p, sizeof p, "%s/odd.lss", tmpdir);
    put_file(p, "x", 1);
    ck_assert_int_eq(ls_run_open(tmpdir, &run, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "not named <prog>.<pid>.<seq>.<label>.lss"));
    /* A process whose first snapshot is unreadable still lists (it sorts last). */
    snprintf(p, sizeof p, "%s/a.5.000001.x.lss", tmpdir);
    put_file(p, "garbage", 7);
    write_named("b.6.000001.x.lss", 6, 1, 99);
    ck_assert_int_eq(ls_run_open(tmpdir, &run, err, sizeof err), 0);
    ck_assert_uint_eq(run.n_procs, 2);
    ck_assert_uint_eq(run.procs[0].pid, 6);
    ls_run_free(&run);
    rm_tmpdir();
}
END_TEST

/* Writes fuzzing seeds (LS_FUZZ_SEEDS=DIR): the sample, a minimal file, a large site. */
START_TEST(write_fuzz_seeds)
{
    const char *dir = getenv("LS_FUZZ_SEEDS");
    if (!dir)
        return;
    mkdir(dir, 0755);
    char path[600], err[256];
    ls_snapshot_t s = sample();
    snprintf(path, sizeof path, "%s/sample.lss", dir);
    ck_assert_msg(ls_snapshot_write(path, &s, err, sizeof err) == 0, "%s", err);
    memset(&s, 0, sizeof s);
    snprintf(path, sizeof path, "%s/minimal.lss", dir);
    ck_assert(ls_snapshot_write(path, &s, err, sizeof err) == 0);
    s = sample();
    s.n_sites = 1;
    s.sites = &sites_pool[2];
    snprintf(path, sizeof path, "%s/one-deep-site.lss", dir);
    ck_assert(ls_snapshot_write(path, &s, err, sizeof err) == 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("analyzer_snapshot");
    TCase *t = tcase_create("core");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, round_trip_all_fields);
    tcase_add_test(t, round_trip_leaks_record);
    tcase_add_test(t, round_trip_minimal_and_default_edges);
    tcase_add_test(t, writer_refuses_inconsistent_input);
    tcase_add_test(t, every_truncation_is_rejected);
    tcase_add_test(t, every_byte_flip_is_rejected);
    tcase_add_test(t, bad_magic_version_checksum);
    tcase_add_test(t, record_order_and_unknown_records);
    tcase_add_test(t, counts_out_of_range);
    tcase_add_test(t, random_damage_never_crashes);
    tcase_add_test(t, read_errors);
    tcase_add_test(t, run_open_groups_and_orders);
    tcase_add_test(t, run_open_errors);
    tcase_add_test(t, write_fuzz_seeds);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return ls_check_run(suite(), CK_FORK_GETENV);
}
