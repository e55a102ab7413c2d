/*
 * leak_modes.c — the seeds' memory faults in C. Each fault allocates from exactly one noinline
 * function (leak_history_append, leak_warmup_cache_fill, leak_truncate_append,
 * leak_instance_workspace_alloc) so that leakscope attributes the growth to that line.
 * The `cycle` fault needs no allocation of its own: it leaks the controller and dynamics blocks
 * (wired in factory.c).
 */
#include "leak_modes.h"

#include <stdlib.h>
#include <string.h>

#include "alloc_site.h"

struct sim_leak_history_record {
    struct sim_leak_history_record *older;  /* towards the oldest record of the list */
    double state[SIM_STATE_DIM];
    double force;
    double surface;
};

struct sim_leak_truncate_entry {
    struct sim_leak_truncate_entry *newer;
    uint64_t step;
    double force;
    double surface;
    double theta1;
    double theta2;
};

struct sim_leak_cache_entry {
    struct sim_leak_cache_entry *next;
    uint64_t signature;
    unsigned char compiled_code[SIM_LEAK_WARMUP_ENTRY_BYTES - 16];
};

struct sim_leak_workspace {
    struct sim_leak_workspace *next;  /* used only once the workspace is abandoned */
    double scratch[(SIM_LEAK_INSTANCE_BYTES - 8) / sizeof(double)];
};

_Static_assert(sizeof(struct sim_leak_history_record) == SIM_LEAK_HISTORY_RECORD_BYTES,
               "history record size is documented");
_Static_assert(sizeof(struct sim_leak_truncate_entry) == SIM_LEAK_TRUNCATE_ENTRY_BYTES,
               "truncate entry size is documented");
_Static_assert(sizeof(struct sim_leak_cache_entry) == SIM_LEAK_WARMUP_ENTRY_BYTES,
               "warm-up entry size is documented");
_Static_assert(sizeof(struct sim_leak_workspace) == SIM_LEAK_INSTANCE_BYTES,
               "instance workspace size is documented");

static const char *const mode_names[SIM_LEAK_MODE_COUNT] = {
    [SIM_LEAK_NONE] = "none",         [SIM_LEAK_HISTORY] = "history",
    [SIM_LEAK_WARMUP] = "warmup",     [SIM_LEAK_TRUNCATE] = "truncate",
    [SIM_LEAK_INSTANCE] = "instance", [SIM_LEAK_CYCLE] = "cycle",
};

const char *sim_leak_mode_name(sim_leak_mode_t mode)
{
    return (unsigned)mode < SIM_LEAK_MODE_COUNT ? mode_names[mode] : "?";
}

bool sim_leak_mode_parse(const char *name, sim_leak_mode_t *mode)
{
    for (int m = 0; m < SIM_LEAK_MODE_COUNT; m++)
        if (strcmp(name, mode_names[m]) == 0) {
            *mode = (sim_leak_mode_t)m;
            return true;
        }
    return false;
}

bool sim_leak_mode_needs_cycles(sim_leak_mode_t mode)
{
    return mode == SIM_LEAK_INSTANCE || mode == SIM_LEAK_CYCLE;
}

void sim_leak_init(sim_leak_t *leak, sim_leak_mode_t mode, uint64_t total_marks)
{
    memset(leak, 0, sizeof *leak);
    leak->mode = mode;
    leak->warmup_marks = total_marks / 10 > 0 ? total_marks / 10 : 1;
}

void sim_leak_set_mark(sim_leak_t *leak, uint64_t mark)
{
    leak->current_mark = mark;
}

size_t sim_leak_warmup_entries_due(const sim_leak_t *leak, uint64_t mark)
{
    /* Entry j is due at mark floor(j * W / E): E entries spread evenly over W marks. */
    const uint64_t w = leak->warmup_marks, e = SIM_LEAK_WARMUP_ENTRIES;
    if (mark >= w)
        return SIM_LEAK_WARMUP_ENTRIES;
    const uint64_t due = ((mark + 1) * e + w - 1) / w;
    return due < e ? (size_t)due : SIM_LEAK_WARMUP_ENTRIES;
}

size_t sim_leak_truncate_length_after(uint64_t appends)
{
    if (appends <= SIM_LEAK_TRUNCATE_LIMIT)
        return (size_t)appends;
    const uint64_t period = SIM_LEAK_TRUNCATE_LIMIT + 1 - SIM_LEAK_TRUNCATE_KEEP;  /* 501 */
    return SIM_LEAK_TRUNCATE_KEEP + (size_t)((appends - (SIM_LEAK_TRUNCATE_LIMIT + 1)) % period);
}

uint64_t sim_leak_live_bytes(const sim_leak_t *leak)
{
    return leak->bytes_allocated - leak->bytes_freed;
}

/* `history`: append one record to the controller's unbounded list (one malloc per step). */
static SIM_ALLOC_SITE bool leak_history_append(sim_leak_t *leak, sim_leak_slot_t *slot,
                                               const double state[SIM_STATE_DIM], double force,
                                               double surface)
{
    struct sim_leak_history_record *rec = malloc(sizeof *rec);
    if (!rec)
        return false;
    memcpy(rec->state, state, sizeof rec->state);
    rec->force = force;
    rec->surface = surface;
    rec->older = slot->history_newest;
    slot->history_newest = rec;
    slot->history_length++;
    leak->bytes_allocated += sizeof *rec;
    return true;
}

/* `warmup`: bring the process-wide cache up to the entries due at the current mark. After the
 * first tenth of the run every lookup hits and nothing more is allocated. */
static SIM_ALLOC_SITE bool leak_warmup_cache_fill(sim_leak_t *leak)
{
    const size_t due = sim_leak_warmup_entries_due(leak, leak->current_mark);
    while (leak->warmup_entries < due) {
        struct sim_leak_cache_entry *entry = malloc(sizeof *entry);
        if (!entry)
            return false;
        entry->signature = leak->warmup_entries;
        memset(entry->compiled_code, 0xc3, sizeof entry->compiled_code);
        entry->next = leak->warmup_cache;
        leak->warmup_cache = entry;
        leak->warmup_entries++;
        leak->bytes_allocated += sizeof *entry;
    }
    return true;
}

/* `truncate`: drop the oldest entries until SIM_LEAK_TRUNCATE_KEEP remain. */
static void leak_truncate_cut(sim_leak_t *leak, sim_leak_slot_t *slot)
{
    while (slot->truncate_length > SIM_LEAK_TRUNCATE_KEEP) {
        struct sim_leak_truncate_entry *oldest = slot->truncate_oldest;
        slot->truncate_oldest = oldest->newer;
        free(oldest);
        slot->truncate_length--;
        leak->bytes_freed += sizeof *oldest;
    }
}

/* `truncate`: append one entry (one malloc per step); past the limit, cut to the newest 500. */
static SIM_ALLOC_SITE bool leak_truncate_append(sim_leak_t *leak, sim_leak_slot_t *slot,
                                                const double state[SIM_STATE_DIM], double force,
                                                double surface, uint64_t step)
{
    struct sim_leak_truncate_entry *entry = malloc(sizeof *entry);
    if (!entry)
        return false;
    entry->newer = NULL;
    entry->step = step;
    entry->force = force;
    entry->surface = surface;
    entry->theta1 = state[SIM_TH1];
    entry->theta2 = state[SIM_TH2];
    if (slot->truncate_newest)
        slot->truncate_newest->newer = entry;
    else
        slot->truncate_oldest = entry;
    slot->truncate_newest = entry;
    slot->truncate_length++;
    leak->bytes_allocated += sizeof *entry;
    if (slot->truncate_length > SIM_LEAK_TRUNCATE_LIMIT)
        leak_truncate_cut(leak, slot);
    return true;
}

/* `instance`: the controller's scratch workspace (the seeds' large arrays), which destroy
 * forgets to free. */
static SIM_ALLOC_SITE bool leak_instance_workspace_alloc(sim_leak_t *leak, sim_leak_slot_t *slot)
{
    struct sim_leak_workspace *ws = malloc(sizeof *ws);
    if (!ws)
        return false;
    memset(ws, 0, sizeof *ws);
    slot->workspace = ws;
    leak->bytes_allocated += sizeof *ws;
    return true;
}

bool sim_leak_on_create(sim_leak_t *leak, sim_leak_slot_t *slot)
{
    memset(slot, 0, sizeof *slot);
    if (leak && leak->mode == SIM_LEAK_INSTANCE)
        return leak_instance_workspace_alloc(leak, slot);
    return true;
}

bool sim_leak_on_step(sim_leak_t *leak, sim_leak_slot_t *slot, const double state[SIM_STATE_DIM],
                      double force, double surface, uint64_t step)
{
    if (!leak)
        return true;
    switch (leak->mode) {
    case SIM_LEAK_HISTORY:
        return leak_history_append(leak, slot, state, force, surface);
    case SIM_LEAK_WARMUP:
        return leak_warmup_cache_fill(leak);
    case SIM_LEAK_TRUNCATE:
        return leak_truncate_append(leak, slot, state, force, surface, step);
    default:
        return true;
    }
}

void sim_leak_on_destroy(sim_leak_t *leak, sim_leak_slot_t *slot)
{
    if (!leak)
        return;
    /* The fault: v0.1 had no cleanup(), so the history outlives its controller. It is kept
     * reachable from the context only so that tests can free it. */
    if (slot->history_newest) {
        struct sim_leak_history_record *oldest = slot->history_newest;
        while (oldest->older)
            oldest = oldest->older;
        oldest->older = leak->abandoned_history;
        leak->abandoned_history = slot->history_newest;
        slot->history_newest = NULL;
        slot->history_length = 0;
    }
    /* The fault: the workspace is forgotten by destroy. */
    if (slot->workspace) {
        slot->workspace->next = leak->abandoned_workspaces;
        leak->abandoned_workspaces = slot->workspace;
        slot->workspace = NULL;
    }
    /* Correct cleanup: the truncated list is bounded and released with its controller. */
    while (slot->truncate_oldest) {
        struct sim_leak_truncate_entry *entry = slot->truncate_oldest;
        slot->truncate_oldest = entry->newer;
        free(entry);
        leak->bytes_freed += sizeof *entry;
    }
    slot->truncate_newest = NULL;
    slot->truncate_length = 0;
}

void sim_leak_release_all(sim_leak_t *leak)
{
    while (leak->abandoned_history) {
        struct sim_leak_history_record *rec = leak->abandoned_history;
        leak->abandoned_history = rec->older;
        free(rec);
        leak->bytes_freed += sizeof *rec;
    }
    while (leak->abandoned_workspaces) {
        struct sim_leak_workspace *ws = leak->abandoned_workspaces;
        leak->abandoned_workspaces = ws->next;
        free(ws);
        leak->bytes_freed += sizeof *ws;
    }
    while (leak->warmup_cache) {
        struct sim_leak_cache_entry *entry = leak->warmup_cache;
        leak->warmup_cache = entry->next;
        free(entry);
        leak->bytes_freed += sizeof *entry;
    }
    leak->warmup_entries = 0;
}
