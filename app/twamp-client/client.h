/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-client internals shared by its files: main.c parses options into struct client_opts,
 * sock.c resolves addresses and opens sockets, keys.c loads the shared secret, control.c is the
 * TWAMP-Control client (RFC 5357 §3) that negotiates test sessions, sender.c runs one TWAMP-Test
 * session (RFC 5357 §4) over a UDP socket, check.c verifies reflected fields, report.c prints the
 * result.
 *
 * A test session is described by struct test_params, not by the command line: light mode fills
 * one from the options, control mode one per negotiated session (the port and the mode the server
 * accepted, the session's keys), and both hand it to sender_run().
 */
#ifndef TWAMP_CLIENT_H
#define TWAMP_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "tw_ctrl.h"
#include "tw_measure.h"
#include "tw_tcrypt.h"

enum client_exit {
	CLIENT_EXIT_OK = 0,
	CLIENT_EXIT_SETUP = 1,		/* usage or setup error, message on stderr */
	CLIENT_EXIT_CONTROL = 2,	/* TWAMP-Control failure or refusal, message on stderr */
	CLIENT_EXIT_LOSS = 3,		/* loss above --max-loss */
	CLIENT_EXIT_CHECK = 4,		/* --check found a violation */
};

enum client_limits {
	CLIENT_DEFAULT_PORT = 862,	/* RFC 5357 §3.1 / IANA twamp-control; Light uses it too */
	CLIENT_DEFAULT_COUNT = 100,
	CLIENT_DEFAULT_PADDING = 27,	/* 14 + 27 = 41: reply same size as request (RFC 6038) */
	CLIENT_AUTH_PADDING = 64,	/* 48 + 64 = 112, the same for the protected layouts */
	CLIENT_TEST_TTL = 255,		/* RFC 4656 §4.1.2 semantics via RFC 5357 §4.1.2 */
	CLIENT_MAX_UDP_PAYLOAD = 65507,	/* IPv4: 65535 - 20 - 8 */
	CLIENT_RCVBUF = 8 << 20,
	CLIENT_ADDRSTR = 64,		/* "[v6addr%scope]:port" */
	CLIENT_MAX_SESSIONS = 64,	/* --sessions: one thread and one socket each */
};

/*
 * Protection of the TWAMP-Test packets (RFC 4656 §3.1 Modes values). Mixed mode (8, RFC 5618)
 * runs its test packets as TEST_MODE_UNAUTH: only its control connection is protected.
 */
enum test_mode {
	TEST_MODE_UNAUTH = 1,
	TEST_MODE_AUTH = 2,
	TEST_MODE_ENC = 4,
};

/*
 * Timestamp formats (RFC 8186 §2.3: the Z bit of the Error Estimate next to a timestamp says
 * which): NTP 64-bit (Z = 0) or PTPv2 truncated (Z = 1). TS_FMT_ANY: --check accepts either.
 */
enum ts_format {
	TS_FMT_NTP = 0,
	TS_FMT_PTP = 1,
	TS_FMT_ANY = 2,
};

/* Everything the Session-Sender needs to run one test session. */
struct test_params {
	struct sockaddr_storage peer;	/* Session-Reflector address and test port */
	socklen_t peer_len;
	enum test_mode mode;
	const struct tw_tcrypt_sess *tc;	/* keys of TEST_MODE_AUTH / TEST_MODE_ENC, else NULL */
	bool symmetrical;		/* RFC 6038 symmetrical-size sender format */
	uint32_t count;			/* packets to send, seq 0 .. count-1 */
	uint64_t interval_ns;		/* schedule between transmissions */
	uint64_t pps_milli;		/* -r: rate in 1/1000 pps, wins over interval_ns (pace.h) */
	bool rate_max;			/* -r max: no schedule, as fast as the sender can */
	/* --batch: up to this many packets per sendmmsg() and reflections per recvmmsg(); 1 (the
	 * default): one sendto() per packet at its own time, as before */
	uint32_t batch;
	uint32_t padding;		/* Packet Padding octets after the sender's fixed part */
	uint64_t wait_ns;		/* wait for late reflections after the last send */
	uint64_t start_unix_ns;		/* first transmission not before (0: at once) */
	/*
	 * RFC 6038: the first reflect_fill octets of the padding are reflect[] (Server Octets and
	 * our pattern), of which the first reflect_len must come back at the start of the
	 * reflector's padding. NULL/0: all-zero padding, nothing checked.
	 */
	const uint8_t *reflect;
	uint16_t reflect_fill;
	uint16_t reflect_len;
	bool check;			/* verify every reflected field (check.c) */
	bool ptp;			/* T1 in PTPv2 truncated format, Z set (RFC 8186) */
	enum ts_format expect;		/* --check: the format the reflector's T2/T3 must have */
};

/* Security modes, -A letters / --mode words. */
enum client_modes {
	CLIENT_MODES_ALL = TW_CTRL_MODE_UNAUTH | TW_CTRL_MODE_AUTH | TW_CTRL_MODE_ENCRYPTED |
			   TW_CTRL_MODE_MIXED,
};

/* Command line. */
struct client_opts {
	struct test_params tp;
	struct sockaddr_storage local;
	socklen_t local_len;		/* 0: let the kernel pick */
	bool local_port;		/* -l gave a port */
	int dscp;			/* -1: leave the default */
	bool per_packet;
	bool json;
	double max_loss;		/* percent */
	bool padding_set;		/* -s given: no mode-dependent default */
	char peer_str[CLIENT_ADDRSTR];
	/* --expect-format given (o->tp.expect), else: light, the format of our T1 (our
	 * reflector answers in the sender's format); control, PTP iff 512 was negotiated */
	bool expect_set;

	/* --control */
	bool control;
	uint32_t modes;			/* security modes allowed, TW_CTRL_MODE_* */
	uint32_t force_mode;		/* --mode, 0: the strongest in common */
	bool isc;			/* RFC 5938 Start-N / Stop-N */
	bool symmetrical;		/* RFC 6038 symmetrical size */
	bool reflect_octets;		/* RFC 6038 reflect octets */
	uint16_t reflect_len;		/* --reflect-octets N */
	uint32_t nb_sessions;
	uint16_t test_port;		/* Receiver Port hint for the first session, 0: none */
	uint64_t timeout_ns;		/* Request-TW-Session Timeout */
	uint64_t control_timeout_ns;	/* connect and each control reply */
	const char *keyid;		/* -k */
	const char *passphrase;		/* --passphrase (argv copy wiped after reading) */
	const char *passphrase_file;
	const char *keystore;
	/* --ike-static: RFC 7717 mode 128 with an IKEv2 SA of this file (keys.c) */
	const char *ike_static;
	/* --ike-socket / --ike-daemon: ... or with the newest IKEv2 SA with the reflector that the
	 * local IKE daemon's "ippm" socket reports (tools/strongswan) */
	const char *ike_socket;
	enum tw_ctrl_spi_layout spi_layout;	/* --spi-layout, default 8+8 */
	bool ike_spis_set;		/* --ike-spis given: the SA to use, else the first */
	uint8_t ike_spi_i[8];		/* --ike-spis, network order */
	uint8_t ike_spi_r[8];
	uint8_t ike_spi_len;		/* 8 or 4 octets each */
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
/* Open a UDP test socket of `family`: TTL 255, DSCP (unless < 0), receive timestamps and TTL,
 * large SO_RCVBUF, non-blocking, bound to local when local_len > 0. Prints the error.
 * @return fd or -1. */
int sock_open_udp(int family, const struct sockaddr_storage *local, socklen_t local_len,
		  int dscp);
/* sock_open_udp() for the light session of the command line. */
int sock_open_test(const struct client_opts *o);
/* "a.b.c.d:port" or "[v6]:port". */
void sock_addr_str(const struct sockaddr *sa, char *buf, size_t len);
bool sock_addr_equal(const struct sockaddr *a, const struct sockaddr *b);
/* Port of an AF_INET/AF_INET6 address, host order; set it. */
uint16_t sock_port(const struct sockaddr_storage *ss);
void sock_set_port(struct sockaddr_storage *ss, uint16_t port);

/* ---- keys.c ---- */

/* The RFC 4656 §3.1 KeyID and shared secret. Wipe with keys_wipe(). */
struct client_key {
	bool present;
	uint8_t keyid[TW_CTRL_KEYID_LEN];	/* UTF-8, zero-padded */
	char keyid_str[TW_CTRL_KEYID_LEN + 1];
	uint8_t secret[TW_CTRL_SECRET_MAX];
	size_t secret_len;
};

/*
 * Load the key the options name (--passphrase, --passphrase-file, --keystore with -k). Files
 * must not be accessible by group or others. No key options: k->present is false.
 * Never prints a secret. @return 0, or -1 after printing the error.
 */
int keys_load(const struct client_opts *o, struct client_key *k);
void keys_wipe(struct client_key *k);

/* RFC 7717 mode 128: an IKEv2 SA's SPIs and its PRF(SK_d, "IPPM"). Wipe with keys_ike_wipe(). */
struct client_ike {
	bool present;
	enum tw_ctrl_spi_layout layout;
	uint8_t spi_len;			/* 8 or 4: tw_ctrl_spi_len(layout) */
	uint8_t spi_i[8];			/* network order; past spi_len zero */
	uint8_t spi_r[8];
	int prf;				/* enum tw_ike_prf of the SA */
	const char *provider;			/* "static" or "ike-daemon" */
	uint8_t secret[TW_CTRL_SECRET_MAX];	/* PRF(SK_d, "IPPM"), never printed */
	size_t secret_len;
};

/*
 * Load the IKEv2 SA --ike-static names (the first entry, or --ike-spis) for --spi-layout, or
 * ask the IKE daemon at --ike-socket for the newest SA with the reflector (or the one with
 * --ike-spis), within --control-timeout. Neither option: ik->present is false. Never prints a
 * secret. @return 0, or -1 after printing the error (-2: the daemon knows no such SA).
 */
int keys_load_ike(const struct client_opts *o, struct client_ike *ik);
void keys_ike_wipe(struct client_ike *ik);
/* "0123456789abcdef" of n octets into buf (2n + 1). */
void keys_hex(const uint8_t *p, size_t n, char *buf);

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
	CHECK_HMAC,		/* authenticated/encrypted answer failed verification */
	CHECK_REFLECTED,	/* RFC 6038: the octets to be reflected did not come back */
	CHECK_TS_FORMAT,	/* RFC 8186 §2.3: reflector's Z bit not the expected format */
	CHECK_KIND_MAX,
};

struct check_state {
	uint64_t checked;		/* reflections examined (duplicates included) */
	uint64_t violations;
	uint64_t kind[CHECK_KIND_MAX];
	char first[192];		/* first violation, human readable */
};

/* Where the fields of a Session-Reflector packet are: RFC 5357 §4.2.1, both layouts. */
struct refl_layout {
	uint16_t min_len;		/* 41 or 112 */
	uint8_t off_seq;
	uint8_t off_tx_ts;		/* T3 */
	uint8_t off_errest;
	uint8_t off_rx_ts;		/* T2 */
	uint8_t off_sender_seq;
	uint8_t off_sender_ts;
	uint8_t off_sender_errest;
	uint8_t off_sender_ttl;
	uint8_t nb_mbz;
	struct {
		uint8_t off;
		uint8_t len;
	} mbz[6];
};

extern const struct refl_layout refl_layout_unauth;	/* modes 1, 8 */
extern const struct refl_layout refl_layout_auth;	/* modes 2, 4 (plaintext) */

/* What sender.c hands the checker for one received (and verified) reflection. */
struct check_input {
	const struct refl_layout *lay;
	const uint8_t *buf;		/* UDP payload, decrypted */
	size_t len;
	size_t req_len;			/* length of the request we sent */
	const struct tw_measure_rec *sent;	/* record of the echoed seq, NULL if never sent */
	uint32_t sender_seq;
	uint64_t t2, t3, t4;		/* decoded, Unix ns */
	uint16_t refl_errest;
	int reply_ttl;			/* -1 when unknown */
	const uint8_t *reflect;		/* RFC 6038 octets expected at lay->min_len, or NULL */
	size_t reflect_len;
	enum ts_format expect;		/* format the reflector's Z bit must say */
	uint32_t tai_s;			/* TAI - UTC used for PTPv2 (ptp_from_utc) */
};

const char *check_kind_name(enum check_kind k);
/* "ntp", "ptp" or "any". */
const char *ts_format_name(enum ts_format f);
/* PTPv2 truncated timestamps count TAI seconds (IEEE 1588 epoch 1970-01-01 TAI): from and to UTC
 * Unix ns with TAI - UTC = tai_s (the kernel's offset, 37 s since 2017, 0 if it knows none). */
uint64_t ptp_from_utc(uint64_t unix_ns, uint32_t tai_s);
uint64_t ptp_to_utc(uint64_t ptp, uint32_t tai_s);
void check_reply(struct check_state *c, const struct check_input *in);
/* An answer from the reflector's address and port that failed HMAC verification. */
void check_bad_hmac(struct check_state *c, size_t len);
/* Session-wide checks on the summary (reflector sequence continuity). */
void check_summary(struct check_state *c, const struct tw_measure_summary *s);
/* Add src's counts to dst; src's first violation, prefixed with `label`, if dst has none. */
void check_merge(struct check_state *dst, const struct check_state *src, const char *label);

/* ---- sender.c ---- */

struct sender_result {
	struct tw_measure *m;
	struct check_state check;
	uint64_t send_errors;
	uint64_t short_pkts;		/* foreign: shorter than the reflector packet */
	uint64_t wrong_src;		/* foreign: not from the reflector address and port */
	uint64_t bad_hmac;		/* from the reflector, but failed HMAC verification */
	uint64_t socket_drops;		/* SO_RXQ_OVFL: dropped by the kernel, socket full */
	uint64_t no_kernel_ts;		/* replies without SO_TIMESTAMPNS (T4 read in user space) */
	uint16_t sender_errest;		/* our Error Estimate at the last send */
	bool ptp;			/* our T1 was PTPv2 (test_params.ptp) */
	enum ts_format expect;		/* test_params.expect, for the report */
	uint64_t refl_ntp;		/* reflections whose T2/T3 were NTP (Z = 0) ... */
	uint64_t refl_ptp;		/* ... and PTPv2 (Z = 1), duplicates included */
	uint32_t tai_s;			/* kernel's TAI - UTC at the end, used for PTPv2 */
	uint64_t elapsed_ns;		/* first send to end of wait */
	uint64_t send_ns;		/* first transmission to the last: the achieved send rate */
	uint64_t send_blocked;		/* --batch: sendmmsg() found the socket full, retried */
	bool interrupted;		/* stopped early: signal, or the server stopped the session */
};

/* Octets before the Packet Padding in the packets we send: 14 or 48, RFC 6038 §4.3 41 or 112. */
size_t sender_fixed_len(const struct test_params *tp);

/*
 * Run one test session on fd. Allocates res->m (free with tw_measure_free()). Several may run at
 * once, one per thread, each on its own fd and res.
 * @return 0, or -1 after printing the error (res->m is then NULL).
 */
int sender_run(const struct test_params *tp, int fd, struct sender_result *res);
/*
 * Ask every running sender_run() to stop sending (first call) and to stop waiting (second).
 * Async-signal-safe; senders running in other threads notice within 100 ms.
 */
void sender_stop(void);
/* 0 while nothing asked to stop, else the number of sender_stop() calls (at most 2). */
int sender_stopping(void);

/* ---- control.c ---- */

/* One test session negotiated over the control connection. */
struct client_session {
	unsigned int num;		/* 1-based, for reports */
	int idx;			/* lib/ctrl session index */
	int fd;
	struct test_params tp;
	struct sockaddr_storage local;
	socklen_t local_len;
	char local_str[CLIENT_ADDRSTR];
	char peer_str[CLIENT_ADDRSTR];
	uint8_t sid[TW_CTRL_SID_LEN];
	int accept;			/* Accept-Session Accept, -1 before it arrived */
	uint16_t port;			/* Accept-Session Port */
	uint16_t octets_reflected;	/* RFC 6038 Octets to be reflected we asked for */
	uint16_t reflected_octets;	/* and what the server echoed */
	uint16_t server_octets;
	struct tw_tcrypt_sess *tc;	/* aligned allocation, wiped and freed at the end */
	uint8_t *reflect;		/* RFC 6038 octets placed in the padding (tp.reflect) */
	struct sender_result res;
	struct tw_measure_summary sum;
	bool ran;			/* sender_run() succeeded: res and sum are valid */
};

/* Everything a report says about the control connection. */
struct control_info {
	char server_str[CLIENT_ADDRSTR];
	char local_str[CLIENT_ADDRSTR];
	bool have_greeting;
	uint32_t modes_offered;		/* Server Greeting Modes */
	uint32_t count;			/* Server Greeting Count */
	uint32_t mode;			/* negotiated Mode, 0 before Set-Up-Response */
	int server_start_accept;	/* -1 before Server-Start */
	uint64_t server_start_time;	/* NTP */
	int start_accept;		/* Start-Ack / Start-N-Ack, -1 none */
	int stop_accept;		/* Stop-N-Ack, -1 none */
	const char *start_cmd;		/* "start-sessions", "start-n-sessions", NULL */
	const char *stop_cmd;		/* "stop-sessions", "stop-n-sessions", NULL */
	bool server_stopped;		/* the server sent Stop-Sessions */
	int server_stop_accept;
	char error[256];		/* control-level failure, "" when none */
	/* RFC 7717 (--ike-static): the IKEv2 SA whose SPIs went in the Key ID; no secret here */
	bool ike;
	const char *ike_provider;	/* "static" or "ike-daemon" */
	const char *ike_prf;		/* the SA's PRF, e.g. "prfsha256" */
	enum tw_ctrl_spi_layout ike_layout;
	uint8_t ike_spi_len;
	uint8_t ike_spi_i[8];
	uint8_t ike_spi_r[8];
	struct tw_ctrl_stats st;	/* copied at the end */
	unsigned int nb_sessions;
	struct client_session *sess;
};

/* Run the whole TWAMP-Control test and print the report. @return the exit code. */
int control_run(const struct client_opts *o);
/* "unauthenticated", "authenticated", "encrypted", "mixed" for a Mode with one security bit. */
const char *control_mode_name(uint32_t mode);
/* RFC 4656 §3.3 meaning of an Accept value. */
const char *control_accept_str(int accept);

/* ---- report.c ---- */

/* The measurement over all sessions of a control connection (res NULL: none ran). */
struct report_sess {
	const struct sender_result *res;
	const struct tw_measure_summary *s;
};

struct report_ctx {
	const struct client_opts *o;
	const struct sender_result *res;
	const struct tw_measure_summary *s;
	const char *local_str;
};

void report_per_packet(FILE *f, const struct tw_measure *m);
void report_human(FILE *f, const struct report_ctx *r);
void report_json(FILE *f, const struct report_ctx *r);
/* Control mode: the control section, every session, the total (when more than one session). */
void report_control_human(FILE *f, const struct client_opts *o, const struct control_info *ci,
			  const struct report_sess *total);
void report_control_json(FILE *f, const struct client_opts *o, const struct control_info *ci,
			 const struct report_sess *total);

#endif /* TWAMP_CLIENT_H */
