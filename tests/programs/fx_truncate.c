/* fx_truncate.c — a history grown to N entries and cut to its newest N/2, over and over
 * (the hybrid controller's bounded list). Expected: bounded, severity none. */
#include "fx_common.h"

int main(int argc, char **argv)
{
    fx_init(argc, argv);
    size_t cap = (size_t)fx_range(100, 300), len = 0;
    size_t entry = (size_t)fx_range(48, 200);
    char **hist = calloc(cap, sizeof *hist);
    for (long step = 0; step <= fx_steps; step++) {
        hist[len++] = fx_touch(malloc(entry), entry);
        if (len == cap) { /* keep the newest half */
            for (size_t i = 0; i < cap / 2; i++)
                free(hist[i]);
            memmove(hist, hist + cap / 2, (cap - cap / 2) * sizeof *hist);
            len = cap - cap / 2;
        }
        fx_step_done(step);
    }
    for (size_t i = 0; i < len; i++)
        free(hist[i]);
    free(hist);
    return 0;
}
