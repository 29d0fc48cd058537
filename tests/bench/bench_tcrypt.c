/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * In-memory cost of authenticated and encrypted TWAMP-Test reflection, in TSC ticks per packet,
 * bursts of 32 (the worker's), against baselines measured in the same binary on the same bytes:
 *
 *   pipeline  what a worker does per burst: restore the received payloads from a pristine copy
 *             (the NIC's write), tw_tcrypt_verify_burst() on the Session-Sender packets,
 *             tw_tcrypt_build_reflect() each, T3, tw_tcrypt_seal_burst() on the answers;
 *   bare-imb  the same restore and the same AES and HMAC-SHA1 on the same bytes, straight from
 *             here through IPsec-MB's burst API (one cipher and one hash burst per direction):
 *             decrypt+HMAC of each request, HMAC+encrypt of 112 octets each, nothing else (no
 *             verdict, no build): the floor of what the crypto costs;
 *   bare-jobapi  the same through the job API (get/submit each job, flush), which the pipeline
 *             used before the burst API: 20 to 30 % dearer here;
 *   frame     the pipeline on whole IPv4 frames: tw_wire_parse(), verify,
 * tw_tcrypt_reflect_frame(), T3, seal, tw_tcrypt_finish_csum() (NIC checksum offload, and software
 * checksums); unauth    lib/refl tw_refl_packet() + T3 on 83-octet TWAMP Light frames (1000 flows,
 * offload): the unauthenticated reflect path, for comparison; openssl   the reference engine, one
 * packet at a time (twamp-client's path).
 *
 * for Session-Sender payloads of 48 octets (no padding, the answer grows to 112) and 112 octets
 * (symmetrical size), authenticated and encrypted mode, every IPsec-MB path the CPU has. Sessions
 * are drawn from 64, so keys come from cache as they would with many sessions. Figures are medians
 * over rounds, the pipeline and its baseline run back to back with alternating order, because
 * the machine is shared and noisy. Then the 10 GbE line-rate budget for 112-octet test packets.
 *
 *   bench_tcrypt [-r ROUNDS] [-p PACKETS] [-a sse|avx|avx2|avx512]
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include <intel-ipsec-mb.h>

#include "tw_refl.h"
#include "tw_tcrypt.h"

enum {
	BURST = 32,
	SLOT = 256,		/* octets per packet buffer */
	SET = 1024,		/* packets per pass */
	NB_SESS = 64,
	L2L3L4 = 14 + 20 + 8,	/* IPv4 frame headers */
	UNAUTH_LEN = 14 + 20 + 8 + 41,
	DEF_ROUNDS = 9,
	DEF_PACKETS = 1 << 16,
};

static const uint8_t refl_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t cli_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t refl_ip[4] = { 198, 18, 0, 1 };
static const uint8_t zero_iv[16] __attribute__((aligned(16)));

static volatile uint64_t sink;

static inline uint64_t
ticks(void)
{
	uint64_t t;

	_mm_lfence();
	t = __rdtsc();
	_mm_lfence();
	return t;
}

static void *
xalloc(size_t n)
{
	void *p = aligned_alloc(64, (n + 63) & ~(size_t)63);

	if (p == NULL) {
		fprintf(stderr, "bench_tcrypt: out of memory\n");
		exit(1);
	}
	memset(p, 0, (n + 63) & ~(size_t)63);
	return p;
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_tcrypt: %s\n", what);
	exit(1);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Ethernet / IPv4 / UDP headers around a payload of pl_len octets, checksums valid. */
static void
build_headers(uint8_t *f, uint32_t i, uint16_t pl_len)
{
	uint8_t *ip = f + 14, *udp = ip + 20;
	uint32_t sum;

	memcpy(f, refl_mac, 6);
	memcpy(f + 6, cli_mac, 6);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint16_t)(20 + 8 + pl_len));
	put16(ip + 4, (uint16_t)i);
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 17;
	put16(ip + 10, 0);
	ip[12] = 198;
	ip[13] = 18;
	ip[14] = (uint8_t)(1 + i / 20000);
	ip[15] = 2;
	memcpy(ip + 16, refl_ip, 4);
	put16(ip + 10, (uint16_t)~tw_wire_fold(tw_wire_sum(ip, 20, 0)));
	put16(udp, (uint16_t)(40000 + i % 20000));
	put16(udp + 2, 862);
	put16(udp + 4, (uint16_t)(8 + pl_len));
	put16(udp + 6, 0);
	sum = tw_wire_sum(ip + 12, 8, 0) + 17 + 8 + pl_len;
	sum = (uint16_t)~tw_wire_fold(tw_wire_sum(udp, 8u + pl_len, sum));
	put16(udp + 6, sum ? (uint16_t)sum : 0xffff);
}

/* A case's working set: SET sealed requests, in payload-only and whole-frame form. */
struct set {
	uint16_t req_len;
	uint8_t *pl_pristine, *pl_work;		/* SET * SLOT */
	uint8_t *fr_pristine, *fr_work;		/* SET * SLOT */
	const struct tw_tcrypt_sess *sess[SET];
};

static void
set_init(struct set *st, struct tw_tcrypt_sess *sess, uint16_t req_len)
{
	uint64_t r = 0x1234567;

	st->req_len = req_len;
	st->pl_pristine = xalloc((size_t)SET * SLOT);
	st->pl_work = xalloc((size_t)SET * SLOT);
	st->fr_pristine = xalloc((size_t)SET * SLOT);
	st->fr_work = xalloc((size_t)SET * SLOT);
	for (uint32_t i = 0; i < SET; i++) {
		uint8_t *pl = st->pl_pristine + (size_t)i * SLOT;
		uint8_t *fr = st->fr_pristine + (size_t)i * SLOT;

		r = r * 6364136223846793005ULL + 1442695040888963407ULL;
		st->sess[i] = &sess[(r >> 33) % NB_SESS];
		for (uint16_t k = 0; k < req_len; k++)
			pl[k] = (uint8_t)(r >> (k % 56));
		memset(pl + 4, 0, 12);		/* MBZ */
		memset(pl + 26, 0, 6);
		if (tw_tcrypt_ref_seal(st->sess[i], TW_TCRYPT_SENDER, pl, req_len) != TW_TCRYPT_OK)
			die("seal failed");
		memcpy(fr + L2L3L4, pl, req_len);
		build_headers(fr, i, req_len);
	}
}

static void
set_free(struct set *st)
{
	free(st->pl_pristine);
	free(st->pl_work);
	free(st->fr_pristine);
	free(st->fr_work);
}

/* The worker's burst, payloads only. @return packets reflected. */
static uint64_t
pass_pipeline(struct tw_tcrypt_mgr *m, struct set *st)
{
	struct tw_tcrypt_pkt p[BURST], q[BURST];
	enum tw_tcrypt_verdict v[BURST];
	uint64_t out = 0;

	for (uint32_t b = 0; b < SET; b += BURST) {
		struct tw_tcrypt_refl_fields f = { .rx_ts = __rdtsc(), .err_est = 1, .ttl = 64 };
		uint16_t nq = 0;
		uint64_t t3;

		for (uint32_t i = 0; i < BURST; i++) {
			uint8_t *w = st->pl_work + (size_t)(b + i) * SLOT;

			memcpy(w, st->pl_pristine + (size_t)(b + i) * SLOT, st->req_len);
			p[i].pl = w;
			p[i].len = st->req_len;
			p[i].sess = st->sess[b + i];
		}
		tw_tcrypt_verify_burst(m, TW_TCRYPT_SENDER, p, BURST, v);
		for (uint32_t i = 0; i < BURST; i++) {
			size_t len;

			if (v[i] != TW_TCRYPT_OK)
				continue;
			f.seq = b + i;
			len = tw_tcrypt_build_reflect(p[i].pl, p[i].len, SLOT, &f);
			q[nq].pl = p[i].pl;
			q[nq].len = (uint16_t)len;
			q[nq].sess = p[i].sess;
			nq++;
		}
		t3 = __rdtsc();
		for (uint16_t i = 0; i < nq; i++)
			tw_tcrypt_stamp_tx(q[i].pl, t3);
		out += tw_tcrypt_seal_burst(m, TW_TCRYPT_REFLECTOR, q, nq, NULL);
	}
	return out;
}

static void
bare_fill(IMB_JOB *job, const struct tw_tcrypt_sess *s, uint8_t *buf, uint8_t *tag,
	  uint64_t cipher_len, uint64_t hash_len, bool seal)
{
	job->enc_keys = s->enc_keys;
	job->dec_keys = s->dec_keys;
	job->key_len_in_bytes = IMB_KEY_128_BYTES;
	job->src = buf;
	job->dst = buf;
	job->cipher_mode = IMB_CIPHER_CBC;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = cipher_len;
	job->iv = zero_iv;
	job->iv_len_in_bytes = 16;
	job->hash_alg = IMB_AUTH_HMAC_SHA_1;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = hash_len;
	job->u.HMAC._hashed_auth_key_xor_ipad = s->ipad_hash;
	job->u.HMAC._hashed_auth_key_xor_opad = s->opad_hash;
	job->auth_tag_output = tag;
	job->auth_tag_output_len_in_bytes = 20;
	job->cipher_direction = seal ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	job->chain_order = seal ? IMB_ORDER_HASH_CIPHER : IMB_ORDER_CIPHER_HASH;
}

static void
bare_submit(IMB_MGR *imb, const struct tw_tcrypt_sess *s, uint8_t *buf, uint8_t *tag,
	    uint64_t cipher_len, uint64_t hash_len, bool seal)
{
	IMB_JOB *job = IMB_GET_NEXT_JOB(imb);

	bare_fill(job, s, buf, tag, cipher_len, hash_len, seal);
	job = IMB_SUBMIT_JOB(imb);
	while (job != NULL)
		job = IMB_GET_COMPLETED_JOB(imb);
}

/* The same jobs on the same bytes, straight to IPsec-MB. @return packets processed. */

/*
 * The same AES and HMAC-SHA1 on the same bytes, straight to IPsec-MB's burst API (one cipher
 * burst and one hash burst per direction, as the pipeline does): the floor. @return packets.
 */
static uint64_t
pass_bare(IMB_MGR *imb, struct set *st, enum tw_tcrypt_mode mode)
{
	static uint8_t tags[BURST][64] __attribute__((aligned(64)));
	static IMB_JOB jobs[BURST];
	uint64_t sc = mode == TW_TCRYPT_MODE_ENC ? 32 : 16,
		 rc = mode == TW_TCRYPT_MODE_ENC ? 96 : 16;

	for (uint32_t b = 0; b < SET; b += BURST) {
		for (uint32_t i = 0; i < BURST; i++) {
			uint8_t *w = st->pl_work + (size_t)(b + i) * SLOT;

			memcpy(w, st->pl_pristine + (size_t)(b + i) * SLOT, st->req_len);
			bare_fill(&jobs[i], st->sess[b + i], w, tags[i], sc, sc, false);
		}
		if (IMB_SUBMIT_CIPHER_BURST(imb, jobs, BURST, IMB_CIPHER_CBC, IMB_DIR_DECRYPT,
					    IMB_KEY_128_BYTES) != BURST ||
		    IMB_SUBMIT_HASH_BURST(imb, jobs, BURST, IMB_AUTH_HMAC_SHA_1) != BURST)
			die("IPsec-MB refused a burst");
		for (uint32_t i = 0; i < BURST; i++)
			bare_fill(&jobs[i], st->sess[b + i], st->pl_work + (size_t)(b + i) * SLOT,
				  tags[i], rc, rc, true);
		if (IMB_SUBMIT_HASH_BURST(imb, jobs, BURST, IMB_AUTH_HMAC_SHA_1) != BURST ||
		    IMB_SUBMIT_CIPHER_BURST(imb, jobs, BURST, IMB_CIPHER_CBC, IMB_DIR_ENCRYPT,
					    IMB_KEY_128_BYTES) != BURST)
			die("IPsec-MB refused a burst");
	}
	sink += tags[0][0];
	return SET;
}

/* The same through the job API (submit each, flush): what the pipeline did before. */
static uint64_t
pass_bare_job(IMB_MGR *imb, struct set *st, enum tw_tcrypt_mode mode)
{
	static uint8_t tags[BURST][64] __attribute__((aligned(64)));
	uint64_t sc = mode == TW_TCRYPT_MODE_ENC ? 32 : 16,
		 rc = mode == TW_TCRYPT_MODE_ENC ? 96 : 16;

	for (uint32_t b = 0; b < SET; b += BURST) {
		for (uint32_t i = 0; i < BURST; i++) {
			uint8_t *w = st->pl_work + (size_t)(b + i) * SLOT;

			memcpy(w, st->pl_pristine + (size_t)(b + i) * SLOT, st->req_len);
			bare_submit(imb, st->sess[b + i], w, tags[i], sc, sc, false);
		}
		while (IMB_FLUSH_JOB(imb) != NULL)
			;
		for (uint32_t i = 0; i < BURST; i++)
			bare_submit(imb, st->sess[b + i], st->pl_work + (size_t)(b + i) * SLOT,
				    tags[i], rc, rc, true);
		while (IMB_FLUSH_JOB(imb) != NULL)
			;
	}
	sink += tags[0][0];
	return SET;
}

/* The pipeline on whole frames. @return packets reflected. */
static uint64_t
pass_frame(struct tw_tcrypt_mgr *m, struct set *st, enum tw_wire_csum_mode csum)
{
	struct tw_tcrypt_frame_out o[BURST];
	struct tw_wire_frame fr[BURST];
	struct tw_tcrypt_pkt p[BURST], q[BURST];
	enum tw_tcrypt_verdict v[BURST];
	uint8_t *qf[BURST];
	uint64_t out = 0;
	size_t flen = (size_t)L2L3L4 + st->req_len;

	for (uint32_t b = 0; b < SET; b += BURST) {
		struct tw_tcrypt_refl_fields f = { .rx_ts = __rdtsc(), .err_est = 1 };
		uint16_t np = 0, nq = 0;
		uint8_t *pf[BURST];
		uint64_t t3;

		for (uint32_t i = 0; i < BURST; i++) {
			uint8_t *w = st->fr_work + (size_t)(b + i) * SLOT;

			memcpy(w, st->fr_pristine + (size_t)(b + i) * SLOT, flen);
			if (tw_wire_parse(w, flen, csum == TW_CSUM_OFFLOAD, &fr[np]) !=
			    TW_PARSE_UDP)
				continue;
			if (csum == TW_CSUM_SW && !tw_wire_udp_csum_ok(w, &fr[np]))
				continue;
			p[np].pl = w + fr[np].pl_off;
			p[np].len = fr[np].pl_len;
			p[np].sess = st->sess[b + i];
			pf[np++] = w;
		}
		tw_tcrypt_verify_burst(m, TW_TCRYPT_SENDER, p, np, v);
		for (uint16_t i = 0; i < np; i++) {
			if (v[i] != TW_TCRYPT_OK)
				continue;
			f.seq = b + i;
			if (tw_tcrypt_reflect_frame(pf[i], SLOT, &fr[i], &f, csum, &o[nq]) == 0)
				continue;
			q[nq].pl = pf[i] + o[nq].pl_off;
			q[nq].len = o[nq].pl_len;
			q[nq].sess = p[i].sess;
			qf[nq++] = pf[i];
		}
		t3 = __rdtsc();
		for (uint16_t i = 0; i < nq; i++)
			tw_tcrypt_stamp_tx(q[i].pl, t3);
		out += tw_tcrypt_seal_burst(m, TW_TCRYPT_REFLECTOR, q, nq, NULL);
		for (uint16_t i = 0; i < nq; i++)
			tw_tcrypt_finish_csum(qf[i], &o[i], csum);
	}
	return out;
}

/* The reference engine, packet by packet. @return packets reflected. */
static uint64_t
pass_openssl(struct set *st)
{
	uint64_t out = 0;

	for (uint32_t i = 0; i < SET; i++) {
		struct tw_tcrypt_refl_fields f = { .rx_ts = __rdtsc(), .seq = i };
		uint8_t *w = st->pl_work + (size_t)i * SLOT;
		size_t len;

		memcpy(w, st->pl_pristine + (size_t)i * SLOT, st->req_len);
		if (tw_tcrypt_ref_verify(st->sess[i], TW_TCRYPT_SENDER, w, st->req_len) !=
		    TW_TCRYPT_OK)
			continue;
		len = tw_tcrypt_build_reflect(w, st->req_len, SLOT, &f);
		tw_tcrypt_stamp_tx(w, __rdtsc());
		out += tw_tcrypt_ref_seal(st->sess[i], TW_TCRYPT_REFLECTOR, w, len) == TW_TCRYPT_OK;
	}
	return out;
}

/* lib/refl on unauthenticated TWAMP Light frames. */
struct unauth {
	struct tw_refl_match match;
	struct tw_refl_ctx ctx;
	void *flow_mem;
	uint8_t *pristine, *work;
};

static void
unauth_init(struct unauth *u)
{
	size_t sz = tw_flow_mem_size(4096);

	tw_refl_match_init(&u->match);
	tw_refl_match_add_addr(&u->match, 4, refl_ip);
	tw_refl_match_add_ports(&u->match, 862, 862);
	u->flow_mem = xalloc(sz);
	u->ctx.match = &u->match;
	u->ctx.flows = tw_flow_init(u->flow_mem, 4096, 900);
	u->ctx.csum = TW_CSUM_OFFLOAD;
	if (u->ctx.flows == NULL)
		die("tw_flow_init failed");
	u->pristine = xalloc((size_t)SET * SLOT);
	u->work = xalloc((size_t)SET * SLOT);
	for (uint32_t i = 0; i < SET; i++) {
		uint8_t *f = u->pristine + (size_t)i * SLOT;

		memset(f + L2L3L4, 0, 41);
		f[L2L3L4 + 3] = (uint8_t)i;
		build_headers(f, i % 1000, 41);
	}
}

static uint64_t
pass_unauth(struct unauth *u)
{
	struct tw_refl_out res[BURST];
	uint8_t *out[BURST];
	uint64_t n = 0;

	for (uint32_t b = 0; b < SET; b += BURST) {
		struct tw_refl_ts t2 = { .ntp = __rdtsc(), .ptp = 0, .errest = 1 }, t3 = { 0 };
		unsigned int nb = 0;

		for (uint32_t i = b; i < b + BURST; i++) {
			uint8_t *w = u->work + (size_t)i * SLOT;

			memcpy(w, u->pristine + (size_t)i * SLOT, UNAUTH_LEN);
			if (tw_refl_packet(&u->ctx, w, UNAUTH_LEN, SLOT,
					   TW_RX_L3_CSUM_OK | TW_RX_L4_CSUM_OK, &t2, 1,
					   &res[nb]) == TW_V_REFLECT)
				out[nb++] = w;
		}
		t3.ntp = __rdtsc();
		for (unsigned int i = 0; i < nb; i++)
			tw_refl_stamp_tx(&u->ctx, out[i], &res[i], &t3);
		n += nb;
	}
	return n;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

enum kind {
	K_PIPELINE,
	K_BARE,
	K_FRAME_OFFLOAD,
	K_FRAME_SW,
	K_OPENSSL,
	K_UNAUTH,
	K_BARE_JOB,
	K_MAX
};

struct run {
	struct tw_tcrypt_mgr *m;
	IMB_MGR *imb;
	struct set *st;
	struct unauth *u;
	enum tw_tcrypt_mode mode;
};

/* Ticks per packet of `passes` passes of one kind. */
static double
measure(const struct run *r, enum kind k, uint64_t passes)
{
	uint64_t t0 = ticks(), n = 0, want = 0;

	for (uint64_t p = 0; p < passes; p++) {
		switch (k) {
		case K_PIPELINE:
			n += pass_pipeline(r->m, r->st);
			break;
		case K_BARE:
			n += pass_bare(r->imb, r->st, r->mode);
			break;
		case K_FRAME_OFFLOAD:
			n += pass_frame(r->m, r->st, TW_CSUM_OFFLOAD);
			break;
		case K_FRAME_SW:
			n += pass_frame(r->m, r->st, TW_CSUM_SW);
			break;
		case K_OPENSSL:
			n += pass_openssl(r->st);
			break;
		case K_BARE_JOB:
			n += pass_bare_job(r->imb, r->st, r->mode);
			break;
		default:
			n += pass_unauth(r->u);
			break;
		}
		want += SET;
	}
	if (n != want)
		die("a packet was not reflected");
	return (double)(ticks() - t0) / (double)n;
}

static IMB_MGR *
bare_mgr(enum tw_tcrypt_arch a)
{
	IMB_MGR *imb = alloc_mb_mgr(0);

	if (imb == NULL)
		die("alloc_mb_mgr failed");
	switch (a) {
	case TW_TCRYPT_ARCH_SSE:
		init_mb_mgr_sse(imb);
		break;
	case TW_TCRYPT_ARCH_AVX:
		init_mb_mgr_avx(imb);
		break;
	case TW_TCRYPT_ARCH_AVX2:
		init_mb_mgr_avx2(imb);
		break;
	default:
		init_mb_mgr_avx512(imb);
		break;
	}
	return imb;
}

/* TSC ticks per second, measured against CLOCK_MONOTONIC over 200 ms. */
static double
tsc_hz(void)
{
	struct timespec a, b, d = { 0, 200000000 };
	uint64_t t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &a);
	t0 = ticks();
	nanosleep(&d, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	t1 = ticks();
	return (double)(t1 - t0) /
	       ((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
}

static double
cpuinfo_mhz(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];
	double mhz = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "cpu MHz : %lf", &mhz) == 1)
			break;
	fclose(f);
	return mhz;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		enum tw_tcrypt_mode mode;
		uint16_t req_len;
	} cases[] = {
		{ "auth 48->112", TW_TCRYPT_MODE_AUTH, 48 },
		{ "auth 112->112", TW_TCRYPT_MODE_AUTH, 112 },
		{ "enc 48->112", TW_TCRYPT_MODE_ENC, 48 },
		{ "enc 112->112", TW_TCRYPT_MODE_ENC, 112 },
	};
	static const char *const kind_names[K_MAX] = {
		"pipeline", "bare-imb", "frame+offload", "frame+swcsum", "openssl", "unauth",
		"bare-jobapi",
	};
	unsigned int rounds = DEF_ROUNDS;
	uint64_t packets = DEF_PACKETS;
	enum tw_tcrypt_arch only = TW_TCRYPT_ARCH_AUTO;
	struct tw_tcrypt_sess *sess = xalloc(sizeof(*sess) * NB_SESS);
	struct unauth u;
	enum tw_tcrypt_arch best_arch[2] = { TW_TCRYPT_ARCH_AUTO, TW_TCRYPT_ARCH_AUTO };
	double hz, best_enc = 0, best_auth = 0;
	int opt;

	while ((opt = getopt(argc, argv, "r:p:a:")) != -1) {
		switch (opt) {
		case 'r':
			rounds = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'p':
			packets = strtoull(optarg, NULL, 0);
			break;
		case 'a':
			if (tw_tcrypt_arch_parse(optarg, &only) != 0)
				die("unknown -a");
			break;
		default:
			fprintf(stderr, "usage: %s [-r ROUNDS] [-p PACKETS] [-a ARCH]\n", argv[0]);
			return 2;
		}
	}
	if (rounds == 0 || packets == 0)
		die("rounds and packets must be > 0");
	unauth_init(&u);
	hz = tsc_hz();
	printf("bench_tcrypt: bursts of %d, %d sessions, %u rounds of %llu packets, TSC %.0f MHz\n",
	       BURST, NB_SESS, rounds, (unsigned long long)packets, hz / 1e6);
	printf("%-8s %-14s %-14s %10s %10s %7s\n", "path", "case", "kind", "ticks/pkt", "bare-imb",
	       "ratio");

	for (enum tw_tcrypt_arch a = TW_TCRYPT_ARCH_SSE; a < TW_TCRYPT_ARCH_MAX; a++) {
		struct tw_tcrypt_mgr *m;
		IMB_MGR *imb;

		if (only != TW_TCRYPT_ARCH_AUTO && a != only)
			continue;
		m = tw_tcrypt_mgr_create(a, 0);
		if (m == NULL)
			continue;
		imb = bare_mgr(a);
		printf("# %s\n", tw_tcrypt_mgr_describe(m));
		for (size_t ci = 0; ci < sizeof(cases) / sizeof(cases[0]); ci++) {
			uint64_t passes = (packets + SET - 1) / SET;
			double *v = xalloc(sizeof(double) * rounds * K_MAX);
			double *ratio = xalloc(sizeof(double) * rounds);
			struct run r = { .m = m, .imb = imb, .u = &u, .mode = cases[ci].mode };
			struct set st;

			for (unsigned int i = 0; i < NB_SESS; i++) {
				uint8_t ak[16] = { (uint8_t)i, 1 }, hk[32] = { (uint8_t)i, 2 };
				uint8_t sid[16] = { (uint8_t)i, 3 };

				if (tw_tcrypt_session_init(m, &sess[i], cases[ci].mode, 0, ak, hk,
							   sid) != 0)
					die("session init failed");
			}
			set_init(&st, sess, cases[ci].req_len);
			r.st = &st;
			for (int k = 0; k < K_MAX; k++)
				measure(&r, (enum kind)k, 1);	/* warm up */
			for (unsigned int i = 0; i < rounds; i++) {
				for (int j = 0; j < K_MAX; j++) {
					/* Alternate the order so drift hits every kind alike. */
					int k = (i & 1) ? K_MAX - 1 - j : j;
					uint64_t np = k == K_OPENSSL ? (passes + 7) / 8 : passes;

					v[(size_t)k * rounds + i] = measure(&r, (enum kind)k, np);
				}
				ratio[i] = v[(size_t)K_PIPELINE * rounds + i] /
					   v[(size_t)K_BARE * rounds + i];
			}
			for (int k = 0; k < K_MAX; k++) {
				double med = median(v + (size_t)k * rounds, rounds);

				if (k == K_UNAUTH && ci > 0)
					continue;	/* the same figure every case */
				/* The worker's figure: whole frames, checksum offload, symmetrical
				 * size. */
				if (k == K_FRAME_OFFLOAD && cases[ci].req_len == 112) {
					double *best = cases[ci].mode == TW_TCRYPT_MODE_ENC
							       ? &best_enc
							       : &best_auth;

					if (*best == 0 || med < *best) {
						*best = med;
						best_arch[cases[ci].mode == TW_TCRYPT_MODE_ENC] = a;
					}
				}
				if (k == K_PIPELINE)
					printf("%-8s %-14s %-14s %10.1f %10.1f %7.2f\n",
					       tw_tcrypt_arch_name(a), cases[ci].name,
					       kind_names[k], med,
					       median(v + (size_t)K_BARE * rounds, rounds),
					       median(ratio, rounds));
				else
					printf("%-8s %-14s %-14s %10.1f\n", tw_tcrypt_arch_name(a),
					       k == K_UNAUTH ? "41-octet" : cases[ci].name,
					       kind_names[k], med);
			}
			set_free(&st);
			free(v);
			free(ratio);
			for (unsigned int i = 0; i < NB_SESS; i++)
				tw_tcrypt_session_wipe(&sess[i]);
		}
		free_mb_mgr(imb);
		tw_tcrypt_mgr_free(m);
	}

	/*
	 * 10 GbE line rate for a 112-octet UDP payload: + UDP 8 + IP (20 or 40) + Ethernet 14 +
	 * FCS 4, + preamble/SFD 8 + inter-frame gap 12 on the wire.
	 */
	printf("\n10 GbE line rate, 112-octet TWAMP-Test payload (cpu MHz in /proc/cpuinfo: "
	       "%.0f)\n",
	       cpuinfo_mhz());
	for (int v6 = 0; v6 < 2; v6++) {
		unsigned int frame = 112 + 8 + (v6 ? 40 : 20) + 14 + 4, wire = frame + 20;
		double pps = 10e9 / (wire * 8.0);

		printf("  %s: frame %u octets, %u on the wire, %.2f Mpps each way, budget %.0f TSC "
		       "ticks/pkt\n", v6 ? "IPv6" : "IPv4", frame, wire, pps / 1e6, hz / pps);
		for (int e = 0; e < 2; e++) {
			double t = e ? best_enc : best_auth;

			if (t > 0)
				printf("    %s frame+offload %.0f ticks (%s): %.2f Mpps per core, "
				       "%.1f cores for line rate\n", e ? "enc " : "auth", t,
				       tw_tcrypt_arch_name(best_arch[e]), hz / t / 1e6,
				       pps / (hz / t));
		}
	}
	free(u.flow_mem);
	free(u.pristine);
	free(u.work);
	free(sess);
	return 0;
}
