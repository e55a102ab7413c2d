/*
 * scan_truth_lib.c — the library tests/programs/scan_truth.c dlopens: its .bss holds the
 * only pointer to a block (the "dlopen'd library's data" root of the scan, issue 13).
 * Built by tests/integration/scan_truth.sh with cc -shared -fPIC.
 */
void scan_truth_keep(void *p);

static void *kept;

void scan_truth_keep(void *p)
{
    kept = p;
    __asm__ volatile("" ::"r"(&kept) : "memory");
}
