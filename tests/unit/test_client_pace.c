/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-client pacing (app/twamp-client/pace.c): the -r/--rate syntax, the schedule of packet k
 * and the batch size pace_due() allows. Expected values are worked out in the comments.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pace.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct rate_case {
	const char *in;
	int ret;
	uint64_t pps_milli;
};

static const struct rate_case rate_cases[] = {
	{ "1000", 0, 1000000 },
	{ "500k", 0, 500000000 },
	{ "500K", 0, 500000000 },
	{ "1.5M", 0, 1500000000 },
	{ "0.5", 0, 500 },			/* below 1 pps survives in milli-pps */
	{ "0.001", 0, 1 },
	{ "100M", 0, 100000000000 },		/* PACE_MAX_PPS */
	{ "max", 0, 0 },
	{ "0.0001", -EINVAL, 0 },		/* 0.1 milli-pps rounds to 0 */
	{ "100.1M", -EINVAL, 0 },
	{ "0", -EINVAL, 0 },
	{ "-5", -EINVAL, 0 },
	{ "+5", -EINVAL, 0 },
	{ "", -EINVAL, 0 },
	{ "5x", -EINVAL, 0 },
	{ "5kk", -EINVAL, 0 },
	{ "k", -EINVAL, 0 },
	{ "nan", -EINVAL, 0 },
	{ "inf", -EINVAL, 0 },
	{ "MAX", -EINVAL, 0 },
};

static void
test_parse_rate(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rate_cases); i++) {
		const struct rate_case *c = &rate_cases[i];
		uint64_t v = 12345;
		int ret = pace_parse_rate(c->in, &v);

		if (ret != c->ret)
			fail_msg("'%s': returned %d, want %d", c->in, ret, c->ret);
		if (ret == 0 && v != c->pps_milli)
			fail_msg("'%s': %llu milli-pps, want %llu", c->in, (unsigned long long)v,
				 (unsigned long long)c->pps_milli);
		if (ret != 0 && v != 12345)
			fail_msg("'%s': output written on error", c->in);
	}
}

static void
test_offset(void **state)
{
	/* 3 pps: packet k at floor(k * 1e9 / 3) ns: 0, 333333333, 666666666, 1e9. */
	struct pace p3 = { .pps_milli = 3000 };
	/* 1.5 Mpps: 666.67 ns apart; packet 3 at exactly 2000 ns, packet 1.5e6 at 1 s. */
	struct pace pm = { .pps_milli = 1500000000 };
	struct pace iv = { .interval_ns = 250 };
	struct pace max = { 0 };

	(void)state;
	assert_int_equal(pace_offset_ns(&p3, 0), 0);
	assert_int_equal(pace_offset_ns(&p3, 1), 333333333);
	assert_int_equal(pace_offset_ns(&p3, 2), 666666666);
	assert_int_equal(pace_offset_ns(&p3, 3), 1000000000);
	assert_int_equal(pace_offset_ns(&pm, 3), 2000);
	assert_int_equal(pace_offset_ns(&pm, 1500000), 1000000000);
	/* No drift at the largest session: 5e7 packets at 1.5 Mpps = 33.333... s, floored. */
	assert_int_equal(pace_offset_ns(&pm, 50000000), UINT64_C(33333333333));
	/* 0.5 pps: 2 s apart. */
	assert_int_equal(pace_offset_ns(&(struct pace){ .pps_milli = 500 }, 7),
			 UINT64_C(14000000000));
	assert_int_equal(pace_offset_ns(&iv, 4), 1000);
	assert_int_equal(pace_offset_ns(&max, 1000), 0);
}

struct due_case {
	const char *name;
	struct pace p;
	uint64_t elapsed, next;
	uint32_t batch;
	uint64_t remaining;
	uint32_t want;
};

static const struct due_case due_cases[] = {
	/* At 0 only packet 0 is due. */
	{ "start", { .pps_milli = 1000000000 }, 0, 0, 32, 100, 1 },
	/* 1 Mpps, 31 us: packets 0..31 due (offset 31000 <= 31000), 32 of them. */
	{ "batch due exactly", { .pps_milli = 1000000000 }, 31000, 0, 32, 100, 32 },
	/* 1 ns earlier packet 31 is not due yet. */
	{ "one short", { .pps_milli = 1000000000 }, 30999, 0, 32, 100, 31 },
	/* Far behind: capped by the batch ... */
	{ "capped by batch", { .pps_milli = 1000000000 }, 1000000, 0, 32, 100000, 32 },
	/* ... and by what is left to send. */
	{ "capped by remaining", { .pps_milli = 1000000000 }, 1000000, 0, 32, 5, 5 },
	/* Already sent ahead of the schedule: nothing due. */
	{ "ahead", { .pps_milli = 1000000000 }, 5000, 10, 32, 100, 0 },
	/* 1.5 Mpps: offsets 0, 666, 1333, 2000: at 1333 ns three are due, at 1332 two. */
	{ "floored offsets", { .pps_milli = 1500000000 }, 1333, 0, 32, 100, 3 },
	{ "floored offsets, 1 ns before", { .pps_milli = 1500000000 }, 1332, 0, 32, 100, 2 },
	/* Interval 10 us: at 25 us packets 0, 1, 2 are due; 1 sent already. */
	{ "interval", { .interval_ns = 10000 }, 25000, 1, 32, 100, 2 },
	/* max: always a full batch. */
	{ "max", { 0 }, 0, 123456, 64, 1000, 64 },
};

static void
test_due(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(due_cases); i++) {
		const struct due_case *c = &due_cases[i];
		uint32_t n = pace_due(&c->p, c->elapsed, c->next, c->batch, c->remaining);

		if (n != c->want)
			fail_msg("%s: %u due, want %u", c->name, n, c->want);
	}
}

/* pace_due() and pace_offset_ns() agree: packet k is due exactly from its offset on. */
static void
test_due_matches_offset(void **state)
{
	static const uint64_t rates[] = { 1, 3000, 999999, 1500000000, 7777777777, 100000000000 };

	(void)state;
	for (size_t r = 0; r < ARRAY_SIZE(rates); r++) {
		struct pace p = { .pps_milli = rates[r] };

		for (uint64_t k = 1; k < 2000; k += 7) {
			uint64_t off = pace_offset_ns(&p, k);

			/* At its offset k + 1 packets (0..k) are due, 1 ns earlier at most k. */
			if (pace_due(&p, off, 0, UINT32_MAX, UINT64_MAX) != k + 1)
				fail_msg("rate %llu k %llu: not due at its offset",
					 (unsigned long long)rates[r], (unsigned long long)k);
			if (off > 0 && pace_due(&p, off - 1, 0, UINT32_MAX, UINT64_MAX) > k)
				fail_msg("rate %llu k %llu: due before its offset",
					 (unsigned long long)rates[r], (unsigned long long)k);
		}
	}
}

static void
test_rate(void **state)
{
	(void)state;
	assert_true(pace_rate(0, 0) == 0);
	assert_true(pace_rate(10, 0) == 0);
	/* 1,000,000 packets in 2 s. */
	assert_true(pace_rate(1000000, 2000000000) == 500000.0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_rate),
		cmocka_unit_test(test_offset),
		cmocka_unit_test(test_due),
		cmocka_unit_test(test_due_matches_offset),
		cmocka_unit_test(test_rate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
