/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test-packet crypto: TWAMP-Test packets in authenticated and encrypted modes (RFC 5357 §4.1.2 and
 * §4.2.1, which take their security from OWAMP-Test, RFC 4656 §4.1.2).
 *
 * What is protected, for every packet kind and mode (docs/test-crypto.rst has the citations and
 * the ambiguities):
 *
 *   kind       mode  AES-CBC (IV = 0) over   HMAC-SHA1/128 over (plaintext)   HMAC field
 *   sender     auth  octets 0..15 (= ECB)    octets 0..15                     32..47, clear
 *   sender     enc   octets 0..31            octets 0..31                     32..47, clear
 *   reflector  auth  octets 0..15 (= ECB)    octets 0..15                     96..111, clear
 *   reflector  enc   octets 0..95            octets 0..95                     96..111, clear
 *
 * The HMAC is computed over the plaintext and the covered octets are encrypted afterwards (the
 * order of the perfSONAR reference implementation); Packet Padding is never covered. With
 * TW_TCRYPT_F_AUTH_HMAC_ALL, authenticated mode MACs every octet before the HMAC field instead
 * (the other reading of RFC 5357; an interop knob, off by default).
 *
 * Keys (RFC 4656 §4.1.2): the test session's AES key is the control connection's AES Session-key
 * encrypted with the SID as the AES key (one ECB block); its HMAC key is the control HMAC
 * Session-key encrypted with the SID as the key in CBC mode with a zero IV (two blocks). Both
 * directions of a TWAMP-Test session use the same two keys.
 *
 * Two engines run the same per-packet operations:
 *  - the burst engine (Intel IPsec-MB), for the data path: one manager per worker, N packets of
 *    any sessions submitted as chained cipher+hash jobs and flushed once, in place; it never
 *    allocates, locks, logs or makes a syscall;
 *  - the reference (OpenSSL, tw_tcrypt_ref_*), one packet at a time, for tests and for the
 *    kernel-socket twamp-client.
 *
 * This module sits beside lib/wire: tw_wire_parse() finds the UDP payload, this module checks it,
 * turns the Session-Sender packet into the 112-octet Session-Reflector packet and seals it.
 */
#ifndef TW_TCRYPT_H
#define TW_TCRYPT_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tw_wire.h"

/*
 * RFC 4656 §4.1.2, RFC 5357 §4.1.2: authenticated/encrypted Session-Sender packet (48 octets,
 * then Packet Padding).
 */
struct tw_tcrypt_sender {
	tw_be32_t seq;
	uint8_t mbz0[12];
	struct tw_ts64 ts;		/* T1 */
	tw_be16_t err_est;
	uint8_t mbz1[6];
	uint8_t hmac[16];
} __attribute__((packed));
static_assert(sizeof(struct tw_tcrypt_sender) == 48, "RFC 4656 §4.1.2 layout");

/* RFC 5357 §4.2.1: authenticated/encrypted Session-Reflector packet (112 octets, then padding). */
struct tw_tcrypt_refl {
	tw_be32_t seq;
	uint8_t mbz0[12];
	struct tw_ts64 tx_ts;		/* T3 */
	tw_be16_t err_est;
	uint8_t mbz1[6];
	struct tw_ts64 rx_ts;		/* T2 */
	uint8_t mbz2[8];
	tw_be32_t sender_seq;
	uint8_t mbz3[12];
	struct tw_ts64 sender_ts;	/* T1 */
	tw_be16_t sender_err_est;
	uint8_t mbz4[6];
	uint8_t sender_ttl;
	uint8_t mbz5[15];
	uint8_t hmac[16];
} __attribute__((packed));
static_assert(sizeof(struct tw_tcrypt_refl) == 112, "RFC 5357 §4.2.1 layout");

enum tw_tcrypt_sender_off {
	TW_TCRYPT_SND_OFF_SEQ = 0,
	TW_TCRYPT_SND_OFF_TS = 16,
	TW_TCRYPT_SND_OFF_ERR_EST = 24,
	TW_TCRYPT_SND_OFF_HMAC = 32,
};
static_assert(offsetof(struct tw_tcrypt_sender, ts) == TW_TCRYPT_SND_OFF_TS, "layout");
static_assert(offsetof(struct tw_tcrypt_sender, err_est) == TW_TCRYPT_SND_OFF_ERR_EST, "layout");
static_assert(offsetof(struct tw_tcrypt_sender, hmac) == TW_TCRYPT_SND_OFF_HMAC, "layout");

enum tw_tcrypt_refl_off {
	TW_TCRYPT_REFL_OFF_SEQ = 0,
	TW_TCRYPT_REFL_OFF_TX_TS = 16,
	TW_TCRYPT_REFL_OFF_ERR_EST = 24,
	TW_TCRYPT_REFL_OFF_RX_TS = 32,
	TW_TCRYPT_REFL_OFF_SENDER_SEQ = 48,
	TW_TCRYPT_REFL_OFF_SENDER_TS = 64,
	TW_TCRYPT_REFL_OFF_SENDER_ERR_EST = 72,
	TW_TCRYPT_REFL_OFF_SENDER_TTL = 80,
	TW_TCRYPT_REFL_OFF_HMAC = 96,
};
static_assert(offsetof(struct tw_tcrypt_refl, tx_ts) == TW_TCRYPT_REFL_OFF_TX_TS, "layout");
static_assert(offsetof(struct tw_tcrypt_refl, err_est) == TW_TCRYPT_REFL_OFF_ERR_EST, "layout");
static_assert(offsetof(struct tw_tcrypt_refl, rx_ts) == TW_TCRYPT_REFL_OFF_RX_TS, "layout");
static_assert(offsetof(struct tw_tcrypt_refl, sender_seq) == TW_TCRYPT_REFL_OFF_SENDER_SEQ,
	      "layout");
static_assert(offsetof(struct tw_tcrypt_refl, sender_ts) == TW_TCRYPT_REFL_OFF_SENDER_TS, "layout");
static_assert(offsetof(struct tw_tcrypt_refl, sender_err_est) ==
	      TW_TCRYPT_REFL_OFF_SENDER_ERR_EST, "layout");
static_assert(offsetof(struct tw_tcrypt_refl, sender_ttl) == TW_TCRYPT_REFL_OFF_SENDER_TTL,
	      "layout");
static_assert(offsetof(struct tw_tcrypt_refl, hmac) == TW_TCRYPT_REFL_OFF_HMAC, "layout");

enum tw_tcrypt_limits {
	TW_TCRYPT_SENDER_LEN = sizeof(struct tw_tcrypt_sender),
	TW_TCRYPT_REFL_LEN = sizeof(struct tw_tcrypt_refl),
	TW_TCRYPT_BLOCK = 16,		/* AES block */
	TW_TCRYPT_HMAC_LEN = 16,	/* HMAC-SHA1 truncated to 128 bits (RFC 4656 §4.1.2) */
	TW_TCRYPT_AES_KEY_LEN = 16,	/* AES Session-key, SID, test AES key */
	TW_TCRYPT_HMAC_KEY_LEN = 32,	/* HMAC Session-key, test HMAC key */
	TW_TCRYPT_SID_LEN = 16,
	TW_TCRYPT_BURST_MAX = 64,	/* jobs in flight per call; longer bursts are chunked */
};

/* RFC 4656 §3.1 Modes values that have protected test packets (mixed mode, RFC 5618, does not). */
enum tw_tcrypt_mode {
	TW_TCRYPT_MODE_AUTH = 2,
	TW_TCRYPT_MODE_ENC = 4,
};

enum tw_tcrypt_flags {
	/* Authenticated mode: HMAC every octet before the HMAC field, not just the first block. */
	TW_TCRYPT_F_AUTH_HMAC_ALL = 1 << 0,
};

enum tw_tcrypt_kind {
	TW_TCRYPT_SENDER = 0,		/* Session-Sender packet, 48 octets protected area */
	TW_TCRYPT_REFLECTOR = 1,	/* Session-Reflector packet, 112 octets protected area */
};

enum tw_tcrypt_verdict {
	TW_TCRYPT_OK = 0,
	TW_TCRYPT_SHORT,      /* shorter than the fixed part of its kind: nothing done */
	TW_TCRYPT_BAD_HMAC,   /* HMAC mismatch: drop (the covered octets are left decrypted) */
	TW_TCRYPT_ERR_ENGINE, /* the crypto engine refused the job: drop, and tell an operator */
	TW_TCRYPT_VERDICT_MAX
};

/* Stable snake_case name for counters ("ok", "short", "bad_hmac", "err_engine"). */
const char *tw_tcrypt_verdict_name(enum tw_tcrypt_verdict v);

/*
 * Per test session keys, everything the data path needs precomputed. Written once by
 * tw_tcrypt_session_init() on the control lcore, then read-only; wipe with
 * tw_tcrypt_session_wipe() after the last reader is gone (RCU grace period).
 */
struct tw_tcrypt_sess {
	uint32_t enc_keys[4 * 15] __attribute__((aligned(16))); /* AES-128 encrypt schedule */
	uint32_t dec_keys[4 * 15] __attribute__((aligned(16))); /* AES-128 decrypt schedule */
	uint8_t ipad_hash[32] __attribute__((aligned(16)));	/* SHA1 state after key ^ ipad */
	uint8_t opad_hash[32] __attribute__((aligned(16)));	/* SHA1 state after key ^ opad */
	uint8_t aes_key[TW_TCRYPT_AES_KEY_LEN];		/* test-session AES key */
	uint8_t hmac_key[TW_TCRYPT_HMAC_KEY_LEN];	/* test-session HMAC key */
	uint8_t mode;		/* enum tw_tcrypt_mode */
	uint8_t flags;		/* enum tw_tcrypt_flags */
} __attribute__((aligned(64)));

/* Which IPsec-MB code path a manager uses. */
enum tw_tcrypt_arch {
	TW_TCRYPT_ARCH_AUTO = 0,	/* the best the CPU has */
	TW_TCRYPT_ARCH_SSE,
	TW_TCRYPT_ARCH_AVX,
	TW_TCRYPT_ARCH_AVX2,
	TW_TCRYPT_ARCH_AVX512,
	TW_TCRYPT_ARCH_MAX
};

enum tw_tcrypt_mgr_flags {
	TW_TCRYPT_MGR_NO_SHANI = 1 << 0, /* do not use SHA extensions (valgrind lacks them) */
};

/* One IPsec-MB manager and its scratch space: one per worker lcore, never shared. */
struct tw_tcrypt_mgr;

/*
 * Allocate and initialise a manager for `arch` (slow path: allocates).
 * @return the manager, or NULL with errno = ENOMEM, ENOTSUP (the CPU lacks `arch`) or EINVAL.
 */
struct tw_tcrypt_mgr *tw_tcrypt_mgr_create(enum tw_tcrypt_arch arch, unsigned int flags);
void tw_tcrypt_mgr_free(struct tw_tcrypt_mgr *m);
/* The path the manager picked (never TW_TCRYPT_ARCH_AUTO). */
enum tw_tcrypt_arch tw_tcrypt_mgr_arch(const struct tw_tcrypt_mgr *m);
/* "avx512 (vaes, vpclmulqdq, sha-ni, gfni)": the path and the CPU features it may use. */
const char *tw_tcrypt_mgr_describe(const struct tw_tcrypt_mgr *m);
const char *tw_tcrypt_arch_name(enum tw_tcrypt_arch a);
/* @return 0, or -EINVAL for a name other than auto, sse, avx, avx2, avx512. */
int tw_tcrypt_arch_parse(const char *name, enum tw_tcrypt_arch *a);

/*
 * RFC 4656 §4.1.2: derive the test-session keys from the control connection's session keys and
 * the session's SID. Slow path.
 * @return 0, or -EIO if the AES implementation failed.
 */
int tw_tcrypt_derive_keys(const uint8_t aes_session_key[TW_TCRYPT_AES_KEY_LEN],
			  const uint8_t hmac_session_key[TW_TCRYPT_HMAC_KEY_LEN],
			  const uint8_t sid[TW_TCRYPT_SID_LEN],
			  uint8_t test_aes_key[TW_TCRYPT_AES_KEY_LEN],
			  uint8_t test_hmac_key[TW_TCRYPT_HMAC_KEY_LEN]);

/*
 * Derive the test-session keys and precompute the AES key schedules and the HMAC-SHA1 inner and
 * outer states. Slow path. `m` may be NULL: a temporary SSE manager is used (it allocates).
 * @return 0, -EINVAL (mode is not authenticated or encrypted, unknown flags), -ENOMEM, -EIO.
 */
int tw_tcrypt_session_init(struct tw_tcrypt_mgr *m, struct tw_tcrypt_sess *s,
			   enum tw_tcrypt_mode mode, unsigned int flags,
			   const uint8_t aes_session_key[TW_TCRYPT_AES_KEY_LEN],
			   const uint8_t hmac_session_key[TW_TCRYPT_HMAC_KEY_LEN],
			   const uint8_t sid[TW_TCRYPT_SID_LEN]);
/* Zero every key byte of the session (not optimised away). */
void tw_tcrypt_session_wipe(struct tw_tcrypt_sess *s);
/* Zero n octets of key material (not optimised away). */
void tw_tcrypt_wipe(void *p, size_t n);

/* Fixed part of a packet kind: 48 (sender) or 112 (reflector). */
static inline size_t
tw_tcrypt_min_len(enum tw_tcrypt_kind kind)
{
	return kind == TW_TCRYPT_REFLECTOR ? TW_TCRYPT_REFL_LEN : TW_TCRYPT_SENDER_LEN;
}

/*
 * Whether the session's protection covers the reflector's T3. If it does not (authenticated
 * mode, the default), a reflector may seal before reading T3 and stamp it last, as in
 * unauthenticated mode; if it does (encrypted mode), T3 must be written before sealing.
 */
static inline bool
tw_tcrypt_covers_tx_ts(const struct tw_tcrypt_sess *s)
{
	return s->mode == TW_TCRYPT_MODE_ENC || (s->flags & TW_TCRYPT_F_AUTH_HMAC_ALL);
}

/* One packet of a burst: the TWAMP-Test payload (the UDP payload), processed in place. */
struct tw_tcrypt_pkt {
	uint8_t *pl;
	const struct tw_tcrypt_sess *sess;
	uint16_t len;		/* payload octets */
};

/*
 * Check n received packets of `kind` (any sessions, any mix of modes) in place: decrypt the
 * covered octets, recompute the HMAC and compare it in constant time. All jobs are submitted
 * before one flush, so IPsec-MB fills its lanes. Data path: no allocation, lock or syscall.
 * Called only from the lcore that owns `m`.
 * @param v  out: one verdict per packet: TW_TCRYPT_OK, TW_TCRYPT_SHORT (len below the fixed
 *           part; the packet is untouched), TW_TCRYPT_BAD_HMAC, TW_TCRYPT_ERR_ENGINE.
 * @return the number of TW_TCRYPT_OK packets.
 */
uint16_t tw_tcrypt_verify_burst(struct tw_tcrypt_mgr *m, enum tw_tcrypt_kind kind,
				const struct tw_tcrypt_pkt *pkts, uint16_t n,
				enum tw_tcrypt_verdict *v);

/*
 * Seal n plaintext packets of `kind` in place: HMAC the covered octets into the HMAC field, then
 * encrypt them. Same rules as tw_tcrypt_verify_burst().
 * @param v  out, may be NULL: TW_TCRYPT_OK, TW_TCRYPT_SHORT (untouched), TW_TCRYPT_ERR_ENGINE.
 * @return the number of packets sealed.
 */
uint16_t tw_tcrypt_seal_burst(struct tw_tcrypt_mgr *m, enum tw_tcrypt_kind kind,
			      const struct tw_tcrypt_pkt *pkts, uint16_t n,
			      enum tw_tcrypt_verdict *v);

/*
 * OpenSSL reference of the same operations, one packet at a time (tests, twamp-client). Slow:
 * it allocates a cipher context per call.
 * @return TW_TCRYPT_OK, TW_TCRYPT_SHORT, TW_TCRYPT_BAD_HMAC (verify), TW_TCRYPT_ERR_ENGINE.
 */
enum tw_tcrypt_verdict tw_tcrypt_ref_verify(const struct tw_tcrypt_sess *s,
					    enum tw_tcrypt_kind kind, uint8_t *pl, size_t len);
enum tw_tcrypt_verdict tw_tcrypt_ref_seal(const struct tw_tcrypt_sess *s,
					  enum tw_tcrypt_kind kind, uint8_t *pl, size_t len);

/* Values the reflector writes into a reflected authenticated/encrypted packet. */
struct tw_tcrypt_refl_fields {
	uint64_t rx_ts;		/* T2, host-order NTP or PTP */
	uint32_t seq;		/* reflector sequence number */
	uint16_t err_est;	/* reflector Error Estimate, host order */
	uint8_t ttl;		/* received TTL / Hop Limit (Sender TTL) */
	/*
	 * RFC 6038 symmetrical size negotiated: the request is in the symmetrical format, its
	 * Packet Padding already starts at octet 112 and stays there.
	 */
	bool sym;
	/*
	 * RFC 6038 reflect octets in the standard format: at least this many octets of the
	 * request's padding come back from octet 112, the answer growing if it must.
	 */
	uint16_t reflect_len;
};

/*
 * Turn a verified, decrypted Session-Sender packet (pl, len octets, cap writable) into the
 * plaintext Session-Reflector packet in place (RFC 5357 §4.2.1): reflector Sequence Number, Error
 * Estimate and T2 from `v`, Sender Sequence Number, Timestamp and Error Estimate copied from the
 * request, Sender TTL, every MBZ octet zero, T3 and HMAC zero (T3 is the caller's, the HMAC the
 * seal's). The answer is max(len, 112) octets (symmetrical size, RFC 6038): the request's Packet
 * Padding, from its first octet (offset 48), becomes the answer's padding from offset 112, as far
 * as it fits, so octets placed there by the sender come back (RFC 6038 reflect octets).
 * @return the reflector payload length, or 0 if len < 48 or cap < max(len, 112) (pl unchanged).
 */
size_t tw_tcrypt_build_reflect(uint8_t *pl, size_t len, size_t cap,
			       const struct tw_tcrypt_refl_fields *v);

/* Write T3 (host-order NTP/PTP) into a reflector payload, before sealing. */
static inline void
tw_tcrypt_stamp_tx(uint8_t *pl, uint64_t ts)
{
	uint8_t *p = pl + TW_TCRYPT_REFL_OFF_TX_TS;

	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(ts >> (56 - 8 * i));
}

/* Where the reflected frame's parts are, for T3, sealing and the checksum. */
struct tw_tcrypt_frame_out {
	uint16_t len;		/* new frame length */
	uint16_t l3_off;
	uint16_t l4_off;
	uint16_t pl_off;
	uint16_t pl_len;	/* reflector payload length (>= 112) */
	bool ipv6;
};

/*
 * Reflect a parsed frame whose payload passed tw_tcrypt_verify_burst(): build the reflector
 * payload (tw_tcrypt_build_reflect(), Sender TTL from f->ttl), swap MAC addresses, IP addresses
 * and UDP ports, set TTL/Hop Limit to 255 (RFC 5357 §4.2), fix the IP and UDP lengths and the
 * IPv4 header checksum (zeroed in TW_CSUM_OFFLOAD mode). The UDP checksum is left zero: call
 * tw_tcrypt_finish_csum() after the payload is sealed. Trailing Ethernet padding is dropped.
 * @return the new frame length, or 0 if the answer does not fit cap (the frame is unchanged).
 */
size_t tw_tcrypt_reflect_frame(uint8_t *buf, size_t cap, const struct tw_wire_frame *f,
			       const struct tw_tcrypt_refl_fields *v, enum tw_wire_csum_mode csum,
			       struct tw_tcrypt_frame_out *out);

/*
 * Complete the UDP checksum of a reflected frame once its payload is final (sealed): the full
 * checksum in TW_CSUM_SW mode, the pseudo-header sum the NIC completes in TW_CSUM_OFFLOAD mode.
 */
void tw_tcrypt_finish_csum(uint8_t *buf, const struct tw_tcrypt_frame_out *o,
			   enum tw_wire_csum_mode csum);

#endif /* TW_TCRYPT_H */
