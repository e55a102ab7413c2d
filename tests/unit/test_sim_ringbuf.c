/*
 * test_sim_ringbuf.c — the bounded history buffer of build/sim: order, wrap-around (oldest
 * overwritten), clear, and a zero-capacity buffer.
 */
#include <check.h>

#include "check_main.h"
#include <stdlib.h>

#include "ringbuf.h"

typedef struct record {
    int id;
    double value;
} record_t;

START_TEST(fills_in_order_before_wrapping)
{
    record_t storage[4];
    sim_ringbuf_t rb;
    ck_assert_uint_eq(sim_ringbuf_storage_bytes(sizeof(record_t), 4), sizeof storage);
    sim_ringbuf_init(&rb, storage, sizeof(record_t), 4);
    ck_assert_uint_eq(sim_ringbuf_count(&rb), 0);
    ck_assert_ptr_null(sim_ringbuf_newest(&rb));
    ck_assert_ptr_null(sim_ringbuf_at(&rb, 0));
    for (int i = 0; i < 3; i++)
        sim_ringbuf_push(&rb, &(record_t){ i, i * 0.5 });
    ck_assert_uint_eq(sim_ringbuf_count(&rb), 3);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(((const record_t *)sim_ringbuf_at(&rb, i))->id, i);
    ck_assert_int_eq(((const record_t *)sim_ringbuf_newest(&rb))->id, 2);
    ck_assert_ptr_null(sim_ringbuf_at(&rb, 3));
}
END_TEST

START_TEST(full_buffer_overwrites_the_oldest)
{
    record_t storage[4];
    sim_ringbuf_t rb;
    sim_ringbuf_init(&rb, storage, sizeof(record_t), 4);
    for (int i = 0; i < 11; i++)
        sim_ringbuf_push(&rb, &(record_t){ i, 0.0 });
    ck_assert_uint_eq(sim_ringbuf_count(&rb), 4);
    for (int i = 0; i < 4; i++)  /* ids 7, 8, 9, 10, oldest first */
        ck_assert_int_eq(((const record_t *)sim_ringbuf_at(&rb, i))->id, 7 + i);
    ck_assert_int_eq(((const record_t *)sim_ringbuf_newest(&rb))->id, 10);
    sim_ringbuf_clear(&rb);
    ck_assert_uint_eq(sim_ringbuf_count(&rb), 0);
    sim_ringbuf_push(&rb, &(record_t){ 42, 0.0 });
    ck_assert_int_eq(((const record_t *)sim_ringbuf_at(&rb, 0))->id, 42);
}
END_TEST

START_TEST(capacity_one_and_zero)
{
    record_t one;
    sim_ringbuf_t rb;
    sim_ringbuf_init(&rb, &one, sizeof(record_t), 1);
    sim_ringbuf_push(&rb, &(record_t){ 1, 0.0 });
    sim_ringbuf_push(&rb, &(record_t){ 2, 0.0 });
    ck_assert_uint_eq(sim_ringbuf_count(&rb), 1);
    ck_assert_int_eq(((const record_t *)sim_ringbuf_newest(&rb))->id, 2);

    sim_ringbuf_init(&rb, NULL, sizeof(record_t), 0);
    sim_ringbuf_push(&rb, &(record_t){ 3, 0.0 });
    ck_assert_uint_eq(sim_ringbuf_count(&rb), 0);
    ck_assert_ptr_null(sim_ringbuf_newest(&rb));
}
END_TEST

static Suite *ringbuf_suite(void)
{
    Suite *s = suite_create("sim_ringbuf");
    TCase *tc = tcase_create("ringbuf");
    tcase_add_test(tc, fills_in_order_before_wrapping);
    tcase_add_test(tc, full_buffer_overwrites_the_oldest);
    tcase_add_test(tc, capacity_one_and_zero);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ls_check_run(ringbuf_suite(), CK_FORK_GETENV);
}
