/*
 * review_handler_overflow.c — a timer signal handler frees more blocks at a time than
 * the shim can defer (64) and moves a block with realloc, while the main thread churns
 * malloc/free, so the handler mostly interrupts one of the shim's hooks: some of those
 * blocks leave the table untracked and their entries go stale. The main thread then
 * allocates blocks of the same size again, which glibc hands out at the freed addresses,
 * so every stale entry must be found and settled, wherever it lies in the table: at exit
 * the lines that allocated the handler's blocks hold nothing, and the line that allocated
 * them again holds all of them. The program checks that glibc did hand every freed
 * address out again ("reused N of N"): an address it did not would keep its stale entry.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define N 4000    /* blocks the handler frees */
#define BATCH 100 /* per signal: more than the shim's deferred-free queue holds */
#define MOVED 40  /* blocks the handler moves with realloc, one per signal */
#define SIZE 48   /* 64-byte chunks: glibc's fast bins, never merged unless consolidated */
#define MOVED_TO 100 /* the realloc's new size: served from fast bins filled beforehand */
#define FILL 9000 /* live blocks of assorted sizes: the table is dense, so that many
                   * entries (stale ones too) lie past their home bucket */

void *volatile blocks[N];
void *volatile moving[MOVED];
void *volatile again[N + MOVED];
void *volatile filler[FILL];
void *freed_at[N + MOVED];
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
        moving[nmoved] = realloc(moving[nmoved], MOVED_TO); /* moves: the old address is freed */
        nmoved++;
    }
}

static int by_address(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;
    return x < y ? -1 : x > y;
}

int main(void)
{
    unsigned x = 12345;
    for (int i = 0; i < FILL; i++) {
        x = x * 1103515245u + 12345u;
        filler[i] = malloc(16 + (x >> 16) % 500);
    }
    for (int i = 0; i < MOVED; i++)
        freed_at[N + i] = moving[i] = malloc(SIZE); /* SITE:handler_moved */
    for (int i = 0; i < N; i++)
        freed_at[i] = blocks[i] = malloc(SIZE); /* SITE:handler_freed */
    /* Chunks for the handler's reallocs, so that none has to come from the top chunk
     * (which, too small, would merge the freed 64-byte chunks and move their addresses). */
    void *spare[MOVED];
    for (int i = 0; i < MOVED; i++)
        spare[i] = malloc(MOVED_TO);
    for (int i = 0; i < MOVED; i++)
        free(spare[i]);
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
    static void *now_at[N + MOVED];
    memcpy(now_at, (void *const *)again, sizeof now_at);
    qsort(freed_at, N + MOVED, sizeof *freed_at, by_address);
    qsort(now_at, N + MOVED, sizeof *now_at, by_address);
    int reused = 0;
    for (int i = 0; i < N + MOVED; i++)
        reused += freed_at[i] == now_at[i];
    for (int i = 0; i < MOVED; i++)
        free(moving[i]);
    for (int i = 0; i < FILL; i++)
        free(filler[i]);
    printf("freed %d moved %d reused %d of %d\n", nfreed, nmoved, reused, N + MOVED);
    return 0;
}
