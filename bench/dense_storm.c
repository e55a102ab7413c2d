/*
 * dense_storm.c — the dense allocation storm of issues 10 and 11: PAIRS malloc/free pairs
 * split equally over THREADS threads (the total work is fixed, so 2 threads take about half
 * the wall time of 1 on 2 idle cores). Each thread keeps RING (4096) blocks live in a ring of
 * slots: step i frees slot i % RING and mallocs a new block into it. Sizes are 16..527 bytes
 * from a xorshift PRNG; blocks are never written, so the cost measured is the allocator's (and
 * the tracer's), not the program's. Nothing is printed on the hot path; a checksum of the
 * block addresses is printed at the end so the compiler cannot drop the work.
 * bench/run.sh builds it twice: -O2 -g, and -O2 -g -fno-omit-frame-pointer.
 * usage: dense_storm [PAIRS (default 2000000)] [THREADS 1..64 (default 1)]
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_rng.h"

#define RING 4096 /* blocks live at once per thread */
#define MAX_THREADS 64

typedef struct {
    uint64_t pairs, rng, checksum;
    void *ring[RING];
} worker_t;

/* One malloc of 16..527 bytes. noinline: the allocation comes from a frame of the program's
 * own (so a frame-pointer build has a chain of its own frames to walk). */
static __attribute__((noinline)) void *alloc_one(worker_t *w)
{
    void *p = malloc(16 + (size_t)(next_rand(&w->rng) % 512));
    w->checksum += (uintptr_t)p >> 4;
    return p;
}

static void *run(void *arg)
{
    worker_t *w = arg;
    for (unsigned i = 0; i < RING; i++)
        w->ring[i] = alloc_one(w);
    for (uint64_t i = 0; i < w->pairs; i++) {
        unsigned slot = (unsigned)(i % RING);
        free(w->ring[slot]);
        w->ring[slot] = alloc_one(w);
    }
    for (unsigned i = 0; i < RING; i++)
        free(w->ring[i]);
    return NULL;
}

int main(int argc, char **argv)
{
    uint64_t pairs = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
    int threads = argc > 2 ? atoi(argv[2]) : 1;
    if (threads < 1 || threads > MAX_THREADS || pairs == 0) {
        fprintf(stderr, "usage: dense_storm [PAIRS] [THREADS 1..%d]\n", MAX_THREADS);
        return 2;
    }
    worker_t *w = calloc((size_t)threads, sizeof *w);
    if (!w)
        return 1;
    pthread_t tid[MAX_THREADS];
    for (int t = 0; t < threads; t++) {
        w[t].pairs = pairs / (uint64_t)threads;
        w[t].rng = 0x9E3779B97F4A7C15ull * (uint64_t)(t + 1);
        if (pthread_create(&tid[t], NULL, run, &w[t]) != 0)
            return 1;
    }
    uint64_t sum = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
        sum += w[t].checksum;
    }
    printf("dense_storm: %llu pairs, %d thread(s), checksum %llu\n", (unsigned long long)pairs,
           threads, (unsigned long long)sum);
    free(w);
    return 0;
}
