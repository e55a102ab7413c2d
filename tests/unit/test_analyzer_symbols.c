/*
 * test_analyzer_symbols.c — symbolization (analyzer/symbols.c) against real binaries: this
 * test program and the libraries it runs with. The module map comes from dl_iterate_phdr,
 * as the shim builds it, and the addresses are real return addresses at known lines.
 */
#include <check.h>

#include "check_main.h"
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snapshot.h"
#include "symbols.h"

/* ---- the running process as a snapshot's module map --------------------------------------- */

static ls_module_t mods[256];
static size_t n_mods;
static char paths[256][4096];

static int add_module(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size, (void)data;
    if (n_mods == 256)
        return 1;
    const char *name = info->dlpi_name;
    if (n_mods == 0 && (!name || !*name)) { /* the main program */
        ssize_t n = readlink("/proc/self/exe", paths[0], sizeof paths[0] - 1);
        ck_assert_int_gt(n, 0);
        paths[0][n] = 0;
    } else if (name && name[0] == '/') {
        snprintf(paths[n_mods], sizeof paths[n_mods], "%s", name);
    } else {
        return 0; /* the vDSO */
    }
    ls_module_t *m = &mods[n_mods];
    memset(m, 0, sizeof *m);
    m->start = UINT64_MAX;
    m->bias = info->dlpi_addr;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uint64_t a = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD) {
            if (a < m->start)
                m->start = a;
            if (a + ph->p_memsz > m->end)
                m->end = a + ph->p_memsz;
        } else if (ph->p_type == PT_NOTE) {
            const uint8_t *p = (const uint8_t *)(uintptr_t)a, *end = p + ph->p_memsz;
            while (p + sizeof(ElfW(Nhdr)) <= end) {
                const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)(const void *)p;
                const uint8_t *nm = p + sizeof *nh, *desc = nm + ((nh->n_namesz + 3) & ~3u);
                if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && !memcmp(nm, "GNU", 4) &&
                    nh->n_descsz <= 64) {
                    memcpy(m->build_id, desc, nh->n_descsz);
                    m->build_id_len = nh->n_descsz;
                }
                p = desc + ((nh->n_descsz + 3) & ~3u);
            }
        }
    }
    m->path = paths[n_mods];
    n_mods++;
    return 0;
}

static void load_modules(void)
{
    n_mods = 0;
    dl_iterate_phdr(add_module, NULL);
    ck_assert_int_gt(n_mods, 2);
}

static ls_site_t one_site;
static uint64_t one_frames[8];

/* A snapshot of this process with one site whose frames are `f`. */
static ls_snapshot_t snap_of(const uint64_t *f, int n, uint64_t pid)
{
    ls_snapshot_t s;
    memset(&s, 0, sizeof s);
    s.pid = pid;
    s.path = "self";
    s.modules = mods;
    s.n_modules = n_mods;
    memcpy(one_frames, f, (size_t)n * sizeof *f);
    memset(&one_site, 0, sizeof one_site);
    one_site.id = 1;
    one_site.nframes = (uint16_t)n;
    one_site.frames = one_frames;
    s.sites = &one_site;
    s.n_sites = 1;
    return s;
}

static const char *base(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* ---- code at known lines ------------------------------------------------------------------ */

__attribute__((noinline, noipa)) static uint64_t capture_ra(void)
{
    return (uint64_t)(uintptr_t)__builtin_return_address(0);
}

/* The call and the line number on one line; the asm keeps the call from being a tail call. */
__attribute__((noinline, noipa)) static uint64_t known_caller(int *line)
{
    uint64_t ra = capture_ra(); *line = __LINE__;
    __asm__ volatile("" ::: "memory");
    return ra;
}

static inline __attribute__((always_inline)) uint64_t inlined_helper(int *line)
{
    uint64_t ra = capture_ra(); *line = __LINE__;
    return ra;
}

static int outer_call_line; /* the line where outer_with_inline calls inlined_helper */

__attribute__((noinline, noipa)) static uint64_t outer_with_inline(int *line)
{
    uint64_t ra = inlined_helper(line); outer_call_line = __LINE__;
    __asm__ volatile("" ::: "memory");
    return ra;
}

/* ---- tests --------------------------------------------------------------------------------- */

START_TEST(resolves_function_file_line)
{
    load_modules();
    int line = 0;
    uint64_t ra = known_caller(&line);
    ls_snapshot_t s = snap_of(&ra, 1, 1);
    ls_symbolizer_t *sym = ls_symbolizer_new();
    ls_symbolize_snapshot(sym, &s);
    const ls_frame_info_t *fi = &one_site.info[0];
    ck_assert_uint_eq(fi->addr, ra);
    ck_assert_str_eq(fi->function, "known_caller");
    ck_assert_str_eq(base(fi->file), "test_analyzer_symbols.c");
    ck_assert_int_eq(fi->line, line);
    ck_assert_str_eq(fi->module, paths[0]);
    ck_assert_int_eq(one_site.loc, 0);
    ls_symbolizer_free(sym);
}
END_TEST

START_TEST(inlined_function_is_named)
{
    load_modules();
    int line = 0;
    uint64_t ra = outer_with_inline(&line);
    ls_snapshot_t s = snap_of(&ra, 1, 1);
    ls_symbolizer_t *sym = ls_symbolizer_new();
    ls_symbolize_snapshot(sym, &s);
    ck_assert_str_eq(one_site.info[0].function, "inlined_helper");
    ck_assert_int_eq(one_site.info[0].line, line);
    /* Issue 14: the function it was inlined into is the next frame, at the line of the call. */
    ck_assert_int_eq(one_site.nframes, 1);
    ck_assert_int_eq(one_site.ninfo, 2);
    ck_assert_int_eq(one_site.info[0].inlined, 1);
    ck_assert_str_eq(one_site.info[1].function, "outer_with_inline");
    ck_assert_str_eq(base(one_site.info[1].file), "test_analyzer_symbols.c");
    ck_assert_int_eq(one_site.info[1].line, outer_call_line);
    ck_assert_int_eq(one_site.info[1].inlined, 0);
    ck_assert_uint_eq(one_site.info[1].addr, ra);
    ck_assert_int_eq(one_site.loc, 0);
    ls_symbolizer_free(sym);
}
END_TEST

/* operator new from libstdc++ (loaded: the analyzer uses __cxa_demangle): demangled, and
 * a wrapper, as are libc's frames; the location is the first frame of this program. */
START_TEST(demangles_and_skips_wrappers)
{
    load_modules();
    /* From the libraries themselves: under ASan, the default lookup finds its interposers. */
    void *cxx = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_NOLOAD), *c = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    ck_assert_ptr_nonnull(cxx);
    ck_assert_ptr_nonnull(c);
    void *opnew = dlsym(cxx, "_Znwm");
    void *sdup = dlsym(c, "strdup");
    ck_assert_ptr_nonnull(opnew);
    ck_assert_ptr_nonnull(sdup);
    int line = 0;
    uint64_t f[3] = {(uint64_t)(uintptr_t)opnew + 1, (uint64_t)(uintptr_t)sdup + 1, known_caller(&line)};
    ls_snapshot_t s = snap_of(f, 3, 1);
    ls_symbolizer_t *sym = ls_symbolizer_new();
    ls_symbolize_snapshot(sym, &s);
    ck_assert_str_eq(one_site.info[0].function, "operator new(unsigned long)");
    ck_assert_ptr_nonnull(strstr(base(one_site.info[0].module), "libstdc++.so"));
    ck_assert_ptr_nonnull(strstr(base(one_site.info[1].module), "libc.so"));
    ck_assert_int_eq(one_site.loc, 2);
    ck_assert_str_eq(one_site.info[2].function, "known_caller");

    /* Every frame a wrapper: the outermost is the location. */
    ls_snapshot_t s2 = snap_of(f, 2, 2);
    ls_symbolize_snapshot(sym, &s2);
    ck_assert_int_eq(one_site.loc, 1);
    ls_symbolizer_free(sym);
    dlclose(cxx);
    dlclose(c);
}
END_TEST

START_TEST(missing_module_and_foreign_build_id)
{
    load_modules();
    int line = 0;
    uint64_t ra = known_caller(&line);
    /* The test program's module with another build-id: as if it had been rebuilt. */
    mods[0].build_id[0] ^= 0xff;
    uint64_t off = ra - mods[0].bias;
    ls_snapshot_t s = snap_of(&ra, 1, 1);
    ls_symbolizer_t *sym = ls_symbolizer_new();
    ls_symbolize_snapshot(sym, &s);
    char want[4200];
    snprintf(want, sizeof want, "%s+0x%llx", base(paths[0]), (unsigned long long)off);
    ck_assert_str_eq(one_site.info[0].function, want);
    ck_assert_str_eq(one_site.info[0].file, "??");
    ck_assert_int_eq(one_site.info[0].line, 0);
    mods[0].build_id[0] ^= 0xff;
    ls_symbolizer_free(sym);

    /* A module whose file is gone; an address outside every module. */
    ls_module_t gone = {.start = 0x10000, .end = 0x20000, .bias = 0x10000, .path = "/nonexistent/libgone.so.1"};
    ls_snapshot_t g;
    memset(&g, 0, sizeof g);
    g.modules = &gone;
    g.n_modules = 1;
    uint64_t f[2] = {0x10234, 0x5};
    ls_site_t site = {.id = 7, .nframes = 2, .frames = f};
    g.sites = &site;
    g.n_sites = 1;
    sym = ls_symbolizer_new();
    ls_symbolize_snapshot(sym, &g);
    ck_assert_str_eq(site.info[0].function, "libgone.so.1+0x234");
    ck_assert_str_eq(site.info[0].file, "??");
    ck_assert_str_eq(site.info[0].module, "/nonexistent/libgone.so.1");
    ck_assert_str_eq(site.info[1].function, "??");
    ck_assert_str_eq(site.info[1].module, "??");
    ck_assert_int_eq(site.loc, 0);
    ls_symbolizer_free(sym);
}
END_TEST

/* A series resolves each trace once; a changed trace under the same id is resolved anew. */
START_TEST(caches_per_process_and_site)
{
    load_modules();
    int line = 0, line2 = 0;
    uint64_t ra = known_caller(&line), rb = outer_with_inline(&line2);
    ls_symbolizer_t *sym = ls_symbolizer_new();
    ls_snapshot_t s = snap_of(&ra, 1, 1);
    ls_symbolize_snapshot(sym, &s);
    const ls_frame_info_t *first = one_site.info;
    s = snap_of(&ra, 1, 1);
    ls_symbolize_snapshot(sym, &s);
    ck_assert_ptr_eq(one_site.info, first);
    s = snap_of(&rb, 1, 1);
    ls_symbolize_snapshot(sym, &s);
    ck_assert_ptr_ne(one_site.info, first);
    ck_assert_str_eq(one_site.info[0].function, "inlined_helper");
    ck_assert_str_eq(first[0].function, "known_caller"); /* still valid */
    /* Another process: its own entry, the same interned strings. */
    s = snap_of(&ra, 1, 99);
    ls_symbolize_snapshot(sym, &s);
    ck_assert_ptr_ne(one_site.info, first);
    ck_assert_ptr_eq(one_site.info[0].function, first[0].function);
    ls_symbolizer_free(sym);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("analyzer_symbols");
    TCase *t = tcase_create("core");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, resolves_function_file_line);
    tcase_add_test(t, inlined_function_is_named);
    tcase_add_test(t, demangles_and_skips_wrappers);
    tcase_add_test(t, missing_module_and_foreign_build_id);
    tcase_add_test(t, caches_per_process_and_site);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return ls_check_run(suite(), CK_FORK_GETENV);
}
