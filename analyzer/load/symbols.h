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

/* Fill site->info, site->ninfo and site->loc for every site of `snap`. Each return address
 * gives one frame per function at that address, innermost first: the functions the compiler
 * inlined there, each followed by the one it was inlined into (at the line of the inlined
 * call), so ninfo >= nframes. The location frame is the first frame outside allocation
 * wrappers: frames in libc, libstdc++, libgcc_s and the dynamic loader, functions named
 * operator new / operator new[] / malloc-family wrappers, code from the C++ library headers
 * and functions from the system's headers inlined into the program (glibc's getline in
 * bits/stdio.h) are skipped; if every frame is a wrapper, the outermost is used. */
void ls_symbolize_snapshot(ls_symbolizer_t *sym, ls_snapshot_t *snap);

#endif /* LS_SYMBOLS_H */
