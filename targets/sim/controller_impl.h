/*
 * controller_impl.h — what a controller implementation sees: the common base struct, the
 * vtable, the per-kind descriptor the factory allocates by, and the shared SMC terms.
 * Only the controller .c files and factory.c include it.
 */
#ifndef SIM_CONTROLLER_IMPL_H
#define SIM_CONTROLLER_IMPL_H

#include "controller.h"
#include "sliding_surface.h"

/* ds/dt = alpha + beta * u along the model: the equivalent control is -alpha / beta. */
typedef struct sim_smc_terms {
    double surface;
    double alpha;
    double beta;
} sim_smc_terms_t;

typedef struct sim_controller_ops {
    /* Unsaturated-or-saturated force for the terms at this step (the caller saturates again). */
    double (*compute)(sim_controller_t *self, const sim_smc_terms_t *terms, double dt);
    /* Integrators and adapted gains back to their initial values. */
    void (*reset)(sim_controller_t *self);
    /* Release what the kind owns beyond the block (nothing, for the four kinds here). */
    void (*cleanup)(sim_controller_t *self);
    /* Current adapted gain `which` (0 or 1), or NULL for kinds that do not adapt. */
    double (*adaptive_gain)(const sim_controller_t *self, int which);
} sim_controller_ops_t;

typedef struct sim_controller_desc {
    const char *name;
    size_t struct_bytes;                        /* sizeof the kind's struct (base first) */
    const char *gain_names[SIM_GAIN_COUNT];
    double extra_gains[SIM_GAIN_COUNT - SIM_SURFACE_GAINS];  /* defaults of the last two */
    sim_controller_ops_t ops;
} sim_controller_desc_t;

/* The common part; each kind's struct begins with it. */
struct sim_controller {
    const sim_controller_desc_t *desc;
    sim_controller_kind_t kind;
    unsigned refs;
    sim_controller_config_t config;
    double gains[SIM_GAIN_COUNT];
    sim_surface_t surface;
    sim_dynamics_t *dynamics;     /* weak reference, or strong under the cycle fault */
    bool dynamics_is_strong;
    bool dynamics_lost;
    double last_surface;
    uint64_t steps;
    sim_ringbuf_t history;        /* storage follows the kind's struct in the same block */
    sim_leak_t *leak;             /* borrowed; NULL for no faults */
    sim_leak_slot_t leak_slot;
};

extern const sim_controller_desc_t sim_classical_smc_desc;
extern const sim_controller_desc_t sim_sta_smc_desc;
extern const sim_controller_desc_t sim_adaptive_smc_desc;
extern const sim_controller_desc_t sim_hybrid_smc_desc;

/* sat(s / phi): s/phi clipped to [-1, 1]. */
double sim_smc_sat(double s, double boundary_layer);
/* x clipped to [-limit, limit]. */
double sim_smc_clamp(double x, double limit);

#endif /* SIM_CONTROLLER_IMPL_H */
