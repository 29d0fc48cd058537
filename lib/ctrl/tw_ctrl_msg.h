/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TWAMP-Control wire formats (RFC 5357 §3 on RFC 4656 §3, with RFC 5938 individual session
 * control and RFC 6038 reflect octets / symmetrical size): every message as a packed wire struct,
 * a host-order view, and encode/decode between the two.
 *
 * These functions only move fields. They never encrypt, never compute an HMAC and never decide
 * whether a message is acceptable: the HMAC field is carried as opaque octets (lib/ctrl's stream
 * layer fills and checks it), and decoders report non-zero MBZ octets in `mbz` instead of failing,
 * so that the state machine decides, and counts, what a violation costs.
 *
 * Every decoder takes (buf, len) of outside bytes and never reads past len.
 */
#ifndef TW_CTRL_MSG_H
#define TW_CTRL_MSG_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Explicit byte-order types for on-wire fields (the value is stored big-endian). C11 allows this
 * identical redefinition of lib/wire's typedefs. */
typedef uint16_t tw_be16_t;
typedef uint32_t tw_be32_t;
typedef uint64_t tw_be64_t;

/*
 * Mode bits, Server Greeting "Modes" and Set-Up-Response "Mode" (RFC 4656 §3.1; TWAMP-Modes
 * registry, RFC 5357 §8 as extended). One security bit plus any feature bits.
 */
enum tw_ctrl_mode {
	TW_CTRL_MODE_UNAUTH = 1,		/* RFC 4656 §3.1 */
	TW_CTRL_MODE_AUTH = 2,			/* RFC 4656 §3.1 */
	TW_CTRL_MODE_ENCRYPTED = 4,		/* RFC 4656 §3.1 */
	TW_CTRL_MODE_MIXED = 8,			/* RFC 5618: encrypted control, open test */
	TW_CTRL_MODE_ISC = 16,			/* RFC 5938 individual session control */
	TW_CTRL_MODE_REFLECT_OCTETS = 32,	/* RFC 6038 §4.2 */
	TW_CTRL_MODE_SYMMETRICAL = 64,		/* RFC 6038 §4.3 */
	TW_CTRL_MODE_IKEV2 = 128,		/* RFC 7717: conf.ike, never in conf.modes */
	TW_CTRL_MODE_DSCP_ECN = 256,		/* RFC 7750: not implemented by lib/ctrl */
	/* RFC 8186 §2 (IANA TWAMP-Modes bit 9, "PTPv2 Timestamp Capability"): in the greeting,
	 * the Session-Reflector can stamp T2/T3 in the PTPv2 truncated format; in the Mode, the
	 * Session-Sender asks for it. Offered only where the application says so (conf.modes). */
	TW_CTRL_MODE_PTP = 512,

	TW_CTRL_MODE_SECURITY = 1 | 2 | 4 | 8,
	TW_CTRL_MODE_FEATURES = 16 | 32 | 64 | 512,
	TW_CTRL_MODE_SUPPORTED = TW_CTRL_MODE_SECURITY | TW_CTRL_MODE_FEATURES,
	/* Security modes whose control stream is encrypted and HMAC'd (RFC 4656 §3.4, RFC 5618). */
	TW_CTRL_MODE_CIPHER_CONTROL = 2 | 4 | 8,
};

/* Accept field values (RFC 4656 §3.3; 6 from RFC 7717 / draft-ietf-ippm-ipsec §5.2). */
enum tw_ctrl_accept {
	TW_CTRL_ACCEPT_OK = 0,
	TW_CTRL_ACCEPT_FAILURE = 1,		/* failure, reason unspecified (catch-all) */
	TW_CTRL_ACCEPT_INTERNAL = 2,		/* internal error */
	TW_CTRL_ACCEPT_NOT_SUPPORTED = 3,	/* some aspect of the request is not supported */
	TW_CTRL_ACCEPT_PERM_LIMIT = 4,		/* permanent resource limitation */
	TW_CTRL_ACCEPT_TEMP_LIMIT = 5,		/* temporary resource limitation */
	TW_CTRL_ACCEPT_NO_SA = 6,		/* IKEv2 SA not found (RFC 7717 mode only) */
	TW_CTRL_ACCEPT_MAX,
};

/* Command Numbers (RFC 4656 §3.4, RFC 5357 §3.5/§8, RFC 5938 §3). */
enum tw_ctrl_command {
	TW_CTRL_CMD_RESERVED = 0,
	TW_CTRL_CMD_FORBIDDEN = 1,		/* OWAMP Request-Session: forbidden in TWAMP */
	TW_CTRL_CMD_START = 2,			/* Start-Sessions */
	TW_CTRL_CMD_STOP = 3,			/* Stop-Sessions */
	TW_CTRL_CMD_FETCH = 4,			/* OWAMP Fetch-Session: reserved in TWAMP */
	TW_CTRL_CMD_REQUEST = 5,		/* Request-TW-Session */
	TW_CTRL_CMD_EXPERIMENT = 6,		/* Experimentation */
	TW_CTRL_CMD_START_N = 7,		/* RFC 5938 Start-N-Sessions */
	TW_CTRL_CMD_START_N_ACK = 8,		/* RFC 5938 Start-N-Ack */
	TW_CTRL_CMD_STOP_N = 9,			/* RFC 5938 Stop-N-Sessions */
	TW_CTRL_CMD_STOP_N_ACK = 10,		/* RFC 5938 Stop-N-Ack */
	TW_CTRL_CMD_MAX,
};

enum tw_ctrl_sizes {
	TW_CTRL_BLOCK = 16,			/* AES block: every message is a multiple */
	TW_CTRL_HMAC_LEN = 16,			/* HMAC-SHA1 cut to 128 bits (RFC 4656 §3.2) */
	TW_CTRL_KEYID_LEN = 80,
	TW_CTRL_TOKEN_LEN = 64,
	TW_CTRL_IV_LEN = 16,
	TW_CTRL_SID_LEN = 16,
	TW_CTRL_CHALLENGE_LEN = 16,
	TW_CTRL_SALT_LEN = 16,
	TW_CTRL_GREETING_LEN = 64,
	TW_CTRL_SETUP_LEN = 164,
	TW_CTRL_SERVER_START_LEN = 48,
	TW_CTRL_REQUEST_LEN = 112,
	TW_CTRL_ACCEPT_LEN = 48,
	TW_CTRL_START_LEN = 32,
	TW_CTRL_START_ACK_LEN = 32,
	TW_CTRL_STOP_LEN = 32,
	TW_CTRL_NMSG_HDR_LEN = 16,		/* RFC 5938 messages: header, N SIDs, HMAC */
	/* Upper bound on SIDs in one RFC 5938 message that lib/ctrl will buffer. */
	TW_CTRL_MAX_SESSIONS = 1024,
};

/* RFC 4656 §3.1 (RFC 5357 §3.1): Server Greeting. */
struct tw_ctrl_wire_greeting {
	uint8_t unused[12];
	tw_be32_t modes;
	uint8_t challenge[16];
	uint8_t salt[16];
	tw_be32_t count;
	uint8_t mbz[12];
} __attribute__((packed));
static_assert(sizeof(struct tw_ctrl_wire_greeting) == TW_CTRL_GREETING_LEN, "RFC 4656 §3.1");

/* RFC 4656 §3.1: Set-Up-Response. */
struct tw_ctrl_wire_setup {
	tw_be32_t mode;
	uint8_t keyid[80];
	uint8_t token[64];
	uint8_t client_iv[16];
} __attribute__((packed));
static_assert(sizeof(struct tw_ctrl_wire_setup) == TW_CTRL_SETUP_LEN, "RFC 4656 §3.1");

/* RFC 4656 §3.1: Server-Start. The third block is the first one encrypted (RFC 4656 §3.4). */
struct tw_ctrl_wire_server_start {
	uint8_t mbz0[15];
	uint8_t accept;
	uint8_t server_iv[16];
	tw_be64_t start_time;
	uint8_t mbz1[8];
} __attribute__((packed));
static_assert(sizeof(struct tw_ctrl_wire_server_start) == TW_CTRL_SERVER_START_LEN,
	      "RFC 4656 §3.1");

/* RFC 5357 §3.5 Request-TW-Session; octets 88-91 per RFC 6038 §4.2.1 when mode 32 is in use. */
struct tw_ctrl_wire_request {
	uint8_t command;			/* 5 */
	uint8_t ipvn;				/* MBZ (4 bits) | IPVN (4 bits) */
	uint8_t conf_sender;
	uint8_t conf_receiver;
	tw_be32_t nb_slots;
	tw_be32_t nb_packets;
	tw_be16_t sender_port;
	tw_be16_t receiver_port;
	uint8_t sender_addr[16];		/* IPv4: 4 octets then 12 MBZ */
	uint8_t receiver_addr[16];
	uint8_t sid[16];
	tw_be32_t padding_len;
	tw_be64_t start_time;
	tw_be64_t timeout;
	tw_be32_t type_p;
	tw_be16_t octets_reflected;		/* RFC 6038: Octets to be reflected */
	tw_be16_t padding_reflect;		/* RFC 6038: Length of padding to reflect */
	uint8_t mbz[4];
	uint8_t hmac[16];
} __attribute__((packed));
static_assert(sizeof(struct tw_ctrl_wire_request) == TW_CTRL_REQUEST_LEN, "RFC 5357 §3.5");

/* RFC 5357 §3.6 Accept-Session; octets 20-23 per RFC 6038 §4.2.2 when mode 32 is in use. */
struct tw_ctrl_wire_accept {
	uint8_t accept;
	uint8_t mbz0;
	tw_be16_t port;
	uint8_t sid[16];
	tw_be16_t reflected_octets;		/* RFC 6038: echo of Octets to be reflected */
	tw_be16_t server_octets;		/* RFC 6038 */
	uint8_t mbz1[8];
	uint8_t hmac[16];
} __attribute__((packed));
static_assert(sizeof(struct tw_ctrl_wire_accept) == TW_CTRL_ACCEPT_LEN, "RFC 5357 §3.6");

/* RFC 4656 §3.7 / RFC 5357 §3.7: Start-Sessions. */
struct tw_ctrl_wire_start {
	uint8_t command;			/* 2 */
	uint8_t mbz[15];
	uint8_t hmac[16];
} __attribute__((packed));
static_assert(sizeof(struct tw_ctrl_wire_start) == TW_CTRL_START_LEN, "RFC 4656 §3.7");

/* RFC 4656 §3.7: Start-Ack. */
struct tw_ctrl_wire_start_ack {
	uint8_t accept;
	uint8_t mbz[15];
	uint8_t hmac[16];
} __attribute__((packed));
static_assert(sizeof(struct tw_ctrl_wire_start_ack) == TW_CTRL_START_ACK_LEN, "RFC 4656 §3.7");

/* RFC 5357 §3.8: Stop-Sessions (TWAMP carries no session description records). */
struct tw_ctrl_wire_stop {
	uint8_t command;			/* 3 */
	uint8_t accept;
	uint8_t mbz0[2];
	tw_be32_t nb_sessions;
	uint8_t mbz1[8];
	uint8_t hmac[16];
} __attribute__((packed));
static_assert(sizeof(struct tw_ctrl_wire_stop) == TW_CTRL_STOP_LEN, "RFC 5357 §3.8");

/*
 * RFC 5938 §3: Start-N-Sessions (7), Start-N-Ack (8), Stop-N-Sessions (9), Stop-N-Ack (10) share
 * this first block, followed by Number-of-Sessions SIDs and the HMAC. Start-N-Sessions has no
 * Accept field: its octet 1 is MBZ.
 */
struct tw_ctrl_wire_nmsg_hdr {
	uint8_t command;
	uint8_t accept;
	uint8_t mbz0[2];
	tw_be32_t nb_sessions;
	uint8_t mbz1[8];
} __attribute__((packed));
static_assert(sizeof(struct tw_ctrl_wire_nmsg_hdr) == TW_CTRL_NMSG_HDR_LEN, "RFC 5938 §3");

/* Host-order views. `mbz` is true when any MBZ octet (or MBZ bit) was not zero. */
struct tw_ctrl_greeting {
	uint32_t modes;
	uint8_t challenge[TW_CTRL_CHALLENGE_LEN];
	uint8_t salt[TW_CTRL_SALT_LEN];
	uint32_t count;
	bool mbz;				/* the 12 trailing MBZ octets (Unused is ignored) */
};

struct tw_ctrl_setup {
	uint32_t mode;
	uint8_t keyid[TW_CTRL_KEYID_LEN];
	uint8_t token[TW_CTRL_TOKEN_LEN];
	uint8_t client_iv[TW_CTRL_IV_LEN];
};

struct tw_ctrl_server_start {
	uint8_t accept;
	uint8_t server_iv[TW_CTRL_IV_LEN];
	uint64_t start_time;			/* NTP format */
	bool mbz;
};

struct tw_ctrl_request {
	uint8_t ipvn;				/* low 4 bits of octet 1 */
	uint8_t conf_sender;
	uint8_t conf_receiver;
	uint32_t nb_slots;
	uint32_t nb_packets;
	uint16_t sender_port;
	uint16_t receiver_port;
	uint8_t sender_addr[16];		/* IPv4 in the first 4 octets */
	uint8_t receiver_addr[16];
	uint8_t sid[TW_CTRL_SID_LEN];
	uint32_t padding_len;
	uint64_t start_time;			/* NTP format */
	uint64_t timeout;			/* NTP format interval */
	uint32_t type_p;
	uint16_t octets_reflected;		/* raw octets 88-89 */
	uint16_t padding_reflect;		/* raw octets 90-91 */
	uint8_t hmac[TW_CTRL_HMAC_LEN];
	/* decode only: MBZ bits of octet 1, IPv4 address tails, octets 92-95 */
	bool mbz;
};

struct tw_ctrl_accept_msg {
	uint8_t accept;
	uint16_t port;
	uint8_t sid[TW_CTRL_SID_LEN];
	uint16_t reflected_octets;		/* raw octets 20-21 */
	uint16_t server_octets;			/* raw octets 22-23 */
	uint8_t hmac[TW_CTRL_HMAC_LEN];
	bool mbz;				/* octet 1 and octets 24-31 */
};

/* Start-Sessions (accept unused), Start-Ack (command unused) and Stop-Sessions. */
struct tw_ctrl_cmd {
	uint8_t command;
	uint8_t accept;
	uint32_t nb_sessions;			/* Stop-Sessions only */
	uint8_t hmac[TW_CTRL_HMAC_LEN];
	bool mbz;
};

/* RFC 5938 messages. On decode, `sids` points into the decoded buffer. */
struct tw_ctrl_nmsg {
	uint8_t command;
	uint8_t accept;				/* MBZ in Start-N-Sessions */
	uint32_t nb_sessions;
	const uint8_t (*sids)[TW_CTRL_SID_LEN];
	uint8_t hmac[TW_CTRL_HMAC_LEN];
	bool mbz;
};

/*
 * Encoders write exactly the message's size into buf.
 * @return octets written, or -ENOBUFS if len is too small, -EINVAL on an impossible value
 *         (IPVN > 15, more than TW_CTRL_MAX_SESSIONS SIDs, wrong command for the message).
 * Decoders read a complete message.
 * @return 0, -EMSGSIZE if len is shorter than the message, -EBADMSG if the command octet is not
 *         the one of this message (command messages only).
 */
int tw_ctrl_greeting_encode(const struct tw_ctrl_greeting *m, uint8_t *buf, size_t len);
int tw_ctrl_greeting_decode(const uint8_t *buf, size_t len, struct tw_ctrl_greeting *m);
int tw_ctrl_setup_encode(const struct tw_ctrl_setup *m, uint8_t *buf, size_t len);
int tw_ctrl_setup_decode(const uint8_t *buf, size_t len, struct tw_ctrl_setup *m);
int tw_ctrl_server_start_encode(const struct tw_ctrl_server_start *m, uint8_t *buf, size_t len);
int tw_ctrl_server_start_decode(const uint8_t *buf, size_t len, struct tw_ctrl_server_start *m);
int tw_ctrl_request_encode(const struct tw_ctrl_request *m, uint8_t *buf, size_t len);
int tw_ctrl_request_decode(const uint8_t *buf, size_t len, struct tw_ctrl_request *m);
int tw_ctrl_accept_encode(const struct tw_ctrl_accept_msg *m, uint8_t *buf, size_t len);
int tw_ctrl_accept_decode(const uint8_t *buf, size_t len, struct tw_ctrl_accept_msg *m);
/* Start-Sessions: command must be TW_CTRL_CMD_START. */
int tw_ctrl_start_encode(const struct tw_ctrl_cmd *m, uint8_t *buf, size_t len);
int tw_ctrl_start_decode(const uint8_t *buf, size_t len, struct tw_ctrl_cmd *m);
/* Start-Ack: m->command is ignored on encode and set to 0 on decode. */
int tw_ctrl_start_ack_encode(const struct tw_ctrl_cmd *m, uint8_t *buf, size_t len);
int tw_ctrl_start_ack_decode(const uint8_t *buf, size_t len, struct tw_ctrl_cmd *m);
/* Stop-Sessions: command must be TW_CTRL_CMD_STOP. */
int tw_ctrl_stop_encode(const struct tw_ctrl_cmd *m, uint8_t *buf, size_t len);
int tw_ctrl_stop_decode(const uint8_t *buf, size_t len, struct tw_ctrl_cmd *m);
/* RFC 5938 messages: command must be 7, 8, 9 or 10. */
int tw_ctrl_nmsg_encode(const struct tw_ctrl_nmsg *m, uint8_t *buf, size_t len);
int tw_ctrl_nmsg_decode(const uint8_t *buf, size_t len, struct tw_ctrl_nmsg *m);

/* Size of an RFC 5938 message carrying n SIDs, or 0 if n > TW_CTRL_MAX_SESSIONS. */
size_t tw_ctrl_nmsg_len(uint32_t n);

/*
 * Type-P Descriptor (RFC 4656 §3.5, RFC 5357 §3.5): TWAMP uses the DSCP form only, two zero bits
 * then the 6-bit DSCP in the most significant octet, all other bits zero.
 * @return the DSCP (0-63), or -EINVAL for any other form (PHB ID, stray bits).
 */
int tw_ctrl_typep_dscp(uint32_t type_p);
static inline uint32_t
tw_ctrl_typep_from_dscp(uint8_t dscp)
{
	return (uint32_t)(dscp & 0x3f) << 24;
}

#endif /* TW_CTRL_MSG_H */
