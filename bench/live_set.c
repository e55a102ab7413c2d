/*
 * live_set.c — holds N small live allocations at once (then frees them), so the bench
 * can measure what the shim costs in memory per live allocation: the difference in
 * peak RSS with and without the shim, divided by N.
 * usage: live_set [N (default 1000000)]
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    void **blocks = malloc(n * sizeof *blocks);
    if (!blocks)
        return 1;
    for (size_t i = 0; i < n; i++) {
        blocks[i] = malloc(24 + (i % 4) * 8);
        if (!blocks[i])
            return 1;
        ((char *)blocks[i])[0] = (char)i;
    }
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += (unsigned char)((char *)blocks[i])[0];
        free(blocks[i]);
    }
    free(blocks);
    printf("live_set: %zu blocks, checksum %u\n", n, sum);
    return 0;
}
