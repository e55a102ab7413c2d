/*
 * fork_unwinding.c — fork while other threads are inside libunwind. THREADS threads
 * keep starting short-lived threads that allocate 48 times each from stacks that are
 * never the same twice (a recursion of varying depth with a frame of varying size), so
 * every allocation misses the shim's stack cache and walks the stack with libunwind
 * step by step (a new thread's first walks do); meanwhile the main thread forks FORKS
 * children, one at a time. Each child allocates (one more walk, in the child) and exits. libunwind takes
 * mutexes while it steps: a fork that caught another thread holding one would leave it
 * locked in the child, whose walk would then wait for ever. A child that has not exited
 * after 20 s is killed and reported, and the program exits 1.
 * usage: fork_unwinding [FORKS (default 200)] [THREADS (default 2)]
 */
#include <alloca.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static atomic_int stop;
static __thread void *held; /* each thread's one live block */

/* An allocation `depth` frames down, under a frame of `pad` bytes. */
static __attribute__((noinline)) void descend(unsigned depth, unsigned pad)
{
    volatile char *room = alloca(pad + 1);
    room[0] = (char)depth;
    if (depth == 0) {
        free(held);
        held = malloc(16 + pad); /* SITE:walker_site */
        return;
    }
    descend(depth - 1, pad);
    room[0] = 0; /* not a tail call */
}

static void *short_lived(void *arg)
{
    unsigned long rng = (unsigned long)arg;
    for (int i = 0; i < 48; i++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        descend((unsigned)(rng % 24), (unsigned)(rng >> 8) % 4096);
    }
    free(held);
    return NULL;
}

static void *walker(void *arg)
{
    unsigned long rng = 0x9E3779B97F4A7C15ull * ((unsigned long)arg + 1);
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        pthread_t t;
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        if (pthread_create(&t, NULL, short_lived, (void *)rng) == 0)
            pthread_join(t, NULL);
    }
    return NULL;
}

/* Wait for the child up to 20 s; 0 when it exited with status 0. */
static int reap(pid_t pid)
{
    struct timespec tick = {0, 1000000};
    for (int waited = 0; waited < 20000; waited++) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
        if (r < 0)
            return -1;
        nanosleep(&tick, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -2;
}

int main(int argc, char **argv)
{
    int forks = argc > 1 ? atoi(argv[1]) : 200, threads = argc > 2 ? atoi(argv[2]) : 2;
    if (forks < 1 || threads < 1 || threads > 16) {
        fprintf(stderr, "usage: fork_unwinding [FORKS] [THREADS 1..16]\n");
        return 2;
    }
    pthread_t t[16];
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, walker, (void *)(long)i);
    for (int i = 0; i < forks; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            descend((unsigned)i % 7, (unsigned)i * 8); /* a walk in the child */
            exit(0);
        }
        int r = pid < 0 ? -1 : reap(pid);
        if (r != 0) {
            printf("child %d %s\n", i, r == -2 ? "hung (killed after 20 s)" : "failed");
            atomic_store(&stop, 1);
            for (int k = 0; k < threads; k++)
                pthread_join(t[k], NULL);
            return 1;
        }
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    printf("forked %d children\n", forks);
    return 0;
}
