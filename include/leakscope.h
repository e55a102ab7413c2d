/*
 * leakscope.h — the in-process API of leakscope (the only public header).
 *
 * A program compiled against this header runs unchanged without the shim and
 * needs no library at link time: every call below is a static inline wrapper
 * that forwards to the shim through a weak reference, and does nothing when
 * libleakscope.so is not loaded (LD_PRELOAD) in the process.
 *
 *   #include <leakscope.h>
 *   for (uint64_t step = 0; step < n; step++) {
 *       simulate(step);
 *       leakscope_mark(step);                 // growth is reported per step
 *       if (step % 1000 == 0) leakscope_snapshot("checkpoint");
 *   }
 */
#ifndef LEAKSCOPE_H
#define LEAKSCOPE_H

#include <stddef.h>
#include <stdint.h>

#define LEAKSCOPE_VERSION_MAJOR 1
#define LEAKSCOPE_VERSION_MINOR 0

#ifdef __cplusplus
extern "C" {
#endif

/* Entry points exported by libleakscope.so. Weak: null when the shim is absent. */
extern void leakscope_shim_snapshot(const char *label) __attribute__((weak));
extern void leakscope_shim_mark(uint64_t step) __attribute__((weak));
extern int leakscope_shim_active(void) __attribute__((weak));
extern void leakscope_shim_traced_memory(size_t *current, size_t *peak) __attribute__((weak));
extern void leakscope_shim_reset_peak(void) __attribute__((weak));
extern void leakscope_shim_set_sample(size_t bytes) __attribute__((weak));

/* Write a snapshot now, labelled `label` (letters, digits, '-' and '_' are kept;
 * NULL means "snapshot"). Synchronous: the file exists when the call returns. */
static inline void leakscope_snapshot(const char *label)
{
    if (leakscope_shim_snapshot)
        leakscope_shim_snapshot(label);
}

/* The program has reached workload iteration `step` (a request, a simulation
 * step, a controller instantiation). Allocations made from now on are born at
 * `step`; snapshots record the latest step; growth is reported per step. */
static inline void leakscope_mark(uint64_t step)
{
    if (leakscope_shim_mark)
        leakscope_shim_mark(step);
}

/* 1 when the shim is loaded and tracking this process, else 0. */
static inline int leakscope_active(void)
{
    return leakscope_shim_active ? leakscope_shim_active() : 0;
}

/* Bytes currently traced and the peak since start or the last reset, as
 * tracemalloc.get_traced_memory(). Both 0 without the shim. */
static inline void leakscope_traced_memory(size_t *current, size_t *peak)
{
    if (leakscope_shim_traced_memory) {
        leakscope_shim_traced_memory(current, peak);
        return;
    }
    if (current)
        *current = 0;
    if (peak)
        *peak = 0;
}

/* Set the peak to the current traced size, as tracemalloc.reset_peak(). */
static inline void leakscope_reset_peak(void)
{
    if (leakscope_shim_reset_peak)
        leakscope_shim_reset_peak();
}

/* Switch tracking at run time: 0 for exact tracking, else sampled tracking with a mean of
 * `bytes` allocated between samples (as LEAKSCOPE_SAMPLE). Figures become unbiased
 * estimates; each block keeps the weight of the rate it was traced at, and blocks traced
 * before a switch to a sparser rate are thinned to match it. Does nothing without the shim. */
static inline void leakscope_set_sample(size_t bytes)
{
    if (leakscope_shim_set_sample)
        leakscope_shim_set_sample(bytes);
}

#ifdef __cplusplus
}
#endif

#endif /* LEAKSCOPE_H */
