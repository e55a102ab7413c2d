/*
 * factory.c — creates a controller by kind or name, owns its single allocation (struct plus
 * ring-buffer storage), wires the weak dynamics back-reference (or, under the `cycle` fault, a
 * strong reference cycle), and runs the common per-step work around each kind's control law.
 */
#include "controller_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_site.h"

static const sim_controller_desc_t *const descriptors[SIM_CONTROLLER_KIND_COUNT] = {
    [SIM_CLASSICAL_SMC] = &sim_classical_smc_desc,
    [SIM_STA_SMC] = &sim_sta_smc_desc,
    [SIM_ADAPTIVE_SMC] = &sim_adaptive_smc_desc,
    [SIM_HYBRID_ADAPTIVE_STA_SMC] = &sim_hybrid_smc_desc,
};

static const sim_controller_desc_t *descriptor(sim_controller_kind_t kind)
{
    return (unsigned)kind < SIM_CONTROLLER_KIND_COUNT ? descriptors[kind] : NULL;
}

const char *sim_controller_kind_name(sim_controller_kind_t kind)
{
    const sim_controller_desc_t *desc = descriptor(kind);
    return desc ? desc->name : "?";
}

bool sim_controller_kind_parse(const char *name, sim_controller_kind_t *kind)
{
    for (int k = 0; k < SIM_CONTROLLER_KIND_COUNT; k++)
        if (strcmp(name, descriptors[k]->name) == 0) {
            *kind = (sim_controller_kind_t)k;
            return true;
        }
    return false;
}

const char *sim_controller_gain_name(sim_controller_kind_t kind, size_t index)
{
    const sim_controller_desc_t *desc = descriptor(kind);
    return desc && index < SIM_GAIN_COUNT ? desc->gain_names[index] : "?";
}

bool sim_controller_default_gains(sim_controller_kind_t kind, const sim_plant_params_t *plant,
                                  const sim_controller_config_t *config, double gains[SIM_GAIN_COUNT])
{
    const sim_controller_desc_t *desc = descriptor(kind);
    sim_surface_t surface;
    if (!desc || !sim_surface_design(plant, config->surface_poles, &surface))
        return false;
    for (int i = 0; i < 3; i++) {
        gains[i] = surface.k[i];
        gains[3 + i] = surface.lambda[i];
    }
    for (int i = SIM_SURFACE_GAINS; i < SIM_GAIN_COUNT; i++)
        gains[i] = desc->extra_gains[i - SIM_SURFACE_GAINS];
    return true;
}

size_t sim_controller_block_bytes(sim_controller_kind_t kind, const sim_controller_config_t *config)
{
    const sim_controller_desc_t *desc = descriptor(kind);
    if (!desc)
        return 0;
    return desc->struct_bytes
         + sim_ringbuf_storage_bytes(sizeof(sim_history_record_t), config->history_capacity);
}

double sim_smc_sat(double s, double boundary_layer)
{
    const double r = s / boundary_layer;
    return r > 1.0 ? 1.0 : r < -1.0 ? -1.0 : r;
}

double sim_smc_clamp(double x, double limit)
{
    return x > limit ? limit : x < -limit ? -limit : x;
}

static bool gains_valid(const double gains[SIM_GAIN_COUNT])
{
    for (int i = 0; i < SIM_GAIN_COUNT; i++)
        if (!isfinite(gains[i]))
            return false;
    for (int i = 0; i < 3; i++)
        if (!(fabs(gains[i]) > 1e-12))  /* a zero velocity weight breaks lambda = c / k */
            return false;
    return gains[6] >= 0.0 && gains[7] >= 0.0;
}

/* The one allocation of a controller: its struct and the ring storage behind it, zeroed, with
 * the header set. (The header stores after malloc also keep the malloc from becoming a tail
 * call, which would hide this frame from leakscope.) */
static SIM_ALLOC_SITE sim_controller_t *controller_block_alloc(const sim_controller_desc_t *desc,
                                                               sim_controller_kind_t kind, size_t bytes)
{
    sim_controller_t *ctrl = malloc(bytes);
    if (!ctrl)
        return NULL;
    memset(ctrl, 0, bytes);
    ctrl->desc = desc;
    ctrl->kind = kind;
    ctrl->refs = 1;
    return ctrl;
}

static void controller_release(sim_controller_t *ctrl)
{
    if (--ctrl->refs > 0)
        return;
    ctrl->desc->ops.cleanup(ctrl);
    sim_leak_on_destroy(ctrl->leak, &ctrl->leak_slot);
    sim_dynamics_t *dyn = ctrl->dynamics;
    ctrl->dynamics = NULL;
    if (dyn) {
        if (ctrl->dynamics_is_strong)
            sim_dynamics_release(dyn);
        else
            sim_dynamics_weak_release(dyn);
    }
    free(ctrl);
}

/* Release callback for the strong reference a model holds on its observer controller. */
static void controller_observer_release(void *observer)
{
    controller_release(observer);
}

sim_controller_t *sim_controller_create(const sim_controller_spec_t *spec)
{
    const sim_controller_desc_t *desc = descriptor(spec->kind);
    if (!desc || !spec->dynamics)
        return NULL;
    double gains[SIM_GAIN_COUNT];
    if (spec->gains)
        memcpy(gains, spec->gains, sizeof gains);
    else if (!sim_controller_default_gains(spec->kind, sim_dynamics_params(spec->dynamics), spec->config, gains))
        return NULL;
    if (!gains_valid(gains) || !(spec->config->boundary_layer > 0.0) || !(spec->config->max_force > 0.0))
        return NULL;

    const size_t bytes = sim_controller_block_bytes(spec->kind, spec->config);
    sim_controller_t *ctrl = controller_block_alloc(desc, spec->kind, bytes);
    if (!ctrl)
        return NULL;
    ctrl->config = *spec->config;
    memcpy(ctrl->gains, gains, sizeof gains);
    for (int i = 0; i < 3; i++) {
        ctrl->surface.k[i] = gains[i];
        ctrl->surface.lambda[i] = gains[3 + i];
    }
    sim_ringbuf_init(&ctrl->history, (unsigned char *)ctrl + desc->struct_bytes,
                     sizeof(sim_history_record_t), spec->config->history_capacity);
    ctrl->leak = spec->leak;
    if (!sim_leak_on_create(spec->leak, &ctrl->leak_slot)) {
        free(ctrl);
        return NULL;
    }
    ctrl->dynamics = spec->dynamics;
    if (spec->leak && spec->leak->mode == SIM_LEAK_CYCLE) {
        /* The fault: a strong reference each way (no weakref), so that releasing both owners
         * leaves each count at one and neither block is ever freed. */
        sim_dynamics_retain(spec->dynamics);
        ctrl->dynamics_is_strong = true;
        ctrl->refs++;
        sim_dynamics_attach_observer(spec->dynamics, ctrl, controller_observer_release);
    } else {
        sim_dynamics_weak_retain(spec->dynamics);
    }
    desc->ops.reset(ctrl);
    return ctrl;
}

void sim_controller_destroy(sim_controller_t *ctrl)
{
    if (ctrl)
        controller_release(ctrl);
}

/* s, alpha and beta from the model reached through the back-reference; false when it is gone. */
static bool smc_terms(sim_controller_t *ctrl, const double state[SIM_STATE_DIM], sim_smc_terms_t *terms)
{
    sim_dynamics_t *dyn = ctrl->dynamics_is_strong ? ctrl->dynamics : sim_dynamics_upgrade(ctrl->dynamics);
    if (!dyn)
        return false;
    double mass[3][3], h[3], inv[3][3];
    sim_dynamics_terms(dyn, state, mass, h);
    const bool invertible = sim_sym3_inverse(mass, inv);
    if (!ctrl->dynamics_is_strong)
        sim_dynamics_release(dyn);
    if (!invertible)
        return false;

    /* s = sum k_i (qd_i + lambda_i q_i), qdd = M^-1 ([u 0 0] - h):
     * ds/dt = sum k_i lambda_i qd_i - k' M^-1 h + (k' M^-1 e1) u. */
    const sim_surface_t *sf = &ctrl->surface;
    double alpha = 0.0, beta = 0.0;
    for (int i = 0; i < 3; i++) {
        const double minv_h = inv[i][0] * h[0] + inv[i][1] * h[1] + inv[i][2] * h[2];
        alpha += sf->k[i] * (sf->lambda[i] * state[3 + i] - minv_h);
        beta += sf->k[i] * inv[i][0];
    }
    terms->surface = sim_surface_value(sf, state);
    terms->alpha = alpha;
    terms->beta = beta;
    return fabs(beta) > 1e-12;
}

double sim_controller_compute(sim_controller_t *ctrl, const double state[SIM_STATE_DIM], double dt)
{
    sim_smc_terms_t terms;
    double force = 0.0;
    if (smc_terms(ctrl, state, &terms)) {
        force = sim_smc_clamp(ctrl->desc->ops.compute(ctrl, &terms, dt), ctrl->config.max_force);
        if (!isfinite(force))
            force = 0.0;
    } else {
        ctrl->dynamics_lost = true;
        terms.surface = sim_surface_value(&ctrl->surface, state);
    }
    ctrl->last_surface = terms.surface;

    sim_history_record_t record;
    memcpy(record.state, state, sizeof record.state);
    record.force = force;
    record.surface = terms.surface;
    sim_ringbuf_push(&ctrl->history, &record);
    /* Out of memory in a fault only loses fault records; the control loop goes on. */
    (void)sim_leak_on_step(ctrl->leak, &ctrl->leak_slot, state, force, terms.surface, ctrl->steps);
    ctrl->steps++;
    return force;
}

void sim_controller_reset(sim_controller_t *ctrl)
{
    ctrl->desc->ops.reset(ctrl);
    sim_ringbuf_clear(&ctrl->history);
    ctrl->last_surface = 0.0;
    ctrl->steps = 0;
}

sim_controller_kind_t sim_controller_kind(const sim_controller_t *ctrl)
{
    return ctrl->kind;
}

double sim_controller_last_surface(const sim_controller_t *ctrl)
{
    return ctrl->last_surface;
}

const sim_ringbuf_t *sim_controller_history(const sim_controller_t *ctrl)
{
    return &ctrl->history;
}

bool sim_controller_dynamics_lost(const sim_controller_t *ctrl)
{
    return ctrl->dynamics_lost;
}

unsigned sim_controller_ref_count(const sim_controller_t *ctrl)
{
    return ctrl->refs;
}

double sim_controller_adaptive_gain(const sim_controller_t *ctrl, int which)
{
    return ctrl->desc->ops.adaptive_gain ? ctrl->desc->ops.adaptive_gain(ctrl, which) : 0.0;
}
