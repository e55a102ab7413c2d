/*
 * sampling.h — the analyzer's side of sampled tracking (issue 11, LEAKSCOPE_SAMPLE): the
 * SAMPLING record of a snapshot (rate, per-site samples and the standard deviation of
 * each live-bytes estimate), 95% intervals for a site's live bytes and growth rate, and
 * the verdict under sampling noise: a leak whose rate interval reaches 0, or that rests on
 * too few samples, is `inconclusive`; a leak's severity is judged on the interval's low end.
 * docs/classification.md ("Sampled runs") describes the method.
 */
#ifndef LS_SAMPLING_H
#define LS_SAMPLING_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Fewer live samples than this at the last snapshot: too few to call a leak. */
#define LS_SAMPLING_MIN_SAMPLES 10
/* The normal quantile of a two-sided 95% interval. */
#define LS_SAMPLING_Z95 1.959964

typedef struct {
    uint32_t id;
    uint64_t live_samples, samples, sd; /* sd: of the live-bytes estimate, bytes */
} ls_sample_site_t;

/* One snapshot's SAMPLING record; sampled 0 when it has none (exact tracking). */
typedef struct {
    int sampled;
    uint64_t rate, seed, flags;
    ls_sample_site_t *sites; /* by id, increasing */
    size_t n;
} ls_sampling_t;

/* Read the SAMPLING record of the snapshot file at `path` into *out (sampled 0 when it
 * has none). Returns 0, or -1 with a one-line message when the file or record is bad. */
int ls_sampling_read(const char *path, ls_sampling_t *out, char *err, size_t errlen);
/* The same from a snapshot held in memory (the tests and fuzzing). */
int ls_sampling_parse(const uint8_t *data, size_t len, const char *name, ls_sampling_t *out, char *err,
                      size_t errlen);
void ls_sampling_free(ls_sampling_t *s);
/* The figures of site `id`, or NULL. */
const ls_sample_site_t *ls_sampling_site(const ls_sampling_t *s, uint32_t id);

/* The 95% interval [*lo, *hi] of a live-bytes estimate `est` whose standard deviation is
 * `sd` (the SAMPLING record's) from `samples` live samples, at `rate` (sampling_verdict.c):
 * the exact (Garwood) Poisson interval on the effective sample count est²/sd², scaled by
 * sd²/est, its upper end one sample (est/samples bytes) above the count. With sd 0:
 * [est, est], or [0, 3.689 rate] when nothing was sampled. Coverage measured in
 * tests/unit/test_analyzer_sampling.c over simulated runs: 95.1-96.7%, block sizes mixed. */
void ls_sampling_live_interval(double est, double sd, uint64_t samples, uint64_t rate, double *lo, double *hi);

/* "~" before an estimated figure, or "" (a process not sampled). */
#define LS_EST(sampled) ((sampled) ? "~" : "")
/* "64 KiB" for a rate, into buf. */
const char *ls_sampling_rate_text(char *buf, size_t len, uint64_t rate);

#endif /* LS_SAMPLING_H */
