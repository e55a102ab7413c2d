/* fx_ring_buffer.c — a ring buffer of recent messages: each step replaces the oldest slot
 * with a new message of random size. Expected: bounded (fills, then turns over), none. */
#include "fx_common.h"

int main(int argc, char **argv)
{
    fx_init(argc, argv);
    size_t slots = (size_t)fx_range(64, 256), head = 0;
    char **ring = calloc(slots, sizeof *ring);
    for (long step = 0; step <= fx_steps; step++) {
        free(ring[head]);
        size_t sz = (size_t)fx_range(100, 300);
        ring[head] = fx_touch(malloc(sz), sz);
        head = (head + 1) % slots;
        fx_step_done(step);
    }
    for (size_t i = 0; i < slots; i++)
        free(ring[i]);
    free(ring);
    return 0;
}
