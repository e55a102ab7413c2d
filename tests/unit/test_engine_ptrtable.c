/*
 * test_engine_ptrtable.c — the table of live allocations: exact membership through
 * growth, overflow past full buckets and deletion (checked against a plain reference
 * array, and the buckets' overflow counts against the entries),
 * stale-entry replacement (past the home bucket too, once expected), the free path's ls_ptr_take,
 * sampling classes (kept, and changed by ls_ptr_reclass), the insert hook,
 * entries too large to pack (the side list), the table's
 * bytes per live entry, and concurrent use by several threads.
 */
#include <check.h>

#include "check_main.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "biaslock.h"
#include "ptrtable.h"

static int table_ready;

static void setup(void)
{
    if (!table_ready) {
        ck_assert_int_eq(ls_ptr_init(), 0);
        table_ready = 1;
    }
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

typedef struct {
    uint64_t bytes, count;
} sum_t;

static void sum_entries(const ls_ptr_entry_t *e, void *ctx)
{
    sum_t *s = ctx;
    s->bytes += e->size;
    s->count++;
}

/* Random inserts and removes over a pointer range dense enough that buckets fill, so the
 * table grows many times and entries are pushed past full buckets and deleted again
 * constantly; the overflow counts stay exact (ls_ptr_consistent) all along. */
START_TEST(matches_reference_under_churn)
{
    enum { N = 200000, SPACE = 60000 };
    uint64_t *ref_size = calloc(SPACE, sizeof *ref_size); /* 0 = absent */
    uint64_t seed = 88172645463325252ull, live_bytes = 0, live_count = 0;
    for (int i = 0; i < N; i++) {
        uint64_t k = xorshift(&seed) % SPACE;
        uintptr_t p = 0x100000 + (uintptr_t)k * 16;
        ls_ptr_entry_t old;
        if (ref_size[k]) {
            ck_assert_int_eq(ls_ptr_remove(p, &old), 1);
            ck_assert_uint_eq(old.size, ref_size[k]);
            ck_assert_uint_eq(old.site, (uint32_t)(k % 97));
            ck_assert_uint_eq(old.epoch, (uint32_t)(k % 13));
            ck_assert_uint_eq(old.cls, k % 4);
            live_bytes -= ref_size[k];
            live_count--;
            ref_size[k] = 0;
        } else {
            uint64_t size = 1 + xorshift(&seed) % 5000 + (k % 11 == 0 ? (1ull << 30) - 5001 : 0); /* up to 2^30 - 1 */
            ck_assert_int_eq(ls_ptr_insert(p, size, (uint32_t)(k % 97), (uint32_t)(k % 13), (uint8_t)(k % 4), &old), 0);
            ref_size[k] = size;
            live_bytes += size;
            live_count++;
        }
        if (i % 25000 == 0)
            ck_assert(ls_ptr_consistent());
    }
    ck_assert(ls_ptr_consistent());
    sum_t s = {0, 0};
    ls_ptr_foreach(sum_entries, &s);
    ck_assert_uint_eq(s.bytes, live_bytes);
    ck_assert_uint_eq(s.count, live_count);
    ck_assert_uint_eq(ls_ptr_count(), live_count);
    /* every present key is found, every absent one is not */
    for (uint64_t k = 0; k < SPACE; k++) {
        ls_ptr_entry_t old;
        uintptr_t p = 0x100000 + (uintptr_t)k * 16;
        ck_assert_int_eq(ls_ptr_remove(p, &old), ref_size[k] ? 1 : 0);
    }
    ck_assert_uint_eq(ls_ptr_count(), 0);
    ck_assert(ls_ptr_consistent()); /* every overflow count back to 0 */
    free(ref_size);
}
END_TEST

static void class_up(ls_ptr_entry_t *e, void *ctx)
{
    (void)ctx;
    e->cls = (uint8_t)((e->cls + 1) % LS_PTR_CLASSES);
}

/* ls_ptr_reclass changes the class of every entry, packed or in the side list, and
 * nothing else. */
START_TEST(reclass_changes_only_the_class)
{
    const uintptr_t base = 0x7000000;
    const uint64_t huge = 3ull << 30; /* side list */
    ls_ptr_entry_t old;
    for (uintptr_t i = 0; i < 1000; i++)
        ck_assert_int_eq(ls_ptr_insert(base + i * 32, i == 7 ? huge : i + 1, (uint32_t)i, (uint32_t)(i * 3), (uint8_t)(i % 4), &old), 0);
    ls_ptr_reclass(class_up, NULL);
    for (uintptr_t i = 0; i < 1000; i++) {
        ck_assert_int_eq(ls_ptr_remove(base + i * 32, &old), 1);
        ck_assert_uint_eq(old.size, i == 7 ? huge : i + 1);
        ck_assert_uint_eq(old.site, i);
        ck_assert_uint_eq(old.epoch, i * 3);
        ck_assert_uint_eq(old.cls, (i + 1) % 4);
    }
    ck_assert_uint_eq(ls_ptr_count(), 0);
}
END_TEST

START_TEST(insert_of_present_pointer_reports_stale_entry)
{
    ls_ptr_entry_t old = {0};
    ck_assert_int_eq(ls_ptr_insert(0xdead0, 10, 1, 2, 0, &old), 0);
    ck_assert_int_eq(ls_ptr_insert(0xdead0, 30, 3, 4, 0, &old), 1);
    ck_assert_uint_eq(old.size, 10);
    ck_assert_uint_eq(old.site, 1);
    ck_assert_uint_eq(old.epoch, 2);
    ck_assert_uint_eq(ls_ptr_count(), 1);
    ck_assert_int_eq(ls_ptr_remove(0xdead0, &old), 1);
    ck_assert_uint_eq(old.size, 30);
    ck_assert_int_eq(ls_ptr_remove(0xdead0, &old), 0);
}
END_TEST

/* n distinct 16-aligned addresses drawn at random (xorshift from seed) from the first
 * 16 MiB above base: all in base's 64 MiB region, so in one shard. */
static void distinct_addresses(uintptr_t base, uint64_t seed, uintptr_t *addr, int n)
{
    enum { SPAN = 1 << 20 };
    static uint8_t used[SPAN / 8];
    memset(used, 0, sizeof used);
    for (int i = 0; i < n;) {
        uint64_t k = xorshift(&seed) % SPAN;
        if (used[k / 8] & (1u << (k % 8)))
            continue;
        used[k / 8] |= (uint8_t)(1u << (k % 8));
        addr[i++] = base + (uintptr_t)k * 16;
    }
}

/* The insert hook sees every address that enters the table: a new entry (fast or probed
 * insert), a stale one replaced, an entry of the side list; nothing else (a removal). */
static uintptr_t hooked[8];
static int nhooked;
static void record_hook(uintptr_t p)
{
    if (nhooked < 8)
        hooked[nhooked] = p;
    nhooked++;
}

START_TEST(the_insert_hook_sees_every_address_that_enters)
{
    ls_ptr_entry_t old;
    ls_ptr_set_insert_hook(record_hook);
    ck_assert_int_eq(ls_ptr_insert(0x78000010, 8, 1, 0, 0, &old), 0);
    ck_assert_int_eq(ls_ptr_insert(0x78000010, 16, 1, 0, 0, &old), 1); /* stale, replaced */
    ck_assert_int_eq(ls_ptr_insert(0x78000021, 8, 1, 0, 0, &old), 0);  /* unaligned: side list */
    ck_assert_int_eq(ls_ptr_remove(0x78000010, &old), 1);
    ck_assert_int_eq(ls_ptr_remove(0x78000021, &old), 1);
    ls_ptr_set_insert_hook(NULL);
    ck_assert_int_eq(ls_ptr_insert(0x78000030, 8, 1, 0, 0, &old), 0); /* no hook: no call */
    ck_assert_int_eq(ls_ptr_remove(0x78000030, &old), 1);
    ck_assert_int_eq(nhooked, 3);
    ck_assert_uint_eq(hooked[0], 0x78000010);
    ck_assert_uint_eq(hooked[1], 0x78000010);
    ck_assert_uint_eq(hooked[2], 0x78000021);
    ck_assert(ls_ptr_consistent());
}
END_TEST

/* Until ls_ptr_expect_stale, an insert looks for its address in its home bucket only (an
 * allocated address is never in the table then); from it on, wherever the probe may have
 * put it. 6,000 random addresses in one shard, every fourth removed: inserted again
 * before, some of the others (those that lie past a home bucket with room) are added a
 * second time by the one-look insert of the shard lock's owner (no owner without
 * membarrier, or under ThreadSanitizer: every insert probes then); after, every one is
 * found and replaced. Runs before the tests that need
 * stale entries found: the expectation is for the whole process. */
START_TEST(stale_entries_are_looked_for_past_the_home_bucket_once_expected)
{
    enum { N = 6000 };
    static uintptr_t addr[N];
    distinct_addresses(0x70000000, 0x9E3779B97F4A7C15ull, addr, N); /* a region of its own: one shard */
    ls_ptr_entry_t old;
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(ls_ptr_insert(addr[i], 16, 1, 0, 0, &old), 0);
    for (int i = 0; i < N; i += 4)
        ck_assert_int_eq(ls_ptr_remove(addr[i], &old), 1);
    int added_again = 0;
    for (int i = 1; i < N; i += 4)
        added_again += ls_ptr_insert(addr[i], 32, 2, 0, 0, &old) == 0;
    if (ls_bias_available()) /* the one-look insert is the shard lock's owner's */
        ck_assert_int_gt(added_again, 0);
    else
        ck_assert_int_eq(added_again, 0);
    ck_assert_int_lt(added_again, N / 4);
    int entries = 0; /* each added twice comes out twice, the others once */
    for (int i = 1; i < N; i += 4)
        while (ls_ptr_remove(addr[i], &old))
            entries++;
    ck_assert_int_eq(entries, N / 4 + added_again);
    ls_ptr_expect_stale();
    for (int i = 1; i < N; i += 4)
        ck_assert_int_eq(ls_ptr_insert(addr[i], 16, 1, 0, 0, &old), 0);
    for (int i = 1; i < N; i += 2)
        ck_assert_int_eq(ls_ptr_insert(addr[i], 48, 3, 0, 0, &old), 1);
    for (int i = 1; i < N; i++)
        ck_assert_int_eq(ls_ptr_remove(addr[i], &old), i % 4 != 0);
    ck_assert(ls_ptr_consistent());
}
END_TEST

/* A stale entry is found wherever its probe put it: 6,000 random addresses make the table
 * dense, so many entries live past their home bucket; inserting every live address again
 * replaces each entry exactly once and moves nothing, and so it does after every third
 * address was removed, when probes pass empty slots before they reach a stale entry (which
 * must be found, not a second entry put in the first empty slot). */
START_TEST(stale_entries_are_found_past_their_home_bucket)
{
    enum { N = 6000 };
    static uintptr_t addr[N];
    distinct_addresses(0x8000000, 0x2545F4914F6CDD1Dull, addr, N); /* one 64 MiB region: one shard */
    ls_ptr_entry_t old;
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(ls_ptr_insert(addr[i], (uint64_t)i + 1, (uint32_t)(i % 50), 7, 0, &old), 0);
    ck_assert(ls_ptr_consistent());
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(ls_ptr_insert(addr[i], 2 * (uint64_t)i + 1, 3, 8, 1, &old), 1);
        ck_assert_uint_eq(old.ptr, addr[i]);
        ck_assert_uint_eq(old.size, (uint64_t)i + 1);
        ck_assert_uint_eq(old.site, (uint32_t)(i % 50));
        ck_assert_uint_eq(old.epoch, 7);
        ck_assert_uint_eq(old.cls, 0);
    }
    ck_assert_uint_eq(ls_ptr_count(), N);
    ck_assert(ls_ptr_consistent());
    for (int i = 0; i < N; i += 3)
        ck_assert_int_eq(ls_ptr_remove(addr[i], &old), 1);
    for (int i = N - 1; i >= 0; i--) { /* latest first: a home's removed early entries come back last */
        int present = i % 3 != 0;
        ck_assert_int_eq(ls_ptr_insert(addr[i], 3 * (uint64_t)i + 1, 4, 9, 2, &old), present);
        if (present) {
            ck_assert_uint_eq(old.size, 2 * (uint64_t)i + 1);
            ck_assert_uint_eq(old.cls, 1);
        }
    }
    ck_assert_uint_eq(ls_ptr_count(), N);
    ck_assert(ls_ptr_consistent());
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(ls_ptr_remove(addr[i], &old), 1);
        ck_assert_uint_eq(old.size, 3 * (uint64_t)i + 1);
        ck_assert_uint_eq(old.cls, 2);
    }
    ck_assert_uint_eq(ls_ptr_count(), 0);
    ck_assert(ls_ptr_consistent());
}
END_TEST

/* Replacing a stale entry adds nothing, so it never doubles a table, even a full one: every
 * insert into one shard is followed by a second insert of the same address, and the table's
 * size moves only with the first (the shard's count reaches its limit on the way). */
START_TEST(replacing_a_stale_entry_never_grows_the_table)
{
    const uintptr_t base = 0x68000000; /* a 64 MiB region no other test uses: one shard */
    ls_ptr_entry_t old;
    for (uintptr_t i = 0; i < 300; i++) {
        ck_assert_int_eq(ls_ptr_insert(base + i * 16, 8, 1, 0, 0, &old), 0);
        uint64_t bytes = ls_ptr_table_bytes();
        ck_assert_int_eq(ls_ptr_insert(base + i * 16, 24, 2, 0, 0, &old), 1);
        ck_assert_uint_eq(old.size, 8);
        ck_assert_uint_eq(ls_ptr_table_bytes(), bytes);
    }
    for (uintptr_t i = 0; i < 300; i++)
        ck_assert_int_eq(ls_ptr_remove(base + i * 16, &old), 1);
    ck_assert(ls_ptr_consistent());
}
END_TEST

/* ls_ptr_take, the free hook's path: the packed entry once, then nothing; an entry of the
 * side list is not the shards' (ls_ptr_remove finds it there). */
START_TEST(take_hands_back_a_packed_entry_once)
{
    ls_ptr_entry_t e;
    ck_assert_int_eq(ls_ptr_insert(0x4400010, 123, 77, 9, 2, &e), 0);
    ls_ptr_raw_t r = ls_ptr_take(0x4400010);
    ck_assert_uint_ne(r.key, 0);
    ls_ptr_unpack(r, &e);
    ck_assert_uint_eq(e.ptr, 0x4400010);
    ck_assert_uint_eq(e.size, 123);
    ck_assert_uint_eq(e.site, 77);
    ck_assert_uint_eq(e.epoch, 9);
    ck_assert_uint_eq(e.cls, 2);
    ck_assert_uint_eq(ls_ptr_take(0x4400010).key, 0);
    ck_assert_int_eq(ls_ptr_insert(0x4400020, 5ull << 30, 1, 1, 0, &e), 0);
    ck_assert_uint_eq(ls_ptr_take(0x4400020).key, 0);
    ck_assert_int_eq(ls_ptr_remove(0x4400020, &e), 1);
    ck_assert_uint_eq(e.size, 5ull << 30);
    ck_assert_uint_eq(ls_ptr_count(), 0);
}
END_TEST

/* Blocks that do not fit a packed slot — 4 GiB or more, an unaligned or high address, a
 * site id of 2^21 or more — are kept exactly, and an address moving between the packed
 * table and the side list (reused with another size) is never in both. */
START_TEST(entries_that_do_not_pack_are_kept_exactly)
{
    const uintptr_t unaligned = 0x7000003, high = (uintptr_t)1 << 48, plain = 0x7000000;
    const uint64_t huge = 5ull << 30;
    ls_ptr_entry_t old;
    ck_assert_int_eq(ls_ptr_insert(unaligned, 7, 1, 1, 0, &old), 0);
    ck_assert_int_eq(ls_ptr_insert(high, 9, 2, 2, 0, &old), 0);
    ck_assert_int_eq(ls_ptr_insert(plain, huge, 3000000, UINT32_MAX, 0, &old), 0);
    ck_assert_uint_eq(ls_ptr_count(), 3);
    sum_t s = {0, 0};
    ls_ptr_foreach(sum_entries, &s);
    ck_assert_uint_eq(s.bytes, huge + 16);
    /* plain comes back small: it moves to the packed table, its old entry is reported */
    ck_assert_int_eq(ls_ptr_insert(plain, 48, 5, 6, 0, &old), 1);
    ck_assert_uint_eq(old.size, huge);
    ck_assert_uint_eq(old.site, 3000000);
    ck_assert_uint_eq(old.epoch, UINT32_MAX);
    ck_assert_uint_eq(ls_ptr_count(), 3);
    /* and big again: back to the side list */
    ck_assert_int_eq(ls_ptr_insert(plain, huge, 8, 9, 0, &old), 1);
    ck_assert_uint_eq(old.size, 48);
    ck_assert_uint_eq(old.site, 5);
    ck_assert_uint_eq(ls_ptr_count(), 3);
    ck_assert_int_eq(ls_ptr_remove(plain, &old), 1);
    ck_assert_uint_eq(old.size, huge);
    ck_assert_uint_eq(old.site, 8);
    ck_assert_int_eq(ls_ptr_remove(plain, &old), 0);
    ck_assert_int_eq(ls_ptr_remove(high, &old), 1);
    ck_assert_uint_eq(old.size, 9);
    ck_assert_int_eq(ls_ptr_remove(unaligned, &old), 1);
    ck_assert_uint_eq(old.size, 7);
    ck_assert_uint_eq(old.site, 1);
    ck_assert_uint_eq(ls_ptr_count(), 0);
}
END_TEST

/* A live block costs at most 40 bytes of table, at every size from 16 Ki to 512 Ki blocks
 * (all in one 64 MiB region, so in one shard); churn at a constant live count does not
 * make the table grow. */
START_TEST(table_bytes_per_entry_stay_under_40)
{
    enum { N = 1 << 19 };
    const uintptr_t base = 0x40000000;
    uint64_t empty = ls_ptr_table_bytes(), misses = 0, worst = 0; /* plain counts: a
                                                      * ck_assert per step would dominate */
    ls_ptr_entry_t old;
    for (uintptr_t i = 0; i < N; i++) {
        misses += ls_ptr_insert(base + i * 16, 16, 1, 0, 0, &old) != 0;
        uint64_t n = i + 1;
        if (n >= (1u << 14) && n % 4096 == 1) { /* just after a doubling, too */
            uint64_t per = (ls_ptr_table_bytes() - empty) / n;
            worst = per > worst ? per : worst;
        }
    }
    ck_assert_uint_eq(misses, 0);
    ck_assert_uint_le(worst, 40);
    uint64_t full = ls_ptr_table_bytes();
    for (int round = 0; round < 4; round++)
        for (uintptr_t i = 0; i < N; i++) {
            uintptr_t from = base + (i + (uintptr_t)round * N) * 16, to = from + (uintptr_t)N * 16;
            misses += ls_ptr_remove(from, &old) != 1;
            misses += ls_ptr_insert(to, 16, 1, 0, 0, &old) != 0;
        }
    ck_assert_uint_eq(misses, 0);
    ck_assert_uint_eq(ls_ptr_count(), N);
    ck_assert_uint_le(ls_ptr_table_bytes(), full);
    for (uintptr_t i = 0; i < N; i++)
        misses += ls_ptr_remove(base + (i + 4 * (uintptr_t)N) * 16, &old) != 1;
    ck_assert_uint_eq(misses, 0);
    ck_assert_uint_eq(ls_ptr_count(), 0);
}
END_TEST

typedef struct {
    int index;
    uint64_t kept;
} worker_arg_t;

static void *churn(void *arg)
{
    worker_arg_t *w = arg;
    uintptr_t base = 0x10000000ull * (uintptr_t)(w->index + 1);
    for (int round = 0; round < 20; round++) {
        for (uintptr_t i = 0; i < 5000; i++) {
            ls_ptr_entry_t old;
            ls_ptr_insert(base + i * 16, 8, (uint32_t)w->index, 0, 0, &old);
        }
        for (uintptr_t i = 0; i < 5000; i++) {
            ls_ptr_entry_t old;
            if (i % 5 != 0 || round != 19)
                ls_ptr_remove(base + i * 16, &old);
        }
    }
    w->kept = 1000;
    return NULL;
}

START_TEST(threads_share_the_table_exactly)
{
    enum { T = 4 };
    pthread_t tid[T];
    worker_arg_t args[T];
    for (int i = 0; i < T; i++) {
        args[i].index = i;
        pthread_create(&tid[i], NULL, churn, &args[i]);
    }
    for (int i = 0; i < T; i++)
        pthread_join(tid[i], NULL);
    sum_t s = {0, 0};
    ls_ptr_foreach(sum_entries, &s);
    ck_assert_uint_eq(s.count, T * 1000);
    ck_assert_uint_eq(s.bytes, T * 1000 * 8);
    for (int i = 0; i < T; i++)
        for (uintptr_t k = 0; k < 5000; k += 5) {
            ls_ptr_entry_t old;
            ck_assert_int_eq(ls_ptr_remove(0x10000000ull * (uintptr_t)(i + 1) + k * 16, &old), 1);
        }
    ck_assert_uint_eq(ls_ptr_count(), 0);
}
END_TEST

/* Two threads in one shard (one 64 MiB region), with disjoint addresses, after the test's
 * own thread had it alone: the shard's lock is biased to that thread, entered by the
 * workers (membarrier handshake), loses its bias, may be biased to a worker and lose it
 * again; every insert and remove still lands exactly. */
static void *share_one_shard(void *arg)
{
    worker_arg_t *w = arg;
    const uintptr_t base = 0x50000000;
    uint64_t misses = 0;
    for (int round = 0; round < 40; round++) {
        int burst = 2000 + 500 * (round % 3); /* runs long enough to earn the bias */
        for (uintptr_t i = 0; i < (uintptr_t)burst; i++) {
            ls_ptr_entry_t old;
            misses += ls_ptr_insert(base + (i * 2 + (uintptr_t)w->index) * 16, 8, 1, 0, 0, &old) != 0;
        }
        for (uintptr_t i = 0; i < (uintptr_t)burst; i++) {
            ls_ptr_entry_t old;
            if (round != 39 || i % 4 != 0)
                misses += ls_ptr_remove(base + (i * 2 + (uintptr_t)w->index) * 16, &old) != 1;
        }
    }
    w->kept = misses;
    return NULL;
}

START_TEST(threads_sharing_a_shard_stay_exact)
{
    pthread_t tid[2];
    worker_arg_t args[2] = {{0, 0}, {1, 0}};
    uint64_t granted0, revoked0, granted, revoked;
    ls_bias_counts(&granted0, &revoked0);
    for (uintptr_t i = 0; i < 3000; i++) { /* alone first: the shard is biased to this thread */
        ls_ptr_entry_t old;
        ls_ptr_insert(0x50000000 + i * 16, 8, 1, 0, 0, &old);
        ls_ptr_remove(0x50000000 + i * 16, &old);
    }
    ls_bias_counts(&granted, &revoked);
    if (ls_bias_available()) /* not under ThreadSanitizer, nor without membarrier */
        ck_assert_uint_gt(granted, granted0);
    for (int i = 0; i < 2; i++)
        pthread_create(&tid[i], NULL, share_one_shard, &args[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(tid[i], NULL);
    ck_assert_uint_eq(args[0].kept + args[1].kept, 0); /* no insert or remove went astray */
    ls_bias_counts(&granted, &revoked);
    if (ls_bias_available())
        ck_assert_uint_gt(revoked, revoked0); /* the workers asked the owner out */
    int burst = 2000 + 500 * (39 % 3);
    ck_assert_uint_eq(ls_ptr_count(), 2 * (uint64_t)(burst / 4));
    for (int t = 0; t < 2; t++)
        for (uintptr_t i = 0; i < (uintptr_t)burst; i += 4) {
            ls_ptr_entry_t old;
            ck_assert_int_eq(ls_ptr_remove(0x50000000 + (i * 2 + (uintptr_t)t) * 16, &old), 1);
        }
    ck_assert_uint_eq(ls_ptr_count(), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ptrtable");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, matches_reference_under_churn);
    tcase_add_test(tc, insert_of_present_pointer_reports_stale_entry);
    tcase_add_test(tc, take_hands_back_a_packed_entry_once);
    tcase_add_test(tc, reclass_changes_only_the_class);
    tcase_add_test(tc, entries_that_do_not_pack_are_kept_exactly);
    tcase_add_test(tc, table_bytes_per_entry_stay_under_40);
    tcase_add_test(tc, threads_share_the_table_exactly);
    tcase_add_test(tc, threads_sharing_a_shard_stay_exact);
    tcase_add_test(tc, the_insert_hook_sees_every_address_that_enters);
    /* Last: from the first of these on, stale entries are expected (for the process). */
    tcase_add_test(tc, stale_entries_are_looked_for_past_the_home_bucket_once_expected);
    tcase_add_test(tc, stale_entries_are_found_past_their_home_bucket);
    tcase_add_test(tc, replacing_a_stale_entry_never_grows_the_table);
    suite_add_tcase(s, tc);
    return ls_check_run(s, CK_NOFORK);
}
