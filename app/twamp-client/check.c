/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --check: verify every field of every reflection against RFC 5357 §4.2.1 (the unauthenticated
 * and the authenticated/encrypted layouts) and against what we sent. Meant for conformance runs on
 * a lab path (no router, no reordering between us and the reflector); on a real network the TTL
 * and reflector-sequence checks can fail legitimately.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "tw_tcrypt.h"
#include "tw_ts.h"
#include "tw_wire.h"

/* Timestamp format rounding: our T1 and T4 are exact ns, T2/T3 went through one ns -> NTP -> ns
 * round trip each (< 0.5 ns) or none (PTPv2 counts whole ns), so 2 ns cover it. */
#define CHECK_SLACK_NS 2

static const char *const kind_names[CHECK_KIND_MAX] = {
	[CHECK_UNSENT_SEQ] = "unsent_seq",
	[CHECK_SENDER_TS] = "sender_timestamp",
	[CHECK_SENDER_ERREST] = "sender_error_estimate",
	[CHECK_MBZ] = "mbz",
	[CHECK_LENGTH] = "length",
	[CHECK_T1_T2] = "t1_t2_order",
	[CHECK_T2_T3] = "t2_t3_order",
	[CHECK_T3_T4] = "t3_t4_order",
	[CHECK_REPLY_TTL] = "reply_ttl",
	[CHECK_REFL_SEQ] = "reflector_seq",
	[CHECK_HMAC] = "hmac",
	[CHECK_REFLECTED] = "reflected_octets",
	[CHECK_TS_FORMAT] = "timestamp_format",
};

/* RFC 5357 §4.2.1, unauthenticated Session-Reflector packet (modes 1 and 8). */
const struct refl_layout refl_layout_unauth = {
	.min_len = TW_WIRE_REFL_UNAUTH_MIN,
	.off_seq = TW_REFL_OFF_SEQ,
	.off_tx_ts = TW_REFL_OFF_TX_TS,
	.off_errest = TW_REFL_OFF_ERR_EST,
	.off_rx_ts = TW_REFL_OFF_RX_TS,
	.off_sender_seq = TW_REFL_OFF_SENDER_SEQ,
	.off_sender_ts = TW_REFL_OFF_SENDER_TS,
	.off_sender_errest = TW_REFL_OFF_SENDER_ERR_EST,
	.off_sender_ttl = TW_REFL_OFF_SENDER_TTL,
	.nb_mbz = 2,
	.mbz = {
		{ offsetof(struct tw_test_refl_unauth, mbz0), 2 },
		{ offsetof(struct tw_test_refl_unauth, mbz1), 2 },
	},
};

/* RFC 5357 §4.2.1, authenticated and encrypted Session-Reflector packet (modes 2 and 4). */
const struct refl_layout refl_layout_auth = {
	.min_len = TW_TCRYPT_REFL_LEN,
	.off_seq = TW_TCRYPT_REFL_OFF_SEQ,
	.off_tx_ts = TW_TCRYPT_REFL_OFF_TX_TS,
	.off_errest = TW_TCRYPT_REFL_OFF_ERR_EST,
	.off_rx_ts = TW_TCRYPT_REFL_OFF_RX_TS,
	.off_sender_seq = TW_TCRYPT_REFL_OFF_SENDER_SEQ,
	.off_sender_ts = TW_TCRYPT_REFL_OFF_SENDER_TS,
	.off_sender_errest = TW_TCRYPT_REFL_OFF_SENDER_ERR_EST,
	.off_sender_ttl = TW_TCRYPT_REFL_OFF_SENDER_TTL,
	.nb_mbz = 6,
	.mbz = {
		{ offsetof(struct tw_tcrypt_refl, mbz0), 12 },
		{ offsetof(struct tw_tcrypt_refl, mbz1), 6 },
		{ offsetof(struct tw_tcrypt_refl, mbz2), 8 },
		{ offsetof(struct tw_tcrypt_refl, mbz3), 12 },
		{ offsetof(struct tw_tcrypt_refl, mbz4), 6 },
		{ offsetof(struct tw_tcrypt_refl, mbz5), 15 },
	},
};

const char *
check_kind_name(enum check_kind k)
{
	if ((unsigned int)k >= CHECK_KIND_MAX)
		return "unknown";
	return kind_names[k];
}

const char *
ts_format_name(enum ts_format f)
{
	return f == TS_FMT_PTP ? "ptp" : f == TS_FMT_NTP ? "ntp" : "any";
}

uint64_t
ptp_from_utc(uint64_t unix_ns, uint32_t tai_s)
{
	return tw_ts_ptp_from_unix_ns(unix_ns + (uint64_t)tai_s * TW_TS_NSEC_PER_SEC);
}

uint64_t
ptp_to_utc(uint64_t ptp, uint32_t tai_s)
{
	uint64_t ns = tw_ts_ptp_to_unix_ns(ptp), off = (uint64_t)tai_s * TW_TS_NSEC_PER_SEC;

	return ns > off ? ns - off : 0;
}

static void __attribute__((format(printf, 3, 4)))
violation(struct check_state *c, enum check_kind k, const char *fmt, ...)
{
	va_list ap;

	c->kind[k]++;
	if (c->violations++ > 0)
		return;
	va_start(ap, fmt);
	vsnprintf(c->first, sizeof(c->first), fmt, ap);
	va_end(ap);
}

/* Offset of the first non-zero octet among the layout's MBZ fields, or -1. */
static int
first_nonzero_mbz(const struct refl_layout *lay, const uint8_t *buf)
{
	for (unsigned int i = 0; i < lay->nb_mbz; i++) {
		for (unsigned int j = 0; j < lay->mbz[i].len; j++) {
			if (buf[lay->mbz[i].off + j] != 0)
				return lay->mbz[i].off + (int)j;
		}
	}
	return -1;
}

void
check_reply(struct check_state *c, const struct check_input *in)
{
	const struct refl_layout *lay = in->lay;
	struct tw_measure_rec r;
	unsigned int bad;
	uint64_t sent_ts;
	uint16_t ee;
	int mbz;

	/* sender.c only hands over packets of at least lay->min_len octets. */
	c->checked++;
	if (in->sent == NULL) {
		violation(c, CHECK_UNSENT_SEQ, "seq %u: reflection of a sequence number never sent",
			  in->sender_seq);
		return;
	}

	/* RFC 5357 §4.2.1: Sender Timestamp and Sender Error Estimate are copied from the
	 * Session-Sender packet. Compare the wire value: T1 went out in the format our own Error
	 * Estimate's Z bit said for that packet (RFC 8186 §2.3); PTPv2 with the TAI offset of now
	 * (the kernel changing it mid-run would show here, once per packet in flight). */
	sent_ts = (in->sent->sender_errest & TW_TS_ERREST_Z) ?
			  ptp_from_utc(in->sent->t1, in->tai_s) :
			  tw_ts_ntp_from_unix_ns(in->sent->t1);
	if (tw_ts_get64(in->buf + lay->off_sender_ts) != sent_ts)
		violation(c, CHECK_SENDER_TS, "seq %u: Sender Timestamp %016llx, sent %016llx",
			  in->sender_seq,
			  (unsigned long long)tw_ts_get64(in->buf + lay->off_sender_ts),
			  (unsigned long long)sent_ts);
	memcpy(&ee, in->buf + lay->off_sender_errest, sizeof(ee));
	ee = ntohs(ee);
	if (ee != in->sent->sender_errest)
		violation(c, CHECK_SENDER_ERREST,
			  "seq %u: Sender Error Estimate 0x%04x, sent 0x%04x", in->sender_seq, ee,
			  in->sent->sender_errest);

	/* RFC 5357 §4.2.1: MBZ fields are transmitted as zero (in encrypted mode: once
	 * decrypted, which sender.c has done). */
	mbz = first_nonzero_mbz(lay, in->buf);
	if (mbz >= 0)
		violation(c, CHECK_MBZ, "seq %u: MBZ octet %d is 0x%02x", in->sender_seq, mbz,
			  in->buf[mbz]);

	/* The reflector's extra fields replace the sender's padding (RFC 5357 §4.2.1, RFC 6038
	 * symmetric size), or are added to it: the reply is never shorter than the request. */
	if (in->len < in->req_len)
		violation(c, CHECK_LENGTH, "seq %u: reply %zu octets, request %zu", in->sender_seq,
			  in->len, in->req_len);

	/* RFC 6038: the first "Length of padding to reflect" octets of our padding come back at
	 * the start of the reflector's Packet Padding. */
	if (in->reflect_len > 0 &&
	    (in->len < lay->min_len + in->reflect_len ||
	     memcmp(in->buf + lay->min_len, in->reflect, in->reflect_len) != 0))
		violation(c, CHECK_REFLECTED,
			  "seq %u: the %zu octets to be reflected are not at offset %u of the reply",
			  in->sender_seq, in->reflect_len, lay->min_len);

	/* RFC 8186 §2.3: the Z bit of the reflector's Error Estimate says the format of T2 and T3.
	 * By default it must match the negotiation in control mode (512: PTPv2) and our own T1's
	 * format in light mode, where only configuration decides (--expect-format overrides). */
	if (in->expect != TS_FMT_ANY &&
	    ((in->refl_errest & TW_TS_ERREST_Z) != 0) != (in->expect == TS_FMT_PTP))
		violation(c, CHECK_TS_FORMAT,
			  "seq %u: reflector timestamps %s (Error Estimate 0x%04x), expected %s",
			  in->sender_seq, (in->refl_errest & TW_TS_ERREST_Z) ? "ptp" : "ntp",
			  in->refl_errest, ts_format_name(in->expect));

	/* T1..T4 are Unix ns here, each decoded by its own Z bit, so the order holds whatever
	 * mix of formats the two ends used. */
	memset(&r, 0, sizeof(r));
	r.t1 = in->sent->t1;
	r.t2 = in->t2;
	r.t3 = in->t3;
	r.t4 = in->t4;
	bad = tw_measure_check_order(&r, tw_ts_errest_ns(in->sent->sender_errest),
				     tw_ts_errest_ns(in->refl_errest), CHECK_SLACK_NS);
	if (bad & TW_MEASURE_ORDER_T1_T2)
		violation(c, CHECK_T1_T2, "seq %u: T2 %lld ns before T1 (errors 0x%04x/0x%04x)",
			  in->sender_seq, (long long)(r.t1 - r.t2), in->sent->sender_errest,
			  in->refl_errest);
	if (bad & TW_MEASURE_ORDER_T2_T3)
		violation(c, CHECK_T2_T3, "seq %u: T3 %lld ns before T2", in->sender_seq,
			  (long long)(r.t2 - r.t3));
	if (bad & TW_MEASURE_ORDER_T3_T4)
		violation(c, CHECK_T3_T4, "seq %u: T4 %lld ns before T3 (errors 0x%04x/0x%04x)",
			  in->sender_seq, (long long)(r.t3 - r.t4), in->sent->sender_errest,
			  in->refl_errest);

	/* RFC 5357 §4.2: the reflector sends with TTL 255, so on a direct path we see 255. */
	if (in->reply_ttl >= 0 && in->reply_ttl != TW_WIRE_REFL_TTL)
		violation(c, CHECK_REPLY_TTL, "seq %u: reply TTL %d, expected %d", in->sender_seq,
			  in->reply_ttl, TW_WIRE_REFL_TTL);
}

void
check_bad_hmac(struct check_state *c, size_t len)
{
	/* RFC 4656 §4.1.2 via RFC 5357 §4.2.1: nothing of an answer whose HMAC does not verify
	 * can be trusted, not even the sequence number it would be matched by. */
	c->checked++;
	violation(c, CHECK_HMAC, "a %zu-octet answer from the reflector failed HMAC verification",
		  len);
}

void
check_merge(struct check_state *dst, const struct check_state *src, const char *label)
{
	if (dst->violations == 0 && src->violations > 0)
		snprintf(dst->first, sizeof(dst->first), "%s: %s", label, src->first);
	dst->checked += src->checked;
	dst->violations += src->violations;
	for (int k = 0; k < CHECK_KIND_MAX; k++)
		dst->kind[k] += src->kind[k];
}

void
check_summary(struct check_state *c, const struct tw_measure_summary *s)
{
	uint64_t n = s->refl_seq_ooo + s->refl_seq_excess;

	/*
	 * RFC 5357 §4.2.1: the reflector's Sequence Number counts the packets it reflected in this
	 * session. Walked in sender order, it may only advance by 1 .. (sender step).
	 */
	if (n == 0)
		return;
	c->kind[CHECK_REFL_SEQ] += n;
	if (c->violations == 0)
		snprintf(c->first, sizeof(c->first),
			 "reflector Sequence Number: %llu out of order, %llu excess jumps",
			 (unsigned long long)s->refl_seq_ooo,
			 (unsigned long long)s->refl_seq_excess);
	c->violations += n;
}
