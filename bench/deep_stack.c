/*
 * deep_stack.c — the allocation storm of a program with deep call stacks (servers,
 * interpreters, anything layered): PAIRS malloc/free pairs made at the bottom of a chain of
 * DEPTH (16) calls of the program's own, so that every frame of the default 16-frame trace
 * is the program's and a cached stack is verified all the way up. RING (1024) blocks live,
 * sizes 16..527 bytes, never written; a checksum of the addresses is printed at the end.
 * bench/bars.sh builds it twice, with and without -fno-omit-frame-pointer: a frame-pointer
 * frame has two slots to verify (its return address and its saved RBP), so a 16-frame
 * frame-pointer stack needs 31 checks.
 * usage: deep_stack [PAIRS (default 2000000)]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_rng.h"

#define RING 1024

static void *ring[RING];
static uint64_t checksum;

/* The bottom of the chain: the storm itself. */
static __attribute__((noinline)) void storm(uint64_t pairs)
{
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    for (uint64_t i = 0; i < pairs; i++) {
        uint64_t r = next_rand(&rng);
        free(ring[i % RING]);
        ring[i % RING] = malloc(16 + r % 512);
        checksum += (uintptr_t)ring[i % RING];
    }
}

/* One level of the chain: calls the level below, and is not a tail call (the empty asm
 * after the call keeps its frame on the stack), nor inlined. */
#define LEVEL(name, below)                                                                        \
    static __attribute__((noinline)) void name(uint64_t pairs)                                    \
    {                                                                                              \
        below(pairs);                                                                              \
        __asm__ volatile("" ::: "memory");                                                         \
    }
LEVEL(level1, storm)
LEVEL(level2, level1)
LEVEL(level3, level2)
LEVEL(level4, level3)
LEVEL(level5, level4)
LEVEL(level6, level5)
LEVEL(level7, level6)
LEVEL(level8, level7)
LEVEL(level9, level8)
LEVEL(level10, level9)
LEVEL(level11, level10)
LEVEL(level12, level11)
LEVEL(level13, level12)
LEVEL(level14, level13)
LEVEL(level15, level14)

int main(int argc, char **argv)
{
    uint64_t pairs = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
    level15(pairs); /* main, 15 levels, storm: the trace's 16 frames are all the program's */
    for (int i = 0; i < RING; i++)
        free(ring[i]);
    printf("deep_stack: %llu pairs, checksum %llu\n", (unsigned long long)pairs, (unsigned long long)checksum);
    return 0;
}
