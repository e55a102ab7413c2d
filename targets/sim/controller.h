/*
 * controller.h — one interface for the four sliding-mode controllers: created by name through
 * the factory (factory.c), driven by sim_controller_compute once per step, released by an
 * explicit sim_controller_destroy (the seeds' cleanup()).
 */
#ifndef SIM_CONTROLLER_H
#define SIM_CONTROLLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "dynamics.h"
#include "leak_modes.h"
#include "ringbuf.h"

typedef enum sim_controller_kind {
    SIM_CLASSICAL_SMC = 0,
    SIM_STA_SMC,
    SIM_ADAPTIVE_SMC,
    SIM_HYBRID_ADAPTIVE_STA_SMC,
    SIM_CONTROLLER_KIND_COUNT
} sim_controller_kind_t;

/* Every controller has 8 gains: the sliding surface (kx, k1, k2, lambda_x, lambda_1, lambda_2;
 * see sliding_surface.h) then two of its own (names from sim_controller_gain_name). */
#define SIM_GAIN_COUNT 8
#define SIM_SURFACE_GAINS 6

/* One record of the bounded per-controller history (ring buffer), 64 bytes. */
typedef struct sim_history_record {
    double state[SIM_STATE_DIM];
    double force;
    double surface;
} sim_history_record_t;

typedef struct sim_controller sim_controller_t;

/* What to create. `gains` NULL means the defaults; `leak` NULL means no faults. The controller
 * takes a weak reference to `dynamics` (a strong one under the `cycle` fault). */
typedef struct sim_controller_spec {
    sim_controller_kind_t kind;
    const double *gains;
    const sim_controller_config_t *config;
    sim_dynamics_t *dynamics;
    sim_leak_t *leak;
} sim_controller_spec_t;

const char *sim_controller_kind_name(sim_controller_kind_t kind);
/* Parse a `--controller` value; false when unknown. */
bool sim_controller_kind_parse(const char *name, sim_controller_kind_t *kind);
const char *sim_controller_gain_name(sim_controller_kind_t kind, size_t index);
/* The default gains: a surface placed at config->surface_poles for `plant`, and the documented
 * controller-specific gains. False when the placement fails for this plant. */
bool sim_controller_default_gains(sim_controller_kind_t kind, const sim_plant_params_t *plant,
                                  const sim_controller_config_t *config, double gains[SIM_GAIN_COUNT]);

/* Bytes of the one block a controller of `kind` allocates: its struct plus the ring storage. */
size_t sim_controller_block_bytes(sim_controller_kind_t kind, const sim_controller_config_t *config);

/* A new controller, or NULL when out of memory or the gains are invalid (non-finite, or a zero
 * velocity weight). Allocates exactly one block of sim_controller_block_bytes() bytes (plus the
 * `instance` fault's workspace). */
sim_controller_t *sim_controller_create(const sim_controller_spec_t *spec);
/* Explicit cleanup: drop the caller's reference. When it is the last, the controller releases
 * its dynamics reference and its block (the faults decide what they forget). NULL is ignored. */
void sim_controller_destroy(sim_controller_t *ctrl);
/* Force [N] for `state`, saturated to +-config.max_force, for a step of length dt. Records the
 * step in the bounded history. Allocates nothing unless a fault says so. Returns 0 when the
 * dynamics model is gone (see sim_controller_dynamics_lost). */
double sim_controller_compute(sim_controller_t *ctrl, const double state[SIM_STATE_DIM], double dt);
/* Back to the state just after creation (integrators, adapted gains, history). */
void sim_controller_reset(sim_controller_t *ctrl);

sim_controller_kind_t sim_controller_kind(const sim_controller_t *ctrl);
double sim_controller_last_surface(const sim_controller_t *ctrl);
const sim_ringbuf_t *sim_controller_history(const sim_controller_t *ctrl);
/* true once a compute found the dynamics model released (the weak reference expired). */
bool sim_controller_dynamics_lost(const sim_controller_t *ctrl);
unsigned sim_controller_ref_count(const sim_controller_t *ctrl);
/* The controller-specific adaptive gains (adaptive: K; hybrid: K1, K2); 0 when not adaptive. */
double sim_controller_adaptive_gain(const sim_controller_t *ctrl, int which);

#endif /* SIM_CONTROLLER_H */
