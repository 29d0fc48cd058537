/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ctrl unit tests: TWAMP-Control messages, crypto, and the server and client machines.
 *
 * Expected octets never come from the code under test. RFC 6070 vectors are the RFC's; every
 * other vector (Token, control stream, test keys, golden messages, whole conversations in modes
 * 1, 2, 4, 8 and with features 16/32/64) was computed by tests/unit/ctrl_vectors/
 * gen_ctrl_vectors.py with Python's hashlib/hmac and the `cryptography` package, from the RFC
 * text, and lives in ctrl_vectors/ctrl_vectors.h. Regenerate with:
 *   /usr/bin/python3 tests/unit/ctrl_vectors/gen_ctrl_vectors.py \
 *       > tests/unit/ctrl_vectors/ctrl_vectors.h
 * Randomness is replaced by callbacks handing out the vectors' fixed octets in a documented
 * order, or a splitmix64 stream, so every failure replays.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tw_ctrl.h"
#include "tw_ctrl_crypto.h"
#include "tw_ctrl_ratelim.h"
#include "tw_ctrl_tports.h"

#include "ctrl_vectors/ctrl_vectors.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define NSEC 1000000000ULL
#define OUT_CAP 65536
#define STEP (30 * NSEC)
#define NOW CTRLV_NOW

/* ---------------------------------------------------------------------------------------------
 * Environment: randomness, key store, session policy, event log
 * ------------------------------------------------------------------------------------------- */

struct rnd {
	const uint8_t *p;		/* fixed octets, or NULL for splitmix64 */
	size_t len;
	size_t off;
	uint64_t seed;
	bool fail;
	bool constant;			/* every octet 0xab: SIDs collide */
};

static int
rnd_fill(struct rnd *r, uint8_t *buf, size_t len)
{
	if (r->fail)
		return -EIO;
	if (r->constant) {
		memset(buf, 0xab, len);
		return 0;
	}
	if (r->p != NULL) {
		if (r->off + len > r->len)
			return -EIO;
		memcpy(buf, r->p + r->off, len);
		r->off += len;
		return 0;
	}
	for (size_t i = 0; i < len; i++) {
		uint64_t z = (r->seed += 0x9e3779b97f4a7c15ULL);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		buf[i] = (uint8_t)(z ^ (z >> 31));
	}
	return 0;
}

enum key_mode { KEY_SYNC, KEY_ASYNC, KEY_FAIL };

struct evlog {
	unsigned int nb[TW_CTRL_EV_CLOSE + 1];
	uint8_t last_accept[TW_CTRL_EV_CLOSE + 1];
	enum tw_ctrl_close reason;
	unsigned int started;		/* SIDs reported started */
	unsigned int stopped;		/* SIDs reported stopped */
	uint8_t last_sids[16][TW_CTRL_SID_LEN];
	uint32_t last_nb_sids;
	int last_session;
};

struct env {
	struct rnd rnd;
	struct evlog ev;
	enum key_mode key_mode;
	uint8_t keyid[TW_CTRL_KEYID_LEN];
	const uint8_t *secret;
	size_t secret_len;
	unsigned int lookups;
	uint8_t answer_accept;		/* session_request answer */
	uint16_t answer_port;		/* 0: keep the preset */
	unsigned int requests;
	struct tw_ctrl_session_req last_req;
	/* RFC 7717 fake key provider: one IKEv2 SA */
	enum key_mode ike_mode;
	uint8_t ike_spi_i[8];
	uint8_t ike_spi_r[8];
	size_t ike_spi_len;
	const uint8_t *ike_secret;
	size_t ike_secret_len;
	unsigned int ike_lookups;
	size_t ike_last_spi_len;
};

static int
cb_random(void *arg, uint8_t *buf, size_t len)
{
	return rnd_fill(&((struct env *)arg)->rnd, buf, len);
}

static int
cb_key(void *arg, const uint8_t keyid[TW_CTRL_KEYID_LEN], uint8_t *secret, size_t *len)
{
	struct env *e = arg;

	e->lookups++;
	if (e->key_mode == KEY_ASYNC)
		return -EINPROGRESS;
	if (e->key_mode == KEY_FAIL)
		return -EIO;
	if (memcmp(keyid, e->keyid, TW_CTRL_KEYID_LEN) != 0)
		return -ENOENT;
	assert_true(*len >= e->secret_len);
	memcpy(secret, e->secret, e->secret_len);
	*len = e->secret_len;
	return 0;
}

static int
cb_ike(void *arg, const uint8_t *spi_i, const uint8_t *spi_r, size_t spi_len, uint8_t *secret,
       size_t *len)
{
	struct env *e = arg;

	e->ike_lookups++;
	e->ike_last_spi_len = spi_len;
	if (e->ike_mode == KEY_ASYNC)
		return -EINPROGRESS;
	if (e->ike_mode == KEY_FAIL)
		return -EIO;
	if (spi_len != e->ike_spi_len || memcmp(spi_i, e->ike_spi_i, spi_len) != 0 ||
	    memcmp(spi_r, e->ike_spi_r, spi_len) != 0)
		return -ENOENT;
	assert_true(*len >= e->ike_secret_len);
	memcpy(secret, e->ike_secret, e->ike_secret_len);
	*len = e->ike_secret_len;
	return 0;
}

static void
cb_session(void *arg, const struct tw_ctrl_session_req *req, struct tw_ctrl_session_answer *ans)
{
	struct env *e = arg;

	e->requests++;
	e->last_req = *req;
	assert_int_equal(ans->accept, TW_CTRL_ACCEPT_OK);
	assert_int_equal(ans->port, req->receiver_port);
	ans->accept = e->answer_accept;
	if (e->answer_port != 0)
		ans->port = e->answer_port;
	if (req->mode & TW_CTRL_MODE_REFLECT_OCTETS)
		ans->server_octets = CTRLV_SERVER_OCTETS;
}

static void
cb_event(void *arg, const struct tw_ctrl_event *ev)
{
	struct evlog *l = &((struct env *)arg)->ev;

	assert_true(ev->type <= TW_CTRL_EV_CLOSE);
	l->nb[ev->type]++;
	l->last_accept[ev->type] = ev->accept;
	l->last_session = ev->session;
	if (ev->type == TW_CTRL_EV_CLOSE) {
		/* Exactly one close per connection. */
		assert_int_equal(l->nb[TW_CTRL_EV_CLOSE], 1);
		l->reason = ev->reason;
	}
	if (ev->type == TW_CTRL_EV_START && ev->accept == 0)
		l->started += ev->nb_sids;
	if (ev->type == TW_CTRL_EV_STOP)
		l->stopped += ev->nb_sids;
	if (ev->nb_sids > 0 && ev->nb_sids <= 16) {
		memcpy(l->last_sids, ev->sids, ev->nb_sids * TW_CTRL_SID_LEN);
		l->last_nb_sids = ev->nb_sids;
	}
}

static void
env_keys(struct env *e)
{
	memset(e->keyid, 0, sizeof(e->keyid));
	memcpy(e->keyid, CTRLV_KEYID, sizeof(CTRLV_KEYID) - 1);
	e->secret = (const uint8_t *)CTRLV_SECRET;
	e->secret_len = sizeof(CTRLV_SECRET) - 1;
}

/* ---------------------------------------------------------------------------------------------
 * Harnesses
 * ------------------------------------------------------------------------------------------- */

struct sh {
	struct tw_ctrl_srv *s;
	struct tw_ctrl_srv_conf conf;
	struct env env;
	struct tw_ctrl_addr peer, local;
	uint8_t buf[OUT_CAP];
	struct tw_ctrl_out out;
};

static void
sh_conf(struct sh *h, uint32_t offered)
{
	tw_ctrl_srv_conf_defaults(&h->conf);
	h->conf.modes = offered;
	h->conf.count = CTRLV_COUNT;
	h->conf.start_time = CTRLV_START_TIME;
	h->conf.start_mono_ns = CTRLV_START_MONO;
	h->conf.step_timeout_ns = STEP;
	h->conf.ops.random = cb_random;
	h->conf.ops.key_lookup = cb_key;
	h->conf.ops.session_request = cb_session;
	h->conf.ops.event = cb_event;
}

/* A harness with its conf set but no server yet: tests adjust conf, then sh_new(). */
static struct sh *
sh_alloc(uint32_t offered, const uint8_t *rand, size_t rand_len)
{
	static const uint8_t peer4[4] = { 198, 18, 0, 1 }, local4[4] = { 198, 18, 0, 2 };
	struct sh *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	h->env.rnd.p = rand;
	h->env.rnd.len = rand_len;
	h->env.rnd.seed = 42;
	h->env.last_req.ipvn = 0;
	env_keys(&h->env);
	h->peer.family = 4;
	memcpy(h->peer.addr, peer4, 4);
	h->local.family = 4;
	memcpy(h->local.addr, local4, 4);
	h->out.buf = h->buf;
	h->out.cap = sizeof(h->buf);
	sh_conf(h, offered);
	return h;
}

static void
sh_new(struct sh *h)
{
	h->s = tw_ctrl_srv_new(&h->conf, &h->peer, &h->local, &h->env);
	assert_non_null(h->s);
	assert_int_equal(tw_ctrl_srv_start(h->s, NOW, &h->out), 0);
	assert_int_equal(h->out.len, TW_CTRL_GREETING_LEN);
}

static struct sh *
sh_make(uint32_t offered, const uint8_t *rand, size_t rand_len)
{
	struct sh *h = sh_alloc(offered, rand, rand_len);

	sh_new(h);
	return h;
}

static void
sh_free(struct sh *h)
{
	tw_ctrl_srv_free(h->s);
	free(h);
}

static void
sh_feed(struct sh *h, const uint8_t *p, size_t len, uint64_t now)
{
	assert_int_equal(tw_ctrl_srv_input(h->s, p, len, now, &h->out), 0);
}

struct ch {
	struct tw_ctrl_cli *c;
	struct tw_ctrl_cli_conf conf;
	struct env env;
	uint8_t buf[OUT_CAP];
	struct tw_ctrl_out out;
	int slot_of[8];			/* vector params index -> session slot */
};

static struct ch *
ch_alloc(uint32_t modes, uint32_t features, const uint8_t *rand, size_t rand_len)
{
	struct ch *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	h->env.rnd.p = rand;
	h->env.rnd.len = rand_len;
	h->env.rnd.seed = 7;
	env_keys(&h->env);
	tw_ctrl_cli_conf_defaults(&h->conf);
	h->conf.modes = modes;
	h->conf.features = features;
	memcpy(h->conf.keyid, h->env.keyid, sizeof(h->conf.keyid));
	h->conf.secret = h->env.secret;
	h->conf.secret_len = h->env.secret_len;
	h->conf.step_timeout_ns = STEP;
	h->conf.ops.random = cb_random;
	h->conf.ops.event = cb_event;
	h->out.buf = h->buf;
	h->out.cap = sizeof(h->buf);
	return h;
}

static void
ch_new(struct ch *h)
{
	h->c = tw_ctrl_cli_new(&h->conf, &h->env);
	assert_non_null(h->c);
}

static void
ch_free(struct ch *h)
{
	tw_ctrl_cli_free(h->c);
	free(h);
}

static void
params_from(const struct ctrlv_param *v, struct tw_ctrl_session_params *p)
{
	memset(p, 0, sizeof(*p));
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

static bool
is_cipher(uint32_t mode)
{
	return (mode & TW_CTRL_MODE_CIPHER_CONTROL) != 0;
}

/* ---------------------------------------------------------------------------------------------
 * Crypto
 * ------------------------------------------------------------------------------------------- */

struct pbkdf2_row {
	const char *pass;
	size_t pass_len;
	const char *salt;
	size_t salt_len;
	uint32_t count;
	size_t dk_len;
	const char *dk;
};

/* RFC 6070 §2 (the 16777216-iteration row is left out: it takes seconds). */
static const struct pbkdf2_row pbkdf2_rows[] = {
	{ "password", 8, "salt", 4, 1, 20,
	  "\x0c\x60\xc8\x0f\x96\x1f\x0e\x71\xf3\xa9\xb5\x24\xaf\x60\x12\x06\x2f\xe0\x37\xa6" },
	{ "password", 8, "salt", 4, 2, 20,
	  "\xea\x6c\x01\x4d\xc7\x2d\x6f\x8c\xcd\x1e\xd9\x2a\xce\x1d\x41\xf0\xd8\xde\x89\x57" },
	{ "password", 8, "salt", 4, 4096, 20,
	  "\x4b\x00\x79\x01\xb7\x65\x48\x9a\xbe\xad\x49\xd9\x26\xf7\x21\xd0\x65\xa4\x29\xc1" },
	{ "passwordPASSWORDpassword", 24, "saltSALTsaltSALTsaltSALTsaltSALTsalt", 36, 4096, 25,
	  "\x3d\x2e\xec\x4f\xe4\x1c\x84\x9b\x80\xc8\xd8\x36\x62\xc0\xe4\x4a\x8b\x29\x1a\x96"
	  "\x4c\xf2\xf0\x70\x38" },
	{ "pass\0word", 9, "sa\0lt", 5, 4096, 16,
	  "\x56\xfa\x6a\xa7\x55\x48\x09\x9d\xcc\x37\xd7\xf0\x34\x25\xe0\xc3" },
};

static void
test_pbkdf2_rfc6070(void **state)
{
	uint8_t out[32];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(pbkdf2_rows); i++) {
		const struct pbkdf2_row *r = &pbkdf2_rows[i];

		assert_int_equal(tw_ctrl_pbkdf2_sha1((const uint8_t *)r->pass, r->pass_len,
						     (const uint8_t *)r->salt, r->salt_len,
						     r->count, out, r->dk_len), 0);
		assert_memory_equal(out, r->dk, r->dk_len);
	}
	assert_int_equal(tw_ctrl_pbkdf2_sha1(NULL, 0, NULL, 0, 0, out, 16), -EINVAL);
}

static void
test_token(void **state)
{
	struct tw_ctrl_token t;
	uint8_t key[16], tok[64];

	(void)state;
	/* RFC 4656 §3.1: the Token key is PBKDF2(secret, Salt, Count) with dkLen 16. */
	assert_int_equal(tw_ctrl_derive_key((const uint8_t *)CTRLV_SECRET,
					    sizeof(CTRLV_SECRET) - 1, ctrlv_tok_salt, CTRLV_COUNT,
					    key), 0);
	assert_memory_equal(key, ctrlv_tok_key, 16);
	memcpy(&t, ctrlv_tok_plain, sizeof(t));
	assert_int_equal(tw_ctrl_token_seal(key, &t, tok), 0);
	assert_memory_equal(tok, ctrlv_tok_token, 64);
	memset(&t, 0, sizeof(t));
	assert_int_equal(tw_ctrl_token_open(key, ctrlv_tok_token, &t), 0);
	assert_memory_equal(&t, ctrlv_tok_plain, 64);
	/* A wrong key does not give the Challenge back. */
	key[0] ^= 1;
	assert_int_equal(tw_ctrl_token_open(key, ctrlv_tok_token, &t), 0);
	assert_false(tw_ctrl_mem_equal(t.challenge, ctrlv_tok_plain, 16));
}

static void
test_stream_vectors(void **state)
{
	struct tw_ctrl_stream tx, rx;
	struct tw_ctrl_keys k;
	uint8_t buf[96];

	(void)state;
	memcpy(k.aes, ctrlv_tok_plain + 16, 16);
	memcpy(k.hmac, ctrlv_tok_plain + 32, 32);

	/* Sender: Server-Start tail (covered, encrypted), then two sealed messages. */
	assert_int_equal(tw_ctrl_stream_init(&tx, &k, ctrlv_st_iv, true), 0);
	memcpy(buf, ctrlv_st_plain, sizeof(buf));
	assert_int_equal(tw_ctrl_stream_cover(&tx, buf, 16), 0);
	assert_int_equal(tw_ctrl_stream_crypt(&tx, buf, 16), 0);
	assert_int_equal(tw_ctrl_stream_seal(&tx, buf + 16, 48), 0);
	assert_int_equal(tw_ctrl_stream_seal(&tx, buf + 64, 32), 0);
	assert_memory_equal(buf, ctrlv_st_cipher, sizeof(buf));
	assert_int_equal(tw_ctrl_stream_seal(&tx, buf, 20), -EINVAL);
	tw_ctrl_stream_fini(&tx);
	tw_ctrl_stream_fini(&tx);	/* idempotent */

	/* Receiver: decrypt in arbitrary block groups, check both HMACs. */
	assert_int_equal(tw_ctrl_stream_init(&rx, &k, ctrlv_st_iv, false), 0);
	memcpy(buf, ctrlv_st_cipher, sizeof(buf));
	assert_int_equal(tw_ctrl_stream_crypt(&rx, buf, 16), 0);
	assert_int_equal(tw_ctrl_stream_cover(&rx, buf, 16), 0);
	assert_int_equal(tw_ctrl_stream_crypt(&rx, buf + 16, 32), 0);
	assert_int_equal(tw_ctrl_stream_crypt(&rx, buf + 48, 16), 0);
	assert_int_equal(tw_ctrl_stream_verify(&rx, buf + 16, 48), 0);
	assert_int_equal(tw_ctrl_stream_crypt(&rx, buf + 64, 32), 0);
	assert_int_equal(tw_ctrl_stream_verify(&rx, buf + 64, 32), 0);
	/* Plaintext matches, HMAC fields aside. */
	assert_memory_equal(buf, ctrlv_st_plain, 48);
	assert_memory_equal(buf + 64, ctrlv_st_plain + 64, 16);
	tw_ctrl_stream_fini(&rx);

	/* One flipped ciphertext bit anywhere in a message: the HMAC check fails. */
	for (size_t bit = 0; bit < 48 * 8; bit += 7) {
		assert_int_equal(tw_ctrl_stream_init(&rx, &k, ctrlv_st_iv, false), 0);
		memcpy(buf, ctrlv_st_cipher, sizeof(buf));
		buf[16 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(tw_ctrl_stream_crypt(&rx, buf, 16), 0);
		assert_int_equal(tw_ctrl_stream_cover(&rx, buf, 16), 0);
		assert_int_equal(tw_ctrl_stream_crypt(&rx, buf + 16, 48), 0);
		assert_int_equal(tw_ctrl_stream_verify(&rx, buf + 16, 48), -EBADMSG);
		tw_ctrl_stream_fini(&rx);
	}
	/* Without the covered Server-Start block, the first HMAC cannot match. */
	assert_int_equal(tw_ctrl_stream_init(&rx, &k, ctrlv_st_iv, false), 0);
	memcpy(buf, ctrlv_st_cipher, sizeof(buf));
	assert_int_equal(tw_ctrl_stream_crypt(&rx, buf, 64), 0);
	assert_int_equal(tw_ctrl_stream_verify(&rx, buf + 16, 48), -EBADMSG);
	tw_ctrl_stream_fini(&rx);
}

static void
test_test_keys(void **state)
{
	struct tw_ctrl_keys ctrl, test;
	unsigned int checked = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(ctrlv_convs); i++) {
		const struct ctrlv_conv *v = ctrlv_convs[i];

		if (!is_cipher(v->mode))
			continue;
		memcpy(ctrl.aes, v->aes, 16);
		memcpy(ctrl.hmac, v->hmac, 32);
		for (uint32_t j = 0; j < v->nb_sids; j++) {
			assert_int_equal(tw_ctrl_test_keys(&ctrl, v->sids + 16 * j, &test), 0);
			assert_memory_equal(test.aes, v->test_keys + 48 * j, 16);
			assert_memory_equal(test.hmac, v->test_keys + 48 * j + 16, 32);
			checked++;
		}
	}
	assert_true(checked >= 8);
}

/* ---------------------------------------------------------------------------------------------
 * Messages: golden octets, round trips, truncation, MBZ, command checks
 * ------------------------------------------------------------------------------------------- */

static const uint8_t sid_a[16] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
				   0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f };
static const uint8_t sid_b[16] = { 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
				   0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f };
static uint8_t two_sids[2][16];

static void
seq(uint8_t *p, size_t n, uint8_t first)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(first + i);
}

union anymsg {
	struct tw_ctrl_greeting g;
	struct tw_ctrl_setup su;
	struct tw_ctrl_server_start ss;
	struct tw_ctrl_request rq;
	struct tw_ctrl_accept_msg ac;
	struct tw_ctrl_cmd cmd;
	struct tw_ctrl_nmsg n;
};

static void
fill_greeting(union anymsg *m)
{
	m->g.modes = 0x7f;
	seq(m->g.challenge, 16, 0);
	seq(m->g.salt, 16, 16);
	m->g.count = 1024;
}

static void
fill_setup(union anymsg *m)
{
	m->su.mode = 4 | 32;
	memcpy(m->su.keyid, CTRLV_KEYID, sizeof(CTRLV_KEYID) - 1);
	seq(m->su.token, 64, 0);
	seq(m->su.client_iv, 16, 0xa0);
}

static void
fill_server_start(union anymsg *m)
{
	seq(m->ss.server_iv, 16, 0xc0);
	m->ss.start_time = CTRLV_START_TIME;
}

static void
fill_request4(union anymsg *m)
{
	static const uint8_t s[4] = { 198, 18, 0, 1 }, r[4] = { 198, 18, 0, 2 };

	m->rq.ipvn = 4;
	m->rq.sender_port = 20000;
	m->rq.receiver_port = 20001;
	memcpy(m->rq.sender_addr, s, 4);
	memcpy(m->rq.receiver_addr, r, 4);
	m->rq.padding_len = 64;
	m->rq.start_time = CTRLV_START_TIME;
	m->rq.timeout = 2ULL << 32;
	m->rq.type_p = tw_ctrl_typep_from_dscp(46);
	m->rq.octets_reflected = 0xbeef;
	m->rq.padding_reflect = 8;
}

static void
fill_request6(union anymsg *m)
{
	m->rq.ipvn = 6;
	m->rq.sender_port = 1;
	m->rq.receiver_port = 65535;
	m->rq.sender_addr[0] = 0x20, m->rq.sender_addr[1] = 0x01;
	m->rq.sender_addr[2] = 0x0d, m->rq.sender_addr[3] = 0xb8, m->rq.sender_addr[15] = 1;
	m->rq.receiver_addr[0] = 0x20, m->rq.receiver_addr[1] = 0x01;
	m->rq.receiver_addr[2] = 0x0d, m->rq.receiver_addr[3] = 0xb8, m->rq.receiver_addr[15] = 2;
	m->rq.type_p = tw_ctrl_typep_from_dscp(63);
}

static void
fill_accept(union anymsg *m)
{
	m->ac.port = 862;
	memcpy(m->ac.sid, sid_a, 16);
	m->ac.reflected_octets = 0xbeef;
	m->ac.server_octets = 0x1234;
}

static void
fill_start(union anymsg *m)
{
	m->cmd.command = TW_CTRL_CMD_START;
}

static void
fill_start_ack(union anymsg *m)
{
	m->cmd.accept = TW_CTRL_ACCEPT_TEMP_LIMIT;
}

static void
fill_stop(union anymsg *m)
{
	m->cmd.command = TW_CTRL_CMD_STOP;
	m->cmd.accept = 1;
	m->cmd.nb_sessions = 3;
}

static void
fill_n(union anymsg *m, uint8_t cmd, uint8_t accept, uint32_t n)
{
	memcpy(two_sids[0], sid_a, 16);
	memcpy(two_sids[1], sid_b, 16);
	m->n.command = cmd;
	m->n.accept = accept;
	m->n.nb_sessions = n;
	m->n.sids = (const uint8_t(*)[16])two_sids;
}

static void
fill_start_n(union anymsg *m)
{
	fill_n(m, TW_CTRL_CMD_START_N, 0, 2);
}

static void
fill_start_n_ack(union anymsg *m)
{
	fill_n(m, TW_CTRL_CMD_START_N_ACK, 0, 2);
}

static void
fill_stop_n(union anymsg *m)
{
	fill_n(m, TW_CTRL_CMD_STOP_N, 2, 1);
}

static void
fill_stop_n_ack(union anymsg *m)
{
	fill_n(m, TW_CTRL_CMD_STOP_N_ACK, 1, 1);
}

#define ENC(fn, f) \
	static int enc_##fn(const union anymsg *m, uint8_t *b, size_t l) \
	{ return tw_ctrl_##fn##_encode(&m->f, b, l); } \
	static int dec_##fn(const uint8_t *b, size_t l, union anymsg *m) \
	{ return tw_ctrl_##fn##_decode(b, l, &m->f); }
ENC(greeting, g)
ENC(setup, su)
ENC(server_start, ss)
ENC(request, rq)
ENC(accept, ac)
ENC(start, cmd)
ENC(start_ack, cmd)
ENC(stop, cmd)
ENC(nmsg, n)
#undef ENC

struct gold_row {
	const char *name;
	const uint8_t *gold;
	size_t len;
	void (*fill)(union anymsg *m);
	int (*enc)(const union anymsg *m, uint8_t *b, size_t l);
	int (*dec)(const uint8_t *b, size_t l, union anymsg *m);
	int mbz_off;			/* an MBZ octet, -1 if none is reported */
	bool has_cmd;			/* octet 0 is a command the decoder checks */
};

#define G(n, f, e, mbz, cmd) { #n, ctrlv_gold_##n, sizeof(ctrlv_gold_##n), f, enc_##e, \
			       dec_##e, mbz, cmd }
static const struct gold_row gold_rows[] = {
	G(greeting, fill_greeting, greeting, 60, false),
	G(setup, fill_setup, setup, -1, false),
	G(server_start, fill_server_start, server_start, 3, false),
	G(request4, fill_request4, request, 22, true),
	G(request6, fill_request6, request, 93, true),
	G(accept, fill_accept, accept, 1, false),
	G(start, fill_start, start, 9, true),
	G(start_ack, fill_start_ack, start_ack, 15, false),
	G(stop, fill_stop, stop, 2, true),
	G(start_n, fill_start_n, nmsg, 1, true),
	G(start_n_ack, fill_start_n_ack, nmsg, 12, true),
	G(stop_n, fill_stop_n, nmsg, 3, true),
	G(stop_n_ack, fill_stop_n_ack, nmsg, 8, true),
};
#undef G

static void
test_golden_messages(void **state)
{
	uint8_t buf[256], mut[256];
	union anymsg m, d;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(gold_rows); i++) {
		const struct gold_row *r = &gold_rows[i];

		/* encode(fields) == golden */
		memset(&m, 0, sizeof(m));
		r->fill(&m);
		memset(buf, 0xee, sizeof(buf));
		assert_int_equal(r->enc(&m, buf, r->len), (int)r->len);
		assert_memory_equal(buf, r->gold, r->len);
		assert_int_equal(r->enc(&m, buf, r->len - 1), -ENOBUFS);
		/* encode(decode(golden)) == golden, and a clean message has no MBZ set */
		memset(&d, 0, sizeof(d));
		assert_int_equal(r->dec(r->gold, r->len, &d), 0);
		assert_int_equal(r->enc(&d, buf, sizeof(buf)), (int)r->len);
		assert_memory_equal(buf, r->gold, r->len);
		/* truncated by one octet: nothing decoded */
		assert_int_equal(r->dec(r->gold, r->len - 1, &d), -EMSGSIZE);
		/* a non-zero MBZ octet is reported, not rejected */
		if (r->mbz_off >= 0) {
			bool *flag;

			memcpy(mut, r->gold, r->len);
			mut[r->mbz_off] = 0x80;
			memset(&d, 0, sizeof(d));
			assert_int_equal(r->dec(mut, r->len, &d), 0);
			flag = r->dec == dec_greeting ? &d.g.mbz :
			       r->dec == dec_server_start ? &d.ss.mbz :
			       r->dec == dec_request ? &d.rq.mbz :
			       r->dec == dec_accept ? &d.ac.mbz :
			       r->dec == dec_nmsg ? &d.n.mbz : &d.cmd.mbz;
			assert_true(*flag);
		}
		/* a command message with another command octet is not this message */
		if (r->has_cmd) {
			memcpy(mut, r->gold, r->len);
			mut[0] = r->dec == dec_nmsg ? TW_CTRL_CMD_STOP : TW_CTRL_CMD_START_N;
			assert_int_equal(r->dec(mut, r->len, &d), -EBADMSG);
		}
	}
	/* Decoded fields, spot checks against the RFC layout. */
	assert_int_equal(dec_request(ctrlv_gold_request4, TW_CTRL_REQUEST_LEN, &d), 0);
	assert_int_equal(d.rq.ipvn, 4);
	assert_int_equal(d.rq.sender_port, 20000);
	assert_int_equal(d.rq.padding_len, 64);
	assert_int_equal(tw_ctrl_typep_dscp(d.rq.type_p), 46);
	assert_int_equal(d.rq.octets_reflected, 0xbeef);
	assert_int_equal(dec_nmsg(ctrlv_gold_start_n, sizeof(ctrlv_gold_start_n), &d), 0);
	assert_int_equal(d.n.nb_sessions, 2);
	assert_memory_equal(d.n.sids[1], sid_b, 16);
	/* N larger than the buffer: short, not an overread. */
	memcpy(mut, ctrlv_gold_stop_n, sizeof(ctrlv_gold_stop_n));
	mut[7] = 9;
	assert_int_equal(dec_nmsg(mut, sizeof(ctrlv_gold_stop_n), &d), -EMSGSIZE);
	mut[4] = 0xff;
	assert_int_equal(dec_nmsg(mut, sizeof(ctrlv_gold_stop_n), &d), -EMSGSIZE);
	assert_int_equal(tw_ctrl_nmsg_len(TW_CTRL_MAX_SESSIONS + 1), 0);
	assert_int_equal(tw_ctrl_nmsg_len(0), 32);
}

/* Every Accept value through every message that carries one. */
static void
test_accept_codes(void **state)
{
	uint8_t buf[64];

	(void)state;
	for (unsigned int a = 0; a < TW_CTRL_ACCEPT_MAX; a++) {
		struct tw_ctrl_server_start ss = { .accept = (uint8_t)a }, ss2;
		struct tw_ctrl_accept_msg ac = { .accept = (uint8_t)a }, ac2;
		struct tw_ctrl_cmd sa = { .accept = (uint8_t)a }, sa2;
		struct tw_ctrl_cmd st = { .command = TW_CTRL_CMD_STOP, .accept = (uint8_t)a }, st2;
		struct tw_ctrl_nmsg n = { .command = TW_CTRL_CMD_STOP_N_ACK, .accept = (uint8_t)a },
				    n2;

		assert_int_equal(tw_ctrl_server_start_encode(&ss, buf, sizeof(buf)), 48);
		assert_int_equal(buf[15], a);
		assert_int_equal(tw_ctrl_server_start_decode(buf, 48, &ss2), 0);
		assert_int_equal(ss2.accept, a);
		assert_int_equal(tw_ctrl_accept_encode(&ac, buf, sizeof(buf)), 48);
		assert_int_equal(buf[0], a);
		assert_int_equal(tw_ctrl_accept_decode(buf, 48, &ac2), 0);
		assert_int_equal(ac2.accept, a);
		assert_int_equal(tw_ctrl_start_ack_encode(&sa, buf, sizeof(buf)), 32);
		assert_int_equal(tw_ctrl_start_ack_decode(buf, 32, &sa2), 0);
		assert_int_equal(sa2.accept, a);
		assert_int_equal(tw_ctrl_stop_encode(&st, buf, sizeof(buf)), 32);
		assert_int_equal(buf[1], a);
		assert_int_equal(tw_ctrl_stop_decode(buf, 32, &st2), 0);
		assert_int_equal(st2.accept, a);
		assert_int_equal(tw_ctrl_nmsg_encode(&n, buf, sizeof(buf)), 32);
		assert_int_equal(tw_ctrl_nmsg_decode(buf, 32, &n2), 0);
		assert_int_equal(n2.accept, a);
	}
	assert_int_equal(TW_CTRL_ACCEPT_NO_SA, 6);
	/* Start-N-Sessions has no Accept: octet 1 is written zero whatever is asked. */
	{
		struct tw_ctrl_nmsg n = { .command = TW_CTRL_CMD_START_N, .accept = 5 };

		assert_int_equal(tw_ctrl_nmsg_encode(&n, buf, sizeof(buf)), 32);
		assert_int_equal(buf[1], 0);
	}
}

struct typep_row {
	uint32_t type_p;
	int dscp;
};

static const struct typep_row typep_rows[] = {
	{ 0, 0 },
	{ 46u << 24, 46 },			/* EF */
	{ 0x3fu << 24, 63 },
	{ 0x40000000u, -EINVAL },		/* "01": PHB ID form (RFC 4656 §3.5) */
	{ 0x80000000u, -EINVAL },
	{ 0x0000002eu, -EINVAL },		/* DSCP in the low bits: not the RFC layout */
	{ (46u << 24) | 1, -EINVAL },
};

static void
test_typep(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(typep_rows); i++)
		assert_int_equal(tw_ctrl_typep_dscp(typep_rows[i].type_p), typep_rows[i].dscp);
	assert_int_equal(tw_ctrl_typep_from_dscp(46), 46u << 24);
}

/* ---------------------------------------------------------------------------------------------
 * Conversations against the independent transcripts
 * ------------------------------------------------------------------------------------------- */

/* Offsets of each step's octets in the transcript. */
static void
step_offsets(const struct ctrlv_conv *v, uint32_t *c2s_off, uint32_t *s2c_off)
{
	uint32_t c = 0, s = 0;

	for (uint32_t i = 0; i < v->nb_steps; i++) {
		c2s_off[i] = c;
		s2c_off[i] = s;
		c += v->steps[i].c2s_len;
		s += v->steps[i].s2c_len;
	}
	c2s_off[v->nb_steps] = c;
	s2c_off[v->nb_steps] = s;
}

static struct sh *
conv_server(const struct ctrlv_conv *v)
{
	struct sh *h = sh_make(v->offered, v->srv_rand, v->srv_rand_len);

	assert_memory_equal(h->buf, v->s2c, TW_CTRL_GREETING_LEN);
	return h;
}

static void
conv_server_check_end(const struct ctrlv_conv *v, struct sh *h)
{
	struct tw_ctrl_keys k;

	assert_int_equal(h->out.len, v->s2c_len);
	assert_memory_equal(h->buf, v->s2c, v->s2c_len);
	assert_int_equal(tw_ctrl_srv_closed(h->s), TW_CTRL_OPEN);
	assert_int_equal(tw_ctrl_srv_mode(h->s), v->mode);
	assert_int_equal(h->env.ev.nb[TW_CTRL_EV_READY], 1);
	assert_int_equal(h->env.ev.started, h->env.ev.stopped);
	assert_int_equal(tw_ctrl_srv_nb_sessions(h->s), 0);
	if (is_cipher(v->mode)) {
		assert_int_equal(tw_ctrl_srv_keys(h->s, &k), 0);
		assert_memory_equal(k.aes, v->aes, 16);
		assert_memory_equal(k.hmac, v->hmac, 32);
	} else {
		assert_int_equal(tw_ctrl_srv_keys(h->s, &k), -ENOKEY);
	}
}

/*
 * The server answers the client's transcript with exactly the server's transcript, whether the
 * octets come in one write, split in two at every offset, or one by one. One by one also shows
 * truncation at every length: after each octet the output is exactly the replies to the
 * messages complete so far (nothing happens until a message is whole).
 */
static void
test_conv_server(void **state)
{
	uint32_t c2s_off[32], s2c_off[32];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(ctrlv_convs); i++) {
		const struct ctrlv_conv *v = ctrlv_convs[i];
		struct sh *h = conv_server(v);
		uint32_t want = 0;

		sh_feed(h, v->c2s, v->c2s_len, NOW);
		conv_server_check_end(v, h);
		assert_int_equal(h->env.ev.nb[TW_CTRL_EV_CLOSE], 0);
		sh_free(h);

		assert_true(v->nb_steps < ARRAY_LEN(c2s_off));
		step_offsets(v, c2s_off, s2c_off);
		h = conv_server(v);
		for (uint32_t len = 1; len <= v->c2s_len; len++) {
			sh_feed(h, v->c2s + len - 1, 1, NOW);
			for (uint32_t st = 0; st < v->nb_steps; st++) {
				if (c2s_off[st + 1] <= len)
					want = s2c_off[st + 1];
			}
			assert_int_equal(h->out.len, want);
			assert_int_equal(tw_ctrl_srv_closed(h->s), TW_CTRL_OPEN);
		}
		conv_server_check_end(v, h);
		sh_free(h);

		for (uint32_t cut = 1; cut < v->c2s_len; cut++) {
			h = conv_server(v);
			sh_feed(h, v->c2s, cut, NOW);
			sh_feed(h, v->c2s + cut, v->c2s_len - cut, NOW);
			conv_server_check_end(v, h);
			sh_free(h);
		}
	}
}

static void
expect_chunk(struct ch *h, const uint8_t *want, uint32_t len)
{
	assert_int_equal(h->out.len, len);
	assert_memory_equal(h->buf, want, len);
	h->out.len = 0;
}

/* The client, given the server's transcript and the same commands, writes the client's. */
static void
test_conv_client(void **state)
{
	uint32_t c2s_off[32], s2c_off[32];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(ctrlv_convs); i++) {
		const struct ctrlv_conv *v = ctrlv_convs[i];
		struct ch *h = ch_alloc(TW_CTRL_MODE_SECURITY, v->mode & TW_CTRL_MODE_FEATURES,
					v->cli_rand, v->cli_rand_len);
		uint8_t sids[8][16];
		uint32_t n;

		h->conf.force_mode = v->mode & TW_CTRL_MODE_SECURITY;
		ch_new(h);
		step_offsets(v, c2s_off, s2c_off);
		for (uint32_t s = 0; s < v->nb_steps; s++) {
			const struct ctrlv_step *st = &v->steps[s];
			struct tw_ctrl_session_params p;
			const uint8_t *reply = v->s2c + s2c_off[s];
			int rc = 0;

			switch (st->kind) {
			case CTRLV_GREETING:
			case CTRLV_SETUP:
				break;
			case CTRLV_REQUEST:
				params_from(&ctrlv_params[st->arg], &p);
				rc = tw_ctrl_cli_request(h->c, &p, NOW, &h->out);
				assert_true(rc >= 0);
				h->slot_of[st->arg] = rc;
				rc = 0;
				break;
			case CTRLV_START:
				rc = tw_ctrl_cli_start(h->c, NOW, &h->out);
				break;
			case CTRLV_STOP:
				rc = tw_ctrl_cli_stop(h->c, st->accept, NOW, &h->out);
				break;
			case CTRLV_START_N:
			case CTRLV_STOP_N:
				n = 0;
				for (int b = 0; b < 8; b++) {
					if (st->arg & (1u << b))
						memcpy(sids[n++], tw_ctrl_cli_session(
						       h->c, h->slot_of[b])->sid, 16);
				}
				rc = st->kind == CTRLV_START_N ?
				     tw_ctrl_cli_start_n(h->c, (const uint8_t(*)[16])sids, n, NOW,
							 &h->out) :
				     tw_ctrl_cli_stop_n(h->c, st->accept,
							(const uint8_t(*)[16])sids, n, NOW,
							&h->out);
				break;
			}
			assert_int_equal(rc, 0);
			expect_chunk(h, v->c2s + c2s_off[s], st->c2s_len);
			if (reply != NULL && st->s2c_len > 0) {
				assert_int_equal(tw_ctrl_cli_input(h->c, reply, st->s2c_len, NOW,
								   &h->out), 0);
				/* only the greeting is answered at once (Set-Up-Response) */
				if (st->kind != CTRLV_GREETING)
					assert_int_equal(h->out.len, 0);
			}
			assert_int_equal(tw_ctrl_cli_closed(h->c), TW_CTRL_OPEN);
			if (st->kind == CTRLV_SETUP) {
				assert_int_equal(tw_ctrl_cli_state(h->c), TW_CTRL_CLI_READY);
				assert_int_equal(tw_ctrl_cli_mode(h->c), v->mode);
				assert_int_equal(tw_ctrl_cli_server_start_time(h->c),
						 CTRLV_START_TIME);
			}
			if (st->kind == CTRLV_REQUEST) {
				const struct tw_ctrl_cli_session *cs =
					tw_ctrl_cli_session(h->c, h->slot_of[st->arg]);

				assert_int_equal(cs->state, TW_CTRL_CLI_SESS_ACCEPTED);
				assert_int_equal(cs->port, ctrlv_params[st->arg].rport);
				if (v->mode & TW_CTRL_MODE_REFLECT_OCTETS) {
					assert_int_equal(cs->reflected_octets,
							 ctrlv_params[st->arg].otbr);
					assert_int_equal(cs->server_octets, CTRLV_SERVER_OCTETS);
				}
			}
		}
		assert_int_equal(h->env.ev.nb[TW_CTRL_EV_READY], 1);
		assert_int_equal(tw_ctrl_cli_stats(h->c)->viol[TW_CTRL_VIOL_REFLECTED], 0);
		ch_free(h);
	}
}

/* ---------------------------------------------------------------------------------------------
 * Client and server talking, in memory
 * ------------------------------------------------------------------------------------------- */

static void
pump(struct sh *s, struct ch *c, uint64_t now)
{
	uint8_t tmp[OUT_CAP];
	size_t n;

	for (int i = 0; i < 64 && (s->out.len > 0 || c->out.len > 0); i++) {
		if (s->out.len > 0 && tw_ctrl_cli_closed(c->c) == TW_CTRL_OPEN) {
			n = s->out.len;
			memcpy(tmp, s->buf, n);
			s->out.len = 0;
			assert_int_equal(tw_ctrl_cli_input(c->c, tmp, n, now, &c->out), 0);
		} else {
			s->out.len = 0;
		}
		if (c->out.len > 0 && tw_ctrl_srv_closed(s->s) == TW_CTRL_OPEN) {
			n = c->out.len;
			memcpy(tmp, c->buf, n);
			c->out.len = 0;
			assert_int_equal(tw_ctrl_srv_input(s->s, tmp, n, now, &s->out), 0);
		} else {
			c->out.len = 0;
		}
	}
}

struct pair_row {
	uint32_t offered;
	uint32_t cli_modes;
	uint32_t features;
	uint32_t want_mode;
};

static const struct pair_row pair_rows[] = {
	{ 1, 15, 0, 1 },
	{ 2, 15, 0, 2 },
	{ 4, 15, 0, 4 },
	{ 8, 15, 0, 8 },
	{ 15, 15, 0, 4 },			/* strongest: encrypted */
	{ 15, 1 | 2 | 8, 0, 2 },		/* then authenticated */
	{ 15, 1 | 8, 0, 8 },			/* then mixed */
	{ 1 | 8 | 16 | 32 | 64, 15, 16 | 32 | 64, 8 | 16 | 32 | 64 },
	{ 2 | 16, 15, 16 | 32 | 64, 2 | 16 },	/* only offered features */
	{ 4 | 32 | 64, 15, 16 | 32, 4 | 32 },	/* only wanted features */
	{ 1 | 16, 1, 16, 1 | 16 },
};

static void
test_pairs(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(pair_rows); i++) {
		const struct pair_row *r = &pair_rows[i];
		struct sh *s = sh_alloc(r->offered, NULL, 0);
		struct ch *c = ch_alloc(r->cli_modes, r->features, NULL, 0);
		struct tw_ctrl_session_params p;
		struct tw_ctrl_keys ks, kc, ts, tc;
		const struct tw_ctrl_cli_session *cs;
		const struct tw_ctrl_srv_session *ss;
		int i0, i1;

		s->env.rnd.seed = 1000 + i;
		c->env.rnd.seed = 2000 + i;
		sh_new(s);
		ch_new(c);
		pump(s, c, NOW);
		assert_int_equal(tw_ctrl_cli_state(c->c), TW_CTRL_CLI_READY);
		assert_int_equal(tw_ctrl_srv_state(s->s), TW_CTRL_SRV_READY);
		assert_int_equal(tw_ctrl_cli_mode(c->c), r->want_mode);
		assert_int_equal(tw_ctrl_srv_mode(s->s), r->want_mode);
		if (is_cipher(r->want_mode)) {
			assert_int_equal(tw_ctrl_srv_keys(s->s, &ks), 0);
			assert_int_equal(tw_ctrl_cli_keys(c->c, &kc), 0);
			assert_memory_equal(&ks, &kc, sizeof(ks));
		}
		assert_int_equal(tw_ctrl_test_mode(r->want_mode),
				 (r->want_mode & 4) ? TW_CTRL_TEST_ENCRYPTED :
				 (r->want_mode & 2) ? TW_CTRL_TEST_AUTH : TW_CTRL_TEST_OPEN);

		/* Two sessions, pipelined. */
		params_from(&ctrlv_params[0], &p);
		i0 = tw_ctrl_cli_request(c->c, &p, NOW, &c->out);
		params_from(&ctrlv_params[1], &p);
		i1 = tw_ctrl_cli_request(c->c, &p, NOW, &c->out);
		assert_true(i0 >= 0 && i1 >= 0 && i0 != i1);
		pump(s, c, NOW);
		assert_int_equal(s->env.requests, 2);
		assert_int_equal(tw_ctrl_srv_nb_sessions(s->s), 2);
		for (int k = 0; k < 2; k++) {
			cs = tw_ctrl_cli_session(c->c, (unsigned int)(k ? i1 : i0));
			assert_int_equal(cs->state, TW_CTRL_CLI_SESS_ACCEPTED);
			ss = tw_ctrl_srv_session(s->s, cs->sid);
			assert_non_null(ss);
			assert_int_equal(ss->ans.port, cs->port);
			/* RFC 4656 §3.5: SID starts with the reflector's IPv4 address. */
			assert_memory_equal(cs->sid, s->local.addr, 4);
			if (r->want_mode & TW_CTRL_MODE_REFLECT_OCTETS) {
				assert_int_equal(cs->reflected_octets, ctrlv_params[k].otbr);
				assert_int_equal(ss->req.octets_reflected, ctrlv_params[k].otbr);
				assert_int_equal(ss->req.padding_reflect, ctrlv_params[k].lpr);
				assert_int_equal(cs->server_octets, CTRLV_SERVER_OCTETS);
			} else {
				assert_int_equal(ss->req.octets_reflected, 0);
				assert_int_equal(cs->reflected_octets, 0);
			}
			if (is_cipher(r->want_mode)) {
				assert_int_equal(tw_ctrl_test_keys(&ks, cs->sid, &ts), 0);
				assert_int_equal(tw_ctrl_test_keys(&kc, cs->sid, &tc), 0);
				assert_memory_equal(&ts, &tc, sizeof(ts));
			}
		}
		/* Zero addresses became the connection's (RFC 5357 §3.5). */
		ss = tw_ctrl_srv_session(s->s, tw_ctrl_cli_session(c->c, (unsigned int)i0)->sid);
		assert_true(ss->req.sender_was_zero && ss->req.receiver_was_zero);
		assert_memory_equal(ss->req.sender.addr, s->peer.addr, 4);
		assert_memory_equal(ss->req.receiver.addr, s->local.addr, 4);
		assert_int_equal(ss->req.dscp, 46);

		if (r->want_mode & TW_CTRL_MODE_ISC) {
			uint8_t one[1][16];

			memcpy(one[0], tw_ctrl_cli_session(c->c, (unsigned int)i1)->sid, 16);
			assert_int_equal(tw_ctrl_cli_start_n(c->c, (const uint8_t(*)[16])one, 1,
							     NOW, &c->out), 0);
			pump(s, c, NOW);
			assert_int_equal(s->env.ev.started, 1);
			assert_int_equal(c->env.ev.started, 1);
			assert_int_equal(tw_ctrl_cli_session(c->c, (unsigned int)i1)->state,
					 TW_CTRL_CLI_SESS_STARTED);
			/* A session can be added while another runs (RFC 5938). */
			params_from(&ctrlv_params[1], &p);
			assert_true(tw_ctrl_cli_request(c->c, &p, NOW, &c->out) >= 0);
			pump(s, c, NOW);
			assert_int_equal(tw_ctrl_srv_nb_sessions(s->s), 3);
			assert_int_equal(tw_ctrl_cli_stop_n(c->c, 0, (const uint8_t(*)[16])one, 1,
							    NOW, &c->out), 0);
			pump(s, c, NOW);
			assert_int_equal(s->env.ev.stopped, 1);
			assert_int_equal(c->env.ev.nb[TW_CTRL_EV_STOP], 1);
			assert_int_equal(tw_ctrl_srv_nb_sessions(s->s), 2);
		} else {
			uint8_t one[1][16] = { { 0 } };

			assert_int_equal(tw_ctrl_cli_start_n(c->c, (const uint8_t(*)[16])one, 1,
							     NOW, &c->out), -ENOTSUP);
		}
		assert_int_equal(tw_ctrl_cli_start(c->c, NOW, &c->out), 0);
		pump(s, c, NOW);
		assert_int_equal(c->env.ev.last_accept[TW_CTRL_EV_START], 0);
		assert_int_equal(s->env.ev.started, s->env.ev.stopped + 2);
		assert_int_equal(tw_ctrl_cli_stop(c->c, 0, NOW, &c->out), 0);
		pump(s, c, NOW);
		assert_int_equal(tw_ctrl_srv_nb_sessions(s->s), 0);
		assert_int_equal(s->env.ev.started, s->env.ev.stopped);
		assert_int_equal(tw_ctrl_srv_stats(s->s)->viol[TW_CTRL_VIOL_STOP_COUNT], 0);
		assert_int_equal(tw_ctrl_srv_stats(s->s)->viol[TW_CTRL_VIOL_MBZ], 0);
		assert_int_equal(tw_ctrl_srv_state(s->s), TW_CTRL_SRV_READY);
		/* After Stop-Sessions the connection takes new requests. */
		params_from(&ctrlv_params[0], &p);
		assert_true(tw_ctrl_cli_request(c->c, &p, NOW, &c->out) >= 0);
		pump(s, c, NOW);
		assert_int_equal(tw_ctrl_srv_nb_sessions(s->s), 1);
		/* The peer goes away: what is left is reported stopped, then the close. */
		tw_ctrl_srv_peer_closed(s->s);
		assert_int_equal(s->env.ev.reason, TW_CTRL_CLOSE_PEER);
		assert_int_equal(s->env.ev.stopped, s->env.ev.started + 1);
		assert_int_equal(tw_ctrl_srv_input(s->s, NULL, 0, NOW, &s->out), -EPIPE);
		sh_free(s);
		ch_free(c);
	}
}

/* ---------------------------------------------------------------------------------------------
 * Server refusals and violations
 * ------------------------------------------------------------------------------------------- */

/* Set-Up-Response built by hand (the client machine would never send most of these). */
static void
make_setup(const struct sh *h, uint32_t mode, const char *keyid, const char *secret,
	   bool good_challenge, uint8_t out[TW_CTRL_SETUP_LEN])
{
	struct tw_ctrl_greeting g;
	struct tw_ctrl_token t;
	struct tw_ctrl_setup m;
	uint8_t key[16];

	assert_int_equal(tw_ctrl_greeting_decode(h->buf, TW_CTRL_GREETING_LEN, &g), 0);
	memset(&m, 0, sizeof(m));
	m.mode = mode;
	if (keyid != NULL)
		memcpy(m.keyid, keyid, strlen(keyid));
	memset(&t, 0x5a, sizeof(t));
	memcpy(t.challenge, g.challenge, 16);
	if (!good_challenge)
		t.challenge[3] ^= 0x10;
	if (secret != NULL) {
		assert_int_equal(tw_ctrl_derive_key((const uint8_t *)secret, strlen(secret),
						    g.salt, g.count, key), 0);
		assert_int_equal(tw_ctrl_token_seal(key, &t, m.token), 0);
	}
	seq(m.client_iv, 16, 0x33);
	assert_int_equal(tw_ctrl_setup_encode(&m, out, TW_CTRL_SETUP_LEN), TW_CTRL_SETUP_LEN);
}

struct setup_row {
	const char *why;
	uint32_t offered;
	uint32_t mode;
	const char *keyid;
	const char *secret;
	bool good_challenge;
	enum key_mode key_mode;
	int accept;				/* Server-Start Accept; -1: no Server-Start */
	enum tw_ctrl_close close;
	int refuse;				/* enum tw_ctrl_refuse, -1: none */
};

static const struct setup_row setup_rows[] = {
	{ "open accepted", 15, 1, NULL, NULL, true, KEY_SYNC, 0, TW_CTRL_OPEN, -1 },
	{ "auth accepted", 15, 2, CTRLV_KEYID, CTRLV_SECRET, true, KEY_SYNC, 0, TW_CTRL_OPEN,
	  -1 },
	{ "RFC 4656 §3.1: Mode 0 declines", 15, 0, NULL, NULL, true, KEY_SYNC, -1,
	  TW_CTRL_CLOSE_DECLINED, -1 },
	{ "mode not offered", 1, 4, CTRLV_KEYID, CTRLV_SECRET, true, KEY_SYNC, 3,
	  TW_CTRL_CLOSE_MODE, TW_CTRL_REFUSE_MODE },
	{ "two security modes", 15, 6, CTRLV_KEYID, CTRLV_SECRET, true, KEY_SYNC, 3,
	  TW_CTRL_CLOSE_MODE, TW_CTRL_REFUSE_MODE },
	{ "features only", 15 | 16, 16, NULL, NULL, true, KEY_SYNC, 3, TW_CTRL_CLOSE_MODE,
	  TW_CTRL_REFUSE_MODE },
	{ "feature not offered", 15, 1 | 16, NULL, NULL, true, KEY_SYNC, 3, TW_CTRL_CLOSE_MODE,
	  TW_CTRL_REFUSE_MODE },
	{ "unknown mode bit", 15, 1 | 128, NULL, NULL, true, KEY_SYNC, 3, TW_CTRL_CLOSE_MODE,
	  TW_CTRL_REFUSE_MODE },
	{ "wrong KeyID", 15, 4, "nobody", CTRLV_SECRET, true, KEY_SYNC, 1, TW_CTRL_CLOSE_AUTH,
	  TW_CTRL_REFUSE_KEYID },
	{ "wrong passphrase", 15, 4, CTRLV_KEYID, "not-the-secret", true, KEY_SYNC, 1,
	  TW_CTRL_CLOSE_AUTH, TW_CTRL_REFUSE_TOKEN },
	{ "wrong challenge", 15, 8, CTRLV_KEYID, CTRLV_SECRET, false, KEY_SYNC, 1,
	  TW_CTRL_CLOSE_AUTH, TW_CTRL_REFUSE_TOKEN },
	{ "key store failure", 15, 2, CTRLV_KEYID, CTRLV_SECRET, true, KEY_FAIL, 2,
	  TW_CTRL_CLOSE_INTERNAL, TW_CTRL_REFUSE_KEY_ERROR },
	/* RFC 8186 §2, Modes 512: a feature bit like 16/32/64, accepted only where offered. */
	{ "512 offered: open + 512", 15 | 512, 1 | 512, NULL, NULL, true, KEY_SYNC, 0,
	  TW_CTRL_OPEN, -1 },
	{ "512 offered: auth + 512", 15 | 512, 2 | 512, CTRLV_KEYID, CTRLV_SECRET, true,
	  KEY_SYNC, 0, TW_CTRL_OPEN, -1 },
	{ "512 offered: mixed + every feature", 15 | 16 | 32 | 64 | 512, 8 | 16 | 32 | 64 | 512,
	  CTRLV_KEYID, CTRLV_SECRET, true, KEY_SYNC, 0, TW_CTRL_OPEN, -1 },
	{ "512 offered, not asked: NTP", 15 | 512, 4, CTRLV_KEYID, CTRLV_SECRET, true, KEY_SYNC,
	  0, TW_CTRL_OPEN, -1 },
	{ "512 not offered", 15, 1 | 512, NULL, NULL, true, KEY_SYNC, 3, TW_CTRL_CLOSE_MODE,
	  TW_CTRL_REFUSE_MODE },
	{ "512 not offered, with offered features", 15 | 16 | 32 | 64, 4 | 16 | 512,
	  CTRLV_KEYID, CTRLV_SECRET, true, KEY_SYNC, 3, TW_CTRL_CLOSE_MODE, TW_CTRL_REFUSE_MODE },
	{ "512 alone: no security mode", 15 | 512, 512, NULL, NULL, true, KEY_SYNC, 3,
	  TW_CTRL_CLOSE_MODE, TW_CTRL_REFUSE_MODE },
	{ "512 with two security modes", 15 | 512, 1 | 4 | 512, NULL, NULL, true, KEY_SYNC, 3,
	  TW_CTRL_CLOSE_MODE, TW_CTRL_REFUSE_MODE },
	{ "512 offered, 256 (RFC 7750) still unknown", 15 | 512, 1 | 256 | 512, NULL, NULL,
	  true, KEY_SYNC, 3, TW_CTRL_CLOSE_MODE, TW_CTRL_REFUSE_MODE },
	{ "1024: unassigned bit", 15 | 512, 1 | 1024, NULL, NULL, true, KEY_SYNC, 3,
	  TW_CTRL_CLOSE_MODE, TW_CTRL_REFUSE_MODE },
};

static void
test_setup_table(void **state)
{
	uint8_t su[TW_CTRL_SETUP_LEN];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(setup_rows); i++) {
		const struct setup_row *r = &setup_rows[i];
		struct sh *h = sh_make(r->offered, NULL, 0);

		h->env.key_mode = r->key_mode;
		make_setup(h, r->mode, r->keyid, r->secret, r->good_challenge, su);
		h->out.len = 0;
		/* One octet short: nothing happens. */
		sh_feed(h, su, sizeof(su) - 1, NOW);
		assert_int_equal(h->out.len, 0);
		sh_feed(h, su + sizeof(su) - 1, 1, NOW);
		if (r->accept < 0) {
			assert_int_equal(h->out.len, 0);
		} else {
			assert_int_equal(h->out.len, TW_CTRL_SERVER_START_LEN);
			assert_int_equal(h->buf[15], r->accept);
			if (r->accept != 0) {
				/* A refusal carries no IV and no time, in clear. */
				for (int b = 16; b < 48; b++)
					assert_int_equal(h->buf[b], 0);
			}
		}
		assert_int_equal(tw_ctrl_srv_closed(h->s), r->close);
		assert_int_equal(h->env.ev.reason, r->close);
		if (r->refuse >= 0)
			assert_int_equal(tw_ctrl_srv_stats(h->s)->refused[r->refuse], 1);
		if (r->keyid != NULL && r->accept >= 0 && r->refuse != TW_CTRL_REFUSE_MODE)
			assert_int_equal(h->env.lookups, 1);
		if (r->accept == 0) {
			/* The Mode as asked, feature bits and all; 512 seen by the accessor. */
			assert_int_equal(tw_ctrl_srv_mode(h->s), r->mode);
			assert_int_equal(tw_ctrl_srv_ptp(h->s), (r->mode & 512) != 0);
		}
		if (r->refuse == TW_CTRL_REFUSE_MODE)
			assert_false(tw_ctrl_srv_ptp(h->s));
		sh_free(h);
	}
}

/* Set-up and one request in open mode; returns the harness ready for more. */
static struct sh *
open_ready(uint32_t offered)
{
	struct sh *h = sh_make(offered, NULL, 0);
	uint8_t su[TW_CTRL_SETUP_LEN];

	make_setup(h, 1 | (offered & 16), NULL, NULL, true, su);
	sh_feed(h, su, sizeof(su), NOW);
	assert_int_equal(tw_ctrl_srv_state(h->s), TW_CTRL_SRV_READY);
	h->out.len = 0;
	return h;
}

/* A valid open-mode IPv4 request with explicit addresses, to be mutated. */
static void
base_request(struct tw_ctrl_request *m)
{
	static const uint8_t s[4] = { 198, 18, 0, 1 }, r[4] = { 198, 18, 0, 2 };

	memset(m, 0, sizeof(*m));
	m->ipvn = 4;
	memcpy(m->sender_addr, s, 4);
	memcpy(m->receiver_addr, r, 4);
	m->sender_port = 5000;
	m->receiver_port = 5001;
	m->padding_len = 100;
	m->type_p = tw_ctrl_typep_from_dscp(10);
}

static void
mut_none(struct tw_ctrl_request *m, uint8_t *w)
{
	(void)m, (void)w;
}

static void
mut_ipvn(struct tw_ctrl_request *m, uint8_t *w)
{
	(void)m;
	w[1] = 5;
}

static void
mut_ipvn_mbz(struct tw_ctrl_request *m, uint8_t *w)
{
	(void)m;
	w[1] = 0x14;
}

static void
mut_conf_sender(struct tw_ctrl_request *m, uint8_t *w)
{
	(void)m;
	w[2] = 1;
}

static void
mut_conf_receiver(struct tw_ctrl_request *m, uint8_t *w)
{
	(void)m;
	w[3] = 1;
}

static void
mut_slots(struct tw_ctrl_request *m, uint8_t *w)
{
	(void)m;
	w[7] = 1;
}

static void
mut_packets(struct tw_ctrl_request *m, uint8_t *w)
{
	(void)m;
	w[11] = 1;
}

static void
mut_v4_tail(struct tw_ctrl_request *m, uint8_t *w)
{
	(void)m;
	w[16 + 4] = 1;
}

static void
mut_mbz_tail(struct tw_ctrl_request *m, uint8_t *w)
{
	(void)m;
	w[95] = 1;
}

static void
mut_octets(struct tw_ctrl_request *m, uint8_t *w)
{
	(void)m;
	w[89] = 1;
}

static void
mut_typep(struct tw_ctrl_request *m, uint8_t *w)
{
	(void)m;
	w[84] = 0x40;
}

static void
mut_padding(struct tw_ctrl_request *m, uint8_t *w)
{
	(void)m;
	w[64] = 1;				/* 16 MB of padding */
}

static void
mut_third(struct tw_ctrl_request *m, uint8_t *w)
{
	(void)m;
	w[19] = 99;				/* 198.18.0.99 */
}

static void
mut_zero_addrs(struct tw_ctrl_request *m, uint8_t *w)
{
	(void)m;
	memset(w + 16, 0, 32);
}

static void
mut_v6_zero(struct tw_ctrl_request *m, uint8_t *w)
{
	(void)m;
	w[1] = 6;
	memset(w + 16, 0, 32);
}

static void
mut_rport0(struct tw_ctrl_request *m, uint8_t *w)
{
	(void)m;
	w[14] = w[15] = 0;
}

struct req_row {
	const char *why;
	void (*mut)(struct tw_ctrl_request *m, uint8_t *wire);
	bool lenient;
	bool third_party;
	uint8_t caller_accept;
	int accept;
	int refuse;				/* -1: accepted */
	bool viol_mbz;
};

static const struct req_row req_rows[] = {
	{ "valid", mut_none, false, false, 0, 0, -1, false },
	{ "zero addresses", mut_zero_addrs, false, false, 0, 0, -1, false },
	{ "IPVN 5", mut_ipvn, false, false, 0, 3, TW_CTRL_REFUSE_IPVN, false },
	{ "MBZ bits of octet 1", mut_ipvn_mbz, false, false, 0, 3, TW_CTRL_REFUSE_MBZ, true },
	{ "lenient MBZ", mut_ipvn_mbz, true, false, 0, 0, -1, true },
	{ "RFC 5357 §3.5 Conf-Sender", mut_conf_sender, false, false, 0, 3, TW_CTRL_REFUSE_CONF,
	  false },
	{ "Conf-Receiver", mut_conf_receiver, false, false, 0, 3, TW_CTRL_REFUSE_CONF, false },
	{ "schedule slots", mut_slots, false, false, 0, 3, TW_CTRL_REFUSE_SCHEDULE, false },
	{ "number of packets", mut_packets, false, false, 0, 3, TW_CTRL_REFUSE_SCHEDULE, false },
	{ "IPv4 address tail MBZ", mut_v4_tail, false, false, 0, 3, TW_CTRL_REFUSE_MBZ, true },
	{ "MBZ octets 92-95", mut_mbz_tail, false, false, 0, 3, TW_CTRL_REFUSE_MBZ, true },
	{ "RFC 6038 octets without mode 32", mut_octets, false, false, 0, 3,
	  TW_CTRL_REFUSE_MBZ, true },
	{ "Type-P PHB form", mut_typep, false, false, 0, 3, TW_CTRL_REFUSE_TYPEP, false },
	{ "padding above limit", mut_padding, false, false, 0, 3, TW_CTRL_REFUSE_PADDING,
	  false },
	{ "third-party sender", mut_third, false, false, 0, 1, TW_CTRL_REFUSE_THIRD_PARTY,
	  false },
	{ "third-party allowed", mut_third, false, true, 0, 0, -1, false },
	{ "IPv6 zero addresses on IPv4", mut_v6_zero, false, false, 0, 3, TW_CTRL_REFUSE_FAMILY,
	  false },
	{ "caller: permanent limit", mut_none, false, false, 4, 4, TW_CTRL_REFUSE_CALLER, false },
	{ "caller: temporary limit", mut_none, false, false, 5, 5, TW_CTRL_REFUSE_CALLER, false },
	{ "caller: bogus accept", mut_none, false, false, 200, 2, TW_CTRL_REFUSE_CALLER, false },
	{ "caller accepts port 0", mut_rport0, false, false, 0, 2, TW_CTRL_REFUSE_CALLER, false },
};

static void
send_request(struct sh *h, const uint8_t *wire)
{
	uint8_t msg[TW_CTRL_REQUEST_LEN];

	memcpy(msg, wire, sizeof(msg));
	sh_feed(h, msg, sizeof(msg), NOW);
}

static void
test_request_table(void **state)
{
	uint8_t wire[TW_CTRL_REQUEST_LEN];
	struct tw_ctrl_accept_msg a;
	struct tw_ctrl_request m;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(req_rows); i++) {
		const struct req_row *r = &req_rows[i];
		struct sh *h = sh_alloc(15, NULL, 0);
		const struct tw_ctrl_stats *st;
		uint8_t su[TW_CTRL_SETUP_LEN];

		h->conf.lenient_mbz = r->lenient;
		h->conf.allow_third_party = r->third_party;
		sh_new(h);
		make_setup(h, 1, NULL, NULL, true, su);
		sh_feed(h, su, sizeof(su), NOW);
		h->out.len = 0;
		h->env.answer_accept = r->caller_accept;
		base_request(&m);
		tw_ctrl_request_encode(&m, wire, sizeof(wire));
		r->mut(&m, wire);
		send_request(h, wire);
		assert_int_equal(h->out.len, TW_CTRL_ACCEPT_LEN);
		assert_int_equal(tw_ctrl_accept_decode(h->buf, h->out.len, &a), 0);
		assert_int_equal(a.accept, r->accept);
		st = tw_ctrl_srv_stats(h->s);
		if (r->refuse >= 0) {
			assert_int_equal(st->refused[r->refuse], 1);
			assert_int_equal(tw_ctrl_srv_nb_sessions(h->s), 0);
			if (r->refuse != TW_CTRL_REFUSE_CALLER)
				assert_int_equal(h->env.requests, 0);
		} else {
			assert_int_equal(tw_ctrl_srv_nb_sessions(h->s), 1);
			assert_non_null(tw_ctrl_srv_session(h->s, a.sid));
			assert_int_equal(a.port, 5001);
		}
		assert_int_equal(st->viol[TW_CTRL_VIOL_MBZ], r->viol_mbz ? 1 : 0);
		assert_int_equal(tw_ctrl_srv_closed(h->s), TW_CTRL_OPEN);
		sh_free(h);
	}
}

/* Limits: per-connection sessions, reflect-octets padding, answers with another port. */
static void
test_request_limits(void **state)
{
	uint8_t wire[TW_CTRL_REQUEST_LEN], su[TW_CTRL_SETUP_LEN];
	struct tw_ctrl_accept_msg a;
	struct tw_ctrl_request m;
	struct sh *h;

	(void)state;
	h = sh_alloc(15, NULL, 0);
	h->conf.max_sessions = 1;
	sh_new(h);
	make_setup(h, 1, NULL, NULL, true, su);
	sh_feed(h, su, sizeof(su), NOW);
	base_request(&m);
	tw_ctrl_request_encode(&m, wire, sizeof(wire));
	h->out.len = 0;
	send_request(h, wire);
	send_request(h, wire);
	assert_int_equal(h->out.len, 2 * TW_CTRL_ACCEPT_LEN);
	tw_ctrl_accept_decode(h->buf + TW_CTRL_ACCEPT_LEN, TW_CTRL_ACCEPT_LEN, &a);
	assert_int_equal(a.accept, TW_CTRL_ACCEPT_PERM_LIMIT);
	assert_int_equal(tw_ctrl_srv_stats(h->s)->refused[TW_CTRL_REFUSE_LIMIT], 1);
	sh_free(h);

	/* RFC 6038: padding to reflect larger than the padding. */
	h = sh_make(1 | 32, NULL, 0);
	make_setup(h, 1 | 32, NULL, NULL, true, su);
	sh_feed(h, su, sizeof(su), NOW);
	base_request(&m);
	m.padding_len = 8;
	m.padding_reflect = 9;
	tw_ctrl_request_encode(&m, wire, sizeof(wire));
	h->out.len = 0;
	send_request(h, wire);
	tw_ctrl_accept_decode(h->buf, TW_CTRL_ACCEPT_LEN, &a);
	assert_int_equal(a.accept, TW_CTRL_ACCEPT_NOT_SUPPORTED);
	assert_int_equal(tw_ctrl_srv_stats(h->s)->refused[TW_CTRL_REFUSE_REFLECT], 1);
	/* ... and the same request within the padding is accepted and echoed. */
	m.padding_reflect = 8;
	m.octets_reflected = 0x4242;
	tw_ctrl_request_encode(&m, wire, sizeof(wire));
	h->out.len = 0;
	h->env.answer_port = 40000;
	send_request(h, wire);
	tw_ctrl_accept_decode(h->buf, TW_CTRL_ACCEPT_LEN, &a);
	assert_int_equal(a.accept, 0);
	assert_int_equal(a.port, 40000);
	assert_int_equal(a.reflected_octets, 0x4242);
	assert_int_equal(a.server_octets, CTRLV_SERVER_OCTETS);
	sh_free(h);

	/* IPv6 sessions: the SID takes the configured IPv4, else the IPv6 tail. */
	for (int with_v4 = 0; with_v4 < 2; with_v4++) {
		static const uint8_t v4[4] = { 192, 0, 2, 7 };

		h = sh_alloc(15, NULL, 0);
		h->conf.allow_third_party = true;
		if (with_v4)
			memcpy(h->conf.sid_ipv4, v4, 4);
		sh_new(h);
		make_setup(h, 1, NULL, NULL, true, su);
		sh_feed(h, su, sizeof(su), NOW);
		memset(&m, 0, sizeof(m));
		m.ipvn = 6;
		m.sender_addr[0] = 0x20, m.sender_addr[15] = 1;
		m.receiver_addr[0] = 0x20, m.receiver_addr[12] = 9, m.receiver_addr[15] = 2;
		m.receiver_port = 7;
		tw_ctrl_request_encode(&m, wire, sizeof(wire));
		h->out.len = 0;
		send_request(h, wire);
		tw_ctrl_accept_decode(h->buf, TW_CTRL_ACCEPT_LEN, &a);
		assert_int_equal(a.accept, 0);
		if (with_v4)
			assert_memory_equal(a.sid, v4, 4);
		else
			assert_memory_equal(a.sid, m.receiver_addr + 12, 4);
		/* the SID timestamp is NTP at `now` (5 s after the Start-Time anchor) */
		assert_int_equal((uint32_t)a.sid[4] << 24 | (uint32_t)a.sid[5] << 16 |
				 (uint32_t)a.sid[6] << 8 | a.sid[7],
				 (uint32_t)(CTRLV_START_TIME >> 32) + 5);
		assert_int_equal(h->env.last_req.ipvn, 6);
		sh_free(h);
	}
}

/* A block that starts with this command after set-up (open mode) closes the connection. */
struct bad_cmd_row {
	uint8_t cmd;
	uint32_t offered;
	enum tw_ctrl_close close;
};

static const struct bad_cmd_row bad_cmd_rows[] = {
	{ 0, 15, TW_CTRL_CLOSE_BAD_MESSAGE },
	{ 1, 15, TW_CTRL_CLOSE_BAD_MESSAGE },	/* OWAMP Request-Session: forbidden */
	{ 4, 15, TW_CTRL_CLOSE_BAD_MESSAGE },	/* Fetch-Session */
	{ 6, 15, TW_CTRL_CLOSE_BAD_MESSAGE },	/* Experimentation */
	{ 7, 15, TW_CTRL_CLOSE_PROTOCOL },	/* Start-N without mode 16 */
	{ 8, 15 | 16, TW_CTRL_CLOSE_BAD_MESSAGE },
	{ 9, 15, TW_CTRL_CLOSE_PROTOCOL },
	{ 10, 15 | 16, TW_CTRL_CLOSE_BAD_MESSAGE },
	{ 11, 15, TW_CTRL_CLOSE_BAD_MESSAGE },
	{ 255, 15, TW_CTRL_CLOSE_BAD_MESSAGE },
};

static void
test_bad_commands(void **state)
{
	uint8_t blk[TW_CTRL_BLOCK];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad_cmd_rows); i++) {
		struct sh *h = open_ready(bad_cmd_rows[i].offered);

		memset(blk, 0, sizeof(blk));
		blk[0] = bad_cmd_rows[i].cmd;
		/* 15 octets: not yet a block, nothing happens */
		sh_feed(h, blk, 15, NOW);
		assert_int_equal(tw_ctrl_srv_closed(h->s), TW_CTRL_OPEN);
		sh_feed(h, blk + 15, 1, NOW);
		assert_int_equal(tw_ctrl_srv_closed(h->s), bad_cmd_rows[i].close);
		assert_int_equal(h->out.len, 0);
		assert_int_equal(tw_ctrl_srv_stats(h->s)->rx_unknown, 1);
		assert_int_equal(tw_ctrl_srv_input(h->s, blk, 1, NOW, &h->out), -EPIPE);
		sh_free(h);
	}
}

static void
send_cmd(struct sh *h, uint8_t cmd, uint8_t accept, uint32_t n)
{
	uint8_t b[TW_CTRL_STOP_LEN];

	memset(b, 0, sizeof(b));
	b[0] = cmd;
	b[1] = accept;
	b[7] = (uint8_t)n;
	sh_feed(h, b, sizeof(b), NOW);
}

/* Commands out of order. */
static void
test_out_of_order(void **state)
{
	uint8_t wire[TW_CTRL_REQUEST_LEN], nm[64];
	struct tw_ctrl_request m;
	struct tw_ctrl_nmsg n;
	struct sh *h;

	(void)state;
	/* Start before any request: refused, the connection goes on. */
	h = open_ready(15);
	send_cmd(h, TW_CTRL_CMD_START, 0, 0);
	assert_int_equal(h->out.len, TW_CTRL_START_ACK_LEN);
	assert_int_equal(h->buf[0], TW_CTRL_ACCEPT_FAILURE);
	assert_int_equal(tw_ctrl_srv_stats(h->s)->refused[TW_CTRL_REFUSE_START_EMPTY], 1);
	/* Stop with nothing to stop: no reply, nothing happens. */
	h->out.len = 0;
	send_cmd(h, TW_CTRL_CMD_STOP, 0, 0);
	assert_int_equal(h->out.len, 0);
	assert_int_equal(tw_ctrl_srv_closed(h->s), TW_CTRL_OPEN);
	/* Request, Start; then Request, Start during the test: protocol violations. */
	base_request(&m);
	tw_ctrl_request_encode(&m, wire, sizeof(wire));
	send_request(h, wire);
	send_cmd(h, TW_CTRL_CMD_START, 0, 0);
	assert_int_equal(tw_ctrl_srv_state(h->s), TW_CTRL_SRV_TEST);
	send_request(h, wire);
	assert_int_equal(tw_ctrl_srv_closed(h->s), TW_CTRL_CLOSE_PROTOCOL);
	assert_int_equal(h->env.ev.stopped, 1);		/* the started session is reported */
	sh_free(h);

	h = open_ready(15);
	send_request(h, wire);
	send_cmd(h, TW_CTRL_CMD_START, 0, 0);
	send_cmd(h, TW_CTRL_CMD_START, 0, 0);
	assert_int_equal(tw_ctrl_srv_closed(h->s), TW_CTRL_CLOSE_PROTOCOL);
	sh_free(h);

	/* Stop-Sessions with the wrong Number of Sessions: still stops, counted. */
	h = open_ready(15);
	send_request(h, wire);
	send_request(h, wire);
	send_cmd(h, TW_CTRL_CMD_START, 0, 0);
	send_cmd(h, TW_CTRL_CMD_STOP, 0, 5);
	assert_int_equal(tw_ctrl_srv_nb_sessions(h->s), 0);
	assert_int_equal(tw_ctrl_srv_stats(h->s)->viol[TW_CTRL_VIOL_STOP_COUNT], 1);
	assert_int_equal(h->env.ev.stopped, 2);
	assert_int_equal(tw_ctrl_srv_state(h->s), TW_CTRL_SRV_READY);
	sh_free(h);

	/* RFC 5938: unknown SID in Start-N (refused, nothing starts), Stop-N (known ones stop). */
	h = open_ready(15 | 16);
	send_request(h, wire);
	{
		struct tw_ctrl_accept_msg a;
		uint8_t sids[2][16];

		tw_ctrl_accept_decode(h->buf, TW_CTRL_ACCEPT_LEN, &a);
		memcpy(sids[0], a.sid, 16);
		memset(sids[1], 0x77, 16);
		memset(&n, 0, sizeof(n));
		n.command = TW_CTRL_CMD_START_N;
		n.nb_sessions = 2;
		n.sids = (const uint8_t(*)[16])sids;
		h->out.len = 0;
		sh_feed(h, nm, (size_t)tw_ctrl_nmsg_encode(&n, nm, sizeof(nm)), NOW);
		assert_int_equal(h->out.len, 64);
		assert_int_equal(h->buf[0], TW_CTRL_CMD_START_N_ACK);
		assert_int_equal(h->buf[1], TW_CTRL_ACCEPT_FAILURE);
		assert_memory_equal(h->buf + 16, sids, 32);	/* SIDs echoed */
		assert_int_equal(h->env.ev.started, 0);
		/* the same SID twice is refused too */
		memcpy(sids[1], sids[0], 16);
		h->out.len = 0;
		sh_feed(h, nm, (size_t)tw_ctrl_nmsg_encode(&n, nm, sizeof(nm)), NOW);
		assert_int_equal(h->buf[1], TW_CTRL_ACCEPT_FAILURE);
		assert_int_equal(tw_ctrl_srv_stats(h->s)->refused[TW_CTRL_REFUSE_START_N], 2);
		/* Stop-N: one known, one unknown */
		memset(sids[1], 0x77, 16);
		n.command = TW_CTRL_CMD_STOP_N;
		h->out.len = 0;
		sh_feed(h, nm, (size_t)tw_ctrl_nmsg_encode(&n, nm, sizeof(nm)), NOW);
		assert_int_equal(h->buf[0], TW_CTRL_CMD_STOP_N_ACK);
		assert_int_equal(h->buf[1], TW_CTRL_ACCEPT_FAILURE);
		assert_int_equal(h->env.ev.stopped, 1);
		assert_int_equal(tw_ctrl_srv_nb_sessions(h->s), 0);
		assert_int_equal(tw_ctrl_srv_stats(h->s)->refused[TW_CTRL_REFUSE_STOP_N], 1);
	}
	/* more SIDs than the connection could ever hold: cannot be buffered, close */
	nm[0] = TW_CTRL_CMD_START_N;
	memset(nm + 1, 0, 15);
	nm[6] = 1;				/* 256 SIDs > max_sessions 16 */
	sh_feed(h, nm, 16, NOW);
	assert_int_equal(tw_ctrl_srv_closed(h->s), TW_CTRL_CLOSE_OVERFLOW);
	sh_free(h);
}

/* Bad HMACs: any flipped octet of an authenticated/encrypted message closes the connection
 * before anything in it is acted upon. */
static void
test_bad_hmac(void **state)
{
	uint32_t c2s_off[32], s2c_off[32];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(ctrlv_convs); i++) {
		const struct ctrlv_conv *v = ctrlv_convs[i];
		uint8_t *mut;

		if (!is_cipher(v->mode))
			continue;
		step_offsets(v, c2s_off, s2c_off);
		mut = malloc(v->c2s_len);
		assert_non_null(mut);
		/* every octet of the first request (step 2), one bit each */
		for (uint32_t o = c2s_off[2]; o < c2s_off[3]; o++) {
			struct sh *h = conv_server(v);

			memcpy(mut, v->c2s, v->c2s_len);
			mut[o] ^= (uint8_t)(1u << (o % 8));
			sh_feed(h, mut, v->c2s_len, NOW);
			/* A damaged first block decrypts to a random command (closed on sight, or
			 * waiting for octets that never come); past it, the HMAC catches it. */
			if (o >= c2s_off[2] + TW_CTRL_BLOCK)
				assert_int_equal(tw_ctrl_srv_closed(h->s), TW_CTRL_CLOSE_BAD_HMAC);
			/* greeting and Server-Start only: no Accept-Session, no request seen */
			assert_int_equal(h->out.len, s2c_off[2]);
			assert_int_equal(h->env.requests, 0);
			sh_free(h);
		}
		free(mut);
	}
}

/* Wrong security or mode for the conversation: the server refuses exactly as the table says,
 * whatever followed the Set-Up-Response in the same write. */
static void
test_async_key(void **state)
{
	const struct ctrlv_conv *v = &ctrlv_enc;
	struct sh *h;

	(void)state;
	/* Answer later: same octets as the synchronous run. */
	h = conv_server(v);
	h->env.key_mode = KEY_ASYNC;
	sh_feed(h, v->c2s, v->c2s_len, NOW);
	assert_int_equal(tw_ctrl_srv_state(h->s), TW_CTRL_SRV_KEY_WAIT);
	assert_int_equal(h->out.len, TW_CTRL_GREETING_LEN);
	assert_int_equal(tw_ctrl_srv_key_result(h->s, 0, (const uint8_t *)CTRLV_SECRET,
						sizeof(CTRLV_SECRET) - 1, NOW, &h->out), 0);
	conv_server_check_end(v, h);
	assert_int_equal(tw_ctrl_srv_key_result(h->s, 0, (const uint8_t *)"x", 1, NOW, &h->out),
			 -EINVAL);
	sh_free(h);

	/* Answer "unknown". */
	h = conv_server(v);
	h->env.key_mode = KEY_ASYNC;
	sh_feed(h, v->c2s, TW_CTRL_SETUP_LEN, NOW);
	assert_int_equal(tw_ctrl_srv_key_result(h->s, -ENOENT, NULL, 0, NOW, &h->out), 0);
	assert_int_equal(h->buf[TW_CTRL_GREETING_LEN + 15], TW_CTRL_ACCEPT_FAILURE);
	assert_int_equal(tw_ctrl_srv_closed(h->s), TW_CTRL_CLOSE_AUTH);
	assert_int_equal(tw_ctrl_srv_stats(h->s)->refused[TW_CTRL_REFUSE_KEYID], 1);
	sh_free(h);

	/* No answer within the step timeout: Accept 5, closed. */
	h = conv_server(v);
	h->env.key_mode = KEY_ASYNC;
	sh_feed(h, v->c2s, TW_CTRL_SETUP_LEN, NOW);
	assert_int_equal(tw_ctrl_srv_deadline(h->s), NOW + STEP);
	assert_int_equal(tw_ctrl_srv_tick(h->s, NOW + STEP - 1, &h->out), 0);
	assert_int_equal(tw_ctrl_srv_closed(h->s), TW_CTRL_OPEN);
	assert_int_equal(tw_ctrl_srv_tick(h->s, NOW + STEP, &h->out), 0);
	assert_int_equal(h->buf[TW_CTRL_GREETING_LEN + 15], TW_CTRL_ACCEPT_TEMP_LIMIT);
	assert_int_equal(tw_ctrl_srv_closed(h->s), TW_CTRL_CLOSE_TIMEOUT);
	sh_free(h);

	/* Octets pile up while waiting: bounded, then overflow. */
	h = conv_server(v);
	h->env.key_mode = KEY_ASYNC;
	sh_feed(h, v->c2s, TW_CTRL_SETUP_LEN, NOW);
	{
		uint8_t junk[4096];

		memset(junk, 5, sizeof(junk));
		sh_feed(h, junk, sizeof(junk), NOW);
	}
	assert_int_equal(tw_ctrl_srv_closed(h->s), TW_CTRL_CLOSE_OVERFLOW);
	sh_free(h);
}

/* Deadlines: SERVWAIT (RFC 5357 §3.1), REFWAIT while started, steps and partial messages. */
static void
test_deadlines(void **state)
{
	const uint64_t servwait = 900 * NSEC, refwait = 900 * NSEC;
	uint8_t wire[TW_CTRL_REQUEST_LEN];
	struct tw_ctrl_request m;
	struct sh *h;

	(void)state;
	/* no Set-Up-Response */
	h = sh_make(15, NULL, 0);
	assert_int_equal(tw_ctrl_srv_deadline(h->s), NOW + STEP);
	assert_int_equal(tw_ctrl_srv_tick(h->s, NOW + STEP, NULL), 0);
	assert_int_equal(tw_ctrl_srv_closed(h->s), TW_CTRL_CLOSE_TIMEOUT);
	assert_int_equal(tw_ctrl_srv_deadline(h->s), UINT64_MAX);
	sh_free(h);

	/* idle set-up connection: SERVWAIT */
	h = open_ready(15);
	assert_int_equal(tw_ctrl_srv_deadline(h->s), NOW + servwait);
	assert_int_equal(tw_ctrl_srv_tick(h->s, NOW + servwait - 1, &h->out), 0);
	assert_int_equal(tw_ctrl_srv_closed(h->s), TW_CTRL_OPEN);
	/* a message restarts it */
	base_request(&m);
	tw_ctrl_request_encode(&m, wire, sizeof(wire));
	assert_int_equal(tw_ctrl_srv_input(h->s, wire, sizeof(wire), NOW + 100, &h->out), 0);
	assert_int_equal(tw_ctrl_srv_deadline(h->s), NOW + 100 + servwait);
	/* a partial message has step_timeout to complete */
	assert_int_equal(tw_ctrl_srv_input(h->s, wire, 50, NOW + 200, &h->out), 0);
	assert_int_equal(tw_ctrl_srv_deadline(h->s), NOW + 200 + STEP);
	assert_int_equal(tw_ctrl_srv_tick(h->s, NOW + 200 + STEP, &h->out), 0);
	assert_int_equal(tw_ctrl_srv_closed(h->s), TW_CTRL_CLOSE_TIMEOUT);
	assert_int_equal(h->env.ev.stopped, 1);	/* the accepted session is let go */
	sh_free(h);

	/* started: SERVWAIT suspended, REFWAIT from the last message or touch */
	h = open_ready(15);
	h->conf.refwait_ns = refwait;
	send_request(h, wire);
	send_cmd(h, TW_CTRL_CMD_START, 0, 0);
	assert_int_equal(tw_ctrl_srv_deadline(h->s), NOW + refwait);
	tw_ctrl_srv_touch(h->s, NOW + 500 * NSEC);
	assert_int_equal(tw_ctrl_srv_deadline(h->s), NOW + 500 * NSEC + refwait);
	assert_int_equal(tw_ctrl_srv_tick(h->s, NOW + refwait, &h->out), 0);
	assert_int_equal(tw_ctrl_srv_closed(h->s), TW_CTRL_OPEN);
	/* the deadline also holds for input that arrives too late */
	assert_int_equal(tw_ctrl_srv_input(h->s, wire, 16, NOW + 500 * NSEC + refwait, &h->out),
			 0);
	assert_int_equal(tw_ctrl_srv_closed(h->s), TW_CTRL_CLOSE_REFWAIT);
	assert_int_equal(h->env.ev.stopped, 1);
	sh_free(h);
}

/* API misuse and buffer contracts. */
static void
test_api(void **state)
{
	struct tw_ctrl_srv_conf conf;
	struct tw_ctrl_addr a4 = { .family = 4 }, bad = { .family = 5 };
	struct tw_ctrl_cli_conf cc;
	uint8_t small[8], su[TW_CTRL_SETUP_LEN];
	struct tw_ctrl_out o = { .buf = small, .cap = sizeof(small) };
	struct sh *h;
	struct env e;

	(void)state;
	memset(&e, 0, sizeof(e));
	tw_ctrl_srv_conf_defaults(&conf);
	conf.ops.random = cb_random;
	conf.ops.key_lookup = cb_key;
	conf.ops.session_request = cb_session;
	{
		struct tw_ctrl_srv *s = tw_ctrl_srv_new(&conf, &a4, &a4, &e);

		assert_non_null(s);
		/* before start() */
		assert_int_equal(tw_ctrl_srv_input(s, small, 1, NOW, &o), -EINVAL);
		assert_int_equal(tw_ctrl_srv_start(s, NOW, &o), -ENOBUFS);
		tw_ctrl_srv_free(s);
	}
	tw_ctrl_srv_free(NULL);
	assert_null(tw_ctrl_srv_new(&conf, &bad, &a4, &e));
	assert_null(tw_ctrl_srv_new(NULL, &a4, &a4, &e));
	{
		/* RFC 4656 §3.1: Count a power of 2, at least 1024 */
		static const uint32_t counts[] = { 0, 512, 1000, 1536, 3072 };

		for (size_t i = 0; i < ARRAY_LEN(counts); i++) {
			conf.count = counts[i];
			errno = 0;
			assert_null(tw_ctrl_srv_new(&conf, &a4, &a4, &e));
			assert_int_equal(errno, EINVAL);
		}
		conf.count = 2048;
	}
	conf.modes = 0;
	assert_null(tw_ctrl_srv_new(&conf, &a4, &a4, &e));
	conf.modes = 16;
	assert_null(tw_ctrl_srv_new(&conf, &a4, &a4, &e));
	conf.modes = 1 | 128;
	assert_null(tw_ctrl_srv_new(&conf, &a4, &a4, &e));
	conf.modes = 15;
	conf.max_sessions = 0;
	assert_null(tw_ctrl_srv_new(&conf, &a4, &a4, &e));
	conf.max_sessions = TW_CTRL_MAX_SESSIONS + 1;
	assert_null(tw_ctrl_srv_new(&conf, &a4, &a4, &e));
	conf.max_sessions = TW_CTRL_MAX_SESSIONS;
	conf.ops.key_lookup = NULL;
	assert_null(tw_ctrl_srv_new(&conf, &a4, &a4, &e));
	conf.modes = 1;
	{
		struct tw_ctrl_srv *s = tw_ctrl_srv_new(&conf, &a4, &a4, &e);

		assert_non_null(s);		/* open only: no key store needed */
		assert_int_equal(tw_ctrl_srv_out_reserve(s),
				 tw_ctrl_nmsg_len(TW_CTRL_MAX_SESSIONS));
		tw_ctrl_srv_free(s);
	}

	/* out too small for input + reserve: refused, nothing consumed */
	h = sh_make(15, NULL, 0);
	make_setup(h, 1, NULL, NULL, true, su);
	h->out.cap = h->out.len + sizeof(su) + tw_ctrl_srv_out_reserve(h->s) - 1;
	assert_int_equal(tw_ctrl_srv_input(h->s, su, sizeof(su), NOW, &h->out), -ENOBUFS);
	h->out.cap = sizeof(h->buf);
	sh_feed(h, su, sizeof(su), NOW);
	assert_int_equal(tw_ctrl_srv_state(h->s), TW_CTRL_SRV_READY);
	tw_ctrl_srv_close(h->s);
	assert_int_equal(tw_ctrl_srv_closed(h->s), TW_CTRL_CLOSE_LOCAL);
	tw_ctrl_srv_peer_closed(h->s);		/* the first reason stays */
	assert_int_equal(tw_ctrl_srv_closed(h->s), TW_CTRL_CLOSE_LOCAL);
	sh_free(h);

	/* random source failure at the greeting */
	h = sh_alloc(15, NULL, 0);
	h->env.rnd.fail = true;
	h->s = tw_ctrl_srv_new(&h->conf, &h->peer, &h->local, &h->env);
	assert_int_equal(tw_ctrl_srv_start(h->s, NOW, &h->out), -EIO);
	assert_int_equal(tw_ctrl_srv_closed(h->s), TW_CTRL_CLOSE_INTERNAL);
	sh_free(h);

	/* client conf */
	tw_ctrl_cli_conf_defaults(&cc);
	cc.ops.random = cb_random;
	{
		struct tw_ctrl_cli *c = tw_ctrl_cli_new(&cc, &e);

		assert_non_null(c);
		assert_int_equal(tw_ctrl_cli_start(c, NOW, &o), -EINVAL);	/* not ready */
		assert_int_equal(tw_ctrl_cli_input(c, small, 1, NOW, &o), -ENOBUFS);
		tw_ctrl_cli_free(c);
	}
	cc.modes = 16;
	assert_null(tw_ctrl_cli_new(&cc, &e));
	cc.modes = 15;
	cc.force_mode = 6;
	assert_null(tw_ctrl_cli_new(&cc, &e));
	cc.force_mode = 0;
	cc.features = 128;
	assert_null(tw_ctrl_cli_new(&cc, &e));
	cc.features = 0;
	cc.max_count = 100;
	assert_null(tw_ctrl_cli_new(&cc, &e));
	cc.max_count = 1024;
	cc.secret_len = 4;
	assert_null(tw_ctrl_cli_new(&cc, &e));
	tw_ctrl_cli_free(NULL);

	for (int i = 0; i <= TW_CTRL_CLOSE_MAX; i++)
		assert_non_null(tw_ctrl_close_str((enum tw_ctrl_close)i));
	for (int i = 0; i <= TW_CTRL_REFUSE_MAX; i++)
		assert_non_null(tw_ctrl_refuse_str((enum tw_ctrl_refuse)i));
	assert_string_equal(tw_ctrl_close_str(TW_CTRL_CLOSE_BAD_HMAC), "bad-hmac");
	assert_string_equal(tw_ctrl_close_str(TW_CTRL_CLOSE_MAX), "?");
}

/* ---------------------------------------------------------------------------------------------
 * Client refusals
 * ------------------------------------------------------------------------------------------- */

struct greet_row {
	const char *why;
	uint32_t offered;
	uint32_t count;
	uint32_t cli_modes;
	uint32_t force;
	bool secret;
	enum tw_ctrl_close close;		/* TW_CTRL_OPEN: answered */
	uint32_t mode;				/* then with this Mode */
};

static const struct greet_row greet_rows[] = {
	{ "RFC 4656 §3.1: Modes 0", 0, 1024, 15, 0, true, TW_CTRL_CLOSE_REFUSED, 0 },
	{ "nothing in common", 4, 1024, 1 | 2, 0, true, TW_CTRL_CLOSE_MODE, 0 },
	{ "no secret, cipher only", 4, 1024, 15, 0, false, TW_CTRL_CLOSE_MODE, 0 },
	{ "no secret: open", 5, 1024, 15, 0, false, TW_CTRL_OPEN, 1 },
	{ "Count too large", 4, 1u << 20, 15, 0, true, TW_CTRL_CLOSE_COUNT, 0 },
	{ "Count too small", 2, 512, 15, 0, true, TW_CTRL_CLOSE_COUNT, 0 },
	{ "Count too large: open instead", 5, 1u << 20, 15, 0, true, TW_CTRL_OPEN, 1 },
	{ "forced mode offered", 15, 1024, 15, 2, true, TW_CTRL_OPEN, 2 },
	{ "forced mode not offered", 5, 1024, 15, 2, true, TW_CTRL_CLOSE_MODE, 0 },
	{ "strongest", 15 | 64, 1024, 15, 0, true, TW_CTRL_OPEN, 4 },
};

static void
test_client_greeting(void **state)
{
	uint8_t g[TW_CTRL_GREETING_LEN];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(greet_rows); i++) {
		const struct greet_row *r = &greet_rows[i];
		struct tw_ctrl_greeting m = { .modes = r->offered, .count = r->count };
		struct ch *h = ch_alloc(r->cli_modes, 0, NULL, 0);
		struct tw_ctrl_setup su;

		h->conf.force_mode = r->force;
		if (!r->secret)
			h->conf.secret_len = 0;
		ch_new(h);
		tw_ctrl_greeting_encode(&m, g, sizeof(g));
		assert_int_equal(tw_ctrl_cli_input(h->c, g, 63, NOW, &h->out), 0);
		assert_int_equal(h->out.len, 0);
		assert_int_equal(tw_ctrl_cli_input(h->c, g + 63, 1, NOW, &h->out), 0);
		assert_int_equal(tw_ctrl_cli_closed(h->c), r->close);
		if (r->close == TW_CTRL_OPEN) {
			assert_int_equal(h->out.len, TW_CTRL_SETUP_LEN);
			tw_ctrl_setup_decode(h->buf, h->out.len, &su);
			assert_int_equal(su.mode, r->mode);
		} else {
			assert_int_equal(h->out.len, 0);
		}
		ch_free(h);
	}
}

static void
test_client_refusals(void **state)
{
	struct sh *s;
	struct ch *c;
	struct tw_ctrl_session_params p;
	uint8_t blk[64];

	(void)state;
	/* Server refuses the Set-Up-Response (wrong passphrase): READY event with Accept 1. */
	s = sh_make(15, NULL, 0);
	c = ch_alloc(4, 0, NULL, 0);
	c->conf.secret = (const uint8_t *)"bad";
	c->conf.secret_len = 3;
	ch_new(c);
	pump(s, c, NOW);
	assert_int_equal(tw_ctrl_srv_closed(s->s), TW_CTRL_CLOSE_AUTH);
	assert_int_equal(tw_ctrl_cli_closed(c->c), TW_CTRL_CLOSE_REFUSED);
	assert_int_equal(c->env.ev.nb[TW_CTRL_EV_READY], 1);
	assert_int_equal(c->env.ev.last_accept[TW_CTRL_EV_READY], TW_CTRL_ACCEPT_FAILURE);
	sh_free(s);
	ch_free(c);

	/* Server's reply with a broken HMAC; unsolicited message; command rules. */
	for (int kind = 0; kind < 3; kind++) {
		s = sh_make(15 | 16, NULL, 0);
		c = ch_alloc(kind == 2 ? 1 : 2, kind == 2 ? 0 : 16, NULL, 0);
		ch_new(c);
		pump(s, c, NOW);
		assert_int_equal(tw_ctrl_cli_state(c->c), TW_CTRL_CLI_READY);
		params_from(&ctrlv_params[0], &p);
		if (kind == 0) {
			assert_true(tw_ctrl_cli_request(c->c, &p, NOW, &c->out) >= 0);
			assert_int_equal(tw_ctrl_srv_input(s->s, c->buf, c->out.len, NOW, &s->out),
					 0);
			s->buf[s->out.len - 1] ^= 1;
			assert_int_equal(tw_ctrl_cli_input(c->c, s->buf, s->out.len, NOW,
							   &c->out), 0);
			assert_int_equal(tw_ctrl_cli_closed(c->c), TW_CTRL_CLOSE_BAD_HMAC);
		} else if (kind == 1) {
			/* nothing owed: an Accept-Session shaped message is a violation */
			memset(blk, 0, sizeof(blk));
			assert_int_equal(tw_ctrl_cli_input(c->c, blk, 16, NOW, &c->out), 0);
			assert_int_equal(tw_ctrl_cli_closed(c->c), TW_CTRL_CLOSE_PROTOCOL);
		} else {
			/* open mode: no RFC 5938; stop while a request is unanswered */
			uint8_t one[1][16] = { { 0 } };

			assert_int_equal(tw_ctrl_cli_stop_n(c->c, 0, (const uint8_t(*)[16])one, 1,
							    NOW, &c->out), -ENOTSUP);
			assert_true(tw_ctrl_cli_request(c->c, &p, NOW, &c->out) >= 0);
			assert_int_equal(tw_ctrl_cli_stop(c->c, 0, NOW, &c->out), -EBUSY);
			/* the server never answers: the reply deadline closes */
			c->out.len = 0;
			assert_int_equal(tw_ctrl_cli_deadline(c->c), NOW + STEP);
			assert_int_equal(tw_ctrl_cli_tick(c->c, NOW + STEP), 0);
			assert_int_equal(tw_ctrl_cli_closed(c->c), TW_CTRL_CLOSE_TIMEOUT);
			assert_int_equal(tw_ctrl_cli_request(c->c, &p, NOW, &c->out), -EINVAL);
		}
		sh_free(s);
		ch_free(c);
	}

	/* A server-initiated Stop-Sessions when nothing is owed. */
	s = sh_make(15, NULL, 0);
	c = ch_alloc(1, 0, NULL, 0);
	ch_new(c);
	pump(s, c, NOW);
	params_from(&ctrlv_params[0], &p);
	assert_true(tw_ctrl_cli_request(c->c, &p, NOW, &c->out) >= 0);
	pump(s, c, NOW);
	{
		struct tw_ctrl_cmd st = {
			.command = TW_CTRL_CMD_STOP, .accept = 2, .nb_sessions = 1,
		};

		tw_ctrl_stop_encode(&st, blk, sizeof(blk));
		assert_int_equal(tw_ctrl_cli_input(c->c, blk, TW_CTRL_STOP_LEN, NOW, &c->out), 0);
		assert_int_equal(c->env.ev.nb[TW_CTRL_EV_STOP], 1);
		assert_int_equal(c->env.ev.last_accept[TW_CTRL_EV_STOP], 2);
		assert_int_equal(tw_ctrl_cli_session(c->c, 0)->state, TW_CTRL_CLI_SESS_STOPPED);
	}
	sh_free(s);
	ch_free(c);

	/* No greeting at all. */
	c = ch_alloc(1, 0, NULL, 0);
	ch_new(c);
	assert_int_equal(tw_ctrl_cli_tick(c->c, NOW), 0);
	assert_int_equal(tw_ctrl_cli_deadline(c->c), NOW + STEP);
	assert_int_equal(tw_ctrl_cli_tick(c->c, NOW + STEP), 0);
	assert_int_equal(tw_ctrl_cli_closed(c->c), TW_CTRL_CLOSE_TIMEOUT);
	ch_free(c);
}

/* SIDs that cannot be made unique (a broken random source), and a random source that fails. */
static void
test_sid_failures(void **state)
{
	uint8_t wire[TW_CTRL_REQUEST_LEN];
	struct tw_ctrl_accept_msg a;
	struct tw_ctrl_request m;
	struct sh *h;

	(void)state;
	base_request(&m);
	tw_ctrl_request_encode(&m, wire, sizeof(wire));

	h = open_ready(15);
	h->env.rnd.constant = true;
	send_request(h, wire);
	send_request(h, wire);
	assert_int_equal(h->out.len, 2 * TW_CTRL_ACCEPT_LEN);
	tw_ctrl_accept_decode(h->buf, TW_CTRL_ACCEPT_LEN, &a);
	assert_int_equal(a.accept, 0);
	tw_ctrl_accept_decode(h->buf + TW_CTRL_ACCEPT_LEN, TW_CTRL_ACCEPT_LEN, &a);
	assert_int_equal(a.accept, TW_CTRL_ACCEPT_INTERNAL);
	assert_int_equal(tw_ctrl_srv_stats(h->s)->refused[TW_CTRL_REFUSE_SID], 1);
	assert_int_equal(tw_ctrl_srv_nb_sessions(h->s), 1);
	sh_free(h);

	h = open_ready(15);
	h->env.rnd.fail = true;
	send_request(h, wire);
	assert_int_equal(tw_ctrl_srv_closed(h->s), TW_CTRL_CLOSE_INTERNAL);
	assert_int_equal(h->out.len, 0);
	sh_free(h);

	/* The Server-IV cannot be drawn: refused in clear with Accept 2. */
	{
		const struct ctrlv_conv *v = &ctrlv_auth;

		h = conv_server(v);
		h->env.rnd.len = 32;		/* challenge and salt only */
		sh_feed(h, v->c2s, TW_CTRL_SETUP_LEN, NOW);
		assert_int_equal(h->buf[TW_CTRL_GREETING_LEN + 15], TW_CTRL_ACCEPT_INTERNAL);
		assert_int_equal(tw_ctrl_srv_closed(h->s), TW_CTRL_CLOSE_INTERNAL);
		sh_free(h);
	}
}

/* Hand-written server octets for the client: greeting (open mode, features), Server-Start. */
static struct ch *
client_ready(uint32_t offered, uint32_t features, uint32_t max_sessions)
{
	struct tw_ctrl_greeting g = { .modes = offered, .count = 1024 };
	struct tw_ctrl_server_start ss = { .start_time = 1 };
	struct ch *h = ch_alloc(1, features, NULL, 0);
	uint8_t b[64];

	h->conf.max_sessions = max_sessions;
	ch_new(h);
	tw_ctrl_greeting_encode(&g, b, sizeof(b));
	assert_int_equal(tw_ctrl_cli_input(h->c, b, TW_CTRL_GREETING_LEN, NOW, &h->out), 0);
	tw_ctrl_server_start_encode(&ss, b, sizeof(b));
	assert_int_equal(tw_ctrl_cli_input(h->c, b, TW_CTRL_SERVER_START_LEN, NOW, &h->out), 0);
	assert_int_equal(tw_ctrl_cli_state(h->c), TW_CTRL_CLI_READY);
	h->out.len = 0;
	return h;
}

static void
test_client_replies(void **state)
{
	struct tw_ctrl_session_params p;
	struct tw_ctrl_accept_msg a;
	uint8_t b[128];
	struct ch *h;
	int idx;

	(void)state;
	params_from(&ctrlv_params[0], &p);

	/* A refused session frees its slot; a full table says -ENOSPC. */
	h = client_ready(1, 0, 1);
	assert_int_equal(tw_ctrl_cli_request(h->c, &p, NOW, &h->out), 0);
	assert_int_equal(tw_ctrl_cli_request(h->c, &p, NOW, &h->out), -ENOSPC);
	memset(&a, 0, sizeof(a));
	a.accept = TW_CTRL_ACCEPT_TEMP_LIMIT;
	tw_ctrl_accept_encode(&a, b, sizeof(b));
	/* in two pieces: a partial reply waits, with a deadline */
	assert_int_equal(tw_ctrl_cli_input(h->c, b, 20, NOW, &h->out), 0);
	assert_int_equal(tw_ctrl_cli_deadline(h->c), NOW + STEP);
	assert_int_equal(tw_ctrl_cli_input(h->c, b + 20, 28, NOW + 1, &h->out), 0);
	assert_int_equal(tw_ctrl_cli_session(h->c, 0)->state, TW_CTRL_CLI_SESS_REFUSED);
	assert_int_equal(h->env.ev.nb[TW_CTRL_EV_ACCEPT], 1);
	assert_int_equal(h->env.ev.last_accept[TW_CTRL_EV_ACCEPT], TW_CTRL_ACCEPT_TEMP_LIMIT);
	assert_int_equal(h->env.ev.last_session, 0);
	assert_int_equal(tw_ctrl_cli_deadline(h->c), UINT64_MAX);
	assert_int_equal(tw_ctrl_cli_request(h->c, &p, NOW, &h->out), 0);
	assert_null(tw_ctrl_cli_session(h->c, 1));
	tw_ctrl_cli_peer_closed(h->c);
	assert_int_equal(h->env.ev.reason, TW_CTRL_CLOSE_PEER);
	assert_int_equal(tw_ctrl_cli_input(h->c, b, 1, NOW, &h->out), -EPIPE);
	ch_free(h);

	/* RFC 6038: a server that does not echo the octets is counted. */
	h = client_ready(1 | 32, 32, 4);
	assert_int_equal(tw_ctrl_cli_mode(h->c), 1 | 32);
	idx = tw_ctrl_cli_request(h->c, &p, NOW, &h->out);
	assert_true(idx >= 0);
	/* the request carried the octets (mode 32) */
	assert_int_equal(h->buf[88] << 8 | h->buf[89], ctrlv_params[0].otbr);
	memset(&a, 0, sizeof(a));
	a.reflected_octets = 0x1111;
	a.sid[0] = 9;
	tw_ctrl_accept_encode(&a, b, sizeof(b));
	b[30] = 1;				/* an MBZ octet */
	assert_int_equal(tw_ctrl_cli_input(h->c, b, TW_CTRL_ACCEPT_LEN, NOW, &h->out), 0);
	assert_int_equal(tw_ctrl_cli_stats(h->c)->viol[TW_CTRL_VIOL_REFLECTED], 1);
	assert_int_equal(tw_ctrl_cli_stats(h->c)->viol[TW_CTRL_VIOL_MBZ], 1);
	assert_int_equal(tw_ctrl_cli_session(h->c, (unsigned int)idx)->state,
			 TW_CTRL_CLI_SESS_ACCEPTED);
	tw_ctrl_cli_close(h->c);
	assert_int_equal(tw_ctrl_cli_closed(h->c), TW_CTRL_CLOSE_LOCAL);
	ch_free(h);

	/* RFC 5938: an ack that does not list as many SIDs as the command closes. */
	h = client_ready(1 | 16, 16, 4);
	idx = tw_ctrl_cli_request(h->c, &p, NOW, &h->out);
	memset(&a, 0, sizeof(a));
	a.sid[0] = 7;
	tw_ctrl_accept_encode(&a, b, sizeof(b));
	assert_int_equal(tw_ctrl_cli_input(h->c, b, TW_CTRL_ACCEPT_LEN, NOW, &h->out), 0);
	{
		const uint8_t(*one)[16] =
			(const uint8_t(*)[16])tw_ctrl_cli_session(h->c, (unsigned int)idx)->sid;
		struct tw_ctrl_nmsg n = { .command = TW_CTRL_CMD_START_N_ACK, .nb_sessions = 1,
					  .sids = one };

		assert_int_equal(tw_ctrl_cli_start_n(h->c, one, 1, NOW, &h->out), 0);
		tw_ctrl_nmsg_encode(&n, b, sizeof(b));
		b[7] = 2;
		assert_int_equal(tw_ctrl_cli_input(h->c, b, 16, NOW, &h->out), 0);
		assert_int_equal(tw_ctrl_cli_closed(h->c), TW_CTRL_CLOSE_BAD_MESSAGE);
	}
	ch_free(h);
}


/* ---------------------------------------------------------------------------------------------
 * RFC 7717 (draft-ietf-ippm-ipsec-06) mode 128: IKEv2-derived shared secret
 * ------------------------------------------------------------------------------------------- */

/* The IKEv2 SA both sides know: SPIs as in an IKE header, and PRF(SK_d, "IPPM") (an opaque
 * 32-octet value here: where it comes from is the key provider's business). */
static const uint8_t ike_spi_i[8] = { 0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f, 0x70, 0x81 };
static const uint8_t ike_spi_r[8] = { 0x92, 0xa3, 0xb4, 0xc5, 0xd6, 0xe7, 0xf8, 0x09 };
static const uint8_t ike_spi4_i[8] = { 0xde, 0xad, 0xbe, 0xef };
static const uint8_t ike_spi4_r[8] = { 0xca, 0xfe, 0xf0, 0x0d };
static const uint8_t ike_secret[32] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
	0xff, 0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2,
	0xe1, 0xf0,
};

/* Server side: ike on with the layout, the provider knowing the SA of that layout. */
static void
sh_ike(struct sh *h, enum tw_ctrl_spi_layout layout)
{
	bool four = layout == TW_CTRL_SPI_4_4;

	h->conf.ike.enable = true;
	h->conf.ike.layout = layout;
	h->conf.ops.ike_lookup = cb_ike;
	h->env.ike_spi_len = four ? 4 : 8;
	memcpy(h->env.ike_spi_i, four ? ike_spi4_i : ike_spi_i, 8);
	memcpy(h->env.ike_spi_r, four ? ike_spi4_r : ike_spi_r, 8);
	h->env.ike_secret = ike_secret;
	h->env.ike_secret_len = sizeof(ike_secret);
}

/* Client side: SPIs and secret of the same SA, from the (fake) key provider. */
static void
ch_ike(struct ch *h, enum tw_ctrl_spi_layout layout)
{
	bool four = layout == TW_CTRL_SPI_4_4;

	h->conf.ike.enable = true;
	h->conf.ike.layout = layout;
	memcpy(h->conf.ike.spi_i, four ? ike_spi4_i : ike_spi_i, 8);
	memcpy(h->conf.ike.spi_r, four ? ike_spi4_r : ike_spi_r, 8);
	h->conf.ike.secret = ike_secret;
	h->conf.ike.secret_len = sizeof(ike_secret);
}

struct ike_pair_row {
	const char *why;
	uint32_t offered;			/* conf.modes (128 added by conf.ike) */
	uint32_t cli_modes;
	uint32_t force;
	enum tw_ctrl_spi_layout layout;
	uint32_t want_mode;
	enum tw_ctrl_test_mode test;
};

static const struct ike_pair_row ike_pair_rows[] = {
	{ "130, 8+8", 1 | 2, 15, 0, TW_CTRL_SPI_8_8, 130, TW_CTRL_TEST_AUTH },
	{ "132, 8+8", 15, 15, 0, TW_CTRL_SPI_8_8, 132, TW_CTRL_TEST_ENCRYPTED },
	{ "136, 8+8", 1 | 8, 15, 0, TW_CTRL_SPI_8_8, 136, TW_CTRL_TEST_OPEN },
	{ "130, 4+4", 2, 15, 0, TW_CTRL_SPI_4_4, 130, TW_CTRL_TEST_AUTH },
	{ "132, 4+4", 15, 15, 0, TW_CTRL_SPI_4_4, 132, TW_CTRL_TEST_ENCRYPTED },
	{ "136, 4+4", 8, 15, 0, TW_CTRL_SPI_4_4, 136, TW_CTRL_TEST_OPEN },
	{ "forced 128: strongest allowed", 15, 1 | 2 | 8, 128, TW_CTRL_SPI_8_8, 130,
	  TW_CTRL_TEST_AUTH },
	{ "forced 136", 15, 15, 136, TW_CTRL_SPI_4_4, 136, TW_CTRL_TEST_OPEN },
	{ "forced plain 4: no IKE", 15, 15, 4, TW_CTRL_SPI_8_8, 4, TW_CTRL_TEST_ENCRYPTED },
};

static void
test_ike_pairs(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(ike_pair_rows); i++) {
		const struct ike_pair_row *r = &ike_pair_rows[i];
		struct sh *s = sh_alloc(r->offered, NULL, 0);
		struct ch *c = ch_alloc(r->cli_modes, 16, NULL, 0);
		struct tw_ctrl_session_params p;
		struct tw_ctrl_keys ks, kc, ts, tc;
		const struct tw_ctrl_cli_session *cs;
		bool ike = (r->want_mode & 128) != 0;
		int idx;

		print_message("ike pair: %s\n", r->why);
		s->env.rnd.seed = 3000 + i;
		c->env.rnd.seed = 4000 + i;
		sh_ike(s, r->layout);
		ch_ike(c, r->layout);
		c->conf.force_mode = r->force;
		sh_new(s);
		/* The greeting offers 128 on top of conf.modes. */
		assert_int_equal(s->buf[15], (uint8_t)(r->offered | 128));
		ch_new(c);
		pump(s, c, NOW);
		assert_int_equal(tw_ctrl_cli_state(c->c), TW_CTRL_CLI_READY);
		assert_int_equal(tw_ctrl_srv_state(s->s), TW_CTRL_SRV_READY);
		assert_int_equal(tw_ctrl_cli_mode(c->c), r->want_mode);
		assert_int_equal(tw_ctrl_srv_mode(s->s), r->want_mode);
		assert_int_equal(tw_ctrl_cli_server_accept(c->c), TW_CTRL_ACCEPT_OK);
		assert_int_equal(tw_ctrl_test_mode(r->want_mode), r->test);
		assert_int_equal(s->env.ike_lookups, ike ? 1 : 0);
		assert_int_equal(s->env.lookups, ike ? 0 : 1);
		if (ike)
			assert_int_equal(s->env.ike_last_spi_len,
					 r->layout == TW_CTRL_SPI_4_4 ? 4 : 8);
		assert_int_equal(tw_ctrl_srv_keys(s->s, &ks), 0);
		assert_int_equal(tw_ctrl_cli_keys(c->c, &kc), 0);
		assert_memory_equal(&ks, &kc, sizeof(ks));

		/* The encrypted control stream works: a session, started, stopped. */
		params_from(&ctrlv_params[0], &p);
		idx = tw_ctrl_cli_request(c->c, &p, NOW, &c->out);
		assert_true(idx >= 0);
		pump(s, c, NOW);
		cs = tw_ctrl_cli_session(c->c, (unsigned int)idx);
		assert_int_equal(cs->state, TW_CTRL_CLI_SESS_ACCEPTED);
		assert_int_equal(s->env.last_req.mode, r->want_mode);
		assert_int_equal(tw_ctrl_test_keys(&ks, cs->sid, &ts), 0);
		assert_int_equal(tw_ctrl_test_keys(&kc, cs->sid, &tc), 0);
		assert_memory_equal(&ts, &tc, sizeof(ts));
		assert_int_equal(tw_ctrl_cli_start(c->c, NOW, &c->out), 0);
		pump(s, c, NOW);
		assert_int_equal(s->env.ev.started, 1);
		assert_int_equal(tw_ctrl_cli_stop(c->c, 0, NOW, &c->out), 0);
		pump(s, c, NOW);
		assert_int_equal(s->env.ev.stopped, 1);
		assert_int_equal(tw_ctrl_srv_closed(s->s), TW_CTRL_OPEN);
		assert_int_equal(tw_ctrl_cli_closed(c->c), TW_CTRL_OPEN);
		sh_free(s);
		ch_free(c);
	}
}

/* What goes wrong with mode 128, client machine against server machine. */
struct ike_fail_row {
	const char *why;
	uint32_t offered;
	bool srv_ike;
	enum tw_ctrl_spi_layout srv_layout;
	enum tw_ctrl_spi_layout cli_layout;
	bool cli_ike;
	uint32_t force;
	enum key_mode ike_mode;			/* provider: sync, async, failing */
	int async_status;			/* key_result status for KEY_ASYNC */
	bool unknown_sa;			/* the provider does not know the SA */
	bool wrong_secret;			/* the provider's secret differs */
	int accept;				/* Server-Start Accept; -1: none sent */
	enum tw_ctrl_close srv_close;
	enum tw_ctrl_close cli_close;
	int refuse;				/* -1: none */
	unsigned int ike_lookups;
};

static const struct ike_fail_row ike_fail_rows[] = {
	{ "unknown SA (sync): Accept 6", 15, true, TW_CTRL_SPI_8_8, TW_CTRL_SPI_8_8, true, 0,
	  KEY_SYNC, 0, true, false, TW_CTRL_ACCEPT_NO_SA, TW_CTRL_CLOSE_AUTH,
	  TW_CTRL_CLOSE_REFUSED, TW_CTRL_REFUSE_NO_SA, 1 },
	{ "unknown SA (async): Accept 6", 15, true, TW_CTRL_SPI_4_4, TW_CTRL_SPI_4_4, true, 0,
	  KEY_ASYNC, -ENOENT, false, false, TW_CTRL_ACCEPT_NO_SA, TW_CTRL_CLOSE_AUTH,
	  TW_CTRL_CLOSE_REFUSED, TW_CTRL_REFUSE_NO_SA, 1 },
	{ "provider failure (async): Accept 2", 15, true, TW_CTRL_SPI_8_8, TW_CTRL_SPI_8_8, true,
	  0, KEY_ASYNC, -EIO, false, false, TW_CTRL_ACCEPT_INTERNAL, TW_CTRL_CLOSE_INTERNAL,
	  TW_CTRL_CLOSE_REFUSED, TW_CTRL_REFUSE_KEY_ERROR, 1 },
	{ "provider failure (sync): Accept 2", 15, true, TW_CTRL_SPI_8_8, TW_CTRL_SPI_8_8, true,
	  0, KEY_FAIL, 0, false, false, TW_CTRL_ACCEPT_INTERNAL, TW_CTRL_CLOSE_INTERNAL,
	  TW_CTRL_CLOSE_REFUSED, TW_CTRL_REFUSE_KEY_ERROR, 1 },
	{ "secrets differ: Token refused, Accept 1", 15, true, TW_CTRL_SPI_8_8, TW_CTRL_SPI_8_8,
	  true, 0, KEY_SYNC, 0, false, true, TW_CTRL_ACCEPT_FAILURE, TW_CTRL_CLOSE_AUTH,
	  TW_CTRL_CLOSE_REFUSED, TW_CTRL_REFUSE_TOKEN, 1 },
	/* The server reads the first 4+4 octets (the rest is ignored, draft §5.3): a wrong SA. */
	{ "layout mismatch: server 4+4, client 8+8", 15, true, TW_CTRL_SPI_4_4,
	  TW_CTRL_SPI_8_8, true, 0, KEY_SYNC, 0, false, false, TW_CTRL_ACCEPT_NO_SA,
	  TW_CTRL_CLOSE_AUTH, TW_CTRL_CLOSE_REFUSED, TW_CTRL_REFUSE_NO_SA, 1 },
	{ "layout mismatch: server 8+8, client 4+4", 15, true, TW_CTRL_SPI_8_8,
	  TW_CTRL_SPI_4_4, true, 0, KEY_SYNC, 0, false, false, TW_CTRL_ACCEPT_NOT_SUPPORTED,
	  TW_CTRL_CLOSE_AUTH, TW_CTRL_CLOSE_REFUSED, TW_CTRL_REFUSE_SPI, 0 },
	{ "no ike on the server, client forces 128", 15, false, TW_CTRL_SPI_8_8,
	  TW_CTRL_SPI_8_8, true, 128, KEY_SYNC, 0, false, false, -1, TW_CTRL_CLOSE_PEER,
	  TW_CTRL_CLOSE_MODE, -1, 0 },
	{ "no ike on the server: client falls back to 4", 15, false, TW_CTRL_SPI_8_8,
	  TW_CTRL_SPI_8_8, true, 0, KEY_SYNC, 0, false, false, TW_CTRL_ACCEPT_OK, TW_CTRL_OPEN,
	  TW_CTRL_OPEN, -1, 0 },
	{ "ike server, legacy client: plain 4", 15, true, TW_CTRL_SPI_8_8, TW_CTRL_SPI_8_8,
	  false, 0, KEY_SYNC, 0, false, false, TW_CTRL_ACCEPT_OK, TW_CTRL_OPEN, TW_CTRL_OPEN, -1,
	  0 },
};

static void
test_ike_failures(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(ike_fail_rows); i++) {
		const struct ike_fail_row *r = &ike_fail_rows[i];
		struct sh *s = sh_alloc(r->offered, NULL, 0);
		struct ch *c = ch_alloc(15, 0, NULL, 0);
		static const uint8_t other[32] = { 1, 2, 3 };

		print_message("ike failure: %s\n", r->why);
		s->env.rnd.seed = 5000 + i;
		c->env.rnd.seed = 6000 + i;
		if (r->srv_ike)
			sh_ike(s, r->srv_layout);
		s->env.ike_mode = r->ike_mode;
		if (r->unknown_sa)
			s->env.ike_spi_r[7] ^= 1;
		if (r->wrong_secret)
			s->env.ike_secret = other;
		if (r->cli_ike)
			ch_ike(c, r->cli_layout);
		c->conf.force_mode = r->force;
		sh_new(s);
		assert_int_equal(s->buf[15] & 128, r->srv_ike ? 128 : 0);
		ch_new(c);
		pump(s, c, NOW);
		if (r->ike_mode == KEY_ASYNC) {
			assert_int_equal(tw_ctrl_srv_state(s->s), TW_CTRL_SRV_KEY_WAIT);
			assert_int_equal(tw_ctrl_srv_key_result(s->s, r->async_status, NULL, 0, NOW,
								&s->out), 0);
			pump(s, c, NOW);
		}
		if (r->srv_close == TW_CTRL_CLOSE_PEER) {
			/* the client closed before sending a Set-Up-Response */
			assert_int_equal(tw_ctrl_srv_state(s->s), TW_CTRL_SRV_GREETED);
			tw_ctrl_srv_peer_closed(s->s);
		}
		assert_int_equal(tw_ctrl_srv_closed(s->s), r->srv_close);
		assert_int_equal(tw_ctrl_cli_closed(c->c), r->cli_close);
		assert_int_equal(tw_ctrl_cli_server_accept(c->c), r->accept);
		if (r->accept > 0) {
			/* the caller sees the Accept in the READY event, then the close */
			assert_int_equal(c->env.ev.nb[TW_CTRL_EV_READY], 1);
			assert_int_equal(c->env.ev.last_accept[TW_CTRL_EV_READY], r->accept);
			assert_int_equal(c->env.ev.reason, TW_CTRL_CLOSE_REFUSED);
		}
		if (r->refuse >= 0)
			assert_int_equal(tw_ctrl_srv_stats(s->s)->refused[r->refuse], 1);
		assert_int_equal(s->env.ike_lookups, r->ike_lookups);
		sh_free(s);
		ch_free(c);
	}
}

/* Set-Up-Responses no client machine sends, against an ike server (8+8 unless said). */
struct ike_setup_row {
	const char *why;
	bool srv_ike;
	bool key_lookup;			/* ops.key_lookup set */
	enum tw_ctrl_spi_layout layout;
	uint32_t mode;
	int keyid_patch;			/* -1: none; else this Key ID octet ^= 0x40 */
	bool zero_spi_i;
	int accept;
	enum tw_ctrl_close close;
	int refuse;
	unsigned int ike_lookups;
};

static const struct ike_setup_row ike_setup_rows[] = {
	{ "132 accepted", true, true, TW_CTRL_SPI_8_8, 132, -1, false, 0, TW_CTRL_OPEN, -1, 1 },
	{ "132|16 accepted", true, true, TW_CTRL_SPI_8_8, 132 | 16, -1, false, 0, TW_CTRL_OPEN,
	  -1, 1 },
	{ "129: 128 with open mode", true, true, TW_CTRL_SPI_8_8, 129, -1, false, 3,
	  TW_CTRL_CLOSE_MODE, TW_CTRL_REFUSE_MODE, 0 },
	{ "128 alone", true, true, TW_CTRL_SPI_8_8, 128, -1, false, 3, TW_CTRL_CLOSE_MODE,
	  TW_CTRL_REFUSE_MODE, 0 },
	{ "128 with two security modes", true, true, TW_CTRL_SPI_8_8, 128 | 6, -1, false, 3,
	  TW_CTRL_CLOSE_MODE, TW_CTRL_REFUSE_MODE, 0 },
	{ "130 without ike", false, true, TW_CTRL_SPI_8_8, 130, -1, false, 3,
	  TW_CTRL_CLOSE_MODE, TW_CTRL_REFUSE_MODE, 0 },
	/* draft-ietf-ippm-ipsec §5.3: the server MUST ignore the Key ID octets past the SPIs. */
	{ "trailing Key ID octet ignored (8+8, octet 16)", true, true, TW_CTRL_SPI_8_8, 132, 16,
	  false, 0, TW_CTRL_OPEN, -1, 1 },
	{ "trailing Key ID octet ignored (8+8, octet 79)", true, true, TW_CTRL_SPI_8_8, 130, 79,
	  false, 0, TW_CTRL_OPEN, -1, 1 },
	{ "trailing Key ID octet ignored (4+4, octet 8)", true, true, TW_CTRL_SPI_4_4, 136, 8,
	  false, 0, TW_CTRL_OPEN, -1, 1 },
	{ "zero SPIi", true, true, TW_CTRL_SPI_8_8, 132, -1, true, 3, TW_CTRL_CLOSE_AUTH,
	  TW_CTRL_REFUSE_SPI, 0 },
	{ "ike without key_lookup: plain 2 refused", true, false, TW_CTRL_SPI_8_8, 2, -1, false,
	  3, TW_CTRL_CLOSE_MODE, TW_CTRL_REFUSE_MODE, 0 },
	{ "ike without key_lookup: 130 accepted", true, false, TW_CTRL_SPI_4_4, 130, -1, false,
	  0, TW_CTRL_OPEN, -1, 1 },
	{ "ike without key_lookup: open accepted", true, false, TW_CTRL_SPI_8_8, 1, -1, false, 0,
	  TW_CTRL_OPEN, -1, 0 },
};

static void
make_ike_setup(const struct sh *h, uint32_t mode, enum tw_ctrl_spi_layout layout,
	       uint8_t out[TW_CTRL_SETUP_LEN])
{
	struct tw_ctrl_greeting g;
	struct tw_ctrl_token t;
	struct tw_ctrl_setup m;
	uint8_t key[16];
	size_t n = layout == TW_CTRL_SPI_4_4 ? 4 : 8;

	assert_int_equal(tw_ctrl_greeting_decode(h->buf, TW_CTRL_GREETING_LEN, &g), 0);
	memset(&m, 0, sizeof(m));
	m.mode = mode;
	memcpy(m.keyid, n == 4 ? ike_spi4_i : ike_spi_i, n);
	memcpy(m.keyid + n, n == 4 ? ike_spi4_r : ike_spi_r, n);
	memset(&t, 0x5a, sizeof(t));
	memcpy(t.challenge, g.challenge, 16);
	assert_int_equal(tw_ctrl_derive_key(ike_secret, sizeof(ike_secret), g.salt, g.count, key),
			 0);
	assert_int_equal(tw_ctrl_token_seal(key, &t, m.token), 0);
	seq(m.client_iv, 16, 0x44);
	assert_int_equal(tw_ctrl_setup_encode(&m, out, TW_CTRL_SETUP_LEN), TW_CTRL_SETUP_LEN);
}

static void
test_ike_setup_table(void **state)
{
	uint8_t su[TW_CTRL_SETUP_LEN];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(ike_setup_rows); i++) {
		const struct ike_setup_row *r = &ike_setup_rows[i];
		struct sh *h = sh_alloc(15 | 16, NULL, 0);

		print_message("ike setup: %s\n", r->why);
		if (r->srv_ike)
			sh_ike(h, r->layout);
		if (!r->key_lookup)
			h->conf.ops.key_lookup = NULL;
		sh_new(h);
		make_ike_setup(h, r->mode, r->layout, su);
		if (r->keyid_patch >= 0)
			su[4 + r->keyid_patch] ^= 0x40;
		if (r->zero_spi_i)
			memset(su + 4, 0, 8);
		h->out.len = 0;
		sh_feed(h, su, sizeof(su), NOW);
		assert_int_equal(h->out.len, TW_CTRL_SERVER_START_LEN);
		assert_int_equal(h->buf[15], r->accept);
		assert_int_equal(tw_ctrl_srv_closed(h->s), r->close);
		if (r->refuse >= 0)
			assert_int_equal(tw_ctrl_srv_stats(h->s)->refused[r->refuse], 1);
		if (r->accept == 0)
			assert_int_equal(tw_ctrl_srv_mode(h->s), r->mode);
		assert_int_equal(h->env.ike_lookups, r->ike_lookups);
		assert_int_equal(h->env.lookups, 0);
		sh_free(h);
	}
}

/*
 * Golden octets: the first 84 octets of a mode-132 Set-Up-Response (Mode, Key ID), written out
 * by hand from docs/control.rst "Mode 128 (RFC 7717)", not from the code under test.
 */
static const uint8_t golden_su132_8_8[4 + 80] = {
	0x00, 0x00, 0x00, 0x84,					/* Mode 132 */
	0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f, 0x70, 0x81,		/* SPIi (8) */
	0x92, 0xa3, 0xb4, 0xc5, 0xd6, 0xe7, 0xf8, 0x09,		/* SPIr (8) */
	/* 64 zero octets */
};
static const uint8_t golden_su132_4_4[4 + 80] = {
	0x00, 0x00, 0x00, 0x84,					/* Mode 132 */
	0xde, 0xad, 0xbe, 0xef,					/* SPIi (4) */
	0xca, 0xfe, 0xf0, 0x0d,					/* SPIr (4) */
	/* 72 zero octets */
};

static void
test_ike_golden_keyid(void **state)
{
	static const struct {
		enum tw_ctrl_spi_layout layout;
		const uint8_t *golden;
	} rows[] = {
		{ TW_CTRL_SPI_8_8, golden_su132_8_8 },
		{ TW_CTRL_SPI_4_4, golden_su132_4_4 },
	};
	struct tw_ctrl_greeting g = { .modes = 1 | 2 | 4 | 8 | 128, .count = 1024 };
	uint8_t b[TW_CTRL_GREETING_LEN];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		struct ch *h = ch_alloc(15, 0, NULL, 0);

		ch_ike(h, rows[i].layout);
		ch_new(h);
		tw_ctrl_greeting_encode(&g, b, sizeof(b));
		assert_int_equal(tw_ctrl_cli_input(h->c, b, sizeof(b), NOW, &h->out), 0);
		assert_int_equal(h->out.len, TW_CTRL_SETUP_LEN);
		assert_memory_equal(h->buf, rows[i].golden, 4 + 80);
		assert_int_equal(tw_ctrl_spi_len(rows[i].layout), i == 0 ? 8 : 4);
		ch_free(h);
	}
}

/* Configuration checks, names, test modes. */
static void
test_ike_api(void **state)
{
	struct tw_ctrl_addr a4 = { .family = 4 };
	struct tw_ctrl_srv_conf sc;
	struct tw_ctrl_cli_conf cc;
	struct tw_ctrl_srv *s;
	struct tw_ctrl_cli *c;
	struct env e;

	(void)state;
	memset(&e, 0, sizeof(e));
	tw_ctrl_srv_conf_defaults(&sc);
	assert_false(sc.ike.enable);
	assert_int_equal(sc.ike.layout, TW_CTRL_SPI_8_8);
	sc.ops.random = cb_random;
	sc.ops.key_lookup = cb_key;
	sc.ops.session_request = cb_session;
	sc.ike.enable = true;
	assert_null(tw_ctrl_srv_new(&sc, &a4, &a4, &e));	/* no ike_lookup */
	sc.ops.ike_lookup = cb_ike;
	sc.modes = 1 | 16;
	assert_null(tw_ctrl_srv_new(&sc, &a4, &a4, &e));	/* no 2/4/8 */
	sc.modes = 15 | 128;
	assert_null(tw_ctrl_srv_new(&sc, &a4, &a4, &e));	/* 128 goes through conf.ike */
	sc.modes = 15;
	sc.ike.layout = (enum tw_ctrl_spi_layout)7;
	errno = 0;
	assert_null(tw_ctrl_srv_new(&sc, &a4, &a4, &e));
	assert_int_equal(errno, EINVAL);
	sc.ike.layout = TW_CTRL_SPI_4_4;
	sc.ops.key_lookup = NULL;				/* IKE-derived secrets only */
	s = tw_ctrl_srv_new(&sc, &a4, &a4, &e);
	assert_non_null(s);
	tw_ctrl_srv_free(s);
	sc.ike.enable = false;
	assert_null(tw_ctrl_srv_new(&sc, &a4, &a4, &e));	/* 2/4/8 need a key store */

	tw_ctrl_cli_conf_defaults(&cc);
	assert_false(cc.ike.enable);
	cc.ops.random = cb_random;
	cc.force_mode = 128;
	assert_null(tw_ctrl_cli_new(&cc, &e));			/* 128 without SPIs */
	cc.force_mode = 0;
	cc.ike.enable = true;
	assert_null(tw_ctrl_cli_new(&cc, &e));			/* no secret */
	cc.ike.secret = ike_secret;
	cc.ike.secret_len = sizeof(ike_secret);
	assert_null(tw_ctrl_cli_new(&cc, &e));			/* zero SPIs */
	memcpy(cc.ike.spi_i, ike_spi_i, 8);
	assert_null(tw_ctrl_cli_new(&cc, &e));			/* zero SPIr */
	memcpy(cc.ike.spi_r, ike_spi_r, 8);
	c = tw_ctrl_cli_new(&cc, &e);
	assert_non_null(c);
	assert_int_equal(tw_ctrl_cli_server_accept(c), -1);
	tw_ctrl_cli_free(c);
	cc.ike.layout = TW_CTRL_SPI_4_4;
	assert_null(tw_ctrl_cli_new(&cc, &e));			/* 8-octet SPIs in 4+4 */
	memcpy(cc.ike.spi_i, ike_spi4_i, 8);
	memcpy(cc.ike.spi_r, ike_spi4_r, 8);
	assert_non_null(c = tw_ctrl_cli_new(&cc, &e));
	tw_ctrl_cli_free(c);
	cc.ike.secret_len = TW_CTRL_SECRET_MAX + 1;
	assert_null(tw_ctrl_cli_new(&cc, &e));
	cc.ike.secret_len = sizeof(ike_secret);
	{
		static const struct {
			uint32_t modes, force;
			bool ok;
		} f[] = {
			{ 15, 128, true }, { 15, 130, true }, { 15, 132, true }, { 15, 136, true },
			{ 15, 129, false }, { 15, 128 | 6, false }, { 1 | 2, 132, false },
			{ 15, 128 | 16, false }, { 1, 0, false },	/* ike needs 2/4/8 */
		};

		for (size_t i = 0; i < ARRAY_LEN(f); i++) {
			cc.modes = f[i].modes;
			cc.force_mode = f[i].force;
			c = tw_ctrl_cli_new(&cc, &e);
			assert_int_equal(c != NULL, f[i].ok);
			tw_ctrl_cli_free(c);
		}
	}

	assert_string_equal(tw_ctrl_refuse_str(TW_CTRL_REFUSE_NO_SA), "no-sa");
	assert_string_equal(tw_ctrl_refuse_str(TW_CTRL_REFUSE_SPI), "spi");
	assert_string_equal(tw_ctrl_refuse_str(TW_CTRL_REFUSE_MAX), "?");
	assert_int_equal(tw_ctrl_test_mode(128 | 2), TW_CTRL_TEST_AUTH);
	assert_int_equal(tw_ctrl_test_mode(128 | 4), TW_CTRL_TEST_ENCRYPTED);
	assert_int_equal(tw_ctrl_test_mode(128 | 8), TW_CTRL_TEST_OPEN);
	assert_int_equal(tw_ctrl_test_mode(128 | 8 | 16 | 32), TW_CTRL_TEST_OPEN);
	assert_int_equal(TW_CTRL_ACCEPT_NO_SA, 6);
}

/* ---------------------------------------------------------------------------------------------
 * RFC 8186: the PTPv2 timestamp format bit, Modes 512 (IANA TWAMP-Modes bit 9)
 * ------------------------------------------------------------------------------------------- */

/* Client machine against server machine: 512 alone and with every other bit. */
struct ptp_pair_row {
	const char *why;
	uint32_t offered;			/* conf.modes (128 added by ike) */
	bool ike;				/* RFC 7717 on both ends */
	uint32_t cli_modes;
	uint32_t features;			/* client conf.features */
	uint32_t want_mode;
};

static const struct ptp_pair_row ptp_pair_rows[] = {
	{ "offered and wanted", 1 | 512, false, 15, 512, 1 | 512 },
	{ "offered, not wanted: NTP", 1 | 512, false, 15, 0, 1 },
	{ "wanted, not offered: NTP", 15, false, 15, 512, 4 },
	{ "with 2", 1 | 2 | 512, false, 1 | 2, 512, 2 | 512 },
	{ "with 4 and 16", 15 | 16 | 512, false, 15, 16 | 512, 4 | 16 | 512 },
	{ "with 8, 32, 64", 1 | 8 | 32 | 64 | 512, false, 15, 32 | 64 | 512, 8 | 32 | 64 | 512 },
	{ "every feature", 15 | 16 | 32 | 64 | 512, false, 15, 16 | 32 | 64 | 512,
	  4 | 16 | 32 | 64 | 512 },
	{ "every feature offered, 512 wanted alone", 15 | 16 | 32 | 64 | 512, false, 15, 512,
	  4 | 512 },
	{ "with 128: 132", 15 | 512, true, 15, 512, 128 | 4 | 512 },
	{ "with 128: 136 and 16", 1 | 8 | 16 | 512, true, 15, 16 | 512, 128 | 8 | 16 | 512 },
	{ "with 128, 512 not offered", 15, true, 15, 512, 128 | 4 },
};

static void
test_ptp_pairs(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(ptp_pair_rows); i++) {
		const struct ptp_pair_row *r = &ptp_pair_rows[i];
		struct sh *s = sh_alloc(r->offered, NULL, 0);
		struct ch *c = ch_alloc(r->cli_modes, r->features, NULL, 0);
		bool ptp = (r->want_mode & 512) != 0;
		const struct tw_ctrl_cli_session *cs;
		const struct tw_ctrl_srv_session *ss;
		struct tw_ctrl_session_params p;
		struct tw_ctrl_greeting g;
		int idx;

		print_message("ptp pair: %s\n", r->why);
		s->env.rnd.seed = 5000 + i;
		c->env.rnd.seed = 6000 + i;
		if (r->ike) {
			sh_ike(s, TW_CTRL_SPI_8_8);
			ch_ike(c, TW_CTRL_SPI_8_8);
		}
		sh_new(s);
		/* RFC 8186 §2: the greeting's Modes carry 512 exactly when conf.modes does. */
		assert_int_equal(tw_ctrl_greeting_decode(s->buf, TW_CTRL_GREETING_LEN, &g), 0);
		assert_int_equal(g.modes, r->offered | (r->ike ? 128u : 0u));
		ch_new(c);
		assert_false(tw_ctrl_cli_ptp(c->c));
		assert_false(tw_ctrl_srv_ptp(s->s));
		pump(s, c, NOW);
		assert_int_equal(tw_ctrl_cli_state(c->c), TW_CTRL_CLI_READY);
		assert_int_equal(tw_ctrl_srv_state(s->s), TW_CTRL_SRV_READY);
		assert_int_equal(tw_ctrl_cli_mode(c->c), r->want_mode);
		assert_int_equal(tw_ctrl_srv_mode(s->s), r->want_mode);
		assert_int_equal(tw_ctrl_cli_ptp(c->c), ptp);
		assert_int_equal(tw_ctrl_srv_ptp(s->s), ptp);
		/* 512 says nothing about security: the test mode is that of the other bits. */
		assert_int_equal(tw_ctrl_test_mode(r->want_mode),
				 tw_ctrl_test_mode(r->want_mode & ~512u));

		/* Each session's request carries the connection's Mode, 512 included, to the
		 * callback and in the session the server keeps (the data plane's source). */
		params_from(&ctrlv_params[0], &p);
		idx = tw_ctrl_cli_request(c->c, &p, NOW, &c->out);
		assert_true(idx >= 0);
		pump(s, c, NOW);
		cs = tw_ctrl_cli_session(c->c, (unsigned int)idx);
		assert_int_equal(cs->state, TW_CTRL_CLI_SESS_ACCEPTED);
		assert_int_equal(s->env.last_req.mode, r->want_mode);
		ss = tw_ctrl_srv_session(s->s, cs->sid);
		assert_non_null(ss);
		assert_int_equal(ss->req.mode, r->want_mode);
		assert_int_equal(tw_ctrl_cli_start(c->c, NOW, &c->out), 0);
		pump(s, c, NOW);
		assert_int_equal(s->env.ev.started, 1);
		assert_int_equal(tw_ctrl_cli_stop(c->c, 0, NOW, &c->out), 0);
		pump(s, c, NOW);
		assert_int_equal(s->env.ev.stopped, 1);
		assert_int_equal(tw_ctrl_srv_closed(s->s), TW_CTRL_OPEN);
		assert_int_equal(tw_ctrl_cli_closed(c->c), TW_CTRL_OPEN);
		/* The bit stays for the life of the connection. */
		assert_int_equal(tw_ctrl_srv_ptp(s->s), ptp);
		sh_free(s);
		ch_free(c);
	}
}

/* Hand-written Server Greetings to the client machine. */
struct ptp_greet_row {
	const char *why;
	uint32_t offered;
	uint32_t cli_modes;
	uint32_t features;
	bool secret;
	enum tw_ctrl_close close;		/* TW_CTRL_OPEN: answered */
	uint32_t mode;				/* with this Mode */
};

static const struct ptp_greet_row ptp_greet_rows[] = {
	{ "offered, wanted", 1 | 512, 1, 512, false, TW_CTRL_OPEN, 1 | 512 },
	{ "not offered, wanted", 1, 1, 512, false, TW_CTRL_OPEN, 1 },
	{ "offered, not wanted", 1 | 512, 1, 0, false, TW_CTRL_OPEN, 1 },
	{ "with 4 and 16", 4 | 16 | 512, 15, 16 | 512, true, TW_CTRL_OPEN, 4 | 16 | 512 },
	{ "only what is offered of 16/32", 1 | 16 | 512, 15, 16 | 32 | 512, true, TW_CTRL_OPEN,
	  1 | 16 | 512 },
	{ "512 is no security mode", 512, 15, 512, true, TW_CTRL_CLOSE_MODE, 0 },
	{ "512 and 256 offered: 256 never asked", 1 | 256 | 512, 15, 512, true, TW_CTRL_OPEN,
	  1 | 512 },
};

static void
test_ptp_client_greeting(void **state)
{
	uint8_t g[TW_CTRL_GREETING_LEN];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(ptp_greet_rows); i++) {
		const struct ptp_greet_row *r = &ptp_greet_rows[i];
		struct tw_ctrl_greeting m = { .modes = r->offered, .count = 1024 };
		struct ch *h = ch_alloc(r->cli_modes, r->features, NULL, 0);
		struct tw_ctrl_setup su;

		print_message("ptp greeting: %s\n", r->why);
		if (!r->secret)
			h->conf.secret_len = 0;
		ch_new(h);
		tw_ctrl_greeting_encode(&m, g, sizeof(g));
		assert_int_equal(tw_ctrl_cli_input(h->c, g, sizeof(g), NOW, &h->out), 0);
		assert_int_equal(tw_ctrl_cli_closed(h->c), r->close);
		if (r->close == TW_CTRL_OPEN) {
			assert_int_equal(h->out.len, TW_CTRL_SETUP_LEN);
			tw_ctrl_setup_decode(h->buf, h->out.len, &su);
			assert_int_equal(su.mode, r->mode);
			assert_int_equal(tw_ctrl_cli_mode(h->c), r->mode);
		} else {
			assert_int_equal(h->out.len, 0);
		}
		assert_int_equal(tw_ctrl_cli_ptp(h->c), (r->mode & 512) != 0);
		ch_free(h);
	}
}

/* Octets on the wire, written by hand: bit 9 of the 32-bit big-endian Modes and Mode. */
static void
test_ptp_golden(void **state)
{
	static const uint8_t modes_27f[4] = { 0x00, 0x00, 0x02, 0x7f };
	static const uint8_t mode_211[4] = { 0x00, 0x00, 0x02, 0x11 };
	struct tw_ctrl_srv_conf def;
	struct sh *s;
	struct ch *c;

	(void)state;
	assert_int_equal(TW_CTRL_MODE_PTP, 1u << 9);	/* IANA TWAMP-Modes bit position 9 */
	/* Not offered unless the application says its Session-Reflector can stamp PTPv2. */
	tw_ctrl_srv_conf_defaults(&def);
	assert_int_equal(def.modes, 0x7f);

	/* Server Greeting octets 12-15: Modes 1|2|4|8|16|32|64|512. */
	s = sh_make(0x27f, NULL, 0);
	assert_memory_equal(s->buf + 12, modes_27f, 4);
	/* Set-Up-Response octets 0-3 of a client wanting 16 and 512, open mode: 1|16|512. */
	c = ch_alloc(1, 16 | 512, NULL, 0);
	c->conf.secret_len = 0;
	ch_new(c);
	assert_int_equal(tw_ctrl_cli_input(c->c, s->buf, TW_CTRL_GREETING_LEN, NOW, &c->out), 0);
	assert_int_equal(c->out.len, TW_CTRL_SETUP_LEN);
	assert_memory_equal(c->buf, mode_211, 4);
	/* ... which the server takes. */
	s->out.len = 0;
	sh_feed(s, c->buf, c->out.len, NOW);
	assert_int_equal(s->out.len, TW_CTRL_SERVER_START_LEN);
	assert_int_equal(s->buf[15], TW_CTRL_ACCEPT_OK);
	assert_int_equal(tw_ctrl_srv_mode(s->s), 0x211);
	assert_true(tw_ctrl_srv_ptp(s->s));
	sh_free(s);
	ch_free(c);
}

static void
test_ptp_conf(void **state)
{
	struct tw_ctrl_addr a4 = { .family = 4, .addr = { 192, 0, 2, 1 } };
	struct tw_ctrl_cli_conf cc;
	struct tw_ctrl_srv *srv;
	struct tw_ctrl_cli *cli;
	struct sh *h;
	struct env e;

	(void)state;
	memset(&e, 0, sizeof(e));
	h = sh_alloc(1 | 512, NULL, 0);
	srv = tw_ctrl_srv_new(&h->conf, &a4, &a4, &e);
	assert_non_null(srv);
	tw_ctrl_srv_free(srv);
	/* 512 is a feature: it needs a security mode next to it. */
	h->conf.modes = 512;
	errno = 0;
	assert_null(tw_ctrl_srv_new(&h->conf, &a4, &a4, &e));
	assert_int_equal(errno, EINVAL);
	/* Bits lib/ctrl does not implement stay out: 256 (RFC 7750), 1024 (unassigned). */
	h->conf.modes = 1 | 256 | 512;
	assert_null(tw_ctrl_srv_new(&h->conf, &a4, &a4, &e));
	h->conf.modes = 1 | 1024;
	assert_null(tw_ctrl_srv_new(&h->conf, &a4, &a4, &e));
	/* With RFC 7717 on. */
	h->conf.modes = 15 | 512;
	sh_ike(h, TW_CTRL_SPI_8_8);
	srv = tw_ctrl_srv_new(&h->conf, &a4, &a4, &e);
	assert_non_null(srv);
	tw_ctrl_srv_free(srv);
	free(h);

	tw_ctrl_cli_conf_defaults(&cc);
	cc.ops.random = cb_random;
	assert_int_equal(cc.features, 0);
	cc.features = 512;
	cli = tw_ctrl_cli_new(&cc, &e);
	assert_non_null(cli);
	assert_false(tw_ctrl_cli_ptp(cli));		/* nothing negotiated yet */
	tw_ctrl_cli_free(cli);
	cc.features = 16 | 32 | 64 | 512;
	cli = tw_ctrl_cli_new(&cc, &e);
	assert_non_null(cli);
	tw_ctrl_cli_free(cli);
	cc.features = 256 | 512;
	assert_null(tw_ctrl_cli_new(&cc, &e));
	cc.features = 1024;
	assert_null(tw_ctrl_cli_new(&cc, &e));
	cc.features = 1 | 512;				/* a security bit is no feature */
	assert_null(tw_ctrl_cli_new(&cc, &e));
}

/*
 * Test ports shared by sessions (tw_ctrl_tports): the asked port when free for this sender, else
 * the next free one round robin; two senders share a port; one sender address and port gets
 * every test port once and then nothing; IPv4 and IPv6 apart; put() frees exactly its tuple;
 * the set never holds more than max; 100,000 sessions on 100 ports with 1,000 sender ports,
 * each 5-tuple once, then all removed with every probe chain intact.
 */
static void
test_tports(void **state)
{
	const struct tw_ctrl_port_range r[] = { { 20100, 20102 }, { 20200, 20200 } };
	const struct tw_ctrl_port_range big = { 20100, 20199 };
	struct tw_ctrl_tuple a = { .family = 4, .sender = { 198, 18, 0, 2 },
				   .receiver = { 198, 18, 0, 1 }, .sender_port = 5000 };
	struct tw_ctrl_tuple b = a, v6 = { .family = 6, .sender = { 0x20, 0x01, [15] = 2 },
					   .receiver = { 0x20, 0x01, [15] = 1 },
					   .sender_port = 5000 };
	static const struct {
		uint16_t wanted;
		uint16_t got;		/* for sender a, in this order */
	} seq[] = {
		{ 20101, 20101 },	/* asked, in range, free: honoured */
		{ 20101, 20100 },	/* asked but taken by this sender: the cursor's one */
		{ 9999, 20102 },	/* not a test port: ours, round robin (20101 skipped) */
		{ 0, 20200 },		/* on into the second range */
		{ 0, 0 },		/* all four ports carry a session of a:5000 */
		{ 20100, 0 },
	};
	struct tw_ctrl_tports *t;
	uint32_t n = 0;

	(void)state;
	assert_null(tw_ctrl_tports_new(0, r, 2, 1));
	assert_null(tw_ctrl_tports_new(8, r, 0, 1));
	assert_null(tw_ctrl_tports_new(8, &(struct tw_ctrl_port_range){ 10, 9 }, 1, 1));
	assert_null(tw_ctrl_tports_new(8, &(struct tw_ctrl_port_range){ 0, 9 }, 1, 1));
	t = tw_ctrl_tports_new(16, r, 2, 0x5eed);
	assert_non_null(t);
	assert_true(tw_ctrl_tports_in_ranges(t, 20200));
	assert_false(tw_ctrl_tports_in_ranges(t, 20103));
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++)
		assert_int_equal(tw_ctrl_tports_take(t, &a, seq[i].wanted), seq[i].got);
	assert_int_equal(tw_ctrl_tports_count(t), 4);
	/* Another sender port shares the asked port; so does the same port over IPv6. */
	b.sender_port = 5001;
	assert_int_equal(tw_ctrl_tports_take(t, &b, 20101), 20101);
	assert_int_equal(tw_ctrl_tports_take(t, &v6, 20101), 20101);
	/* The receiver_port of the argument is ignored by take(). */
	a.receiver_port = 20101;
	assert_true(tw_ctrl_tports_has(t, &a));
	assert_int_equal(tw_ctrl_tports_put(t, &a), 0);
	assert_false(tw_ctrl_tports_has(t, &a));
	assert_int_equal(tw_ctrl_tports_put(t, &a), -ENOENT);
	b.receiver_port = 20101;
	assert_true(tw_ctrl_tports_has(t, &b));		/* only a's tuple went */
	v6.receiver_port = 20101;
	assert_true(tw_ctrl_tports_has(t, &v6));
	/* The freed port is a's again (asked for, or found). */
	assert_int_equal(tw_ctrl_tports_take(t, &a, 0), 20101);
	/* At max, nothing more, whatever the sender. */
	for (uint16_t p = 1; tw_ctrl_tports_count(t) < 16; p++)
		assert_int_not_equal(tw_ctrl_tports_take(t, &(struct tw_ctrl_tuple){
			.family = 4, .sender = { 10, 0, 0, 1 }, .sender_port = p }, 0), 0);
	b.sender_port = 7;
	assert_int_equal(tw_ctrl_tports_take(t, &b, 0), 0);
	tw_ctrl_tports_free(t);

	/* 100,000 sessions: 1,000 sender ports x 100 test ports, every tuple exactly once. */
	t = tw_ctrl_tports_new(100000, &big, 1, 42);
	assert_non_null(t);
	for (uint32_t i = 0; i < 100000; i++) {
		a.sender_port = (uint16_t)(10000 + i % 1000);
		assert_int_not_equal(tw_ctrl_tports_take(t, &a, 0), 0);
	}
	assert_int_equal(tw_ctrl_tports_count(t), 100000);
	a.sender_port = 10000;
	assert_int_equal(tw_ctrl_tports_take(t, &a, 0), 0);	/* full */
	for (uint32_t sp = 0; sp < 1000; sp++) {
		for (uint16_t p = 20100; p <= 20199; p++) {
			a.sender_port = (uint16_t)(10000 + sp);
			a.receiver_port = p;
			assert_true(tw_ctrl_tports_has(t, &a));
			/* Every other one out now, the rest below: backward shifts keep the
			 * remaining chains reachable. */
			if ((sp + p) % 2 == 0) {
				assert_int_equal(tw_ctrl_tports_put(t, &a), 0);
				n++;
			}
		}
	}
	assert_int_equal(tw_ctrl_tports_count(t), 100000 - n);
	for (uint32_t sp = 0; sp < 1000; sp++) {
		for (uint16_t p = 20100; p <= 20199; p++) {
			a.sender_port = (uint16_t)(10000 + sp);
			a.receiver_port = p;
			assert_int_equal(tw_ctrl_tports_has(t, &a), (sp + p) % 2 != 0);
			if ((sp + p) % 2 != 0)
				assert_int_equal(tw_ctrl_tports_put(t, &a), 0);
		}
	}
	assert_int_equal(tw_ctrl_tports_count(t), 0);
	assert_true(tw_ctrl_tports_mem_size(100000) < 12u * 1024 * 1024);
	tw_ctrl_tports_free(t);
}

/*
 * Per-source rate limit of new control connections: a burst, then one per 1/rate; sources
 * apart; an exact-rate client never refused; thousands of sources cost no memory and each
 * newcomer starts with a full bucket; rate 0 is no limit.
 */
static void
test_ratelim(void **state)
{
	static struct tw_ratelim r;	/* ~14 KiB */
	const uint64_t ms = 1000000;
	uint8_t a[16] = { 198, 18, 0, 2 }, b[16] = { 198, 18, 0, 3 }, v6[16] = { 0x20, 0x01 };
	uint64_t t = 5 * ms;
	int ok;

	(void)state;
	tw_ratelim_init(&r, 10, 3, 0x1234);
	/* The burst, then refused until a token has grown (100 ms at 10/s). */
	for (int i = 0; i < 3; i++)
		assert_true(tw_ratelim_allow(&r, 4, a, t));
	assert_false(tw_ratelim_allow(&r, 4, a, t));
	assert_false(tw_ratelim_allow(&r, 4, a, t + 99 * ms));	/* 0.99 token */
	assert_true(tw_ratelim_allow(&r, 4, a, t + 100 * ms));	/* refusals cost nothing */
	assert_false(tw_ratelim_allow(&r, 4, a, t + 100 * ms));
	assert_false(tw_ratelim_allow(&r, 4, a, t + 150 * ms));
	assert_true(tw_ratelim_allow(&r, 4, a, t + 200 * ms));
	/* Another source, and the same octets as IPv6, have their own buckets. */
	assert_true(tw_ratelim_allow(&r, 4, b, t + 200 * ms));
	assert_true(tw_ratelim_allow(&r, 6, a, t + 200 * ms));
	assert_true(tw_ratelim_allow(&r, 6, v6, t + 200 * ms));
	/* A client at exactly the rate is never refused, over a long time (no lost fractions). */
	t += 10000 * ms;
	for (int i = 0; i < 1000; i++)
		assert_true(tw_ratelim_allow(&r, 4, b, t + (uint64_t)i * 100 * ms));
	/* Twice the rate: about half refused once the burst is gone. */
	t += 1000000 * ms;
	ok = 0;
	for (int i = 0; i < 1000; i++)
		ok += tw_ratelim_allow(&r, 4, a, t + (uint64_t)i * 50 * ms);
	assert_in_range(ok, 500, 504);
	/* Many sources: every newcomer starts full; the table never grows. */
	for (uint32_t i = 0; i < 5000; i++) {
		uint8_t x[16] = { 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };

		assert_true(tw_ratelim_allow(&r, 4, x, t + 60000 * ms + i));
	}
	/* No limit. */
	tw_ratelim_init(&r, 0, 0, 0);
	for (int i = 0; i < 10000; i++)
		assert_true(tw_ratelim_allow(&r, 4, a, t));
}

/* VmFlags of the /proc/self/smaps mapping holding p contain "dd" (MADV_DONTDUMP). */
static bool
not_dumped(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	uintptr_t a = (uintptr_t)p, lo, hi;
	bool in = false, dd = false, found = false;
	char line[512];

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = a >= lo && a < hi;
			continue;
		}
		if (in && strncmp(line, "VmFlags:", 8) == 0) {
			found = true;
			dd = strstr(line, " dd") != NULL;
		}
	}
	fclose(f);
	return found && dd;
}

/* Key material memory: out of core dumps, zeroed, wiped and unmapped on free. */
static void
test_secmem(void **state)
{
	static uint8_t conf_like[3 * 4096];
	uint8_t *k = tw_secmem_alloc(5000);

	(void)state;
	assert_non_null(k);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(k[i], 0);
	memset(k, 0xa5, 5000);
	assert_true(not_dumped(k));
	assert_true(not_dumped(k + 4999));
	tw_secmem_free(k, 5000);
	assert_false(not_dumped(k));		/* gone */
	/* Memory allocated otherwise (a static configuration): its pages are marked. */
	assert_false(not_dumped(conf_like + 4096));
	assert_int_equal(tw_secmem_mark(conf_like + 4096, 10), 0);
	assert_true(not_dumped(conf_like + 4096));
	assert_int_equal(tw_secmem_mark(NULL, 10), -EINVAL);
	tw_secmem_free(NULL, 10);		/* a no-op */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pbkdf2_rfc6070),
		cmocka_unit_test(test_ratelim),
		cmocka_unit_test(test_secmem),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_stream_vectors),
		cmocka_unit_test(test_test_keys),
		cmocka_unit_test(test_golden_messages),
		cmocka_unit_test(test_accept_codes),
		cmocka_unit_test(test_typep),
		cmocka_unit_test(test_conv_server),
		cmocka_unit_test(test_conv_client),
		cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_setup_table),
		cmocka_unit_test(test_request_table),
		cmocka_unit_test(test_request_limits),
		cmocka_unit_test(test_bad_commands),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_bad_hmac),
		cmocka_unit_test(test_async_key),
		cmocka_unit_test(test_deadlines),
		cmocka_unit_test(test_api),
		cmocka_unit_test(test_client_greeting),
		cmocka_unit_test(test_client_refusals),
		cmocka_unit_test(test_sid_failures),
		cmocka_unit_test(test_client_replies),
		cmocka_unit_test(test_ike_pairs),
		cmocka_unit_test(test_ike_failures),
		cmocka_unit_test(test_ike_setup_table),
		cmocka_unit_test(test_ike_golden_keyid),
		cmocka_unit_test(test_ike_api),
		cmocka_unit_test(test_ptp_pairs),
		cmocka_unit_test(test_ptp_client_greeting),
		cmocka_unit_test(test_ptp_golden),
		cmocka_unit_test(test_ptp_conf),
		cmocka_unit_test(test_tports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
