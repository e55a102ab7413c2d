/*
 * run.c — the closed-loop episode (see run.h). The loop body allocates nothing unless a fault
 * does: the controller computes, the model integrates in place, the trackers update scalars.
 */
#include "run.h"

#include <math.h>
#include <string.h>

void sim_cost_weights_defaults(sim_cost_weights_t *w)
{
    const double state[SIM_STATE_DIM] = { 1.0, 10.0, 10.0, 0.1, 0.1, 0.1 };
    memcpy(w->state, state, sizeof w->state);
    w->effort = 1e-4;
}

bool sim_state_within(const sim_stability_criterion_t *c, const double state[SIM_STATE_DIM])
{
    return fabs(state[SIM_X]) <= c->cart_bound && fabs(state[SIM_TH1]) <= c->angle_bound
        && fabs(state[SIM_TH2]) <= c->angle_bound;
}

static bool state_diverged(const double state[SIM_STATE_DIM])
{
    for (int i = 0; i < SIM_STATE_DIM; i++)
        if (!isfinite(state[i]))
            return true;
    return fabs(state[SIM_TH1]) > SIM_DIVERGENCE_ANGLE || fabs(state[SIM_TH2]) > SIM_DIVERGENCE_ANGLE
        || fabs(state[SIM_X]) > SIM_DIVERGENCE_CART;
}

bool sim_run_episode(const sim_episode_t *ep, sim_episode_result_t *result)
{
    sim_cost_weights_t default_weights;
    const sim_cost_weights_t *w = ep->cost_weights;
    if (!w) {
        sim_cost_weights_defaults(&default_weights);
        w = &default_weights;
    }
    sim_dynamics_t *dyn = sim_dynamics_create(ep->plant);
    if (!dyn)
        return false;
    sim_dynamics_set_friction(dyn, !ep->no_friction);
    const sim_controller_spec_t spec = {
        .kind = ep->kind, .gains = ep->gains, .config = ep->controller_config,
        .dynamics = dyn, .leak = ep->leak,
    };
    sim_controller_t *ctrl = sim_controller_create(&spec);
    if (!ctrl) {
        sim_dynamics_release(dyn);
        return false;
    }

    double state[SIM_STATE_DIM];
    if (ep->initial_state)
        memcpy(state, ep->initial_state, sizeof state);
    else
        sim_standard_initial_state(state);

    memset(result, 0, sizeof *result);
    /* Index of the first sampled state (0 = initial) from which all stay within bounds. */
    int64_t first_inside = sim_state_within(ep->criterion, state) ? 0 : -1;
    for (uint64_t step = 0; step < ep->steps; step++) {
        if (ep->before_step)
            ep->before_step(ep->hook_ctx, step);
        double force;
        if (ep->latency) {
            const uint64_t t0 = sim_now_ns();
            force = sim_controller_compute(ctrl, state, ep->dt);
            sim_latency_record(ep->latency, sim_now_ns() - t0);
        } else {
            force = sim_controller_compute(ctrl, state, ep->dt);
        }
        if (fabs(force) > result->max_abs_force)
            result->max_abs_force = fabs(force);
        double running = w->effort * force * force;
        for (int i = 0; i < SIM_STATE_DIM; i++)
            running += w->state[i] * state[i] * state[i];
        result->cost += running * ep->dt;

        sim_dynamics_rk4_step(dyn, state, force, ep->dt);
        result->steps_run = step + 1;
        const bool diverged = state_diverged(state);
        if (diverged || !sim_state_within(ep->criterion, state))
            first_inside = -1;
        else if (first_inside < 0)
            first_inside = (int64_t)(step + 1);
        if (ep->after_step)
            ep->after_step(ep->hook_ctx, step);
        if (diverged) {
            result->diverged = true;
            break;
        }
    }

    memcpy(result->final_state, state, sizeof state);
    result->settling_time = first_inside >= 0 ? (double)first_inside * ep->dt : -1.0;
    const double held = first_inside >= 0 ? (double)(result->steps_run - (uint64_t)first_inside) * ep->dt : 0.0;
    result->stabilized = !result->diverged && first_inside >= 0
                      && held >= ep->criterion->hold_time - 0.5 * ep->dt;

    sim_controller_destroy(ctrl);
    sim_dynamics_release(dyn);
    return true;
}
