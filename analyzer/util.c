/*
 * util.c — helpers shared by the analyzer's commands (see util.h).
 */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

static void out_of_memory(void)
{
    fputs("leakscope: out of memory\n", stderr);
    exit(LS_EXIT_USAGE);
}

void *ls_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *ls_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *ls_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        out_of_memory();
    return q;
}

char *ls_xstrdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        out_of_memory();
    return d;
}

char *ls_xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        out_of_memory();
    return s;
}

int ls_error(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One line, always: fold any newline a file name or message carried. */
    for (char *c = line; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    fprintf(stderr, "leakscope: %s\n", line);
    return LS_EXIT_USAGE;
}

int ls_parse_u64(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when it is not one. */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || (n == 2 && c < 0xC2) || (n == 4 && c > 0xF4))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((n == 3 && c == 0xE0 && s[1] < 0xA0) || (n == 3 && c == 0xED && s[1] >= 0xA0) ||
        (n == 4 && c == 0xF0 && s[1] < 0x90) || (n == 4 && c == 0xF4 && s[1] >= 0x90))
        return 0; /* overlong, surrogate or beyond U+10FFFF */
    return n;
}

/* s with every invalid byte replaced by U+FFFD, or NULL when s is valid as it is. */
static char *utf8_repair(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (u[i] && utf8_seq(u + i))
        i += utf8_seq(u + i);
    if (!u[i])
        return NULL;
    char *out = ls_xmalloc(3 * strlen(s) + 1), *o = out;
    for (i = 0; u[i];) {
        size_t n = utf8_seq(u + i);
        if (n) {
            memcpy(o, u + i, n);
            o += n, i += n;
        } else {
            memcpy(o, "\xEF\xBF\xBD", 3);
            o += 3, i++;
        }
    }
    *o = 0;
    return out;
}

void ls_json_string(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    char *fixed = utf8_repair(s);
    json_t *v = json_string(fixed ? fixed : s);
    if (!v || json_dumpf(v, f, JSON_ENCODE_ANY) < 0)
        fputs("null", f); /* out of memory in jansson: a valid document still */
    json_decref(v);
    free(fixed);
}

void ls_json_number(FILE *f, double v)
{
    if (!isfinite(v))
        fputs("null", f);
    else if (v == floor(v) && fabs(v) < 9e15)
        fprintf(f, "%.0f", v);
    else
        fprintf(f, "%.6g", v);
}

int ls_read_file(const char *path, size_t max, const char *what, char **buf, size_t *len, char *err,
                 size_t errlen)
{
    *buf = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    const char *why = NULL;
    if (fd < 0 || fstat(fd, &st) < 0)
        why = strerror(errno);
    else if (!S_ISREG(st.st_mode))
        why = S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file";
    else if ((uint64_t)st.st_size > max)
        why = "too large";
    size_t cap = why ? 0 : (size_t)st.st_size + 1, n = 0;
    char *b = why ? NULL : ls_xmalloc(cap + 1);
    while (!why) { /* the file may grow or shrink while it is read */
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            why = strerror(errno);
        else if (r == 0)
            break;
        else if ((n += (size_t)r) > max)
            why = "too large";
        else if (n == cap)
            b = ls_xrealloc(b, (cap *= 2) + 1);
    }
    if (fd >= 0)
        close(fd);
    if (why) {
        if (!strcmp(why, "too large"))
            snprintf(err, errlen, "%s: %s: too large (over %zu bytes)", path, what, max);
        else
            snprintf(err, errlen, "%s: %s: %s", path, what, why);
        free(b);
        return -1;
    }
    b[n] = 0;
    *buf = b;
    *len = n;
    return 0;
}

void ls_markup_escape(FILE *f, const char *s)
{
    for (; s && *s; s++)
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
                fputc(*s, f);
        }
}

const char *ls_format_size(char *buf, size_t len, int64_t bytes, int sign)
{
    /* tracemalloc's _format_size: "xx.x UNIT" below 100 of a unit above bytes, else a
     * whole number of the largest unit that keeps it under 10 * 1024. */
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double size = (double)bytes;
    for (unsigned u = 0;; u++) {
        double mag = size < 0 ? -size : size;
        if (u > 0 && mag < 100) {
            snprintf(buf, len, sign ? "%+.1f %s" : "%.1f %s", size, units[u]);
            return buf;
        }
        if (mag < 10 * 1024 || u == 4) {
            snprintf(buf, len, sign ? "%+.0f %s" : "%.0f %s", size, units[u]);
            return buf;
        }
        size /= 1024;
    }
}

int ls_out_open(ls_out_t *out, const char *path)
{
    memset(out, 0, sizeof *out);
    if (!path || strcmp(path, "-") == 0) {
        out->f = stdout;
        return 0;
    }
    out->path = ls_xstrdup(path);
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        /* A device or a FIFO (/dev/full, /dev/stdout): written in place, never replaced. */
        out->f = fopen(path, "w");
        if (!out->f) {
            ls_error("%s: cannot write: %s", path, strerror(errno));
            free(out->path);
            return -1;
        }
        return 0;
    }
    out->tmp = ls_xasprintf("%s.tmp.%ld", path, (long)getpid());
    out->f = fopen(out->tmp, "wx");
    if (!out->f) {
        ls_error("%s: cannot write: %s", path, strerror(errno));
        free(out->path);
        free(out->tmp);
        return -1;
    }
    return 0;
}

int ls_out_close(ls_out_t *out)
{
    if (out->f == stdout) {
        if (fflush(stdout) == 0 && !ferror(stdout))
            return 0;
        ls_error("cannot write to standard output: %s", strerror(errno ? errno : EIO));
        return -1;
    }
    int bad = ferror(out->f) | (fflush(out->f) != 0);
    bad |= fclose(out->f) != 0;
    if (!bad && out->tmp && rename(out->tmp, out->path) != 0)
        bad = 1;
    if (bad) {
        ls_error("%s: cannot write: %s", out->path, strerror(errno ? errno : EIO));
        if (out->tmp)
            unlink(out->tmp);
    }
    free(out->path);
    free(out->tmp);
    return bad ? -1 : 0;
}
