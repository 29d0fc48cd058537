/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TWAMP-Control client (Control-Client, RFC 5357 §3). Commands are written by the API calls;
 * the server's replies come in order, so a FIFO of the replies still owed tells how long the
 * next message is and what it answers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl_priv.h"

enum {
	NSEC_PER_SEC = 1000000000,
	DEFAULT_MAX_COUNT = 32768,
	PEND_EXTRA = 8,				/* owed replies beyond one per session */
};

enum pend_type {
	PEND_ACCEPT,				/* Accept-Session for session `arg` */
	PEND_START_ACK,
	PEND_START_N_ACK,			/* `arg` SIDs */
	PEND_STOP_N_ACK,
};

struct pend {
	enum pend_type type;
	uint32_t arg;
	uint64_t sent;
};

struct tw_ctrl_cli {
	struct conn c;
	struct tw_ctrl_cli_conf conf;		/* conf.secret points to secret below */
	uint8_t secret[TW_CTRL_SECRET_MAX];
	uint8_t ike_secret[TW_CTRL_SECRET_MAX];	/* conf.ike.secret points here */
	int server_accept;			/* Server-Start Accept, -1 before */
	enum tw_ctrl_cli_state state;
	bool armed;				/* t_step set by the first input() or tick() */
	uint64_t t_step;
	uint64_t server_start_time;
	struct tw_ctrl_cli_session *sess;	/* conf.max_sessions */
	struct pend *pend;			/* ring of pend_cap */
	uint32_t pend_cap;
	uint32_t pend_head;
	uint32_t pend_len;
	uint8_t (*sids)[TW_CTRL_SID_LEN];	/* conf.max_sessions, event scratch */
};

void
tw_ctrl_cli_conf_defaults(struct tw_ctrl_cli_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->modes = TW_CTRL_MODE_SECURITY;
	c->max_count = DEFAULT_MAX_COUNT;
	c->max_sessions = 16;
	c->step_timeout_ns = 30ULL * NSEC_PER_SEC;
}

/* force_mode: 0, one allowed security mode, or 128 alone or with one allowed 2/4/8 (ike). */
static bool
force_ok(const struct tw_ctrl_cli_conf *conf)
{
	uint32_t f = conf->force_mode, sec = f & ~(uint32_t)TW_CTRL_MODE_IKEV2;

	if (f == 0)
		return true;
	if ((sec & (sec - 1)) != 0 || (sec & ~conf->modes) != 0)
		return false;
	if (!(f & TW_CTRL_MODE_IKEV2))
		return sec != 0;
	return conf->ike.enable && (sec == 0 || (sec & TW_CTRL_MODE_CIPHER_CONTROL) != 0);
}

/* RFC 7717 settings: a secret, two non-zero SPIs that fit the layout, a mode to use them in. */
static bool
ike_ok(const struct tw_ctrl_cli_conf *conf)
{
	const struct tw_ctrl_cli_ike *k = &conf->ike;
	uint8_t keyid[TW_CTRL_KEYID_LEN], tail = 0;

	if ((unsigned int)k->layout > TW_CTRL_SPI_4_4)
		return false;
	if (!k->enable)
		return true;
	if (k->secret == NULL || k->secret_len == 0 || k->secret_len > TW_CTRL_SECRET_MAX ||
	    (conf->modes & TW_CTRL_MODE_CIPHER_CONTROL) == 0)
		return false;
	for (size_t i = tw_ctrl_spi_len(k->layout); i < sizeof(k->spi_i); i++)
		tail |= k->spi_i[i] | k->spi_r[i];
	ike_keyid_encode(k->layout, k->spi_i, k->spi_r, keyid);
	return tail == 0 && ike_keyid_check(k->layout, keyid, true) == 0;
}

struct tw_ctrl_cli *
tw_ctrl_cli_new(const struct tw_ctrl_cli_conf *conf, void *arg)
{
	struct tw_ctrl_cli *c;
	size_t cap;

	if (conf == NULL || (conf->modes & ~(uint32_t)TW_CTRL_MODE_SECURITY) != 0 ||
	    conf->modes == 0 || !force_ok(conf) || !ike_ok(conf) ||
	    (conf->features & ~(uint32_t)TW_CTRL_MODE_FEATURES) != 0 ||
	    conf->max_count < TW_CTRL_COUNT_MIN || conf->max_sessions == 0 ||
	    conf->max_sessions > TW_CTRL_MAX_SESSIONS || conf->ops.random == NULL ||
	    conf->secret_len > TW_CTRL_SECRET_MAX ||
	    (conf->secret_len > 0 && conf->secret == NULL)) {
		errno = EINVAL;
		return NULL;
	}
	/* The secret and the session keys live in here: pages of their own, never dumped. */
	c = tw_secmem_alloc(sizeof(*c));
	if (c == NULL)
		goto nomem;
	c->pend_cap = conf->max_sessions + PEND_EXTRA;
	c->sess = calloc(conf->max_sessions, sizeof(*c->sess));
	c->pend = calloc(c->pend_cap, sizeof(*c->pend));
	c->sids = calloc(conf->max_sessions, sizeof(*c->sids));
	/* rx holds the greeting or one reply; tx (same size) builds one command. */
	cap = tw_ctrl_nmsg_len(conf->max_sessions);
	if (cap < TW_CTRL_REQUEST_LEN)
		cap = TW_CTRL_REQUEST_LEN;
	if (c->sess == NULL || c->pend == NULL || c->sids == NULL || conn_init(&c->c, cap) != 0) {
		free(c->sess);
		free(c->pend);
		free(c->sids);
		tw_secmem_free(c, sizeof(*c));
		goto nomem;
	}
	c->conf = *conf;
	if (conf->secret_len > 0)
		memcpy(c->secret, conf->secret, conf->secret_len);
	c->conf.secret = c->secret;
	if (conf->ike.enable)
		memcpy(c->ike_secret, conf->ike.secret, conf->ike.secret_len);
	c->conf.ike.secret = c->ike_secret;
	c->server_accept = -1;
	c->state = TW_CTRL_CLI_GREETING;
	c->c.arg = arg;
	c->c.event = conf->ops.event;
	return c;
nomem:
	errno = ENOMEM;
	return NULL;
}

void
tw_ctrl_cli_free(struct tw_ctrl_cli *c)
{
	if (c == NULL)
		return;
	conn_fini(&c->c);
	free(c->sess);
	free(c->pend);
	free(c->sids);
	tw_secmem_free(c, sizeof(*c));		/* wipes the secret copy among the rest */
}

static void
cli_fail(struct tw_ctrl_cli *c, enum tw_ctrl_close why)
{
	if (c->state == TW_CTRL_CLI_CLOSED)
		return;
	c->state = TW_CTRL_CLI_CLOSED;
	conn_close(&c->c, why);
}

/* Owed replies, oldest first. */
static struct pend *
pend_head(struct tw_ctrl_cli *c)
{
	return c->pend_len > 0 ? &c->pend[c->pend_head] : NULL;
}

static void
pend_pop(struct tw_ctrl_cli *c)
{
	c->pend_head = (c->pend_head + 1) % c->pend_cap;
	c->pend_len--;
}

static void
pend_push(struct tw_ctrl_cli *c, enum pend_type type, uint32_t arg, uint64_t now)
{
	struct pend *p = &c->pend[(c->pend_head + c->pend_len) % c->pend_cap];

	p->type = type;
	p->arg = arg;
	p->sent = now;
	c->pend_len++;
}

/*
 * Pick the Mode (RFC 4656 §3.1: exactly one of the offered security modes): forced, or the
 * strongest the caller allows, in owamp's order (encrypted, authenticated, mixed, open). Modes
 * 2/4/8 need a secret and an acceptable Count.
 */
static uint32_t
pick_mode(struct tw_ctrl_cli *c, const struct tw_ctrl_greeting *g, bool *count_bad)
{
	static const uint32_t order[] = {
		TW_CTRL_MODE_ENCRYPTED, TW_CTRL_MODE_AUTH, TW_CTRL_MODE_MIXED, TW_CTRL_MODE_UNAUTH,
	};
	uint32_t cand = g->modes & c->conf.modes & TW_CTRL_MODE_SECURITY;
	uint32_t force = c->conf.force_mode;
	bool want_ike = c->conf.ike.enable && (force == 0 || (force & TW_CTRL_MODE_IKEV2));

	*count_bad = false;
	/* RFC 7717 §5.3: a client with an IKEv2 SA "SHOULD" answer a greeting offering 128 with
	 * 128 | one of 2, 4, 8, whose secret is then the IKEv2-derived one (PBKDF2 as usual). */
	if (want_ike && (g->modes & TW_CTRL_MODE_IKEV2)) {
		uint32_t ic = cand & TW_CTRL_MODE_CIPHER_CONTROL;

		if (force & TW_CTRL_MODE_SECURITY)
			ic &= force;
		if (ic != 0 && (g->count < TW_CTRL_COUNT_MIN || g->count > c->conf.max_count)) {
			*count_bad = true;
			ic = 0;
		}
		for (size_t i = 0; ic != 0 && i < sizeof(order) / sizeof(order[0]); i++) {
			if (ic & order[i])
				return TW_CTRL_MODE_IKEV2 | order[i];
		}
	}
	/* Forced 128 and no way to use it: no common mode. */
	if (force & TW_CTRL_MODE_IKEV2)
		return 0;
	if (c->conf.secret_len == 0)
		cand &= TW_CTRL_MODE_UNAUTH;
	if ((cand & TW_CTRL_MODE_CIPHER_CONTROL) &&
	    (g->count < TW_CTRL_COUNT_MIN || g->count > c->conf.max_count)) {
		/* Count sets the PBKDF2 work the client must do: refuse a costly one. */
		*count_bad = true;
		cand &= TW_CTRL_MODE_UNAUTH;
	}
	if (c->conf.force_mode != 0)
		return cand & c->conf.force_mode;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (cand & order[i])
			return order[i];
	}
	return 0;
}

/* RFC 4656 §3.1: Server Greeting -> Set-Up-Response. */
static void
handle_greeting(struct tw_ctrl_cli *c, uint64_t now, struct tw_ctrl_out *out)
{
	struct tw_ctrl_greeting g;
	struct tw_ctrl_token tok;
	struct tw_ctrl_setup m;
	uint8_t key[TW_CTRL_AES_KEY_LEN];
	bool count_bad;
	uint32_t sec;
	int rc = 0;

	tw_ctrl_greeting_decode(c->c.rx, c->c.rx_len, &g);
	if (g.mbz)
		c->c.st.viol[TW_CTRL_VIOL_MBZ]++;
	/* RFC 4656 §3.1: Modes 0 means the server will not talk to this client. */
	if (g.modes == 0) {
		cli_fail(c, TW_CTRL_CLOSE_REFUSED);
		return;
	}
	sec = pick_mode(c, &g, &count_bad);
	if (sec == 0) {
		cli_fail(c, count_bad ? TW_CTRL_CLOSE_COUNT : TW_CTRL_CLOSE_MODE);
		return;
	}
	memset(&m, 0, sizeof(m));
	memset(&tok, 0, sizeof(tok));
	/* Feature bits only where offered: a server may refuse the others (ours does, see
	 * docs/control.rst ambiguity 14). So 512 (RFC 8186 §2), PTPv2 reflector timestamps, is
	 * asked only of a server whose greeting offers it. */
	c->c.mode = m.mode = sec | (c->conf.features & g.modes & TW_CTRL_MODE_FEATURES);
	c->c.cipher = (sec & TW_CTRL_MODE_CIPHER_CONTROL) != 0;
	if (c->c.cipher) {
		/* RFC 4656 §3.1: the client makes both session keys and its IV at random, and
		 * proves it knows the secret by encrypting the server's Challenge with them. */
		if (sec & TW_CTRL_MODE_IKEV2)
			ike_keyid_encode(c->conf.ike.layout, c->conf.ike.spi_i, c->conf.ike.spi_r,
					 m.keyid);
		else
			memcpy(m.keyid, c->conf.keyid, sizeof(m.keyid));
		memcpy(tok.challenge, g.challenge, sizeof(tok.challenge));
		if (c->conf.ops.random(c->c.arg, tok.keys.aes, sizeof(tok.keys.aes)) != 0 ||
		    c->conf.ops.random(c->c.arg, tok.keys.hmac, sizeof(tok.keys.hmac)) != 0 ||
		    c->conf.ops.random(c->c.arg, m.client_iv, sizeof(m.client_iv)) != 0)
			rc = -EIO;
		/* RFC 7717: PBKDF2 runs on PRF(SK_d, "IPPM") as on a passphrase. */
		if (rc == 0 && (sec & TW_CTRL_MODE_IKEV2))
			rc = tw_ctrl_derive_key(c->ike_secret, c->conf.ike.secret_len, g.salt,
						g.count, key);
		else if (rc == 0)
			rc = tw_ctrl_derive_key(c->secret, c->conf.secret_len, g.salt, g.count,
						key);
		if (rc == 0)
			rc = tw_ctrl_token_seal(key, &tok, m.token);
		tw_ctrl_wipe(key, sizeof(key));
		c->c.keys = tok.keys;
		c->c.have_keys = true;
		tw_ctrl_wipe(&tok, sizeof(tok));
		if (rc == 0)
			rc = conn_start_tx(&c->c, m.client_iv);
		if (rc != 0) {
			cli_fail(c, TW_CTRL_CLOSE_INTERNAL);
			return;
		}
	}
	tw_ctrl_setup_encode(&m, out->buf + out->len, out->cap - out->len);
	out->len += TW_CTRL_SETUP_LEN;
	c->c.st.tx_octets += TW_CTRL_SETUP_LEN;
	tw_ctrl_wipe(&m, sizeof(m));
	c->state = TW_CTRL_CLI_SERVER_START;
	c->t_step = now;
}

/* RFC 4656 §3.1 Server-Start: the last block is the first of the server's encrypted stream. */
static void
handle_server_start(struct tw_ctrl_cli *c)
{
	struct tw_ctrl_event ev = {
		.type = TW_CTRL_EV_READY,
		.session = -1,
	};
	struct tw_ctrl_server_start m;
	uint8_t *b = c->c.rx;

	ev.accept = b[15];
	c->server_accept = b[15];
	if (ev.accept != TW_CTRL_ACCEPT_OK) {
		conn_emit(&c->c, &ev);
		cli_fail(c, TW_CTRL_CLOSE_REFUSED);
		return;
	}
	if (c->c.cipher) {
		if (conn_start_rx(&c->c, b + 16) != 0 ||
		    tw_ctrl_stream_crypt(&c->c.rxs, b + 32, 16) != 0 ||
		    tw_ctrl_stream_cover(&c->c.rxs, b + 32, 16) != 0) {
			cli_fail(c, TW_CTRL_CLOSE_INTERNAL);
			return;
		}
	}
	tw_ctrl_server_start_decode(b, TW_CTRL_SERVER_START_LEN, &m);
	if (m.mbz)
		c->c.st.viol[TW_CTRL_VIOL_MBZ]++;
	c->server_start_time = m.start_time;
	c->state = TW_CTRL_CLI_READY;
	conn_emit(&c->c, &ev);
}

static struct tw_ctrl_cli_session *
find_sess(struct tw_ctrl_cli *c, const uint8_t *sid, enum tw_ctrl_cli_session_state state)
{
	for (uint32_t i = 0; i < c->conf.max_sessions; i++) {
		if (c->sess[i].state == state && memcmp(c->sess[i].sid, sid, TW_CTRL_SID_LEN) == 0)
			return &c->sess[i];
	}
	return NULL;
}

static void
handle_accept(struct tw_ctrl_cli *c, uint32_t idx)
{
	struct tw_ctrl_cli_session *s = &c->sess[idx];
	struct tw_ctrl_event ev = {
		.type = TW_CTRL_EV_ACCEPT,
		.session = (int)idx,
	};
	struct tw_ctrl_accept_msg a;

	tw_ctrl_accept_decode(c->c.rx, TW_CTRL_ACCEPT_LEN, &a);
	if (a.mbz)
		c->c.st.viol[TW_CTRL_VIOL_MBZ]++;
	s->accept = a.accept;
	s->port = a.port;
	if (a.accept == TW_CTRL_ACCEPT_OK) {
		s->state = TW_CTRL_CLI_SESS_ACCEPTED;
		memcpy(s->sid, a.sid, sizeof(s->sid));
		if (c->c.mode & TW_CTRL_MODE_REFLECT_OCTETS) {
			s->reflected_octets = a.reflected_octets;
			s->server_octets = a.server_octets;
			/* RFC 6038 §4.2.2: a server that honours mode 32 echoes the octets. */
			if (a.reflected_octets != s->p.octets_reflected)
				c->c.st.viol[TW_CTRL_VIOL_REFLECTED]++;
		}
		c->c.st.sessions_accepted++;
	} else {
		s->state = TW_CTRL_CLI_SESS_REFUSED;
	}
	ev.accept = a.accept;
	conn_emit(&c->c, &ev);
}

static void
handle_start_ack(struct tw_ctrl_cli *c)
{
	struct tw_ctrl_cmd a;
	uint32_t n = 0;

	tw_ctrl_start_ack_decode(c->c.rx, TW_CTRL_START_ACK_LEN, &a);
	if (a.mbz)
		c->c.st.viol[TW_CTRL_VIOL_MBZ]++;
	if (a.accept == TW_CTRL_ACCEPT_OK) {
		for (uint32_t i = 0; i < c->conf.max_sessions; i++) {
			if (c->sess[i].state != TW_CTRL_CLI_SESS_ACCEPTED)
				continue;
			c->sess[i].state = TW_CTRL_CLI_SESS_STARTED;
			memcpy(c->sids[n++], c->sess[i].sid, TW_CTRL_SID_LEN);
		}
		c->c.st.sessions_started += n;
	}
	conn_emit_sids(&c->c, TW_CTRL_EV_START, a.accept,
		       (const uint8_t(*)[TW_CTRL_SID_LEN])c->sids, n);
}

static void
handle_n_ack(struct tw_ctrl_cli *c, size_t len)
{
	struct tw_ctrl_cli_session *s;
	struct tw_ctrl_nmsg m;

	tw_ctrl_nmsg_decode(c->c.rx, len, &m);
	if (m.mbz)
		c->c.st.viol[TW_CTRL_VIOL_MBZ]++;
	if (m.command == TW_CTRL_CMD_STOP_N_ACK) {
		conn_emit_sids(&c->c, TW_CTRL_EV_STOP, m.accept, m.sids, m.nb_sessions);
		return;
	}
	if (m.accept == TW_CTRL_ACCEPT_OK) {
		for (uint32_t i = 0; i < m.nb_sessions; i++) {
			s = find_sess(c, m.sids[i], TW_CTRL_CLI_SESS_ACCEPTED);
			if (s != NULL) {
				s->state = TW_CTRL_CLI_SESS_STARTED;
				c->c.st.sessions_started++;
			}
		}
	}
	conn_emit_sids(&c->c, TW_CTRL_EV_START, m.accept, m.sids, m.nb_sessions);
}

/* Stop-Sessions from the server (RFC 4656 §3.8 lets either side send it). */
static void
handle_server_stop(struct tw_ctrl_cli *c)
{
	struct tw_ctrl_cmd m;
	uint32_t n = 0;

	tw_ctrl_stop_decode(c->c.rx, TW_CTRL_STOP_LEN, &m);
	if (m.mbz)
		c->c.st.viol[TW_CTRL_VIOL_MBZ]++;
	for (uint32_t i = 0; i < c->conf.max_sessions; i++) {
		if (c->sess[i].state != TW_CTRL_CLI_SESS_ACCEPTED &&
		    c->sess[i].state != TW_CTRL_CLI_SESS_STARTED)
			continue;
		c->sess[i].state = TW_CTRL_CLI_SESS_STOPPED;
		memcpy(c->sids[n++], c->sess[i].sid, TW_CTRL_SID_LEN);
	}
	c->c.st.sessions_stopped += n;
	conn_emit_sids(&c->c, TW_CTRL_EV_STOP, m.accept,
		       (const uint8_t(*)[TW_CTRL_SID_LEN])c->sids, n);
}

/* Length of the next message from its decrypted first block, 0 after closing. */
static size_t
reply_len(struct tw_ctrl_cli *c, const struct pend *p)
{
	const uint8_t *b = c->c.rx;
	uint8_t want;

	if (p == NULL) {
		/* Nothing owed: only a server Stop-Sessions can come. */
		if (b[0] == TW_CTRL_CMD_STOP)
			return TW_CTRL_STOP_LEN;
		cli_fail(c, TW_CTRL_CLOSE_PROTOCOL);
		return 0;
	}
	switch (p->type) {
	case PEND_ACCEPT:
		return TW_CTRL_ACCEPT_LEN;
	case PEND_START_ACK:
		return TW_CTRL_START_ACK_LEN;
	default:
		want = p->type == PEND_START_N_ACK ? TW_CTRL_CMD_START_N_ACK
						   : TW_CTRL_CMD_STOP_N_ACK;
		/* RFC 5938: the ack lists the SIDs of the command it answers. */
		if (b[0] != want || get_be32(b + 4) != p->arg) {
			cli_fail(c, TW_CTRL_CLOSE_BAD_MESSAGE);
			return 0;
		}
		return tw_ctrl_nmsg_len(p->arg);
	}
}

static void
cli_process(struct tw_ctrl_cli *c, uint64_t now, struct tw_ctrl_out *out)
{
	struct pend *p;
	size_t len;

	while (c->state != TW_CTRL_CLI_CLOSED) {
		switch (c->state) {
		case TW_CTRL_CLI_GREETING:
			if (c->c.rx_len < TW_CTRL_GREETING_LEN)
				return;
			handle_greeting(c, now, out);
			if (c->state != TW_CTRL_CLI_CLOSED)
				conn_consume(&c->c, TW_CTRL_GREETING_LEN, now);
			continue;
		case TW_CTRL_CLI_SERVER_START:
			if (c->c.rx_len < TW_CTRL_SERVER_START_LEN)
				return;
			handle_server_start(c);
			if (c->state != TW_CTRL_CLI_CLOSED)
				conn_consume(&c->c, TW_CTRL_SERVER_START_LEN, now);
			continue;
		default:
			break;
		}
		if (c->c.rx_len < TW_CTRL_BLOCK)
			return;
		if (conn_decrypt(&c->c, TW_CTRL_BLOCK) != 0) {
			cli_fail(c, TW_CTRL_CLOSE_INTERNAL);
			return;
		}
		p = pend_head(c);
		len = reply_len(c, p);
		if (len == 0 || c->c.rx_len < len)
			return;
		if (conn_decrypt(&c->c, len) != 0) {
			cli_fail(c, TW_CTRL_CLOSE_INTERNAL);
			return;
		}
		if (conn_verify(&c->c, c->c.rx, len) != 0) {
			cli_fail(c, TW_CTRL_CLOSE_BAD_HMAC);
			return;
		}
		if (p == NULL) {
			handle_server_stop(c);
		} else {
			switch (p->type) {
			case PEND_ACCEPT:
				handle_accept(c, p->arg);
				break;
			case PEND_START_ACK:
				handle_start_ack(c);
				break;
			default:
				handle_n_ack(c, len);
				break;
			}
			pend_pop(c);
		}
		if (c->state == TW_CTRL_CLI_CLOSED)
			return;
		conn_consume(&c->c, len, now);
	}
}

static uint64_t
after(uint64_t t, uint64_t d)
{
	return d == 0 ? UINT64_MAX : deadline_add(t, d);
}

uint64_t
tw_ctrl_cli_deadline(const struct tw_ctrl_cli *c)
{
	uint64_t d = UINT64_MAX, t;

	switch (c->state) {
	case TW_CTRL_CLI_GREETING:
	case TW_CTRL_CLI_SERVER_START:
		return after(c->t_step, c->conf.step_timeout_ns);
	case TW_CTRL_CLI_READY:
		if (c->pend_len > 0)
			d = after(c->pend[c->pend_head].sent, c->conf.step_timeout_ns);
		if (c->c.rx_len > 0) {
			t = after(c->c.rx_since, c->conf.step_timeout_ns);
			d = t < d ? t : d;
		}
		return d;
	default:
		return UINT64_MAX;
	}
}

int
tw_ctrl_cli_tick(struct tw_ctrl_cli *c, uint64_t now)
{
	if (c == NULL)
		return -EINVAL;
	if (!c->armed) {
		/* The greeting deadline runs from the first call that brings a `now`. */
		c->armed = true;
		c->t_step = now;
	}
	if (c->state != TW_CTRL_CLI_CLOSED && now >= tw_ctrl_cli_deadline(c))
		cli_fail(c, TW_CTRL_CLOSE_TIMEOUT);
	return 0;
}

int
tw_ctrl_cli_input(struct tw_ctrl_cli *c, const uint8_t *in, size_t len, uint64_t now,
		  struct tw_ctrl_out *out)
{
	size_t off = 0, took, before;

	if (c == NULL || (in == NULL && len > 0))
		return -EINVAL;
	if (c->state == TW_CTRL_CLI_CLOSED)
		return -EPIPE;
	if (!out_room(out, TW_CTRL_SETUP_LEN))
		return -ENOBUFS;
	(void)tw_ctrl_cli_tick(c, now);
	if (c->state == TW_CTRL_CLI_CLOSED)
		return 0;
	do {
		took = conn_feed(&c->c, in + off, len - off, now);
		off += took;
		before = c->c.rx_len;
		cli_process(c, now, out);
		if (c->state == TW_CTRL_CLI_CLOSED)
			return 0;
		if (off < len && took == 0 && c->c.rx_len == before) {
			cli_fail(c, TW_CTRL_CLOSE_OVERFLOW);
			return 0;
		}
	} while (off < len);
	return 0;
}

/* Common checks of the command calls. */
static int
cmd_ready(struct tw_ctrl_cli *c, const struct tw_ctrl_out *out, size_t len, bool owes)
{
	if (c == NULL || c->state != TW_CTRL_CLI_READY)
		return -EINVAL;
	if (!out_room(out, len))
		return -ENOBUFS;
	if (owes && c->pend_len == c->pend_cap)
		return -ENOSPC;
	return 0;
}

static int
cmd_send(struct tw_ctrl_cli *c, size_t len, struct tw_ctrl_out *out)
{
	int rc = conn_send(&c->c, c->c.tx, len, out);

	if (rc == -EIO)
		cli_fail(c, TW_CTRL_CLOSE_INTERNAL);
	return rc;
}

int
tw_ctrl_cli_request(struct tw_ctrl_cli *c, const struct tw_ctrl_session_params *p,
		    uint64_t now, struct tw_ctrl_out *out)
{
	struct tw_ctrl_request m;
	uint32_t idx;
	int rc;

	rc = cmd_ready(c, out, TW_CTRL_REQUEST_LEN, true);
	if (rc != 0)
		return rc;
	if (p == NULL || (p->ipvn != 4 && p->ipvn != 6))
		return -EINVAL;
	for (idx = 0; idx < c->conf.max_sessions; idx++) {
		if (c->sess[idx].state == TW_CTRL_CLI_SESS_FREE ||
		    c->sess[idx].state == TW_CTRL_CLI_SESS_REFUSED ||
		    c->sess[idx].state == TW_CTRL_CLI_SESS_STOPPED)
			break;
	}
	if (idx == c->conf.max_sessions)
		return -ENOSPC;
	/* RFC 5357 §3.5: Conf-Sender, Conf-Receiver, Schedule Slots, Packets and SID are 0. */
	memset(&m, 0, sizeof(m));
	m.ipvn = p->ipvn;
	m.sender_port = p->sender_port;
	m.receiver_port = p->receiver_port;
	memcpy(m.sender_addr, p->sender_addr, sizeof(m.sender_addr));
	memcpy(m.receiver_addr, p->receiver_addr, sizeof(m.receiver_addr));
	m.padding_len = p->padding_len;
	m.start_time = p->start_time;
	m.timeout = p->timeout;
	m.type_p = p->type_p;
	if (c->c.mode & TW_CTRL_MODE_REFLECT_OCTETS) {
		m.octets_reflected = p->octets_reflected;
		m.padding_reflect = p->padding_reflect;
	}
	tw_ctrl_request_encode(&m, c->c.tx, TW_CTRL_REQUEST_LEN);
	rc = cmd_send(c, TW_CTRL_REQUEST_LEN, out);
	if (rc != 0)
		return rc;
	memset(&c->sess[idx], 0, sizeof(c->sess[idx]));
	c->sess[idx].state = TW_CTRL_CLI_SESS_REQUESTED;
	c->sess[idx].p = *p;
	if (!(c->c.mode & TW_CTRL_MODE_REFLECT_OCTETS))
		c->sess[idx].p.octets_reflected = c->sess[idx].p.padding_reflect = 0;
	pend_push(c, PEND_ACCEPT, idx, now);
	return (int)idx;
}

int
tw_ctrl_cli_start(struct tw_ctrl_cli *c, uint64_t now, struct tw_ctrl_out *out)
{
	struct tw_ctrl_cmd m = { .command = TW_CTRL_CMD_START };
	int rc;

	rc = cmd_ready(c, out, TW_CTRL_START_LEN, true);
	if (rc != 0)
		return rc;
	tw_ctrl_start_encode(&m, c->c.tx, TW_CTRL_START_LEN);
	rc = cmd_send(c, TW_CTRL_START_LEN, out);
	if (rc == 0)
		pend_push(c, PEND_START_ACK, 0, now);
	return rc;
}

int
tw_ctrl_cli_stop(struct tw_ctrl_cli *c, uint8_t accept, uint64_t now, struct tw_ctrl_out *out)
{
	struct tw_ctrl_cmd m = { .command = TW_CTRL_CMD_STOP, .accept = accept };
	uint32_t n = 0;
	int rc;

	(void)now;
	rc = cmd_ready(c, out, TW_CTRL_STOP_LEN, false);
	if (rc != 0)
		return rc;
	for (uint32_t i = 0; i < c->conf.max_sessions; i++) {
		/* The server would stop a session whose Accept-Session is still on its way,
		 * unknown here: keep the two views equal by refusing to stop meanwhile. */
		if (c->sess[i].state == TW_CTRL_CLI_SESS_REQUESTED)
			return -EBUSY;
		if (c->sess[i].state == TW_CTRL_CLI_SESS_ACCEPTED ||
		    c->sess[i].state == TW_CTRL_CLI_SESS_STARTED)
			n++;
	}
	/* RFC 5357 §3.8: Number of Sessions, every session of the connection. */
	m.nb_sessions = n;
	tw_ctrl_stop_encode(&m, c->c.tx, TW_CTRL_STOP_LEN);
	rc = cmd_send(c, TW_CTRL_STOP_LEN, out);
	if (rc != 0)
		return rc;
	for (uint32_t i = 0; i < c->conf.max_sessions; i++) {
		if (c->sess[i].state == TW_CTRL_CLI_SESS_ACCEPTED ||
		    c->sess[i].state == TW_CTRL_CLI_SESS_STARTED)
			c->sess[i].state = TW_CTRL_CLI_SESS_STOPPED;
	}
	c->c.st.sessions_stopped += n;
	return 0;
}

static int
send_nmsg(struct tw_ctrl_cli *c, uint8_t command, uint8_t accept,
	  const uint8_t (*sids)[TW_CTRL_SID_LEN], uint32_t n, uint64_t now,
	  struct tw_ctrl_out *out)
{
	struct tw_ctrl_nmsg m = {
		.command = command,
		.accept = accept,
		.nb_sessions = n,
		.sids = sids,
	};
	size_t len = tw_ctrl_nmsg_len(n);
	int rc;

	if (c == NULL || sids == NULL || n == 0 || n > c->conf.max_sessions ||
	    c->state != TW_CTRL_CLI_READY)
		return -EINVAL;
	if (!(c->c.mode & TW_CTRL_MODE_ISC))
		return -ENOTSUP;
	rc = cmd_ready(c, out, len, true);
	if (rc != 0)
		return rc;
	tw_ctrl_nmsg_encode(&m, c->c.tx, c->c.rx_cap);
	rc = cmd_send(c, len, out);
	if (rc != 0)
		return rc;
	pend_push(c, command == TW_CTRL_CMD_START_N ? PEND_START_N_ACK : PEND_STOP_N_ACK, n, now);
	return 0;
}

int
tw_ctrl_cli_start_n(struct tw_ctrl_cli *c, const uint8_t (*sids)[TW_CTRL_SID_LEN], uint32_t n,
		    uint64_t now, struct tw_ctrl_out *out)
{
	return send_nmsg(c, TW_CTRL_CMD_START_N, 0, sids, n, now, out);
}

int
tw_ctrl_cli_stop_n(struct tw_ctrl_cli *c, uint8_t accept, const uint8_t (*sids)[TW_CTRL_SID_LEN],
		   uint32_t n, uint64_t now, struct tw_ctrl_out *out)
{
	struct tw_ctrl_cli_session *s;
	int rc;

	rc = send_nmsg(c, TW_CTRL_CMD_STOP_N, accept, sids, n, now, out);
	if (rc != 0)
		return rc;
	/* Stopped from here on, whatever the ack says: no more test packets are sent. */
	for (uint32_t i = 0; i < n; i++) {
		s = find_sess(c, sids[i], TW_CTRL_CLI_SESS_STARTED);
		if (s == NULL)
			s = find_sess(c, sids[i], TW_CTRL_CLI_SESS_ACCEPTED);
		if (s != NULL) {
			s->state = TW_CTRL_CLI_SESS_STOPPED;
			c->c.st.sessions_stopped++;
		}
	}
	return 0;
}

void
tw_ctrl_cli_peer_closed(struct tw_ctrl_cli *c)
{
	cli_fail(c, TW_CTRL_CLOSE_PEER);
}

void
tw_ctrl_cli_close(struct tw_ctrl_cli *c)
{
	cli_fail(c, TW_CTRL_CLOSE_LOCAL);
}

enum tw_ctrl_close
tw_ctrl_cli_closed(const struct tw_ctrl_cli *c)
{
	return c->c.st.close;
}

enum tw_ctrl_cli_state
tw_ctrl_cli_state(const struct tw_ctrl_cli *c)
{
	return c->state;
}

uint32_t
tw_ctrl_cli_mode(const struct tw_ctrl_cli *c)
{
	return c->c.mode;
}

bool
tw_ctrl_cli_ptp(const struct tw_ctrl_cli *c)
{
	return (c->c.mode & TW_CTRL_MODE_PTP) != 0;
}

int
tw_ctrl_cli_server_accept(const struct tw_ctrl_cli *c)
{
	return c->server_accept;
}

uint64_t
tw_ctrl_cli_server_start_time(const struct tw_ctrl_cli *c)
{
	return c->server_start_time;
}

int
tw_ctrl_cli_keys(const struct tw_ctrl_cli *c, struct tw_ctrl_keys *keys)
{
	if (!c->c.have_keys)
		return -ENOKEY;
	*keys = c->c.keys;
	return 0;
}

const struct tw_ctrl_stats *
tw_ctrl_cli_stats(const struct tw_ctrl_cli *c)
{
	return &c->c.st;
}

const struct tw_ctrl_cli_session *
tw_ctrl_cli_session(const struct tw_ctrl_cli *c, unsigned int idx)
{
	if (idx >= c->conf.max_sessions)
		return NULL;
	return &c->sess[idx];
}
