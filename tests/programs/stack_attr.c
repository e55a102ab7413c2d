/*
 * stack_attr.c — pthread_getattr_np before and after a thread's first allocation, on the
 * main thread and on new threads (glibc's stack, and a stack the program mapped itself).
 * glibc allocates inside pthread_getattr_np while holding the thread's lock, so a shim
 * that asks pthread_getattr_np for the stack bounds on a thread's first allocation waits
 * for ever there (what every Rust program and the JVM do at start). Each call must
 * succeed and describe a stack holding the caller's locals. Blocks stay live at marked
 * lines for exact figures: 1000 B at main_site, 100 + 200 B at first_site, 300 + 400 B at
 * after_site, 500 B at custom_site.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define CUSTOM_STACK (256 * 1024)

void *main_block, *thread_blocks[5];

/* pthread_getattr_np on this thread: "ok" when it succeeds and its stack holds a local. */
static const char *stack_check(size_t *size_out)
{
    pthread_attr_t attr;
    void *addr;
    size_t size;
    volatile char local = 0;
    if (pthread_getattr_np(pthread_self(), &attr) != 0)
        return "pthread_getattr_np failed";
    int got = pthread_attr_getstack(&attr, &addr, &size);
    pthread_attr_destroy(&attr);
    if (got != 0)
        return "pthread_attr_getstack failed";
    if ((char *)&local < (char *)addr || (char *)&local >= (char *)addr + size)
        return "the stack does not hold a local";
    if (size_out)
        *size_out = size;
    return "ok";
}

/* Thread k: asks for its stack before its first allocation (k < 2) or after it. */
static void *attr_first(void *arg)
{
    long k = (long)arg;
    const char *before = stack_check(NULL);
    thread_blocks[k] = malloc(100 * (size_t)(k + 1)); /* SITE:first_site */
    printf("thread %ld: before its first allocation %s, after %s\n", k, before, stack_check(NULL));
    return NULL;
}

static void *alloc_first(void *arg)
{
    long k = (long)arg;
    thread_blocks[k] = malloc(100 * (size_t)(k + 1)); /* SITE:after_site */
    const char *first = stack_check(NULL);
    printf("thread %ld: after its first allocation %s, again %s\n", k, first, stack_check(NULL));
    return NULL;
}

static void *custom_stack(void *arg)
{
    long k = (long)arg;
    size_t size = 0;
    const char *before = stack_check(&size);
    thread_blocks[k] = malloc(100 * (size_t)(k + 1)); /* SITE:custom_site */
    printf("thread %ld on a mapped stack of %zu bytes: %s, after allocating %s\n", k, size, before,
           stack_check(NULL));
    return NULL;
}

static int run_thread(void *(*fn)(void *), long k, void *stack)
{
    pthread_attr_t attr;
    pthread_t tid;
    pthread_attr_init(&attr);
    if (stack)
        pthread_attr_setstack(&attr, stack, CUSTOM_STACK);
    int r = pthread_create(&tid, &attr, fn, (void *)k);
    pthread_attr_destroy(&attr);
    return r != 0 || pthread_join(tid, NULL) != 0;
}

int main(void)
{
    const char *before = stack_check(NULL); /* the program's first call: nothing allocated yet */
    main_block = malloc(1000); /* SITE:main_site */
    printf("main: before its first allocation %s, after %s\n", before, stack_check(NULL));
    fflush(stdout);
    void *stack = mmap(NULL, CUSTOM_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (stack == MAP_FAILED)
        return 1;
    if (run_thread(attr_first, 0, NULL) || run_thread(attr_first, 1, NULL) ||
        run_thread(alloc_first, 2, NULL) || run_thread(alloc_first, 3, NULL) ||
        run_thread(custom_stack, 4, stack))
        return 1;
    return 0;
}
