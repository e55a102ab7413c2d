/*
 * main.c — the `sim` command line: parses the options of docs/sim.md, runs a single simulation,
 * create/destroy cycles or a PSO tuning, marks every step/cycle/evaluation for leakscope and
 * snapshots every K marks, then prints the verdict and the control-time statistics.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leakscope.h>

#include "config.h"
#include "controller.h"
#include "leak_modes.h"
#include "pso.h"
#include "run.h"
#include "stats.h"

#define EXIT_USAGE 2
#define DEFAULT_STEPS 10000u            /* 10 s at the default dt */
#define DEFAULT_CYCLE_STEPS 3000u       /* 3 s per cycle: settles (~1.7 s) and holds 1 s */
#define DEFAULT_CYCLES 200u
#define DEFAULT_DT 0.001
#define MIN_DT 1e-5
#define MAX_DT 0.02
#define TARGET_SNAPSHOTS 50u
#define MAX_LATENCY_SAMPLES ((size_t)1 << 20)

typedef enum { RUN_SINGLE, RUN_CYCLES, RUN_PSO } run_kind_t;

typedef struct options {
    sim_controller_kind_t controller;
    sim_leak_mode_t leak;
    run_kind_t run;
    uint64_t steps;         /* 0 = the default for the run kind */
    double dt;
    uint64_t cycles;        /* 0 = not given */
    uint64_t snapshot_every;
    bool snapshot_every_given;
    bool cycles_implied;
    uint64_t particles;     /* 0 = not given */
    uint64_t iterations;
    bool iterations_given;
    uint64_t seed;
} options_t;

/* Marks and snapshots, one "mark" per step, cycle or evaluation. */
typedef struct mark_clock {
    uint64_t every;         /* snapshot every this many marks; 0 = never */
    const char *label;
    sim_leak_t *leak;
} mark_clock_t;

static void usage(FILE *out)
{
    fputs("usage: sim [--controller classical_smc|sta_smc|adaptive_smc|hybrid_adaptive_sta_smc]\n"
          "           [--steps N] [--dt S] [--leak none|history|warmup|truncate|instance|cycle]\n"
          "           [--cycles N] [--snapshot-every K] [--pso [--particles P --iterations I]]\n"
          "           [--seed N] [--help]\n"
          "\n"
          "Double inverted pendulum on a cart under sliding-mode control (docs/sim.md).\n"
          "  --controller NAME   controller (default classical_smc)\n"
          "  --steps N           steps of the run (default 10000); with --cycles, steps per\n"
          "                      cycle (default 3000); with --pso, of the final verification run\n"
          "  --dt S              step length in seconds, 1e-05..0.02 (default 0.001)\n"
          "  --leak MODE         reproduce a memory fault of the audited stack (default none);\n"
          "                      instance and cycle imply --cycles 200 unless --cycles or --pso\n"
          "  --cycles N          N create/destroy cycles of a short run, marked per cycle\n"
          "  --snapshot-every K  leakscope snapshot every K marks (default: about 50 per run;\n"
          "                      0 = none)\n"
          "  --pso               tune the controller's gains by particle swarm optimisation\n"
          "  --particles P       swarm size (default 20)\n"
          "  --iterations I      swarm iterations (default 20)\n"
          "  --seed N            PSO random seed (default 1)\n"
          "Marks: leakscope_mark() every step (every cycle with --cycles, every fitness\n"
          "evaluation with --pso). Exit status 0, 2 for bad arguments, 1 when out of memory.\n",
          out);
}

static void __attribute__((format(printf, 1, 2), noreturn)) usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("sim: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see sim --help)\n", stderr);
    exit(EXIT_USAGE);
}

/* A decimal integer in [lo, hi], the whole string; exits 2 otherwise. */
static uint64_t parse_count(const char *option, const char *text, uint64_t lo, uint64_t hi)
{
    char *end;
    errno = 0;
    if (text[0] == '-' || text[0] == '+' || text[0] == '\0' || text[0] == ' ')
        usage_error("%s: expected an integer in %" PRIu64 "..%" PRIu64 ", got '%s'", option, lo, hi, text);
    const unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end != '\0' || v < lo || v > hi)
        usage_error("%s: expected an integer in %" PRIu64 "..%" PRIu64 ", got '%s'", option, lo, hi, text);
    return (uint64_t)v;
}

static double parse_dt(const char *text)
{
    char *end;
    errno = 0;
    const double v = strtod(text, &end);
    if (errno || end == text || *end != '\0' || !isfinite(v) || v < MIN_DT || v > MAX_DT)
        usage_error("--dt: expected seconds in %g..%g, got '%s'", MIN_DT, MAX_DT, text);
    return v;
}

static void parse_options(int argc, char **argv, options_t *o)
{
    enum { OPT_CONTROLLER = 1000, OPT_STEPS, OPT_DT, OPT_LEAK, OPT_CYCLES, OPT_SNAPSHOT_EVERY,
           OPT_PSO, OPT_PARTICLES, OPT_ITERATIONS, OPT_SEED, OPT_HELP };
    static const struct option long_options[] = {
        { "controller", required_argument, NULL, OPT_CONTROLLER },
        { "steps", required_argument, NULL, OPT_STEPS },
        { "dt", required_argument, NULL, OPT_DT },
        { "leak", required_argument, NULL, OPT_LEAK },
        { "cycles", required_argument, NULL, OPT_CYCLES },
        { "snapshot-every", required_argument, NULL, OPT_SNAPSHOT_EVERY },
        { "pso", no_argument, NULL, OPT_PSO },
        { "particles", required_argument, NULL, OPT_PARTICLES },
        { "iterations", required_argument, NULL, OPT_ITERATIONS },
        { "seed", required_argument, NULL, OPT_SEED },
        { "help", no_argument, NULL, OPT_HELP },
        { NULL, 0, NULL, 0 },
    };
    memset(o, 0, sizeof *o);
    o->controller = SIM_CLASSICAL_SMC;
    o->leak = SIM_LEAK_NONE;
    o->run = RUN_SINGLE;
    o->dt = DEFAULT_DT;
    o->seed = 1;
    bool pso = false;

    opterr = 0;  /* our own messages, with the "sim: " prefix */
    int c;
    while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        switch (c) {
        case OPT_CONTROLLER:
            if (!sim_controller_kind_parse(optarg, &o->controller))
                usage_error("--controller: unknown controller '%s' (classical_smc, sta_smc, adaptive_smc, "
                            "hybrid_adaptive_sta_smc)", optarg);
            break;
        case OPT_STEPS:
            o->steps = parse_count("--steps", optarg, 1, 1000000000ull);
            break;
        case OPT_DT:
            o->dt = parse_dt(optarg);
            break;
        case OPT_LEAK:
            if (!sim_leak_mode_parse(optarg, &o->leak))
                usage_error("--leak: unknown mode '%s' (none, history, warmup, truncate, instance, cycle)", optarg);
            break;
        case OPT_CYCLES:
            o->cycles = parse_count("--cycles", optarg, 1, 10000000ull);
            break;
        case OPT_SNAPSHOT_EVERY:
            o->snapshot_every = parse_count("--snapshot-every", optarg, 0, 1000000000000ull);
            o->snapshot_every_given = true;
            break;
        case OPT_PSO:
            pso = true;
            break;
        case OPT_PARTICLES:
            o->particles = parse_count("--particles", optarg, 1, 10000);
            break;
        case OPT_ITERATIONS:
            o->iterations = parse_count("--iterations", optarg, 0, 100000);
            o->iterations_given = true;
            break;
        case OPT_SEED:
            o->seed = parse_count("--seed", optarg, 0, UINT64_MAX);
            break;
        case 'h':
        case OPT_HELP:
            usage(stdout);
            exit(0);
        case ':':
            usage_error("option '%s' needs a value", argv[optind - 1]);
        default:
            usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        usage_error("unexpected argument '%s'", argv[optind]);
    if (!pso && (o->particles || o->iterations_given))
        usage_error("--particles and --iterations need --pso");
    if (pso && o->cycles)
        usage_error("--cycles and --pso cannot be combined (each PSO evaluation is already a cycle)");

    if (pso) {
        o->run = RUN_PSO;
    } else if (o->cycles) {
        o->run = RUN_CYCLES;
    } else if (sim_leak_mode_needs_cycles(o->leak)) {
        o->run = RUN_CYCLES;  /* the fault only shows across create/destroy cycles */
        o->cycles = DEFAULT_CYCLES;
        o->cycles_implied = true;
    }
    if (o->steps == 0)
        o->steps = o->run == RUN_CYCLES ? DEFAULT_CYCLE_STEPS : DEFAULT_STEPS;
}

/* Start of mark `mark`: allocations from here on are born at it. */
static void mark_clock_begin(mark_clock_t *clock, uint64_t mark)
{
    if (clock->leak)
        sim_leak_set_mark(clock->leak, mark);
    leakscope_mark(mark);
}

/* End of mark `mark`: snapshot after every `every` marks (marks 0..mark are done). */
static void mark_clock_end(mark_clock_t *clock, uint64_t mark)
{
    if (clock->every && (mark + 1) % clock->every == 0)
        leakscope_snapshot(clock->label);
}

/* Hooks for run.c (per step) and pso.c (per evaluation). */
static void before_step_hook(void *ctx, uint64_t mark)
{
    mark_clock_begin(ctx, mark);
}

static void after_step_hook(void *ctx, uint64_t mark)
{
    mark_clock_end(ctx, mark);
}


/* Print the exact growth the fault produces per mark (docs/sim.md "Leak modes"). */
static void print_expected_growth(const options_t *o, const sim_leak_t *leak, const char *unit,
                                  uint64_t steps_per_mark, const sim_controller_config_t *ccfg)
{
    const bool per_instance = o->run != RUN_SINGLE;
    switch (o->leak) {
    case SIM_LEAK_NONE:
        printf("expected growth: 0 bytes per %s (ring buffers preallocated, all freed on destroy)\n", unit);
        break;
    case SIM_LEAK_HISTORY:
        printf("expected growth: %" PRIu64 " bytes per %s (%" PRIu64 " x %u-byte records, "
               "leak_history_append in targets/sim/leak_modes.c%s)\n",
               steps_per_mark * SIM_LEAK_HISTORY_RECORD_BYTES, unit, steps_per_mark,
               SIM_LEAK_HISTORY_RECORD_BYTES,
               o->run == RUN_PSO ? "; less for an evaluation that diverges and stops early" : "");
        break;
    case SIM_LEAK_WARMUP: {
        const uint64_t last = (uint64_t)(SIM_LEAK_WARMUP_ENTRIES - 1) * leak->warmup_marks / SIM_LEAK_WARMUP_ENTRIES;
        printf("expected growth: %u bytes once (%u x %u-byte cache entries, the last at %s %" PRIu64
               ", leak_warmup_cache_fill in targets/sim/leak_modes.c), then 0 bytes per %s\n",
               SIM_LEAK_WARMUP_TOTAL_BYTES, SIM_LEAK_WARMUP_ENTRIES, SIM_LEAK_WARMUP_ENTRY_BYTES, unit, last, unit);
        break;
    }
    case SIM_LEAK_TRUNCATE:
        if (per_instance)
            printf("expected growth: 0 bytes per %s (bounded list of %u-byte entries, at most %u, freed on destroy; "
                   "leak_truncate_append in targets/sim/leak_modes.c)\n",
                   unit, SIM_LEAK_TRUNCATE_ENTRY_BYTES, SIM_LEAK_TRUNCATE_LIMIT);
        else
            printf("expected growth: bounded, %u..%u bytes live after step %u (%u-byte entries, cut from %u to %u; "
                   "leak_truncate_append in targets/sim/leak_modes.c)\n",
                   SIM_LEAK_TRUNCATE_KEEP * SIM_LEAK_TRUNCATE_ENTRY_BYTES,
                   SIM_LEAK_TRUNCATE_LIMIT * SIM_LEAK_TRUNCATE_ENTRY_BYTES, SIM_LEAK_TRUNCATE_LIMIT,
                   SIM_LEAK_TRUNCATE_ENTRY_BYTES, SIM_LEAK_TRUNCATE_LIMIT, SIM_LEAK_TRUNCATE_KEEP);
        break;
    case SIM_LEAK_INSTANCE:
        printf("expected growth: %u bytes per %s (one workspace per controller, "
               "leak_instance_workspace_alloc in targets/sim/leak_modes.c)\n", SIM_LEAK_INSTANCE_BYTES, unit);
        break;
    case SIM_LEAK_CYCLE: {
        const size_t ctrl_bytes = sim_controller_block_bytes(o->controller, ccfg);
        const size_t dyn_bytes = sim_dynamics_block_bytes();
        printf("expected growth: %zu bytes per %s (controller block %zu, controller_block_alloc in "
               "targets/sim/factory.c; dynamics block %zu, sim_dynamics_create in targets/sim/dynamics.c)\n",
               ctrl_bytes + dyn_bytes, unit, ctrl_bytes, dyn_bytes);
        break;
    }
    default:
        break;
    }
}

static void print_outcome(const sim_episode_result_t *r, const sim_controller_config_t *ccfg)
{
    if (r->settling_time >= 0.0)
        printf("settling time: %.3f s\n", r->settling_time);
    else
        printf("settling time: never\n");
    printf("max |force|: %.3f N (limit %g N)\n", r->max_abs_force, ccfg->max_force);
    printf("final state: x=%.3e th1=%.3e th2=%.3e xdot=%.3e th1dot=%.3e th2dot=%.3e%s\n",
           r->final_state[SIM_X], r->final_state[SIM_TH1], r->final_state[SIM_TH2], r->final_state[SIM_XD],
           r->final_state[SIM_TH1D], r->final_state[SIM_TH2D], r->diverged ? " (diverged)" : "");
}

static void print_latency(sim_latency_t *lat)
{
    sim_latency_summary_t s;
    sim_latency_summarize(lat, &s);
    printf("control time: mean %.3f us, p95 %.3f us, p99 %.3f us, max %.3f us\n",
           s.mean_us, s.p95_us, s.p99_us, s.max_us);
}

static uint64_t default_snapshot_every(uint64_t marks)
{
    return marks / TARGET_SNAPSHOTS > 0 ? marks / TARGET_SNAPSHOTS : 1;
}

static void print_gains(const char *what, sim_controller_kind_t kind, const double gains[SIM_GAIN_COUNT])
{
    printf("%s:", what);
    for (size_t i = 0; i < SIM_GAIN_COUNT; i++)
        printf(" %s=%.6g", sim_controller_gain_name(kind, i), gains[i]);
    printf("\n");
}

int main(int argc, char **argv)
{
    options_t o;
    parse_options(argc, argv, &o);

    sim_plant_params_t plant;
    sim_controller_config_t ccfg;
    sim_stability_criterion_t criterion;
    sim_plant_defaults(&plant);
    sim_controller_config_defaults(&ccfg);
    sim_stability_defaults(&criterion);
    sim_pso_config_t pso_cfg;
    sim_pso_config_defaults(&pso_cfg);
    if (o.particles)
        pso_cfg.particles = o.particles;
    if (o.iterations_given)
        pso_cfg.iterations = o.iterations;
    pso_cfg.seed = o.seed;

    const uint64_t fitness_steps = (uint64_t)llround(pso_cfg.fitness_time / o.dt);
    const uint64_t marks = o.run == RUN_SINGLE ? o.steps
                         : o.run == RUN_CYCLES ? o.cycles
                         : (uint64_t)pso_cfg.particles * (pso_cfg.iterations + 1);
    const char *unit = o.run == RUN_SINGLE ? "step" : o.run == RUN_CYCLES ? "cycle" : "evaluation";
    mark_clock_t clock = {
        .every = o.snapshot_every_given ? o.snapshot_every : default_snapshot_every(marks),
        .label = unit,
    };
    /* Static: lives until exit, reachable from .bss, so what the faults keep stays live (and
     * reachable, as a process-lifetime cache or history is) in the exit snapshot (issue 13). */
    static sim_leak_t leak;
    sim_leak_init(&leak, o.leak, marks);
    clock.leak = &leak;

    /* Everything printed and allocated before the first mark belongs to no step. */
    printf("controller: %s\n", sim_controller_kind_name(o.controller));
    printf("leak: %s\n", sim_leak_mode_name(o.leak));
    if (o.run == RUN_SINGLE)
        printf("run: %" PRIu64 " steps of %g s (%.3f s simulated)\n", o.steps, o.dt, (double)o.steps * o.dt);
    else if (o.run == RUN_CYCLES)
        printf("run: %" PRIu64 " create/destroy cycles%s, %" PRIu64 " steps of %g s each\n", o.cycles,
               o.cycles_implied ? " (implied by --leak)" : "", o.steps, o.dt);
    else
        printf("run: pso, %zu particles x %zu iterations (+1 initial) = %" PRIu64 " evaluations of %" PRIu64
               " steps of %g s, seed %" PRIu64 "\n",
               pso_cfg.particles, pso_cfg.iterations, marks, fitness_steps, o.dt, o.seed);
    printf("marks: %" PRIu64 " (one per %s), snapshot every %" PRIu64 "\n", marks, unit, clock.every);
    print_expected_growth(&o, &leak, unit, o.run == RUN_SINGLE ? 1 : o.run == RUN_CYCLES ? o.steps : fitness_steps,
                          &ccfg);

    double gains[SIM_GAIN_COUNT];
    if (!sim_controller_default_gains(o.controller, &plant, &ccfg, gains)) {
        fprintf(stderr, "sim: the surface design failed for the default plant\n");
        return 1;
    }
    const uint64_t timed_steps = o.run == RUN_CYCLES ? o.cycles * o.steps : o.steps;
    sim_latency_t latency;
    if (!sim_latency_init(&latency, timed_steps < MAX_LATENCY_SAMPLES ? (size_t)timed_steps : MAX_LATENCY_SAMPLES)) {
        fprintf(stderr, "sim: out of memory\n");
        return 1;
    }
    fflush(stdout);

    sim_episode_t ep = {
        .kind = o.controller, .gains = gains, .plant = &plant, .controller_config = &ccfg,
        .criterion = &criterion, .leak = &leak, .dt = o.dt, .steps = o.steps, .latency = &latency,
    };
    sim_episode_result_t result;
    int status = 0;

    if (o.run == RUN_SINGLE) {
        ep.before_step = before_step_hook;
        ep.after_step = after_step_hook;
        ep.hook_ctx = &clock;
        if (!sim_run_episode(&ep, &result)) {
            fprintf(stderr, "sim: out of memory\n");
            return 1;
        }
        print_outcome(&result, &ccfg);
        printf("stabilized: %s\n", result.stabilized ? "yes" : "no");
    } else if (o.run == RUN_CYCLES) {
        uint64_t stabilized = 0;
        double worst_settling = 0.0, max_force = 0.0;
        for (uint64_t cycle = 0; cycle < o.cycles; cycle++) {
            mark_clock_begin(&clock, cycle);
            if (!sim_run_episode(&ep, &result)) {
                fprintf(stderr, "sim: out of memory in cycle %" PRIu64 "\n", cycle);
                return 1;
            }
            mark_clock_end(&clock, cycle);
            if (result.stabilized)
                stabilized++;
            if (result.settling_time > worst_settling)
                worst_settling = result.settling_time;
            if (result.max_abs_force > max_force)
                max_force = result.max_abs_force;
        }
        printf("stabilized cycles: %" PRIu64 "/%" PRIu64 " (each from the standard initial condition)\n",
               stabilized, o.cycles);
        printf("over all cycles: worst settling time %.3f s, max |force| %.3f N\n", worst_settling, max_force);
        print_outcome(&result, &ccfg);  /* the last cycle */
        printf("stabilized: %s\n", stabilized == o.cycles ? "yes" : "no");
    } else {
        const sim_pso_problem_t problem = {
            .kind = o.controller, .start_gains = gains, .plant = &plant, .controller_config = &ccfg,
            .criterion = &criterion, .leak = &leak, .dt = o.dt,
            .before_evaluation = before_step_hook, .after_evaluation = after_step_hook, .hook_ctx = &clock,
        };
        sim_pso_result_t pso;
        if (!sim_pso_run(&problem, &pso_cfg, &pso)) {
            fprintf(stderr, "sim: out of memory\n");
            return 1;
        }
        print_gains("start gains", o.controller, gains);
        print_gains("best gains", o.controller, pso.best_gains);
        printf("fitness: start %.6g, best %.6g (%" PRIu64 " evaluations)\n", pso.start_fitness, pso.best_fitness,
               pso.evaluations);
        /* Verification run with the best gains, without faults, so it adds nothing to the series. */
        ep.gains = pso.best_gains;
        ep.leak = NULL;
        if (!sim_run_episode(&ep, &result)) {
            fprintf(stderr, "sim: the best gains were rejected\n");
            status = 1;
        } else {
            printf("verification run: %" PRIu64 " steps with the best gains\n", o.steps);
            print_outcome(&result, &ccfg);
            printf("stabilized: %s\n", result.stabilized ? "yes" : "no");
        }
    }
    print_latency(&latency);
    sim_latency_free(&latency);
    return status;
}
