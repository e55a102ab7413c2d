/* fx_thread_leak.c — the leak happens in a second thread: a worker handles each step's job
 * and keeps a copy of every job it handled. The main thread marks steps. Expected: leak. */
#include <pthread.h>
#include <semaphore.h>

#include "fx_common.h"

static sem_t go, done;
static long job_size;
static int stop;
static void **kept;
static size_t n_kept;

static void *worker(void *arg)
{
    (void)arg;
    for (;;) {
        sem_wait(&go);
        if (stop)
            return NULL;
        void *copy = fx_touch(malloc((size_t)job_size), (size_t)job_size);
        kept = realloc(kept, (n_kept + 1) * sizeof *kept); /* pointer table: grows too */
        kept[n_kept++] = copy;
        free(fx_touch(malloc(512), 512));
        sem_post(&done);
    }
}

int main(int argc, char **argv)
{
    fx_init(argc, argv);
    long base = fx_range(32, 256);
    pthread_t t;
    sem_init(&go, 0, 0);
    sem_init(&done, 0, 0);
    pthread_create(&t, NULL, worker, NULL);
    for (long step = 0; step <= fx_steps; step++) {
        job_size = base + fx_range(-8, 8);
        sem_post(&go); /* hand the step to the worker and wait for it: no sleeps */
        sem_wait(&done);
        fx_step_done(step);
    }
    stop = 1;
    sem_post(&go);
    pthread_join(t, NULL);
    return 0;
}
