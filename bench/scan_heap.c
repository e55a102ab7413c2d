/*
 * scan_heap.c — a live heap for timing the reachability scan (bench/scan_speed.sh):
 * MIB MiB in 4 KiB blocks chained into a list from a global (so marking has to follow
 * every link), the rest of each block filled with words that are not pointers, and one
 * block in 64 dropped (lost). Usage: scan_heap MIB
 * Built with -DWITH_LSAN -fsanitize=leak, it times LeakSanitizer's own leak check
 * (__lsan_do_recoverable_leak_check) on that heap and prints "lsan_check_ms N".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef WITH_LSAN
#include <sanitizer/lsan_interface.h>
#endif

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
#ifdef WITH_LSAN
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    __lsan_do_recoverable_leak_check();
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("lsan_check_ms %.1f\n", (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
#endif
    return 0;
}
