/*
 * memory.c — the shim's own memory (mmap'd pages and a bump arena) and its one-line
 * log. Nothing here calls the hooked allocator, so the shim's bookkeeping never
 * recurses into itself and never shows up in the program's figures.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"

void *ls_pages_alloc(size_t bytes)
{
    int saved = errno;
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    errno = saved;
    return p == MAP_FAILED ? NULL : p;
}

void ls_pages_free(void *p, size_t bytes)
{
    int saved = errno;
    if (p)
        munmap(p, bytes);
    errno = saved;
}

#define ARENA_CHUNK (1u << 20)

static ls_spinlock_t arena_lock;
static char *arena_cur, *arena_end;

void *ls_arena_alloc(size_t bytes)
{
    bytes = (bytes + 15) & ~(size_t)15;
    ls_spin_lock(&arena_lock);
    if ((size_t)(arena_end - arena_cur) < bytes) {
        size_t chunk = bytes > ARENA_CHUNK ? bytes : ARENA_CHUNK;
        char *c = ls_pages_alloc(chunk);
        if (!c) {
            ls_spin_unlock(&arena_lock);
            return NULL;
        }
        arena_cur = c;
        arena_end = c + chunk;
    }
    void *p = arena_cur;
    arena_cur += bytes;
    ls_spin_unlock(&arena_lock);
    return p;
}

int ls_fd_move_high(int fd, int cloexec)
{
    struct rlimit rl;
    int saved = errno;
    if (fd < 0 || getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < 128) {
        errno = saved;
        return fd;
    }
    int floor = (int)(rl.rlim_cur < 1024 ? rl.rlim_cur : 1024) - 64;
    int high = fd >= floor ? fd : fcntl(fd, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, floor);
    if (high >= 0 && high != fd)
        close(fd);
    errno = saved;
    return high >= 0 ? high : fd;
}

/* Lines from a thread without the program's stderr (the snapshot thread keeps no copy of
 * the program's descriptors): held here, the first one only, and written by
 * ls_log_flush_held() from a thread that has stderr — at exit at the latest. */
__thread int ls_log_hold __attribute__((tls_model("initial-exec")));
static char held_line[512];
static atomic_size_t held_len;

void ls_log_flush_held(void)
{
    if (ls_log_hold) /* no stderr on this thread either */
        return;
    size_t n = atomic_load(&held_len);
    /* (size_t)-1 marks "said": later held lines are dropped, so it is said once. */
    if (n && n != (size_t)-1 && atomic_compare_exchange_strong(&held_len, &n, (size_t)-1)) {
        int saved = errno;
        ssize_t ignored = write(STDERR_FILENO, held_line, n);
        (void)ignored;
        errno = saved;
    }
}

void ls_log(const char *fmt, ...)
{
    char line[512];
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    /* vsnprintf into a stack buffer with plain conversions takes no lock and does
     * not allocate; it is never called from a signal handler. */
    int n = vsnprintf(line + 11, sizeof line - 12, fmt, ap);
    va_end(ap);
    memcpy(line, "leakscope: ", 11);
    if (n < 0)
        n = 0;
    if ((size_t)n > sizeof line - 13) /* truncated: vsnprintf kept this many */
        n = (int)(sizeof line - 13);
    /* One line, whatever the message quotes (environment values, paths): control
     * characters, a newline or a terminal escape among them, are shown as '?'. */
    for (int i = 11; i < 11 + n; i++)
        if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
            line[i] = '?';
    line[11 + n] = '\n';
    if (ls_log_hold) { /* only the snapshot thread holds, so one writer */
        if (atomic_load(&held_len) == 0) {
            memcpy(held_line, line, (size_t)(12 + n));
            atomic_store(&held_len, (size_t)(12 + n));
        }
        errno = saved;
        return;
    }
    int cancel; /* write() is a cancellation point; the hooks that log must not be */
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
    ssize_t ignored = write(STDERR_FILENO, line, (size_t)(12 + n));
    pthread_setcancelstate(cancel, NULL);
    (void)ignored;
    errno = saved;
}

void ls_assert_failed(const char *cond, const char *file, int line)
{
    ls_log("internal check failed: %s (%s:%d)", cond, file, line);
    abort();
}
