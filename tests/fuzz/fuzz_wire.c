/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz lib/wire on arbitrary bytes: tw_wire_parse() with and without the NIC's L3 checksum
 * flag, the UDP checksum check, and the checksum sum against a plain reference loop.
 * Properties (checked with abort(), not assert(): release builds define NDEBUG):
 *  - never a read past `size` (the sanitizers watch);
 *  - a TW_PARSE_UDP result has consistent offsets that all lie inside the frame;
 *  - trusting the NIC's L3 checksum can only turn BAD_L3 into something else, never change a
 *    frame that already parsed;
 *  - tw_wire_sum() agrees with RFC 1071 §4.1 done the slow way.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tw_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                    \
	do {                                                                        \
		if (!(c)) {                                                         \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
			abort();                                                    \
		}                                                                   \
	} while (0)

static uint16_t
ref_fold(const uint8_t *p, size_t n)
{
	uint64_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void
check_frame(const uint8_t *data, size_t size, const struct tw_wire_frame *f)
{
	size_t alen = f->ipv6 ? 16 : 4;

	CHECK(f->nb_vlans <= TW_WIRE_MAX_VLANS);
	CHECK(f->l3_off == TW_WIRE_ETH_HLEN + f->nb_vlans * TW_WIRE_VLAN_HLEN);
	CHECK(f->l4_off == f->l3_off + (f->ipv6 ? TW_WIRE_IPV6_HLEN : TW_WIRE_IPV4_HLEN));
	CHECK(f->pl_off == f->l4_off + TW_WIRE_UDP_HLEN);
	CHECK((size_t)f->pl_off + f->pl_len <= f->frame_len);
	CHECK(f->frame_len <= size);
	CHECK(f->src_addr >= data + f->l3_off && f->src_addr + alen <= data + f->l4_off);
	CHECK(f->dst_addr >= data + f->l3_off && f->dst_addr + alen <= data + f->l4_off);
	CHECK(f->src_port == (data[f->l4_off] << 8 | data[f->l4_off + 1]));
	CHECK(f->dst_port == (data[f->l4_off + 2] << 8 | data[f->l4_off + 3]));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tw_wire_frame f, g;
	enum tw_parse_result r, r_ok;

	memset(&f, 0, sizeof(f));
	memset(&g, 0, sizeof(g));
	r = tw_wire_parse(data, size, false, &f);
	CHECK(r <= TW_PARSE_BAD_L4);
	r_ok = tw_wire_parse(data, size, true, &g);
	if (r != TW_PARSE_BAD_L3)
		CHECK(r_ok == r);
	if (r == TW_PARSE_UDP) {
		check_frame(data, size, &f);
		CHECK(memcmp(&f, &g, sizeof(f)) == 0);
		(void)tw_wire_udp_csum_ok(data, &f);
	}
	if (r_ok == TW_PARSE_UDP) {
		check_frame(data, size, &g);
		(void)tw_wire_udp_csum_ok(data, &g);
	}
	if (size <= UINT16_MAX)
		CHECK(tw_wire_fold(tw_wire_sum(data, size, 0)) == ref_fold(data, size));
	return 0;
}
