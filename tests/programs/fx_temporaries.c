/* fx_temporaries.c — pure temporaries: every step allocates scratch buffers and frees
 * them before the step ends, so nothing is ever live at a snapshot. Expected: stable. */
#include "fx_common.h"

int main(int argc, char **argv)
{
    fx_init(argc, argv);
    long per = fx_range(5, 50);
    for (long step = 0; step <= fx_steps; step++) {
        void *bufs[64];
        for (long k = 0; k < per; k++)
            bufs[k] = fx_touch(malloc((size_t)fx_range(16, 8192)), 16);
        for (long k = 0; k < per; k++)
            free(bufs[k]);
        fx_step_done(step);
    }
    return 0;
}
