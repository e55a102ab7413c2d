/*
 * config.h — the simulator's parameters with their documented defaults: the plant (a cart
 * carrying two pendulums in series), the controllers' shared settings, the standard initial
 * condition and the stabilization criterion. docs/sim.md lists every value and its reason.
 */
#ifndef SIM_CONFIG_H
#define SIM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* State vector layout, as in DIP-SMC-PSO: positions then velocities. Angles are absolute
 * (each link from the upward vertical, counter-clockwise positive); 0 is upright. */
enum {
    SIM_X = 0,      /* cart position [m] */
    SIM_TH1 = 1,    /* lower pendulum angle [rad] */
    SIM_TH2 = 2,    /* upper pendulum angle [rad] */
    SIM_XD = 3,     /* cart velocity [m/s] */
    SIM_TH1D = 4,   /* lower pendulum angular velocity [rad/s] */
    SIM_TH2D = 5,   /* upper pendulum angular velocity [rad/s] */
    SIM_STATE_DIM = 6
};

/* Physical parameters of the double inverted pendulum on a cart. */
typedef struct sim_plant_params {
    double cart_mass;         /* m0 [kg] */
    double pendulum1_mass;    /* m1 [kg], lower link */
    double pendulum2_mass;    /* m2 [kg], upper link */
    double pendulum1_length;  /* L1 [m], pivot to pivot */
    double pendulum2_length;  /* L2 [m], pivot to tip (geometry only) */
    double pendulum1_com;     /* lc1 [m], pivot to the link's centre of mass */
    double pendulum2_com;     /* lc2 [m] */
    double pendulum1_inertia; /* I1 [kg m^2], about the link's centre of mass */
    double pendulum2_inertia; /* I2 [kg m^2] */
    double gravity;           /* g [m/s^2] */
    double cart_friction;     /* viscous [N s/m] on the cart */
    double joint1_friction;   /* viscous [N m s/rad] at the cart pivot */
    double joint2_friction;   /* viscous [N m s/rad] on the angle between the links */
} sim_plant_params_t;

/* Number of sliding-surface poles: the sliding dynamics of the 6-state plant are 5th order. */
#define SIM_SURFACE_POLES 5

/* Settings shared by the four controllers (the gains themselves are per controller). */
typedef struct sim_controller_config {
    double max_force;       /* |u| <= max_force [N]: every controller saturates here */
    double boundary_layer;  /* phi: sat(s/phi) replaces sign(s) inside |s| < phi */
    size_t history_capacity;/* records in each controller's bounded ring buffer */
    /* The default gains place the linearized sliding dynamics at these poles [1/s]. */
    double surface_poles[SIM_SURFACE_POLES];
    /* Adaptive SMC: switching gain K(t) starts at adapt_gain_init, adapts by gamma|s| outside
     * the dead zone, decays towards its start at adapt_leak_rate, stays in [min, max]. */
    double adapt_gain_init;
    double adapt_gain_min;
    double adapt_gain_max;
    double adapt_leak_rate;
    double adapt_dead_zone;
    /* Hybrid adaptive STA: K1(t), K2(t) start here and adapt within [min, max]. */
    double hybrid_k1_init;
    double hybrid_k2_init;
    double hybrid_gain_min;
    double hybrid_gain_max;
    double hybrid_damping;  /* linear term kd*s added to the super-twisting law */
} sim_controller_config_t;

/* "Stabilized": |x|, |th1|, |th2| all within these bounds from some time on, and held there for
 * at least hold_time seconds up to the end of the run. */
typedef struct sim_stability_criterion {
    double cart_bound;   /* [m] */
    double angle_bound;  /* [rad] for both links */
    double hold_time;    /* [s] */
} sim_stability_criterion_t;

/* Fill *p with the documented plant defaults (docs/sim.md "Parameters"). */
void sim_plant_defaults(sim_plant_params_t *p);

/* Fill *c with the documented controller defaults. */
void sim_controller_config_defaults(sim_controller_config_t *c);

/* Fill *c with the documented stabilization criterion. */
void sim_stability_defaults(sim_stability_criterion_t *c);

/* The standard initial condition: cart at rest at 0, th1 = 0.1 rad, th2 = 0.05 rad, at rest. */
void sim_standard_initial_state(double state[SIM_STATE_DIM]);

/* Documented bound on the settling time from the standard initial condition, for every
 * controller with its default gains and the default plant and dt (checked by the unit tests). */
#define SIM_DOCUMENTED_SETTLING_TIME 2.5

#endif /* SIM_CONFIG_H */
