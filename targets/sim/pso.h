/*
 * pso.h — particle swarm optimisation of a controller's gains. Fitness: the integrated squared
 * state error plus weighted control effort of a short closed-loop run from the standard
 * initial condition; every evaluation creates and destroys one controller (and its model), the
 * batch workload of thousands of instantiations the seeds describe. Deterministic per seed.
 */
#ifndef SIM_PSO_H
#define SIM_PSO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller.h"
#include "run.h"

typedef struct sim_pso_config {
    size_t particles;       /* swarm size, >= 1; particle 0 starts at the starting gains */
    size_t iterations;      /* swarm updates after the initial evaluation */
    uint64_t seed;
    double inertia;         /* w */
    double cognitive;       /* c1, pull towards the particle's best */
    double social;          /* c2, pull towards the swarm's best */
    double search_factor;   /* gain i is searched in [g0_i / f, g0_i * f] on a log scale */
    double fitness_time;    /* seconds simulated per evaluation */
} sim_pso_config_t;

/* Defaults: 20 particles, 20 iterations, seed 1, w 0.72, c1 = c2 = 1.49, f = 4, 3 s. */
void sim_pso_config_defaults(sim_pso_config_t *c);

/* Called with the evaluation number (0-based) before each fitness evaluation (main marks here)
 * and after it (main snapshots here, while the swarm is still allocated). */
typedef void (*sim_pso_eval_hook_fn)(void *ctx, uint64_t evaluation);

typedef struct sim_pso_problem {
    sim_controller_kind_t kind;
    const double *start_gains;                  /* SIM_GAIN_COUNT gains, all nonzero */
    const sim_plant_params_t *plant;
    const sim_controller_config_t *controller_config;
    const sim_stability_criterion_t *criterion;
    const sim_cost_weights_t *weights;          /* NULL: defaults */
    sim_leak_t *leak;                           /* NULL: no faults */
    double dt;
    sim_pso_eval_hook_fn before_evaluation;     /* NULL: none */
    sim_pso_eval_hook_fn after_evaluation;      /* NULL: none */
    void *hook_ctx;
} sim_pso_problem_t;

typedef struct sim_pso_result {
    double best_gains[SIM_GAIN_COUNT];
    double start_fitness;
    double best_fitness;
    uint64_t evaluations;   /* particles * (iterations + 1) */
} sim_pso_result_t;

/* Fitness penalty base for a run that diverged (plus the same again scaled by the fraction of
 * the run left), and the fitness of gains the controller rejects. Both dwarf any real cost. */
#define SIM_PSO_DIVERGENCE_PENALTY 1e6
#define SIM_PSO_INVALID_FITNESS 1e12

/* Fitness of `gains` (lower is better): one create, run, destroy. */
double sim_pso_fitness(const sim_pso_problem_t *problem, const sim_pso_config_t *config,
                       const double gains[SIM_GAIN_COUNT]);

/* Run the swarm. The result's best fitness is never worse than the starting gains' fitness
 * (they are particle 0). False when out of memory or the configuration is invalid. */
bool sim_pso_run(const sim_pso_problem_t *problem, const sim_pso_config_t *config, sim_pso_result_t *result);

#endif /* SIM_PSO_H */
