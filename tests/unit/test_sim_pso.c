/*
 * test_sim_pso.c — particle swarm tuning of build/sim: never worse than the starting gains,
 * deterministic per seed, one controller instantiation per evaluation, divergence penalised.
 */
#include <check.h>

#include "check_main.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "controller.h"
#include "leak_modes.h"
#include "pso.h"

typedef struct fixture {
    sim_plant_params_t plant;
    sim_controller_config_t config;
    sim_stability_criterion_t criterion;
    sim_pso_config_t pso;
    double start[SIM_GAIN_COUNT];
} fixture_t;

static void fixture_init(fixture_t *f, sim_controller_kind_t kind)
{
    sim_plant_defaults(&f->plant);
    sim_controller_config_defaults(&f->config);
    sim_stability_defaults(&f->criterion);
    sim_pso_config_defaults(&f->pso);
    f->pso.particles = 6;
    f->pso.iterations = 3;
    f->pso.fitness_time = 1.5;
    ck_assert(sim_controller_default_gains(kind, &f->plant, &f->config, f->start));
}

static sim_pso_problem_t problem_for(fixture_t *f, sim_controller_kind_t kind)
{
    return (sim_pso_problem_t){ .kind = kind, .start_gains = f->start, .plant = &f->plant,
                                .controller_config = &f->config, .criterion = &f->criterion, .dt = 1e-3 };
}

START_TEST(best_is_no_worse_than_start)
{
    const sim_controller_kind_t kind = (sim_controller_kind_t)_i;
    fixture_t f;
    fixture_init(&f, kind);
    const sim_pso_problem_t problem = problem_for(&f, kind);
    sim_pso_result_t r;
    ck_assert(sim_pso_run(&problem, &f.pso, &r));
    ck_assert_double_eq(r.start_fitness, sim_pso_fitness(&problem, &f.pso, f.start));
    ck_assert_double_le(r.best_fitness, r.start_fitness);
    ck_assert_double_eq(r.best_fitness, sim_pso_fitness(&problem, &f.pso, r.best_gains));
    ck_assert_uint_eq(r.evaluations, 6 * (3 + 1));
    for (int d = 0; d < SIM_GAIN_COUNT; d++) {  /* within the search box, signs kept */
        const double ratio = r.best_gains[d] / f.start[d];
        ck_assert_double_ge(ratio, 1.0 / f.pso.search_factor - 1e-12);
        ck_assert_double_le(ratio, f.pso.search_factor + 1e-12);
    }
}
END_TEST

START_TEST(same_seed_same_result)
{
    fixture_t f;
    fixture_init(&f, SIM_CLASSICAL_SMC);
    const sim_pso_problem_t problem = problem_for(&f, SIM_CLASSICAL_SMC);
    sim_pso_result_t a, b, c;
    ck_assert(sim_pso_run(&problem, &f.pso, &a));
    ck_assert(sim_pso_run(&problem, &f.pso, &b));
    ck_assert_mem_eq(a.best_gains, b.best_gains, sizeof a.best_gains);
    ck_assert_double_eq(a.best_fitness, b.best_fitness);
    f.pso.seed = 99;
    ck_assert(sim_pso_run(&problem, &f.pso, &c));
    ck_assert(memcmp(a.best_gains, c.best_gains, sizeof a.best_gains) != 0 || a.best_fitness == a.start_fitness);
}
END_TEST

typedef struct hook_log {
    uint64_t calls;
    uint64_t ends;
    bool in_order;
} hook_log_t;

static void count_evaluation(void *ctx, uint64_t evaluation)
{
    hook_log_t *log = ctx;
    if (evaluation != log->calls)
        log->in_order = false;
    log->calls++;
}

static void end_evaluation(void *ctx, uint64_t evaluation)
{
    hook_log_t *log = ctx;
    if (evaluation + 1 != log->calls)  /* ends the evaluation that began last */
        log->in_order = false;
    log->ends++;
}

START_TEST(one_instantiation_per_evaluation)
{
    fixture_t f;
    fixture_init(&f, SIM_STA_SMC);
    sim_leak_t leak;
    sim_leak_init(&leak, SIM_LEAK_INSTANCE, 24);
    hook_log_t log = { 0, 0, true };
    sim_pso_problem_t problem = problem_for(&f, SIM_STA_SMC);
    problem.leak = &leak;
    problem.before_evaluation = count_evaluation;
    problem.after_evaluation = end_evaluation;
    problem.hook_ctx = &log;
    sim_pso_result_t r;
    ck_assert(sim_pso_run(&problem, &f.pso, &r));
    ck_assert_uint_eq(log.calls, r.evaluations);
    ck_assert_uint_eq(log.ends, r.evaluations);
    ck_assert(log.in_order);
    /* The instance fault leaks one workspace per controller created: one per evaluation. */
    ck_assert_uint_eq(sim_leak_live_bytes(&leak), r.evaluations * SIM_LEAK_INSTANCE_BYTES);
    sim_leak_release_all(&leak);
}
END_TEST

START_TEST(divergence_is_penalised)
{
    fixture_t f;
    fixture_init(&f, SIM_CLASSICAL_SMC);
    const sim_pso_problem_t problem = problem_for(&f, SIM_CLASSICAL_SMC);
    double bad[SIM_GAIN_COUNT];
    memcpy(bad, f.start, sizeof bad);
    bad[4] = -bad[4];  /* lambda_1 of the wrong sign: unstable sliding dynamics */
    const double fitness = sim_pso_fitness(&problem, &f.pso, bad);
    ck_assert_double_ge(fitness, SIM_PSO_DIVERGENCE_PENALTY);
    ck_assert_double_lt(sim_pso_fitness(&problem, &f.pso, f.start), 1.0);
    bad[6] = -1.0;  /* rejected by the controller */
    ck_assert_double_eq(sim_pso_fitness(&problem, &f.pso, bad), SIM_PSO_INVALID_FITNESS);
}
END_TEST

START_TEST(invalid_configuration_is_refused)
{
    fixture_t f;
    fixture_init(&f, SIM_CLASSICAL_SMC);
    const sim_pso_problem_t problem = problem_for(&f, SIM_CLASSICAL_SMC);
    sim_pso_result_t r;
    f.pso.particles = 0;
    ck_assert(!sim_pso_run(&problem, &f.pso, &r));
    f.pso.particles = 2;
    f.pso.search_factor = 1.0;
    ck_assert(!sim_pso_run(&problem, &f.pso, &r));
}
END_TEST

static Suite *pso_suite(void)
{
    Suite *s = suite_create("sim_pso");
    TCase *tc = tcase_create("pso");
    tcase_add_loop_test(tc, best_is_no_worse_than_start, 0, SIM_CONTROLLER_KIND_COUNT);
    tcase_add_test(tc, same_seed_same_result);
    tcase_add_test(tc, one_instantiation_per_evaluation);
    tcase_add_test(tc, divergence_is_penalised);
    tcase_add_test(tc, invalid_configuration_is_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ls_check_run(pso_suite(), CK_FORK_GETENV);
}
