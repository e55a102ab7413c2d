/*
 * review_reuse_after_api.c — a signal handler frees a block while leakscope_snapshot() runs (ls_guard raised, so the
 * free is deferred); the API returns without draining. The next malloc of the same size
 * gets the same address (tcache), is recorded, and then its leave() drains the stale
 * deferred free -- erasing the new live block. Expected: traced current rises by 48 and
 * the exit snapshot shows q's site with 1 block. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <leakscope.h>

void *volatile victim;
void *volatile freed_addr;
volatile int in_api, hit;
void *volatile keep;

static void on_alarm(int s)
{
    (void)s;
    if (in_api && victim) {
        freed_addr = victim;
        free(victim);
        victim = 0;
        hit = 1;
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    size_t c0, c1, c2, pk;
    leakscope_traced_memory(&c0, &pk);
    victim = malloc(48); /* victim site */
    signal(SIGALRM, on_alarm);
    struct itimerval it = {{0, 50}, {0, 50}};
    setitimer(ITIMER_REAL, &it, NULL);
    int calls = 0;
    while (!hit && calls < 100000) {
        in_api = 1;
        leakscope_snapshot("s");
        in_api = 0;
        calls++;
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    leakscope_traced_memory(&c1, &pk);
    keep = malloc(48); /* q site: stays live until exit */
    leakscope_traced_memory(&c2, &pk);
    printf("hit=%d calls=%d same_addr=%d c0=%zu after_free=%zu after_q=%zu (want after_q-c0=48, got %ld)\n",
           hit, calls, keep == freed_addr, c0, c1, c2, (long)(c2 - c0));
    return 0;
}
