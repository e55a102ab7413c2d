/*
 * snap_requests.c — snapshots requested by the program (leakscope_snapshot), by signal
 * (LEAKSCOPE_SIGNAL=USR2: the program raises it) and by the timer (LEAKSCOPE_INTERVAL_MS).
 * After each request it waits, with a bounded poll of the output directory, for the
 * file to appear before allocating more, so every snapshot's figures are exact:
 * snapshot k (k = 1..5) holds k * 100 bytes at SITE:step_site.
 * usage: snap_requests api|signal|timer DIR
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <leakscope.h>

void *blocks[5];

static int count_files(const char *dir, const char *label)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    char want[64];
    snprintf(want, sizeof want, ".%s.lss", label);
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && strstr(e->d_name, want))
            n++;
    closedir(d);
    return n;
}

/* Wait (at most 20 s) until `dir` holds n files labelled `label`. */
static int wait_for(const char *dir, const char *label, int n)
{
    struct timespec tick = {0, 2000000};
    for (int i = 0; i < 10000; i++) {
        if (count_files(dir, label) >= n)
            return 0;
        nanosleep(&tick, NULL);
    }
    fprintf(stderr, "snap_requests: timed out waiting for %d %s snapshots\n", n, label);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    const char *mode = argv[1], *dir = argv[2];
    const char *label = strcmp(mode, "api") == 0 ? "checkpoint" : mode;
    for (int k = 1; k <= 5; k++) {
        blocks[k - 1] = malloc(100); /* SITE:step_site */
        leakscope_mark((uint64_t)k);
        if (strcmp(mode, "api") == 0)
            leakscope_snapshot("checkpoint");
        else if (strcmp(mode, "signal") == 0)
            raise(SIGUSR2);
        if (strcmp(mode, "timer") != 0 && wait_for(dir, label, k))
            return 1;
        if (strcmp(mode, "timer") == 0) {
            /* the timer fires on its own: wait for one more timer file than we have seen */
            int seen = count_files(dir, "timer");
            if (wait_for(dir, "timer", seen + 1))
                return 1;
        }
    }
    printf("%s: done\n", mode);
    return 0;
}
