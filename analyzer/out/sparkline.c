/*
 * sparkline.c — a series as a row of Unicode bars, for the text and HTML reports (report.h).
 */
#include <math.h>
#include <string.h>

#include "report.h"

const char *ls_sparkline(const double *y, size_t n, size_t width, char *buf, size_t len)
{
    static const char *const bars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    size_t w = n < width ? n : width, pos = 0;
    buf[0] = 0;
    if (n == 0 || len < 4)
        return buf;
    double cell[256];
    if (w > 256)
        w = 256;
    double lo = INFINITY, hi = -INFINITY;
    /* With more values than cells, the first cell is the first value alone — the start that
     * "growth over the run" is counted from, so that a jump early in the run (a warm-up) is
     * not hidden in the first span — and each other cell shows the highest value of its span
     * of the rest (a peak is never smoothed away). */
    for (size_t k = 0; k < w; k++) {
        size_t a0 = k * n / w, a1 = (k + 1) * n / w;
        if (n > w) {
            a0 = k == 0 ? 0 : 1 + (k - 1) * (n - 1) / (w - 1);
            a1 = k == 0 ? 1 : 1 + k * (n - 1) / (w - 1);
        }
        double m = y[a0];
        for (size_t i = a0; i < a1; i++)
            if (y[i] > m)
                m = y[i];
        cell[k] = m;
        if (m < lo)
            lo = m;
        if (m > hi)
            hi = m;
    }
    for (size_t k = 0; k < w && pos + 4 < len; k++) {
        int level = 0;
        if (hi - lo > 0.01 * fabs(hi))
            level = (int)floor((cell[k] - lo) / (hi - lo) * 7.0 + 0.5);
        else
            level = hi > 0 ? 3 : 0;
        memcpy(buf + pos, bars[level], 3);
        pos += 3;
    }
    buf[pos] = 0;
    return buf;
}
