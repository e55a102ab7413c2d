/*
 * keep_timer.c — a long run of timer snapshots for LEAKSCOPE_KEEP (issue 11,
 * tests/integration/shim_keep.sh). Run with LEAKSCOPE_INTERVAL_MS and LEAKSCOPE_OUT=DIR;
 * it marks steps and works until the shim has written `target` snapshots (the highest
 * sequence number among its files in DIR), then exits:
 *   leak     32 B every 64 steps, never freed                (leak)
 *   warmup   32 B every 64 steps while fewer than target/10 snapshots are written (warm-up)
 *   ring     4096 slots of 48 B, one replaced per step       (bounded)
 *   churn    4 x 64 B allocated and freed per step
 *   keep_timer TARGET
 */
#include <dirent.h>
#include <leakscope.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *volatile sink;
static void *ring[4096];

/* The highest sequence number among this process's snapshot files. */
static long newest_seq(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    long best = 0;
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
            long s = atol(e->d_name + strlen(prefix));
            best = s > best ? s : best;
        }
    closedir(d);
    return best;
}

int main(int argc, char **argv)
{
    const char *dir = getenv("LEAKSCOPE_OUT");
    long target = argc > 1 ? atol(argv[1]) : 5000;
    if (!dir || target < 10) {
        fprintf(stderr, "usage: LEAKSCOPE_OUT=DIR keep_timer TARGET (>= 10)\n");
        return 2;
    }
    char prefix[64];
    snprintf(prefix, sizeof prefix, "keep_timer.%ld.", (long)getpid());
    long seq = 0;
    for (unsigned long step = 0; seq < target; step++) {
        if (step % 64 == 0)
            sink = malloc(32); /* SITE:leak */
        if (step % 64 == 0 && seq < target / 10)
            sink = malloc(32); /* SITE:warmup */
        free(ring[step % 4096]);
        ring[step % 4096] = malloc(48); /* SITE:ring */
        for (int k = 0; k < 4; k++) {
            void *volatile p = malloc(64); /* SITE:churn */
            free(p);
        }
        leakscope_mark(step);
        if (step % 256 == 0)
            seq = newest_seq(dir, prefix);
    }
    printf("snapshots %ld\n", seq);
    return 0;
}
