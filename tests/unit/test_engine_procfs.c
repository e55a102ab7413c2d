/*
 * test_engine_procfs.c — the shim's streaming reader of /proc/self/maps (procfs.c), checked
 * against an independent line-by-line parse with stdio: the mapping holding the main
 * thread's stack ("[stack]"), a thread's stack, a mapping with a long file name (longer
 * than the reader's buffer), the first mapping's empty lower neighbour, and an address
 * no mapping holds; and that a name is cut to the caller's buffer.
 */
#include <check.h>

#include "check_main.h"
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "procfs.h"

/* The reference: the line of /proc/self/maps holding addr, parsed with sscanf. */
static int reference(uintptr_t addr, ls_mapping_t *m, char *name, size_t cap)
{
    FILE *f = fopen("/proc/self/maps", "r");
    ck_assert_ptr_nonnull(f);
    char line[8192];
    uintptr_t prev_end = 0;
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        int off = 0;
        ck_assert_int_eq(sscanf(line, "%lx-%lx %*s %*s %*s %*s%n", &lo, &hi, &off), 2);
        if (addr >= lo && addr < hi) {
            const char *p = line + off;
            while (*p == ' ')
                p++;
            snprintf(name, cap, "%.*s", (int)strcspn(p, "\n"), p);
            *m = (ls_mapping_t){lo, hi, prev_end};
            found = 1;
            break;
        }
        prev_end = hi;
    }
    fclose(f);
    return found;
}

static void same_as_reference(uintptr_t addr, const char *want_name)
{
    ls_mapping_t got, want;
    char got_name[4200], want_name_buf[4200];
    ck_assert_int_eq(reference(addr, &want, want_name_buf, sizeof want_name_buf), 1);
    ck_assert_int_eq(ls_maps_find(addr, &got, got_name, sizeof got_name), 1);
    ck_assert_uint_eq(got.start, want.start);
    ck_assert_uint_eq(got.end, want.end);
    ck_assert_uint_eq(got.prev_end, want.prev_end);
    ck_assert_str_eq(got_name, want_name_buf);
    if (want_name)
        ck_assert_str_eq(got_name, want_name);
}

START_TEST(main_stack)
{
    volatile char local = 0;
    same_as_reference((uintptr_t)&local, "[stack]");
}
END_TEST

static void *on_thread(void *arg)
{
    volatile char local = 0;
    (void)arg;
    same_as_reference((uintptr_t)&local, "");
    return NULL;
}

START_TEST(thread_stack)
{
    pthread_t tid;
    ck_assert_int_eq(pthread_create(&tid, NULL, on_thread, NULL), 0);
    ck_assert_int_eq(pthread_join(tid, NULL), 0);
}
END_TEST

/* A file mapped under a name of ~4000 bytes: lines longer than the reader's buffer. */
START_TEST(long_file_name)
{
    char dir[32] = "/tmp/ls-procfs-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[4200];
    snprintf(path, sizeof path, "%s/", dir);
    size_t n = strlen(path);
    for (int level = 0; level < 15; level++) {
        memset(path + n, 'd', 250);
        path[n + 250] = 0;
        mkdir(path, 0700);
        n += 250;
        path[n++] = '/';
        path[n] = 0;
    }
    strcat(path, "file");
    int fd = open(path, O_RDWR | O_CREAT, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, 4096), 0);
    char *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    ck_assert_ptr_ne(p, MAP_FAILED);
    same_as_reference((uintptr_t)p + 100, path);
    char small[8]; /* a name cut to the buffer */
    ls_mapping_t m;
    ck_assert_int_eq(ls_maps_find((uintptr_t)p, &m, small, sizeof small), 1);
    ck_assert_str_eq(small, "/tmp/ls");
    munmap(p, 4096);
    close(fd);
    unlink(path);
    for (char *slash; (slash = strrchr(path, '/')) && slash > path + strlen(dir); rmdir(path))
        *slash = 0;
    rmdir(dir);
}
END_TEST

START_TEST(unmapped_address)
{
    char *p = mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(p, MAP_FAILED);
    munmap(p + 4096, 4096); /* a hole between two mappings */
    ls_mapping_t m;
    char name[16];
    ck_assert_int_eq(ls_maps_find((uintptr_t)p + 4096, &m, name, sizeof name), 0);
    ck_assert_int_eq(ls_maps_find(0x1000, &m, name, sizeof name), 0);
    same_as_reference((uintptr_t)p + 2 * 4096, NULL);
    munmap(p, 4096);
    munmap(p + 2 * 4096, 4096);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("procfs");
    TCase *tc = tcase_create("maps");
    tcase_add_test(tc, main_stack);
    tcase_add_test(tc, thread_stack);
    tcase_add_test(tc, long_file_name);
    tcase_add_test(tc, unmapped_address);
    suite_add_tcase(s, tc);
    return ls_check_run(s, CK_NOFORK);
}
