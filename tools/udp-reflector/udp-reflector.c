/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udp-reflector: a TWAMP Light Session-Reflector (RFC 5357 Appendix I, unauthenticated answers
 * of §4.2.1) on one kernel UDP socket. It exists as the baseline of the end-to-end rate test
 * (tools/rate, docs/performance-rate.rst): what a careful kernel-socket implementation does on
 * the same veth, beside twamp-reflector on DPDK.
 *
 * What makes it a fair baseline rather than a strawman: one thread (pinned with --cpu), up to
 * --batch datagrams per recvmmsg() and per sendmmsg(), answers built in place in the receive
 * buffers (no copy), T2 from the kernel's receive timestamp (SO_TIMESTAMPNS: the time the stack
 * took the packet, not when we read it), T3 read once per batch right before sendmmsg(); --spin
 * polls with MSG_DONTWAIT instead of sleeping (what DPDK's poll mode does), --busy-poll sets
 * SO_BUSY_POLL for drivers with NAPI busy polling.
 *
 * The answer (RFC 5357 §4.2.1): reflector Sequence Number (one counter per sender address and
 * port, like twamp-reflector's flows), T3, Error Estimate, MBZ, T2, the sender's Sequence
 * Number, Timestamp and Error Estimate, MBZ, the sender's TTL (IP_RECVTTL / IPV6_RECVHOPLIMIT),
 * then the sender's padding (RFC 6038 §4.2: the start of it comes back first); never shorter
 * than the request, sent with TTL 255. Timestamps in the sender's format: PTPv2 when the sender's
 * Error Estimate has Z set (RFC 8186 §2.3), else NTP. S only when the kernel says its clock is
 * synchronised (adjtimex), as twamp-client does.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tw_ts.h"
#include "tw_wire.h"

#define NSEC_PER_SEC UINT64_C(1000000000)

enum limits {
	MAX_BATCH = 1024,		/* UIO_MAXIOV */
	DEFAULT_BATCH = 64,
	BUF_LEN = 2048,			/* per datagram: a test packet on a 1500-octet link */
	FLOW_BITS = 16,			/* reflector sequence counters, direct-mapped */
	REPLY_TTL = 255,
	RCVBUF = 32 << 20,
	ERREST_REFRESH_NS = 1000000000,
};

/* One answer's control messages: T2, the sender's TTL. */
union cbuf {
	char buf[CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(int))];
	struct cmsghdr align;
};

/*
 * Reflector Sequence Numbers per sender address and port. Direct-mapped: a sender whose slot
 * another sender takes over starts again from 0, which --check would report; with the few
 * senders of a rate test that never happens.
 */
struct flow {
	struct sockaddr_storage addr;
	uint32_t next_seq;
	bool used;
};

struct stats {
	uint64_t rx;
	uint64_t tx;
	uint64_t short_pkts;		/* shorter than the 14-octet sender packet: dropped */
	uint64_t truncated;		/* longer than BUF_LEN: dropped */
	uint64_t no_ts;			/* no kernel timestamp: T2 read in user space */
	uint64_t tx_errors;
	uint64_t rx_calls;
};

static volatile sig_atomic_t quit;

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* Our Error Estimate (no Z: the format is per answer) and the kernel's TAI - UTC. */
static void
clock_state(uint16_t *errest, uint32_t *tai_s)
{
	struct tw_ts_sync sync;

	memset(&sync, 0, sizeof(sync));
	tw_ts_sync_read_kernel(&sync);
	sync.synced_override = -1;
	*errest = tw_ts_sync_errest(&sync);
	*tai_s = (uint32_t)sync.tai_s;
}

static uint64_t
wire_ts(uint64_t unix_ns, bool ptp, uint32_t tai_s)
{
	/* PTPv2 counts TAI seconds (IEEE 1588), as twamp-client and twamp-reflector stamp it. */
	return ptp ? tw_ts_ptp_from_unix_ns(unix_ns + (uint64_t)tai_s * NSEC_PER_SEC) :
		     tw_ts_ntp_from_unix_ns(unix_ns);
}

static uint32_t
flow_hash(const struct sockaddr_storage *ss)
{
	uint32_t h = 2166136261u;	/* FNV-1a over address and port */
	const uint8_t *p;
	size_t n;

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		p = (const uint8_t *)&s6->sin6_addr;
		n = sizeof(s6->sin6_addr);
		h = (h ^ (s6->sin6_port & 0xff)) * 16777619u;
		h = (h ^ (s6->sin6_port >> 8)) * 16777619u;
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		p = (const uint8_t *)&s4->sin_addr;
		n = sizeof(s4->sin_addr);
		h = (h ^ (s4->sin_port & 0xff)) * 16777619u;
		h = (h ^ (s4->sin_port >> 8)) * 16777619u;
	}
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h >> (32 - FLOW_BITS);
}

static bool
same_sender(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
		const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;

		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return ((const struct sockaddr_in *)a)->sin_port ==
		       ((const struct sockaddr_in *)b)->sin_port &&
	       ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
}

static uint32_t
next_refl_seq(struct flow *flows, const struct sockaddr_storage *from)
{
	struct flow *f = &flows[flow_hash(from)];

	if (!f->used || !same_sender(&f->addr, from)) {
		f->addr = *from;
		f->next_seq = 0;
		f->used = true;
	}
	return f->next_seq++;
}

/*
 * Turn the request in buf (len octets, room for BUF_LEN) into the answer, except T3.
 * @return the answer's length, or 0 to drop the request.
 */
static size_t
reflect(uint8_t *buf, size_t len, uint32_t refl_seq, uint64_t t2, int ttl, uint16_t errest,
	uint32_t tai_s, bool *ptp)
{
	struct tw_test_sender_unauth snd;
	struct tw_test_refl_unauth *r = (struct tw_test_refl_unauth *)buf;
	size_t out = len > TW_WIRE_REFL_UNAUTH_MIN ? len : TW_WIRE_REFL_UNAUTH_MIN;

	memcpy(&snd, buf, sizeof(snd));
	/* RFC 6038 §4.2: the sender's padding comes back at the start of ours. The request's
	 * last 27 octets of padding do not fit in an answer of the same size. */
	if (len > TW_WIRE_REFL_UNAUTH_MIN)
		memmove(buf + TW_WIRE_REFL_UNAUTH_MIN, buf + TW_WIRE_SENDER_UNAUTH_MIN,
			len - TW_WIRE_REFL_UNAUTH_MIN);
	*ptp = (ntohs(snd.err_est) & TW_TS_ERREST_Z) != 0;
	r->seq = htonl(refl_seq);
	r->err_est = htons((uint16_t)(errest | (*ptp ? TW_TS_ERREST_Z : 0)));
	memset(r->mbz0, 0, sizeof(r->mbz0));
	tw_ts_put64((uint8_t *)&r->rx_ts, wire_ts(t2, *ptp, tai_s));
	r->sender_seq = snd.seq;
	r->sender_ts = snd.ts;
	r->sender_err_est = snd.err_est;
	memset(r->mbz1, 0, sizeof(r->mbz1));
	r->sender_ttl = (uint8_t)(ttl < 0 ? 0 : ttl);
	return out;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: udp-reflector [options]\n"
		"TWAMP Light Session-Reflector (RFC 5357 Appendix I) on a kernel UDP socket: the\n"
		"baseline of tools/rate.\n"
		"  -b, --bind ADDR       local address (default 0.0.0.0; an IPv6 one for IPv6)\n"
		"  -p, --port N          UDP port (default 862)\n"
		"  -n, --batch N         datagrams per recvmmsg()/sendmmsg() (1..%d, default %d)\n"
		"  -c, --cpu N           pin the thread to CPU N\n"
		"      --spin            poll with MSG_DONTWAIT (100%% CPU) instead of sleeping\n"
		"      --busy-poll US    SO_BUSY_POLL microseconds (drivers with NAPI busy poll)\n"
		"counters on stdout at SIGINT/SIGTERM\n",
		MAX_BATCH, DEFAULT_BATCH);
}

static int
open_socket(const char *addr, const char *port, int busy_poll)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_DGRAM,
		.ai_protocol = IPPROTO_UDP,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
	};
	struct addrinfo *ai;
	int fd, one = 1, ttl = REPLY_TTL, rcvbuf = RCVBUF, rc;

	rc = getaddrinfo(addr, port, &hints, &ai);
	if (rc != 0) {
		fprintf(stderr, "udp-reflector: %s port %s: %s\n", addr, port, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		goto fail;
	/* Bursts while we answer the previous batch must not overflow the socket: rmem_max
	 * does not apply to root with SO_RCVBUFFORCE. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) != 0)
		goto fail;
	if (ai->ai_family == AF_INET) {
		if (setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one)) != 0 ||
		    setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) != 0)
			goto fail;
	} else {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one)) != 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl)) != 0)
			goto fail;
	}
	if (busy_poll > 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &busy_poll, sizeof(busy_poll)) != 0)
		goto fail;
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0)
		goto fail;
	freeaddrinfo(ai);
	return fd;
fail:
	fprintf(stderr, "udp-reflector: socket %s port %s: %s\n", addr, port, strerror(errno));
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return -1;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bind", required_argument, NULL, 'b' },
		{ "port", required_argument, NULL, 'p' },
		{ "batch", required_argument, NULL, 'n' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "spin", no_argument, NULL, 's' },
		{ "busy-poll", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *addr = "0.0.0.0", *port = "862";
	int batch = DEFAULT_BATCH, cpu = -1, busy_poll = 0, fd, c;
	bool spin = false;
	struct mmsghdr *msg;
	struct iovec *iov;
	uint8_t *bufs;
	struct sockaddr_storage *from;
	union cbuf *cb;
	bool *ptp;			/* answer i is in PTPv2 format (the sender's) */
	struct flow *flows;
	struct stats st = { 0 };
	struct sigaction sa;
	uint16_t errest;
	uint32_t tai_s;
	uint64_t refresh;

	while ((c = getopt_long(argc, argv, "b:p:n:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			addr = optarg;
			break;
		case 'p':
			port = optarg;
			break;
		case 'n':
			batch = atoi(optarg);
			if (batch < 1 || batch > MAX_BATCH) {
				usage(stderr);
				return 1;
			}
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 's':
			spin = true;
			break;
		case 'B':
			busy_poll = atoi(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 1;
	}
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0) {
			fprintf(stderr, "udp-reflector: CPU %d: %s\n", cpu, strerror(errno));
			return 1;
		}
	}
	fd = open_socket(addr, port, busy_poll);
	if (fd < 0)
		return 1;

	msg = calloc((size_t)batch, sizeof(*msg));
	iov = calloc((size_t)batch, sizeof(*iov));
	bufs = calloc((size_t)batch, BUF_LEN);
	from = calloc((size_t)batch, sizeof(*from));
	cb = calloc((size_t)batch, sizeof(*cb));
	ptp = calloc((size_t)batch, sizeof(*ptp));
	flows = calloc(1u << FLOW_BITS, sizeof(*flows));
	if (msg == NULL || iov == NULL || bufs == NULL || from == NULL || cb == NULL ||
	    ptp == NULL || flows == NULL) {
		fprintf(stderr, "udp-reflector: out of memory\n");
		return 1;
	}
	for (int i = 0; i < batch; i++)
		iov[i] = (struct iovec){ .iov_base = bufs + (size_t)i * BUF_LEN, .iov_len = BUF_LEN };

	/* No SA_RESTART: a recvmmsg() sleeping in the kernel returns EINTR and we quit. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	clock_state(&errest, &tai_s);
	refresh = clock_ns(CLOCK_MONOTONIC) + ERREST_REFRESH_NS;
	fprintf(stderr, "udp-reflector: %s port %s, batch %d, cpu %d%s\n", addr, port, batch, cpu,
		spin ? ", spinning" : "");

	while (!quit) {
		int n, out = 0, done = 0;
		uint64_t t3;

		for (int i = 0; i < batch; i++) {
			msg[i].msg_hdr = (struct msghdr){
				.msg_name = &from[i],
				.msg_namelen = sizeof(from[i]),
				.msg_iov = &iov[i],
				.msg_iovlen = 1,
				.msg_control = cb[i].buf,
				.msg_controllen = sizeof(cb[i].buf),
			};
		}
		/* MSG_WAITFORONE: sleep for the first datagram, then take what is queued. */
		n = recvmmsg(fd, msg, (unsigned int)batch, spin ? MSG_DONTWAIT : MSG_WAITFORONE,
			     NULL);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "udp-reflector: recvmmsg: %s\n", strerror(errno));
				break;
			}
			continue;
		}
		st.rx_calls++;
		st.rx += (uint64_t)n;
		for (int i = 0; i < n; i++) {
			struct msghdr *mh = &msg[i].msg_hdr;
			uint64_t t2 = 0;
			int ttl = -1;
			bool have_ts = false, fmt_ptp;
			size_t len;

			for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm != NULL;
			     cm = CMSG_NXTHDR(mh, cm)) {
				if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
					struct timespec ts;

					memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
					t2 = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
					have_ts = true;
				} else if ((cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_TTL) ||
					   (cm->cmsg_level == IPPROTO_IPV6 &&
					    cm->cmsg_type == IPV6_HOPLIMIT)) {
					memcpy(&ttl, CMSG_DATA(cm), sizeof(ttl));
				}
			}
			if (!have_ts) {
				t2 = clock_ns(CLOCK_REALTIME);
				st.no_ts++;
			}
			if (mh->msg_flags & MSG_TRUNC) {
				st.truncated++;
				continue;
			}
			if (msg[i].msg_len < TW_WIRE_SENDER_UNAUTH_MIN) {
				st.short_pkts++;
				continue;
			}
			len = reflect(iov[i].iov_base, msg[i].msg_len,
				      next_refl_seq(flows, &from[i]), t2, ttl, errest, tai_s, &fmt_ptp);
			/* Compact the answers to the front of the vector: the send takes them
			 * in one call. The iovec is rewritten to the answer's length. */
			if (out != i) {
				struct iovec tmp = iov[out];

				iov[out] = iov[i];
				iov[i] = tmp;
				from[out] = from[i];
			}
			iov[out].iov_len = len;
			msg[out].msg_hdr = (struct msghdr){
				.msg_name = &from[out],
				.msg_namelen = from[out].ss_family == AF_INET6 ?
						       sizeof(struct sockaddr_in6) :
						       sizeof(struct sockaddr_in),
				.msg_iov = &iov[out],
				.msg_iovlen = 1,
			};
			ptp[out] = fmt_ptp;
			out++;
		}
		/* T3 as late as we can: once per batch, right before the send. */
		t3 = clock_ns(CLOCK_REALTIME);
		for (int i = 0; i < out; i++) {
			struct tw_test_refl_unauth *r = iov[i].iov_base;

			tw_ts_put64((uint8_t *)&r->tx_ts, wire_ts(t3, ptp[i], tai_s));
		}
		while (done < out) {
			int s = sendmmsg(fd, msg + done, (unsigned int)(out - done), 0);

			if (s < 0) {
				if (errno == EINTR && !quit)
					continue;
				/* Drop the one that failed, keep answering the rest. */
				st.tx_errors++;
				done++;
				continue;
			}
			st.tx += (uint64_t)s;
			done += s;
		}
		for (int i = 0; i < batch; i++)
			iov[i].iov_len = BUF_LEN;
		if (clock_ns(CLOCK_MONOTONIC) >= refresh) {
			clock_state(&errest, &tai_s);
			refresh = clock_ns(CLOCK_MONOTONIC) + ERREST_REFRESH_NS;
		}
	}
	printf("rx %llu tx %llu short %llu truncated %llu no_kernel_ts %llu tx_errors %llu "
	       "rx_calls %llu avg_batch %.2f\n",
	       (unsigned long long)st.rx, (unsigned long long)st.tx,
	       (unsigned long long)st.short_pkts, (unsigned long long)st.truncated,
	       (unsigned long long)st.no_ts, (unsigned long long)st.tx_errors,
	       (unsigned long long)st.rx_calls,
	       st.rx_calls ? (double)st.rx / (double)st.rx_calls : 0.0);
	fflush(stdout);
	close(fd);
	free(flows);
	free(ptp);
	free(cb);
	free(from);
	free(bufs);
	free(iov);
	free(msg);
	return 0;
}
