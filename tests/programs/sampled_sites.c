/*
 * sampled_sites.c — sites of known size for the sampled-tracking tests (issue 11,
 * tests/integration/shim_sampled.sh). 40 marked steps, a snapshot after each; nothing is
 * freed at the end, so the exit snapshot holds exactly:
 *   leak_big     4 x 64 KiB per step            10 MiB  (leak)
 *   leak_small   2048 x 128 B per step          10 MiB  (leak, blocks far below the rate)
 *   leak_thread  1024 x 256 B per step, thread  10 MiB  (leak)
 *   warmup       2048 x 512 B per step, steps 0-7  8 MiB (warm-up)
 *   ring         4096 x 1 KiB, 1024 replaced per step   4 MiB (bounded)
 *   fixed        1536 x 1 KiB at start           1.5 MiB (stable)
 *   churn        20000 x 64 B allocated and freed per step, 0 live
 * With the argument "benign" the three leak sites allocate nothing (the worker thread still
 * churns 1024 x 256 B per step instead): a program the default gate must pass.
 * The worker thread makes its first allocation after main's, so with LEAKSCOPE_SEED the
 * sampler's draws are the same in every run.
 */
#include <leakscope.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STEPS 40

static sem_t go, done;
static volatile int stop;
static int benign;
static void *volatile sink;

static void *worker(void *arg)
{
    (void)arg;
    for (;;) {
        sem_wait(&go);
        if (stop)
            return NULL;
        for (int k = 0; k < 1024; k++)
            if (benign)
                free(malloc(256));
            else
                sink = malloc(256); /* SITE:leak_thread */
        sem_post(&done);
    }
}

static void *ring[4096];

static void step_work(int step, unsigned *ring_at)
{
    for (int k = 0; k < 4 && !benign; k++)
        sink = malloc(64 * 1024); /* SITE:leak_big */
    for (int k = 0; k < 2048 && !benign; k++)
        sink = malloc(128); /* SITE:leak_small */
    if (step < 8)
        for (int k = 0; k < 2048; k++)
            sink = malloc(512); /* SITE:warmup */
    for (int k = 0; k < 1024; k++, *ring_at = (*ring_at + 1) % 4096) {
        free(ring[*ring_at]);
        ring[*ring_at] = malloc(1024); /* SITE:ring */
    }
    for (int k = 0; k < 20000; k++) {
        void *volatile p = malloc(64); /* SITE:churn */
        free(p);
    }
}

int main(int argc, char **argv)
{
    benign = argc > 1 && strcmp(argv[1], "benign") == 0;
    static void *fixed[1536];
    for (int k = 0; k < 1536; k++)
        fixed[k] = malloc(1024); /* SITE:fixed */
    for (int k = 0; k < 4096; k++)
        ring[k] = malloc(1024); /* SITE:ring_fill */
    sem_init(&go, 0, 0);
    sem_init(&done, 0, 0);
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0)
        return 1;
    unsigned ring_at = 0;
    for (int step = 0; step < STEPS; step++) {
        sem_post(&go);
        step_work(step, &ring_at);
        sem_wait(&done);
        leakscope_mark((uint64_t)step);
        leakscope_snapshot("step");
    }
    stop = 1;
    sem_post(&go);
    pthread_join(t, NULL);
    printf("done %d\n", fixed[0] != NULL);
    return 0;
}
