/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Timestamp wire formats, the Error Estimate, the counter-to-wall-clock model and its
 * publication to the data path. Pure C: the caller supplies every counter value and clock sample.
 */
#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/timex.h>

#include "tw_ts.h"

/* 2^32 and its half do not fit an int, so they cannot be enum constants. */
#define FRAC_ONE (1ULL << 32)
#define FRAC_HALF (1ULL << 31)
#define NSEC TW_TS_NSEC_PER_SEC

enum errest_limits {
	ERREST_MULT_MASK = 0xff,
	ERREST_MULT_MAX = 0xff,
	ERREST_SCALE_SHIFT = 8,
	ERREST_SCALE_MASK = 0x3f,
	ERREST_SCALE_MAX = 63,
};

enum model_defaults {
	MODEL_STEP_NS = 100000000,	/* 100 ms */
	MODEL_MAX_SLEW_PPB = 500000,	/* 500 ppm, the kernel's own slew limit */
};

enum sync_limits {
	SYNC_FLOOR_NS = 1000,		/* the model is never better than 1 us */
};

static_assert(sizeof(struct tw_ts_params) == sizeof(((struct tw_ts_pub *)0)->w),
	"tw_ts_pub must hold tw_ts_params as whole words");

uint64_t
tw_ts_ntp_from_unix_ns(uint64_t unix_ns)
{
	uint64_t sec = unix_ns / NSEC;
	uint64_t rem = unix_ns % NSEC;
	/*
	 * Round the fraction to nearest. There is never a tie (rem * 2^32 mod 1e9 is a multiple of
	 * 2^9, 5e8 is not) and never a carry into the seconds (rem = 999999999 gives 2^32 - 4), so
	 * the fraction always fits in 32 bits.
	 */
	uint64_t frac = ((rem << 32) + NSEC / 2) / NSEC;

	/* Shifting out the top bits of the seconds is the era wrap of RFC 5905 §6. */
	return ((sec + TW_TS_NTP_UNIX_OFFSET) << 32) | frac;
}

uint64_t
tw_ts_ntp_to_unix_ns(uint64_t ntp)
{
	uint64_t sec = ntp >> 32;
	/*
	 * Round to nearest, ties up (a fraction of 2^22 is exactly 976562.5 ns). One NTP fraction
	 * unit is 0.23 ns, less than half a ns, so ns -> NTP -> ns gives back the same ns. A
	 * fraction that rounds to 1e9 carries into the seconds through the addition below.
	 */
	uint64_t ns = ((ntp & (FRAC_ONE - 1)) * NSEC + FRAC_HALF) >> 32;

	/*
	 * RFC 5905 §6: the era is not on the wire, so pick the one that puts the timestamp nearest
	 * to now: era 0 for the upper half of the 32-bit seconds (1968-2036), era 1 below
	 * (2036-2104). Era 0 seconds before 1970 have no unsigned Unix time; clamp to the epoch.
	 */
	if (sec & FRAC_HALF) {
		if (sec < TW_TS_NTP_UNIX_OFFSET)
			return 0;
		sec -= TW_TS_NTP_UNIX_OFFSET;
	} else {
		sec += FRAC_ONE - TW_TS_NTP_UNIX_OFFSET;
	}
	return sec * NSEC + ns;
}

uint64_t
tw_ts_ptp_from_unix_ns(uint64_t unix_ns)
{
	/* RFC 8186 §2.3: truncated PTP keeps the low 32 bits of the seconds and the ns as is. */
	return ((unix_ns / NSEC) << 32) | (unix_ns % NSEC);
}

uint64_t
tw_ts_ptp_to_unix_ns(uint64_t ptp)
{
	return (ptp >> 32) * NSEC + (ptp & (FRAC_ONE - 1));
}

void
tw_ts_put64(uint8_t *dst, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		dst[i] = (uint8_t)v;
		v >>= 8;
	}
}

uint64_t
tw_ts_get64(const uint8_t *src)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | src[i];
	return v;
}

uint16_t
tw_ts_errest_encode(bool synced, bool ptp, uint64_t err_ns)
{
	/*
	 * RFC 4656 §4.1.2: error = Multiplier * 2^(Scale - 32) s. Start from the Multiplier needed
	 * at Scale 0, rounded up so the stated error is never below err_ns, then halve it (still
	 * rounding up: ceil(ceil(x) / 2) == ceil(x / 2)) until it fits in 8 bits. The first Scale
	 * that fits has the finest step, so the statement is as tight as the format allows.
	 */
	unsigned __int128 mult = (((unsigned __int128)err_ns << 32) + NSEC - 1) / NSEC;
	unsigned int scale = 0;
	uint16_t ee;

	while (mult > ERREST_MULT_MAX && scale < ERREST_SCALE_MAX) {
		mult = (mult + 1) >> 1;
		scale++;
	}
	/* Unreachable from a 64-bit ns (that needs Scale 59 at most), kept for the contract. */
	if (mult > ERREST_MULT_MAX)
		mult = ERREST_MULT_MAX;
	/* RFC 4656 §4.1.2: the Multiplier MUST NOT be zero; 0 ns becomes the smallest step. */
	if (mult == 0)
		mult = 1;

	ee = (uint16_t)((scale << ERREST_SCALE_SHIFT) | (unsigned int)mult);
	if (synced)
		ee |= TW_TS_ERREST_S;
	if (ptp)
		ee |= TW_TS_ERREST_Z;
	return ee;
}

uint64_t
tw_ts_errest_ns(uint16_t ee)
{
	uint64_t mult = ee & ERREST_MULT_MASK;
	unsigned int scale = (ee >> ERREST_SCALE_SHIFT) & ERREST_SCALE_MASK;
	unsigned __int128 ns;

	/*
	 * A zero Multiplier breaks RFC 4656 §4.1.2's MUST NOT: the sender stated no bound at all,
	 * so the only honest upper bound is "unknown".
	 */
	if (mult == 0)
		return UINT64_MAX;
	/* mult * 1e9 < 2^38, so the shift stays below 2^101. Round up: this is an upper bound. */
	ns = ((unsigned __int128)(mult * NSEC) << scale) + FRAC_ONE - 1;
	ns >>= 32;
	return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

uint64_t
tw_ts_params_ns(const struct tw_ts_params *p, uint64_t cnt)
{
	uint64_t d = cnt - p->base_cnt;
	uint64_t back;

	if (d <= INT64_MAX)
		return p->base_ns + (uint64_t)(((unsigned __int128)d * p->mult) >> 32);
	/*
	 * A counter value taken just before the params were published (a NIC timestamp of a packet
	 * already in the ring) is behind base_cnt: extrapolate backwards on the same line instead
	 * of wrapping to a time centuries ahead.
	 */
	d = p->base_cnt - cnt;
	back = (uint64_t)(((unsigned __int128)d * p->mult) >> 32);
	return back > p->base_ns ? 0 : p->base_ns - back;
}

/* ns per count in 32.32 for a counter running at hz * (1 + drift_ppb / 1e9), rounded. */
static uint64_t
mult_from_drift(uint64_t hz, int64_t drift_ppb)
{
	unsigned __int128 num = ((unsigned __int128)NSEC * NSEC) << 32;
	unsigned __int128 den;
	unsigned __int128 mult;

	if (drift_ppb <= -(int64_t)NSEC)
		drift_ppb = 0;
	den = (unsigned __int128)hz * (uint64_t)((int64_t)NSEC + drift_ppb);
	mult = (num + den / 2) / den;
	if (mult == 0)
		return 1;
	return mult > UINT64_MAX ? UINT64_MAX : (uint64_t)mult;
}

/*
 * Counter rate between the previous sample and (cnt, ns): ns per count in 32.32 and its
 * deviation from the nominal hz in ppb. False when the interval gives no usable rate (no counts,
 * wall clock not advancing, or numbers too large for the 128-bit arithmetic below).
 */
static bool
measure_rate(const struct tw_ts_model *m, uint64_t cnt, uint64_t ns, uint64_t *rate,
	int64_t *drift_ppb)
{
	uint64_t dcnt = cnt - m->last_cnt;
	uint64_t dns = ns - m->last_ns;
	unsigned __int128 r;
	unsigned __int128 nom;	/* dns * hz: counts the interval would hold at the nominal rate */
	__int128 d;

	if (dcnt == 0 || dcnt > INT64_MAX || dns == 0 || dns > INT64_MAX)
		return false;
	r = (((unsigned __int128)dns << 32) + dcnt / 2) / dcnt;
	if (r == 0 || r > UINT64_MAX)
		return false;
	nom = (unsigned __int128)dns * m->hz;
	if (nom >> 96)
		return false;

	/* drift = (dcnt * 1e9 / dns - hz) / hz * 1e9, kept exact until the final division. */
	d = ((__int128)((unsigned __int128)dcnt * NSEC) - (__int128)nom) * (__int128)NSEC;
	d = (d >= 0 ? d + (__int128)(nom / 2) : d - (__int128)(nom / 2)) / (__int128)nom;
	if (d > INT64_MAX)
		d = INT64_MAX;
	else if (d < INT64_MIN)
		d = INT64_MIN;

	*rate = (uint64_t)r;
	*drift_ppb = (int64_t)d;
	return true;
}

int
tw_ts_model_init(struct tw_ts_model *m, uint64_t hz, uint64_t cnt, uint64_t ns)
{
	if (m == NULL || hz == 0)
		return -EINVAL;

	memset(m, 0, sizeof(*m));
	m->hz = hz;
	m->step_ns = MODEL_STEP_NS;
	m->max_slew_ppb = MODEL_MAX_SLEW_PPB;
	m->cur.base_cnt = cnt;
	m->cur.base_ns = ns;
	m->cur.mult = mult_from_drift(hz, 0);
	/* Until the caller knows better, claim nothing (RFC 4656 §4.1.2: S clear, unknown). */
	m->cur.errest = tw_ts_errest_encode(false, false, TW_TS_ERR_UNKNOWN_NS);
	m->last_cnt = cnt;
	m->last_ns = ns;
	m->samples = 1;
	return 0;
}

void
tw_ts_model_update(struct tw_ts_model *m, uint64_t cnt, uint64_t ns, uint64_t slew_cnt)
{
	uint64_t model = tw_ts_params_ns(&m->cur, cnt);
	int64_t offset = (int64_t)(ns - model);
	uint64_t mag = offset < 0 ? -(uint64_t)offset : (uint64_t)offset;
	uint64_t rate;
	uint64_t slew_ppb;
	int64_t drift;
	bool measured = measure_rate(m, cnt, ns, &rate, &drift);
	__int128 lim;
	__int128 adj;
	__int128 mult;

	m->samples++;
	m->offset_ns = offset;
	m->last_cnt = cnt;
	m->last_ns = ns;

	if (mag > m->step_ns) {
		/*
		 * The wall clock was stepped (or the model was never right): the rate measured
		 * across the step is meaningless, so restart at the sample with the rate measured
		 * before it (nominal if there was none). The data path sees this one jump.
		 */
		m->cur.base_cnt = cnt;
		m->cur.base_ns = ns;
		m->cur.mult = mult_from_drift(m->hz, m->drift_ppb);
		m->steps++;
		return;
	}

	if (measured)
		m->drift_ppb = drift;
	else
		rate = mult_from_drift(m->hz, m->drift_ppb);

	/*
	 * Run at the measured rate plus whatever closes the offset over slew_cnt counts, but never
	 * more than max_slew_ppb off the measured rate: the data path must see a clock that slews,
	 * not one that jumps. The limit is below 100%, so the rate stays positive and the model
	 * monotonic; base_ns is the old model's value at cnt, so there is no jump at the seam.
	 */
	slew_ppb = m->max_slew_ppb < NSEC ? m->max_slew_ppb : NSEC - 1;
	lim = (__int128)((unsigned __int128)rate * slew_ppb / NSEC);
	adj = ((__int128)offset * (__int128)FRAC_ONE) / (__int128)(slew_cnt != 0 ? slew_cnt : 1);

	if (adj > lim)
		adj = lim;
	else if (adj < -lim)
		adj = -lim;
	mult = (__int128)rate + adj;
	if (mult < 1)
		mult = 1;
	else if (mult > (__int128)UINT64_MAX)
		mult = (__int128)UINT64_MAX;

	m->cur.base_cnt = cnt;
	m->cur.base_ns = model;
	m->cur.mult = (uint64_t)mult;
}

/*
 * The sequence counter follows Boehm, "Can seqlocks get along with programming language memory
 * models?" (MSPC 2012), as Linux seqcount and DPDK rte_seqcount do. The protected words are
 * accessed with relaxed atomics (GCC builtins: the header keeps them plain uint64_t) so a reader
 * racing a writer reads stale or torn words, which the sequence check throws away, but never
 * has a data race under the C11 model.
 */
void
tw_ts_pub_store(struct tw_ts_pub *pub, const struct tw_ts_params *p)
{
	uint64_t w[sizeof(pub->w) / 8];
	uint32_t seq = atomic_load_explicit(&pub->seq, memory_order_relaxed);

	memcpy(w, p, sizeof(w));
	/* Odd: readers that see it (or the new words) retry. */
	atomic_store_explicit(&pub->seq, seq + 1, memory_order_relaxed);
	/* Orders the odd seq before the word stores (pairs with the reader's acquire fence). */
	atomic_thread_fence(memory_order_release);
	for (size_t i = 0; i < sizeof(w) / 8; i++)
		__atomic_store_n(&pub->w[i], w[i], __ATOMIC_RELAXED);
	/* Even again: publishes the words to readers that load-acquire it. */
	atomic_store_explicit(&pub->seq, seq + 2, memory_order_release);
}

void
tw_ts_pub_load(const struct tw_ts_pub *pub, struct tw_ts_params *out)
{
	uint64_t w[sizeof(pub->w) / 8];
	uint32_t s1;
	uint32_t s2 = 0;

	do {
		/* Acquire: the words read below are at least as new as this seq. */
		s1 = atomic_load_explicit(&pub->seq, memory_order_acquire);
		if (s1 & 1)
			continue; /* a write is in progress; the writer never blocks, so spin */
		for (size_t i = 0; i < sizeof(w) / 8; i++)
			w[i] = __atomic_load_n(&pub->w[i], __ATOMIC_RELAXED);
		/* Keeps the word loads before the second seq load. */
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&pub->seq, memory_order_relaxed);
	} while ((s1 & 1) || s1 != s2);
	memcpy(out, w, sizeof(w));
}

static uint64_t
sat_mul_1000(uint64_t v)
{
	return v > UINT64_MAX / 1000 ? UINT64_MAX : v * 1000;
}

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t
magnitude(int64_t v)
{
	return v < 0 ? -(uint64_t)v : (uint64_t)v;
}

static const char *const source_names[TW_TS_SRC_MAX] = {
	[TW_TS_SRC_REALTIME] = "realtime",
	[TW_TS_SRC_TAI] = "tai",
	[TW_TS_SRC_PHC] = "phc",
};

static const char *const why_names[TW_TS_WHY_MAX] = {
	[TW_TS_WHY_KERNEL] = "kernel",
	[TW_TS_WHY_CONFIGURED] = "configured",
	[TW_TS_WHY_KERNEL_UNSYNC] = "kernel_unsync",
	[TW_TS_WHY_CONFIGURED_UNSYNC] = "configured_unsync",
	[TW_TS_WHY_PHC_UNCONFIGURED] = "phc_not_configured",
	[TW_TS_WHY_TAI_UNKNOWN] = "tai_offset_unknown",
	[TW_TS_WHY_SOURCE_LOST] = "source_lost",
};

const char *
tw_ts_source_str(enum tw_ts_source src)
{
	return (unsigned int)src < TW_TS_SRC_MAX ? source_names[src] : "?";
}

const char *
tw_ts_sync_why_str(enum tw_ts_sync_why why)
{
	return (unsigned int)why < TW_TS_WHY_MAX ? why_names[why] : "?";
}

/*
 * RFC 4656 §4.1.2: S is set "if the party generating the timestamp has a clock that is
 * synchronized to UTC using an external source", and SHOULD NOT be set otherwise. The checks
 * run from what we know to be wrong (a lost source, a PHC whose distance to UTC is unknown)
 * to what the operator says, to what the kernel says: an assertion in the config never hides a
 * fault the reflector can see.
 */
static enum tw_ts_sync_why
sync_why(const struct tw_ts_sync *s)
{
	bool phc = s->source == TW_TS_SRC_PHC;

	if (s->source_lost)
		return TW_TS_WHY_SOURCE_LOST;
	/*
	 * A PHC under ptp4l counts TAI; without TAI - UTC its UTC is off by 37 s. (CLOCK_TAI
	 * with a zero offset is CLOCK_REALTIME, still UTC, so it needs no such check.)
	 */
	if (phc && s->tai_s <= 0)
		return TW_TS_WHY_TAI_UNKNOWN;
	if (s->synced_override == 0)
		return TW_TS_WHY_CONFIGURED_UNSYNC;
	if (s->synced_override == 1)
		return TW_TS_WHY_CONFIGURED;
	/* adjtimex speaks for CLOCK_REALTIME only: nothing vouches for a PHC on its own. */
	if (phc)
		return TW_TS_WHY_PHC_UNCONFIGURED;
	return s->kernel_unsync ? TW_TS_WHY_KERNEL_UNSYNC : TW_TS_WHY_KERNEL;
}

void
tw_ts_sync_decide(const struct tw_ts_sync *s, struct tw_ts_sync_state *out)
{
	bool phc = s->source == TW_TS_SRC_PHC;
	bool claimed = false;
	uint64_t err;

	out->why = sync_why(s);
	out->synced = out->why == TW_TS_WHY_KERNEL || out->why == TW_TS_WHY_CONFIGURED;

	/*
	 * 1. The source's own error against UTC. RFC 4656 §4.1.2 asks for "an estimate of the
	 * error", and receivers use it as a bound (twamp-client checks T1 <= T2 <= T3 <= T4
	 * within it), so it must never understate: an estimate that flatters us corrupts every
	 * measurement made against it. Of the kernel's two figures, maxerror is the bound: the
	 * time daemon sets it (chrony and ntpd to the root distance) and the kernel grows it by
	 * 500 ppm a second until the next update, so a dead daemon shows. esterror is a
	 * statistical estimate that can be exceeded, and is left stale by daemons that only
	 * reset maxerror (phc2sys leaves it at the 16 s it boots with; timesyncd writes 0).
	 */
	if (s->source_lost) {
		/* Free-running on the counter since the read failed: nothing bounds it. */
		err = TW_TS_ERR_UNKNOWN_NS;
	} else if (out->why == TW_TS_WHY_CONFIGURED && s->claimed_ns != 0) {
		/* The operator vouches for the clock (a PHC under ptp4l) and states its bound. */
		err = s->claimed_ns;
		claimed = true;
	} else {
		err = s->kernel_unsync && s->maxerror_us == 0 ? TW_TS_ERR_UNKNOWN_NS :
								 sat_mul_1000(s->maxerror_us);
		/* Without a claim, a PHC is known to UTC only through the system clock. */
		if (phc)
			err = sat_add(err, magnitude(s->realtime_offset_ns));
	}

	/*
	 * 2. The model's distance from the source: its offset at the last sample, plus 1.5 times
	 * the read bracket. A source read lands anywhere in its bracket (+-read/2 around the
	 * midpoint the model takes); with the offset closed over one interval, the model at the
	 * next sample is off by 2 n(k) - n(k-1) from those read errors, so up to 3 * read/2
	 * (docs/timestamps.rst derives it, tests/unit/test_ts.c measures it).
	 */
	err = sat_add(err, magnitude(s->model_offset_ns));
	err = sat_add(err, sat_add(s->read_ns, s->read_ns / 2));

	/*
	 * 3. A floor: a software clock is never stated better than 1 us. A PHC claimed better
	 * than that is floored by its own read term instead, which is measured: PCIe reads of a
	 * NIC clock take a microsecond or more, so a sub-microsecond claim still states what the
	 * model can hold. Unmeasured (read_ns 0), the 1 us floor stays.
	 */
	if (!(claimed && phc && s->claimed_ns < SYNC_FLOOR_NS && s->read_ns != 0) &&
	    err < SYNC_FLOOR_NS)
		err = SYNC_FLOOR_NS;

	out->err_ns = err;
	/* The Z bit is the packet's format (RFC 8186 §2.3): the data path sets it, never us. */
	out->errest = tw_ts_errest_encode(out->synced, false, err);
}

uint16_t
tw_ts_sync_errest(const struct tw_ts_sync *s)
{
	struct tw_ts_sync_state st;

	tw_ts_sync_decide(s, &st);
	/* RFC 8186 §2.3: Z says the timestamps next to this estimate are PTPv2. */
	return s->ptp ? (uint16_t)(st.errest | TW_TS_ERREST_Z) : st.errest;
}

uint64_t
tw_ts_utc_from_tai_ns(uint64_t tai_ns, int32_t tai_s)
{
	uint64_t off;

	if (tai_s < 0)
		return sat_add(tai_ns, (uint64_t)-(int64_t)tai_s * NSEC);
	off = (uint64_t)tai_s * NSEC;
	return tai_ns > off ? tai_ns - off : 0;
}

void
tw_ts_sync_read_kernel(struct tw_ts_sync *s)
{
	struct timex tx = { 0 };
	int state = adjtimex(&tx);
	bool ok = state != -1;

	s->kernel_unsync = !ok || state == TIME_ERROR || (tx.status & STA_UNSYNC);
	s->esterror_us = ok && tx.esterror > 0 ? (uint64_t)tx.esterror : 0;
	s->maxerror_us = ok && tx.maxerror > 0 ? (uint64_t)tx.maxerror : 0;
	s->tai_s = ok && tx.tai > 0 ? tx.tai : 0;
}
