/*
 * gen_series.c — writes the synthetic snapshot series the golden files are made from:
 * two processes of a made-up program whose modules do not exist on disk (so frames print
 * as module+0x...), with one site per behaviour, built from individual allocations so that
 * live bytes and birth ages agree. Deterministic: same output every run.
 *   gen_series OUTDIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "snapshot.h"

#define MAXOBJ 20000

typedef struct {
    double birth, death, size;
} obj_t;

typedef struct {
    uint64_t frames[4];
    int nframes;
    obj_t *o;
    size_t n;
} gsite_t;

static uint64_t rng = 12345;
static double rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static void add(gsite_t *s, double birth, double death, double size)
{
    if (s->n < MAXOBJ)
        s->o[s->n++] = (obj_t){birth, death, size};
}

/* The shim's edges for `epoch`: [0, epoch+1) in at most 32 equal buckets. */
static size_t edges_for(uint64_t epoch, uint64_t *e)
{
    uint64_t span = epoch + 1, w = span <= 32 ? 1 : (span + 31) / 32;
    size_t n = 0;
    for (uint64_t x = 0; x < span; x += w)
        e[n++] = x;
    e[n++] = span;
    return n;
}

static void write_process(const char *dir, const char *prog, uint64_t pid, uint64_t ppid, gsite_t *sites,
                          size_t nsites, long steps, long every, int teardown)
{
    ls_module_t mods[2] = {{0x400000, 0x480000, 0x400000, 0, {0xab, 0xcd}, 2, NULL},
                           {0x7f0000000000, 0x7f0000100000, 0x7f0000000000, 0, {0x12, 0x34}, 2, NULL}};
    char m0[64], m1[64];
    snprintf(m0, sizeof m0, "/opt/leakscope-golden/bin/%s", prog);
    snprintf(m1, sizeof m1, "/opt/leakscope-golden/lib/libcache.so.1");
    mods[0].path = m0;
    mods[1].path = m1;
    uint64_t seq = 0;
    long last = (steps / every) * every;
    for (long step = 0; step <= last + (teardown ? every : 0); step += every) {
        int is_exit = step > last; /* the `exit` snapshot, at the last step */
        long at = is_exit ? steps : step;
        ls_snapshot_t s;
        memset(&s, 0, sizeof s);
        uint64_t edges[33];
        s.n_age_edges = edges_for((uint64_t)at, edges);
        s.age_edges = edges;
        s.pid = pid;
        s.ppid = ppid;
        s.seq = ++seq;
        s.step = (uint64_t)at;
        s.marked = 1;
        s.epoch = (uint64_t)at;
        s.time_ns = 1700000000000000000ull + seq * 1000000ull;
        s.start_mono_ns = 1000000000ull;
        s.mono_ns = s.start_mono_ns + seq * 1000000ull;
        s.frames_max = 16;
        s.label = is_exit ? "exit" : "step";
        s.prog = (char *)prog;
        s.exe = m0;
        s.modules = mods;
        s.n_modules = 2;
        s.sites = calloc(nsites, sizeof *s.sites);
        ls_age_t *ages = calloc(nsites * 32, sizeof *ages);
        for (size_t k = 0; k < nsites; k++) {
            gsite_t *g = &sites[k];
            ls_site_t *st = &s.sites[s.n_sites];
            double bytes[32] = {0}, count[32] = {0};
            int any = 0;
            for (size_t i = 0; i < g->n; i++) {
                const obj_t *o = &g->o[i];
                if (o->birth > at)
                    continue;
                any = 1;
                st->alloc_count++;
                st->alloc_bytes += (uint64_t)o->size;
                int alive = is_exit ? o->death > at + 0.75 : o->death > at;
                if (!alive) {
                    st->free_count++;
                    continue;
                }
                size_t b = 0;
                while (b + 2 < s.n_age_edges && (double)edges[b + 1] <= o->birth)
                    b++;
                bytes[b] += o->size;
                count[b] += 1;
            }
            if (!any)
                continue;
            st->id = (uint32_t)(k + 1);
            st->nframes = (uint16_t)g->nframes;
            st->frames = g->frames;
            st->age = ages + 32 * k;
            for (size_t b = 0; b + 1 < s.n_age_edges; b++)
                if (count[b] > 0) {
                    st->age[st->nage++] = (ls_age_t){(uint16_t)b, (uint64_t)bytes[b], (uint64_t)count[b]};
                    st->live_bytes += (uint64_t)bytes[b];
                    st->live_count += (uint64_t)count[b];
                }
            s.traced_current += st->live_bytes;
            s.n_sites++;
        }
        s.traced_peak = s.traced_current;
        s.alloc_calls = 1000 * seq;
        s.free_calls = 900 * seq;
        char path[512], err[512];
        snprintf(path, sizeof path, "%s/%s.%llu.%06llu.%s.lss", dir, prog, (unsigned long long)pid,
                 (unsigned long long)seq, s.label);
        if (ls_snapshot_write(path, &s, err, sizeof err) < 0) {
            fprintf(stderr, "gen_series: %s\n", err);
            exit(1);
        }
        free(s.sites);
        free(ages);
    }
}

static gsite_t *site(gsite_t *all, size_t *n, uint64_t f0, uint64_t f1, uint64_t f2)
{
    gsite_t *s = &all[(*n)++];
    memset(s, 0, sizeof *s);
    s->frames[0] = f0;
    s->frames[1] = f1;
    s->frames[2] = f2;
    s->nframes = 3;
    s->o = calloc(MAXOBJ, sizeof *s->o);
    return s;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fputs("usage: gen_series OUTDIR\n", stderr);
        return 2;
    }
    const char *dir = argv[1];
    mkdir(dir, 0755);
    const double INF = 1e18;
    const long steps = 1500, every = 50;
    gsite_t a[16];
    size_t n = 0;
    gsite_t *s;

    s = site(a, &n, 0x401230, 0x401500, 0x401800); /* steady leak, 40 B a step */
    for (int t = 0; t <= steps; t++)
        add(s, t, INF, 40);
    s = site(a, &n, 0x402230, 0x402500, 0x401800); /* realloc-grown array, freed at exit */
    for (int t = 0; t <= steps; t++)
        add(s, t, t + 1 <= steps ? t + 1 : steps + 0.5, 24.0 * (t + 1));
    s = site(a, &n, 0x403230, 0x401800, 0x401900); /* warm-up: tables built in 120 steps */
    for (int t = 0; t < 120; t++)
        add(s, t, INF, 1500);
    s = site(a, &n, 0x404230, 0x404500, 0x401800); /* ring buffer of 128 messages */
    for (int t = 0; t <= steps; t++)
        add(s, t, t + 128, 200 + (t % 7) * 10);
    s = site(a, &n, 0x405230, 0x405500, 0x401800); /* history cut from 300 to 150 */
    {
        int len = 0;
        size_t first = 0;
        for (int t = 0; t <= steps; t++) {
            add(s, t, INF, 96);
            if (++len == 300) {
                for (int cut = 0; cut < 150; first++)
                    if (s->o[first].death == INF) {
                        s->o[first].death = t + 0.5;
                        cut++;
                    }
                len = 150;
            }
        }
    }
    s = site(a, &n, 0x406230, 0x401800, 0x401900); /* one configuration block */
    add(s, 0, INF, 65536);
    s = site(a, &n, 0x407230, 0x407500, 0x401800); /* a start-up pool released bit by bit */
    for (int i = 0; i < 400; i++)
        add(s, 0, 10 + i * 3.5, 512);
    s = site(a, &n, 0x7f0000001230, 0x7f0000001500, 0x401800); /* a slow leak in a library */
    for (int t = 0; t <= steps; t += 10)
        add(s, t, INF, 64);
    s = site(a, &n, 0x408230, 0x408500, 0x401800); /* short-lived churn */
    for (int t = 0; t <= steps; t++)
        for (int k = (int)(rnd() * 8); k > 0; k--)
            add(s, t, t + 1 + rnd() * 20, 32 + rnd() * 900);
    write_process(dir, "goldapp", 4242, 1, a, n, steps, every, 1);

    gsite_t b[4];
    size_t nb = 0;
    s = site(b, &nb, 0x409230, 0x409500, 0x401800); /* the child leaks per cycle */
    for (int t = 0; t <= 600; t++)
        add(s, t, INF, 700);
    s = site(b, &nb, 0x40a230, 0x401800, 0x401900); /* and has a warm-up */
    for (int t = 0; t < 40; t++)
        add(s, t, INF, 4000);
    write_process(dir, "goldworker", 4243, 4242, b, nb, 600, 20, 1);
    for (size_t i = 0; i < n; i++)
        free(a[i].o);
    for (size_t i = 0; i < nb; i++)
        free(b[i].o);
    return 0;
}
