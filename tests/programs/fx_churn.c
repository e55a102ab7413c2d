/* fx_churn.c — random short-lived churn: each step allocates a random number of objects of
 * random sizes that live a random few steps. Expected: bounded or stable, none. */
#include "fx_common.h"

struct obj {
    long death;
    void *p;
};

int main(int argc, char **argv)
{
    fx_init(argc, argv);
    static struct obj live[100000];
    size_t n = 0;
    long max_life = fx_range(5, 40), max_new = fx_range(5, 30);
    for (long step = 0; step <= fx_steps; step++) {
        for (size_t i = 0; i < n;)
            if (live[i].death <= step) {
                free(live[i].p);
                live[i] = live[--n];
            } else
                i++;
        long k = fx_range(0, max_new);
        for (long j = 0; j < k && n < 100000; j++) {
            size_t sz = (size_t)fx_range(16, 4096);
            live[n].p = fx_touch(malloc(sz), sz);
            live[n++].death = step + fx_range(1, max_life);
        }
        fx_step_done(step);
    }
    for (size_t i = 0; i < n; i++)
        free(live[i].p);
    return 0;
}
