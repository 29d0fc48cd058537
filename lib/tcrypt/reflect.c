/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Building the authenticated/encrypted Session-Reflector packet (RFC 5357 §4.2.1) from a verified
 * Session-Sender packet, and the L2/L3/L4 rewrite around it. Unlike tw_wire_reflect_unauth(), the
 * UDP checksum can only be computed once the payload is sealed, so it is a separate step.
 */
#include <string.h>

#include "tw_bytes.h"

#include "tw_tcrypt.h"

/* Length of the answer to a len-octet request (len >= 48): the one place that sizes it. */
static size_t
answer_len(size_t len, const struct tw_tcrypt_refl_fields *v)
{
	size_t out = len < TW_TCRYPT_REFL_LEN ? TW_TCRYPT_REFL_LEN : len;
	size_t pad = len - TW_TCRYPT_SENDER_LEN;
	size_t rl = v->sym ? 0 : (v->reflect_len < pad ? v->reflect_len : pad);

	return out < TW_TCRYPT_REFL_LEN + rl ? TW_TCRYPT_REFL_LEN + rl : out;
}

size_t
tw_tcrypt_build_reflect(uint8_t *pl, size_t len, size_t cap, const struct tw_tcrypt_refl_fields *v)
{
	uint8_t seq[4], ts[8], err[2];
	size_t out, pad;

	if (len < TW_TCRYPT_SENDER_LEN)
		return 0;
	pad = len - TW_TCRYPT_SENDER_LEN;
	out = answer_len(len, v);
	if (out > cap)
		return 0;

	/* The sender fields sit where reflector fields go: save them first. */
	memcpy(seq, pl + TW_TCRYPT_SND_OFF_SEQ, sizeof(seq));
	memcpy(ts, pl + TW_TCRYPT_SND_OFF_TS, sizeof(ts));
	memcpy(err, pl + TW_TCRYPT_SND_OFF_ERR_EST, sizeof(err));

	/*
	 * RFC 6038 §4.2 (reflect octets) and the perfSONAR reflector: the request's padding, from
	 * its first octet, is returned at the start of the answer's padding. What does not fit the
	 * symmetrical size is dropped. In the symmetrical format (RFC 6038 §4.3) the request's
	 * padding already starts at octet 112, after MBZ octets, and stays where it is.
	 */
	if (out > len)
		memset(pl + len, 0, out - len);
	if (!v->sym) {
		size_t n = out - TW_TCRYPT_REFL_LEN < pad ? out - TW_TCRYPT_REFL_LEN : pad;

		memmove(pl + TW_TCRYPT_REFL_LEN, pl + TW_TCRYPT_SENDER_LEN, n);
	}

	/* RFC 5357 §4.2.1: every MBZ octet MUST be zero; T3 and the HMAC are filled in later. */
	memset(pl, 0, TW_TCRYPT_REFL_LEN);
	tw_wr32(pl + TW_TCRYPT_REFL_OFF_SEQ, v->seq);
	tw_wr16(pl + TW_TCRYPT_REFL_OFF_ERR_EST, v->err_est);
	tw_wr64(pl + TW_TCRYPT_REFL_OFF_RX_TS, v->rx_ts);
	memcpy(pl + TW_TCRYPT_REFL_OFF_SENDER_SEQ, seq, sizeof(seq));
	memcpy(pl + TW_TCRYPT_REFL_OFF_SENDER_TS, ts, sizeof(ts));
	memcpy(pl + TW_TCRYPT_REFL_OFF_SENDER_ERR_EST, err, sizeof(err));
	pl[TW_TCRYPT_REFL_OFF_SENDER_TTL] = v->ttl;
	return out;
}

/* UDP pseudo-header sum (RFC 768, RFC 8200 §8.1), unfolded. */
static uint32_t
pseudo_sum(const uint8_t *buf, uint16_t l3_off, bool ipv6, uint16_t udp_len)
{
	const uint8_t *ip = buf + l3_off;
	uint32_t sum;

	if (ipv6)
		sum = tw_wire_sum(ip + 8, 32, 0);
	else
		sum = tw_wire_sum(ip + 12, 8, 0);
	return sum + TW_IPPROTO_UDP + udp_len;
}

size_t
tw_tcrypt_reflect_frame(uint8_t *buf, size_t cap, const struct tw_wire_frame *f,
			const struct tw_tcrypt_refl_fields *v, enum tw_wire_csum_mode csum,
			struct tw_tcrypt_frame_out *out)
{
	struct tw_tcrypt_refl_fields fv = *v;
	size_t pl_len, need;
	uint16_t udp_len;

	if (f->pl_len < TW_TCRYPT_SENDER_LEN)
		return 0;
	need = (size_t)f->pl_off + answer_len(f->pl_len, v);
	/* The IP length fields must hold the answer. */
	if (need > cap || need - f->l4_off > UINT16_MAX - TW_WIRE_IPV6_HLEN)
		return 0;
	fv.ttl = f->ttl;
	pl_len = tw_tcrypt_build_reflect(buf + f->pl_off, f->pl_len, cap - f->pl_off, &fv);

	udp_len = (uint16_t)(pl_len + TW_WIRE_UDP_HLEN);
	tw_wire_turn_around(buf, f, udp_len, csum, false);

	out->len = (uint16_t)need;
	out->l3_off = f->l3_off;
	out->l4_off = f->l4_off;
	out->pl_off = f->pl_off;
	out->pl_len = (uint16_t)pl_len;
	out->ipv6 = f->ipv6;
	return need;
}

void
tw_tcrypt_finish_csum(uint8_t *buf, const struct tw_tcrypt_frame_out *o,
		      enum tw_wire_csum_mode csum)
{
	uint8_t *udp = buf + o->l4_off;
	uint16_t udp_len = (uint16_t)(o->pl_len + TW_WIRE_UDP_HLEN);
	uint32_t sum = pseudo_sum(buf, o->l3_off, o->ipv6, udp_len);

	tw_wr16(udp + 6, 0);
	if (csum == TW_CSUM_SW) {
		uint16_t c = (uint16_t)~tw_wire_fold(tw_wire_sum(udp, udp_len, sum));

		/* RFC 768: a computed 0 goes out as all ones (0 means "no checksum"). */
		tw_wr16(udp + 6, c ? c : 0xffff);
	} else {
		tw_wr16(udp + 6, tw_wire_fold(sum));
	}
}
