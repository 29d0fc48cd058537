/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/session unit tests: the TWAMP Light flow table (one reflector sequence counter per sender
 * 5-tuple, RFC 5357 Appendix I). Expected counters are tracked by the test in a plain array,
 * never read back from the table under test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tw_flow.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define ENTRY_SIZE 64	/* one cache line per flow (flow.c static_assert) */

/* splitmix64: deterministic, so a failure replays exactly. */
static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static struct tw_flow_table *
table_new(uint32_t capacity, uint64_t idle, void **mem)
{
	size_t sz = tw_flow_mem_size(capacity);
	struct tw_flow_table *t;

	assert_true(sz > 0);
	*mem = aligned_alloc(64, (sz + 63) & ~(size_t)63);
	assert_non_null(*mem);
	/* The table must not depend on the memory's previous content. */
	memset(*mem, 0xa5, sz);
	t = tw_flow_init(*mem, capacity, idle);
	assert_non_null(t);
	return t;
}

static struct tw_flow_key
key4(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport)
{
	struct tw_flow_key k;

	memset(&k, 0, sizeof(k));
	k.src[0] = (uint8_t)(src >> 24);
	k.src[1] = (uint8_t)(src >> 16);
	k.src[2] = (uint8_t)(src >> 8);
	k.src[3] = (uint8_t)src;
	k.dst[0] = (uint8_t)(dst >> 24);
	k.dst[1] = (uint8_t)(dst >> 16);
	k.dst[2] = (uint8_t)(dst >> 8);
	k.dst[3] = (uint8_t)dst;
	k.sport = sport;
	k.dport = dport;
	k.family = 4;
	return k;
}

/* An IPv6 key whose addresses start with the same 4 octets as the IPv4 key4(src, dst, ...). */
static struct tw_flow_key
key6(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport)
{
	struct tw_flow_key k = key4(src, dst, sport, dport);

	k.family = 6;
	return k;
}

/* A distinct key per index: IPv4 for even, IPv6 (with a full 16-octet address) for odd. */
static struct tw_flow_key
key_nth(uint32_t i, uint64_t salt)
{
	struct tw_flow_key k;

	if (i % 2 == 0)
		return key4(0x0a000000u + i, 0xc0000201u, (uint16_t)(salt + i), 862);
	k = key6(0x20010db8u, 0x20010db8u, (uint16_t)(salt >> 16), 862);
	k.src[8] = (uint8_t)(salt >> 32);
	k.src[12] = (uint8_t)(i >> 24);
	k.src[13] = (uint8_t)(i >> 16);
	k.src[14] = (uint8_t)(i >> 8);
	k.src[15] = (uint8_t)i;
	k.dst[15] = 1;
	return k;
}

static void
expect_seq(struct tw_flow_table *t, const struct tw_flow_key *k, uint64_t now,
	   enum tw_flow_result res, uint32_t seq)
{
	uint32_t got = 0xdeadbeef;

	assert_int_equal(tw_flow_next_seq(t, k, now, &got), res);
	assert_int_equal(got, seq);
}

/* RFC 5357 §4.2.1: the reflector's Sequence Number starts at zero and goes up by one. */
static void
test_seq_starts_at_zero(void **state)
{
	struct tw_flow_key k = key4(0x0a000001, 0x0a000002, 50000, 862);
	struct tw_flow_stats st;
	struct tw_flow_table *t;
	void *mem;

	(void)state;
	t = table_new(64, 1000, &mem);
	expect_seq(t, &k, 0, TW_FLOW_NEW, 0);
	for (uint32_t i = 1; i < 1000; i++)
		expect_seq(t, &k, i, TW_FLOW_FOUND, i);
	tw_flow_get_stats(t, &st);
	assert_int_equal(st.inserts, 1);
	assert_int_equal(st.live, 1);
	assert_int_equal(st.full, 0);
	assert_int_equal(st.expired_reused, 0);
	free(mem);
}

struct tuple_row {
	struct tw_flow_key k;
	const char *why;
};

/* Keys that differ from the first row in exactly one way: each must get its own counter. */
static void
test_tuples_independent(void **state)
{
	const struct tuple_row rows[] = {
		{ key4(0x0a000001, 0x0a000002, 50000, 862), "base IPv4 flow" },
		{ key6(0x0a000001, 0x0a000002, 50000, 862), "same octets, IPv6" },
		{ key4(0x0a000001, 0x0a000002, 862, 50000), "ports swapped" },
		{ key4(0x0a000002, 0x0a000001, 50000, 862), "addresses swapped" },
		{ key4(0x0a000001, 0x0a000002, 50001, 862), "other source port" },
		{ key4(0x0a000001, 0x0a000002, 50000, 863), "other test port" },
		{ key4(0x0a000003, 0x0a000002, 50000, 862), "other source address" },
		{ key4(0x0a000001, 0x0a000004, 50000, 862), "other reflector address" },
	};
	uint32_t want[ARRAY_LEN(rows)] = { 0 };
	struct tw_flow_table *t;
	uint64_t s = 1;
	void *mem;

	(void)state;
	/* The smallest table: keys share buckets, so they really are told apart by comparison. */
	t = table_new(8, 1000, &mem);
	for (size_t i = 0; i < ARRAY_LEN(rows); i++)
		print_message("tuple row %zu: %s\n", i, rows[i].why);
	for (int n = 0; n < 2000; n++) {
		size_t i = rnd(&s) % ARRAY_LEN(rows);

		expect_seq(t, &rows[i].k, 1, want[i] ? TW_FLOW_FOUND : TW_FLOW_NEW, want[i]);
		want[i]++;
	}
	for (size_t i = 0; i < ARRAY_LEN(rows); i++)
		assert_true(want[i] > 0);
	free(mem);
}

/* A flow idle for more than idle_ticks is a new session of the same 5-tuple: back to 0. */
static void
test_idle_restarts(void **state)
{
	struct tw_flow_key k = key6(0x20010db8, 0x20010db8, 40000, 862);
	struct tw_flow_stats st;
	struct tw_flow_table *t;
	void *mem;

	(void)state;
	t = table_new(64, 100, &mem);
	expect_seq(t, &k, 1000, TW_FLOW_NEW, 0);
	expect_seq(t, &k, 1100, TW_FLOW_FOUND, 1);	/* exactly idle_ticks: still live */
	expect_seq(t, &k, 1200, TW_FLOW_FOUND, 2);
	expect_seq(t, &k, 1301, TW_FLOW_NEW, 0);	/* idle_ticks + 1: restart */
	expect_seq(t, &k, 1302, TW_FLOW_FOUND, 1);
	expect_seq(t, &k, 1000000, TW_FLOW_NEW, 0);
	tw_flow_get_stats(t, &st);
	assert_int_equal(st.live, 1);	/* the same slot, not a second entry */
	assert_int_equal(st.full, 0);
	free(mem);
}

/*
 * Capacity 8 is the smallest table (two buckets): every key competes for the same 8 slots. Fill
 * it until it refuses, then check that no live flow is ever evicted and that idle slots are
 * reclaimed once the table is full.
 */
static void
test_full_and_idle_reuse(void **state)
{
	enum { IDLE = 100, TRIES = 1000 };
	struct tw_flow_key keys[16];
	uint32_t want[16], n = 0, next = 0, ok;
	struct tw_flow_stats st;
	struct tw_flow_table *t;
	uint32_t seq;
	void *mem;

	(void)state;
	t = table_new(8, IDLE, &mem);
	assert_int_equal(tw_flow_capacity(t), 8);
	/* Fill at t=0 until the first refusal. */
	for (;;) {
		keys[n] = key_nth(next++, 7);
		if (tw_flow_next_seq(t, &keys[n], 0, &seq) == TW_FLOW_FULL)
			break;
		assert_int_equal(seq, 0);
		want[n++] = 1;
		assert_true(n < ARRAY_LEN(keys));
	}
	/*
	 * Displacement fills a two-bucket table completely (it could only stop short if four keys
	 * had both hashes on the same bucket; not so for these keys).
	 */
	assert_int_equal(n, 8);
	tw_flow_get_stats(t, &st);
	assert_int_equal(st.live, n);
	assert_int_equal(st.inserts, n);
	assert_int_equal(st.full, 1);

	/* Everything is live (idle exactly IDLE is not idle): all new keys refused, counted. */
	for (uint32_t i = 0; i < TRIES; i++) {
		struct tw_flow_key k = key_nth(next++, 7);

		assert_int_equal(tw_flow_next_seq(t, &k, IDLE, &seq), TW_FLOW_FULL);
	}
	tw_flow_get_stats(t, &st);
	assert_int_equal(st.full, 1 + TRIES);
	assert_int_equal(st.inserts, n);
	/* The live flows went on counting. Keep flow 0 untouched from here: it goes idle. */
	for (uint32_t i = 1; i < n; i++)
		expect_seq(t, &keys[i], IDLE, TW_FLOW_FOUND, want[i]++);

	/* At 2*IDLE flow 0 (last seen at 0) is idle; the others (seen at IDLE) are not. */
	ok = 0;
	for (uint32_t i = 0; i < TRIES; i++) {
		struct tw_flow_key k = key_nth(next++, 7);
		enum tw_flow_result r = tw_flow_next_seq(t, &k, 2 * IDLE, &seq);

		if (r == TW_FLOW_NEW) {
			assert_int_equal(seq, 0);
			ok++;
		} else {
			assert_int_equal(r, TW_FLOW_FULL);
		}
	}
	/* Exactly one slot was reclaimable. */
	assert_int_equal(ok, 1);
	tw_flow_get_stats(t, &st);
	assert_int_equal(st.expired_reused, 1);
	assert_int_equal(st.live, n);
	assert_int_equal(st.full, 1 + 2 * TRIES - 1);
	for (uint32_t i = 1; i < n; i++)
		expect_seq(t, &keys[i], 2 * IDLE, TW_FLOW_FOUND, want[i]++);
	/* Flow 0 lost its slot: coming back it is a new flow, and the full table refuses it. */
	assert_int_equal(tw_flow_next_seq(t, &keys[0], 2 * IDLE, &seq), TW_FLOW_FULL);

	/* Much later every slot is idle: any new key gets in by reclaiming one. */
	expect_seq(t, &keys[0], 10 * IDLE, TW_FLOW_NEW, 0);
	tw_flow_get_stats(t, &st);
	assert_int_equal(st.expired_reused, 2);
	free(mem);
}

struct cap_row {
	uint32_t asked;
	uint32_t got;
};

static void
test_capacity_rounding(void **state)
{
	static const struct cap_row rows[] = {
		{ 1, 8 },		/* minimum: two 4-entry buckets */
		{ 7, 8 },
		{ 8, 8 },
		{ 9, 16 },
		{ 1000, 1024 },
		{ 1024, 1024 },
		{ 65536, 65536 },
		{ 65537, 131072 },
	};
	size_t hdr = tw_flow_mem_size(8) - 8 * ENTRY_SIZE;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		struct tw_flow_table *t;
		void *mem;

		assert_int_equal(tw_flow_mem_size(rows[i].asked),
				 hdr + (size_t)rows[i].got * ENTRY_SIZE);
		t = table_new(rows[i].asked, 1, &mem);
		assert_int_equal(tw_flow_capacity(t), rows[i].got);
		free(mem);
	}
	/* The largest table is only sized, not allocated (1 GiB). */
	assert_int_equal(tw_flow_mem_size(1u << 24), hdr + ((size_t)1 << 24) * ENTRY_SIZE);
	assert_int_equal(tw_flow_mem_size((1u << 23) + 1), hdr + ((size_t)1 << 24) * ENTRY_SIZE);
}

struct init_err_row {
	uint32_t capacity;
	uint64_t idle;
	size_t mis;		/* bytes added to a 64-aligned pointer */
	bool null_mem;
	const char *why;
};

static void
test_init_errors(void **state)
{
	static const struct init_err_row rows[] = {
		{ 0, 10, 0, false, "capacity 0" },
		{ (1u << 24) + 1, 10, 0, false, "capacity above 2^24" },
		{ UINT32_MAX, 10, 0, false, "capacity UINT32_MAX" },
		{ 64, 10, 8, false, "memory 8-aligned only" },
		{ 64, 10, 32, false, "memory 32-aligned only" },
		{ 64, 10, 1, false, "memory odd address" },
		{ 64, 0, 0, false, "idle_ticks 0" },
		{ 64, 10, 0, true, "NULL memory" },
	};
	uint8_t *mem = aligned_alloc(64, tw_flow_mem_size(64) + 64);

	(void)state;
	assert_non_null(mem);
	assert_int_equal(tw_flow_mem_size(0), 0);
	assert_int_equal(tw_flow_mem_size((1u << 24) + 1), 0);
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		print_message("init error row %zu: %s\n", i, rows[i].why);
		errno = 0;
		assert_null(tw_flow_init(rows[i].null_mem ? NULL : mem + rows[i].mis,
					 rows[i].capacity, rows[i].idle));
		assert_int_equal(errno, EINVAL);
	}
	/* The same buffer, aligned, works. */
	assert_non_null(tw_flow_init(mem, 64, 10));
	free(mem);
}

/*
 * Many flows at once, in random order, each with its own expected counter kept here. Phase one
 * inserts them all (so later inserts displace earlier ones to their other bucket), phase two
 * sends packets on random flows and checks every counter, phase three checks each flow once more.
 */
static void
check_many(uint32_t capacity, uint32_t nflows, uint64_t salt)
{
	uint32_t *want = calloc(nflows, sizeof(*want));
	struct tw_flow_stats st;
	struct tw_flow_table *t;
	uint64_t s = salt;
	void *mem;

	assert_non_null(want);
	t = table_new(capacity, 1u << 30, &mem);
	for (uint32_t i = 0; i < nflows; i++) {
		struct tw_flow_key k = key_nth(i, salt);

		expect_seq(t, &k, 1, TW_FLOW_NEW, 0);
		want[i] = 1;
	}
	for (uint32_t n = 0; n < 4 * nflows; n++) {
		uint32_t i = (uint32_t)(rnd(&s) % nflows);
		struct tw_flow_key k = key_nth(i, salt);

		expect_seq(t, &k, 2 + n, TW_FLOW_FOUND, want[i]++);
	}
	for (uint32_t i = 0; i < nflows; i++) {
		struct tw_flow_key k = key_nth(i, salt);

		expect_seq(t, &k, 10 * nflows, TW_FLOW_FOUND, want[i]++);
	}
	tw_flow_get_stats(t, &st);
	assert_int_equal(st.live, nflows);
	assert_int_equal(st.inserts, nflows);
	assert_int_equal(st.full, 0);
	assert_int_equal(st.expired_reused, 0);
	free(mem);
	free(want);
}

static void
test_many_random_flows(void **state)
{
	(void)state;
	check_many(65536, 50000, 0x1234);	/* 76% */
	check_many(1024, 768, 0x99);		/* 75%, small table */
}

/*
 * Two 4-way buckets per key without moving entries refuse new flows from about 25% load on; the
 * table must hold its stated capacity. 90% must always fit (seeds checked: several).
 */
static void
test_fill_to_90_percent(void **state)
{
	(void)state;
	for (uint64_t salt = 1; salt <= 3; salt++)
		check_many(16384, 16384 * 9 / 10, salt);
}

/*
 * Sessions come and go: 700 flows are active at any time, 3 stop each tick and 3 new ones start.
 * Stopped flows hold their slot until they have been idle for IDLE ticks, so at most
 * 700 + 3 * IDLE = 892 flows (87%) are live. Long after every slot has been used once, a new flow
 * must still get in, by reclaiming an idle slot, in its own buckets or (moving live flows) in
 * another one; and no active flow may ever lose its counter.
 */
static void
test_churn(void **state)
{
	enum { CAP = 1024, IDLE = 64, ACTIVE = 700, TURN = 3, TICKS = 600 };
	uint32_t *act = malloc(ACTIVE * sizeof(*act)), *want = malloc(ACTIVE * sizeof(*want));
	uint32_t next = 0, started = 0;
	struct tw_flow_stats st;
	struct tw_flow_table *t;
	uint64_t s = 42;
	void *mem;

	(void)state;
	assert_non_null(act);
	assert_non_null(want);
	t = table_new(CAP, IDLE, &mem);
	for (uint32_t i = 0; i < ACTIVE; i++) {
		act[i] = next++;
		want[i] = 0;
	}
	for (uint64_t now = 1; now <= TICKS; now++) {
		for (uint32_t n = 0; n < TURN; n++) {
			uint32_t i = (uint32_t)(rnd(&s) % ACTIVE);

			act[i] = next++;	/* the old flow just stops sending */
			want[i] = 0;
		}
		for (uint32_t i = 0; i < ACTIVE; i++) {
			struct tw_flow_key k = key_nth(act[i], 0x77);

			expect_seq(t, &k, now, want[i] ? TW_FLOW_FOUND : TW_FLOW_NEW, want[i]);
			started += want[i] == 0;
			want[i]++;
		}
	}
	tw_flow_get_stats(t, &st);
	assert_int_equal(st.full, 0);
	assert_int_equal(st.live, CAP);		/* every slot was used at some point */
	assert_int_equal(st.inserts, started);
	assert_int_equal(st.expired_reused, started - CAP);
	free(mem);
	free(want);
	free(act);
}

/*
 * A flood of new 5-tuples into an almost full table: the live flows keep their counters, the
 * flood is refused once the table is full, and once the flood's flows have gone idle new flows
 * get in again (a failed search only pauses searching for a moment).
 */
static void
test_flood_then_recover(void **state)
{
	enum { CAP = 1024, IDLE = 64, LIVE = 800, FLOOD = 20000, LATER = 100 };
	struct tw_flow_stats st;
	struct tw_flow_table *t;
	uint32_t admitted = 0;
	uint64_t now = 0;
	void *mem;

	(void)state;
	t = table_new(CAP, IDLE, &mem);
	for (uint32_t i = 0; i < LIVE; i++) {
		struct tw_flow_key k = key_nth(i, 1);

		expect_seq(t, &k, now, TW_FLOW_NEW, 0);
	}
	now++;
	for (uint32_t i = 0; i < FLOOD; i++) {
		struct tw_flow_key k = key_nth(1000000 + i, 2);
		uint32_t seq;

		if (tw_flow_next_seq(t, &k, now, &seq) == TW_FLOW_NEW)
			admitted++;
	}
	tw_flow_get_stats(t, &st);
	assert_true(admitted <= CAP - LIVE);
	assert_true(admitted >= (CAP - LIVE) / 2);
	assert_int_equal(st.full, FLOOD - admitted);
	/* The live flows go on, past the flood's idle timeout. */
	for (uint32_t seq = 1; seq <= IDLE + 1; seq++) {
		now++;
		for (uint32_t i = 0; i < LIVE; i++) {
			struct tw_flow_key k = key_nth(i, 1);

			expect_seq(t, &k, now, TW_FLOW_FOUND, seq);
		}
	}
	/* The flood's slots are idle now: new flows get in (up to 88% live), every one of them. */
	for (uint32_t i = 0; i < LATER; i++) {
		struct tw_flow_key k = key_nth(2000000 + i, 3);

		expect_seq(t, &k, now, TW_FLOW_NEW, 0);
	}
	free(mem);
}

/*
 * tw_flow_prefetch() only touches the cache: the table's memory is the same octets after
 * prefetching keys present and absent, and the lookups that follow give what they would have.
 * tw_flow_live() is the stats' live count.
 */
static void
test_prefetch_read_only(void **state)
{
	size_t sz = tw_flow_mem_size(4096);
	struct tw_flow_table *t;
	struct tw_flow_stats st;
	uint8_t *copy;
	void *mem;

	(void)state;
	t = table_new(4096, 100, &mem);
	for (uint32_t i = 0; i < 3000; i++) {
		struct tw_flow_key k = key_nth(i, 7);

		expect_seq(t, &k, 1, TW_FLOW_NEW, 0);
	}
	tw_flow_get_stats(t, &st);
	assert_int_equal(tw_flow_live(t), st.live);
	assert_int_equal(tw_flow_live(t), 3000);
	copy = malloc(sz);
	assert_non_null(copy);
	memcpy(copy, mem, sz);
	for (uint32_t i = 0; i < 6000; i++) {
		struct tw_flow_key k = key_nth(i, 7);

		tw_flow_prefetch(t, &k);
	}
	assert_memory_equal(copy, mem, sz);
	for (uint32_t i = 0; i < 3000; i++) {
		struct tw_flow_key k = key_nth(i, 7), absent = key_nth(i + 3000, 7);

		tw_flow_prefetch(t, &k);
		tw_flow_prefetch(t, &absent);
		expect_seq(t, &k, 2, TW_FLOW_FOUND, 1);
	}
	assert_int_equal(tw_flow_live(t), 3000);
	free(copy);
	free(mem);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seq_starts_at_zero),
		cmocka_unit_test(test_tuples_independent),
		cmocka_unit_test(test_idle_restarts),
		cmocka_unit_test(test_full_and_idle_reuse),
		cmocka_unit_test(test_capacity_rounding),
		cmocka_unit_test(test_init_errors),
		cmocka_unit_test(test_many_random_flows),
		cmocka_unit_test(test_fill_to_90_percent),
		cmocka_unit_test(test_churn),
		cmocka_unit_test(test_flood_then_recover),
		cmocka_unit_test(test_prefetch_read_only),
	};

	return cmocka_run_group_tests_name("session", tests, NULL, NULL);
}
