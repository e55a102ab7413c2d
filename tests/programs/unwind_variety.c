/*
 * unwind_variety.c — one allocating leaf reached many times through frames whose size
 * changes from call to call (alloca), through a stack-realigning frame, from two callers
 * at once per depth, from threads, and at many stack depths: the shim's cache of verified
 * stacks must never give one path's trace to another. Every block stays live, so each
 * path's live bytes and count are known exactly: path `one` 300 x 24 B, `two` 300 x 40 B,
 * `aligned` 300 x 56 B, `deep` 300 x 72 B, `thread` 4 x 300 x 88 B, `a` and `b` 20 x 16 x 16
 * blocks of 104 B and 120 B. Paths a and b reach one variable-size frame at the same stack
 * pointer with their return addresses in different slots, the old slot still holding a
 * stale copy of the other path's: only checking the frame's RBP tells them apart. Built with
 * and without frame pointers by tests/integration/shim_unwind.sh. Prints "ok".
 */
#include <alloca.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS 300
static void *keep[4][ROUNDS];
static void *thread_keep[4][ROUNDS];
void *volatile sink;

__attribute__((noinline)) static void *leaf(size_t n)
{
    return malloc(n); /* SITE:leaf */
}

/* A frame of a different size at every call: its callers' return addresses move. */
__attribute__((noinline)) static void *varframe(size_t n, int k)
{
    char *pad = alloca(16 + 16 * (size_t)(k % 37));
    memset(pad, k, 16);
    sink = pad;
    return leaf(n);
}

__attribute__((noinline)) static void *caller_one(int k)
{
    return varframe(24, k);
}

__attribute__((noinline)) static void *caller_two(int k)
{
    return varframe(40, k);
}

/* A frame that realigns the stack to 64 bytes and has a variable size too. */
__attribute__((noinline)) static void *aligned_frame(int k)
{
    char wide[64] __attribute__((aligned(64)));
    char *pad = alloca(16 + 8 * (size_t)(k % 13));
    memset(wide, k, sizeof wide);
    memset(pad, k, 16);
    sink = wide;
    sink = pad;
    return leaf(56);
}

__attribute__((noinline)) static void *deep(int depth, int k)
{
    if (depth == 0)
        return varframe(72, k);
    char *pad = alloca(16 * (size_t)(1 + depth % 3));
    sink = pad;
    return deep(depth - 1, k);
}

__attribute__((noinline)) static void *varframe2(size_t n, size_t extra)
{
    char *pad = alloca(extra);
    memset(pad, 0, 8);
    sink = pad;
    return leaf(n);
}

__attribute__((noinline)) static void *path_a(size_t extra)
{
    volatile char local[32];
    local[0] = (char)extra;
    return varframe2(104, extra);
}

__attribute__((noinline)) static void *path_b(size_t extra)
{
    volatile char local[96];
    local[0] = (char)extra;
    return varframe2(120, extra);
}

#define AB_ROUNDS 20
static void *keep_ab[2][AB_ROUNDS * 16 * 16];

static void *worker(void *arg)
{
    void **mine = arg;
    for (int k = 0; k < ROUNDS; k++)
        mine[k] = varframe(88, k * 7);
    return NULL;
}

int main(void)
{
    for (int k = 0; k < ROUNDS; k++) {
        keep[0][k] = caller_one(k);
        keep[1][k] = caller_two(k * 3);
        keep[2][k] = aligned_frame(k);
        keep[3][k] = deep(3, k); /* one path of fixed depth, frames of varying sizes */
    }
    size_t n = 0;
    for (int round = 0; round < AB_ROUNDS; round++)
        for (size_t e1 = 16; e1 <= 256; e1 += 16)
            for (size_t e2 = 16; e2 <= 256; e2 += 16, n++) {
                keep_ab[0][n] = path_a(e1);
                keep_ab[1][n] = path_b(e2);
            }
    pthread_t tid[4];
    for (int t = 0; t < 4; t++)
        pthread_create(&tid[t], NULL, worker, thread_keep[t]);
    for (int t = 0; t < 4; t++)
        pthread_join(tid[t], NULL);
    puts("ok");
    return 0;
}
