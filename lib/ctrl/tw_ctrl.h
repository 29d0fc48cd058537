/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TWAMP-Control (RFC 5357 §3 on RFC 4656 §3; RFC 5618, RFC 5938, RFC 6038, RFC 7717, and the
 * RFC 8186 timestamp format bit) as two transport-free state machines: a server (the reflector's
 * side) and a client. Bytes in, bytes out: the caller owns the TCP socket, feeds what it receives
 * to *_input(), and sends what the machine appended to a struct tw_ctrl_out. Nothing here reads a
 * clock (every call takes `now`, a monotonic time in ns) or draws randomness (a caller callback
 * does), so tests and fuzzers replay exactly.
 *
 * Threading: one machine is used by one thread at a time (the control lcore); callbacks run on
 * that thread, synchronously, from inside the call that triggers them.
 *
 * Server, typical use (the app's TCP server on the control lcore):
 *
 *	s = tw_ctrl_srv_new(&conf, &peer, &local, conn);     on accept()
 *	tw_ctrl_srv_start(s, now, &out);                    Server Greeting -> send
 *	tw_ctrl_srv_input(s, buf, n, now, &out);            on every recv(); then send out
 *	tw_ctrl_srv_tick(s, now, &out);                     at tw_ctrl_srv_deadline(s)
 *	tw_ctrl_srv_peer_closed(s);                         on recv() == 0
 *	if (tw_ctrl_srv_closed(s)) { send out; close; tw_ctrl_srv_free(s); }
 *
 * Events come through conf.ops: session_request() decides each Request-TW-Session; event() reports
 * sessions started and stopped (by SID) and the close. Sessions still present when the connection
 * closes are reported stopped first, so the data plane never keeps a session the control plane
 * has forgotten.
 */
#ifndef TW_CTRL_H
#define TW_CTRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tw_ctrl_crypto.h"
#include "tw_ctrl_msg.h"

/* Where the machines append octets to send. They never write past cap. */
struct tw_ctrl_out {
	uint8_t *buf;
	size_t cap;
	size_t len;				/* octets already in buf */
};

/* An IP address as TWAMP-Control carries it. */
struct tw_ctrl_addr {
	uint8_t family;				/* 4 or 6 */
	uint8_t addr[16];			/* network order; IPv4 in the first 4 octets */
};

/* Why a connection must close; TW_CTRL_OPEN while it need not. */
enum tw_ctrl_close {
	TW_CTRL_OPEN = 0,
	TW_CTRL_CLOSE_PEER,			/* the peer closed the TCP connection */
	TW_CTRL_CLOSE_LOCAL,			/* the caller asked (tw_ctrl_*_close) */
	TW_CTRL_CLOSE_BAD_MESSAGE,		/* unknown, forbidden or malformed message */
	TW_CTRL_CLOSE_PROTOCOL,			/* a valid message not allowed in this state */
	TW_CTRL_CLOSE_BAD_HMAC,			/* RFC 4656 §3.2 HMAC mismatch */
	TW_CTRL_CLOSE_OVERFLOW,			/* message longer than this connection buffers */
	TW_CTRL_CLOSE_AUTH,			/* srv: KeyID unknown or Token wrong */
	TW_CTRL_CLOSE_MODE,			/* srv: Mode not offered; cli: no common mode */
	TW_CTRL_CLOSE_DECLINED,			/* srv: Set-Up-Response with Mode 0 */
	TW_CTRL_CLOSE_REFUSED,			/* cli: Modes 0, or Server-Start Accept != 0 */
	TW_CTRL_CLOSE_COUNT,			/* cli: greeting Count outside [1024, max_count] */
	TW_CTRL_CLOSE_TIMEOUT,			/* handshake step or partial message too slow */
	TW_CTRL_CLOSE_SERVWAIT,			/* srv: RFC 5357 §3.1 SERVWAIT, idle connection */
	TW_CTRL_CLOSE_REFWAIT,			/* srv: started, and no activity for REFWAIT */
	TW_CTRL_CLOSE_INTERNAL,			/* randomness, libcrypto or key store failure */
	TW_CTRL_CLOSE_MAX,
};

/* Why a request was answered with a non-zero Accept (one counter each). */
enum tw_ctrl_refuse {
	/* Server-Start */
	TW_CTRL_REFUSE_MODE,			/* not one offered security mode + features */
	TW_CTRL_REFUSE_KEYID,			/* the key lookup does not know the KeyID */
	TW_CTRL_REFUSE_TOKEN,			/* Token does not decrypt to the Challenge */
	TW_CTRL_REFUSE_KEY_ERROR,		/* key lookup failed or did not answer */
	/* Accept-Session */
	TW_CTRL_REFUSE_MBZ,			/* non-zero MBZ (unless lenient_mbz) */
	TW_CTRL_REFUSE_IPVN,			/* IPVN not 4 or 6 */
	TW_CTRL_REFUSE_CONF,			/* Conf-Sender / Conf-Receiver not 0 */
	TW_CTRL_REFUSE_SCHEDULE,		/* Schedule Slots / Number of Packets not 0 */
	TW_CTRL_REFUSE_LIMIT,			/* max_sessions reached on this connection */
	TW_CTRL_REFUSE_FAMILY,			/* zero address, connection of the other family */
	TW_CTRL_REFUSE_THIRD_PARTY,		/* Sender Address is not the control peer */
	TW_CTRL_REFUSE_TYPEP,			/* Type-P Descriptor not the DSCP form */
	TW_CTRL_REFUSE_PADDING,			/* Padding Length above max_padding */
	TW_CTRL_REFUSE_REFLECT,			/* RFC 6038: padding to reflect > Padding Length */
	TW_CTRL_REFUSE_SID,			/* no unique SID after retries */
	TW_CTRL_REFUSE_CALLER,			/* the session_request callback refused */
	/* Start-Ack, Start-N-Ack, Stop-N-Ack */
	TW_CTRL_REFUSE_START_EMPTY,		/* Start-Sessions with no session left to start */
	TW_CTRL_REFUSE_START_N,			/* Start-N: unknown, started or repeated SID */
	TW_CTRL_REFUSE_STOP_N,			/* Stop-N-Sessions: unknown SID */
	/* Server-Start, RFC 7717 mode 128 (appended: earlier values keep their numbers) */
	TW_CTRL_REFUSE_SPI,			/* Key ID: zero SPI or non-zero octets after them */
	TW_CTRL_REFUSE_NO_SA,			/* ike_lookup does not know the IKEv2 SA (Accept 6) */
	TW_CTRL_REFUSE_MAX,
};

/* Tolerated deviations, counted. */
enum tw_ctrl_viol {
	TW_CTRL_VIOL_MBZ,			/* non-zero MBZ octets or unused HMAC field */
	TW_CTRL_VIOL_STOP_COUNT,		/* Stop-Sessions Number of Sessions mismatch */
	TW_CTRL_VIOL_REFLECTED,			/* cli: Reflected octets not the requested ones */
	TW_CTRL_VIOL_MAX,
};

/* Per-connection counters; the caller reads them (and sums them) at will. */
struct tw_ctrl_stats {
	uint64_t rx_msgs[TW_CTRL_CMD_MAX];	/* srv: complete, authentic commands by number */
	uint64_t rx_unknown;			/* srv: first blocks with an unusable command */
	uint64_t rx_octets;
	uint64_t tx_octets;
	uint64_t refused[TW_CTRL_REFUSE_MAX];
	uint64_t viol[TW_CTRL_VIOL_MAX];
	uint64_t sessions_accepted;
	uint64_t sessions_started;
	uint64_t sessions_stopped;
	enum tw_ctrl_close close;		/* TW_CTRL_OPEN until closed */
};

enum tw_ctrl_event_type {
	TW_CTRL_EV_READY,			/* Server-Start exchanged (cli: see accept) */
	TW_CTRL_EV_ACCEPT,			/* cli: Accept-Session for `session` */
	TW_CTRL_EV_START,			/* sessions started (cli: also a refused start) */
	TW_CTRL_EV_STOP,			/* sessions stopped */
	TW_CTRL_EV_CLOSE,			/* flush out, then close the TCP connection */
};

struct tw_ctrl_event {
	enum tw_ctrl_event_type type;
	uint8_t accept;				/* Accept of the message behind the event */
	enum tw_ctrl_close reason;		/* TW_CTRL_EV_CLOSE */
	int session;				/* cli TW_CTRL_EV_ACCEPT: session index; else -1 */
	uint32_t nb_sids;
	const uint8_t (*sids)[TW_CTRL_SID_LEN];	/* valid during the callback only */
};

/*
 * RFC 7717 (draft-ietf-ippm-ipsec) mode 128: where the SPIs of the IKEv2 SA sit in the
 * Set-Up-Response Key ID. IKEv2 SPIs are 8 octets (RFC 7296 §3.1), the draft says 4.
 */
enum tw_ctrl_spi_layout {
	TW_CTRL_SPI_8_8 = 0,			/* SPIi (8) then SPIr (8): octets 0-15, rest zero */
	TW_CTRL_SPI_4_4,			/* draft §5.3: SPIi (4) then SPIr (4), rest zero */
};
/* SPI length of a layout: 8 or 4. */
size_t tw_ctrl_spi_len(enum tw_ctrl_spi_layout layout);

/* TWAMP-Test security that a negotiated Mode implies (RFC 5618: mixed tests are open; RFC 7717:
 * bit 128 changes only where the shared secret comes from, 130/132/136 test as 2/4/8). */
enum tw_ctrl_test_mode {
	TW_CTRL_TEST_OPEN,
	TW_CTRL_TEST_AUTH,
	TW_CTRL_TEST_ENCRYPTED,
};
enum tw_ctrl_test_mode tw_ctrl_test_mode(uint32_t mode);

/* Names for logs and counters ("peer", "bad-hmac", ...); never NULL. */
const char *tw_ctrl_close_str(enum tw_ctrl_close c);
const char *tw_ctrl_refuse_str(enum tw_ctrl_refuse r);

/*
 * ---------------------------------------------------------------------------------------------
 * Server
 * ---------------------------------------------------------------------------------------------
 */

/* A Request-TW-Session after validation, as the session_request callback sees it. */
struct tw_ctrl_session_req {
	uint8_t sid[TW_CTRL_SID_LEN];		/* made by the server, RFC 4656 §3.5 */
	/* The connection's negotiated Mode, security and feature bits. With TW_CTRL_MODE_PTP
	 * (RFC 8186 §2) the Session-Reflector stamps this session's T2/T3 in the PTPv2
	 * truncated format with the Z bit set; without it, NTP with Z clear. */
	uint32_t mode;
	uint8_t ipvn;				/* 4 or 6 */
	struct tw_ctrl_addr sender;		/* zero replaced by the control peer (§3.5) */
	struct tw_ctrl_addr receiver;		/* zero replaced by the local control address */
	bool sender_was_zero;
	bool receiver_was_zero;
	uint16_t sender_port;
	uint16_t receiver_port;			/* requested; the answer may pick another */
	uint32_t padding_len;
	uint64_t start_time;			/* NTP */
	uint64_t timeout;			/* NTP-format interval */
	uint32_t type_p;
	uint8_t dscp;				/* from Type-P (DSCP form only) */
	uint16_t octets_reflected;		/* RFC 6038, mode 32 only (else 0) */
	uint16_t padding_reflect;		/* RFC 6038, mode 32 only (else 0) */
};

/* The callback's decision, preset to accept on the requested Receiver Port. */
struct tw_ctrl_session_answer {
	uint8_t accept;				/* enum tw_ctrl_accept; > 6 is sent as 2 */
	uint16_t port;				/* reflector's receive port (0 with accept 0: 2) */
	uint16_t server_octets;			/* RFC 6038 Server octets (mode 32) */
};

/* A session the server holds (accepted, maybe started). */
struct tw_ctrl_srv_session {
	struct tw_ctrl_session_req req;
	struct tw_ctrl_session_answer ans;
	bool started;
};

struct tw_ctrl_srv_ops {
	/* Fill buf with len unpredictable octets (getrandom(2) in the app). @return 0 or -errno. */
	int (*random)(void *arg, uint8_t *buf, size_t len);
	/*
	 * Shared secret of a KeyID (RFC 4656 §3.1), for modes 2, 4, 8. Copy at most *secret_len
	 * octets into secret and set *secret_len. lib/ctrl wipes its copy after use.
	 * @return 0 found, -ENOENT unknown KeyID, -EINPROGRESS answer later through
	 *         tw_ctrl_srv_key_result(), other -errno: store failure (Accept 2).
	 */
	int (*key_lookup)(void *arg, const uint8_t keyid[TW_CTRL_KEYID_LEN], uint8_t *secret,
			  size_t *secret_len);
	/*
	 * RFC 7717 mode 128 (conf.ike.enable): the shared secret PRF(SK_d, "IPPM") of the IKEv2
	 * SA named by the SPIs of the Key ID, spi_len octets each (8, or 4 with TW_CTRL_SPI_4_4).
	 * Same contract as key_lookup: copy at most *secret_len octets, set *secret_len.
	 * @return 0 found, -ENOENT no such SA (Server-Start Accept 6), -EINPROGRESS answer later
	 *         through tw_ctrl_srv_key_result() (status -ENOENT then means Accept 6 too),
	 *         other -errno: failure (Accept 2).
	 */
	int (*ike_lookup)(void *arg, const uint8_t *spi_i, const uint8_t *spi_r, size_t spi_len,
			  uint8_t *secret, size_t *secret_len);
	/* Decide one valid Request-TW-Session; ans arrives preset to accept. */
	void (*session_request)(void *arg, const struct tw_ctrl_session_req *req,
				struct tw_ctrl_session_answer *ans);
	/* Sessions started/stopped, close. May be NULL. */
	void (*event)(void *arg, const struct tw_ctrl_event *ev);
};

struct tw_ctrl_srv_conf {
	/* Offered: security bits | feature bits. TW_CTRL_MODE_PTP (RFC 8186) only when the
	 * Session-Reflector can stamp T2/T3 in PTPv2 truncated format for this connection. */
	uint32_t modes;
	uint32_t count;				/* PBKDF2 iterations: power of 2, >= 1024 */
	uint32_t max_sessions;			/* per connection, 1..TW_CTRL_MAX_SESSIONS */
	uint32_t max_padding;			/* largest Padding Length accepted */
	uint64_t step_timeout_ns;		/* Set-Up-Response, key lookup, partial message */
	uint64_t servwait_ns;			/* RFC 5357 §3.1 SERVWAIT (0: never) */
	uint64_t refwait_ns;			/* while started (0: never); see touch() */
	uint64_t start_time;			/* NTP: Server-Start Start-Time (server start) */
	uint64_t start_mono_ns;			/* `now` at start_time, for SID timestamps */
	uint8_t sid_ipv4[4];			/* IPv4 for SIDs of IPv6 sessions (0: use IPv6) */
	bool allow_third_party;			/* Sender Address may differ from the peer */
	bool lenient_mbz;			/* count non-zero MBZ but do not refuse */
	/*
	 * RFC 7717: offer Modes bit 128 (IKEv2-derived shared secret) in the greeting. Needs
	 * ops.ike_lookup and at least one of 2, 4, 8 in modes (128 itself never goes in modes).
	 * With ike on, ops.key_lookup may be NULL: plain 2/4/8 are then refused (Accept 3).
	 */
	struct tw_ctrl_srv_ike {
		bool enable;
		enum tw_ctrl_spi_layout layout;
	} ike;
	struct tw_ctrl_srv_ops ops;
};

/* Defaults: modes 1|2|4|8|16|32|64 (not 512), count 1024, 16 sessions, padding 9000, step 30 s,
 * SERVWAIT and REFWAIT 900 s (RFC 5357 §3.1, §4.2), ike off (layout 8+8). ops are left NULL. */
void tw_ctrl_srv_conf_defaults(struct tw_ctrl_srv_conf *c);

enum tw_ctrl_srv_state {
	TW_CTRL_SRV_INIT,			/* before tw_ctrl_srv_start() */
	TW_CTRL_SRV_GREETED,			/* waiting for Set-Up-Response */
	TW_CTRL_SRV_KEY_WAIT,			/* key lookup in progress */
	TW_CTRL_SRV_READY,			/* commands accepted, no test in progress */
	TW_CTRL_SRV_TEST,			/* Start-Sessions accepted (not in mode 16) */
	TW_CTRL_SRV_CLOSED,
};

struct tw_ctrl_srv;

/*
 * One server per TCP connection. conf is copied. peer and local are the connection's remote and
 * local addresses (an IPv4-mapped IPv6 peer must be given as IPv4).
 * @return the server, or NULL with errno EINVAL (bad conf or address) or ENOMEM.
 */
struct tw_ctrl_srv *tw_ctrl_srv_new(const struct tw_ctrl_srv_conf *conf,
				    const struct tw_ctrl_addr *peer,
				    const struct tw_ctrl_addr *local, void *arg);
/* Wipe every key and free. NULL is allowed. Emits nothing: close first if events matter. */
void tw_ctrl_srv_free(struct tw_ctrl_srv *s);

/*
 * Octets of free space in `out` that every call needs beyond the input length: input, key_result
 * and tick require out->cap - out->len >= len + tw_ctrl_srv_out_reserve(s) (len 0 for the latter
 * two), and then always consume all input. Replies never outgrow the requests that caused them.
 */
size_t tw_ctrl_srv_out_reserve(const struct tw_ctrl_srv *s);

/*
 * Write the Server Greeting (RFC 4656 §3.1): Modes, a random Challenge and Salt, Count.
 * @return 0, -EINVAL (not in INIT), -ENOBUFS (out), -EIO (random source; closed INTERNAL).
 */
int tw_ctrl_srv_start(struct tw_ctrl_srv *s, uint64_t now, struct tw_ctrl_out *out);

/*
 * Consume received octets: any split is fine, partial messages wait, several messages are
 * handled in order, replies are appended to out. Check tw_ctrl_srv_closed() afterwards.
 * @return 0 (all consumed, possibly now closed), -EINVAL (NULL, or before start), -ENOBUFS (out
 *         too small: nothing consumed), -EPIPE (already closed: nothing consumed).
 */
int tw_ctrl_srv_input(struct tw_ctrl_srv *s, const uint8_t *in, size_t len, uint64_t now,
		      struct tw_ctrl_out *out);

/*
 * Answer a key_lookup or ike_lookup that returned -EINPROGRESS: status 0 with the secret, -ENOENT
 * (unknown KeyID: Accept 1; unknown IKEv2 SA: Accept 6), or another -errno (Accept 2). Octets
 * that arrived meanwhile are then processed.
 * @return as tw_ctrl_srv_input(); -EINVAL if no lookup is pending.
 */
int tw_ctrl_srv_key_result(struct tw_ctrl_srv *s, int status, const uint8_t *secret,
			   size_t secret_len, uint64_t now, struct tw_ctrl_out *out);

/*
 * Enforce deadlines: Set-Up-Response, key lookup and partial messages within step_timeout;
 * SERVWAIT while no session is started (RFC 5357 §3.1); REFWAIT while one is. out may be NULL
 * (a key lookup timeout then closes without its Server-Start).
 * @return 0 (check tw_ctrl_srv_closed()), -ENOBUFS.
 */
int tw_ctrl_srv_tick(struct tw_ctrl_srv *s, uint64_t now, struct tw_ctrl_out *out);
/* The next `now` at which tick() has work, UINT64_MAX if none. */
uint64_t tw_ctrl_srv_deadline(const struct tw_ctrl_srv *s);
/* Test packets of this connection's sessions were seen at `now` (restarts REFWAIT). */
void tw_ctrl_srv_touch(struct tw_ctrl_srv *s, uint64_t now);
/* The peer closed (recv() returned 0) or the caller closes: stops sessions, emits CLOSE. */
void tw_ctrl_srv_peer_closed(struct tw_ctrl_srv *s);
void tw_ctrl_srv_close(struct tw_ctrl_srv *s);

enum tw_ctrl_close tw_ctrl_srv_closed(const struct tw_ctrl_srv *s);
enum tw_ctrl_srv_state tw_ctrl_srv_state(const struct tw_ctrl_srv *s);
/* Negotiated Mode (security | features), 0 before Set-Up-Response. */
uint32_t tw_ctrl_srv_mode(const struct tw_ctrl_srv *s);
/*
 * RFC 8186 §2: the Set-Up-Response Mode has 512, which the greeting offered, so every session of
 * this connection must carry PTPv2 truncated T2/T3 with the Error Estimate's Z bit set (§2.3);
 * false: NTP, Z clear. The same as tw_ctrl_srv_mode(s) & TW_CTRL_MODE_PTP, and as the `mode` of
 * each tw_ctrl_session_req. False before the Set-Up-Response.
 */
bool tw_ctrl_srv_ptp(const struct tw_ctrl_srv *s);
/* Control session keys (modes 2, 4, 8), for tw_ctrl_test_keys(). @return 0 or -ENOKEY. */
int tw_ctrl_srv_keys(const struct tw_ctrl_srv *s, struct tw_ctrl_keys *keys);
const struct tw_ctrl_stats *tw_ctrl_srv_stats(const struct tw_ctrl_srv *s);
unsigned int tw_ctrl_srv_nb_sessions(const struct tw_ctrl_srv *s);
/* Session by SID, NULL if this connection holds none. */
const struct tw_ctrl_srv_session *tw_ctrl_srv_session(const struct tw_ctrl_srv *s,
							 const uint8_t sid[TW_CTRL_SID_LEN]);

/*
 * ---------------------------------------------------------------------------------------------
 * Client
 * ---------------------------------------------------------------------------------------------
 */

struct tw_ctrl_cli_ops {
	int (*random)(void *arg, uint8_t *buf, size_t len);
	void (*event)(void *arg, const struct tw_ctrl_event *ev);	/* may be NULL */
};

/*
 * RFC 7717 mode 128 on the client: the application asks its key provider (the IPsec layer)
 * for the IKEv2 SA towards the server before connecting, and hands over its SPIs and the
 * derived secret PRF(SK_d, "IPPM"). In the 4+4 layout only spi_i[0..3] and spi_r[0..3] are
 * used; their octets 4-7 must be zero.
 */
struct tw_ctrl_cli_ike {
	bool enable;				/* SPIs + secret supplied: prefer 128|sec */
	enum tw_ctrl_spi_layout layout;		/* must match the server's */
	uint8_t spi_i[8];			/* network order, as in the IKE header */
	uint8_t spi_r[8];
	const uint8_t *secret;			/* copied by tw_ctrl_cli_new() */
	size_t secret_len;			/* 1..TW_CTRL_SECRET_MAX */
};

struct tw_ctrl_cli_conf {
	uint32_t modes;				/* security modes allowed (1, 2, 4, 8) */
	/* 0: strongest allowed and offered (128|sec first when ike.enable and 128 offered).
	 * One of 1, 2, 4, 8; or 128, alone (any allowed 2/4/8) or with one of 2, 4, 8, which
	 * needs ike.enable. Without 128, ike is not used. */
	uint32_t force_mode;
	/* Wanted feature bits, 16|32|64|512, each used only where the greeting offers it. 512
	 * (RFC 8186): our Session-Sender reads PTPv2 reflector timestamps. */
	uint32_t features;
	uint32_t max_count;			/* refuse costlier PBKDF2 (default 32768) */
	uint32_t max_sessions;			/* session slots, 1..TW_CTRL_MAX_SESSIONS */
	uint64_t step_timeout_ns;		/* greeting, Server-Start, each reply */
	uint8_t keyid[TW_CTRL_KEYID_LEN];	/* zero-padded (RFC 4656 §3.1) */
	const uint8_t *secret;			/* copied by tw_ctrl_cli_new() */
	size_t secret_len;			/* 0: modes 2, 4, 8 are not possible */
	struct tw_ctrl_cli_ike ike;		/* RFC 7717; off by default */
	struct tw_ctrl_cli_ops ops;
};

/* Defaults: modes 1|2|4|8, no forced mode, no features, max_count 32768, 16 sessions, step 30 s. */
void tw_ctrl_cli_conf_defaults(struct tw_ctrl_cli_conf *c);

enum tw_ctrl_cli_state {
	TW_CTRL_CLI_GREETING,			/* waiting for the Server Greeting */
	TW_CTRL_CLI_SERVER_START,		/* Set-Up-Response sent */
	TW_CTRL_CLI_READY,			/* commands may be sent */
	TW_CTRL_CLI_CLOSED,
};

/* What the client asks for in one Request-TW-Session. */
struct tw_ctrl_session_params {
	uint8_t ipvn;				/* 4 or 6 */
	uint8_t sender_addr[16];		/* zero: the control connection's (RFC 5357 §3.5) */
	uint8_t receiver_addr[16];
	uint16_t sender_port;
	uint16_t receiver_port;
	uint32_t padding_len;
	uint64_t start_time;			/* NTP */
	uint64_t timeout;			/* NTP-format interval */
	uint32_t type_p;			/* tw_ctrl_typep_from_dscp() */
	uint16_t octets_reflected;		/* RFC 6038, sent only in mode 32 */
	uint16_t padding_reflect;		/* RFC 6038, sent only in mode 32 */
};

enum tw_ctrl_cli_session_state {
	TW_CTRL_CLI_SESS_FREE,
	TW_CTRL_CLI_SESS_REQUESTED,
	TW_CTRL_CLI_SESS_ACCEPTED,
	TW_CTRL_CLI_SESS_REFUSED,
	TW_CTRL_CLI_SESS_STARTED,
	TW_CTRL_CLI_SESS_STOPPED,
};

struct tw_ctrl_cli_session {
	enum tw_ctrl_cli_session_state state;
	struct tw_ctrl_session_params p;
	uint8_t accept;
	uint16_t port;				/* Accept-Session Port */
	uint8_t sid[TW_CTRL_SID_LEN];
	uint16_t reflected_octets;
	uint16_t server_octets;
};

struct tw_ctrl_cli;

/* @return the client, or NULL with errno EINVAL or ENOMEM. */
struct tw_ctrl_cli *tw_ctrl_cli_new(const struct tw_ctrl_cli_conf *conf, void *arg);
void tw_ctrl_cli_free(struct tw_ctrl_cli *c);

/*
 * Consume octets from the server: the Greeting (answered with Set-Up-Response, which needs
 * TW_CTRL_SETUP_LEN octets free in out), Server-Start, and the replies to earlier commands.
 * @return 0 (check tw_ctrl_cli_closed()), -EINVAL, -ENOBUFS (nothing consumed), -EPIPE.
 */
int tw_ctrl_cli_input(struct tw_ctrl_cli *c, const uint8_t *in, size_t len, uint64_t now,
		      struct tw_ctrl_out *out);

/*
 * Commands, in READY state; each appends one message to out. Replies arrive through input()
 * and events. Several commands may be outstanding (they are answered in order).
 * @return request: the session index (>= 0); others 0. Or -EINVAL (bad argument or state),
 *         -ENOTSUP (RFC 5938 command without mode 16), -ENOSPC (no session slot or too many
 *         outstanding replies), -ENOBUFS (out), -EIO (crypto/random; closed INTERNAL).
 */
int tw_ctrl_cli_request(struct tw_ctrl_cli *c, const struct tw_ctrl_session_params *p,
			uint64_t now, struct tw_ctrl_out *out);
int tw_ctrl_cli_start(struct tw_ctrl_cli *c, uint64_t now, struct tw_ctrl_out *out);
/* Stop-Sessions: all sessions, no reply expected. */
int tw_ctrl_cli_stop(struct tw_ctrl_cli *c, uint8_t accept, uint64_t now,
		     struct tw_ctrl_out *out);
int tw_ctrl_cli_start_n(struct tw_ctrl_cli *c, const uint8_t (*sids)[TW_CTRL_SID_LEN],
			uint32_t n, uint64_t now, struct tw_ctrl_out *out);
int tw_ctrl_cli_stop_n(struct tw_ctrl_cli *c, uint8_t accept,
		       const uint8_t (*sids)[TW_CTRL_SID_LEN], uint32_t n, uint64_t now,
		       struct tw_ctrl_out *out);

/* Deadlines (greeting, Server-Start, outstanding replies, partial message). @return 0. */
int tw_ctrl_cli_tick(struct tw_ctrl_cli *c, uint64_t now);
uint64_t tw_ctrl_cli_deadline(const struct tw_ctrl_cli *c);
void tw_ctrl_cli_peer_closed(struct tw_ctrl_cli *c);
void tw_ctrl_cli_close(struct tw_ctrl_cli *c);

enum tw_ctrl_close tw_ctrl_cli_closed(const struct tw_ctrl_cli *c);
enum tw_ctrl_cli_state tw_ctrl_cli_state(const struct tw_ctrl_cli *c);
uint32_t tw_ctrl_cli_mode(const struct tw_ctrl_cli *c);
/* RFC 8186 §2: 512 was asked for and offered, so the reflector's T2/T3 will be PTPv2 (Z set). */
bool tw_ctrl_cli_ptp(const struct tw_ctrl_cli *c);
/* Server-Start Accept (enum tw_ctrl_accept, 6 = no such IKEv2 SA), -1 before it arrived. */
int tw_ctrl_cli_server_accept(const struct tw_ctrl_cli *c);
/* Server-Start Start-Time (NTP), 0 before it arrived. */
uint64_t tw_ctrl_cli_server_start_time(const struct tw_ctrl_cli *c);
int tw_ctrl_cli_keys(const struct tw_ctrl_cli *c, struct tw_ctrl_keys *keys);
const struct tw_ctrl_stats *tw_ctrl_cli_stats(const struct tw_ctrl_cli *c);
/* Session slot by index (as returned by request()), NULL past the last. */
const struct tw_ctrl_cli_session *tw_ctrl_cli_session(const struct tw_ctrl_cli *c,
							 unsigned int idx);

#endif /* TW_CTRL_H */
