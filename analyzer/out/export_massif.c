/*
 * export_massif.c — `export --format massif`: one process's series in the output format of
 * Valgrind's massif tool, for ms_print and massif-visualizer. One massif snapshot per
 * leakscope snapshot: its time is the step for a program that calls leakscope_mark (written
 * with time_unit "i", since ms_print knows only i, ms and B), else milliseconds since
 * tracking started; mem_heap_B is the live bytes of every site (the requested sizes, so
 * mem_heap_extra_B is 0 and stacks are not measured). The peak and the last snapshot carry
 * the detailed tree: as massif's, rooted at the allocation functions, each site's frames
 * from its location frame outward, merged by code address.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "util.h"

/* One tree line: "n<children>: <bytes> 0x<addr>: <function> (<file>:<line>)", indented by
 * depth, as massif writes it; children are listed largest first. */
static void tree_lines(FILE *f, const ls_fnode_t *node, int depth)
{
    char name[1024], file[1024];
    fprintf(f, "%*sn%zu: %.0f", depth, "", node->nkids, node->bytes);
    if (!node->fi) {
        fputs(" (heap allocation functions) malloc/new/new[], --alloc-fns, etc.\n", f);
    } else {
        const ls_frame_info_t *fi = node->fi;
        fprintf(f, " 0x%llX: %s", (unsigned long long)fi->addr, ls_frame_name(fi, name, sizeof name));
        if (fi->file && strcmp(fi->file, "??"))
            fprintf(f, " (%s:%d)\n", ls_frame_name(&(ls_frame_info_t){.function = fi->file}, file, sizeof file), fi->line);
        else
            fprintf(f, " (in %s)\n", ls_frame_name(&(ls_frame_info_t){.function = fi->module}, file, sizeof file));
    }
    for (size_t i = 0; i < node->nkids; i++)
        tree_lines(f, node->kids[i], depth + 1);
}

static void heap_tree(FILE *f, const ls_proc_series_t *p, size_t at)
{
    ls_fnode_t root = {0};
    const ls_frame_info_t *path[LS_MAX_INFO];
    for (size_t i = 0; i < p->n_sites; i++) {
        const ls_site_series_t *s = &p->sites[i];
        if (s->bytes[at] <= 0)
            continue;
        size_t n = ls_site_path(s->info, s->ninfo, s->loc, 0, path);
        ls_ftree_add(&root, path, n, s->bytes[at], 1);
    }
    ls_ftree_sort(&root);
    tree_lines(f, &root, 0);
    ls_ftree_free(&root);
}

static double heap_bytes(const ls_proc_series_t *p, size_t at)
{
    double sum = 0;
    for (size_t i = 0; i < p->n_sites; i++)
        sum += p->sites[i].bytes[at];
    return sum;
}

void ls_export_massif(FILE *f, const ls_proc_series_t *p)
{
    char cmd[1024];
    size_t peak = 0;
    double *heap = ls_xcalloc(p->n + 1, sizeof *heap);
    for (size_t k = 0; k < p->n; k++)
        if ((heap[k] = heap_bytes(p, k)) > heap[peak])
            peak = k;
    fprintf(f, "desc: leakscope snapshots of %s (pid %llu)\n", ls_frame_name(&(ls_frame_info_t){.function = p->prog}, cmd, sizeof cmd),
            (unsigned long long)p->pid);
    fprintf(f, "cmd: %s\ntime_unit: %s\n", ls_frame_name(&(ls_frame_info_t){.function = p->exe ? p->exe : p->prog}, cmd, sizeof cmd),
            p->marked ? "i" : "ms");
    for (size_t k = 0; k < p->n; k++) {
        double t = p->marked ? (double)p->step[k] : floor(p->t_s[k] * 1000.0);
        fprintf(f, "#-----------\nsnapshot=%zu\n#-----------\ntime=%.0f\nmem_heap_B=%.0f\nmem_heap_extra_B=0\n"
                   "mem_stacks_B=0\nheap_tree=%s\n",
                k, t < 0 ? 0 : t, heap[k], k == peak ? "peak" : k + 1 == p->n ? "detailed" : "empty");
        if (k == peak || k + 1 == p->n)
            heap_tree(f, p, k);
    }
    free(heap);
}
