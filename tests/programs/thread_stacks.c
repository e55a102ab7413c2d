/*
 * thread_stacks.c — threads that run the same code are not unwound again: once one thread
 * has allocated from a call path, every later thread allocating from the same path at the
 * same depth below its stack top finds the stack the first one verified (unwind.c, shared
 * stacks), and is unwound by libunwind never; a thread reaching the same allocating
 * call through another caller at the same depth is unwound, and gets a site of its own.
 *
 * The unwinds are counted by wrapping libunwind's entry points the shim calls
 * (_ULx86_64_init_local for its step-by-step walks, unw_backtrace for the others), per
 * thread. That needs the wrappers exported: tests/integration/shim_thread_stacks.sh builds
 * this file with -rdynamic (the plain build of tests/programs makes a binary that counts
 * nothing and says so). Paths: `a` 40 x 48 B per thread, `b` 40 x 80 B per thread, all kept.
 * Threads, one after another unless said: a1..a6 (path a), b1..b3 (path b), four of path a
 * at once (distinct stacks alive together: the saved RBPs of a frame-pointer build differ),
 * and one of path a with a 256 KiB stack. Prints one line per thread: name and unwinds.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dlsym's RTLD_NEXT, RTLD_DEFAULT (the Makefile defines it too) */
#endif
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define BLOCKS 40

static __thread unsigned unwinds;
static void *kept[32][BLOCKS];
static int wrapped; /* a wrapper ran at least once */

/* ---- the counted entry points (called by the shim, inside its hook) ---- */
int _ULx86_64_init_local(void *cursor, void *context);
int unw_backtrace(void **buffer, int size);

int _ULx86_64_init_local(void *cursor, void *context)
{
    static int (*real)(void *, void *);
    if (!real)
        real = (int (*)(void *, void *))dlsym(RTLD_NEXT, "_ULx86_64_init_local");
    unwinds++;
    wrapped = 1;
    return real ? real(cursor, context) : -1;
}

int unw_backtrace(void **buffer, int size)
{
    static int (*real)(void **, int);
    if (!real)
        real = (int (*)(void **, int))dlsym(RTLD_NEXT, "unw_backtrace");
    unwinds++;
    wrapped = 1;
    return real ? real(buffer, size) : 0;
}

/* ---- two callers of one allocating function, with frames of the same size ---- */
static volatile int tag;

__attribute__((noinline)) static void *alloc_block(size_t n)
{
    void *p = malloc(n); /* SITE:alloc */
    __asm__ volatile("" ::: "memory"); /* no tail call: this frame stays on the stack */
    return p;
}

__attribute__((noinline)) static void path_a(void **out)
{
    tag = 1;
    for (int i = 0; i < BLOCKS; i++)
        out[i] = alloc_block(48); /* SITE:path_a */
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static void path_b(void **out)
{
    tag = 2;
    for (int i = 0; i < BLOCKS; i++)
        out[i] = alloc_block(80); /* SITE:path_b */
    __asm__ volatile("" ::: "memory");
}

typedef struct {
    const char *name;
    int path_b;
    void **out;
    pthread_barrier_t *together; /* or NULL */
    unsigned unwinds;
} job_t;

static void *worker(void *arg)
{
    job_t *j = arg;
    if (j->together)
        pthread_barrier_wait(j->together);
    if (j->path_b)
        path_b(j->out);
    else
        path_a(j->out);
    j->unwinds = unwinds;
    if (j->together)
        pthread_barrier_wait(j->together); /* all four stacks alive until each has allocated */
    return NULL;
}

static void run_threads(job_t *jobs, int n, size_t stack)
{
    pthread_t tid[8];
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    if (stack)
        pthread_attr_setstacksize(&attr, stack);
    for (int i = 0; i < n; i++)
        if (pthread_create(&tid[i], &attr, worker, &jobs[i]) != 0) {
            perror("pthread_create");
            exit(1);
        }
    for (int i = 0; i < n; i++)
        pthread_join(tid[i], NULL);
    pthread_attr_destroy(&attr);
    for (int i = 0; i < n; i++)
        printf("%s %u\n", jobs[i].name, jobs[i].unwinds);
}

int main(void)
{
    static const char *names[] = {"a1", "a2", "a3", "a4", "a5", "a6", "b1", "b2", "b3"};
    int used = 0;
    for (int i = 0; i < 9; i++) {
        job_t j = {names[i], i >= 6, kept[used++], NULL, 0};
        run_threads(&j, 1, 0);
    }
    pthread_barrier_t together;
    pthread_barrier_init(&together, NULL, 4);
    job_t four[4];
    static const char *four_names[] = {"together1", "together2", "together3", "together4"};
    for (int i = 0; i < 4; i++)
        four[i] = (job_t){four_names[i], 0, kept[used++], &together, 0};
    run_threads(four, 4, 0);
    pthread_barrier_destroy(&together);
    job_t small = {"small_stack", 0, kept[used++], NULL, 0};
    run_threads(&small, 1, 256 << 10);
    printf("wrapped %d\n", wrapped);
    return 0;
}
