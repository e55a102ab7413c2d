/*
 * review_alloca.c — a frame whose size varies (alloca) must not fool the shim's stack
 * cache: f() pads its frame so that the stack pointer at its malloc is the same whether
 * g1 or g2 called it, through one call site in main. Traces: 3 blocks via g1, 1 via g2.
 */
#include <alloca.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uintptr_t target;
void *volatile sink[64];
int nsink;

__attribute__((noinline)) void f(void)
{
    uintptr_t fa = (uintptr_t)__builtin_frame_address(0);
    size_t pad = fa - target; /* the stack pointer after alloca lands at target */
    char *volatile b = alloca(pad);
    (void)b;
    sink[nsink++] = malloc(24); /* SITE:alloca_site */
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void g1(void)
{
    volatile char big[1024];
    big[0] = 1;
    f(); /* SITE:via_g1 */
    __asm__ volatile("" ::"r"(big) : "memory");
}

__attribute__((noinline)) void g2(void)
{
    volatile char small[16];
    small[0] = 1;
    f(); /* SITE:via_g2 */
    __asm__ volatile("" ::"r"(small) : "memory");
}

int main(void)
{
    void (*volatile fn[4])(void) = {g1, g1, g1, g2};
    target = (uintptr_t)__builtin_frame_address(0) - 8192;
    for (int i = 0; i < 4; i++)
        fn[i](); /* one call site for g1 and g2 */
    printf("done %d\n", nsink);
    return 0;
}
