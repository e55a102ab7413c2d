/*
 * unwind.c — trace capture. libunwind's unw_backtrace costs ~50 ns a call here, most of
 * it fixed (context capture, cursor set-up), whatever the depth; on an allocation storm
 * that is a third of the shim's cost. So each thread keeps a small cache of stacks it
 * has fully unwound before, keyed by the hook's caller (return address, stack pointer),
 * holding the stack slots each frame's return address was read from. A hit is verified
 * by re-reading those slots: with the same innermost frame at the same stack pointer and
 * the same return address in every slot, the unwinder would walk the same frames, as
 * long as each frame's CFA is a function of its IP and SP — true of frames without a
 * frame pointer. A standard frame-pointer frame (CFA = RBP + 16: every function of a
 * program built with -fno-omit-frame-pointer) may vary in size (alloca, a variable-length
 * array), so its RBP value is checked too, in the slot where its callee saved it: with
 * the same RBP its CFA is the same. A program built with frame pointers is thus cached
 * like one without, at one more slot to re-read per frame-pointer frame (a hit costs
 * about 1 ns a slot); a walk through any other frame that addresses its stack from RBP
 * (stack realignment) is not cached (check_frame). A hit cannot skip a slot: the frames
 * the program returned from and called again since may differ anywhere up the stack, and
 * the slots are all that says so (16-byte loads of a frame's two adjacent slots, or one
 * branch for all the compares, measured slower: the first often reads a slot just stored,
 * the second makes the caller wait for every compare). The traces are always libunwind's,
 * so a site never depends on whether its trace came from the cache. The cache is used
 * only where reading the slots is certainly safe: the caller's SP and all slots lie
 * inside this thread's own stack (not an alternate signal stack or a coroutine stack),
 * and no frame on the way was a signal frame.
 */
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <link.h>
#include <stddef.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#include "procfs.h"
#include "unwind.h"

uintptr_t ls_self_start, ls_self_end;

/* Frames the shim adds above the first program frame: hook, tracking function,
 * capture. Extra slack is asked of libunwind so that `max` program frames remain. */
#define SHIM_FRAME_SLACK 6
#define CACHE_SETS 32 /* sets at first; a power of two */
#define CACHE_MAX_SETS 1024 /* a thread that keeps evicting grows its cache up to this */
#define CACHE_WAYS LS_UNWIND_WAYS
#define CACHE_CHECKS LS_UNWIND_CHECKS
#define FILL_AFTER 8    /* misses of one key that make it worth an entry */

typedef ls_unwind_entry_t entry_t;
typedef ls_unwind_set_t set_t;

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
    dl_iterate_phdr(find_self, (void *)(uintptr_t)&ls_unwind_capture_slow);
}

void ls_unwind_cache_reset(ls_stack_cache_t *c)
{
    if (!c)
        return;
    c->bounds_known = 0;
    c->shares = 0;
    c->lo = c->hi = 0;
    c->fills = 0;
    if (c->sets)
        memset(c->sets, 0, (c->set_mask + 1) * sizeof *c->sets);
}

/* A thread whose hot stacks do not fit (an interpreter allocates from hundreds of C
 * stacks) doubles its sets once it has filled twice as many entries as they hold; the
 * entries are dropped (their sites are found again on the next fill). Stays as it is
 * when the kernel refuses memory. */
static LS_NOINLINE void cache_grow(ls_stack_cache_t *c)
{
    uint32_t n = (c->set_mask + 1) * 2;
    set_t *fresh = ls_pages_alloc(n * sizeof *fresh);
    c->fills = 0;
    if (!fresh)
        return;
    set_t *old = c->sets; /* fresh pages are zero: empty sets */
    uint32_t old_n = c->set_mask + 1;
    c->sets = fresh;
    c->set_mask = n - 1;
    ls_pages_free(old, old_n * sizeof *old);
}

static inline set_t *set_of(const ls_stack_cache_t *c, uintptr_t ip, uintptr_t sp)
{
    return ls_unwind_set_of(c, ip, sp);
}

/* unw_backtrace is libunwind's fast path: it keeps a per-thread cache of frame
 * descriptions, but that cache is 256 KiB, set up at a thread's first call. A thread's
 * first PLAIN_STEPPED unwinds walk step by step instead (no such cache, slower), so the
 * many threads of a pool that allocate a few times each cost a few KiB, not 300. */
#define PLAIN_STEPPED 64
static __thread unsigned plain_walks __attribute__((tls_model("initial-exec")));

/* ---- fork and libunwind -------------------------------------------------------------
 * libunwind takes mutexes of its own while it steps. A fork() while another thread holds
 * one would leave it locked for ever in the child, whose first unwind would then wait
 * for ever (seen: a child of a program that forks while its threads allocate). So the
 * fork handlers close a gate: a walk starts only while no fork is being prepared, and
 * the prepare handler waits until every walk under way has left libunwind. A thread's
 * nested walk (a fill falling back to a plain walk) or a fork made by the walking thread
 * itself (a signal handler) never waits for its own walk. */
static atomic_uint walkers;       /* threads inside libunwind */
static atomic_int fork_preparing; /* the gate is closed */
static __thread unsigned walking __attribute__((tls_model("initial-exec")));
__thread int ls_walk_state __attribute__((tls_model("initial-exec"))); /* unwind.h */
static __thread sigset_t walk_saved_mask __attribute__((tls_model("initial-exec")));

/* libunwind blocks every signal around each step it takes with its cache of register
 * states (so that a handler that unwinds cannot find the cache's lock held): two system
 * calls per frame, 50,000 of them in CPython's start-up. A walk that steps (a fill, a new
 * thread's first walks) blocks them once for the whole walk instead, before libunwind
 * runs, and libunwind's own calls are then answered without a system call (hooks.c,
 * sigprocmask). No handler can run inside such a walk, so no call of a handler's is ever
 * taken for libunwind's. unw_backtrace's walks, mostly served from its own cache, are
 * left as they are. */
static void walk_enter(int stepping)
{
    if (walking++)
        return;
    for (;;) {
        while (atomic_load(&fork_preparing))
            sched_yield();
        atomic_fetch_add(&walkers, 1); /* seq_cst, then the flag: Dekker with the fork side */
        if (!atomic_load(&fork_preparing))
            break;
        atomic_fetch_sub(&walkers, 1);
    }
    if (!stepping)
        return;
    sigset_t all;
    sigfillset(&all);
    if (pthread_sigmask(SIG_SETMASK, &all, &walk_saved_mask) == 0)
        ls_walk_state = LS_WALK_BLOCKED;
}

static void walk_leave(void)
{
    if (--walking)
        return;
    if (ls_walk_state == LS_WALK_BLOCKED)
        pthread_sigmask(SIG_SETMASK, &walk_saved_mask, NULL);
    ls_walk_state = 0;
    atomic_fetch_sub(&walkers, 1);
}

void ls_unwind_fork_prepare(void)
{
    atomic_store(&fork_preparing, 1);
    while (atomic_load(&walkers) > (walking ? 1u : 0u))
        sched_yield();
}

void ls_unwind_fork_parent(void)
{
    atomic_store(&fork_preparing, 0);
}

void ls_unwind_fork_child(void)
{
    atomic_store(&walkers, walking ? 1u : 0u); /* the other walkers' threads are gone */
    atomic_store(&fork_preparing, 0);
}

/* Walk with unw_step from here. */
static int backtrace_stepped(void **buf, int max)
{
    unw_context_t uc;
    unw_cursor_t cur;
    if (unw_getcontext(&uc) != 0 || unw_init_local(&cur, &uc) != 0)
        return 0;
    int n = 0;
    do {
        unw_word_t ip;
        if (unw_get_reg(&cur, UNW_REG_IP, &ip) != 0)
            break;
        buf[n++] = (void *)ip;
    } while (n < max && unw_step(&cur) > 0);
    return n;
}

/* libunwind checks memory with read() and write() on a pipe, and read() is a
 * cancellation point: unwinding runs with cancellation disabled, or a thread with a
 * cancellation pending would be cancelled inside malloc, which never is one. */
static unsigned backtrace_plain(uintptr_t *out, unsigned max)
{
    void *buf[LS_MAX_FRAMES + SHIM_FRAME_SLACK];
    int cancel;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
    /* The two walks differ only in the frame they start from, inside the shim, which is
     * stripped below; linked into a test program (nothing stripped) only one is used. */
    int stepped = plain_walks < PLAIN_STEPPED && ls_self_end;
    walk_enter(stepped);
    int n = stepped ? (plain_walks++, backtrace_stepped(buf, (int)(max + SHIM_FRAME_SLACK)))
                    : unw_backtrace(buf, (int)(max + SHIM_FRAME_SLACK));
    walk_leave();
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

/* Filling an entry: the checks that make a later hit certain. */
typedef struct {
    entry_t *e;
    uintptr_t lo, hi; /* where checked slots may lie: the hook's frame up to the stack top */
    int cacheable;
} fill_t;

static void add_check(fill_t *f, uintptr_t addr, uintptr_t value, int stack_address)
{
    uintptr_t word = (addr - f->lo) / 8;
    if (addr < f->lo || addr + 8 > f->hi || (addr & 7) || word > UINT16_MAX ||
        f->e->nchecks >= CACHE_CHECKS) {
        f->cacheable = 0;
        return;
    }
    f->e->rel |= (uint32_t)(stack_address != 0) << f->e->nchecks;
    f->e->at[f->e->nchecks] = (uint16_t)word;
    f->e->value[f->e->nchecks++] = value;
}

/* What the walk knows of the frame before the current one. */
typedef struct {
    uintptr_t sp, rbp, rbp_saved_at; /* rbp_saved_at: 0 when not in memory */
    uintptr_t below_rbp;             /* the word at RBP - 8, when inside the frame */
} prev_frame_t;

/* The frame `prev` has just been stepped over; its CFA is `cfa` (the next frame's SP).
 * A frame without a frame pointer has a size fixed by its IP, so the checks so far pin
 * its CFA. A frame whose RBP points into the frame itself keeps a frame pointer or
 * realigns its stack: it may vary in size (alloca, a variable-length array, alignment).
 * A standard frame-pointer frame (CFA = RBP + 16) is pinned by its RBP value, checked
 * where its callee saved it. GCC's stack-realigning frames (DRAP) set RBP up the same
 * way, but their CFA lies a variable distance above RBP + 16 and is kept at RBP - 8
 * (their CFI reads it from there): a frame whose word at RBP - 8 equals its CFA may be
 * one that happened to need no padding this time, and is never cached, like any other
 * frame that addresses its stack from RBP. (A frame that merely uses RBP as a pointer
 * into its own stack is excluded too: only speed is lost.) */
static void check_frame(fill_t *f, const prev_frame_t *prev, uintptr_t cfa)
{
    if (!(prev->rbp >= prev->sp && prev->rbp < cfa))
        return;
    if (prev->rbp + 16 == cfa && prev->below_rbp != cfa && prev->rbp_saved_at)
        add_check(f, prev->rbp_saved_at, prev->rbp, 1);
    else
        f->cacheable = 0;
}

static void note_frame(unw_cursor_t *cur, prev_frame_t *prev, uintptr_t sp, uintptr_t f_hi)
{
    unw_word_t rbp = 0;
    unw_save_loc_t loc;
    prev->sp = sp;
    prev->rbp = unw_get_reg(cur, UNW_X86_64_RBP, &rbp) == 0 ? rbp : 0;
    prev->rbp_saved_at =
        unw_get_save_loc(cur, UNW_X86_64_RBP, &loc) == 0 && loc.type == UNW_SLT_MEMORY ? loc.u.addr : 0;
    /* Read only inside the frame: [sp, rbp) lies on this thread's checked stack. */
    prev->below_rbp = prev->rbp >= sp + 8 && prev->rbp < f_hi ? *(const uintptr_t *)(prev->rbp - 8) : 0;
}

/* Unwind step by step, recording the checks of *e, and fill *e when the walk is
 * cacheable (e->ip stays 0 otherwise). Returns the number of frames stored in out. */
static LS_NOINLINE unsigned backtrace_fill(uintptr_t *out, unsigned max, ls_stack_cache_t *c,
                                           entry_t *e, ls_caller_t caller)
{
    unw_context_t uc;
    unw_cursor_t cur;
    int cancel; /* see backtrace_plain */
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
    walk_enter(1);
    if (unw_getcontext(&uc) != 0 || unw_init_local(&cur, &uc) != 0) {
        walk_leave();
        pthread_setcancelstate(cancel, NULL);
        return backtrace_plain(out, max);
    }
    /* The hook saved the caller's RBP just below the caller's SP: checks may start there. */
    fill_t f = {e, caller.sp - 16, c->hi, 1};
    prev_frame_t prev = {0, 0, 0, 0};
    unsigned n = 0;
    int started = 0;
    e->nchecks = 0;
    e->rel = 0;
    do {
        unw_word_t ip, sp;
        if (unw_get_reg(&cur, UNW_REG_IP, &ip) != 0 || unw_get_reg(&cur, UNW_REG_SP, &sp) != 0)
            break;
        if (!started) {
            if (in_self(ip))
                continue;
            started = 1;
            if (ip != caller.ip || sp != caller.sp)
                f.cacheable = 0; /* the walk does not start where the key says */
        }
        if (unw_is_signal_frame(&cur) > 0)
            f.cacheable = 0;
        if (n > 0) {
            add_check(&f, sp - 8, ip, 0); /* where this frame's return address was read */
            check_frame(&f, &prev, sp);
        }
        if (f.cacheable)
            note_frame(&cur, &prev, sp, f.hi);
        out[n++] = ip;
    } while (n < max && unw_step(&cur) > 0);
    walk_leave();
    pthread_setcancelstate(cancel, NULL);
    if (n == 0)
        out[n++] = 0;
    if (f.cacheable && out[0] != 0) {
        e->memo = NULL;
        e->n = (uint16_t)n;
        e->sp = caller.sp;
        e->ip = caller.ip; /* last: the entry is valid from here on */
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
    c->shares = c->hi == tcb; /* a thread glibc made: its stack is laid out like the others' */
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


/* This key has missed FILL_AFTER times in this set since its last fill: it is hot enough
 * to be worth an entry. Two keys are followed per set. */
static inline int missed_enough(set_t *set, ls_caller_t caller)
{
    for (unsigned k = 0; k < 2; k++)
        if (set->miss_ip[k] == caller.ip && set->miss_sp[k] == caller.sp) {
            if (++set->misses[k] < FILL_AFTER)
                return 0;
            set->miss_ip[k] = 0;
            return 1;
        }
    unsigned k = set->miss_next++ & 1;
    set->miss_ip[k] = caller.ip;
    set->miss_sp[k] = caller.sp;
    set->misses[k] = 1;
    return 0;
}

/* ---- stacks shared between threads ---------------------------------------------------
 * A thread starts with an empty cache, and its first allocations from each stack are
 * unwound by libunwind, without libunwind's own per-thread cache at that (PLAIN_STEPPED):
 * some 20 us each, FILL_AFTER of them per stack. A program that starts threads all the
 * time (a thread per request or per task) paid that for every thread. But the threads of
 * a program run the same code on stacks laid out alike: glibc puts each thread's control
 * block at the top of its stack, so the same call path from the thread's start routine
 * reaches the hook at the same distance below that top in every thread. So a complete
 * entry of one thread (its site known) is published here, keyed by (caller IP, distance
 * from the stack top), with its saved-RBP checks made relative to the caller's SP; a
 * thread that misses its own cache looks here before unwinding, re-reads every slot (with
 * the relative values moved to its own SP) and on a hit copies the entry into its cache.
 * A hit is as certain as in the thread's own cache: a walk depends on the caller's IP and
 * on the slots' values, return addresses and (for frame-pointer frames) saved RBPs
 * relative to the SP, never on where the stack lies; and the distance from the top,
 * equal in both threads, keeps every slot inside this thread's stack. Entries are
 * written once, then published by a release store of their index slot, and never change
 * or go away, so lookups take no lock. Publishing takes a try-lock, skipped when busy
 * (a fork may then leave it held in the child, which then only publishes nothing), and
 * memory of its own, never the arena's lock. */
#define SHARED_SLOTS 4096 /* a power of two */
#define SHARED_PROBES 16
#define SHARED_CHUNK (64u << 10)

typedef struct {
    uintptr_t ip, depth; /* the key: caller IP, and the thread's stack top less the caller SP */
    void *memo;          /* the engine's site */
    uint16_t n, nchecks;
    uint32_t rel;        /* as in the entry; those values are relative to the caller SP */
    uint16_t at[CACHE_CHECKS];
    uintptr_t value[];
} shared_t;

static _Atomic(shared_t *) *_Atomic shared_index;
static atomic_int shared_busy;
static char *shared_cur, *shared_end; /* the chunk entries are cut from (under shared_busy) */

/* What check k's stored value is relative to: the caller SP for a saved RBP (bit k of rel),
 * nothing for a return address. */
static inline uintptr_t check_base(uint32_t rel, unsigned k, uintptr_t sp)
{
    return rel >> k & 1 ? sp : 0;
}

static inline unsigned shared_slot(uintptr_t ip, uintptr_t depth)
{
    return (unsigned)(((ip ^ (depth * 0x9E3779B97F4A7C15ull)) * 0xff51afd7ed558ccdull) >> 52) &
           (SHARED_SLOTS - 1);
}

static int shared_holds(const shared_t *s, uintptr_t sp)
{
    const volatile uintptr_t *frame = (const volatile uintptr_t *)(sp - 16);
    for (unsigned k = 0; k < s->nchecks; k++)
        if (frame[s->at[k]] != s->value[k] + check_base(s->rel, k, sp))
            return 0;
    return 1;
}

static int same_checks(const shared_t *s, const entry_t *e, uintptr_t depth)
{
    if (s->ip != e->ip || s->depth != depth || s->nchecks != e->nchecks || s->rel != e->rel)
        return 0;
    for (unsigned k = 0; k < s->nchecks; k++)
        if (s->at[k] != e->at[k] || s->value[k] + check_base(s->rel, k, e->sp) != e->value[k])
            return 0;
    return 1;
}

static _Atomic(shared_t *) *shared_index_made(void)
{
    _Atomic(shared_t *) *index = atomic_load_explicit(&shared_index, memory_order_acquire);
    if (index)
        return index;
    _Atomic(shared_t *) *fresh = ls_pages_alloc(SHARED_SLOTS * sizeof *fresh);
    if (!fresh)
        return NULL;
    if (atomic_compare_exchange_strong(&shared_index, &index, fresh))
        return fresh;
    ls_pages_free(fresh, SHARED_SLOTS * sizeof *fresh); /* another thread made it first */
    return index;
}

static shared_t *shared_new(unsigned nchecks)
{
    size_t bytes = (sizeof(shared_t) + nchecks * sizeof(uintptr_t) + 15) & ~(size_t)15;
    if ((size_t)(shared_end - shared_cur) < bytes) {
        char *chunk = ls_pages_alloc(SHARED_CHUNK);
        if (!chunk)
            return NULL;
        shared_cur = chunk;
        shared_end = chunk + SHARED_CHUNK;
    }
    shared_t *s = (shared_t *)shared_cur;
    shared_cur += bytes;
    return s;
}

/* Publish a thread's complete entry, unless the table holds it already or is full. */
static LS_NOINLINE void shared_publish(const ls_stack_cache_t *c, const entry_t *e)
{
    uintptr_t depth = c->hi - e->sp;
    _Atomic(shared_t *) *index = shared_index_made();
    if (!index || atomic_exchange_explicit(&shared_busy, 1, memory_order_acquire))
        return;
    unsigned h = shared_slot(e->ip, depth);
    for (unsigned i = 0; i < SHARED_PROBES; i++, h = (h + 1) & (SHARED_SLOTS - 1)) {
        shared_t *s = atomic_load_explicit(&index[h], memory_order_relaxed);
        if (s && same_checks(s, e, depth))
            break;
        if (s)
            continue;
        if (!(s = shared_new(e->nchecks)))
            break;
        s->ip = e->ip;
        s->depth = depth;
        s->memo = e->memo;
        s->n = e->n;
        s->nchecks = e->nchecks;
        s->rel = e->rel;
        for (unsigned k = 0; k < e->nchecks; k++) {
            s->at[k] = e->at[k];
            s->value[k] = e->value[k] - check_base(e->rel, k, e->sp);
        }
        atomic_store_explicit(&index[h], s, memory_order_release);
        break;
    }
    atomic_store_explicit(&shared_busy, 0, memory_order_release);
}

void ls_unwind_memo_set(ls_stack_cache_t *c, void **memo, void *site)
{
    *memo = site;
    if (c && c->shares)
        shared_publish(c, (const entry_t *)((char *)memo - offsetof(entry_t, memo)));
}

/* The way a new entry goes to, in this key's set (which may move: the cache may grow). */
static entry_t *way_to_fill(ls_stack_cache_t *c, set_t **set, ls_caller_t caller)
{
    if (c->fills > (c->set_mask + 1) * CACHE_WAYS * 2 && c->set_mask + 1 < CACHE_MAX_SETS) {
        cache_grow(c);
        *set = set_of(c, caller.ip, caller.sp);
    }
    c->fills++;
    entry_t *e = &(*set)->way[(*set)->victim++ % CACHE_WAYS];
    e->ip = 0; /* invalid until filled (and never hit: ls_unwind_capture wants a memo) */
    e->memo = NULL;
    return e;
}

/* Another thread's entry for this caller at this depth, whose slots all hold here: copied
 * into this thread's cache. Returns its frame count (its memo handed out), or 0. */
static LS_NOINLINE unsigned from_shared(ls_stack_cache_t *c, set_t *set, ls_caller_t caller, void ***memo)
{
    _Atomic(shared_t *) *index = atomic_load_explicit(&shared_index, memory_order_acquire);
    if (!index)
        return 0;
    uintptr_t depth = c->hi - caller.sp;
    unsigned h = shared_slot(caller.ip, depth);
    for (unsigned i = 0; i < SHARED_PROBES; i++, h = (h + 1) & (SHARED_SLOTS - 1)) {
        const shared_t *s = atomic_load_explicit(&index[h], memory_order_acquire);
        if (!s)
            return 0;
        if (s->ip != caller.ip || s->depth != depth || !shared_holds(s, caller.sp))
            continue;
        entry_t *e = way_to_fill(c, &set, caller);
        e->n = s->n;
        e->nchecks = s->nchecks;
        e->rel = s->rel;
        for (unsigned k = 0; k < s->nchecks; k++) {
            e->at[k] = s->at[k];
            e->value[k] = s->value[k] + check_base(s->rel, k, caller.sp);
        }
        e->memo = s->memo;
        e->sp = caller.sp;
        e->ip = caller.ip;
        *memo = &e->memo;
        return s->n;
    }
    return 0;
}

/* No entry for this key held. A fill unwinds step by step (libunwind's slow path, tens of
 * microseconds at a stack's first sight), a plain unwind uses libunwind's own cache of
 * frames: so a key is filled only once it keeps missing, and the many stacks a program
 * allocates from a few times (an interpreter's start-up) are unwound plainly. */
static LS_NOINLINE unsigned capture_miss(uintptr_t *out, unsigned max, ls_stack_cache_t *c, set_t *set,
                                         ls_caller_t caller, void ***memo)
{
    unsigned n = c->shares ? from_shared(c, set, caller, memo) : 0;
    if (n)
        return n;
    if (!missed_enough(set, caller))
        return backtrace_plain(out, max);
    entry_t *e = way_to_fill(c, &set, caller);
    n = backtrace_fill(out, max, c, e, caller);
    if (e->ip)
        *memo = &e->memo;
    return n;
}

/* This thread's cache, made on first use, with its stack bounds known; NULL when the
 * cache cannot be used. */
static LS_NOINLINE ls_stack_cache_t *cache_setup(ls_stack_cache_t **cachep, uintptr_t sp)
{
    ls_stack_cache_t *c = *cachep;
    if (!c) {
        c = ls_pages_alloc(sizeof *c);
        set_t *sets = ls_pages_alloc(CACHE_SETS * sizeof *sets);
        if (!c || !sets) {
            ls_pages_free(c, sizeof *c);
            ls_pages_free(sets, CACHE_SETS * sizeof *sets);
            return NULL;
        }
        c->sets = sets; /* fresh pages are zero: an empty cache, untouched until used */
        c->set_mask = CACHE_SETS - 1;
        *cachep = c;
    }
    if (c->bounds_known == 0)
        learn_bounds(c, sp);
    return c->bounds_known > 0 ? c : NULL;
}

unsigned ls_unwind_capture_slow(uintptr_t *out, unsigned max, ls_stack_cache_t **cachep,
                                ls_caller_t caller, void ***memo)
{
    uintptr_t ip = caller.ip, sp = caller.sp;
    *memo = NULL;
    if (!ip || in_self(ip))
        return backtrace_plain(out, max);
    if (max == 1) { /* the trace is the caller alone: nothing to unwind */
        out[0] = ip;
        return 1;
    }
    if (!cachep)
        return backtrace_plain(out, max);
    ls_stack_cache_t *c = *cachep;
    if (LS_UNLIKELY(!c || c->bounds_known <= 0) && !(c = cache_setup(cachep, sp)))
        return backtrace_plain(out, max);
    if (sp < c->lo + 16 || sp >= c->hi)
        return backtrace_plain(out, max);

    /* No hit to look for: ls_unwind_capture looked already wherever the cache existed,
     * and a cache made just now is empty. */
    return capture_miss(out, max, c, set_of(c, ip, sp), caller, memo);
}
