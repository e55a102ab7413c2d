/*
 * sigmask_calls.c — the program's own sigprocmask calls keep their meaning under the shim,
 * which answers libunwind's sigprocmask calls itself while it walks a stack (hooks.c): a
 * blocked signal stays blocked (pending, not delivered) across allocations that make the
 * shim walk new stacks step by step, the mask read back is the one set, SIG_UNBLOCK
 * delivers it, SIG_SETMASK restores, a bad `how` fails with EINVAL; the same from a
 * signal handler and from a second thread. Prints what it sees: the test compares the
 * output with the bare run's.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t delivered, handler_blocked_usr2;
static void *volatile sink;

static void on_usr1(int sig)
{
    (void)sig;
    sigset_t add, now;
    sigemptyset(&add);
    sigaddset(&add, SIGUSR2);
    sigprocmask(SIG_BLOCK, &add, NULL); /* inside a handler: the kernel restores on return */
    sigprocmask(SIG_SETMASK, NULL, &now);
    handler_blocked_usr2 = sigismember(&now, SIGUSR2);
    delivered++;
}

/* Allocations from stacks of varying depth, so the shim walks new stacks. */
static __attribute__((noinline)) void churn(int depth)
{
    if (depth > 0) {
        churn(depth - 1);
        sink = malloc((size_t)depth * 8); /* not a tail call */
        free(sink);
        return;
    }
    for (int i = 0; i < 50; i++) {
        sink = malloc(64 + (size_t)i);
        free(sink);
    }
}

static void report(const char *where)
{
    sigset_t set, now;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR1);
    for (int d = 0; d < 40; d++)
        churn(d);
    sigprocmask(SIG_SETMASK, NULL, &now);
    sigset_t pending;
    sigpending(&pending);
    printf("%s: blocked %d, pending %d, delivered %d\n", where, sigismember(&now, SIGUSR1),
           sigismember(&pending, SIGUSR1), (int)delivered);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("%s: after unblock delivered %d, handler saw SIGUSR2 blocked %d\n", where, (int)delivered,
           (int)handler_blocked_usr2);
    sigprocmask(SIG_SETMASK, NULL, &now);
    printf("%s: SIGUSR2 blocked after the handler %d\n", where, sigismember(&now, SIGUSR2));
    errno = 0;
    int r = sigprocmask(12345, &set, NULL);
    printf("%s: bad how -> %d %s\n", where, r, r < 0 && errno == EINVAL ? "EINVAL" : strerror(errno));
    delivered = 0;
}

static void *thread_main(void *arg)
{
    (void)arg;
    report("thread");
    return NULL;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    report("main");
    pthread_t t;
    pthread_create(&t, NULL, thread_main, NULL);
    pthread_join(t, NULL);
    return 0;
}
