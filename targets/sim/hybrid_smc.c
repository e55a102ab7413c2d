/*
 * hybrid_smc.c — hybrid adaptive super-twisting sliding-mode control: super-twisting whose
 * gains K1(t), K2(t) adapt like the adaptive SMC's (dead zone, leak, bounds), plus damping:
 *   u = (-alpha - K1 sqrt|s| sat(s / phi) + z - kd s) / beta,   dz/dt = -K2 sat(s / phi),
 *   dKi/dt = gamma_i |s| [|s| > dead zone] - leak (Ki - Ki0).
 */
#include "controller_impl.h"

#include <math.h>

typedef struct hybrid_smc {
    sim_controller_t base;
    double k1;        /* K1(t) */
    double k2;        /* K2(t) */
    double integral;  /* z */
} hybrid_smc_t;

static double adapt(double gain, double initial, double gamma, double magnitude, double dt,
                    const sim_controller_config_t *cfg)
{
    double rate = -cfg->adapt_leak_rate * (gain - initial);
    if (magnitude > cfg->adapt_dead_zone)
        rate += gamma * magnitude;
    const double k = gain + rate * dt;
    return k < cfg->hybrid_gain_min ? cfg->hybrid_gain_min : k > cfg->hybrid_gain_max ? cfg->hybrid_gain_max : k;
}

static double hybrid_compute(sim_controller_t *self, const sim_smc_terms_t *t, double dt)
{
    hybrid_smc_t *hy = (hybrid_smc_t *)self;
    const sim_controller_config_t *cfg = &self->config;
    const double gamma1 = self->gains[6], gamma2 = self->gains[7];
    const double sat = sim_smc_sat(t->surface, cfg->boundary_layer);
    const double v = -hy->k1 * sqrt(fabs(t->surface)) * sat + hy->integral - cfg->hybrid_damping * t->surface;
    const double force = (-t->alpha + v) / t->beta;

    hy->integral = sim_smc_clamp(hy->integral - hy->k2 * sat * dt, cfg->max_force * fabs(t->beta));
    const double magnitude = fabs(t->surface);
    hy->k1 = adapt(hy->k1, cfg->hybrid_k1_init, gamma1, magnitude, dt, cfg);
    hy->k2 = adapt(hy->k2, cfg->hybrid_k2_init, gamma2, magnitude, dt, cfg);
    return force;
}

static void hybrid_reset(sim_controller_t *self)
{
    hybrid_smc_t *hy = (hybrid_smc_t *)self;
    hy->k1 = self->config.hybrid_k1_init;
    hy->k2 = self->config.hybrid_k2_init;
    hy->integral = 0.0;
}

static void hybrid_cleanup(sim_controller_t *self)
{
    (void)self;
}

static double hybrid_gain(const sim_controller_t *self, int which)
{
    const hybrid_smc_t *hy = (const hybrid_smc_t *)self;
    return which == 0 ? hy->k1 : which == 1 ? hy->k2 : 0.0;
}

const sim_controller_desc_t sim_hybrid_smc_desc = {
    .name = "hybrid_adaptive_sta_smc",
    .struct_bytes = sizeof(hybrid_smc_t),
    .gain_names = { "k_x", "k_1", "k_2", "lambda_x", "lambda_1", "lambda_2", "gamma_1", "gamma_2" },
    .extra_gains = { 20.0, 10.0 },
    .ops = { hybrid_compute, hybrid_reset, hybrid_cleanup, hybrid_gain },
};
