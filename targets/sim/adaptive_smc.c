/*
 * adaptive_smc.c — adaptive sliding-mode control: the switching gain K(t) grows with |s|
 * outside a dead zone, leaks back towards its initial value, and stays within its bounds:
 *   u = (-alpha - K sat(s / phi) - kd s) / beta,
 *   dK/dt = gamma |s| [|s| > dead zone] - leak (K - K0),  K in [K_min, K_max].
 */
#include "controller_impl.h"

#include <math.h>

typedef struct adaptive_smc {
    sim_controller_t base;
    double switching_gain;  /* K(t) */
} adaptive_smc_t;

static double adaptive_compute(sim_controller_t *self, const sim_smc_terms_t *t, double dt)
{
    adaptive_smc_t *ad = (adaptive_smc_t *)self;
    const sim_controller_config_t *cfg = &self->config;
    const double gamma = self->gains[6], damping = self->gains[7];
    const double v = -ad->switching_gain * sim_smc_sat(t->surface, cfg->boundary_layer) - damping * t->surface;
    const double force = (-t->alpha + v) / t->beta;

    const double magnitude = fabs(t->surface);
    double rate = -cfg->adapt_leak_rate * (ad->switching_gain - cfg->adapt_gain_init);
    if (magnitude > cfg->adapt_dead_zone)
        rate += gamma * magnitude;
    const double k = ad->switching_gain + rate * dt;
    ad->switching_gain = k < cfg->adapt_gain_min ? cfg->adapt_gain_min
                       : k > cfg->adapt_gain_max ? cfg->adapt_gain_max : k;
    return force;
}

static void adaptive_reset(sim_controller_t *self)
{
    ((adaptive_smc_t *)self)->switching_gain = self->config.adapt_gain_init;
}

static void adaptive_cleanup(sim_controller_t *self)
{
    (void)self;
}

static double adaptive_gain(const sim_controller_t *self, int which)
{
    return which == 0 ? ((const adaptive_smc_t *)self)->switching_gain : 0.0;
}

const sim_controller_desc_t sim_adaptive_smc_desc = {
    .name = "adaptive_smc",
    .struct_bytes = sizeof(adaptive_smc_t),
    .gain_names = { "k_x", "k_1", "k_2", "lambda_x", "lambda_1", "lambda_2", "gamma", "k_d" },
    .extra_gains = { 100.0, 10.0 },
    .ops = { adaptive_compute, adaptive_reset, adaptive_cleanup, adaptive_gain },
};
