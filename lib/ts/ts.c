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
	/* Until the caller knows better, claim nothing (RFC 4656 §4.1.2: S clear, 1 s). */
	m->cur.errest = tw_ts_errest_encode(false, false, NSEC);
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

uint16_t
tw_ts_sync_errest(const struct tw_ts_sync *s)
{
	bool synced;
	uint64_t err;

	switch (s->synced_override) {
	case 0:
		synced = false;
		break;
	case 1:
		synced = true;
		break;
	default:
		synced = !s->kernel_unsync;
		break;
	}

	if (synced) {
		/*
		 * The kernel clock's error and the model's distance from the kernel clock add up,
		 * so the bound is their sum, and never under the 1 us the model can do: RFC 4656
		 * §4.1.2 asks for an estimate, and one that flatters us would corrupt every
		 * measurement made against it.
		 */
		uint64_t off = s->model_offset_ns < 0 ? -(uint64_t)s->model_offset_ns :
						       (uint64_t)s->model_offset_ns;

		err = sat_mul_1000(s->esterror_us);
		err = err > UINT64_MAX - off ? UINT64_MAX : err + off;
		if (err < SYNC_FLOOR_NS)
			err = SYNC_FLOOR_NS;
	} else {
		err = s->maxerror_us != 0 ? sat_mul_1000(s->maxerror_us) : NSEC;
	}
	return tw_ts_errest_encode(synced, s->ptp, err);
}
