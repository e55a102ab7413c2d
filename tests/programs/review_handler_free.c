/*
 * review_handler_free.c — a timer signal handler frees blocks (as real programs do,
 * async-signal-safety aside) while the main thread churns malloc/free, so the handler
 * often interrupts one of the shim's hooks. Every block is freed: at exit the line that
 * allocated them must hold nothing.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

#define N 200

void *volatile blocks[N];
volatile int nfreed;

static void on_alarm(int s)
{
    (void)s;
    if (nfreed < N) {
        free(blocks[nfreed]);
        blocks[nfreed] = 0;
        nfreed++;
    }
}

int main(void)
{
    for (int i = 0; i < N; i++)
        blocks[i] = malloc(12345); /* SITE:handler_freed */
    signal(SIGALRM, on_alarm);
    struct itimerval it = {{0, 200}, {0, 200}};
    setitimer(ITIMER_REAL, &it, NULL);
    unsigned long s = 0;
    while (nfreed < N) {
        void *volatile p = malloc(24);
        s += (unsigned long)p & 1;
        free(p);
    }
    it.it_value.tv_usec = 0;
    it.it_interval.tv_usec = 0;
    setitimer(ITIMER_REAL, &it, NULL);
    printf("freed %d\n", nfreed);
    return 0;
}
