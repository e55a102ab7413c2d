/*
 * unwind.c — trace capture. libunwind's unw_backtrace costs ~50 ns a call here, most of
 * it fixed (context capture, cursor set-up), whatever the depth; on an allocation storm
 * that is a third of the shim's cost. So each thread keeps a small cache of stacks it
 * has fully unwound before, keyed by the hook's caller (return address, stack pointer),
 * holding every frame's return address and the stack slot it was read from. A hit is
 * verified by re-reading those slots: with the same innermost frame at the same stack
 * pointer and the same return address in every slot, the unwinder would walk the same
 * frames, as long as each frame's CFA is a function of its IP and SP — true of frames
 * without a frame pointer; a walk through a frame-pointer or stack-realigning frame
 * (which may vary in size) is not cached (backtrace_fill). The cache is used only where
 * reading the slots is certainly safe: the caller's SP and all slots lie inside this
 * thread's own stack (not an alternate signal stack or a coroutine stack), and no frame
 * on the way was a signal frame.
 */
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <link.h>
#include <pthread.h>
#include <string.h>
#include <sys/resource.h>

#include "procfs.h"
#include "unwind.h"

uintptr_t ls_self_start, ls_self_end;

/* Frames the shim adds above the first program frame: hook, tracking function,
 * capture. Extra slack is asked of libunwind so that `max` program frames remain. */
#define SHIM_FRAME_SLACK 6
#define CACHE_SETS 32 /* power of two */
#define CACHE_WAYS 4  /* associativity: a few hot callers never evict each other */
#define CACHE_FRAMES 32 /* traces longer than this are never cached */

typedef struct {
    uintptr_t ip, sp; /* the key: caller of the hook */
    void *memo;       /* the engine's site for this trace */
    uint32_t n;
    uintptr_t ips[CACHE_FRAMES];
    uintptr_t slots[CACHE_FRAMES]; /* where ips[k] (k >= 1) was found on the stack */
} entry_t;

typedef struct {
    uintptr_t miss_ip, miss_sp; /* last key that missed in this set: filled on its second miss */
    unsigned victim;            /* round-robin replacement */
    int credit;                 /* fills allowed: earned by hits, so a caller whose outer
                                 * frames keep changing falls back to plain unwinding */
    entry_t way[CACHE_WAYS];
} set_t;

struct ls_stack_cache {
    int bounds_known; /* 0 not yet, 1 known, -1 cannot be known */
    uintptr_t lo, hi; /* this thread's stack */
    set_t set[CACHE_SETS];
};

static inline int in_self(uintptr_t a)
{
    return a >= ls_self_start && a < ls_self_end;
}

static int find_self(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    uintptr_t probe = (uintptr_t)arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (probe >= lo && probe < hi) {
            /* Linked into a test executable (the engine's unit tests), the "shim" is
             * the whole program: strip nothing then. */
            if (!info->dlpi_name || !info->dlpi_name[0])
                return 1;
            ls_self_start = lo;
            ls_self_end = hi;
            return 1;
        }
    }
    return 0;
}

void ls_unwind_init(void)
{
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    dl_iterate_phdr(find_self, (void *)(uintptr_t)&ls_unwind_capture);
}

void ls_unwind_cache_reset(ls_stack_cache_t *c)
{
    if (!c)
        return;
    memset(c, 0, sizeof *c);
    for (unsigned i = 0; i < CACHE_SETS; i++)
        c->set[i].credit = 8;
}

/* libunwind checks memory with read() and write() on a pipe, and read() is a
 * cancellation point: unwinding runs with cancellation disabled, or a thread with a
 * cancellation pending would be cancelled inside malloc, which never is one. */
static unsigned backtrace_plain(uintptr_t *out, unsigned max)
{
    void *buf[LS_MAX_FRAMES + SHIM_FRAME_SLACK];
    int cancel;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
    int n = unw_backtrace(buf, (int)(max + SHIM_FRAME_SLACK));
    pthread_setcancelstate(cancel, NULL);
    int first = 0;
    while (first < n && in_self((uintptr_t)buf[first]))
        first++;
    unsigned kept = 0;
    for (int i = first; i < n && kept < max; i++)
        out[kept++] = (uintptr_t)buf[i];
    if (kept == 0)
        out[kept++] = 0;
    return kept;
}

/* Unwind step by step, recording where each return address was read, and fill *e when
 * the walk is cacheable. Returns the number of frames stored in out. */
static LS_NOINLINE unsigned backtrace_fill(uintptr_t *out, unsigned max, ls_stack_cache_t *c,
                                           entry_t *e, ls_caller_t caller)
{
    unw_context_t uc;
    unw_cursor_t cur;
    uintptr_t slots[CACHE_FRAMES];
    if (unw_getcontext(&uc) != 0 || unw_init_local(&cur, &uc) != 0)
        return backtrace_plain(out, max);
    int cancel; /* see backtrace_plain */
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
    unsigned n = 0;
    int cacheable = 1, started = 0;
    unw_word_t prev_rbp = 0, prev_sp = 0;
    do {
        unw_word_t ip, sp;
        if (unw_get_reg(&cur, UNW_REG_IP, &ip) != 0 || unw_get_reg(&cur, UNW_REG_SP, &sp) != 0)
            break;
        if (!started) {
            if (in_self(ip))
                continue;
            started = 1;
            if (ip != caller.ip || sp != caller.sp)
                cacheable = 0; /* the walk does not start where the key says */
        }
        if (unw_is_signal_frame(&cur) > 0)
            cacheable = 0;
        if (n > 0 && (sp - 8 < caller.sp || sp - 8 >= c->hi || (sp & 7)))
            cacheable = 0;
        /* A frame whose RBP points into the frame itself keeps a frame pointer (RBP =
         * CFA - 16) or realigns its stack (DRAP): it may vary in size (alloca, a
         * variable-length array, alignment), so where its caller's return address sits
         * depends on more than IP and SP, and a stale copy of an old return address could
         * pass the check. Walks through such frames are never cached. (A frame that merely
         * uses RBP as a pointer into its own stack is excluded too: only speed is lost.) */
        if (n > 0 && prev_rbp >= prev_sp && prev_rbp < sp)
            cacheable = 0;
        unw_word_t rbp = 0;
        prev_rbp = unw_get_reg(&cur, UNW_X86_64_RBP, &rbp) == 0 ? rbp : 0;
        prev_sp = sp;
        if (n < CACHE_FRAMES)
            slots[n] = sp - 8;
        out[n++] = ip;
    } while (n < max && unw_step(&cur) > 0);
    pthread_setcancelstate(cancel, NULL);
    if (n == 0) {
        out[n++] = 0;
        cacheable = 0;
    }
    if (cacheable && n <= CACHE_FRAMES) {
        e->memo = NULL;
        e->ip = caller.ip;
        e->sp = caller.sp;
        e->n = n;
        memcpy(e->ips, out, n * sizeof *out);
        memcpy(e->slots, slots, n * sizeof *slots);
    }
    return n;
}

/* This thread's stack, from the kernel's map (maps.c), never from pthread_getattr_np:
 * that allocates while holding the thread's lock, so the first allocation of a thread
 * inside it (every Rust program, the JVM, Ruby threads) would call it again and wait for
 * ever. The bounds are those of the mapping holding the stack pointer. For a thread
 * stack, that is the block glibc (or the program) mapped, without its guard page, and cut
 * at the thread's control block, which glibc puts at the top of the block, above the
 * stack. The main thread's "[stack]" mapping grows down on demand: its bottom is where it
 * may grow to, RLIMIT_STACK below its top but not into the mapping below (as glibc's
 * pthread_getattr_np says). Every slot between a stack pointer inside these bounds and
 * their top is mapped for as long as the thread runs on that stack. */
static LS_NOINLINE int learn_bounds(ls_stack_cache_t *c, uintptr_t sp)
{
    ls_mapping_t m;
    char name[8];
    c->bounds_known = -1;
    if (!ls_maps_find(sp, &m, name, sizeof name))
        return 0;
    uintptr_t tcb = (uintptr_t)pthread_self();
    c->lo = m.start;
    c->hi = tcb > sp && tcb < m.end ? tcb : m.end;
    if (strcmp(name, "[stack]") == 0) {
        struct rlimit rl;
        c->lo = m.prev_end;
        if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < m.end &&
            m.end - rl.rlim_cur > c->lo && m.end - rl.rlim_cur <= m.start)
            c->lo = m.end - rl.rlim_cur;
    }
    c->bounds_known = 1;
    return 1;
}

unsigned ls_unwind_capture(uintptr_t *out, unsigned max, ls_stack_cache_t **cachep,
                           ls_caller_t caller, void ***memo)
{
    *memo = NULL;
    if (!cachep || max > CACHE_FRAMES || !caller.ip || in_self(caller.ip))
        return backtrace_plain(out, max);
    ls_stack_cache_t *c = *cachep;
    if (LS_UNLIKELY(!c)) {
        c = ls_pages_alloc(sizeof *c);
        if (!c)
            return backtrace_plain(out, max);
        ls_unwind_cache_reset(c);
        *cachep = c;
    }
    if (LS_UNLIKELY(c->bounds_known <= 0) && (c->bounds_known < 0 || !learn_bounds(c, caller.sp)))
        return backtrace_plain(out, max);
    if (caller.sp < c->lo || caller.sp >= c->hi)
        return backtrace_plain(out, max);

    uint64_t h = (caller.ip ^ (caller.sp * 0x9E3779B97F4A7C15ull)) * 0xff51afd7ed558ccdull;
    set_t *set = &c->set[(h >> 40) & (CACHE_SETS - 1)];
    /* Several ways may hold the same caller with different outer frames (a wrapper
     * called from several places at one depth). */
    for (unsigned w = 0; w < CACHE_WAYS; w++) {
        entry_t *e = &set->way[w];
        if (e->ip != caller.ip || e->sp != caller.sp)
            continue;
        uint32_t n = e->n, k = 1;
        for (; k < n; k++)
            if (*(volatile const uintptr_t *)e->slots[k] != e->ips[k])
                break;
        if (LS_LIKELY(k == n)) {
            if (set->credit < 64)
                set->credit++;
            memcpy(out, e->ips, n * sizeof *out);
            *memo = &e->memo;
            return n;
        }
    }
    if (set->miss_ip == caller.ip && set->miss_sp == caller.sp && set->credit >= 4) {
        set->credit -= 4;
        entry_t *e = &set->way[set->victim++ % CACHE_WAYS];
        e->ip = 0; /* invalid until filled */
        unsigned n = backtrace_fill(out, max, c, e, caller);
        if (e->ip)
            *memo = &e->memo;
        return n;
    }
    set->miss_ip = caller.ip;
    set->miss_sp = caller.sp;
    return backtrace_plain(out, max);
}
