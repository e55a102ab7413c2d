/*
 * util.c — helpers shared by the analyzer's commands (see util.h).
 */
#include "util.h"

#include <errno.h>
#include <stdlib.h>
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

void ls_json_string(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        switch (*c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*c < 0x20)
                fprintf(f, "\\u%04x", *c);
            else
                fputc(*c, f);
        }
    }
    fputc('"', f);
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
        return fflush(stdout) == 0 ? 0 : (ls_error("cannot write to standard output: %s", strerror(errno)), -1);
    }
    int bad = ferror(out->f) | (fflush(out->f) != 0);
    bad |= fclose(out->f) != 0;
    if (!bad && rename(out->tmp, out->path) != 0)
        bad = 1;
    if (bad) {
        ls_error("%s: cannot write: %s", out->path, strerror(errno));
        unlink(out->tmp);
    }
    free(out->path);
    free(out->tmp);
    return bad ? -1 : 0;
}
