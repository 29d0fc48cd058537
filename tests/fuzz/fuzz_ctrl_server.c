/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz the TWAMP-Control server (lib/ctrl) with arbitrary client octets, in every mode.
 *
 * Input layout:
 *   [0]      scenario: bits 0-2 pick one of the conversations of tests/unit/ctrl_vectors (the
 *            server's offered modes and its "random" octets, so a seed copied from a unit-test
 *            transcript is a valid stream that mutations start from); bit 3: "sealed" (below);
 *            bit 4: the key lookup answers later (-EINPROGRESS); bit 5: lenient MBZ;
 *            bit 6: third-party addresses allowed; bit 7: at most one session.
 *   [1]      n = low 4 bits: the next n octets are write sizes, used in turn (0 means 1);
 *            bit 4: the server also offers Modes 512 (RFC 8186), and the sealed scenario's
 *            Set-Up-Response asks for it; bit 5: RFC 7717 mode 128 is on (where the
 *            conversation offers 2, 4 or 8): the IKE lookup knows one SA (answering late with
 *            bit 4 of [0]), and the sealed scenario of a 2/4/8 conversation uses 128 with its
 *            SPIs and secret; bit 6: SPI layout 4+4; bit 7: with bit 5, no passphrase store
 *            (ops.key_lookup NULL: plain 2/4/8 are refused); without bit 5, time moves: before
 *            each write of size octet v, by (v & 15) * 4 s, then tick() (step timeout 10 s,
 *            SERVWAIT and REFWAIT 60 s), and touch() (test packets seen) if v & 16;
 *   [2..]    the client's octets.
 * Raw: the octets go to the server as they are, split into writes of those sizes.
 * Sealed: the harness does the Set-Up-Response itself (Mode from the conversation, a known
 *   Token), then reads the rest as plaintext commands: one length octet L (16 * (1 + L % 32)
 *   octets follow) per command, which it HMACs and encrypts as an honest client would, so that
 *   mutations reach command parsing behind the encryption too.
 *
 * Properties (abort(), not assert(): release builds define NDEBUG):
 *  - input() returns 0 until closed, then -EPIPE; output never exceeds input + reserve;
 *  - the negotiated Mode has only offered bits (128 included), and 512 in it is what
 *    tw_ctrl_srv_ptp() and
 *    every session request's mode say (RFC 8186: the data plane stamps PTPv2 by that bit);
 *  - sessions held <= max_sessions; every session the server accepted is reported stopped by
 *    the time it closes (the data plane never keeps a session the control plane forgot);
 *  - a tick closes only for a deadline (TIMEOUT, SERVWAIT, REFWAIT), and leaves none due;
 *  - a far-future tick always closes; free() leaves nothing behind (ASan/LSan, valgrind).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tw_ctrl.h"

#include "../unit/ctrl_vectors/ctrl_vectors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                    \
	do {                                                                        \
		if (!(c)) {                                                         \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
			abort();                                                    \
		}                                                                   \
	} while (0)

#define NOW CTRLV_NOW

enum {
	F_SEALED = 8,
	F_ASYNC = 16,
	F_LENIENT = 32,
	F_THIRD = 64,
	F_ONE = 128,
	F1_PTP = 16,				/* in data[1] */
	F1_IKE = 32,
	F1_LAYOUT44 = 64,
	F1_IKE_ONLY = 128,
	F1_TIMED = 128,				/* without F1_IKE */
	OUT_CAP = 1 << 17,
};

struct fz {
	const uint8_t *rand;
	size_t rand_len;
	size_t rand_off;
	uint64_t seed;
	bool async;
	bool timed;				/* time moves with the writes */
	uint64_t now;
	bool ike_pending;			/* the lookup answering late is the IKE one */
	enum tw_ctrl_spi_layout layout;
	uint32_t offered;			/* conf.modes, and 128 with conf.ike */
	const struct tw_ctrl_srv *s;		/* for the callbacks' checks */
	uint64_t accepted;
	uint64_t stopped;
	uint64_t closes;
};

static int
fz_random(void *arg, uint8_t *buf, size_t len)
{
	struct fz *f = arg;

	for (size_t i = 0; i < len; i++) {
		if (f->rand_off < f->rand_len) {
			buf[i] = f->rand[f->rand_off++];
		} else {
			f->seed = f->seed * 6364136223846793005ULL + 1442695040888963407ULL;
			buf[i] = (uint8_t)(f->seed >> 56);
		}
	}
	return 0;
}

/* The one IKEv2 SA the IKE lookup knows (RFC 7717), in both layouts, and its secret. */
static const uint8_t ike_spi_i[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
static const uint8_t ike_spi_r[8] = { 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xf0, 0x01 };
static const uint8_t ike_secret[32] = "PRF(SK_d, \"IPPM\") of a fuzz SA!";

static int
fz_key(void *arg, const uint8_t keyid[TW_CTRL_KEYID_LEN], uint8_t *secret, size_t *len)
{
	struct fz *f = arg;

	if (f->async) {
		f->ike_pending = false;
		return -EINPROGRESS;
	}
	if (memcmp(keyid, CTRLV_KEYID, sizeof(CTRLV_KEYID) - 1) != 0)
		return -ENOENT;
	memcpy(secret, CTRLV_SECRET, sizeof(CTRLV_SECRET) - 1);
	*len = sizeof(CTRLV_SECRET) - 1;
	return 0;
}

static int
fz_ike(void *arg, const uint8_t *spi_i, const uint8_t *spi_r, size_t spi_len, uint8_t *secret,
       size_t *len)
{
	struct fz *f = arg;

	CHECK(spi_len == tw_ctrl_spi_len(f->layout));
	if (f->async) {
		f->ike_pending = true;
		return -EINPROGRESS;
	}
	if (memcmp(spi_i, ike_spi_i, spi_len) != 0 || memcmp(spi_r, ike_spi_r, spi_len) != 0)
		return -ENOENT;
	CHECK(*len >= sizeof(ike_secret));
	memcpy(secret, ike_secret, sizeof(ike_secret));
	*len = sizeof(ike_secret);
	return 0;
}

static void
fz_session(void *arg, const struct tw_ctrl_session_req *req, struct tw_ctrl_session_answer *ans)
{
	struct fz *f = arg;

	CHECK(req->ipvn == 4 || req->ipvn == 6);
	/* The connection's Mode, offered bits only; 512 here means PTPv2 T2/T3 (RFC 8186). */
	CHECK(req->mode == tw_ctrl_srv_mode(f->s));
	CHECK((req->mode & ~f->offered) == 0);
	CHECK(((req->mode & TW_CTRL_MODE_PTP) != 0) == tw_ctrl_srv_ptp(f->s));
	CHECK(req->sender.family == req->ipvn && req->receiver.family == req->ipvn);
	/* Refuse some, to exercise the caller path too (decided by the port, so it replays). */
	if (req->receiver_port % 7 == 3) {
		ans->accept = (uint8_t)(1 + req->receiver_port % 6);
		return;
	}
	if (ans->port == 0)
		ans->port = 40000;
	f->accepted++;
}

static void
fz_event(void *arg, const struct tw_ctrl_event *ev)
{
	struct fz *f = arg;

	CHECK(ev->type <= TW_CTRL_EV_CLOSE);
	CHECK(ev->nb_sids == 0 || ev->sids != NULL);
	if (ev->type == TW_CTRL_EV_STOP)
		f->stopped += ev->nb_sids;
	if (ev->type == TW_CTRL_EV_CLOSE) {
		CHECK(ev->reason != TW_CTRL_OPEN && ev->reason < TW_CTRL_CLOSE_MAX);
		f->closes++;
	}
}

/* Time passes before a write of size octet v: deadlines are enforced, none is left due. */
static void
time_passes(struct fz *f, struct tw_ctrl_srv *s, struct tw_ctrl_out *out, size_t v)
{
	enum tw_ctrl_close why;

	f->now += (uint64_t)(v & 15) * 4000000000ULL;
	out->len = 0;
	CHECK(tw_ctrl_srv_tick(s, f->now, out) == 0);
	CHECK(out->len <= tw_ctrl_srv_out_reserve(s));
	why = tw_ctrl_srv_closed(s);
	if (why != TW_CTRL_OPEN)
		CHECK(why == TW_CTRL_CLOSE_TIMEOUT || why == TW_CTRL_CLOSE_SERVWAIT ||
		      why == TW_CTRL_CLOSE_REFWAIT);
	else
		CHECK(tw_ctrl_srv_deadline(s) > f->now);
	if (v & 16)
		tw_ctrl_srv_touch(s, f->now);
}

/* Feed octets in writes of the sizes the input chose; check the output bound each time. */
static void
feed(struct fz *f, struct tw_ctrl_srv *s, struct tw_ctrl_out *out, const uint8_t *p,
     size_t len, const uint8_t *sizes, size_t nb_sizes, size_t *k)
{
	size_t off = 0, n, before;
	int rc;

	while (off < len) {
		n = nb_sizes > 0 ? sizes[(*k)++ % nb_sizes] : len;
		if (f->timed && nb_sizes > 0) {
			time_passes(f, s, out, n);
			if (tw_ctrl_srv_closed(s) != TW_CTRL_OPEN) {
				CHECK(tw_ctrl_srv_input(s, p, 1, f->now, out) == -EPIPE);
				return;
			}
		}
		if (n == 0)
			n = 1;
		if (n > len - off)
			n = len - off;
		out->len = 0;
		before = out->len;
		rc = tw_ctrl_srv_input(s, p + off, n, f->now, out);
		if (tw_ctrl_srv_closed(s) != TW_CTRL_OPEN && rc == -EPIPE)
			return;
		CHECK(rc == 0);
		CHECK(out->len - before <= n + tw_ctrl_srv_out_reserve(s));
		off += n;
		if (tw_ctrl_srv_closed(s) != TW_CTRL_OPEN) {
			CHECK(tw_ctrl_srv_input(s, p, 1, f->now, out) == -EPIPE);
			return;
		}
	}
}

/* Sealed scenario: a correct Set-Up-Response, then commands sealed like a real client's. */
static void
run_sealed(struct tw_ctrl_srv *s, struct tw_ctrl_out *out, uint32_t mode, const uint8_t *greet,
	   const uint8_t *p, size_t len, const uint8_t *sizes, size_t nb_sizes, struct fz *f)
{
	struct tw_ctrl_stream tx;
	struct tw_ctrl_greeting g;
	struct tw_ctrl_token t;
	struct tw_ctrl_setup su;
	uint8_t key[16], wire[TW_CTRL_SETUP_LEN], msg[512];
	bool cipher = (mode & TW_CTRL_MODE_CIPHER_CONTROL) != 0;
	size_t off = 0, k = 0, l;

	CHECK(tw_ctrl_greeting_decode(greet, TW_CTRL_GREETING_LEN, &g) == 0);
	memset(&su, 0, sizeof(su));
	memset(&t, 0x42, sizeof(t));
	su.mode = mode;
	memcpy(t.challenge, g.challenge, 16);
	memset(su.client_iv, 0x17, 16);
	if (mode & TW_CTRL_MODE_IKEV2) {
		/* RFC 7717: the Key ID names the SA, PBKDF2 runs on its derived secret */
		size_t n = tw_ctrl_spi_len(f->layout);

		memcpy(su.keyid, ike_spi_i, n);
		memcpy(su.keyid + n, ike_spi_r, n);
		CHECK(tw_ctrl_derive_key(ike_secret, sizeof(ike_secret), g.salt, g.count,
					 key) == 0);
	} else {
		memcpy(su.keyid, CTRLV_KEYID, sizeof(CTRLV_KEYID) - 1);
		CHECK(tw_ctrl_derive_key((const uint8_t *)CTRLV_SECRET, sizeof(CTRLV_SECRET) - 1,
					 g.salt, g.count, key) == 0);
	}
	CHECK(tw_ctrl_token_seal(key, &t, su.token) == 0);
	tw_ctrl_setup_encode(&su, wire, sizeof(wire));
	feed(f, s, out, wire, sizeof(wire), sizes, nb_sizes, &k);
	if (tw_ctrl_srv_closed(s) != TW_CTRL_OPEN)
		return;
	if (cipher)
		CHECK(tw_ctrl_stream_init(&tx, &t.keys, su.client_iv, true) == 0);
	while (off < len && tw_ctrl_srv_closed(s) == TW_CTRL_OPEN) {
		l = 16 * (1 + (size_t)(p[off++] % 32));
		memset(msg, 0, sizeof(msg));
		memcpy(msg, p + off, len - off < l ? len - off : l);
		off += len - off < l ? len - off : l;
		if (cipher) {
			if (l >= 32)
				CHECK(tw_ctrl_stream_seal(&tx, msg, l) == 0);
			else
				CHECK(tw_ctrl_stream_crypt(&tx, msg, l) == 0);
		}
		feed(f, s, out, msg, l, sizes, nb_sizes, &k);
	}
	if (cipher)
		tw_ctrl_stream_fini(&tx);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t outbuf[OUT_CAP];
	struct tw_ctrl_out out = { .buf = outbuf, .cap = sizeof(outbuf) };
	struct tw_ctrl_addr peer = { .family = 4, .addr = { 198, 18, 0, 1 } };
	struct tw_ctrl_addr local = { .family = 4, .addr = { 198, 18, 0, 2 } };
	const struct ctrlv_conv *v;
	struct tw_ctrl_srv_conf conf;
	struct tw_ctrl_srv *s;
	struct fz f;
	uint8_t greet[TW_CTRL_GREETING_LEN];
	const uint8_t *sizes;
	size_t nb_sizes, k = 0;
	uint32_t mode;
	uint8_t sel, b1;
	bool ptp, ike;

	if (size < 2)
		return 0;
	sel = data[0];
	b1 = data[1];
	ptp = (b1 & F1_PTP) != 0;
	nb_sizes = data[1] & 15;
	if (size < 2 + nb_sizes)
		return 0;
	sizes = data + 2;
	data += 2 + nb_sizes;
	size -= 2 + nb_sizes;
	v = ctrlv_convs[(sel & 7) % (sizeof(ctrlv_convs) / sizeof(ctrlv_convs[0]))];
	/* RFC 7717 needs one of 2, 4, 8 offered */
	ike = (b1 & F1_IKE) && (v->offered & TW_CTRL_MODE_CIPHER_CONTROL);

	memset(&f, 0, sizeof(f));
	f.rand = v->srv_rand;
	f.rand_len = v->srv_rand_len;
	f.seed = sel;
	f.async = (sel & F_ASYNC) != 0;
	f.now = NOW;
	tw_ctrl_srv_conf_defaults(&conf);
	conf.modes = v->offered | (ptp ? (uint32_t)TW_CTRL_MODE_PTP : 0);
	f.offered = conf.modes | (ike ? (uint32_t)TW_CTRL_MODE_IKEV2 : 0);
	conf.count = CTRLV_COUNT;
	conf.start_time = CTRLV_START_TIME;
	conf.start_mono_ns = CTRLV_START_MONO;
	conf.lenient_mbz = (sel & F_LENIENT) != 0;
	conf.allow_third_party = (sel & F_THIRD) != 0;
	conf.max_sessions = (sel & F_ONE) ? 1 : 16;
	conf.max_padding = 1500;
	conf.ops.random = fz_random;
	conf.ops.key_lookup = fz_key;
	conf.ops.session_request = fz_session;
	conf.ops.event = fz_event;
	if (!(b1 & F1_IKE) && (b1 & F1_TIMED)) {
		f.timed = true;
		conf.step_timeout_ns = 10ULL * 1000000000ULL;
		conf.servwait_ns = 60ULL * 1000000000ULL;
		conf.refwait_ns = 60ULL * 1000000000ULL;
	}
	if (ike) {
		f.layout = (b1 & F1_LAYOUT44) ? TW_CTRL_SPI_4_4 : TW_CTRL_SPI_8_8;
		conf.ike.enable = true;
		conf.ike.layout = f.layout;
		conf.ops.ike_lookup = fz_ike;
		if (b1 & F1_IKE_ONLY)
			conf.ops.key_lookup = NULL;
	}
	s = tw_ctrl_srv_new(&conf, &peer, &local, &f);
	CHECK(s != NULL);
	f.s = s;
	CHECK(tw_ctrl_srv_start(s, f.now, &out) == 0);
	CHECK(out.len == TW_CTRL_GREETING_LEN);
	memcpy(greet, outbuf, sizeof(greet));

	mode = v->mode | (conf.modes & TW_CTRL_MODE_PTP);
	if (ike && (v->mode & TW_CTRL_MODE_CIPHER_CONTROL))
		mode |= TW_CTRL_MODE_IKEV2;
	if (sel & F_SEALED)
		run_sealed(s, &out, mode, greet, data, size, sizes, nb_sizes, &f);
	else
		feed(&f, s, &out, data, size, sizes, nb_sizes, &k);

	if (tw_ctrl_srv_state(s) == TW_CTRL_SRV_KEY_WAIT) {
		out.len = 0;
		f.async = false;
		if (f.ike_pending)
			CHECK(tw_ctrl_srv_key_result(s, 0, ike_secret, sizeof(ike_secret), f.now,
						     &out) == 0);
		else
			CHECK(tw_ctrl_srv_key_result(s, 0, (const uint8_t *)CTRLV_SECRET,
						     sizeof(CTRLV_SECRET) - 1, f.now, &out) == 0);
	}
	CHECK(tw_ctrl_srv_nb_sessions(s) <= conf.max_sessions);
	CHECK((tw_ctrl_srv_mode(s) & ~f.offered) == 0);
	CHECK(tw_ctrl_srv_ptp(s) == ((tw_ctrl_srv_mode(s) & TW_CTRL_MODE_PTP) != 0));
	/* Time passes: whatever the state, a far-future tick closes. */
	out.len = 0;
	CHECK(tw_ctrl_srv_tick(s, UINT64_MAX - 1, &out) == 0);
	CHECK(tw_ctrl_srv_closed(s) != TW_CTRL_OPEN);
	CHECK(f.closes == 1);
	CHECK(f.stopped == f.accepted);
	CHECK(tw_ctrl_srv_nb_sessions(s) == 0);
	tw_ctrl_srv_free(s);
	return 0;
}
