/*
 * fuzz_baseline.c — libFuzzer harness for the baseline reader (`gate --baseline FILE`,
 * model/baseline.c on jansson): any input is either rejected with one line naming the
 * input, or read into a baseline whose every string is NUL-terminated and freed cleanly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ls_baseline_t b;
    char err[512];
    if (ls_baseline_parse((const char *)data, size, "fuzz", &b, err, sizeof err) < 0) {
        if (strncmp(err, "fuzz", 4) != 0 || strchr(err, '\n'))
            abort(); /* every rejection is one line naming the input */
        return 0;
    }
    size_t total = 0;
    for (size_t i = 0; i < b.n; i++) {
        total += strlen(b.procs[i].prog);
        for (size_t k = 0; k < b.procs[i].n_sites; k++)
            total += strlen(b.procs[i].sites[k].function) + strlen(b.procs[i].sites[k].file);
        for (size_t k = 0; k < b.procs[i].n_mods; k++)
            total += strlen(b.procs[i].mods[k].name);
    }
    ls_baseline_free(&b);
    return total == (size_t)-1; /* uses the lengths, so the reads cannot be optimised away */
}
