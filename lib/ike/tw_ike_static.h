/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "static" key provider for RFC 7717 (IKEv2-derived O/TWAMP shared secrets) in labs and
 * tests without an IKE daemon: a protected file maps an IKE SA's SPIs to its PRF and SK_d, and
 * the secret PRF(SK_d, "IPPM") is derived once at load. SK_d itself is not kept.
 *
 * File format, one SA per line, hex without separators, # comments and blank lines allowed:
 *
 *	SPIi SPIr PRF SK_d
 *	0123456789abcdef fedcba9876543210 prfsha256 00112233...
 *
 * SPIs are 8 octets (RFC 7296 §3.1), or 4 for peers using draft-ietf-ippm-ipsec's layout; PRF is a
 * name tw_ike_prf_parse() knows.
 */
#ifndef TW_IKE_STATIC_H
#define TW_IKE_STATIC_H

#include <stddef.h>
#include <stdint.h>

#include "tw_ike.h"

enum { TW_IKE_STATIC_MAX = 1024 };

struct tw_ike_static_entry {
	uint8_t spi_i[8];
	uint8_t spi_r[8];
	uint8_t spi_len;		/* 8, or 4 (draft layout) */
	uint8_t secret_len;
	enum tw_ike_prf prf;
	uint8_t secret[TW_IKE_PRF_OUT_MAX];	/* PRF(SK_d, "IPPM") */
};

struct tw_ike_static;

/*
 * Load a file. It must be a regular file that neither group nor others may access.
 * @return the table, or NULL with err set to "path:line: message" (or "path: message").
 */
struct tw_ike_static *tw_ike_static_load(const char *path, char *err, size_t errlen);
/* The entry with these SPIs (spi_len octets each), or NULL. */
const struct tw_ike_static_entry *tw_ike_static_find(const struct tw_ike_static *t,
						     const uint8_t *spi_i, const uint8_t *spi_r,
						     size_t spi_len);
/* The first entry (a client's default SA), or NULL if the file had none. */
const struct tw_ike_static_entry *tw_ike_static_first(const struct tw_ike_static *t);
unsigned int tw_ike_static_count(const struct tw_ike_static *t);
/* Wipe every secret and free. NULL allowed. */
void tw_ike_static_free(struct tw_ike_static *t);

#endif /* TW_IKE_STATIC_H */
