/*
 * review_close_stdio.c — a program that closes its stdout and stderr and goes on (as a
 * daemon does): whoever reads its output must see end-of-file then, not when it exits.
 * It waits for a byte on stdin, which the test sends only after it saw end-of-file; a
 * copy of stdout held by the shim (its snapshot thread) would make that a deadlock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
    void *volatile keep = malloc(100);
    (void)keep;
    printf("ready\n");
    fflush(stdout);
    close(1);
    close(2);
    char c;
    return read(0, &c, 1) == 1 ? 0 : 1;
}
