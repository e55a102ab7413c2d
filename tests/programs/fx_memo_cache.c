/* fx_memo_cache.c — a memo cache over a finite key space, filled by random look-ups: it
 * fills fast, then slower and slower as it saturates, and never evicts. Expected: warmup
 * (a cache that saturates), severity none. The cache is process-lifetime (static), as a
 * memo cache is: reachable at exit, so the exit scan (issue 13) finds nothing lost. */
#include "fx_common.h"

int main(int argc, char **argv)
{
    fx_init(argc, argv);
    size_t keys = (size_t)fx_range(200, 500), value = (size_t)fx_range(64, 512);
    static char **memo;
    memo = calloc(keys, sizeof *memo);
    for (long step = 0; step <= fx_steps; step++) {
        for (int k = 0; k < 4; k++) {
            size_t key = (size_t)fx_range(0, (long)keys - 1);
            if (!memo[key])
                memo[key] = fx_touch(malloc(value), value);
        }
        fx_step_done(step);
    }
    return 0;
}
