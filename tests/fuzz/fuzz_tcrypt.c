/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz lib/tcrypt the way a worker uses it, and differentially against the OpenSSL reference.
 *
 * Input: byte 0 picks the packet kind, the first session and what else to do; the rest is cut
 * into up to 8 payloads, each preceded by a length octet (len = 2 * octet, clipped to what is
 * left). Every payload sits in a heap buffer of exactly its size, so ASan or valgrind sees any
 * read past the end. Four sessions (authenticated, encrypted, and both with
 * TW_TCRYPT_F_AUTH_HMAC_ALL) take turns. Properties (abort(), not assert(): release builds define
 * NDEBUG):
 *  - tw_tcrypt_verify_burst() over arbitrary bytes gives the reference's verdict and bytes;
 *  - a Session-Sender packet that verifies is reflected (build, T3, seal) and the answer verifies
 *    with the reference, as the Session-Sender would check it;
 *  - arbitrary bytes sealed by the burst engine equal the reference's, and verify again;
 *  - with bit 7 of byte 0, the rest is also a frame: if it parses as UDP with a sender-sized
 *    payload, tw_tcrypt_reflect_frame() + seal + tw_tcrypt_finish_csum() give a frame that
 *    parses with ports and addresses swapped and a valid UDP checksum.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tw_tcrypt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                    \
	do {                                                                        \
		if (!(c)) {                                                         \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
			abort();                                                    \
		}                                                                   \
	} while (0)

enum {
	MAX_PKTS = 8,
	NB_SESS = 4,
	EXTRA_CAP = 64,
};

static struct tw_tcrypt_mgr *mgr;
static struct tw_tcrypt_sess sess[NB_SESS];

static void
setup(void)
{
	static const uint8_t aes_sk[16] = { 0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6 };
	static const uint8_t hmac_sk[32] = { 0x0b, 0x0b, 0x0b, 0x0b, [31] = 0x42 };
	static const struct {
		enum tw_tcrypt_mode mode;
		unsigned int flags;
	} kinds[NB_SESS] = {
		{ TW_TCRYPT_MODE_AUTH, 0 },
		{ TW_TCRYPT_MODE_ENC, 0 },
		{ TW_TCRYPT_MODE_AUTH, TW_TCRYPT_F_AUTH_HMAC_ALL },
		{ TW_TCRYPT_MODE_ENC, TW_TCRYPT_F_AUTH_HMAC_ALL },
	};
	enum tw_tcrypt_arch arch = TW_TCRYPT_ARCH_AUTO;
	const char *a = getenv("TW_TCRYPT_ARCH");

	if (mgr != NULL)
		return;
	if (a != NULL)
		CHECK(tw_tcrypt_arch_parse(a, &arch) == 0);
	mgr = tw_tcrypt_mgr_create(arch, getenv("TW_TCRYPT_NO_SHANI") ? TW_TCRYPT_MGR_NO_SHANI : 0);
	CHECK(mgr != NULL);
	for (unsigned int i = 0; i < NB_SESS; i++) {
		uint8_t sid[16] = { (uint8_t)i, 0xfe };

		CHECK(tw_tcrypt_session_init(mgr, &sess[i], kinds[i].mode, kinds[i].flags, aes_sk,
					     hmac_sk, sid) == 0);
	}
}

/* A received sender packet that verified: reflect it and check the answer as its sender would. */
static void
reflect_one(const struct tw_tcrypt_sess *s, const uint8_t *pl, size_t len, uint32_t seq)
{
	struct tw_tcrypt_refl_fields f = {
		.seq = seq, .rx_ts = 0xE93C7F00DEADBEEFULL, .err_est = 0x8001, .ttl = 64,
	};
	size_t cap = (len < TW_TCRYPT_REFL_LEN ? TW_TCRYPT_REFL_LEN : len);
	uint8_t *buf = malloc(cap);
	struct tw_tcrypt_pkt p;
	enum tw_tcrypt_verdict v;
	size_t out;

	CHECK(buf != NULL);
	memcpy(buf, pl, len);
	out = tw_tcrypt_build_reflect(buf, len, cap, &f);
	CHECK(out == cap);
	CHECK(memcmp(buf + TW_TCRYPT_REFL_OFF_SENDER_SEQ, pl, 4) == 0);
	CHECK(memcmp(buf + TW_TCRYPT_REFL_OFF_SENDER_TS, pl + TW_TCRYPT_SND_OFF_TS, 8) == 0);
	tw_tcrypt_stamp_tx(buf, 0xE93C7F0100000000ULL ^ len);
	p.pl = buf;
	p.len = (uint16_t)out;
	p.sess = s;
	CHECK(tw_tcrypt_seal_burst(mgr, TW_TCRYPT_REFLECTOR, &p, 1, &v) == 1 && v == TW_TCRYPT_OK);
	CHECK(tw_tcrypt_ref_verify(s, TW_TCRYPT_REFLECTOR, buf, out) == TW_TCRYPT_OK);
	CHECK(buf[TW_TCRYPT_REFL_OFF_SENDER_TTL] == 64);
	free(buf);
}

static void
frame_pass(const uint8_t *data, size_t size, enum tw_wire_csum_mode csum)
{
	struct tw_tcrypt_refl_fields f = { .seq = 7, .rx_ts = 1, .err_est = 2 };
	size_t cap = size + EXTRA_CAP;
	uint8_t *buf = malloc(cap);
	struct tw_tcrypt_frame_out o;
	struct tw_wire_frame q, a;
	struct tw_tcrypt_pkt p;
	size_t len, alen;

	CHECK(buf != NULL);
	memcpy(buf, data, size);
	if (tw_wire_parse(buf, size, true, &q) != TW_PARSE_UDP) {
		free(buf);
		return;
	}
	len = tw_tcrypt_reflect_frame(buf, cap, &q, &f, csum, &o);
	if (len == 0) {
		CHECK(q.pl_len < TW_TCRYPT_SENDER_LEN ||
		      (size_t)q.pl_off + TW_TCRYPT_REFL_LEN > cap ||
		      (size_t)q.pl_len + TW_WIRE_UDP_HLEN > UINT16_MAX - TW_WIRE_IPV6_HLEN);
		CHECK(memcmp(buf, data, size) == 0);
		free(buf);
		return;
	}
	CHECK(len <= cap && o.len == len && o.pl_off == q.pl_off && o.pl_len >= TW_TCRYPT_REFL_LEN);
	p.pl = buf + o.pl_off;
	p.len = o.pl_len;
	p.sess = &sess[1];
	CHECK(tw_tcrypt_seal_burst(mgr, TW_TCRYPT_REFLECTOR, &p, 1, NULL) == 1);
	tw_tcrypt_finish_csum(buf, &o, csum);
	CHECK(tw_wire_parse(buf, len, csum == TW_CSUM_OFFLOAD, &a) == TW_PARSE_UDP);
	alen = q.ipv6 ? 16 : 4;
	CHECK(a.frame_len == len && a.pl_len == o.pl_len);
	CHECK(a.src_port == q.dst_port && a.dst_port == q.src_port);
	CHECK(memcmp(a.src_addr, data + (q.dst_addr - buf), alen) == 0);
	CHECK(memcmp(a.dst_addr, data + (q.src_addr - buf), alen) == 0);
	CHECK(a.ttl == TW_WIRE_REFL_TTL);
	if (csum == TW_CSUM_SW)
		CHECK(tw_wire_udp_csum_ok(buf, &a));
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tw_tcrypt_pkt p[MAX_PKTS];
	enum tw_tcrypt_verdict v[MAX_PKTS];
	uint8_t *ref[MAX_PKTS];
	enum tw_tcrypt_kind kind;
	size_t pos = 1;
	uint16_t n = 0, ok, nok = 0;

	setup();
	if (size == 0)
		return 0;
	kind = (data[0] & 1) ? TW_TCRYPT_REFLECTOR : TW_TCRYPT_SENDER;
	while (pos < size && n < MAX_PKTS) {
		size_t len = (size_t)data[pos++] * 2;

		if (len > size - pos)
			len = size - pos;
		p[n].pl = malloc(len ? len : 1);
		ref[n] = malloc(len ? len : 1);
		CHECK(p[n].pl != NULL && ref[n] != NULL);
		memcpy(p[n].pl, data + pos, len);
		memcpy(ref[n], data + pos, len);
		p[n].len = (uint16_t)len;
		p[n].sess = &sess[(data[0] / 2 + n) % NB_SESS];
		pos += len;
		n++;
	}

	/* Arbitrary bytes as received packets: same verdicts and bytes as the reference. */
	ok = tw_tcrypt_verify_burst(mgr, kind, p, n, v);
	for (uint16_t i = 0; i < n; i++) {
		CHECK((unsigned int)v[i] < TW_TCRYPT_VERDICT_MAX && v[i] != TW_TCRYPT_ERR_ENGINE);
		CHECK(tw_tcrypt_ref_verify(p[i].sess, kind, ref[i], p[i].len) == v[i]);
		CHECK(memcmp(ref[i], p[i].pl, p[i].len) == 0);
		nok += v[i] == TW_TCRYPT_OK;
		if (v[i] == TW_TCRYPT_OK && kind == TW_TCRYPT_SENDER)
			reflect_one(p[i].sess, p[i].pl, p[i].len, i);
	}
	CHECK(ok == nok);

	/* The same bytes as plaintext: both engines seal alike, and the result verifies. */
	for (uint16_t i = 0; i < n; i++)
		memcpy(ref[i], p[i].pl, p[i].len);
	ok = tw_tcrypt_seal_burst(mgr, kind, p, n, v);
	nok = 0;
	for (uint16_t i = 0; i < n; i++) {
		enum tw_tcrypt_verdict r = tw_tcrypt_ref_seal(p[i].sess, kind, ref[i], p[i].len);

		CHECK(r == v[i]);
		CHECK(memcmp(ref[i], p[i].pl, p[i].len) == 0);
		nok += v[i] == TW_TCRYPT_OK;
	}
	CHECK(ok == nok);
	CHECK(tw_tcrypt_verify_burst(mgr, kind, p, n, v) == nok);
	for (uint16_t i = 0; i < n; i++) {
		if (v[i] == TW_TCRYPT_OK && kind == TW_TCRYPT_SENDER)
			reflect_one(p[i].sess, p[i].pl, p[i].len, i);
		free(p[i].pl);
		free(ref[i]);
	}

	if (data[0] & 0x80) {
		frame_pass(data + 1, size - 1, TW_CSUM_SW);
		frame_pass(data + 1, size - 1, TW_CSUM_OFFLOAD);
	}
	return 0;
}
