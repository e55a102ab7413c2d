/*
 * sliding_surface.h — the linear sliding surface shared by the four controllers,
 * s = sum_i k_i (qd_i + lambda_i q_i) over q = (x, th1, th2), and its design by pole placement.
 */
#ifndef SIM_SLIDING_SURFACE_H
#define SIM_SLIDING_SURFACE_H

#include <stdbool.h>

#include "config.h"

typedef struct sim_surface {
    double k[3];       /* velocity weights (x, th1, th2) */
    double lambda[3];  /* position-to-velocity ratios: position weight i is k[i] * lambda[i] */
} sim_surface_t;

/* s for `state`. */
double sim_surface_value(const sim_surface_t *surface, const double state[SIM_STATE_DIM]);

/* The surface whose sliding dynamics, linearized about the upright equilibrium without
 * friction, have exactly the poles `poles` (real, negative, distinct or not), scaled so that
 * ds/dt = ... + 1 * u at the upright (unit input gain, so switching gains are in newtons).
 * Method (docs/sim.md "Surface design"): the zeros of s(p)/u(p) are the sliding poles; both
 * numerator halves are linear in (k, k*lambda), so two 3x3 solves place them. Returns false
 * when the plant makes the placement singular or a velocity weight comes out zero. */
bool sim_surface_design(const sim_plant_params_t *params, const double poles[SIM_SURFACE_POLES],
                        sim_surface_t *out);

/* Solve the 3x3 system a x = b by Gaussian elimination with partial pivoting; false if singular. */
bool sim_solve3(const double a[3][3], const double b[3], double x[3]);

#endif /* SIM_SLIDING_SURFACE_H */
