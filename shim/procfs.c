/*
 * procfs.c — reading /proc (procfs.h): the mapping that holds an address, for the stack
 * bounds of a thread (unwind.c) and the file behind a module loaded by a relative path
 * (modules.c); the parent's environment (engine.c, to warn once per process tree).
 *
 * It runs inside hooks, which may be entered while the C library holds one of its own
 * locks (pthread_getattr_np allocates holding the thread's lock; fopen, setenv, dlopen...
 * hold theirs): so it uses raw system calls only (syscall(), which takes no lock and is
 * no cancellation point), a buffer on the stack, and a parser that reads the text as a
 * stream, one byte at a time, so no line needs to fit in the buffer. The kernel lists
 * mappings in address order: the scan stops at the line holding the address, or at the
 * first one past it.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "procfs.h"

enum { F_START, F_END, F_PERMS, F_OFFSET, F_DEV, F_INODE, F_NAME };

typedef struct {
    uintptr_t addr;
    ls_mapping_t *m;
    char *name;
    size_t cap, name_len;
    uintptr_t start, end, prev_end; /* the line being read, and the one before */
    unsigned field;
    int in_gap; /* between two fields (spaces) */
} scan_t;

static unsigned hex_digit(char c)
{
    return c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

/* One byte of the map. Returns 1 when the address's line is complete (found), 2 when a
 * line past the address ends (not found), else 0. */
static int scan_byte(scan_t *s, char c)
{
    if (c == '\n') {
        if (s->addr >= s->start && s->addr < s->end) {
            s->m->start = s->start;
            s->m->end = s->end;
            s->m->prev_end = s->prev_end;
            s->name[s->name_len] = 0;
            return 1;
        }
        if (s->start > s->addr)
            return 2;
        s->prev_end = s->end;
        s->start = s->end = 0;
        s->field = F_START;
        s->in_gap = 0;
        return 0;
    }
    if (s->field == F_START) {
        if (c == '-')
            s->field = F_END;
        else
            s->start = s->start * 16 + hex_digit(c);
    } else if (s->field == F_END) {
        if (c == ' ')
            s->in_gap = 1;
        else if (s->in_gap)
            s->field = F_PERMS, s->in_gap = 0;
        else
            s->end = s->end * 16 + hex_digit(c);
    } else if (s->field < F_NAME) { /* perms, offset, device, inode: skipped */
        if (c == ' ')
            s->in_gap = 1;
        else if (s->in_gap)
            s->field++, s->in_gap = 0;
    }
    /* The name runs to the end of the line, spaces included (the kernel escapes '\n'). */
    if (s->field == F_NAME && s->addr >= s->start && s->addr < s->end && s->name_len + 1 < s->cap)
        s->name[s->name_len++] = c;
    return 0;
}

int ls_proc_read(const char *path, int (*fn)(void *ctx, const char *buf, long n), void *ctx)
{
    int saved = errno;
    long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        errno = saved;
        return -1;
    }
    char buf[1024];
    int r = 0;
    while (r == 0) {
        long n = syscall(SYS_read, fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            r = n < 0 ? -1 : 0;
            break;
        }
        r = fn(ctx, buf, n);
    }
    syscall(SYS_close, fd);
    errno = saved;
    return r;
}

static int scan_chunk(void *ctx, const char *buf, long n)
{
    int r = 0;
    for (long i = 0; i < n && r == 0; i++)
        r = scan_byte(ctx, buf[i]);
    return r;
}

int ls_maps_find(uintptr_t addr, ls_mapping_t *m, char *name, size_t cap)
{
    scan_t s = {.addr = addr, .m = m, .name = name, .cap = cap};
    /* /proc/self stops answering once the main thread has exited; /proc/thread-self
     * (Linux 3.17) does not. */
    int r = ls_proc_read("/proc/thread-self/maps", scan_chunk, &s);
    if (r < 0)
        r = ls_proc_read("/proc/self/maps", scan_chunk, &s);
    return r == 1;
}
