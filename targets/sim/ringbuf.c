/*
 * ringbuf.c — bounded record history over caller storage (see ringbuf.h); used for every
 * controller's state/control/surface history so that steady-state steps never allocate.
 */
#include "ringbuf.h"

#include <string.h>

size_t sim_ringbuf_storage_bytes(size_t record_size, size_t capacity)
{
    return record_size * capacity;
}

void sim_ringbuf_init(sim_ringbuf_t *rb, void *storage, size_t record_size, size_t capacity)
{
    rb->storage = storage;
    rb->record_size = record_size;
    rb->capacity = capacity;
    rb->head = 0;
    rb->count = 0;
}

void sim_ringbuf_push(sim_ringbuf_t *rb, const void *record)
{
    if (rb->capacity == 0)
        return;
    size_t slot;
    if (rb->count < rb->capacity) {
        slot = (rb->head + rb->count) % rb->capacity;
        rb->count++;
    } else {
        slot = rb->head;  /* overwrite the oldest, which makes the next one the oldest */
        rb->head = (rb->head + 1) % rb->capacity;
    }
    memcpy(rb->storage + slot * rb->record_size, record, rb->record_size);
}

const void *sim_ringbuf_at(const sim_ringbuf_t *rb, size_t i)
{
    if (i >= rb->count)
        return NULL;
    return rb->storage + ((rb->head + i) % rb->capacity) * rb->record_size;
}

const void *sim_ringbuf_newest(const sim_ringbuf_t *rb)
{
    return rb->count ? sim_ringbuf_at(rb, rb->count - 1) : NULL;
}

size_t sim_ringbuf_count(const sim_ringbuf_t *rb)
{
    return rb->count;
}

void sim_ringbuf_clear(sim_ringbuf_t *rb)
{
    rb->head = 0;
    rb->count = 0;
}
