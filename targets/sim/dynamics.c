/*
 * dynamics.c — equations of motion of the cart with two pendulums in series (Lagrangian
 * derivation in docs/sim.md "The model"), RK4 integration, energy, and reference counting.
 */
#include "dynamics.h"

#include <math.h>
#include <stdlib.h>

#include "alloc_site.h"

struct sim_dynamics {
    unsigned strong_refs;
    unsigned weak_refs;        /* weak references, plus one held by all strong ones together */
    bool friction_enabled;
    sim_plant_params_t params;
    void *observer;            /* strong reference owned by the model (cycle fault only) */
    sim_observer_release_fn observer_release;
};

size_t sim_dynamics_block_bytes(void)
{
    return sizeof(struct sim_dynamics);
}

SIM_ALLOC_SITE sim_dynamics_t *sim_dynamics_create(const sim_plant_params_t *params)
{
    sim_dynamics_t *dyn = malloc(sizeof *dyn);  /* the one allocation of a model */
    if (!dyn)
        return NULL;
    dyn->strong_refs = 1;
    dyn->weak_refs = 1;
    dyn->friction_enabled = true;
    dyn->params = *params;
    dyn->observer = NULL;
    dyn->observer_release = NULL;
    return dyn;
}

void sim_dynamics_retain(sim_dynamics_t *dyn)
{
    dyn->strong_refs++;
}

void sim_dynamics_release(sim_dynamics_t *dyn)
{
    if (--dyn->strong_refs > 0)
        return;
    /* The model is dead: drop what it owns, then the weak reference the strong ones held. */
    if (dyn->observer) {
        void *observer = dyn->observer;
        sim_observer_release_fn release = dyn->observer_release;
        dyn->observer = NULL;
        dyn->observer_release = NULL;
        release(observer);
    }
    sim_dynamics_weak_release(dyn);
}

void sim_dynamics_weak_retain(sim_dynamics_t *dyn)
{
    dyn->weak_refs++;
}

void sim_dynamics_weak_release(sim_dynamics_t *dyn)
{
    if (--dyn->weak_refs == 0)
        free(dyn);
}

sim_dynamics_t *sim_dynamics_upgrade(sim_dynamics_t *dyn)
{
    if (!dyn || dyn->strong_refs == 0)
        return NULL;
    dyn->strong_refs++;
    return dyn;
}

unsigned sim_dynamics_strong_count(const sim_dynamics_t *dyn)
{
    return dyn->strong_refs;
}

unsigned sim_dynamics_weak_count(const sim_dynamics_t *dyn)
{
    return dyn->weak_refs;
}

void sim_dynamics_attach_observer(sim_dynamics_t *dyn, void *observer, sim_observer_release_fn release)
{
    void *old = dyn->observer;
    sim_observer_release_fn old_release = dyn->observer_release;
    dyn->observer = observer;
    dyn->observer_release = release;
    if (old)
        old_release(old);
}

const sim_plant_params_t *sim_dynamics_params(const sim_dynamics_t *dyn)
{
    return &dyn->params;
}

void sim_dynamics_set_friction(sim_dynamics_t *dyn, bool enabled)
{
    dyn->friction_enabled = enabled;
}

/* Lumped inertial constants of the Lagrangian (names as in docs/sim.md). */
typedef struct {
    double total_mass;  /* m0 + m1 + m2 */
    double a;           /* m1 lc1 + m2 L1: first link's coupling to the cart */
    double b;           /* m2 lc2: second link's coupling to the cart */
    double j1;          /* m1 lc1^2 + m2 L1^2 + I1 */
    double j2;          /* m2 lc2^2 + I2 */
    double c12;         /* m2 L1 lc2: coupling between the links */
} lumped_t;

static lumped_t lumped_constants(const sim_plant_params_t *p)
{
    lumped_t k;
    k.total_mass = p->cart_mass + p->pendulum1_mass + p->pendulum2_mass;
    k.a = p->pendulum1_mass * p->pendulum1_com + p->pendulum2_mass * p->pendulum1_length;
    k.b = p->pendulum2_mass * p->pendulum2_com;
    k.j1 = p->pendulum1_mass * p->pendulum1_com * p->pendulum1_com
         + p->pendulum2_mass * p->pendulum1_length * p->pendulum1_length + p->pendulum1_inertia;
    k.j2 = p->pendulum2_mass * p->pendulum2_com * p->pendulum2_com + p->pendulum2_inertia;
    k.c12 = p->pendulum2_mass * p->pendulum1_length * p->pendulum2_com;
    return k;
}

void sim_dynamics_terms(const sim_dynamics_t *dyn, const double state[SIM_STATE_DIM],
                        double mass[3][3], double h[3])
{
    const sim_plant_params_t *p = &dyn->params;
    const lumped_t k = lumped_constants(p);
    const double th1 = state[SIM_TH1], th2 = state[SIM_TH2];
    const double xd = state[SIM_XD], th1d = state[SIM_TH1D], th2d = state[SIM_TH2D];
    const double s1 = sin(th1), c1 = cos(th1), s2 = sin(th2), c2 = cos(th2);
    const double s12 = sin(th1 - th2), c12 = cos(th1 - th2);

    mass[0][0] = k.total_mass;
    mass[0][1] = mass[1][0] = k.a * c1;
    mass[0][2] = mass[2][0] = k.b * c2;
    mass[1][1] = k.j1;
    mass[1][2] = mass[2][1] = k.c12 * c12;
    mass[2][2] = k.j2;

    /* C(q, qd) qd (centripetal terms) + G(q). */
    h[0] = -k.a * s1 * th1d * th1d - k.b * s2 * th2d * th2d;
    h[1] = k.c12 * s12 * th2d * th2d - k.a * p->gravity * s1;
    h[2] = -k.c12 * s12 * th1d * th1d - k.b * p->gravity * s2;

    if (dyn->friction_enabled) {
        /* Viscous: on the cart, at the cart pivot, and on the relative angle at the middle
         * joint (equal and opposite torques on the two links). */
        const double rel = th2d - th1d;
        h[0] += p->cart_friction * xd;
        h[1] += p->joint1_friction * th1d - p->joint2_friction * rel;
        h[2] += p->joint2_friction * rel;
    }
}

bool sim_sym3_inverse(const double m[3][3], double inv[3][3])
{
    const double a00 = m[1][1] * m[2][2] - m[1][2] * m[2][1];
    const double a01 = m[0][2] * m[2][1] - m[0][1] * m[2][2];
    const double a02 = m[0][1] * m[1][2] - m[0][2] * m[1][1];
    const double det = m[0][0] * a00 + m[1][0] * a01 + m[2][0] * a02;
    if (!(fabs(det) > 1e-300))
        return false;
    const double r = 1.0 / det;
    inv[0][0] = a00 * r;
    inv[0][1] = inv[1][0] = a01 * r;
    inv[0][2] = inv[2][0] = a02 * r;
    inv[1][1] = (m[0][0] * m[2][2] - m[0][2] * m[2][0]) * r;
    inv[1][2] = inv[2][1] = (m[0][2] * m[1][0] - m[0][0] * m[1][2]) * r;
    inv[2][2] = (m[0][0] * m[1][1] - m[0][1] * m[1][0]) * r;
    return true;
}

bool sim_dynamics_accel(const sim_dynamics_t *dyn, const double state[SIM_STATE_DIM], double force,
                        double qdd[3])
{
    double mass[3][3], h[3], inv[3][3];
    sim_dynamics_terms(dyn, state, mass, h);
    if (!sim_sym3_inverse(mass, inv))
        return false;
    const double rhs[3] = { force - h[0], -h[1], -h[2] };
    for (int i = 0; i < 3; i++)
        qdd[i] = inv[i][0] * rhs[0] + inv[i][1] * rhs[1] + inv[i][2] * rhs[2];
    return true;
}

/* d(state)/dt for force u; the mass matrix is never singular for physical parameters. */
static void state_derivative(const sim_dynamics_t *dyn, const double state[SIM_STATE_DIM], double force,
                             double deriv[SIM_STATE_DIM])
{
    double qdd[3] = { 0.0, 0.0, 0.0 };
    (void)sim_dynamics_accel(dyn, state, force, qdd);
    deriv[SIM_X] = state[SIM_XD];
    deriv[SIM_TH1] = state[SIM_TH1D];
    deriv[SIM_TH2] = state[SIM_TH2D];
    deriv[SIM_XD] = qdd[0];
    deriv[SIM_TH1D] = qdd[1];
    deriv[SIM_TH2D] = qdd[2];
}

void sim_dynamics_rk4_step(const sim_dynamics_t *dyn, double state[SIM_STATE_DIM], double force, double dt)
{
    double k1[SIM_STATE_DIM], k2[SIM_STATE_DIM], k3[SIM_STATE_DIM], k4[SIM_STATE_DIM];
    double tmp[SIM_STATE_DIM];

    state_derivative(dyn, state, force, k1);
    for (int i = 0; i < SIM_STATE_DIM; i++)
        tmp[i] = state[i] + 0.5 * dt * k1[i];
    state_derivative(dyn, tmp, force, k2);
    for (int i = 0; i < SIM_STATE_DIM; i++)
        tmp[i] = state[i] + 0.5 * dt * k2[i];
    state_derivative(dyn, tmp, force, k3);
    for (int i = 0; i < SIM_STATE_DIM; i++)
        tmp[i] = state[i] + dt * k3[i];
    state_derivative(dyn, tmp, force, k4);
    for (int i = 0; i < SIM_STATE_DIM; i++)
        state[i] += dt / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
}

double sim_dynamics_energy(const sim_dynamics_t *dyn, const double state[SIM_STATE_DIM])
{
    const sim_plant_params_t *p = &dyn->params;
    double mass[3][3], h[3];
    sim_dynamics_terms(dyn, state, mass, h);  /* only M is used: T = qd' M qd / 2 */
    const double qd[3] = { state[SIM_XD], state[SIM_TH1D], state[SIM_TH2D] };
    double kinetic = 0.0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            kinetic += 0.5 * qd[i] * mass[i][j] * qd[j];
    const lumped_t k = lumped_constants(p);
    const double potential = p->gravity * (k.a * cos(state[SIM_TH1]) + k.b * cos(state[SIM_TH2]));
    return kinetic + potential;
}
