/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/refl unit tests: tw_refl_packet() end to end on whole frames. One table row per verdict
 * and per reason behind it, then the properties around it: frames that are not reflected are
 * left untouched, sequence numbers are per sender 5-tuple, drops do not consume them, the NIC's
 * checksum flags are honoured and the T3 offset is right.
 *
 * Frames are built here by build(); their checksums come from ref_sum(), a plain RFC 1071 loop,
 * never from lib/wire. The byte-exact answers are checked in test_wire.c (scapy golden frames);
 * here each answer is checked field by field against the request.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tw_refl.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum {
	BUF = 2048,
	FLOW_CAP = 8,		/* smallest table: easy to fill */
	IDLE = 1000,
};

/* The sender's fields (RFC 5357 §4.1.2) every built request carries. */
#define SND_SEQ 0x01020304u
#define SND_TS 0xE93C7F0012345678ULL
#define SND_ERREST 0x8001u
/* What the reflector is told to write. */
#define RX_TS 0xE93C7F00AABBCCDDULL
#define ERREST 0x8020u
#define RX_TS_PTP 0x6a1b2c3d0ee6b27fULL
/* T2 in both formats; answers pick one (NTP unless a test sets light_fmt or ptp). */
static const struct tw_refl_ts T2 = { .ntp = RX_TS, .ptp = RX_TS_PTP, .errest = ERREST };

static const uint8_t mac_snd[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac_refl[6] = { 0x02, 0, 0, 0, 0, 0x02 };

/* Reflector addresses (the match) and the default sender. */
#define V4_REFL "192.0.2.100"
#define V4_REFL2 "198.51.100.7"
#define V4_SND "192.0.2.1"
#define V6_REFL "2001:db8::64"
#define V6_SND "2001:db8::1"
/* An IPv6 reflector address whose first 4 octets are those of V4_REFL. */
#define V6_REFL_ALIAS "c000:264::"

static uint16_t
ref_sum(const uint8_t *p, size_t n, uint32_t init)
{
	uint64_t s = init;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void
addr(int family, const char *s, uint8_t *out)
{
	assert_int_equal(inet_pton(family == 6 ? AF_INET6 : AF_INET, s, out), 1);
}

/* A request to build: everything a verdict depends on. */
struct spec {
	int family;
	uint8_t vlans;
	uint8_t smac[6];
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint8_t ttl;
	uint16_t pl_len;
	bool ptp;		/* the sender stamps PTPv2: Z set in its Error Estimate */
};

static void
spec_default(struct spec *s, int family)
{
	memset(s, 0, sizeof(*s));
	s->family = family;
	memcpy(s->smac, mac_snd, 6);
	addr(family, family == 6 ? V6_SND : V4_SND, s->src);
	addr(family, family == 6 ? V6_REFL : V4_REFL, s->dst);
	s->sport = 50000;
	s->dport = 862;
	s->ttl = 64;
	s->pl_len = 41;
}

static uint16_t
udp_csum(const uint8_t *b, size_t l3, size_t l4, bool v6)
{
	uint16_t ulen = get16(b + l4 + 4);
	uint8_t ph[40] = { 0 };
	uint16_t s, c;

	if (v6) {
		memcpy(ph, b + l3 + 8, 32);
		put16(ph + 34, ulen);
		ph[39] = 17;
		s = ref_sum(ph, 40, 0);
	} else {
		memcpy(ph, b + l3 + 12, 8);
		ph[9] = 17;
		put16(ph + 10, ulen);
		s = ref_sum(ph, 12, 0);
	}
	s = ref_sum(b + l4, 6, s);
	s = ref_sum(b + l4 + 8, ulen - 8u, s);
	c = (uint16_t)~s;
	return c ? c : 0xffff;
}

static void
fix_ip4(uint8_t *b, size_t l3)
{
	put16(b + l3 + 10, 0);
	put16(b + l3 + 10, (uint16_t)~ref_sum(b + l3, (size_t)(b[l3] & 0xf) * 4, 0));
}

/* Ethernet [+ tags] + IPv4/IPv6 + UDP + RFC 5357 §4.1.2 payload, all checksums right. */
static size_t
build(uint8_t *b, const struct spec *s, size_t *l3_out)
{
	size_t off = 12, l3, l4;
	bool v6 = s->family == 6;
	uint8_t *pl;

	memset(b, 0, BUF);
	memcpy(b, mac_refl, 6);
	memcpy(b + 6, s->smac, 6);
	if (s->vlans == 2) {
		put16(b + off, 0x88a8);
		put16(b + off + 2, 10);
		off += 4;
	}
	if (s->vlans >= 1) {
		put16(b + off, 0x8100);
		put16(b + off + 2, 20);
		off += 4;
	}
	put16(b + off, v6 ? 0x86dd : 0x0800);
	l3 = off + 2;
	if (v6) {
		b[l3] = 0x60;
		put16(b + l3 + 4, (uint16_t)(8 + s->pl_len));
		b[l3 + 6] = 17;
		b[l3 + 7] = s->ttl;
		memcpy(b + l3 + 8, s->src, 16);
		memcpy(b + l3 + 24, s->dst, 16);
		l4 = l3 + 40;
	} else {
		b[l3] = 0x45;
		put16(b + l3 + 2, (uint16_t)(20 + 8 + s->pl_len));
		put16(b + l3 + 4, 0x4242);
		b[l3 + 6] = 0x40;	/* DF */
		b[l3 + 8] = s->ttl;
		b[l3 + 9] = 17;
		memcpy(b + l3 + 12, s->src, 4);
		memcpy(b + l3 + 16, s->dst, 4);
		fix_ip4(b, l3);
		l4 = l3 + 20;
	}
	put16(b + l4, s->sport);
	put16(b + l4 + 2, s->dport);
	put16(b + l4 + 4, (uint16_t)(8 + s->pl_len));
	pl = b + l4 + 8;
	for (size_t i = 0; i < s->pl_len; i++)
		pl[i] = (uint8_t)(0xa0 + i);
	if (s->pl_len >= 14) {
		put32(pl, SND_SEQ);
		put32(pl + 4, (uint32_t)(SND_TS >> 32));
		put32(pl + 8, (uint32_t)SND_TS);
		put16(pl + 12, (uint16_t)(SND_ERREST | (s->ptp ? TW_REFL_ERREST_Z : 0)));
	}
	put16(b + l4 + 6, udp_csum(b, l3, l4, v6));
	if (l3_out != NULL)
		*l3_out = l3;
	return l4 + 8 + s->pl_len;
}

/* Test fixture: a match (862 and 20000-20099 on two IPv4 and one IPv6 address) and a table. */
struct fix {
	struct tw_refl_match m;
	struct tw_refl_ctx c;
	void *mem;
};

static struct fix *
fix_new(enum tw_wire_csum_mode csum)
{
	struct fix *x = calloc(1, sizeof(*x));
	uint8_t a[16];

	assert_non_null(x);
	tw_refl_match_init(&x->m);
	addr(4, V4_REFL, a);
	assert_int_equal(tw_refl_match_add_addr(&x->m, 4, a), 0);
	addr(4, V4_REFL2, a);
	assert_int_equal(tw_refl_match_add_addr(&x->m, 4, a), 0);
	addr(6, V6_REFL, a);
	assert_int_equal(tw_refl_match_add_addr(&x->m, 6, a), 0);
	addr(6, V6_REFL_ALIAS, a);
	assert_int_equal(tw_refl_match_add_addr(&x->m, 6, a), 0);
	tw_refl_match_add_ports(&x->m, 862, 862);
	tw_refl_match_add_ports(&x->m, 20000, 20099);
	tw_refl_match_add_session_ports(&x->m, 30000, 30099);
	x->mem = aligned_alloc(64, tw_flow_mem_size(FLOW_CAP));
	assert_non_null(x->mem);
	x->c.match = &x->m;
	x->c.flows = tw_flow_init(x->mem, FLOW_CAP, IDLE);
	assert_non_null(x->c.flows);
	x->c.csum = csum;
	return x;
}

static void
fix_free(struct fix *x)
{
	free(x->mem);
	free(x);
}

/* Fill every slot of the flow table with live flows (at `now`) that are not the test's. */
static void
fill_flows(struct fix *x, uint64_t now)
{
	struct tw_flow_stats st;

	for (uint32_t i = 0; i < 1000; i++) {
		struct tw_flow_key k;
		uint32_t seq;

		memset(&k, 0, sizeof(k));
		k.family = 4;
		k.src[0] = 10;
		k.src[3] = (uint8_t)i;
		k.src[2] = (uint8_t)(i >> 8);
		k.sport = 1;
		k.dport = 862;
		(void)tw_flow_next_seq(x->c.flows, &k, now, &seq);
	}
	tw_flow_get_stats(x->c.flows, &st);
	assert_int_equal(st.live, FLOW_CAP);
}

/* Damage applied after building: each one aims at one verdict. */
enum corrupt {
	C_NONE = 0,
	C_ARP,			/* ethertype ARP */
	C_TCP,			/* IP protocol 6 (TWAMP-Control is TCP 862) */
	C_ICMP6,		/* IPv6 next header 58 */
	C_FRAG,			/* IPv4 MF */
	C_OPTIONS,		/* IPv4 with 4 octets of options */
	C_TRUNC,		/* cut inside the IP header */
	C_BAD_IPCSUM,		/* IPv4 header checksum off by one */
	C_VERSION,		/* IP version 5 */
	C_UDPLEN7,		/* UDP length 7 */
	C_UDPLEN_BIG,		/* UDP length past the IP payload */
	C_BAD_UDPCSUM,		/* UDP checksum off by one */
	C_ZERO_UDPCSUM,		/* UDP checksum 0 ("none") */
	C_TRAILER,		/* 6 octets of Ethernet padding after the datagram */
};

static void
corrupt(uint8_t *b, size_t *len, size_t l3, const struct spec *s, enum corrupt c)
{
	size_t l4 = l3 + (s->family == 6 ? 40 : 20);

	switch (c) {
	case C_NONE:
		break;
	case C_ARP:
		put16(b + l3 - 2, 0x0806);
		break;
	case C_TCP:
		if (s->family == 6) {
			b[l3 + 6] = 6;
		} else {
			b[l3 + 9] = 6;
			fix_ip4(b, l3);
		}
		break;
	case C_ICMP6:
		b[l3 + 6] = 58;
		break;
	case C_FRAG:
		put16(b + l3 + 6, 0x2000);
		fix_ip4(b, l3);
		break;
	case C_OPTIONS: {
		static const uint8_t opt[] = { 1, 1, 1, 0 };

		memmove(b + l4 + 4, b + l4, *len - l4);
		memcpy(b + l4, opt, 4);
		*len += 4;
		b[l3] = 0x46;
		put16(b + l3 + 2, (uint16_t)(get16(b + l3 + 2) + 4));
		fix_ip4(b, l3);
		break;
	}
	case C_TRUNC:
		*len = l3 + 10;
		break;
	case C_BAD_IPCSUM:
		put16(b + l3 + 10, (uint16_t)(get16(b + l3 + 10) + 1));
		break;
	case C_VERSION:
		b[l3] = 0x55;
		fix_ip4(b, l3);
		break;
	case C_UDPLEN7:
		put16(b + l4 + 4, 7);
		break;
	case C_UDPLEN_BIG:
		put16(b + l4 + 4, (uint16_t)(get16(b + l4 + 4) + 1));
		break;
	case C_BAD_UDPCSUM:
		put16(b + l4 + 6, (uint16_t)(get16(b + l4 + 6) ^ 0x0100));
		break;
	case C_ZERO_UDPCSUM:
		put16(b + l4 + 6, 0);
		break;
	case C_TRAILER:
		memset(b + *len, 0xee, 6);
		*len += 6;
		break;
	}
}

#define PL(n) ((n) + 1)		/* .pl field: 0 means the default 41 octets */
#define GROUP_MAC ((const uint8_t[6]){ 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 })
#define BCAST_MAC ((const uint8_t[6]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff })
#define ODD_MAC ((const uint8_t[6]){ 0x03, 0x11, 0x22, 0x33, 0x44, 0x55 })

struct vrow {
	const char *why;
	int family;		/* 0 means 4 */
	uint8_t vlans;
	const char *src;	/* NULL: the default sender */
	const char *dst;	/* NULL: the first reflector address */
	const uint8_t *smac;	/* NULL: 02:00:00:00:00:01 */
	uint16_t dport;		/* 0: 862 */
	int pl;			/* PL(n): n octets of UDP payload; 0: 41 */
	enum corrupt corrupt;
	unsigned int rx_flags;
	bool tight;		/* cap = len + room instead of BUF */
	int room;
	bool full;		/* flow table full of other live flows */
	enum tw_refl_verdict want;
};

#define ROOM(n) .tight = true, .room = (n)

static const struct vrow vrows[] = {
	/* Reflected */
	{ .why = "IPv4", .want = TW_V_REFLECT },
	{ .why = "IPv6", .family = 6, .want = TW_V_REFLECT },
	{ .why = "802.1Q IPv4", .vlans = 1, .want = TW_V_REFLECT },
	{ .why = "QinQ IPv6", .family = 6, .vlans = 2, .want = TW_V_REFLECT },
	{ .why = "second reflector address", .dst = V4_REFL2, .want = TW_V_REFLECT },
	{ .why = "exactly 14 octets", .pl = PL(14), .want = TW_V_REFLECT },
	{ .why = "IPv6, 14 octets", .family = 6, .pl = PL(14), .want = TW_V_REFLECT },
	{ .why = "1400 octets of padding", .pl = PL(1414), .want = TW_V_REFLECT },
	{ .why = "Ethernet trailer", .pl = PL(14), .corrupt = C_TRAILER, .want = TW_V_REFLECT },
	{ .why = "IPv4 UDP checksum 0 (none)", .corrupt = C_ZERO_UDPCSUM, .want = TW_V_REFLECT },
	{ .why = "port range low end", .dport = 20000, .want = TW_V_REFLECT },
	{ .why = "port range high end", .dport = 20099, .want = TW_V_REFLECT },
	{ .why = "source 1.0.0.1", .src = "1.0.0.1", .want = TW_V_REFLECT },
	{ .why = "source 126.255.255.255", .src = "126.255.255.255", .want = TW_V_REFLECT },
	{ .why = "source 128.0.0.1", .src = "128.0.0.1", .want = TW_V_REFLECT },
	{ .why = "source 223.255.255.254", .src = "223.255.255.254", .want = TW_V_REFLECT },
	{ .why = "source fe80::1", .family = 6, .src = "fe80::1", .want = TW_V_REFLECT },
	{ .why = "source ::2", .family = 6, .src = "::2", .want = TW_V_REFLECT },
	{ .why = "source feff::1", .family = 6, .src = "feff::1", .want = TW_V_REFLECT },
	{ .why = "source ::fffe:c000:201", .family = 6, .src = "::fffe:c000:201",
	  .want = TW_V_REFLECT },
	/* rx_flags: what the NIC verified is not checked again */
	{ .why = "bad IPv4 header checksum, NIC says L3 good", .corrupt = C_BAD_IPCSUM,
	  .rx_flags = TW_RX_L3_CSUM_OK, .want = TW_V_REFLECT },
	{ .why = "bad UDP checksum, NIC says L4 good", .corrupt = C_BAD_UDPCSUM,
	  .rx_flags = TW_RX_L4_CSUM_OK, .want = TW_V_REFLECT },
	{ .why = "IPv6 UDP checksum 0, NIC says L4 good", .family = 6,
	  .corrupt = C_ZERO_UDPCSUM, .rx_flags = TW_RX_L4_CSUM_OK, .want = TW_V_REFLECT },
	{ .why = "bad IPv4 header checksum, NIC says only L4 good", .corrupt = C_BAD_IPCSUM,
	  .rx_flags = TW_RX_L4_CSUM_OK, .want = TW_V_DROP_BAD_L3 },
	{ .why = "bad UDP checksum, NIC says only L3 good", .corrupt = C_BAD_UDPCSUM,
	  .rx_flags = TW_RX_L3_CSUM_OK, .want = TW_V_DROP_BAD_CSUM },
	/* Exception path */
	{ .why = "ARP", .corrupt = C_ARP, .want = TW_V_EXC_NOT_IP },
	{ .why = "TCP to 862 (TWAMP-Control)", .corrupt = C_TCP, .want = TW_V_EXC_NOT_UDP },
	{ .why = "IPv6 TCP", .family = 6, .corrupt = C_TCP, .want = TW_V_EXC_NOT_UDP },
	{ .why = "ICMPv6", .family = 6, .corrupt = C_ICMP6, .want = TW_V_EXC_NOT_UDP },
	{ .why = "IPv4 fragment", .corrupt = C_FRAG, .want = TW_V_EXC_FRAG },
	{ .why = "IPv4 options", .corrupt = C_OPTIONS, .want = TW_V_EXC_IP_OPTIONS },
	{ .why = "UDP to port 863", .dport = 863, .want = TW_V_EXC_NOT_TEST },
	{ .why = "UDP to port 19999", .dport = 19999, .want = TW_V_EXC_NOT_TEST },
	{ .why = "UDP to port 20100", .dport = 20100, .want = TW_V_EXC_NOT_TEST },
	{ .why = "session port, no session", .dport = 30050, .want = TW_V_DROP_NO_SESSION },
	{ .why = "IPv6 session port, no session", .family = 6, .dport = 30099,
	  .want = TW_V_DROP_NO_SESSION },
	{ .why = "just past the session ports", .dport = 30100, .want = TW_V_EXC_NOT_TEST },
	{ .why = "UDP to port 53", .dport = 53, .want = TW_V_EXC_NOT_TEST },
	{ .why = "UDP to another IPv4 address", .dst = "192.0.2.99", .want = TW_V_EXC_NOT_TEST },
	{ .why = "UDP to another IPv6 address", .family = 6, .dst = "2001:db8::65",
	  .want = TW_V_EXC_NOT_TEST },
	{ .why = "UDP to our IPv4 address as v4-mapped IPv6", .family = 6,
	  .dst = "::ffff:192.0.2.100", .want = TW_V_EXC_NOT_TEST },
	/* not-test is decided before any drop: a broken packet to another port is not ours */
	{ .why = "short packet to another port", .dport = 9, .pl = PL(3),
	  .want = TW_V_EXC_NOT_TEST },
	{ .why = "bad UDP checksum to another address", .dst = "192.0.2.99",
	  .corrupt = C_BAD_UDPCSUM, .want = TW_V_EXC_NOT_TEST },
	/* Drops */
	{ .why = "truncated in the IP header", .corrupt = C_TRUNC, .want = TW_V_DROP_RUNT },
	{ .why = "IPv6 truncated", .family = 6, .corrupt = C_TRUNC, .want = TW_V_DROP_RUNT },
	{ .why = "IPv4 header checksum", .corrupt = C_BAD_IPCSUM, .want = TW_V_DROP_BAD_L3 },
	{ .why = "IP version 5", .corrupt = C_VERSION, .want = TW_V_DROP_BAD_L3 },
	{ .why = "UDP length 7", .corrupt = C_UDPLEN7, .want = TW_V_DROP_BAD_L4 },
	{ .why = "UDP length past IPv6 payload", .family = 6, .corrupt = C_UDPLEN_BIG,
	  .want = TW_V_DROP_BAD_L4 },
	{ .why = "bad UDP checksum", .corrupt = C_BAD_UDPCSUM, .want = TW_V_DROP_BAD_CSUM },
	{ .why = "bad UDP checksum, IPv6", .family = 6, .corrupt = C_BAD_UDPCSUM,
	  .want = TW_V_DROP_BAD_CSUM },
	{ .why = "IPv6 UDP checksum 0", .family = 6, .corrupt = C_ZERO_UDPCSUM,
	  .want = TW_V_DROP_BAD_CSUM },
	{ .why = "13 octets", .pl = PL(13), .want = TW_V_DROP_SHORT },
	{ .why = "empty UDP payload", .pl = PL(0), .want = TW_V_DROP_SHORT },
	{ .why = "IPv6, 13 octets", .family = 6, .pl = PL(13), .want = TW_V_DROP_SHORT },
	{ .why = "source 224.0.0.1", .src = "224.0.0.1", .want = TW_V_DROP_BAD_SRC },
	{ .why = "source 239.255.255.250", .src = "239.255.255.250", .want = TW_V_DROP_BAD_SRC },
	{ .why = "source 240.0.0.1 (reserved)", .src = "240.0.0.1", .want = TW_V_DROP_BAD_SRC },
	{ .why = "source 255.255.255.255", .src = "255.255.255.255", .want = TW_V_DROP_BAD_SRC },
	{ .why = "source 0.0.0.0", .src = "0.0.0.0", .want = TW_V_DROP_BAD_SRC },
	{ .why = "source 0.1.2.3", .src = "0.1.2.3", .want = TW_V_DROP_BAD_SRC },
	{ .why = "source 127.0.0.1", .src = "127.0.0.1", .want = TW_V_DROP_BAD_SRC },
	{ .why = "source 127.255.255.254", .src = "127.255.255.254", .want = TW_V_DROP_BAD_SRC },
	{ .why = "source is our own address", .src = V4_REFL, .want = TW_V_DROP_BAD_SRC },
	{ .why = "source is our other address", .src = V4_REFL2, .want = TW_V_DROP_BAD_SRC },
	{ .why = "source ff02::1", .family = 6, .src = "ff02::1", .want = TW_V_DROP_BAD_SRC },
	{ .why = "source ff0e::101", .family = 6, .src = "ff0e::101", .want = TW_V_DROP_BAD_SRC },
	{ .why = "source ::", .family = 6, .src = "::", .want = TW_V_DROP_BAD_SRC },
	{ .why = "source ::1", .family = 6, .src = "::1", .want = TW_V_DROP_BAD_SRC },
	{ .why = "source ::ffff:192.0.2.1", .family = 6, .src = "::ffff:192.0.2.1",
	  .want = TW_V_DROP_BAD_SRC },
	{ .why = "source is our own IPv6 address", .family = 6, .src = V6_REFL,
	  .want = TW_V_DROP_BAD_SRC },
	{ .why = "source MAC 01:00:5e:00:00:01", .smac = GROUP_MAC, .want = TW_V_DROP_BAD_SRC },
	{ .why = "source MAC broadcast", .smac = BCAST_MAC, .want = TW_V_DROP_BAD_SRC },
	{ .why = "source MAC group bit, IPv6", .family = 6, .smac = ODD_MAC,
	  .want = TW_V_DROP_BAD_SRC },
	{ .why = "flow table full", .full = true, .want = TW_V_DROP_FLOW_FULL },
	{ .why = "IPv6, flow table full", .family = 6, .full = true, .want = TW_V_DROP_FLOW_FULL },
	{ .why = "no room to grow 14 to 41 octets", .pl = PL(14), ROOM(26),
	  .want = TW_V_DROP_NO_ROOM },
	{ .why = "exactly the room to grow", .pl = PL(14), ROOM(27),
	  .want = TW_V_REFLECT },
	{ .why = "IPv6, no room to grow 20 to 41 octets", .family = 6, .pl = PL(20),
	  ROOM(20), .want = TW_V_DROP_NO_ROOM },
	{ .why = "41 octets need no extra room", ROOM(0), .want = TW_V_REFLECT },
	{ .why = "cap below the frame length", ROOM(-1), .want = TW_V_DROP_NO_ROOM },
};

/* Check an answer field by field against the request it came from (req, before the rewrite). */
static void
check_answer(const uint8_t *req, size_t req_len, const uint8_t *ans, const struct spec *s,
	     const struct tw_refl_out *o, uint32_t want_seq, enum tw_wire_csum_mode csum)
{
	struct tw_wire_frame q, a;
	size_t alen = s->family == 6 ? 16 : 4, want_pl;
	const uint8_t *qp, *ap;

	assert_int_equal(tw_wire_parse(req, req_len, true, &q), TW_PARSE_UDP);
	want_pl = q.pl_len < 41 ? 41 : q.pl_len;
	assert_int_equal(o->len, q.pl_off + want_pl);
	assert_int_equal(o->l4_off, q.l4_off);
	assert_int_equal(o->ts_off, q.pl_off + 4);
	assert_int_equal(o->ipv6, s->family == 6);
	assert_int_equal(tw_wire_parse(ans, o->len, csum == TW_CSUM_OFFLOAD, &a), TW_PARSE_UDP);
	assert_int_equal(a.frame_len, o->len);
	assert_int_equal(a.pl_len, want_pl);
	assert_int_equal(a.nb_vlans, q.nb_vlans);
	assert_memory_equal(ans, req + 6, 6);
	assert_memory_equal(ans + 6, req, 6);
	assert_memory_equal(ans + 12, req + 12, q.l3_off - 12u);	/* tags unchanged */
	assert_memory_equal(a.src_addr, q.dst_addr, alen);
	assert_memory_equal(a.dst_addr, q.src_addr, alen);
	assert_int_equal(a.src_port, q.dst_port);
	assert_int_equal(a.dst_port, q.src_port);
	assert_int_equal(a.ttl, 255);
	qp = req + q.pl_off;
	ap = ans + a.pl_off;
	/* RFC 5357 §4.2.1 */
	assert_int_equal(get32(ap + 0), want_seq);
	assert_int_equal(get64(ap + 4), 0);			/* T3 stamped later */
	assert_int_equal(get16(ap + 12), ERREST);
	assert_int_equal(get16(ap + 14), 0);			/* MBZ */
	assert_int_equal(get64(ap + 16), RX_TS);		/* T2 */
	assert_memory_equal(ap + 24, qp, 4);			/* Sender Sequence Number */
	assert_memory_equal(ap + 28, qp + 4, 8);		/* Sender Timestamp */
	assert_memory_equal(ap + 36, qp + 12, 2);		/* Sender Error Estimate */
	assert_int_equal(get16(ap + 38), 0);			/* MBZ */
	assert_int_equal(ap[40], q.ttl);			/* Sender TTL */
	if (q.pl_len > 41)
		assert_memory_equal(ap + 41, qp + 41, q.pl_len - 41u);	/* padding kept */
	if (csum == TW_CSUM_SW)
		assert_int_equal(get16(ans + a.l4_off + 6),
				 udp_csum(ans, a.l3_off, a.l4_off, a.ipv6));
}

static void
test_verdict_table(void **state)
{
	bool seen[TW_V_MAX] = { false };

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(vrows); i++) {
		const struct vrow *r = &vrows[i];
		uint8_t *b = malloc(BUF), *orig = malloc(BUF);
		struct fix *x = fix_new(TW_CSUM_SW);
		struct tw_flow_stats st0, st1;
		struct tw_refl_out o = { 0 };
		enum tw_refl_verdict v;
		size_t len, l3, cap = BUF;
		struct spec s;

		print_message("verdict row %zu: %s -> %s\n", i, r->why,
			      tw_refl_verdict_name(r->want));
		assert_non_null(b);
		assert_non_null(orig);
		spec_default(&s, r->family ? r->family : 4);
		s.vlans = r->vlans;
		if (r->src != NULL)
			addr(s.family, r->src, s.src);
		if (r->dst != NULL)
			addr(s.family, r->dst, s.dst);
		if (r->smac != NULL)
			memcpy(s.smac, r->smac, 6);
		if (r->dport != 0)
			s.dport = r->dport;
		if (r->pl != 0)
			s.pl_len = (uint16_t)(r->pl - 1);
		len = build(b, &s, &l3);
		corrupt(b, &len, l3, &s, r->corrupt);
		if (r->tight)
			cap = (size_t)((int)len + r->room);
		if (r->full)
			fill_flows(x, 5);
		memcpy(orig, b, BUF);
		tw_flow_get_stats(x->c.flows, &st0);

		v = tw_refl_packet(&x->c, b, len, cap, r->rx_flags, &T2, 5, &o);
		assert_string_equal(tw_refl_verdict_name(v), tw_refl_verdict_name(r->want));
		seen[v] = true;
		tw_flow_get_stats(x->c.flows, &st1);
		if (v == TW_V_REFLECT) {
			check_answer(orig, len, b, &s, &o, 0, TW_CSUM_SW);
			assert_int_equal(st1.inserts, st0.inserts + 1);
		} else {
			/* Exceptions go to the kernel as received; drops are left untouched too. */
			assert_memory_equal(b, orig, BUF);
			/* And no drop or exception creates a flow. */
			assert_int_equal(st1.inserts, st0.inserts);
			assert_int_equal(st1.live, st0.live);
		}
		if (v == TW_V_DROP_FLOW_FULL)
			assert_int_equal(st1.full, st0.full + 1);
		fix_free(x);
		free(orig);
		free(b);
	}
	for (int v = 0; v < TW_V_MAX; v++) {
		print_message("verdict %s covered\n", tw_refl_verdict_name(v));
		assert_true(seen[v]);
	}
}

/* Reflected sequence numbers count per sender 5-tuple, from 0. */
static void
test_seq_per_tuple(void **state)
{
	struct tuple {
		int family;
		const char *src;
		uint16_t sport, dport;
		const char *dst;
	} tuples[] = {
		{ 4, V4_SND, 50000, 862, NULL },
		{ 4, V4_SND, 50001, 862, NULL },	/* other source port */
		{ 4, V4_SND, 50000, 20000, NULL },	/* other test port */
		{ 4, "192.0.2.2", 50000, 862, NULL },	/* other sender */
		{ 4, V4_SND, 50000, 862, V4_REFL2 },	/* other reflector address */
		{ 6, V6_SND, 50000, 862, NULL },
		{ 6, V6_SND, 862, 20001, NULL },
		/* Same address octets and ports as the first tuple: only the family differs. */
		{ 6, "c000:201::", 50000, 862, V6_REFL_ALIAS },
	};
	uint32_t want[ARRAY_LEN(tuples)] = { 0 };
	struct fix *x = fix_new(TW_CSUM_SW);
	uint64_t rs = 0x5eed;	/* LCG: deterministic order */

	(void)state;
	for (int n = 0; n < 500; n++) {
		size_t i;

		uint8_t b[BUF], orig[BUF];
		struct tw_refl_out o;
		struct spec s;
		size_t len;

		rs = rs * 6364136223846793005ULL + 1442695040888963407ULL;
		i = (size_t)(rs >> 33) % ARRAY_LEN(tuples);
		spec_default(&s, tuples[i].family);
		addr(s.family, tuples[i].src, s.src);
		if (tuples[i].dst != NULL)
			addr(s.family, tuples[i].dst, s.dst);
		s.sport = tuples[i].sport;
		s.dport = tuples[i].dport;
		len = build(b, &s, NULL);
		memcpy(orig, b, sizeof(b));
		assert_int_equal(tw_refl_packet(&x->c, b, len, sizeof(b), 0, &T2,
						(uint64_t)n, &o),
				 TW_V_REFLECT);
		check_answer(orig, len, b, &s, &o, want[i]++, TW_CSUM_SW);
	}
	fix_free(x);
}

/* A packet dropped for want of room does not use up the flow's next sequence number. */
static void
test_drop_keeps_seq(void **state)
{
	struct fix *x = fix_new(TW_CSUM_SW);
	uint8_t b[BUF], orig[BUF];
	struct tw_refl_out o;
	struct spec s;
	size_t len;

	(void)state;
	spec_default(&s, 4);
	s.pl_len = 14;
	len = build(b, &s, NULL);
	memcpy(orig, b, sizeof(b));
	assert_int_equal(tw_refl_packet(&x->c, b, len, len, 0, &T2, 1, &o),
			 TW_V_DROP_NO_ROOM);
	assert_int_equal(tw_refl_packet(&x->c, b, len, sizeof(b), 0, &T2, 2, &o),
			 TW_V_REFLECT);
	check_answer(orig, len, b, &s, &o, 0, TW_CSUM_SW);
	len = build(b, &s, NULL);
	assert_int_equal(tw_refl_packet(&x->c, b, len, sizeof(b), 0, &T2, 3, &o),
			 TW_V_REFLECT);
	check_answer(orig, len, b, &s, &o, 1, TW_CSUM_SW);
	/* Idle past the timeout: the same 5-tuple is a new session. */
	len = build(b, &s, NULL);
	assert_int_equal(tw_refl_packet(&x->c, b, len, sizeof(b), 0, &T2, 3 + IDLE + 1,
					&o),
			 TW_V_REFLECT);
	check_answer(orig, len, b, &s, &o, 0, TW_CSUM_SW);
	fix_free(x);
}

/* out->ts_off is where T3 goes; stamping there keeps the UDP checksum right. */
static void
test_stamp_t3(void **state)
{
	static const struct {
		int family;
		uint8_t vlans;
		uint16_t pl;
	} rows[] = { { 4, 0, 41 }, { 4, 1, 14 }, { 6, 2, 41 }, { 6, 0, 100 }, { 4, 2, 333 } };

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		for (int mode = TW_CSUM_SW; mode <= TW_CSUM_OFFLOAD; mode++) {
			struct fix *x = fix_new((enum tw_wire_csum_mode)mode);
			uint8_t b[BUF], orig[BUF];
			struct tw_wire_frame f;
			struct tw_refl_out o;
			struct spec s;
			size_t len;
			uint64_t t3 = 0xE93C7F01FFFF0000ULL + i;

			spec_default(&s, rows[i].family);
			s.vlans = rows[i].vlans;
			s.pl_len = rows[i].pl;
			len = build(b, &s, NULL);
			memcpy(orig, b, sizeof(b));
			assert_int_equal(tw_refl_packet(&x->c, b, len, sizeof(b), 0, &T2,
							0, &o),
					 TW_V_REFLECT);
			check_answer(orig, len, b, &s, &o, 0, (enum tw_wire_csum_mode)mode);
			tw_refl_stamp_tx(&x->c, b, &o, &(struct tw_refl_ts){ .ntp = t3 });
			assert_int_equal(get64(b + o.ts_off), t3);
			assert_int_equal(tw_wire_parse(b, o.len, mode == TW_CSUM_OFFLOAD, &f),
					 TW_PARSE_UDP);
			assert_int_equal(o.ts_off, f.pl_off + TW_REFL_OFF_TX_TS);
			if (mode == TW_CSUM_SW) {
				assert_true(tw_wire_udp_csum_ok(b, &f));
			} else {
				/* Offload: IPv4 header checksum 0, UDP field = pseudo-header sum */
				uint8_t ph[40] = { 0 };
				uint16_t want;

				if (f.ipv6) {
					memcpy(ph, f.src_addr, 16);
					memcpy(ph + 16, f.dst_addr, 16);
					put16(ph + 34, (uint16_t)(f.pl_len + 8));
					ph[39] = 17;
					want = ref_sum(ph, 40, 0);
				} else {
					assert_int_equal(get16(b + f.l3_off + 10), 0);
					memcpy(ph, f.src_addr, 4);
					memcpy(ph + 4, f.dst_addr, 4);
					ph[9] = 17;
					put16(ph + 10, (uint16_t)(f.pl_len + 8));
					want = ref_sum(ph, 12, 0);
				}
				assert_int_equal(get16(b + f.l4_off + 6), want);
			}
			fix_free(x);
		}
	}
}

/* Every port 0..65535 against the ranges it was given. */
static void
test_port_ranges(void **state)
{
	static const struct {
		uint16_t lo, hi;
	} ranges[] = { { 0, 0 }, { 862, 862 }, { 20000, 20099 }, { 40000, 40001 },
		       { 65535, 65535 }, { 500, 499 } /* empty: lo > hi */ };
	struct tw_refl_match *m = malloc(sizeof(*m));
	uint8_t a[4];
	struct tw_refl_ctx c = { .match = m, .csum = TW_CSUM_SW };
	void *mem = aligned_alloc(64, tw_flow_mem_size(4096));

	(void)state;
	assert_non_null(m);
	assert_non_null(mem);
	c.flows = tw_flow_init(mem, 4096, IDLE);
	assert_non_null(c.flows);
	tw_refl_match_init(m);
	addr(4, V4_REFL, a);
	assert_int_equal(tw_refl_match_add_addr(m, 4, a), 0);
	for (size_t i = 0; i < ARRAY_LEN(ranges); i++)
		tw_refl_match_add_ports(m, ranges[i].lo, ranges[i].hi);
	for (uint32_t p = 0; p <= 65535; p++) {
		bool in = false;
		uint8_t b[BUF];
		struct tw_refl_out o;
		struct spec s;
		size_t len;

		for (size_t i = 0; i < ARRAY_LEN(ranges); i++)
			in |= p >= ranges[i].lo && p <= ranges[i].hi;
		spec_default(&s, 4);
		s.dport = (uint16_t)p;
		s.pl_len = 14;
		len = build(b, &s, NULL);
		assert_int_equal(tw_refl_packet(&c, b, len, sizeof(b), 0, &T2, 0, &o),
				 in ? TW_V_REFLECT : TW_V_EXC_NOT_TEST);
	}
	free(mem);
	free(m);
}

static void
test_match_add_addr(void **state)
{
	struct tw_refl_match *m = malloc(sizeof(*m));
	uint8_t a[16] = { 0 };

	(void)state;
	assert_non_null(m);
	tw_refl_match_init(m);
	assert_int_equal(tw_refl_match_add_addr(m, 5, a), -EINVAL);
	assert_int_equal(tw_refl_match_add_addr(m, 0, a), -EINVAL);
	for (int i = 0; i < TW_REFL_MAX_ADDRS; i++) {
		a[0] = (uint8_t)i;
		assert_int_equal(tw_refl_match_add_addr(m, 4, a), 0);
		assert_int_equal(tw_refl_match_add_addr(m, 6, a), 0);
	}
	/* The same address again is not a new entry; a new one does not fit. */
	assert_int_equal(tw_refl_match_add_addr(m, 4, a), 0);
	assert_int_equal(m->nb_v4, TW_REFL_MAX_ADDRS);
	a[1] = 0xff;
	assert_int_equal(tw_refl_match_add_addr(m, 4, a), -ENOSPC);
	assert_int_equal(tw_refl_match_add_addr(m, 6, a), -ENOSPC);
	assert_int_equal(m->nb_v4, TW_REFL_MAX_ADDRS);
	assert_int_equal(m->nb_v6, TW_REFL_MAX_ADDRS);
	free(m);
}

/* An address without TWAMP Light (a TWAMP-Control-only address) never answers Light. */
static void
test_light_flag(void **state)
{
	struct fix *x = fix_new(TW_CSUM_SW);
	uint8_t *b = malloc(BUF), a[16];
	struct tw_refl_out o;
	struct tw_refl_pkt p;
	struct spec s;
	size_t len;

	(void)state;
	assert_non_null(b);
	tw_refl_match_init(&x->m);
	addr(4, V4_REFL, a);
	assert_int_equal(tw_refl_match_add(&x->m, 4, a, false), 0);
	tw_refl_match_add_ports(&x->m, 862, 862);
	spec_default(&s, 4);
	s.dport = 862;
	len = build(b, &s, NULL);
	assert_int_equal(tw_refl_classify(&x->c, b, len, 0, &p), TW_V_REFLECT);
	assert_false(p.light);
	assert_int_equal(tw_refl_packet(&x->c, b, len, BUF, 0, &T2, 5, &o),
			 TW_V_EXC_NOT_TEST);
	/* Adding it again with Light turns Light on for it. */
	assert_int_equal(tw_refl_match_add(&x->m, 4, a, true), 0);
	assert_int_equal(x->m.nb_v4, 1);
	assert_int_equal(tw_refl_packet(&x->c, b, len, BUF, 0, &T2, 5, &o),
			 TW_V_REFLECT);
	free(b);
	fix_free(x);
}

/*
 * A TWAMP-Control session: classify finds the candidate and its key, Light refuses the
 * non-Light port, and the session answer uses (and advances) the session's own counter.
 */
static void
test_session_unauth(void **state)
{
	struct fix *x = fix_new(TW_CSUM_SW);
	uint8_t *b = malloc(BUF), *orig = malloc(BUF), src[16], dst[16];
	struct tw_refl_out o = { 0 };
	struct tw_refl_pkt p;
	struct spec s;
	uint32_t seq = 7;
	size_t len;

	(void)state;
	assert_non_null(b);
	assert_non_null(orig);
	for (int fam = 4; fam <= 6; fam += 2) {
		spec_default(&s, fam);
		s.dport = 30000;
		len = build(b, &s, NULL);
		memcpy(orig, b, BUF);
		assert_int_equal(tw_refl_classify(&x->c, b, len, 0, &p), TW_V_REFLECT);
		addr(fam, fam == 6 ? V6_SND : V4_SND, src);
		addr(fam, fam == 6 ? V6_REFL : V4_REFL, dst);
		assert_int_equal(p.key.family, fam);
		assert_memory_equal(p.key.src, src, fam == 6 ? 16 : 4);
		assert_memory_equal(p.key.dst, dst, fam == 6 ? 16 : 4);
		assert_int_equal(p.key.sport, s.sport);
		assert_int_equal(p.key.dport, 30000);
		/* Not a Light port but a session port: without the session it is dropped. */
		assert_int_equal(tw_refl_light(&x->c, b, BUF, &p, 0, &T2, 5, &o),
				 TW_V_DROP_NO_SESSION);
		assert_int_equal(tw_refl_session_unauth(&x->c, b, BUF, &p, 0, &seq, 0, false, &T2,
							&o), TW_V_REFLECT);
		check_answer(orig, len, b, &s, &o, fam == 4 ? 7 : 8, TW_CSUM_SW);
		assert_int_equal(seq, fam == 4 ? 8 : 9);
	}
	/* A short packet is dropped and does not consume a sequence number. */
	spec_default(&s, 4);
	s.dport = 30000;
	s.pl_len = 13;
	len = build(b, &s, NULL);
	assert_int_equal(tw_refl_classify(&x->c, b, len, 0, &p), TW_V_REFLECT);
	assert_int_equal(tw_refl_session_unauth(&x->c, b, BUF, &p, 0, &seq, 0, false, &T2, &o),
			 TW_V_DROP_SHORT);
	assert_int_equal(seq, 9);
	free(orig);
	free(b);
	fix_free(x);
}

/*
 * RFC 6038 reflect octets in the standard format: the first reflect_len octets of the request's
 * padding (payload octet 14 on) come back at the start of the answer's padding (octet 41), the
 * answer growing when the request is too short to hold them there; checksums stay right.
 */
static void
test_session_reflect_octets(void **state)
{
	static const struct {
		uint16_t pl_len, reflect_len, want_len, moved;
	} rows[] = {
		{ 60, 10, 60, 10 },	/* fits: same length */
		{ 30, 10, 51, 10 },	/* grows to 41 + 10 */
		{ 30, 40, 57, 16 },	/* only 16 octets after the 14 to reflect */
		{ 60, 0, 60, 0 },	/* not negotiated: padding stays in place */
	};
	struct fix *x = fix_new(TW_CSUM_SW);
	uint8_t *b = malloc(BUF), *orig = malloc(BUF);

	(void)state;
	assert_non_null(b);
	assert_non_null(orig);
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		struct tw_refl_out o = { 0 };
		struct tw_wire_frame f;
		struct tw_refl_pkt p;
		struct spec s;
		uint32_t seq = 0;
		size_t len, pl_off;

		spec_default(&s, 4);
		s.dport = 30000;
		s.pl_len = rows[i].pl_len;
		len = build(b, &s, NULL);
		memcpy(orig, b, BUF);
		assert_int_equal(tw_refl_classify(&x->c, b, len, 0, &p), TW_V_REFLECT);
		pl_off = p.f.pl_off;
		assert_int_equal(tw_refl_session_unauth(&x->c, b, BUF, &p, 0, &seq,
							rows[i].reflect_len, false, &T2, &o),
				 TW_V_REFLECT);
		assert_int_equal(o.len, pl_off + rows[i].want_len);
		assert_int_equal(tw_wire_parse(b, o.len, false, &f), TW_PARSE_UDP);
		assert_int_equal(f.pl_len, rows[i].want_len);
		assert_true(tw_wire_udp_csum_ok(b, &f));
		/* The Sender fields are the request's first 14 octets, wherever padding went. */
		assert_memory_equal(b + pl_off + TW_REFL_OFF_SENDER_SEQ, orig + pl_off, 4);
		if (rows[i].moved > 0)
			assert_memory_equal(b + pl_off + 41, orig + pl_off + 14, rows[i].moved);
		else
			assert_memory_equal(b + pl_off + 41, orig + pl_off + 41, rows[i].pl_len - 41);
		/* Stamping T3 keeps the checksum right too. */
		tw_refl_stamp_tx(&x->c, b, &o, &(struct tw_refl_ts){ .ntp = 0x0123456789abcdefULL });
		assert_true(tw_wire_udp_csum_ok(b, &f));
	}
	free(orig);
	free(b);
	fix_free(x);
}

static bool
snake_case(const char *s)
{
	if (!islower((unsigned char)s[0]))
		return false;
	for (const char *p = s; *p; p++) {
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_'))
			return false;
		if (*p == '_' && (p[1] == '_' || p[1] == '\0'))
			return false;
	}
	return true;
}

static void
test_verdict_names(void **state)
{
	(void)state;
	for (int v = 0; v < TW_V_MAX; v++) {
		const char *n = tw_refl_verdict_name(v);

		assert_non_null(n);
		print_message("verdict %d: %s\n", v, n);
		assert_true(snake_case(n));
		assert_string_not_equal(n, "unknown");
		for (int w = 0; w < v; w++)
			assert_string_not_equal(n, tw_refl_verdict_name(w));
		/* The name says which counter family it belongs to. */
		if (v == TW_V_REFLECT)
			assert_string_equal(n, "reflect");
		else if (tw_refl_is_exception(v))
			assert_memory_equal(n, "exception_", 10);
		else
			assert_memory_equal(n, "drop_", 5);
	}
	assert_string_equal(tw_refl_verdict_name(TW_V_MAX), "unknown");
	assert_string_equal(tw_refl_verdict_name((enum tw_refl_verdict)-1), "unknown");
	assert_string_equal(tw_refl_verdict_name(TW_V_DROP_BAD_CSUM), "drop_bad_csum");
}

/*
 * RFC 8186: T2 and T3 in the format the answer is due in, with the Z bit saying which: TWAMP
 * Light by configuration or the sender's own Z bit, a session by its negotiated Mode.
 */
static void
test_timestamp_formats(void **state)
{
	static const struct {
		enum tw_refl_fmt fmt;
		bool sender_ptp, want_ptp;
	} rows[] = {
		{ TW_REFL_FMT_NTP, false, false },
		{ TW_REFL_FMT_NTP, true, false },
		{ TW_REFL_FMT_PTP, false, true },
		{ TW_REFL_FMT_PTP, true, true },
		{ TW_REFL_FMT_SENDER, false, false },
		{ TW_REFL_FMT_SENDER, true, true },
	};
	const struct tw_refl_ts t3 = { .ntp = 0xE93C7F01000000AAULL, .ptp = 0x6a1b2c3e000000BBULL,
				       .errest = ERREST };
	struct fix *x = fix_new(TW_CSUM_SW);
	uint8_t *b = malloc(BUF);

	(void)state;
	assert_non_null(b);
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		for (int sess = 0; sess < 2; sess++) {
			struct tw_refl_out o = { 0 };
			struct tw_wire_frame f;
			struct tw_refl_pkt p;
			struct spec s;
			uint32_t seq = 0;
			size_t len;
			bool want = sess ? rows[i].fmt == TW_REFL_FMT_PTP : rows[i].want_ptp;
			uint8_t *ap;

			spec_default(&s, 4);
			s.ptp = rows[i].sender_ptp;
			s.dport = sess ? 30000 : 862;
			len = build(b, &s, NULL);
			x->c.light_fmt = rows[i].fmt;
			assert_int_equal(tw_refl_classify(&x->c, b, len, 0, &p), TW_V_REFLECT);
			assert_int_equal(tw_refl_sender_ptp(b, &p), rows[i].sender_ptp);
			/* A session's format is its negotiated one (here: PTP for the PTP row),
			 * whatever the sender's Z bit and light_fmt say. */
			if (sess)
				assert_int_equal(tw_refl_session_unauth(&x->c, b, BUF, &p, 0, &seq, 0,
									want, &T2, &o),
						 TW_V_REFLECT);
			else
				assert_int_equal(tw_refl_light(&x->c, b, BUF, &p, 0, &T2, 5, &o),
						 TW_V_REFLECT);
			assert_int_equal(o.ptp, want);
			tw_refl_stamp_tx(&x->c, b, &o, &t3);
			ap = b + p.f.pl_off;
			assert_int_equal(get64(ap + 4), want ? t3.ptp : t3.ntp);	/* T3 */
			assert_int_equal(get16(ap + 12), ERREST | (want ? TW_REFL_ERREST_Z : 0));
			assert_int_equal(get64(ap + 16), want ? RX_TS_PTP : RX_TS);	/* T2 */
			/* The sender's Error Estimate, Z bit included, comes back unchanged. */
			assert_int_equal(get16(ap + 36), SND_ERREST |
					 (rows[i].sender_ptp ? TW_REFL_ERREST_Z : 0));
			assert_int_equal(tw_wire_parse(b, o.len, false, &f), TW_PARSE_UDP);
			assert_true(tw_wire_udp_csum_ok(b, &f));
		}
	}
	free(b);
	fix_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict_table),
		cmocka_unit_test(test_seq_per_tuple),
		cmocka_unit_test(test_drop_keeps_seq),
		cmocka_unit_test(test_stamp_t3),
		cmocka_unit_test(test_port_ranges),
		cmocka_unit_test(test_match_add_addr),
		cmocka_unit_test(test_light_flag),
		cmocka_unit_test(test_session_unauth),
		cmocka_unit_test(test_session_reflect_octets),
		cmocka_unit_test(test_timestamp_formats),
		cmocka_unit_test(test_verdict_names),
	};

	return cmocka_run_group_tests_name("refl", tests, NULL, NULL);
}
