/*
 * review_handler_overflow.c — a timer signal handler frees more blocks at a time than
 * the shim can defer (64) and moves a block with realloc, while the main thread churns
 * malloc/free, so the handler mostly interrupts one of the shim's hooks: some of those
 * blocks leave the table untracked and their entries go stale. The main thread then
 * allocates blocks of the same size again, which glibc hands out at the freed addresses,
 * so every stale entry must be found and settled, wherever it lies in the table: at exit the lines that allocated the
 * handler's blocks hold nothing, and the line that allocated them again holds all N.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

#define N 4000    /* blocks the handler frees */
#define BATCH 100 /* per signal: more than the shim's deferred-free queue holds */
#define MOVED 40  /* blocks the handler moves with realloc, one per signal */
#define SIZE 48
#define FILL 9000 /* live blocks of assorted sizes: the table is dense, so that many
                   * entries (stale ones too) lie past their home bucket */

void *volatile blocks[N];
void *volatile moving[MOVED];
void *volatile again[N + MOVED];
void *volatile filler[FILL];
volatile int nfreed, nmoved;

static void on_alarm(int s)
{
    (void)s;
    for (int k = 0; k < BATCH && nfreed < N; k++) {
        free(blocks[nfreed]);
        blocks[nfreed] = 0;
        nfreed++;
    }
    if (nmoved < MOVED) {
        moving[nmoved] = realloc(moving[nmoved], 200); /* moves: the old address is freed */
        nmoved++;
    }
}

int main(void)
{
    unsigned x = 12345;
    for (int i = 0; i < FILL; i++) {
        x = x * 1103515245u + 12345u;
        filler[i] = malloc(16 + (x >> 16) % 500);
    }
    for (int i = 0; i < MOVED; i++)
        moving[i] = malloc(SIZE); /* SITE:handler_moved */
    for (int i = 0; i < N; i++)
        blocks[i] = malloc(SIZE); /* SITE:handler_freed */
    signal(SIGALRM, on_alarm);
    struct itimerval it = {{0, 200}, {0, 200}};
    setitimer(ITIMER_REAL, &it, NULL);
    unsigned long s = 0;
    while (nfreed < N || nmoved < MOVED) {
        void *volatile p = malloc(24);
        s += (unsigned long)p & 1;
        free(p);
    }
    it.it_value.tv_usec = 0;
    it.it_interval.tv_usec = 0;
    setitimer(ITIMER_REAL, &it, NULL);
    /* The freed addresses come back (glibc reuses a size's freed chunks first). */
    for (int i = 0; i < N + MOVED; i++)
        again[i] = malloc(SIZE); /* SITE:allocated_again */
    for (int i = 0; i < MOVED; i++)
        free(moving[i]);
    for (int i = 0; i < FILL; i++)
        free(filler[i]);
    printf("freed %d moved %d\n", nfreed, nmoved);
    return 0;
}
