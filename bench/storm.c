/*
 * storm.c — the allocation storm of the benchmark: PAIRS malloc/free pairs of mixed
 * sizes (16 B .. 4 KiB), made from call stacks 1 to 8 frames deep, split over THREADS
 * threads. Each block is written once, so the work is not optimised away.
 * usage: storm [PAIRS (default 2000000)] [THREADS (default 1)]
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_rng.h"
#include <string.h>

#define LIVE 64 /* blocks kept alive at once per thread: frees are not immediate */

typedef struct {
    uint64_t pairs, rng, checksum;
    void *live[LIVE];
} worker_t;

/* One allocation at the bottom of a chain `depth` frames deep. noinline and the
 * volatile depth keep the compiler from flattening the chain. */
static __attribute__((noinline)) void *alloc_at(worker_t *w, volatile int depth)
{
    if (depth > 1) {
        void *p = alloc_at(w, depth - 1);
        __asm__ volatile("" ::: "memory"); /* a real frame per level: no tail call */
        return p;
    }
    size_t size = 16u << (next_rand(&w->rng) % 9); /* 16 .. 4096 */
    size += next_rand(&w->rng) % 16;
    char *p = malloc(size);
    if (p)
        p[0] = (char)size;
    return p;
}

static void *run(void *arg)
{
    worker_t *w = arg;
    for (uint64_t i = 0; i < w->pairs; i++) {
        unsigned slot = (unsigned)(next_rand(&w->rng) % LIVE);
        if (w->live[slot]) {
            w->checksum += (unsigned char)((char *)w->live[slot])[0];
            free(w->live[slot]);
        }
        w->live[slot] = alloc_at(w, 1 + (int)(next_rand(&w->rng) % 8));
    }
    for (unsigned i = 0; i < LIVE; i++)
        free(w->live[i]);
    return NULL;
}

int main(int argc, char **argv)
{
    uint64_t pairs = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
    int threads = argc > 2 ? atoi(argv[2]) : 1;
    if (threads < 1 || threads > 64 || pairs == 0) {
        fprintf(stderr, "usage: storm [PAIRS] [THREADS 1..64]\n");
        return 2;
    }
    worker_t *w = calloc((size_t)threads, sizeof *w);
    pthread_t tid[64];
    for (int t = 0; t < threads; t++) {
        w[t].pairs = pairs / (uint64_t)threads;
        w[t].rng = 0x9E3779B97F4A7C15ull * (uint64_t)(t + 1);
        pthread_create(&tid[t], NULL, run, &w[t]);
    }
    uint64_t sum = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
        sum += w[t].checksum;
    }
    printf("storm: %llu pairs, %d thread(s), checksum %llu\n", (unsigned long long)pairs, threads,
           (unsigned long long)sum);
    free(w);
    return 0;
}
