/* fx_doubling_array.c — an unbounded log kept in a buffer that doubles its capacity when
 * full (as std::vector does): flat between doublings, every byte reborn at the last one.
 * Expected: leak. */
#include "fx_common.h"

struct log {
    char *buf;
    size_t len, cap;
};

static void log_append(struct log *l, const char *s, size_t n)
{
    if (l->len + n > l->cap) {
        size_t cap = l->cap ? l->cap : 64;
        while (cap < l->len + n)
            cap *= 2;
        l->buf = realloc(l->buf, cap);
        l->cap = cap;
    }
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

int main(int argc, char **argv)
{
    fx_init(argc, argv);
    static const char line[256] = "step done\n";
    size_t per = (size_t)fx_range(12, 64);
    struct log l = {0};
    for (long step = 0; step <= fx_steps; step++) {
        log_append(&l, line, per);
        fx_step_done(step);
    }
    free(l.buf);
    return 0;
}
