/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session-Sender for one TWAMP-Test session (RFC 5357 §4.1) on a kernel UDP socket: paced
 * transmission of unauthenticated test packets, and concurrent reception of the reflections
 * (RFC 5357 §4.2.1) between sends, so the socket never fills while we sleep.
 *
 * Single-threaded on purpose: one loop that drains the socket, then sleeps until either the next
 * transmission is due or a reflection arrives. The kernel stamps T4 (SO_TIMESTAMPNS), so the
 * time a reflection waits in the socket before we read it does not count as delay.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timex.h>
#include <time.h>

#include "client.h"
#include "tw_ts.h"
#include "tw_wire.h"

#define NSEC_PER_SEC UINT64_C(1000000000)

enum sender_tuning {
	RX_BUF_LEN = 65536,		/* any UDP datagram */
	DRAIN_BUDGET = 256,		/* per drain: a flood must not stall the schedule */
	POLL_GUARD_NS = 200000,		/* finish the last 200 us with clock_nanosleep, not ppoll */
	ERREST_REFRESH_NS = 1000000000,	/* re-read adjtimex once a second */
	ALL_IN_GRACE_NS = 10000000,	/* once all are back, 10 ms more for duplicates */
};

static volatile sig_atomic_t stop_level;

void
sender_stop(void)
{
	if (stop_level < 2)
		stop_level++;
}

struct sender {
	const struct test_params *tp;
	int fd;
	struct sender_result *res;
	uint8_t *tx;
	size_t tx_len;
	uint8_t *rx;
	uint16_t errest;
	bool warned_send;
};

static uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static struct timespec
ns_to_ts(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / NSEC_PER_SEC),
		.tv_nsec = (long)(ns % NSEC_PER_SEC),
	};

	return ts;
}

/*
 * Our Error Estimate (RFC 4656 §4.1.2) from the kernel's view of its clock: S only when the
 * kernel says it is synchronised (STA_UNSYNC clear), error from esterror or maxerror.
 */
static uint16_t
read_errest(void)
{
	struct timex tx;
	struct tw_ts_sync sync;
	int st;

	memset(&tx, 0, sizeof(tx));
	st = adjtimex(&tx);
	memset(&sync, 0, sizeof(sync));
	sync.kernel_unsync = st < 0 || st == TIME_ERROR || (tx.status & STA_UNSYNC);
	sync.esterror_us = st < 0 ? 0 : (uint64_t)tx.esterror;
	sync.maxerror_us = st < 0 ? 0 : (uint64_t)tx.maxerror;
	sync.synced_override = -1;
	return tw_ts_sync_errest(&sync);
}

static uint32_t
get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return ntohl(v);
}

static uint16_t
get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return ntohs(v);
}

/* RFC 5357 §4.1.2 unauthenticated packet: Sequence Number, Timestamp, Error Estimate, padding. */
static void
send_one(struct sender *s, uint32_t seq)
{
	uint32_t nseq = htonl(seq);
	uint16_t nee = htons(s->errest);
	uint64_t t1;
	ssize_t n;

	memcpy(s->tx + offsetof(struct tw_test_sender_unauth, seq), &nseq, sizeof(nseq));
	memcpy(s->tx + offsetof(struct tw_test_sender_unauth, err_est), &nee, sizeof(nee));
	/* T1 as late as we can: only the 8-octet store separates it from sendto(). */
	t1 = clock_ns(CLOCK_REALTIME);
	tw_ts_put64(s->tx + offsetof(struct tw_test_sender_unauth, ts), tw_ts_ntp_from_unix_ns(t1));
	n = sendto(s->fd, s->tx, s->tx_len, 0, (const struct sockaddr *)&s->tp->peer,
		   s->tp->peer_len);
	if (n != (ssize_t)s->tx_len) {
		/* Not on the wire: not sent, so not lost either. */
		s->res->send_errors++;
		if (!s->warned_send) {
			fprintf(stderr, "twamp-client: sendto seq %u: %s\n", seq,
				n < 0 ? strerror(errno) : "short write");
			s->warned_send = true;
		}
		return;
	}
	tw_measure_sent(s->res->m, seq, t1, s->errest);
}

/* T2/T3 are NTP unless the reflector's Error Estimate has Z set (PTP, RFC 8186 §2.3). */
static uint64_t
refl_ts(const uint8_t *p, uint16_t errest)
{
	uint64_t v = tw_ts_get64(p);

	return (errest & TW_TS_ERREST_Z) ? tw_ts_ptp_to_unix_ns(v) : tw_ts_ntp_to_unix_ns(v);
}

static void
handle(struct sender *s, size_t len, const struct sockaddr *from, uint64_t t4, int ttl)
{
	struct sender_result *res = s->res;
	struct tw_measure_reply r;
	enum tw_measure_verdict v;

	/* Unconnected socket: anything may arrive; only the reflector's test port is ours. */
	if (!sock_addr_equal(from, (const struct sockaddr *)&s->tp->peer)) {
		res->wrong_src++;
		tw_measure_foreign(res->m);
		return;
	}
	/* RFC 5357 §4.2.1: an unauthenticated reflection is at least 41 octets. */
	if (len < TW_WIRE_REFL_UNAUTH_MIN) {
		res->short_pkts++;
		tw_measure_foreign(res->m);
		return;
	}

	memset(&r, 0, sizeof(r));
	r.refl_seq = get32(s->rx + TW_REFL_OFF_SEQ);
	r.refl_errest = get16(s->rx + TW_REFL_OFF_ERR_EST);
	r.t3 = refl_ts(s->rx + TW_REFL_OFF_TX_TS, r.refl_errest);
	r.t2 = refl_ts(s->rx + TW_REFL_OFF_RX_TS, r.refl_errest);
	r.t4 = t4;
	r.sender_seq = get32(s->rx + TW_REFL_OFF_SENDER_SEQ);
	r.sender_ttl = s->rx[TW_REFL_OFF_SENDER_TTL];
	r.reply_ttl = (int16_t)ttl;
	v = tw_measure_reflected(res->m, &r);

	if (s->tp->check) {
		struct check_input in = {
			.buf = s->rx,
			.len = len,
			.req_len = s->tx_len,
			.sent = v == TW_MEASURE_UNKNOWN_SEQ ? NULL : &res->m->rec[r.sender_seq],
			.sender_seq = r.sender_seq,
			.t2 = r.t2,
			.t3 = r.t3,
			.t4 = r.t4,
			.refl_errest = r.refl_errest,
			.reply_ttl = ttl,
		};

		check_reply(&res->check, &in);
	}
}

/* Read what is queued, up to DRAIN_BUDGET datagrams. @return 0, or -1 on a socket error. */
static int
drain(struct sender *s)
{
	for (int i = 0; i < DRAIN_BUDGET; i++) {
		union {
			char buf[CMSG_SPACE(sizeof(struct timespec)) + 2 * CMSG_SPACE(sizeof(int)) +
				 CMSG_SPACE(sizeof(uint32_t))];
			struct cmsghdr align;
		} cbuf;
		struct sockaddr_storage from;
		struct iovec iov = { .iov_base = s->rx, .iov_len = RX_BUF_LEN };
		struct msghdr mh = {
			.msg_name = &from,
			.msg_namelen = sizeof(from),
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = cbuf.buf,
			.msg_controllen = sizeof(cbuf.buf),
		};
		struct cmsghdr *cm;
		bool have_ts = false;
		uint64_t t4 = 0;
		int ttl = -1;
		ssize_t n;

		n = recvmsg(s->fd, &mh, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			fprintf(stderr, "twamp-client: recvmsg: %s\n", strerror(errno));
			return -1;
		}
		for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec ts;

				memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
				t4 = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
				have_ts = true;
			} else if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL) {
				uint32_t drops;

				/* Cumulative: datagrams the kernel dropped on this socket. */
				memcpy(&drops, CMSG_DATA(cm), sizeof(drops));
				s->res->socket_drops = drops;
			} else if ((cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_TTL) ||
				   (cm->cmsg_level == IPPROTO_IPV6 &&
				    cm->cmsg_type == IPV6_HOPLIMIT)) {
				memcpy(&ttl, CMSG_DATA(cm), sizeof(ttl));
			}
		}
		if (!have_ts) {
			/* Should not happen with SO_TIMESTAMPNS; fall back, and say so. */
			t4 = clock_ns(CLOCK_REALTIME);
			s->res->no_kernel_ts++;
		}
		handle(s, (size_t)n, (const struct sockaddr *)&from, t4, ttl);
	}
	return 0;
}

/*
 * Sleep until mono_deadline or until a reflection is readable, whichever comes first. ppoll()
 * covers the long part; the last POLL_GUARD_NS are slept with clock_nanosleep(TIMER_ABSTIME),
 * which wakes closer to the deadline than a poll timeout would.
 */
static void
wait_until(struct sender *s, uint64_t mono_deadline)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	struct timespec ts;

	if (now >= mono_deadline)
		return;
	if (mono_deadline - now > POLL_GUARD_NS) {
		ts = ns_to_ts(mono_deadline - now - POLL_GUARD_NS);
		ppoll(&pfd, 1, &ts, NULL);
		return;
	}
	ts = ns_to_ts(mono_deadline);
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/* After the last send: wait for late reflections, stopping early once everything is back. */
static int
wait_late(struct sender *s)
{
	const struct tw_measure *m = s->res->m;
	uint64_t end = clock_ns(CLOCK_MONOTONIC) + s->tp->wait_ns;
	bool all_in = false;

	for (;;) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		struct timespec ts;
		uint64_t now;

		if (drain(s) < 0)
			return -1;
		now = clock_ns(CLOCK_MONOTONIC);
		if (!all_in && m->received == m->sent) {
			all_in = true;
			if (now < end && end - now > ALL_IN_GRACE_NS)
				end = now + ALL_IN_GRACE_NS;
		}
		if (now >= end || stop_level >= 2)
			return 0;
		ts = ns_to_ts(end - now);
		ppoll(&pfd, 1, &ts, NULL);
	}
}

int
sender_run(const struct test_params *tp, int fd, struct sender_result *res)
{
	struct sender s = { .tp = tp, .fd = fd, .res = res };
	uint64_t start, next, refresh;
	int ret = -1;

	memset(res, 0, sizeof(*res));
	if (tp->mode != TEST_MODE_UNAUTH) {
		fprintf(stderr, "twamp-client: only unauthenticated test sessions are supported\n");
		return -1;
	}
	res->m = tw_measure_create(tp->count);
	s.tx_len = TW_WIRE_SENDER_UNAUTH_MIN + tp->padding;
	/* Packet Padding is zeros (RFC 5357 §4.1.2 allows any content; zeros are predictable). */
	s.tx = calloc(1, s.tx_len);
	s.rx = malloc(RX_BUF_LEN);
	if (res->m == NULL || s.tx == NULL || s.rx == NULL) {
		fprintf(stderr, "twamp-client: cannot allocate a session of %u packets: %s\n",
			tp->count, strerror(errno));
		goto out;
	}

	s.errest = read_errest();
	start = clock_ns(CLOCK_MONOTONIC);
	next = start;
	refresh = start + ERREST_REFRESH_NS;
	for (uint32_t seq = 0; seq < tp->count && stop_level == 0;) {
		uint64_t now;

		if (drain(&s) < 0)
			goto out;
		now = clock_ns(CLOCK_MONOTONIC);
		if (now < next) {
			wait_until(&s, next);
			continue;
		}
		if (now >= refresh) {
			s.errest = read_errest();
			refresh = now + ERREST_REFRESH_NS;
		}
		send_one(&s, seq++);
		/* Keep the absolute schedule, but after a stall longer than one interval restart
		 * it from now rather than sending a catch-up burst. */
		next += tp->interval_ns;
		if (now > next && now - next > tp->interval_ns)
			next = now;
	}
	res->interrupted = stop_level > 0;
	res->sender_errest = s.errest;
	if (wait_late(&s) < 0)
		goto out;
	res->elapsed_ns = clock_ns(CLOCK_MONOTONIC) - start;
	ret = 0;
out:
	if (ret != 0) {
		tw_measure_free(res->m);
		res->m = NULL;
	}
	free(s.tx);
	free(s.rx);
	return ret;
}
