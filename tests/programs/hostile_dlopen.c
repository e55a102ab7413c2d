/*
 * hostile_dlopen.c — dlopen/dlclose of a library that allocates. Built twice: as the
 * program (by the Makefile) and, with -DHOSTILE_LIB, as the library the test compiles
 * at run time (cc -shared -fPIC -g -DHOSTILE_LIB). The library allocates in its
 * constructor (SITE:lib_ctor_site, 777 bytes), in lib_alloc (SITE:lib_site, the size
 * asked, called 3 times with 5555) and in its destructor, which runs inside dlclose
 * (SITE:lib_dtor_site, 888 bytes); every block stays live after dlclose, handed to the
 * program through slots it registered. The program then checks the library is really
 * gone (RTLD_NOLOAD), allocates a little more, and takes a snapshot labelled "unloaded".
 * With a second library (the same source built with -DLIB_B), it is loaded after the
 * first is gone (often at the same addresses) and allocates 6666 bytes at SITE:lib_b_site.
 * usage: hostile_dlopen LIBRARY.so [LIBRARY_B.so]
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HOSTILE_LIB

void lib_register(void **ctor_out, void **dtor_out);
void *lib_alloc(size_t n);

static void **ctor_slot, **dtor_slot;
static void *ctor_block;

__attribute__((constructor)) static void lib_ctor(void)
{
    ctor_block = malloc(777); /* SITE:lib_ctor_site */
}

void lib_register(void **ctor_out, void **dtor_out)
{
    ctor_slot = ctor_out;
    dtor_slot = dtor_out;
    *ctor_slot = ctor_block;
}

#ifndef LIB_B
void *lib_alloc(size_t n)
{
    char *p = malloc(n); /* SITE:lib_site */
    memset(p, 'x', n);
    return p;
}
#else /* a second library, loaded where the first one was */
void *lib_alloc(size_t n)
{
    char *p = calloc(1, n); /* SITE:lib_b_site */
    return p;
}
#endif

__attribute__((destructor)) static void lib_dtor(void)
{
    if (dtor_slot)
        *dtor_slot = malloc(888); /* SITE:lib_dtor_site */
}

#else /* the program */

#include <leakscope.h>

void *from_lib[3], *from_ctor, *from_dtor, *after, *from_b;

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 3)
        return 2;
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    void (*reg)(void **, void **) = (void (*)(void **, void **))dlsym(h, "lib_register");
    void *(*alloc)(size_t) = (void *(*)(size_t))dlsym(h, "lib_alloc");
    if (!reg || !alloc)
        return 1;
    reg(&from_ctor, &from_dtor);
    for (int i = 0; i < 3; i++)
        from_lib[i] = alloc(5555);
    if (dlclose(h) != 0)
        return 1;
    int gone = dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD) == NULL;
    after = malloc(99); /* SITE:after_site */
    if (argc == 3) { /* a second library, likely mapped over the first one's addresses */
        void *h2 = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
        void *(*alloc2)(size_t) = h2 ? (void *(*)(size_t))dlsym(h2, "lib_alloc") : NULL;
        if (!alloc2)
            return 1;
        from_b = alloc2(6666);
        /* on stderr: the shim keeps unloaded ranges reserved, so this differs */
        fprintf(stderr, "second library %s the first one's addresses\n",
                (void *)alloc2 == (void *)alloc ? "reuses" : "does not reuse");
    }
    leakscope_snapshot("unloaded");
    printf("library unloaded: %s; blocks kept: %s\n", gone ? "yes" : "no",
           from_lib[2] && from_ctor && from_dtor ? "yes" : "no");
    return 0;
}

#endif
