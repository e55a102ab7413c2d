/*
 * keep.c — thinning a process's snapshot files to LEAKSCOPE_KEEP (keep.h).
 *
 * The directory is read with getdents64 and files removed with unlinkat: no opendir (it
 * allocates) and no glibc lock, since the writer may run in a program's thread right
 * after a hook. Only this process's files are touched, matched by "<prog>.<pid>.".
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "keep.h"

static uint64_t keep_limit;

#define KEEP_MIN 3
#define KEEP_MAX 100000
#define NAME_MAX_KEPT 160

void ls_keep_configure(char *const *envp)
{
    static const char name[] = "LEAKSCOPE_KEEP=";
    for (; envp && *envp; envp++) {
        if (strncmp(*envp, name, sizeof name - 1) != 0)
            continue;
        const char *v = *envp + sizeof name - 1;
        uint64_t x = 0;
        size_t i = 0;
        for (; v[i] >= '0' && v[i] <= '9' && i < 7; i++)
            x = x * 10 + (uint64_t)(v[i] - '0');
        if (i == 0 || v[i] || x > KEEP_MAX) {
            ls_log("LEAKSCOPE_KEEP=%.40s is not a number of files up to %d; keeping every file", v, KEEP_MAX);
            return;
        }
        if (x && x < KEEP_MIN) {
            ls_log("LEAKSCOPE_KEEP=%.40s is below %d; keeping %d files", v, KEEP_MIN, KEEP_MIN);
            x = KEEP_MIN;
        }
        keep_limit = x;
        return;
    }
}

uint64_t ls_keep_limit(void)
{
    return keep_limit;
}

/* Among the middle files [lo, hi) not yet kept, the one whose distance from `newest` is
 * nearest `target` on a log scale; n when none is left. */
static size_t nearest(const uint64_t *seq, size_t lo, size_t hi, const unsigned char *keep, uint64_t newest,
                      double target)
{
    size_t best = (size_t)-1;
    double best_d = 0;
    for (size_t i = lo; i < hi; i++) {
        if (keep[i])
            continue;
        double d = fabs(log((double)(newest - seq[i])) - log(target));
        if (best == (size_t)-1 || d < best_d) {
            best = i;
            best_d = d;
        }
    }
    return best;
}

void ls_keep_choose(const uint64_t *seq, size_t n, uint64_t limit, unsigned char *keep)
{
    memset(keep, n <= limit, n);
    if (n <= limit)
        return;
    size_t recent = (size_t)(limit / 2), middle = (size_t)(limit - 1 - recent);
    keep[0] = 1;
    for (size_t i = n - recent; i < n; i++)
        keep[i] = 1;
    size_t lo = 1, hi = n - recent;
    uint64_t newest = seq[n - 1];
    double d0 = (double)(newest - seq[hi - 1]), span = (double)(newest - seq[0]);
    if (d0 < 1)
        d0 = 1;
    /* targets d0 * g^j, j = 1..middle, the last one reaching the first file's age */
    double g = pow(span / d0, 1.0 / (double)(middle + 1));
    for (size_t j = 1; j <= middle; j++) {
        size_t k = nearest(seq, lo, hi, keep, newest, d0 * pow(g, (double)j));
        if (k == (size_t)-1)
            break;
        keep[k] = 1;
    }
}

typedef struct {
    uint64_t seq;
    char name[NAME_MAX_KEPT];
} kept_file_t;

/* "<prefix><digits>.<label>.lss" -> the digits as a number; 0 when it does not match. */
static uint64_t seq_of(const char *name, const char *prefix, size_t plen)
{
    if (strncmp(name, prefix, plen) != 0)
        return 0;
    uint64_t v = 0;
    size_t i = plen;
    for (; name[i] >= '0' && name[i] <= '9' && i < plen + 18; i++)
        v = v * 10 + (uint64_t)(name[i] - '0');
    size_t len = strlen(name);
    if (i == plen || name[i] != '.' || len < 4 || strcmp(name + len - 4, ".lss") != 0)
        return 0;
    return v;
}

/* Read this process's files into f (sorted by seq); returns the count. */
static size_t list_files(int dfd, const char *prefix, kept_file_t *f, size_t cap)
{
    char buf[4096];
    size_t n = 0, plen = strlen(prefix);
    lseek(dfd, 0, SEEK_SET);
    for (;;) {
        long got = syscall(SYS_getdents64, dfd, buf, sizeof buf);
        if (got <= 0)
            break;
        for (long off = 0; off < got;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            off += d->d_reclen;
            uint64_t s = seq_of(d->d_name, prefix, plen);
            if (!s || n >= cap || strlen(d->d_name) >= NAME_MAX_KEPT)
                continue;
            size_t k = n++; /* insertion by seq */
            while (k > 0 && f[k - 1].seq > s) {
                f[k] = f[k - 1];
                k--;
            }
            f[k].seq = s;
            memcpy(f[k].name, d->d_name, strlen(d->d_name) + 1);
        }
    }
    return n;
}

void ls_keep_after_write(int dfd, const char *prog, uint64_t pid)
{
    if (!keep_limit)
        return;
    char prefix[96];
    int pl = snprintf(prefix, sizeof prefix, "%.60s.%llu.", prog, (unsigned long long)pid);
    if (pl <= 0 || (size_t)pl >= sizeof prefix)
        return;
    size_t cap = (size_t)keep_limit + 256;
    size_t bytes = cap * (sizeof(kept_file_t) + sizeof(uint64_t) + 1);
    kept_file_t *f = ls_pages_alloc(bytes);
    if (!f)
        return;
    uint64_t *seq = (uint64_t *)(f + cap);
    unsigned char *keep = (unsigned char *)(seq + cap);
    size_t n = list_files(dfd, prefix, f, cap);
    for (size_t i = 0; i < n; i++)
        seq[i] = f[i].seq;
    ls_keep_choose(seq, n, keep_limit, keep);
    for (size_t i = 0; i < n; i++)
        if (!keep[i])
            unlinkat(dfd, f[i].name, 0);
    ls_pages_free(f, bytes);
}
