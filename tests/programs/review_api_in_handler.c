/*
 * review_api_in_handler.c — a timer handler reports memory with leakscope_traced_memory() while the main thread
 * also calls it: when the signal lands while main holds the shim's threads lock
 * (ls_threads_pending), the handler spins on that lock for ever. Bare: no-op API, exits. */
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>
#include <leakscope.h>

volatile unsigned long handled;
static void on_alarm(int s)
{
    (void)s;
    size_t c, p;
    leakscope_traced_memory(&c, &p);
    handled++;
}

int main(void)
{
    signal(SIGALRM, on_alarm);
    struct itimerval it = {{0, 20}, {0, 20}};
    setitimer(ITIMER_REAL, &it, NULL);
    size_t c, p;
    for (long i = 0; i < 5000000; i++)
        leakscope_traced_memory(&c, &p);
    printf("done handled>0: %d\n", handled > 0);
    return 0;
}
