/*
 * config.c — the documented default parameters of the simulator (see config.h and the
 * "Parameters" section of docs/sim.md, which must change together with this file).
 */
#include "config.h"

void sim_plant_defaults(sim_plant_params_t *p)
{
    /* Uniform rods: I = m L^2 / 12 about the centre, centre of mass at L/2. */
    p->cart_mass = 1.5;
    p->pendulum1_mass = 0.2;
    p->pendulum2_mass = 0.15;
    p->pendulum1_length = 0.4;
    p->pendulum2_length = 0.3;
    p->pendulum1_com = 0.2;
    p->pendulum2_com = 0.15;
    p->pendulum1_inertia = 0.2 * 0.4 * 0.4 / 12.0;   /* 0.0026667 */
    p->pendulum2_inertia = 0.15 * 0.3 * 0.3 / 12.0;  /* 0.001125 */
    p->gravity = 9.81;
    p->cart_friction = 0.2;
    p->joint1_friction = 0.005;
    p->joint2_friction = 0.004;
}

void sim_controller_config_defaults(sim_controller_config_t *c)
{
    c->max_force = 150.0;
    c->boundary_layer = 0.05;
    c->history_capacity = 1000;
    /* Real, distinct poles: the slowest (-1.5) sets how fast the cart comes home. */
    c->surface_poles[0] = -1.5;
    c->surface_poles[1] = -2.5;
    c->surface_poles[2] = -4.0;
    c->surface_poles[3] = -6.0;
    c->surface_poles[4] = -8.0;
    c->adapt_gain_init = 2.0;
    c->adapt_gain_min = 0.5;
    c->adapt_gain_max = 20.0;
    c->adapt_leak_rate = 0.1;
    c->adapt_dead_zone = 0.01;
    c->hybrid_k1_init = 4.0;
    c->hybrid_k2_init = 2.0;
    c->hybrid_gain_min = 0.5;
    c->hybrid_gain_max = 20.0;
    c->hybrid_damping = 5.0;
}

void sim_stability_defaults(sim_stability_criterion_t *c)
{
    c->cart_bound = 0.05;
    c->angle_bound = 0.01;
    c->hold_time = 1.0;
}

void sim_standard_initial_state(double state[SIM_STATE_DIM])
{
    for (int i = 0; i < SIM_STATE_DIM; i++)
        state[i] = 0.0;
    state[SIM_TH1] = 0.1;
    state[SIM_TH2] = 0.05;
}
