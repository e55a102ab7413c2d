/*
 * hostile_failures.c — the shim's own failures, which must never show in the program's
 * output or exit status (the test compares with a bare run; the shim may say one line
 * on stderr). Every mode prints the same lines with or without the shim and exits 6.
 *   snapshots        three snapshots on request around some allocations (for an
 *                    output directory that cannot be created: LEAKSCOPE_OUT under a
 *                    regular file)
 *   vanish DIR       snapshot "one"; the program then deletes DIR (LEAKSCOPE_OUT) and its
 *                    parent; snapshot "two" must recreate them. Figures in "two" and at
 *                    exit: SITE:one_site 100 B x 1, SITE:two_site 200 B x 1.
 *   replace DIR      snapshot "one"; the program replaces DIR by a regular file, then asks
 *                    for snapshot "two" (which cannot be written) and carries on.
 *   sites            snapshot "small", then allocations from 1024 distinct call stacks
 *                    and snapshot "big" (for a small file system that fills up).
 *   tables           fills the heap and frees it (kept by malloc: no trimming), takes
 *                    snapshot "before", then lowers RLIMIT_AS to what the process already
 *                    has plus a little, so malloc still finds room in its heap but no new
 *                    mapping can be made, and allocates 1.5 million small blocks.
 * usage: hostile_failures MODE [DIR]
 */
#include <dirent.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <leakscope.h>

void *blocks[8];
void *volatile sink;
void **many;

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    closedir(d);
    rmdir(dir);
}

/* Distinct call stacks: each level calls one of two functions, so the path down to
 * the allocation spells the bits of n. */
static void *branch_a(unsigned n, int depth);
static void *branch_b(unsigned n, int depth);

static void *descend(unsigned n, int depth)
{
    if (depth == 0)
        return malloc(16 + n % 7); /* SITE:tree_site */
    return (n >> depth) & 1 ? branch_a(n, depth - 1) : branch_b(n, depth - 1);
}

static void *branch_a(unsigned n, int depth)
{
    void *p = descend(n, depth);
    sink = p; /* not a tail call: keeps this frame on the stack */
    return p;
}

static void *branch_b(unsigned n, int depth)
{
    void *p = descend(n, depth);
    sink = p;
    return p;
}

static long vm_size_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static int tables(void)
{
    /* Grow the heap by 160 MiB of 1 MiB blocks (below the mmap threshold) and give it
     * back to malloc, which keeps it (no trimming). */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_TOP_PAD, 0);
    void *chunks[160];
    for (int i = 0; i < 160; i++)
        chunks[i] = malloc(1 << 20);
    for (int i = 159; i >= 0; i--) {
        sink = chunks[i];
        free(sink);
    }
    leakscope_snapshot("before");
    long kb = vm_size_kb();
    if (kb < 0)
        return 1;
    struct rlimit rl = {(rlim_t)(kb + 4096) * 1024, (rlim_t)(kb + 4096) * 1024};
    if (setrlimit(RLIMIT_AS, &rl) != 0)
        return 1;
    enum { N = 1500000 };
    many = malloc(N * sizeof *many);
    unsigned long sum = 0;
    for (long i = 0; i < N; i++) {
        many[i] = malloc(16); /* SITE:many_site */
        if (!many[i])
            return 1;
        sum += (unsigned long)i;
    }
    for (long i = 0; i < N; i++)
        free(many[i]);
    free(many);
    printf("tables: %d blocks, sum %lu\n", N, sum);
    return 6;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    const char *mode = argv[1], *dir = argc > 2 ? argv[2] : NULL;
    if (strcmp(mode, "snapshots") == 0) {
        for (int i = 0; i < 3; i++) {
            blocks[i] = malloc(100); /* SITE:step_site */
            leakscope_snapshot("step");
        }
        printf("snapshots: done\n");
        return 6;
    }
    if ((strcmp(mode, "vanish") == 0 || strcmp(mode, "replace") == 0) && dir) {
        blocks[0] = malloc(100); /* SITE:one_site */
        leakscope_snapshot("one");
        remove_dir(dir);
        if (strcmp(mode, "vanish") == 0) {
            char parent[4096];
            snprintf(parent, sizeof parent, "%s", dir);
            char *slash = strrchr(parent, '/');
            if (slash)
                *slash = 0;
            rmdir(parent);
            struct stat st;
            printf("removed: %s\n", stat(parent, &st) != 0 ? "yes" : "no");
        } else {
            FILE *f = fopen(dir, "w");
            fputs("a file where the directory was\n", f);
            fclose(f);
            printf("replaced\n");
        }
        blocks[1] = malloc(200); /* SITE:two_site */
        leakscope_snapshot("two");
        blocks[2] = malloc(50); /* SITE:after_site */
        printf("%s: done\n", mode);
        return 6;
    }
    if (strcmp(mode, "sites") == 0) {
        blocks[0] = malloc(100); /* SITE:small_site */
        leakscope_snapshot("small");
        many = malloc(1024 * sizeof *many);
        for (unsigned n = 0; n < 1024; n++)
            many[n] = descend(n, 10);
        leakscope_snapshot("big");
        for (unsigned n = 0; n < 1024; n++)
            free(many[n]);
        printf("sites: done\n");
        return 6;
    }
    if (strcmp(mode, "tables") == 0)
        return tables();
    return 2;
}
