/*
 * symbols.c — frame addresses to function, file and line (symbols.h), offline, from each
 * snapshot's module map and the modules' ELF symbol tables and DWARF (libdwfl), with C++
 * names demangled and every result cached so a series of snapshots is resolved once.
 *
 * Ownership: everything a symbolized site points to — its `info` array and the strings
 * in it — lives in the symbolizer's arena, not in the snapshot. It stays valid until
 * ls_symbolizer_free(), which must therefore come after the last use of any snapshot's
 * info (ls_snapshot_free() does not touch info). Strings are interned: two frames with the
 * same function (file, module) share one pointer within one symbolizer.
 *
 * Caches, from cheapest to dearest:
 *   - per process (pid, start_mono_ns) and site id: the trace's frames and its info array,
 *     reused when the next snapshot's site has the same frames (the common case: a series
 *     costs one lookup and one memcmp per site);
 *   - per module file (path, build-id) and file address: the resolved frames (res_t);
 *   - per module file: the opened ELF/DWARF (a Dwfl with one module), its function symbols
 *     sorted by address, and per compilation unit its functions and inlined calls sorted
 *     by address range — each built once, so a lookup is a binary search, not a scan.
 *
 * Inlined calls: a return address inside code the compiler inlined gives one frame per
 * function, innermost first (as addr2line -i): the inlined function at the line table's
 * file and line, then the function it was inlined into at the line of the inlined call,
 * and so on out to the function the code belongs to. A site's info therefore has ninfo >=
 * nframes entries; all frames of one address carry that address, and each but the last of
 * them is marked `inlined`.
 *
 * Reported names: `file` is the source path exactly as the DWARF line table gives it:
 * absolute, or relative to the build directory when the compiler was given a relative path
 * (tracemalloc prints file names as recorded too; text and JSON print it unchanged).
 * When a module's file is missing or its build-id no longer matches, or it has no symbol
 * for the address, the function is "<module basename>+0x<file address>" and the file "??".
 */
#include "symbols.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* From libstdc++ (the analyzer links -lstdc++); declared here to keep this file C. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

/* ---- arena: the symbolizer's results live until ls_symbolizer_free ---------------- */

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    alignas(16) unsigned char data[];
} chunk_t;

typedef struct {
    chunk_t *head;
} arena_t;

static void *arena_alloc(arena_t *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!a->head || a->head->cap - a->head->used < n) {
        size_t cap = n > (1u << 20) ? n : (1u << 20);
        chunk_t *c = ls_xmalloc(sizeof *c + cap);
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += n;
    return p;
}

static void arena_free(arena_t *a)
{
    while (a->head) {
        chunk_t *n = a->head->next;
        free(a->head);
        a->head = n;
    }
}

/* ---- hash map: (u64, u64) -> pointer, open addressing ----------------------------- */

typedef struct {
    uint64_t k1, k2;
    void *v; /* NULL: empty slot */
} slot_t;

typedef struct {
    slot_t *slots;
    size_t cap, n; /* cap is a power of two */
} map_t;

static uint64_t mix64(uint64_t a, uint64_t b)
{
    uint64_t h = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull + (a << 6) + (a >> 2));
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

static void *map_get(const map_t *m, uint64_t k1, uint64_t k2)
{
    if (!m->cap)
        return NULL;
    for (size_t i = mix64(k1, k2) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        const slot_t *s = &m->slots[i];
        if (!s->v)
            return NULL;
        if (s->k1 == k1 && s->k2 == k2)
            return s->v;
    }
}

static void map_put(map_t *m, uint64_t k1, uint64_t k2, void *v);

static void map_grow(map_t *m)
{
    map_t g = {ls_xcalloc(m->cap ? 2 * m->cap : 256, sizeof(slot_t)), m->cap ? 2 * m->cap : 256, 0};
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].v)
            map_put(&g, m->slots[i].k1, m->slots[i].k2, m->slots[i].v);
    free(m->slots);
    *m = g;
}

/* Inserts, or replaces the value of an existing key. */
static void map_put(map_t *m, uint64_t k1, uint64_t k2, void *v)
{
    if ((m->n + 1) * 2 > m->cap)
        map_grow(m);
    for (size_t i = mix64(k1, k2) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        slot_t *s = &m->slots[i];
        if (!s->v) {
            *s = (slot_t){k1, k2, v};
            m->n++;
            return;
        }
        if (s->k1 == k1 && s->k2 == k2) {
            s->v = v;
            return;
        }
    }
}

/* ---- the symbolizer --------------------------------------------------------------- */

/* Address ranges with names, for "innermost range containing an address" lookups: the
 * functions (and inlined calls) of one compilation unit, or a module's function symbols.
 * Sorted by lo, then hi descending, then depth; maxhi[i] = max(hi of v[0..i]). Ranges
 * nest (or are disjoint), so scanning back from the last lo <= a, the first range that
 * contains a is the innermost, and the scan stops as soon as maxhi says nothing earlier can. */
typedef struct {
    uint64_t lo, hi;
    const char *name; /* as in the ELF/DWARF data: owned by libdw, valid while the Dwfl lives */
    unsigned depth;   /* nesting depth; for symbols, a preference among aliases */
    /* For an inlined call: where, in the function around it, the call was written. */
    const char *call_file;
    int call_line;
    int inlined; /* a DW_TAG_inlined_subroutine: the next range out is the function around it */
} span_t;

typedef struct {
    span_t *v;
    uint64_t *maxhi;
    size_t n;
} spans_t;

typedef struct modent {
    struct modent *next_all;
    const char *path, *base; /* interned */
    uint8_t bid[64];
    unsigned bid_len;
    int state;   /* 0 not opened yet, 1 usable, -1 missing, unreadable or another build */
    int wrapper; /* a library whose frames are allocation wrappers (libc, libstdc++, ...) */
    Dwfl *dwfl;
    Dwfl_Module *mod;
    spans_t syms; /* function symbols, read once when the module is opened */
} modent_t;

/* One frame of a resolved address. */
typedef struct {
    const char *function, *file;
    int line;
    int wrapper;
} rframe_t;

/* An address resolved: the function it is in and, where the compiler inlined calls, the
 * inlined functions around it — innermost first, each followed by the function it was
 * inlined into, as addr2line -i, gdb and pprof list them. */
typedef struct {
    const char *module;
    unsigned n; /* frames, 1..MAX_INLINE */
    rframe_t fr[];
} res_t;

typedef struct {
    uint16_t nframes, ninfo;
    int loc;
    uint64_t *frames;
    ls_frame_info_t *info; /* ninfo entries: the frames, inlined calls expanded */
} trace_t;

/* One process's traces by site id: ids are dense (assigned in order), so an array
 * indexed by id does; ids far beyond the sites seen go to the symbolizer's map. */
typedef struct proc {
    struct proc *next_all;
    trace_t **by_id;
    size_t cap;
} proc_t;

struct ls_symbolizer {
    arena_t arena;
    map_t strings; /* k1 = hash, k2 = chain index: intern table (see intern()) */
    map_t modules; /* (interned path, build-id hash) -> modent_t */
    map_t addrs;   /* (modent, file address) -> res_t */
    map_t cus;     /* (modent, CU DIE offset) -> spans_t of that CU's functions */
    map_t procs;   /* (pid, start_mono_ns) -> proc_t */
    map_t traces;  /* (proc_t, site id) -> trace_t, for ids beyond a proc_t's array */
    modent_t *all;
    proc_t *procs_all;
    const char *unknown; /* "??" */
};

static uint64_t hash_bytes(const void *p, size_t n)
{
    const unsigned char *c = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= c[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* Returns the symbolizer's copy of `s` (of length n): equal strings give one pointer.
 * Collisions of the 64-bit hash are resolved by probing k2 = 0, 1, 2, ... */
static const char *intern_n(ls_symbolizer_t *sym, const char *s, size_t n)
{
    uint64_t h = hash_bytes(s, n);
    for (uint64_t k = 0;; k++) {
        const char *c = map_get(&sym->strings, h, k);
        if (!c)
            break;
        if (strncmp(c, s, n) == 0 && c[n] == 0)
            return c;
    }
    uint64_t k = 0;
    while (map_get(&sym->strings, h, k))
        k++;
    char *c = arena_alloc(&sym->arena, n + 1);
    memcpy(c, s, n);
    c[n] = 0;
    map_put(&sym->strings, h, k, c);
    return c;
}

static const char *intern(ls_symbolizer_t *sym, const char *s)
{
    return intern_n(sym, s, strlen(s));
}

ls_symbolizer_t *ls_symbolizer_new(void)
{
    ls_symbolizer_t *sym = ls_xcalloc(1, sizeof *sym);
    sym->unknown = intern(sym, "??");
    return sym;
}

void ls_symbolizer_free(ls_symbolizer_t *sym)
{
    if (!sym)
        return;
    for (modent_t *m = sym->all; m; m = m->next_all)
        if (m->dwfl)
            dwfl_end(m->dwfl);
    for (proc_t *p = sym->procs_all; p; p = p->next_all)
        free(p->by_id);
    free(sym->strings.slots);
    free(sym->modules.slots);
    free(sym->addrs.slots);
    free(sym->cus.slots);
    free(sym->procs.slots);
    free(sym->traces.slots);
    arena_free(&sym->arena);
    free(sym);
}

/* ---- opening modules ---------------------------------------------------------------- */

/* Separate debug info by build-id only (/usr/lib/debug/.build-id/xx/rest.debug), the
 * layout Debian's -dbgsym packages install. Deliberately not libdwfl's standard lookup:
 * with DEBUGINFOD_URLS set it would download from the network in the middle of a report. */
static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, GElf_Addr base,
                          const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
                          char **debuginfo_file_name)
{
    (void)userdata, (void)modname, (void)base, (void)file_name, (void)debuglink_file,
        (void)debuglink_crc;
    const unsigned char *bits;
    GElf_Addr vaddr;
    int n = dwfl_module_build_id(mod, &bits, &vaddr);
    if (n < 2 || n > 64)
        return -1;
    char path[64 + 2 * 64 + 16];
    size_t o = (size_t)snprintf(path, sizeof path, "/usr/lib/debug/.build-id/%02x/", bits[0]);
    for (int i = 1; i < n; i++)
        o += (size_t)snprintf(path + o, sizeof path - o, "%02x", bits[i]);
    snprintf(path + o, sizeof path - o, ".debug");
    struct stat st;
    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0)
        *debuginfo_file_name = strdup(path);
    return fd;
}

/* Main files are always given by path (dwfl_report_elf); nothing to find. */
static int find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                    char **file_name, Elf **elfp)
{
    (void)mod, (void)userdata, (void)modname, (void)base, (void)file_name, (void)elfp;
    return -1;
}

static const Dwfl_Callbacks callbacks = {
    .find_elf = find_elf,
    .find_debuginfo = find_debuginfo,
    .section_address = dwfl_offline_section_address,
};

static int cmp_span(const void *x, const void *y)
{
    const span_t *a = x, *b = y;
    if (a->lo != b->lo)
        return a->lo < b->lo ? -1 : 1;
    if (a->hi != b->hi)
        return a->hi > b->hi ? -1 : 1;
    return (a->depth > b->depth) - (a->depth < b->depth);
}

typedef struct {
    span_t *v;
    size_t n, cap;
} spanvec_t;

static void spanvec_push(spanvec_t *sv, uint64_t lo, uint64_t hi, const char *name, unsigned depth,
                         const char *call_file, int call_line, int inlined)
{
    if (hi <= lo)
        return;
    if (sv->n == sv->cap)
        sv->v = ls_xrealloc(sv->v, (sv->cap = sv->cap ? 2 * sv->cap : 64) * sizeof *sv->v);
    sv->v[sv->n++] = (span_t){lo, hi, name, depth, call_file, call_line, inlined};
}

/* Sorts the collected ranges into the arena (the vector is consumed). */
static void spans_finish(arena_t *a, spanvec_t *sv, spans_t *out)
{
    qsort(sv->v, sv->n, sizeof *sv->v, cmp_span);
    out->n = sv->n;
    out->v = arena_alloc(a, (sv->n ? sv->n : 1) * sizeof *out->v);
    out->maxhi = arena_alloc(a, (sv->n ? sv->n : 1) * sizeof *out->maxhi);
    if (sv->n)
        memcpy(out->v, sv->v, sv->n * sizeof *out->v);
    for (size_t i = 0; i < sv->n; i++)
        out->maxhi[i] = i && out->maxhi[i - 1] > out->v[i].hi ? out->maxhi[i - 1] : out->v[i].hi;
    free(sv->v);
    sv->v = NULL;
    sv->n = sv->cap = 0;
}

/* The ranges containing `a`, innermost first (at most `max`); returns how many. */
static size_t spans_containing(const spans_t *sp, uint64_t a, const span_t **out, size_t max)
{
    size_t lo = 0, hi = sp->n; /* first entry with lo > a */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (sp->v[mid].lo <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = 0;
    for (size_t i = lo; i-- > 0 && n < max;) {
        if (sp->maxhi[i] <= a)
            break;
        if (a < sp->v[i].hi)
            out[n++] = &sp->v[i];
    }
    return n; /* ranges nest, so those containing `a` are met innermost first */
}

static const char *spans_find(const spans_t *sp, uint64_t a)
{
    const span_t *in;
    return spans_containing(sp, a, &in, 1) ? in->name : NULL;
}

/* The module's function symbols (symtab, else dynsym), for addresses DWARF does not
 * cover. dwfl_module_addrinfo would do, but it scans every symbol on every call. Among
 * aliases at one address, a global name is preferred to a weak one, then to a local one,
 * and a name without a leading underscore to one with. A symbol without a size extends
 * to the next symbol (at most 64 KiB), as assembler functions often have none. */
static void load_symbols(arena_t *a, modent_t *m)
{
    spanvec_t sv = {NULL, 0, 0};
    int n = dwfl_module_getsymtab(m->mod);
    for (int i = 1; i < n; i++) {
        GElf_Sym sym;
        GElf_Addr addr;
        GElf_Word shndx;
        const char *name = dwfl_module_getsym_info(m->mod, i, &sym, &addr, &shndx, NULL, NULL);
        int type = GELF_ST_TYPE(sym.st_info), bind = GELF_ST_BIND(sym.st_info);
        /* Untyped labels too (ld.so's _dl_start_user, hand-written assembly), last in rank. */
        if (!name || !*name || (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_NOTYPE) ||
            sym.st_shndx == SHN_UNDEF || sym.st_shndx == SHN_ABS || addr == 0)
            continue;
        unsigned rank = type == STT_NOTYPE ? 0u
                                           : 1u + (bind == STB_GLOBAL ? 4u : bind == STB_WEAK ? 2u : 0u) +
                                                 (name[0] != '_');
        /* Sizeless symbols get hi = lo + 1 for now (rank bit 16 marks them), fixed up below. */
        spanvec_push(&sv, addr, addr + (sym.st_size ? sym.st_size : 1), name, sym.st_size ? rank : rank | 16u,
                     NULL, 0, 0);
    }
    qsort(sv.v, sv.n, sizeof *sv.v, cmp_span);
    for (size_t i = 0; i < sv.n; i++)
        if (sv.v[i].depth & 16u) {
            sv.v[i].depth &= ~16u;
            uint64_t next = sv.v[i].lo + 65536;
            for (size_t k = i + 1; k < sv.n; k++)
                if (sv.v[k].lo > sv.v[i].lo) {
                    if (sv.v[k].lo < next)
                        next = sv.v[k].lo;
                    break;
                }
            sv.v[i].hi = next;
        }
    spans_finish(a, &sv, &m->syms);
}

/* Opens the module's file once: usable only if it exists, is ELF, and carries the
 * build-id the snapshot recorded (when one was recorded). Addresses inside the Dwfl
 * are file virtual addresses (reported at base 0). */
static void open_module(modent_t *m)
{
    m->state = -1;
    if (m->path[0] != '/') /* the shim records absolute paths; a relative one would be
                              resolved against our working directory, not the target's */
        return;
    struct stat st; /* libdw would open a FIFO or device named by a snapshot and block on it */
    if (stat(m->path, &st) < 0 || !S_ISREG(st.st_mode))
        return;
    m->dwfl = dwfl_begin(&callbacks);
    if (!m->dwfl)
        return;
    dwfl_report_begin(m->dwfl);
    m->mod = dwfl_report_elf(m->dwfl, m->base, m->path, -1, 0, false);
    dwfl_report_end(m->dwfl, NULL, NULL);
    if (!m->mod)
        return;
    if (m->bid_len) {
        const unsigned char *bits;
        GElf_Addr vaddr;
        int n = dwfl_module_build_id(m->mod, &bits, &vaddr);
        if (n != (int)m->bid_len || memcmp(bits, m->bid, m->bid_len) != 0)
            return; /* rebuilt since the snapshot: its symbols would lie */
    }
    m->state = 1;
}

static int has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

/* Libraries whose frames never are "the line that asked for memory". */
static int wrapper_module(const char *base)
{
    static const char *const libs[] = {"libc.so", "libc-2.", "libc.musl", "libstdc++.so",
                                       "libc++.so", "libc++abi.so", "libgcc_s", "ld-linux",
                                       "ld-2.", "ld-musl", "libleakscope.so"};
    for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++)
        if (has_prefix(base, libs[i]))
            return 1;
    return 0;
}

/* Functions that allocate on their caller's behalf: operator new/new[] (any overload),
 * glibc's internal aliases, and anything compiled from the C++ standard library
 * headers (std::allocator, vector growth, make_shared...) — their caller is the site. */
static int wrapper_function(const char *fn, const char *file)
{
    if (has_prefix(fn, "operator new") || has_prefix(fn, "__libc_") || has_prefix(fn, "__GI_"))
        return 1;
    return file && strstr(file, "/include/c++/") != NULL;
}

/* An inlined function from the system's headers (glibc's bits/stdio.h getline, an inline
 * wrapper of __getdelim, ...): the library call written in the program, compiled into it
 * only because the header defines it inline. Like the same call into libc.so when it is not
 * inlined, it is a wrapper: its caller is the site. Only for inlined frames — a function of
 * the program's own is never judged by the header its line happens to be in. */
static int system_header(const char *file)
{
    return file && has_prefix(file, "/usr/include/");
}

static modent_t *get_modent(ls_symbolizer_t *sym, const ls_module_t *mod)
{
    const char *path = intern(sym, mod->path ? mod->path : "");
    uint64_t bh = hash_bytes(mod->build_id, mod->build_id_len) ^ mod->build_id_len;
    modent_t *m = map_get(&sym->modules, (uintptr_t)path, bh);
    if (m && m->bid_len == mod->build_id_len && !memcmp(m->bid, mod->build_id, m->bid_len))
        return m;
    m = arena_alloc(&sym->arena, sizeof *m);
    memset(m, 0, sizeof *m);
    m->path = path;
    const char *slash = strrchr(path, '/');
    m->base = slash ? slash + 1 : path;
    m->bid_len = mod->build_id_len <= 64 ? mod->build_id_len : 64;
    memcpy(m->bid, mod->build_id, m->bid_len);
    m->wrapper = wrapper_module(m->base);
    m->next_all = sym->all;
    sym->all = m;
    map_put(&sym->modules, (uintptr_t)path, bh, m);
    return m;
}

/* ---- resolving one address ----------------------------------------------------------- */

/* The demangled form of a C++ name (interned), or the name itself. */
static const char *nice_name(ls_symbolizer_t *sym, const char *name)
{
    if (name[0] == '_' && name[1] == 'Z') {
        int status = 0;
        char *d = __cxa_demangle(name, NULL, NULL, &status);
        if (d && status == 0) {
            const char *r = intern(sym, d);
            free(d);
            return r;
        }
        free(d);
    }
    return intern(sym, name);
}

static const char *die_name(Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    const char *n = NULL;
    if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attr) ||
        dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr))
        n = dwarf_formstring(&attr);
    if (!n && dwarf_attr_integrate(die, DW_AT_name, &attr))
        n = dwarf_formstring(&attr);
    return n;
}

/* Every function and inlined call of a CU with its address ranges, in one walk of the
 * DIE tree (dwarf_getscopes per address would walk it for every address). `files` is the
 * CU's file table, for the call sites of inlined calls. */
static void collect_functions(Dwarf_Die *die, unsigned depth, spanvec_t *sv, Dwarf_Files *files,
                              size_t nfiles)
{
    do {
        int tag = dwarf_tag(die);
        if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine) {
            const char *name = die_name(die);
            const char *call_file = NULL;
            int call_line = 0;
            Dwarf_Attribute attr;
            Dwarf_Word w;
            if (tag == DW_TAG_inlined_subroutine) {
                if (dwarf_attr(die, DW_AT_call_file, &attr) && dwarf_formudata(&attr, &w) == 0 && files &&
                    w < nfiles)
                    call_file = dwarf_filesrc(files, w, NULL, NULL);
                if (dwarf_attr(die, DW_AT_call_line, &attr) && dwarf_formudata(&attr, &w) == 0 && w < INT32_MAX)
                    call_line = (int)w;
            }
            Dwarf_Addr base, lo, hi;
            ptrdiff_t off = 0;
            while (name && (off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0)
                spanvec_push(sv, lo, hi, name, depth, call_file, call_line, tag == DW_TAG_inlined_subroutine);
        }
        Dwarf_Die child;
        if (depth < 128 && dwarf_haschildren(die) > 0 && dwarf_child(die, &child) == 0)
            collect_functions(&child, depth + 1, sv, files, nfiles);
    } while (dwarf_siblingof(die, die) == 0);
}

#define MAX_INLINE 32

/* The functions (inlined or not) containing `addr`, innermost first, from DWARF; returns
 * how many (0 when DWARF does not cover the address). */
static size_t dwarf_functions(ls_symbolizer_t *sym, modent_t *m, Dwarf_Addr addr, const span_t **chain)
{
    Dwarf_Addr bias = 0;
    Dwarf_Die *cu = dwfl_module_addrdie(m->mod, addr, &bias);
    if (!cu)
        return 0;
    Dwarf_Off cuoff = dwarf_dieoffset(cu);
    spans_t *sp = map_get(&sym->cus, (uintptr_t)m, cuoff);
    if (!sp) {
        sp = arena_alloc(&sym->arena, sizeof *sp);
        spanvec_t sv = {NULL, 0, 0};
        Dwarf_Die top = *cu, child;
        Dwarf_Files *files = NULL;
        size_t nfiles = 0;
        if (dwarf_getsrcfiles(&top, &files, &nfiles) != 0)
            files = NULL, nfiles = 0;
        if (dwarf_child(&top, &child) == 0)
            collect_functions(&child, 1, &sv, files, nfiles);
        spans_finish(&sym->arena, &sv, sp);
        map_put(&sym->cus, (uintptr_t)m, cuoff, sp);
    }
    return spans_containing(sp, addr - bias, chain, MAX_INLINE);
}

/* How many of `chain` (innermost first) are frames of one address: the inlined calls and
 * the function around the outermost of them (a nested function is not inlined into the
 * function around it). */
static size_t inline_frames(const span_t *const *chain, size_t nchain)
{
    size_t n = 1;
    while (n < nchain && chain[n - 1]->inlined)
        n++;
    return nchain ? n : 0;
}

/* The innermost frame of `a`: DWARF's function (else the symbol table's), and the line
 * table's file and line. `fr->function` stays NULL when nothing names the address. */
static void innermost_frame(ls_symbolizer_t *sym, modent_t *m, Dwarf_Addr a, const span_t *const *chain,
                            size_t nchain, rframe_t *fr)
{
    const char *fn = nchain ? chain[0]->name : NULL;
    if (!fn) {
        if (!m->syms.v)
            load_symbols(&sym->arena, m);
        fn = spans_find(&m->syms, a);
    }
    if (fn && *fn)
        fr->function = nice_name(sym, fn);
    Dwfl_Line *line = dwfl_module_getsrc(m->mod, a);
    int lineno = 0;
    const char *file = line ? dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;
    if (file && *file) {
        fr->file = intern(sym, file);
        fr->line = lineno > 0 ? lineno : 0;
    }
}

/* `off` is the frame's file address (return address - bias); the lookup uses off - 1,
 * inside the call instruction, since a return address may already belong to the next
 * line or even the next function. Frame k > 0 is the function that frame k - 1 was
 * inlined into, at the file and line of that inlined call. */
static res_t *resolve(ls_symbolizer_t *sym, modent_t *m, uint64_t off)
{
    res_t *r = map_get(&sym->addrs, (uintptr_t)m, off);
    if (r)
        return r;
    if (m->state == 0)
        open_module(m);
    const span_t *chain[MAX_INLINE];
    size_t nchain = 0;
    Dwarf_Addr a = off ? off - 1 : 0;
    if (m->state == 1)
        nchain = inline_frames(chain, dwarf_functions(sym, m, a, chain));
    size_t n = nchain ? nchain : 1;
    r = arena_alloc(&sym->arena, sizeof *r + n * sizeof r->fr[0]);
    r->module = m->path;
    r->n = (unsigned)n;
    r->fr[0] = (rframe_t){NULL, sym->unknown, 0, 0};
    if (m->state == 1)
        innermost_frame(sym, m, a, chain, nchain, &r->fr[0]);
    if (!r->fr[0].function) {
        char buf[300];
        snprintf(buf, sizeof buf, "%.255s+0x%llx", m->base, (unsigned long long)off);
        r->fr[0].function = intern(sym, buf);
    }
    for (size_t k = 1; k < n; k++)
        r->fr[k] = (rframe_t){nice_name(sym, chain[k]->name),
                              chain[k - 1]->call_file ? intern(sym, chain[k - 1]->call_file) : sym->unknown,
                              chain[k - 1]->call_line, 0};
    /* An allocation wrapper inlined into the program's own code (std::vector growth, an
     * inline allocator, glibc's inline getline) is a frame above the line that called it. */
    for (size_t k = 0; k < n; k++)
        r->fr[k].wrapper = m->wrapper || wrapper_function(r->fr[k].function, r->fr[k].file) ||
                           (k + 1 < n && system_header(r->fr[k].file));
    map_put(&sym->addrs, (uintptr_t)m, off, r);
    return r;
}

/* ---- a snapshot's module map ---------------------------------------------------------- */

typedef struct {
    uint64_t start, end, bias;
    int unloaded;
    modent_t *me;
} mapent_t;

typedef struct {
    mapent_t *e;
    uint64_t *maxend; /* maxend[i] = max(e[0..i].end): stops the backward scan early */
    size_t n;
} modmap_t;

static int cmp_mapent(const void *a, const void *b)
{
    const mapent_t *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->unloaded - y->unloaded;
}

static void modmap_build(ls_symbolizer_t *sym, const ls_snapshot_t *snap, modmap_t *mm)
{
    mm->n = 0;
    mm->e = ls_xmalloc((snap->n_modules + 1) * sizeof *mm->e);
    mm->maxend = ls_xmalloc((snap->n_modules + 1) * sizeof *mm->maxend);
    for (size_t i = 0; i < snap->n_modules; i++) {
        const ls_module_t *m = &snap->modules[i];
        if (m->end <= m->start)
            continue;
        mm->e[mm->n++] = (mapent_t){m->start, m->end, m->bias, (int)(m->flags & 1), get_modent(sym, m)};
    }
    qsort(mm->e, mm->n, sizeof *mm->e, cmp_mapent);
    for (size_t i = 0; i < mm->n; i++)
        mm->maxend[i] = i && mm->maxend[i - 1] > mm->e[i].end ? mm->maxend[i - 1] : mm->e[i].end;
}

/* The module containing `a`; a loaded one is preferred over an unloaded one that
 * occupied the same addresses earlier. NULL when outside every module. */
static const mapent_t *modmap_find(const modmap_t *mm, uint64_t a)
{
    size_t lo = 0, hi = mm->n; /* first entry with start > a */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (mm->e[mid].start <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    const mapent_t *best = NULL;
    for (size_t i = lo; i-- > 0;) {
        if (mm->maxend[i] <= a)
            break;
        const mapent_t *e = &mm->e[i];
        if (a < e->end && (!best || (best->unloaded && !e->unloaded)))
            best = e;
    }
    return best;
}

/* ---- symbolizing a snapshot ------------------------------------------------------------ */

/* Resolves every frame of `site` into t->info (allocated here, in the arena): each
 * return address gives its function and, in front of it, the functions inlined there, so
 * t->ninfo >= site->nframes (at most LS_MAX_INFO: the outermost frames beyond are dropped).
 * t->loc is the first frame that is not an allocation wrapper. */
static void resolve_trace(ls_symbolizer_t *sym, const modmap_t *mm, const ls_site_t *site, trace_t *t)
{
    const res_t **rs = ls_xmalloc((site->nframes ? site->nframes : 1) * sizeof *rs);
    size_t total = 0;
    for (unsigned i = 0; i < site->nframes; i++) {
        const mapent_t *e = modmap_find(mm, site->frames[i]);
        rs[i] = e ? resolve(sym, e->me, site->frames[i] - e->bias) : NULL;
        total += rs[i] ? rs[i]->n : 1;
    }
    if (total > LS_MAX_INFO)
        total = LS_MAX_INFO;
    t->info = arena_alloc(&sym->arena, (total ? total : 1) * sizeof *t->info);
    t->loc = -1;
    size_t n = 0;
    for (unsigned i = 0; i < site->nframes && n < total; i++) {
        const res_t *r = rs[i];
        for (unsigned k = 0; k < (r ? r->n : 1) && n < total; k++, n++) {
            ls_frame_info_t *fi = &t->info[n];
            fi->addr = site->frames[i];
            if (!r) { /* outside every module */
                fi->function = fi->file = fi->module = sym->unknown;
                fi->line = 0;
                fi->inlined = 0;
            } else {
                fi->function = r->fr[k].function;
                fi->file = r->fr[k].file;
                fi->line = r->fr[k].line;
                fi->module = r->module;
                fi->inlined = k + 1 < r->n;
            }
            if (t->loc < 0 && !(r && r->fr[k].wrapper))
                t->loc = (int)n;
        }
    }
    t->ninfo = (uint16_t)n;
    if (t->loc < 0) /* every frame is a wrapper: the outermost one is all we have */
        t->loc = n ? (int)n - 1 : 0;
    free(rs);
}

static trace_t *trace_get(ls_symbolizer_t *sym, proc_t *p, uint32_t id)
{
    return id < p->cap ? p->by_id[id] : map_get(&sym->traces, (uintptr_t)p, id);
}

/* `limit` bounds the array (by the snapshot's size), so a stray huge id cannot make it huge. */
static void trace_put(ls_symbolizer_t *sym, proc_t *p, uint32_t id, trace_t *t, size_t limit)
{
    if (id >= p->cap && id < limit) {
        size_t cap = p->cap ? p->cap : 1024;
        while (cap <= id)
            cap *= 2;
        p->by_id = ls_xrealloc(p->by_id, cap * sizeof *p->by_id);
        memset(p->by_id + p->cap, 0, (cap - p->cap) * sizeof *p->by_id);
        p->cap = cap;
    }
    if (id < p->cap)
        p->by_id[id] = t;
    else
        map_put(&sym->traces, (uintptr_t)p, id, t);
}

void ls_symbolize_snapshot(ls_symbolizer_t *sym, ls_snapshot_t *snap)
{
    modmap_t mm = {NULL, NULL, 0};
    int have_map = 0;
    /* A process is known by its pid and start time. */
    proc_t *proc = map_get(&sym->procs, snap->pid, snap->start_mono_ns);
    if (!proc) {
        proc = arena_alloc(&sym->arena, sizeof *proc);
        memset(proc, 0, sizeof *proc);
        proc->next_all = sym->procs_all;
        sym->procs_all = proc;
        map_put(&sym->procs, snap->pid, snap->start_mono_ns, proc);
    }
    size_t limit = 4 * snap->n_sites + 4096;
    for (size_t s = 0; s < snap->n_sites; s++) {
        ls_site_t *site = &snap->sites[s];
        size_t fbytes = (size_t)site->nframes * sizeof(uint64_t);
        trace_t *t = trace_get(sym, proc, site->id);
        if (t && t->nframes == site->nframes && memcmp(t->frames, site->frames, fbytes) == 0) {
            site->info = t->info;
            site->ninfo = t->ninfo;
            site->loc = t->loc;
            continue;
        }
        if (!have_map) {
            modmap_build(sym, snap, &mm);
            have_map = 1;
        }
        t = arena_alloc(&sym->arena, sizeof *t);
        t->nframes = site->nframes;
        t->frames = arena_alloc(&sym->arena, fbytes ? fbytes : 1);
        memcpy(t->frames, site->frames, fbytes);
        resolve_trace(sym, &mm, site, t);
        trace_put(sym, proc, site->id, t, limit);
        site->info = t->info;
        site->ninfo = t->ninfo;
        site->loc = t->loc;
    }
    free(mm.e);
    free(mm.maxend);
}
