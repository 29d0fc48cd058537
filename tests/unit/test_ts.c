/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ts unit tests: NTP/PTP formats, the Error Estimate (RFC 4656 §4.1.2), the clock model
 * against a simulated drifting counter, the seqcount publication and the sync-state mapping.
 * Table rows are one RFC rule or edge case each. Expected values were worked out by hand (shown)
 * or with exact rational arithmetic in Python, never with the code under test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/timex.h>

#include "tw_ts.h"

#define NSEC TW_TS_NSEC_PER_SEC
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* 2036-02-07 06:28:16 UTC: NTP era 0 ends, 2^32 s after 1900 (RFC 5905 §6). */
#define ERA1_UNIX_S (4294967296ULL - TW_TS_NTP_UNIX_OFFSET)

/* splitmix64: a deterministic PRNG so a failure replays exactly. */
static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
absdiff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

/* NTP */

struct ntp_row {
	uint64_t unix_ns;
	uint64_t ntp;
	const char *why;
};

/* Both directions hold for these rows. */
static const struct ntp_row ntp_rows[] = {
	{ 0, 0x83AA7E8000000000ULL, "Unix epoch is 2208988800 s after 1900 (RFC 5905 §6)" },
	{ 500000000, 0x83AA7E8080000000ULL, "0.5 s is fraction 2^31" },
	{ 250000000, 0x83AA7E8040000000ULL, "0.25 s is fraction 2^30" },
	/* 1 ns = 4.294967296 units: nearest is 4 */
	{ 1, 0x83AA7E8000000004ULL, "1 ns rounds to 4 fraction units" },
	/* 999999999 ns = 2^32 - 4.294967296 = 4294967291.705 units: nearest is 0xFFFFFFFC */
	{ 999999999, 0x83AA7E80FFFFFFFCULL, "last ns of a second does not carry" },
	/* 2024-01-01T00:00:00.123456789Z: 1704067200 + 2208988800 = 3913056000 = 0xE93C7F00 */
	{ 1704067200123456789ULL, 0xE93C7F001F9ADD37ULL, "2024, sub-second rounding" },
	{ ERA1_UNIX_S * NSEC - 1, 0xFFFFFFFFFFFFFFFCULL, "last ns of era 0" },
	{ ERA1_UNIX_S * NSEC, 0x0000000000000000ULL, "2036-02-07T06:28:16Z wraps to era 1" },
	{ (ERA1_UNIX_S + 1) * NSEC, 0x0000000100000000ULL, "one second into era 1" },
	/* 2^31 - 1 s into era 1 is the last second read as era 1 (2104-02-26) */
	{ (ERA1_UNIX_S + 0x80000000ULL) * NSEC - 1, 0x7FFFFFFFFFFFFFFCULL,
	  "last ns read as era 1" },
};

static void
test_ntp_known(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(ntp_rows); i++) {
		const struct ntp_row *r = &ntp_rows[i];

		print_message("ntp row %zu: %s\n", i, r->why);
		assert_int_equal(tw_ts_ntp_from_unix_ns(r->unix_ns), r->ntp);
		assert_int_equal(tw_ts_ntp_to_unix_ns(r->ntp), r->unix_ns);
	}
}

/* NTP -> Unix only: rounding of fractions that no whole ns produces, and era choice. */
static const struct ntp_row ntp_to_unix_rows[] = {
	/* 2^22 units = 1e9 / 1024 = 976562.5 ns exactly: a tie, rounds up */
	{ 976563, 0x83AA7E8000400000ULL, "exact half ns rounds up" },
	/* 1 unit = 0.2328 ns */
	{ 0, 0x83AA7E8000000001ULL, "one fraction unit rounds down to 0 ns" },
	/* 3 units = 0.6985 ns */
	{ 1, 0x83AA7E8000000003ULL, "three fraction units round to 1 ns" },
	/* 2^32 - 1 units = 999999999.767 ns rounds to 1e9: carries into the seconds */
	{ ERA1_UNIX_S * NSEC, 0xFFFFFFFFFFFFFFFFULL, "fraction carry at the era boundary" },
	{ 1 * NSEC, 0x83AA7E80FFFFFFFFULL, "fraction carry into the second" },
	/* 0x80000000 s = 1968-01-20, before the Unix epoch */
	{ 0, 0x8000000000000000ULL, "era 0 before 1970 clamps to the Unix epoch" },
	{ 0, 0x83AA7E7FFFFFFFFFULL, "last fraction before 1970 clamps to the epoch" },
	/* 0x7FFFFFFF s: era 1 (2104), not 1968 */
	{ (ERA1_UNIX_S + 0x7FFFFFFFULL) * NSEC, 0x7FFFFFFF00000000ULL, "below 2^31 s is era 1" },
};

static void
test_ntp_to_unix(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(ntp_to_unix_rows); i++) {
		const struct ntp_row *r = &ntp_to_unix_rows[i];

		print_message("ntp->unix row %zu: %s\n", i, r->why);
		assert_int_equal(tw_ts_ntp_to_unix_ns(r->ntp), r->unix_ns);
	}
}

static void
test_ntp_round_trip(void **state)
{
	uint64_t seed = 1;
	/* Everything the era rule maps back: 1970 up to the end of the era 1 half (2104). */
	uint64_t span = (ERA1_UNIX_S + 0x80000000ULL) * NSEC;

	(void)state;
	/* Every ns offset in the first and last 100000 ns of a second, and around 0.5 s. */
	for (uint64_t ns = 0; ns < 100000; ns++) {
		uint64_t t[3] = { 1700000000 * NSEC + ns, 1700000001 * NSEC - 1 - ns,
				  1700000000 * NSEC + 450000000 + ns };

		for (int k = 0; k < 3; k++)
			assert_int_equal(tw_ts_ntp_to_unix_ns(tw_ts_ntp_from_unix_ns(t[k])), t[k]);
	}
	for (int i = 0; i < 1000000; i++) {
		uint64_t ns = rnd(&seed) % span;
		uint64_t ntp = tw_ts_ntp_from_unix_ns(ns);
		/* ns -> NTP -> ns is exact: one fraction unit (0.23 ns) is under half a ns. */
		assert_int_equal(tw_ts_ntp_to_unix_ns(ntp), ns);

		/*
		 * NTP -> ns -> NTP loses the sub-ns part: at most 0.5 ns (2.15 units) plus the
		 * final rounding (0.5 unit), so within 2 units, and the ns is a fixed point.
		 */
		uint64_t n2 = rnd(&seed);
		uint64_t sec = n2 >> 32;

		if (sec >= 0x80000000ULL && sec < TW_TS_NTP_UNIX_OFFSET)
			continue; /* before 1970: clamped, covered by the table */
		uint64_t back = tw_ts_ntp_from_unix_ns(tw_ts_ntp_to_unix_ns(n2));
		/* a fraction that rounds up to the next second compares across the carry */
		assert_true((uint64_t)(back - n2) <= 2 || (uint64_t)(n2 - back) <= 2);
		assert_int_equal(tw_ts_ntp_to_unix_ns(back), tw_ts_ntp_to_unix_ns(n2));
	}
}

/* PTP */

struct ptp_row {
	uint64_t unix_ns;
	uint64_t ptp;
	bool inverse;	/* ptp -> unix_ns holds too */
	const char *why;
};

static const struct ptp_row ptp_rows[] = {
	{ 0, 0, true, "epoch" },
	/* 0x1DCD6500 = 500000000 */
	{ 1500000000, 0x000000011DCD6500ULL, true, "1.5 s: seconds and ns, no fraction scaling" },
	/* 0x3B9AC9FF = 999999999 */
	{ 1999999999, 0x000000013B9AC9FFULL, true, "last ns of a second stays in the ns field" },
	{ 1704067200123456789ULL, 0x65920080075BCD15ULL, true, "2024: 0x65920080 s, 123456789 ns" },
	/* RFC 8186 §2.3 truncated format: only the low 32 bits of the seconds */
	{ (0x100000000ULL + 5) * NSEC + 7, 0x0000000500000007ULL, false,
	  "seconds truncate to 32 bits" },
};

static void
test_ptp(void **state)
{
	uint64_t seed = 2;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(ptp_rows); i++) {
		const struct ptp_row *r = &ptp_rows[i];

		print_message("ptp row %zu: %s\n", i, r->why);
		assert_int_equal(tw_ts_ptp_from_unix_ns(r->unix_ns), r->ptp);
		if (r->inverse)
			assert_int_equal(tw_ts_ptp_to_unix_ns(r->ptp), r->unix_ns);
	}
	for (int i = 0; i < 100000; i++) {
		uint64_t ns = rnd(&seed) % (0x100000000ULL * NSEC);

		assert_int_equal(tw_ts_ptp_to_unix_ns(tw_ts_ptp_from_unix_ns(ns)), ns);
	}
}

/*
 * RFC 5905 §6: NTP arithmetic is modulo 2^64 across eras, so a receiver subtracting two stamps
 * that straddle 2036-02-07T06:28:16Z gets the true interval although the seconds wrap to 0.
 */
static void
test_ntp_era_difference(void **state)
{
	/* offsets from the era boundary, ns: before, after */
	static const int64_t pairs[][2] = {
		{ -1, 0 }, { -1, 1 }, { -500000000, 500000000 }, { -3 * (int64_t)NSEC, 7 },
		{ -86400 * (int64_t)NSEC, 86400 * (int64_t)NSEC },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(pairs); i++) {
		uint64_t t1 = ERA1_UNIX_S * NSEC + (uint64_t)pairs[i][0];
		uint64_t t2 = ERA1_UNIX_S * NSEC + (uint64_t)pairs[i][1];
		uint64_t n1 = tw_ts_ntp_from_unix_ns(t1);
		uint64_t n2 = tw_ts_ntp_from_unix_ns(t2);
		/* the wire difference in 2^-32 s units, back to ns (rounded by the conversions) */
		unsigned __int128 d = (unsigned __int128)(n2 - n1) * NSEC;
		uint64_t dns = (uint64_t)((d + (1ULL << 31)) >> 32);

		assert_true(n2 < n1);	/* the wire value wrapped */
		assert_true(absdiff(dns, t2 - t1) <= 1);
		/* and each decodes to its own era */
		assert_int_equal(tw_ts_ntp_to_unix_ns(n1), t1);
		assert_int_equal(tw_ts_ntp_to_unix_ns(n2), t2);
	}
}

/*
 * PTPv2 counts TAI from 1970-01-01 00:00:00 TAI (IEEE 1588 timescale; RFC 8186 §2.3 uses its
 * truncated form): PTP seconds = Unix seconds + (TAI - UTC). Rows in UTC Unix ns.
 */
struct tai_row {
	uint64_t utc_ns;
	int32_t tai_s;
	uint64_t ptp;
	const char *why;
};

static const struct tai_row tai_rows[] = {
	/* 1704067200 = 0x65920080; + 37 = 0x659200A5; 123456789 = 0x075BCD15 */
	{ 1704067200123456789ULL, 37, 0x659200A5075BCD15ULL, "2024-01-01Z: TAI is 37 s ahead" },
	{ 1704067200123456789ULL, 0, 0x65920080075BCD15ULL, "offset 0: the UTC count as is" },
	/* 2017-01-01Z = 1483228800: the leap second at the end of 2016 made it 37 */
	{ 1483228800ULL * NSEC, 37, ((1483228800ULL + 37) << 32), "2017-01-01Z, 37 s" },
	{ 1483228799ULL * NSEC + 999999999, 36, ((1483228799ULL + 36) << 32) | 999999999,
	  "the last ns of 2016, 36 s: TAI ran 2 s over the leap second UTC counted as 1 ns" },
	/* 2^32 s - 37 s of UTC: TAI reaches 2^32 s, the truncated seconds wrap (2106-02-07) */
	{ (0x100000000ULL - 37) * NSEC, 37, 0, "truncated PTP seconds wrap in 2106" },
};

static void
test_ptp_tai(void **state)
{
	uint64_t seed = 7;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(tai_rows); i++) {
		const struct tai_row *r = &tai_rows[i];
		uint64_t tai = r->utc_ns + (uint64_t)r->tai_s * NSEC;

		print_message("tai row %zu: %s\n", i, r->why);
		assert_int_equal(tw_ts_ptp_from_unix_ns(tai), r->ptp);
		/* and back to UTC through the same offset */
		if (r->ptp >> 32 != 0)
			assert_int_equal(
				tw_ts_utc_from_tai_ns(tw_ts_ptp_to_unix_ns(r->ptp), r->tai_s),
				r->utc_ns);
	}
	/* the same instant in both formats decodes to the same ns (both are exact to 1 ns) */
	for (int i = 0; i < 100000; i++) {
		uint64_t ns = 1700000000 * NSEC + rnd(&seed) % (100000000 * NSEC);
		uint64_t from_ptp = tw_ts_utc_from_tai_ns(
			tw_ts_ptp_to_unix_ns(tw_ts_ptp_from_unix_ns(ns + 37 * NSEC)), 37);

		assert_int_equal(from_ptp, tw_ts_ntp_to_unix_ns(tw_ts_ntp_from_unix_ns(ns)));
		assert_int_equal(from_ptp, ns);
	}
}

static void
test_utc_from_tai(void **state)
{
	(void)state;
	assert_int_equal(tw_ts_utc_from_tai_ns(1700000037 * NSEC + 5, 37), 1700000000 * NSEC + 5);
	assert_int_equal(tw_ts_utc_from_tai_ns(1700000000 * NSEC, 0), 1700000000 * NSEC);
	/* a PHC that was never set reads near 0: clamps, never wraps to 2554 */
	assert_int_equal(tw_ts_utc_from_tai_ns(5 * NSEC, 37), 0);
	assert_int_equal(tw_ts_utc_from_tai_ns(37 * NSEC, 37), 0);
	assert_int_equal(tw_ts_utc_from_tai_ns(37 * NSEC + 1, 37), 1);
	/* a negative offset (never set by a kernel) adds, saturating */
	assert_int_equal(tw_ts_utc_from_tai_ns(NSEC, -1), 2 * NSEC);
	assert_int_equal(tw_ts_utc_from_tai_ns(UINT64_MAX - 1, -1), UINT64_MAX);
}

static void
test_put_get64(void **state)
{
	static const uint8_t golden[8] = { 0x83, 0xAA, 0x7E, 0x80, 0x01, 0x02, 0x03, 0x04 };
	uint8_t buf[11];

	(void)state;
	memset(buf, 0xEE, sizeof(buf));
	/* unaligned on purpose; network byte order, most significant first */
	tw_ts_put64(buf + 1, 0x83AA7E8001020304ULL);
	assert_memory_equal(buf + 1, golden, 8);
	assert_int_equal(buf[0], 0xEE);
	assert_int_equal(buf[9], 0xEE);
	assert_int_equal(tw_ts_get64(buf + 1), 0x83AA7E8001020304ULL);
	assert_int_equal(tw_ts_get64(golden), 0x83AA7E8001020304ULL);
}

/* Error Estimate, RFC 4656 §4.1.2: S(1) Z(1) Scale(6) Multiplier(8), Mult * 2^(Scale-32) s */

struct ee_row {
	bool synced;
	bool ptp;
	uint64_t err_ns;
	uint16_t ee;
	uint64_t decoded_ns;
	const char *why;
};

/*
 * Worked by hand for 1000 ns: at Scale 0 the Multiplier is ceil(1000 * 2^32 / 1e9) =
 * ceil(4294.967) = 4295; halving with round-up gives 2148, 1074, 537, 269, 135 at Scale 5
 * (check: ceil(1000 * 2^32 / (1e9 * 2^5)) = ceil(134.22) = 135). 135 * 2^5 * 1e9 / 2^32 =
 * 1005.83 ns, stated as 1006. Scale 4 would need 269 > 255. So 0x05 << 8 | 0x87 = 0x0587.
 * For 1 s: 1e9 * 2^32 / 1e9 = 2^32 exactly; 2^32 / 2^25 = 128 fits, 2^32 / 2^24 = 256 does
 * not, so Scale 25, Multiplier 128: 0x1980, exactly 1 s.
 */
static const struct ee_row ee_rows[] = {
	{ false, false, 0, 0x0001, 1, "Multiplier MUST NOT be zero: 0 ns becomes 1 unit" },
	/* ceil(4.29) = 5 units = 1.164 ns */
	{ false, false, 1, 0x0005, 2, "1 ns rounds up to 5 units at Scale 0" },
	/* ceil(59 * 4.295) = ceil(253.4) = 254 still fits at Scale 0 */
	{ false, false, 59, 0x00FE, 60, "largest Scale 0 Multiplier used" },
	/* ceil(257.7) = 258 > 255: Scale 1, ceil(258 / 2) = 129 */
	{ false, false, 60, 0x0181, 61, "first value needing Scale 1" },
	{ false, false, 999, 0x0587, 1006, "999 ns shares 1000 ns' code point" },
	{ false, false, 1000, 0x0587, 1006, "1 us, the hand-computed row" },
	{ true, false, 1000, 0x8587, 1006, "S bit: synchronised" },
	{ false, true, 1000, 0x4587, 1006, "Z bit: PTP timestamps (RFC 8186)" },
	{ true, true, 1000, 0xC587, 1006, "S and Z together" },
	{ false, false, 1000000000, 0x1980, 1000000000, "1 s is exact, hand-computed" },
	{ false, false, 16000000000ULL, 0x1D80, 16000000000ULL, "16 s (kernel max error)" },
	/* (2^64 - 1) * 2^32 / 1e9 / 2^59 = 137.4 -> 138 at Scale 59; states more than 2^64 ns */
	{ false, false, UINT64_MAX, 0x3B8A, UINT64_MAX, "largest input: Scale 59, saturated" },
};

static void
test_errest_encode(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(ee_rows); i++) {
		const struct ee_row *r = &ee_rows[i];
		uint16_t ee = tw_ts_errest_encode(r->synced, r->ptp, r->err_ns);

		print_message("errest row %zu: %s\n", i, r->why);
		assert_int_equal(ee, r->ee);
		assert_int_equal(tw_ts_errest_ns(ee), r->decoded_ns);
		assert_int_equal(tw_ts_errest_synced(ee), r->synced);
	}
}

struct ee_dec_row {
	uint16_t ee;
	uint64_t ns;
	const char *why;
};

static const struct ee_dec_row ee_dec_rows[] = {
	{ 0x0001, 1, "smallest step 0.23 ns rounds up to 1 ns" },
	{ 0x8001, 1, "S bit does not change the value" },
	{ 0x4001, 1, "Z bit does not change the value" },
	/* 1 * 2^32 * 1e9 / 2^32 = 1e9 */
	{ 0x2001, 1000000000, "Scale 32, Multiplier 1 is 1 s" },
	/* 255 * 2^31 s = 5.5e20 ns > 2^64 */
	{ 0x3FFF, UINT64_MAX, "largest code point saturates" },
	{ 0xFFFF, UINT64_MAX, "largest code point with S and Z saturates" },
	{ 0x0000, UINT64_MAX, "Multiplier 0 (MUST NOT) states no bound: unknown" },
	{ 0x3F00, UINT64_MAX, "Multiplier 0 at any Scale: unknown" },
};

static void
test_errest_decode(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(ee_dec_rows); i++) {
		print_message("errest decode row %zu: %s\n", i, ee_dec_rows[i].why);
		assert_int_equal(tw_ts_errest_ns(ee_dec_rows[i].ee), ee_dec_rows[i].ns);
	}
}

static void
test_errest_properties(void **state)
{
	uint64_t seed = 3;

	(void)state;
	for (int i = 0; i < 300000; i++) {
		/* log-uniform: every Scale gets exercised */
		uint64_t err = rnd(&seed) >> (rnd(&seed) % 64);
		uint16_t ee = tw_ts_errest_encode(i & 1, i & 2, err);
		unsigned int mult = ee & 0xff;
		unsigned int scale = (ee >> 8) & 0x3f;
		/* exact statement in units of 2^-32 ns * 1e9: mult * 2^scale * 1e9 vs err * 2^32 */
		unsigned __int128 stated = ((unsigned __int128)mult * NSEC) << scale;
		unsigned __int128 below = ((unsigned __int128)(mult - 1) * NSEC) << scale;
		unsigned __int128 want = (unsigned __int128)err << 32;

		assert_int_not_equal(mult, 0);
		assert_int_equal((ee & TW_TS_ERREST_S) != 0, (i & 1) != 0);
		assert_int_equal((ee & TW_TS_ERREST_Z) != 0, (i & 2) != 0);
		/* never states less than the real error */
		assert_true(stated >= want);
		assert_true(tw_ts_errest_ns(ee) >= err);
		/* rounded up by less than one step: one Multiplier less would understate */
		assert_true(mult == 1 || below < want);
		/* smallest Scale: at Scale - 1 the Multiplier would have been >= 256 */
		assert_true(scale == 0 || mult >= 128);
	}
}

/* Clock model */

static void
test_model_init(void **state)
{
	struct tw_ts_model m;

	(void)state;
	assert_int_equal(tw_ts_model_init(&m, 0, 1, 1), -EINVAL);
	assert_int_equal(tw_ts_model_init(NULL, 1000, 1, 1), -EINVAL);

	assert_int_equal(tw_ts_model_init(&m, 2000000000, 12345, 1700000000 * NSEC), 0);
	assert_int_equal(m.hz, 2000000000);
	assert_int_equal(m.step_ns, 100000000);
	assert_int_equal(m.max_slew_ppb, 500000);
	assert_int_equal(m.steps, 0);
	assert_int_equal(m.samples, 1);
	/* 0.5 ns per count in 32.32 */
	assert_int_equal(m.cur.mult, 0x80000000ULL);
	assert_int_equal(tw_ts_model_ns(&m, 12345), 1700000000 * NSEC);
	assert_int_equal(tw_ts_model_ns(&m, 12345 + 2000000000), 1700000001 * NSEC);
	/* says nothing until the caller knows: S clear, unknown (16 s) */
	assert_false(tw_ts_errest_synced(m.cur.errest));
	assert_int_equal(tw_ts_errest_ns(m.cur.errest), TW_TS_ERR_UNKNOWN_NS);

	/* 3 GHz: 1/3 ns per count, rounded to nearest: 2^32 / 3 = 1431655765.33 */
	assert_int_equal(tw_ts_model_init(&m, 3000000000ULL, 0, 0), 0);
	assert_int_equal(m.cur.mult, 1431655765ULL);
}

struct params_row {
	struct tw_ts_params p;
	uint64_t cnt;
	uint64_t ns;
	const char *why;
};

static const struct params_row params_rows[] = {
	{ { 100, 5000, 1ULL << 32, 0, { 0 } }, 100, 5000, "at base" },
	{ { 100, 5000, 1ULL << 32, 0, { 0 } }, 1100, 6000, "1 ns per count" },
	{ { 100, 5000, 3ULL << 30, 0, { 0 } }, 103, 5002, "0.75 ns per count truncates (2.25)" },
	/* 2^40 counts * 2^33 (2 ns per count) = 2^73 before the shift: needs the 128-bit product */
	{ { 0, 0, 2ULL << 32, 0, { 0 } }, 1ULL << 40, 1ULL << 41, "product beyond 64 bits" },
	{ { UINT64_MAX - 9, 7000, 1ULL << 32, 0, { 0 } }, 10, 7020, "counter wraps past 2^64" },
	{ { 1000, 7000, 1ULL << 32, 0, { 0 } }, 990, 6990, "counter just behind base: backwards" },
	{ { 1000, 5, 1ULL << 32, 0, { 0 } }, 990, 0, "backwards past the epoch clamps to 0" },
};

static void
test_params_ns(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(params_rows); i++) {
		print_message("params row %zu: %s\n", i, params_rows[i].why);
		assert_int_equal(tw_ts_params_ns(&params_rows[i].p, params_rows[i].cnt),
			params_rows[i].ns);
	}
}

/*
 * Deterministic single updates from a fresh model at 1 GHz nominal (1 ns per count) started at
 * (cnt 0, T0). The sample comes 1e9 counts later.
 */
#define T0 (1700000000 * NSEC)

struct update_row {
	uint64_t sample_ns;	/* wall at cnt 1e9, minus T0 */
	uint64_t slew_cnt;
	uint64_t steps;
	int64_t offset_ns;
	int64_t drift_ppb;
	uint64_t ns_at_2e9;	/* model at cnt 2e9 after the update, minus T0 */
	const char *why;
};

static const struct update_row update_rows[] = {
	/*
	 * Counter slow by 1 ppm: measured 1.000001 ns per count, offset 1000 ns; closing it over
	 * 1e9 counts adds 1 ppm: model at 2e9 = 1e9 + 1e9 * 1.000002 = 2000002000 = the true wall.
	 * Drift: 1e9 counts in 1.000001 s is 999999000.001 Hz, -999.999 ppb, rounds to -1000.
	 */
	{ 1000001000, 1000000000, 0, 1000, -1000, 2000002000, "offset closes over slew_cnt" },
	/* Same over 2e9 counts: half the offset is closed at the next sample */
	{ 1000001000, 2000000000, 0, 1000, -1000, 2000001500, "slower slew, half closed" },
	{ 999999000, 1000000000, 0, -1000, 1000, 1999998000, "negative offset" },
	/*
	 * Offset 50 ms: closing it in 1 s needs 5%, limited to 500 ppm of the measured rate
	 * 1.05 ns per count: at 2e9 the model is 1e9 + 1e9 * 1.05 * 1.0005 = 2050525000.
	 */
	{ 1050000000, 1000000000, 0, 50000000, -47619048, 2050525000, "slew limited to 500 ppm" },
	/* |offset| == step_ns is not beyond it: no step */
	{ 1100000000, 1000000000, 0, 100000000, -90909091, 2100550000, "offset == step_ns slews" },
	/* 1 ns beyond: step to the sample, rate is the previous (nominal) one */
	{ 1100000001, 1000000000, 1, 100000001, 0, 2100000001, "offset > step_ns steps" },
	{ 0, 1000000000, 1, -1000000000, 0, 1000000000, "wall stepped back 1 s: step" },
	/* Sample on the nominal line: nothing to correct */
	{ 1000000000, 1000000000, 0, 0, 0, 2000000000, "no drift, no offset: unchanged" },
};

static void
test_model_update_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(update_rows); i++) {
		const struct update_row *r = &update_rows[i];
		struct tw_ts_model m;
		uint64_t before;

		print_message("update row %zu: %s\n", i, r->why);
		assert_int_equal(tw_ts_model_init(&m, NSEC, 0, T0), 0);
		m.cur.errest = 0x8587;
		before = tw_ts_model_ns(&m, NSEC);
		tw_ts_model_update(&m, NSEC, T0 + r->sample_ns, r->slew_cnt);
		assert_int_equal(m.steps, r->steps);
		assert_int_equal(m.samples, 2);
		assert_int_equal(m.offset_ns, r->offset_ns);
		assert_int_equal(m.drift_ppb, r->drift_ppb);
		/* the caller's Error Estimate survives an update */
		assert_int_equal(m.cur.errest, 0x8587);
		if (r->steps == 0)
			assert_int_equal(tw_ts_model_ns(&m, NSEC), before);
		else
			assert_int_equal(tw_ts_model_ns(&m, NSEC), T0 + r->sample_ns);
		/* 32.32 rates are rounded, so allow 1 ns over 1e9 counts */
		assert_true(absdiff(tw_ts_model_ns(&m, 2 * NSEC), T0 + r->ns_at_2e9) <= 1);
	}
}

/* A step keeps the rate measured before it: a rate across a step is meaningless. */
static void
test_model_step_keeps_rate(void **state)
{
	struct tw_ts_model m;

	(void)state;
	assert_int_equal(tw_ts_model_init(&m, NSEC, 0, T0), 0);
	/* counter fast by 100 ppm: 1e9 counts in 999900010 ns (drift 99999 ppb) */
	tw_ts_model_update(&m, NSEC, T0 + 999900010, NSEC);
	assert_int_equal(m.steps, 0);
	assert_in_range(m.drift_ppb, 99990, 100000);
	/* wall stepped by +1 s */
	tw_ts_model_update(&m, 2 * NSEC, T0 + 2999800020ULL, NSEC);
	assert_int_equal(m.steps, 1);
	assert_int_equal(tw_ts_model_ns(&m, 2 * NSEC), T0 + 2999800020ULL);
	/* runs on at the measured rate, not nominal and not the 2x seen across the step */
	assert_true(absdiff(tw_ts_model_ns(&m, 3 * NSEC), T0 + 3999700030ULL) <= 2);
	assert_in_range(m.drift_ppb, 99990, 100000);
	/* and the next sample on the new timeline slews, it does not step again */
	tw_ts_model_update(&m, 3 * NSEC, T0 + 3999700030ULL, NSEC);
	assert_int_equal(m.steps, 1);
	assert_true(m.offset_ns >= -2 && m.offset_ns <= 2);
}

/*
 * Simulation: a counter at hz * (1 + drift) against true time, wall samples every second with
 * uniform jitter, optionally one wall-clock step. Checks the model against the wall (true time
 * plus the step) between and at samples, continuity and monotonicity across every update.
 */
struct sim_row {
	uint64_t hz;
	int64_t drift_ppb;	/* true counter rate vs nominal */
	uint64_t jitter_ns;	/* samples are wall +- jitter */
	uint64_t slew_intervals;
	int updates;
	int step_at;		/* update index where the wall steps, 0 = never */
	int64_t step_ns;
	int settle;		/* updates to converge, from the start and after the step */
	uint64_t bound_ns;	/* |model - wall| after convergence */
	const char *why;
};

static const struct sim_row sim_rows[] = {
	{ 2000000000, 37000, 2000, 1, 400, 0, 0, 2, 20000, "+37 ppm, +-2 us jitter" },
	{ 2000000000, 37000, 2000, 1, 400, 200, 1000000000, 2, 20000, "+37 ppm, wall +1 s step" },
	{ 3000000000, -37000, 2000, 1, 400, 150, -1000000000, 2, 20000, "-37 ppm, wall -1 s step" },
	/* half the offset closes per update: 250 us at the first sample needs 5 more to settle */
	{ 2500000000, 250000, 2000, 2, 400, 0, 0, 6, 20000, "+250 ppm, slew over 2 intervals" },
	{ 1000000000, -100000, 2000, 1, 300, 100, 200000000, 2, 20000, "-100 ppm, 200 ms step" },
	/* 0.5 ns per count exactly: nothing to correct, so the model is exact */
	{ 2000000000, 0, 0, 1, 300, 0, 0, 0, 1, "no drift, no jitter: exact" },
	{ 2000000000, 37000, 0, 1, 300, 0, 0, 2, 2, "drift without jitter: within rounding" },
};

static uint64_t
sim_cnt(const struct sim_row *r, uint64_t t)
{
	/* floor(t * hz * (1e9 + drift) / 1e18) counts after an arbitrary non-zero start */
	return 0x123456789ULL + (uint64_t)((unsigned __int128)t * r->hz *
		(uint64_t)((int64_t)NSEC + r->drift_ppb) / ((unsigned __int128)NSEC * NSEC));
}

static void
run_sim(const struct sim_row *r)
{
	const uint64_t wall0 = 1700000000 * NSEC;
	const int sub = 10;	/* model checks per interval */
	uint64_t seed = 4;
	struct tw_ts_model m;
	uint64_t last = 0;	/* last model value seen */
	uint64_t worst = 0;
	int64_t step = 0;

	assert_int_equal(tw_ts_model_init(&m, r->hz, sim_cnt(r, 0), wall0), 0);
	for (int k = 1; k <= r->updates; k++) {
		bool converged = k > r->settle &&
			(r->step_at == 0 || k <= r->step_at || k > r->step_at + r->settle);
		uint64_t t = (uint64_t)k * NSEC;
		uint64_t c = sim_cnt(r, t);
		int64_t jitter = (int64_t)(rnd(&seed) % (2 * r->jitter_ns + 1)) -
			(int64_t)r->jitter_ns;
		uint64_t before;

		/* between the previous sample and this one */
		for (int j = 1; j <= sub; j++) {
			uint64_t tj = t - NSEC + (uint64_t)j * NSEC / sub;
			uint64_t v = tw_ts_model_ns(&m, sim_cnt(r, tj));
			uint64_t err = absdiff(v, wall0 + tj + (uint64_t)step);

			assert_true(v >= last);
			last = v;
			if (converged) {
				if (err > worst)
					worst = err;
				if (err >= r->bound_ns)
					print_message("update %d sub %d: error %" PRIu64 " ns\n", k,
						j, err);
				assert_true(err < r->bound_ns);
			}
		}

		if (k == r->step_at)
			step = r->step_ns;
		before = tw_ts_model_ns(&m, c);
		tw_ts_model_update(&m, c, wall0 + t + (uint64_t)step + (uint64_t)jitter,
			r->slew_intervals * r->hz);
		if (k == r->step_at) {
			assert_int_equal(m.steps, 1);
			last = tw_ts_model_ns(&m, c);
			continue;
		}
		/* continuous at the sample: no jump seen by the data path */
		assert_int_equal(tw_ts_model_ns(&m, c), before);
		assert_true(tw_ts_model_ns(&m, c + 1) >= before);
		assert_int_equal(m.steps, k < r->step_at || r->step_at == 0 ? 0 : 1);
	}

	assert_int_equal(m.samples, (uint64_t)r->updates + 1);
	assert_int_equal(m.steps, r->step_at != 0 ? 1 : 0);
	/* measured drift within what the jitter allows: 2 * jitter per 1 s interval, in ppb */
	assert_true(absdiff((uint64_t)m.drift_ppb, (uint64_t)r->drift_ppb) <= 2 * r->jitter_ns + 2);
	print_message("worst |model - wall| %" PRIu64 " ns, drift %" PRId64 " ppb\n", worst,
		m.drift_ppb);
}

static void
test_model_sim(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(sim_rows); i++) {
		print_message("sim row %zu: %s\n", i, sim_rows[i].why);
		run_sim(&sim_rows[i]);
	}
}

/*
 * Hours of simulated time with a counter whose rate changes: a triangle wave between -A and +A
 * ppm (temperature cycling, far faster than real crystals do), a bounded random walk, and
 * optionally a sudden step (a VM moved to another host). The truth is integrated in 10 ms
 * slices; the wall clock is read every interval T with uniform noise +-J and, in some rows,
 * rare outliers of up to +-O on top. The model is checked at every slice.
 *
 * Why the bound holds: update k closes the offset to the noisy sample over the next interval
 * at the rate measured between samples k-1 and k. With read noise n and true time t, the model
 * at sample k+1 is off by
 *	E(k+1) = 2 n(k) - n(k-1) + T * (d(k-1..k) - d(k..k+1))
 * where d(a..b) is the counter's mean fractional rate error over an interval. Between samples
 * the error moves linearly from E(k) to E(k+1). So |error| <= 3 N + T * |change of mean drift
 * between intervals| + rounding, N = J + O the largest read error. A triangle of amplitude A
 * and period P changes at 4A/P; over one interval the mean changes by at most T * 4A/P, giving
 * T^2 * 4A/P. A random walk of at most W per interval adds T * W. A drift step D adds T * D for
 * the two intervals after it, then the rate measured over a clean interval is right again.
 *
 * The Error Estimate states |offset| + 1.5 * read (read = 2 N, the bracket): this is checked too,
 * with the drift term (which no single offset can foresee) as the only allowance.
 */
struct drift_row {
	uint64_t hz;
	uint64_t interval_ms;	/* T */
	uint64_t hours;
	int64_t base_ppb;
	int64_t tri_ppb;	/* A */
	uint64_t tri_period_s;	/* P */
	int64_t walk_ppb;	/* W: per-interval random walk step, walk kept within +-20 ppm */
	uint64_t step_at_s;	/* when the drift steps by step_ppb (0: never) */
	int64_t step_ppb;	/* D */
	uint64_t jitter_ns;	/* J */
	uint64_t outlier_ns;	/* O: one read in 64 is off by up to this much more */
	uint64_t bound_ns;	/* |model - true| once converged, outside a step's window */
	uint64_t step_bound_ns;	/* ... and inside it */
	const char *why;
};

/* Worked bounds: 3 N + T^2 * 4A/P + T * W + 10 ns of rounding (shown per row). */
static const struct drift_row drift_rows[] = {
	/* 3 * 2000 + 1 * 400 ppm / 3600 s (111 ns) + 10 = 6121 */
	{ 2000000000, 1000, 6, 0, 100000, 3600, 0, 0, 0, 2000, 0, 6121, 0,
	  "+-100 ppm triangle, 1 h period, +-2 us reads, 1 s resync, 6 h" },
	/* 3 * 25 + 111 + 1 * 50 ppb + 10 = 246: CLOCK_REALTIME through the vDSO */
	{ 2600000000ULL, 1000, 6, 30000, 70000, 3600, 50, 0, 0, 25, 0, 246, 0,
	  "+30 +-70 ppm triangle, 50 ppb walk, +-25 ns reads (vDSO), 6 h" },
	/* 3 * 1000 + 0.01 * 111 ns + 0.1 * 20 + 10 = 3013: a PHC read over PCIe */
	{ 3000000000ULL, 100, 2, -20000, 80000, 3600, 20, 0, 0, 1000, 0, 3013, 0,
	  "PHC-like: +-1 us reads, 100 ms resync, -20 +-80 ppm, 2 h" },
	/* 3 * (2000 + 20000) + 111 + 10 = 66121 */
	{ 2000000000, 1000, 6, 0, 100000, 3600, 0, 0, 0, 2000, 20000, 66121, 0,
	  "+-2 us reads with 1-in-64 outliers of 20 us more (preempted reads)" },
	/* 3 * 2000 + 100 * 111 + 10 = 17121: why resync stays short */
	{ 2000000000, 10000, 6, 0, 100000, 3600, 0, 0, 0, 2000, 0, 17121, 0,
	  "10 s resync: the drift term grows with T^2" },
	/* 6121 outside; inside 3 * 2000 + 1 * 50 ppm (50 us) + 111 + 10 = 56121 */
	{ 2000000000, 1000, 6, 0, 100000, 3600, 0, 10800, 50000, 2000, 0, 6121, 56121,
	  "+50 ppm drift step at 3 h (VM migration)" },
};

enum { SIM_SLICE_NS = 10000000 };	/* 10 ms */

struct drift_sim {
	const struct drift_row *r;
	uint64_t t;			/* true ns since start */
	unsigned __int128 acc;		/* counts * 1e18 */
	int64_t walk;
	uint64_t seed;
};

static int64_t
sim_drift(const struct drift_sim *s)
{
	const struct drift_row *r = s->r;
	int64_t d = r->base_ppb + s->walk;

	if (r->tri_ppb != 0) {
		uint64_t p = r->tri_period_s * NSEC;
		uint64_t x = s->t % p;
		/* -A at 0, +A at P/2, -A at P: integer ppb, exact */
		int64_t up = (int64_t)((unsigned __int128)x * (uint64_t)(4 * r->tri_ppb) / p);

		d += x < p / 2 ? -r->tri_ppb + up : 3 * r->tri_ppb - up;
	}
	if (r->step_at_s != 0 && s->t >= r->step_at_s * NSEC)
		d += r->step_ppb;
	return d;
}

static uint64_t
sim_count(const struct drift_sim *s)
{
	return 0x123456789ULL + (uint64_t)(s->acc / ((unsigned __int128)NSEC * NSEC));
}

static void
sim_advance(struct drift_sim *s)
{
	int64_t d = sim_drift(s);

	s->acc += (unsigned __int128)s->r->hz * (uint64_t)((int64_t)NSEC + d) * SIM_SLICE_NS;
	s->t += SIM_SLICE_NS;
}

static int64_t
sim_noise(struct drift_sim *s)
{
	const struct drift_row *r = s->r;
	int64_t n = (int64_t)(rnd(&s->seed) % (2 * r->jitter_ns + 1)) - (int64_t)r->jitter_ns;

	if (r->outlier_ns != 0 && rnd(&s->seed) % 64 == 0)
		n += (int64_t)(rnd(&s->seed) % (2 * r->outlier_ns + 1)) - (int64_t)r->outlier_ns;
	return n;
}

static void
run_drift_sim(const struct drift_row *r)
{
	const uint64_t wall0 = 1700000000 * NSEC;
	const uint64_t interval = r->interval_ms * 1000000;
	const uint64_t slices = interval / SIM_SLICE_NS;
	const uint64_t end = r->hours * 3600 * NSEC;
	/* what the Error Estimate adds for the model: 1.5 * the bracket 2 N */
	const uint64_t read_term = 3 * (r->jitter_ns + r->outlier_ns);
	/* the drift allowance of the bound: everything but the read noise */
	const uint64_t drift_term = r->bound_ns - read_term;
	struct drift_sim s = { .r = r, .seed = 6 };
	struct tw_ts_model m;
	uint64_t last = 0, worst = 0, worst_step = 0, stated = UINT64_MAX;
	int64_t short_by = INT64_MIN;	/* largest error - statement, without the allowance */
	uint64_t k = 0;
	int64_t walk_lim = 20000;

	assert_int_equal(tw_ts_model_init(&m, r->hz, sim_count(&s), wall0), 0);
	while (s.t < end) {
		for (uint64_t j = 0; j < slices; j++) {
			uint64_t v, err;
			bool in_step;

			sim_advance(&s);
			v = tw_ts_model_ns(&m, sim_count(&s));
			err = absdiff(v, wall0 + s.t);
			/* never backwards, at any slice */
			assert_true(v >= last);
			last = v;
			if (k < 3)
				continue;	/* converging from the nominal rate */
			in_step = r->step_at_s != 0 && s.t > r->step_at_s * NSEC &&
				  s.t <= r->step_at_s * NSEC + 3 * interval;
			if (in_step) {
				if (err > worst_step)
					worst_step = err;
				assert_true(err < r->step_bound_ns);
				continue;
			}
			if (err > worst)
				worst = err;
			if (err >= r->bound_ns)
				print_message("t %" PRIu64 " s: error %" PRIu64 " ns\n",
					      (uint64_t)(s.t / NSEC), err);
			assert_true(err < r->bound_ns);
			/* the statement made at the last update holds, bar the drift term */
			assert_true(err <= stated + drift_term);
			if ((int64_t)(err - stated) > short_by)
				short_by = (int64_t)(err - stated);
		}
		/* a sample at the end of the interval */
		k++;
		if (r->walk_ppb != 0) {
			s.walk += (int64_t)(rnd(&s.seed) % (uint64_t)(2 * r->walk_ppb + 1)) -
				  r->walk_ppb;
			if (s.walk > walk_lim)
				s.walk = walk_lim;
			else if (s.walk < -walk_lim)
				s.walk = -walk_lim;
		}
		{
			uint64_t c = sim_count(&s);
			uint64_t before = tw_ts_model_ns(&m, c);

			tw_ts_model_update(&m, c, wall0 + s.t + (uint64_t)sim_noise(&s),
					   r->hz / 1000 * r->interval_ms);
			/* continuous at the sample, and no step in hours of drift */
			assert_int_equal(tw_ts_model_ns(&m, c), before);
			assert_int_equal(m.steps, 0);
			stated = m.offset_ns < 0 ? -(uint64_t)m.offset_ns : (uint64_t)m.offset_ns;
			stated += read_term;
		}
	}
	assert_int_equal(m.samples, k + 1);
	print_message("  %" PRIu64 " updates: worst |model - true| %" PRIu64 " ns (bound %" PRIu64
		      "), after the step %" PRIu64 " ns (bound %" PRIu64 "); error - statement <= %"
		      PRId64 " ns (drift allowance %" PRIu64 ")\n", k, worst, r->bound_ns,
		      worst_step, r->step_bound_ns, short_by, drift_term);
}

static void
test_model_drift_hours(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(drift_rows); i++) {
		print_message("drift row %zu: %s\n", i, drift_rows[i].why);
		run_drift_sim(&drift_rows[i]);
	}
}

/* Publication */

static void
test_pub_round_trip(void **state)
{
	struct tw_ts_pub pub;
	struct tw_ts_params in = { 0x0123456789ABCDEFULL, 1700000000 * NSEC, 0x80000000ULL, 0x8587,
				   { 0 } };
	struct tw_ts_params out;

	(void)state;
	memset(&pub, 0, sizeof(pub));
	tw_ts_pub_load(&pub, &out);
	assert_int_equal(out.mult, 0);	/* never stored: zeros */

	tw_ts_pub_store(&pub, &in);
	assert_int_equal(atomic_load(&pub.seq), 2);
	tw_ts_pub_load(&pub, &out);
	assert_memory_equal(&out, &in, sizeof(in));

	in.base_ns += 1;
	in.errest = 0x0587;
	tw_ts_pub_store(&pub, &in);
	assert_int_equal(atomic_load(&pub.seq), 4);
	tw_ts_pub_load(&pub, &out);
	assert_memory_equal(&out, &in, sizeof(in));
}

/* Params whose words all derive from i, so a torn copy is detectable. */
static struct tw_ts_params
pub_pattern(uint64_t i)
{
	struct tw_ts_params p = { i, ~i, i * 0x9e3779b97f4a7c15ULL, (uint16_t)i, { 0 } };

	return p;
}

static bool
pub_consistent(const struct tw_ts_params *p)
{
	struct tw_ts_params want = pub_pattern(p->base_cnt);

	return memcmp(p, &want, sizeof(want)) == 0;
}

struct pub_ctx {
	struct tw_ts_pub pub;
	atomic_bool stop;
	atomic_bool started;
	uint64_t loads;
	uint64_t torn;
	uint64_t backwards;
	struct tw_ts_params got;
};

static void *
pub_reader(void *arg)
{
	struct pub_ctx *c = arg;
	uint64_t prev = 0;

	atomic_store(&c->started, true);
	do {
		tw_ts_pub_load(&c->pub, &c->got);
		c->loads++;
		if (!pub_consistent(&c->got))
			c->torn++;
		if (c->got.base_cnt < prev)
			c->backwards++;
		prev = c->got.base_cnt;
	} while (!atomic_load_explicit(&c->stop, memory_order_relaxed));
	return NULL;
}

/* A reader that arrives mid-write waits for the write and gets the new params. */
static void
test_pub_reader_waits(void **state)
{
	static struct pub_ctx c;
	struct tw_ts_params p = pub_pattern(7);
	pthread_t th;

	(void)state;
	memset(&c, 0, sizeof(c));
	tw_ts_pub_store(&c.pub, &p);
	/* a writer stopped half way: seq odd, words half updated */
	atomic_store(&c.pub.seq, 3);
	c.pub.w[0] = 8;
	atomic_store(&c.stop, true);	/* the reader loads exactly once */
	assert_int_equal(pthread_create(&th, NULL, pub_reader, &c), 0);
	while (!atomic_load(&c.started))
		;
	/* give the reader time to be inside tw_ts_pub_load, spinning */
	for (volatile int i = 0; i < 1000000; i++)
		;
	p = pub_pattern(8);
	memcpy(c.pub.w, &p, sizeof(p));
	atomic_store(&c.pub.seq, 4);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(c.loads, 1);
	assert_int_equal(c.torn, 0);
	assert_int_equal(c.got.base_cnt, 8);
}

/* One writer, one reader, many stores: never a torn copy, never an older one. */
static void
test_pub_concurrent(void **state)
{
	static struct pub_ctx c;
	pthread_t th;
	uint64_t i;

	(void)state;
	memset(&c, 0, sizeof(c));
	for (i = 1; i <= 2; i++) {
		struct tw_ts_params p = pub_pattern(i);

		tw_ts_pub_store(&c.pub, &p);
	}
	assert_int_equal(pthread_create(&th, NULL, pub_reader, &c), 0);
	while (!atomic_load(&c.started))
		;
	for (; i < 200000; i++) {
		struct tw_ts_params p = pub_pattern(i);

		tw_ts_pub_store(&c.pub, &p);
	}
	atomic_store(&c.stop, true);
	assert_int_equal(pthread_join(th, NULL), 0);
	print_message("%" PRIu64 " loads during 200000 stores\n", c.loads);
	assert_true(c.loads > 0);
	assert_int_equal(c.torn, 0);
	assert_int_equal(c.backwards, 0);
	assert_int_equal(atomic_load(&c.pub.seq), 2 * (i - 1));
}

/* Sync state -> Error Estimate */

#define AUTO (-1)
#define UNKNOWN TW_TS_ERR_UNKNOWN_NS

struct sync_row {
	struct tw_ts_sync s;
	bool synced;
	enum tw_ts_sync_why why;
	uint64_t err_ns;	/* the bound before encoding */
	uint16_t ee;
	const char *text;
};

/*
 * Code points from the exact encoding (Python, fractions: smallest Scale with
 * ceil(err * 2^32 / 1e9 / 2^Scale) <= 255): 560 -> 1000 floor 0x0587, 750 0x04CA,
 * 2650 0x06B2, 5600 0x07BC, 7000 0x07EB, 9600 0x08A2, 11450 0x08C1, 22000 0x09B9,
 * 55000 0x0AE7, 16000002000 0x1D81 (Multiplier 129: 16 s is 128 at Scale 29),
 * 37000010850 0x1E95, 2^63 0x3A8A, UINT64_MAX 0x3B8A; S adds 0x8000. Z (0x4000) never.
 */
static const struct sync_row sync_rows[] = {
	/* CLOCK_REALTIME, the kernel trusted (what twamp-client fills in) */
	{ { .maxerror_us = 5, .esterror_us = 16000000, .model_offset_ns = 2000,
	    .synced_override = AUTO }, true, TW_TS_WHY_KERNEL, 7000, 0x87EB,
	  "kernel synced: maxerror 5 us + offset 2 us; esterror (phc2sys: 16 s) unused" },
	{ { .maxerror_us = 0, .model_offset_ns = 300, .synced_override = AUTO }, true,
	  TW_TS_WHY_KERNEL, 1000, 0x8587, "maxerror 0 (timesyncd just synced): 1 us floor" },
	{ { .maxerror_us = 5, .model_offset_ns = -50000, .synced_override = AUTO }, true,
	  TW_TS_WHY_KERNEL, 55000, 0x8AE7, "negative model offset adds its magnitude" },
	{ { .maxerror_us = 5, .read_ns = 400, .synced_override = AUTO }, true, TW_TS_WHY_KERNEL,
	  5600, 0x87BC, "the read bracket adds 1.5 times its width" },
	{ { .kernel_unsync = true, .maxerror_us = 16000000, .model_offset_ns = 2000,
	    .synced_override = AUTO }, false, TW_TS_WHY_KERNEL_UNSYNC, 16000002000ULL, 0x1D81,
	  "STA_UNSYNC: no S, the kernel's 16 s" },
	{ { .kernel_unsync = true, .model_offset_ns = 2000, .synced_override = AUTO }, false,
	  TW_TS_WHY_KERNEL_UNSYNC, UNKNOWN + 2000, 0x1D81,
	  "unsync without maxerror (adjtimex failed): unknown is 16 s" },
	{ { .maxerror_us = 20, .claimed_ns = 5000, .model_offset_ns = 2000,
	    .synced_override = AUTO }, true, TW_TS_WHY_KERNEL, 22000, 0x89B9,
	  "error_ns is ignored with auto" },
	/* clock.synchronized */
	{ { .maxerror_us = 5, .model_offset_ns = 2000, .synced_override = 0 }, false,
	  TW_TS_WHY_CONFIGURED_UNSYNC, 7000, 0x07EB, "no: never S, even with the kernel synced" },
	{ { .kernel_unsync = true, .maxerror_us = 16000000, .model_offset_ns = 2000,
	    .synced_override = 1 }, true, TW_TS_WHY_CONFIGURED, 16000002000ULL, 0x9D81,
	  "yes without error_ns: S with the kernel's bound, however large" },
	{ { .kernel_unsync = true, .maxerror_us = 16000000, .claimed_ns = 5000,
	    .model_offset_ns = 2000, .synced_override = 1 }, true, TW_TS_WHY_CONFIGURED, 7000,
	  0x87EB, "yes with error_ns: the claim replaces the kernel's bound" },
	{ { .claimed_ns = 200, .model_offset_ns = 300, .read_ns = 40, .synced_override = 1 },
	  true, TW_TS_WHY_CONFIGURED, 1000, 0x8587, "software clock: 1 us floor under any claim" },
	/* CLOCK_TAI */
	{ { .source = TW_TS_SRC_TAI, .maxerror_us = 5, .model_offset_ns = 2000,
	    .synced_override = AUTO }, true, TW_TS_WHY_KERNEL, 7000, 0x87EB,
	  "CLOCK_TAI, offset 0: it is CLOCK_REALTIME then, still UTC" },
	{ { .source = TW_TS_SRC_TAI, .tai_s = 37, .kernel_unsync = true, .maxerror_us = 16000000,
	    .model_offset_ns = 2000, .synced_override = AUTO }, false, TW_TS_WHY_KERNEL_UNSYNC,
	  16000002000ULL, 0x1D81, "CLOCK_TAI follows the kernel's state" },
	/* PTP hardware clock */
	{ { .source = TW_TS_SRC_PHC, .tai_s = 37, .maxerror_us = 5, .realtime_offset_ns = 1500,
	    .model_offset_ns = 100, .read_ns = 2000, .synced_override = AUTO }, false,
	  TW_TS_WHY_PHC_UNCONFIGURED, 9600, 0x08A2,
	  "PHC, auto: never S; bound through the system clock (5 us + 1.5 + 0.1 + 3)" },
	{ { .source = TW_TS_SRC_PHC, .tai_s = 37, .maxerror_us = 5, .realtime_offset_ns = 1500,
	    .model_offset_ns = 100, .read_ns = 2000, .synced_override = 0 }, false,
	  TW_TS_WHY_CONFIGURED_UNSYNC, 9600, 0x08A2, "PHC, no" },
	{ { .source = TW_TS_SRC_PHC, .tai_s = 37, .claimed_ns = 100, .model_offset_ns = 50,
	    .read_ns = 400, .synced_override = 1 }, true, TW_TS_WHY_CONFIGURED, 750, 0x84CA,
	  "PHC claimed under 1 us: floored by the measured read term, not 1 us" },
	{ { .source = TW_TS_SRC_PHC, .tai_s = 37, .claimed_ns = 100, .model_offset_ns = 50,
	    .synced_override = 1 }, true, TW_TS_WHY_CONFIGURED, 1000, 0x8587,
	  "PHC claim, read bracket unmeasured: 1 us floor" },
	{ { .source = TW_TS_SRC_PHC, .tai_s = 37, .claimed_ns = 2000, .model_offset_ns = 50,
	    .read_ns = 400, .synced_override = 1 }, true, TW_TS_WHY_CONFIGURED, 2650, 0x86B2,
	  "PHC claimed 2 us: claim + offset + read term" },
	{ { .source = TW_TS_SRC_PHC, .tai_s = 37, .maxerror_us = 10, .realtime_offset_ns = -800,
	    .model_offset_ns = 50, .read_ns = 400, .synced_override = 1 }, true,
	  TW_TS_WHY_CONFIGURED, 11450, 0x88C1,
	  "PHC yes without error_ns: kernel's bound + PHC-to-system-clock distance" },
	{ { .source = TW_TS_SRC_PHC, .claimed_ns = 100, .maxerror_us = 10,
	    .realtime_offset_ns = 37000000200LL, .model_offset_ns = 50, .read_ns = 400,
	    .synced_override = 1 }, false, TW_TS_WHY_TAI_UNKNOWN, 37000010850ULL, 0x1E95,
	  "PHC, TAI offset unknown: never S even with yes, and the 37 s shows" },
	{ { .source = TW_TS_SRC_PHC, .maxerror_us = 10, .realtime_offset_ns = 37000000200LL,
	    .model_offset_ns = 50, .read_ns = 400, .synced_override = AUTO }, false,
	  TW_TS_WHY_TAI_UNKNOWN, 37000010850ULL, 0x1E95, "PHC, TAI offset unknown, auto" },
	{ { .source = TW_TS_SRC_PHC, .tai_s = 37, .source_lost = true, .claimed_ns = 100,
	    .model_offset_ns = 50, .synced_override = 1 }, false, TW_TS_WHY_SOURCE_LOST,
	  UNKNOWN + 50, 0x1D81, "PHC read failed: free-running, unknown, never S" },
	/* saturation */
	{ { .kernel_unsync = true, .maxerror_us = UINT64_MAX / 1000 + 1,
	    .synced_override = AUTO }, false, TW_TS_WHY_KERNEL_UNSYNC, UINT64_MAX, 0x3B8A,
	  "maxerror * 1000 never wraps" },
	{ { .maxerror_us = UINT64_MAX, .model_offset_ns = 1, .synced_override = AUTO }, true,
	  TW_TS_WHY_KERNEL, UINT64_MAX, 0xBB8A, "saturated sum stays saturated" },
	{ { .model_offset_ns = INT64_MIN, .synced_override = AUTO }, true, TW_TS_WHY_KERNEL,
	  1ULL << 63, 0xBA8A, "INT64_MIN offset: 2^63 ns" },
	{ { .read_ns = UINT64_MAX, .synced_override = AUTO }, true, TW_TS_WHY_KERNEL, UINT64_MAX,
	  0xBB8A, "1.5 * read never wraps" },
};

static void
test_sync_errest(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(sync_rows); i++) {
		const struct sync_row *r = &sync_rows[i];
		struct tw_ts_sync_state st;

		print_message("sync row %zu: %s\n", i, r->text);
		tw_ts_sync_decide(&r->s, &st);
		assert_int_equal(st.synced, r->synced);
		assert_int_equal(st.why, r->why);
		assert_int_equal(st.err_ns, r->err_ns);
		assert_int_equal(st.errest, r->ee);
		assert_int_equal(tw_ts_sync_errest(&r->s), r->ee);
		assert_true(tw_ts_errest_ns(st.errest) >= st.err_ns);
	}
}

/* A sender with one format (twamp-client --ptp) gets Z from the wrapper; decide never sets it. */
static void
test_sync_errest_ptp_sender(void **state)
{
	struct tw_ts_sync s = { .maxerror_us = 5, .model_offset_ns = 2000, .synced_override = AUTO,
				.ptp = true };
	struct tw_ts_sync_state st;

	(void)state;
	tw_ts_sync_decide(&s, &st);
	assert_int_equal(st.errest, 0x87EB);
	assert_int_equal(tw_ts_sync_errest(&s), 0xC7EB);
	s.kernel_unsync = true;
	s.maxerror_us = 16000000;
	assert_int_equal(tw_ts_sync_errest(&s), 0x5D81);
}

static uint64_t
log_uniform(uint64_t *seed)
{
	return rnd(seed) >> (rnd(seed) % 64);
}

/* The rules over random inputs: S only when nothing says otherwise, Z never, bounds add up. */
static void
test_sync_properties(void **state)
{
	uint64_t seed = 5;

	(void)state;
	for (int i = 0; i < 300000; i++) {
		struct tw_ts_sync s = {
			.kernel_unsync = rnd(&seed) & 1,
			.esterror_us = log_uniform(&seed) >> 20,
			.maxerror_us = log_uniform(&seed) >> 20,
			.model_offset_ns = (int64_t)(log_uniform(&seed) >> 24) *
					   ((rnd(&seed) & 1) ? 1 : -1),
			.synced_override = (int)(rnd(&seed) % 3) - 1,
			.source = (enum tw_ts_source)(rnd(&seed) % TW_TS_SRC_MAX),
			.claimed_ns = (rnd(&seed) & 1) ? log_uniform(&seed) >> 30 : 0,
			.read_ns = log_uniform(&seed) >> 40,
			.tai_s = (rnd(&seed) & 3) ? 37 : 0,
			.realtime_offset_ns = (int64_t)(log_uniform(&seed) >> 24) *
					      ((rnd(&seed) & 1) ? 1 : -1),
			.source_lost = (rnd(&seed) & 7) == 0,
			.ptp = rnd(&seed) & 1,
		};
		bool phc = s.source == TW_TS_SRC_PHC;
		struct tw_ts_sync_state st, st2;
		uint64_t off = s.model_offset_ns < 0 ? -(uint64_t)s.model_offset_ns :
						       (uint64_t)s.model_offset_ns;

		tw_ts_sync_decide(&s, &st);
		/* RFC 8186 §2.3: Z is the packet's format, never in the clock's estimate */
		assert_int_equal(st.errest & TW_TS_ERREST_Z, 0);
		assert_int_equal(tw_ts_sync_errest(&s), st.errest | (s.ptp ? TW_TS_ERREST_Z : 0));
		assert_int_equal(tw_ts_errest_synced(st.errest), st.synced);
		/* RFC 4656 §4.1.2: S only when synchronised to UTC by an external source */
		if (st.synced) {
			assert_false(s.source_lost);
			assert_false(phc && s.tai_s <= 0);
			assert_int_not_equal(s.synced_override, 0);
			if (s.synced_override == AUTO)
				assert_true(!phc && !s.kernel_unsync);
		}
		/* the stated bound covers every part, and the encoding never states less */
		assert_true(st.err_ns >= off);
		assert_true(st.err_ns >= s.read_ns);
		assert_true(tw_ts_errest_ns(st.errest) >= st.err_ns);
		if (!(phc && st.why == TW_TS_WHY_CONFIGURED && s.claimed_ns != 0 &&
		      s.claimed_ns < 1000 && s.read_ns != 0))
			assert_true(st.err_ns >= 1000);
		if (st.why == TW_TS_WHY_CONFIGURED && s.claimed_ns != 0)
			assert_true(st.err_ns >= s.claimed_ns);
		/* a larger model offset never makes the statement smaller */
		s.model_offset_ns = s.model_offset_ns / 2 * 3;
		tw_ts_sync_decide(&s, &st2);
		assert_true(st2.err_ns >= st.err_ns || s.model_offset_ns == 0);
	}
}

static void
test_sync_names(void **state)
{
	(void)state;
	assert_string_equal(tw_ts_source_str(TW_TS_SRC_REALTIME), "realtime");
	assert_string_equal(tw_ts_source_str(TW_TS_SRC_TAI), "tai");
	assert_string_equal(tw_ts_source_str(TW_TS_SRC_PHC), "phc");
	assert_string_equal(tw_ts_source_str(TW_TS_SRC_MAX), "?");
	for (int w = 0; w < TW_TS_WHY_MAX; w++)
		assert_string_not_equal(tw_ts_sync_why_str((enum tw_ts_sync_why)w), "?");
	assert_string_equal(tw_ts_sync_why_str(TW_TS_WHY_TAI_UNKNOWN), "tai_offset_unknown");
	assert_string_equal(tw_ts_sync_why_str(TW_TS_WHY_MAX), "?");
}

/*
 * tw_ts_sync_read_kernel(): the S bit of every Error Estimate we send rests on it. It says what
 * adjtimex(2) says of this machine's clock, and touches nothing but the kernel's fields.
 */
static void
test_sync_read_kernel(void **state)
{
	struct tw_ts_sync s, before;
	struct timex tx = { 0 };
	int st;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.synced_override = 1;
	s.source = TW_TS_SRC_PHC;
	s.claimed_ns = 1234;
	s.read_ns = 567;
	s.model_offset_ns = -89;
	s.ptp = true;
	before = s;
	st = adjtimex(&tx);
	tw_ts_sync_read_kernel(&s);
	assert_int_equal(s.kernel_unsync,
			 st == -1 || st == TIME_ERROR || (tx.status & STA_UNSYNC) != 0);
	assert_true(s.tai_s >= 0);
	if (st != -1 && tx.maxerror > 0)
		assert_true(s.maxerror_us > 0);
	/* clock.* settings and the model's fields are the caller's */
	assert_int_equal(s.synced_override, before.synced_override);
	assert_int_equal(s.source, before.source);
	assert_int_equal(s.claimed_ns, before.claimed_ns);
	assert_int_equal(s.read_ns, before.read_ns);
	assert_int_equal(s.model_offset_ns, before.model_offset_ns);
	assert_int_equal(s.ptp, before.ptp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ntp_known),
		cmocka_unit_test(test_ntp_to_unix),
		cmocka_unit_test(test_ntp_round_trip),
		cmocka_unit_test(test_ntp_era_difference),
		cmocka_unit_test(test_ptp),
		cmocka_unit_test(test_ptp_tai),
		cmocka_unit_test(test_utc_from_tai),
		cmocka_unit_test(test_put_get64),
		cmocka_unit_test(test_errest_encode),
		cmocka_unit_test(test_errest_decode),
		cmocka_unit_test(test_errest_properties),
		cmocka_unit_test(test_model_init),
		cmocka_unit_test(test_params_ns),
		cmocka_unit_test(test_model_update_rows),
		cmocka_unit_test(test_model_step_keeps_rate),
		cmocka_unit_test(test_model_sim),
		cmocka_unit_test(test_model_drift_hours),
		cmocka_unit_test(test_pub_round_trip),
		cmocka_unit_test(test_pub_reader_waits),
		cmocka_unit_test(test_pub_concurrent),
		cmocka_unit_test(test_sync_errest),
		cmocka_unit_test(test_sync_errest_ptp_sender),
		cmocka_unit_test(test_sync_properties),
		cmocka_unit_test(test_sync_names),
		cmocka_unit_test(test_sync_read_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
