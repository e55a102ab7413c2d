/*
 * sliding_surface.c — evaluation of the linear sliding surface and its pole-placement design
 * (the derivation is in docs/sim.md "Surface design").
 */
#include "sliding_surface.h"

#include <math.h>

double sim_surface_value(const sim_surface_t *surface, const double state[SIM_STATE_DIM])
{
    double s = 0.0;
    for (int i = 0; i < 3; i++)
        s += surface->k[i] * (state[3 + i] + surface->lambda[i] * state[i]);
    return s;
}

bool sim_solve3(const double a[3][3], const double b[3], double x[3])
{
    double m[3][4];
    for (int r = 0; r < 3; r++) {
        for (int c = 0; c < 3; c++)
            m[r][c] = a[r][c];
        m[r][3] = b[r];
    }
    for (int col = 0; col < 3; col++) {
        int pivot = col;
        for (int r = col + 1; r < 3; r++)
            if (fabs(m[r][col]) > fabs(m[pivot][col]))
                pivot = r;
        if (!(fabs(m[pivot][col]) > 1e-300))
            return false;
        if (pivot != col)
            for (int c = 0; c < 4; c++) {
                const double t = m[col][c];
                m[col][c] = m[pivot][c];
                m[pivot][c] = t;
            }
        for (int r = col + 1; r < 3; r++) {
            const double f = m[r][col] / m[col][col];
            for (int c = col; c < 4; c++)
                m[r][c] -= f * m[col][c];
        }
    }
    for (int r = 2; r >= 0; r--) {
        double acc = m[r][3];
        for (int c = r + 1; c < 3; c++)
            acc -= m[r][c] * x[c];
        x[r] = acc / m[r][r];
    }
    return true;
}

bool sim_surface_design(const sim_plant_params_t *p, const double poles[SIM_SURFACE_POLES],
                        sim_surface_t *out)
{
    /* Lumped constants of the linearized plant M0 qdd = diag(0, a g, b g) q + e1 u. */
    const double a = p->pendulum1_mass * p->pendulum1_com + p->pendulum2_mass * p->pendulum1_length;
    const double b = p->pendulum2_mass * p->pendulum2_com;
    const double j1 = p->pendulum1_mass * p->pendulum1_com * p->pendulum1_com
                    + p->pendulum2_mass * p->pendulum1_length * p->pendulum1_length + p->pendulum1_inertia;
    const double j2 = p->pendulum2_mass * p->pendulum2_com * p->pendulum2_com + p->pendulum2_inertia;
    const double c12 = p->pendulum2_mass * p->pendulum1_length * p->pendulum2_com;
    const double mt = p->cart_mass + p->pendulum1_mass + p->pendulum2_mass;
    const double g = p->gravity;

    /* First column of adj(w M0 - D) as polynomials in w = p^2: row r holds the w^r coefficients,
     * column i belongs to coordinate i. */
    const double v[3][3] = {
        { a * b * g * g, 0.0, 0.0 },
        { -g * (a * j2 + b * j1), a * b * g, a * b * g },
        { j1 * j2 - c12 * c12, b * c12 - a * j2, a * c12 - b * j1 },
    };
    /* det(M0): with sigma = det(M0) the input gain of s at the upright is exactly 1. */
    const double det_m0 = mt * (j1 * j2 - c12 * c12) - a * (a * j2 - b * c12) + b * (a * c12 - b * j1);

    /* Desired monic polynomial prod (p - r_j) = sum_m e[m] p^m. */
    double e[SIM_SURFACE_POLES + 1] = { 1.0, 0.0, 0.0, 0.0, 0.0, 0.0 };
    for (int j = 0; j < SIM_SURFACE_POLES; j++) {
        for (int m = j + 1; m > 0; m--)
            e[m] = e[m - 1] - poles[j] * e[m];
        e[0] = -poles[j] * e[0];
    }
    const double even[3] = { det_m0 * e[0], det_m0 * e[2], det_m0 * e[4] };
    const double odd[3] = { det_m0 * e[1], det_m0 * e[3], det_m0 * e[5] };
    double position_weight[3], velocity_weight[3];
    if (!sim_solve3(v, even, position_weight) || !sim_solve3(v, odd, velocity_weight))
        return false;
    for (int i = 0; i < 3; i++) {
        if (!(fabs(velocity_weight[i]) > 1e-12))
            return false;
        out->k[i] = velocity_weight[i];
        out->lambda[i] = position_weight[i] / velocity_weight[i];
    }
    return true;
}
