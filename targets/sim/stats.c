/*
 * stats.c — latency samples and percentiles (see stats.h). Sorting is an in-place heapsort so
 * that summarizing does not allocate either (glibc qsort may malloc a temporary buffer).
 */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>

bool sim_latency_init(sim_latency_t *lat, size_t capacity)
{
    lat->capacity = capacity ? capacity : 1;
    lat->samples_ns = malloc(lat->capacity * sizeof *lat->samples_ns);
    lat->stored = 0;
    lat->seen = 0;
    lat->sum_ns = 0;
    lat->max_ns = 0;
    lat->sorted = true;
    sim_rng_seed(&lat->rng, 0x5eed);
    return lat->samples_ns != NULL;
}

void sim_latency_free(sim_latency_t *lat)
{
    free(lat->samples_ns);
    lat->samples_ns = NULL;
    lat->capacity = lat->stored = 0;
}

void sim_latency_record(sim_latency_t *lat, uint64_t ns)
{
    const uint32_t sample = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
    lat->seen++;
    lat->sum_ns += ns;
    if (ns > lat->max_ns)
        lat->max_ns = ns;
    lat->sorted = false;
    if (lat->stored < lat->capacity) {
        lat->samples_ns[lat->stored++] = sample;
    } else {
        /* Reservoir (Algorithm R): the i-th sample replaces a random slot with p = capacity / i. */
        const uint64_t slot = sim_rng_next(&lat->rng) % lat->seen;
        if (slot < lat->capacity)
            lat->samples_ns[slot] = sample;
    }
}

static void sift_down(uint32_t *a, size_t root, size_t n)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && a[child + 1] > a[child])
            child++;
        if (a[root] >= a[child])
            return;
        const uint32_t t = a[root];
        a[root] = a[child];
        a[child] = t;
        root = child;
    }
}

static void heapsort_u32(uint32_t *a, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(a, i, n);
    for (size_t end = n; end-- > 1;) {
        const uint32_t t = a[0];
        a[0] = a[end];
        a[end] = t;
        sift_down(a, 0, end);
    }
}

double sim_latency_percentile_us(sim_latency_t *lat, double pct)
{
    if (lat->stored == 0)
        return 0.0;
    if (!lat->sorted) {
        heapsort_u32(lat->samples_ns, lat->stored);
        lat->sorted = true;
    }
    size_t rank = (size_t)ceil(pct / 100.0 * (double)lat->stored);  /* 1-based nearest rank */
    if (rank < 1)
        rank = 1;
    if (rank > lat->stored)
        rank = lat->stored;
    return lat->samples_ns[rank - 1] / 1000.0;
}

void sim_latency_summarize(sim_latency_t *lat, sim_latency_summary_t *out)
{
    out->count = lat->seen;
    out->mean_us = lat->seen ? (double)lat->sum_ns / (double)lat->seen / 1000.0 : 0.0;
    out->p95_us = sim_latency_percentile_us(lat, 95.0);
    out->p99_us = sim_latency_percentile_us(lat, 99.0);
    out->max_us = (double)lat->max_ns / 1000.0;
}

uint64_t sim_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
