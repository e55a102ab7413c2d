/*
 * leak_modes.h — the memory faults the seeds report, reproduced on purpose and switchable with
 * `--leak`, each allocating from one named function so that growth is exact and attributable.
 * docs/sim.md "Leak modes" gives every figure with the function and file:line that allocates.
 */
#ifndef SIM_LEAK_MODES_H
#define SIM_LEAK_MODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

typedef enum sim_leak_mode {
    SIM_LEAK_NONE = 0,  /* bounded ring buffers, explicit cleanup: nothing grows */
    SIM_LEAK_HISTORY,   /* v0.1 ClassicalSMC: unbounded state/control/surface history */
    SIM_LEAK_WARMUP,    /* STA-SMC: one-time compile-cache fill, flat afterwards */
    SIM_LEAK_TRUNCATE,  /* hybrid controller: history cut from 1000 to the newest 500 */
    SIM_LEAK_INSTANCE,  /* each create/destroy cycle leaks one workspace buffer */
    SIM_LEAK_CYCLE,     /* controller <-> dynamics strong reference cycle: neither released */
    SIM_LEAK_MODE_COUNT
} sim_leak_mode_t;

/* One record of the unbounded `history` list: state, force and surface of one step, plus the
 * link. Exactly SIM_LEAK_HISTORY_RECORD_BYTES bytes, one malloc per controller step. */
#define SIM_LEAK_HISTORY_RECORD_BYTES 72u
/* `warmup`: SIM_LEAK_WARMUP_ENTRIES cache entries of SIM_LEAK_WARMUP_ENTRY_BYTES (the seed's
 * 2.42 KB), i.e. SIM_LEAK_WARMUP_TOTAL_BYTES, filled over the first tenth of the run's marks. */
#define SIM_LEAK_WARMUP_ENTRY_BYTES 2424u
#define SIM_LEAK_WARMUP_ENTRIES 100u
#define SIM_LEAK_WARMUP_TOTAL_BYTES (SIM_LEAK_WARMUP_ENTRY_BYTES * SIM_LEAK_WARMUP_ENTRIES)
/* `truncate`: one entry per step; past SIM_LEAK_TRUNCATE_LIMIT entries the list is cut to the
 * newest SIM_LEAK_TRUNCATE_KEEP (the hybrid controller's `list[-500:]`). */
#define SIM_LEAK_TRUNCATE_ENTRY_BYTES 48u
#define SIM_LEAK_TRUNCATE_LIMIT 1000u
#define SIM_LEAK_TRUNCATE_KEEP 500u
/* `instance`: one workspace of this size per controller instance, never freed (14 KiB, close
 * to the seed's 13.94 KB per STA instantiation). */
#define SIM_LEAK_INSTANCE_BYTES 14336u

struct sim_leak_history_record;
struct sim_leak_truncate_entry;
struct sim_leak_cache_entry;
struct sim_leak_workspace;

/* The faults of one process run. Owned by the caller (main); controllers borrow it. What the
 * faults abandon stays reachable from here, so a test can free it (sim_leak_release_all), as the
 * shim counts live bytes, reachable or not. Single-threaded. */
typedef struct sim_leak {
    sim_leak_mode_t mode;
    uint64_t warmup_marks;        /* the cache fills over marks [0, warmup_marks) */
    uint64_t current_mark;
    struct sim_leak_cache_entry *warmup_cache;  /* process-lifetime, like Numba's */
    size_t warmup_entries;
    struct sim_leak_history_record *abandoned_history;  /* lists that destroy did not free */
    struct sim_leak_workspace *abandoned_workspaces;
    uint64_t bytes_allocated;     /* by the fault functions, total */
    uint64_t bytes_freed;         /* by the fault functions (truncation, destroy), total */
} sim_leak_t;

/* Per-controller fault state, embedded in the controller. */
typedef struct sim_leak_slot {
    struct sim_leak_history_record *history_newest;
    size_t history_length;
    struct sim_leak_truncate_entry *truncate_oldest;
    struct sim_leak_truncate_entry *truncate_newest;
    size_t truncate_length;
    struct sim_leak_workspace *workspace;
} sim_leak_slot_t;

const char *sim_leak_mode_name(sim_leak_mode_t mode);
/* Parse a `--leak` value; false when unknown. */
bool sim_leak_mode_parse(const char *name, sim_leak_mode_t *mode);
/* true for the modes that only show across create/destroy cycles (instance, cycle). */
bool sim_leak_mode_needs_cycles(sim_leak_mode_t mode);

/* A fault context for a run of `total_marks` marks (steps, cycles or evaluations). */
void sim_leak_init(sim_leak_t *leak, sim_leak_mode_t mode, uint64_t total_marks);
/* The run reached mark `mark` (drives the warm-up fill). */
void sim_leak_set_mark(sim_leak_t *leak, uint64_t mark);
/* Number of warm-up entries due once mark `mark` is reached (see docs/sim.md). */
size_t sim_leak_warmup_entries_due(const sim_leak_t *leak, uint64_t mark);
/* Live entries of the truncated list after `appends` appends. */
size_t sim_leak_truncate_length_after(uint64_t appends);

/* Hooks called by the controller factory. `leak` may be NULL (no faults). They return false
 * only when out of memory. */
bool sim_leak_on_create(sim_leak_t *leak, sim_leak_slot_t *slot);
bool sim_leak_on_step(sim_leak_t *leak, sim_leak_slot_t *slot, const double state[SIM_STATE_DIM],
                      double force, double surface, uint64_t step);
void sim_leak_on_destroy(sim_leak_t *leak, sim_leak_slot_t *slot);

/* Live bytes the fault functions hold now (allocated - freed). */
uint64_t sim_leak_live_bytes(const sim_leak_t *leak);
/* Free everything the context holds (abandoned lists, the warm-up cache). For tests and
 * tools; the simulator never calls it, so that the faults stay live until exit. */
void sim_leak_release_all(sim_leak_t *leak);

#endif /* SIM_LEAK_MODES_H */
