/*
 * hostile_secure.c — helper for tests/integration/security.sh.
 *   report        allocates, then prints whether the shim is mapped into the process,
 *                 whether it tracks (leakscope_active), and the process's secure mode
 *                 (AT_SECURE), so a setuid run can show the shim loaded but idle.
 *   wait          prints its pid, waits for a line on stdin (the test plants files in
 *                 the output directory meanwhile, named after that pid), then takes two
 *                 snapshots labelled "checkpoint" (SITE:wait_site: 100 B x 1, then
 *                 200 B x 2) and exits.
 * usage: hostile_secure report|wait
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include <leakscope.h>

void *held[4];

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    if (strcmp(argv[1], "report") == 0) {
        held[0] = malloc(100); /* SITE:held_site */
        printf("euid=%d secure=%lu shim_loaded=%s active=%d\n", (int)geteuid(), getauxval(AT_SECURE),
               dlsym(RTLD_DEFAULT, "leakscope_shim_active") ? "yes" : "no", leakscope_active());
        return 0;
    }
    if (strcmp(argv[1], "wait") == 0) {
        printf("%d\n", (int)getpid());
        fflush(stdout);
        char line[64];
        if (!fgets(line, sizeof line, stdin))
            return 1;
        for (int k = 0; k < 2; k++) {
            held[k] = malloc(100); /* SITE:wait_site */
            leakscope_snapshot("checkpoint");
        }
        printf("done\n");
        return 0;
    }
    return 2;
}
