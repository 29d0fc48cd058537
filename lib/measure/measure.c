/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tw_measure.h"

/* RFC 4656 §4.1.2 Error Estimate S bit (lib/ts TW_TS_ERREST_S; this library stays standalone). */
enum { ERREST_S = 0x8000 };

static const char *const verdict_names[TW_MEASURE_VERDICT_MAX] = {
	[TW_MEASURE_OK] = "ok",
	[TW_MEASURE_REORDERED] = "reordered",
	[TW_MEASURE_DUPLICATE] = "duplicate",
	[TW_MEASURE_UNKNOWN_SEQ] = "unknown_seq",
};

const char *
tw_measure_verdict_name(enum tw_measure_verdict v)
{
	if ((unsigned int)v >= TW_MEASURE_VERDICT_MAX)
		return "unknown";
	return verdict_names[v];
}

struct tw_measure *
tw_measure_create(uint32_t count)
{
	struct tw_measure *m;

	if (count == 0 || count > TW_MEASURE_MAX_COUNT) {
		errno = EINVAL;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	/* All records up front: recording a packet must never allocate. */
	m->rec = calloc(count, sizeof(*m->rec));
	if (m->rec == NULL) {
		free(m);
		errno = ENOMEM;
		return NULL;
	}
	m->capacity = count;
	return m;
}

void
tw_measure_free(struct tw_measure *m)
{
	if (m == NULL)
		return;
	free(m->rec);
	free(m);
}

int
tw_measure_sent(struct tw_measure *m, uint32_t seq, uint64_t t1, uint16_t errest)
{
	struct tw_measure_rec *r;

	if (seq >= m->capacity)
		return -ERANGE;
	r = &m->rec[seq];
	if (r->flags & TW_MEASURE_F_SENT)
		return -EEXIST;
	r->t1 = t1;
	r->sender_errest = errest;
	r->flags |= TW_MEASURE_F_SENT;
	m->sent++;
	return 0;
}

enum tw_measure_verdict
tw_measure_reflected(struct tw_measure *m, const struct tw_measure_reply *rp)
{
	enum tw_measure_verdict v = TW_MEASURE_OK;
	struct tw_measure_rec *r;

	/* The Sender Sequence Number comes from the network: range-check before indexing. */
	if (rp->sender_seq >= m->capacity || !(m->rec[rp->sender_seq].flags & TW_MEASURE_F_SENT)) {
		v = TW_MEASURE_UNKNOWN_SEQ;
		goto out;
	}
	r = &m->rec[rp->sender_seq];
	if (r->flags & TW_MEASURE_F_RECEIVED) {
		/* Keep the first copy: a later one carries a later T4 and would skew the delay. */
		if (r->dups < UINT8_MAX)
			r->dups++;
		v = TW_MEASURE_DUPLICATE;
		goto out;
	}
	r->t2 = rp->t2;
	r->t3 = rp->t3;
	r->t4 = rp->t4;
	r->refl_seq = rp->refl_seq;
	r->refl_errest = rp->refl_errest;
	r->sender_ttl = rp->sender_ttl;
	if (rp->reply_ttl >= 0 && rp->reply_ttl <= UINT8_MAX) {
		r->reply_ttl = (uint8_t)rp->reply_ttl;
		r->flags |= TW_MEASURE_F_REPLY_TTL;
	}
	r->flags |= TW_MEASURE_F_RECEIVED;
	r->arrival = (uint32_t)m->received;
	m->received++;

	/* RFC 4737 §3: a packet is reordered when its sequence number is below the next expected
	 * one, i.e. not above the highest seen so far (a first copy never equals it). */
	if (m->have_last && rp->sender_seq < m->highest)
		v = TW_MEASURE_REORDERED;
	else
		m->highest = rp->sender_seq;
	m->have_last = true;
	m->last_refl_errest = rp->refl_errest;
out:
	m->verdict[v]++;
	return v;
}

void
tw_measure_foreign(struct tw_measure *m)
{
	m->foreign++;
}

/*
 * Differences are taken in unsigned arithmetic and then reinterpreted: two Unix-ns timestamps
 * from different clocks may be in either order, and the signed result is what the report wants.
 */
static int64_t
diff_ns(uint64_t later, uint64_t earlier)
{
	return (int64_t)(later - earlier);
}

int64_t
tw_measure_rec_rtt(const struct tw_measure_rec *r)
{
	/* RFC 5357 §4: round trip minus the time the packet spent inside the reflector. Unsigned
	 * until the end so that garbage T2/T3 from a broken reflector cannot overflow a signed
	 * subtraction. */
	return (int64_t)((r->t4 - r->t1) - (r->t3 - r->t2));
}

int64_t
tw_measure_rec_turnaround(const struct tw_measure_rec *r)
{
	return diff_ns(r->t3, r->t2);
}

int64_t
tw_measure_rec_forward(const struct tw_measure_rec *r)
{
	return diff_ns(r->t2, r->t1);
}

int64_t
tw_measure_rec_backward(const struct tw_measure_rec *r)
{
	return diff_ns(r->t4, r->t3);
}

bool
tw_measure_rec_synced(const struct tw_measure_rec *r)
{
	/* RFC 4656 §4.1.2: S set means the clock is synchronised to UTC by an external source;
	 * a one-way delay is only meaningful when both ends say so. */
	return (r->sender_errest & ERREST_S) && (r->refl_errest & ERREST_S);
}

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

unsigned int
tw_measure_check_order(const struct tw_measure_rec *r, uint64_t sender_err_ns,
		       uint64_t refl_err_ns, uint64_t slack_ns)
{
	uint64_t tol = sat_add(sat_add(sender_err_ns, refl_err_ns), slack_ns);
	unsigned int bad = 0;

	if (r->t1 > r->t2 && r->t1 - r->t2 > tol)
		bad |= TW_MEASURE_ORDER_T1_T2;
	/* T2 and T3 are read from the same reflector clock: no error budget applies. */
	if (r->t2 > r->t3)
		bad |= TW_MEASURE_ORDER_T2_T3;
	if (r->t3 > r->t4 && r->t3 - r->t4 > tol)
		bad |= TW_MEASURE_ORDER_T3_T4;
	return bad;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a;
	int64_t y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int64_t
tw_measure_percentile(const int64_t *sorted, size_t n, unsigned int pct)
{
	uint64_t rank;

	if (pct > 100)
		pct = 100;
	/* Nearest rank: ceil(pct * n / 100), 1-based; rank 0 (pct 0) means the minimum. */
	rank = ((uint64_t)pct * n + 99) / 100;
	if (rank == 0)
		rank = 1;
	return sorted[rank - 1];
}

void
tw_measure_stat_compute(int64_t *v, size_t n, struct tw_measure_stat *st)
{
	__int128 sum = 0;

	memset(st, 0, sizeof(*st));
	if (n == 0)
		return;
	qsort(v, n, sizeof(*v), cmp_i64);
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	st->n = n;
	st->min = v[0];
	st->max = v[n - 1];
	st->median = tw_measure_percentile(v, n, 50);
	st->p99 = tw_measure_percentile(v, n, 99);
	/* 128-bit sum: 5e7 samples of up to 2^63 ns cannot overflow it; C division truncates. */
	st->mean = (int64_t)(sum / (__int128)n);
}

static uint64_t
abs_i64(int64_t v)
{
	return v < 0 ? -(uint64_t)v : (uint64_t)v;
}

static void
ipdv_add(struct tw_measure_ipdv *d, int64_t v, unsigned __int128 *sum_abs)
{
	uint64_t a = abs_i64(v);

	if (d->n == 0 || v < d->min)
		d->min = v;
	if (d->n == 0 || v > d->max)
		d->max = v;
	if (a > d->max_abs)
		d->max_abs = a;
	*sum_abs += a;
	d->n++;
}

static void
ipdv_finish(struct tw_measure_ipdv *d, unsigned __int128 sum_abs)
{
	if (d->n > 0)
		d->mean_abs = (uint64_t)(sum_abs / d->n);
}

/* D(i+1) - D(i) with wrap-around instead of signed overflow on absurd inputs. */
static int64_t
delta(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a - (uint64_t)b);
}

/* Running sums of |IPDV| while several sessions are walked (128 bits: no overflow). */
struct ipdv_sums {
	unsigned __int128 rtt;
	unsigned __int128 fwd;
	unsigned __int128 bwd;
};

/*
 * IPDV over consecutive Sender Sequence Numbers (RFC 3393 selection: consecutive packets) of one
 * session. Pairs never span two sessions: their packets do not share a path state.
 */
static void
compute_ipdv(const struct tw_measure *m, struct tw_measure_summary *s, struct ipdv_sums *sum)
{
	const struct tw_measure_rec *prev = NULL;

	for (uint32_t i = 0; i < m->capacity; i++) {
		const struct tw_measure_rec *r = &m->rec[i];

		if (!(r->flags & TW_MEASURE_F_RECEIVED)) {
			prev = NULL;
			continue;
		}
		if (prev != NULL) {
			ipdv_add(&s->ipdv, delta(tw_measure_rec_rtt(r), tw_measure_rec_rtt(prev)),
				 &sum->rtt);
			ipdv_add(&s->ipdv_fwd,
				 delta(tw_measure_rec_forward(r), tw_measure_rec_forward(prev)),
				 &sum->fwd);
			ipdv_add(&s->ipdv_bwd,
				 delta(tw_measure_rec_backward(r), tw_measure_rec_backward(prev)),
				 &sum->bwd);
		}
		prev = r;
	}
}

/*
 * Reflector Sequence Number continuity (RFC 5357 §4.2.1: the reflector numbers the packets it
 * sends). Between received Sender Sequence Numbers a < b, the packets a+1 .. b-1 were lost either
 * before the reflector (no number used) or after it (a number used), so a reflector counting only
 * this session advances by 1 .. b - a.
 */
static void
compute_refl_seq(const struct tw_measure *m, struct tw_measure_summary *s)
{
	const struct tw_measure_rec *prev = NULL;
	uint32_t prev_seq = 0;

	for (uint32_t i = 0; i < m->capacity; i++) {
		const struct tw_measure_rec *r = &m->rec[i];
		uint32_t step;

		if (!(r->flags & TW_MEASURE_F_RECEIVED))
			continue;
		if (prev != NULL) {
			/* Unsigned difference: the reflector's counter may wrap at 2^32. */
			step = r->refl_seq - prev->refl_seq;
			if (step == 0 || step > INT32_MAX) {
				s->refl_seq_ooo++;
			} else {
				if (step > 1) {
					s->refl_seq_gaps++;
					s->refl_seq_skipped += step - 1;
				}
				if (step > i - prev_seq)
					s->refl_seq_excess++;
			}
		}
		prev = r;
		prev_seq = i;
	}
}

/* Add one session's received records to the sample arrays and the TTL ranges. */
static void
collect(const struct tw_measure *m, struct tw_measure_summary *s, int64_t *rtt, int64_t *ta,
	int64_t *fwd, int64_t *bwd, size_t *n, size_t *nsync)
{
	for (uint32_t i = 0; i < m->capacity; i++) {
		const struct tw_measure_rec *r = &m->rec[i];

		if (!(r->flags & TW_MEASURE_F_RECEIVED))
			continue;
		rtt[*n] = tw_measure_rec_rtt(r);
		ta[*n] = tw_measure_rec_turnaround(r);
		if (!s->have_ttl || r->sender_ttl < s->sender_ttl_min)
			s->sender_ttl_min = r->sender_ttl;
		if (!s->have_ttl || r->sender_ttl > s->sender_ttl_max)
			s->sender_ttl_max = r->sender_ttl;
		s->have_ttl = true;
		if (r->flags & TW_MEASURE_F_REPLY_TTL) {
			if (!s->have_reply_ttl || r->reply_ttl < s->reply_ttl_min)
				s->reply_ttl_min = r->reply_ttl;
			if (!s->have_reply_ttl || r->reply_ttl > s->reply_ttl_max)
				s->reply_ttl_max = r->reply_ttl;
			s->have_reply_ttl = true;
		}
		if (tw_measure_rec_synced(r)) {
			fwd[*nsync] = tw_measure_rec_forward(r);
			bwd[*nsync] = tw_measure_rec_backward(r);
			(*nsync)++;
		}
		(*n)++;
	}
}

int
tw_measure_summarize_many(const struct tw_measure *const *ms, size_t nb,
			  struct tw_measure_summary *s)
{
	int64_t *rtt = NULL, *ta = NULL, *fwd = NULL, *bwd = NULL;
	struct ipdv_sums sums = { 0 };
	size_t n = 0, nsync = 0;
	uint64_t received = 0;
	int ret = 0;

	memset(s, 0, sizeof(*s));
	for (size_t k = 0; k < nb; k++) {
		const struct tw_measure *m = ms[k];

		s->sent += m->sent;
		received += m->received;
		s->duplicates += m->verdict[TW_MEASURE_DUPLICATE];
		s->reordered += m->verdict[TW_MEASURE_REORDERED];
		s->foreign += m->foreign + m->verdict[TW_MEASURE_UNKNOWN_SEQ];
		if (m->have_last) {
			/* The sessions ran concurrently: "latest" is only defined within one, so
			 * the last session (in the order given) that received anything speaks. */
			s->have_refl_errest = true;
			s->refl_errest = m->last_refl_errest;
		}
	}
	s->received = received;
	s->lost = s->sent - s->received;
	s->loss_pct = s->sent ? 100.0 * (double)s->lost / (double)s->sent : 0.0;

	if (received > 0) {
		rtt = malloc(received * sizeof(*rtt));
		ta = malloc(received * sizeof(*ta));
		fwd = malloc(received * sizeof(*fwd));
		bwd = malloc(received * sizeof(*bwd));
		if (rtt == NULL || ta == NULL || fwd == NULL || bwd == NULL) {
			memset(s, 0, sizeof(*s));
			ret = -ENOMEM;
			goto out;
		}
	}
	for (size_t k = 0; k < nb; k++) {
		collect(ms[k], s, rtt, ta, fwd, bwd, &n, &nsync);
		compute_ipdv(ms[k], s, &sums);
		compute_refl_seq(ms[k], s);
	}
	ipdv_finish(&s->ipdv, sums.rtt);
	ipdv_finish(&s->ipdv_fwd, sums.fwd);
	ipdv_finish(&s->ipdv_bwd, sums.bwd);
	tw_measure_stat_compute(rtt, n, &s->rtt);
	tw_measure_stat_compute(ta, n, &s->turnaround);
	tw_measure_stat_compute(fwd, nsync, &s->forward);
	tw_measure_stat_compute(bwd, nsync, &s->backward);
	s->one_way = nsync > 0;
out:
	free(rtt);
	free(ta);
	free(fwd);
	free(bwd);
	return ret;
}

int
tw_measure_summarize(const struct tw_measure *m, struct tw_measure_summary *s)
{
	return tw_measure_summarize_many(&m, 1, s);
}
