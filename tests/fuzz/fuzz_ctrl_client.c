/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz the TWAMP-Control client (lib/ctrl, tw_ctrl_cli_*) with arbitrary server octets in every
 * state (Server Greeting, Server-Start, Accept-Session, Start-Ack, Start-N-Ack, Stop-N-Ack,
 * a server's Stop-Sessions) and every security mode, interleaved with the client's own commands.
 *
 * Input layout:
 *   [0]    bits 0-2: one of the conversations of tests/unit/ctrl_vectors (its Mode, offered
 *          modes and client "random" octets, so the server transcript of a unit test is a
 *          valid stream that mutations start from), or 7: no forced mode, the client picks the
 *          strongest offered and wants every feature (with the first conversation's octets);
 *          bit 3: "sealed" (the harness plays the
 *          server's handshake itself, below); bit 4: the client holds an IKEv2 SA (RFC 7717
 *          mode 128, and the sealed greeting offers 128); bit 5: one session slot only;
 *          bit 6: the client wants Modes 512 (RFC 8186; the sealed greeting offers it);
 *          bit 7: the client has no shared secret.
 *   [1]    bits 0-3: n, the next n octets are write sizes used in turn (0 means 1);
 *          bits 4-6: Accept of the sealed Server-Start; bit 7: IKEv2 SPI layout 4+4.
 *   [2+n..] operations, one octet each, a = octet >> 3 (0-31):
 *          0 RAW    feed the next a * 256 + (next octet) + 1 octets as they are
 *          1 REQ    Request-TW-Session with parameter set a % 4 (the last one is invalid)
 *          2 START  Start-Sessions
 *          3 STOP   Stop-Sessions, Accept a % 8
 *          4 STARTN Start-N-Sessions with the SIDs of the slots in the next octet (bit mask)
 *          5 STOPN  Stop-N-Sessions, Accept a % 8, slots in the next octet
 *          6 TICK   time moves a * 1.25 s, then tw_ctrl_cli_tick()
 *          7 SEAL   a server message of 16 * (a + 1) plaintext octets from the input,
 *                   HMAC'd and encrypted as the server would once the control stream is
 *                   set up (2/4/8 after Server-Start), fed as they are otherwise.
 * Sealed: the harness writes the Server Greeting (the conversation's offered modes plus 128
 *   and 512 as flagged), checks the client's Set-Up-Response (Mode, KeyID, and a Token that
 *   decrypts to the Challenge and the client's keys), then answers Server-Start; from then on
 *   SEAL reaches the reply parsing behind the encryption. Raw: the harness learns the Server-IV
 *   from the octets it fed, so SEAL works after a raw handshake too.
 *
 * Properties (abort(), not assert(): release builds define NDEBUG):
 *  - input() returns 0 until closed, then -EPIPE, and writes only the Set-Up-Response, once;
 *    commands return documented codes and write exactly their message;
 *  - the Mode has one offered, allowed security bit and only offered, wanted feature bits;
 *  - events are consistent with the session slots (an ACCEPT names a slot now ACCEPTED or
 *    REFUSED, a READY carries the Server-Start Accept); every error is one clean CLOSE, with a
 *    reason, after which the client is CLOSED for good;
 *  - a far-future tick closes a handshake still in progress; a call with too little room in
 *    `out` is refused (-ENOBUFS) and changes nothing;
 *  - free() leaves nothing behind (ASan/LSan, valgrind).
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

#define NB_CONVS (sizeof(ctrlv_convs) / sizeof(ctrlv_convs[0]))

enum {
	F_SEALED = 8,
	F_IKE = 16,
	F_ONE = 32,
	F_PTP = 64,
	F_NOSECRET = 128,
	F1_LAYOUT44 = 128,			/* in data[1] */
	SEL_AUTO = 7,				/* data[0] & 7: no forced mode */
	SLOTS = 8,
	OUT_CAP = 4096,
	HS_LEN = TW_CTRL_GREETING_LEN + TW_CTRL_SERVER_START_LEN,
	MAX_COUNT = 4096,			/* bound the PBKDF2 work a greeting can ask for */
};

enum op {
	OP_RAW,
	OP_REQ,
	OP_START,
	OP_STOP,
	OP_STARTN,
	OP_STOPN,
	OP_TICK,
	OP_SEAL,
};

static const uint64_t STEP = 10ULL * 1000000000ULL;

static const uint8_t ike_spi_i[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
static const uint8_t ike_spi_r[8] = { 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xf0, 0x01 };
static const uint8_t ike_spi_i4[8] = { 0x11, 0x22, 0x33, 0x44 };
static const uint8_t ike_spi_r4[8] = { 0x99, 0xaa, 0xbb, 0xcc };
static const uint8_t ike_secret[32] = "PRF(SK_d, \"IPPM\") of a fuzz SA!";

struct fz {
	/* client randomness: the conversation's octets, then an LCG */
	const uint8_t *rand;
	size_t rand_len;
	size_t rand_off;
	uint64_t seed;

	struct tw_ctrl_cli *c;
	struct tw_ctrl_cli_conf conf;
	uint8_t out_buf[OUT_CAP];
	struct tw_ctrl_out out;
	uint64_t now;
	const uint8_t *sizes;
	size_t nb_sizes;
	size_t k;

	/* the first octets of the server stream, to know the greeting and the Server-IV */
	uint8_t hs[HS_LEN];
	size_t hs_len;
	bool answered;				/* Set-Up-Response seen */
	uint32_t mode;				/* ... with this Mode */
	/* the server's sending direction, once the control stream is set up (2/4/8) */
	struct tw_ctrl_stream tx;
	bool tx_on;

	uint64_t closes;
	uint64_t readys;
	uint64_t accepted;
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

static void
fz_event(void *arg, const struct tw_ctrl_event *ev)
{
	struct fz *f = arg;
	const struct tw_ctrl_cli_session *s;

	CHECK(ev->type <= TW_CTRL_EV_CLOSE);
	CHECK(ev->nb_sids == 0 || ev->sids != NULL);
	CHECK(ev->nb_sids <= f->conf.max_sessions);
	switch (ev->type) {
	case TW_CTRL_EV_READY:
		f->readys++;
		CHECK(f->readys == 1);
		CHECK(ev->accept == tw_ctrl_cli_server_accept(f->c));
		if (ev->accept == TW_CTRL_ACCEPT_OK)
			CHECK(tw_ctrl_cli_state(f->c) == TW_CTRL_CLI_READY);
		break;
	case TW_CTRL_EV_ACCEPT:
		CHECK(ev->session >= 0 && (uint32_t)ev->session < f->conf.max_sessions);
		s = tw_ctrl_cli_session(f->c, (unsigned int)ev->session);
		CHECK(s != NULL && s->accept == ev->accept);
		CHECK(s->state == (ev->accept == TW_CTRL_ACCEPT_OK ? TW_CTRL_CLI_SESS_ACCEPTED
								    : TW_CTRL_CLI_SESS_REFUSED));
		if (ev->accept == TW_CTRL_ACCEPT_OK)
			f->accepted++;
		break;
	case TW_CTRL_EV_CLOSE:
		f->closes++;
		CHECK(f->closes == 1);
		CHECK(ev->reason != TW_CTRL_OPEN && ev->reason < TW_CTRL_CLOSE_MAX);
		CHECK(tw_ctrl_cli_closed(f->c) == ev->reason);
		CHECK(tw_ctrl_cli_state(f->c) == TW_CTRL_CLI_CLOSED);
		break;
	default:
		break;
	}
}

static bool
one_bit(uint32_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/* The Set-Up-Response the client wrote for the greeting in f->hs. */
static void
check_setup(struct fz *f, const uint8_t *buf)
{
	static uint8_t cache_salt[16], cache_key[16];
	static uint32_t cache_count;
	static const uint8_t *cache_secret;
	struct tw_ctrl_greeting g;
	struct tw_ctrl_setup m;
	struct tw_ctrl_token t;
	struct tw_ctrl_keys keys;
	uint8_t keyid[TW_CTRL_KEYID_LEN];
	const uint8_t *secret;
	size_t secret_len;
	uint32_t sec;

	CHECK(f->hs_len >= TW_CTRL_GREETING_LEN);
	CHECK(tw_ctrl_greeting_decode(f->hs, TW_CTRL_GREETING_LEN, &g) == 0);
	CHECK(tw_ctrl_setup_decode(buf, TW_CTRL_SETUP_LEN, &m) == 0);
	sec = m.mode & TW_CTRL_MODE_SECURITY;
	CHECK(one_bit(sec) && (sec & g.modes & f->conf.modes) != 0);
	CHECK((m.mode & TW_CTRL_MODE_FEATURES & ~(g.modes & f->conf.features)) == 0);
	CHECK((m.mode & ~(uint32_t)(TW_CTRL_MODE_SUPPORTED | TW_CTRL_MODE_IKEV2)) == 0);
	CHECK(m.mode == tw_ctrl_cli_mode(f->c));
	if (m.mode & TW_CTRL_MODE_IKEV2)
		CHECK(f->conf.ike.enable && (g.modes & TW_CTRL_MODE_IKEV2) &&
		      (sec & TW_CTRL_MODE_CIPHER_CONTROL));
	f->answered = true;
	f->mode = m.mode;
	if (!(sec & TW_CTRL_MODE_CIPHER_CONTROL)) {
		CHECK(tw_ctrl_cli_keys(f->c, &keys) == -ENOKEY);
		return;
	}
	/* RFC 4656 §3.1: the Token is the Challenge and the client's keys under the derived key. */
	CHECK(g.count >= TW_CTRL_COUNT_MIN && g.count <= f->conf.max_count);
	if (m.mode & TW_CTRL_MODE_IKEV2) {
		memset(keyid, 0, sizeof(keyid));
		if (f->conf.ike.layout == TW_CTRL_SPI_4_4) {
			memcpy(keyid, ike_spi_i4, 4);
			memcpy(keyid + 4, ike_spi_r4, 4);
		} else {
			memcpy(keyid, ike_spi_i, 8);
			memcpy(keyid + 8, ike_spi_r, 8);
		}
		CHECK(memcmp(m.keyid, keyid, sizeof(keyid)) == 0);
		secret = ike_secret;
		secret_len = sizeof(ike_secret);
	} else {
		CHECK(memcmp(m.keyid, f->conf.keyid, sizeof(m.keyid)) == 0);
		CHECK(f->conf.secret_len > 0);
		secret = (const uint8_t *)CTRLV_SECRET;
		secret_len = sizeof(CTRLV_SECRET) - 1;
	}
	if (cache_secret != secret || cache_count != g.count ||
	    memcmp(cache_salt, g.salt, sizeof(cache_salt)) != 0) {
		CHECK(tw_ctrl_derive_key(secret, secret_len, g.salt, g.count, cache_key) == 0);
		cache_secret = secret;
		cache_count = g.count;
		memcpy(cache_salt, g.salt, sizeof(cache_salt));
	}
	CHECK(tw_ctrl_token_open(cache_key, m.token, &t) == 0);
	CHECK(memcmp(t.challenge, g.challenge, sizeof(t.challenge)) == 0);
	CHECK(tw_ctrl_cli_keys(f->c, &keys) == 0);
	CHECK(memcmp(&keys, &t.keys, sizeof(keys)) == 0);
}

/*
 * The client just accepted Server-Start in a cipher mode: set up the server's sending direction
 * as the server did (Server-IV from the octets fed, the last block of Server-Start is the first
 * block of that stream and covered by the first HMAC), so SEAL can write valid messages.
 */
static void
server_stream(struct fz *f)
{
	const uint8_t *ss = f->hs + TW_CTRL_GREETING_LEN;
	struct tw_ctrl_stream dec;
	struct tw_ctrl_keys keys;
	uint8_t plain[16], again[16];

	CHECK(f->hs_len == HS_LEN);
	CHECK(tw_ctrl_cli_keys(f->c, &keys) == 0);
	memcpy(plain, ss + 32, 16);
	CHECK(tw_ctrl_stream_init(&dec, &keys, ss + 16, false) == 0);
	CHECK(tw_ctrl_stream_crypt(&dec, plain, 16) == 0);
	tw_ctrl_stream_fini(&dec);
	CHECK(tw_ctrl_stream_init(&f->tx, &keys, ss + 16, true) == 0);
	CHECK(tw_ctrl_stream_cover(&f->tx, plain, 16) == 0);
	memcpy(again, plain, 16);
	CHECK(tw_ctrl_stream_crypt(&f->tx, again, 16) == 0);
	CHECK(memcmp(again, ss + 32, 16) == 0);
	f->tx_on = true;
}

/* Feed server octets in writes of the sizes the input chose; check every call. */
static void
feed(struct fz *f, const uint8_t *p, size_t len)
{
	enum tw_ctrl_cli_state before;
	size_t off = 0, n;
	int rc;

	while (off < len) {
		n = f->nb_sizes > 0 ? f->sizes[f->k++ % f->nb_sizes] : len;
		if (n == 0)
			n = 1;
		if (n > len - off)
			n = len - off;
		before = tw_ctrl_cli_state(f->c);
		f->out.len = 0;
		rc = tw_ctrl_cli_input(f->c, p + off, n, f->now, &f->out);
		if (before == TW_CTRL_CLI_CLOSED) {
			CHECK(rc == -EPIPE && f->out.len == 0);
			return;
		}
		CHECK(rc == 0);
		if (f->hs_len < HS_LEN) {
			size_t take = HS_LEN - f->hs_len < n ? HS_LEN - f->hs_len : n;

			memcpy(f->hs + f->hs_len, p + off, take);
			f->hs_len += take;
		}
		/* Only the greeting is answered, and at once. */
		if (f->out.len > 0) {
			CHECK(before == TW_CTRL_CLI_GREETING && !f->answered);
			CHECK(f->out.len == TW_CTRL_SETUP_LEN);
			check_setup(f, f->out_buf);
		}
		if (tw_ctrl_cli_state(f->c) == TW_CTRL_CLI_READY && !f->tx_on &&
		    (f->mode & TW_CTRL_MODE_CIPHER_CONTROL))
			server_stream(f);
		off += n;
	}
}

/* Sealed scenario: the Server Greeting, and Server-Start once the client has answered. */
static void
handshake(struct fz *f, const struct ctrlv_conv *v, uint8_t sel, uint8_t accept)
{
	struct tw_ctrl_greeting g;
	struct tw_ctrl_server_start ss;
	struct tw_ctrl_keys keys;
	uint8_t buf[HS_LEN];

	memset(&g, 0, sizeof(g));
	g.modes = v->offered | ((sel & F_IKE) ? (uint32_t)TW_CTRL_MODE_IKEV2 : 0) |
		  ((sel & F_PTP) ? (uint32_t)TW_CTRL_MODE_PTP : 0);
	for (size_t i = 0; i < 16; i++) {
		g.challenge[i] = (uint8_t)(0xc0 + i);
		g.salt[i] = (uint8_t)(0x50 + i);
	}
	g.count = CTRLV_COUNT;
	CHECK(tw_ctrl_greeting_encode(&g, buf, TW_CTRL_GREETING_LEN) == TW_CTRL_GREETING_LEN);
	feed(f, buf, TW_CTRL_GREETING_LEN);
	if (tw_ctrl_cli_state(f->c) != TW_CTRL_CLI_SERVER_START)
		return;
	memset(&ss, 0, sizeof(ss));
	ss.accept = accept;
	if (accept == TW_CTRL_ACCEPT_OK) {
		memset(ss.server_iv, 0x5a, sizeof(ss.server_iv));
		ss.start_time = CTRLV_START_TIME;
	}
	CHECK(tw_ctrl_server_start_encode(&ss, buf, TW_CTRL_SERVER_START_LEN) ==
	      TW_CTRL_SERVER_START_LEN);
	if (accept == TW_CTRL_ACCEPT_OK && (f->mode & TW_CTRL_MODE_CIPHER_CONTROL)) {
		CHECK(tw_ctrl_cli_keys(f->c, &keys) == 0);
		CHECK(tw_ctrl_stream_init(&f->tx, &keys, ss.server_iv, true) == 0);
		CHECK(tw_ctrl_stream_cover(&f->tx, buf + 32, 16) == 0);
		CHECK(tw_ctrl_stream_crypt(&f->tx, buf + 32, 16) == 0);
		f->tx_on = true;
	}
	feed(f, buf, TW_CTRL_SERVER_START_LEN);
	if (accept != TW_CTRL_ACCEPT_OK)
		CHECK(tw_ctrl_cli_closed(f->c) == TW_CTRL_CLOSE_REFUSED);
	else
		CHECK(tw_ctrl_cli_state(f->c) == TW_CTRL_CLI_READY);
}

static void
params(unsigned int i, struct tw_ctrl_session_params *p)
{
	const struct ctrlv_param *v = &ctrlv_params[i % 2];

	memset(p, 0, sizeof(*p));
	if (i >= 2) {
		/* IPv6, and then IPVN 5, which the client must refuse itself */
		p->ipvn = i == 2 ? 6 : 5;
		p->sender_addr[0] = 0x20;
		p->sender_addr[1] = 0x01;
		p->sender_addr[15] = 1;
		p->receiver_addr[0] = 0x20;
		p->receiver_addr[1] = 0x01;
		p->receiver_addr[15] = 2;
		p->sender_port = 30000;
		p->receiver_port = 30001;
		p->padding_len = 1400;
		return;
	}
	p->ipvn = v->ipvn;
	memcpy(p->sender_addr, v->saddr, 4);
	memcpy(p->receiver_addr, v->raddr, 4);
	p->sender_port = v->sport;
	p->receiver_port = v->rport;
	p->padding_len = v->padding;
	p->start_time = v->start;
	p->timeout = v->timeout;
	p->type_p = v->typep;
	p->octets_reflected = v->otbr;
	p->padding_reflect = v->lpr;
}

/* A command's return code and output: exactly its message on success, nothing otherwise. */
static void
check_cmd(struct fz *f, int rc, size_t msg_len, bool open_before)
{
	if (!open_before) {
		CHECK(rc == -EINVAL && f->out.len == 0);
		return;
	}
	CHECK(rc == 0 || rc == -EINVAL || rc == -ENOTSUP || rc == -ENOSPC || rc == -EBUSY);
	CHECK(f->out.len == (rc == 0 ? msg_len : 0));
}

static void
nmsg(struct fz *f, enum op op, uint8_t accept, uint8_t mask)
{
	uint8_t sids[SLOTS][TW_CTRL_SID_LEN];
	const struct tw_ctrl_cli_session *s;
	bool ready = tw_ctrl_cli_state(f->c) == TW_CTRL_CLI_READY;
	uint32_t n = 0;
	int rc;

	for (unsigned int i = 0; i < SLOTS; i++) {
		s = tw_ctrl_cli_session(f->c, i);
		if ((mask & (1u << i)) && s != NULL)
			memcpy(sids[n++], s->sid, TW_CTRL_SID_LEN);
	}
	f->out.len = 0;
	if (op == OP_STARTN)
		rc = tw_ctrl_cli_start_n(f->c, (const uint8_t(*)[TW_CTRL_SID_LEN])sids, n, f->now,
					 &f->out);
	else
		rc = tw_ctrl_cli_stop_n(f->c, accept, (const uint8_t(*)[TW_CTRL_SID_LEN])sids, n,
					f->now, &f->out);
	if (n == 0)
		CHECK(rc == -EINVAL);
	if (rc == 0)
		CHECK(ready && (tw_ctrl_cli_mode(f->c) & TW_CTRL_MODE_ISC));
	check_cmd(f, rc, tw_ctrl_nmsg_len(n), ready || n == 0);
}

/* Run the operations; returns when the input is used up. */
static void
run(struct fz *f, const uint8_t *p, size_t len)
{
	struct tw_ctrl_session_params sp;
	uint8_t msg[512];
	size_t off = 0, l;
	bool ready;
	int rc;

	while (off < len) {
		uint8_t o = p[off++], a = o >> 3;

		ready = tw_ctrl_cli_state(f->c) == TW_CTRL_CLI_READY;
		f->out.len = 0;
		switch ((enum op)(o & 7)) {
		case OP_RAW:
			l = (size_t)a * 256 + (off < len ? p[off++] : 0) + 1;
			if (l > len - off)
				l = len - off;
			feed(f, p + off, l);
			off += l;
			break;
		case OP_REQ:
			params(a % 4, &sp);
			rc = tw_ctrl_cli_request(f->c, &sp, f->now, &f->out);
			if (rc >= 0) {
				CHECK(ready && sp.ipvn != 5 && (uint32_t)rc < f->conf.max_sessions);
				CHECK(tw_ctrl_cli_session(f->c, (unsigned int)rc)->state ==
				      TW_CTRL_CLI_SESS_REQUESTED);
				rc = 0;
			}
			check_cmd(f, rc, TW_CTRL_REQUEST_LEN, ready);
			break;
		case OP_START:
			rc = tw_ctrl_cli_start(f->c, f->now, &f->out);
			check_cmd(f, rc, TW_CTRL_START_LEN, ready);
			break;
		case OP_STOP:
			rc = tw_ctrl_cli_stop(f->c, a % 8, f->now, &f->out);
			check_cmd(f, rc, TW_CTRL_STOP_LEN, ready);
			break;
		case OP_STARTN:
		case OP_STOPN:
			nmsg(f, (enum op)(o & 7), a % 8, off < len ? p[off++] : 0);
			break;
		case OP_TICK:
			f->now += (uint64_t)a * (STEP / 8);
			CHECK(tw_ctrl_cli_tick(f->c, f->now) == 0);
			break;
		case OP_SEAL:
			l = 16 * ((size_t)a + 1);
			memset(msg, 0, sizeof(msg));
			memcpy(msg, p + off, len - off < l ? len - off : l);
			off += len - off < l ? len - off : l;
			if (f->tx_on) {
				if (l >= 32)
					CHECK(tw_ctrl_stream_seal(&f->tx, msg, l) == 0);
				else
					CHECK(tw_ctrl_stream_crypt(&f->tx, msg, l) == 0);
			}
			feed(f, msg, l);
			break;
		}
	}
}

/* Too little room in `out`: refused, nothing consumed, nothing written, no state change. */
static void
check_nobufs(struct fz *f)
{
	struct tw_ctrl_out small = { .buf = f->out_buf, .cap = TW_CTRL_SETUP_LEN - 1 };
	enum tw_ctrl_cli_state st = tw_ctrl_cli_state(f->c);
	uint64_t rx = tw_ctrl_cli_stats(f->c)->rx_octets;
	struct tw_ctrl_session_params sp;

	if (st == TW_CTRL_CLI_CLOSED)
		return;
	CHECK(tw_ctrl_cli_input(f->c, f->hs, 1, f->now, &small) == -ENOBUFS);
	CHECK(small.len == 0 && tw_ctrl_cli_state(f->c) == st);
	CHECK(tw_ctrl_cli_stats(f->c)->rx_octets == rx);
	if (st != TW_CTRL_CLI_READY)
		return;
	small.cap = TW_CTRL_REQUEST_LEN - 1;
	params(0, &sp);
	CHECK(tw_ctrl_cli_request(f->c, &sp, f->now, &small) == -ENOBUFS && small.len == 0);
	small.cap = TW_CTRL_START_LEN - 1;
	CHECK(tw_ctrl_cli_start(f->c, f->now, &small) == -ENOBUFS && small.len == 0);
	CHECK(tw_ctrl_cli_state(f->c) == st);
}

static void
finish(struct fz *f)
{
	enum tw_ctrl_cli_state st = tw_ctrl_cli_state(f->c);
	struct tw_ctrl_session_params sp;
	uint32_t mode = tw_ctrl_cli_mode(f->c);

	check_nobufs(f);

	CHECK(tw_ctrl_cli_stats(f->c)->sessions_accepted == f->accepted);
	CHECK(tw_ctrl_cli_ptp(f->c) == ((mode & TW_CTRL_MODE_PTP) != 0));
	if (st == TW_CTRL_CLI_CLOSED) {
		CHECK(f->closes == 1);
	} else {
		CHECK(f->closes == 0 && tw_ctrl_cli_closed(f->c) == TW_CTRL_OPEN);
		if (st == TW_CTRL_CLI_READY)
			CHECK(f->answered && mode == f->mode && f->readys == 1 &&
			      tw_ctrl_cli_server_accept(f->c) == TW_CTRL_ACCEPT_OK);
		else
			CHECK(tw_ctrl_cli_server_accept(f->c) == -1);
	}
	/* A handshake never waits forever; READY waits only for owed replies. (The deadlines run
	 * from the first call that brings a `now`, which may be this one.) */
	CHECK(tw_ctrl_cli_tick(f->c, f->now) == 0);
	st = tw_ctrl_cli_state(f->c);
	CHECK(tw_ctrl_cli_tick(f->c, UINT64_MAX - 1) == 0);
	if (st == TW_CTRL_CLI_GREETING || st == TW_CTRL_CLI_SERVER_START)
		CHECK(tw_ctrl_cli_closed(f->c) == TW_CTRL_CLOSE_TIMEOUT);
	if (tw_ctrl_cli_state(f->c) == TW_CTRL_CLI_READY)
		CHECK(tw_ctrl_cli_deadline(f->c) == UINT64_MAX);
	tw_ctrl_cli_close(f->c);
	CHECK(f->closes == 1 && tw_ctrl_cli_state(f->c) == TW_CTRL_CLI_CLOSED);
	CHECK(tw_ctrl_cli_deadline(f->c) == UINT64_MAX);
	f->out.len = 0;
	CHECK(tw_ctrl_cli_input(f->c, f->hs, 1, f->now, &f->out) == -EPIPE);
	params(0, &sp);
	CHECK(tw_ctrl_cli_request(f->c, &sp, f->now, &f->out) == -EINVAL && f->out.len == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz f;
	const struct ctrlv_conv *v;
	uint8_t sel;
	size_t nb_sizes;

	if (size < 2)
		return 0;
	sel = data[0];
	nb_sizes = data[1] & 15;
	if (size < 2 + nb_sizes)
		return 0;
	v = ctrlv_convs[(sel & 7) == SEL_AUTO ? 0 : (sel & 7) % NB_CONVS];

	memset(&f, 0, sizeof(f));
	f.rand = v->cli_rand;
	f.rand_len = v->cli_rand_len;
	f.seed = sel;
	f.now = CTRLV_NOW;
	f.sizes = data + 2;
	f.nb_sizes = nb_sizes;
	f.out.buf = f.out_buf;
	f.out.cap = sizeof(f.out_buf);

	tw_ctrl_cli_conf_defaults(&f.conf);
	f.conf.modes = TW_CTRL_MODE_SECURITY;
	f.conf.force_mode = (sel & 7) == SEL_AUTO ? 0 : v->mode & TW_CTRL_MODE_SECURITY;
	f.conf.features = (sel & 7) == SEL_AUTO ? TW_CTRL_MODE_ISC | TW_CTRL_MODE_REFLECT_OCTETS |
			  TW_CTRL_MODE_SYMMETRICAL : v->mode & TW_CTRL_MODE_FEATURES;
	if (sel & F_PTP)
		f.conf.features |= TW_CTRL_MODE_PTP;
	f.conf.max_count = MAX_COUNT;
	f.conf.max_sessions = (sel & F_ONE) ? 1 : SLOTS;
	f.conf.step_timeout_ns = STEP;
	memcpy(f.conf.keyid, CTRLV_KEYID, sizeof(CTRLV_KEYID) - 1);
	if (!(sel & F_NOSECRET)) {
		f.conf.secret = (const uint8_t *)CTRLV_SECRET;
		f.conf.secret_len = sizeof(CTRLV_SECRET) - 1;
	}
	if (sel & F_IKE) {
		f.conf.ike.enable = true;
		f.conf.ike.layout = (data[1] & F1_LAYOUT44) ? TW_CTRL_SPI_4_4 : TW_CTRL_SPI_8_8;
		memcpy(f.conf.ike.spi_i, f.conf.ike.layout == TW_CTRL_SPI_4_4 ? ike_spi_i4 :
			ike_spi_i, 8);
		memcpy(f.conf.ike.spi_r, f.conf.ike.layout == TW_CTRL_SPI_4_4 ? ike_spi_r4 :
			ike_spi_r, 8);
		f.conf.ike.secret = ike_secret;
		f.conf.ike.secret_len = sizeof(ike_secret);
		f.conf.force_mode = TW_CTRL_MODE_IKEV2 |
				    (f.conf.force_mode & TW_CTRL_MODE_CIPHER_CONTROL);
	}
	f.conf.ops.random = fz_random;
	f.conf.ops.event = fz_event;
	f.c = tw_ctrl_cli_new(&f.conf, &f);
	CHECK(f.c != NULL);
	CHECK(tw_ctrl_cli_state(f.c) == TW_CTRL_CLI_GREETING);
	CHECK(tw_ctrl_cli_server_accept(f.c) == -1);

	if (sel & F_SEALED)
		handshake(&f, v, sel, (data[1] >> 4) & 7);
	run(&f, data + 2 + nb_sizes, size - 2 - nb_sizes);
	finish(&f);

	if (f.tx_on)
		tw_ctrl_stream_fini(&f.tx);
	tw_ctrl_cli_free(f.c);
	return 0;
}
