/*
 * symbols.h — resolving frame addresses to function, file and line in the analyzer
 * (never in the target), from each snapshot's module map and the modules' ELF and
 * DWARF data (libdw), with C++ names demangled. Results are cached per module and
 * address, so a series of snapshots of one process is resolved once.
 */
#ifndef LS_SYMBOLS_H
#define LS_SYMBOLS_H

#include "snapshot.h"

typedef struct ls_symbolizer ls_symbolizer_t;

ls_symbolizer_t *ls_symbolizer_new(void);
void ls_symbolizer_free(ls_symbolizer_t *sym);

/* Fill site->info and site->loc for every site of `snap`. The location frame is the
 * first frame outside allocation wrappers: frames in libc, libstdc++, libgcc_s and
 * the dynamic loader, and functions named operator new / operator new[] / malloc-family
 * wrappers, are skipped; if every frame is a wrapper, the outermost is used. */
void ls_symbolize_snapshot(ls_symbolizer_t *sym, ls_snapshot_t *snap);

#endif /* LS_SYMBOLS_H */
