/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-packet reflect decision and rewrite: parse a received frame, decide whether it is a
 * TWAMP-Test packet for this reflector, and if so turn it into the answer in place. Everything
 * a worker does to a packet between rx_burst and the T3 stamp is here, so the same code runs in
 * the appliance, the unit tests, the fuzzers and the in-memory benchmark.
 *
 * Every packet gets exactly one verdict; the app adds it to a per-worker counter, so each kind of
 * drop and each reason for the exception path has its own counter.
 */
#ifndef TW_REFL_H
#define TW_REFL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tw_flow.h"
#include "tw_ts.h"
#include "tw_wire.h"

enum tw_refl_verdict {
	TW_V_REFLECT = 0,	/* answered */
	/* Not a test packet for us: handed to the kernel through the exception path. */
	TW_V_EXC_NOT_IP,	/* ARP, LLDP, ... */
	TW_V_EXC_NOT_UDP,	/* ICMP, ICMPv6 (ND), TCP (TWAMP-Control), IPv6 extension headers */
	TW_V_EXC_FRAG,		/* IPv4 fragment */
	TW_V_EXC_IP_OPTIONS,	/* IPv4 with options */
	TW_V_EXC_NOT_TEST,	/* UDP to a port or address that is not a reflector test endpoint */
	/* Drops: counted, never answered. */
	TW_V_DROP_RUNT,		/* truncated headers */
	TW_V_DROP_BAD_L3,	/* bad IP version, header length, total length or checksum */
	TW_V_DROP_BAD_L4,	/* UDP length inconsistent */
	TW_V_DROP_BAD_CSUM,	/* UDP checksum wrong (or zero on IPv6) */
	TW_V_DROP_SHORT,	/* test packet shorter than the 14-octet Session-Sender fields */
	TW_V_DROP_BAD_SRC,	/* source that must never be answered (multicast, broadcast, ours...) */
	TW_V_DROP_FLOW_FULL,	/* no room for a new flow */
	TW_V_DROP_NO_ROOM,	/* the answer does not fit the buffer */
	TW_V_DROP_NO_SESSION,	/* to a TWAMP-Control test port with no session there */
	TW_V_MAX
};

static inline bool
tw_refl_is_exception(enum tw_refl_verdict v)
{
	return v >= TW_V_EXC_NOT_IP && v <= TW_V_EXC_NOT_TEST;
}

/* Stable snake_case name for counters and telemetry ("reflect", "drop_bad_csum", ...). */
const char *tw_refl_verdict_name(enum tw_refl_verdict v);

enum { TW_REFL_MAX_ADDRS = 16 };

/*
 * What this reflector answers: built once from the config, read-only in the data path.
 * Addresses are the reflector's own (test packets to any other address go to the kernel); each
 * says whether TWAMP Light is answered there. Sessions negotiated over TWAMP-Control are looked
 * up by the caller between tw_refl_classify() and the answer.
 */
struct tw_refl_match {
	uint64_t ports[65536 / 64];	/* bitmap of TWAMP Light UDP ports */
	uint64_t session_ports[65536 / 64];	/* control.test_ports: sessions only */
	uint8_t v4[TW_REFL_MAX_ADDRS][4];
	uint8_t v6[TW_REFL_MAX_ADDRS][16];
	uint8_t v4_light[TW_REFL_MAX_ADDRS];
	uint8_t v6_light[TW_REFL_MAX_ADDRS];
	uint8_t nb_v4;
	uint8_t nb_v6;
};

void tw_refl_match_init(struct tw_refl_match *m);
/*
 * Add a reflector address, answering TWAMP Light there or not. Adding an address again only
 * turns Light on for it when asked.
 * @return 0, -EINVAL (family not 4/6), -ENOSPC (too many addresses).
 */
int tw_refl_match_add(struct tw_refl_match *m, int family, const uint8_t *addr, bool light);
/* Same as tw_refl_match_add(m, family, addr, true). */
int tw_refl_match_add_addr(struct tw_refl_match *m, int family, const uint8_t *addr);
void tw_refl_match_add_ports(struct tw_refl_match *m, uint16_t lo, uint16_t hi);
/*
 * UDP ports reserved for TWAMP-Control sessions (control.test_ports): a packet to one of them
 * that is not a session's is dropped (TW_V_DROP_NO_SESSION), not handed to the kernel, so a
 * flood aimed at the test ports costs one session lookup and a counter.
 */
void tw_refl_match_add_session_ports(struct tw_refl_match *m, uint16_t lo, uint16_t hi);

/* Offload information the NIC gave for this packet. */
enum tw_refl_rx_flags {
	TW_RX_L3_CSUM_OK = 1 << 0,	/* IPv4 header checksum verified by hardware */
	TW_RX_L4_CSUM_OK = 1 << 1,	/* UDP checksum verified by hardware */
};

/*
 * One instant in both timestamp formats: NTP (RFC 4656 §4.1.2) and PTPv2 truncated (RFC 8186
 * §2.3), with the Error Estimate of the clock that read it, Z bit clear: each answer sets Z for
 * the format it carries. The worker fills one for T2 (per burst, or per packet from the NIC) and
 * one for T3; the answer picks its format.
 */
struct tw_refl_ts {
	uint64_t ntp;
	uint64_t ptp;
	uint16_t errest;	/* host order, without TW_REFL_ERREST_Z */
};

#define TW_REFL_ERREST_Z TW_TS_ERREST_Z	/* RFC 8186 §2.3: the timestamps are PTPv2 */

/*
 * Fill t from a UTC instant in Unix ns. PTPv2 counts TAI seconds (IEEE 1588 timescale, epoch
 * 1970-01-01 TAI), tai_s ahead of UTC (37 s since 2017; the kernel's TAI offset); NTP counts UTC.
 * errest must not carry the Z bit.
 */
static inline void
tw_refl_ts_set(struct tw_refl_ts *t, uint64_t unix_ns, uint32_t tai_s, uint16_t errest)
{
	t->ntp = tw_ts_ntp_from_unix_ns(unix_ns);
	t->ptp = tw_ts_ptp_from_unix_ns(unix_ns + (uint64_t)tai_s * TW_TS_NSEC_PER_SEC);
	t->errest = (uint16_t)(errest & ~TW_REFL_ERREST_Z);
}

/* Which format the answers to TWAMP Light carry (clock.timestamp_format). */
enum tw_refl_fmt {
	TW_REFL_FMT_NTP = 0,
	TW_REFL_FMT_PTP = 1,
	TW_REFL_FMT_SENDER = 2,	/* the sender's: its Error Estimate's Z bit (RFC 8186 §2.3) */
};

/* Per-worker reflect context. The worker owns it. */
struct tw_refl_ctx {
	const struct tw_refl_match *match;
	struct tw_flow_table *flows;
	enum tw_wire_csum_mode csum;
	enum tw_refl_fmt light_fmt;	/* TWAMP Light answers */
};

/* Result of a reflection, for the late T3 stamp. */
struct tw_refl_out {
	uint16_t len;		/* new frame length */
	uint16_t l4_off;	/* UDP header offset */
	uint16_t ts_off;	/* T3 offset in the frame */
	bool ipv6;
	bool ptp;		/* T2 (and so T3) in PTPv2 truncated format */
};

/* A received frame that tw_refl_classify() found aimed at one of the reflector's addresses. */
struct tw_refl_pkt {
	struct tw_wire_frame f;
	struct tw_flow_key key;		/* sender address/port -> reflector address/port */
	bool light;			/* TWAMP Light is answered at the destination address */
};

/*
 * Stage 1: parse the frame and find whether it is UDP to one of the reflector's addresses.
 * @return TW_V_REFLECT with *p filled (a candidate: the caller looks p->key up in its session
 * table, then calls tw_refl_light() or tw_refl_session_unauth()), or the final exception or
 * drop verdict.
 */
enum tw_refl_verdict tw_refl_classify(const struct tw_refl_ctx *c, const uint8_t *buf, size_t len,
				      unsigned int rx_flags, struct tw_refl_pkt *p);

/*
 * Stage 2, TWAMP Light: the candidate is answered if its port is a Light port (else
 * TW_V_EXC_NOT_TEST), with the sequence number of its 5-tuple in the flow table.
 */
enum tw_refl_verdict tw_refl_light(struct tw_refl_ctx *c, uint8_t *buf, size_t cap,
				   const struct tw_refl_pkt *p, unsigned int rx_flags,
				   const struct tw_refl_ts *rx_ts, uint64_t now,
				   struct tw_refl_out *out);

/*
 * Stage 2, an unauthenticated TWAMP-Test session (RFC 5357 §4.2.1; also mixed mode, RFC 5618):
 * the caller found p->key in its session table; *seq is the session's reflector sequence counter
 * (incremented when the packet is answered). reflect_len: RFC 6038 octets to reflect in the
 * standard packet format (see struct tw_wire_refl_fields), 0 otherwise. ptp: the session
 * negotiated PTPv2 timestamps (RFC 8186 Modes bit 512).
 */
enum tw_refl_verdict tw_refl_session_unauth(struct tw_refl_ctx *c, uint8_t *buf, size_t cap,
					    const struct tw_refl_pkt *p, unsigned int rx_flags,
					    uint32_t *seq, uint16_t reflect_len, bool ptp,
					    const struct tw_refl_ts *rx_ts, struct tw_refl_out *out);

/*
 * Validity checks every answer needs, for callers that build other kinds of answers (the
 * authenticated modes): payload at least min_payload octets, UDP checksum, a source that may be
 * answered. @return TW_V_REFLECT or the drop verdict.
 */
enum tw_refl_verdict tw_refl_check(const struct tw_refl_ctx *c, const uint8_t *buf,
				   const struct tw_refl_pkt *p, unsigned int rx_flags,
				   size_t min_payload);

/*
 * Stages 1 and 2 for TWAMP Light only (no session table): decide and, for TW_V_REFLECT,
 * rewrite the frame in buf (len octets received, cap octets
 * writable) into the RFC 5357 §4.2.1 answer with T2 = rx_ts (in the format c->light_fmt picks)
 * and its Error Estimate. `now` is the monotonic tick the flow table uses for idleness.
 */
enum tw_refl_verdict tw_refl_packet(struct tw_refl_ctx *c, uint8_t *buf, size_t len, size_t cap,
				    unsigned int rx_flags, const struct tw_refl_ts *rx_ts,
				    uint64_t now, struct tw_refl_out *out);

/* The format the sender of an unauthenticated packet stamps in (RFC 8186 §2.3, its Z bit). */
bool tw_refl_sender_ptp(const uint8_t *buf, const struct tw_refl_pkt *p);

/* Stamp T3 into a reflected frame, as late as possible before transmission, in T2's format. */
static inline void
tw_refl_stamp_tx(const struct tw_refl_ctx *c, uint8_t *buf, const struct tw_refl_out *o,
		 const struct tw_refl_ts *tx_ts)
{
	tw_wire_stamp_tx(buf, o->l4_off, o->ts_off, o->ptp ? tx_ts->ptp : tx_ts->ntp, c->csum);
}

#endif /* TW_REFL_H */
