/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sessload: TWAMP-Control session set-up load against a Session-Reflector (issue 7, "session
 * scale"). C concurrent control connections (non-blocking, one epoll), each driven by lib/ctrl's
 * client state machine (as twamp-client --control does), each asking for S test sessions:
 *
 *   1. connect and handshake every connection (Greeting, Set-Up-Response, Server-Start: RFC 4656
 *      §3.1, with PBKDF2 and the Token in modes 2 and 4);
 *   2. once all are ready (a barrier, so the next phase measures sessions, not handshakes), each
 *      connection pipelines its S Request-TW-Session messages (RFC 5357 §3.5) and reads the
 *      Accept-Session answers (§3.6);
 *   3. Start-Sessions (§3.7) on each, Start-Ack;
 *   4. optionally (--packets) one TWAMP-Test packet per session (RFC 5357 §4.1.2, RFC 4656 §4.1.2
 *      sealed with the session's test keys in modes 2 and 4), whose answer must come back from
 *      the session's port, pass the HMAC check, echo our sequence number and timestamp, and carry
 *      the reflector sequence number of that session's first packet (per-session state);
 *   5. hold for --hold seconds, Stop-Sessions (§3.8), close; with --telemetry, wait until the
 *      reflector holds no session any more.
 *
 * It reports connections/s, sessions/s (first Request to last Accept), the time to start, the
 * test packets' outcome and, with --telemetry PREFIX and --refl-pid PID, the reflector's own view
 * (its session counters, DPDK heap, the control thread's CPU time). Text, or --json.
 *
 * Sender UDP ports: session g of the run uses port --udp-base + g % --udp-ports, so that many
 * sessions share a sender port and the reflector must tell them apart by its test port (the
 * 5-tuple): the point of the exercise. The reflector picks its port (Receiver Port 0).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tw_ctrl.h"
#include "tw_ctrl_crypto.h"
#include "tw_tcrypt.h"
#include "tw_ts.h"

#define UDP_TAG (UINT64_C(1) << 62)

enum {
	RX_BUF = 64 * 1024,
	PKT_CAP = 2048,
	BURST = 64,
	UNAUTH_LEN = 41,		/* RFC 5357 §4.2.1 answer size: ask with as much (padding 27) */
	AUTH_LEN = 112,			/* RFC 5357 §4.2.1 authenticated answer: 48 + padding 64 */
};

enum conn_state {
	C_CONNECTING,
	C_HANDSHAKE,
	C_READY,			/* Server-Start in, waiting for the barrier */
	C_REQUESTING,
	C_STARTING,
	C_STARTED,
	C_STOPPED,
	C_FAILED,
};

struct sess {
	uint32_t conn;
	uint16_t sport;			/* our UDP port */
	uint16_t rport;			/* the reflector's (Accept-Session Port) */
	uint8_t accept;
	uint8_t sent;			/* test packets sent */
	uint8_t answered;
	uint8_t sid[TW_CTRL_SID_LEN];
	uint64_t t1;			/* timestamp of the last packet sent, NTP */
	struct tw_tcrypt_sess *tc;	/* modes 2, 4 with --packets */
};

struct conn {
	uint32_t idx;
	int fd;
	enum conn_state st;
	struct tw_ctrl_cli *cli;
	uint8_t *out;
	size_t out_len, out_cap;
	uint32_t first;			/* index of its first session in the run's array */
	uint32_t nb_acc, nb_ref, nb_answers;
	uint64_t t_connect, t_ready, t_req, t_acc, t_start_sent, t_started;
	enum tw_ctrl_close why;
};

static struct {
	/* options */
	const char *host;
	uint16_t port;
	uint32_t conns;
	uint32_t per_conn;
	uint32_t mode;
	const char *keyid;
	const char *pass;
	bool packets;
	unsigned int retries;
	double hold_s;
	double timeout_s;		/* RFC 5357 §3.5 Timeout asked for */
	double limit_s;
	uint16_t udp_base;
	uint32_t udp_ports;
	const char *tel_prefix;
	long refl_pid;
	bool json;
	unsigned int count;		/* test packets per session or flow */
	uint16_t light_lo, light_hi;	/* --light: TWAMP Light ports, no TWAMP-Control */
	uint32_t flows;
	/* state */
	int family;
	struct sockaddr_storage dst;
	socklen_t dst_len;
	int ep;
	struct conn *c;
	struct sess *s;
	uint32_t nb_s;
	int *udp;
	struct tw_tcrypt_mgr *mgr;
	/* (udp socket, reflector port) -> session + 1, open addressing */
	uint32_t *map;
	uint32_t map_mask;
} g = {
	.port = 862, .conns = 10, .per_conn = 100, .mode = 1, .retries = 2, .timeout_s = 2,
	.limit_s = 600, .udp_base = 30000, .udp_ports = 2048, .refl_pid = -1, .count = 1,
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t
ntp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return tw_ts_ntp_from_unix_ns((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
}

static void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sessload: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* ------------------------------------------------------------------------------------------ */
/* The reflector's side: DPDK telemetry (JSON over a SEQPACKET socket) and /proc. */

/* One telemetry command; @return the reply's length in buf, or -1. */
static int
tel_query(const char *cmd, char *buf, size_t cap)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, n;

	if (g.tel_prefix == NULL)
		return -1;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "/var/run/dpdk/%s/dpdk_telemetry.v2",
		 g.tel_prefix);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    recv(fd, buf, cap - 1, 0) <= 0 ||		/* the greeting */
	    send(fd, cmd, strlen(cmd), 0) < 0 || (n = (int)recv(fd, buf, cap - 1, 0)) <= 0) {
		close(fd);
		return -1;
	}
	close(fd);
	buf[n] = '\0';
	return n;
}

/* A number after "key": in a telemetry reply, -1 if absent. */
static int64_t
tel_num(const char *buf, const char *key)
{
	char pat[96];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(buf, pat);
	return p == NULL ? -1 : strtoll(p + strlen(pat), NULL, 10);
}

struct refl_view {
	bool ok;
	int64_t sessions, in_dp, conns, accepted, refused_port, refused_limit;
	int64_t heap_alloc;		/* DPDK heap 0, octets allocated */
	double cpu_s;			/* control thread utime + stime */
};

static double
refl_cpu(void)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;

	if (g.refl_pid <= 0)
		return -1;
	/* The main thread is the control lcore (its tid is the pid). */
	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/stat", g.refl_pid, g.refl_pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (p == NULL || (p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static struct refl_view
refl_view(void)
{
	static char buf[65536];
	struct refl_view v = { .cpu_s = refl_cpu() };

	if (tel_query("/twamp/control", buf, sizeof(buf)) > 0) {
		v.ok = true;
		v.sessions = tel_num(buf, "sessions");
		v.in_dp = tel_num(buf, "sessions_in_data_plane");
		v.conns = tel_num(buf, "connections");
		v.accepted = tel_num(buf, "sessions_accepted");
		v.refused_port = tel_num(buf, "refused_port");
		v.refused_limit = tel_num(buf, "refused_max_sessions");
	}
	v.heap_alloc = tel_query("/eal/heap_info,0", buf, sizeof(buf)) > 0 ?
		       tel_num(buf, "Alloc_size") : -1;
	return v;
}

/* ------------------------------------------------------------------------------------------ */
/* TWAMP-Control connections */

static void
on_event(void *arg, const struct tw_ctrl_event *ev)
{
	struct conn *c = arg;
	uint64_t t = now_ns();

	switch (ev->type) {
	case TW_CTRL_EV_READY:
		if (ev->accept != TW_CTRL_ACCEPT_OK) {
			c->st = C_FAILED;
			break;
		}
		c->st = C_READY;
		c->t_ready = t;
		break;
	case TW_CTRL_EV_ACCEPT: {
		const struct tw_ctrl_cli_session *cs = tw_ctrl_cli_session(c->cli,
									  (unsigned int)ev->session);
		struct sess *s;

		if (cs == NULL || (uint32_t)ev->session >= g.per_conn)
			break;
		s = &g.s[c->first + (uint32_t)ev->session];
		s->accept = ev->accept;
		if (ev->accept == TW_CTRL_ACCEPT_OK) {
			s->rport = cs->port;
			memcpy(s->sid, cs->sid, sizeof(s->sid));
			c->nb_acc++;
		} else {
			c->nb_ref++;
		}
		c->t_acc = t;
		break;
	}
	case TW_CTRL_EV_START:
		if (c->st == C_STARTING) {
			c->st = ev->accept == TW_CTRL_ACCEPT_OK ? C_STARTED : C_FAILED;
			c->t_started = t;
		}
		break;
	case TW_CTRL_EV_CLOSE:
		if (c->st != C_STOPPED)
			c->st = C_FAILED;
		c->why = ev->reason;
		break;
	default:
		break;
	}
}

static struct tw_ctrl_out
out_of(struct conn *c)
{
	return (struct tw_ctrl_out){ .buf = c->out, .cap = c->out_cap, .len = c->out_len };
}

static void
conn_fail(struct conn *c)
{
	if (c->st != C_STOPPED)
		c->st = C_FAILED;
	if (c->fd >= 0) {
		epoll_ctl(g.ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
}

static void
conn_flush(struct conn *c)
{
	size_t done = 0;

	while (c->fd >= 0 && done < c->out_len) {
		ssize_t n = send(c->fd, c->out + done, c->out_len - done, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				conn_fail(c);
			break;
		}
		done += (size_t)n;
	}
	memmove(c->out, c->out + done, c->out_len - done);
	c->out_len -= done;
}

static void
conn_read(struct conn *c)
{
	static uint8_t buf[RX_BUF];

	while (c->fd >= 0) {
		struct tw_ctrl_out o = out_of(c);
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				conn_fail(c);
			return;
		}
		if (n == 0) {
			tw_ctrl_cli_peer_closed(c->cli);
			conn_fail(c);
			return;
		}
		if (tw_ctrl_cli_input(c->cli, buf, (size_t)n, now_ns(), &o) != 0) {
			conn_fail(c);
			return;
		}
		c->out_len = o.len;
		if (tw_ctrl_cli_closed(c->cli) != TW_CTRL_OPEN) {
			conn_flush(c);
			conn_fail(c);
			return;
		}
	}
}

static int
conn_open(struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET };
	int one = 1;

	c->fd = socket(g.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->t_connect = now_ns();
	if (connect(c->fd, (struct sockaddr *)&g.dst, g.dst_len) < 0 && errno != EINPROGRESS)
		return -errno;
	c->st = C_HANDSHAKE;
	ev.data.ptr = c;
	return epoll_ctl(g.ep, EPOLL_CTL_ADD, c->fd, &ev) < 0 ? -errno : 0;
}

/* Request-TW-Session x S, pipelined (lib/ctrl keeps them outstanding, answered in order). */
static void
conn_request(struct conn *c)
{
	struct tw_ctrl_out o = out_of(c);
	uint64_t now = now_ns();

	c->st = C_REQUESTING;
	c->t_req = now;
	for (uint32_t j = 0; j < g.per_conn; j++) {
		struct sess *s = &g.s[c->first + j];
		struct tw_ctrl_session_params p = {
			.ipvn = g.family == AF_INET6 ? 6 : 4,	/* addresses 0: the connection's */
			.sender_port = s->sport,
			.receiver_port = 0,			/* the reflector picks */
			.padding_len = g.mode == 1 ? UNAUTH_LEN - 14 : AUTH_LEN - 48,
			.start_time = ntp_now(),
			.timeout = (uint64_t)(g.timeout_s * 4294967296.0),
		};

		if (tw_ctrl_cli_request(c->cli, &p, now, &o) < 0) {
			conn_fail(c);
			return;
		}
	}
	c->out_len = o.len;
	conn_flush(c);
}

static void
conn_start(struct conn *c)
{
	struct tw_ctrl_out o = out_of(c);

	if (c->nb_acc == 0) {
		c->st = C_FAILED;
		return;
	}
	c->st = C_STARTING;
	c->t_start_sent = now_ns();
	if (tw_ctrl_cli_start(c->cli, c->t_start_sent, &o) < 0) {
		conn_fail(c);
		return;
	}
	c->out_len = o.len;
	conn_flush(c);
}

static void
conn_stop(struct conn *c)
{
	struct tw_ctrl_out o = out_of(c);

	if (c->fd < 0)
		return;
	if (tw_ctrl_cli_state(c->cli) == TW_CTRL_CLI_READY &&
	    tw_ctrl_cli_stop(c->cli, TW_CTRL_ACCEPT_OK, now_ns(), &o) == 0)
		c->out_len = o.len;
	c->st = C_STOPPED;
	conn_flush(c);
}

/* Test keys (RFC 4656 §4.1.2: from the control session keys and the SID). */
static int
conn_keys(struct conn *c)
{
	struct tw_ctrl_keys k;
	int rc = 0;

	if (g.mode == 1 || !g.packets)
		return 0;
	if (tw_ctrl_cli_keys(c->cli, &k) != 0)
		return -ENOKEY;
	for (uint32_t j = 0; j < g.per_conn && rc == 0; j++) {
		struct sess *s = &g.s[c->first + j];

		if (s->accept != TW_CTRL_ACCEPT_OK)
			continue;
		if (posix_memalign((void **)&s->tc, 64, sizeof(*s->tc)) != 0) {
			s->tc = NULL;
			rc = -ENOMEM;
			break;
		}
		rc = tw_tcrypt_session_init(g.mgr, s->tc, g.mode == 4 ? TW_TCRYPT_MODE_ENC :
					    TW_TCRYPT_MODE_AUTH, 0, k.aes, k.hmac, s->sid);
	}
	tw_ctrl_wipe(&k, sizeof(k));
	return rc;
}

/* Drive the connections until every one is at least in `want` (or failed), or the deadline. */
static bool
pump(enum conn_state want, uint64_t deadline)
{
	struct epoll_event evs[256];

	for (;;) {
		bool done = true;
		int n;

		for (uint32_t i = 0; i < g.conns && done; i++)
			if (g.c[i].st < want)
				done = false;
		if (done)
			return true;
		if (now_ns() >= deadline)
			return false;
		n = epoll_wait(g.ep, evs, 256, 100);
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (evs[i].data.u64 & UDP_TAG)
				continue;
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				conn_read(c);
			if (c->fd >= 0)
				conn_flush(c);
			if (c->st == C_REQUESTING && c->nb_acc + c->nb_ref == g.per_conn)
				conn_start(c);
		}
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Test packets */

static uint32_t
map_hash(uint32_t sock, uint16_t port)
{
	uint64_t k = ((uint64_t)sock << 16 | port) * UINT64_C(0x9e3779b97f4a7c15);

	return (uint32_t)(k >> 32);
}

static void
map_put(uint32_t sock, uint16_t port, uint32_t si)
{
	uint32_t i = map_hash(sock, port) & g.map_mask;

	while (g.map[i] != 0)
		i = (i + 1) & g.map_mask;
	g.map[i] = si + 1;
}

static struct sess *
map_get(uint32_t sock, uint16_t port)
{
	uint32_t i = map_hash(sock, port) & g.map_mask;

	for (; g.map[i] != 0; i = (i + 1) & g.map_mask) {
		struct sess *s = &g.s[g.map[i] - 1];

		if (s->sport == g.udp_base + sock && s->rport == port)
			return s;
	}
	return NULL;
}

struct pkt_result {
	uint64_t sent, answered, lost, bad_hmac, bad_fields, duplicates, foreign, resent, late;
	uint64_t seq_exact;		/* answers whose reflector sequence number is ours */
	double seconds;
};

static int
udp_open(void)
{
	struct rlimit rl;

	/* Every connection and sender port is a descriptor. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	g.udp = calloc(g.udp_ports, sizeof(*g.udp));
	if (g.udp == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < g.udp_ports; i++) {
		struct sockaddr_storage ss = { 0 };
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = UDP_TAG | i };
		int buf = 1 << 20;
		socklen_t sl;
		int fd = socket(g.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return -errno;
		g.udp[i] = fd;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
		if (g.family == AF_INET) {
			struct sockaddr_in *a = (void *)&ss;

			a->sin_family = AF_INET;
			a->sin_port = htons((uint16_t)(g.udp_base + i));
			sl = sizeof(*a);
		} else {
			struct sockaddr_in6 *a = (void *)&ss;

			a->sin6_family = AF_INET6;
			a->sin6_port = htons((uint16_t)(g.udp_base + i));
			sl = sizeof(*a);
		}
		if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
			return -errno;
		if (epoll_ctl(g.ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			return -errno;
	}
	return 0;
}

static void
pkt_send(struct sess *s, bool retry, struct pkt_result *r)
{
	uint8_t pl[AUTH_LEN] = { 0 };
	size_t len = g.mode == 1 ? UNAUTH_LEN : AUTH_LEN;
	struct sockaddr_storage to = g.dst;
	uint32_t sock = s->sport - g.udp_base;

	/* RFC 5357 §4.1.2 / RFC 4656 §4.1.2: Sequence Number, then T1 at 4 (open) or 16. */
	pl[0] = (uint8_t)(s->sent >> 24);
	pl[1] = (uint8_t)(s->sent >> 16);
	pl[2] = (uint8_t)(s->sent >> 8);
	pl[3] = (uint8_t)s->sent;
	s->t1 = ntp_now();
	tw_ts_put64(pl + (g.mode == 1 ? 4 : 16), s->t1);
	if (s->tc != NULL) {
		struct tw_tcrypt_pkt p = { .pl = pl, .sess = s->tc, .len = (uint16_t)len };

		if (tw_tcrypt_seal_burst(g.mgr, TW_TCRYPT_SENDER, &p, 1, NULL) != 1)
			return;
	}
	if (g.family == AF_INET)
		((struct sockaddr_in *)&to)->sin_port = htons(s->rport);
	else
		((struct sockaddr_in6 *)&to)->sin6_port = htons(s->rport);
	if (sendto(g.udp[sock], pl, len, 0, (struct sockaddr *)&to, g.dst_len) == (ssize_t)len) {
		if (retry)
			r->resent++;
		s->sent++;
		r->sent++;
	}
}

static uint16_t
from_port(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port :
						((const struct sockaddr_in6 *)ss)->sin6_port);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Read every answer waiting on sender socket `sock`. */
static void
pkt_recv(uint32_t sock, struct pkt_result *r)
{
	for (;;) {
		uint8_t pl[PKT_CAP];
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(g.udp[sock], pl, sizeof(pl), 0, (struct sockaddr *)&from, &fl);
		struct sess *s;
		size_t off_sseq, off_sts;

		if (n < 0)
			return;
		s = map_get(sock, from_port(&from));
		if (s == NULL) {
			r->foreign++;
			continue;
		}
		if (s->tc != NULL) {
			struct tw_tcrypt_pkt p = { .pl = pl, .sess = s->tc, .len = (uint16_t)n };
			enum tw_tcrypt_verdict v;

			if (n < AUTH_LEN ||
			    tw_tcrypt_verify_burst(g.mgr, TW_TCRYPT_REFLECTOR, &p, 1, &v) != 1) {
				r->bad_hmac++;
				continue;
			}
			off_sseq = TW_TCRYPT_REFL_OFF_SENDER_SEQ;
			off_sts = TW_TCRYPT_REFL_OFF_SENDER_TS;
		} else {
			if (n < UNAUTH_LEN) {
				r->bad_fields++;
				continue;
			}
			off_sseq = 24;		/* RFC 5357 §4.2.1 open layout */
			off_sts = 28;
		}
		/* An answer to an earlier try of a resent packet. */
		if (get32(pl + off_sseq) < (uint32_t)(s->sent - 1)) {
			r->late++;
			continue;
		}
		/* Our last sequence number and T1 back; the reflector's sequence number counts
		 * this session's packets only, from 0 (RFC 5357 §4.2.1). */
		if (get32(pl + off_sseq) != (uint32_t)(s->sent - 1) ||
		    tw_ts_get64(pl + off_sts) != s->t1 || get32(pl) >= s->sent) {
			r->bad_fields++;
			continue;
		}
		if (s->answered) {
			r->duplicates++;
			continue;
		}
		s->answered = 1;
		r->answered++;
		/* Nothing lost before it: the reflector counted exactly our packets. */
		if (get32(pl) == (uint32_t)(s->sent - 1))
			r->seq_exact++;
	}
}

/* Wait up to timeout_ms for answers and read them. @return answers gained. */
static uint64_t
drain(struct pkt_result *r, int timeout_ms)
{
	struct epoll_event evs[BURST];
	uint64_t before = r->answered;
	int n = epoll_wait(g.ep, evs, BURST, timeout_ms);

	for (int i = 0; i < n; i++)
		if (evs[i].data.u64 & UDP_TAG)
			pkt_recv((uint32_t)(evs[i].data.u64 & ~UDP_TAG), r);
	return r->answered - before;
}

/*
 * --count passes; in each, one packet per accepted session (or Light flow), at most `window`
 * unanswered at once (the veth and the reflector's RX ring are not a 100,000-packet buffer);
 * what is still unanswered a second after the last send is sent again, --retries times
 * (counted: resent). Lost: a pass's packets never answered.
 */
static struct pkt_result
packets(void)
{
	struct pkt_result r = { 0 };
	const uint64_t window = 256;
	uint64_t t0 = now_ns();
	uint32_t mapsz = 2;

	while (mapsz < 2 * g.nb_s)
		mapsz <<= 1;
	g.map = calloc(mapsz, sizeof(*g.map));
	if (g.map == NULL)
		return r;
	g.map_mask = mapsz - 1;
	for (uint32_t i = 0; i < g.nb_s; i++)
		if (g.s[i].accept == TW_CTRL_ACCEPT_OK && g.s[i].rport != 0)
			map_put(g.s[i].sport - g.udp_base, g.s[i].rport, i);
	for (unsigned int pass = 0; pass < g.count; pass++) {
		for (uint32_t i = 0; i < g.nb_s; i++)
			g.s[i].answered = 0;
		for (unsigned int round = 0; round <= g.retries; round++) {
			uint64_t sent = 0, ans0 = r.answered, quiet;

			for (uint32_t i = 0; i < g.nb_s; i++) {
				struct sess *s = &g.s[i];

				if (s->accept != TW_CTRL_ACCEPT_OK || s->answered ||
				    (!g.light_lo && g.c[s->conn].st != C_STARTED))
					continue;
				pkt_send(s, round > 0, &r);
				sent++;
				/* Keep the window; no answer for 100 ms: go on, resend later. */
				while (sent - (r.answered - ans0) >= window && drain(&r, 100) > 0)
					;
				if (sent % 64 == 0)
					drain(&r, 0);
			}
			if (sent == 0)
				break;
			quiet = now_ns() + 1000000000u;
			while (r.answered - ans0 < sent && now_ns() < quiet)
				drain(&r, 50);
		}
		for (uint32_t i = 0; i < g.nb_s; i++)
			if (g.s[i].accept == TW_CTRL_ACCEPT_OK && g.s[i].sent > pass &&
			    !g.s[i].answered)
				r.lost++;
	}
	r.seconds = (double)(now_ns() - t0) / 1e9;
	return r;
}

/*
 * --light: TWAMP Light (RFC 5357 Appendix I), no TWAMP-Control: --flows distinct sender 5-tuples
 * (sender port round robin over --udp-ports, reflector port over the Light ports), --count
 * packets each; every answer checked as above, and with nothing lost each flow's reflector
 * sequence numbers must be 0, 1, ...: the reflector keeps one counter per sender 5-tuple.
 */
static int
light_main(void)
{
	static char buf[65536];
	uint32_t nports = (uint32_t)(g.light_hi - g.light_lo) + 1;
	int64_t e0 = -1, e1 = -1, full0 = -1, full1 = -1;
	struct pkt_result r;

	if ((uint64_t)nports * g.udp_ports < g.flows)
		die("--flows %u: only %u sender ports x %u Light ports", g.flows, g.udp_ports, nports);
	g.nb_s = g.flows;
	g.s = calloc(g.nb_s, sizeof(*g.s));
	if (g.s == NULL)
		die("out of memory");
	for (uint32_t i = 0; i < g.flows; i++) {
		/* Flow i: sender port i % U, Light port (i / U) % P: all pairs distinct. */
		g.s[i].sport = (uint16_t)(g.udp_base + i % g.udp_ports);
		g.s[i].rport = (uint16_t)(g.light_lo + (i / g.udp_ports) % nports);
		g.s[i].accept = TW_CTRL_ACCEPT_OK;
	}
	if (tel_query("/twamp/flows", buf, sizeof(buf)) > 0) {
		e0 = tel_num(buf, "entries");
		full0 = tel_num(buf, "full");
	}
	r = packets();
	if (tel_query("/twamp/flows", buf, sizeof(buf)) > 0) {
		e1 = tel_num(buf, "entries");
		full1 = tel_num(buf, "full");
	}
	if (g.json)
		printf("{\"light_flows\": %u, \"count\": %u, \"sent\": %" PRIu64 ", \"answered\": %"
		       PRIu64 ", \"seq_exact\": %" PRIu64 ", \"lost\": %" PRIu64 ", \"resent\": %"
		       PRIu64 ", \"bad_fields\": %" PRIu64 ", \"duplicates\": %" PRIu64
		       ", \"foreign\": %" PRIu64 ", \"late\": %" PRIu64 ", \"seconds\": %.3f"
		       ", \"reflector_flows_before\": %" PRId64 ", \"reflector_flows_after\": %" PRId64
		       ", \"reflector_flow_table_full\": %" PRId64 "}\n", g.flows, g.count, r.sent,
		       r.answered, r.seq_exact, r.lost, r.resent, r.bad_fields, r.duplicates,
		       r.foreign, r.late, r.seconds, e0, e1, full1 - full0);
	else
		printf("sessload: TWAMP Light, %u flows x %u packets to %s ports %u-%u\n"
		       "  %" PRIu64 " answered of %" PRIu64 " sent (%" PRIu64 " resent), %" PRIu64
		       " with the flow's exact reflector sequence number, %" PRIu64 " lost, %" PRIu64
		       " bad fields, %" PRIu64 " duplicates, %" PRIu64 " foreign, %.2f s\n"
		       "  reflector flows: %" PRId64 " before, %" PRId64 " after, table full %" PRId64
		       " times\n", g.flows, g.count, g.host, g.light_lo, g.light_hi, r.answered,
		       r.sent, r.resent, r.seq_exact, r.lost, r.bad_fields, r.duplicates, r.foreign,
		       r.seconds, e0, e1, full1 - full0);
	return r.answered == (uint64_t)g.flows * g.count &&
	       r.seq_exact == (uint64_t)g.flows * g.count && r.lost == 0 ? 0 : 1;
}

/* ------------------------------------------------------------------------------------------ */

static void
usage(void)
{
	fprintf(stderr,
		"usage: sessload [options] REFLECTOR-ADDRESS\n"
		"  -c, --connections N   concurrent TWAMP-Control connections (10)\n"
		"  -s, --sessions N      test sessions per connection, 1..%u (100)\n"
		"  -m, --mode M          1 unauthenticated, 2 authenticated, 4 encrypted (1)\n"
		"  -k, --keyid ID        KeyID (modes 2, 4)\n"
		"      --passphrase P    shared secret (modes 2, 4)\n"
		"  -p, --port N          TWAMP-Control TCP port (862)\n"
		"      --packets         one test packet per session, answer checked\n"
		"      --retries N       resend unanswered test packets N times (2)\n"
		"      --hold SECONDS    keep the sessions this long once started (0)\n"
		"      --timeout SECONDS Timeout asked for each session, RFC 5357 §3.5 (2)\n"
		"      --udp-base PORT   first sender UDP port (30000)\n"
		"      --udp-ports N     sender UDP ports, shared round robin by the sessions (2048)\n"
		"      --telemetry PFX   the reflector's DPDK file prefix: its counters and heap\n"
		"      --refl-pid PID    the reflector's pid: CPU time of its control thread\n"
		"      --limit SECONDS   give up after this long (600)\n"
		"      --count N         test packets per session or flow, in N passes (1)\n"
		"      --light LO-HI     TWAMP Light instead: the reflector's Light ports, no control\n"
		"      --flows N         ... this many distinct sender 5-tuples (with --light)\n"
		"      --json            one JSON object on stdout\n", TW_CTRL_MAX_SESSIONS);
	exit(2);
}

static double
secs(uint64_t a, uint64_t b)
{
	return b > a ? (double)(b - a) / 1e9 : 0;
}

static void
parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "connections", required_argument, NULL, 'c' },
		{ "sessions", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "keyid", required_argument, NULL, 'k' },
		{ "passphrase", required_argument, NULL, 'P' },
		{ "port", required_argument, NULL, 'p' },
		{ "packets", no_argument, NULL, 'T' },
		{ "retries", required_argument, NULL, 'R' },
		{ "hold", required_argument, NULL, 'H' },
		{ "timeout", required_argument, NULL, 'O' },
		{ "udp-base", required_argument, NULL, 'B' },
		{ "udp-ports", required_argument, NULL, 'U' },
		{ "telemetry", required_argument, NULL, 'X' },
		{ "refl-pid", required_argument, NULL, 'I' },
		{ "limit", required_argument, NULL, 'L' },
		{ "json", no_argument, NULL, 'J' },
		{ "count", required_argument, NULL, 'N' },
		{ "light", required_argument, NULL, 'G' },
		{ "flows", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int o;

	while ((o = getopt_long(argc, argv, "c:s:m:k:p:h", lo, NULL)) != -1) {
		switch (o) {
		case 'c': g.conns = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 's': g.per_conn = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'm': g.mode = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'k': g.keyid = optarg; break;
		case 'P': g.pass = optarg; break;
		case 'p': g.port = (uint16_t)strtoul(optarg, NULL, 0); break;
		case 'T': g.packets = true; break;
		case 'R': g.retries = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'H': g.hold_s = strtod(optarg, NULL); break;
		case 'O': g.timeout_s = strtod(optarg, NULL); break;
		case 'B': g.udp_base = (uint16_t)strtoul(optarg, NULL, 0); break;
		case 'U': g.udp_ports = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'X': g.tel_prefix = optarg; break;
		case 'I': g.refl_pid = strtol(optarg, NULL, 0); break;
		case 'L': g.limit_s = strtod(optarg, NULL); break;
		case 'J': g.json = true; break;
		case 'N': g.count = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'F': g.flows = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'G': {
			unsigned int plo, phi;

			if (sscanf(optarg, "%u-%u", &plo, &phi) != 2 || plo == 0 || plo > phi ||
			    phi > 65535)
				die("--light LO-HI");
			g.light_lo = (uint16_t)plo;
			g.light_hi = (uint16_t)phi;
			break;
		}
		default: usage();
		}
	}
	if (optind != argc - 1)
		usage();
	g.host = argv[optind];
	if (g.conns == 0 || g.per_conn == 0 || g.per_conn > TW_CTRL_MAX_SESSIONS)
		die("bad --connections or --sessions (1..1024 per connection)");
	if (g.mode != 1 && g.mode != 2 && g.mode != 4)
		die("--mode must be 1, 2 or 4");
	if (g.mode != 1 && (g.keyid == NULL || g.pass == NULL))
		die("modes 2 and 4 need --keyid and --passphrase");
	if (g.udp_ports == 0 || (uint32_t)g.udp_base + g.udp_ports > 65536)
		die("bad --udp-base/--udp-ports");
}

int
main(int argc, char **argv)
{
	struct tw_ctrl_cli_conf cc;
	struct refl_view before, held, after;
	struct pkt_result pr = { 0 };
	uint64_t t0, t_ready = 0, t_req0 = UINT64_MAX, t_acc1 = 0, t_started = 0, t_stop, t_gone = 0;
	uint64_t deadline;
	uint32_t nb_ready = 0, nb_started = 0, acc = 0, ref = 0;
	double cpu_setup = -1;
	bool gone = false;

	parse(argc, argv);
	memset(&g.dst, 0, sizeof(g.dst));
	if (inet_pton(AF_INET, g.host, &((struct sockaddr_in *)&g.dst)->sin_addr) == 1) {
		g.family = AF_INET;
		((struct sockaddr_in *)&g.dst)->sin_family = AF_INET;
		((struct sockaddr_in *)&g.dst)->sin_port = htons(g.port);
		g.dst_len = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, g.host, &((struct sockaddr_in6 *)&g.dst)->sin6_addr) == 1) {
		g.family = AF_INET6;
		((struct sockaddr_in6 *)&g.dst)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&g.dst)->sin6_port = htons(g.port);
		g.dst_len = sizeof(struct sockaddr_in6);
	} else {
		die("not an IPv4 or IPv6 address: %s", g.host);
	}
	g.ep = epoll_create1(EPOLL_CLOEXEC);
	g.nb_s = g.conns * g.per_conn;
	g.c = calloc(g.conns, sizeof(*g.c));
	g.s = calloc(g.nb_s, sizeof(*g.s));
	if (g.ep < 0 || g.c == NULL || g.s == NULL)
		die("out of memory");
	if (g.light_lo != 0) {
		if (g.flows == 0 || g.count == 0 || g.count > 255)
			die("--light needs --flows N and --count 1..255");
		if (udp_open() < 0)
			die("cannot open the sender UDP ports (--udp-base, --udp-ports): %s",
			    strerror(errno));
		return light_main();
	}
	if (g.count == 0 || g.count > 255)
		die("--count 1..255");
	if (g.mode != 1 && g.packets && (g.mgr = tw_tcrypt_mgr_create(TW_TCRYPT_ARCH_AUTO, 0)) == NULL)
		die("cannot create the IPsec-MB manager");
	if (g.packets && udp_open() < 0)
		die("cannot open the sender UDP ports (--udp-base, --udp-ports): %s", strerror(errno));

	tw_ctrl_cli_conf_defaults(&cc);
	cc.modes = g.mode;
	cc.force_mode = g.mode;
	cc.max_sessions = g.per_conn;
	cc.ops.random = tw_ctrl_getrandom;
	cc.ops.event = on_event;
	if (g.mode != 1) {
		/* RFC 4656 §3.1: KeyID zero-padded; the shared secret is the passphrase. */
		memcpy(cc.keyid, g.keyid, strnlen(g.keyid, sizeof(cc.keyid)));
		cc.secret = (const uint8_t *)g.pass;
		cc.secret_len = strlen(g.pass);
	}
	{
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	for (uint32_t i = 0; i < g.conns; i++) {
		struct conn *c = &g.c[i];

		c->idx = i;
		c->fd = -1;
		c->first = i * g.per_conn;
		/* Every request at once, with its HMAC and a block of padding to spare. */
		c->out_cap = (size_t)g.per_conn * (TW_CTRL_REQUEST_LEN + 32) + 4096;
		c->out = malloc(c->out_cap);
		c->cli = tw_ctrl_cli_new(&cc, c);
		if (c->out == NULL || c->cli == NULL)
			die("out of memory");
		for (uint32_t j = 0; j < g.per_conn; j++) {
			struct sess *s = &g.s[c->first + j];

			s->conn = i;
			s->sport = (uint16_t)(g.udp_base + (c->first + j) % g.udp_ports);
		}
	}

	before = refl_view();
	t0 = now_ns();
	deadline = t0 + (uint64_t)(g.limit_s * 1e9);
	for (uint32_t i = 0; i < g.conns; i++)
		if (conn_open(&g.c[i]) < 0)
			conn_fail(&g.c[i]);
	/* 1. handshakes */
	pump(C_READY, deadline);
	for (uint32_t i = 0; i < g.conns; i++) {
		if (g.c[i].st == C_READY) {
			nb_ready++;
			if (g.c[i].t_ready > t_ready)
				t_ready = g.c[i].t_ready;
		}
	}
	/* 2. requests on every ready connection at once; 3. Start-Sessions as each is done */
	{
		double c0 = refl_cpu();

		for (uint32_t i = 0; i < g.conns; i++)
			if (g.c[i].st == C_READY)
				conn_request(&g.c[i]);
		pump(C_STARTED, deadline);
		if (c0 >= 0)
			cpu_setup = refl_cpu() - c0;
	}
	for (uint32_t i = 0; i < g.conns; i++) {
		struct conn *c = &g.c[i];

		acc += c->nb_acc;
		ref += c->nb_ref;
		if (c->t_req != 0 && c->t_req < t_req0)
			t_req0 = c->t_req;
		if (c->t_acc > t_acc1)
			t_acc1 = c->t_acc;
		if (c->st == C_STARTED) {
			nb_started++;
			if (c->t_started > t_started)
				t_started = c->t_started;
			if (conn_keys(c) < 0)
				die("test keys: %s", "cannot derive");
		}
	}
	held = refl_view();
	/* 4. test packets */
	if (g.packets)
		pr = packets();
	/* 5. hold, stop, close */
	if (g.hold_s > 0)
		usleep((useconds_t)(g.hold_s * 1e6));
	t_stop = now_ns();
	for (uint32_t i = 0; i < g.conns; i++)
		conn_stop(&g.c[i]);
	/* Half-close, then read to the end so that close() never resets the connection. */
	for (uint32_t i = 0; i < g.conns; i++)
		if (g.c[i].fd >= 0)
			shutdown(g.c[i].fd, SHUT_WR);
	for (uint64_t end = now_ns() + 5 * UINT64_C(1000000000); now_ns() < end;) {
		struct epoll_event evs[256];
		bool open = false;
		int n = epoll_wait(g.ep, evs, 256, 50);

		for (int i = 0; i < n; i++)
			if (!(evs[i].data.u64 & UDP_TAG))
				conn_read(evs[i].data.ptr);
		for (uint32_t i = 0; i < g.conns && !open; i++)
			open = g.c[i].fd >= 0;
		if (!open)
			break;
	}
	for (uint32_t i = 0; i < g.conns; i++)
		conn_fail(&g.c[i]);
	/* The reflector removes a connection's sessions when it closes: until none is left. */
	while (g.tel_prefix != NULL && now_ns() < t_stop + 60 * UINT64_C(1000000000)) {
		after = refl_view();
		if (after.ok && after.sessions == before.sessions && after.in_dp == before.in_dp &&
		    after.conns == before.conns) {
			gone = true;
			t_gone = now_ns();
			break;
		}
		usleep(20000);
	}
	if (!gone)
		after = refl_view();

	{
		double t_hs = secs(t0, t_ready), t_set = secs(t_req0, t_acc1);
		double t_all = secs(t0, t_started);
		double rate_c = t_hs > 0 ? nb_ready / t_hs : 0, rate_s = t_set > 0 ? acc / t_set : 0;
		double per_sess_heap = acc > 0 && held.heap_alloc >= 0 && before.heap_alloc >= 0 ?
				       (double)(held.heap_alloc - before.heap_alloc) / acc : -1;
		double cpu_us = cpu_setup >= 0 && acc > 0 ? cpu_setup * 1e6 / acc : -1;

		if (g.json) {
			printf("{\"mode\": %u, \"connections\": %u, \"sessions_per_connection\": %u, "
			       "\"connections_ready\": %u, \"connections_started\": %u, "
			       "\"sessions_accepted\": %u, \"sessions_refused\": %u, "
			       "\"handshake_s\": %.3f, \"connections_per_s\": %.1f, "
			       "\"setup_s\": %.3f, \"sessions_per_s\": %.1f, \"time_to_start_s\": %.3f, "
			       "\"packets\": {\"sent\": %" PRIu64 ", \"answered\": %" PRIu64
			       ", \"lost\": %" PRIu64 ", \"resent\": %" PRIu64 ", \"bad_hmac\": %" PRIu64
			       ", \"bad_fields\": %" PRIu64 ", \"duplicates\": %" PRIu64
			       ", \"foreign\": %" PRIu64 ", \"late\": %" PRIu64 ", \"seq_exact\": %" PRIu64 ", \"seconds\": %.3f}, "
			       "\"reflector\": {\"telemetry\": %s, \"sessions_held\": %" PRId64
			       ", \"sessions_in_data_plane_held\": %" PRId64
			       ", \"sessions_after\": %" PRId64 ", \"sessions_in_data_plane_after\": %"
			       PRId64 ", \"connections_after\": %" PRId64
			       ", \"refused_port\": %" PRId64 ", \"refused_max_sessions\": %" PRId64
			       ", \"heap_before\": %" PRId64 ", \"heap_held\": %" PRId64
			       ", \"heap_after\": %" PRId64 ", \"heap_per_session\": %.0f"
			       ", \"control_cpu_s\": %.3f, \"control_cpu_us_per_session\": %.1f"
			       ", \"teardown_s\": %.3f, \"all_gone\": %s}}\n",
			       g.mode, g.conns, g.per_conn, nb_ready, nb_started, acc, ref, t_hs,
			       rate_c, t_set, rate_s, t_all, pr.sent, pr.answered, pr.lost, pr.resent,
			       pr.bad_hmac, pr.bad_fields, pr.duplicates, pr.foreign, pr.late,
			       pr.seq_exact, pr.seconds, held.ok ? "true" : "false", held.sessions, held.in_dp, after.sessions,
			       after.in_dp, after.conns,
			       held.refused_port - before.refused_port,
			       held.refused_limit - before.refused_limit, before.heap_alloc,
			       held.heap_alloc, after.heap_alloc, per_sess_heap, cpu_setup, cpu_us,
			       gone ? secs(t_stop, t_gone) : -1.0, gone ? "true" : "false");
		} else {
			printf("sessload: mode %u, %u connections x %u sessions to %s\n", g.mode,
			       g.conns, g.per_conn, g.host);
			printf("  handshakes:  %u/%u ready in %.3f s (%.1f connections/s)\n", nb_ready,
			       g.conns, t_hs, rate_c);
			printf("  set-up:      %u accepted, %u refused in %.3f s (%.0f sessions/s, "
			       "first Request to last Accept)\n", acc, ref, t_set, rate_s);
			printf("  started:     %u/%u connections, all started %.3f s after the "
			       "first connect\n", nb_started, g.conns, t_all);
			if (g.packets)
				printf("  packets:     %" PRIu64 " answered of %" PRIu64 " sessions sent "
				       "to (%" PRIu64 " resent), %" PRIu64 " lost, %" PRIu64
				       " bad HMAC, %" PRIu64 " bad fields, %" PRIu64 " duplicates, %"
				       PRIu64 " foreign, %.2f s\n", pr.answered, pr.sent - pr.resent,
				       pr.resent, pr.lost, pr.bad_hmac, pr.bad_fields, pr.duplicates,
				       pr.foreign, pr.seconds);
			if (held.ok)
				printf("  reflector:   %" PRId64 " sessions held, %" PRId64 " in the "
				       "data plane; heap +%.0f B/session; after close: %" PRId64
				       " held, %" PRId64 " in the data plane, heap %+" PRId64
				       " B vs before, %s in %.3f s\n", held.sessions, held.in_dp,
				       per_sess_heap, after.sessions, after.in_dp,
				       after.heap_alloc - before.heap_alloc,
				       gone ? "all gone" : "NOT all gone",
				       gone ? secs(t_stop, t_gone) : -1.0);
			if (cpu_setup >= 0)
				printf("  reflector control thread: %.3f s CPU for the set-up "
				       "(%.1f us/session)\n", cpu_setup, cpu_us);
		}
	}
	for (uint32_t i = 0; i < g.nb_s; i++) {
		if (g.s[i].tc != NULL) {
			tw_tcrypt_session_wipe(g.s[i].tc);
			free(g.s[i].tc);
		}
	}
	for (uint32_t i = 0; i < g.conns; i++) {
		tw_ctrl_cli_free(g.c[i].cli);	/* wipes the control keys */
		free(g.c[i].out);
	}
	tw_tcrypt_mgr_free(g.mgr);
	/* Exit 0 only if every session was set up (and answered, with --packets) and, when we
	 * could see the reflector, held and gone. */
	if (acc != g.nb_s || nb_started != g.conns)
		return 1;
	if (g.packets && (pr.answered != (uint64_t)acc * g.count || pr.lost != 0))
		return 1;
	if (held.ok && !gone)
		return 1;
	return 0;
}
