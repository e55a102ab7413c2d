/*
 * common.h — what every file of the shim shares: visibility and branch hints, the
 * spinlock used on the hot path, and the memory the shim takes for itself (never
 * through the hooked malloc: pages come from mmap).
 *
 * Locking (whole shim), outer to inner:
 *   snapshot_lock (writer.c)  >  modules lock (modules.c)  >  sites lock (sites.c)
 *   >  threads list lock (sites.c)  >  pointer-table shard locks (ptrtable.c, in index
 *   order). fork()'s prepare handler takes them all in this order (engine.c); everyone
 *   else holds at most one of the last three at a time. Hooks take at most a shard lock,
 *   or the sites lock on a new call site; no lock is held while calling the real
 *   allocator. Code that takes a lock outside a hook raises ls_guard first, so a signal
 *   handler that interrupts it never waits for a lock its own thread holds.
 */
#ifndef LS_COMMON_H
#define LS_COMMON_H

/* The shim is x86-64 only: unwind.c reads x86-64 registers (RBP) and relies on the
 * x86-64 frame layout (a hook's CFA is its frame address + 16, LS_CALLER), and the
 * spinlock below waits with the x86 PAUSE instruction. */
#if !defined(__x86_64__)
#error "leakscope's shim supports x86-64 Linux only (unwind.c, LS_CALLER and the spinlock are x86-64 specific)"
#endif

#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define LS_HIDDEN __attribute__((visibility("hidden")))
#define LS_EXPORT __attribute__((visibility("default")))
#define LS_LIKELY(x) __builtin_expect(!!(x), 1)
#define LS_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define LS_NOINLINE __attribute__((noinline))
#define LS_CACHELINE 64

#define LS_MAX_FRAMES 128
#define LS_DEFAULT_FRAMES 16
#define LS_AGE_BUCKETS 32

/* Internal invariants (the pointer table, the site table): checked in the sanitizer
 * builds (make sanitize-build, where GCC defines __SANITIZE_ADDRESS__ or
 * __SANITIZE_THREAD__) and in debug builds (-DLS_DEBUG); compiled out of release builds,
 * where the shim never aborts a program. A failed check writes one line and aborts. */
#if defined(LS_DEBUG) || defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define LS_ASSERT(cond) ((cond) ? (void)0 : ls_assert_failed(#cond, __FILE__, __LINE__))
#else
#define LS_ASSERT(cond) ((void)0)
#endif
LS_HIDDEN void ls_assert_failed(const char *cond, const char *file, int line) __attribute__((noreturn));

/* A test-and-test-and-set spinlock: critical sections on the hot path are a few
 * dozen instructions, far cheaper than a futex round trip; after many spins the
 * waiter yields, so a preempted holder on a 2-core machine does not stall it. */
typedef struct {
    atomic_int held;
} ls_spinlock_t;

static inline void ls_spin_lock(ls_spinlock_t *l)
{
    for (unsigned spins = 0;; spins++) {
        if (!atomic_exchange_explicit(&l->held, 1, memory_order_acquire))
            return;
        while (atomic_load_explicit(&l->held, memory_order_relaxed)) {
            if (++spins > 64) {
                sched_yield();
                spins = 0;
            } else
                __builtin_ia32_pause();
        }
    }
}

static inline void ls_spin_unlock(ls_spinlock_t *l)
{
    atomic_store_explicit(&l->held, 0, memory_order_release);
}

/* Pages straight from the kernel, zero-filled; NULL on failure. */
LS_HIDDEN void *ls_pages_alloc(size_t bytes);
LS_HIDDEN void ls_pages_free(void *p, size_t bytes);
/* Small permanent allocations (site records, module records): a bump allocator
 * over mmap'd chunks, never freed. Thread-safe. NULL when the kernel refuses memory. */
LS_HIDDEN void *ls_arena_alloc(size_t bytes);

/* Move a descriptor the shim opened out of the program's way: to the first free number at
 * or above min(RLIMIT_NOFILE, 1024) - 64, close-on-exec (or as `cloexec` says), closing
 * the low one. Programs count on the lowest free number (open() after close(0)), and
 * shells dup2() onto fixed small numbers: a shim descriptor sitting there would shift the
 * one or be taken over by the other. Returns the new number, or fd when it cannot move. */
LS_HIDDEN int ls_fd_move_high(int fd, int cloexec);

/* One line on stderr, written with write(2): "leakscope: <msg>\n". On a thread that set
 * ls_log_hold (it has no stderr of its own), the first such line is held until
 * ls_log_flush_held() is called from a thread that has one. */
LS_HIDDEN void ls_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
LS_HIDDEN extern __thread int ls_log_hold __attribute__((tls_model("initial-exec")));
LS_HIDDEN void ls_log_flush_held(void);

/* The shim's own code range, so unwinding can drop its frames. */
LS_HIDDEN extern uintptr_t ls_self_start, ls_self_end;

#endif /* LS_COMMON_H */
