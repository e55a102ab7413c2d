/*
 * rng.h — a small deterministic PRNG (SplitMix64) so that PSO and sampling give the same
 * result for the same --seed on every platform; rand() is neither portable nor reentrant.
 */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stdint.h>

typedef struct sim_rng {
    uint64_t state;
} sim_rng_t;

void sim_rng_seed(sim_rng_t *rng, uint64_t seed);
uint64_t sim_rng_next(sim_rng_t *rng);
/* Uniform in [0, 1) with 53 random bits. */
double sim_rng_uniform(sim_rng_t *rng);
/* Uniform in [lo, hi). */
double sim_rng_range(sim_rng_t *rng, double lo, double hi);

#endif /* SIM_RNG_H */
