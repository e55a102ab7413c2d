/* fx_warmup.c — warm-up: lookup tables and a compile cache are built during the first
 * steps (a random share of the run), then the program runs on them with per-step
 * temporaries and nothing else grows. Expected: warmup, severity none. */
#include "fx_common.h"

static void *table[4096];
static size_t n_table;

int main(int argc, char **argv)
{
    fx_init(argc, argv);
    long warm = fx_steps * fx_range(3, 15) / 100; /* warm-up length */
    long per_step = fx_range(4, 12);
    for (long step = 0; step <= fx_steps; step++) {
        if (step < warm)
            for (long k = 0; k < per_step && n_table < 4096; k++) {
                size_t sz = (size_t)fx_range(64, 1024);
                table[n_table++] = fx_touch(malloc(sz), sz);
            }
        for (int k = 0; k < 3; k++)
            free(fx_touch(malloc((size_t)fx_range(32, 2048)), 32));
        fx_step_done(step);
    }
    for (size_t i = 0; i < n_table; i++)
        free(table[i]);
    return 0;
}
