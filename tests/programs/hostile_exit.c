/*
 * hostile_exit.c — allocations during and after process exit: in atexit handlers, in an
 * atexit handler registered by an atexit handler, in pthread key destructors (which run
 * after the shim's own per-thread destructor), in a program destructor and an atexit
 * handler it registers, from a thread still allocating while the process exits, and
 * after the shim's exit snapshot: the write function of a stdio stream (fopencookie)
 * that exit() flushes after every handler and destructor, the shim's included. That
 * function also asks for a snapshot, which must be ignored.
 * Exit-snapshot figures (exact):
 *   SITE:atexit_site   111 B x 1       SITE:nested_site   222 B x 1
 *   SITE:dtor_site     444 B x 1       SITE:late_site     555 B x 1
 *   SITE:key_site      333 B x 2 per thread that ran its key destructors (THREADS
 *                      threads, plus the main thread in pthread_exit mode)
 *   SITE:cookie_site   absent (after the snapshot)
 * Built with -DHOSTILE_EXIT_LIB it is instead a library whose destructor allocates
 * (SITE:lib_late_site) and asks for a snapshot; built with -DWITH_LATE_LIB the program
 * links against it (DT_NEEDED), so that destructor runs when the loader finalises it.
 * usage: hostile_exit return|pthread_exit   (exit status 3, or 0 for pthread_exit)
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <leakscope.h>

#ifdef HOSTILE_EXIT_LIB

void *lib_late_block;
void hostile_exit_lib_touch(void);

void hostile_exit_lib_touch(void)
{
}

__attribute__((destructor)) static void lib_late_destructor(void)
{
    lib_late_block = malloc(777); /* SITE:lib_late_site */
    leakscope_snapshot("libdtor");
    ssize_t ignored = write(1, "library destructor ran\n", 23);
    (void)ignored;
}

#else /* the program */

#ifdef WITH_LATE_LIB
void hostile_exit_lib_touch(void);
#endif

#define THREADS 4

static pthread_key_t key;
void *key_blocks[2 * (THREADS + 1)];
void *volatile sink; /* keeps the compiler from dropping malloc/free pairs */
static atomic_int n_key_blocks;
void *atexit_block, *nested_block, *dtor_block, *late_block;

static void say(const char *s) /* unbuffered: stdio may be gone during the last steps */
{
    ssize_t ignored = write(1, s, strlen(s));
    (void)ignored;
}

/* Runs once per round of key destructors; setting the value again asks for one more
 * round, so each thread runs it twice. */
static void key_destructor(void *value)
{
    key_blocks[atomic_fetch_add(&n_key_blocks, 1)] = malloc(333); /* SITE:key_site */
    sink = strdup("scratch in a key destructor");
    free(sink);
    if (value == (void *)1)
        pthread_setspecific(key, (void *)2);
}

static void *thread_main(void *arg)
{
    (void)arg;
    pthread_setspecific(key, (void *)1);
    sink = malloc(10);
    free(sink);
    return NULL;
}

static atomic_int bg_started;

/* Allocates until the process is gone: its hooks run across the shim's exit snapshot. */
static void *background(void *arg)
{
    (void)arg;
    void *ring[16] = {0};
    for (unsigned long i = 0;; i++) {
        free(ring[i % 16]);
        ring[i % 16] = malloc(i % 4000 + 1); /* SITE:bg_site */
        if (i == 1000)
            atomic_store(&bg_started, 1);
    }
    return NULL;
}

/* In pthread_exit mode: once the main thread has run its key destructors, exit. */
static void *exit_after_main(void *arg)
{
    (void)arg;
    for (long i = 0; i < 100000000 && atomic_load(&n_key_blocks) < 2 * (THREADS + 1); i++)
        sched_yield();
    exit(0);
}

static void late_handler(void)
{
    late_block = malloc(555); /* SITE:late_site */
    say("late handler ran\n");
}

void *cookie_block;

/* Called when exit() flushes the streams, after the shim's exit snapshot. */
static ssize_t cookie_write(void *cookie, const char *buf, size_t size)
{
    (void)cookie;
    cookie_block = malloc(666); /* SITE:cookie_site */
    sink = calloc(3, 100);
    sink = realloc(sink, 5000);
    free(sink);
    void *q = NULL;
    if (posix_memalign(&q, 64, 100) == 0) {
        sink = q;
        free(sink);
    }
    leakscope_snapshot("cookie"); /* after the exit snapshot: ignored */
    char line[128];
    int n = snprintf(line, sizeof line, "cookie stream flushed: %.*s\n", (int)size, buf);
    say(n > 0 ? line : "");
    return (ssize_t)size;
}

__attribute__((destructor)) static void program_destructor(void)
{
    dtor_block = malloc(444); /* SITE:dtor_site */
    atexit(late_handler);
    say("destructor ran\n");
}

static void nested_handler(void)
{
    nested_block = malloc(222); /* SITE:nested_site */
    sink = malloc(50);
    free(sink);
    say("nested handler ran\n");
}

static void first_handler(void)
{
    atexit_block = malloc(111); /* SITE:atexit_site */
    sink = strdup("scratch");
    free(sink);
    atexit(nested_handler);
    say("atexit handler ran\n");
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    int use_pthread_exit = strcmp(argv[1], "pthread_exit") == 0;
#ifdef WITH_LATE_LIB
    hostile_exit_lib_touch();
#endif
    atexit(first_handler);
    FILE *late = fopencookie(NULL, "w", (cookie_io_functions_t){.write = cookie_write});
    fputs("buffered until exit", late); /* never flushed by the program itself */
    pthread_key_create(&key, key_destructor);
    pthread_t tid[THREADS], bg;
    for (int t = 0; t < THREADS; t++)
        pthread_create(&tid[t], NULL, thread_main, NULL);
    for (int t = 0; t < THREADS; t++)
        pthread_join(tid[t], NULL);
    printf("key destructor blocks: %d\n", atomic_load(&n_key_blocks));
    pthread_create(&bg, NULL, background, NULL);
    pthread_detach(bg);
    while (!atomic_load(&bg_started))
        sched_yield();
    fflush(stdout);
    if (use_pthread_exit) {
        /* The background thread never ends, so the exit is left to a thread that calls
         * exit(0) once the main thread's key destructors have run. */
        pthread_setspecific(key, (void *)1);
        pthread_t last;
        pthread_create(&last, NULL, exit_after_main, NULL);
        pthread_exit(NULL);
    }
    return 3;
}

#endif
