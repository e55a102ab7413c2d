/*
 * exact_alloc.c — every allocation function with known sizes, for the exactness test
 * (tests/integration/shim_exact.sh). Each allocating line carries a SITE marker that
 * the test looks up; what stays live at exit is listed in EXPECT lines the test reads.
 * It also checks the functions' own contracts (errno, failures) and prints the results,
 * so the same output is expected with and without the shim.
 */
#pragma GCC diagnostic ignored "-Walloc-size-larger-than=" /* the overflows are the point */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *keep[64];
int nkeep;

static void hold(void *p)
{
    keep[nkeep++] = p;
}

/* EXPECT malloc_site 1000 10 */
static void use_malloc(void)
{
    for (int i = 0; i < 10; i++)
        hold(malloc(100)); /* SITE:malloc_site */
}

/* EXPECT calloc_site 600 3 */
static void use_calloc(void)
{
    for (int i = 0; i < 3; i++)
        hold(calloc(10, 20)); /* SITE:calloc_site */
}

/* A realloc chain: the block is charged to the realloc line with its final size.
 * EXPECT realloc_site 4000 1 */
static void use_realloc(void)
{
    char *p = malloc(10); /* SITE:realloc_start */
    for (size_t n = 100; n <= 4000; n += 100)
        p = realloc(p, n); /* SITE:realloc_site */
    hold(p);
}

/* EXPECT memalign_site 200 1
 * EXPECT aligned_alloc_site 256 1
 * EXPECT posix_memalign_site 300 1
 * EXPECT valloc_site 5000 1
 * EXPECT pvalloc_site 100 1
 * EXPECT reallocarray_site 120 1 */
static void use_aligned(void)
{
    hold(memalign(64, 200));       /* SITE:memalign_site */
    hold(aligned_alloc(128, 256)); /* SITE:aligned_alloc_site */
    void *p = NULL;
    int r = posix_memalign(&p, 256, 300); /* SITE:posix_memalign_site */
    printf("posix_memalign: %d aligned=%d\n", r, ((uintptr_t)p % 256) == 0);
    hold(p);
    hold(valloc(5000));                /* SITE:valloc_site */
    hold(pvalloc(100));                /* SITE:pvalloc_site */
    hold(reallocarray(NULL, 10, 12));  /* SITE:reallocarray_site */
}

/* libc's own allocating functions are charged to the line that called them.
 * EXPECT strdup_site 12 1 */
static void use_libc(void)
{
    hold(strdup("hello world")); /* SITE:strdup_site */
}

/* Freed again: nothing may remain from these lines.
 * EXPECT freed_site 0 0 */
static void churn(void)
{
    for (int i = 0; i < 1000; i++) {
        void *p = malloc((size_t)(i % 50) + 1); /* SITE:freed_site */
        free(p);
    }
}

static void contracts(void)
{
    errno = 1234;
    void *volatile p = malloc(10);
    printf("errno after malloc: %d\n", errno);
    free(p);
    printf("errno after free: %d\n", errno);
    free(NULL);
    errno = 0;
    void *huge = malloc(SIZE_MAX / 2);
    printf("malloc huge: %s errno=%s\n", huge ? "ptr" : "NULL", errno == ENOMEM ? "ENOMEM" : "other");
    errno = 0;
    void *over = calloc(SIZE_MAX / 2, 4);
    printf("calloc overflow: %s errno=%s\n", over ? "ptr" : "NULL", errno == ENOMEM ? "ENOMEM" : "other");
    errno = 0;
    void *ra = reallocarray(NULL, SIZE_MAX / 2, 4);
    printf("reallocarray overflow: %s errno=%s\n", ra ? "ptr" : "NULL", errno == ENOMEM ? "ENOMEM" : "other");
    void *q = NULL;
    printf("posix_memalign(3): %s\n", posix_memalign(&q, 3, 10) == EINVAL ? "EINVAL" : "other");
    char *r = malloc(50);
    errno = 0;
    char *r2 = realloc(r, 0); /* glibc: frees r, returns NULL */
    printf("realloc(p, 0): %s\n", r2 ? "ptr" : "NULL");
    char *r3 = realloc(NULL, 40);
    printf("realloc(NULL, 40): %s usable>=40: %d\n", r3 ? "ptr" : "NULL", malloc_usable_size(r3) >= 40);
    free(r3);
    errno = 0;
    char *big = malloc(64);
    char *fail = realloc(big, SIZE_MAX / 2);
    printf("realloc huge: %s errno=%s\n", fail ? "ptr" : "NULL", errno == ENOMEM ? "ENOMEM" : "other");
    free(big);
}

int main(void)
{
    use_malloc();
    use_calloc();
    use_realloc();
    use_aligned();
    use_libc();
    churn();
    contracts();
    printf("held %d blocks\n", nkeep);
    return 3; /* a distinctive exit status, kept under the shim */
}
