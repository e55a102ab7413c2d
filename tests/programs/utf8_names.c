/* utf8_names.c — a steady leak in a function whose name is not ASCII (`mémoriser`), so that
 * reports and baselines carry UTF-8 names: JSON out must be valid UTF-8 and a baseline's
 * `\u00e9` must name the same function. Expected: leak in mémoriser. */
#include "fx_common.h"

static void *keep[4096];

static void mémoriser(long step)
{
    keep[step % 4096] = fx_touch(malloc(64), 64);
}

int main(int argc, char **argv)
{
    fx_init(argc, argv);
    for (long step = 0; step <= fx_steps && step < 4096; step++) {
        mémoriser(step);
        fx_step_done(step);
    }
    return 0;
}
