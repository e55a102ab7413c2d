/*
 * test_sim_controllers.c — the four sliding-mode controllers of build/sim: each stabilizes the
 * pendulum from the standard initial condition within the documented time with the force in
 * its bound; saturation, the factory, the weak dynamics back-reference, reset and history.
 */
#include <check.h>

#include "check_main.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "controller.h"
#include "dynamics.h"
#include "run.h"
#include "sim_fixture.h"


START_TEST(each_controller_stabilizes_in_documented_time)
{
    const sim_controller_kind_t kind = (sim_controller_kind_t)_i;
    fixture_t f = defaults();
    const sim_episode_t ep = { .kind = kind, .plant = &f.plant, .controller_config = &f.config,
                               .criterion = &f.criterion, .dt = 1e-3, .steps = 10000 };
    sim_episode_result_t r;
    ck_assert(sim_run_episode(&ep, &r));
    ck_assert_msg(r.stabilized, "%s did not stabilize", sim_controller_kind_name(kind));
    ck_assert(!r.diverged);
    ck_assert_double_ge(r.settling_time, 0.0);
    ck_assert_double_le(r.settling_time, SIM_DOCUMENTED_SETTLING_TIME);
    ck_assert_double_le(r.max_abs_force, f.config.max_force);
    ck_assert_double_gt(r.max_abs_force, 0.0);
}
END_TEST

START_TEST(each_controller_stabilizes_at_coarser_dt)
{
    const sim_controller_kind_t kind = (sim_controller_kind_t)_i;
    fixture_t f = defaults();
    const sim_episode_t ep = { .kind = kind, .plant = &f.plant, .controller_config = &f.config,
                               .criterion = &f.criterion, .dt = 0.01, .steps = 1000 };
    sim_episode_result_t r;
    ck_assert(sim_run_episode(&ep, &r));
    ck_assert(r.stabilized);
    ck_assert_double_le(r.settling_time, SIM_DOCUMENTED_SETTLING_TIME);
}
END_TEST

START_TEST(force_never_exceeds_the_configured_maximum)
{
    const sim_controller_kind_t kind = (sim_controller_kind_t)_i;
    fixture_t f = defaults();
    f.config.max_force = 2.0;  /* far below the ~10 N the transient asks for */
    sim_dynamics_t *dyn = sim_dynamics_create(&f.plant);
    const sim_controller_spec_t spec = { .kind = kind, .config = &f.config, .dynamics = dyn };
    sim_controller_t *ctrl = sim_controller_create(&spec);
    ck_assert_ptr_nonnull(ctrl);
    double s[SIM_STATE_DIM];
    sim_standard_initial_state(&s[0]);
    bool saturated = false;
    for (int k = 0; k < 3000; k++) {
        const double u = sim_controller_compute(ctrl, s, 1e-3);
        ck_assert_double_le(fabs(u), f.config.max_force);
        if (fabs(u) == f.config.max_force)
            saturated = true;
        sim_dynamics_rk4_step(dyn, s, u, 1e-3);
        if (fabs(s[SIM_TH1]) > 1.5)
            break;
    }
    ck_assert(saturated);
    sim_controller_destroy(ctrl);
    sim_dynamics_release(dyn);
}
END_TEST

START_TEST(factory_names_round_trip)
{
    for (int k = 0; k < SIM_CONTROLLER_KIND_COUNT; k++) {
        sim_controller_kind_t parsed;
        ck_assert(sim_controller_kind_parse(sim_controller_kind_name(k), &parsed));
        ck_assert_int_eq(parsed, k);
        for (size_t g = 0; g < SIM_GAIN_COUNT; g++)
            ck_assert_str_ne(sim_controller_gain_name(k, g), "?");
    }
    sim_controller_kind_t parsed;
    ck_assert(!sim_controller_kind_parse("pid", &parsed));
    ck_assert_str_eq(sim_controller_kind_name(SIM_HYBRID_ADAPTIVE_STA_SMC), "hybrid_adaptive_sta_smc");
}
END_TEST

START_TEST(invalid_gains_are_rejected)
{
    fixture_t f = defaults();
    sim_dynamics_t *dyn = sim_dynamics_create(&f.plant);
    double gains[SIM_GAIN_COUNT];
    ck_assert(sim_controller_default_gains(SIM_CLASSICAL_SMC, &f.plant, &f.config, gains));
    sim_controller_spec_t spec = { .kind = SIM_CLASSICAL_SMC, .gains = gains, .config = &f.config, .dynamics = dyn };
    gains[1] = 0.0;  /* zero velocity weight */
    ck_assert_ptr_null(sim_controller_create(&spec));
    gains[1] = NAN;
    ck_assert_ptr_null(sim_controller_create(&spec));
    gains[1] = 0.2;
    gains[6] = -1.0;  /* negative switching gain */
    ck_assert_ptr_null(sim_controller_create(&spec));
    spec.kind = (sim_controller_kind_t)99;
    ck_assert_ptr_null(sim_controller_create(&spec));
    ck_assert_uint_eq(sim_dynamics_weak_count(dyn), 1);  /* nothing retained by the failures */
    sim_dynamics_release(dyn);
}
END_TEST

START_TEST(controller_holds_only_a_weak_reference)
{
    fixture_t f = defaults();
    sim_dynamics_t *dyn = sim_dynamics_create(&f.plant);
    const sim_controller_spec_t spec = { .kind = SIM_STA_SMC, .config = &f.config, .dynamics = dyn };
    sim_controller_t *ctrl = sim_controller_create(&spec);
    ck_assert_ptr_nonnull(ctrl);
    ck_assert_uint_eq(sim_dynamics_strong_count(dyn), 1);
    ck_assert_uint_eq(sim_dynamics_weak_count(dyn), 2);

    double s[SIM_STATE_DIM];
    sim_standard_initial_state(s);
    ck_assert_double_ne(sim_controller_compute(ctrl, s, 1e-3), 0.0);
    ck_assert(!sim_controller_dynamics_lost(ctrl));

    /* The owner lets go: the model dies although the controller still points at it. */
    sim_dynamics_release(dyn);
    ck_assert_ptr_null(sim_dynamics_upgrade(dyn));
    ck_assert_double_eq(sim_controller_compute(ctrl, s, 1e-3), 0.0);
    ck_assert(sim_controller_dynamics_lost(ctrl));
    sim_controller_destroy(ctrl);  /* frees the model's memory with the last weak reference */
}
END_TEST

START_TEST(reset_restores_initial_behaviour)
{
    const sim_controller_kind_t kind = (sim_controller_kind_t)_i;
    fixture_t f = defaults();
    sim_dynamics_t *dyn = sim_dynamics_create(&f.plant);
    const sim_controller_spec_t spec = { .kind = kind, .config = &f.config, .dynamics = dyn };
    sim_controller_t *ctrl = sim_controller_create(&spec);
    double s[SIM_STATE_DIM];
    sim_standard_initial_state(s);
    const double first = sim_controller_compute(ctrl, s, 1e-3);
    for (int k = 0; k < 500; k++) {
        const double u = sim_controller_compute(ctrl, s, 1e-3);
        sim_dynamics_rk4_step(dyn, s, u, 1e-3);
    }
    sim_controller_reset(ctrl);
    ck_assert_uint_eq(sim_ringbuf_count(sim_controller_history(ctrl)), 0);
    sim_standard_initial_state(s);
    ck_assert_double_eq(sim_controller_compute(ctrl, s, 1e-3), first);
    sim_controller_destroy(ctrl);
    sim_dynamics_release(dyn);
}
END_TEST

START_TEST(history_is_a_bounded_ring)
{
    fixture_t f = defaults();
    f.config.history_capacity = 100;
    sim_dynamics_t *dyn = sim_dynamics_create(&f.plant);
    const sim_controller_spec_t spec = { .kind = SIM_CLASSICAL_SMC, .config = &f.config, .dynamics = dyn };
    sim_controller_t *ctrl = sim_controller_create(&spec);
    double s[SIM_STATE_DIM];
    sim_standard_initial_state(s);
    double last_force = 0.0;
    for (int k = 0; k < 250; k++) {
        last_force = sim_controller_compute(ctrl, s, 1e-3);
        sim_dynamics_rk4_step(dyn, s, last_force, 1e-3);
    }
    const sim_ringbuf_t *h = sim_controller_history(ctrl);
    ck_assert_uint_eq(sim_ringbuf_count(h), 100);
    const sim_history_record_t *newest = sim_ringbuf_newest(h);
    ck_assert_double_eq(newest->force, last_force);
    ck_assert_double_eq(newest->surface, sim_controller_last_surface(ctrl));
    ck_assert_uint_eq(sim_controller_block_bytes(SIM_CLASSICAL_SMC, &f.config) % 8, 0);
    sim_controller_destroy(ctrl);
    sim_dynamics_release(dyn);
}
END_TEST

START_TEST(adaptive_gains_adapt_within_bounds)
{
    fixture_t f = defaults();
    sim_dynamics_t *dyn = sim_dynamics_create(&f.plant);
    for (int kind = SIM_ADAPTIVE_SMC; kind <= SIM_HYBRID_ADAPTIVE_STA_SMC; kind++) {
        const sim_controller_spec_t spec = { .kind = kind, .config = &f.config, .dynamics = dyn };
        sim_controller_t *ctrl = sim_controller_create(&spec);
        const double k0 = sim_controller_adaptive_gain(ctrl, 0);
        double s[SIM_STATE_DIM];
        sim_standard_initial_state(s);
        double peak = k0;
        for (int k = 0; k < 3000; k++) {
            const double u = sim_controller_compute(ctrl, s, 1e-3);
            sim_dynamics_rk4_step(dyn, s, u, 1e-3);
            const double g = sim_controller_adaptive_gain(ctrl, 0);
            const double lo = kind == SIM_ADAPTIVE_SMC ? f.config.adapt_gain_min : f.config.hybrid_gain_min;
            const double hi = kind == SIM_ADAPTIVE_SMC ? f.config.adapt_gain_max : f.config.hybrid_gain_max;
            ck_assert_double_ge(g, lo);
            ck_assert_double_le(g, hi);
            if (g > peak)
                peak = g;
        }
        ck_assert_double_gt(peak, k0);  /* the gain grew during the reaching phase */
        sim_controller_destroy(ctrl);
    }
    sim_controller_t *classical = sim_controller_create(&(sim_controller_spec_t){
        .kind = SIM_CLASSICAL_SMC, .config = &f.config, .dynamics = dyn });
    ck_assert_double_eq(sim_controller_adaptive_gain(classical, 0), 0.0);
    sim_controller_destroy(classical);
    sim_dynamics_release(dyn);
}
END_TEST

static Suite *controllers_suite(void)
{
    Suite *s = suite_create("sim_controllers");
    TCase *tc = tcase_create("controllers");
    tcase_add_loop_test(tc, each_controller_stabilizes_in_documented_time, 0, SIM_CONTROLLER_KIND_COUNT);
    tcase_add_loop_test(tc, each_controller_stabilizes_at_coarser_dt, 0, SIM_CONTROLLER_KIND_COUNT);
    tcase_add_loop_test(tc, force_never_exceeds_the_configured_maximum, 0, SIM_CONTROLLER_KIND_COUNT);
    tcase_add_loop_test(tc, reset_restores_initial_behaviour, 0, SIM_CONTROLLER_KIND_COUNT);
    tcase_add_test(tc, factory_names_round_trip);
    tcase_add_test(tc, invalid_gains_are_rejected);
    tcase_add_test(tc, controller_holds_only_a_weak_reference);
    tcase_add_test(tc, history_is_a_bounded_ring);
    tcase_add_test(tc, adaptive_gains_adapt_within_bounds);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ls_check_run(controllers_suite(), CK_FORK_GETENV);
}
