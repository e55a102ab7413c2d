/*
 * hooks.c — the interposed allocation functions of libleakscope.so. They only find
 * the real functions and forward to the engine (engine.h); everything else lives there.
 *
 * Contract of every hook: the program sees exactly what its allocator would give it (glibc's,
 * or the one it is linked with: below) — the same pointer, return value and errno (tracking
 * work saves and restores errno), the same failures (NULL + ENOMEM, EINVAL), the same
 * realloc(p, 0) / free(NULL) semantics, and the allocator's own diagnostics for double frees
 * and foreign pointers (those are passed on untouched). A hook is never a cancellation point (unwind.c) and leaves the program's
 * file descriptors alone (pipe2 below). A hook re-entered from the shim itself
 * (ls_guard) goes straight through.
 */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine.h"
#include "modules.h"
#include "ptrtable.h"
#include "sample.h"
#include "writer.h"

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

/* ---- the real allocator ---------------------------------------------------------------
 * Usually glibc's, called by its __libc_ names. But a program may be linked with another
 * allocator (jemalloc: Redis, Varnish; tcmalloc; mimalloc): that library defines the malloc
 * family after the shim in the lookup order, and the program's blocks must come from it and
 * go back to it, with its malloc_usable_size, its mallctl statistics, its behaviour. (Sending
 * malloc to glibc and malloc_usable_size to the next definition crashed Redis at start.) So
 * the real functions are the definitions that follow the shim's (RTLD_NEXT), called as the
 * program would have called them without the shim; glibc's __libc_ names when those are
 * glibc's. They are found at the first call of any hook, before that call's block is handed
 * out, so that every block of the process comes from one allocator and returns to it. Until
 * then the table holds bootstraps that find them; the thread finding them, should dlsym
 * allocate, is served by glibc (dlsym allocates only for an error message, and the names
 * looked up exist in glibc at least). Functions of the allocator's own API (jemalloc's
 * mallocx and sdallocx...) are not the shim's: a block of malloc's freed by sdallocx stays
 * counted as live. */
typedef struct {
    void *(*malloc)(size_t);
    void (*free)(void *);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void *(*memalign)(size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
    size_t (*usable_size)(void *);
} allocator_t;

static const allocator_t *real_allocator(void);

static void *boot_malloc(size_t n) { return real_allocator()->malloc(n); }
static void boot_free(void *p) { real_allocator()->free(p); }
static void *boot_calloc(size_t n, size_t size) { return real_allocator()->calloc(n, size); }
static void *boot_realloc(void *p, size_t n) { return real_allocator()->realloc(p, n); }
static void *boot_memalign(size_t a, size_t n) { return real_allocator()->memalign(a, n); }
static void *boot_aligned_alloc(size_t a, size_t n) { return real_allocator()->aligned_alloc(a, n); }
static int boot_posix_memalign(void **out, size_t a, size_t n) { return real_allocator()->posix_memalign(out, a, n); }
static void *boot_valloc(size_t n) { return real_allocator()->valloc(n); }
static void *boot_pvalloc(size_t n) { return real_allocator()->pvalloc(n); }
static size_t boot_usable_size(void *p) { return real_allocator()->usable_size(p); }

/* glibc's, for the thread finding the real ones (dlsym's own needs, if any). */
static int glibc_posix_memalign(void **out, size_t alignment, size_t size)
{
    if (alignment % sizeof(void *) || (alignment & (alignment - 1)))
        return EINVAL;
    void *p = __libc_memalign(alignment, size);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}
static size_t no_usable_size(void *p)
{
    (void)p;
    return 0;
}
static const allocator_t glibc_own = {__libc_malloc, __libc_free, __libc_calloc, __libc_realloc,
                                      __libc_memalign, __libc_memalign, glibc_posix_memalign,
                                      __libc_valloc, __libc_pvalloc, no_usable_size};

static allocator_t real_fns = {boot_malloc, boot_free, boot_calloc, boot_realloc, boot_memalign,
                               boot_aligned_alloc, boot_posix_memalign, boot_valloc, boot_pvalloc,
                               boot_usable_size};
#define REAL(f) (__atomic_load_n(&real_fns.f, __ATOMIC_RELAXED))

enum { REAL_UNKNOWN, REAL_KNOWN };
static atomic_int real_state;
static __thread int finding_real __attribute__((tls_model("initial-exec")));

/* The definition of `name` after the shim's, or glibc's `fallback`. */
static void *next_definition(const char *name, void *fallback)
{
    void *f = dlsym(RTLD_NEXT, name);
    return f ? f : fallback;
}

/* Whether two functions lie in the same loaded object. */
static int same_object(void *a, void *b)
{
    Dl_info ia, ib;
    return dladdr(a, &ia) && dladdr(b, &ib) && ia.dli_fbase == ib.dli_fbase;
}

static void find_real_allocator(void)
{
    allocator_t found = glibc_own;
    void *next_malloc = dlsym(RTLD_NEXT, "malloc");
    if (next_malloc && !same_object(next_malloc, (void *)__libc_malloc)) { /* not glibc's */
        found.malloc = (void *(*)(size_t))next_malloc;
        found.free = (void (*)(void *))next_definition("free", (void *)__libc_free);
        found.calloc = (void *(*)(size_t, size_t))next_definition("calloc", (void *)__libc_calloc);
        found.realloc = (void *(*)(void *, size_t))next_definition("realloc", (void *)__libc_realloc);
        found.memalign = (void *(*)(size_t, size_t))next_definition("memalign", (void *)__libc_memalign);
        found.valloc = (void *(*)(size_t))next_definition("valloc", (void *)__libc_valloc);
        found.pvalloc = (void *(*)(size_t))next_definition("pvalloc", (void *)__libc_pvalloc);
    }
    found.aligned_alloc = (void *(*)(size_t, size_t))next_definition("aligned_alloc", (void *)__libc_memalign);
    found.posix_memalign = (int (*)(void **, size_t, size_t))next_definition("posix_memalign",
                                                                            (void *)glibc_posix_memalign);
    found.usable_size = (size_t(*)(void *))next_definition("malloc_usable_size", (void *)no_usable_size);
    ls_engine_set_real_free(found.free); /* first: a block the new table gives is freed there */
#define PUBLISH(f) __atomic_store_n(&real_fns.f, found.f, __ATOMIC_RELAXED)
    PUBLISH(malloc), PUBLISH(free), PUBLISH(calloc), PUBLISH(realloc), PUBLISH(memalign);
    PUBLISH(aligned_alloc), PUBLISH(posix_memalign), PUBLISH(valloc), PUBLISH(pvalloc);
    PUBLISH(usable_size);
#undef PUBLISH
}

/* The real allocator, found on first use. A thread that finds it unknown finds it itself:
 * the answer is the same for every thread, and none ever waits for another (which may hold
 * the loader's lock that dlsym takes, inside dlopen). Signals are blocked meanwhile, so that
 * only dlsym's and dladdr's own needs, if any, are served by glibc's functions (a handler's
 * block kept by the program would go back to the other allocator). */
static LS_NOINLINE const allocator_t *real_allocator(void)
{
    if (LS_LIKELY(atomic_load_explicit(&real_state, memory_order_acquire) == REAL_KNOWN))
        return &real_fns;
    if (finding_real)
        return &glibc_own;
    int saved = errno;
    sigset_t all, old;
    sigfillset(&all);
    int masked = pthread_sigmask(SIG_SETMASK, &all, &old) == 0;
    finding_real = 1;
    ls_guard++;
    find_real_allocator();
    ls_guard--;
    finding_real = 0;
    atomic_store_explicit(&real_state, REAL_KNOWN, memory_order_release);
    if (masked)
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = saved;
    return &real_fns;
}

/* Other functions the shim wraps, found once with dlsym (with the guard set, so an
 * allocation inside dlsym goes straight through). */
static int (*real_dlclose)(void *);
static int (*real_pipe2)(int *, int);
static int (*real_sigprocmask)(int, const sigset_t *, sigset_t *);
static void (*real_exit_now)(int);

static void resolve_real(void)
{
    real_allocator();
    ls_guard++;
    real_dlclose = (int (*)(void *))dlsym(RTLD_NEXT, "dlclose");
    real_pipe2 = (int (*)(int *, int))dlsym(RTLD_NEXT, "pipe2");
    real_sigprocmask = (int (*)(int, const sigset_t *, sigset_t *))dlsym(RTLD_NEXT, "sigprocmask");
    real_exit_now = (void (*)(int))dlsym(RTLD_NEXT, "_exit");
    ls_guard--;
}

/* Enter a tracking hook: returns 1 with the guard set when this call is to be recorded. */
static inline int enter(void)
{
    if (LS_UNLIKELY(ls_guard))
        return 0;
    int s = atomic_load_explicit(&ls_state, memory_order_relaxed);
    if (LS_UNLIKELY(s != LS_READY)) {
        if (s != LS_UNINIT)
            return 0;
        ls_engine_init();
        if (atomic_load(&ls_state) != LS_READY)
            return 0;
    }
    ls_guard = 1;
    return 1;
}

static inline void leave(void)
{
    ls_engine_drain_deferred(); /* frees a signal handler made meanwhile (engine.c) */
    ls_guard = 0;
}

/* errno's address on this thread, constant for the thread's life: saving and restoring
 * errno around tracking work is then a load and a store, not two calls into libc. */
static __thread int *errno_at __attribute__((tls_model("initial-exec")));

static inline int *errno_here(void)
{
    int *e = errno_at;
    if (LS_UNLIKELY(!e))
        errno_at = e = &errno;
    return e;
}

/* Record p (non-NULL) without disturbing errno. With sampling on, an allocation the
 * sampler passes over costs a thread-local subtraction and nothing else. */
static inline void track(void *p, size_t size, ls_caller_t caller)
{
    if (LS_UNLIKELY(ls_sample_skip(size)))
        return;
    int *err = errno_here(), saved = *err;
    ls_record_sampled(p, size, caller);
    *err = saved;
}

/* Sampling on and this allocation of `size` bytes passed over: nothing else to do, not
 * even entering the shim (guard, state, errno, deferred frees). A call from inside the shim
 * (ls_guard) never moves the countdown, so the program's own bytes alone are sampled. */
static inline int passed_over(size_t size)
{
    if (LS_LIKELY(atomic_load_explicit(&ls_sample_rate, memory_order_relaxed) == 0) || ls_guard)
        return 0;
    int64_t left = ls_sample_left - (int64_t)size;
    if (LS_UNLIKELY(left <= 0))
        return 0; /* crossing: track() decides, with the guard set */
    ls_sample_left = left;
    return 1;
}

/* The rest of an allocation hook: enter, record, leave. */
static inline __attribute__((always_inline)) void *track_new_here(void *p, size_t size, ls_caller_t caller)
{
    if (!enter())
        return p;
    track(p, size, caller);
    leave();
    return p;
}

/* The same out of line, so that the other hooks' own fast paths (an unsampled
 * allocation) need no registers saved. */
static LS_NOINLINE void *track_new(void *p, size_t size, ls_caller_t caller)
{
    return track_new_here(p, size, caller);
}

/* malloc's traced path: the real malloc, then the record (in line: the hottest hook). */
static LS_NOINLINE void *malloc_traced(size_t size, ls_caller_t caller)
{
    void *p = REAL(malloc)(size);
    return LS_LIKELY(p != NULL) ? track_new_here(p, size, caller) : p;
}

LS_EXPORT void *malloc(size_t size)
{
    /* Passed over before the real call, so that it is a tail call (a failed allocation
     * then moves the countdown too: it is the program's request that is sampled). */
    if (passed_over(size))
        return REAL(malloc)(size);
    return malloc_traced(size, LS_CALLER());
}

/* A block that may be in the table is about to be freed or moved without its record:
 * its entry may go stale (it is settled when the address is next allocated). */
static LS_NOINLINE void freed_untracked(void)
{
    if (atomic_load_explicit(&ls_state, memory_order_relaxed) == LS_READY)
        ls_ptr_expect_stale();
}

/* free(p) of a block that may be traced. */
static LS_NOINLINE void free_traced(void *p)
{
    if (!enter()) {
        /* Inside the shim on this thread (a signal handler interrupted a hook): record and
         * free later, together, so the address cannot be handed out before it is recorded. */
        if (!(ls_guard && ls_engine_defer_free(p))) {
            freed_untracked();
            REAL(free)(p);
        }
        return;
    }
    /* glibc's free reads the block's chunk header right after the table lookup: start
     * that cache miss now, so that it overlaps the lookup's own. */
    __builtin_prefetch((const char *)p - 16, 1);
    int *err = errno_here(), saved = *err;
    ls_record_free(p); /* before the real free: the address may be reused at once */
    *err = saved;
    REAL(free)(p);
    leave();
}

LS_EXPORT void free(void *p)
{
    if (!p)
        return;
    if (LS_UNLIKELY(ls_sample_miss(p))) { /* sampling: a block never traced */
        REAL(free)(p);
        return;
    }
    free_traced(p);
}

LS_EXPORT void *calloc(size_t n, size_t size)
{
    void *p = REAL(calloc)(n, size);
    if (LS_UNLIKELY(p == NULL) || passed_over(n * size)) /* n * size: calloc checked it */
        return p;
    return track_new(p, n * size, LS_CALLER());
}

LS_EXPORT void *realloc(void *p, size_t size)
{
    if (!enter()) { /* a handler's realloc inside a hook: untracked; a stale entry for p is
                     * settled when its address is next allocated (ls_record_alloc) */
        if (p)
            freed_untracked();
        return REAL(realloc)(p, size);
    }
    ls_taken_t old;
    int *err = errno_here(), saved = *err;
    int tracked = p ? ls_record_take(p, &old) : 0;
    *err = saved;
    void *q = REAL(realloc)(p, size);
    saved = *err;
    if (q) {
        if (tracked)
            ls_record_release(&old);
        ls_record_alloc(q, size, LS_CALLER()); /* reborn: charged to this caller, at this epoch */
    } else if (p && size == 0) {
        if (tracked) /* glibc freed p and returned NULL */
            ls_record_release(&old);
    } else if (tracked) {
        ls_record_restore(&old); /* failed: p is untouched */
    }
    *err = saved;
    leave();
    return q;
}

LS_EXPORT void *reallocarray(void *p, size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, bytes);
}

static inline void *aligned(size_t alignment, size_t size, void *(*real)(size_t, size_t),
                           ls_caller_t caller)
{
    if (!enter())
        return real(alignment, size);
    void *p = real(alignment, size);
    if (p)
        track(p, size, caller);
    leave();
    return p;
}

LS_EXPORT void *memalign(size_t alignment, size_t size)
{
    return aligned(alignment, size, REAL(memalign), LS_CALLER());
}

/* glibc's own aligned_alloc: an alias of memalign up to 2.37, from 2.38 on it refuses
 * alignments that are not powers of two (EINVAL), so the real one decides. */
LS_EXPORT void *aligned_alloc(size_t alignment, size_t size)
{
    return aligned(alignment, size, REAL(aligned_alloc), LS_CALLER());
}

LS_EXPORT int posix_memalign(void **out, size_t alignment, size_t size)
{
    if (!enter())
        return REAL(posix_memalign)(out, alignment, size);
    int r = REAL(posix_memalign)(out, alignment, size);
    if (r == 0)
        track(*out, size, LS_CALLER());
    leave();
    return r;
}

LS_EXPORT void *valloc(size_t size)
{
    if (!enter())
        return REAL(valloc)(size);
    void *p = REAL(valloc)(size);
    if (p)
        track(p, size, LS_CALLER());
    leave();
    return p;
}

LS_EXPORT void *pvalloc(size_t size)
{
    if (!enter())
        return REAL(pvalloc)(size);
    void *p = REAL(pvalloc)(size);
    if (p)
        track(p, size, LS_CALLER());
    leave();
    return p;
}

/* The shim adds no header to blocks, so the allocator's answer is already consistent. */
LS_EXPORT size_t malloc_usable_size(void *p)
{
    return REAL(usable_size)(p);
}

/* Record the module map before an object goes away, so the addresses it allocated
 * from still resolve in later snapshots, and again after, so that what went away has
 * its address range reserved before anything else can be loaded there (modules.c). */
LS_EXPORT int dlclose(void *handle)
{
    if (LS_UNLIKELY(!real_dlclose))
        resolve_real();
    int tracking = atomic_load(&ls_state) == LS_READY && !ls_guard;
    if (tracking) {
        int saved = errno;
        ls_guard++;
        ls_modules_refresh();
        ls_guard--;
        errno = saved;
    }
    int r = real_dlclose(handle);
    if (tracking) {
        ls_guard++;
        ls_modules_refresh(); /* keeps errno */
        ls_engine_drain_deferred(); /* a handler's frees meanwhile (keeps errno) */
        ls_guard--;
    }
    return r;
}

/* libunwind (1.6) checks that memory is readable by writing a byte of it into a pipe
 * that it opens on first use, and closes and reopens whenever a read from it fails.
 * With the lowest free numbers, that pipe would shift every descriptor the program
 * opens, and a program that closes all its descriptors and opens files of its own
 * would have libunwind read from and write into them (and close them). So a pipe made
 * while the shim runs on this thread (ls_guard: only libunwind makes one then) is moved
 * just under min(RLIMIT_NOFILE, 1024), out of the program's way; the program's own
 * calls go to the real function untouched. */
LS_EXPORT int pipe2(int fds[2], int flags)
{
    if (!ls_guard)
        return real_pipe2 ? real_pipe2(fds, flags) : (int)syscall(SYS_pipe2, fds, flags);
    int r = (int)syscall(SYS_pipe2, fds, flags);
    if (r == 0)
        for (int i = 0; i < 2; i++)
            fds[i] = ls_fd_move_high(fds[i], flags & O_CLOEXEC);
    return r;
}

/* libunwind blocks all signals around every step of a walk with sigprocmask, and restores
 * them after. Inside the shim's step-by-step walks every signal is already blocked by the
 * walk (unwind.c, ls_walk_state), so those calls are answered without a system call: the
 * mask they save reads "all blocked", and restoring it changes nothing; the walk puts the
 * program's mask back when it ends. No signal handler can run inside such a walk, so
 * every other call, the program's own included, goes to the real function untouched. */
LS_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    if (LS_UNLIKELY(ls_walk_state == LS_WALK_BLOCKED) && (!set || how == SIG_SETMASK || how == SIG_BLOCK)) {
        if (old)
            sigfillset(old);
        return 0;
    }
    if (real_sigprocmask)
        return real_sigprocmask(how, set, old);
    int r = pthread_sigmask(how, set, old);
    if (r == 0)
        return 0;
    errno = r;
    return -1;
}

/* _exit and _Exit end a process without exit()'s handlers, so without the library
 * destructor: dash and busybox ash end every shell and subshell so, as do Python's forked
 * workers (os._exit). The exit snapshot is written here first, where that is safe
 * (ls_engine_at_immediate_exit says where it is not). exit() itself reaches the kernel
 * without coming here (glibc calls its own _exit directly), as do quick_exit() and a
 * direct exit_group system call: those write no snapshot. */
LS_EXPORT void _exit(int status)
{
    ls_engine_at_immediate_exit();
    if (real_exit_now)
        real_exit_now(status);
    for (;;) /* called before the constructor found the real one */
        syscall(SYS_exit_group, status);
}

LS_EXPORT void _Exit(int status) __attribute__((alias("_exit")));

/* This file's own malloc, whatever the program's lookup finds under that name. */
static void *own_malloc(size_t size) __attribute__((alias("malloc"), copy(malloc)));

/* The malloc every call of the program reaches is the shim's, or say that nothing can be
 * seen: an allocator preloaded before the shim, or a program with a malloc of its own, takes
 * every call, and the snapshots would only ever be empty. */
static void check_hooks_reached(void)
{
    ls_guard++;
    void *global = dlsym(RTLD_DEFAULT, "malloc");
    Dl_info info, program;
    const ElfW(Sym) *sym = NULL;
    /* A definition of malloc starts at that address: not the canonical PLT entry of a program
     * built without PIE that takes malloc's address (node), an undefined symbol with a value,
     * whose calls still reach the shim's. */
    if (global && global != (void *)own_malloc && dladdr1(global, &info, (void **)&sym, RTLD_DL_SYMENT) &&
        info.dli_saddr == global && sym && sym->st_shndx != SHN_UNDEF) {
        /* the program itself holds its entry point */
        int programs = dladdr((void *)getauxval(AT_ENTRY), &program) && program.dli_fbase == info.dli_fbase;
        const char *slash = info.dli_fname ? strrchr(info.dli_fname, '/') : NULL;
        ls_engine_warn_not_first(programs ? NULL : slash ? slash + 1 : info.dli_fname);
    }
    ls_guard--;
}

__attribute__((constructor)) static void leakscope_start(void)
{
    ls_engine_init();
    ls_engine_watch_forks();
    resolve_real();
    check_hooks_reached();
    ls_snapshot_start_worker(1);
}

__attribute__((destructor)) static void leakscope_stop(void)
{
    ls_engine_at_exit();
}
