/* fx_cycle_leak.c — a leak per create/destroy cycle: each cycle builds a controller with
 * several buffers and destroys it, but destroy forgets one buffer. Steps are cycles.
 * Expected: leak. */
#include "fx_common.h"

struct controller {
    double *gains, *state, *scratch;
    char *name;
};

static struct controller *controller_create(size_t n, size_t name_len)
{
    struct controller *c = malloc(sizeof *c);
    c->gains = fx_touch(malloc(n * sizeof(double)), n * sizeof(double));
    c->state = fx_touch(malloc(4 * n * sizeof(double)), 4 * n * sizeof(double));
    c->scratch = fx_touch(malloc(1024), 1024);
    c->name = fx_touch(malloc(name_len), name_len);
    return c;
}

static void controller_destroy(struct controller *c)
{
    free(c->gains);
    free(c->scratch);
    free(c->name);
    free(c); /* c->state is never freed */
}

int main(int argc, char **argv)
{
    fx_init(argc, argv);
    size_t n = (size_t)fx_range(8, 32); /* state: 256..1024 bytes a cycle */
    for (long cycle = 0; cycle <= fx_steps; cycle++) {
        struct controller *c = controller_create(n, (size_t)fx_range(8, 64));
        controller_destroy(c);
        fx_step_done(cycle);
    }
    return 0;
}
