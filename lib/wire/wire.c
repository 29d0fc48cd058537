/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame parser and in-place reflection for TWAMP-Test (RFC 5357 §4). Every read is bounds-checked
 * against the length the caller gave: this file is a fuzz entry point.
 */
#include <string.h>

#include "tw_bytes.h"
#include "tw_wire.h"

uint32_t
tw_wire_sum(const uint8_t *buf, size_t len, uint32_t sum)
{
	uint64_t s = sum;

	/* 64-bit accumulator: no carry handling needed inside the loop for any frame size. */
	while (len >= 8) {
		uint32_t a, b;

		a = (uint32_t)tw_rd16(buf) << 16 | tw_rd16(buf + 2);
		b = (uint32_t)tw_rd16(buf + 4) << 16 | tw_rd16(buf + 6);
		s += (uint64_t)(a >> 16) + (a & 0xffff) + (b >> 16) + (b & 0xffff);
		buf += 8;
		len -= 8;
	}
	while (len >= 2) {
		s += tw_rd16(buf);
		buf += 2;
		len -= 2;
	}
	if (len)
		s += (uint32_t)buf[0] << 8;
	while (s >> 32)
		s = (s & 0xffffffff) + (s >> 32);
	/* Fold to 17 bits so callers can keep adding without overflow. */
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

uint16_t
tw_wire_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Sum of the UDP pseudo-header (RFC 768, RFC 8200 §8.1) without the checksum complement. */
static uint32_t
pseudo_sum(const uint8_t *buf, const struct tw_wire_frame *f, uint16_t udp_len)
{
	const uint8_t *ip = buf + f->l3_off;
	uint32_t sum;

	if (f->ipv6)
		sum = tw_wire_sum(ip + 8, 32, 0);
	else
		sum = tw_wire_sum(ip + 12, 8, 0);
	return sum + TW_IPPROTO_UDP + udp_len;
}

enum tw_parse_result
tw_wire_parse(const uint8_t *buf, size_t len, bool l3_csum_ok, struct tw_wire_frame *f)
{
	size_t off = TW_WIRE_ETH_HLEN, ip_end, udp_len;
	uint16_t type;
	const uint8_t *ip, *udp;

	if (len < TW_WIRE_ETH_HLEN)
		return TW_PARSE_RUNT;
	if (len > UINT16_MAX)
		return TW_PARSE_BAD_L3;
	type = tw_rd16(buf + 12);
	f->nb_vlans = 0;
	while (type == TW_ETH_P_VLAN || type == TW_ETH_P_QINQ) {
		if (f->nb_vlans == TW_WIRE_MAX_VLANS)
			return TW_PARSE_NOT_IP;
		if (len < off + TW_WIRE_VLAN_HLEN)
			return TW_PARSE_RUNT;
		type = tw_rd16(buf + off + 2);
		off += TW_WIRE_VLAN_HLEN;
		f->nb_vlans++;
	}
	f->l3_off = (uint16_t)off;
	ip = buf + off;

	if (type == TW_ETH_P_IPV4) {
		size_t ihl, tot;

		if (len < off + TW_WIRE_IPV4_HLEN)
			return TW_PARSE_RUNT;
		if ((ip[0] >> 4) != 4)
			return TW_PARSE_BAD_L3;
		ihl = (size_t)(ip[0] & 0xf) * 4;
		if (ihl < TW_WIRE_IPV4_HLEN)
			return TW_PARSE_BAD_L3;
		tot = tw_rd16(ip + 2);
		if (tot < ihl)
			return TW_PARSE_BAD_L3;
		if (len < off + tot)
			return TW_PARSE_RUNT;
		if (!l3_csum_ok && tw_wire_fold(tw_wire_sum(ip, ihl, 0)) != 0xffff)
			return TW_PARSE_BAD_L3;
		/* MF set or a non-zero offset: a fragment. Only the kernel can reassemble it. */
		if (tw_rd16(ip + 6) & 0x3fff)
			return TW_PARSE_IP_FRAG;
		if (ip[9] != TW_IPPROTO_UDP)
			return TW_PARSE_NOT_UDP;
		if (ihl != TW_WIRE_IPV4_HLEN)
			return TW_PARSE_IP_OPTIONS;
		f->ipv6 = 0;
		f->ttl = ip[8];
		f->src_addr = ip + 12;
		f->dst_addr = ip + 16;
		ip_end = off + tot;
		off += ihl;
	} else if (type == TW_ETH_P_IPV6) {
		size_t plen;

		if (len < off + TW_WIRE_IPV6_HLEN)
			return TW_PARSE_RUNT;
		if ((ip[0] >> 4) != 6)
			return TW_PARSE_BAD_L3;
		plen = tw_rd16(ip + 4);
		/* Payload length 0 means a jumbogram (RFC 2675), which needs a Hop-by-Hop header. */
		if (len < off + TW_WIRE_IPV6_HLEN + plen)
			return TW_PARSE_RUNT;
		/* Extension headers (fragments included) go to the kernel. */
		if (ip[6] != TW_IPPROTO_UDP)
			return TW_PARSE_NOT_UDP;
		f->ipv6 = 1;
		f->ttl = ip[7];
		f->src_addr = ip + 8;
		f->dst_addr = ip + 24;
		ip_end = off + TW_WIRE_IPV6_HLEN + plen;
		off += TW_WIRE_IPV6_HLEN;
	} else {
		return TW_PARSE_NOT_IP;
	}

	if (ip_end < off + TW_WIRE_UDP_HLEN)
		return TW_PARSE_BAD_L4;
	udp = buf + off;
	udp_len = tw_rd16(udp + 4);
	/* RFC 768: the UDP length covers header and data and must fit the IP payload. */
	if (udp_len < TW_WIRE_UDP_HLEN || udp_len > ip_end - off)
		return TW_PARSE_BAD_L4;
	f->l4_off = (uint16_t)off;
	f->pl_off = (uint16_t)(off + TW_WIRE_UDP_HLEN);
	f->pl_len = (uint16_t)(udp_len - TW_WIRE_UDP_HLEN);
	f->frame_len = (uint16_t)ip_end;
	f->src_port = tw_rd16(udp);
	f->dst_port = tw_rd16(udp + 2);
	f->pad = 0;
	return TW_PARSE_UDP;
}

bool
tw_wire_udp_csum_ok(const uint8_t *buf, const struct tw_wire_frame *f)
{
	const uint8_t *udp = buf + f->l4_off;
	uint16_t udp_len = (uint16_t)(f->pl_len + TW_WIRE_UDP_HLEN);
	uint32_t sum;

	if (tw_rd16(udp + 6) == 0)
		return !f->ipv6;	/* RFC 768 allows "no checksum" on IPv4; RFC 8200 §8.1 not on IPv6 */
	sum = pseudo_sum(buf, f, udp_len);
	sum = tw_wire_sum(udp, udp_len, sum);
	return tw_wire_fold(sum) == 0xffff;
}

void
tw_wire_turn_around(uint8_t *buf, const struct tw_wire_frame *f, uint16_t udp_len,
		    enum tw_wire_csum_mode csum, bool l3_sw_verified)
{
	uint8_t *ip = buf + f->l3_off, *udp = buf + f->l4_off;

	/* L2: answer the station that sent it. VLAN tags stay as they are. */
	tw_swap_bytes(buf, buf + 6, 6);

	if (f->ipv6) {
		tw_swap_bytes(ip + 8, ip + 24, 16);
		tw_wr16(ip + 4, udp_len);
		ip[7] = TW_WIRE_REFL_TTL;
	} else {
		uint16_t old_tot = tw_rd16(ip + 2), old_w8 = tw_rd16(ip + 8), hc = tw_rd16(ip + 10);
		uint32_t sum;

		tw_swap_bytes(ip + 12, ip + 16, 4);
		tw_wr16(ip + 2, (uint16_t)(udp_len + TW_WIRE_IPV4_HLEN));
		/* RFC 5357 §4.2: the reflector sends with TTL 255. */
		ip[8] = TW_WIRE_REFL_TTL;
		if (csum == TW_CSUM_SW && l3_sw_verified) {
			/* RFC 1624 eqn. 3 over the two words that change (the swap keeps the sum). */
			sum = (uint16_t)~hc;
			sum += (uint16_t)~old_tot + (uint32_t)tw_rd16(ip + 2);
			sum += (uint16_t)~old_w8 + (uint32_t)tw_rd16(ip + 8);
			tw_wr16(ip + 10, (uint16_t)~tw_wire_fold(sum));
		} else {
			tw_wr16(ip + 10, 0);
			if (csum == TW_CSUM_SW)
				tw_wr16(ip + 10, (uint16_t)~tw_wire_fold(tw_wire_sum(ip, TW_WIRE_IPV4_HLEN,
										  0)));
		}
	}

	tw_swap_bytes(udp, udp + 2, 2);
	tw_wr16(udp + 4, udp_len);
	tw_wr16(udp + 6, 0);
}

size_t
tw_wire_reflect_unauth(uint8_t *buf, size_t cap, const struct tw_wire_frame *f,
		       const struct tw_wire_refl_fields *v, enum tw_wire_csum_mode csum)
{
	uint8_t *udp = buf + f->l4_off, *pl = buf + f->pl_off;
	struct tw_test_sender_unauth snd;
	size_t pl_len = f->pl_len, new_len, rl = v->reflect_len, avail;
	uint16_t udp_len, old_hc;
	uint32_t sum, old_sum = 0;
	bool incr;

	/* Octets to reflect come from the request: never more than it carries after its 14. */
	avail = f->pl_len > TW_WIRE_SENDER_UNAUTH_MIN ? f->pl_len - TW_WIRE_SENDER_UNAUTH_MIN : 0;
	if (rl > avail)
		rl = avail;
	if (pl_len < TW_WIRE_REFL_UNAUTH_MIN + rl)
		pl_len = TW_WIRE_REFL_UNAUTH_MIN + rl;
	new_len = (size_t)f->pl_off + pl_len;
	if (new_len > cap || pl_len + TW_WIRE_UDP_HLEN > UINT16_MAX - TW_WIRE_IPV6_HLEN)
		return 0;

	/* Save the sender fields before the reflector fields overwrite them (same offsets). */
	memcpy(&snd, pl, sizeof(snd));
	old_hc = tw_rd16(udp + 6);
	/*
	 * Incremental UDP checksum (RFC 1624) when nothing but payload octets 14..40 change their
	 * sum: the swaps keep the pseudo-header and header sums, the Sender fields move from octet 0
	 * to 24 (an even shift keeps their sum), the length stays. Needs a checksum that was verified.
	 */
	incr = csum == TW_CSUM_SW && v->l4_sw_verified && old_hc != 0 &&
	       f->pl_len >= TW_WIRE_REFL_UNAUTH_MIN && rl == 0;
	if (incr)
		old_sum = tw_wire_sum(pl + 14, 26, (uint32_t)pl[40] << 8);
	if (f->pl_len < pl_len)
		memset(pl + f->pl_len, 0, pl_len - f->pl_len);
	/* RFC 6038 §4.2: the octets to reflect move to the start of the answer's padding. */
	if (rl > 0)
		memmove(pl + TW_WIRE_REFL_UNAUTH_MIN, pl + TW_WIRE_SENDER_UNAUTH_MIN, rl);

	/* RFC 5357 §4.2.1: reflector fields; MBZ octets MUST be zero; padding beyond is kept. */
	tw_wr32(pl + TW_REFL_OFF_SEQ, v->seq);
	memset(pl + TW_REFL_OFF_TX_TS, 0, 8);
	tw_wr16(pl + TW_REFL_OFF_ERR_EST, v->err_est);
	pl[14] = 0;
	pl[15] = 0;
	tw_wr64(pl + TW_REFL_OFF_RX_TS, v->rx_ts);
	memcpy(pl + TW_REFL_OFF_SENDER_SEQ, &snd.seq, 4);
	memcpy(pl + TW_REFL_OFF_SENDER_TS, &snd.ts, 8);
	memcpy(pl + TW_REFL_OFF_SENDER_ERR_EST, &snd.err_est, 2);
	pl[38] = 0;
	pl[39] = 0;
	pl[TW_REFL_OFF_SENDER_TTL] = f->ttl;

	udp_len = (uint16_t)(pl_len + TW_WIRE_UDP_HLEN);
	tw_wire_turn_around(buf, f, udp_len, csum, v->l3_sw_verified);
	/* Addresses were swapped: the pseudo-header sum is the same either way round. */
	if (incr) {
		uint64_t ts = v->rx_ts;

		sum = (uint16_t)~old_hc;
		sum += (uint16_t)~tw_wire_fold(old_sum);
		sum += (v->seq >> 16) + (v->seq & 0xffff) + v->err_est;
		sum += (uint32_t)(ts >> 48) + (uint32_t)((ts >> 32) & 0xffff) +
		       (uint32_t)((ts >> 16) & 0xffff) + (uint32_t)(ts & 0xffff);
		sum += (uint32_t)f->ttl << 8;
		sum = (uint16_t)~tw_wire_fold(sum);
		tw_wr16(udp + 6, sum ? (uint16_t)sum : 0xffff);
		return new_len;
	}
	sum = pseudo_sum(buf, f, udp_len);
	if (csum == TW_CSUM_SW) {
		uint16_t c;

		c = (uint16_t)~tw_wire_fold(tw_wire_sum(udp, udp_len, sum));
		/* RFC 768: a computed 0 is sent as all ones (0 means "no checksum"). */
		tw_wr16(udp + 6, c ? c : 0xffff);
	} else {
		tw_wr16(udp + 6, tw_wire_fold(sum));
	}
	return new_len;
}

void
tw_wire_stamp_tx(uint8_t *buf, uint16_t l4_off, uint16_t ts_off, uint64_t ts,
		 enum tw_wire_csum_mode csum)
{
	uint8_t *p = buf + ts_off;

	if (csum == TW_CSUM_SW) {
		uint8_t *c = buf + l4_off + 6;
		uint32_t sum;

		/*
		 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). The timestamp starts at an even offset from
		 * the UDP header (8 + 4 for T3), so its 16-bit words line up with the checksum's.
		 */
		sum = (uint16_t)~tw_rd16(c);
		for (int i = 0; i < 8; i += 2)
			sum += (uint16_t)~tw_rd16(p + i) + (uint32_t)((ts >> (48 - 8 * i)) & 0xffff);
		sum = (uint16_t)~tw_wire_fold(sum);
		tw_wr16(c, sum ? (uint16_t)sum : 0xffff);
	}
	tw_wr64(p, ts);
}
