/*
 * sta_smc.c — super-twisting sliding-mode control (second-order SMC):
 *   u = (-alpha - K1 sqrt|s| sat(s / phi) + z) / beta,   dz/dt = -K2 sat(s / phi),
 * with the integral z clipped to the force bound (anti-windup).
 */
#include "controller_impl.h"

#include <math.h>

typedef struct sta_smc {
    sim_controller_t base;
    double integral;  /* z */
} sta_smc_t;

static double sta_compute(sim_controller_t *self, const sim_smc_terms_t *t, double dt)
{
    sta_smc_t *sta = (sta_smc_t *)self;
    const double k1 = self->gains[6], k2 = self->gains[7];
    const double sat = sim_smc_sat(t->surface, self->config.boundary_layer);
    const double v = -k1 * sqrt(fabs(t->surface)) * sat + sta->integral;
    const double force = (-t->alpha + v) / t->beta;
    sta->integral = sim_smc_clamp(sta->integral - k2 * sat * dt, self->config.max_force * fabs(t->beta));
    return force;
}

static void sta_reset(sim_controller_t *self)
{
    ((sta_smc_t *)self)->integral = 0.0;
}

static void sta_cleanup(sim_controller_t *self)
{
    (void)self;
}

const sim_controller_desc_t sim_sta_smc_desc = {
    .name = "sta_smc",
    .struct_bytes = sizeof(sta_smc_t),
    .gain_names = { "k_x", "k_1", "k_2", "lambda_x", "lambda_1", "lambda_2", "K1", "K2" },
    .extra_gains = { 10.0, 5.0 },
    .ops = { sta_compute, sta_reset, sta_cleanup, NULL },
};
