/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenSSL reference of the per-packet operations, one packet at a time: what the unit tests
 * compare the IPsec-MB burst engine with, and what the kernel-socket twamp-client uses.
 * Written from the RFC text, not from tcrypt.c: it shares only the coverage table.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tcrypt_priv.h"

/* RFC 4656 §4.1.2: AES-CBC, IV = 0, no padding (the lengths are whole blocks). */
static int
cbc(const struct tw_tcrypt_sess *s, uint8_t *buf, int n, int enc)
{
	static const uint8_t iv[TW_TCRYPT_BLOCK];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t out[TW_TCRYPT_REFL_LEN + TW_TCRYPT_BLOCK];
	int len = 0, fin = 0, ok;

	if (c == NULL)
		return -1;
	ok = EVP_CipherInit_ex(c, EVP_aes_128_cbc(), NULL, s->aes_key, iv, enc) == 1 &&
	     EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
	     EVP_CipherUpdate(c, out, &len, buf, n) == 1 &&
	     EVP_CipherFinal_ex(c, out + len, &fin) == 1 && len + fin == n;
	EVP_CIPHER_CTX_free(c);
	if (ok)
		memcpy(buf, out, (size_t)n);
	tw_tcrypt_wipe(out, sizeof(out));
	return ok ? 0 : -1;
}

/* HMAC-SHA1 of n plaintext octets with the test-session HMAC key, full 20 octets. */
static int
hmac(const struct tw_tcrypt_sess *s, const uint8_t *buf, size_t n, uint8_t md[EVP_MAX_MD_SIZE])
{
	unsigned int mdlen = 0;

	if (HMAC(EVP_sha1(), s->hmac_key, TW_TCRYPT_HMAC_KEY_LEN, buf, n, md, &mdlen) == NULL ||
	    mdlen < TW_TCRYPT_HMAC_LEN)
		return -1;
	return 0;
}

enum tw_tcrypt_verdict
tw_tcrypt_ref_verify(const struct tw_tcrypt_sess *s, enum tw_tcrypt_kind kind, uint8_t *pl,
		     size_t len)
{
	const struct tcrypt_cover *c = tcrypt_cover(s, kind);
	uint8_t md[EVP_MAX_MD_SIZE];
	int bad;

	if (len < c->min_len)
		return TW_TCRYPT_SHORT;
	/* Decrypt first: the HMAC was computed over the plaintext. */
	if (cbc(s, pl, c->cipher_len, 0) != 0 || hmac(s, pl, c->hash_len, md) != 0)
		return TW_TCRYPT_ERR_ENGINE;
	bad = CRYPTO_memcmp(md, pl + c->hmac_off, TW_TCRYPT_HMAC_LEN);
	tw_tcrypt_wipe(md, sizeof(md));
	return bad ? TW_TCRYPT_BAD_HMAC : TW_TCRYPT_OK;
}

enum tw_tcrypt_verdict
tw_tcrypt_ref_seal(const struct tw_tcrypt_sess *s, enum tw_tcrypt_kind kind, uint8_t *pl,
		   size_t len)
{
	const struct tcrypt_cover *c = tcrypt_cover(s, kind);
	uint8_t md[EVP_MAX_MD_SIZE];

	if (len < c->min_len)
		return TW_TCRYPT_SHORT;
	if (hmac(s, pl, c->hash_len, md) != 0)
		return TW_TCRYPT_ERR_ENGINE;
	/* RFC 4656 §4.1.2: truncated to 128 bits; the HMAC field itself travels in the clear. */
	memcpy(pl + c->hmac_off, md, TW_TCRYPT_HMAC_LEN);
	tw_tcrypt_wipe(md, sizeof(md));
	if (cbc(s, pl, c->cipher_len, 1) != 0)
		return TW_TCRYPT_ERR_ENGINE;
	return TW_TCRYPT_OK;
}
