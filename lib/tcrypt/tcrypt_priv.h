/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to lib/tcrypt: which octets each packet kind and mode protects. */
#ifndef TCRYPT_PRIV_H
#define TCRYPT_PRIV_H

#include <stdint.h>
#include <string.h>

#include "tw_tcrypt.h"

/* What one packet's protection covers, in octets from the start of the TWAMP-Test payload. */
struct tcrypt_cover {
	uint8_t cipher_len;	/* AES-CBC with a zero IV over [0, cipher_len) */
	uint8_t hash_len;	/* HMAC-SHA1 over the plaintext of [0, hash_len) */
	uint8_t hmac_off;	/* where the 16-octet truncated HMAC sits */
	uint8_t min_len;	/* fixed part of the packet */
};

/*
 * RFC 4656 §4.1.2: authenticated mode encrypts the first block only, encrypted mode the whole
 * fixed part before the HMAC field (2 blocks for the sender, RFC 5357 §4.2.1: 6 blocks for the
 * reflector); "HMAC in OWAMP-Test only covers the part of the packet that is also encrypted".
 * Indexed [kind][encrypted][auth_hmac_all].
 */
static const struct tcrypt_cover tcrypt_covers[2][2][2] = {
	[TW_TCRYPT_SENDER] = {
		[0] = { { 16, 16, 32, 48 }, { 16, 32, 32, 48 } },
		[1] = { { 32, 32, 32, 48 }, { 32, 32, 32, 48 } },
	},
	[TW_TCRYPT_REFLECTOR] = {
		[0] = { { 16, 16, 96, 112 }, { 16, 96, 96, 112 } },
		[1] = { { 96, 96, 96, 112 }, { 96, 96, 96, 112 } },
	},
};

static inline const struct tcrypt_cover *
tcrypt_cover(const struct tw_tcrypt_sess *s, enum tw_tcrypt_kind kind)
{
	return &tcrypt_covers[kind == TW_TCRYPT_REFLECTOR][s->mode == TW_TCRYPT_MODE_ENC]
			     [(s->flags & TW_TCRYPT_F_AUTH_HMAC_ALL) != 0];
}

/* Constant-time inequality of two 16-octet MACs: no branch or early exit depends on the data. */
static inline int
tcrypt_mac16_differs(const uint8_t *a, const uint8_t *b)
{
	uint64_t a0, a1, b0, b1;

	memcpy(&a0, a, 8);
	memcpy(&a1, a + 8, 8);
	memcpy(&b0, b, 8);
	memcpy(&b1, b + 8, 8);
	return ((a0 ^ b0) | (a1 ^ b1)) != 0;
}

#endif /* TCRYPT_PRIV_H */
