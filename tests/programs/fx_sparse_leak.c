/* fx_sparse_leak.c — a sparse leak: one small object every fourth step is lost (an error
 * path that forgets to free), while the other steps free theirs. Expected: leak. */
#include "fx_common.h"

static void *lost[100000];
static size_t n_lost;

static void handle(long step, long phase, size_t size)
{
    char *msg = fx_touch(malloc(size), size);
    if (step % 4 == phase) { /* the error path keeps it */
        lost[n_lost++ % 100000] = msg;
        return;
    }
    free(msg);
}

int main(int argc, char **argv)
{
    fx_init(argc, argv);
    long phase = fx_range(0, 3);
    size_t size = (size_t)fx_range(64, 160);
    for (long step = 0; step <= fx_steps; step++) {
        handle(step, phase, size);
        fx_step_done(step);
    }
    return 0;
}
