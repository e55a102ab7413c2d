/* teardown_grow.c — grows a list by one 304-byte node per step for 3000 steps (a snapshot
 * every 50), then frees every node before it exits: the exit snapshot shows 0 live bytes.
 * For tests/integration/classify_teardown.sh: the verdict rests on the series before the
 * teardown, and the report's LIVE/GROWTH columns must show that series' figures. */
#include <stdlib.h>
#include <string.h>

#include "leakscope.h"

#define STEPS 3000
#define NODE 304 /* a multiple of 8: sizeof(struct node) is exactly NODE */

struct node {
    struct node *next;
    char pad[NODE - sizeof(struct node *)];
};

static struct node *head;

static __attribute__((noinline)) void grow_list(void)
{
    struct node *n = malloc(sizeof *n);
    memset(n->pad, 2, sizeof n->pad);
    n->next = head;
    head = n;
}

int main(void)
{
    for (long step = 1; step <= STEPS; step++) {
        leakscope_mark((uint64_t)step);
        grow_list();
        if (step % 50 == 0)
            leakscope_snapshot("tick");
    }
    while (head) { /* teardown */
        struct node *n = head->next;
        free(head);
        head = n;
    }
    return 0;
}
