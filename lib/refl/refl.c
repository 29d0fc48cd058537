/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include "tw_refl.h"

static const char *const verdict_names[TW_V_MAX] = {
	[TW_V_REFLECT] = "reflect",
	[TW_V_EXC_NOT_IP] = "exception_not_ip",
	[TW_V_EXC_NOT_UDP] = "exception_not_udp",
	[TW_V_EXC_FRAG] = "exception_fragment",
	[TW_V_EXC_IP_OPTIONS] = "exception_ip_options",
	[TW_V_EXC_NOT_TEST] = "exception_not_test",
	[TW_V_DROP_RUNT] = "drop_runt",
	[TW_V_DROP_BAD_L3] = "drop_bad_l3",
	[TW_V_DROP_BAD_L4] = "drop_bad_l4",
	[TW_V_DROP_BAD_CSUM] = "drop_bad_csum",
	[TW_V_DROP_SHORT] = "drop_short",
	[TW_V_DROP_BAD_SRC] = "drop_bad_src",
	[TW_V_DROP_FLOW_FULL] = "drop_flow_full",
	[TW_V_DROP_NO_SESSION] = "drop_no_session",
	[TW_V_DROP_NO_ROOM] = "drop_no_room",
};

const char *
tw_refl_verdict_name(enum tw_refl_verdict v)
{
	if ((unsigned int)v >= TW_V_MAX)
		return "unknown";
	return verdict_names[v];
}

void
tw_refl_match_init(struct tw_refl_match *m)
{
	memset(m, 0, sizeof(*m));
}

int
tw_refl_match_add(struct tw_refl_match *m, int family, const uint8_t *addr, bool light)
{
	unsigned int i;

	if (family == 4) {
		for (i = 0; i < m->nb_v4; i++) {
			if (memcmp(m->v4[i], addr, 4) == 0) {
				m->v4_light[i] |= light;
				return 0;
			}
		}
		if (m->nb_v4 == TW_REFL_MAX_ADDRS)
			return -ENOSPC;
		memcpy(m->v4[m->nb_v4], addr, 4);
		m->v4_light[m->nb_v4++] = light;
		return 0;
	}
	if (family == 6) {
		for (i = 0; i < m->nb_v6; i++) {
			if (memcmp(m->v6[i], addr, 16) == 0) {
				m->v6_light[i] |= light;
				return 0;
			}
		}
		if (m->nb_v6 == TW_REFL_MAX_ADDRS)
			return -ENOSPC;
		memcpy(m->v6[m->nb_v6], addr, 16);
		m->v6_light[m->nb_v6++] = light;
		return 0;
	}
	return -EINVAL;
}

int
tw_refl_match_add_addr(struct tw_refl_match *m, int family, const uint8_t *addr)
{
	return tw_refl_match_add(m, family, addr, true);
}

void
tw_refl_match_add_ports(struct tw_refl_match *m, uint16_t lo, uint16_t hi)
{
	for (uint32_t p = lo; p <= hi; p++)
		m->ports[p / 64] |= 1ULL << (p % 64);
}

void
tw_refl_match_add_session_ports(struct tw_refl_match *m, uint16_t lo, uint16_t hi)
{
	for (uint32_t p = lo; p <= hi; p++)
		m->session_ports[p / 64] |= 1ULL << (p % 64);
}

static inline bool
port_match(const struct tw_refl_match *m, uint16_t port)
{
	return (m->ports[port / 64] >> (port % 64)) & 1;
}

/* @return index of a in the reflector's IPv4 addresses, or -1. */
static int
v4_find(const struct tw_refl_match *m, const uint8_t *a)
{
	for (unsigned int i = 0; i < m->nb_v4; i++)
		if (memcmp(m->v4[i], a, 4) == 0)
			return (int)i;
	return -1;
}

static int
v6_find(const struct tw_refl_match *m, const uint8_t *a)
{
	for (unsigned int i = 0; i < m->nb_v6; i++)
		if (memcmp(m->v6[i], a, 16) == 0)
			return (int)i;
	return -1;
}

/*
 * A reflector answers the source address: never answer one that is not a unicast host, or the
 * reflector becomes a traffic amplifier towards a group, a broadcast domain or itself.
 */
static bool
src_ok(const struct tw_refl_match *m, const uint8_t *mac_src, const struct tw_wire_frame *f)
{
	const uint8_t *a = f->src_addr;

	if (mac_src[0] & 1)
		return false;	/* group MAC as source */
	if (!f->ipv6) {
		if (a[0] == 0 || a[0] == 127 || a[0] >= 224)
			return false;	/* this-network, loopback, multicast, reserved, broadcast */
		return v4_find(m, a) < 0;
	}
	static const uint8_t zero[16], loop[16] = { [15] = 1 };
	if (a[0] == 0xff || memcmp(a, zero, 16) == 0 || memcmp(a, loop, 16) == 0)
		return false;
	/* IPv4-mapped sources (RFC 4291 §2.5.5.2) must not reach the wire as IPv6. */
	if (memcmp(a, zero, 10) == 0 && a[10] == 0xff && a[11] == 0xff)
		return false;
	return v6_find(m, a) < 0;
}

static const enum tw_refl_verdict parse_verdict[] = {
	[TW_PARSE_UDP] = TW_V_REFLECT,
	[TW_PARSE_NOT_IP] = TW_V_EXC_NOT_IP,
	[TW_PARSE_NOT_UDP] = TW_V_EXC_NOT_UDP,
	[TW_PARSE_IP_FRAG] = TW_V_EXC_FRAG,
	[TW_PARSE_IP_OPTIONS] = TW_V_EXC_IP_OPTIONS,
	[TW_PARSE_RUNT] = TW_V_DROP_RUNT,
	[TW_PARSE_BAD_L3] = TW_V_DROP_BAD_L3,
	[TW_PARSE_BAD_L4] = TW_V_DROP_BAD_L4,
};

enum tw_refl_verdict
tw_refl_classify(const struct tw_refl_ctx *c, const uint8_t *buf, size_t len,
		 unsigned int rx_flags, struct tw_refl_pkt *p)
{
	const struct tw_refl_match *m = c->match;
	enum tw_parse_result pr;
	size_t alen;
	int i;

	pr = tw_wire_parse(buf, len, rx_flags & TW_RX_L3_CSUM_OK, &p->f);
	if (pr != TW_PARSE_UDP)
		return parse_verdict[pr];
	if (p->f.ipv6) {
		i = v6_find(m, p->f.dst_addr);
		p->light = i >= 0 && m->v6_light[i];
	} else {
		i = v4_find(m, p->f.dst_addr);
		p->light = i >= 0 && m->v4_light[i];
	}
	if (i < 0)
		return TW_V_EXC_NOT_TEST;

	alen = p->f.ipv6 ? 16 : 4;
	memset(&p->key, 0, sizeof(p->key));
	memcpy(p->key.src, p->f.src_addr, alen);
	memcpy(p->key.dst, p->f.dst_addr, alen);
	p->key.sport = p->f.src_port;
	p->key.dport = p->f.dst_port;
	p->key.family = p->f.ipv6 ? 6 : 4;
	return TW_V_REFLECT;
}

enum tw_refl_verdict
tw_refl_check(const struct tw_refl_ctx *c, const uint8_t *buf, const struct tw_refl_pkt *p,
	      unsigned int rx_flags, size_t min_payload)
{
	/* From here on the packet is aimed at a test endpoint: anything wrong is a counted drop. */
	if (p->f.pl_len < min_payload)
		return TW_V_DROP_SHORT;
	if (!(rx_flags & TW_RX_L4_CSUM_OK) && !tw_wire_udp_csum_ok(buf, &p->f))
		return TW_V_DROP_BAD_CSUM;
	if (!src_ok(c->match, buf + 6, &p->f))
		return TW_V_DROP_BAD_SRC;
	return TW_V_REFLECT;
}

/* The answer fits cap: as tw_wire_reflect_unauth() sizes it. */
static bool
room_ok(const struct tw_refl_pkt *p, size_t cap, uint16_t reflect_len)
{
	size_t avail = p->f.pl_len - TW_WIRE_SENDER_UNAUTH_MIN;	/* checked >= 14 before */
	size_t rl = reflect_len < avail ? reflect_len : avail;
	size_t pl = TW_WIRE_REFL_UNAUTH_MIN + rl;

	if (pl < p->f.pl_len)
		pl = p->f.pl_len;
	return (size_t)p->f.pl_off + pl <= cap;
}

static void
answer_unauth(struct tw_refl_ctx *c, uint8_t *buf, size_t cap, const struct tw_refl_pkt *p,
	      unsigned int rx_flags, uint32_t seq, uint16_t reflect_len, bool ptp,
	      const struct tw_refl_ts *rx_ts, struct tw_refl_out *out)
{
	struct tw_wire_refl_fields v = { .seq = seq, .rx_ts = ptp ? rx_ts->ptp : rx_ts->ntp,
					 .err_est = (uint16_t)(rx_ts->errest |
							       (ptp ? TW_REFL_ERREST_Z : 0)),
					 .l3_sw_verified = !(rx_flags & TW_RX_L3_CSUM_OK),
					 .l4_sw_verified = !(rx_flags & TW_RX_L4_CSUM_OK),
					 .reflect_len = reflect_len };

	out->len = (uint16_t)tw_wire_reflect_unauth(buf, cap, &p->f, &v, c->csum);
	out->l4_off = p->f.l4_off;
	out->ts_off = (uint16_t)(p->f.pl_off + TW_REFL_OFF_TX_TS);
	out->ipv6 = p->f.ipv6;
	out->ptp = ptp;
}

bool
tw_refl_sender_ptp(const uint8_t *buf, const struct tw_refl_pkt *p)
{
	/* Unauthenticated sender packet: Sequence Number (4), Timestamp (8), Error Estimate (2);
	 * tw_refl_check() has made sure the payload holds at least that much. */
	return (buf[p->f.pl_off + 12] & (TW_REFL_ERREST_Z >> 8)) != 0;
}

enum tw_refl_verdict
tw_refl_light(struct tw_refl_ctx *c, uint8_t *buf, size_t cap, const struct tw_refl_pkt *p,
	      unsigned int rx_flags, const struct tw_refl_ts *rx_ts, uint64_t now,
	      struct tw_refl_out *out)
{
	enum tw_refl_verdict v;
	uint32_t seq;
	bool ptp;

	if (!p->light || !port_match(c->match, p->f.dst_port)) {
		/* A session's port without its session: the kernel has nothing to say to it. */
		if ((c->match->session_ports[p->f.dst_port / 64] >> (p->f.dst_port % 64)) & 1)
			return TW_V_DROP_NO_SESSION;
		return TW_V_EXC_NOT_TEST;
	}
	v = tw_refl_check(c, buf, p, rx_flags, TW_WIRE_SENDER_UNAUTH_MIN);
	if (v != TW_V_REFLECT)
		return v;
	/* Room first, so a refused packet does not consume a sequence number. */
	if (!room_ok(p, cap, 0))
		return TW_V_DROP_NO_ROOM;
	if (tw_flow_next_seq(c->flows, &p->key, now, &seq) == TW_FLOW_FULL)
		return TW_V_DROP_FLOW_FULL;
	/*
	 * TWAMP Light has no negotiation: answer in the sender's format unless configured
	 * otherwise, so that a PTP sender can read T2/T3 (RFC 8186 §2.3 Z bit).
	 */
	ptp = c->light_fmt == TW_REFL_FMT_SENDER ? tw_refl_sender_ptp(buf, p) :
						   c->light_fmt == TW_REFL_FMT_PTP;
	answer_unauth(c, buf, cap, p, rx_flags, seq, 0, ptp, rx_ts, out);
	return TW_V_REFLECT;
}

enum tw_refl_verdict
tw_refl_session_unauth(struct tw_refl_ctx *c, uint8_t *buf, size_t cap,
		       const struct tw_refl_pkt *p, unsigned int rx_flags, uint32_t *seq,
		       uint16_t reflect_len, bool ptp, const struct tw_refl_ts *rx_ts,
		       struct tw_refl_out *out)
{
	enum tw_refl_verdict v;

	v = tw_refl_check(c, buf, p, rx_flags, TW_WIRE_SENDER_UNAUTH_MIN);
	if (v != TW_V_REFLECT)
		return v;
	if (!room_ok(p, cap, reflect_len))
		return TW_V_DROP_NO_ROOM;
	answer_unauth(c, buf, cap, p, rx_flags, (*seq)++, reflect_len, ptp, rx_ts, out);
	return TW_V_REFLECT;
}

enum tw_refl_verdict
tw_refl_packet(struct tw_refl_ctx *c, uint8_t *buf, size_t len, size_t cap, unsigned int rx_flags,
	       const struct tw_refl_ts *rx_ts, uint64_t now, struct tw_refl_out *out)
{
	struct tw_refl_pkt p;
	enum tw_refl_verdict v;

	v = tw_refl_classify(c, buf, len, rx_flags, &p);
	if (v != TW_V_REFLECT)
		return v;
	return tw_refl_light(c, buf, cap, &p, rx_flags, rx_ts, now, out);
}
