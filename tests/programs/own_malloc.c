/*
 * own_malloc.c — a program with a malloc family of its own (a bump allocator over a static
 * pool): every call the program and libc make reaches it, never the shim's hooks, so the
 * shim can track nothing and must say so in one line (tests/integration/shim_foreign_allocator.sh)
 * while the program runs as bare. Prints "ok".
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static _Alignas(16) char pool[1 << 22];
static size_t used;

void *malloc(size_t n)
{
    if (n > sizeof pool - used)
        return NULL;
    void *p = pool + used;
    used += (n + 15) & ~(size_t)15;
    return p;
}

void free(void *p)
{
    (void)p; /* a bump allocator never gives back */
}

void *calloc(size_t count, size_t size)
{
    if (size && count > (size_t)-1 / size)
        return NULL;
    void *p = malloc(count * size);
    return p ? memset(p, 0, count * size) : NULL;
}

void *realloc(void *old, size_t n)
{
    void *p = malloc(n);
    if (p && old) /* the old block's size is not kept: copy what fits, within the pool */
        memcpy(p, old, (size_t)(pool + used - (char *)old) < n ? (size_t)(pool + used - (char *)old) : n);
    return p;
}

int main(void)
{
    char *s = malloc(3);
    memcpy(s, "ok", 3);
    puts(s);
    return 0;
}
