/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TWAMP-Control client (RFC 5357 §3 on RFC 4656 §3, with RFC 5618 mixed mode, RFC 5938
 * individual session control and RFC 6038 reflect octets / symmetrical size): one TCP connection
 * driven by lib/ctrl's client state machine, N test sessions negotiated on it and run at once by
 * sender.c, one thread each.
 *
 *   connect -> Server Greeting -> Set-Up-Response -> Server-Start     (lib/ctrl picks the Mode)
 *   (--ike-static: RFC 7717 Mode 128|2, 128|4 or 128|8, the IKEv2 SA's SPIs as Key ID)
 *   Request-TW-Session -> Accept-Session, once per session, one at a time
 *   Start-Sessions (Start-N-Sessions with --isc) -> Start-Ack (Start-N-Ack)
 *   the sessions run; the control connection is watched for a server Stop-Sessions or a close
 *   Stop-Sessions (Stop-N-Sessions -> Stop-N-Ack), then an orderly TCP close
 *
 * Everything here runs on the main thread; only sender_run() runs on the session threads, and
 * each of those touches only its own struct client_session.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "tw_ike.h"
#include "tw_ts.h"

#define NSEC_PER_SEC UINT64_C(1000000000)

enum control_tuning {
	OUT_CAP = 64 * 1024,		/* bytes lib/ctrl may queue for the server */
	RX_CHUNK = 4096,
	POLL_MS = 100,			/* also how often a signal or a finished session is seen */
	CLOSE_DRAIN_MS = 500,		/* wait for the server's FIN after our last message */
};

/* Start Time (RFC 5357 §3.5) = time of the request + this: enough for Start-Sessions to reach
 * the server first on a LAN, short enough not to be noticed. The senders wait for it. */
#define START_DELAY_NS (100 * UINT64_C(1000000))

struct ctl {
	const struct client_opts *o;
	struct control_info *ci;
	const struct client_key *key;
	const struct client_ike *ike;	/* RFC 7717 mode 128, present or not */
	int fd;
	struct sockaddr_storage peer;	/* the server (TCP) */
	socklen_t peer_len;
	struct sockaddr_storage local;	/* our end of the control connection */
	socklen_t local_len;
	struct tw_ctrl_cli *cli;
	struct tw_ctrl_out out;
	uint8_t greet[TW_CTRL_GREETING_LEN];	/* the Server Greeting as received, for reports */
	size_t greet_len;
	const char *waiting;		/* what we wait for, for timeout messages */
	/* set by on_event() */
	bool got_accept;
	bool got_start;
	bool got_stop_ack;
	bool waiting_stop_n;
	bool closed;
	uint8_t out_buf[OUT_CAP];
};

static _Atomic unsigned int sessions_done;

static uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void __attribute__((format(printf, 2, 3)))
set_error(struct ctl *c, const char *fmt, ...)
{
	va_list ap;

	if (c->ci->error[0] != '\0')
		return;		/* the first cause is the one worth telling */
	va_start(ap, fmt);
	vsnprintf(c->ci->error, sizeof(c->ci->error), fmt, ap);
	va_end(ap);
}

const char *
control_mode_name(uint32_t mode)
{
	if (mode & TW_CTRL_MODE_ENCRYPTED)
		return "encrypted";
	if (mode & TW_CTRL_MODE_AUTH)
		return "authenticated";
	if (mode & TW_CTRL_MODE_MIXED)
		return "mixed";
	if (mode & TW_CTRL_MODE_UNAUTH)
		return "unauthenticated";
	return "none";
}

const char *
control_accept_str(int accept)
{
	/* RFC 4656 §3.3 (RFC 5357 §3.3); 6 from RFC 7717 §5.2. */
	static const char *const names[] = {
		"OK",
		"failure, reason unspecified",
		"internal error",
		"some aspect of the request is not supported",
		"cannot perform the request due to permanent resource limitations",
		"cannot perform the request due to temporary resource limitations",
		"IKEv2 SA not found (RFC 7717)",
	};

	if (accept < 0 || (size_t)accept >= sizeof(names) / sizeof(names[0]))
		return "unknown Accept value";
	return names[accept];
}

/* lib/ctrl events: recorded here, acted upon by whoever waits for them. */
static void
on_event(void *arg, const struct tw_ctrl_event *ev)
{
	struct ctl *c = arg;
	struct control_info *ci = c->ci;

	switch (ev->type) {
	case TW_CTRL_EV_READY:
		ci->server_start_accept = ev->accept;
		break;
	case TW_CTRL_EV_ACCEPT:
		c->got_accept = true;
		break;
	case TW_CTRL_EV_START:
		c->got_start = true;
		ci->start_accept = ev->accept;
		break;
	case TW_CTRL_EV_STOP:
		if (c->waiting_stop_n) {
			c->got_stop_ack = true;
			ci->stop_accept = ev->accept;
			break;
		}
		/* RFC 4656 §3.8: the server may stop the sessions too; ours end with them. */
		ci->server_stopped = true;
		ci->server_stop_accept = ev->accept;
		sender_stop();
		break;
	case TW_CTRL_EV_CLOSE:
		c->closed = true;
		break;
	}
}

/* Send what lib/ctrl queued. @return 0, or -1 (error set, machine closed). */
static int
flush_out(struct ctl *c)
{
	uint64_t deadline = clock_ns(CLOCK_MONOTONIC) + c->o->control_timeout_ns;
	size_t done = 0;

	while (done < c->out.len) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
		ssize_t n = send(c->fd, c->out.buf + done, c->out.len - done, MSG_NOSIGNAL);
		uint64_t now;

		if (n >= 0) {
			done += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		now = clock_ns(CLOCK_MONOTONIC);
		if ((errno != EAGAIN && errno != EWOULDBLOCK) || now >= deadline) {
			set_error(c, "sending to the server: %s",
				  now >= deadline ? "timed out" : strerror(errno));
			tw_ctrl_cli_close(c->cli);
			return -1;
		}
		poll(&pfd, 1, (int)((deadline - now) / 1000000 + 1));
	}
	c->out.len = 0;
	return 0;
}

/*
 * Wait up to POLL_MS for octets from the server and feed them to lib/ctrl, enforce its
 * deadlines, send what it answers. @return 0, or -1 when the connection is closed.
 */
static int
pump(struct ctl *c)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	uint64_t now = clock_ns(CLOCK_MONOTONIC), dl = tw_ctrl_cli_deadline(c->cli);
	int ms = POLL_MS;
	uint8_t buf[RX_CHUNK];
	ssize_t n;

	if (dl != UINT64_MAX && dl > now && (dl - now) / 1000000 < (uint64_t)ms)
		ms = (int)((dl - now) / 1000000) + 1;
	if (poll(&pfd, 1, ms) > 0) {
		n = recv(c->fd, buf, sizeof(buf), 0);
		now = clock_ns(CLOCK_MONOTONIC);
		if (n == 0) {
			tw_ctrl_cli_peer_closed(c->cli);
		} else if (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
			set_error(c, "receiving from the server: %s", strerror(errno));
			tw_ctrl_cli_close(c->cli);
		} else if (n > 0) {
			size_t k = (size_t)n;

			/* Keep the (clear-text) Server Greeting: lib/ctrl does not export it. */
			if (c->greet_len < sizeof(c->greet)) {
				size_t m = sizeof(c->greet) - c->greet_len;

				memcpy(c->greet + c->greet_len, buf, k < m ? k : m);
				c->greet_len += k < m ? k : m;
			}
			if (tw_ctrl_cli_input(c->cli, buf, k, now, &c->out) == -ENOBUFS) {
				set_error(c, "internal error: control output buffer full");
				tw_ctrl_cli_close(c->cli);
			}
		}
	} else {
		now = clock_ns(CLOCK_MONOTONIC);
	}
	tw_ctrl_cli_tick(c->cli, now);
	if (c->out.len > 0 && tw_ctrl_cli_closed(c->cli) == TW_CTRL_OPEN)
		flush_out(c);
	return tw_ctrl_cli_closed(c->cli) == TW_CTRL_OPEN ? 0 : -1;
}

/* Interpret a Server Greeting we kept (RFC 4656 §3.1). */
static void
note_greeting(struct ctl *c)
{
	struct tw_ctrl_greeting g;

	if (c->ci->have_greeting || c->greet_len < TW_CTRL_GREETING_LEN ||
	    tw_ctrl_greeting_decode(c->greet, c->greet_len, &g) != 0)
		return;
	c->ci->have_greeting = true;
	c->ci->modes_offered = g.modes;
	c->ci->count = g.count;
}

static void
mode_list(uint32_t modes, char *buf, size_t len)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{ TW_CTRL_MODE_UNAUTH, "unauthenticated" },
		{ TW_CTRL_MODE_AUTH, "authenticated" },
		{ TW_CTRL_MODE_ENCRYPTED, "encrypted" },
		{ TW_CTRL_MODE_MIXED, "mixed" },
	};
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && off < len; i++) {
		if (modes & names[i].bit)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
						names[i].name);
	}
	if (off == 0)
		snprintf(buf, len, "none");
}

/* Turn the reason lib/ctrl closed the connection into one sentence for the operator. */
static void
explain_close(struct ctl *c)
{
	const struct control_info *ci = c->ci;
	enum tw_ctrl_close why = tw_ctrl_cli_closed(c->cli);
	char ours[80], theirs[80];
	bool keyed = (tw_ctrl_cli_mode(c->cli) & TW_CTRL_MODE_CIPHER_CONTROL) != 0;

	note_greeting(c);
	switch (why) {
	case TW_CTRL_CLOSE_REFUSED:
		if (ci->server_start_accept == TW_CTRL_ACCEPT_NO_SA && ci->ike) {
			char hi[17], hr[17];

			keys_hex(ci->ike_spi_i, ci->ike_spi_len, hi);
			keys_hex(ci->ike_spi_r, ci->ike_spi_len, hr);
			set_error(c, "the server knows no IKE SA with SPIs %s:%s (Accept 6): "
				  "SPIi:SPIr in the %s layout (RFC 7717 §5.2)", hi, hr,
				  ci->ike_layout == TW_CTRL_SPI_4_4 ? "4+4" : "8+8");
		} else if (ci->server_start_accept == TW_CTRL_ACCEPT_INTERNAL && ci->ike) {
			char hi[17], hr[17];

			keys_hex(ci->ike_spi_i, ci->ike_spi_len, hi);
			keys_hex(ci->ike_spi_r, ci->ike_spi_len, hr);
			set_error(c, "the server could not get the key of IKE SA %s:%s from its key "
				  "provider (Accept 2, internal error: is its IKE daemon running?)",
				  hi, hr);
		} else if (ci->have_greeting && ci->modes_offered == 0)
			set_error(c, "the server refuses to talk to us: its Server Greeting offers "
				  "Modes 0 (RFC 4656 §3.1)");
		else if (ci->server_start_accept > 0)
			set_error(c, "Server-Start Accept %d (%s)%s", ci->server_start_accept,
				  control_accept_str(ci->server_start_accept),
				  !keyed ? "" :
				  ci->ike && ci->server_start_accept == TW_CTRL_ACCEPT_NOT_SUPPORTED ?
				  ": the server reads our Key ID in another SPI layout (--spi-layout "
				  "8+8 or 4+4)?" :
				  ci->ike ? ": authentication refused (the server derives another key "
					    "from this IKE SA?)" :
					    ": authentication refused (unknown KeyID or wrong "
					    "passphrase?)");
		else
			set_error(c, "the server refused the connection");
		break;
	case TW_CTRL_CLOSE_MODE:
		if (ci->ike && ci->have_greeting && !(ci->modes_offered & TW_CTRL_MODE_IKEV2)) {
			mode_list(ci->modes_offered, theirs, sizeof(theirs));
			set_error(c, "server does not offer IKEv2-derived keys (mode 128): it offers "
				  "%s (Modes 0x%x); IKEv2-derived keys never fall back to a passphrase",
				  theirs, ci->modes_offered);
			break;
		}
		mode_list(c->o->force_mode ? c->o->force_mode : c->o->modes, ours, sizeof(ours));
		mode_list(ci->modes_offered, theirs, sizeof(theirs));
		set_error(c, "no common security mode: the server offers %s (Modes 0x%x), we accept "
			  "%s%s", theirs, ci->modes_offered, ours,
			  ci->ike ? " (each with mode 128, IKEv2-derived key)" :
			  c->key->present ? "" : " (authenticated, encrypted and mixed modes need a "
						  "key: -k with --passphrase, --passphrase-file or "
						  "--keystore)");
		break;
	case TW_CTRL_CLOSE_COUNT:
		set_error(c, "the server's PBKDF2 Count %u is outside 1024..32768 (RFC 4656 §3.1)",
			  ci->count);
		break;
	case TW_CTRL_CLOSE_TIMEOUT:
		set_error(c, "no answer from the server within %.3f s (waiting for %s)",
			  (double)c->o->control_timeout_ns / 1e9, c->waiting);
		break;
	case TW_CTRL_CLOSE_PEER:
		if (tw_ctrl_cli_state(c->cli) == TW_CTRL_CLI_CLOSED && ci->server_start_accept < 0 &&
		    keyed && c->greet_len >= TW_CTRL_GREETING_LEN)
			set_error(c, "the server closed the connection after our Set-Up-Response: "
				  "authentication refused (%s)", ci->ike ?
				  "unknown IKE SA, or another key derived from it?" :
				  "unknown KeyID or wrong passphrase?");
		else
			set_error(c, "the server closed the connection (waiting for %s)", c->waiting);
		break;
	case TW_CTRL_CLOSE_BAD_HMAC:
		set_error(c, "a control message from the server failed its HMAC check (RFC 4656 "
			  "§3.2): the two sides do not share the key");
		break;
	case TW_CTRL_CLOSE_BAD_MESSAGE:
	case TW_CTRL_CLOSE_PROTOCOL:
	case TW_CTRL_CLOSE_OVERFLOW:
		set_error(c, "the server sent an unexpected or malformed message (%s) while we "
			  "waited for %s", tw_ctrl_close_str(why), c->waiting);
		break;
	case TW_CTRL_CLOSE_INTERNAL:
		set_error(c, "internal error (randomness or libcrypto)");
		break;
	default:
		set_error(c, "control connection closed (%s)", tw_ctrl_close_str(why));
		break;
	}
}

/*
 * Pump until `done` holds (the event we wait for) or the connection closes.
 * @return 0, -1 (closed: error set), -2 (interrupted by a signal).
 */
static int
wait_for(struct ctl *c, const bool *done, const char *what)
{
	c->waiting = what;
	while (!*done) {
		if (sender_stopping() > 0)
			return -2;
		if (pump(c) != 0) {
			explain_close(c);
			return -1;
		}
	}
	return 0;
}

static int
ctl_connect(struct ctl *c)
{
	const struct client_opts *o = c->o;
	int family = c->peer.ss_family, err = 0;
	socklen_t elen = sizeof(err);
	struct pollfd pfd;
	int one = 1, r;

	c->fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (c->fd < 0) {
		set_error(c, "socket: %s", strerror(errno));
		return -1;
	}
	/* Small request/response messages: do not let Nagle hold one back for an ACK. */
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (o->local_len != 0) {
		struct sockaddr_storage l = o->local;

		sock_set_port(&l, 0);	/* -l's port is the first test port, not ours */
		if (bind(c->fd, (const struct sockaddr *)&l, o->local_len) != 0) {
			set_error(c, "bind: %s", strerror(errno));
			return -1;
		}
	}
	r = connect(c->fd, (const struct sockaddr *)&c->peer, c->peer_len);
	if (r != 0 && errno != EINPROGRESS) {
		set_error(c, "connect: %s", strerror(errno));
		return -1;
	}
	if (r != 0) {
		pfd = (struct pollfd){ .fd = c->fd, .events = POLLOUT };
		do {
			r = poll(&pfd, 1, (int)(o->control_timeout_ns / 1000000));
		} while (r < 0 && errno == EINTR && sender_stopping() == 0);
		if (r == 0) {
			set_error(c, "connect: no answer within %.3f s",
				  (double)o->control_timeout_ns / 1e9);
			return -1;
		}
		if (r < 0)
			return -2;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
			err = errno;
		if (err != 0) {
			set_error(c, "connect: %s", strerror(err));
			return -1;
		}
	}
	c->local_len = sizeof(c->local);
	if (getsockname(c->fd, (struct sockaddr *)&c->local, &c->local_len) != 0) {
		set_error(c, "getsockname: %s", strerror(errno));
		return -1;
	}
	sock_addr_str((const struct sockaddr *)&c->local, c->ci->local_str,
		      sizeof(c->ci->local_str));
	return 0;
}

/* Address octets as Request-TW-Session carries them (IPv4 in the first 4). */
static void
addr_octets(const struct sockaddr_storage *ss, uint8_t out[16])
{
	memset(out, 0, 16);
	if (ss->ss_family == AF_INET6)
		memcpy(out, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	else
		memcpy(out, &((const struct sockaddr_in *)ss)->sin_addr, 4);
}

/* Interval in NTP format (RFC 5357 §3.5 Timeout): seconds . 2^-32 fractions. */
static uint64_t
ntp_interval(uint64_t ns)
{
	return ((ns / NSEC_PER_SEC) << 32) | (((ns % NSEC_PER_SEC) << 32) / NSEC_PER_SEC);
}

/* The session's UDP socket and the Request-TW-Session that describes it (RFC 5357 §3.5). */
static int
request_session(struct ctl *c, struct client_session *s, uint64_t padding, uint32_t mode)
{
	const struct client_opts *o = c->o;
	struct tw_ctrl_session_params p;
	const struct tw_ctrl_cli_session *cs;
	uint64_t start_ns;
	int rc;

	/* The test socket sits on our end of the control connection: the Sender Address we
	 * announce is then one the server can reach and will accept (not a third party). */
	s->local = c->local;
	s->local_len = c->local_len;
	sock_set_port(&s->local, o->local_port ? (uint16_t)(sock_port(&o->local) + s->num - 1) : 0);
	s->fd = sock_open_udp(c->peer.ss_family, &s->local, s->local_len, o->dscp);
	if (s->fd < 0)
		return -1;
	s->local_len = sizeof(s->local);
	if (getsockname(s->fd, (struct sockaddr *)&s->local, &s->local_len) != 0) {
		fprintf(stderr, "twamp-client: getsockname: %s\n", strerror(errno));
		return -1;
	}
	sock_addr_str((const struct sockaddr *)&s->local, s->local_str, sizeof(s->local_str));

	memset(&p, 0, sizeof(p));
	p.ipvn = c->peer.ss_family == AF_INET6 ? 6 : 4;
	/* Explicit addresses rather than zeros ("the control connection's"): what the server
	 * reflects to is then written down, and the Sender Port is ours in any case. */
	addr_octets(&s->local, p.sender_addr);
	addr_octets(&c->peer, p.receiver_addr);
	p.sender_port = sock_port(&s->local);
	p.receiver_port = o->test_port ? (uint16_t)(o->test_port + s->num - 1) : 0;
	/* Padding Length: the octets we append to the fixed part, so the reflector knows the size
	 * of our packets (and can answer with the same size, RFC 6038). */
	p.padding_len = (uint32_t)padding;
	start_ns = clock_ns(CLOCK_REALTIME) + START_DELAY_NS;
	p.start_time = tw_ts_ntp_from_unix_ns(start_ns);
	p.timeout = ntp_interval(o->timeout_ns);
	/* Type-P Descriptor, DSCP form (RFC 5357 §3.5): the DSCP our test packets carry. */
	p.type_p = tw_ctrl_typep_from_dscp(o->dscp >= 0 ? (uint8_t)o->dscp : 0);
	if (mode & TW_CTRL_MODE_REFLECT_OCTETS) {
		/* RFC 6038: a value the server must echo in Accept-Session, and how many octets of
		 * our padding it must return in every reflected packet. */
		if (tw_ctrl_getrandom(NULL, (uint8_t *)&s->octets_reflected,
			      sizeof(s->octets_reflected)) != 0)
			s->octets_reflected = 0x7477;
		p.octets_reflected = s->octets_reflected;
		p.padding_reflect = o->reflect_octets ? o->reflect_len : 0;
	}

	c->got_accept = false;
	rc = tw_ctrl_cli_request(c->cli, &p, clock_ns(CLOCK_MONOTONIC), &c->out);
	if (rc < 0) {
		set_error(c, "cannot send Request-TW-Session: %s", strerror(-rc));
		return -1;
	}
	s->idx = rc;
	if (flush_out(c) != 0)
		return -1;
	rc = wait_for(c, &c->got_accept, "Accept-Session");
	if (rc != 0)
		return rc;
	cs = tw_ctrl_cli_session(c->cli, (unsigned int)s->idx);
	s->accept = cs->accept;
	s->port = cs->port;
	if (cs->accept != TW_CTRL_ACCEPT_OK) {
		set_error(c, "session %u refused: Accept-Session Accept %u (%s)", s->num, cs->accept,
			  control_accept_str(cs->accept));
		return -1;
	}
	if (cs->port == 0) {
		set_error(c, "session %u: Accept-Session with Accept 0 but Port 0", s->num);
		return -1;
	}
	memcpy(s->sid, cs->sid, sizeof(s->sid));
	s->reflected_octets = cs->reflected_octets;
	s->server_octets = cs->server_octets;
	s->tp.start_unix_ns = start_ns;
	return 0;
}

/* Fill the session's test parameters from the negotiated mode and its Accept-Session. */
static int
prepare_session(struct ctl *c, struct client_session *s, uint32_t mode, uint32_t padding)
{
	const struct client_opts *o = c->o;
	enum tw_ctrl_test_mode tm = tw_ctrl_test_mode(mode);
	uint16_t fill = 0;

	s->tp.peer = c->peer;
	s->tp.peer_len = c->peer_len;
	sock_set_port(&s->tp.peer, s->port);
	sock_addr_str((const struct sockaddr *)&s->tp.peer, s->peer_str, sizeof(s->peer_str));
	s->tp.mode = tm == TW_CTRL_TEST_ENCRYPTED ? TEST_MODE_ENC :
		     tm == TW_CTRL_TEST_AUTH ? TEST_MODE_AUTH : TEST_MODE_UNAUTH;
	s->tp.symmetrical = (mode & TW_CTRL_MODE_SYMMETRICAL) != 0;
	s->tp.count = o->tp.count;
	s->tp.interval_ns = o->tp.interval_ns;
	s->tp.pps_milli = o->tp.pps_milli;
	s->tp.rate_max = o->tp.rate_max;
	s->tp.batch = o->tp.batch;
	s->tp.padding = padding;
	s->tp.wait_ns = o->tp.wait_ns;
	s->tp.check = o->tp.check;
	/* RFC 8186: our T1 is PTPv2 with --ptp whatever was negotiated (its Z bit says so); the
	 * reflector's T2/T3 are PTPv2 exactly when 512 was (our reading, docs/conformance.rst). */
	s->tp.ptp = o->tp.ptp;
	if (o->expect_set)
		s->tp.expect = o->tp.expect;
	else
		s->tp.expect = (mode & TW_CTRL_MODE_PTP) ? TS_FMT_PTP : TS_FMT_NTP;

	if (s->tp.mode != TEST_MODE_UNAUTH) {
		struct tw_ctrl_keys k;
		int rc;

		if (tw_ctrl_cli_keys(c->cli, &k) != 0 ||
		    posix_memalign((void **)&s->tc, 64, sizeof(*s->tc)) != 0) {
			s->tc = NULL;
			fprintf(stderr, "twamp-client: no control session keys\n");
			return -1;
		}
		/* RFC 4656 §4.1.2: the test keys come from the control keys and the SID. */
		rc = tw_tcrypt_session_init(NULL, s->tc,
					    s->tp.mode == TEST_MODE_ENC ? TW_TCRYPT_MODE_ENC :
									 TW_TCRYPT_MODE_AUTH,
					    0, k.aes, k.hmac, s->sid);
		tw_ctrl_wipe(&k, sizeof(k));
		if (rc != 0) {
			fprintf(stderr, "twamp-client: test session keys: %s\n", strerror(-rc));
			return -1;
		}
		s->tp.tc = s->tc;
	}

	if (mode & TW_CTRL_MODE_REFLECT_OCTETS) {
		/* RFC 6038 §4.2: Server Octets, when the server sets them, lead our padding (the
		 * reflector finds them there); the rest of the octets to be reflected are random,
		 * so that a reflector returning something else is caught by --check. */
		fill = o->reflect_octets ? o->reflect_len : 0;
		if (s->server_octets != 0 && fill < 2 && padding >= 2)
			fill = 2;
		if (fill > 0) {
			s->reflect = calloc(1, fill);
			if (s->reflect == NULL || tw_ctrl_getrandom(NULL, s->reflect, fill) != 0) {
				fprintf(stderr, "twamp-client: cannot make the octets to reflect\n");
				return -1;
			}
			if (s->server_octets != 0) {
				s->reflect[0] = (uint8_t)(s->server_octets >> 8);
				s->reflect[1] = (uint8_t)s->server_octets;
			}
		}
		s->tp.reflect = s->reflect;
		s->tp.reflect_fill = fill;
		s->tp.reflect_len = o->reflect_octets ? o->reflect_len : 0;
	}
	return 0;
}

static void *
session_thread(void *arg)
{
	struct client_session *s = arg;

	s->ran = sender_run(&s->tp, s->fd, &s->res) == 0;
	atomic_fetch_add(&sessions_done, 1);
	return NULL;
}

/*
 * Run the sessions, one thread each, while this thread watches the control connection: a server
 * Stop-Sessions or a lost connection stops the senders (they still wait for late reflections).
 * @return 0, or -1 if a thread could not be started (nothing is left running).
 */
static int
run_sessions(struct ctl *c)
{
	struct control_info *ci = c->ci;
	pthread_t *th = calloc(ci->nb_sessions, sizeof(*th));
	sigset_t block, old;
	unsigned int started = 0;
	bool lost = false;
	int rc = 0;

	if (th == NULL)
		return -1;
	/* Signals go to this thread, whose poll() they interrupt; the senders see the flag. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (; started < ci->nb_sessions; started++) {
		rc = pthread_create(&th[started], NULL, session_thread, &ci->sess[started]);
		if (rc != 0) {
			fprintf(stderr, "twamp-client: cannot start a session thread: %s\n",
				strerror(rc));
			sender_stop();
			sender_stop();
			rc = -1;
			break;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	c->waiting = "the end of the test";
	while (atomic_load(&sessions_done) < started) {
		if (lost) {
			poll(NULL, 0, POLL_MS);
			continue;
		}
		if (pump(c) != 0) {
			/* RFC 5357 §3.8: without its control connection the server ends the
			 * sessions; stop sending, the reflections in flight may still come. */
			explain_close(c);
			sender_stop();
			lost = true;
		}
	}
	for (unsigned int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	free(th);
	return rc;
}

/* Stop-Sessions or Stop-N-Sessions (RFC 5357 §3.8, RFC 5938 §3), then an orderly close. */
static void
stop_and_close(struct ctl *c, bool started, bool isc)
{
	struct control_info *ci = c->ci;
	uint8_t (*sids)[TW_CTRL_SID_LEN] = NULL;
	uint8_t accept = ci->error[0] != '\0' ? TW_CTRL_ACCEPT_FAILURE : TW_CTRL_ACCEPT_OK;
	uint8_t buf[RX_CHUNK];
	int rc;

	if (started && tw_ctrl_cli_closed(c->cli) == TW_CTRL_OPEN && !ci->server_stopped) {
		if (isc) {
			sids = calloc(ci->nb_sessions, sizeof(*sids));
			for (unsigned int i = 0; sids != NULL && i < ci->nb_sessions; i++)
				memcpy(sids[i], ci->sess[i].sid, TW_CTRL_SID_LEN);
			ci->stop_cmd = "stop-n-sessions";
			rc = sids == NULL ? -ENOMEM :
			     tw_ctrl_cli_stop_n(c->cli, accept,
						(const uint8_t(*)[TW_CTRL_SID_LEN])sids,
						ci->nb_sessions, clock_ns(CLOCK_MONOTONIC), &c->out);
			free(sids);
		} else {
			ci->stop_cmd = "stop-sessions";
			rc = tw_ctrl_cli_stop(c->cli, accept, clock_ns(CLOCK_MONOTONIC), &c->out);
		}
		if (rc != 0) {
			set_error(c, "cannot send %s: %s", ci->stop_cmd, strerror(-rc));
		} else if (flush_out(c) == 0 && isc) {
			c->waiting_stop_n = true;
			/* The reply is owed even after a signal: wait for it regardless. */
			c->waiting = "Stop-N-Ack";
			while (!c->got_stop_ack) {
				if (pump(c) != 0) {
					explain_close(c);
					break;
				}
			}
			if (c->got_stop_ack && ci->stop_accept != TW_CTRL_ACCEPT_OK)
				set_error(c, "Stop-N-Ack Accept %d (%s)", ci->stop_accept,
					  control_accept_str(ci->stop_accept));
		}
	}
	/* Our FIN after the last message, then the server's: closing with unread data would
	 * reset the connection and could lose the Stop-Sessions we just sent. */
	shutdown(c->fd, SHUT_WR);
	for (uint64_t end = clock_ns(CLOCK_MONOTONIC) + CLOSE_DRAIN_MS * UINT64_C(1000000);
	     clock_ns(CLOCK_MONOTONIC) < end;) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, POLL_MS) <= 0)
			continue;
		n = recv(c->fd, buf, sizeof(buf), 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			break;
	}
}

/* Results of every session, then of all of them. */
static int
summarize(struct control_info *ci, struct sender_result *tot, struct tw_measure_summary *sum)
{
	const struct tw_measure **ms = calloc(ci->nb_sessions + 1, sizeof(*ms));
	size_t n = 0;
	char label[32];

	memset(tot, 0, sizeof(*tot));
	if (ms == NULL)
		return -1;
	for (unsigned int i = 0; i < ci->nb_sessions; i++) {
		struct client_session *s = &ci->sess[i];

		if (!s->ran)
			continue;
		if (tw_measure_summarize(s->res.m, &s->sum) != 0) {
			free(ms);
			return -1;
		}
		if (s->tp.check)
			check_summary(&s->res.check, &s->sum);
		ms[n++] = s->res.m;
		snprintf(label, sizeof(label), "session %u", s->num);
		check_merge(&tot->check, &s->res.check, label);
		tot->send_errors += s->res.send_errors;
		tot->short_pkts += s->res.short_pkts;
		tot->wrong_src += s->res.wrong_src;
		tot->bad_hmac += s->res.bad_hmac;
		tot->socket_drops += s->res.socket_drops;
		tot->no_kernel_ts += s->res.no_kernel_ts;
		tot->sender_errest = s->res.sender_errest;
		tot->ptp = s->res.ptp;
		tot->expect = s->res.expect;
		tot->refl_ntp += s->res.refl_ntp;
		tot->refl_ptp += s->res.refl_ptp;
		tot->tai_s = s->res.tai_s;
		if (s->res.elapsed_ns > tot->elapsed_ns)
			tot->elapsed_ns = s->res.elapsed_ns;
		/* Sessions send at once: the total rate is all packets over the longest. */
		if (s->res.send_ns > tot->send_ns)
			tot->send_ns = s->res.send_ns;
		tot->send_blocked += s->res.send_blocked;
		tot->interrupted |= s->res.interrupted;
	}
	if (tw_measure_summarize_many(ms, n, sum) != 0) {
		free(ms);
		return -1;
	}
	free(ms);
	return 0;
}

static void
release(struct ctl *c)
{
	struct control_info *ci = c->ci;

	for (unsigned int i = 0; ci->sess != NULL && i < ci->nb_sessions; i++) {
		struct client_session *s = &ci->sess[i];

		if (s->fd >= 0)
			close(s->fd);
		if (s->tc != NULL) {
			tw_tcrypt_session_wipe(s->tc);
			free(s->tc);
		}
		free(s->reflect);
		tw_measure_free(s->res.m);
	}
	free(ci->sess);
	if (c->cli != NULL) {
		ci->st = *tw_ctrl_cli_stats(c->cli);
		tw_ctrl_cli_free(c->cli);	/* wipes the session keys */
	}
	if (c->fd >= 0)
		close(c->fd);
}

/* Connection set-up (RFC 4656 §3.1): Greeting, Set-Up-Response, Server-Start. */
static int
set_up(struct ctl *c)
{
	const struct client_opts *o = c->o;
	struct tw_ctrl_cli_conf conf;
	bool ready = false;

	tw_ctrl_cli_conf_defaults(&conf);
	conf.modes = o->modes;
	conf.force_mode = o->force_mode;
	/* --ptp: RFC 8186 §2, our Session-Sender reads PTPv2 timestamps, so ask for 512 (lib/ctrl
	 * sends it only where the greeting offers it). */
	conf.features = (o->isc ? TW_CTRL_MODE_ISC : 0) |
			(o->reflect_octets ? TW_CTRL_MODE_REFLECT_OCTETS : 0) |
			(o->symmetrical ? TW_CTRL_MODE_SYMMETRICAL : 0) |
			(o->tp.ptp ? TW_CTRL_MODE_PTP : 0);
	conf.max_sessions = o->nb_sessions;
	conf.step_timeout_ns = o->control_timeout_ns;
	if (c->key->present) {
		memcpy(conf.keyid, c->key->keyid, sizeof(conf.keyid));
		conf.secret = c->key->secret;
		conf.secret_len = c->key->secret_len;
	}
	if (c->ike->present) {
		/* RFC 7717 §5.3: 128 with the allowed 2/4/8 (--mode: that one). Forced, so that a
		 * server without 128 is an error, not a silent passphrase mode. */
		conf.force_mode = TW_CTRL_MODE_IKEV2 | o->force_mode;
		conf.ike.enable = true;
		conf.ike.layout = c->ike->layout;
		memcpy(conf.ike.spi_i, c->ike->spi_i, sizeof(conf.ike.spi_i));
		memcpy(conf.ike.spi_r, c->ike->spi_r, sizeof(conf.ike.spi_r));
		conf.ike.secret = c->ike->secret;
		conf.ike.secret_len = c->ike->secret_len;
	}
	conf.ops.random = tw_ctrl_getrandom;
	conf.ops.event = on_event;
	c->cli = tw_ctrl_cli_new(&conf, c);	/* copies the secret */
	tw_ctrl_wipe(&conf, sizeof(conf));
	if (c->cli == NULL) {
		fprintf(stderr, "twamp-client: cannot create the control client: %s\n",
			strerror(errno));
		return -1;
	}
	c->out = (struct tw_ctrl_out){ .buf = c->out_buf, .cap = sizeof(c->out_buf) };
	tw_ctrl_cli_tick(c->cli, clock_ns(CLOCK_MONOTONIC));	/* greeting deadline starts */

	c->waiting = "the Server Greeting";
	for (;;) {
		enum tw_ctrl_cli_state st = tw_ctrl_cli_state(c->cli);

		if (st == TW_CTRL_CLI_READY) {
			ready = true;
			break;
		}
		if (st == TW_CTRL_CLI_SERVER_START)
			c->waiting = "Server-Start";
		if (sender_stopping() > 0)
			return -2;
		if (pump(c) != 0)
			break;
	}
	note_greeting(c);
	c->ci->mode = tw_ctrl_cli_mode(c->cli);
	if (!ready) {
		explain_close(c);
		return -1;
	}
	c->ci->server_start_time = tw_ctrl_cli_server_start_time(c->cli);
	return 0;
}

/*
 * Packet Padding when -s is not given. The reflector answers with a packet as long as ours (RFC
 * 6038 symmetric size) whose fixed part is 27 (unauthenticated) or 64 octets longer than ours: we
 * pad by that much, plus the octets it is to reflect, which come back after its fixed part. The
 * symmetrical-size format (RFC 6038 §4.3) carries the difference as MBZ octets instead.
 */
static uint32_t
default_padding(const struct client_opts *o, uint32_t mode)
{
	bool prot = tw_ctrl_test_mode(mode) != TW_CTRL_TEST_OPEN;
	uint32_t reflect = (mode & TW_CTRL_MODE_REFLECT_OCTETS) && o->reflect_octets ?
				   o->reflect_len : 0;

	if (o->padding_set)
		return o->tp.padding;
	if (mode & TW_CTRL_MODE_SYMMETRICAL)
		return reflect;
	/* perfSONAR twping pads by the same default. */
	return (prot ? CLIENT_AUTH_PADDING : CLIENT_DEFAULT_PADDING) + reflect;
}

/* Padding of every session in the negotiated mode. @return 0, or -1 after printing why not. */
static int
choose_padding(const struct client_opts *o, uint32_t mode, uint32_t *padding)
{
	struct test_params tp = {
		.mode = tw_ctrl_test_mode(mode) == TW_CTRL_TEST_OPEN ? TEST_MODE_UNAUTH :
								       TEST_MODE_AUTH,
		.symmetrical = (mode & TW_CTRL_MODE_SYMMETRICAL) != 0,
	};

	*padding = default_padding(o, mode);
	/* RFC 6038 §4.2.1: the octets to reflect come out of our padding. */
	if ((mode & TW_CTRL_MODE_REFLECT_OCTETS) && o->reflect_octets &&
	    o->reflect_len > *padding) {
		fprintf(stderr, "twamp-client: --reflect-octets %u needs at least as many octets of "
			"padding (-s %u)\n", o->reflect_len, *padding);
		return -1;
	}
	if (sender_fixed_len(&tp) + *padding > CLIENT_MAX_UDP_PAYLOAD) {
		fprintf(stderr, "twamp-client: padding %u makes the test packets larger than a UDP "
			"datagram\n", *padding);
		return -1;
	}
	return 0;
}

/* Point out requested features the server did not offer; the test goes on without them. */
static void
note_features(const struct client_opts *o, uint32_t mode)
{
	if (o->isc && !(mode & TW_CTRL_MODE_ISC))
		fprintf(stderr, "twamp-client: note: the server does not offer individual session "
			"control (RFC 5938): using Start-Sessions / Stop-Sessions\n");
	if (o->reflect_octets && !(mode & TW_CTRL_MODE_REFLECT_OCTETS))
		fprintf(stderr, "twamp-client: note: the server does not offer reflect octets "
			"(RFC 6038): nothing is reflected\n");
	if (o->symmetrical && !(mode & TW_CTRL_MODE_SYMMETRICAL))
		fprintf(stderr, "twamp-client: note: the server does not offer the symmetrical "
			"size format (RFC 6038): using the RFC 5357 sender format\n");
	if (o->tp.ptp && !(mode & TW_CTRL_MODE_PTP))
		fprintf(stderr, "twamp-client: note: the server does not offer PTPv2 timestamps "
			"(RFC 8186, Modes 512): its timestamps stay NTP; ours are PTPv2\n");
}

/* The exit code, RFC failures first: a refused or broken control exchange outranks the rest. */
static int
exit_code(const struct client_opts *o, const struct control_info *ci,
	  const struct sender_result *tot, const struct tw_measure_summary *sum, bool measured)
{
	if (ci->error[0] != '\0' || ci->server_stopped)
		return CLIENT_EXIT_CONTROL;
	if (!measured)
		return CLIENT_EXIT_SETUP;
	if (sum->sent == 0 && tot->send_errors > 0) {
		fprintf(stderr, "twamp-client: no test packet could be sent\n");
		return CLIENT_EXIT_SETUP;
	}
	if (o->tp.check && tot->check.violations > 0)
		return CLIENT_EXIT_CHECK;
	if (sum->loss_pct > o->max_loss)
		return CLIENT_EXIT_LOSS;
	return CLIENT_EXIT_OK;
}

int
control_run(const struct client_opts *o)
{
	struct control_info ci = {
		.server_start_accept = -1,
		.start_accept = -1,
		.stop_accept = -1,
		.server_stop_accept = -1,
	};
	struct tw_measure_summary sum;
	struct sender_result tot;
	struct report_sess rt;
	struct client_key key;
	struct client_ike ike;
	struct ctl *c;
	bool started = false, measured = false;
	uint32_t mode = 0, padding = 0;
	int rc, ret = CLIENT_EXIT_SETUP;

	memset(&sum, 0, sizeof(sum));
	memset(&tot, 0, sizeof(tot));
	if (keys_load(o, &key) != 0)
		return CLIENT_EXIT_SETUP;
	rc = keys_load_ike(o, &ike);
	if (rc != 0) {
		keys_wipe(&key);
		/* No IKE SA with the reflector: nothing to authenticate with, a refusal of sorts. */
		return rc == -2 ? CLIENT_EXIT_CONTROL : CLIENT_EXIT_SETUP;
	}
	if (!key.present && !ike.present && !(o->modes & TW_CTRL_MODE_UNAUTH)) {
		fprintf(stderr, "twamp-client: modes authenticated, encrypted and mixed need a key "
			"(-k with --passphrase, --passphrase-file or --keystore)\n");
		keys_wipe(&key);
		keys_ike_wipe(&ike);
		return CLIENT_EXIT_SETUP;
	}
	c = calloc(1, sizeof(*c));
	ci.sess = calloc(o->nb_sessions, sizeof(*ci.sess));
	if (c == NULL || ci.sess == NULL) {
		fprintf(stderr, "twamp-client: out of memory\n");
		free(c);
		free(ci.sess);
		keys_wipe(&key);
		keys_ike_wipe(&ike);
		return CLIENT_EXIT_SETUP;
	}
	c->o = o;
	c->ci = &ci;
	c->key = &key;
	c->ike = &ike;
	if (ike.present) {
		ci.ike = true;
		ci.ike_provider = ike.provider;
		ci.ike_prf = tw_ike_prf_name((enum tw_ike_prf)ike.prf);
		ci.ike_layout = ike.layout;
		ci.ike_spi_len = ike.spi_len;
		memcpy(ci.ike_spi_i, ike.spi_i, sizeof(ci.ike_spi_i));
		memcpy(ci.ike_spi_r, ike.spi_r, sizeof(ci.ike_spi_r));
	}
	c->fd = -1;
	c->peer = o->tp.peer;
	c->peer_len = o->tp.peer_len;
	ci.nb_sessions = o->nb_sessions;
	for (unsigned int i = 0; i < ci.nb_sessions; i++) {
		ci.sess[i].num = i + 1;
		ci.sess[i].fd = -1;
		ci.sess[i].idx = -1;
		ci.sess[i].accept = -1;
	}
	snprintf(ci.server_str, sizeof(ci.server_str), "%s", o->peer_str);

	rc = ctl_connect(c);
	if (rc == 0)
		rc = set_up(c);
	keys_wipe(&key);	/* lib/ctrl has its own copy (wiped by tw_ctrl_cli_free) */
	keys_ike_wipe(&ike);	/* the same for PRF(SK_d, "IPPM") */
	if (rc == 0) {
		mode = ci.mode;
		note_features(o, mode);
		if (choose_padding(o, mode, &padding) != 0)
			rc = -3;
	}
	for (unsigned int i = 0; rc == 0 && i < ci.nb_sessions; i++) {
		rc = request_session(c, &ci.sess[i], padding, mode);
		if (rc == 0)
			rc = prepare_session(c, &ci.sess[i], mode, padding) == 0 ? 0 : -3;
	}
	if (rc == 0) {
		bool isc = (mode & TW_CTRL_MODE_ISC) != 0;

		c->got_start = false;
		if (isc) {
			uint8_t (*sids)[TW_CTRL_SID_LEN] = calloc(ci.nb_sessions, sizeof(*sids));

			for (unsigned int i = 0; sids != NULL && i < ci.nb_sessions; i++)
				memcpy(sids[i], ci.sess[i].sid, TW_CTRL_SID_LEN);
			ci.start_cmd = "start-n-sessions";
			rc = sids == NULL ? -ENOMEM :
			     tw_ctrl_cli_start_n(c->cli, (const uint8_t(*)[TW_CTRL_SID_LEN])sids,
						 ci.nb_sessions, clock_ns(CLOCK_MONOTONIC), &c->out);
			free(sids);
		} else {
			ci.start_cmd = "start-sessions";
			rc = tw_ctrl_cli_start(c->cli, clock_ns(CLOCK_MONOTONIC), &c->out);
		}
		if (rc != 0) {
			set_error(c, "cannot send %s: %s", ci.start_cmd, strerror(-rc));
			rc = -1;
		} else if (flush_out(c) != 0) {
			rc = -1;
		} else {
			rc = wait_for(c, &c->got_start, isc ? "Start-N-Ack" : "Start-Ack");
		}
		if (rc == 0 && ci.start_accept != TW_CTRL_ACCEPT_OK) {
			set_error(c, "%s refused: Accept %d (%s)", isc ? "Start-N-Sessions" :
				  "Start-Sessions", ci.start_accept,
				  control_accept_str(ci.start_accept));
			rc = -1;
		}
	}
	if (rc == 0) {
		started = true;
		rc = run_sessions(c);
		measured = true;
	}
	if (rc == -2)
		fprintf(stderr, "twamp-client: interrupted before the test started\n");
	if (c->fd >= 0 && c->cli != NULL)
		stop_and_close(c, started, (mode & TW_CTRL_MODE_ISC) != 0);

	if (ci.error[0] != '\0')
		fprintf(stderr, "twamp-client: TWAMP-Control %s: %s\n", ci.server_str, ci.error);
	if (ci.server_stopped)
		fprintf(stderr, "twamp-client: TWAMP-Control %s: the server stopped the sessions "
			"(Stop-Sessions Accept %d: %s)\n", ci.server_str, ci.server_stop_accept,
			control_accept_str(ci.server_stop_accept));

	if (measured && summarize(&ci, &tot, &sum) != 0) {
		fprintf(stderr, "twamp-client: out of memory computing the report\n");
		measured = false;
	}
	if (c->cli != NULL)
		ci.st = *tw_ctrl_cli_stats(c->cli);
	if (measured || ci.have_greeting || o->json) {
		rt = (struct report_sess){ .res = measured ? &tot : NULL, .s = &sum };
		if (o->json)
			report_control_json(stdout, o, &ci, &rt);
		else if (measured)
			report_control_human(stdout, o, &ci, &rt);
		fflush(stdout);
	}
	if (rc == -3 && ci.error[0] == '\0')
		ret = CLIENT_EXIT_SETUP;
	else
		ret = exit_code(o, &ci, &tot, &sum, measured);
	release(c);
	free(c);
	return ret;
}
