/*
 * modules.h — the module map written into snapshots: every object mapped into the
 * process, kept after dlclose so addresses recorded while it was loaded still resolve.
 */
#ifndef LS_MODULES_H
#define LS_MODULES_H

#include <stdint.h>

#include "common.h"

typedef struct ls_module ls_module_t;
struct ls_module {
    ls_module_t *next;
    uint64_t start, end, bias, flags; /* flags bit 0: unloaded */
    uint8_t build_id[64];
    uint8_t build_id_len;
    uint16_t path_len;
    int seen; /* scratch for ls_modules_refresh */
    char path[];
};

/* Re-read the loaded objects (dl_iterate_phdr) and merge them into the list: new
 * ones are added, vanished ones flagged unloaded. Safe to call from any thread. */
LS_HIDDEN void ls_modules_refresh(void);

/* The list head; stable: records are never freed. Hold ls_modules_lock()/unlock()
 * while walking it. */
LS_HIDDEN ls_module_t *ls_modules_list(void);
LS_HIDDEN void ls_modules_lock(void);
LS_HIDDEN void ls_modules_unlock(void);

#endif /* LS_MODULES_H */
