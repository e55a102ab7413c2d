/* spread_leak.c — one leak spread over many stacks (issue 14, part 2), for
 * tests/integration/classify_spread.sh.
 *   spread_leak recursion|callers|churn
 * recursion: every step, walk() recurses 12 deep and leak_piece() keeps 8 bytes at every
 *            depth: 12 stacks of 8 B/step each, 96 B/step at one location.
 * callers:   every step, 12 different functions each call leak_piece() once: the same
 *            figures through 12 callers.
 * churn:     as callers, but each caller frees its piece a step later (nothing grows):
 *            the location must stay benign.
 * 5000 steps, a snapshot every 100. The pieces stay reachable (a global table), so the
 * exit scan finds nothing lost and the verdict rests on growth alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakscope.h"

#define STEPS 5000
#define DEPTH 12
#define PIECE 8

static void **kept;
static long nkept;
static void *last_piece[DEPTH];
static int churn;

static __attribute__((noinline)) void leak_piece(int who)
{
    void *p = malloc(PIECE);
    memset(p, who, PIECE);
    if (churn) {
        free(last_piece[who]);
        last_piece[who] = p;
    } else
        kept[nkept++] = p;
}

static __attribute__((noinline)) void walk(int depth)
{
    leak_piece(depth);
    if (depth + 1 < DEPTH)
        walk(depth + 1);
    __asm__ volatile("" ::: "memory"); /* no tail call: every depth keeps its frame */
}

#define CALLER(i) \
    static __attribute__((noinline)) void caller##i(void) { leak_piece(i); __asm__ volatile("" ::: "memory"); }
CALLER(0) CALLER(1) CALLER(2) CALLER(3) CALLER(4) CALLER(5)
CALLER(6) CALLER(7) CALLER(8) CALLER(9) CALLER(10) CALLER(11)
static void (*const callers[DEPTH])(void) = {caller0, caller1, caller2, caller3, caller4,  caller5,
                                             caller6, caller7, caller8, caller9, caller10, caller11};

int main(int argc, char **argv)
{
    const char *mode = argc == 2 ? argv[1] : "";
    int rec = strcmp(mode, "recursion") == 0;
    churn = strcmp(mode, "churn") == 0;
    if (!rec && !churn && strcmp(mode, "callers") != 0) {
        fprintf(stderr, "usage: spread_leak recursion|callers|churn\n");
        return 2;
    }
    kept = calloc((size_t)(STEPS + 1) * DEPTH, sizeof *kept);
    for (long step = 0; step <= STEPS; step++) {
        leakscope_mark((uint64_t)step);
        if (rec)
            walk(0);
        else
            for (int i = 0; i < DEPTH; i++)
                callers[i]();
        if (step % 100 == 0)
            leakscope_snapshot("tick");
    }
    printf("%ld pieces kept\n", nkept);
    return 0; /* kept pieces stay reachable through `kept` */
}
