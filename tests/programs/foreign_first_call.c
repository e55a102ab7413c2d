/*
 * foreign_first_call.c — a signal handler that allocates while the shim is finding the real
 * allocator, at the program's first allocation (tests/integration/shim_foreign_allocator.sh
 * links it with jemalloc, tcmalloc and mimalloc, with -rdynamic). Made deterministic: the
 * program defines dladdr, which the shim calls while finding, and raises SIGUSR1 from it; in
 * life, a timer signal arriving during the first malloc. The handler's block is kept and
 * freed by main: it must have come from the program's allocator (before the fix, glibc served
 * the handler and jemalloc's free crashed on the block). Prints "kept yes" then "ok".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr, RTLD_NEXT (the Makefile defines it too) */
#endif
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *volatile kept;
static volatile int raised;

static void on_usr1(int sig)
{
    (void)sig;
    kept = malloc(64);
    if (kept)
        memset(kept, 1, 64);
}

static void raise_once(void)
{
    if (raised)
        return;
    raised = 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
}

int dladdr(const void *addr, Dl_info *info)
{
    static int (*real)(const void *, Dl_info *);
    raise_once();
    if (!real)
        real = (int (*)(const void *, Dl_info *))dlsym(RTLD_NEXT, "dladdr");
    return real ? real(addr, info) : 0;
}

int main(void)
{
    raise_once(); /* bare (no shim calls dladdr): the handler runs here */
    printf("kept %s\n", kept ? "yes" : "no");
    free(kept); /* back to the allocator that made it */
    void *p = malloc(100);
    free(p);
    puts("ok");
    return 0;
}
