/*
 * export_service.c — a small long-running service for `leakscope watch`
 * (tests/integration/export_watch.sh): it handles one request per line of standard input and
 * keeps a copy of every request in a log it never trims (the leak), until end of input; then
 * it prints the bytes it holds, so the test knows the exact figure to expect.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    struct entry *next;
    char *text;
};

static struct entry *request_log;

static size_t remember(const char *line)
{
    struct entry *e = malloc(sizeof *e); /* SITE:log_entry */
    e->text = strdup(line);              /* SITE:log_text */
    e->next = request_log;
    request_log = e;
    return sizeof *e + strlen(line) + 1;
}

int main(void)
{
    char line[256];
    size_t held = 0, requests = 0;
    setvbuf(stdin, NULL, _IONBF, 0); /* no stdio buffer: the bytes held are the log's alone */
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        held += remember(line);
        requests++;
    }
    printf("requests %zu held %zu\n", requests, held);
    return 0;
}
