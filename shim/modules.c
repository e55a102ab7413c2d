/*
 * modules.c — keeps the module map (see modules.h). Build-ids are read from the
 * PT_NOTE segments already mapped in memory: no file is opened.
 *
 * Locking: modules_lock guards the list; dl_iterate_phdr (which takes the loader's
 * lock) is called with it held, and nothing called from here allocates.
 */
#include <link.h>
#include <string.h>
#include <unistd.h>

#include "modules.h"

static ls_spinlock_t modules_lock;
static ls_module_t *modules_head;
static char exe_path[4096];
static size_t exe_path_len;

static void read_build_id(const struct dl_phdr_info *info, uint8_t *out, uint8_t *len)
{
    *len = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            size_t name_sz = (nh->n_namesz + 3) & ~3u, desc_sz = (nh->n_descsz + 3) & ~3u;
            const char *name = p + sizeof *nh, *desc = name + name_sz;
            if (desc + desc_sz > end)
                break;
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0 &&
                nh->n_descsz > 0 && nh->n_descsz <= 64) {
                memcpy(out, desc, nh->n_descsz);
                *len = (uint8_t)nh->n_descsz;
                return;
            }
            p = desc + desc_sz;
        }
    }
}

static int visit(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    const char *path = info->dlpi_name;
    size_t path_len;
    if (!path || !path[0]) { /* the executable */
        if (!exe_path_len) {
            ssize_t n = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
            exe_path_len = n > 0 ? (size_t)n : 0;
        }
        path = exe_path;
        path_len = exe_path_len;
    } else {
        path_len = strlen(path);
    }
    if (path_len == 0 || path[0] != '/') /* the vDSO, or an object with no file */
        return 0;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uint64_t a = info->dlpi_addr + ph->p_vaddr;
        if (a < lo)
            lo = a;
        if (a + ph->p_memsz > hi)
            hi = a + ph->p_memsz;
    }
    if (lo >= hi)
        return 0;
    for (ls_module_t *m = modules_head; m; m = m->next) {
        if (m->start == lo && m->bias == info->dlpi_addr && m->path_len == path_len &&
            memcmp(m->path, path, path_len) == 0 && !(m->flags & 1)) {
            m->seen = 1;
            return 0;
        }
    }
    if (path_len > 4095)
        path_len = 4095;
    ls_module_t *m = ls_arena_alloc(sizeof *m + path_len + 1);
    if (!m)
        return 0;
    memset(m, 0, sizeof *m);
    m->start = lo;
    m->end = hi;
    m->bias = info->dlpi_addr;
    m->seen = 1;
    read_build_id(info, m->build_id, &m->build_id_len);
    m->path_len = (uint16_t)path_len;
    memcpy(m->path, path, path_len);
    m->path[path_len] = 0;
    /* Append, so the executable stays first. */
    ls_module_t **tail = &modules_head;
    while (*tail)
        tail = &(*tail)->next;
    *tail = m;
    return 0;
}

void ls_modules_refresh(void)
{
    ls_spin_lock(&modules_lock);
    for (ls_module_t *m = modules_head; m; m = m->next)
        m->seen = 0;
    dl_iterate_phdr(visit, NULL);
    for (ls_module_t *m = modules_head; m; m = m->next)
        if (!m->seen)
            m->flags |= 1;
    ls_spin_unlock(&modules_lock);
}

ls_module_t *ls_modules_list(void)
{
    return modules_head;
}

void ls_modules_lock(void)
{
    ls_spin_lock(&modules_lock);
}

void ls_modules_unlock(void)
{
    ls_spin_unlock(&modules_lock);
}
