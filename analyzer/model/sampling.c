/*
 * sampling.c — reading a snapshot's SAMPLING record (sampling.h, docs/format.md).
 *
 * The snapshot reader (load/snapshot.c) validates every file the series loads and skips
 * records it does not know; this file reads the one record it adds on demand, for the
 * snapshots the sampled analysis needs (the first, the burn-in, the last of a process), so
 * the exact path pays nothing.
 */
#include "sampling.h"

#include <stdlib.h>
#include <string.h>

#include "leakscope_format.h"
#include "util.h"

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int bad(char *err, size_t errlen, const char *name, const char *what)
{
    snprintf(err, errlen, "%s: corrupt: %s", name, what);
    return -1;
}

/* Decode the record's payload p[0..rl). */
static int decode(const uint8_t *p, uint32_t rl, const char *name, ls_sampling_t *out, char *err, size_t errlen)
{
    if (rl < LS_FMT_SAMPLING_FIXED)
        return bad(err, errlen, name, "SAMPLING record is too short");
    uint32_t n = get32(p + 24);
    if (rl != LS_FMT_SAMPLING_FIXED + (uint64_t)LS_FMT_SAMPLING_ENTRY_LEN * n)
        return bad(err, errlen, name, "SAMPLING record has a bad length");
    out->sampled = 1;
    out->rate = get64(p);
    out->seed = get64(p + 8);
    out->flags = get64(p + 16);
    out->n = n;
    out->sites = ls_xcalloc(n ? n : 1, sizeof *out->sites);
    const uint8_t *e = p + LS_FMT_SAMPLING_FIXED;
    for (uint32_t i = 0; i < n; i++, e += LS_FMT_SAMPLING_ENTRY_LEN) {
        ls_sample_site_t *s = &out->sites[i];
        s->id = get32(e);
        s->live_samples = get64(e + 4);
        s->samples = get64(e + 12);
        s->sd = get64(e + 20);
        if (i && s->id <= out->sites[i - 1].id) {
            ls_sampling_free(out);
            return bad(err, errlen, name, "SAMPLING record's sites are not in increasing order");
        }
    }
    if (!out->rate) {
        ls_sampling_free(out);
        return bad(err, errlen, name, "SAMPLING record has a rate of 0");
    }
    return 0;
}

int ls_sampling_parse(const uint8_t *data, size_t len, const char *name, ls_sampling_t *out, char *err,
                      size_t errlen)
{
    memset(out, 0, sizeof *out);
    size_t pos = LS_FMT_PREAMBLE_LEN;
    if (len < pos || memcmp(data, LS_FMT_MAGIC, LS_FMT_MAGIC_LEN) != 0)
        return bad(err, errlen, name, "not a snapshot");
    while (len - pos >= LS_FMT_RECHDR_LEN) {
        uint16_t tag = (uint16_t)(data[pos] | data[pos + 1] << 8);
        uint32_t rl = get32(data + pos + 2);
        if (rl > len - pos - LS_FMT_RECHDR_LEN)
            return bad(err, errlen, name, "a record runs past the end of the file");
        if (tag == LS_TAG_SAMPLING)
            return decode(data + pos + LS_FMT_RECHDR_LEN, rl, name, out, err, errlen);
        if (tag == LS_TAG_END)
            return 0;
        pos += LS_FMT_RECHDR_LEN + (size_t)rl;
    }
    return 0;
}

int ls_sampling_read(const char *path, ls_sampling_t *out, char *err, size_t errlen)
{
    char *buf;
    size_t len;
    memset(out, 0, sizeof *out);
    if (ls_read_file(path, (size_t)1 << 34, "snapshot", &buf, &len, err, errlen) < 0)
        return -1;
    int r = ls_sampling_parse((const uint8_t *)buf, len, path, out, err, errlen);
    free(buf);
    return r;
}

void ls_sampling_free(ls_sampling_t *s)
{
    free(s->sites);
    memset(s, 0, sizeof *s);
}

const ls_sample_site_t *ls_sampling_site(const ls_sampling_t *s, uint32_t id)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->sites[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n && s->sites[lo].id == id ? &s->sites[lo] : NULL;
}

const char *ls_sampling_rate_text(char *buf, size_t len, uint64_t rate)
{
    if (rate % (1024 * 1024) == 0)
        snprintf(buf, len, "%llu MiB", (unsigned long long)(rate >> 20));
    else if (rate % 1024 == 0)
        snprintf(buf, len, "%llu KiB", (unsigned long long)(rate >> 10));
    else
        snprintf(buf, len, "%llu B", (unsigned long long)rate);
    return buf;
}
