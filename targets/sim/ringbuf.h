/*
 * ringbuf.h — a bounded history of fixed-size records in caller-provided storage: pushing onto
 * a full buffer overwrites the oldest record (the C form of deque(maxlen=N)). Never allocates.
 */
#ifndef SIM_RINGBUF_H
#define SIM_RINGBUF_H

#include <stddef.h>

typedef struct sim_ringbuf {
    unsigned char *storage;  /* capacity * record_size bytes, owned by the caller */
    size_t record_size;
    size_t capacity;
    size_t head;             /* index of the oldest record */
    size_t count;            /* records held, <= capacity */
} sim_ringbuf_t;

/* Bytes of storage a buffer of `capacity` records of `record_size` bytes needs. */
size_t sim_ringbuf_storage_bytes(size_t record_size, size_t capacity);
/* An empty buffer over `storage` (at least sim_ringbuf_storage_bytes(...) bytes). */
void sim_ringbuf_init(sim_ringbuf_t *rb, void *storage, size_t record_size, size_t capacity);
/* Append a copy of `record`; when full, the oldest record is overwritten. A zero-capacity
 * buffer ignores the push. */
void sim_ringbuf_push(sim_ringbuf_t *rb, const void *record);
/* The i-th record held, 0 = oldest, count-1 = newest; NULL when i >= count. */
const void *sim_ringbuf_at(const sim_ringbuf_t *rb, size_t i);
/* The newest record, or NULL when empty. */
const void *sim_ringbuf_newest(const sim_ringbuf_t *rb);
size_t sim_ringbuf_count(const sim_ringbuf_t *rb);
void sim_ringbuf_clear(sim_ringbuf_t *rb);

#endif /* SIM_RINGBUF_H */
