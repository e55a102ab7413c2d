/*
 * unwind.h — capturing the trace of an allocation (libunwind), without the shim's
 * own frames.
 */
#ifndef LS_UNWIND_H
#define LS_UNWIND_H

#include <stdint.h>

#include "common.h"

/* Prepare libunwind (per-thread caches) and find the shim's own code range. */
LS_HIDDEN void ls_unwind_init(void);

/* Store up to `max` return addresses of the current call stack, innermost first,
 * starting at the first frame outside the shim. Returns how many (at least 1: when
 * nothing can be unwound, a single 0 frame stands for "unknown"). */
LS_HIDDEN unsigned ls_unwind_capture(uintptr_t *out, unsigned max);

#endif /* LS_UNWIND_H */
