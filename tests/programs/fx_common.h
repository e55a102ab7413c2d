/*
 * fx_common.h — shared by the classification fixtures (fx_*.c): options, a seeded PRNG,
 * and the step loop's marking and snapshotting. Each fixture is one memory behaviour
 * whose sizes and timing vary with --seed N (or $SEED), so tests cannot fit one run.
 *   fx_NAME [--seed N] [--steps N] [--every K]
 */
#ifndef FX_COMMON_H
#define FX_COMMON_H

#include <leakscope.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t fx_rng = 88172645463325252ull;
static long fx_steps = 2000, fx_every = 50;

/* Uniform in [0, 1). */
static inline double fx_rand(void)
{
    fx_rng ^= fx_rng << 13;
    fx_rng ^= fx_rng >> 7;
    fx_rng ^= fx_rng << 17;
    return (double)(fx_rng >> 11) / 9007199254740992.0;
}

/* Uniform integer in [lo, hi]. */
static inline long fx_range(long lo, long hi) { return lo + (long)(fx_rand() * (double)(hi - lo + 1)); }

static inline void fx_init(int argc, char **argv)
{
    long seed = getenv("SEED") ? atol(getenv("SEED")) : 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--seed"))
            seed = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--steps"))
            fx_steps = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--every"))
            fx_every = atol(argv[i + 1]);
        else {
            fprintf(stderr, "usage: %s [--seed N] [--steps N] [--every K]\n", argv[0]);
            exit(2);
        }
    }
    if (fx_steps < 1 || fx_every < 1) {
        fprintf(stderr, "%s: --steps and --every must be positive\n", argv[0]);
        exit(2);
    }
    fx_rng ^= (uint64_t)seed * 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 10; i++)
        fx_rand();
}

/* End of step `step`: mark it, and take a snapshot every fx_every steps. */
static inline void fx_step_done(long step)
{
    leakscope_mark((uint64_t)step);
    if (step % fx_every == 0)
        leakscope_snapshot("step");
}

/* Write to new memory and let its address escape, so that no compiler may elide the
 * allocation (a block only ever stored into an array nobody reads could be). */
static inline void *fx_touch(void *p, size_t n)
{
    if (p && n)
        memset(p, (int)(n & 0x7f), n);
    __asm__ volatile("" : : "r"(p) : "memory");
    return p;
}

#endif /* FX_COMMON_H */
