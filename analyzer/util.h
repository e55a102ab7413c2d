/*
 * util.h — small helpers shared by the analyzer's commands: allocation that
 * cannot return NULL, the one-line error convention (exit status 2), JSON string and
 * number output, human-readable sizes, bounded reads of regular files, and atomic file
 * output (temporary file + rename).
 */
#ifndef LS_UTIL_H
#define LS_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LS_EXIT_OK 0
#define LS_EXIT_FAIL 1
#define LS_EXIT_USAGE 2

void *ls_xmalloc(size_t n);
void *ls_xcalloc(size_t n, size_t size);
void *ls_xrealloc(void *p, size_t n);
char *ls_xstrdup(const char *s);
char *ls_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "leakscope: <message>" on one line to stderr. Returns LS_EXIT_USAGE so
 * callers can write `return ls_error("...")`. */
int ls_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parse a non-negative decimal integer that fits in *out; 0 on success, -1 if malformed. */
int ls_parse_u64(const char *s, uint64_t *out);

/* Write `s` as a JSON string literal (with quotes), encoded by jansson; bytes that are not
 * valid UTF-8 become U+FFFD, so the output is always valid UTF-8. NULL writes null. */
void ls_json_string(FILE *f, const char *s);

/* Write `v` as a JSON number, not through jansson (which prints reals as %.17g and rewrites
 * exponents, "1.5e+06" as "1.5e6", changing numbers scripts already read): integral values
 * below 9e15 as integers, others with six significant digits (%.6g), non-finite ones as null. */
void ls_json_number(FILE *f, double v);

/* The version of the JSON documents leakscope writes (`schema_version`, first field):
 * raised when a field changes meaning or goes away, not when one is added. */
#define LS_JSON_SCHEMA_VERSION 1

/* Read a whole regular file of at most `max` bytes into a NUL-terminated buffer (*buf,
 * freed by the caller). Anything else — a FIFO, a device, a directory, a larger file — is
 * refused without blocking or reading it. Returns 0, or -1 with "<path>: <what>: <why>"
 * in err. */
int ls_read_file(const char *path, size_t max, const char *what, char **buf, size_t *len, char *err,
                 size_t errlen);

/* Write `s` escaped for XML and HTML text and attribute values (&, <, >, ", ');
 * control characters other than newline and tab, which XML 1.0 forbids, are dropped. */
void ls_markup_escape(FILE *f, const char *s);

/* Format a byte count like tracemalloc ("12.5 KiB", "768 B"); signed when `sign`. */
const char *ls_format_size(char *buf, size_t len, int64_t bytes, int sign);

/* Atomic output: ls_out_open() returns a stream writing to a temporary file beside
 * `path` (or stdout when path is NULL or "-"; or `path` itself when it is a device or a
 * FIFO, which is never replaced); ls_out_close() flushes, checks every write and the close,
 * and renames the file into place. Returns 0, or -1 after printing the error. */
typedef struct {
    FILE *f;
    char *path, *tmp;
} ls_out_t;
int ls_out_open(ls_out_t *out, const char *path);
int ls_out_close(ls_out_t *out);

#endif /* LS_UTIL_H */
