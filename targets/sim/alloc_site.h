/*
 * alloc_site.h — SIM_ALLOC_SITE marks the functions whose allocations leakscope should report
 * (the faults, the controller and model blocks): they stay real frames, so the site is them.
 */
#ifndef SIM_ALLOC_SITE_H
#define SIM_ALLOC_SITE_H

/* Not inlined into the caller and not cloned into a renamed copy (GCC's .isra/.constprop). */
#if defined(__clang__)
#define SIM_ALLOC_SITE __attribute__((noinline))
#else
#define SIM_ALLOC_SITE __attribute__((noinline, noclone))
#endif

#endif /* SIM_ALLOC_SITE_H */
