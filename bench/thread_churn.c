/*
 * thread_churn.c — a program that starts threads all the time (a thread per request or
 * per task): ROUNDS times, 4 threads are started, each makes 64 allocations of 16..315
 * bytes three frames below its start routine and frees them, and all 4 are joined. IDLE
 * more threads stay parked on a condition variable meanwhile (a service's pool: every
 * thread's stack is two more mappings in the process's map). A tracer pays per new
 * thread: its first allocations meet an empty per-thread stack cache and an unknown stack.
 * bench/bars.sh runs it with IDLE 0 and 500.
 * usage: thread_churn [ROUNDS (default 2000)] [IDLE (default 0)]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define PER_ROUND 4
#define ALLOCS 64

static pthread_mutex_t park_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t park_cond = PTHREAD_COND_INITIALIZER;
static int parked_may_leave;

static __attribute__((noinline)) void *allocate(size_t n)
{
    void *p = malloc(n);
    __asm__ volatile("" ::: "memory"); /* a frame of its own, no tail call */
    return p;
}

static __attribute__((noinline)) void task(int k)
{
    void *blocks[ALLOCS];
    for (int i = 0; i < ALLOCS; i++)
        blocks[i] = allocate(16 + (size_t)((i * 37 + k) % 300));
    for (int i = 0; i < ALLOCS; i++)
        free(blocks[i]);
}

static void *short_lived(void *arg)
{
    task((int)(long)arg);
    return NULL;
}

static void *parked(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&park_lock);
    while (!parked_may_leave)
        pthread_cond_wait(&park_cond, &park_lock);
    pthread_mutex_unlock(&park_lock);
    return NULL;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 2000, idle = argc > 2 ? atoi(argv[2]) : 0;
    pthread_t *idle_tid = calloc((size_t)idle + 1, sizeof *idle_tid);
    for (int i = 0; i < idle; i++)
        if (pthread_create(&idle_tid[i], NULL, parked, NULL) != 0)
            return 1;
    for (int r = 0; r < rounds; r++) {
        pthread_t tid[PER_ROUND];
        for (int i = 0; i < PER_ROUND; i++)
            if (pthread_create(&tid[i], NULL, short_lived, (void *)(long)i) != 0)
                return 1;
        for (int i = 0; i < PER_ROUND; i++)
            pthread_join(tid[i], NULL);
    }
    pthread_mutex_lock(&park_lock);
    parked_may_leave = 1;
    pthread_cond_broadcast(&park_cond);
    pthread_mutex_unlock(&park_lock);
    for (int i = 0; i < idle; i++)
        pthread_join(idle_tid[i], NULL);
    free(idle_tid);
    printf("%d threads\n", rounds * PER_ROUND + idle);
    return 0;
}
