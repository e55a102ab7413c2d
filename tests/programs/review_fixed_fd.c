/*
 * review_fixed_fd.c — a shell-like program that redirects onto a fixed descriptor
 * number (`cmd 5>file`: dup2(out, 5), write(5), close(5)) while the shim's snapshot
 * thread writes timer snapshots: the shim's descriptors must never sit on 5, so the file
 * gets exactly its lines and no call fails.  usage: review_fixed_fd FILE
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    int out = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int errors = 0;
    for (int i = 0; i < 100000; i++) {
        void *volatile p = malloc(32 + (size_t)(i % 64));
        if (dup2(out, 5) != 5)
            errors++;
        if (write(5, "line\n", 5) != 5)
            errors++;
        if (close(5) != 0)
            errors++;
        free(p);
    }
    close(out);
    printf("errors=%d\n", errors);
    return 0;
}
