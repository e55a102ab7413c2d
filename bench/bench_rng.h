/*
 * bench_rng.h — the benchmarks' random numbers: xorshift64, cheap enough that the
 * generator never shows in an allocation storm's profile. Seed with any non-zero value.
 */
#ifndef BENCH_RNG_H
#define BENCH_RNG_H

#include <stdint.h>

static inline uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

#endif /* BENCH_RNG_H */
