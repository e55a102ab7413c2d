/*
 * threads_alloc.c — THREADS threads allocate ROUNDS blocks each from one line; every
 * block is freed by the next thread (not the one that allocated it), except one block in
 * KEEP_EVERY, which stays live. Exact figures for the test: live count = THREADS *
 * ROUNDS / KEEP_EVERY blocks of SIZE bytes at SITE:thread_site.
 * usage: threads_alloc [THREADS] [ROUNDS]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define SIZE 48
#define KEEP_EVERY 10

static int threads, rounds;
static void ***blocks; /* blocks[t][i] */
static pthread_barrier_t barrier;

static void *work(void *arg)
{
    int t = (int)(long)arg;
    for (int i = 0; i < rounds; i++)
        blocks[t][i] = malloc(SIZE); /* SITE:thread_site */
    pthread_barrier_wait(&barrier);
    int victim = (t + 1) % threads; /* free the next thread's blocks */
    for (int i = 0; i < rounds; i++)
        if (i % KEEP_EVERY != 0)
            free(blocks[victim][i]);
    return NULL;
}

int main(int argc, char **argv)
{
    threads = argc > 1 ? atoi(argv[1]) : 8;
    rounds = argc > 2 ? atoi(argv[2]) : 100000;
    if (threads < 2 || threads > 64 || rounds < 1)
        return 2;
    blocks = malloc(sizeof *blocks * (size_t)threads); /* SITE:table_site */
    for (int t = 0; t < threads; t++)
        blocks[t] = malloc(sizeof **blocks * (size_t)rounds); /* SITE:row_site */
    pthread_barrier_init(&barrier, NULL, (unsigned)threads);
    pthread_t tid[64];
    for (int t = 0; t < threads; t++)
        pthread_create(&tid[t], NULL, work, (void *)(long)t);
    for (int t = 0; t < threads; t++)
        pthread_join(tid[t], NULL);
    printf("threads=%d rounds=%d kept=%d\n", threads, rounds, threads * ((rounds + KEEP_EVERY - 1) / KEEP_EVERY));
    return 0;
}
