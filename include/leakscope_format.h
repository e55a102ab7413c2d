/*
 * leakscope_format.h — the one definition of the snapshot file format (docs/format.md
 * describes it in prose): magic, version, record tags, the fixed sizes of every record and
 * the END record's checksum. Included by the shim's writer (shim/writer.c), the analyzer's
 * reader and test writer (analyzer/load/snapshot.c, snapshot_write.c) and the tests, so a
 * change to the format is made here once. It lives in include/ because every part of the
 * build already has include/ on its path (no ../shim/ includes) and because the format is a
 * public contract, like leakscope.h: other tools may read snapshot files with it.
 * Header only, no allocation, no libc calls beyond memcpy: safe inside the shim.
 */
#ifndef LEAKSCOPE_FORMAT_H
#define LEAKSCOPE_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- preamble: magic, u32 version, u32 flags (0) --------------------------------- */
#define LS_FMT_MAGIC "LSCOPE\r\n"
#define LS_FMT_MAGIC_LEN 8
#define LS_FMT_VERSION 2     /* a reader rejects a larger version; 2 added LEAKS */
#define LS_FMT_VERSION_MIN 1 /* the oldest version still read (no LEAKS record) */
#define LS_FMT_PREAMBLE_LEN (LS_FMT_MAGIC_LEN + 4 + 4)

/* ---- records: u16 tag, u32 payload length, payload ------------------------------- */
#define LS_FMT_RECHDR_LEN (2 + 4)
#define LS_TAG_HEADER 1
#define LS_TAG_MODULE 2
#define LS_TAG_AGE_EDGES 3
#define LS_TAG_SITE 4
#define LS_TAG_LEAKS 5 /* version 2: the reachability scan at exit (docs/scan.md) */
#define LS_TAG_SAMPLING 6 /* issue 11: a sampled snapshot's rate and per-site sample figures */
#define LS_TAG_END 0xFFFF

/* HEADER: 18 u64 fields, then three strings (label, prog, exe), each u16 length + bytes. */
#define LS_FMT_HEADER_U64S 18
#define LS_FMT_HEADER_FIXED (LS_FMT_HEADER_U64S * 8)
#define LS_FMT_HEADER_STRLEN 2 /* the u16 before each string */
#define LS_FMT_HEADER_STRINGS 3
#define LS_FMT_HEADER_STRING_MAX 255 /* bytes of each HEADER string (longer ones are cut) */
/* MODULE: start, end, bias, flags (u64), build-id (u8 length + bytes), path (u16 + bytes). */
#define LS_FMT_MODULE_FIXED (4 * 8)
#define LS_FMT_BUILD_ID_MAX 64
#define LS_FMT_MODULE_STRLENS (1 + 2)
#define LS_FMT_MODULE_UNLOADED 1u /* flags bit 0 */
/* AGE_EDGES: u32 n, then n u64 edges (2 <= n <= LS_FMT_MAX_AGE_BUCKETS + 1). */
#define LS_FMT_AGE_EDGES_FIXED 4
#define LS_FMT_MAX_AGE_BUCKETS 32
/* SITE: u32 id, u16 nframes, u16 nage, five u64 counters, nframes u64 frames, nage age
 * entries (u16 bucket, u64 bytes, u64 count). */
#define LS_FMT_SITE_FIXED (4 + 2 + 2 + 5 * 8)
#define LS_FMT_FRAME_LEN 8
#define LS_FMT_MAX_FRAMES 128
#define LS_FMT_AGE_ENTRY_LEN (2 + 8 + 8)
/* LEAKS (at most one, after the SITE records): u64 blocks scanned, heap bytes, root bytes,
 * threads, scan time in ns; u32 n; n entries of u32 site id, u64 direct bytes, direct count,
 * indirect bytes, indirect count. */
#define LS_FMT_LEAKS_TOTALS 5
#define LS_FMT_LEAKS_FIXED (LS_FMT_LEAKS_TOTALS * 8 + 4)
#define LS_FMT_LEAKS_ENTRY_LEN (4 + 4 * 8)
/* SAMPLING (at most one, after the SITE records; only in a sampled snapshot, whose SITE and
 * HEADER figures are then unbiased estimates): u64 rate (mean bytes between samples), u64
 * seed (LEAKSCOPE_SEED, 0 = from the clock), u64 flags (LS_FMT_SAMPLING_*); u32 n; n entries
 * of u32 site id, u64 live samples, u64 samples taken since start, u64 standard deviation
 * of the site's live_bytes estimate (bytes). Readers of an older version skip it. */
#define LS_FMT_SAMPLING_FIXED (3 * 8 + 4)
#define LS_FMT_SAMPLING_ENTRY_LEN (4 + 3 * 8)
#define LS_FMT_SAMPLING_RATE_CHANGED 1u /* the rate changed during the run */
/* END: u64 n_sites, u64 checksum of every byte before END's tag. */
#define LS_FMT_END_LEN (8 + 8)
/* HEADER state_flags bits. */
#define LS_FMT_STATE_STOPPED 1u
#define LS_FMT_STATE_UNTRACKED 2u
#define LS_FMT_STATE_SAMPLED 4u /* issue 11: figures are estimates (see SAMPLING) */

/* ---- the END record's checksum ----------------------------------------------------
 * Byte-wise hashes are latency-bound (a multiply per byte: ~1.4 ns/byte here, most of the
 * time to read a long series), so this one takes 8-byte little-endian words round-robin
 * into 4 independent lanes, each an FNV-style multiply with a fold, and combines the lanes
 * at the end: ~0.1 ns/byte. */

#define LS_CKSUM_PRIME 0x100000001b3ull
#define LS_CKSUM_BASIS 0xcbf29ce484222325ull

typedef struct {
    uint64_t lane[4];
    uint64_t words; /* words taken so far: word i goes to lane i % 4 */
    uint64_t bytes;
} ls_cksum_t;

static inline void ls_cksum_init(ls_cksum_t *c)
{
    for (int k = 0; k < 4; k++)
        c->lane[k] = LS_CKSUM_BASIS + (uint64_t)k;
    c->words = 0;
    c->bytes = 0;
}

static inline uint64_t ls_cksum_step(uint64_t h, uint64_t w)
{
    h = (h ^ w) * LS_CKSUM_PRIME;
    return h ^ (h >> 32);
}

static inline uint64_t ls_cksum_load(const uint8_t *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

/* Take n bytes. Every call but the last must pass a multiple of 8 bytes; the last may
 * end with a partial word, which counts as zero-padded. */
static inline void ls_cksum_update(ls_cksum_t *c, const uint8_t *p, size_t n)
{
    size_t i = 0;
    c->bytes += n;
    while ((c->words & 3) && i + 8 <= n) { /* realign to lane 0 */
        c->lane[c->words & 3] = ls_cksum_step(c->lane[c->words & 3], ls_cksum_load(p + i));
        c->words++;
        i += 8;
    }
    for (; i + 32 <= n; i += 32) {
        c->lane[0] = ls_cksum_step(c->lane[0], ls_cksum_load(p + i));
        c->lane[1] = ls_cksum_step(c->lane[1], ls_cksum_load(p + i + 8));
        c->lane[2] = ls_cksum_step(c->lane[2], ls_cksum_load(p + i + 16));
        c->lane[3] = ls_cksum_step(c->lane[3], ls_cksum_load(p + i + 24));
        c->words += 4;
    }
    for (; i + 8 <= n; i += 8, c->words++)
        c->lane[c->words & 3] = ls_cksum_step(c->lane[c->words & 3], ls_cksum_load(p + i));
    if (i < n) {
        uint8_t last[8] = {0};
        memcpy(last, p + i, n - i);
        c->lane[c->words & 3] = ls_cksum_step(c->lane[c->words & 3], ls_cksum_load(last));
        c->words++;
    }
}

static inline uint64_t ls_cksum_final(const ls_cksum_t *c)
{
    uint64_t h = LS_CKSUM_BASIS;
    for (int k = 0; k < 4; k++)
        h = ls_cksum_step(h, c->lane[k]);
    return ls_cksum_step(h, c->bytes);
}

/* The checksum of one contiguous block. */
static inline uint64_t ls_cksum(const uint8_t *p, size_t n)
{
    ls_cksum_t c;
    ls_cksum_init(&c);
    ls_cksum_update(&c, p, n);
    return ls_cksum_final(&c);
}

#endif /* LEAKSCOPE_FORMAT_H */
