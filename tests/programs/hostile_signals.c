/*
 * hostile_signals.c — snapshot requests by signal arriving while the program is inside
 * malloc, many times a second. The main thread runs ROUNDS rounds of malloc / calloc /
 * realloc / free and keeps one block in KEEP_EVERY (KEEP_SIZE bytes, SITE:kept_site);
 * a sender thread meanwhile fires SIGUSR2 in a tight loop, alternately at the main
 * thread (pthread_kill) and at the process (kill), until the main thread is done or
 * MAX_SIGNALS have been sent. Signals are sent only when the shim is active (bare, the
 * default action would kill the program), so the output is the same with and without
 * the shim: the workload's checksum and the number of kept blocks.
 * Exit figures: SITE:kept_site holds ROUNDS / KEEP_EVERY blocks of KEEP_SIZE bytes,
 * SITE:churn_site nothing.
 * usage: hostile_signals [ROUNDS]
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <leakscope.h>

#define KEEP_EVERY 1000
#define KEEP_SIZE 24
#define MAX_SIGNALS 400000

static atomic_int done;
static pthread_t main_thread;
static void **kept;
static long signals_sent;

static void *sender(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&done, memory_order_relaxed) && signals_sent < MAX_SIGNALS) {
        if (signals_sent & 1)
            kill(getpid(), SIGUSR2);
        else
            pthread_kill(main_thread, SIGUSR2);
        signals_sent++;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? atol(argv[1]) : 1000000;
    if (rounds < KEEP_EVERY || rounds > 100000000)
        return 2;
    kept = calloc((size_t)(rounds / KEEP_EVERY), sizeof *kept);
    main_thread = pthread_self();
    pthread_t tid;
    int sending = leakscope_active();
    if (sending)
        pthread_create(&tid, NULL, sender, NULL);
    unsigned long sum = 0, rng = 88172645463325252ull;
    long nkept = 0;
    for (long i = 0; i < rounds; i++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        if (i % KEEP_EVERY == 0) {
            kept[nkept] = malloc(KEEP_SIZE); /* SITE:kept_site */
            memset(kept[nkept++], 7, KEEP_SIZE);
            continue;
        }
        size_t n = (size_t)(rng >> 40) % 512 + 1;
        unsigned char *p = (rng & 1) ? malloc(n) : calloc(1, n); /* SITE:churn_site */
        p[0] = (unsigned char)i;
        if ((rng & 6) == 0) {
            p = realloc(p, n * 2); /* SITE:churn_site */
            p[n * 2 - 1] = 1;
        }
        sum += p[0] + n;
        free(p);
    }
    atomic_store(&done, 1);
    if (sending)
        pthread_join(tid, NULL);
    printf("rounds=%ld kept=%ld sum=%lu\n", rounds, nkept, sum);
    if (sending) /* not on stdout: it differs from run to run */
        fprintf(stderr, "signals sent: %ld\n", signals_sent);
    return 0;
}
