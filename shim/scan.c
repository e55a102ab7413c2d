/*
 * scan.c — the reachability scan at exit and on demand (scan.h).
 *
 * Sequence (snapshot_lock held by the caller, ls_guard set):
 *   1. list the writable segments of the loaded modules (dl_iterate_phdr: before any
 *      thread is stopped, since a stopped thread may hold the loader's lock);
 *   2. take every pointer-table shard lock (so no stopped thread holds one, and the
 *      table is frozen), copy the live blocks into an address-sorted array;
 *   3. stop the other threads (stopworld.c), read the memory map;
 *   4. mark from the roots, then flag the unreachable blocks that other unreachable
 *      blocks point to (indirect); tally per site;
 *   5. resume the threads, release the shard locks.
 * Between 3 and 5 nothing allocates through malloc (a stopped thread may hold an
 * arena lock): all memory here comes from mmap, and every range read is first checked
 * against the memory map read while the threads were stopped, so a block freed behind
 * the shim's back or a library unloaded meanwhile is skipped, never faulted on.
 *
 * One adjustment to glibc: its main arena (in libc's .data) holds pointers to the
 * headers of free chunks (bins, top), and a chunk header can lie inside the last
 * bytes of the live block before it; read as roots, those words would keep lost
 * blocks "reachable". The arena's bins are found (the word that points to the top
 * chunk, which ends at the program break) and left out of the roots. LeakSanitizer
 * has its own allocator and no such words.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "ptrtable.h"
#include "scan.h"
#include "sites.h"
#include "stopworld.h"

/* The scan reads memory it does not own (stacks, other threads' data, redzones of a
 * sanitizer build) on purpose, as LeakSanitizer's own scanner does. */
#define LS_SCAN_READER __attribute__((no_sanitize("address", "thread")))

enum { B_REACH = 1, B_INDIRECT = 2, B_CHECKED = 4, B_UNREADABLE = 8 };

typedef struct {
    uintptr_t p;
    uint64_t size;
    uint32_t site;
    uint32_t flags;
} block_t;

typedef struct {
    uintptr_t start, end;
    int readable, heap;
} map_t;

typedef struct {
    uintptr_t lo, hi;
    int libc;
} range_t;

#define MAX_RANGES 8192
#define RED_ZONE 128       /* x86-64 ABI: leaf functions may keep data below the SP */
#define TCB_BYTES 4096     /* the thread descriptor above the thread pointer (glibc: ~2.3 KiB) */

static struct {
    block_t *blocks;
    size_t n, blocks_bytes;
    uintptr_t min_p, max_end;
    map_t *maps;
    size_t n_maps, maps_bytes;
    uint32_t *stack;
    size_t depth, stack_cap, stack_bytes;
    range_t data[MAX_RANGES];
    size_t n_data;
    uintptr_t linker_lo, linker_hi, self_probe;
    uintptr_t arena_lo, arena_hi;
    uint64_t root_bytes;
    int oom;
} S;

__thread ls_scan_entry_t ls_scan_entry __attribute__((tls_model("initial-exec")));
static int scan_at_exit = 1;
static int exit_armed;
static void (*tls_static_info)(size_t *, size_t *);

/* ---- configuration -------------------------------------------------------------- */

void ls_scan_configure(char *const *envp)
{
    for (; envp && *envp; envp++) {
        if (strncmp(*envp, "LEAKSCOPE_SCAN=", 15) != 0)
            continue;
        const char *v = *envp + 15;
        if (strcmp(v, "0") == 0 || strcmp(v, "1") == 0)
            scan_at_exit = v[0] == '1';
        else
            ls_log("LEAKSCOPE_SCAN=%.40s is not 0 or 1; using 1 (scan at exit)", v);
    }
}

void ls_scan_arm_exit(void)
{
    exit_armed = 1;
}

int ls_scan_wanted(const char *label)
{
    if (!label)
        return 0;
    return strcmp(label, "scan") == 0 || (exit_armed && scan_at_exit && strcmp(label, "exit") == 0);
}

/* ---- module roots (before stopping) --------------------------------------------- */

static int module_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    const char *name = info->dlpi_name ? info->dlpi_name : "";
    int self = 0, linker = strstr(name, "/ld-linux") != NULL || strstr(name, "/ld64.so") != NULL;
    int libc = strstr(name, "/libc.so") != NULL;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t a = info->dlpi_addr + ph->p_vaddr, b = a + ph->p_memsz;
        lo = a < lo ? a : lo;
        hi = b > hi ? b : hi;
        if (S.self_probe >= a && S.self_probe < b)
            self = 1;
    }
    if (linker) {
        S.linker_lo = lo;
        S.linker_hi = hi;
    }
    for (int i = 0; i < info->dlpi_phnum && !self; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W) || S.n_data >= MAX_RANGES)
            continue;
        uintptr_t a = info->dlpi_addr + ph->p_vaddr;
        S.data[S.n_data++] = (range_t){a, a + ph->p_memsz, libc};
    }
    return 0;
}

/* ---- the memory map (threads stopped) ------------------------------------------- */

static uintptr_t hex(const char **p)
{
    uintptr_t v = 0;
    for (;; (*p)++) {
        char c = **p;
        if (c >= '0' && c <= '9')
            v = v * 16 + (uintptr_t)(c - '0');
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            v = v * 16 + (uintptr_t)((c | 0x20) - 'a' + 10);
        else
            return v;
    }
}

/* Read /proc/thread-self/maps whole into an mmap'd buffer. NULL when unreadable. */
static char *read_maps(size_t *len, size_t *cap)
{
    int fd = open("/proc/thread-self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t c = 1 << 20, n = 0;
    char *buf = ls_pages_alloc(c);
    for (ssize_t r = 1; buf && r > 0;) {
        if (n + 4096 > c) {
            char *bigger = ls_pages_alloc(c * 2);
            if (bigger)
                memcpy(bigger, buf, n);
            ls_pages_free(buf, c);
            buf = bigger;
            c *= 2;
            if (!buf)
                break;
        }
        r = read(fd, buf + n, c - n - 1);
        if (r > 0)
            n += (size_t)r;
    }
    close(fd);
    *len = n;
    *cap = c;
    return buf;
}

static int load_maps(void)
{
    size_t len, cap;
    char *buf = read_maps(&len, &cap);
    if (!buf)
        return -1;
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += buf[i] == '\n';
    S.maps_bytes = (lines + 1) * sizeof(map_t);
    S.maps = ls_pages_alloc(S.maps_bytes);
    if (!S.maps) {
        ls_pages_free(buf, cap);
        return -1;
    }
    S.n_maps = 0;
    for (const char *p = buf, *end = buf + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break;
        map_t *m = &S.maps[S.n_maps++];
        m->start = hex(&p);
        p++;
        m->end = hex(&p);
        m->readable = p[1] == 'r';
        m->heap = nl - p >= 6 && memcmp(nl - 6, "[heap]", 6) == 0;
        p = nl + 1;
    }
    ls_pages_free(buf, cap);
    return 0;
}

/* The map containing a, or NULL. */
static const map_t *map_of(uintptr_t a)
{
    size_t lo = 0, hi = S.n_maps;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (S.maps[mid].end <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < S.n_maps && S.maps[lo].start <= a ? &S.maps[lo] : NULL;
}

/* Whether [lo, hi) is readable throughout. */
static int readable(uintptr_t lo, uintptr_t hi)
{
    while (lo < hi) {
        const map_t *m = map_of(lo);
        if (!m || !m->readable)
            return 0;
        lo = m->end;
    }
    return 1;
}

/* ---- blocks --------------------------------------------------------------------- */

static void collect_cb(const ls_ptr_entry_t *e, void *ctx)
{
    (void)ctx;
    if (S.n * sizeof(block_t) >= S.blocks_bytes)
        return; /* cannot happen: sized from the frozen count */
    S.blocks[S.n++] = (block_t){e->ptr, e->size, e->site, 0};
}

/* LSD radix sort by address (bits 4..51: malloc alignment, user-space addresses), in
 * four passes of 12-bit digits: a count array of 32 KiB, so that the sort of a small
 * heap costs little more than its blocks (16-bit digits cleared 1.5 MiB of counts). */
#define SORT_DIGIT_BITS 12
#define SORT_BUCKETS (1u << SORT_DIGIT_BITS)
static int sort_blocks(void)
{
    block_t *tmp = ls_pages_alloc(S.blocks_bytes);
    size_t *count = ls_pages_alloc(SORT_BUCKETS * sizeof(size_t));
    if (!tmp || !count) {
        ls_pages_free(tmp, S.blocks_bytes);
        ls_pages_free(count, SORT_BUCKETS * sizeof(size_t));
        return -1;
    }
    block_t *src = S.blocks, *dst = tmp;
    for (unsigned shift = 4; shift < 52; shift += SORT_DIGIT_BITS) {
        memset(count, 0, SORT_BUCKETS * sizeof(size_t));
        for (size_t i = 0; i < S.n; i++)
            count[(src[i].p >> shift) & (SORT_BUCKETS - 1)]++;
        size_t sum = 0;
        for (size_t k = 0; k < SORT_BUCKETS; k++) {
            size_t c = count[k];
            count[k] = sum;
            sum += c;
        }
        for (size_t i = 0; i < S.n; i++)
            dst[count[(src[i].p >> shift) & (SORT_BUCKETS - 1)]++] = src[i];
        block_t *t = src;
        src = dst;
        dst = t;
    }
    /* four passes: the sorted array is back in the first one, the other is scratch */
    ls_pages_free(dst, S.blocks_bytes);
    S.blocks = src;
    ls_pages_free(count, SORT_BUCKETS * sizeof(size_t));
    S.min_p = S.n ? S.blocks[0].p : 1;
    S.max_end = 0;
    for (size_t i = 0; i < S.n; i++) {
        uintptr_t e = S.blocks[i].p + (S.blocks[i].size ? S.blocks[i].size : 1);
        S.max_end = e > S.max_end ? e : S.max_end;
    }
    return 0;
}

/* The block whose bytes contain v (a block of 0 bytes: v == its start), or -1. */
static inline ptrdiff_t block_of(uintptr_t v)
{
    if (v < S.min_p || v >= S.max_end)
        return -1;
    size_t lo = 0, hi = S.n;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (S.blocks[mid].p <= v)
            lo = mid;
        else
            hi = mid;
    }
    const block_t *b = &S.blocks[lo];
    if (v >= b->p && (v - b->p < b->size || v == b->p))
        return (ptrdiff_t)lo;
    return -1;
}

/* ---- marking -------------------------------------------------------------------- */

static void push(uint32_t i)
{
    if (S.depth == S.stack_cap) {
        size_t bytes = S.stack_bytes ? S.stack_bytes * 2 : 1 << 20;
        uint32_t *bigger = ls_pages_alloc(bytes);
        if (!bigger) {
            S.oom = 1;
            return;
        }
        if (S.stack) {
            memcpy(bigger, S.stack, S.depth * sizeof *S.stack);
            ls_pages_free(S.stack, S.stack_bytes);
        }
        S.stack = bigger;
        S.stack_bytes = bytes;
        S.stack_cap = bytes / sizeof *S.stack;
    }
    S.stack[S.depth++] = i;
}

/* Mark what the aligned words of [lo, hi) point to as reachable (readable memory only:
 * the caller checked). */
LS_SCAN_READER static void mark_words(uintptr_t lo, uintptr_t hi)
{
    for (uintptr_t a = (lo + 7) & ~(uintptr_t)7; a + 8 <= hi; a += 8) {
        ptrdiff_t i = block_of(*(const uintptr_t *)a);
        if (i >= 0 && !(S.blocks[i].flags & B_REACH)) {
            S.blocks[i].flags |= B_REACH;
            push((uint32_t)i);
        }
    }
}

/* A root range: its readable parts, less the glibc arena's bins. */
static void mark_root(uintptr_t lo, uintptr_t hi)
{
    if (S.arena_hi > lo && S.arena_lo < hi) {
        if (lo < S.arena_lo)
            mark_root(lo, S.arena_lo);
        if (S.arena_hi < hi)
            mark_root(S.arena_hi, hi);
        return;
    }
    while (lo < hi) {
        const map_t *m = map_of(lo);
        if (!m) { /* skip to the next mapping */
            size_t k = 0;
            while (k < S.n_maps && S.maps[k].end <= lo)
                k++;
            if (k == S.n_maps || S.maps[k].start >= hi)
                return;
            lo = S.maps[k].start;
            continue;
        }
        uintptr_t end = m->end < hi ? m->end : hi;
        if (m->readable) {
            mark_words(lo, end);
            S.root_bytes += end - lo;
        }
        lo = end;
    }
}

static int block_readable(block_t *b)
{
    if (!(b->flags & B_CHECKED)) {
        b->flags |= B_CHECKED;
        if (!readable(b->p, b->p + b->size))
            b->flags |= B_UNREADABLE;
    }
    return !(b->flags & B_UNREADABLE);
}

static void propagate(void)
{
    while (S.depth) {
        block_t *b = &S.blocks[S.stack[--S.depth]];
        if (block_readable(b))
            mark_words(b->p, b->p + b->size);
    }
}

/* glibc's main arena: find the word pointing to the top chunk (which ends at the
 * program break) in libc's data, and exclude fastbinsY[10] .. bins[254] around it. */
LS_SCAN_READER static void find_main_arena(void)
{
    uintptr_t brk_end = (uintptr_t)syscall(SYS_brk, 0);
    const map_t *heap = NULL;
    for (size_t k = 0; k < S.n_maps; k++)
        if (S.maps[k].heap)
            heap = &S.maps[k];
    if (!heap || brk_end <= heap->start || brk_end > heap->end)
        return;
    for (size_t r = 0; r < S.n_data; r++) {
        if (!S.data[r].libc || !readable(S.data[r].lo, S.data[r].hi))
            continue;
        for (uintptr_t a = (S.data[r].lo + 7) & ~(uintptr_t)7; a + 8 <= S.data[r].hi; a += 8) {
            uintptr_t w = *(const uintptr_t *)a;
            if ((w & 15) || w < heap->start || w + 16 > brk_end)
                continue;
            uint64_t size = *(const uint64_t *)(w + 8) & ~(uint64_t)7;
            if (w + size == brk_end) {
                S.arena_lo = a - 10 * 8;
                S.arena_hi = a + 2 * 8 + 254 * 8;
                return;
            }
        }
    }
}

/* A thread's static TLS and descriptor: [tp - static TLS size, tp + TCB_BYTES). */
static void mark_tls(uintptr_t tp)
{
    size_t size = 0, align = 0;
    if (tls_static_info)
        tls_static_info(&size, &align);
    if (tp)
        mark_root(tp - size, tp + TCB_BYTES);
}

static void mark_stack(uintptr_t sp)
{
    const map_t *m = map_of(sp);
    if (!m)
        m = map_of(sp - RED_ZONE);
    if (m)
        mark_root(sp - RED_ZONE > m->start ? sp - RED_ZONE : m->start, m->end);
}

/* Every root: modules' data, other threads (registers, stacks, TLS), this thread, and
 * the blocks the dynamic linker allocated. */
static void mark_roots(const ls_world_t *w, uintptr_t own_sp, uint64_t *threads)
{
    find_main_arena();
    for (size_t r = 0; r < S.n_data; r++)
        mark_root(S.data[r].lo, S.data[r].hi);
    for (int i = 0; w && i < w->n; i++) {
        const ls_world_thread_t *t = &w->threads[i];
        if (!t->stopped)
            continue;
        mark_words((uintptr_t)t->regs, (uintptr_t)(t->regs + LS_WORLD_NREGS));
        mark_stack(t->sp);
        mark_tls(t->tls);
        ++*threads;
        propagate();
    }
    uintptr_t tp;
    __asm__ volatile("mov %%fs:0, %0" : "=r"(tp));
    if (ls_scan_entry.sp && ls_scan_entry.sp > own_sp) { /* the program's part only */
        mark_words((uintptr_t)ls_scan_entry.regs, (uintptr_t)(ls_scan_entry.regs + 6));
        own_sp = ls_scan_entry.sp + RED_ZONE;
    }
    mark_stack(own_sp);
    mark_tls(tp);
    ++*threads;
    for (size_t i = 0; i < S.n; i++) {
        ls_site_t *s = ls_site_by_id(S.blocks[i].site);
        uintptr_t caller = s && s->nframes ? s->frames[0] : 0;
        if (caller >= S.linker_lo && caller < S.linker_hi && !(S.blocks[i].flags & B_REACH)) {
            S.blocks[i].flags |= B_REACH;
            push((uint32_t)i);
        }
    }
    propagate();
}

/* Unreachable blocks pointed to by another unreachable block are indirect leaks. */
LS_SCAN_READER static void mark_indirect(void)
{
    for (size_t i = 0; i < S.n; i++) {
        block_t *b = &S.blocks[i];
        if ((b->flags & B_REACH) || !block_readable(b))
            continue;
        for (uintptr_t a = b->p; a + 8 <= b->p + b->size; a += 8) {
            ptrdiff_t j = block_of(*(const uintptr_t *)a);
            if (j >= 0 && (size_t)j != i && !(S.blocks[j].flags & B_REACH))
                S.blocks[j].flags |= B_INDIRECT;
        }
    }
}

static void tally(ls_scan_t *out)
{
    for (size_t i = 0; i < S.n; i++) {
        const block_t *b = &S.blocks[i];
        out->blocks++;
        out->heap_bytes += b->size;
        if ((b->flags & B_REACH) || b->site >= out->n_sites)
            continue;
        ls_leak_figures_t *f = &out->per_site[b->site];
        if (b->flags & B_INDIRECT) {
            f->indirect_bytes += b->size;
            f->indirect_count++;
        } else {
            f->direct_bytes += b->size;
            f->direct_count++;
        }
    }
}

/* ---- the scan ------------------------------------------------------------------- */

static void release_scratch(void)
{
    ls_pages_free(S.blocks, S.blocks_bytes);
    ls_pages_free(S.maps, S.maps_bytes);
    ls_pages_free(S.stack, S.stack_bytes);
    memset(&S, 0, sizeof S);
}

/* Steps 2 to 5 of the header comment. Returns 0, or an errno value. */
static int scan_frozen(ls_scan_t *out, uintptr_t own_sp)
{
    ls_ptr_lock_all();
    out->n_sites = ls_sites_count();
    out->per_site = ls_pages_alloc(((size_t)out->n_sites + 1) * sizeof(ls_leak_figures_t));
    S.blocks_bytes = ((size_t)ls_ptr_count() + 1) * sizeof(block_t);
    S.blocks = ls_pages_alloc(S.blocks_bytes);
    if (!out->per_site || !S.blocks) {
        ls_ptr_unlock_all();
        return ENOMEM;
    }
    ls_ptr_foreach_locked(collect_cb, NULL);
    int err = sort_blocks() != 0 ? ENOMEM : 0;
    /* No signal handler runs on this thread while the others are stopped: one that
     * allocates would wait for an allocator lock a stopped thread may hold. Signals stay
     * pending and are delivered when the mask is restored. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    ls_world_t *w = err ? NULL : ls_world_stop(&err);
    if (w) {
        if (load_maps() != 0)
            err = EIO;
        else {
            mark_roots(w, own_sp, &out->threads);
            mark_indirect();
            err = S.oom ? ENOMEM : 0;
        }
        ls_world_resume(w);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    ls_ptr_unlock_all();
    if (!err)
        tally(out);
    return err;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Not inlined, and with every callee-saved register spilled into its frame: this
 * thread's roots start at `marker`, and the program's values still held in registers
 * on entry are in the frame above it. */
LS_NOINLINE int ls_scan_run(ls_scan_t *out)
{
    __builtin_unwind_init();
    volatile uintptr_t marker = 0;
    int saved = errno;
    memset(out, 0, sizeof *out);
    uint64_t t0 = mono_ns();
    if (!tls_static_info)
        tls_static_info = (void (*)(size_t *, size_t *))dlsym(RTLD_DEFAULT, "_dl_get_tls_static_info");
    memset(&S, 0, sizeof S);
    S.self_probe = (uintptr_t)&ls_scan_run;
    dl_iterate_phdr(module_cb, NULL);
    int err = scan_frozen(out, (uintptr_t)&marker);
    release_scratch();
    ls_scan_entry.sp = 0;
    out->duration_ns = mono_ns() - t0;
    if (err) {
        static int said;
        if (!said++)
            ls_log("the leak scan could not run (%s); snapshots carry no leak figures",
                   err == EPERM ? "ptrace: not permitted to stop the other threads" : strerror(err));
        ls_scan_free(out);
    }
    errno = saved;
    __asm__ volatile("" ::"r"(&marker) : "memory");
    return err ? -1 : 0;
}

void ls_scan_free(ls_scan_t *s)
{
    ls_pages_free(s->per_site, ((size_t)s->n_sites + 1) * sizeof(ls_leak_figures_t));
    s->per_site = NULL;
    s->n_sites = 0;
}
