/* fx_steady_leak.c — a steady leak: every step keeps one record it never frees (a cache
 * with no eviction keyed by request), beside per-step temporaries. Expected: leak. */
#include "fx_common.h"

struct record {
    struct record *next;
    char payload[];
};

static struct record *records; /* grows forever */

static void remember(size_t n)
{
    struct record *r = fx_touch(malloc(sizeof *r + n), sizeof *r + n);
    r->next = records;
    records = r;
}

int main(int argc, char **argv)
{
    fx_init(argc, argv);
    long base = fx_range(32, 256);
    for (long step = 0; step <= fx_steps; step++) {
        remember((size_t)(base + fx_range(-8, 8)));
        void *tmp = fx_touch(malloc((size_t)fx_range(100, 4000)), 100);
        free(tmp);
        fx_step_done(step);
    }
    return 0;
}
