/*
 * run.h — one simulation episode: create the model and a controller, step the closed loop
 * with RK4, judge stabilization, accumulate the PSO cost, destroy both. Used by main (single
 * runs and create/destroy cycles), by the PSO fitness and by the unit tests.
 */
#ifndef SIM_RUN_H
#define SIM_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "controller.h"
#include "leak_modes.h"
#include "stats.h"

/* Called with the step number before a step's control computation (main marks here) and after
 * its integration (main snapshots here, while the controller is still alive). */
typedef void (*sim_step_hook_fn)(void *ctx, uint64_t step);

/* cost = integral of (sum_i state_i * state_weight_i * state_i + effort * u^2) dt. */
typedef struct sim_cost_weights {
    double state[SIM_STATE_DIM];
    double effort;
} sim_cost_weights_t;

/* Documented defaults: x 1, th1 10, th2 10, velocities 0.1 each, effort 1e-4. */
void sim_cost_weights_defaults(sim_cost_weights_t *w);

/* A run leaves the physical region (and stops early) when |th1| or |th2| exceeds this, or the
 * cart leaves [-SIM_DIVERGENCE_CART, SIM_DIVERGENCE_CART] m, or the state is not finite. */
#define SIM_DIVERGENCE_ANGLE 1.5707963267948966
#define SIM_DIVERGENCE_CART 10.0

typedef struct sim_episode {
    sim_controller_kind_t kind;
    const double *gains;                        /* NULL: the default gains */
    const sim_plant_params_t *plant;
    const sim_controller_config_t *controller_config;
    const sim_stability_criterion_t *criterion;
    const sim_cost_weights_t *cost_weights;     /* NULL: the defaults */
    sim_leak_t *leak;                           /* NULL: no faults */
    double dt;
    uint64_t steps;
    const double *initial_state;                /* NULL: the standard initial condition */
    bool no_friction;
    sim_latency_t *latency;                     /* NULL: control time not measured */
    sim_step_hook_fn before_step;               /* NULL: none */
    sim_step_hook_fn after_step;                /* NULL: none */
    void *hook_ctx;
} sim_episode_t;

typedef struct sim_episode_result {
    bool diverged;
    bool stabilized;
    double settling_time;   /* time from which |x|, |th1|, |th2| stay in bounds; -1 if never */
    double max_abs_force;
    double cost;
    uint64_t steps_run;
    double final_state[SIM_STATE_DIM];
} sim_episode_result_t;

/* Run the episode; false when the model or controller could not be created (out of memory or
 * invalid gains), in which case *result is not meaningful. */
bool sim_run_episode(const sim_episode_t *ep, sim_episode_result_t *result);

/* Whether a state is within the criterion's bounds. */
bool sim_state_within(const sim_stability_criterion_t *c, const double state[SIM_STATE_DIM]);

#endif /* SIM_RUN_H */
