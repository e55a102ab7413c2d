/*
 * unwind.c — trace capture with libunwind's unw_backtrace (the fast path that walks
 * cached frame descriptions), with its per-thread cache so threads never share one.
 */
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <link.h>
#include <string.h>

#include "unwind.h"

uintptr_t ls_self_start, ls_self_end;

/* Frames the shim adds above the first program frame: hook, tracking function,
 * capture. Extra slack is asked of libunwind so that `max` program frames remain. */
#define SHIM_FRAME_SLACK 6

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

unsigned ls_unwind_capture(uintptr_t *out, unsigned max)
{
    void *buf[LS_MAX_FRAMES + SHIM_FRAME_SLACK];
    int n = unw_backtrace(buf, (int)(max + SHIM_FRAME_SLACK));
    int first = 0;
    while (first < n && (uintptr_t)buf[first] >= ls_self_start && (uintptr_t)buf[first] < ls_self_end)
        first++;
    unsigned kept = 0;
    for (int i = first; i < n && kept < max; i++)
        out[kept++] = (uintptr_t)buf[i];
    if (kept == 0)
        out[kept++] = 0;
    return kept;
}
