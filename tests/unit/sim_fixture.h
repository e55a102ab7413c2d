/*
 * sim_fixture.h — the simulator's documented defaults (plant, controller configuration,
 * stability criterion) in one value, as the simulator suites start from them.
 */
#ifndef LS_SIM_FIXTURE_H
#define LS_SIM_FIXTURE_H

#include "config.h"
#include "run.h"

typedef struct fixture {
    sim_plant_params_t plant;
    sim_controller_config_t config;
    sim_stability_criterion_t criterion;
} fixture_t;

static inline fixture_t defaults(void)
{
    fixture_t f;
    sim_plant_defaults(&f.plant);
    sim_controller_config_defaults(&f.config);
    sim_stability_defaults(&f.criterion);
    return f;
}

#endif /* LS_SIM_FIXTURE_H */
