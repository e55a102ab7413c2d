/*
 * fork_exec.c — a parent allocates, forks a child that allocates and exits, waits for it,
 * then execs itself ("exec" mode), which allocates and exits. Every process must leave
 * its own exit snapshot in the same directory, with its own figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void *parent_block, *child_block, *exec_block;

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "exec") == 0) {
        exec_block = malloc(3000); /* SITE:exec_site */
        printf("exec'd image done\n");
        return 0;
    }
    parent_block = malloc(1000); /* SITE:parent_site */
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        child_block = malloc(2000); /* SITE:child_site */
        printf("child done\n");
        exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    printf("child exit status %d\n", WEXITSTATUS(status));
    fflush(stdout);
    execl("/proc/self/exe", argv[0], "exec", (char *)NULL);
    perror("execl");
    return 1;
}
