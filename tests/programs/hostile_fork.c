/*
 * hostile_fork.c — fork while other threads allocate. THREADS threads malloc, realloc
 * and free in loops; meanwhile the main thread forks FORKS children, and thread 0 forks
 * one more child every so often from inside its loop (fork from a non-main thread).
 * Every child allocates its own block at SITE:child_site (1000 + its index bytes; the
 * children forked by thread 0 use 5000 + index), churns a little, and exits, so each
 * writes its own exit snapshot. The children run concurrently with the parent's threads;
 * the parent reaps them all, stops the threads (which free everything they hold) and
 * prints a summary. Figures the test checks: in the parent, SITE:parent_site holds
 * 777 bytes in 1 block and SITE:thread_site nothing; in each child, SITE:child_site
 * holds exactly its own block.
 * usage: hostile_fork [FORKS] [THREADS] [THREAD_FORKS]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define RING 64

static atomic_int stop;
static int thread_forks;
static pid_t thread_children[64];
static atomic_int n_thread_children;
void *parent_block, *child_block;
void *volatile sink; /* keeps the compiler from dropping malloc/free pairs */

static void child_work(size_t size)
{
    child_block = malloc(size); /* SITE:child_site */
    memset(child_block, 1, size);
    for (int i = 0; i < 2000; i++) { /* the child's shim must be fully usable */
        sink = malloc((size_t)(i % 300) + 1); /* SITE:child_churn_site */
        free(sink);
    }
    exit(0);
}

static void *worker(void *arg)
{
    int id = (int)(long)arg;
    void *ring[RING] = {0};
    unsigned long i = 0, rng = 0x9E3779B97F4A7C15ull * (unsigned long)(id + 1);
    int forked = 0;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        unsigned k = (unsigned)(i++ % RING);
        if (ring[k] && (rng & 3) == 0) {
            ring[k] = realloc(ring[k], (rng >> 8) % 2000 + 1); /* SITE:thread_site */
            continue;
        }
        free(ring[k]);
        ring[k] = malloc((rng >> 8) % 1000 + 1); /* SITE:thread_site */
        if (id == 0 && forked < thread_forks && i % 20000 == 0) {
            pid_t pid = fork();
            if (pid == 0)
                child_work(5000 + (size_t)forked);
            if (pid > 0)
                thread_children[atomic_fetch_add(&n_thread_children, 1)] = pid;
            forked++;
        }
    }
    for (int k = 0; k < RING; k++)
        free(ring[k]);
    return NULL;
}

int main(int argc, char **argv)
{
    int forks = argc > 1 ? atoi(argv[1]) : 50;
    int threads = argc > 2 ? atoi(argv[2]) : 3;
    thread_forks = argc > 3 ? atoi(argv[3]) : 5;
    if (forks < 0 || forks > 1000 || threads < 1 || threads > 16 || thread_forks < 0 || thread_forks > 64)
        return 2;
    parent_block = malloc(777); /* SITE:parent_site */
    fflush(stdout);
    pthread_t tid[16];
    for (int t = 0; t < threads; t++)
        pthread_create(&tid[t], NULL, worker, (void *)(long)t);

    pid_t pids[1000];
    for (int i = 0; i < forks; i++) {
        for (int k = 0; k < 200; k++) { /* the main thread allocates too, between forks */
            sink = malloc((size_t)k + 1);
            free(sink);
        }
        pids[i] = fork();
        if (pids[i] < 0) {
            perror("fork");
            return 1;
        }
        if (pids[i] == 0)
            child_work(1000 + (size_t)i);
    }
    int bad = 0;
    for (int i = 0; i < forks; i++) {
        int st;
        if (waitpid(pids[i], &st, 0) != pids[i] || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            bad++;
    }
    /* Let thread 0 finish its forks (it forks every 20000 iterations), then stop. */
    while (atomic_load(&n_thread_children) < thread_forks)
        sched_yield();
    atomic_store(&stop, 1);
    for (int t = 0; t < threads; t++)
        pthread_join(tid[t], NULL);
    for (int i = 0; i < thread_forks; i++) {
        int st;
        if (waitpid(thread_children[i], &st, 0) != thread_children[i] || !WIFEXITED(st) ||
            WEXITSTATUS(st) != 0)
            bad++;
    }
    printf("forks=%d thread_forks=%d threads=%d bad=%d\n", forks, thread_forks, threads, bad);
    return bad ? 1 : 0;
}
