/*
 * hostile_calls.c — failing and odd calls, which must behave exactly as without the
 * shim (the test runs each mode bare and under the shim and compares stdout, stderr
 * and the exit status or the signal that killed it).
 *   contracts   huge sizes (ENOMEM), calloc/reallocarray overflow, bad alignments
 *               (EINVAL), realloc to 0 and from NULL, zero-size blocks, a failed realloc
 *               or reallocarray keeping its block, errno left as it was on success.
 *               Exit figures: SITE:zero_site and SITE:zero_realloc_site 0 B x 1 each,
 *               SITE:kept_site 300 B x 1,
 *               SITE:ra_kept_site 64 B x 1, SITE:big_site 1048576 B x 1; nothing at
 *               SITE:failed_site. Exit status 4.
 *   fds         file descriptors are the program's: the first open() gets 3, and after
 *               the program closes every descriptor above 2 and opens two files of its
 *               own, new threads' allocations neither read from nor write to them.
 *   double_small, double_large, double_mmap   free() twice (tcache, bins, mmapped chunk)
 *   foreign_stack, foreign_static, foreign_interior   free() of a pointer malloc never
 *               returned
 *   realloc_freed   realloc() of a freed block
 * The crashing modes print a line and flush stdout first; glibc then aborts with its
 * own message (or the process dies of SIGSEGV), the same with the shim.
 * usage: hostile_calls MODE [DIR]   (fds: DIR for its two files)
 */
#pragma GCC diagnostic ignored "-Walloc-size-larger-than="
#pragma GCC diagnostic ignored "-Wfree-nonheap-object"
#pragma GCC diagnostic ignored "-Wuse-after-free"
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *volatile sink;
void *keep[16];

static const char *err(void)
{
    switch (errno) {
    case 0: return "0";
    case ENOMEM: return "ENOMEM";
    case EINVAL: return "EINVAL";
    case 1234: return "1234(kept)";
    default: return "other";
    }
}

static void show(const char *what, void *p)
{
    printf("%-34s %s errno=%s\n", what, p ? "ptr" : "NULL", err());
}

static void contracts(void)
{
    size_t huge[] = {SIZE_MAX, SIZE_MAX - 4096, (size_t)PTRDIFF_MAX + 1, (size_t)1 << 62};
    for (int i = 0; i < 4; i++) {
        errno = 0;
        show("malloc(huge)", malloc(huge[i])); /* SITE:failed_site */
        errno = 0;
        show("calloc(1, huge)", calloc(1, huge[i])); /* SITE:failed_site */
        errno = 0;
        show("valloc(huge)", valloc(huge[i]));
        errno = 0;
        show("pvalloc(huge)", pvalloc(huge[i]));
        errno = 0;
        show("memalign(64, huge)", memalign(64, huge[i]));
        errno = 0;
        show("aligned_alloc(64, huge)", aligned_alloc(64, huge[i]));
        void *q = (void *)0x1;
        printf("%-34s %d q-untouched=%d\n", "posix_memalign(64, huge)", posix_memalign(&q, 64, huge[i]),
               q == (void *)0x1);
    }
    errno = 0;
    show("calloc(SIZE_MAX/2, 3)", calloc(SIZE_MAX / 2, 3));
    errno = 0;
    show("calloc(1<<33, 1<<31)", calloc((size_t)1 << 33, (size_t)1 << 31));
    errno = 0;
    show("reallocarray(NULL, SIZE_MAX/2, 3)", reallocarray(NULL, SIZE_MAX / 2, 3));

    /* a failed realloc / reallocarray leaves the block as it was, and tracked */
    char *k = malloc(300); /* SITE:kept_site */
    memset(k, 'k', 300);
    errno = 0;
    show("realloc(p, huge)", realloc(k, SIZE_MAX - 100));
    printf("%-34s %d\n", "block intact", k[299] == 'k');
    keep[0] = k;
    char *ra = reallocarray(NULL, 8, 8); /* SITE:ra_kept_site */
    errno = 0;
    show("reallocarray(p, huge, huge)", reallocarray(ra, SIZE_MAX / 4, 8));
    keep[1] = ra;

    /* bad alignments */
    size_t bad[] = {0, 3, 24, 4, (size_t)1 << 63 | 8};
    for (int i = 0; i < 5; i++) {
        void *q = (void *)0x1;
        int r = posix_memalign(&q, bad[i], 16);
        printf("posix_memalign(align %#zx): %s q-untouched=%d\n", bad[i], r == EINVAL ? "EINVAL" : r ? "other" : "0",
               q == (void *)0x1);
        if (r == 0)
            free(q);
    }
    errno = 0;
    void *m = memalign((size_t)1 << 63 | 1, 16);
    show("memalign(2^63+1, 16)", m);
    errno = 0;
    m = memalign(24, 16); /* glibc rounds the alignment up */
    printf("%-34s %s aligned32=%d\n", "memalign(24, 16)", m ? "ptr" : "NULL", ((uintptr_t)m & 31) == 0);
    free(m);
    errno = 0;
    m = aligned_alloc(3, 16);
    show("aligned_alloc(3, 16)", m);
    free(m);

    /* zero sizes */
    errno = 1234;
    keep[2] = malloc(0); /* SITE:zero_site */
    show("malloc(0)", keep[2]);
    keep[3] = realloc(NULL, 0); /* SITE:zero_realloc_site */
    show("realloc(NULL, 0)", keep[3]);
    void *c0 = calloc(0, 16);
    show("calloc(0, 16)", c0);
    free(c0);
    void *r0 = malloc(10);
    errno = 1234;
    show("realloc(p, 0)", realloc(r0, 0)); /* frees r0 */
    errno = 1234;
    show("reallocarray(p, 0, 8)", reallocarray(malloc(5), 0, 8));
    printf("%-34s %zu\n", "malloc_usable_size(NULL)", malloc_usable_size(NULL));

    /* errno is left alone by successful calls and free */
    errno = 1234;
    sink = calloc(4, 4);
    sink = realloc(sink, 4000);
    free(sink);
    free(NULL);
    void *b = NULL;
    posix_memalign(&b, 4096, 10);
    sink = b;
    free(sink);
    show("after successful calls", (void *)1);
    keep[4] = malloc(1 << 20); /* SITE:big_site */
    sink = realloc(malloc(1 << 20), 2 << 20); /* an mmapped block resized */
    free(sink);
}

static void *fd_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < 50; i++) {
        sink = malloc((size_t)i + 1); /* SITE:fd_thread_site */
        free(sink);
    }
    return NULL;
}

/* A daemon-like program: close every inherited descriptor, then open its own files. */
static int fds(const char *dir)
{
    int fd = open("/dev/null", O_RDONLY);
    printf("first open(): %d\n", fd);
    for (int i = 3; i < 1024; i++)
        close(i);
    char in_path[4096], out_path[4096];
    snprintf(in_path, sizeof in_path, "%s/in.txt", dir);
    snprintf(out_path, sizeof out_path, "%s/out.txt", dir);
    int in = open(in_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || write(in, "ABCDEFGH", 8) != 8 || lseek(in, 0, SEEK_SET) != 0)
        return 1;
    int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    printf("own files: %d %d\n", in, out);
    for (int k = 0; k < 8; k++) { /* fresh stacks: the unwinder meets new pages */
        pthread_t t;
        pthread_create(&t, NULL, fd_thread, NULL);
        pthread_join(t, NULL);
    }
    char buf[16] = {0};
    ssize_t n = read(in, buf, sizeof buf - 1);
    printf("read back: %zd \"%s\"\n", n, buf);
    if (write(out, "hello\n", 6) != 6)
        return 1;
    close(out);
    close(in);
    char got[64] = {0};
    int rd = open(out_path, O_RDONLY);
    n = read(rd, got, sizeof got - 1);
    printf("own output: %zd bytes \"%.*s\"\n", n, (int)(n > 0 ? n - 1 : 0), got);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    const char *mode = argv[1];
    if (strcmp(mode, "contracts") == 0) {
        contracts();
        return 4;
    }
    if (strcmp(mode, "fds") == 0)
        return argc == 3 ? fds(argv[2]) : 2;

    printf("%s: before the bad call\n", mode);
    fflush(stdout);
    /* Pointers pass through the volatile sink so the compiler cannot pair up or drop
     * the calls. */
    if (strcmp(mode, "double_small") == 0) {
        sink = malloc(24);
        free(sink);
        free(sink);
    } else if (strcmp(mode, "double_large") == 0) {
        sink = malloc(5000);
        void *p = sink;
        sink = malloc(10); /* keeps p from merging into the top chunk */
        free(p);
        sink = p;
        free(sink);
    } else if (strcmp(mode, "double_mmap") == 0) {
        sink = malloc(4 << 20);
        free(sink);
        free(sink);
    } else if (strcmp(mode, "foreign_stack") == 0) {
        char local[64];
        sink = local;
        free(sink);
    } else if (strcmp(mode, "foreign_static") == 0) {
        static char data[64];
        sink = data;
        free(sink);
    } else if (strcmp(mode, "foreign_interior") == 0) {
        sink = (char *)malloc(100) + 16;
        free(sink);
    } else if (strcmp(mode, "realloc_freed") == 0) {
        sink = malloc(5000);
        void *p = sink;
        sink = malloc(10);
        free(p);
        sink = p;
        sink = realloc(sink, 6000);
    } else {
        return 2;
    }
    printf("%s: survived\n", mode);
    return 0;
}
