/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Timestamps: NTP and PTP wire formats, the Error Estimate, and the clock model that maps a raw
 * counter (TSC today, a NIC clock later) to wall time without ever stepping in the data path.
 *
 * Pure C: nothing here reads a clock. The caller passes counter values and wall-clock samples,
 * so every function can be driven from a unit test with a simulated counter.
 */
#ifndef TW_TS_H
#define TW_TS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01). RFC 5905 §6. */
#define TW_TS_NTP_UNIX_OFFSET 2208988800ULL
#define TW_TS_NSEC_PER_SEC 1000000000ULL

/*
 * Host-order 64-bit NTP timestamp: seconds since 1900 in the upper 32 bits, binary fraction in
 * the lower 32 (RFC 4656 §4.1.2, RFC 5905 §6). Unix ns before 1970 are not representable here;
 * values past NTP era 0 (2036-02-07) wrap as the wire format does.
 */
uint64_t tw_ts_ntp_from_unix_ns(uint64_t unix_ns);
/* Inverse; assumes era 0 (1900-2036) for sec >= 2^31 and era 1 (2036-2104) below, per RFC 5905 §6
 * recommendation for timestamps near now. */
uint64_t tw_ts_ntp_to_unix_ns(uint64_t ntp);

/*
 * PTPv2 truncated timestamp as TWAMP uses it (RFC 8186 §2.3, RFC 8877): 32 bits of seconds
 * since the PTP epoch (1970-01-01 TAI; we pass the caller's seconds through unchanged) and 32 bits
 * of nanoseconds.
 */
uint64_t tw_ts_ptp_from_unix_ns(uint64_t unix_ns);
uint64_t tw_ts_ptp_to_unix_ns(uint64_t ptp);

/* Big-endian 64-bit load/store of a timestamp at an unaligned address. */
void tw_ts_put64(uint8_t *dst, uint64_t v);
uint64_t tw_ts_get64(const uint8_t *src);

/*
 * Error Estimate, RFC 4656 §4.1.2: S(1) Z(1) Scale(6) Multiplier(8), host order.
 * Error in seconds = Multiplier * 2^(-32) * 2^Scale.
 */
enum tw_ts_errest_bits {
	TW_TS_ERREST_S = 0x8000, /* clock synchronised to UTC by an external source */
	TW_TS_ERREST_Z = 0x4000, /* timestamps are PTP format (RFC 8186): per packet, not clock */
};

/*
 * Encode an error bound. The encoded value is never smaller than err_ns (rounds up: an Error
 * Estimate must not overstate accuracy). Multiplier is never 0 (RFC 4656 §4.1.2: "MUST NOT be
 * zero"). err_ns larger than representable saturates at Scale 63, Multiplier 255.
 * @return host-order 16-bit Error Estimate.
 */
uint16_t tw_ts_errest_encode(bool synced, bool ptp, uint64_t err_ns);
/* Upper bound in ns that an Error Estimate states (saturating at UINT64_MAX). */
uint64_t tw_ts_errest_ns(uint16_t ee);
static inline bool
tw_ts_errest_synced(uint16_t ee)
{
	return (ee & TW_TS_ERREST_S) != 0;
}

/*
 * Clock parameters: ns = base_ns + ((cnt - base_cnt) * mult) >> 32, computed in 128 bits.
 * Immutable once published; readers take a consistent copy with tw_ts_pub_load().
 */
struct tw_ts_params {
	uint64_t base_cnt;
	uint64_t base_ns;	/* unix ns at base_cnt */
	uint64_t mult;		/* ns per count, 32.32 fixed point */
	uint16_t errest;	/* Error Estimate of these params' clock: S, Scale, Multiplier.
				 * Never the Z bit: the stamper sets it for the format it writes. */
	uint8_t pad[6];
};

uint64_t tw_ts_params_ns(const struct tw_ts_params *p, uint64_t cnt);

/*
 * The clock model. Owned by one thread (the control lcore), fed correlated samples
 * (counter, wall ns) at a regular interval. Each update publishes params that are continuous with
 * the previous ones at the sample's counter (no step seen by the data path) and whose rate closes
 * the measured offset over the next `slew_cnt` counts, bounded to max_slew_ppb beyond the measured
 * drift. An offset larger than step_ns (the wall clock itself was stepped, or the model is new)
 * resets the model to the sample instead, and counts a step.
 */
struct tw_ts_model {
	uint64_t hz;			/* nominal counter frequency */
	uint64_t step_ns;		/* offset beyond which the model steps (default 100 ms) */
	uint64_t max_slew_ppb;		/* slew limit on top of drift (default 500000 = 500 ppm) */
	struct tw_ts_params cur;	/* params in force */
	uint64_t last_cnt;		/* previous sample */
	uint64_t last_ns;
	uint64_t samples;
	uint64_t steps;
	int64_t offset_ns;		/* wall - model at the last sample */
	int64_t drift_ppb;		/* measured counter rate vs nominal, ppb */
};

/* Start a model at one sample. hz must be > 0. @return 0, or -EINVAL. */
int tw_ts_model_init(struct tw_ts_model *m, uint64_t hz, uint64_t cnt, uint64_t ns);
/* Feed one sample; updates m->cur (and offset/drift/steps). slew_cnt > 0. */
void tw_ts_model_update(struct tw_ts_model *m, uint64_t cnt, uint64_t ns, uint64_t slew_cnt);
/* Model time at cnt with the params in force. */
static inline uint64_t
tw_ts_model_ns(const struct tw_ts_model *m, uint64_t cnt)
{
	return tw_ts_params_ns(&m->cur, cnt);
}

/*
 * Single-writer publication of params to lock-free readers (a sequence counter: readers retry
 * while a write is in progress; a writer never waits). Writer: control lcore. Readers: workers,
 * once per burst.
 */
struct tw_ts_pub {
	_Atomic uint32_t seq;	/* odd while a write is in progress */
	uint32_t pad;
	uint64_t w[sizeof(struct tw_ts_params) / 8]; /* dp: ro, cp: rw (through the functions) */
};

void tw_ts_pub_store(struct tw_ts_pub *pub, const struct tw_ts_params *p);
void tw_ts_pub_load(const struct tw_ts_pub *pub, struct tw_ts_params *out);

/*
 * The error stated when nothing bounds it: 16 s, the kernel's own ceiling for maxerror
 * (NTP_PHASE_LIMIT), where it gives up and sets STA_UNSYNC.
 */
#define TW_TS_ERR_UNKNOWN_NS 16000000000ULL

/* The wall clock a model follows (clock.source). */
enum tw_ts_source {
	TW_TS_SRC_REALTIME = 0,		/* CLOCK_REALTIME: UTC as the kernel keeps it */
	TW_TS_SRC_TAI,			/* CLOCK_TAI minus the kernel's TAI offset */
	TW_TS_SRC_PHC,			/* a PHC (/dev/ptpN), TAI under ptp4l, minus the offset */
	TW_TS_SRC_MAX,
};

/* Why a clock is stated synchronised or not (telemetry, logs). */
enum tw_ts_sync_why {
	TW_TS_WHY_KERNEL = 0,		/* S: adjtimex says synchronised (synchronized: auto) */
	TW_TS_WHY_CONFIGURED,		/* S: synchronized: yes */
	TW_TS_WHY_KERNEL_UNSYNC,	/* STA_UNSYNC, TIME_ERROR, or adjtimex failed */
	TW_TS_WHY_CONFIGURED_UNSYNC,	/* synchronized: no */
	TW_TS_WHY_PHC_UNCONFIGURED,	/* a PHC with auto: the kernel knows nothing about it */
	TW_TS_WHY_TAI_UNKNOWN,		/* a PHC (TAI) while the kernel's TAI offset is 0 */
	TW_TS_WHY_SOURCE_LOST,		/* the last read of the source failed: free-running */
	TW_TS_WHY_MAX,
};

/*
 * Everything the Error Estimate depends on, read by the caller (adjtimex(2), the source reads,
 * the model, the config). The fields after synced_override left zero describe a CLOCK_REALTIME
 * user without a claim: twamp-client fills in only the kernel's fields and synced_override -1.
 */
struct tw_ts_sync {
	bool kernel_unsync;		/* STA_UNSYNC set, adjtimex returned TIME_ERROR or failed */
	uint64_t esterror_us;		/* adjtimex esterror: shown, not used (tw_ts_sync_decide) */
	uint64_t maxerror_us;		/* adjtimex maxerror: the kernel's bound on its clock */
	int64_t model_offset_ns;	/* source - model at the last sample */
	int synced_override;		/* clock.synchronized: -1 auto, 0 no, 1 yes */
	enum tw_ts_source source;
	uint64_t claimed_ns;		/* clock.error_ns, used with "yes" only; 0: not given */
	uint64_t read_ns;		/* width of the narrowest bracket of the source reads */
	int32_t tai_s;			/* TAI - UTC applied to a source on TAI; 0: unknown */
	int64_t realtime_offset_ns;	/* PHC: model - CLOCK_REALTIME at the last sample */
	bool source_lost;		/* the last read of the source failed */
	/* A sender that stamps one format only (twamp-client): tw_ts_sync_errest() adds the Z
	 * bit for it. tw_ts_sync_decide() ignores it. */
	bool ptp;
};

/* What tw_ts_sync_decide() made of a struct tw_ts_sync. */
struct tw_ts_sync_state {
	bool synced;			/* the S bit */
	enum tw_ts_sync_why why;
	uint64_t err_ns;		/* the bound, before encoding (the encoding rounds it up) */
	uint16_t errest;		/* RFC 4656 §4.1.2 S, Scale, Multiplier; never the Z bit */
};

/*
 * Synchronisation state and error bound of the clock the data path stamps with, as the Error
 * Estimate of RFC 4656 §4.1.2 states them. Never claims synchronisation the inputs do not show.
 * The Z bit (RFC 8186) is left clear: it belongs to the format of each packet, not to the clock;
 * the data path sets it per answer. The rules are documented in docs/timestamps.rst ("Clock
 * model and Error Estimate") and at the definition.
 */
void tw_ts_sync_decide(const struct tw_ts_sync *s, struct tw_ts_sync_state *out);
/*
 * tw_ts_sync_decide()'s errest, plus the Z bit when s->ptp: for a sender whose every packet
 * has one format. The reflector publishes tw_ts_sync_decide()'s errest (no Z) instead, as its
 * answers mix formats.
 */
uint16_t tw_ts_sync_errest(const struct tw_ts_sync *s);
/*
 * The kernel's view of CLOCK_REALTIME into s, from adjtimex(2) with modes 0 (a read): whether
 * it is synchronised (kernel_unsync), its error bounds (esterror_us, maxerror_us) and the TAI
 * offset (tai_s; 0 until a time daemon sets it). Nothing else in s is touched. The reflector's
 * clock model, twamp-client and tools/udp-reflector all read it here.
 */
void tw_ts_sync_read_kernel(struct tw_ts_sync *s);
/* Names for logs and telemetry: "realtime", "tai", "phc"; "kernel", "configured", ... */
const char *tw_ts_source_str(enum tw_ts_source src);
const char *tw_ts_sync_why_str(enum tw_ts_sync_why why);

/*
 * UTC ns from a reading of a clock on TAI (CLOCK_TAI, a PHC under ptp4l): TAI - UTC is tai_s
 * seconds (37 since 2017). A reading earlier than the offset clamps to 0.
 */
uint64_t tw_ts_utc_from_tai_ns(uint64_t tai_ns, int32_t tai_s);

#endif /* TW_TS_H */
