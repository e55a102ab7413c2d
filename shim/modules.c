/*
 * modules.c — keeps the module map (see modules.h). Build-ids are read from the
 * PT_NOTE segments already mapped in memory: no file is opened.
 *
 * Locking: modules_lock guards the list; dl_iterate_phdr (which takes the loader's
 * lock) is called with it held, and nothing called from here allocates.
 * Modules that vanish keep their address range reserved (reserve_range), so later
 * objects never load where their frames point.
 */
#include <errno.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "procfs.h"
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

/* The absolute path of the file mapped at address `at` (maps.c). 0 when not found. */
static size_t mapped_file_path(uint64_t at, char *out, size_t cap)
{
    ls_mapping_t m;
    if (!ls_maps_find((uintptr_t)at, &m, out, cap) || out[0] != '/')
        return 0;
    return strlen(out);
}

static int visit(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    static char resolved[4096];
    const char *path = info->dlpi_name;
    size_t path_len;
    if (!path || !path[0]) { /* the executable */
        if (!exe_path_len) {
            ssize_t n = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
            if (n <= 0) /* the main thread has exited: ask through this thread */
                n = readlink("/proc/thread-self/exe", exe_path, sizeof exe_path - 1);
            exe_path_len = n > 0 ? (size_t)n : 0;
        }
        path = exe_path;
        path_len = exe_path_len;
    } else {
        path_len = strlen(path);
    }
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
    /* Loaded by a relative path (dlopen("./plugin.so"), a relative LD_PRELOAD): the
     * loader keeps the name as given, so ask the kernel which file is mapped there. */
    if (path_len > 0 && path[0] != '/') {
        for (ls_module_t *m = modules_head; m; m = m->next)
            if (m->start == lo && m->bias == info->dlpi_addr && !(m->flags & 1)) {
                m->seen = 1;
                return 0;
            }
        path_len = mapped_file_path(lo, resolved, sizeof resolved);
        path = resolved;
    }
    if (path_len == 0 || path[0] != '/') /* the vDSO, or an object with no file */
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

/* Keep the addresses of an object that went away (dlclose) from being given to
 * another one: a snapshot's frames are bare addresses, so a library loaded later at the
 * same place would take over the unloaded one's sites. A PROT_NONE reservation costs
 * address space only; there are at most LS_MAX_RESERVED of them (each is a mapping, and
 * the kernel limits those), and none under an address-space limit, where they would eat
 * into the program's own. Called with modules_lock held. */
#define LS_MAX_RESERVED 4096
static unsigned reserved;

static void reserve_range(uint64_t start, uint64_t end)
{
    struct rlimit rl;
    int saved = errno;
    if (reserved < LS_MAX_RESERVED && getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur == RLIM_INFINITY) {
        uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
        uint64_t lo = start & ~(page - 1), hi = (end + page - 1) & ~(page - 1);
        void *p = mmap((void *)lo, hi - lo, PROT_NONE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
        if (p != MAP_FAILED && p != (void *)lo) /* a kernel that took the address as a hint */
            munmap(p, hi - lo);
        else if (p != MAP_FAILED) /* (MAP_FAILED: already taken again, nothing to keep) */
            reserved++;
    }
    errno = saved;
}

void ls_modules_refresh(void)
{
    ls_spin_lock(&modules_lock);
    for (ls_module_t *m = modules_head; m; m = m->next)
        m->seen = 0;
    dl_iterate_phdr(visit, NULL);
    for (ls_module_t *m = modules_head; m; m = m->next)
        if (!m->seen && !(m->flags & 1)) {
            m->flags |= 1;
            reserve_range(m->start, m->end);
        }
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
