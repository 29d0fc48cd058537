/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/measure unit tests. Every expected value below is computed by hand in the comment next to
 * it. Percentiles are nearest-rank: the p-th percentile of N sorted samples is the sample at
 * 1-based rank ceil(p * N / 100).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tw_measure.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_SAMPLES 256
#define SYNCED 0x8001	/* S set, Scale 0, Multiplier 1 */
#define UNSYNCED 0x0001

/* ---- distributions ---------------------------------------------------------------------- */

struct stat_case {
	const char *name;
	size_t n;
	int64_t v[8];		/* used when gen == 0 */
	int gen;		/* > 0: samples gen, gen-1, ..., 1 (reverse order, to test sort) */
	struct tw_measure_stat want;
};

static const struct stat_case stat_cases[] = {
	{ "empty", 0, { 0 }, 0, { 0, 0, 0, 0, 0, 0 } },
	{ "single", 1, { 5 }, 0, { 1, 5, 5, 5, 5, 5 } },
	/* sorted 1 2 3 4: median rank ceil(2)=2 -> 2; p99 rank ceil(3.96)=4 -> 4; mean 10/4=2 */
	{ "four", 4, { 4, 1, 3, 2 }, 0, { 4, 1, 2, 4, 4, 2 } },
	/* sorted -3 -1: median rank 1 -> -3; p99 rank 2 -> -1; mean -4/2 = -2 */
	{ "negative", 2, { -1, -3 }, 0, { 2, -3, -3, -1, -1, -2 } },
	/* mean -3/2 = -1.5 truncates toward zero: -1 */
	{ "mean-trunc-neg", 2, { -1, -2 }, 0, { 2, -2, -2, -1, -1, -1 } },
	/* 1..100: median rank 50 -> 50; p99 rank 99 -> 99; mean 5050/100 = 50 */
	{ "1..100", 100, { 0 }, 100, { 100, 1, 50, 99, 100, 50 } },
	/* 1..101: median rank ceil(50.5)=51 -> 51; p99 rank ceil(99.99)=100 -> 100; mean 51 */
	{ "1..101", 101, { 0 }, 101, { 101, 1, 51, 100, 101, 51 } },
	/* 1..200: median rank 100; p99 rank 198; mean 20100/200 = 100 */
	{ "1..200", 200, { 0 }, 200, { 200, 1, 100, 198, 200, 100 } },
	/* duplicates: 7 7 7 9: median rank 2 -> 7; p99 rank 4 -> 9; mean 30/4 = 7 */
	{ "ties", 4, { 7, 9, 7, 7 }, 0, { 4, 7, 7, 9, 9, 7 } },
};

static void
test_stat_table(void **state)
{
	(void)state;
	for (size_t c = 0; c < ARRAY_SIZE(stat_cases); c++) {
		const struct stat_case *tc = &stat_cases[c];
		int64_t v[MAX_SAMPLES];
		struct tw_measure_stat st;

		for (size_t i = 0; i < tc->n; i++)
			v[i] = tc->gen ? (int64_t)(tc->gen - i) : tc->v[i];
		tw_measure_stat_compute(v, tc->n, &st);
		print_message("stat case %s\n", tc->name);
		assert_int_equal(st.n, tc->want.n);
		assert_int_equal(st.min, tc->want.min);
		assert_int_equal(st.median, tc->want.median);
		assert_int_equal(st.p99, tc->want.p99);
		assert_int_equal(st.max, tc->want.max);
		assert_int_equal(st.mean, tc->want.mean);
	}
}

static void
test_percentile_bounds(void **state)
{
	static const int64_t v[] = { 10, 20, 30, 40, 50, 60, 70, 80, 90, 100 };
	static const struct {
		unsigned int pct;
		int64_t want;
	} rows[] = {
		{ 0, 10 },	/* rank 0 clamps to the minimum */
		{ 1, 10 },	/* ceil(0.1) = 1 */
		{ 10, 10 },	/* ceil(1) = 1 */
		{ 11, 20 },	/* ceil(1.1) = 2 */
		{ 50, 50 },	/* 5 */
		{ 51, 60 },	/* ceil(5.1) = 6 */
		{ 90, 90 },	/* 9 */
		{ 99, 100 },	/* ceil(9.9) = 10 */
		{ 100, 100 },
		{ 250, 100 },	/* out of range clamps to 100 */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		assert_int_equal(tw_measure_percentile(v, ARRAY_SIZE(v), rows[i].pct),
				 rows[i].want);
}

/* ---- counting: loss, duplicates, reordering, foreign ------------------------------------- */

struct count_case {
	const char *name;
	uint32_t capacity;
	uint32_t sent;			/* seqs 0 .. sent-1 are sent */
	size_t nb_arrivals;
	uint32_t arrivals[12];		/* Sender Sequence Numbers in arrival order */
	enum tw_measure_verdict verdicts[12];
	uint64_t received, lost, duplicates, reordered, foreign;
	double loss_pct;
};

static const struct count_case count_cases[] = {
	{ "in-order", 4, 4, 4, { 0, 1, 2, 3 },
	  { TW_MEASURE_OK, TW_MEASURE_OK, TW_MEASURE_OK, TW_MEASURE_OK },
	  4, 0, 0, 0, 0, 0.0 },
	/* 2 of 5 lost: 40 % */
	{ "loss", 5, 5, 3, { 0, 1, 3 },
	  { TW_MEASURE_OK, TW_MEASURE_OK, TW_MEASURE_OK },
	  3, 2, 0, 0, 0, 40.0 },
	{ "all-lost", 3, 3, 0, { 0 }, { 0 }, 0, 3, 0, 0, 0, 100.0 },
	{ "nothing-sent", 3, 0, 0, { 0 }, { 0 }, 0, 0, 0, 0, 0, 0.0 },
	{ "duplicate", 3, 3, 4, { 0, 1, 1, 2 },
	  { TW_MEASURE_OK, TW_MEASURE_OK, TW_MEASURE_DUPLICATE, TW_MEASURE_OK },
	  3, 0, 1, 0, 0, 0.0 },
	/* 1 arrives after 2: below the highest seen */
	{ "swap", 4, 4, 4, { 0, 2, 1, 3 },
	  { TW_MEASURE_OK, TW_MEASURE_OK, TW_MEASURE_REORDERED, TW_MEASURE_OK },
	  4, 0, 0, 1, 0, 0.0 },
	/* 3 first: 0, 1, 2 are each below the highest (3) */
	{ "late-head", 4, 4, 4, { 3, 0, 1, 2 },
	  { TW_MEASURE_OK, TW_MEASURE_REORDERED, TW_MEASURE_REORDERED, TW_MEASURE_REORDERED },
	  4, 0, 0, 3, 0, 0.0 },
	/* a duplicate of a reordered packet is a duplicate, not reordered again */
	{ "dup-of-reordered", 2, 2, 3, { 1, 0, 0 },
	  { TW_MEASURE_OK, TW_MEASURE_REORDERED, TW_MEASURE_DUPLICATE },
	  2, 0, 1, 1, 0, 0.0 },
	/* 7 is beyond the session, 3 within it but not yet sent: both foreign */
	{ "unknown-seq", 5, 3, 4, { 0, 7, 3, 1 },
	  { TW_MEASURE_OK, TW_MEASURE_UNKNOWN_SEQ, TW_MEASURE_UNKNOWN_SEQ, TW_MEASURE_OK },
	  2, 1, 0, 0, 2, 100.0 / 3.0 },
	{ "seq-max", 2, 2, 2, { UINT32_MAX, 0 },
	  { TW_MEASURE_UNKNOWN_SEQ, TW_MEASURE_OK },
	  1, 1, 0, 0, 1, 50.0 },
};

static void
test_count_table(void **state)
{
	(void)state;
	for (size_t c = 0; c < ARRAY_SIZE(count_cases); c++) {
		const struct count_case *tc = &count_cases[c];
		struct tw_measure_summary s;
		struct tw_measure *m;

		print_message("count case %s\n", tc->name);
		m = tw_measure_create(tc->capacity);
		assert_non_null(m);
		for (uint32_t i = 0; i < tc->sent; i++)
			assert_int_equal(tw_measure_sent(m, i, 1000 * i, SYNCED), 0);
		for (size_t i = 0; i < tc->nb_arrivals; i++) {
			struct tw_measure_reply r = {
				.sender_seq = tc->arrivals[i],
				.refl_seq = (uint32_t)i,
				.t2 = 1000 * (uint64_t)tc->arrivals[i] + 10,
				.t3 = 1000 * (uint64_t)tc->arrivals[i] + 20,
				.t4 = 1000 * (uint64_t)tc->arrivals[i] + 30,
				.refl_errest = SYNCED,
				.sender_ttl = 255,
				.reply_ttl = 255,
			};

			assert_int_equal(tw_measure_reflected(m, &r), tc->verdicts[i]);
		}
		assert_int_equal(tw_measure_summarize(m, &s), 0);
		assert_int_equal(s.sent, tc->sent);
		assert_int_equal(s.received, tc->received);
		assert_int_equal(s.lost, tc->lost);
		assert_int_equal(s.duplicates, tc->duplicates);
		assert_int_equal(s.reordered, tc->reordered);
		assert_int_equal(s.foreign, tc->foreign);
		assert_true(s.loss_pct - tc->loss_pct < 1e-9 && tc->loss_pct - s.loss_pct < 1e-9);
		assert_int_equal(s.rtt.n, tc->received);
		/* every received record has RTT (30 - 0) - (20 - 10) = 20 */
		if (tc->received > 0) {
			assert_int_equal(s.rtt.min, 20);
			assert_int_equal(s.rtt.max, 20);
		}
		tw_measure_free(m);
	}
}

static void
test_foreign_and_errors(void **state)
{
	struct tw_measure_summary s;
	struct tw_measure *m;

	(void)state;
	errno = 0;
	assert_null(tw_measure_create(0));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(tw_measure_create(TW_MEASURE_MAX_COUNT + 1));
	assert_int_equal(errno, EINVAL);

	m = tw_measure_create(2);
	assert_non_null(m);
	assert_int_equal(tw_measure_sent(m, 2, 0, 0), -ERANGE);
	assert_int_equal(tw_measure_sent(m, 0, 5, 0), 0);
	assert_int_equal(tw_measure_sent(m, 0, 6, 0), -EEXIST);
	assert_int_equal(m->rec[0].t1, 5);	/* the first send is kept */
	tw_measure_foreign(m);
	tw_measure_foreign(m);
	assert_int_equal(tw_measure_summarize(m, &s), 0);
	assert_int_equal(s.sent, 1);
	assert_int_equal(s.foreign, 2);
	assert_false(s.have_refl_errest);
	assert_false(s.have_ttl);
	assert_false(s.have_reply_ttl);
	assert_false(s.one_way);
	assert_int_equal(s.ipdv.n, 0);
	tw_measure_free(m);
	tw_measure_free(NULL);

	assert_string_equal(tw_measure_verdict_name(TW_MEASURE_DUPLICATE), "duplicate");
	assert_string_equal(tw_measure_verdict_name(TW_MEASURE_VERDICT_MAX), "unknown");
}

/* ---- delays, turnaround, one-way, IPDV --------------------------------------------------- */

struct tsrec {
	uint64_t t1, t2, t3, t4;
	uint16_t refl_errest;
	bool received;
};

/*
 *  seq  T1    T2    T3    T4    RTT=(T4-T1)-(T3-T2)  turnaround  fwd=T2-T1  bwd=T4-T3
 *   0   1000  1500  1600  2200  1200-100 = 1100      100         500        600
 *   1   2000  2600  2650  3300  1300-50  = 1250      50          600        650
 *   2   3000  3400  3700  4000  1000-300 = 700       300         400        300
 */
static const struct tsrec three[] = {
	{ 1000, 1500, 1600, 2200, SYNCED, true },
	{ 2000, 2600, 2650, 3300, SYNCED, true },
	{ 3000, 3400, 3700, 4000, SYNCED, true },
};

static struct tw_measure *
load(const struct tsrec *t, size_t n, uint16_t sender_errest)
{
	struct tw_measure *m = tw_measure_create((uint32_t)n);

	assert_non_null(m);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(tw_measure_sent(m, (uint32_t)i, t[i].t1, sender_errest), 0);
	}
	for (size_t i = 0; i < n; i++) {
		struct tw_measure_reply r = {
			.sender_seq = (uint32_t)i,
			.refl_seq = (uint32_t)i,
			.t2 = t[i].t2,
			.t3 = t[i].t3,
			.t4 = t[i].t4,
			.refl_errest = t[i].refl_errest,
			.sender_ttl = (uint8_t)(250 + i),
			.reply_ttl = -1,
		};

		if (t[i].received)
			tw_measure_reflected(m, &r);
	}
	return m;
}

static void
test_delays(void **state)
{
	struct tw_measure_summary s;
	struct tw_measure *m = load(three, ARRAY_SIZE(three), SYNCED);

	(void)state;
	assert_int_equal(tw_measure_summarize(m, &s), 0);
	/* RTT sorted 700 1100 1250: median rank 2, p99 rank ceil(2.97) = 3, mean 3050/3 = 1016 */
	assert_int_equal(s.rtt.n, 3);
	assert_int_equal(s.rtt.min, 700);
	assert_int_equal(s.rtt.median, 1100);
	assert_int_equal(s.rtt.p99, 1250);
	assert_int_equal(s.rtt.max, 1250);
	assert_int_equal(s.rtt.mean, 1016);
	/* turnaround sorted 50 100 300 */
	assert_int_equal(s.turnaround.min, 50);
	assert_int_equal(s.turnaround.median, 100);
	assert_int_equal(s.turnaround.max, 300);
	/* forward 400 500 600, backward 300 600 650 */
	assert_true(s.one_way);
	assert_int_equal(s.forward.n, 3);
	assert_int_equal(s.forward.min, 400);
	assert_int_equal(s.forward.median, 500);
	assert_int_equal(s.forward.max, 600);
	assert_int_equal(s.backward.min, 300);
	assert_int_equal(s.backward.median, 600);
	assert_int_equal(s.backward.max, 650);
	/* RTT IPDV: 1250-1100 = 150, 700-1250 = -550: mean |.| 350, max 550 */
	assert_int_equal(s.ipdv.n, 2);
	assert_int_equal(s.ipdv.mean_abs, 350);
	assert_int_equal(s.ipdv.max_abs, 550);
	assert_int_equal(s.ipdv.min, -550);
	assert_int_equal(s.ipdv.max, 150);
	/* forward IPDV: 100, -200 -> mean 150, max 200; backward: 50, -350 -> 200, 350 */
	assert_int_equal(s.ipdv_fwd.mean_abs, 150);
	assert_int_equal(s.ipdv_fwd.max_abs, 200);
	assert_int_equal(s.ipdv_bwd.mean_abs, 200);
	assert_int_equal(s.ipdv_bwd.max_abs, 350);
	/* Sender TTL 250, 251, 252 as set by load(); reply TTL never reported */
	assert_true(s.have_ttl);
	assert_int_equal(s.sender_ttl_min, 250);
	assert_int_equal(s.sender_ttl_max, 252);
	assert_false(s.have_reply_ttl);
	assert_true(s.have_refl_errest);
	assert_int_equal(s.refl_errest, SYNCED);
	tw_measure_free(m);
}

static void
test_one_way_needs_both_synced(void **state)
{
	struct tsrec mixed[3];
	struct tw_measure_summary s;
	struct tw_measure *m;

	(void)state;
	/* Our clock unsynchronised: no one-way figures at all, IPDV still computed. */
	m = load(three, ARRAY_SIZE(three), UNSYNCED);
	assert_int_equal(tw_measure_summarize(m, &s), 0);
	assert_false(s.one_way);
	assert_int_equal(s.forward.n, 0);
	assert_int_equal(s.backward.n, 0);
	assert_int_equal(s.ipdv_fwd.n, 2);
	assert_int_equal(s.rtt.n, 3);
	tw_measure_free(m);

	/* Reflector unsynchronised for seq 1 only: one-way over seqs 0 and 2 (fwd 500, 400). */
	memcpy(mixed, three, sizeof(mixed));
	mixed[1].refl_errest = UNSYNCED;
	m = load(mixed, ARRAY_SIZE(mixed), SYNCED);
	assert_int_equal(tw_measure_summarize(m, &s), 0);
	assert_true(s.one_way);
	assert_int_equal(s.forward.n, 2);
	assert_int_equal(s.forward.min, 400);
	assert_int_equal(s.forward.median, 400);	/* rank ceil(1) = 1 */
	assert_int_equal(s.forward.max, 500);
	/* the latest reply (seq 2) carried SYNCED */
	assert_int_equal(s.refl_errest, SYNCED);
	tw_measure_free(m);
}

static void
test_ipdv_skips_losses(void **state)
{
	/*
	 * Received 0, 1, 3, 4 (2 lost): pairs (0,1) and (3,4) only.
	 *   RTT: 100, 130, -, 90, 60 -> IPDV +30, -30: mean |.| 30, max 30
	 */
	static const struct tsrec t[] = {
		{ 0, 0, 0, 100, SYNCED, true },
		{ 1000, 1000, 1000, 1130, SYNCED, true },
		{ 2000, 2000, 2000, 2100, SYNCED, false },
		{ 3000, 3000, 3000, 3090, SYNCED, true },
		{ 4000, 4000, 4000, 4060, SYNCED, true },
	};
	static const struct tsrec single[] = {
		{ 7, 8, 9, 10, SYNCED, true },
	};
	struct tw_measure_summary s;
	struct tw_measure *m;

	(void)state;
	m = load(t, ARRAY_SIZE(t), SYNCED);
	assert_int_equal(tw_measure_summarize(m, &s), 0);
	assert_int_equal(s.received, 4);
	assert_int_equal(s.ipdv.n, 2);
	assert_int_equal(s.ipdv.mean_abs, 30);
	assert_int_equal(s.ipdv.max_abs, 30);
	assert_int_equal(s.ipdv.min, -30);
	assert_int_equal(s.ipdv.max, 30);
	/* backward delay equals RTT here (T1 = T2 = T3), so the same IPDV */
	assert_int_equal(s.ipdv_bwd.mean_abs, 30);
	assert_int_equal(s.ipdv_fwd.max_abs, 0);
	tw_measure_free(m);

	/* A single sample: every percentile is that sample, no IPDV pair. RTT (10-7)-(9-8) = 2 */
	m = load(single, 1, SYNCED);
	assert_int_equal(tw_measure_summarize(m, &s), 0);
	assert_int_equal(s.rtt.n, 1);
	assert_int_equal(s.rtt.min, 2);
	assert_int_equal(s.rtt.median, 2);
	assert_int_equal(s.rtt.p99, 2);
	assert_int_equal(s.rtt.max, 2);
	assert_int_equal(s.rtt.mean, 2);
	assert_int_equal(s.ipdv.n, 0);
	assert_int_equal(s.ipdv.mean_abs, 0);
	tw_measure_free(m);
}

static void
test_negative_rtt(void **state)
{
	/* Turnaround larger than the round trip (a reflector clock running fast): RTT is
	 * (1100 - 1000) - (500 - 300) = -100, reported as such rather than wrapped. */
	static const struct tsrec t[] = {
		{ 1000, 300, 500, 1100, UNSYNCED, true },
	};
	struct tw_measure_summary s;
	struct tw_measure *m = load(t, 1, UNSYNCED);

	(void)state;
	assert_int_equal(tw_measure_summarize(m, &s), 0);
	assert_int_equal(s.rtt.min, -100);
	assert_int_equal(s.rtt.mean, -100);
	assert_int_equal(s.turnaround.min, 200);
	tw_measure_free(m);
}

/* ---- reflector Sequence Number continuity ----------------------------------------------- */

struct rseq_case {
	const char *name;
	size_t n;
	struct {
		uint32_t sender_seq;
		uint32_t refl_seq;
	} rx[6];			/* in arrival order */
	uint64_t gaps, skipped, ooo, excess;
};

static const struct rseq_case rseq_cases[] = {
	{ "contiguous", 3, { { 0, 10 }, { 1, 11 }, { 2, 12 } }, 0, 0, 0, 0 },
	/* seq 1 lost after the reflector: its number 11 is missing */
	{ "backward-loss", 2, { { 0, 10 }, { 2, 12 } }, 1, 1, 0, 0 },
	/* seq 1 lost before the reflector: no number consumed */
	{ "forward-loss", 2, { { 0, 10 }, { 2, 11 } }, 0, 0, 0, 0 },
	/* two lost in a row, one each way: advance 2 of at most 3 */
	{ "mixed-loss", 2, { { 0, 10 }, { 3, 12 } }, 1, 1, 0, 0 },
	/* consecutive sender seqs but the reflector skipped 2 numbers: more than it can explain */
	{ "excess", 2, { { 0, 10 }, { 1, 13 } }, 1, 2, 0, 1 },
	{ "repeat", 2, { { 0, 10 }, { 1, 10 } }, 0, 0, 1, 0 },
	{ "backwards", 3, { { 0, 10 }, { 1, 9 }, { 2, 10 } }, 0, 0, 1, 0 },
	/* 32-bit wrap is continuity */
	{ "wrap", 2, { { 0, UINT32_MAX }, { 1, 0 } }, 0, 0, 0, 0 },
	/* walked in sender order, not arrival order */
	{ "arrival-order", 3, { { 2, 12 }, { 0, 10 }, { 1, 11 } }, 0, 0, 0, 0 },
	{ "single", 1, { { 0, 77 } }, 0, 0, 0, 0 },
};

static void
test_refl_seq_table(void **state)
{
	(void)state;
	for (size_t c = 0; c < ARRAY_SIZE(rseq_cases); c++) {
		const struct rseq_case *tc = &rseq_cases[c];
		struct tw_measure_summary s;
		struct tw_measure *m = tw_measure_create(6);

		print_message("refl seq case %s\n", tc->name);
		assert_non_null(m);
		for (uint32_t i = 0; i < 6; i++)
			tw_measure_sent(m, i, 0, 0);
		for (size_t i = 0; i < tc->n; i++) {
			struct tw_measure_reply r = {
				.sender_seq = tc->rx[i].sender_seq,
				.refl_seq = tc->rx[i].refl_seq,
				.reply_ttl = 64,
			};

			tw_measure_reflected(m, &r);
		}
		assert_int_equal(tw_measure_summarize(m, &s), 0);
		assert_int_equal(s.refl_seq_gaps, tc->gaps);
		assert_int_equal(s.refl_seq_skipped, tc->skipped);
		assert_int_equal(s.refl_seq_ooo, tc->ooo);
		assert_int_equal(s.refl_seq_excess, tc->excess);
		assert_true(s.have_reply_ttl);
		assert_int_equal(s.reply_ttl_min, 64);
		assert_int_equal(s.reply_ttl_max, 64);
		tw_measure_free(m);
	}
}

/* ---- several sessions together (twamp-client's total over one control connection) -------- */

/*
 * Session B (reflector unsynchronised, so no one-way figures), seq 1 lost:
 *  seq  T1   T2   T3   T4   RTT=(T4-T1)-(T3-T2)  turnaround
 *   0   100  150  160  300  200-10 = 190         10
 *   2   300  330  340  500  200-10 = 190         10
 *   3   400  420  440  700  300-20 = 280         20
 * load() numbers the reflector's packets after the Sender Sequence Number (0, 2, 3: one gap,
 * one skipped) and sets Sender TTL 250 + seq (250, 252, 253).
 */
static const struct tsrec sess_b[] = {
	{ 100, 150, 160, 300, UNSYNCED, true },
	{ 200, 0, 0, 0, UNSYNCED, false },
	{ 300, 330, 340, 500, UNSYNCED, true },
	{ 400, 420, 440, 700, UNSYNCED, true },
};

static void
test_many_sessions(void **state)
{
	struct tw_measure *a = load(three, ARRAY_SIZE(three), SYNCED);
	struct tw_measure *b = load(sess_b, ARRAY_SIZE(sess_b), SYNCED);
	const struct tw_measure *ab[] = { a, b }, *ba[] = { b, a };
	struct tw_measure_reply dup = { .sender_seq = 0, .t2 = 1, .t3 = 2, .t4 = 3, .reply_ttl = -1 };
	struct tw_measure_summary s;

	(void)state;
	assert_int_equal(tw_measure_reflected(b, &dup), TW_MEASURE_DUPLICATE);
	tw_measure_foreign(b);

	assert_int_equal(tw_measure_summarize_many(ab, 2, &s), 0);
	/* counts add up: 3 + 4 sent, 3 + 3 received, B's duplicate and foreign datagram */
	assert_int_equal(s.sent, 7);
	assert_int_equal(s.received, 6);
	assert_int_equal(s.lost, 1);
	assert_true(s.loss_pct > 100.0 / 7 - 1e-9 && s.loss_pct < 100.0 / 7 + 1e-9);
	assert_int_equal(s.duplicates, 1);
	assert_int_equal(s.foreign, 1);
	assert_int_equal(s.reordered, 0);
	/* RTT over the union 190 190 280 700 1100 1250: median rank 3 -> 280, p99 rank
	 * ceil(5.94) = 6 -> 1250, mean 3710 / 6 = 618 */
	assert_int_equal(s.rtt.n, 6);
	assert_int_equal(s.rtt.min, 190);
	assert_int_equal(s.rtt.median, 280);
	assert_int_equal(s.rtt.p99, 1250);
	assert_int_equal(s.rtt.max, 1250);
	assert_int_equal(s.rtt.mean, 618);
	/* turnaround 10 10 20 50 100 300: median rank 3 -> 20 */
	assert_int_equal(s.turnaround.min, 10);
	assert_int_equal(s.turnaround.median, 20);
	assert_int_equal(s.turnaround.max, 300);
	/* one-way only over A's synchronised records (forward 400 500 600) */
	assert_true(s.one_way);
	assert_int_equal(s.forward.n, 3);
	assert_int_equal(s.forward.min, 400);
	assert_int_equal(s.forward.max, 600);
	/* IPDV pairs stay inside a session: A gives +150 and -550, B only (2,3) = 280 - 190 = +90
	 * (its (0,1) and (1,2) span the loss). A pair across sessions (A's 700 -> B's 190) would
	 * make it 4 pairs. mean |.| = 790 / 3 = 263 */
	assert_int_equal(s.ipdv.n, 3);
	assert_int_equal(s.ipdv.mean_abs, 263);
	assert_int_equal(s.ipdv.max_abs, 550);
	assert_int_equal(s.ipdv.min, -550);
	assert_int_equal(s.ipdv.max, 150);
	/* reflector numbers per session: B's 0 -> 2 is one gap; A's 2 -> B's 0 is not compared */
	assert_int_equal(s.refl_seq_gaps, 1);
	assert_int_equal(s.refl_seq_skipped, 1);
	assert_int_equal(s.refl_seq_ooo, 0);
	assert_int_equal(s.refl_seq_excess, 0);
	/* TTL ranges: A 250..252, B 250..253 */
	assert_true(s.have_ttl);
	assert_int_equal(s.sender_ttl_min, 250);
	assert_int_equal(s.sender_ttl_max, 253);
	assert_false(s.have_reply_ttl);
	/* Error Estimate of the last session given that received anything */
	assert_true(s.have_refl_errest);
	assert_int_equal(s.refl_errest, UNSYNCED);
	assert_int_equal(tw_measure_summarize_many(ba, 2, &s), 0);
	assert_int_equal(s.refl_errest, SYNCED);
	assert_int_equal(s.rtt.median, 280);	/* order of sessions does not matter otherwise */
	assert_int_equal(s.ipdv.n, 3);

	tw_measure_free(a);
	tw_measure_free(b);
}

static void
test_many_edge_cases(void **state)
{
	struct tw_measure *a = load(three, ARRAY_SIZE(three), SYNCED);
	struct tw_measure *empty = tw_measure_create(4);
	const struct tw_measure *one[] = { a }, *with_empty[] = { empty, a, empty };
	struct tw_measure_summary single, many;

	(void)state;
	assert_non_null(empty);
	assert_int_equal(tw_measure_sent(empty, 0, 10, SYNCED), 0);

	/* One session: exactly tw_measure_summarize() (both zero the struct first) */
	assert_int_equal(tw_measure_summarize(a, &single), 0);
	assert_int_equal(tw_measure_summarize_many(one, 1, &many), 0);
	assert_memory_equal(&single, &many, sizeof(single));

	/* Sessions that received nothing change the counts only; A's errest still speaks */
	assert_int_equal(tw_measure_summarize_many(with_empty, 3, &many), 0);
	assert_int_equal(many.sent, 5);
	assert_int_equal(many.received, 3);
	assert_int_equal(many.lost, 2);
	assert_int_equal(many.rtt.n, 3);
	assert_int_equal(many.rtt.median, 1100);
	assert_int_equal(many.ipdv.n, 2);
	assert_true(many.have_refl_errest);
	assert_int_equal(many.refl_errest, SYNCED);

	/* No session at all: an all-zero summary */
	assert_int_equal(tw_measure_summarize_many(NULL, 0, &many), 0);
	assert_int_equal(many.sent, 0);
	assert_int_equal(many.rtt.n, 0);
	assert_false(many.have_refl_errest);
	assert_true(many.loss_pct == 0.0);

	tw_measure_free(a);
	tw_measure_free(empty);
}

/* ---- causality check ------------------------------------------------------------------- */

struct order_case {
	const char *name;
	uint64_t t1, t2, t3, t4;
	uint64_t sender_err, refl_err, slack;
	unsigned int want;
};

static const struct order_case order_cases[] = {
	{ "ordered", 100, 200, 300, 400, 0, 0, 0, 0 },
	{ "all-equal", 100, 100, 100, 100, 0, 0, 0, 0 },
	/* T3 before T2 on one clock: always wrong, whatever the error estimates */
	{ "t3<t2", 100, 200, 199, 400, UINT64_MAX, UINT64_MAX, 0, TW_MEASURE_ORDER_T2_T3 },
	/* T2 10 ns before T1; budget 4 + 5 + 1 = 10: accepted */
	{ "t1-t2-in-budget", 110, 100, 200, 300, 4, 5, 1, 0 },
	/* 11 ns over a budget of 10 */
	{ "t1-t2-over", 111, 100, 200, 300, 4, 5, 1, TW_MEASURE_ORDER_T1_T2 },
	{ "t3-t4-in-budget", 100, 200, 300, 290, 5, 5, 0, 0 },
	{ "t3-t4-over", 100, 200, 300, 289, 5, 5, 0, TW_MEASURE_ORDER_T3_T4 },
	/* unsynchronised reflector stating a huge error: the sum saturates instead of wrapping */
	{ "saturate", 1000000, 0, 0, 0, UINT64_MAX, 1, 1, 0 },
	{ "all-bad", 500, 400, 300, 200, 0, 0, 0,
	  TW_MEASURE_ORDER_T1_T2 | TW_MEASURE_ORDER_T2_T3 | TW_MEASURE_ORDER_T3_T4 },
};

static void
test_order_table(void **state)
{
	(void)state;
	for (size_t c = 0; c < ARRAY_SIZE(order_cases); c++) {
		const struct order_case *tc = &order_cases[c];
		struct tw_measure_rec r = {
			.t1 = tc->t1, .t2 = tc->t2, .t3 = tc->t3, .t4 = tc->t4,
		};

		print_message("order case %s\n", tc->name);
		assert_int_equal(tw_measure_check_order(&r, tc->sender_err, tc->refl_err,
							tc->slack), tc->want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_table),
		cmocka_unit_test(test_percentile_bounds),
		cmocka_unit_test(test_count_table),
		cmocka_unit_test(test_foreign_and_errors),
		cmocka_unit_test(test_delays),
		cmocka_unit_test(test_one_way_needs_both_synced),
		cmocka_unit_test(test_ipdv_skips_losses),
		cmocka_unit_test(test_negative_rtt),
		cmocka_unit_test(test_refl_seq_table),
		cmocka_unit_test(test_many_sessions),
		cmocka_unit_test(test_many_edge_cases),
		cmocka_unit_test(test_order_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
