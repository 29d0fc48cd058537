/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TWAMP-Control server (RFC 5357 §3) on the control lcore: kernel TCP sockets bound to the
 * reflector's addresses on the exception-path interface, one lib/ctrl server state machine per
 * connection, sessions installed in the data plane's table when started and removed when
 * stopped (after their Timeout), when the connection closes or on REFWAIT.
 *
 * Everything here is slow path: non-blocking sockets polled with epoll from the control loop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "ike.h"
#include "log.h"
#include "reflector.h"
#include "tw_ctrl.h"
#include "tw_ctrl_ratelim.h"
#include "tw_ctrl_tports.h"

RTE_LOG_REGISTER(tw_logtype_ctrl, twamp.ctrl, INFO);

/* epoll tags: a user-space pointer (a connection) has neither top bit set. */
#define LISTENER_TAG (UINT64_C(1) << 63)
#define IKE_TAG (UINT64_C(1) << 62)

enum {
	CONN_OUT_CAP = 64 * 1024,	/* replies waiting for the peer to read them */
	MAX_LISTENERS = 2 * TW_CONF_MAX_ADDRS,
	EPOLL_BATCH = 32,
};

struct ctrl_conn {
	uint64_t id;			/* unique: names the connection to the IKE key provider */
	int fd;
	struct tw_ctrl_srv *srv;
	struct tw_ctrl_addr peer;
	struct tw_ctrl_addr local;
	char peer_txt[INET6_ADDRSTRLEN + 8];
	struct twr_session **sess;	/* accepted sessions, started or not */
	unsigned int nb_sess;
	unsigned int find_hint;		/* where the next SID is likely (Start/Stop go in order) */
	uint64_t next_stop;		/* earliest stop_deadline of its sessions, 0: none */
	bool dead;			/* closed: flush, then free */
	uint8_t ike_spi_i[8];		/* the SA of a mode-128 lookup (for the log) */
	uint8_t ike_spi_r[8];
	size_t ike_spi_len;
	size_t out_len;
	uint8_t out[CONN_OUT_CAP];
};

struct ctrl {
	struct twr_app *app;
	int epfd;
	int listeners[MAX_LISTENERS];
	unsigned int nb_listeners;
	struct ctrl_conn **conns;
	unsigned int nb_conns;
	unsigned int conns_cap;		/* slots in conns: control.max_connections, grown on reload */
	struct tw_ctrl_tports *tports;	/* 5-tuples of the accepted sessions: test ports shared */
	unsigned int nb_sessions;	/* accepted, all connections */
	struct tw_ctrl_srv_conf srv_conf;
	uint64_t next_conn_id;
	struct tw_ratelim ratelim;	/* new connections per source */
	struct twr_ctrl_stats st;
};

static struct ctrl ctl = { .epfd = -1 };

static_assert((int)TW_CONF_MAX_PORT_RANGES <= (int)TW_CTRL_TPORTS_MAX_RANGES,
	      "every control.test_ports range fits the tports set");

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * TW_TS_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static uint64_t
ntp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return tw_ts_ntp_from_unix_ns((uint64_t)ts.tv_sec * TW_TS_NSEC_PER_SEC +
				      (uint64_t)ts.tv_nsec);
}

/* NTP-format interval (RFC 5357 §3.5 Timeout) to ns, saturating. */
static uint64_t
ntp_interval_ns(uint64_t ntp)
{
	unsigned __int128 ns = ((unsigned __int128)ntp * TW_TS_NSEC_PER_SEC) >> 32;

	return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

/* KeyIDs are not secret (they travel in the clear); the secret is copied, never logged. */
static int
cb_key_lookup(void *arg, const uint8_t keyid[TW_CTRL_KEYID_LEN], uint8_t *secret,
	      size_t *secret_len)
{
	const struct tw_conf *c = ctl.app->conf;
	struct ctrl_conn *conn = arg;

	for (unsigned int i = 0; i < c->nb_keys; i++) {
		uint8_t id[TW_CTRL_KEYID_LEN] = { 0 };

		/* RFC 4656 §3.1: KeyID is a UTF-8 string, zero-padded to 80 octets. */
		memcpy(id, c->keys[i].id, strnlen(c->keys[i].id, sizeof(id)));
		if (memcmp(id, keyid, sizeof(id)) != 0)
			continue;
		if (c->keys[i].secret_len > *secret_len)
			return -ENOSPC;
		memcpy(secret, c->keys[i].secret, c->keys[i].secret_len);
		*secret_len = c->keys[i].secret_len;
		return 0;
	}
	ctl.st.unknown_keyid++;
	CTRL_LOG(NOTICE, "%s: unknown KeyID", conn->peer_txt);
	return -ENOENT;
}

static void
spis_txt(char *buf, size_t len, const uint8_t *spi_i, const uint8_t *spi_r, size_t spi_len)
{
	size_t o = 0;

	for (size_t i = 0; i < spi_len && o + 3 < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%02x", spi_i[i]);
	o += (size_t)snprintf(buf + o, len - o, " SPIr ");
	for (size_t i = 0; i < spi_len && o + 3 < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%02x", spi_r[i]);
}

/*
 * RFC 7717 mode 128: the shared secret of the IKE SA named by the SPIs, PRF(SK_d, "IPPM"), from
 * the configured key provider (ike.c): at once (static) or later through ike_done() (the IKE
 * daemon). An unknown SA MUST be logged (draft-ietf-ippm-ipsec §5.3); lib/ctrl then answers
 * Server-Start with Accept 6. A provider failure is Accept 2 (internal error): the SA may well
 * exist, so "no SA" would mislead the client.
 */
static void
ike_log_result(struct ctrl_conn *conn, int status, const char *prf)
{
	char txt[80];

	spis_txt(txt, sizeof(txt), conn->ike_spi_i, conn->ike_spi_r, conn->ike_spi_len);
	if (status == 0) {
		CTRL_LOG(INFO, "%s: IKEv2-derived key for SPIi %s from the %s provider%s%s",
			 conn->peer_txt, txt, twr_ike_provider_name(), prf ? ", PRF " : "",
			 prf ? prf : "");
	} else if (status == -ENOENT) {
		ctl.st.unknown_ike_sa++;
		CTRL_LOG(NOTICE, "%s: no IKE SA with SPIi %s (Accept 6)", conn->peer_txt, txt);
	} else {
		ctl.st.ike_failed++;
		CTRL_LOG(WARNING, "%s: IKE key lookup for SPIi %s failed: %s (Accept 2)",
			 conn->peer_txt, txt,
			 status == -EHOSTDOWN ? "IKE daemon unreachable" :
			 status == -ETIMEDOUT ? "IKE daemon did not answer in time" :
			 status == -ECONNRESET ? "IKE daemon closed the connection" :
			 status == -EIO ? "IKE daemon reported an error" :
			 status == -EBADMSG ? "malformed answer from the IKE daemon" :
			 strerror(-status));
	}
}

static int
cb_ike_lookup(void *arg, const uint8_t *spi_i, const uint8_t *spi_r, size_t spi_len,
	      uint8_t *secret, size_t *secret_len)
{
	struct ctrl_conn *conn = arg;
	int ret;

	memcpy(conn->ike_spi_i, spi_i, spi_len);
	memcpy(conn->ike_spi_r, spi_r, spi_len);
	conn->ike_spi_len = spi_len;
	ret = twr_ike_lookup(conn->id, spi_i, spi_r, spi_len, secret, secret_len, mono_ns());
	if (ret != -EINPROGRESS)
		ike_log_result(conn, ret, NULL);
	return ret == -ENOENT || ret == -EINPROGRESS || ret == 0 ? ret : -EIO;
}

static bool conn_flush(struct ctrl_conn *conn);
static struct tw_ctrl_out conn_out(struct ctrl_conn *conn);

/* The IKE daemon answered (or failed) a lookup of connection `tag`, if it is still there. */
static void
ike_done(void *arg, uint64_t tag, int status, const uint8_t *secret, size_t len, const char *prf)
{
	struct ctrl_conn *conn = NULL;
	struct tw_ctrl_out out;

	(void)arg;
	for (unsigned int i = 0; i < ctl.nb_conns && conn == NULL; i++)
		if (ctl.conns[i]->id == tag && !ctl.conns[i]->dead)
			conn = ctl.conns[i];
	if (conn == NULL || tw_ctrl_srv_state(conn->srv) != TW_CTRL_SRV_KEY_WAIT)
		return;		/* the client left meanwhile: the secret is dropped (wiped) */
	ike_log_result(conn, status, prf);
	out = conn_out(conn);
	tw_ctrl_srv_key_result(conn->srv, status == 0 || status == -ENOENT ? status : -EIO, secret,
			       len, mono_ns(), &out);
	conn->out_len = out.len;
	if (!conn_flush(conn))
		tw_ctrl_srv_close(conn->srv);
}

static void
tuple_of(const struct twr_session *s, struct tw_ctrl_tuple *tu)
{
	size_t alen = s->key.family == 6 ? 16 : 4;

	memset(tu, 0, sizeof(*tu));
	tu->family = s->key.family;
	memcpy(tu->sender, s->key.src, alen);
	memcpy(tu->receiver, s->key.dst, alen);
	tu->sender_port = s->key.sport;
	tu->receiver_port = s->key.dport;
}

static bool
addr_is_ours(const struct tw_ctrl_addr *a)
{
	const struct tw_refl_match *m = ctl.app->match;

	if (a->family == 4) {
		for (unsigned int i = 0; i < m->nb_v4; i++)
			if (memcmp(m->v4[i], a->addr, 4) == 0)
				return true;
	} else {
		for (unsigned int i = 0; i < m->nb_v6; i++)
			if (memcmp(m->v6[i], a->addr, 16) == 0)
				return true;
	}
	return false;
}

/*
 * A session of the connection by SID. Start-Sessions and Stop-Sessions list the SIDs in the order
 * they were accepted, which is the order of conn->sess until a session is dropped: searching
 * from where the last one was found makes a Start of n sessions cost O(n), not O(n^2).
 */
static struct twr_session *
conn_find(struct ctrl_conn *conn, const uint8_t sid[16])
{
	for (unsigned int k = 0; k < conn->nb_sess; k++) {
		unsigned int i = (conn->find_hint + k) % conn->nb_sess;

		if (memcmp(conn->sess[i]->sid, sid, 16) == 0) {
			conn->find_hint = i + 1;
			return conn->sess[i];
		}
	}
	return NULL;
}

/* Take session i off the connection and out of the data plane; its keys are wiped. */
static void
conn_drop_session(struct ctrl_conn *conn, unsigned int i)
{
	struct twr_session *s = conn->sess[i];
	struct tw_ctrl_tuple tu;

	tuple_of(s, &tu);
	tw_ctrl_tports_put(ctl.tports, &tu);
	ctl.nb_sessions--;
	if (s->started)
		ctl.st.sessions_removed++;
	twr_session_remove(ctl.app, s);
	conn->sess[i] = conn->sess[--conn->nb_sess];
}

/*
 * RFC 5357 §3.5: decide a Request-TW-Session. lib/ctrl has validated the message; here the
 * appliance's own limits and resources: total sessions, a test port, an address of ours.
 *
 * The data plane knows a session by its 5-tuple, so sessions share test ports: the port is the
 * one asked for when it is a test port not already used by a session from the same sender
 * address and port, else one we pick (RFC 5357 §3.6: Accept-Session carries the port the
 * Session-Reflector uses), round robin over control.test_ports (tw_ctrl_tports). Refused
 * (Accept 5, refused_port) only when this sender address and port already has a session on
 * every test port.
 */
static void
cb_session_request(void *arg, const struct tw_ctrl_session_req *req,
		   struct tw_ctrl_session_answer *ans)
{
	const struct tw_conf *c = ctl.app->conf;
	struct ctrl_conn *conn = arg;
	struct twr_session *s;
	struct tw_ctrl_tuple tu = { .family = req->ipvn, .sender_port = req->sender_port };
	enum tw_ctrl_test_mode tm;
	uint16_t port;
	size_t alen = req->ipvn == 6 ? 16 : 4;

	if (!addr_is_ours(&req->receiver)) {
		/* A reflector answers only at its own addresses. */
		ans->accept = TW_CTRL_ACCEPT_NOT_SUPPORTED;
		ctl.st.refused_address++;
		return;
	}
	/*
	 * A stopped session stays here for its Timeout after lib/ctrl has let go of it (RFC 5938
	 * Stop-N, then a new request), so the connection's own array is checked too.
	 */
	if (ctl.nb_sessions >= c->control_max_sessions ||
	    conn->nb_sess >= c->control_max_sessions_per_conn) {
		ans->accept = TW_CTRL_ACCEPT_TEMP_LIMIT;
		ctl.st.refused_limit++;
		return;
	}
	memcpy(tu.sender, req->sender.addr, alen);
	memcpy(tu.receiver, req->receiver.addr, alen);
	port = tw_ctrl_tports_take(ctl.tports, &tu, req->receiver_port);
	if (port == 0) {
		ans->accept = TW_CTRL_ACCEPT_TEMP_LIMIT;
		ctl.st.refused_port++;
		return;
	}
	tm = tw_ctrl_test_mode(req->mode);
	tu.receiver_port = port;
	s = rte_zmalloc("twr_session", sizeof(*s), RTE_CACHE_LINE_SIZE);
	if (s == NULL) {
		tw_ctrl_tports_put(ctl.tports, &tu);
		ans->accept = TW_CTRL_ACCEPT_INTERNAL;
		return;
	}
	s->key.family = req->ipvn;
	memcpy(s->key.src, req->sender.addr, alen);
	memcpy(s->key.dst, req->receiver.addr, alen);
	s->key.sport = req->sender_port;
	s->key.dport = port;
	memcpy(s->sid, req->sid, sizeof(s->sid));
	s->mode = tm == TW_CTRL_TEST_AUTH ? TWR_SESS_AUTH :
		  tm == TW_CTRL_TEST_ENCRYPTED ? TWR_SESS_ENC : TWR_SESS_UNAUTH;
	s->timeout_ns = ntp_interval_ns(req->timeout);
	/*
	 * RFC 6038: with Symmetrical Size (64) the sender's padding already starts where the
	 * answer's does; with Reflect Octets (32) alone, the octets to reflect must move there.
	 */
	s->symmetrical = (req->mode & TW_CONF_MODE_SYMMETRICAL) != 0;
	/* RFC 8186 §2: with Modes bit 512 negotiated, T2/T3 are PTPv2 (Z = 1), else NTP. */
	s->ptp = (req->mode & TW_CTRL_MODE_PTP) != 0;
	if ((req->mode & TW_CONF_MODE_REFLECT_OCTETS) && !s->symmetrical)
		s->reflect_len = req->padding_reflect;
	s->owner = conn;
	if (s->mode != TWR_SESS_UNAUTH && twr_session_keys(ctl.app, s, conn->srv) < 0) {
		tw_ctrl_tports_put(ctl.tports, &tu);
		rte_free(s);
		ans->accept = TW_CTRL_ACCEPT_INTERNAL;
		return;
	}
	conn->sess[conn->nb_sess++] = s;
	ctl.nb_sessions++;
	ctl.st.sessions_accepted++;
	ans->port = port;
}

static void
on_start(struct ctrl_conn *conn, const struct tw_ctrl_event *ev)
{
	for (uint32_t i = 0; i < ev->nb_sids; i++) {
		struct twr_session *s = conn_find(conn, ev->sids[i]);
		int ret;

		if (s == NULL || s->started)
			continue;
		ret = twr_session_install(ctl.app, s);
		if (ret < 0) {
			CTRL_LOG(ERR, "%s: cannot install a session: %s", conn->peer_txt,
				 strerror(-ret));
			continue;
		}
		s->started = true;
		ctl.st.sessions_started++;
	}
}

/*
 * Stop-Sessions: RFC 5357 §3.8 lets packets still in flight arrive within the session's
 * Timeout, so a stopped session keeps reflecting until then.
 */
static void
on_stop(struct ctrl_conn *conn, const struct tw_ctrl_event *ev)
{
	uint64_t now = rte_get_tsc_cycles();

	for (uint32_t i = 0; i < ev->nb_sids; i++) {
		struct twr_session *s = conn_find(conn, ev->sids[i]);
		uint64_t t;

		if (s == NULL || s->stop_deadline != 0)
			continue;
		t = s->timeout_ns / 1000 * (rte_get_tsc_hz() / 1000000);
		s->stop_deadline = now + (t ? t : 1);
		if (conn->next_stop == 0 || s->stop_deadline < conn->next_stop)
			conn->next_stop = s->stop_deadline;
	}
}

static void
cb_event(void *arg, const struct tw_ctrl_event *ev)
{
	struct ctrl_conn *conn = arg;

	switch (ev->type) {
	case TW_CTRL_EV_START:
		if (ev->accept == TW_CTRL_ACCEPT_OK)
			on_start(conn, ev);
		break;
	case TW_CTRL_EV_STOP:
		on_stop(conn, ev);
		break;
	case TW_CTRL_EV_CLOSE:
		conn->dead = true;
		ctl.st.closed[ev->reason < TW_CTRL_CLOSE_MAX ? ev->reason : 0]++;
		if (ev->reason != TW_CTRL_CLOSE_PEER && ev->reason != TW_CTRL_CLOSE_LOCAL)
			CTRL_LOG(NOTICE, "%s: closing: %s", conn->peer_txt,
				 tw_ctrl_close_str(ev->reason));
		break;
	default:
		break;
	}
}

static void
sockaddr_to(const struct sockaddr_storage *ss, struct tw_ctrl_addr *a, char *txt, size_t len)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		a->family = 4;
		memcpy(a->addr, &s4->sin_addr, 4);
		if (txt != NULL) {
			inet_ntop(AF_INET, &s4->sin_addr, txt, (socklen_t)len);
			snprintf(txt + strlen(txt), len - strlen(txt), ":%u", ntohs(s4->sin_port));
		}
	} else {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		a->family = 6;
		memcpy(a->addr, &s6->sin6_addr, 16);
		if (txt != NULL) {
			txt[0] = '[';
			inet_ntop(AF_INET6, &s6->sin6_addr, txt + 1, (socklen_t)len - 1);
			snprintf(txt + strlen(txt), len - strlen(txt), "]:%u",
				 ntohs(s6->sin6_port));
		}
	}
}

static void
conn_free(struct ctrl_conn *conn, unsigned int idx)
{
	const struct tw_ctrl_stats *ls = tw_ctrl_srv_stats(conn->srv);

	for (int r = 0; ls != NULL && r < TW_CTRL_REFUSE_MAX; r++)
		ctl.st.refused[r] += ls->refused[r];
	while (conn->nb_sess > 0)
		conn_drop_session(conn, conn->nb_sess - 1);
	tw_ctrl_srv_free(conn->srv);	/* wipes the control session keys */
	if (conn->fd >= 0) {
		epoll_ctl(ctl.epfd, EPOLL_CTL_DEL, conn->fd, NULL);
		close(conn->fd);
	}
	rte_free(conn->sess);
	rte_free(conn);
	ctl.conns[idx] = ctl.conns[--ctl.nb_conns];
}

/* Send what is queued; @return false when the connection is broken. */
static bool
conn_flush(struct ctrl_conn *conn)
{
	size_t done = 0;

	while (done < conn->out_len) {
		ssize_t n = send(conn->fd, conn->out + done, conn->out_len - done,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return false;
		}
		done += (size_t)n;
	}
	memmove(conn->out, conn->out + done, conn->out_len - done);
	conn->out_len -= done;
	return true;
}

static struct tw_ctrl_out
conn_out(struct ctrl_conn *conn)
{
	return (struct tw_ctrl_out){ .buf = conn->out, .cap = sizeof(conn->out),
				     .len = conn->out_len };
}

static void
conn_read(struct ctrl_conn *conn, uint64_t now)
{
	uint8_t buf[4096];

	for (;;) {
		struct tw_ctrl_out out = conn_out(conn);
		size_t room = out.cap - out.len, reserve = tw_ctrl_srv_out_reserve(conn->srv);
		ssize_t n;

		/* Backpressure: a peer that does not read its answers is not read either. */
		if (room <= reserve + 64)
			return;
		n = recv(conn->fd, buf, RTE_MIN(sizeof(buf), room - reserve), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				tw_ctrl_srv_close(conn->srv);
			return;
		}
		if (n == 0) {
			tw_ctrl_srv_peer_closed(conn->srv);
			return;
		}
		tw_ctrl_srv_input(conn->srv, buf, (size_t)n, now, &out);
		conn->out_len = out.len;
		if (tw_ctrl_srv_closed(conn->srv))
			return;
	}
}

static unsigned int
conns_from(const struct tw_ctrl_addr *peer)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < ctl.nb_conns; i++)
		if (ctl.conns[i]->peer.family == peer->family &&
		    memcmp(ctl.conns[i]->peer.addr, peer->addr, 16) == 0)
			n++;
	return n;
}

/*
 * A refused connection, for the operator: at most one line a second, with how many were refused
 * since the last one, so a flood cannot flood the log.
 */
static void
refused_log(const struct sockaddr_storage *ss, const uint64_t *why)
{
	static uint64_t last_ns, quiet;
	struct tw_ctrl_addr a;
	char txt[INET6_ADDRSTRLEN + 8];
	uint64_t now = mono_ns();

	if (now - last_ns < TW_TS_NSEC_PER_SEC) {
		quiet++;
		return;
	}
	sockaddr_to(ss, &a, txt, sizeof(txt));
	CTRL_LOG(NOTICE, "%s: connection refused: %s (%" PRIu64 " more refused in the last second)",
		 txt, why == &ctl.st.conns_refused_total ? "control.max_connections" :
		 why == &ctl.st.conns_refused_source ? "control.max_connections_per_source" :
		 "control.connection_rate_per_source", quiet);
	last_ns = now;
	quiet = 0;
}

static void
do_accept(int lfd, uint64_t now)
{
	const struct tw_conf *c = ctl.app->conf;

	for (;;) {
		struct sockaddr_storage ss, ls;
		socklen_t sl = sizeof(ss), ll = sizeof(ls);
		struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET };
		struct ctrl_conn *conn;
		struct tw_ctrl_out out;
		struct tw_ctrl_addr peer;
		uint64_t *refuse;
		int fd, one = 1;

		fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		sockaddr_to(&ss, &peer, NULL, 0);
		/* Limits: refuse before any work or memory is spent on it, and say which. */
		refuse = ctl.nb_conns >= RTE_MIN(c->control_max_conns, ctl.conns_cap) ?
				&ctl.st.conns_refused_total :
			 conns_from(&peer) >= c->control_max_conns_per_source ?
				&ctl.st.conns_refused_source :
			 !tw_ratelim_allow(&ctl.ratelim, peer.family, peer.addr, now) ?
				&ctl.st.conns_refused_rate : NULL;
		if (refuse != NULL) {
			(*refuse)++;
			ctl.st.conns_refused++;
			refused_log(&ss, refuse);
			close(fd);
			continue;
		}
		conn = rte_zmalloc("twr_ctrl_conn", sizeof(*conn), 0);
		if (conn != NULL)
			conn->sess = rte_zmalloc("twr_ctrl_sess", sizeof(*conn->sess) *
						 c->control_max_sessions_per_conn, 0);
		if (conn == NULL || conn->sess == NULL) {
			if (conn != NULL)
				rte_free(conn);
			ctl.st.conns_refused++;
			ctl.st.conns_refused_memory++;
			close(fd);
			continue;
		}
		conn->id = ++ctl.next_conn_id;
		conn->fd = fd;
		conn->peer = peer;
		sockaddr_to(&ss, &conn->peer, conn->peer_txt, sizeof(conn->peer_txt));
		getsockname(fd, (struct sockaddr *)&ls, &ll);
		sockaddr_to(&ls, &conn->local, NULL, 0);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		conn->srv = tw_ctrl_srv_new(&ctl.srv_conf, &conn->peer, &conn->local, conn);
		out = conn_out(conn);
		if (conn->srv == NULL || tw_ctrl_srv_start(conn->srv, now, &out) < 0) {
			tw_ctrl_srv_free(conn->srv);
			rte_free(conn->sess);
			rte_free(conn);
			close(fd);
			ctl.st.conns_refused++;
			ctl.st.conns_refused_memory++;
			continue;
		}
		conn->out_len = out.len;
		ev.data.ptr = conn;
		epoll_ctl(ctl.epfd, EPOLL_CTL_ADD, fd, &ev);
		ctl.conns[ctl.nb_conns++] = conn;
		ctl.st.conns_accepted++;
		CTRL_LOG(INFO, "%s: control connection", conn->peer_txt);
		conn_flush(conn);
	}
}

static int
listen_on(const struct tw_conf_addr *a, uint16_t port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	int fd, one = 1;

	fd = socket(a->family == 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->family == 4) {
		struct sockaddr_in *s4 = (void *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, a->addr, 4);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (void *)&ss;

		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a->addr, 16);
		sl = sizeof(*s6);
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 64) < 0) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	return fd;
}

int
twr_ctrl_init(struct twr_app *app)
{
	const struct tw_conf *c = app->conf;
	struct tw_ctrl_srv_conf *sc = &ctl.srv_conf;

	ctl.app = app;
	if (!c->control_enabled)
		return 0;
	tw_ctrl_srv_conf_defaults(sc);
	/* RFC 8186: offer PTPv2 timestamps (Modes bit 512) unless configured to NTP only. */
	sc->modes = c->control_modes | (c->ts_format != TW_CONF_TS_NTP ? TW_CTRL_MODE_PTP : 0);
	sc->count = c->control_count;
	/*
	 * lib/ctrl holds at most TW_CTRL_MAX_SESSIONS (1,024) per connection, the most one
	 * Start-N-Sessions may list: 100,000 sessions take at least 98 connections.
	 */
	sc->max_sessions = RTE_MIN(c->control_max_sessions_per_conn,
				   (unsigned int)TW_CTRL_MAX_SESSIONS);
	if (sc->max_sessions < c->control_max_sessions_per_conn)
		CTRL_LOG(NOTICE, "control.max_sessions_per_connection %u: at most %u per "
			 "connection", c->control_max_sessions_per_conn, sc->max_sessions);
	sc->max_padding = c->control_max_padding;
	sc->step_timeout_ns = (uint64_t)c->control_handshake_timeout_s * TW_TS_NSEC_PER_SEC;
	sc->refwait_ns = (uint64_t)c->control_refwait_s * TW_TS_NSEC_PER_SEC;
	sc->servwait_ns = (uint64_t)c->control_refwait_s * TW_TS_NSEC_PER_SEC;
	sc->start_time = ntp_now();
	sc->start_mono_ns = mono_ns();
	for (unsigned int i = 0; i < c->nb_addrs; i++) {
		if (c->addrs[i].family == 4) {
			memcpy(sc->sid_ipv4, c->addrs[i].addr, 4);
			break;
		}
	}
	sc->ops.random = tw_ctrl_getrandom;
	sc->ops.key_lookup = cb_key_lookup;
	sc->ops.session_request = cb_session_request;
	sc->ops.event = cb_event;

	{
		uint32_t key;

		if (tw_ctrl_getrandom(NULL, (uint8_t *)&key, sizeof(key)) != 0)
			key = (uint32_t)mono_ns();
		tw_ratelim_init(&ctl.ratelim, c->control_conn_rate, c->control_conn_burst, key);
	}
	{
		struct tw_ctrl_port_range r[TW_CONF_MAX_PORT_RANGES];
		uint64_t key;

		for (unsigned int i = 0; i < c->nb_control_test_ports; i++) {
			r[i].lo = c->control_test_ports[i].lo;
			r[i].hi = c->control_test_ports[i].hi;
		}
		if (tw_ctrl_getrandom(NULL, (uint8_t *)&key, sizeof(key)) != 0)
			key = rte_get_tsc_cycles();
		ctl.tports = tw_ctrl_tports_new(c->control_max_sessions, r,
						c->nb_control_test_ports, key);
	}
	ctl.conns = rte_zmalloc("twr_conns", sizeof(*ctl.conns) * c->control_max_conns, 0);
	ctl.conns_cap = ctl.conns != NULL ? c->control_max_conns : 0;
	ctl.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ctl.tports == NULL || ctl.conns == NULL || ctl.epfd < 0)
		return -ENOMEM;
	if (c->ike_provider != TW_CONF_IKE_NONE) {
		int ret = twr_ike_init(c, ctl.epfd, IKE_TAG, ike_done, NULL);

		if (ret < 0)
			return ret;
		sc->ike.enable = true;
		sc->ike.layout = c->ike_spi_layout == TW_CONF_SPI_4_4 ? TW_CTRL_SPI_4_4 :
								      TW_CTRL_SPI_8_8;
		sc->ops.ike_lookup = cb_ike_lookup;
	}
	for (unsigned int i = 0; i < c->nb_addrs; i++) {
		struct epoll_event ev = { .events = EPOLLIN };
		char txt[INET6_ADDRSTRLEN];
		int fd = listen_on(&c->addrs[i], c->control_port);

		inet_ntop(c->addrs[i].family == 4 ? AF_INET : AF_INET6, c->addrs[i].addr, txt,
			  sizeof(txt));
		if (fd < 0) {
			CTRL_LOG(ERR, "cannot listen on %s port %u: %s", txt, c->control_port,
				 strerror(-fd));
			return fd;
		}
		/* Tagged with the top bit: a user-space pointer (a connection) never has it. */
		ev.data.u64 = LISTENER_TAG | (uint64_t)fd;
		epoll_ctl(ctl.epfd, EPOLL_CTL_ADD, fd, &ev);
		ctl.listeners[ctl.nb_listeners++] = fd;
		CTRL_LOG(INFO, "TWAMP-Control on %s port %u (modes 0x%x)", txt, c->control_port,
			 sc->modes | (sc->ike.enable ? 128u : 0));
	}
	return 0;
}

/*
 * REFWAIT counts from the last test packet too (RFC 5357 §3.8), not only control messages: tell
 * lib/ctrl when the connection's sessions last received one. Called only when the connection's
 * deadline has come, not on every housekeeping pass: reading each session's last_rx_tsc (a cache
 * line the workers write) ten times a second would cost O(all sessions), 100,000 cache misses a
 * pass at scale.
 */
static void
conn_touch(struct ctrl_conn *conn, uint64_t now, uint64_t tsc)
{
	uint64_t last = 0, ago_us, us_hz = rte_get_tsc_hz() / 1000000;

	for (unsigned int i = 0; i < conn->nb_sess; i++) {
		uint64_t t = __atomic_load_n(&conn->sess[i]->last_rx_tsc, __ATOMIC_RELAXED);

		if (t > last)
			last = t;
	}
	if (last == 0)
		return;
	ago_us = last >= tsc ? 0 : (tsc - last) / (us_hz ? us_hz : 1);
	tw_ctrl_srv_touch(conn->srv, now - RTE_MIN(now, ago_us * 1000));
}

/* Stopped sessions leave the data plane once their Timeout has passed (RFC 5357 §3.8). */
static void
conn_expire(struct ctrl_conn *conn, uint64_t tsc)
{
	uint64_t next = 0;

	if (conn->next_stop == 0 || tsc < conn->next_stop)
		return;
	for (unsigned int j = 0; j < conn->nb_sess;) {
		struct twr_session *s = conn->sess[j];

		if (s->stop_deadline != 0 && tsc >= s->stop_deadline) {
			conn_drop_session(conn, j);
			continue;
		}
		if (s->stop_deadline != 0 && (next == 0 || s->stop_deadline < next))
			next = s->stop_deadline;
		j++;
	}
	conn->next_stop = next;
}

void
twr_ctrl_poll(struct twr_app *app, bool housekeep)
{
	struct epoll_event evs[EPOLL_BATCH];
	uint64_t now, tsc;
	int n;

	if (ctl.epfd < 0)
		return;
	n = epoll_wait(ctl.epfd, evs, EPOLL_BATCH, 0);
	if (n <= 0 && !housekeep)
		return;
	now = mono_ns();
	for (int i = 0; i < n; i++) {
		struct ctrl_conn *conn = evs[i].data.ptr;

		if (evs[i].data.u64 & LISTENER_TAG) {
			do_accept((int)(evs[i].data.u64 & ~LISTENER_TAG), now);
			continue;
		}
		if (evs[i].data.u64 == IKE_TAG) {
			twr_ike_event(evs[i].events);
			continue;
		}
		if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			conn_read(conn, now);
		if (!conn_flush(conn))
			tw_ctrl_srv_close(conn->srv);
	}
	/* Key lookups queued while reading the connections go to the IKE daemon now. */
	twr_ike_service(now, housekeep);
	if (!housekeep)
		goto reap;

	tsc = rte_get_tsc_cycles();
	for (unsigned int i = 0; i < ctl.nb_conns; i++) {
		struct ctrl_conn *conn = ctl.conns[i];
		struct tw_ctrl_out out = conn_out(conn);

		/*
		 * Edge-triggered epoll reports a readable socket once: input left unread while the
		 * peer was not reading its answers (backpressure) is picked up here.
		 */
		if (!conn->dead && tw_ctrl_srv_closed(conn->srv) == TW_CTRL_OPEN)
			conn_read(conn, now);
		if (tw_ctrl_srv_deadline(conn->srv) <= now)
			conn_touch(conn, now, tsc);
		if (tw_ctrl_srv_deadline(conn->srv) <= now) {
			tw_ctrl_srv_tick(conn->srv, now, &out);
			conn->out_len = out.len;
			conn_flush(conn);
		}
		conn_expire(conn, tsc);
	}
reap:
	for (unsigned int i = 0; i < ctl.nb_conns;) {
		struct ctrl_conn *conn = ctl.conns[i];

		if (conn->dead || tw_ctrl_srv_closed(conn->srv) != TW_CTRL_OPEN) {
			conn_flush(conn);	/* a last refusal, best effort */
			CTRL_LOG(INFO, "%s: closed (%s)", conn->peer_txt,
				 tw_ctrl_close_str(tw_ctrl_srv_closed(conn->srv)));
			conn_free(conn, i);
			continue;
		}
		i++;
	}
}

void
twr_ctrl_close(struct twr_app *app)
{
	(void)app;
	while (ctl.nb_conns > 0) {
		tw_ctrl_srv_close(ctl.conns[0]->srv);
		conn_free(ctl.conns[0], 0);
	}
	for (unsigned int i = 0; i < ctl.nb_listeners; i++)
		close(ctl.listeners[i]);
	ctl.nb_listeners = 0;
	if (ctl.epfd >= 0)
		close(ctl.epfd);
	ctl.epfd = -1;
	twr_ike_close();	/* wipes the derived secrets */
	rte_free(ctl.conns);
	tw_ctrl_tports_free(ctl.tports);
	ctl.conns = NULL;
	ctl.conns_cap = 0;
	ctl.tports = NULL;
}

void
twr_ctrl_reload(struct twr_app *app)
{
	const struct tw_conf *c = app->conf;
	struct tw_ctrl_srv_conf *sc = &ctl.srv_conf;

	if (!c->control_enabled)
		return;
	/*
	 * control.max_connections takes effect at once: the connection array must then hold that
	 * many (it was sized for the old value). If it cannot grow, accept stays at the old size.
	 */
	if (c->control_max_conns > ctl.conns_cap) {
		struct ctrl_conn **n = rte_realloc(ctl.conns, sizeof(*n) * c->control_max_conns, 0);

		if (n != NULL) {
			ctl.conns = n;
			ctl.conns_cap = c->control_max_conns;
		} else {
			CTRL_LOG(WARNING, "reload: no memory for %u connections, keeping %u",
				 c->control_max_conns, ctl.conns_cap);
		}
	}
	/* New connections get these; the running ones keep what they started with. */
	sc->max_padding = c->control_max_padding;
	sc->step_timeout_ns = (uint64_t)c->control_handshake_timeout_s * TW_TS_NSEC_PER_SEC;
	sc->refwait_ns = (uint64_t)c->control_refwait_s * TW_TS_NSEC_PER_SEC;
	sc->servwait_ns = (uint64_t)c->control_refwait_s * TW_TS_NSEC_PER_SEC;
	ctl.ratelim.rate = c->control_conn_rate;
	ctl.ratelim.burst = c->control_conn_burst;
	/* KeyIDs are looked up in c->keys at each Set-Up-Response: nothing to copy. The static IKE
	 * SAs are read again (the file may have changed even if its name did not). */
	twr_ike_reload(c);
}

size_t
twr_ctrl_conn_bytes(const struct tw_conf *c)
{
	/* A connection: its state, its reply buffer, its session slots (lib/ctrl's own state is
	 * allocated by tw_ctrl_srv_new on top). */
	return sizeof(struct ctrl_conn) + sizeof(struct twr_session *) *
					       c->control_max_sessions_per_conn;
}

void
twr_ctrl_stats_get(struct twr_ctrl_stats *st, unsigned int *conns, unsigned int *sessions)
{
	*st = ctl.st;
	*conns = ctl.nb_conns;
	*sessions = ctl.nb_sessions;
}
