/*
 * scan_truth.c — a program whose memory at exit has a known answer for the
 * reachability scan (issue 13). Each case allocates from a function of its own, so the
 * figures can be checked per site (tests/integration/scan_truth.sh), against the truth
 * below and against LeakSanitizer built from this same source (-fsanitize=leak).
 *
 *   case             function          truth at exit
 *   overwrite        over_alloc        5 x 48 B, 4 lost (last pointer overwritten): 192 B / 4 direct
 *   lost tree        tree_head_alloc   1 x 64 B head, dropped:                      64 B / 1 direct
 *                    tree_kid_alloc    3 x 272 B children of that head:            816 B / 3 indirect
 *   xor-hidden       xor_alloc         1 x 80 B, pointer kept XOR'd:                80 B / 1 direct
 *   global chain     chain_alloc       2 x 96 B, global -> a -> b:                  reachable
 *   interior         interior_alloc    1 x 128 B, only a pointer to its middle:     reachable
 *   thread stack     stack_thread_alloc 1 x 144 B, on a blocked thread's stack:     reachable
 *   __thread         tls_thread_alloc  1 x 160 B, in a live thread's __thread var:  reachable
 *   dlopen data      dl_data_alloc     1 x 176 B, in a dlopen'd library's .bss:     reachable
 *   register         reg_alloc         1 x 208 B, only in r15 of a blocked thread:  reachable
 *
 * Usage: scan_truth LIBRARY.so   (built from tests/programs/lib/scan_truth_lib.c)
 * Every thread is ready (said through a pipe) before main returns; none is joined.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define XOR_KEY ((uintptr_t)0x5a5a5a5a5a5a5a5aull)

void *g_over;
uintptr_t g_xor;
void **g_chain;
char *g_mid;
static int ready_pipe[2], block_pipe[2];

__attribute__((noinline)) static void *over_alloc(void) { return malloc(48); }
__attribute__((noinline)) static void **tree_head_alloc(void) { return malloc(64); }
__attribute__((noinline)) static void *tree_kid_alloc(void) { return malloc(272); }
__attribute__((noinline)) static void *xor_alloc(void) { return malloc(80); }
__attribute__((noinline)) static void **chain_alloc(void) { return malloc(96); }
__attribute__((noinline)) static char *interior_alloc(void) { return malloc(128); }
__attribute__((noinline)) static void *stack_thread_alloc(void) { return malloc(144); }
__attribute__((noinline)) static void *tls_thread_alloc(void) { return malloc(160); }
__attribute__((noinline)) static void *dl_data_alloc(void) { return malloc(176); }
__attribute__((noinline)) void *reg_alloc(void) { return malloc(208); }

static void say_ready(void)
{
    char c = 1;
    if (write(ready_pipe[1], &c, 1) != 1)
        _exit(3);
}

static void block_forever(void)
{
    char c;
    for (;;)
        if (read(block_pipe[0], &c, 1) <= 0)
            pause();
}

__attribute__((noinline)) static void lose_some(void)
{
    for (int i = 0; i < 5; i++)
        g_over = over_alloc();
    void **head = tree_head_alloc();
    for (int i = 0; i < 3; i++)
        head[i] = tree_kid_alloc();
    head[3] = NULL;
    __asm__ volatile("" ::"r"(head) : "memory"); /* the stores happen (no dead-store elimination) */
    g_xor = (uintptr_t)xor_alloc() ^ XOR_KEY;
}

__attribute__((noinline)) static void keep_some(void)
{
    g_chain = chain_alloc();
    g_chain[0] = chain_alloc();
    ((void **)g_chain[0])[0] = NULL;
    g_mid = interior_alloc() + 64;
}

static void *stack_thread(void *arg)
{
    (void)arg;
    void *volatile kept = stack_thread_alloc();
    say_ready();
    block_forever();
    return (void *)kept;
}

static __thread void *t_keep;

static void *tls_thread(void *arg)
{
    (void)arg;
    t_keep = tls_thread_alloc();
    say_ready();
    block_forever();
    return NULL;
}

/* The pointer lives in r15 only: the stack below SP is cleared, the ready byte is
 * written and the thread parks with raw system calls that leave r15 alone. */
static void *reg_thread(void *arg)
{
    (void)arg;
    static const char one = 1;
    void *p = reg_alloc();
    __asm__ volatile("mov %0, %%r15\n\t"
                     "xor %0, %0\n\t"
                     "lea -4096(%%rsp), %%rdi\n\t"
                     "mov $512, %%ecx\n\t"
                     "xor %%eax, %%eax\n\t"
                     "rep stosq\n\t"
                     "mov $1, %%eax\n\t"
                     "mov %1, %%edi\n\t"
                     "mov %2, %%rsi\n\t"
                     "mov $1, %%edx\n\t"
                     "syscall\n\t"
                     "1: mov $34, %%eax\n\t" /* pause() */
                     "syscall\n\t"
                     "jmp 1b"
                     : "+r"(p)
                     : "r"(ready_pipe[1]), "r"(&one)
                     : "rax", "rcx", "rdx", "rdi", "rsi", "r11", "r15", "memory");
    return NULL;
}

static void start(void *(*fn)(void *))
{
    pthread_t t;
    if (pthread_create(&t, NULL, fn, NULL) != 0)
        exit(4);
    char c;
    if (read(ready_pipe[0], &c, 1) != 1)
        exit(5);
}

int main(int argc, char **argv)
{
    if (argc < 2 || pipe(ready_pipe) != 0 || pipe(block_pipe) != 0) {
        fprintf(stderr, "usage: scan_truth LIBRARY.so\n");
        return 2;
    }
    void *lib = dlopen(argv[1], RTLD_NOW);
    void (*keep)(void *) = lib ? (void (*)(void *))dlsym(lib, "scan_truth_keep") : NULL;
    if (!keep) {
        fprintf(stderr, "scan_truth: %s\n", dlerror());
        return 2;
    }
    lose_some();
    keep_some();
    keep(dl_data_alloc());
    start(stack_thread);
    start(tls_thread);
    start(reg_thread);
    printf("scan_truth: ready\n");
    return 0;
}
