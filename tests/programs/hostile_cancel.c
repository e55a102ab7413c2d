/*
 * hostile_cancel.c — thread cancellation (deferred). malloc is not a cancellation
 * point, so it must not become one under the shim, even when the unwinder has work to
 * do (a fresh thread, fresh stack pages); and a thread cancelled around a snapshot
 * request must not leave the shim unable to write the next ones, or the exit snapshot.
 *   malloc     ROUNDS times: a thread with a cancellation pending allocates from fresh
 *              stack pages, notes that malloc returned, then reaches pthread_testcancel.
 *              Prints how many threads saw malloc return (all of them).
 *   snapshot   ROUNDS times: a thread requests snapshots in a loop (with a
 *              pthread_testcancel in it) and is cancelled; then the main thread
 *              allocates 100 B at SITE:after_site and exits.
 * usage: hostile_cancel malloc|snapshot [ROUNDS]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leakscope.h>

static pthread_barrier_t barrier;
static volatile int returned;
void *volatile sink;
void *after;

static __attribute__((noinline)) void allocate_deep(int depth)
{
    char pad[4096]; /* each level on a fresh stack page */
    memset(pad, depth, sizeof pad);
    __asm__ volatile("" : : "r"(pad) : "memory"); /* keep the page in use */
    if (depth > 0)
        allocate_deep(depth - 1);
    else
        for (int i = 0; i < 10; i++)
            sink = malloc(100 + (size_t)i); /* SITE:cancel_site */
}

static void *malloc_thread(void *arg)
{
    (void)arg;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
    pthread_barrier_wait(&barrier); /* the main thread cancels us now */
    pthread_barrier_wait(&barrier);
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL); /* pending from here on */
    allocate_deep(6);
    returned = 1;
    pthread_testcancel();
    return NULL;
}

static void *snapshot_thread(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&barrier);
    for (;;) {
        leakscope_snapshot("loop");
        pthread_testcancel();
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    int rounds = argc > 2 ? atoi(argv[2]) : 20, ok = 0;
    int snapshots = strcmp(argv[1], "snapshot") == 0;
    if (!snapshots && strcmp(argv[1], "malloc") != 0)
        return 2;
    for (int k = 0; k < rounds; k++) {
        pthread_t t;
        void *result;
        returned = 0;
        pthread_barrier_init(&barrier, NULL, 2);
        pthread_create(&t, NULL, snapshots ? snapshot_thread : malloc_thread, NULL);
        pthread_barrier_wait(&barrier);
        if (snapshots)
            for (volatile int spin = 0; spin < 20000 * (k % 7); spin++)
                ; /* cancel at varying points of the loop */
        pthread_cancel(t);
        if (!snapshots)
            pthread_barrier_wait(&barrier);
        pthread_join(t, &result);
        ok += result == PTHREAD_CANCELED && (snapshots || returned);
        pthread_barrier_destroy(&barrier);
    }
    after = malloc(100); /* SITE:after_site */
    printf("%s: %d of %d threads cancelled where they should be\n", argv[1], ok, rounds);
    return 0;
}
