/*
 * dynamics.h — the double inverted pendulum on a cart: full nonlinear equations of motion
 * M(q) qdd + C(q, qd) qd + G(q) + friction = [u, 0, 0], integrated with RK4, and a
 * reference-counted model object that controllers reach through a weak reference.
 */
#ifndef SIM_DYNAMICS_H
#define SIM_DYNAMICS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* Reference counting (the C form of the seeds' weakref pattern):
 *  - strong references own the model; the creator holds the first one;
 *  - weak references (a controller's back-reference) keep only the memory, not the model:
 *    sim_dynamics_upgrade() returns NULL once the last strong reference is gone;
 *  - the block is freed when no strong and no weak reference is left.
 * A model can own one strong reference to an observer (sim_dynamics_attach_observer); that is
 * how the `cycle` fault builds a controller <-> dynamics cycle that never drops to zero.
 * Single-threaded: counts are plain integers. */
typedef struct sim_dynamics sim_dynamics_t;

/* Release callback for an attached observer (drops the strong reference the model held). */
typedef void (*sim_observer_release_fn)(void *observer);

/* A new model with one strong reference; NULL when out of memory. Allocates exactly
 * sim_dynamics_block_bytes() bytes, in one block. */
sim_dynamics_t *sim_dynamics_create(const sim_plant_params_t *params);
size_t sim_dynamics_block_bytes(void);

void sim_dynamics_retain(sim_dynamics_t *dyn);
/* Drop a strong reference; the last one releases the observer and the implicit weak one. */
void sim_dynamics_release(sim_dynamics_t *dyn);
void sim_dynamics_weak_retain(sim_dynamics_t *dyn);
void sim_dynamics_weak_release(sim_dynamics_t *dyn);
/* A new strong reference from a weak one, or NULL when the model is gone. */
sim_dynamics_t *sim_dynamics_upgrade(sim_dynamics_t *dyn);
unsigned sim_dynamics_strong_count(const sim_dynamics_t *dyn);
unsigned sim_dynamics_weak_count(const sim_dynamics_t *dyn);
/* The model takes ownership of one strong reference to `observer`, released with `release`
 * when the model dies (replacing and releasing any previous observer). */
void sim_dynamics_attach_observer(sim_dynamics_t *dyn, void *observer, sim_observer_release_fn release);

const sim_plant_params_t *sim_dynamics_params(const sim_dynamics_t *dyn);
/* Turn friction off (energy tests) or back on; on by default. */
void sim_dynamics_set_friction(sim_dynamics_t *dyn, bool enabled);

/* M(q) (symmetric positive definite) and h = C(q, qd) qd + G(q) + friction(qd), so that the
 * equations of motion read M qdd = [u, 0, 0] - h. */
void sim_dynamics_terms(const sim_dynamics_t *dyn, const double state[SIM_STATE_DIM],
                        double mass[3][3], double h[3]);
/* Inverse of a symmetric positive definite 3x3 matrix; returns false when it is singular. */
bool sim_sym3_inverse(const double m[3][3], double inv[3][3]);
/* qdd for force u; returns false when the mass matrix is singular (never for valid params). */
bool sim_dynamics_accel(const sim_dynamics_t *dyn, const double state[SIM_STATE_DIM], double force,
                        double qdd[3]);
/* One classical 4th-order Runge-Kutta step of length dt with u held constant. No allocation. */
void sim_dynamics_rk4_step(const sim_dynamics_t *dyn, double state[SIM_STATE_DIM], double force, double dt);
/* Total mechanical energy T + V [J] (potential zero at the pivot height). */
double sim_dynamics_energy(const sim_dynamics_t *dyn, const double state[SIM_STATE_DIM]);

#endif /* SIM_DYNAMICS_H */
