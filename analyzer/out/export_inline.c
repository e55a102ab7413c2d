/*
 * export_inline.c — for the pprof export, the functions a frame's function was inlined into,
 * each with the line of the inlined call: pprof lists them as extra lines of one location
 * (innermost first), which the symbolizer's one-frame-per-address results (symbols.h) do not
 * carry. Read from the module's DWARF (the nest of DIEs around the frame's address), from the
 * separate debug file named by the build-id or else the module itself when its build-id
 * still matches; never from the network. Anything missing gives no extra lines.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export.h"
#include "util.h"

extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

typedef struct {
    const ls_module_t *mod;
    int fd;
    Elf *elf;
    Dwarf *dw; /* NULL: no usable DWARF */
} dw_module_t;

struct ls_inline_ctx {
    dw_module_t *mods;
    size_t n;
    char **owned; /* demangled names handed out */
    size_t n_owned;
};

ls_inline_ctx_t *ls_inline_new(void)
{
    return ls_xcalloc(1, sizeof(ls_inline_ctx_t));
}

void ls_inline_free(ls_inline_ctx_t *c)
{
    for (size_t i = 0; i < c->n; i++) {
        if (c->mods[i].dw)
            dwarf_end(c->mods[i].dw);
        if (c->mods[i].elf)
            elf_end(c->mods[i].elf);
        if (c->mods[i].fd >= 0)
            close(c->mods[i].fd);
    }
    for (size_t i = 0; i < c->n_owned; i++)
        free(c->owned[i]);
    free(c->owned);
    free(c->mods);
    free(c);
}

/* Opens `path` as ELF with DWARF; with `bid` set, only if its GNU build-id is that one. */
static int open_dwarf(dw_module_t *m, const char *path, const ls_module_t *bid)
{
    m->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (m->fd < 0)
        return -1;
    elf_version(EV_CURRENT);
    m->elf = elf_begin(m->fd, ELF_C_READ_MMAP, NULL);
    const void *id = NULL;
    ssize_t idlen = m->elf ? dwelf_elf_gnu_build_id(m->elf, &id) : -1;
    if (m->elf && (!bid || !bid->build_id_len ||
                   (idlen == (ssize_t)bid->build_id_len && !memcmp(id, bid->build_id, bid->build_id_len))))
        m->dw = dwarf_begin_elf(m->elf, DWARF_C_READ, NULL);
    if (m->dw)
        return 0;
    if (m->elf)
        elf_end(m->elf);
    close(m->fd);
    m->elf = NULL;
    m->fd = -1;
    return -1;
}

static dw_module_t *module_for(ls_inline_ctx_t *c, const ls_module_t *mod)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->mods[i].mod == mod)
            return &c->mods[i];
    c->mods = ls_xrealloc(c->mods, (c->n + 1) * sizeof *c->mods);
    dw_module_t *m = &c->mods[c->n++];
    *m = (dw_module_t){mod, -1, NULL, NULL};
    char path[64 + 2 * 64 + 16];
    if (mod->build_id_len >= 2) { /* Debian's -dbgsym layout */
        size_t o = (size_t)snprintf(path, sizeof path, "/usr/lib/debug/.build-id/%02x/", mod->build_id[0]);
        for (unsigned i = 1; i < mod->build_id_len && i < 64; i++)
            o += (size_t)snprintf(path + o, sizeof path - o, "%02x", mod->build_id[i]);
        snprintf(path + o, sizeof path - o, ".debug");
        if (open_dwarf(m, path, NULL) == 0)
            return m;
    }
    if (mod->path && mod->path[0] == '/')
        open_dwarf(m, mod->path, mod);
    return m;
}

/* A DIE's function name as the symbolizer gives it: the demangled linkage name, else the name. */
static const char *die_function(ls_inline_ctx_t *c, Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    const char *n = NULL;
    if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attr) || dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr))
        n = dwarf_formstring(&attr);
    if (!n && dwarf_attr_integrate(die, DW_AT_name, &attr))
        n = dwarf_formstring(&attr);
    if (n && n[0] == '_' && n[1] == 'Z') {
        int status = 0;
        char *d = __cxa_demangle(n, NULL, NULL, &status);
        if (d && status == 0) {
            c->owned = ls_xrealloc(c->owned, (c->n_owned + 1) * sizeof *c->owned);
            return c->owned[c->n_owned++] = d;
        }
        free(d);
    }
    return n;
}

static void call_site(Dwarf_Die *cu, Dwarf_Die *inl, ls_inline_line_t *out)
{
    Dwarf_Attribute attr;
    Dwarf_Word v = 0;
    Dwarf_Files *files;
    size_t nfiles;
    out->file = "??";
    out->line = 0;
    if (dwarf_attr(inl, DW_AT_call_line, &attr) && dwarf_formudata(&attr, &v) == 0)
        out->line = (int)v;
    if (dwarf_attr(inl, DW_AT_call_file, &attr) && dwarf_formudata(&attr, &v) == 0 &&
        dwarf_getsrcfiles(cu, &files, &nfiles) == 0 && v < nfiles) {
        const char *f = dwarf_filesrc(files, v, NULL, NULL);
        if (f)
            out->file = f;
    }
}

/* The DIEs of functions, inlined calls and blocks that contain `a`, outermost first, below
 * `die` (dwarf_getscopes would follow an inlined call into its abstract origin instead of the
 * function around it). Namespaces and classes are searched too. Returns the new depth. */
static int scope_path(Dwarf_Die *die, Dwarf_Addr a, Dwarf_Die *path, int depth, int max)
{
    Dwarf_Die child;
    if (depth >= max || dwarf_child(die, &child) != 0)
        return depth;
    do {
        int tag = dwarf_tag(&child);
        if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block) {
            if (dwarf_haspc(&child, a) == 1) {
                path[depth] = child;
                return scope_path(&path[depth], a, path, depth + 1, max);
            }
        } else if (tag == DW_TAG_namespace || tag == DW_TAG_class_type || tag == DW_TAG_structure_type ||
                   tag == DW_TAG_union_type) {
            int d = scope_path(&child, a, path, depth, max);
            if (d > depth)
                return d;
        }
    } while (dwarf_siblingof(&child, &child) == 0);
    return depth;
}

size_t ls_inline_callers(ls_inline_ctx_t *c, const ls_snapshot_t *snap, const ls_frame_info_t *fi,
                         ls_inline_line_t *out, size_t max)
{
    const ls_module_t *mod = NULL;
    for (size_t i = 0; i < snap->n_modules && !mod; i++)
        if (fi->addr >= snap->modules[i].start && fi->addr < snap->modules[i].end && !(snap->modules[i].flags & 1))
            mod = &snap->modules[i];
    if (!mod || !fi->addr || !fi->function)
        return 0;
    dw_module_t *m = module_for(c, mod);
    Dwarf_Die cu, path[64];
    Dwarf_Addr a = fi->addr - 1 - mod->bias;
    if (!m->dw || !dwarf_addrdie(m->dw, a, &cu))
        return 0;
    int depth = scope_path(&cu, a, path, 0, 64);
    size_t n = 0;
    int found = 0;
    Dwarf_Die *inner = NULL; /* the inlined call met last, whose call site is in the next function */
    for (int i = depth - 1; i >= 0 && n < max; i--) {
        int tag = dwarf_tag(&path[i]);
        if (tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine)
            continue;
        const char *name = die_function(c, &path[i]);
        if (found && inner && name) {
            out[n].function = name;
            call_site(&cu, inner, &out[n]);
            n++;
        } else if (!found && name && !strcmp(name, fi->function))
            found = 1;
        inner = tag == DW_TAG_inlined_subroutine ? &path[i] : NULL;
    }
    return n;
}
