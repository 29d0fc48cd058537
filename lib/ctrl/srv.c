/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TWAMP-Control server (Server + Session-Reflector control side, RFC 5357 §3).
 *
 * Input is copied into the connection's receive buffer and handled one complete message at a
 * time, in order, so the result never depends on how the peer's octets were split. A message is
 * acted upon only once complete and, in modes 2/4/8, once its HMAC verified: a truncated message
 * changes nothing. Only the first block of a command is looked at early, to learn its length.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl_priv.h"

enum {
	NSEC_PER_SEC = 1000000000,
	SID_TRIES = 4,
};

struct slot {
	bool used;
	struct tw_ctrl_srv_session s;
};

struct tw_ctrl_srv {
	struct conn c;
	struct tw_ctrl_srv_conf conf;
	struct tw_ctrl_addr peer;
	struct tw_ctrl_addr local;
	enum tw_ctrl_srv_state state;
	uint8_t challenge[TW_CTRL_CHALLENGE_LEN];
	uint8_t salt[TW_CTRL_SALT_LEN];
	uint8_t token[TW_CTRL_TOKEN_LEN];	/* kept while the key lookup runs */
	uint8_t client_iv[TW_CTRL_IV_LEN];
	uint64_t t_step;			/* start of the current handshake step */
	uint64_t t_msg;				/* last complete message (or Server-Start) */
	uint64_t t_touch;			/* last test activity reported by the caller */
	unsigned int nb_sessions;
	unsigned int nb_started;
	struct slot *slots;			/* conf.max_sessions */
	uint8_t (*sids)[TW_CTRL_SID_LEN];	/* conf.max_sessions, event scratch */
};

void
tw_ctrl_srv_conf_defaults(struct tw_ctrl_srv_conf *c)
{
	memset(c, 0, sizeof(*c));
	/* 512 (RFC 8186) is left out: only the application knows whether its Session-Reflector
	 * can stamp PTPv2, and offering it is a promise to (RFC 8186 §2). */
	c->modes = TW_CTRL_MODE_SUPPORTED & ~(uint32_t)TW_CTRL_MODE_PTP;
	c->count = TW_CTRL_COUNT_MIN;
	c->max_sessions = 16;
	c->max_padding = 9000;
	c->step_timeout_ns = 30ULL * NSEC_PER_SEC;
	/* RFC 5357 §3.1 SERVWAIT and §4.2 REFWAIT: "default value 900 seconds". */
	c->servwait_ns = 900ULL * NSEC_PER_SEC;
	c->refwait_ns = 900ULL * NSEC_PER_SEC;
}

static bool
addr_ok(const struct tw_ctrl_addr *a)
{
	return a != NULL && (a->family == 4 || a->family == 6);
}

static bool
addr_eq(const struct tw_ctrl_addr *a, const struct tw_ctrl_addr *b)
{
	return a->family == b->family &&
	       memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16) == 0;
}

static bool
all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* The greeting's Modes: conf.modes, plus 128 when RFC 7717 is on. */
static uint32_t
offered_modes(const struct tw_ctrl_srv *s)
{
	return s->conf.modes | (s->conf.ike.enable ? (uint32_t)TW_CTRL_MODE_IKEV2 : 0);
}

struct tw_ctrl_srv *
tw_ctrl_srv_new(const struct tw_ctrl_srv_conf *conf, const struct tw_ctrl_addr *peer,
		const struct tw_ctrl_addr *local, void *arg)
{
	struct tw_ctrl_srv *s;
	size_t cap;

	if (conf == NULL || !addr_ok(peer) || !addr_ok(local) ||
	    (conf->modes & ~(uint32_t)TW_CTRL_MODE_SUPPORTED) != 0 ||
	    (conf->modes & TW_CTRL_MODE_SECURITY) == 0 ||
	    /* RFC 4656 §3.1: Count "MUST be a power of 2" and "at least 1024". */
	    conf->count < TW_CTRL_COUNT_MIN || (conf->count & (conf->count - 1)) != 0 ||
	    conf->max_sessions == 0 || conf->max_sessions > TW_CTRL_MAX_SESSIONS ||
	    conf->ops.random == NULL || conf->ops.session_request == NULL ||
	    ((conf->modes & TW_CTRL_MODE_CIPHER_CONTROL) && conf->ops.key_lookup == NULL &&
	     !conf->ike.enable) ||
	    (unsigned int)conf->ike.layout > TW_CTRL_SPI_4_4 ||
	    /* RFC 7717 mode 128 goes with 2, 4 or 8 only, and needs the IKE key provider. */
	    (conf->ike.enable && ((conf->modes & TW_CTRL_MODE_CIPHER_CONTROL) == 0 ||
				  conf->ops.ike_lookup == NULL))) {
		errno = EINVAL;
		return NULL;
	}
	/* The connection's keys live in here: pages of their own, never in a core dump. */
	s = tw_secmem_alloc(sizeof(*s));
	if (s == NULL)
		goto nomem;
	s->slots = calloc(conf->max_sessions, sizeof(*s->slots));
	s->sids = calloc(conf->max_sessions, sizeof(*s->sids));
	/* rx holds one message (the Set-Up-Response is the largest fixed one); tx (same size)
	 * builds one reply, at most as long as its request. */
	cap = tw_ctrl_nmsg_len(conf->max_sessions);
	if (cap < TW_CTRL_SETUP_LEN)
		cap = TW_CTRL_SETUP_LEN;
	if (s->slots == NULL || s->sids == NULL || conn_init(&s->c, cap) != 0) {
		free(s->slots);
		free(s->sids);
		tw_secmem_free(s, sizeof(*s));
		goto nomem;
	}
	s->conf = *conf;
	s->peer = *peer;
	s->local = *local;
	s->state = TW_CTRL_SRV_INIT;
	s->c.arg = arg;
	s->c.event = conf->ops.event;
	return s;
nomem:
	errno = ENOMEM;
	return NULL;
}

void
tw_ctrl_srv_free(struct tw_ctrl_srv *s)
{
	if (s == NULL)
		return;
	conn_fini(&s->c);
	free(s->slots);
	free(s->sids);
	/* Challenge, Token and Client-IV are secrets of a sort too: all wiped here. */
	tw_secmem_free(s, sizeof(*s));
}

size_t
tw_ctrl_srv_out_reserve(const struct tw_ctrl_srv *s)
{
	return s->c.rx_cap;
}

/* Stop what is left (reported first, so the data plane follows), then close. */
static void
srv_fail(struct tw_ctrl_srv *s, enum tw_ctrl_close why)
{
	uint32_t n = 0;

	if (s->state == TW_CTRL_SRV_CLOSED)
		return;
	for (uint32_t i = 0; i < s->conf.max_sessions; i++) {
		if (!s->slots[i].used)
			continue;
		memcpy(s->sids[n++], s->slots[i].s.req.sid, TW_CTRL_SID_LEN);
		s->slots[i].used = false;
	}
	s->nb_sessions = s->nb_started = 0;
	s->state = TW_CTRL_SRV_CLOSED;
	if (n > 0) {
		s->c.st.sessions_stopped += n;
		conn_emit_sids(&s->c, TW_CTRL_EV_STOP, TW_CTRL_ACCEPT_FAILURE,
			       (const uint8_t(*)[TW_CTRL_SID_LEN])s->sids, n);
	}
	conn_close(&s->c, why);
}

int
tw_ctrl_srv_start(struct tw_ctrl_srv *s, uint64_t now, struct tw_ctrl_out *out)
{
	struct tw_ctrl_greeting g;
	int rc;

	if (s == NULL || s->state != TW_CTRL_SRV_INIT)
		return -EINVAL;
	if (!out_room(out, TW_CTRL_GREETING_LEN))
		return -ENOBUFS;
	memset(&g, 0, sizeof(g));
	/* RFC 4656 §3.1: Challenge and Salt are random, fresh for each connection. */
	if (s->conf.ops.random(s->c.arg, s->challenge, sizeof(s->challenge)) != 0 ||
	    s->conf.ops.random(s->c.arg, s->salt, sizeof(s->salt)) != 0) {
		srv_fail(s, TW_CTRL_CLOSE_INTERNAL);
		return -EIO;
	}
	g.modes = offered_modes(s);
	memcpy(g.challenge, s->challenge, sizeof(g.challenge));
	memcpy(g.salt, s->salt, sizeof(g.salt));
	g.count = s->conf.count;
	rc = tw_ctrl_greeting_encode(&g, out->buf + out->len, out->cap - out->len);
	if (rc < 0)
		return rc;
	out->len += (size_t)rc;
	s->c.st.tx_octets += (uint64_t)rc;
	s->state = TW_CTRL_SRV_GREETED;
	s->t_step = now;
	return 0;
}

/*
 * RFC 4656 §3.1 Server-Start. Blocks 1-2 (MBZ+Accept, Server-IV) are clear; block 3 (Start-Time,
 * MBZ) is the first block of the server's encrypted stream, and its plaintext is covered by the
 * server's first HMAC (Server-Start has no HMAC field of its own). A refusal is sent entirely in
 * clear with Start-Time zero: no key was agreed.
 */
static int
send_server_start(struct tw_ctrl_srv *s, uint8_t accept, const uint8_t iv[16],
		  struct tw_ctrl_out *out)
{
	struct tw_ctrl_server_start m;
	uint8_t *b = s->c.tx;

	memset(&m, 0, sizeof(m));
	m.accept = accept;
	if (accept == TW_CTRL_ACCEPT_OK) {
		memcpy(m.server_iv, iv, sizeof(m.server_iv));
		m.start_time = s->conf.start_time;
	}
	if (!out_room(out, TW_CTRL_SERVER_START_LEN))
		return -ENOBUFS;
	tw_ctrl_server_start_encode(&m, b, TW_CTRL_SERVER_START_LEN);
	if (accept == TW_CTRL_ACCEPT_OK && s->c.tx_on) {
		if (tw_ctrl_stream_cover(&s->c.txs, b + 32, 16) != 0 ||
		    tw_ctrl_stream_crypt(&s->c.txs, b + 32, 16) != 0)
			return -EIO;
	}
	memcpy(out->buf + out->len, b, TW_CTRL_SERVER_START_LEN);
	out->len += TW_CTRL_SERVER_START_LEN;
	s->c.st.tx_octets += TW_CTRL_SERVER_START_LEN;
	tw_ctrl_wipe(b, TW_CTRL_SERVER_START_LEN);
	return 0;
}

static void
refuse_setup(struct tw_ctrl_srv *s, uint8_t accept, enum tw_ctrl_refuse r,
	     enum tw_ctrl_close why, struct tw_ctrl_out *out)
{
	static const uint8_t zero_iv[16];

	s->c.st.refused[r]++;
	/* RFC 4656 §3.1: a non-zero Accept in Server-Start, then the server closes. */
	if (out != NULL)
		(void)send_server_start(s, accept, zero_iv, out);
	srv_fail(s, why);
}

static void
accept_setup(struct tw_ctrl_srv *s, uint64_t now, struct tw_ctrl_out *out)
{
	static const uint8_t zero_iv[16];
	struct tw_ctrl_event ev = {
		.type = TW_CTRL_EV_READY,
		.accept = TW_CTRL_ACCEPT_OK,
		.session = -1,
	};
	uint8_t server_iv[TW_CTRL_IV_LEN];

	memset(server_iv, 0, sizeof(server_iv));
	if (s->c.cipher) {
		if (s->conf.ops.random(s->c.arg, server_iv, sizeof(server_iv)) != 0 ||
		    conn_start_rx(&s->c, s->client_iv) != 0 ||
		    conn_start_tx(&s->c, server_iv) != 0) {
			/* The refusal must go out in clear: drop the half-made stream. */
			tw_ctrl_stream_fini(&s->c.txs);
			s->c.tx_on = false;
			refuse_setup(s, TW_CTRL_ACCEPT_INTERNAL, TW_CTRL_REFUSE_KEY_ERROR,
				     TW_CTRL_CLOSE_INTERNAL, out);
			return;
		}
	}
	if (send_server_start(s, TW_CTRL_ACCEPT_OK, s->c.cipher ? server_iv : zero_iv, out)) {
		srv_fail(s, TW_CTRL_CLOSE_INTERNAL);
		return;
	}
	tw_ctrl_wipe(s->token, sizeof(s->token));
	s->state = TW_CTRL_SRV_READY;
	s->t_msg = now;
	conn_emit(&s->c, &ev);
}

/* The key lookup answered (now or later): check the Token, then accept or refuse. */
static void
finish_setup(struct tw_ctrl_srv *s, int status, const uint8_t *secret, size_t secret_len,
	     uint64_t now, struct tw_ctrl_out *out)
{
	static const uint8_t no_secret[1];
	struct tw_ctrl_token tok;
	uint8_t key[TW_CTRL_AES_KEY_LEN];
	bool known = status == 0;
	bool ok;

	if ((status != 0 && status != -ENOENT) || (known && secret_len > TW_CTRL_SECRET_MAX) ||
	    (known && secret_len == 0 && (s->c.mode & TW_CTRL_MODE_IKEV2))) {
		refuse_setup(s, TW_CTRL_ACCEPT_INTERNAL, TW_CTRL_REFUSE_KEY_ERROR,
			     TW_CTRL_CLOSE_INTERNAL, out);
		return;
	}
	/* RFC 7717 §5.3: no IKEv2 SA for the SPIs -> Accept 6. The Accept value itself tells
	 * the client, so there is no point in hiding it behind a PBKDF2 run. */
	if (!known && (s->c.mode & TW_CTRL_MODE_IKEV2)) {
		refuse_setup(s, TW_CTRL_ACCEPT_NO_SA, TW_CTRL_REFUSE_NO_SA, TW_CTRL_CLOSE_AUTH,
			     out);
		return;
	}
	/* An unknown KeyID costs the same PBKDF2 and decryption as a known one, so the answer's
	 * timing does not tell which KeyIDs exist (owamp sapi.c does the same). */
	if (tw_ctrl_derive_key(known ? secret : no_secret, known ? secret_len : 0, s->salt,
			       s->conf.count, key) != 0 ||
	    tw_ctrl_token_open(key, s->token, &tok) != 0) {
		tw_ctrl_wipe(key, sizeof(key));
		refuse_setup(s, TW_CTRL_ACCEPT_INTERNAL, TW_CTRL_REFUSE_KEY_ERROR,
			     TW_CTRL_CLOSE_INTERNAL, out);
		return;
	}
	tw_ctrl_wipe(key, sizeof(key));
	/* RFC 4656 §3.1: the server decrypts the Token and checks the Challenge. */
	ok = tw_ctrl_mem_equal(tok.challenge, s->challenge, sizeof(s->challenge));
	if (!known || !ok) {
		tw_ctrl_wipe(&tok, sizeof(tok));
		refuse_setup(s, TW_CTRL_ACCEPT_FAILURE,
			     known ? TW_CTRL_REFUSE_TOKEN : TW_CTRL_REFUSE_KEYID,
			     TW_CTRL_CLOSE_AUTH, out);
		return;
	}
	s->c.keys = tok.keys;
	s->c.have_keys = true;
	tw_ctrl_wipe(&tok, sizeof(tok));
	accept_setup(s, now, out);
}

/* RFC 4656 §3.1 Set-Up-Response (164 octets, clear). */
static void
handle_setup(struct tw_ctrl_srv *s, uint64_t now, struct tw_ctrl_out *out)
{
	struct tw_ctrl_setup m;
	uint8_t secret[TW_CTRL_SECRET_MAX];
	size_t secret_len = sizeof(secret);
	size_t spi_len;
	uint32_t sec;
	bool ike;
	int rc;

	tw_ctrl_setup_decode(s->c.rx, s->c.rx_len, &m);
	conn_consume(&s->c, TW_CTRL_SETUP_LEN, now);
	s->t_step = now;
	/* RFC 4656 §3.1: Mode 0 means the client does not want to go on. */
	if (m.mode == 0) {
		srv_fail(s, TW_CTRL_CLOSE_DECLINED);
		goto out;
	}
	/* Exactly one security mode, and nothing the greeting did not offer: a feature bit, 512
	 * (RFC 8186 §2) included, is accepted only where the Server Greeting offered it. */
	sec = m.mode & TW_CTRL_MODE_SECURITY;
	ike = (m.mode & TW_CTRL_MODE_IKEV2) != 0;
	if ((sec & (sec - 1)) != 0 || sec == 0 || (m.mode & ~offered_modes(s)) != 0 ||
	    /* RFC 7717: 128 derives the secret of modes 2, 4, 8; with 1 there is no secret. */
	    (ike && (sec & TW_CTRL_MODE_CIPHER_CONTROL) == 0) ||
	    /* ike on, no passphrase store: only 128|2, 128|4, 128|8 carry a secret. */
	    (!ike && (sec & TW_CTRL_MODE_CIPHER_CONTROL) && s->conf.ops.key_lookup == NULL)) {
		refuse_setup(s, TW_CTRL_ACCEPT_NOT_SUPPORTED, TW_CTRL_REFUSE_MODE,
			     TW_CTRL_CLOSE_MODE, out);
		goto out;
	}
	s->c.mode = m.mode;
	s->c.cipher = (m.mode & TW_CTRL_MODE_CIPHER_CONTROL) != 0;
	if (!s->c.cipher) {
		/* RFC 4656 §3.1: KeyID, Token and Client-IV are unused in open mode. */
		accept_setup(s, now, out);
		goto out;
	}
	memcpy(s->token, m.token, sizeof(s->token));
	memcpy(s->client_iv, m.client_iv, sizeof(s->client_iv));
	if (ike) {
		/* Key ID = SPIi | SPIr | zeros in the configured layout (docs/control.rst). */
		spi_len = tw_ctrl_spi_len(s->conf.ike.layout);
		if (ike_keyid_check(s->conf.ike.layout, m.keyid, false) != 0) {
			refuse_setup(s, TW_CTRL_ACCEPT_NOT_SUPPORTED, TW_CTRL_REFUSE_SPI,
				     TW_CTRL_CLOSE_AUTH, out);
			goto out;
		}
		rc = s->conf.ops.ike_lookup(s->c.arg, m.keyid, m.keyid + spi_len, spi_len, secret,
					    &secret_len);
	} else {
		rc = s->conf.ops.key_lookup(s->c.arg, m.keyid, secret, &secret_len);
	}
	if (rc == -EINPROGRESS) {
		s->state = TW_CTRL_SRV_KEY_WAIT;
		goto out;
	}
	finish_setup(s, rc, secret, secret_len, now, out);
out:
	tw_ctrl_wipe(secret, sizeof(secret));
	tw_ctrl_wipe(&m, sizeof(m));
}

static struct slot *
find_slot(struct tw_ctrl_srv *s, const uint8_t *sid)
{
	for (uint32_t i = 0; i < s->conf.max_sessions; i++) {
		if (s->slots[i].used && memcmp(s->slots[i].s.req.sid, sid, TW_CTRL_SID_LEN) == 0)
			return &s->slots[i];
	}
	return NULL;
}

/* NTP time at `now`, from the Server-Start anchor (only the SID needs it, for uniqueness). */
static uint64_t
ntp_at(const struct tw_ctrl_srv *s, uint64_t now)
{
	uint64_t d, sec, frac;

	if (now <= s->conf.start_mono_ns)
		return s->conf.start_time;
	d = now - s->conf.start_mono_ns;
	sec = d / NSEC_PER_SEC;
	frac = ((d % NSEC_PER_SEC) << 32) / NSEC_PER_SEC;
	return s->conf.start_time + (sec << 32 | frac);
}

/*
 * RFC 4656 §3.5: SID = an IPv4 address of the generating machine | 8-octet timestamp | 4 random
 * octets. The reflector's receive address when IPv4, else the configured IPv4 address ("SHOULD"
 * use one even for IPv6), else the last 4 octets of the IPv6 address ("MAY").
 */
static int
make_sid(struct tw_ctrl_srv *s, const struct tw_ctrl_addr *recv, uint64_t now, uint8_t *sid)
{
	uint64_t ntp = ntp_at(s, now);

	if (recv->family == 4)
		memcpy(sid, recv->addr, 4);
	else if (!all_zero(s->conf.sid_ipv4, 4))
		memcpy(sid, s->conf.sid_ipv4, 4);
	else
		memcpy(sid, recv->addr + 12, 4);
	for (int i = 0; i < 8; i++)
		sid[4 + i] = (uint8_t)(ntp >> (56 - 8 * i));
	return s->conf.ops.random(s->c.arg, sid + 12, 4);
}

/* Fill the session address from the request, or from the control connection when zero. */
static enum tw_ctrl_refuse
take_addr(uint8_t ipvn, const uint8_t *wire, const struct tw_ctrl_addr *conn,
	  struct tw_ctrl_addr *a, bool *was_zero)
{
	size_t alen = ipvn == 4 ? 4 : 16;

	*was_zero = all_zero(wire, alen);
	if (*was_zero) {
		/* RFC 5357 §3.5: zero addresses mean those of the control connection, which
		 * must then be of the family the request names. */
		if (conn->family != ipvn)
			return TW_CTRL_REFUSE_FAMILY;
		*a = *conn;
		return TW_CTRL_REFUSE_MAX;
	}
	memset(a, 0, sizeof(*a));
	a->family = ipvn;
	memcpy(a->addr, wire, alen);
	return TW_CTRL_REFUSE_MAX;
}

static enum tw_ctrl_refuse
check_request(struct tw_ctrl_srv *s, const struct tw_ctrl_request *m,
	      struct tw_ctrl_session_req *req, uint8_t *accept)
{
	bool octets = (s->c.mode & TW_CTRL_MODE_REFLECT_OCTETS) != 0;
	bool mbz = m->mbz || (!octets && (m->octets_reflected != 0 || m->padding_reflect != 0));
	enum tw_ctrl_refuse r;
	int dscp;

	*accept = TW_CTRL_ACCEPT_NOT_SUPPORTED;
	if (mbz)
		s->c.st.viol[TW_CTRL_VIOL_MBZ]++;
	/* A non-zero MBZ most likely means an extension this connection did not negotiate
	 * (RFC 6038 fields without mode 32, say): refusing beats reflecting it wrong. */
	if (mbz && !s->conf.lenient_mbz)
		return TW_CTRL_REFUSE_MBZ;
	if (m->ipvn != 4 && m->ipvn != 6)
		return TW_CTRL_REFUSE_IPVN;
	/* RFC 5357 §3.5: Conf-Sender and Conf-Receiver MUST be 0 in TWAMP. */
	if (m->conf_sender != 0 || m->conf_receiver != 0)
		return TW_CTRL_REFUSE_CONF;
	/* RFC 5357 §3.5: no schedule in TWAMP, Number of Schedule Slots and Packets are 0. */
	if (m->nb_slots != 0 || m->nb_packets != 0)
		return TW_CTRL_REFUSE_SCHEDULE;
	if (s->nb_sessions >= s->conf.max_sessions) {
		*accept = TW_CTRL_ACCEPT_PERM_LIMIT;
		return TW_CTRL_REFUSE_LIMIT;
	}
	r = take_addr(m->ipvn, m->sender_addr, &s->peer, &req->sender, &req->sender_was_zero);
	if (r == TW_CTRL_REFUSE_MAX)
		r = take_addr(m->ipvn, m->receiver_addr, &s->local, &req->receiver,
			      &req->receiver_was_zero);
	if (r != TW_CTRL_REFUSE_MAX)
		return r;
	/* The reflector sends to the Sender Address: only the control peer, unless allowed,
	 * so a connection cannot aim the reflector at a third party (RFC 5357 §6). */
	if (!s->conf.allow_third_party && !addr_eq(&req->sender, &s->peer)) {
		*accept = TW_CTRL_ACCEPT_FAILURE;
		return TW_CTRL_REFUSE_THIRD_PARTY;
	}
	dscp = tw_ctrl_typep_dscp(m->type_p);
	if (dscp < 0)
		return TW_CTRL_REFUSE_TYPEP;
	if (m->padding_len > s->conf.max_padding)
		return TW_CTRL_REFUSE_PADDING;
	/* RFC 6038 §4.2.1: the padding to reflect comes out of the sender's padding. */
	if (octets && m->padding_reflect > m->padding_len)
		return TW_CTRL_REFUSE_REFLECT;
	req->ipvn = m->ipvn;
	req->mode = s->c.mode;
	req->sender_port = m->sender_port;
	req->receiver_port = m->receiver_port;
	req->padding_len = m->padding_len;
	req->start_time = m->start_time;
	req->timeout = m->timeout;
	req->type_p = m->type_p;
	req->dscp = (uint8_t)dscp;
	req->octets_reflected = octets ? m->octets_reflected : 0;
	req->padding_reflect = octets ? m->padding_reflect : 0;
	*accept = TW_CTRL_ACCEPT_OK;
	return TW_CTRL_REFUSE_MAX;
}

static struct slot *
free_slot(struct tw_ctrl_srv *s)
{
	for (uint32_t i = 0; i < s->conf.max_sessions; i++) {
		if (!s->slots[i].used)
			return &s->slots[i];
	}
	return NULL;
}

/* RFC 5357 §3.5 Request-TW-Session -> §3.6 Accept-Session. */
static void
handle_request(struct tw_ctrl_srv *s, const uint8_t *msg, uint64_t now,
	       struct tw_ctrl_out *out)
{
	struct tw_ctrl_session_answer ans;
	struct tw_ctrl_session_req req;
	struct tw_ctrl_accept_msg a;
	struct tw_ctrl_request m;
	enum tw_ctrl_refuse r;
	struct slot *slot;
	uint8_t accept;
	int tries;

	/* Outside mode 16 a test in progress only takes Stop-Sessions (RFC 4656 §3.8;
	 * owamp does the same); RFC 5938 lets sessions be added at any time. */
	if (s->state == TW_CTRL_SRV_TEST) {
		srv_fail(s, TW_CTRL_CLOSE_PROTOCOL);
		return;
	}
	tw_ctrl_request_decode(msg, TW_CTRL_REQUEST_LEN, &m);
	memset(&req, 0, sizeof(req));
	memset(&ans, 0, sizeof(ans));
	r = check_request(s, &m, &req, &accept);
	if (r == TW_CTRL_REFUSE_MAX) {
		for (tries = 0; tries < SID_TRIES; tries++) {
			if (make_sid(s, &req.receiver, now, req.sid) != 0) {
				srv_fail(s, TW_CTRL_CLOSE_INTERNAL);
				return;
			}
			if (find_slot(s, req.sid) == NULL)
				break;
		}
		if (tries == SID_TRIES) {
			accept = TW_CTRL_ACCEPT_INTERNAL;
			r = TW_CTRL_REFUSE_SID;
		}
	}
	if (r == TW_CTRL_REFUSE_MAX) {
		ans.accept = TW_CTRL_ACCEPT_OK;
		ans.port = req.receiver_port;
		s->conf.ops.session_request(s->c.arg, &req, &ans);
		if (ans.accept >= TW_CTRL_ACCEPT_MAX)
			ans.accept = TW_CTRL_ACCEPT_INTERNAL;
		if (ans.accept == TW_CTRL_ACCEPT_OK && ans.port == 0)
			ans.accept = TW_CTRL_ACCEPT_INTERNAL;
		accept = ans.accept;
		if (accept != TW_CTRL_ACCEPT_OK)
			r = TW_CTRL_REFUSE_CALLER;
	}
	memset(&a, 0, sizeof(a));
	a.accept = accept;
	if (r == TW_CTRL_REFUSE_MAX) {
		slot = free_slot(s);
		slot->used = true;
		slot->s.req = req;
		slot->s.ans = ans;
		slot->s.started = false;
		s->nb_sessions++;
		s->c.st.sessions_accepted++;
		a.port = ans.port;
		memcpy(a.sid, req.sid, sizeof(a.sid));
		if (s->c.mode & TW_CTRL_MODE_REFLECT_OCTETS) {
			/* RFC 6038 §4.2.2: echo the Octets to be reflected, confirming. */
			a.reflected_octets = req.octets_reflected;
			a.server_octets = ans.server_octets;
		}
	} else {
		s->c.st.refused[r]++;
		if (r == TW_CTRL_REFUSE_CALLER)
			a.port = ans.port;
	}
	tw_ctrl_accept_encode(&a, s->c.tx, TW_CTRL_ACCEPT_LEN);
	if (conn_send(&s->c, s->c.tx, TW_CTRL_ACCEPT_LEN, out) != 0)
		srv_fail(s, TW_CTRL_CLOSE_INTERNAL);
}

static void
send_start_ack(struct tw_ctrl_srv *s, uint8_t accept, struct tw_ctrl_out *out)
{
	struct tw_ctrl_cmd a = { .accept = accept };

	tw_ctrl_start_ack_encode(&a, s->c.tx, TW_CTRL_START_ACK_LEN);
	if (conn_send(&s->c, s->c.tx, TW_CTRL_START_ACK_LEN, out) != 0)
		srv_fail(s, TW_CTRL_CLOSE_INTERNAL);
}

/* RFC 5357 §3.7 Start-Sessions -> Start-Ack. */
static void
handle_start(struct tw_ctrl_srv *s, const uint8_t *msg, struct tw_ctrl_out *out)
{
	struct tw_ctrl_cmd m;
	uint32_t n = 0;

	if (s->state == TW_CTRL_SRV_TEST) {
		srv_fail(s, TW_CTRL_CLOSE_PROTOCOL);
		return;
	}
	tw_ctrl_start_decode(msg, TW_CTRL_START_LEN, &m);
	if (m.mbz)
		s->c.st.viol[TW_CTRL_VIOL_MBZ]++;
	for (uint32_t i = 0; i < s->conf.max_sessions; i++) {
		if (s->slots[i].used && !s->slots[i].s.started)
			memcpy(s->sids[n++], s->slots[i].s.req.sid, TW_CTRL_SID_LEN);
	}
	if (n == 0) {
		/* Nothing accepted to start: refuse, the client may request and retry. */
		s->c.st.refused[TW_CTRL_REFUSE_START_EMPTY]++;
		send_start_ack(s, TW_CTRL_ACCEPT_FAILURE, out);
		return;
	}
	send_start_ack(s, TW_CTRL_ACCEPT_OK, out);
	if (s->state == TW_CTRL_SRV_CLOSED)
		return;
	for (uint32_t i = 0; i < s->conf.max_sessions; i++) {
		if (s->slots[i].used)
			s->slots[i].s.started = true;
	}
	s->nb_started += n;
	s->c.st.sessions_started += n;
	if (!(s->c.mode & TW_CTRL_MODE_ISC))
		s->state = TW_CTRL_SRV_TEST;
	conn_emit_sids(&s->c, TW_CTRL_EV_START, TW_CTRL_ACCEPT_OK,
		       (const uint8_t(*)[TW_CTRL_SID_LEN])s->sids, n);
}

/* RFC 5357 §3.8 Stop-Sessions: every session of the connection ends; no reply. */
static void
handle_stop(struct tw_ctrl_srv *s, const uint8_t *msg)
{
	struct tw_ctrl_cmd m;
	uint32_t n = 0;

	tw_ctrl_stop_decode(msg, TW_CTRL_STOP_LEN, &m);
	if (m.mbz)
		s->c.st.viol[TW_CTRL_VIOL_MBZ]++;
	for (uint32_t i = 0; i < s->conf.max_sessions; i++) {
		if (!s->slots[i].used)
			continue;
		memcpy(s->sids[n++], s->slots[i].s.req.sid, TW_CTRL_SID_LEN);
		s->slots[i].used = false;
	}
	/* Number of Sessions should match; stopping anyway is the safe way to disagree. */
	if (m.nb_sessions != n)
		s->c.st.viol[TW_CTRL_VIOL_STOP_COUNT]++;
	s->nb_sessions = s->nb_started = 0;
	s->state = TW_CTRL_SRV_READY;
	if (n > 0) {
		s->c.st.sessions_stopped += n;
		conn_emit_sids(&s->c, TW_CTRL_EV_STOP, m.accept,
			       (const uint8_t(*)[TW_CTRL_SID_LEN])s->sids, n);
	}
}

static void
send_n_ack(struct tw_ctrl_srv *s, uint8_t command, uint8_t accept, const struct tw_ctrl_nmsg *m,
	   struct tw_ctrl_out *out)
{
	struct tw_ctrl_nmsg a = {
		.command = command,
		.accept = accept,
		.nb_sessions = m->nb_sessions,
		.sids = m->sids,
	};
	size_t len = tw_ctrl_nmsg_len(m->nb_sessions);

	tw_ctrl_nmsg_encode(&a, s->c.tx, s->c.rx_cap);
	if (conn_send(&s->c, s->c.tx, len, out) != 0)
		srv_fail(s, TW_CTRL_CLOSE_INTERNAL);
}

/* RFC 5938 Start-N-Sessions -> Start-N-Ack (all or nothing). */
static void
handle_start_n(struct tw_ctrl_srv *s, const uint8_t *msg, struct tw_ctrl_out *out)
{
	struct tw_ctrl_nmsg m;
	struct slot *slot;
	bool ok;

	tw_ctrl_nmsg_decode(msg, s->c.rx_len, &m);
	if (m.mbz)
		s->c.st.viol[TW_CTRL_VIOL_MBZ]++;
	ok = m.nb_sessions > 0;
	for (uint32_t i = 0; ok && i < m.nb_sessions; i++) {
		slot = find_slot(s, m.sids[i]);
		if (slot == NULL || slot->s.started)
			ok = false;
		for (uint32_t j = 0; ok && j < i; j++) {
			if (memcmp(m.sids[i], m.sids[j], TW_CTRL_SID_LEN) == 0)
				ok = false;
		}
	}
	if (!ok)
		s->c.st.refused[TW_CTRL_REFUSE_START_N]++;
	send_n_ack(s, TW_CTRL_CMD_START_N_ACK, ok ? TW_CTRL_ACCEPT_OK : TW_CTRL_ACCEPT_FAILURE,
		   &m, out);
	if (!ok || s->state == TW_CTRL_SRV_CLOSED)
		return;
	for (uint32_t i = 0; i < m.nb_sessions; i++)
		find_slot(s, m.sids[i])->s.started = true;
	s->nb_started += m.nb_sessions;
	s->c.st.sessions_started += m.nb_sessions;
	conn_emit_sids(&s->c, TW_CTRL_EV_START, TW_CTRL_ACCEPT_OK, m.sids, m.nb_sessions);
}

/* RFC 5938 Stop-N-Sessions -> Stop-N-Ack. Known sessions stop even if others are unknown. */
static void
handle_stop_n(struct tw_ctrl_srv *s, const uint8_t *msg, struct tw_ctrl_out *out)
{
	struct tw_ctrl_nmsg m;
	struct slot *slot;
	bool unknown = false;
	uint32_t k = 0;

	tw_ctrl_nmsg_decode(msg, s->c.rx_len, &m);
	if (m.mbz)
		s->c.st.viol[TW_CTRL_VIOL_MBZ]++;
	for (uint32_t i = 0; i < m.nb_sessions; i++) {
		slot = find_slot(s, m.sids[i]);
		if (slot == NULL) {
			unknown = true;
			continue;
		}
		memcpy(s->sids[k++], m.sids[i], TW_CTRL_SID_LEN);
		if (slot->s.started)
			s->nb_started--;
		slot->used = false;
		s->nb_sessions--;
	}
	if (unknown)
		s->c.st.refused[TW_CTRL_REFUSE_STOP_N]++;
	send_n_ack(s, TW_CTRL_CMD_STOP_N_ACK,
		   unknown ? TW_CTRL_ACCEPT_FAILURE : TW_CTRL_ACCEPT_OK, &m, out);
	if (k > 0) {
		s->c.st.sessions_stopped += k;
		conn_emit_sids(&s->c, TW_CTRL_EV_STOP, m.accept,
			       (const uint8_t(*)[TW_CTRL_SID_LEN])s->sids, k);
	}
}

/*
 * Length of the command whose (decrypted) first block is blk, or 0 after closing: unknown
 * commands cannot be skipped, there is no length field to skip them by.
 */
static size_t
command_len(struct tw_ctrl_srv *s, const uint8_t *blk)
{
	uint32_t n;

	switch (blk[0]) {
	case TW_CTRL_CMD_START:
		return TW_CTRL_START_LEN;
	case TW_CTRL_CMD_STOP:
		return TW_CTRL_STOP_LEN;
	case TW_CTRL_CMD_REQUEST:
		return TW_CTRL_REQUEST_LEN;
	case TW_CTRL_CMD_START_N:
	case TW_CTRL_CMD_STOP_N:
		/* RFC 5938 commands exist only where mode 16 was negotiated. */
		if (!(s->c.mode & TW_CTRL_MODE_ISC)) {
			s->c.st.rx_unknown++;
			srv_fail(s, TW_CTRL_CLOSE_PROTOCOL);
			return 0;
		}
		n = get_be32(blk + 4);
		if (n > s->conf.max_sessions) {
			srv_fail(s, TW_CTRL_CLOSE_OVERFLOW);
			return 0;
		}
		return tw_ctrl_nmsg_len(n);
	default:
		/* 1 (OWAMP Request-Session) is forbidden, 4 and 6 unsupported, 8 and 10 travel
		 * the other way, and the rest are unassigned. */
		s->c.st.rx_unknown++;
		srv_fail(s, TW_CTRL_CLOSE_BAD_MESSAGE);
		return 0;
	}
}

static void
srv_process(struct tw_ctrl_srv *s, uint64_t now, struct tw_ctrl_out *out)
{
	size_t len;
	uint8_t cmd;

	while (s->state != TW_CTRL_SRV_CLOSED) {
		if (s->state == TW_CTRL_SRV_GREETED) {
			if (s->c.rx_len < TW_CTRL_SETUP_LEN)
				return;
			handle_setup(s, now, out);
			continue;
		}
		if (s->state != TW_CTRL_SRV_READY && s->state != TW_CTRL_SRV_TEST)
			return;
		if (s->c.rx_len < TW_CTRL_BLOCK)
			return;
		if (conn_decrypt(&s->c, TW_CTRL_BLOCK) != 0) {
			srv_fail(s, TW_CTRL_CLOSE_INTERNAL);
			return;
		}
		len = command_len(s, s->c.rx);
		if (len == 0 || s->c.rx_len < len)
			return;
		if (conn_decrypt(&s->c, len) != 0) {
			srv_fail(s, TW_CTRL_CLOSE_INTERNAL);
			return;
		}
		/* RFC 4656 §3.2: "The HMAC MUST be checked as early as possible". */
		if (conn_verify(&s->c, s->c.rx, len) != 0) {
			srv_fail(s, TW_CTRL_CLOSE_BAD_HMAC);
			return;
		}
		cmd = s->c.rx[0];
		s->c.st.rx_msgs[cmd]++;
		s->t_msg = now;
		switch (cmd) {
		case TW_CTRL_CMD_REQUEST:
			handle_request(s, s->c.rx, now, out);
			break;
		case TW_CTRL_CMD_START:
			handle_start(s, s->c.rx, out);
			break;
		case TW_CTRL_CMD_STOP:
			handle_stop(s, s->c.rx);
			break;
		case TW_CTRL_CMD_START_N:
			handle_start_n(s, s->c.rx, out);
			break;
		default:
			handle_stop_n(s, s->c.rx, out);
			break;
		}
		if (s->state == TW_CTRL_SRV_CLOSED)
			return;
		conn_consume(&s->c, len, now);
	}
}

static uint64_t
after(uint64_t t, uint64_t d)
{
	return d == 0 ? UINT64_MAX : deadline_add(t, d);
}

uint64_t
tw_ctrl_srv_deadline(const struct tw_ctrl_srv *s)
{
	uint64_t d = UINT64_MAX, t, last;

	switch (s->state) {
	case TW_CTRL_SRV_GREETED:
	case TW_CTRL_SRV_KEY_WAIT:
		return after(s->t_step, s->conf.step_timeout_ns);
	case TW_CTRL_SRV_READY:
	case TW_CTRL_SRV_TEST:
		if (s->c.rx_len > 0)
			d = after(s->c.rx_since, s->conf.step_timeout_ns);
		if (s->nb_started > 0) {
			last = s->t_touch > s->t_msg ? s->t_touch : s->t_msg;
			t = after(last, s->conf.refwait_ns);
		} else {
			/* RFC 5357 §3.1: SERVWAIT monitoring is suspended while sessions run. */
			t = after(s->t_msg, s->conf.servwait_ns);
		}
		return t < d ? t : d;
	default:
		return UINT64_MAX;
	}
}

/* Close on an expired deadline. @return true if the connection is (now) closed. */
static bool
check_deadlines(struct tw_ctrl_srv *s, uint64_t now, struct tw_ctrl_out *out)
{
	enum tw_ctrl_close why;

	if (s->state == TW_CTRL_SRV_CLOSED)
		return true;
	if (now < tw_ctrl_srv_deadline(s))
		return false;
	switch (s->state) {
	case TW_CTRL_SRV_KEY_WAIT:
		/* The key store did not answer: a temporary condition, say so. */
		refuse_setup(s, TW_CTRL_ACCEPT_TEMP_LIMIT, TW_CTRL_REFUSE_KEY_ERROR,
			     TW_CTRL_CLOSE_TIMEOUT, out);
		return true;
	case TW_CTRL_SRV_READY:
	case TW_CTRL_SRV_TEST:
		if (s->c.rx_len > 0 && now >= after(s->c.rx_since, s->conf.step_timeout_ns))
			why = TW_CTRL_CLOSE_TIMEOUT;
		else
			why = s->nb_started > 0 ? TW_CTRL_CLOSE_REFWAIT : TW_CTRL_CLOSE_SERVWAIT;
		break;
	default:
		why = TW_CTRL_CLOSE_TIMEOUT;
		break;
	}
	srv_fail(s, why);
	return true;
}

int
tw_ctrl_srv_tick(struct tw_ctrl_srv *s, uint64_t now, struct tw_ctrl_out *out)
{
	if (s == NULL)
		return -EINVAL;
	if (out != NULL && !out_room(out, s->c.rx_cap))
		return -ENOBUFS;
	(void)check_deadlines(s, now, out);
	return 0;
}

int
tw_ctrl_srv_input(struct tw_ctrl_srv *s, const uint8_t *in, size_t len, uint64_t now,
		  struct tw_ctrl_out *out)
{
	size_t off = 0, took, before;

	if (s == NULL || (in == NULL && len > 0) || s->state == TW_CTRL_SRV_INIT)
		return -EINVAL;
	if (s->state == TW_CTRL_SRV_CLOSED)
		return -EPIPE;
	if (len > SIZE_MAX - s->c.rx_cap || !out_room(out, len + s->c.rx_cap))
		return -ENOBUFS;
	if (check_deadlines(s, now, out))
		return 0;
	do {
		took = conn_feed(&s->c, in + off, len - off, now);
		off += took;
		before = s->c.rx_len;
		srv_process(s, now, out);
		if (s->state == TW_CTRL_SRV_CLOSED)
			return 0;
		/* Full and stuck: only while the key lookup runs can octets pile up. */
		if (off < len && took == 0 && s->c.rx_len == before) {
			srv_fail(s, TW_CTRL_CLOSE_OVERFLOW);
			return 0;
		}
	} while (off < len);
	return 0;
}

int
tw_ctrl_srv_key_result(struct tw_ctrl_srv *s, int status, const uint8_t *secret,
		       size_t secret_len, uint64_t now, struct tw_ctrl_out *out)
{
	if (s == NULL || s->state != TW_CTRL_SRV_KEY_WAIT || (status == 0 && secret == NULL))
		return -EINVAL;
	if (!out_room(out, s->c.rx_cap))
		return -ENOBUFS;
	if (check_deadlines(s, now, out))
		return 0;
	finish_setup(s, status, secret, secret_len, now, out);
	srv_process(s, now, out);
	return 0;
}

void
tw_ctrl_srv_touch(struct tw_ctrl_srv *s, uint64_t now)
{
	if (now > s->t_touch)
		s->t_touch = now;
}

void
tw_ctrl_srv_peer_closed(struct tw_ctrl_srv *s)
{
	srv_fail(s, TW_CTRL_CLOSE_PEER);
}

void
tw_ctrl_srv_close(struct tw_ctrl_srv *s)
{
	srv_fail(s, TW_CTRL_CLOSE_LOCAL);
}

enum tw_ctrl_close
tw_ctrl_srv_closed(const struct tw_ctrl_srv *s)
{
	return s->c.st.close;
}

enum tw_ctrl_srv_state
tw_ctrl_srv_state(const struct tw_ctrl_srv *s)
{
	return s->state;
}

uint32_t
tw_ctrl_srv_mode(const struct tw_ctrl_srv *s)
{
	return s->c.mode;
}

bool
tw_ctrl_srv_ptp(const struct tw_ctrl_srv *s)
{
	/* c.mode holds only offered bits: handle_setup() refuses a Mode with any other. */
	return (s->c.mode & TW_CTRL_MODE_PTP) != 0;
}

int
tw_ctrl_srv_keys(const struct tw_ctrl_srv *s, struct tw_ctrl_keys *keys)
{
	if (!s->c.have_keys)
		return -ENOKEY;
	*keys = s->c.keys;
	return 0;
}

const struct tw_ctrl_stats *
tw_ctrl_srv_stats(const struct tw_ctrl_srv *s)
{
	return &s->c.st;
}

unsigned int
tw_ctrl_srv_nb_sessions(const struct tw_ctrl_srv *s)
{
	return s->nb_sessions;
}

const struct tw_ctrl_srv_session *
tw_ctrl_srv_session(const struct tw_ctrl_srv *s, const uint8_t sid[TW_CTRL_SID_LEN])
{
	struct slot *slot = find_slot((struct tw_ctrl_srv *)(uintptr_t)s, sid);

	return slot != NULL ? &slot->s : NULL;
}
