/*
 * review_exit_in_handler.c — a SIGALRM handler calls exit() while the main thread is
 * inside leakscope_traced_memory() (which takes a shim lock): the exit snapshot must not
 * wait for a lock its own thread holds. Exits 0; a hang is the failure.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/time.h>

#include <leakscope.h>

static void on_alarm(int s)
{
    (void)s;
    exit(0);
}

static void *short_thread(void *a)
{
    (void)a;
    free(malloc(10));
    return NULL;
}

int main(void)
{
    pthread_t th; /* a second thread makes the traced figures sum per-thread blocks */
    pthread_create(&th, NULL, short_thread, NULL);
    pthread_join(th, NULL);
    void *volatile keep = malloc(1000);
    (void)keep;
    signal(SIGALRM, on_alarm);
    struct itimerval it = {{0, 0}, {0, 20000}};
    setitimer(ITIMER_REAL, &it, NULL);
    size_t cur, peak, sum = 0;
    for (;;) {
        leakscope_traced_memory(&cur, &peak);
        sum += cur;
    }
}
