/* fx_realloc_array.c — a history array grown by realloc every step and never trimmed:
 * its one block is reborn at each realloc, so every byte is young. The program frees it
 * just before exit (teardown). Expected: leak. */
#include "fx_common.h"

static double *history;
static size_t len;

static void history_push(size_t elems, double v)
{
    history = realloc(history, (len + elems) * sizeof *history);
    for (size_t i = 0; i < elems; i++)
        history[len + i] = v;
    len += elems;
}

int main(int argc, char **argv)
{
    fx_init(argc, argv);
    size_t elems = (size_t)fx_range(2, 6); /* 16..48 bytes a step */
    for (long step = 0; step <= fx_steps; step++) {
        history_push(elems, (double)step);
        fx_step_done(step);
    }
    free(history);
    return 0;
}
