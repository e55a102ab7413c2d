/*
 * scan_hostile.c — exits that the reachability scan (issue 13) must survive without a
 * hang and without changing what the program prints or returns. Each mode loses a known
 * set of blocks from lose() (1000 B each) before it exits, so the scan's figures can
 * be checked exactly (tests/integration/scan_hostile.sh):
 *   threads   exit() while 8 threads allocate and free (one of them starting and
 *             joining short-lived threads all along, so threads appear and vanish during
 *             the stop); 3 lost.
 *   signal    exit() from a SIGUSR1 handler; 2 lost.
 *   atexit    exit() called again inside an atexit handler; 1 lost.
 *   _exit     _exit(): an exit snapshot without a scan, no hang; 1 lost (never reported).
 *   fork      1 lost before fork(); the child loses 1 more and exits; the parent waits and
 *             loses 2 more: child 2 lost, parent 3 lost.
 *   bigheap N N MiB of live, filled blocks (1 MiB each) kept in a global array, then the
 *             last pointer to 4 of them dropped (big_alloc: 4 MiB lost), plus 1 lost.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void *volatile g_last;

__attribute__((noinline)) static void lose(int n)
{
    for (int i = 0; i < n; i++)
        g_last = malloc(1000); /* every block but the last is lost... */
    g_last = NULL;             /* ...and the last too */
}

/* A conservative scan reads stale words in the unused slots of live frames: the pointers
 * malloc's own frames left below lose()'s could keep a lost block "reachable" (LeakSanitizer's
 * tests clear the stack the same way). Called before an exit whose frames reach that deep. */
__attribute__((noinline)) static void clear_stack(void)
{
    volatile char pad[32768];
    for (size_t i = 0; i < sizeof pad; i++) /* volatile stores: not optimised away */
        pad[i] = 0;
}

/* ---- threads -------------------------------------------------------------------- */

static atomic_long progress;

__attribute__((noinline)) static void *worker_alloc(size_t n) { return malloc(n); }

/* Frees its own block: a block handed back through pthread_exit to a thread that has not
 * joined yet when the scan runs sits only in the exited thread's descriptor, which is no
 * root (docs/scan.md, limits). */
static void *short_lived(void *arg)
{
    free(worker_alloc((size_t)(uintptr_t)arg));
    return NULL;
}

static void *worker(void *arg)
{
    int id = (int)(uintptr_t)arg;
    void *keep[64] = {0};
    for (unsigned long i = 0;; i++) {
        unsigned k = (unsigned)(i * 7 + (unsigned)id) % 64;
        void *old = keep[k];
        keep[k] = worker_alloc(16 + (i % 200));
        free(old);
        if (id == 0 && i % 64 == 0) { /* threads that start and end during the stop */
            pthread_t t;
            if (pthread_create(&t, NULL, short_lived, (void *)(uintptr_t)24) == 0)
                pthread_join(t, NULL);
        }
        atomic_fetch_add(&progress, 1);
    }
    return NULL;
}

static int mode_threads(void)
{
    for (int i = 0; i < 8; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, worker, (void *)(uintptr_t)i) != 0)
            return 4;
    }
    while (atomic_load(&progress) < 100000) /* every thread is in its loop by now */
        sched_yield();
    lose(3);
    printf("threads: exiting while 8 threads allocate\n");
    fflush(stdout);
    exit(0);
}

/* ---- signal, atexit, _exit, fork ---------------------------------------------------- */

static void on_usr1(int sig)
{
    (void)sig;
    exit(7);
}

static void nested_exit(void)
{
    printf("atexit: calling exit again\n");
    fflush(stdout);
    exit(9);
}

static int mode_fork(void)
{
    lose(1);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return 4;
    if (pid == 0) {
        lose(1);
        printf("fork: child exits\n");
        return 0;
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return 5;
    lose(2);
    printf("fork: parent exits\n");
    return 0;
}

/* ---- bigheap ---------------------------------------------------------------------- */

void **g_big; /* not static: a write-only static could be optimised away */

__attribute__((noinline)) static void *big_alloc(void) { return malloc(1 << 20); }

static int mode_bigheap(long mib)
{
    if (mib < 8)
        return 2;
    g_big = calloc((size_t)mib, sizeof *g_big);
    for (long i = 0; i < mib; i++) {
        g_big[i] = big_alloc();
        if (!g_big[i])
            return 4;
        memset(g_big[i], 0x11, 1 << 20); /* resident, and no word looks like a pointer */
    }
    for (long i = 0; i < 4; i++)
        g_big[i] = NULL;
    lose(1);
    printf("bigheap: %ld MiB live\n", mib);
    return 0;
}

int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "";
    if (!strcmp(m, "threads"))
        return mode_threads();
    if (!strcmp(m, "signal")) {
        signal(SIGUSR1, on_usr1);
        lose(2);
        clear_stack();
        printf("signal: exit from a handler\n");
        fflush(stdout);
        raise(SIGUSR1);
        return 1;
    }
    if (!strcmp(m, "atexit")) {
        atexit(nested_exit);
        lose(1);
        return 0;
    }
    if (!strcmp(m, "_exit")) {
        lose(1);
        printf("_exit: a snapshot without a scan\n");
        fflush(stdout);
        _exit(6);
    }
    if (!strcmp(m, "fork"))
        return mode_fork();
    if (!strcmp(m, "bigheap") && argc > 2)
        return mode_bigheap(atol(argv[2]));
    fprintf(stderr, "usage: scan_hostile threads|signal|atexit|_exit|fork|bigheap MIB\n");
    return 2;
}
