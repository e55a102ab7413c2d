/*
 * export_inlined.c — an allocation inside a function the compiler must inline, for the pprof
 * export's inlined-function lines (tests/integration/export_pprof.sh): the location of the
 * malloc call carries two lines, make_record (where malloc is called) and, as the function
 * it was inlined into, build_table at the line of the inlined call.
 */
#include <stdio.h>
#include <stdlib.h>

static void *table[8];

static inline __attribute__((always_inline)) void *make_record(size_t n)
{
    return malloc(n); /* SITE:inlined_malloc */
}

__attribute__((noinline)) static void build_table(void)
{
    for (int i = 0; i < 8; i++)
        table[i] = make_record(64 + (size_t)i); /* SITE:inlined_call */
}

int main(void)
{
    build_table();
    puts(table[7] ? "built" : "failed");
    return 0;
}
