/*
 * stats.h — per-step control computation time: mean, p95, p99 and max, from a sample buffer
 * allocated once before the run (recording never allocates; past its capacity the buffer keeps
 * a uniform reservoir sample, while count, mean and max stay exact).
 */
#ifndef SIM_STATS_H
#define SIM_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rng.h"

typedef struct sim_latency {
    uint32_t *samples_ns;  /* capacity entries; nanoseconds, saturated at UINT32_MAX */
    size_t capacity;
    size_t stored;
    uint64_t seen;
    uint64_t sum_ns;
    uint64_t max_ns;
    sim_rng_t rng;         /* for the reservoir */
    bool sorted;           /* samples_ns[0..stored) is in ascending order */
} sim_latency_t;

typedef struct sim_latency_summary {
    uint64_t count;
    double mean_us;
    double p95_us;
    double p99_us;
    double max_us;
} sim_latency_summary_t;

/* Allocate room for `capacity` samples (>= 1); false when out of memory. */
bool sim_latency_init(sim_latency_t *lat, size_t capacity);
void sim_latency_free(sim_latency_t *lat);
void sim_latency_record(sim_latency_t *lat, uint64_t ns);
/* Nearest-rank percentile `pct` (0 < pct <= 100) of the stored samples, in microseconds.
 * Sorts the stored samples in place (recording afterwards is still fine). 0 when empty. */
double sim_latency_percentile_us(sim_latency_t *lat, double pct);
void sim_latency_summarize(sim_latency_t *lat, sim_latency_summary_t *out);
/* Monotonic clock in nanoseconds. */
uint64_t sim_now_ns(void);

#endif /* SIM_STATS_H */
