/*
 * test_analyzer_sparkline.c — the reports' sparklines (analyzer/out/sparkline.c): one cell per
 * value when they fit; with more values than cells, the first value alone in the first cell
 * (a warm-up jump early in a long run stays visible: the xz compressor's 155 timer snapshots
 * once drew a flat line next to "+165 MiB over the run"), a brief peak never smoothed away,
 * flat series in the middle row, nothing for no values.
 */
#include <check.h>

#include "check_main.h"
#include <string.h>

#include "report.h"

static const char *spark(const double *y, size_t n, size_t width)
{
    static char buf[1024];
    return ls_sparkline(y, n, width, buf, sizeof buf);
}

/* `cells` bars of row `row` (0..7) after `first` bars of row `first_row`. */
static const char *bars(int first_row, size_t first, int row, size_t cells)
{
    static const char *const b[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    static char out[1024];
    out[0] = 0;
    for (size_t i = 0; i < first + cells; i++)
        strcat(out, b[i < first ? first_row : row]);
    return out;
}

START_TEST(one_cell_per_value_when_they_fit)
{
    double y[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    ck_assert_str_eq(spark(y, 8, 24), "▁▂▃▄▅▆▇█");
}
END_TEST

START_TEST(an_early_jump_shows_in_the_first_cell)
{
    double y[155];
    y[0] = 141e6;
    for (size_t i = 1; i < 155; i++)
        y[i] = 306e6;
    ck_assert_str_eq(spark(y, 155, 24), bars(0, 1, 7, 23));
}
END_TEST

START_TEST(a_brief_peak_is_kept)
{
    double y[100];
    for (size_t i = 0; i < 100; i++)
        y[i] = 10;
    y[50] = 20;
    const char *s = spark(y, 100, 10);
    ck_assert_uint_eq(strlen(s), 30);
    size_t top = 0;
    for (size_t k = 0; k < 10; k++)
        if (memcmp(s + 3 * k, "█", 3) == 0)
            top++;
        else
            ck_assert_int_eq(memcmp(s + 3 * k, "▁", 3), 0);
    ck_assert_uint_eq(top, 1);
}
END_TEST

START_TEST(flat_and_empty_series)
{
    double flat[40], zero[40];
    for (size_t i = 0; i < 40; i++)
        flat[i] = 5, zero[i] = 0;
    ck_assert_str_eq(spark(flat, 40, 16), bars(3, 0, 3, 16));
    ck_assert_str_eq(spark(zero, 40, 16), bars(0, 0, 0, 16));
    ck_assert_str_eq(spark(flat, 0, 16), "");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sparkline");
    TCase *tc = tcase_create("cells");
    tcase_add_test(tc, one_cell_per_value_when_they_fit);
    tcase_add_test(tc, an_early_jump_shows_in_the_first_cell);
    tcase_add_test(tc, a_brief_peak_is_kept);
    tcase_add_test(tc, flat_and_empty_series);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ls_check_run(suite(), CK_FORK_GETENV);
}
