/*
 * exit_paths.c — processes that end with _exit or _Exit, which skip exit()'s handlers:
 * a forked child that allocates and calls _exit(7); a vfork child that calls _exit(9) on
 * its parent's memory (it must write nothing and leave the parent's exit snapshot to the
 * parent); posix_spawn of a missing program (its child fails on the parent's memory); and
 * the parent, which allocates and ends with _Exit(4) — or, with "atexit", calls exit(0)
 * and ends with _exit(6) from an atexit handler. Every pid is written to the file named by
 * argv[1] ("parent PID", "child PID", "vfork PID"), so the test knows whose snapshots to
 * expect; stdout is the same with and without the shim.
 * usage: exit_paths PIDFILE [atexit]
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
void *parent_block, *child_block, *late_block;
static FILE *pids;

static void end_from_handler(void)
{
    _exit(6);
}

static int wait_status(pid_t pid)
{
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
    if (argc < 2 || !(pids = fopen(argv[1], "w")))
        return 2;
    fprintf(pids, "parent %d\n", (int)getpid());
    fflush(pids);
    parent_block = malloc(1000); /* SITE:parent_site */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        child_block = malloc(2000); /* SITE:child_site */
        fprintf(pids, "child %d\n", (int)getpid());
        fflush(pids);
        _exit(7);
    }
    printf("forked child: %d\n", wait_status(pid));
    pid = vfork();
    if (pid == 0)
        _exit(9);
    fprintf(pids, "vfork %d\n", (int)pid);
    fflush(pids);
    printf("vfork child: %d\n", wait_status(pid));
    char *args[] = {"/nonexistent/program", NULL};
    int r = posix_spawn(&pid, args[0], NULL, NULL, args, environ);
    printf("posix_spawn of a missing program: %s\n", r != 0 || wait_status(pid) == 127 ? "failed" : "ran");
    late_block = malloc(3000); /* SITE:late_site */
    fflush(stdout);
    fclose(pids);
    if (argc > 2 && strcmp(argv[2], "atexit") == 0) {
        atexit(end_from_handler);
        exit(0);
    }
    _Exit(4);
}
