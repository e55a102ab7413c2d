/*
 * review_sigfork.c — the program owns the signal named by LEAKSCOPE_SIGNAL (here USR1):
 * its handler must stay in place in the parent and in a forked child, where the shim
 * restarts its snapshot thread but must not reinstall its own handler.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_usr1(int s)
{
    (void)s;
    got++;
}

int main(void)
{
    signal(SIGUSR1, on_usr1);
    raise(SIGUSR1);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        void *volatile p = malloc(64);
        raise(SIGUSR1);
        printf("child: handler ran %d times\n", (int)got);
        free(p);
        exit(got == 2 ? 0 : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    printf("parent: handler ran %d times, child exit %d\n", (int)got, WEXITSTATUS(st));
    return got == 1 ? WEXITSTATUS(st) : 1;
}
