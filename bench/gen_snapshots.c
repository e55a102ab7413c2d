/*
 * gen_snapshots.c — a synthetic run for the report benchmark: NSNAP snapshots of one
 * process with NSITES sites each (70% constant, 10% leaking, 10% churning, 10% warm-up),
 * with the age histograms the shim would write, through ls_snapshot_write.
 *   gen_snapshots OUTDIR NSNAP NSITES
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "snapshot.h"

#define NFRAMES 8
#define STEP 10 /* steps between snapshots */

static uint64_t rng = 424242;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fputs("usage: gen_snapshots OUTDIR NSNAP NSITES\n", stderr);
        return 2;
    }
    const char *dir = argv[1];
    long nsnap = atol(argv[2]), nsites = atol(argv[3]);
    if (nsnap < 1 || nsites < 1)
        return 2;
    mkdir(dir, 0755);
    ls_module_t mod = {0x400000, 0x10000000, 0x400000, 0, {1, 2, 3, 4}, 4, "/opt/leakscope-bench/app"};
    ls_site_t *sites = calloc((size_t)nsites, sizeof *sites);
    uint64_t *frames = calloc((size_t)nsites * NFRAMES, sizeof *frames);
    ls_age_t *ages = calloc((size_t)nsites * 32, sizeof *ages);
    int *kind = calloc((size_t)nsites, sizeof *kind);
    uint64_t *size = calloc((size_t)nsites, sizeof *size);
    for (long i = 0; i < nsites; i++) {
        sites[i].id = (uint32_t)i + 1;
        sites[i].nframes = NFRAMES;
        sites[i].frames = frames + i * NFRAMES;
        for (int k = 0; k < NFRAMES; k++)
            sites[i].frames[k] = 0x400000 + (next() % 0x1000000);
        sites[i].age = ages + i * 32;
        uint64_t r = next() % 10;
        kind[i] = r < 7 ? 0 : r == 7 ? 1 : r == 8 ? 2 : 3;
        size[i] = 16 + next() % 4096;
    }
    uint64_t warm_end = (uint64_t)(nsnap * STEP / 20);
    for (long j = 0; j < nsnap; j++) {
        uint64_t step = (uint64_t)j * STEP, span = step + 1, w = span <= 32 ? 1 : (span + 31) / 32;
        uint64_t nb = (span + w - 1) / w;
        ls_snapshot_t s;
        memset(&s, 0, sizeof s);
        s.pid = 777;
        s.ppid = 1;
        s.seq = (uint64_t)j + 1;
        s.step = step;
        s.marked = 1;
        s.epoch = step;
        s.start_mono_ns = 1;
        s.mono_ns = 1 + (uint64_t)j * 1000000;
        s.frames_max = NFRAMES;
        s.label = "bench";
        s.prog = "benchapp";
        s.exe = mod.path;
        s.modules = &mod;
        s.n_modules = 1;
        s.sites = sites;
        s.n_sites = (size_t)nsites;
        for (long i = 0; i < nsites; i++) {
            ls_site_t *st = &sites[i];
            st->nage = 0;
            st->live_bytes = st->live_count = 0;
            switch (kind[i]) {
            case 0: /* one block, allocated at start */
                st->age[st->nage++] = (ls_age_t){0, size[i], 1};
                break;
            case 1: /* leaks size/16 bytes a step: every bucket holds its share */
                for (uint64_t b = 0; b < nb; b++) {
                    uint64_t lo = b * w, hi = (b + 1) * w < span ? (b + 1) * w : span;
                    uint64_t cnt = hi - lo;
                    st->age[st->nage++] = (ls_age_t){(uint16_t)b, cnt * (size[i] / 16 + 1), cnt};
                }
                break;
            case 2: /* young churn of random size */
                st->age[st->nage++] = (ls_age_t){(uint16_t)(nb - 1), size[i] * (1 + next() % 8), 1 + next() % 8};
                break;
            default: /* filled during the first 5% of the run */
                for (uint64_t b = 0; b < nb && b * w <= warm_end && b * w <= step; b++) {
                    uint64_t lo = b * w, hi = (b + 1) * w;
                    if (hi > warm_end + 1)
                        hi = warm_end + 1;
                    if (hi > span)
                        hi = span;
                    if (hi > lo)
                        st->age[st->nage++] = (ls_age_t){(uint16_t)b, (hi - lo) * size[i], hi - lo};
                }
            }
            for (unsigned k = 0; k < st->nage; k++) {
                st->live_bytes += st->age[k].bytes;
                st->live_count += st->age[k].count;
            }
            st->alloc_count = st->live_count + (uint64_t)j;
            st->alloc_bytes = st->live_bytes;
            st->free_count = (uint64_t)j;
            s.traced_current += st->live_bytes;
        }
        s.traced_peak = s.traced_current;
        char path[1024], err[512];
        snprintf(path, sizeof path, "%s/benchapp.777.%06ld.bench.lss", dir, j + 1);
        if (ls_snapshot_write(path, &s, err, sizeof err) < 0) {
            fprintf(stderr, "gen_snapshots: %s\n", err);
            return 1;
        }
    }
    return 0;
}
