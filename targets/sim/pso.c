/*
 * pso.c — global-best particle swarm (inertia weight form, Shi & Eberhart) over the log of
 * each gain relative to its starting value, so that signs are kept and scales do not matter.
 * All swarm arrays are one allocation made before the first evaluation.
 */
#include "pso.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

void sim_pso_config_defaults(sim_pso_config_t *c)
{
    c->particles = 20;
    c->iterations = 20;
    c->seed = 1;
    c->inertia = 0.72;
    c->cognitive = 1.49;
    c->social = 1.49;
    c->search_factor = 4.0;
    c->fitness_time = 3.0;
}

double sim_pso_fitness(const sim_pso_problem_t *problem, const sim_pso_config_t *config,
                       const double gains[SIM_GAIN_COUNT])
{
    uint64_t steps = (uint64_t)llround(config->fitness_time / problem->dt);
    if (steps == 0)
        steps = 1;
    const sim_episode_t ep = {
        .kind = problem->kind, .gains = gains, .plant = problem->plant,
        .controller_config = problem->controller_config, .criterion = problem->criterion,
        .cost_weights = problem->weights, .leak = problem->leak, .dt = problem->dt, .steps = steps,
    };
    sim_episode_result_t r;
    if (!sim_run_episode(&ep, &r))
        return SIM_PSO_INVALID_FITNESS;
    if (r.diverged || !isfinite(r.cost))
        return SIM_PSO_DIVERGENCE_PENALTY * (2.0 - (double)r.steps_run / (double)steps);
    return r.cost;
}

/* gains = start * exp(position), elementwise. */
static void position_to_gains(const double *start, const double *position, double *gains)
{
    for (int d = 0; d < SIM_GAIN_COUNT; d++)
        gains[d] = start[d] * exp(position[d]);
}

static double evaluate(const sim_pso_problem_t *problem, const sim_pso_config_t *config,
                       const double *position, uint64_t *evaluations)
{
    double gains[SIM_GAIN_COUNT];
    position_to_gains(problem->start_gains, position, gains);
    if (problem->before_evaluation)
        problem->before_evaluation(problem->hook_ctx, *evaluations);
    const double fitness = sim_pso_fitness(problem, config, gains);
    if (problem->after_evaluation)
        problem->after_evaluation(problem->hook_ctx, *evaluations);
    (*evaluations)++;
    return fitness;
}

/* One velocity and position update of a particle, clipped to the search box. */
static void move_particle(const sim_pso_config_t *config, sim_rng_t *rng, double *x, double *v,
                          const double *personal_best, const double *global_best, double bound, double vmax)
{
    for (size_t d = 0; d < SIM_GAIN_COUNT; d++) {
        const double r1 = sim_rng_uniform(rng), r2 = sim_rng_uniform(rng);
        double vel = config->inertia * v[d] + config->cognitive * r1 * (personal_best[d] - x[d])
                   + config->social * r2 * (global_best[d] - x[d]);
        vel = vel > vmax ? vmax : vel < -vmax ? -vmax : vel;
        double next = x[d] + vel;
        if (next > bound || next < -bound) {  /* stop at the wall */
            next = next > bound ? bound : -bound;
            vel = 0.0;
        }
        x[d] = next;
        v[d] = vel;
    }
}

bool sim_pso_run(const sim_pso_problem_t *problem, const sim_pso_config_t *config, sim_pso_result_t *result)
{
    const size_t n = config->particles, dim = SIM_GAIN_COUNT;
    if (n == 0 || !(config->search_factor > 1.0) || !(problem->dt > 0.0))
        return false;
    for (size_t d = 0; d < dim; d++)
        if (!(fabs(problem->start_gains[d]) > 0.0) || !isfinite(problem->start_gains[d]))
            return false;

    /* position, velocity and personal best, n x dim each, then n personal-best fitnesses. */
    double *block = malloc((3 * n * dim + n) * sizeof *block);
    if (!block)
        return false;
    double *position = block, *velocity = block + n * dim, *best_position = block + 2 * n * dim;
    double *best_fitness = block + 3 * n * dim;
    const double bound = log(config->search_factor), vmax = 0.5 * bound;
    sim_rng_t rng;
    sim_rng_seed(&rng, config->seed);

    for (size_t p = 0; p < n; p++)
        for (size_t d = 0; d < dim; d++) {
            position[p * dim + d] = p == 0 ? 0.0 : sim_rng_range(&rng, -bound, bound);
            velocity[p * dim + d] = sim_rng_range(&rng, -vmax, vmax) * 0.5;
        }

    /* Round 0 evaluates the initial swarm, rounds 1..iterations move then evaluate. Every
     * evaluation is made from the one call below, so that all controller instantiations share
     * one call stack (one allocation site per fault in leakscope's report). */
    uint64_t evaluations = 0;
    size_t global_best = 0;
    for (size_t round = 0; round <= config->iterations; round++) {
        for (size_t p = 0; p < n; p++) {
            double *x = &position[p * dim];
            if (round > 0)
                move_particle(config, &rng, x, &velocity[p * dim], &best_position[p * dim],
                              &best_position[global_best * dim], bound, vmax);
            const double f = evaluate(problem, config, x, &evaluations);
            if (round == 0 || f < best_fitness[p]) {
                best_fitness[p] = f;
                memcpy(&best_position[p * dim], x, dim * sizeof *x);
            }
            if (best_fitness[p] < best_fitness[global_best])
                global_best = p;
        }
        if (round == 0)
            result->start_fitness = best_fitness[0];
    }

    position_to_gains(problem->start_gains, &best_position[global_best * dim], result->best_gains);
    result->best_fitness = best_fitness[global_best];
    result->evaluations = evaluations;
    free(block);
    return true;
}
