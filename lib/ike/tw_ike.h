/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv2 pseudorandom functions (RFC 7296 §2.13, §3.3.2) and the O/TWAMP shared secret derived
 * from an IKEv2 SA (RFC 7717 §5.1: Shared secret key = PRF(SK_d, "IPPM")).
 *
 * Pure C over OpenSSL libcrypto: no clock, no randomness, no DPDK. Every intermediate key is
 * wiped with OPENSSL_cleanse() before it is released; the caller owns and wipes its own buffers.
 */
#ifndef TW_IKE_H
#define TW_IKE_H

#include <stddef.h>
#include <stdint.h>

/*
 * IKEv2 Transform Type 2 (PRF) Transform IDs, RFC 7296 §3.3.2 and the IANA "Transform Type 2 -
 * Pseudorandom Function Transform IDs" registry (RFC 4434 for XCBC, RFC 4868 for SHA-2,
 * RFC 4615 for CMAC). Only the ones this module implements are listed.
 */
enum tw_ike_prf {
	TW_IKE_PRF_HMAC_SHA1 = 2,	/* RFC 2104 */
	TW_IKE_PRF_AES128_XCBC = 4,	/* RFC 4434 */
	TW_IKE_PRF_HMAC_SHA2_256 = 5,	/* RFC 4868 */
	TW_IKE_PRF_HMAC_SHA2_384 = 6,	/* RFC 4868 */
	TW_IKE_PRF_HMAC_SHA2_512 = 7,	/* RFC 4868 */
	TW_IKE_PRF_AES128_CMAC = 8,	/* RFC 4615 */
};

enum tw_ike_limits {
	TW_IKE_PRF_OUT_MAX = 64,	/* PRF_HMAC_SHA2_512 */
	TW_IKE_PRF_PLUS_ITER_MAX = 255,	/* RFC 7296 §2.13: the counter is one octet */
	TW_IKE_IPPM_LABEL_LEN = 4,	/* RFC 7717 §5.1: "IPPM", four ASCII octets, no NUL */
};

/*
 * The IANA name of a PRF ("PRF_HMAC_SHA2_256", ...).
 * @param prf
 *   Transform ID.
 * @return
 *   A static string, or NULL if the ID is not one of enum tw_ike_prf.
 */
const char *
tw_ike_prf_name(enum tw_ike_prf prf);

/*
 * Output length in octets: 20, 16, 32, 48, 64, 16 (RFC 2104, RFC 4434 §2, RFC 4868 §2.1.2,
 * RFC 4615 §3). For the HMAC PRFs this is also the preferred key length (RFC 7296 §2.14).
 * @param prf
 *   Transform ID.
 * @return
 *   The length, or 0 for an unknown ID.
 */
size_t
tw_ike_prf_out_len(enum tw_ike_prf prf);

/*
 * A PRF by name, case-insensitively: the IANA name ("PRF_HMAC_SHA2_256", also without the
 * "PRF_" prefix) or the strongSwan proposal keyword ("prfsha1", "prfaesxcbc", "prfsha256",
 * "prfsha384", "prfsha512", "prfaescmac").
 * @param name
 *   NUL-terminated name.
 * @return
 *   The Transform ID (> 0), or -EINVAL if name is NULL or unknown.
 */
int
tw_ike_prf_parse(const char *name);

/*
 * out = prf(key, data), one PRF invocation (RFC 7296 §2.13 "prf").
 * HMAC keys of any length (RFC 2104 §2). AES-XCBC-PRF-128 keys: 16 octets used as is, shorter
 * zero-padded, longer reduced under a zero key (RFC 4434 §2). AES-CMAC-PRF-128 keys: 16 octets
 * used as is, any other length reduced with AES-CMAC under a zero key (RFC 4615 §3).
 * @param prf
 *   Transform ID.
 * @param key
 *   Key; may be NULL only if key_len is 0.
 * @param key_len
 *   Key length in octets.
 * @param data
 *   Message; may be NULL only if len is 0.
 * @param len
 *   Message length in octets.
 * @param out
 *   tw_ike_prf_out_len(prf) octets.
 * @return
 *   0, -EINVAL (unknown PRF, NULL out, a NULL pointer with a non-zero length), or -EIO
 *   (libcrypto failure).
 */
int
tw_ike_prf(enum tw_ike_prf prf, const uint8_t *key, size_t key_len, const uint8_t *data,
	   size_t len, uint8_t *out);

/*
 * prf+ (RFC 7296 §2.13): T1 = prf(K, S | 0x01), Tn = prf(K, T(n-1) | S | n), out = the first
 * out_len octets of T1 | T2 | ...
 * @param prf
 *   Transform ID.
 * @param key
 *   K; may be NULL only if key_len is 0.
 * @param key_len
 *   K length in octets.
 * @param seed
 *   S; may be NULL only if seed_len is 0.
 * @param seed_len
 *   S length in octets.
 * @param out
 *   out_len octets.
 * @param out_len
 *   1 to 255 * tw_ike_prf_out_len(prf) octets.
 * @return
 *   0, -EINVAL (as tw_ike_prf(), or out_len 0 or beyond 255 iterations), -ENOMEM, or -EIO
 *   (libcrypto failure; out is then zeroed).
 */
int
tw_ike_prf_plus(enum tw_ike_prf prf, const uint8_t *key, size_t key_len, const uint8_t *seed,
		size_t seed_len, uint8_t *out, size_t out_len);

/*
 * The O/TWAMP shared secret of an IKEv2 SA, RFC 7717 §5.1: PRF(SK_d, "IPPM") with the SA's
 * negotiated PRF, the label being the four ASCII octets without a NUL.
 * @param prf
 *   The IKE SA's PRF Transform ID.
 * @param sk_d
 *   SK_d (RFC 7296 §2.14); must not be empty.
 * @param sk_d_len
 *   SK_d length in octets.
 * @param out
 *   Buffer for the secret.
 * @param out_len
 *   In: capacity of out. Out: tw_ike_prf_out_len(prf), the secret's length.
 * @return
 *   0, -EINVAL (unknown PRF, empty or NULL SK_d, NULL out or out_len, capacity below the PRF's
 *   output length), or -EIO (libcrypto failure).
 */
int
tw_ike_ippm_secret(enum tw_ike_prf prf, const uint8_t *sk_d, size_t sk_d_len, uint8_t *out,
		   size_t *out_len);

#endif /* TW_IKE_H */
