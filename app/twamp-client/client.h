/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-client internals shared by its files: main.c parses options into struct client_opts,
 * sock.c resolves addresses and opens the test socket, sender.c runs one TWAMP-Test session
 * (RFC 5357 §4) over it, check.c verifies reflected fields, report.c prints the result.
 *
 * The test session is described by struct test_params, not by the command line, so a future
 * TWAMP-Control client (RFC 5357 §3) can negotiate a session and hand the same struct to
 * sender_run() with the port and mode the server accepted.
 */
#ifndef TWAMP_CLIENT_H
#define TWAMP_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "tw_measure.h"

enum client_exit {
	CLIENT_EXIT_OK = 0,
	CLIENT_EXIT_SETUP = 1,		/* usage or setup error, message on stderr */
	CLIENT_EXIT_LOSS = 3,		/* loss above --max-loss */
	CLIENT_EXIT_CHECK = 4,		/* --check found a violation */
};

enum client_limits {
	CLIENT_DEFAULT_PORT = 862,	/* RFC 5357 §3.1 / IANA twamp-control; Light uses it too */
	CLIENT_DEFAULT_COUNT = 100,
	CLIENT_DEFAULT_PADDING = 27,	/* 14 + 27 = 41: reply same size as request (RFC 6038) */
	CLIENT_TEST_TTL = 255,		/* RFC 4656 §4.1.2 semantics via RFC 5357 §4.1.2 */
	CLIENT_MAX_UDP_PAYLOAD = 65507,	/* IPv4: 65535 - 20 - 8 */
	CLIENT_RCVBUF = 8 << 20,
	CLIENT_ADDRSTR = 64,		/* "[v6addr%scope]:port" */
};

/* Security mode of the test session (RFC 4656 §3.1 Modes). Only unauthenticated today. */
enum test_mode {
	TEST_MODE_UNAUTH = 1,
};

/* Everything the Session-Sender needs to run one test session. */
struct test_params {
	struct sockaddr_storage peer;	/* Session-Reflector address and test port */
	socklen_t peer_len;
	enum test_mode mode;
	uint32_t count;			/* packets to send, seq 0 .. count-1 */
	uint64_t interval_ns;		/* schedule between transmissions */
	uint32_t padding;		/* Packet Padding octets after the sender fields */
	uint64_t wait_ns;		/* wait for late reflections after the last send */
	bool check;			/* verify every reflected field (check.c) */
};

/* Command line. */
struct client_opts {
	struct test_params tp;
	struct sockaddr_storage local;
	socklen_t local_len;		/* 0: let the kernel pick */
	int dscp;			/* -1: leave the default */
	bool per_packet;
	bool json;
	double max_loss;		/* percent */
	char peer_str[CLIENT_ADDRSTR];
};

/* ---- sock.c ---- */

/*
 * Split "host", "host:port", "[v6]:port", "[v6]" or a bare IPv6 address into host and port.
 * Writes into caller buffers; *port is "" when absent. @return 0 or -EINVAL.
 */
int sock_split_hostport(const char *s, char *host, size_t hostlen, char *port, size_t portlen);
/* Resolve host/port (numeric port) for family (AF_UNSPEC, AF_INET, AF_INET6). Prints the error.
 * @return 0 or -1. */
int sock_resolve(const char *host, const char *port, int family, bool passive,
		 struct sockaddr_storage *ss, socklen_t *len);
/* Open the UDP test socket: TTL 255, DSCP, receive timestamps and TTL, large SO_RCVBUF,
 * non-blocking, bound when o->local_len. Prints the error. @return fd or -1. */
int sock_open_test(const struct client_opts *o);
/* "a.b.c.d:port" or "[v6]:port". */
void sock_addr_str(const struct sockaddr *sa, char *buf, size_t len);
bool sock_addr_equal(const struct sockaddr *a, const struct sockaddr *b);

/* ---- check.c ---- */

enum check_kind {
	CHECK_UNSENT_SEQ = 0,	/* Sender Sequence Number we never sent */
	CHECK_SENDER_TS,	/* Sender Timestamp not echoed */
	CHECK_SENDER_ERREST,	/* Sender Error Estimate not echoed */
	CHECK_MBZ,		/* MBZ octets not zero */
	CHECK_LENGTH,		/* reply shorter than request */
	CHECK_T1_T2,		/* T2 before T1 beyond the stated errors */
	CHECK_T2_T3,		/* T3 before T2 */
	CHECK_T3_T4,		/* T4 before T3 beyond the stated errors */
	CHECK_REPLY_TTL,	/* reply not sent with TTL 255 */
	CHECK_REFL_SEQ,		/* reflector Sequence Numbers not advancing 1 per packet seen */
	CHECK_KIND_MAX,
};

struct check_state {
	uint64_t checked;		/* reflections examined (duplicates included) */
	uint64_t violations;
	uint64_t kind[CHECK_KIND_MAX];
	char first[192];		/* first violation, human readable */
};

/* What sender.c hands the checker for one received reflection. */
struct check_input {
	const uint8_t *buf;		/* UDP payload */
	size_t len;
	size_t req_len;			/* length of the request we sent */
	const struct tw_measure_rec *sent;	/* record of the echoed seq, NULL if never sent */
	uint32_t sender_seq;
	uint64_t t2, t3, t4;		/* decoded, Unix ns */
	uint16_t refl_errest;
	int reply_ttl;			/* -1 when unknown */
};

const char *check_kind_name(enum check_kind k);
void check_reply(struct check_state *c, const struct check_input *in);
/* Session-wide checks on the summary (reflector sequence continuity). */
void check_summary(struct check_state *c, const struct tw_measure_summary *s);

/* ---- sender.c ---- */

struct sender_result {
	struct tw_measure *m;
	struct check_state check;
	uint64_t send_errors;
	uint64_t short_pkts;		/* foreign: shorter than the reflector packet */
	uint64_t wrong_src;		/* foreign: not from the reflector address and port */
	uint64_t socket_drops;		/* SO_RXQ_OVFL: dropped by the kernel, socket full */
	uint64_t no_kernel_ts;		/* replies without SO_TIMESTAMPNS (T4 read in user space) */
	uint16_t sender_errest;		/* our Error Estimate at the last send */
	uint64_t elapsed_ns;		/* first send to end of wait */
	bool interrupted;		/* SIGINT/SIGTERM cut the session short */
};

/*
 * Run one test session on fd. Allocates res->m (free with tw_measure_free()).
 * @return 0, or -1 after printing the error (res->m is then NULL).
 */
int sender_run(const struct test_params *tp, int fd, struct sender_result *res);
/* Ask a running sender_run() to stop sending (first call) and to stop waiting (second). */
void sender_stop(void);

/* ---- report.c ---- */

struct report_ctx {
	const struct client_opts *o;
	const struct sender_result *res;
	const struct tw_measure_summary *s;
	const char *local_str;
};

void report_per_packet(FILE *f, const struct report_ctx *r);
void report_human(FILE *f, const struct report_ctx *r);
void report_json(FILE *f, const struct report_ctx *r);

#endif /* TWAMP_CLIENT_H */
