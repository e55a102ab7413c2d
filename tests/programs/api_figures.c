/*
 * api_figures.c — leakscope_active / traced_memory / reset_peak, as tracemalloc's
 * get_traced_memory() and reset_peak(). Prints the figures relative to a baseline taken
 * at the start (so libc's own buffers do not matter); without the shim it prints
 * active=0 and zeros, and exits 0 either way.
 */
#include <stdio.h>
#include <stdlib.h>

#include <leakscope.h>

char *volatile sink_a, *volatile sink_b; /* keeps the compiler from eliding the blocks */

int main(void)
{
    size_t base, peak0, cur, peak;
    leakscope_traced_memory(&base, &peak0);
    leakscope_reset_peak();
    /* stdout's buffer is made by the first printf: make it before the baseline */
    printf("api figures\n");
    leakscope_traced_memory(&base, &peak0);
    leakscope_reset_peak();
    sink_a = malloc(100000);
    sink_b = malloc(50000);
    free(sink_a);
    leakscope_traced_memory(&cur, &peak);
    printf("active=%d current=+%zu peak=+%zu\n", leakscope_active(), cur - base, peak - base);
    leakscope_reset_peak();
    leakscope_traced_memory(&cur, &peak);
    printf("after reset: current=+%zu peak=+%zu\n", cur - base, peak - base);
    free(sink_b);
    leakscope_traced_memory(&cur, &peak);
    printf("after free: current=+%zu peak=+%zu\n", cur - base, peak - base);
    return 0;
}
