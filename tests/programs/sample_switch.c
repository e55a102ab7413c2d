/*
 * sample_switch.c — leakscope_set_sample() at run time (issue 11, tests/integration/
 * shim_sample_switch.sh): exact tracking, then sampled at 64 KiB, then exact again, with a
 * snapshot at the end of each phase and a site of known size allocated in each:
 *   exact1   1000 x 1000 B     kept live to the end
 *   sampled  20000 x 512 B     (10,240,000 B) kept live
 *   exact2   300 x 100 B       (30,000 B) kept live
 */
#include <leakscope.h>
#include <stdio.h>
#include <stdlib.h>

static void *keep_a[1000], *keep_b[20000], *keep_c[300];

int main(void)
{
    for (int i = 0; i < 1000; i++)
        keep_a[i] = malloc(1000); /* SITE:exact1 */
    leakscope_snapshot("exact1");
    leakscope_set_sample(64 * 1024);
    for (int i = 0; i < 20000; i++)
        keep_b[i] = malloc(512); /* SITE:sampled */
    leakscope_snapshot("sampled");
    leakscope_set_sample(0);
    for (int i = 0; i < 300; i++)
        keep_c[i] = malloc(100); /* SITE:exact2 */
    leakscope_snapshot("exact2");
    printf("switched %d\n", keep_a[0] && keep_b[0] && keep_c[0]);
    for (int i = 0; i < 1000; i++)
        free(keep_a[i]);
    for (int i = 0; i < 20000; i++)
        free(keep_b[i]);
    leakscope_snapshot("exact3");
    return 0;
}
