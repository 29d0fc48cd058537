/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session-Sender for one TWAMP-Test session (RFC 5357 §4.1) on a kernel UDP socket: paced
 * transmission of test packets (unauthenticated, or authenticated/encrypted with lib/tcrypt's
 * OpenSSL reference), and concurrent reception of the reflections (RFC 5357 §4.2.1) between
 * sends, so the socket never fills while we sleep.
 *
 * One loop per session that drains the socket, then sleeps until either the next transmission is
 * due or a reflection arrives. The kernel stamps T4 (SO_TIMESTAMPNS), so the time a reflection
 * waits in the socket before we read it does not count as delay. Control mode runs one session
 * per thread: a session touches only its own socket, buffers and result.
 *
 * With --batch N (N > 1) the same loop moves N packets per system call: sendmmsg() sends a batch
 * once its last packet is due (pace.c: an exact schedule, no catch-up burst larger than N after
 * a stall), recvmmsg() reads up to RX_MMSG reflections at a time, each with its own kernel
 * receive timestamp (T4 stays per packet). T1 is read once per batch right before sendmmsg(), so
 * packet i of a batch leaves after the kernel has sent the i before it: T1 is early by that much
 * (about a microsecond per packet on veth), which counts into the forward delay and the RTT, not
 * into the reflector turnaround T3 - T2. Between batches closer than POLL_GUARD_NS apart the
 * sender spins (draining the socket) instead of sleeping: a sleep's wake-up is later than that.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "client.h"
#include "pace.h"
#include "tw_tcrypt.h"
#include "tw_ts.h"
#include "tw_wire.h"

#define NSEC_PER_SEC UINT64_C(1000000000)

enum sender_tuning {
	RX_BUF_LEN = 65536,		/* any UDP datagram */
	DRAIN_BUDGET = 256,		/* per drain: a flood must not stall the schedule */
	POLL_GUARD_NS = 200000,		/* finish the last 200 us with clock_nanosleep, not ppoll */
	ERREST_REFRESH_NS = 1000000000,	/* re-read adjtimex once a second */
	ALL_IN_GRACE_NS = 10000000,	/* once all are back, 10 ms more for duplicates */
	POLL_MAX_NS = 100000000,	/* sleep at most 100 ms: see a stop from another thread */
	RX_MMSG = 64,			/* --batch: reflections per recvmmsg() */
	RX_MMSG_EXTRA = 1024,		/* --batch: RX buffer octets beyond the request's size */
	LAG_MAX_NS = 1000000,		/* --batch: catch up on lags up to 1 ms, restart beyond */
};

/* Control messages of one reflection: T4, the socket's drop count, the reply TTL. */
union rx_cbuf {
	char buf[CMSG_SPACE(sizeof(struct timespec)) + 2 * CMSG_SPACE(sizeof(int)) +
		 CMSG_SPACE(sizeof(uint32_t))];
	struct cmsghdr align;
};

/* --batch: the sendmmsg()/recvmmsg() vectors, set up once per session. */
struct mmsg {
	uint32_t batch;
	struct mmsghdr *tx;
	struct iovec *tx_iov;
	uint8_t *tx_buf;		/* batch * tx_len octets, packet i at i * tx_len */
	uint64_t *t1;			/* T1 of packet i */
	struct mmsghdr *rx;
	struct iovec *rx_iov;
	uint8_t *rx_buf;		/* RX_MMSG * rx_len octets */
	size_t rx_len;
	struct sockaddr_storage *rx_from;
	union rx_cbuf *rx_cbuf;
};

/*
 * Raised by signal handlers and by the control thread, read by every sender thread. A lock-free
 * atomic int is async-signal-safe (C11 7.14.1.1) and needs no further synchronisation: nothing
 * else is published with it.
 */
static _Atomic int stop_level;

void
sender_stop(void)
{
	int v = atomic_load(&stop_level);

	while (v < 2 && !atomic_compare_exchange_weak(&stop_level, &v, v + 1))
		;
}

int
sender_stopping(void)
{
	return atomic_load(&stop_level);
}

struct sender {
	const struct test_params *tp;
	const struct refl_layout *lay;
	int fd;
	struct sender_result *res;
	uint8_t *tx;
	size_t tx_len;
	size_t ts_off;			/* where T1 goes */
	size_t errest_off;
	bool t1_before_seal;		/* T1 is inside the protected octets (encrypted mode) */
	uint8_t *rx;
	uint16_t errest;
	uint32_t tai_s;			/* kernel's TAI - UTC, for PTPv2 timestamps */
	bool warned_send;
	struct mmsg *mm;		/* --batch > 1, else NULL */
	uint64_t last_tx;		/* CLOCK_MONOTONIC after the last transmission */
};

size_t
sender_fixed_len(const struct test_params *tp)
{
	bool prot = tp->mode == TEST_MODE_AUTH || tp->mode == TEST_MODE_ENC;

	/* RFC 6038 §4.3: the symmetrical-size sender packet carries MBZ octets up to the size of
	 * the reflector's fixed part, so that both directions have the same length. */
	if (tp->symmetrical)
		return prot ? TW_TCRYPT_REFL_LEN : TW_WIRE_REFL_UNAUTH_MIN;
	return prot ? TW_TCRYPT_SENDER_LEN : TW_WIRE_SENDER_UNAUTH_MIN;
}

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
 * kernel says it is synchronised (STA_UNSYNC clear), error from esterror or maxerror; Z when our
 * T1 is PTPv2 (RFC 8186 §2.3). Also the kernel's TAI offset, which PTPv2 timestamps need.
 */
static void
read_clock_state(struct sender *s)
{
	struct tw_ts_sync sync;

	memset(&sync, 0, sizeof(sync));
	tw_ts_sync_read_kernel(&sync);
	sync.synced_override = -1;
	sync.ptp = s->tp->ptp;
	s->errest = tw_ts_sync_errest(&sync);
	/* 0 until chrony/ptp4l tells the kernel (37 s since 2017): then PTPv2 = UTC, as the
	 * reflector does on such a host. */
	s->tai_s = (uint32_t)sync.tai_s;
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

static void
put32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, sizeof(v));
}

static void
put16(uint8_t *p, uint16_t v)
{
	v = htons(v);
	memcpy(p, &v, sizeof(v));
}

/*
 * T1 on the wire: NTP (RFC 5905 §6), or with --ptp the PTPv2 truncated format (RFC 8186 §2.3),
 * announced by the Z bit of the Error Estimate we send with it. PTPv2 counts TAI seconds since
 * 1970 (IEEE 1588): CLOCK_REALTIME plus the kernel's TAI offset, as the reflector does.
 */
static uint64_t
wire_ts(const struct sender *s, uint64_t unix_ns)
{
	return s->tp->ptp ? ptp_from_utc(unix_ns, s->tai_s) : tw_ts_ntp_from_unix_ns(unix_ns);
}

static void
send_failed(struct sender *s, const char *what, uint32_t seq, const char *why)
{
	/* Not on the wire: not sent, so not lost either. */
	s->res->send_errors++;
	if (!s->warned_send) {
		fprintf(stderr, "twamp-client: %s seq %u: %s\n", what, seq, why);
		s->warned_send = true;
	}
}

/* The time of the last transmission: the send rate is the packets over [start, last_tx]. */
static void
note_tx(struct sender *s)
{
	s->last_tx = clock_ns(CLOCK_MONOTONIC);
}

/*
 * One test packet. Unauthenticated (RFC 5357 §4.1.2): Sequence Number, Timestamp, Error
 * Estimate, padding. Authenticated/encrypted (RFC 4656 §4.1.2): the same fields at offsets 0, 16,
 * 24 with MBZ between them, sealed by lib/tcrypt (HMAC over the plaintext, then AES).
 * T1 is read as late as the mode allows: after sealing when the protection does not cover it
 * (authenticated mode), before sealing when it does (encrypted mode: the seal, a few
 * microseconds, then counts into the forward delay).
 */
static void
send_one(struct sender *s, uint32_t seq)
{
	const struct test_params *tp = s->tp;
	uint64_t t1 = 0;
	ssize_t n;

	if (tp->tc != NULL)
		/* Sealing leaves ciphertext and an HMAC behind: start from zeros every time. */
		memset(s->tx, 0, TW_TCRYPT_SENDER_LEN);
	put32(s->tx, seq);
	put16(s->tx + s->errest_off, s->errest);
	if (s->t1_before_seal) {
		t1 = clock_ns(CLOCK_REALTIME);
		tw_ts_put64(s->tx + s->ts_off, wire_ts(s, t1));
	}
	if (tp->tc != NULL &&
	    tw_tcrypt_ref_seal(tp->tc, TW_TCRYPT_SENDER, s->tx, s->tx_len) != TW_TCRYPT_OK) {
		send_failed(s, "seal", seq, "libcrypto failed");
		return;
	}
	if (!s->t1_before_seal) {
		/* T1 as late as we can: only the 8-octet store separates it from sendto(). */
		t1 = clock_ns(CLOCK_REALTIME);
		tw_ts_put64(s->tx + s->ts_off, wire_ts(s, t1));
	}
	n = sendto(s->fd, s->tx, s->tx_len, 0, (const struct sockaddr *)&tp->peer, tp->peer_len);
	if (n != (ssize_t)s->tx_len) {
		send_failed(s, "sendto", seq, n < 0 ? strerror(errno) : "short write");
		return;
	}
	tw_measure_sent(s->res->m, seq, t1, s->errest);
	note_tx(s);
}

/*
 * --batch: packets seq .. seq+n-1 in one sendmmsg(), built as send_one() builds one. T1 is read
 * once, last, for all of them unless the seal covers it (encrypted mode: per packet, before its
 * seal). @return how many sequence numbers were consumed: the packets sent, 1 for a packet that
 * failed (not sent, so not lost), 0 when the socket was full (the caller retries them).
 */
static uint32_t
send_batch(struct sender *s, uint32_t seq, uint32_t n)
{
	const struct test_params *tp = s->tp;
	struct mmsg *mm = s->mm;
	uint64_t t1 = 0;
	int sent;

	for (uint32_t i = 0; i < n; i++) {
		uint8_t *p = mm->tx_buf + (size_t)i * s->tx_len;

		if (tp->tc != NULL)
			memset(p, 0, TW_TCRYPT_SENDER_LEN);
		put32(p, seq + i);
		put16(p + s->errest_off, s->errest);
		if (s->t1_before_seal) {
			mm->t1[i] = clock_ns(CLOCK_REALTIME);
			tw_ts_put64(p + s->ts_off, wire_ts(s, mm->t1[i]));
		}
		if (tp->tc != NULL &&
		    tw_tcrypt_ref_seal(tp->tc, TW_TCRYPT_SENDER, p, s->tx_len) != TW_TCRYPT_OK) {
			if (i == 0) {
				send_failed(s, "seal", seq, "libcrypto failed");
				return 1;
			}
			n = i;	/* send what is sealed; this one is rebuilt next time */
			break;
		}
	}
	if (!s->t1_before_seal) {
		t1 = clock_ns(CLOCK_REALTIME);
		for (uint32_t i = 0; i < n; i++) {
			mm->t1[i] = t1;
			tw_ts_put64(mm->tx_buf + (size_t)i * s->tx_len + s->ts_off, wire_ts(s, t1));
		}
	}
	sent = sendmmsg(s->fd, mm->tx, n, 0);
	if (sent < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS || errno == EINTR) {
			s->res->send_blocked++;
			return 0;
		}
		send_failed(s, "sendmmsg", seq, strerror(errno));
		return 1;
	}
	for (int i = 0; i < sent; i++)
		tw_measure_sent(s->res->m, seq + (uint32_t)i, mm->t1[i], s->errest);
	if (sent > 0)
		note_tx(s);
	return (uint32_t)sent;
}

/* T2/T3 are NTP unless the reflector's Error Estimate has Z set (PTP, RFC 8186 §2.3); PTPv2
 * TAI seconds become UTC with our kernel's TAI offset (both ends should agree on it). */
static uint64_t
refl_ts(const struct sender *s, const uint8_t *p, uint16_t errest)
{
	uint64_t v = tw_ts_get64(p);

	return (errest & TW_TS_ERREST_Z) ? ptp_to_utc(v, s->tai_s) : tw_ts_ntp_to_unix_ns(v);
}

static void
handle(struct sender *s, uint8_t *buf, size_t len, const struct sockaddr *from, uint64_t t4,
       int ttl)
{
	const struct refl_layout *lay = s->lay;
	struct sender_result *res = s->res;
	struct tw_measure_reply r;
	enum tw_measure_verdict v;

	/* Unconnected socket: anything may arrive; only the reflector's test port is ours. */
	if (!sock_addr_equal(from, (const struct sockaddr *)&s->tp->peer)) {
		res->wrong_src++;
		tw_measure_foreign(res->m);
		return;
	}
	/* RFC 5357 §4.2.1: a reflection is at least 41 (unauthenticated) or 112 octets. */
	if (len < lay->min_len) {
		res->short_pkts++;
		tw_measure_foreign(res->m);
		return;
	}
	/* Authenticated/encrypted: decrypt and verify before reading a single field; an answer
	 * that fails is not matched to anything. */
	if (s->tp->tc != NULL &&
	    tw_tcrypt_ref_verify(s->tp->tc, TW_TCRYPT_REFLECTOR, buf, len) != TW_TCRYPT_OK) {
		res->bad_hmac++;
		if (s->tp->check)
			check_bad_hmac(&res->check, len);
		return;
	}

	memset(&r, 0, sizeof(r));
	r.refl_seq = get32(buf + lay->off_seq);
	r.refl_errest = get16(buf + lay->off_errest);
	/* Each reflection says its own format: whatever we sent or negotiated, decode by Z. */
	if (r.refl_errest & TW_TS_ERREST_Z)
		res->refl_ptp++;
	else
		res->refl_ntp++;
	r.t3 = refl_ts(s, buf + lay->off_tx_ts, r.refl_errest);
	r.t2 = refl_ts(s, buf + lay->off_rx_ts, r.refl_errest);
	r.t4 = t4;
	r.sender_seq = get32(buf + lay->off_sender_seq);
	r.sender_ttl = buf[lay->off_sender_ttl];
	r.reply_ttl = (int16_t)ttl;
	v = tw_measure_reflected(res->m, &r);

	if (s->tp->check) {
		struct check_input in = {
			.lay = lay,
			.buf = buf,
			.len = len,
			.req_len = s->tx_len,
			.sent = v == TW_MEASURE_UNKNOWN_SEQ ? NULL : &res->m->rec[r.sender_seq],
			.sender_seq = r.sender_seq,
			.t2 = r.t2,
			.t3 = r.t3,
			.t4 = r.t4,
			.refl_errest = r.refl_errest,
			.reply_ttl = ttl,
			.reflect = s->tp->reflect,
			.reflect_len = s->tp->reflect_len,
			.expect = s->tp->expect,
			.tai_s = s->tai_s,
		};

		check_reply(&res->check, &in);
	}
}

/* T4, the reply TTL and the socket's drop count from one datagram's control messages; T4 read
 * now (and counted) if the kernel gave none. */
static void
rx_meta(struct sender *s, struct msghdr *mh, uint64_t *t4, int *ttl)
{
	bool have_ts = false;

	*ttl = -1;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			*t4 = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
			have_ts = true;
		} else if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL) {
			uint32_t drops;

			/* Cumulative: datagrams the kernel dropped on this socket. */
			memcpy(&drops, CMSG_DATA(cm), sizeof(drops));
			s->res->socket_drops = drops;
		} else if ((cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_TTL) ||
			   (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_HOPLIMIT)) {
			memcpy(ttl, CMSG_DATA(cm), sizeof(*ttl));
		}
	}
	if (!have_ts) {
		/* Should not happen with SO_TIMESTAMPNS; fall back, and say so. */
		*t4 = clock_ns(CLOCK_REALTIME);
		s->res->no_kernel_ts++;
	}
}

/* Read what is queued, up to DRAIN_BUDGET datagrams. @return 0, or -1 on a socket error. */
static int
drain_one(struct sender *s)
{
	for (int i = 0; i < DRAIN_BUDGET; i++) {
		union rx_cbuf cbuf;
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
		uint64_t t4 = 0;
		int ttl;
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
		rx_meta(s, &mh, &t4, &ttl);
		handle(s, s->rx, (size_t)n, (const struct sockaddr *)&from, t4, ttl);
	}
	return 0;
}

/* --batch: the same with recvmmsg(), RX_MMSG at a time, each reflection with its own T4. */
static int
drain_mmsg(struct sender *s)
{
	struct mmsg *mm = s->mm;

	for (int got = 0; got < DRAIN_BUDGET;) {
		int n;

		/* recvmmsg() writes the lengths back: reset them every call. */
		for (int i = 0; i < RX_MMSG; i++) {
			mm->rx[i].msg_hdr.msg_namelen = sizeof(mm->rx_from[i]);
			mm->rx[i].msg_hdr.msg_controllen = sizeof(mm->rx_cbuf[i].buf);
		}
		n = recvmmsg(s->fd, mm->rx, RX_MMSG, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			fprintf(stderr, "twamp-client: recvmmsg: %s\n", strerror(errno));
			return -1;
		}
		for (int i = 0; i < n; i++) {
			uint64_t t4 = 0;
			int ttl;

			rx_meta(s, &mm->rx[i].msg_hdr, &t4, &ttl);
			/* A reflection longer than rx_len arrives truncated (MSG_TRUNC); the
			 * fields we read and check are all within the request's size. */
			handle(s, (uint8_t *)mm->rx_iov[i].iov_base, mm->rx[i].msg_len,
			       (const struct sockaddr *)&mm->rx_from[i], t4, ttl);
		}
		if (n < RX_MMSG)
			return 0;
		got += n;
	}
	return 0;
}

static int
drain(struct sender *s)
{
	return s->mm != NULL ? drain_mmsg(s) : drain_one(s);
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
		uint64_t d = mono_deadline - now - POLL_GUARD_NS;

		ts = ns_to_ts(d < POLL_MAX_NS ? d : POLL_MAX_NS);
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
		if (now >= end || sender_stopping() >= 2)
			return 0;
		ts = ns_to_ts(end - now < POLL_MAX_NS ? end - now : POLL_MAX_NS);
		ppoll(&pfd, 1, &ts, NULL);
	}
}

/* Wait for the session's Start Time (RFC 5357 §3.5), draining stray datagrams meanwhile.
 * @return 0, or -1 on a socket error. */
static int
wait_start(struct sender *s)
{
	uint64_t rt = clock_ns(CLOCK_REALTIME), mono;

	if (s->tp->start_unix_ns <= rt)
		return 0;
	mono = clock_ns(CLOCK_MONOTONIC) + (s->tp->start_unix_ns - rt);
	while (sender_stopping() == 0 && clock_ns(CLOCK_MONOTONIC) < mono) {
		if (drain(s) < 0)
			return -1;
		wait_until(s, mono);
	}
	return 0;
}

static void
mmsg_free(struct mmsg *mm)
{
	if (mm == NULL)
		return;
	free(mm->tx);
	free(mm->tx_iov);
	free(mm->tx_buf);
	free(mm->t1);
	free(mm->rx);
	free(mm->rx_iov);
	free(mm->rx_buf);
	free(mm->rx_from);
	free(mm->rx_cbuf);
	free(mm);
}

/* The vectors of --batch: every TX message points at the reflector, its own buffer (the
 * padding, zeros or RFC 6038 octets, copied from s->tx once); every RX message at its own buffer,
 * address and control buffer. @return NULL on ENOMEM. */
static struct mmsg *
mmsg_create(const struct sender *s, uint32_t batch)
{
	struct mmsg *mm = calloc(1, sizeof(*mm));

	if (mm == NULL)
		return NULL;
	mm->batch = batch;
	mm->rx_len = s->tx_len + RX_MMSG_EXTRA;
	mm->tx = calloc(batch, sizeof(*mm->tx));
	mm->tx_iov = calloc(batch, sizeof(*mm->tx_iov));
	mm->tx_buf = calloc(batch, s->tx_len);
	mm->t1 = calloc(batch, sizeof(*mm->t1));
	mm->rx = calloc(RX_MMSG, sizeof(*mm->rx));
	mm->rx_iov = calloc(RX_MMSG, sizeof(*mm->rx_iov));
	mm->rx_buf = calloc(RX_MMSG, mm->rx_len);
	mm->rx_from = calloc(RX_MMSG, sizeof(*mm->rx_from));
	mm->rx_cbuf = calloc(RX_MMSG, sizeof(*mm->rx_cbuf));
	if (mm->tx == NULL || mm->tx_iov == NULL || mm->tx_buf == NULL || mm->t1 == NULL ||
	    mm->rx == NULL || mm->rx_iov == NULL || mm->rx_buf == NULL || mm->rx_from == NULL ||
	    mm->rx_cbuf == NULL) {
		mmsg_free(mm);
		return NULL;
	}
	for (uint32_t i = 0; i < batch; i++) {
		uint8_t *p = mm->tx_buf + (size_t)i * s->tx_len;

		memcpy(p, s->tx, s->tx_len);
		mm->tx_iov[i] = (struct iovec){ .iov_base = p, .iov_len = s->tx_len };
		mm->tx[i].msg_hdr = (struct msghdr){
			.msg_name = (void *)&s->tp->peer,
			.msg_namelen = s->tp->peer_len,
			.msg_iov = &mm->tx_iov[i],
			.msg_iovlen = 1,
		};
	}
	for (int i = 0; i < RX_MMSG; i++) {
		mm->rx_iov[i] = (struct iovec){
			.iov_base = mm->rx_buf + (size_t)i * mm->rx_len,
			.iov_len = mm->rx_len,
		};
		mm->rx[i].msg_hdr = (struct msghdr){
			.msg_name = &mm->rx_from[i],
			.msg_iov = &mm->rx_iov[i],
			.msg_iovlen = 1,
			.msg_control = mm->rx_cbuf[i].buf,
		};
	}
	return mm;
}

/*
 * Spin until mono_deadline, draining the socket: --batch between batches closer than
 * POLL_GUARD_NS, where a sleep would wake too late for the rate asked. @return 0 or -1.
 */
static int
spin_until(struct sender *s, uint64_t mono_deadline)
{
	while (clock_ns(CLOCK_MONOTONIC) < mono_deadline && sender_stopping() == 0) {
		if (drain(s) < 0)
			return -1;
	}
	return 0;
}

/*
 * The send loop of --batch: a batch leaves once its last packet is due (so it is never sent
 * early as a whole, and packet i of it at most (batch - 1) intervals late). A sender behind by
 * more than two batches and more than LAG_MAX_NS of packets (a stall, or a rate it cannot
 * reach) restarts the schedule from now: it then sends slower than asked, which the report
 * shows, rather than in long catch-up bursts. Shorter lags (a preemption by a softirq) are
 * caught up, batch after batch, so that the average rate holds.
 * @return 0 or -1.
 */
static int
run_batched(struct sender *s, uint64_t start, uint64_t *refresh)
{
	const struct test_params *tp = s->tp;
	struct pace pace = { .pps_milli = tp->pps_milli, .interval_ns = tp->interval_ns };
	uint64_t base = start;		/* schedule origin ... */
	uint32_t base_seq = 0;		/* ... and the sequence number due at it */
	uint32_t batch = s->mm->batch;
	/* The lag, in packets, beyond which the schedule restarts: see above. */
	uint64_t lag_max = tp->rate_max ? UINT32_MAX : pace_due(&pace, LAG_MAX_NS, 0, UINT32_MAX,
								  UINT64_MAX);

	if (tp->rate_max)
		pace = (struct pace){ 0 };
	for (uint32_t seq = 0; seq < tp->count && sender_stopping() == 0;) {
		uint32_t want = tp->count - seq < batch ? tp->count - seq : batch;
		uint32_t due;
		uint64_t now;

		if (drain(s) < 0)
			return -1;
		now = clock_ns(CLOCK_MONOTONIC);
		if (now >= *refresh) {
			read_clock_state(s);
			*refresh = now + ERREST_REFRESH_NS;
		}
		due = pace_due(&pace, now - base, seq - base_seq, UINT32_MAX, UINT64_MAX);
		if (!tp->rate_max && due > 2 * batch && due > lag_max) {
			base = now;
			base_seq = seq;
			due = 1;
		}
		if (due > batch)
			due = batch;
		if (due < want) {
			uint64_t at = base + pace_offset_ns(&pace, seq - base_seq + want - 1);

			if (at - now > POLL_GUARD_NS)
				wait_until(s, at);
			else if (spin_until(s, at) < 0)
				return -1;
			continue;
		}
		seq += send_batch(s, seq, want);
	}
	return 0;
}

int
sender_run(const struct test_params *tp, int fd, struct sender_result *res)
{
	struct sender s = { .tp = tp, .fd = fd, .res = res };
	uint64_t start, next, refresh;
	size_t fixed = sender_fixed_len(tp);
	int ret = -1;

	memset(res, 0, sizeof(*res));
	res->ptp = tp->ptp;
	res->expect = tp->expect;
	if ((tp->mode == TEST_MODE_UNAUTH) != (tp->tc == NULL) ||
	    tp->reflect_len > tp->reflect_fill || (size_t)tp->reflect_fill > tp->padding) {
		fprintf(stderr, "twamp-client: inconsistent test session parameters\n");
		return -1;
	}
	if (tp->tc == NULL) {
		s.lay = &refl_layout_unauth;
		s.ts_off = offsetof(struct tw_test_sender_unauth, ts);
		s.errest_off = offsetof(struct tw_test_sender_unauth, err_est);
	} else {
		s.lay = &refl_layout_auth;
		s.ts_off = TW_TCRYPT_SND_OFF_TS;
		s.errest_off = TW_TCRYPT_SND_OFF_ERR_EST;
		s.t1_before_seal = tw_tcrypt_covers_tx_ts(tp->tc);
	}
	res->m = tw_measure_create(tp->count);
	s.tx_len = fixed + tp->padding;
	/* Packet Padding is zeros (RFC 4656 §4.1.2 asks implementations to offer all-zero
	 * padding; zeros are predictable), except for the RFC 6038 octets to be reflected. */
	s.tx = calloc(1, s.tx_len);
	s.rx = malloc(RX_BUF_LEN);
	if (res->m == NULL || s.tx == NULL || s.rx == NULL) {
		fprintf(stderr, "twamp-client: cannot allocate a session of %u packets: %s\n",
			tp->count, strerror(errno));
		goto out;
	}
	if (tp->reflect_fill > 0)
		memcpy(s.tx + fixed, tp->reflect, tp->reflect_fill);
	if (tp->batch > 1) {
		s.mm = mmsg_create(&s, tp->batch);
		if (s.mm == NULL) {
			fprintf(stderr, "twamp-client: cannot allocate --batch %u buffers\n",
				tp->batch);
			goto out;
		}
	}

	if (wait_start(&s) < 0)
		goto out;
	read_clock_state(&s);
	start = clock_ns(CLOCK_MONOTONIC);
	next = start;
	refresh = start + ERREST_REFRESH_NS;
	if (s.mm != NULL && run_batched(&s, start, &refresh) < 0)
		goto out;
	for (uint32_t seq = 0; s.mm == NULL && seq < tp->count && sender_stopping() == 0;) {
		uint64_t now;

		if (drain(&s) < 0)
			goto out;
		now = clock_ns(CLOCK_MONOTONIC);
		if (now < next) {
			wait_until(&s, next);
			continue;
		}
		if (now >= refresh) {
			read_clock_state(&s);
			refresh = now + ERREST_REFRESH_NS;
		}
		send_one(&s, seq++);
		/* Keep the absolute schedule, but after a stall longer than one interval restart
		 * it from now rather than sending a catch-up burst. */
		next += tp->interval_ns;
		if (now > next && now - next > tp->interval_ns)
			next = now;
	}
	res->interrupted = sender_stopping() > 0;
	res->sender_errest = s.errest;
	res->tai_s = s.tai_s;
	res->send_ns = s.last_tx > start ? s.last_tx - start : 0;
	if (wait_late(&s) < 0)
		goto out;
	res->elapsed_ns = clock_ns(CLOCK_MONOTONIC) - start;
	ret = 0;
out:
	if (ret != 0) {
		tw_measure_free(res->m);
		res->m = NULL;
	}
	mmsg_free(s.mm);
	free(s.tx);
	free(s.rx);
	return ret;
}
