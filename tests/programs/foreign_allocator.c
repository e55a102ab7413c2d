/*
 * foreign_allocator.c — a program linked with an allocator other than glibc's (jemalloc,
 * tcmalloc, mimalloc: tests/integration/shim_foreign_allocator.sh links it with each). Under
 * the shim its blocks must still come from that allocator and go back to it: it prints, for
 * a fresh block of each size, the allocator's usable size (size classes differ from glibc's),
 * and whether the linked allocator owns the block, asked through its own API (found with
 * dlsym, so the same source builds against all three, and against glibc: "owner unknown").
 * Every entry point the shim wraps is used once and its block kept, so each site's figures
 * are known: malloc 7 blocks (sizes below), calloc 10 x 30, realloc 10 -> 3000, posix_memalign
 * 200, aligned_alloc 512, memalign 300, valloc 100 (freed), strdup (freed).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dlsym's RTLD_NEXT, RTLD_DEFAULT (the Makefile defines it too) */
#endif
#include <dlfcn.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const size_t sizes[] = {1, 24, 100, 1000, 5000, 70000, 1 << 20};
#define NSIZES (sizeof sizes / sizeof sizes[0])
void *volatile keep[NSIZES + 6];

/* Whether the allocator the program is linked with owns p: 1 yes, 0 no, -1 no way to ask. */
static int owned(void *p)
{
    int (*mallctl)(const char *, void *, size_t *, void *, size_t) = dlsym(RTLD_DEFAULT, "mallctl");
    int (*tc_owns)(const void *) = dlsym(RTLD_DEFAULT, "MallocExtension_GetOwnership");
    int (*mi_owns)(const void *) = dlsym(RTLD_DEFAULT, "mi_is_in_heap_region");
    if (mallctl) { /* jemalloc: the address's extent is one of jemalloc's ("arenas.lookup") */
        unsigned arena = 0;
        size_t len = sizeof arena;
        return mallctl("arenas.lookup", &arena, &len, &p, sizeof p) == 0;
    }
    if (tc_owns) /* tcmalloc: kOwned is 1 */
        return tc_owns(p) == 1;
    if (mi_owns)
        return mi_owns(p) != 0;
    return -1;
}

static void report(const char *what, void *p, size_t asked)
{
    int o = owned(p);
    printf("%s %zu: usable %zu, %s\n", what, asked, malloc_usable_size(p),
           o < 0 ? "owner unknown" : o ? "owned by the linked allocator" : "NOT owned by the linked allocator");
}

int main(void)
{
    for (size_t i = 0; i < NSIZES; i++) {
        keep[i] = malloc(sizes[i]); /* SITE:malloc */
        report("malloc", keep[i], sizes[i]);
    }
    void *p = calloc(10, 30); /* SITE:calloc */
    report("calloc", p, 300);
    keep[NSIZES] = p;
    p = malloc(10); /* SITE:realloc_first */
    p = realloc(p, 3000); /* SITE:realloc */
    report("realloc", p, 3000);
    keep[NSIZES + 1] = p;
    if (posix_memalign(&p, 64, 200) != 0) /* SITE:posix_memalign */
        return 1;
    report("posix_memalign", p, 200);
    keep[NSIZES + 2] = p;
    p = aligned_alloc(256, 512); /* SITE:aligned_alloc */
    report("aligned_alloc", p, 512);
    keep[NSIZES + 3] = p;
    p = memalign(128, 300); /* SITE:memalign */
    report("memalign", p, 300);
    keep[NSIZES + 4] = p;
    p = valloc(100);
    report("valloc", p, 100);
    free(p);
    char *s = strdup("a string duplicated by libc, which calls malloc");
    report("strdup", s, strlen(s) + 1);
    free(s);
    return 0;
}
