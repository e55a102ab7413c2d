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
#include <stdatomic.h>
#include <string.h>
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
    int in_gap;   /* between two fields (spaces) */
    size_t bytes; /* of the map read so far */
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
    scan_t *s = ctx;
    int r = 0;
    long i = 0;
    for (; i < n && r == 0; i++)
        r = scan_byte(s, buf[i]);
    s->bytes += (size_t)i;
    return r;
}

/* How much text the last read of the map took to find its address: past quick_after, a
 * lookup asks the kernel instead (ls_maps_find_quick). A short read costs less than making
 * sure no seccomp filter is in the way of the question (measured: reading the status file
 * costs about what reading a map of a few hundred lines does). */
static atomic_size_t last_text_bytes, quick_after = 32u << 10;

void ls_maps_quick_after(size_t bytes)
{
    atomic_store(&quick_after, bytes);
}

/* PROCMAP_QUERY (Linux 6.11, uapi/linux/fs.h), declared here for older headers: the
 * mapping holding an address, answered by the kernel in one call. */
struct ls_procmap_query {
    uint64_t size, query_flags, query_addr;                 /* in */
    uint64_t vma_start, vma_end, vma_flags, vma_page_size;  /* out */
    uint64_t vma_offset, inode;                             /* out */
    uint32_t dev_major, dev_minor;                          /* out */
    uint32_t vma_name_size, build_id_size;                  /* in/out */
    uint64_t vma_name_addr, build_id_addr;                  /* in */
};
#define LS_PROCMAP_QUERY 0xC0686611ul /* _IOWR('f', 17, struct procmap_query) */

static atomic_int no_procmap_query; /* the kernel said it has no such call, or refused it */

/* "Seccomp:" of /proc/thread-self/status, streamed like the map: the digit after it. */
typedef struct {
    const char *want;
    size_t at;
    int mode;
} seccomp_scan_t;

static int seccomp_chunk(void *ctx, const char *buf, long n)
{
    seccomp_scan_t *s = ctx;
    for (long i = 0; i < n; i++) {
        if (s->want[s->at] == 0) {
            if (buf[i] == ' ' || buf[i] == '\t')
                continue;
            s->mode = buf[i] >= '0' && buf[i] <= '9' ? buf[i] - '0' : -1;
            return 1;
        }
        s->at = buf[i] == s->want[s->at] ? s->at + 1 : buf[i] == '\n';
    }
    return 0;
}

/* This thread runs under no seccomp filter. A sandbox may kill a process for an ioctl it did
 * not list (Chromium's and Firefox's content processes, OpenSSH's pre-authentication child)
 * where reading /proc was allowed: the query is made only where nothing filters calls.
 * Filters are inherited and never removed, but may be added at any time: asked per thread. */
static int no_seccomp_filter(void)
{
    seccomp_scan_t s = {"\nSeccomp:", 1, -1}; /* the line does not start the file */
    if (ls_proc_read("/proc/thread-self/status", seccomp_chunk, &s) != 1)
        return 0;
    return s.mode == 0;
}

/* 1 found, 0 not found, -1 no answer (no such call, a filter, a name too long: read the text). */
static int query_mapping(uintptr_t addr, ls_mapping_t *m, char *name, size_t cap)
{
    if (atomic_load_explicit(&no_procmap_query, memory_order_relaxed) || !no_seccomp_filter())
        return -1;
    long fd = syscall(SYS_openat, AT_FDCWD, "/proc/thread-self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct ls_procmap_query q = {.size = sizeof q, .query_addr = addr,
                                 .vma_name_size = (uint32_t)(cap < UINT32_MAX ? cap : UINT32_MAX),
                                 .vma_name_addr = (uintptr_t)name};
    long r = syscall(SYS_ioctl, fd, LS_PROCMAP_QUERY, &q);
    int error = r < 0 ? errno : 0;
    syscall(SYS_close, fd);
    if (r < 0 && error == ENOENT) /* no mapping holds addr */
        return 0;
    if (r < 0) {
        if (error == ENOTTY || error == EINVAL || error == EOPNOTSUPP || error == EPERM || error == EACCES)
            atomic_store_explicit(&no_procmap_query, 1, memory_order_relaxed);
        return -1;
    }
    m->start = q.vma_start;
    m->end = q.vma_end;
    m->prev_end = 0;
    if (q.vma_name_size == 0)
        name[0] = 0;
    return 1;
}

int ls_maps_find_quick(uintptr_t addr, ls_mapping_t *m, char *name, size_t cap)
{
    if (atomic_load_explicit(&last_text_bytes, memory_order_relaxed) <
        atomic_load_explicit(&quick_after, memory_order_relaxed))
        return ls_maps_find(addr, m, name, cap); /* a short read: cheaper than asking */
    int saved = errno;
    int r = query_mapping(addr, m, name, cap);
    errno = saved;
    if (r < 0 || (r == 1 && strcmp(name, "[stack]") == 0))
        return ls_maps_find(addr, m, name, cap);
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
    atomic_store_explicit(&last_text_bytes, s.bytes, memory_order_relaxed);
    return r == 1;
}
