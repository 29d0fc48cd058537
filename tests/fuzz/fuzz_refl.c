/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz tw_refl_packet() on arbitrary frames, the way a worker calls it: the frame sits in a
 * buffer with 64 octets of room behind it (an mbuf's tailroom), the match has an IPv4 and an
 * IPv6 address and ports 862 and 20000-20099, and the flow table is small.
 *
 * Each input goes through three times, each pass on a fresh copy: software checksums with no NIC
 * flags (the normal path), software checksums with both NIC checksum flags set (so mutated
 * headers reach the rewrite without the fuzzer having to fix checksums), and checksum offload.
 * Properties (abort(), not assert(): release builds define NDEBUG):
 *  - a frame that is not reflected is left exactly as received;
 *  - a reflected frame fits the buffer, parses again as UDP with addresses and ports swapped, and
 *    once T3 is stamped its UDP checksum verifies (in offload mode, after doing what the NIC
 *    would: completing the UDP checksum from the pseudo-header sum and the IPv4 header checksum).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tw_refl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                    \
	do {                                                                        \
		if (!(c)) {                                                         \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
			abort();                                                    \
		}                                                                   \
	} while (0)

enum {
	EXTRA_CAP = 64,
	FLOW_CAP = 8,
};

static struct tw_refl_match match;
static uint8_t flow_mem[1 << 12] __attribute__((aligned(64)));

static void
match_setup(void)
{
	static const uint8_t v4[4] = { 192, 0, 2, 100 };
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x64 };
	static int done;

	if (done)
		return;
	tw_refl_match_init(&match);
	CHECK(tw_refl_match_add_addr(&match, 4, v4) == 0);
	CHECK(tw_refl_match_add_addr(&match, 6, v6) == 0);
	tw_refl_match_add_ports(&match, 862, 862);
	tw_refl_match_add_ports(&match, 20000, 20099);
	done = 1;
}

/* What a NIC with L3/L4 checksum offload does to a TW_CSUM_OFFLOAD frame on the way out. */
static void
nic_csum(uint8_t *buf, const struct tw_wire_frame *f)
{
	uint8_t *udp = buf + f->l4_off;
	uint16_t c;

	c = (uint16_t)~tw_wire_fold(tw_wire_sum(udp, f->pl_len + TW_WIRE_UDP_HLEN, 0));
	c = c ? c : 0xffff;
	udp[6] = (uint8_t)(c >> 8);
	udp[7] = (uint8_t)c;
	if (!f->ipv6) {
		uint8_t *ip = buf + f->l3_off;

		CHECK(ip[10] == 0 && ip[11] == 0);
		c = (uint16_t)~tw_wire_fold(tw_wire_sum(ip, TW_WIRE_IPV4_HLEN, 0));
		ip[10] = (uint8_t)(c >> 8);
		ip[11] = (uint8_t)c;
	}
}

static void
one_pass(const uint8_t *data, size_t size, struct tw_refl_ctx *c, unsigned int rx_flags,
	 uint64_t now)
{
	size_t cap = size + EXTRA_CAP;
	uint8_t *buf = malloc(cap);
	struct tw_wire_frame q, a;
	struct tw_refl_out out;
	enum tw_refl_verdict v;
	const struct tw_refl_ts t2 = { .ntp = 0xE93C7F00DEADBEEFULL, .ptp = 0x6a1b2c3dDEADBEEFULL,
				       .errest = 0x8001 };
	const uint64_t t3v = 0xE93C7F0100000000ULL ^ ((uint64_t)size * 0x9e3779b97f4a7c15ULL);
	const struct tw_refl_ts t3 = { .ntp = t3v, .ptp = t3v ^ 0x5555, .errest = 0x8001 };
	size_t alen;

	CHECK(buf != NULL);
	memcpy(buf, data, size);
	memset(buf + size, 0xa5, EXTRA_CAP);
	memset(&out, 0, sizeof(out));
	v = tw_refl_packet(c, buf, size, cap, rx_flags, &t2, now, &out);
	CHECK((unsigned int)v < TW_V_MAX);
	if (v != TW_V_REFLECT) {
		CHECK(memcmp(buf, data, size) == 0);
		free(buf);
		return;
	}

	/* The request as it was (the rewrite is in place). */
	CHECK(tw_wire_parse(data, size, rx_flags & TW_RX_L3_CSUM_OK, &q) == TW_PARSE_UDP);
	alen = q.ipv6 ? 16 : 4;
	CHECK(out.len <= cap);
	CHECK(out.len >= q.pl_off + TW_WIRE_REFL_UNAUTH_MIN);
	CHECK(out.ipv6 == q.ipv6);
	CHECK(out.l4_off == q.l4_off);
	CHECK(out.ts_off == q.pl_off + TW_REFL_OFF_TX_TS);

	tw_refl_stamp_tx(c, buf, &out, &t3);
	CHECK(tw_wire_parse(buf, out.len, c->csum == TW_CSUM_OFFLOAD, &a) == TW_PARSE_UDP);
	if (c->csum == TW_CSUM_OFFLOAD) {
		nic_csum(buf, &a);
		CHECK(tw_wire_parse(buf, out.len, false, &a) == TW_PARSE_UDP);
	}
	CHECK(a.frame_len == out.len);
	CHECK(a.src_port == q.dst_port && a.dst_port == q.src_port);
	CHECK(memcmp(a.src_addr, q.dst_addr, alen) == 0);
	CHECK(memcmp(a.dst_addr, q.src_addr, alen) == 0);
	CHECK(memcmp(buf, data + 6, 6) == 0 && memcmp(buf + 6, data, 6) == 0);
	CHECK(a.ttl == TW_WIRE_REFL_TTL);
	CHECK(tw_wire_udp_csum_ok(buf, &a));
	/* T2 and T3 in one format, the one the Z bit of the answer's Error Estimate says. */
	{
		uint64_t want3 = out.ptp ? t3.ptp : t3.ntp, want2 = out.ptp ? t2.ptp : t2.ntp;
		const uint8_t *ap = buf + out.ts_off - TW_REFL_OFF_TX_TS;

		for (int i = 0; i < 8; i++) {
			CHECK(buf[out.ts_off + i] == (uint8_t)(want3 >> (56 - 8 * i)));
			CHECK(ap[16 + i] == (uint8_t)(want2 >> (56 - 8 * i)));
		}
		CHECK(((ap[12] & 0x40) != 0) == out.ptp);
		if (c->light_fmt != TW_REFL_FMT_SENDER)
			CHECK(out.ptp == (c->light_fmt == TW_REFL_FMT_PTP));
	}
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tw_refl_ctx c;

	match_setup();
	/* A fresh table per input keeps every run reproducible from its input alone. */
	c.match = &match;
	c.flows = tw_flow_init(flow_mem, FLOW_CAP, 2);
	CHECK(c.flows != NULL);
	c.csum = TW_CSUM_SW;
	c.light_fmt = TW_REFL_FMT_SENDER;
	one_pass(data, size, &c, 0, 1);
	c.light_fmt = TW_REFL_FMT_PTP;
	one_pass(data, size, &c, TW_RX_L3_CSUM_OK | TW_RX_L4_CSUM_OK, 2);
	c.csum = TW_CSUM_OFFLOAD;
	c.light_fmt = TW_REFL_FMT_NTP;
	one_pass(data, size, &c, TW_RX_L3_CSUM_OK | TW_RX_L4_CSUM_OK, 5);
	return 0;
}
