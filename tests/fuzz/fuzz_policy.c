/*
 * fuzz_policy.c — libFuzzer harness for the policy parser (YAML and LeakSanitizer
 * suppression lines): any input is either rejected with one line naming the input, or
 * parsed into a policy whose matching functions then run over a few frames.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ls_policy_t p;
    char err[512];
    /* A directory that does not exist: a `suppressions_file` in the input must fail
     * cleanly, never read the fuzzing machine's files. */
    if (ls_policy_parse((const char *)data, size, "fuzz", "/nonexistent-leakscope-fuzz", &p, err,
                        sizeof err) < 0) {
        if (strncmp(err, "fuzz", 4) != 0 || strchr(err, '\n'))
            abort(); /* every rejection is one line naming the input */
        return 0;
    }
    ls_frame_info_t frames[3] = {
        {0x1000, "history_push", "src/growth.c", 24, "/usr/bin/prog", 0},
        {0x2000, "operator new(unsigned long)", "??", 0, "/usr/lib/libstdc++.so.6", 0},
        {0x3000, "main", "main.c", 7, "/usr/bin/prog", 0},
    };
    (void)ls_policy_suppressed(&p, frames, 3);
    for (size_t i = 0; i < p.n_modules; i++)
        (void)ls_module_matches(&p.modules[i], frames, 3);
    for (size_t i = 0; i < p.n_locations; i++)
        for (size_t k = 0; k < 3; k++)
            (void)ls_location_budget_matches(&p.locations[i], &frames[k]);
    ls_policy_free(&p);
    return 0;
}
