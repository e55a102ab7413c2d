/*
 * export_collapsed.c — `export --format collapsed`: flame-graph stacks, one line
 * `root;...;leaf BYTES` per distinct stack of live memory (the input of flamegraph.pl,
 * inferno and speedscope), and the stack tree it is folded from, which the HTML report's
 * flame graph and the massif writer share (export.h).
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "util.h"

size_t ls_site_path(const ls_frame_info_t *info, size_t ninfo, int loc, int outer_first,
                    const ls_frame_info_t **out)
{
    size_t first = loc >= 0 && (size_t)loc < ninfo ? (size_t)loc : 0, n = 0;
    if (!info)
        return 0;
    for (size_t k = first; k < ninfo && n < LS_MAX_INFO; k++)
        out[n++] = &info[k];
    for (size_t i = 0; outer_first && i < n / 2; i++) {
        const ls_frame_info_t *t = out[i];
        out[i] = out[n - 1 - i];
        out[n - 1 - i] = t;
    }
    return n;
}

const char *ls_frame_name(const ls_frame_info_t *fi, char *buf, size_t len)
{
    const char *s = fi && fi->function ? fi->function : "??";
    size_t i = 0;
    for (; s[i] && i + 1 < len; i++)
        buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == ';' ? '?' : s[i];
    buf[i] = 0;
    return buf;
}

static int same_frame(const ls_frame_info_t *a, const ls_frame_info_t *b, int by_addr)
{
    if (by_addr)
        return a->addr == b->addr;
    return a->function == b->function || strcmp(a->function, b->function) == 0;
}

static ls_fnode_t *child(ls_fnode_t *node, const ls_frame_info_t *fi, int by_addr)
{
    for (size_t i = 0; i < node->nkids; i++)
        if (same_frame(node->kids[i]->fi, fi, by_addr))
            return node->kids[i];
    if (node->nkids == node->cap) {
        node->cap = node->cap ? 2 * node->cap : 4;
        node->kids = ls_xrealloc(node->kids, node->cap * sizeof *node->kids);
    }
    ls_fnode_t *c = ls_xcalloc(1, sizeof *c);
    c->fi = fi;
    node->kids[node->nkids++] = c;
    return c;
}

void ls_ftree_add(ls_fnode_t *root, const ls_frame_info_t *const *path, size_t n, double bytes, int by_addr)
{
    ls_fnode_t *node = root;
    root->bytes += bytes;
    for (size_t i = 0; i < n; i++) {
        node = child(node, path[i], by_addr);
        node->bytes += bytes;
    }
    node->self += bytes;
}

static int cmp_node(const void *pa, const void *pb)
{
    const ls_fnode_t *a = *(const ls_fnode_t *const *)pa, *b = *(const ls_fnode_t *const *)pb;
    if (a->bytes != b->bytes)
        return a->bytes > b->bytes ? -1 : 1;
    int c = strcmp(a->fi->function, b->fi->function);
    if (c)
        return c;
    return (a->fi->addr > b->fi->addr) - (a->fi->addr < b->fi->addr);
}

void ls_ftree_sort(ls_fnode_t *node)
{
    if (node->nkids > 1) /* a leaf's kids are NULL, which qsort must not be given */
        qsort(node->kids, node->nkids, sizeof *node->kids, cmp_node);
    for (size_t i = 0; i < node->nkids; i++)
        ls_ftree_sort(node->kids[i]);
}

void ls_ftree_free(ls_fnode_t *root)
{
    for (size_t i = 0; i < root->nkids; i++) {
        ls_ftree_free(root->kids[i]);
        free(root->kids[i]);
    }
    free(root->kids);
    root->kids = NULL;
    root->nkids = root->cap = 0;
}

/* Depth-first: every node where traces end prints its path and those traces' bytes. */
static void print_stacks(FILE *f, const ls_fnode_t *node, char *line, size_t used, size_t cap)
{
    char name[1024];
    size_t mine = used;
    if (node->fi) {
        ls_frame_name(node->fi, name, sizeof name);
        size_t len = strlen(name);
        if (used + len + 2 > cap)
            len = cap > used + 2 ? cap - used - 2 : 0;
        if (used)
            line[mine++] = ';';
        memcpy(line + mine, name, len);
        mine += len;
        line[mine] = 0;
    }
    if (node->self > 0 && node->fi)
        fprintf(f, "%s %.0f\n", line, node->self);
    for (size_t i = 0; i < node->nkids; i++)
        print_stacks(f, node->kids[i], line, mine, cap);
    line[used] = 0;
}

void ls_export_collapsed(FILE *f, const ls_snapshot_t *snap)
{
    ls_fnode_t root = {0};
    const ls_frame_info_t *path[LS_MAX_INFO];
    double unattributed = 0;
    for (size_t i = 0; i < snap->n_sites; i++) {
        const ls_site_t *s = &snap->sites[i];
        if (!s->live_bytes)
            continue;
        size_t n = ls_site_path(s->info, s->ninfo, s->loc, 1, path);
        if (n)
            ls_ftree_add(&root, path, n, (double)s->live_bytes, 0);
        else
            unattributed += (double)s->live_bytes;
    }
    ls_ftree_sort(&root);
    size_t cap = 64 * 1024;
    char *line = ls_xmalloc(cap);
    line[0] = 0;
    print_stacks(f, &root, line, 0, cap);
    if (unattributed > 0) /* a site recorded without frames: still counted, as "??" */
        fprintf(f, "?? %.0f\n", unattributed);
    free(line);
    ls_ftree_free(&root);
}
