/* spacing_leak.c — one site that leaks LEAK_BYTES per step, under snapshots that are
 * unevenly spaced, for tests/integration/classify_spacing.sh.
 *   spacing_leak MODE RATIO STOP
 * The program runs 10000 steps and leaks in leak_one() on steps < STOP (STOP = 10000: it
 * never stops). The blocks stay reachable (a global list) so the exit scan finds nothing
 * lost: the verdict rests on growth alone. Snapshot spacing by MODE:
 *   even     every 100 steps
 *   uneven   every 100/RATIO steps while it leaks, every 100 after (the case)
 *   late     every 100 steps while it leaks, every 100/RATIO after
 *   bursty   bursts of RATIO snapshots one step apart, every 500 steps
 *   thinned  every 10 steps for the first tenth, then every 10*RATIO steps (a long run
 *            whose older snapshots were thinned the other way round is its mirror) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakscope.h"

#define STEPS 10000
#define LEAK_BYTES 200

static void **kept;
static long nkept;

static __attribute__((noinline)) void leak_one(void)
{
    void *p = malloc(LEAK_BYTES);
    memset(p, 1, LEAK_BYTES);
    kept[nkept++] = p;
}

static int snapshot_due(const char *mode, long ratio, long stop, long step)
{
    long slow = 100, fast = 100 / ratio > 0 ? 100 / ratio : 1;
    if (strcmp(mode, "even") == 0)
        return step % slow == 0;
    if (strcmp(mode, "uneven") == 0)
        return step % (step < stop ? fast : slow) == 0;
    if (strcmp(mode, "late") == 0)
        return step % (step < stop ? slow : fast) == 0;
    if (strcmp(mode, "bursty") == 0)
        return step % 500 < ratio;
    if (strcmp(mode, "thinned") == 0)
        return step < STEPS / 10 ? step % 10 == 0 : step % (10 * ratio) == 0;
    return -1;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: spacing_leak even|uneven|late|bursty|thinned RATIO STOP\n");
        return 2;
    }
    const char *mode = argv[1];
    long ratio = atol(argv[2]), stop = atol(argv[3]);
    if (ratio < 1 || snapshot_due(mode, ratio, stop, 0) < 0) {
        fprintf(stderr, "spacing_leak: bad mode or ratio\n");
        return 2;
    }
    kept = calloc(STEPS + 1, sizeof *kept);
    for (long step = 0; step <= STEPS; step++) {
        leakscope_mark((uint64_t)step);
        if (step < stop)
            leak_one();
        free(malloc(64)); /* per-step temporaries */
        if (snapshot_due(mode, ratio, stop, step))
            leakscope_snapshot("tick");
    }
    printf("%ld blocks kept\n", nkept);
    return 0; /* the blocks stay reachable through `kept` */
}
