/*
 * hostile_spawn.c — children made by vfork+exec and posix_spawn, a vfork child that
 * never execs (_exit), and finally an exec of the parent itself, all with the
 * environment inherited. Each image allocates its own block and exits:
 *   parent (before exec)  SITE:parent_site  1111 bytes (no exit snapshot: it execs)
 *   vfork + execv child   SITE:vfork_site   2222 bytes
 *   posix_spawn child     SITE:spawn_site   3333 bytes
 *   exec'd parent image   SITE:exec_site    4444 bytes, exit status 5
 * usage: hostile_spawn            (the other modes are its own children)
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
void *block;

static int image(const char *mode)
{
    if (strcmp(mode, "vforked") == 0) {
        block = malloc(2222); /* SITE:vfork_site */
        printf("vforked child ran\n");
        return 0;
    }
    if (strcmp(mode, "spawned") == 0) {
        block = malloc(3333); /* SITE:spawn_site */
        printf("spawned child ran\n");
        return 0;
    }
    if (strcmp(mode, "execd") == 0) {
        block = malloc(4444); /* SITE:exec_site */
        printf("exec'd image ran\n");
        return 5;
    }
    return 2;
}

static int status_of(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return image(argv[1]);
    block = malloc(1111); /* SITE:parent_site */
    fflush(stdout);

    char *vargv[] = {argv[0], "vforked", NULL};
    pid_t v = vfork();
    if (v == 0) {
        execve("/proc/self/exe", vargv, environ);
        _exit(127);
    }
    printf("vfork+exec child: %d\n", status_of(v));
    fflush(stdout);

    pid_t n = vfork(); /* a vfork child that gives up without exec */
    if (n == 0)
        _exit(7);
    printf("vfork+_exit child: %d\n", status_of(n));
    fflush(stdout);

    char *sargv[] = {argv[0], "spawned", NULL};
    pid_t s;
    int r = posix_spawn(&s, "/proc/self/exe", NULL, NULL, sargv, environ);
    printf("posix_spawn: %d child: %d\n", r, r == 0 ? status_of(s) : -1);
    fflush(stdout);

    char *eargv[] = {argv[0], "execd", NULL};
    execve("/proc/self/exe", eargv, environ);
    perror("execve");
    return 1;
}
