/*
 * classical_smc.c — classical sliding-mode control with a boundary layer:
 *   u = (-alpha - K sat(s / phi) - kd s) / beta,
 * the equivalent control from the model plus a saturated switching term and linear damping.
 */
#include "controller_impl.h"

typedef struct classical_smc {
    sim_controller_t base;  /* stateless beyond the common part */
} classical_smc_t;

static double classical_compute(sim_controller_t *self, const sim_smc_terms_t *t, double dt)
{
    (void)dt;
    const double switching_gain = self->gains[6], damping = self->gains[7];
    const double v = -switching_gain * sim_smc_sat(t->surface, self->config.boundary_layer)
                   - damping * t->surface;
    return (-t->alpha + v) / t->beta;
}

static void classical_reset(sim_controller_t *self)
{
    (void)self;
}

static void classical_cleanup(sim_controller_t *self)
{
    (void)self;
}

const sim_controller_desc_t sim_classical_smc_desc = {
    .name = "classical_smc",
    .struct_bytes = sizeof(classical_smc_t),
    .gain_names = { "k_x", "k_1", "k_2", "lambda_x", "lambda_1", "lambda_2", "K", "k_d" },
    .extra_gains = { 5.0, 10.0 },
    .ops = { classical_compute, classical_reset, classical_cleanup, NULL },
};
