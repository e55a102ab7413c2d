/*
 * test_sim_physics.c — the plant model of build/sim: energy conservation without control and
 * friction (tolerance documented in docs/sim.md), 4th-order convergence of RK4, dissipation by
 * friction, the upright equilibrium, the mass matrix, and the sliding-surface design.
 */
#include <check.h>

#include "check_main.h"
#include <math.h>
#include <stdlib.h>

#include "config.h"
#include "controller.h"
#include "dynamics.h"
#include "run.h"
#include "sliding_surface.h"

/* Documented: relative energy drift below 1e-6 over 10 s at dt = 1e-3 (measured 2.8e-7). */
#define ENERGY_REL_TOLERANCE 1e-6

static sim_dynamics_t *frictionless_model(void)
{
    sim_plant_params_t p;
    sim_plant_defaults(&p);
    sim_dynamics_t *dyn = sim_dynamics_create(&p);
    ck_assert_ptr_nonnull(dyn);
    sim_dynamics_set_friction(dyn, false);
    return dyn;
}

/* Largest |E(t) - E(0)| over `seconds` of free motion from `initial`. */
static double max_energy_drift(sim_dynamics_t *dyn, const double initial[SIM_STATE_DIM], double dt, double seconds)
{
    double s[SIM_STATE_DIM];
    for (int i = 0; i < SIM_STATE_DIM; i++)
        s[i] = initial[i];
    const double e0 = sim_dynamics_energy(dyn, s);
    double worst = 0.0;
    const long steps = lround(seconds / dt);
    for (long k = 0; k < steps; k++) {
        sim_dynamics_rk4_step(dyn, s, 0.0, dt);
        const double d = fabs(sim_dynamics_energy(dyn, s) - e0);
        if (d > worst)
            worst = d;
    }
    return worst;
}

/* The pendulum falls from near upright and swings through the hanging position: a hard case
 * (angular rates up to 17 rad/s). */
static const double falling_state[SIM_STATE_DIM] = { 0.0, 0.3, -0.2, 0.0, 0.0, 0.0 };

START_TEST(energy_is_conserved_without_control_and_friction)
{
    sim_dynamics_t *dyn = frictionless_model();
    const double e0 = sim_dynamics_energy(dyn, falling_state);
    const double drift = max_energy_drift(dyn, falling_state, 1e-3, 10.0);
    ck_assert_double_lt(drift / fabs(e0), ENERGY_REL_TOLERANCE);

    const double moving[SIM_STATE_DIM] = { 0.5, 2.5, -1.0, 0.3, 1.0, -2.0 };
    const double e1 = sim_dynamics_energy(dyn, moving);
    ck_assert_double_lt(max_energy_drift(dyn, moving, 1e-3, 10.0) / fabs(e1), ENERGY_REL_TOLERANCE);
    sim_dynamics_release(dyn);
}
END_TEST

START_TEST(energy_error_converges_at_fourth_order)
{
    /* Halving dt divides the drift of a 4th-order method by about 16; accept > 10. A wrong
     * Coriolis term would give an O(1) drift that does not shrink with dt. */
    sim_dynamics_t *dyn = frictionless_model();
    const double coarse = max_energy_drift(dyn, falling_state, 2e-3, 5.0);
    const double fine = max_energy_drift(dyn, falling_state, 1e-3, 5.0);
    ck_assert_double_gt(coarse / fine, 10.0);
    sim_dynamics_release(dyn);
}
END_TEST

START_TEST(friction_only_dissipates)
{
    sim_plant_params_t p;
    sim_plant_defaults(&p);
    sim_dynamics_t *dyn = sim_dynamics_create(&p);
    double s[SIM_STATE_DIM] = { 0.0, 0.3, -0.2, 0.0, 0.0, 0.0 };
    double previous = sim_dynamics_energy(dyn, s);
    const double start = previous;
    for (int k = 0; k < 5000; k++) {
        sim_dynamics_rk4_step(dyn, s, 0.0, 1e-3);
        const double e = sim_dynamics_energy(dyn, s);
        ck_assert_double_le(e, previous + 1e-9);  /* the integration error is far below 1e-9 */
        previous = e;
    }
    ck_assert_double_lt(previous, start - 1e-3);
    sim_dynamics_release(dyn);
}
END_TEST

START_TEST(upright_equilibrium_stays_put)
{
    sim_plant_params_t p;
    sim_plant_defaults(&p);
    sim_dynamics_t *dyn = sim_dynamics_create(&p);
    for (int friction = 0; friction <= 1; friction++) {
        sim_dynamics_set_friction(dyn, friction);
        double s[SIM_STATE_DIM] = { 0 };
        for (int k = 0; k < 10000; k++)
            sim_dynamics_rk4_step(dyn, s, 0.0, 1e-3);
        for (int i = 0; i < SIM_STATE_DIM; i++)
            ck_assert_double_le(fabs(s[i]), 1e-12);
    }
    /* Also under a controller: zero state gives s = 0, alpha = 0, hence exactly zero force. */
    sim_controller_config_t cc;
    sim_stability_criterion_t crit;
    sim_controller_config_defaults(&cc);
    sim_stability_defaults(&crit);
    const double zero[SIM_STATE_DIM] = { 0 };
    for (int kind = 0; kind < SIM_CONTROLLER_KIND_COUNT; kind++) {
        const sim_episode_t ep = { .kind = kind, .plant = &p, .controller_config = &cc, .criterion = &crit,
                                   .dt = 1e-3, .steps = 2000, .initial_state = zero };
        sim_episode_result_t r;
        ck_assert(sim_run_episode(&ep, &r));
        ck_assert_double_le(r.max_abs_force, 1e-12);
        for (int i = 0; i < SIM_STATE_DIM; i++)
            ck_assert_double_le(fabs(r.final_state[i]), 1e-12);
        ck_assert(r.stabilized);
    }
    sim_dynamics_release(dyn);
}
END_TEST

START_TEST(mass_matrix_is_symmetric_positive_definite)
{
    sim_dynamics_t *dyn = frictionless_model();
    srand(7);
    for (int trial = 0; trial < 200; trial++) {
        double s[SIM_STATE_DIM];
        for (int i = 0; i < SIM_STATE_DIM; i++)
            s[i] = 6.0 * ((double)rand() / RAND_MAX - 0.5);
        double m[3][3], h[3];
        sim_dynamics_terms(dyn, s, m, h);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                ck_assert_double_eq(m[i][j], m[j][i]);
        /* Leading principal minors positive (Sylvester). */
        ck_assert_double_gt(m[0][0], 0.0);
        ck_assert_double_gt(m[0][0] * m[1][1] - m[0][1] * m[1][0], 0.0);
        double inv[3][3];
        ck_assert(sim_sym3_inverse(m, inv));
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                double acc = 0.0;
                for (int k = 0; k < 3; k++)
                    acc += m[i][k] * inv[k][j];
                ck_assert_double_eq_tol(acc, i == j ? 1.0 : 0.0, 1e-12);
            }
        /* The acceleration satisfies M qdd = [u 0 0] - h. */
        double qdd[3];
        const double u = 3.0;
        ck_assert(sim_dynamics_accel(dyn, s, u, qdd));
        for (int i = 0; i < 3; i++) {
            const double lhs = m[i][0] * qdd[0] + m[i][1] * qdd[1] + m[i][2] * qdd[2];
            ck_assert_double_eq_tol(lhs, (i == 0 ? u : 0.0) - h[i], 1e-9);
        }
    }
    sim_dynamics_release(dyn);
}
END_TEST

START_TEST(surface_design_has_unit_input_gain)
{
    sim_plant_params_t p;
    sim_controller_config_t cc;
    sim_plant_defaults(&p);
    sim_controller_config_defaults(&cc);
    sim_surface_t sf;
    ck_assert(sim_surface_design(&p, cc.surface_poles, &sf));
    sim_dynamics_t *dyn = frictionless_model();
    const double upright[SIM_STATE_DIM] = { 0 };
    double m[3][3], h[3], inv[3][3];
    sim_dynamics_terms(dyn, upright, m, h);
    ck_assert(sim_sym3_inverse(m, inv));
    const double beta = sf.k[0] * inv[0][0] + sf.k[1] * inv[1][0] + sf.k[2] * inv[2][0];
    ck_assert_double_eq_tol(beta, 1.0, 1e-9);
    sim_dynamics_release(dyn);
}
END_TEST

START_TEST(sliding_mode_decays_at_the_slowest_design_pole)
{
    /* From a tiny initial condition the closed loop is linear; its slowest eigenvalue is the
     * slowest sliding pole (-1.5/s), the reaching mode being much faster. */
    sim_plant_params_t p;
    sim_controller_config_t cc;
    sim_stability_criterion_t crit;
    sim_plant_defaults(&p);
    sim_controller_config_defaults(&cc);
    sim_stability_defaults(&crit);
    const double tiny[SIM_STATE_DIM] = { 0.0, 1e-6, 5e-7, 0.0, 0.0, 0.0 };
    double x_at[2];
    const double times[2] = { 8.0, 9.0 };
    for (int i = 0; i < 2; i++) {
        const sim_episode_t ep = { .kind = SIM_CLASSICAL_SMC, .plant = &p, .controller_config = &cc,
                                   .criterion = &crit, .dt = 1e-3, .steps = (uint64_t)lround(times[i] / 1e-3),
                                   .initial_state = tiny, .no_friction = true };
        sim_episode_result_t r;
        ck_assert(sim_run_episode(&ep, &r));
        x_at[i] = r.final_state[SIM_X];
    }
    const double rate = log(fabs(x_at[1] / x_at[0])) / (times[1] - times[0]);
    double slowest = cc.surface_poles[0];
    for (int j = 1; j < SIM_SURFACE_POLES; j++)
        if (cc.surface_poles[j] > slowest)
            slowest = cc.surface_poles[j];
    ck_assert_double_eq_tol(rate, slowest, 0.03 * fabs(slowest));
}
END_TEST

START_TEST(solve3_solves)
{
    const double a[3][3] = { { 0.0, 2.0, 1.0 }, { 1.0, -1.0, 3.0 }, { 4.0, 0.5, -2.0 } };
    const double x_true[3] = { 1.5, -2.0, 0.25 };
    double b[3], x[3];
    for (int i = 0; i < 3; i++)
        b[i] = a[i][0] * x_true[0] + a[i][1] * x_true[1] + a[i][2] * x_true[2];
    ck_assert(sim_solve3(a, b, x));
    for (int i = 0; i < 3; i++)
        ck_assert_double_eq_tol(x[i], x_true[i], 1e-12);
    const double singular[3][3] = { { 1, 2, 3 }, { 2, 4, 6 }, { 0, 1, 1 } };
    ck_assert(!sim_solve3(singular, b, x));
}
END_TEST

static Suite *physics_suite(void)
{
    Suite *s = suite_create("sim_physics");
    TCase *tc = tcase_create("model");
    tcase_add_test(tc, energy_is_conserved_without_control_and_friction);
    tcase_add_test(tc, energy_error_converges_at_fourth_order);
    tcase_add_test(tc, friction_only_dissipates);
    tcase_add_test(tc, upright_equilibrium_stays_put);
    tcase_add_test(tc, mass_matrix_is_symmetric_positive_definite);
    tcase_add_test(tc, surface_design_has_unit_input_gain);
    tcase_add_test(tc, sliding_mode_decays_at_the_slowest_design_pole);
    tcase_add_test(tc, solve3_solves);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ls_check_run(physics_suite(), CK_FORK_GETENV);
}
