/*
 * test_sim_leaks.c — the `--leak` faults of build/sim grow by exactly the documented bytes per
 * step or per cycle (counted by the fault functions themselves; the shim-side check is an
 * integration test), and `none` allocates nothing in the steady state.
 */
#include <check.h>

#include "check_main.h"
#include <malloc.h>
#include <stdlib.h>

#include "config.h"
#include "controller.h"
#include "dynamics.h"
#include "leak_modes.h"
#include "run.h"
#include "sim_fixture.h"


/* Drives one controller step by step, the way run.c does. */
typedef struct loop {
    sim_dynamics_t *dyn;
    sim_controller_t *ctrl;
    double state[SIM_STATE_DIM];
} loop_t;

static void loop_open(loop_t *l, fixture_t *f, sim_controller_kind_t kind, sim_leak_t *leak)
{
    l->dyn = sim_dynamics_create(&f->plant);
    ck_assert_ptr_nonnull(l->dyn);
    const sim_controller_spec_t spec = { .kind = kind, .config = &f->config, .dynamics = l->dyn, .leak = leak };
    l->ctrl = sim_controller_create(&spec);
    ck_assert_ptr_nonnull(l->ctrl);
    sim_standard_initial_state(l->state);
}

static void loop_step(loop_t *l)
{
    const double u = sim_controller_compute(l->ctrl, l->state, 1e-3);
    sim_dynamics_rk4_step(l->dyn, l->state, u, 1e-3);
}

static void loop_close(loop_t *l)
{
    sim_controller_destroy(l->ctrl);
    sim_dynamics_release(l->dyn);
}

START_TEST(mode_names_round_trip)
{
    for (int m = 0; m < SIM_LEAK_MODE_COUNT; m++) {
        sim_leak_mode_t parsed;
        ck_assert(sim_leak_mode_parse(sim_leak_mode_name(m), &parsed));
        ck_assert_int_eq(parsed, m);
    }
    sim_leak_mode_t parsed;
    ck_assert(!sim_leak_mode_parse("leaky", &parsed));
    ck_assert(sim_leak_mode_needs_cycles(SIM_LEAK_INSTANCE));
    ck_assert(sim_leak_mode_needs_cycles(SIM_LEAK_CYCLE));
    ck_assert(!sim_leak_mode_needs_cycles(SIM_LEAK_HISTORY));
}
END_TEST

START_TEST(history_grows_72_bytes_per_step)
{
    fixture_t f = defaults();
    sim_leak_t leak;
    sim_leak_init(&leak, SIM_LEAK_HISTORY, 1000);
    loop_t l;
    loop_open(&l, &f, SIM_CLASSICAL_SMC, &leak);
    for (uint64_t step = 0; step < 1000; step++) {
        sim_leak_set_mark(&leak, step);
        loop_step(&l);
        ck_assert_uint_eq(sim_leak_live_bytes(&leak), (step + 1) * 72);
    }
    loop_close(&l);
    /* v0.1 had no cleanup(): the history outlives its controller. */
    ck_assert_uint_eq(sim_leak_live_bytes(&leak), 72000);
    sim_leak_release_all(&leak);
    ck_assert_uint_eq(sim_leak_live_bytes(&leak), 0);
}
END_TEST

START_TEST(warmup_fills_once_then_stays_flat)
{
    fixture_t f = defaults();
    sim_leak_t leak;
    sim_leak_init(&leak, SIM_LEAK_WARMUP, 1000);  /* fills over the first 100 marks */
    ck_assert_uint_eq(leak.warmup_marks, 100);
    loop_t l;
    loop_open(&l, &f, SIM_STA_SMC, &leak);
    for (uint64_t step = 0; step < 1000; step++) {
        sim_leak_set_mark(&leak, step);
        loop_step(&l);
        const uint64_t expected = step < 100 ? (step + 1) * SIM_LEAK_WARMUP_ENTRY_BYTES : SIM_LEAK_WARMUP_TOTAL_BYTES;
        ck_assert_uint_eq(sim_leak_live_bytes(&leak), expected);
    }
    loop_close(&l);
    ck_assert_uint_eq(sim_leak_live_bytes(&leak), 242400);  /* process lifetime, like a JIT cache */
    sim_leak_release_all(&leak);
    ck_assert_uint_eq(sim_leak_live_bytes(&leak), 0);
}
END_TEST

START_TEST(warmup_schedule_matches_docs)
{
    sim_leak_t leak;
    sim_leak_init(&leak, SIM_LEAK_WARMUP, 10000);  /* default single run: entry j at step 10 j */
    ck_assert_uint_eq(sim_leak_warmup_entries_due(&leak, 0), 1);
    ck_assert_uint_eq(sim_leak_warmup_entries_due(&leak, 9), 1);
    ck_assert_uint_eq(sim_leak_warmup_entries_due(&leak, 10), 2);
    ck_assert_uint_eq(sim_leak_warmup_entries_due(&leak, 989), 99);
    ck_assert_uint_eq(sim_leak_warmup_entries_due(&leak, 990), 100);
    ck_assert_uint_eq(sim_leak_warmup_entries_due(&leak, 1000000), 100);
    sim_leak_init(&leak, SIM_LEAK_WARMUP, 5);  /* tiny runs fill everything at mark 0 */
    ck_assert_uint_eq(sim_leak_warmup_entries_due(&leak, 0), 100);
}
END_TEST

START_TEST(truncate_is_bounded_sawtooth)
{
    ck_assert_uint_eq(sim_leak_truncate_length_after(1), 1);
    ck_assert_uint_eq(sim_leak_truncate_length_after(1000), 1000);
    ck_assert_uint_eq(sim_leak_truncate_length_after(1001), 500);
    ck_assert_uint_eq(sim_leak_truncate_length_after(1501), 1000);
    ck_assert_uint_eq(sim_leak_truncate_length_after(1502), 500);

    fixture_t f = defaults();
    sim_leak_t leak;
    sim_leak_init(&leak, SIM_LEAK_TRUNCATE, 3000);
    loop_t l;
    loop_open(&l, &f, SIM_HYBRID_ADAPTIVE_STA_SMC, &leak);
    for (uint64_t step = 0; step < 3000; step++) {
        loop_step(&l);
        const uint64_t live = sim_leak_live_bytes(&leak);
        ck_assert_uint_eq(live, 48 * sim_leak_truncate_length_after(step + 1));
        ck_assert_uint_le(live, 48000);
    }
    loop_close(&l);
    ck_assert_uint_eq(sim_leak_live_bytes(&leak), 0);  /* released with its controller */
}
END_TEST

START_TEST(instance_leaks_one_workspace_per_cycle)
{
    fixture_t f = defaults();
    sim_leak_t leak;
    sim_leak_init(&leak, SIM_LEAK_INSTANCE, 10);
    for (uint64_t cycle = 0; cycle < 10; cycle++) {
        const sim_episode_t ep = { .kind = SIM_STA_SMC, .plant = &f.plant, .controller_config = &f.config,
                                   .criterion = &f.criterion, .leak = &leak, .dt = 1e-3, .steps = 50 };
        sim_episode_result_t r;
        sim_leak_set_mark(&leak, cycle);
        ck_assert(sim_run_episode(&ep, &r));
        ck_assert_uint_eq(sim_leak_live_bytes(&leak), (cycle + 1) * 14336);
    }
    sim_leak_release_all(&leak);
    ck_assert_uint_eq(sim_leak_live_bytes(&leak), 0);
}
END_TEST

START_TEST(cycle_keeps_controller_and_dynamics_alive)
{
    const sim_controller_kind_t kind = (sim_controller_kind_t)_i;
    fixture_t f = defaults();
    sim_leak_t leak;
    sim_leak_init(&leak, SIM_LEAK_CYCLE, 1);
    loop_t l;
    loop_open(&l, &f, kind, &leak);
    ck_assert_uint_eq(sim_dynamics_strong_count(l.dyn), 2);   /* owner + controller */
    ck_assert_uint_eq(sim_controller_ref_count(l.ctrl), 2);   /* owner + dynamics */
    for (int k = 0; k < 100; k++)
        loop_step(&l);
    loop_close(&l);  /* both owners let go ... */
    ck_assert_uint_eq(sim_dynamics_strong_count(l.dyn), 1);  /* ... and neither is released */
    ck_assert_uint_eq(sim_controller_ref_count(l.ctrl), 1);
    ck_assert_uint_eq(sim_leak_live_bytes(&leak), 0);  /* the leak is the two blocks themselves */

    /* The figure main prints: both blocks, struct plus ring storage for the controller. */
    const size_t ring = f.config.history_capacity * sizeof(sim_history_record_t);
    ck_assert_uint_eq(sizeof(sim_history_record_t), 64);
    ck_assert_uint_gt(sim_controller_block_bytes(kind, &f.config), ring);
    ck_assert_uint_lt(sim_controller_block_bytes(kind, &f.config), ring + 1024);
    ck_assert_uint_gt(sim_dynamics_block_bytes(), sizeof(sim_plant_params_t));

    /* Breaking the cycle by hand releases both (ASan runs check this frees everything). */
    sim_dynamics_attach_observer(l.dyn, NULL, NULL);
}
END_TEST

START_TEST(none_allocates_nothing_per_step)
{
    const sim_controller_kind_t kind = (sim_controller_kind_t)_i;
    fixture_t f = defaults();
    sim_leak_t leak;
    sim_leak_init(&leak, SIM_LEAK_NONE, 2000);
    loop_t l;
    loop_open(&l, &f, kind, &leak);
    loop_step(&l);
    const struct mallinfo2 before = mallinfo2();
    for (uint64_t step = 1; step < 2000; step++) {
        sim_leak_set_mark(&leak, step);
        loop_step(&l);
    }
    const struct mallinfo2 after = mallinfo2();
    ck_assert_uint_eq(after.uordblks, before.uordblks);
    ck_assert_uint_eq(after.hblkhd, before.hblkhd);
    ck_assert_uint_eq(sim_leak_live_bytes(&leak), 0);
    loop_close(&l);
}
END_TEST

START_TEST(none_cycles_release_everything)
{
    fixture_t f = defaults();
    sim_leak_t leak;
    sim_leak_init(&leak, SIM_LEAK_NONE, 20);
    const sim_episode_t ep = { .kind = SIM_ADAPTIVE_SMC, .plant = &f.plant, .controller_config = &f.config,
                               .criterion = &f.criterion, .leak = &leak, .dt = 1e-3, .steps = 100 };
    sim_episode_result_t r;
    ck_assert(sim_run_episode(&ep, &r));  /* first cycle warms up malloc's arenas */
    const struct mallinfo2 before = mallinfo2();
    for (int cycle = 1; cycle < 20; cycle++)
        ck_assert(sim_run_episode(&ep, &r));
    const struct mallinfo2 after = mallinfo2();
    ck_assert_uint_eq(after.uordblks, before.uordblks);
}
END_TEST

static Suite *leaks_suite(void)
{
    Suite *s = suite_create("sim_leaks");
    TCase *tc = tcase_create("leak_modes");
    tcase_add_test(tc, mode_names_round_trip);
    tcase_add_test(tc, history_grows_72_bytes_per_step);
    tcase_add_test(tc, warmup_fills_once_then_stays_flat);
    tcase_add_test(tc, warmup_schedule_matches_docs);
    tcase_add_test(tc, truncate_is_bounded_sawtooth);
    tcase_add_test(tc, instance_leaks_one_workspace_per_cycle);
    tcase_add_loop_test(tc, cycle_keeps_controller_and_dynamics_alive, 0, SIM_CONTROLLER_KIND_COUNT);
    tcase_add_loop_test(tc, none_allocates_nothing_per_step, 0, SIM_CONTROLLER_KIND_COUNT);
    tcase_add_test(tc, none_cycles_release_everything);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ls_check_run(leaks_suite(), CK_FORK_GETENV);
}
