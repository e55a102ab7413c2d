/*
 * inline_wrappers.c — allocations made inside functions the compiler inlines into their
 * callers (issue 14, part 3; tests/integration/inline_frames.sh): glibc's getline, which
 * bits/stdio.h defines as an inline wrapper of __getdelim when the program is optimised
 * (-O2, the test builds it so as well as with the Makefile's -fno-inline), and a helper of
 * the program's own that is always inlined. Each is called from two functions. The report
 * must keep the callers: an inlined function is a frame above the function it was inlined
 * into, not in its place.
 *
 * Holds at exit: read_names() 3 lines, read_values() 5 lines (one getline buffer each,
 * glibc's first buffer of 120 bytes for these short lines); label_users() 7 labels of 40
 * bytes and label_groups() 11 of 40 bytes from make_label(). Prints "3 5 7 11".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *names[3], *values[5], *users[7], *groups[11];

/* Always inlined, also under -fno-inline: its malloc is code of its callers. */
static inline __attribute__((always_inline)) char *make_label(const char *kind, int i)
{
    char *p = malloc(40); /* SITE:label_malloc */
    if (p)
        snprintf(p, 40, "%s-%d", kind, i);
    return p;
}

__attribute__((noinline)) static void label_users(void)
{
    for (int i = 0; i < 7; i++)
        users[i] = make_label("user", i); /* SITE:label_users_call */
}

__attribute__((noinline)) static void label_groups(void)
{
    for (int i = 0; i < 11; i++)
        groups[i] = make_label("group", i); /* SITE:label_groups_call */
}

/* Up to 3 lines of `in`, each into a buffer of its own that getline allocates. */
__attribute__((noinline)) static int read_names(FILE *in)
{
    int n = 0;
    size_t cap = 0;
    while (n < 3) {
        names[n] = NULL, cap = 0;
        if (getline(&names[n], &cap, in) < 0) /* SITE:names_getline */
            break;
        n++;
    }
    return n;
}

/* Up to 5 lines, the same way from another function. */
__attribute__((noinline)) static int read_values(FILE *in)
{
    int n = 0;
    size_t cap = 0;
    while (n < 5) {
        values[n] = NULL, cap = 0;
        if (getline(&values[n], &cap, in) < 0) /* SITE:values_getline */
            break;
        n++;
    }
    return n;
}

int main(void)
{
    static char text[] = "alpha\nbeta\ngamma\n1\n2\n3\n4\n5\n";
    FILE *in = fmemopen(text, strlen(text), "r");
    if (!in)
        return 1;
    int a = read_names(in), b = read_values(in);
    fclose(in);
    label_users();
    label_groups();
    printf("%d %d %d %d\n", a, b, users[6] ? 7 : 0, groups[10] ? 11 : 0);
    return 0;
}
