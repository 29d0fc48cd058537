/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Measurement statistics for a TWAMP-Test session seen from the Session-Sender: one record per
 * Sender Sequence Number holding T1..T4, and a summary (loss, duplicates, reordering, round-trip
 * delay, IPDV, turnaround, one-way delay when both clocks are synchronised).
 *
 * Pure C: no sockets, no clock reads. The caller (twamp-client's sender) stamps T1 and T4 and
 * decodes T2/T3 from the reflected packet; every timestamp here is host-order nanoseconds since
 * the Unix epoch. Memory is allocated once by tw_measure_create() and, at report time only, by
 * tw_measure_summarize(); recording a packet never allocates.
 *
 * Percentiles use the nearest-rank definition: the p-th percentile of N sorted samples
 * v[1] <= ... <= v[N] is v[ceil(p * N / 100)] (1-based), so it is always one of the samples. The
 * median is the 50th percentile, i.e. the lower middle sample when N is even.
 */
#ifndef TW_MEASURE_H
#define TW_MEASURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Largest session tw_measure_create() accepts (records are ~48 octets each). */
#define TW_MEASURE_MAX_COUNT 50000000u

/** Per-record flags. */
enum tw_measure_rec_flags {
	TW_MEASURE_F_SENT = 0x01,	/**< tw_measure_sent() was called for this seq */
	TW_MEASURE_F_RECEIVED = 0x02,	/**< a reflection arrived (first copy recorded) */
	TW_MEASURE_F_REPLY_TTL = 0x04,	/**< reply_ttl is known (the socket reported it) */
};

/** What the sender knows about one Sender Sequence Number. */
struct tw_measure_rec {
	uint64_t t1;		/**< Session-Sender transmit time (ns, Unix) */
	uint64_t t2;		/**< Session-Reflector receive time */
	uint64_t t3;		/**< Session-Reflector transmit time */
	uint64_t t4;		/**< Session-Sender receive time */
	uint32_t refl_seq;	/**< reflector Sequence Number of the first copy */
	uint32_t arrival;	/**< 0-based arrival order among first copies */
	uint16_t sender_errest;	/**< our Error Estimate sent with T1 (RFC 4656 §4.1.2) */
	uint16_t refl_errest;	/**< the reflector's Error Estimate for T2/T3 */
	uint8_t sender_ttl;	/**< TTL / Hop Limit the reflector saw (RFC 5357 §4.2.1) */
	uint8_t reply_ttl;	/**< TTL / Hop Limit of the reflection as we received it */
	uint8_t flags;		/**< enum tw_measure_rec_flags */
	uint8_t dups;		/**< duplicate copies received (saturates at 255) */
};

/** A decoded reflection, as handed to tw_measure_reflected(). */
struct tw_measure_reply {
	uint32_t sender_seq;	/**< Sender Sequence Number echoed by the reflector */
	uint32_t refl_seq;	/**< reflector Sequence Number */
	uint64_t t2;		/**< ns, Unix */
	uint64_t t3;
	uint64_t t4;
	uint16_t refl_errest;
	uint8_t sender_ttl;
	int16_t reply_ttl;	/**< -1 when the socket did not report it */
};

/** Verdict for one reflection. */
enum tw_measure_verdict {
	TW_MEASURE_OK = 0,		/**< first copy, in order */
	TW_MEASURE_REORDERED,		/**< first copy, arrived after a higher sequence number */
	TW_MEASURE_DUPLICATE,		/**< this sequence number was already received */
	TW_MEASURE_UNKNOWN_SEQ,		/**< never sent (or out of range): counted as foreign */
	TW_MEASURE_VERDICT_MAX,
};

/** Session state. Fields are read-only for callers; update only through the functions. */
struct tw_measure {
	struct tw_measure_rec *rec;	/**< capacity records, indexed by Sender Sequence Number */
	uint32_t capacity;
	uint32_t sent;			/**< distinct sequence numbers sent */
	uint64_t received;		/**< distinct sequence numbers received */
	uint64_t foreign;		/**< tw_measure_foreign() calls */
	uint64_t verdict[TW_MEASURE_VERDICT_MAX];
	uint32_t highest;		/**< highest sequence number received so far */
	bool have_last;			/**< a reflection has been accepted */
	uint16_t last_refl_errest;	/**< reflector Error Estimate of the latest reply */
};

/** Distribution of a signed nanosecond quantity. All zero when n == 0. */
struct tw_measure_stat {
	uint64_t n;
	int64_t min;
	int64_t median;		/**< nearest-rank 50th percentile */
	int64_t p99;		/**< nearest-rank 99th percentile */
	int64_t max;
	int64_t mean;		/**< arithmetic mean, truncated toward zero */
};

/**
 * IP Packet Delay Variation (RFC 3393, applicability in RFC 5481): for each pair of consecutive
 * Sender Sequence Numbers (i, i+1) both received, IPDV = D(i+1) - D(i). Pairs with a loss between
 * them are skipped: the selection function is "consecutive packets", as RFC 5481 recommends.
 */
struct tw_measure_ipdv {
	uint64_t n;		/**< number of pairs */
	uint64_t mean_abs;	/**< mean of |IPDV|, truncated */
	uint64_t max_abs;	/**< max of |IPDV| */
	int64_t min;		/**< most negative IPDV */
	int64_t max;		/**< most positive IPDV */
};

/** Session summary computed by tw_measure_summarize(). */
struct tw_measure_summary {
	uint64_t sent;
	uint64_t received;		/**< distinct sequence numbers received */
	uint64_t lost;			/**< sent - received */
	double loss_pct;		/**< 100 * lost / sent; 0 when nothing was sent */
	uint64_t duplicates;		/**< extra copies of already-received sequence numbers */
	uint64_t reordered;		/**< first copies after a higher seq (RFC 4737 §3) */
	uint64_t foreign;		/**< tw_measure_foreign() + reflections for unsent seqs */

	/** RTT = (T4 - T1) - (T3 - T2), RFC 5357 §4 round-trip with turnaround removed. */
	struct tw_measure_stat rtt;
	/** Reflector turnaround T3 - T2 (one clock, so always meaningful). */
	struct tw_measure_stat turnaround;
	/** Forward T2 - T1 and backward T4 - T3, over records where both Error Estimates had S set;
	 *  one_way is false (and these are zero) when there was none. */
	struct tw_measure_stat forward;
	struct tw_measure_stat backward;
	bool one_way;

	/** IPDV of RTT, and of the forward and backward one-way delays. The one-way IPDVs are valid
	 *  even between unsynchronised clocks: a constant offset cancels in the difference, only
	 *  skew remains (RFC 3393, RFC 5481). */
	struct tw_measure_ipdv ipdv;
	struct tw_measure_ipdv ipdv_fwd;
	struct tw_measure_ipdv ipdv_bwd;

	bool have_ttl;			/**< received > 0: sender_ttl_* are valid */
	uint8_t sender_ttl_min;
	uint8_t sender_ttl_max;
	bool have_reply_ttl;		/**< some record carried the reply TTL */
	uint8_t reply_ttl_min;
	uint8_t reply_ttl_max;

	/**
	 * Reflector Sequence Number continuity, walked in Sender Sequence Number order over
	 * received records. Between received seqs a < b the reflector answered at least 1 and at
	 * most b - a packets (the ones in between may have been lost before the reflector: no
	 * number consumed, or after it: a number consumed), so the reflector seq must advance by
	 * 1 .. (b - a).
	 */
	uint64_t refl_seq_gaps;		/**< pairs where it advanced by more than 1 */
	uint64_t refl_seq_skipped;	/**< numbers skipped: reflections lost on the way back */
	uint64_t refl_seq_ooo;		/**< pairs where it did not advance or went backwards */
	uint64_t refl_seq_excess;	/**< pairs where it advanced by more than b - a */

	bool have_refl_errest;
	uint16_t refl_errest;		/**< reflector Error Estimate of the latest reply */
};

/**
 * Allocate a session able to record Sender Sequence Numbers 0 .. count-1.
 * @param count  number of packets the session will send, 1 .. TW_MEASURE_MAX_COUNT.
 * @return the session, or NULL with errno = EINVAL (bad count) or ENOMEM.
 */
struct tw_measure *tw_measure_create(uint32_t count);

/** Free a session from tw_measure_create(). NULL is accepted. */
void tw_measure_free(struct tw_measure *m);

/**
 * Record that sequence number seq was sent at t1 with Error Estimate errest.
 * @return 0, -ERANGE if seq >= capacity, -EEXIST if seq was already sent (the record is kept).
 */
int tw_measure_sent(struct tw_measure *m, uint32_t seq, uint64_t t1, uint16_t errest);

/**
 * Record a reflection. The first copy of a sent sequence number fills its record; later copies
 * only count as duplicates. A reflection for a sequence number never sent is counted as foreign.
 * @return the verdict, also counted in m->verdict[].
 */
enum tw_measure_verdict tw_measure_reflected(struct tw_measure *m,
					     const struct tw_measure_reply *r);

/** Count a datagram that is not a reflection of this session (wrong source, too short). */
void tw_measure_foreign(struct tw_measure *m);

/** Per-record quantities; the record must have TW_MEASURE_F_RECEIVED. */
int64_t tw_measure_rec_rtt(const struct tw_measure_rec *r);
int64_t tw_measure_rec_turnaround(const struct tw_measure_rec *r);
int64_t tw_measure_rec_forward(const struct tw_measure_rec *r);
int64_t tw_measure_rec_backward(const struct tw_measure_rec *r);
/** True when both Error Estimates of the record had S set, so one-way delays mean something. */
bool tw_measure_rec_synced(const struct tw_measure_rec *r);

/** Violations reported by tw_measure_check_order(). */
enum tw_measure_order_bits {
	TW_MEASURE_ORDER_T1_T2 = 0x1,	/**< T2 < T1 by more than the stated errors */
	TW_MEASURE_ORDER_T2_T3 = 0x2,	/**< T3 < T2: one clock, no tolerance */
	TW_MEASURE_ORDER_T3_T4 = 0x4,	/**< T4 < T3 by more than the stated errors */
};

/**
 * Check causality of a received record. T2 <= T3 must hold exactly (the reflector's own clock).
 * T1 <= T2 and T3 <= T4 cross clocks, so each may be violated by up to the sum of the two
 * Error Estimates (tw_ts_errest_ns(), passed in as ns) plus slack_ns (timestamp format rounding).
 * @param sender_err_ns  error bound stated by the sender's Error Estimate.
 * @param refl_err_ns    error bound stated by the reflector's Error Estimate.
 * @return 0 when consistent, else an OR of enum tw_measure_order_bits.
 */
unsigned int tw_measure_check_order(const struct tw_measure_rec *r, uint64_t sender_err_ns,
				    uint64_t refl_err_ns, uint64_t slack_ns);

/**
 * Sort v[0..n-1] in place and fill st with its nearest-rank distribution.
 * n == 0 gives an all-zero st.
 */
void tw_measure_stat_compute(int64_t *v, size_t n, struct tw_measure_stat *st);

/**
 * Nearest-rank percentile of sorted v[0..n-1]: v[ceil(pct * n / 100) - 1], with pct in 0..100
 * (0 gives v[0]). n must be > 0.
 */
int64_t tw_measure_percentile(const int64_t *sorted, size_t n, unsigned int pct);

/**
 * Compute the summary. Allocates scratch arrays for the sorts (report time only).
 * @return 0, or -ENOMEM (s is then zeroed).
 */
int tw_measure_summarize(const struct tw_measure *m, struct tw_measure_summary *s);

/**
 * Summary of several sessions taken together (twamp-client's total over the test sessions of one
 * TWAMP-Control connection). Counts are sums; distributions are over the union of every session's
 * samples; IPDV pairs and reflector Sequence Number continuity are taken within each session only
 * (consecutive numbers of different sessions are unrelated packets); TTL ranges are the union;
 * refl_errest is that of the last session in ms[] that received anything.
 * With nb == 1 the result equals tw_measure_summarize(ms[0]).
 * @param ms  nb sessions (nb may be 0: an all-zero summary).
 * @return 0, or -ENOMEM (s is then zeroed).
 */
int tw_measure_summarize_many(const struct tw_measure *const *ms, size_t nb,
			      struct tw_measure_summary *s);

/** Name of a verdict for reports, "unknown" when out of range. */
const char *tw_measure_verdict_name(enum tw_measure_verdict v);

#endif /* TW_MEASURE_H */
