/*
 * fuzz_snapshot.c — libFuzzer harness for the snapshot parser (clang -fsanitize=fuzzer,
 * linked with build/analyzer.a): any input must be rejected cleanly or parsed into a
 * consistent snapshot, which then goes through the statistics code. Each input is parsed
 * twice: as given, and with its END checksum repaired, so mutations reach the decoder
 * (a fuzzer cannot forge FNV-1a by itself).
 * Seeds: LS_FUZZ_SEEDS=DIR build/tests/unit/test_analyzer_snapshot writes a few.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"
#include "stats.h"
#include "leakscope_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one(const uint8_t *data, size_t size)
{
    ls_snapshot_t s;
    char err[512];
    if (ls_snapshot_parse(data, size, "fuzz", &s, err, sizeof err) < 0) {
        if (strncmp(err, "fuzz: ", 6) != 0 || strchr(err, '\n'))
            abort(); /* every rejection is one line naming the input */
        return;
    }
    /* Stand-in symbolization (no file system access): each frame is its own "line". */
    size_t nframes = 0;
    for (size_t i = 0; i < s.n_sites; i++)
        nframes += s.sites[i].nframes;
    ls_frame_info_t *info = calloc(nframes ? nframes : 1, sizeof *info);
    ls_frame_info_t *fi = info;
    for (size_t i = 0; i < s.n_sites; i++) {
        ls_site_t *st = &s.sites[i];
        uint64_t sum = 0;
        for (unsigned k = 0; k < st->nage; k++)
            sum += st->age[k].bytes;
        if (sum != st->live_bytes)
            abort(); /* the parser promised this */
        for (unsigned k = 0; k < st->nframes; k++) {
            fi[k].addr = st->frames[k];
            fi[k].function = "f";
            fi[k].file = (st->frames[k] & 1) ? "??" : "a.c";
            fi[k].module = "m";
            fi[k].line = (int)(st->frames[k] % 7);
        }
        st->info = fi;
        st->loc = (int)(st->id % st->nframes);
        fi += st->nframes;
    }
    for (int key = LS_BY_LINENO; key <= LS_BY_TRACEBACK; key++) {
        ls_stats_t st;
        if (ls_statistics(&s, (ls_key_type_t)key, key == LS_BY_FUNCTION, &st, err, sizeof err) == 0)
            ls_stats_free(&st);
        if (ls_compare_to(&s, &s, (ls_key_type_t)key, 0, &st, err, sizeof err) == 0)
            ls_stats_free(&st);
    }
    free(info);
    ls_snapshot_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one(data, size);
    /* With the checksum made right, if the input ends like an END record (tag, length 16). */
    if (size >= 38 && data[size - 22] == 0xFF && data[size - 21] == 0xFF && data[size - 20] == 16 &&
        !data[size - 19] && !data[size - 18] && !data[size - 17]) {
        uint8_t *copy = malloc(size);
        memcpy(copy, data, size);
        uint64_t h = ls_cksum(copy, size - 22);
        for (int k = 0; k < 8; k++)
            copy[size - 8 + k] = (uint8_t)(h >> (8 * k));
        one(copy, size);
        free(copy);
    }
    return 0;
}
