/*
 * scan_heap.c — a live heap for timing the reachability scan (bench/scan_speed.sh):
 * MIB MiB in 4 KiB blocks chained into a list from a global (so marking has to follow
 * every link), the rest of each block filled with words that are not pointers, and one
 * block in 64 dropped (lost). Usage: scan_heap MIB
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

void **g_head;

int main(int argc, char **argv)
{
    long mib = argc > 1 ? atol(argv[1]) : 256;
    long n = mib * 256; /* 4 KiB blocks */
    void **prev = NULL;
    for (long i = 0; i < n; i++) {
        void **b = malloc(4096);
        if (!b)
            return 1;
        for (int w = 1; w < 512; w++)
            b[w] = (void *)(uintptr_t)(0x1111111111111111ull + (uint64_t)w);
        if (i % 64 == 63) { /* lost: nothing points to it */
            b[0] = NULL;
            continue;
        }
        b[0] = prev;
        prev = b;
    }
    g_head = prev;
    printf("%ld MiB live\n", mib);
    return 0;
}
