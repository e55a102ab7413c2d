/*
 * checksum.h — the END record's checksum (docs/format.md), shared by the shim's writer
 * and the analyzer's reader and writer. Byte-wise hashes are latency-bound (a multiply
 * per byte: ~1.4 ns/byte here, most of the time to read a long series), so this one
 * takes 8-byte little-endian words round-robin into 4 independent lanes, each an
 * FNV-style multiply with a fold, and combines the lanes at the end: ~0.1 ns/byte.
 */
#ifndef LS_CHECKSUM_H
#define LS_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

#endif /* LS_CHECKSUM_H */
