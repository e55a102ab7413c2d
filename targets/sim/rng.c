/*
 * rng.c — SplitMix64 (Steele, Lea, Flood 2014): a 64-bit state advanced by a Weyl constant and
 * mixed; passes BigCrush, which is more than PSO and reservoir sampling need.
 */
#include "rng.h"

void sim_rng_seed(sim_rng_t *rng, uint64_t seed)
{
    rng->state = seed;
}

uint64_t sim_rng_next(sim_rng_t *rng)
{
    uint64_t z = (rng->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double sim_rng_uniform(sim_rng_t *rng)
{
    return (double)(sim_rng_next(rng) >> 11) * 0x1.0p-53;
}

double sim_rng_range(sim_rng_t *rng, double lo, double hi)
{
    return lo + (hi - lo) * sim_rng_uniform(rng);
}
