/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv2 PRFs over OpenSSL libcrypto: HMAC and AES-CMAC through EVP_MAC, AES-XCBC-MAC (which
 * OpenSSL does not offer) by hand on AES-128-ECB, prf+ and the RFC 7717 shared secret.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "tw_ike.h"

enum {
	AES_BLOCK = 16,
	AES_PRF_KEY_LEN = 16,
};

struct prf_desc {
	enum tw_ike_prf id;
	const char *name;	/* IANA */
	const char *keyword;	/* strongSwan proposal keyword */
	const char *digest;	/* OpenSSL digest name, NULL for the AES PRFs */
	size_t out_len;
};

static const struct prf_desc prfs[] = {
	{ TW_IKE_PRF_HMAC_SHA1, "PRF_HMAC_SHA1", "prfsha1", "SHA1", 20 },
	{ TW_IKE_PRF_AES128_XCBC, "PRF_AES128_XCBC", "prfaesxcbc", NULL, 16 },
	{ TW_IKE_PRF_HMAC_SHA2_256, "PRF_HMAC_SHA2_256", "prfsha256", "SHA2-256", 32 },
	{ TW_IKE_PRF_HMAC_SHA2_384, "PRF_HMAC_SHA2_384", "prfsha384", "SHA2-384", 48 },
	{ TW_IKE_PRF_HMAC_SHA2_512, "PRF_HMAC_SHA2_512", "prfsha512", "SHA2-512", 64 },
	{ TW_IKE_PRF_AES128_CMAC, "PRF_AES128_CMAC", "prfaescmac", NULL, 16 },
};

static const struct prf_desc *
prf_lookup(enum tw_ike_prf prf)
{
	for (size_t i = 0; i < sizeof(prfs) / sizeof(prfs[0]); i++)
		if (prfs[i].id == prf)
			return &prfs[i];
	return NULL;
}

const char *
tw_ike_prf_name(enum tw_ike_prf prf)
{
	const struct prf_desc *d = prf_lookup(prf);

	return d != NULL ? d->name : NULL;
}

size_t
tw_ike_prf_out_len(enum tw_ike_prf prf)
{
	const struct prf_desc *d = prf_lookup(prf);

	return d != NULL ? d->out_len : 0;
}

int
tw_ike_prf_parse(const char *name)
{
	if (name == NULL)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(prfs) / sizeof(prfs[0]); i++) {
		const struct prf_desc *d = &prfs[i];

		if (strcasecmp(name, d->name) == 0 || strcasecmp(name, d->name + 4) == 0 ||
		    strcasecmp(name, d->keyword) == 0)
			return (int)d->id;
	}
	return -EINVAL;
}

/*
 * One EVP_MAC computation ("HMAC" with a digest, or "CMAC" with a cipher). OpenSSL 3.0 refuses a
 * NULL key even of length 0, so an empty key is passed as a valid pointer.
 */
static int
evp_mac(const char *mac, const char *param, const char *value, const uint8_t *key,
	size_t key_len, const uint8_t *data, size_t len, uint8_t *out, size_t out_len)
{
	static const uint8_t empty[1];
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx = NULL;
	EVP_MAC *m;
	size_t outl = 0;
	int rc = -EIO;

	m = EVP_MAC_fetch(NULL, mac, NULL);
	if (m == NULL)
		return -EIO;
	ctx = EVP_MAC_CTX_new(m);
	params[0] = OSSL_PARAM_construct_utf8_string(param, (char *)(uintptr_t)value, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (ctx != NULL &&
	    EVP_MAC_init(ctx, key_len > 0 ? key : empty, key_len, params) == 1 &&
	    (len == 0 || EVP_MAC_update(ctx, data, len) == 1) &&
	    EVP_MAC_final(ctx, out, &outl, out_len) == 1 && outl == out_len)
		rc = 0;
	EVP_MAC_CTX_free(ctx);	/* frees and cleanses the keyed state */
	EVP_MAC_free(m);
	return rc;
}

static int
cmac_aes128(const uint8_t key[AES_PRF_KEY_LEN], const uint8_t *data, size_t len,
	    uint8_t out[AES_BLOCK])
{
	/* RFC 4493 AES-CMAC, OpenSSL's CMAC over AES-128 in CBC mode */
	return evp_mac("CMAC", OSSL_MAC_PARAM_CIPHER, "AES-128-CBC", key, AES_PRF_KEY_LEN, data,
		       len, out, AES_BLOCK);
}

static int
aes_block(EVP_CIPHER_CTX *ctx, const uint8_t in[AES_BLOCK], uint8_t out[AES_BLOCK])
{
	int outl = 0;

	if (EVP_EncryptUpdate(ctx, out, &outl, in, AES_BLOCK) != 1 || outl != AES_BLOCK)
		return -EIO;
	return 0;
}

static int
aes_ecb_key(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *cipher, const uint8_t key[AES_PRF_KEY_LEN])
{
	if (EVP_EncryptInit_ex(ctx, cipher, NULL, key, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1)
		return -EIO;
	return 0;
}

static void
xor_block(uint8_t *dst, const uint8_t *a, const uint8_t *b)
{
	for (unsigned int i = 0; i < AES_BLOCK; i++)
		dst[i] = a[i] ^ b[i];
}

/*
 * AES-XCBC-MAC, RFC 3566 §4 up to §4.2 (the full 128 bits: RFC 4434 §2 skips the §4.3
 * truncation to 96 bits).
 */
static int
xcbc_aes128(const uint8_t key[AES_PRF_KEY_LEN], const uint8_t *data, size_t len,
	    uint8_t out[AES_BLOCK])
{
	static const uint8_t c1[AES_BLOCK] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	static const uint8_t c2[AES_BLOCK] = { 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2 };
	static const uint8_t c3[AES_BLOCK] = { 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3 };
	uint8_t k1[AES_BLOCK], k2[AES_BLOCK], k3[AES_BLOCK];
	uint8_t e[AES_BLOCK] = { 0 }, x[AES_BLOCK];
	size_t nblocks = len == 0 ? 1 : (len + AES_BLOCK - 1) / AES_BLOCK;
	size_t last_len = len - (nblocks - 1) * AES_BLOCK;
	EVP_CIPHER *cipher;
	EVP_CIPHER_CTX *ctx;
	int rc = -EIO;

	cipher = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
	ctx = EVP_CIPHER_CTX_new();
	if (cipher == NULL || ctx == NULL)
		goto out;
	/* §4 (1): K1 = E(K, 0x01...), K2 = E(K, 0x02...), K3 = E(K, 0x03...) */
	if (aes_ecb_key(ctx, cipher, key) < 0 || aes_block(ctx, c1, k1) < 0 ||
	    aes_block(ctx, c2, k2) < 0 || aes_block(ctx, c3, k3) < 0 ||
	    aes_ecb_key(ctx, cipher, k1) < 0)
		goto out;
	/* §4 (3): E[i] = E(K1, M[i] XOR E[i-1]) for every block but the last */
	for (size_t i = 0; i + 1 < nblocks; i++) {
		xor_block(x, data + i * AES_BLOCK, e);
		if (aes_block(ctx, x, e) < 0)
			goto out;
	}
	/* §4 (4)a: a complete last block is XORed with K2 */
	if (len > 0 && last_len == AES_BLOCK) {
		xor_block(x, data + (nblocks - 1) * AES_BLOCK, e);
		xor_block(x, x, k2);
	} else {
		/* §4 (4)b: pad 10* to 128 bits, XOR with K3 (the empty message is such a block) */
		memset(x, 0, sizeof(x));
		if (last_len > 0)
			memcpy(x, data + (nblocks - 1) * AES_BLOCK, last_len);
		x[last_len] = 0x80;
		xor_block(x, x, e);
		xor_block(x, x, k3);
	}
	if (aes_block(ctx, x, out) < 0)
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	OPENSSL_cleanse(k3, sizeof(k3));
	OPENSSL_cleanse(e, sizeof(e));
	OPENSSL_cleanse(x, sizeof(x));
	EVP_CIPHER_CTX_free(ctx);	/* cleanses the key schedule */
	EVP_CIPHER_free(cipher);
	return rc;
}

typedef int (*aes_mac_fn)(const uint8_t key[AES_PRF_KEY_LEN], const uint8_t *data, size_t len,
			  uint8_t out[AES_BLOCK]);

/*
 * The key-length rules of the AES PRFs, which differ:
 * RFC 4434 §2 (XCBC): 16 octets as is; shorter: zero-padded on the right; longer: reduced to
 * AES-XCBC-PRF-128(0^128, key).
 * RFC 4615 §3 (CMAC): 16 octets as is; any other length, shorter too: AES-CMAC(0^128, key).
 */
static int
aes_prf(aes_mac_fn mac, bool pad_short, const uint8_t *key, size_t key_len,
	const uint8_t *data, size_t len, uint8_t out[AES_BLOCK])
{
	static const uint8_t zero[AES_PRF_KEY_LEN];
	uint8_t k[AES_PRF_KEY_LEN] = { 0 };
	int rc;

	if (key_len == AES_PRF_KEY_LEN) {
		memcpy(k, key, key_len);
	} else if (key_len < AES_PRF_KEY_LEN && pad_short) {
		if (key_len > 0)
			memcpy(k, key, key_len);
	} else {
		rc = mac(zero, key, key_len, k);
		if (rc < 0)
			goto out;
	}
	rc = mac(k, data, len, out);
out:
	OPENSSL_cleanse(k, sizeof(k));
	return rc;
}

int
tw_ike_prf(enum tw_ike_prf prf, const uint8_t *key, size_t key_len, const uint8_t *data,
	   size_t len, uint8_t *out)
{
	const struct prf_desc *d = prf_lookup(prf);

	if (d == NULL || out == NULL || (key == NULL && key_len > 0) ||
	    (data == NULL && len > 0))
		return -EINVAL;
	switch (prf) {
	case TW_IKE_PRF_AES128_XCBC:
		return aes_prf(xcbc_aes128, true, key, key_len, data, len, out);
	case TW_IKE_PRF_AES128_CMAC:
		return aes_prf(cmac_aes128, false, key, key_len, data, len, out);
	default:
		/* RFC 2104 HMAC; RFC 4868 §2.1.2: the SHA-2 PRFs are untruncated */
		return evp_mac("HMAC", OSSL_MAC_PARAM_DIGEST, d->digest, key, key_len, data, len,
			       out, d->out_len);
	}
}

int
tw_ike_prf_plus(enum tw_ike_prf prf, const uint8_t *key, size_t key_len, const uint8_t *seed,
		size_t seed_len, uint8_t *out, size_t out_len)
{
	size_t plen = tw_ike_prf_out_len(prf);
	uint8_t t[TW_IKE_PRF_OUT_MAX];
	size_t buf_len, done = 0;
	uint8_t *buf;
	int rc = 0;

	if (plen == 0 || out == NULL || (key == NULL && key_len > 0) ||
	    (seed == NULL && seed_len > 0))
		return -EINVAL;
	/* RFC 7296 §2.13: the counter is one octet, so at most 255 blocks */
	if (out_len == 0 || out_len > TW_IKE_PRF_PLUS_ITER_MAX * plen)
		return -EINVAL;
	if (seed_len > SIZE_MAX - TW_IKE_PRF_OUT_MAX - 1)
		return -EINVAL;
	/* buf = T(n-1) | S | n; T0 is empty, so T1's input starts at S */
	buf_len = plen + seed_len + 1;
	buf = malloc(buf_len);
	if (buf == NULL)
		return -ENOMEM;
	if (seed_len > 0)
		memcpy(buf + plen, seed, seed_len);
	for (unsigned int n = 1; done < out_len; n++) {
		size_t take = out_len - done < plen ? out_len - done : plen;

		buf[buf_len - 1] = (uint8_t)n;
		if (n == 1)
			rc = tw_ike_prf(prf, key, key_len, buf + plen, seed_len + 1, t);
		else
			rc = tw_ike_prf(prf, key, key_len, buf, buf_len, t);
		if (rc < 0)
			break;
		memcpy(buf, t, plen);
		memcpy(out + done, t, take);
		done += take;
	}
	if (rc < 0)
		OPENSSL_cleanse(out, out_len);
	OPENSSL_cleanse(t, sizeof(t));
	OPENSSL_cleanse(buf, buf_len);
	free(buf);
	return rc;
}

int
tw_ike_ippm_secret(enum tw_ike_prf prf, const uint8_t *sk_d, size_t sk_d_len, uint8_t *out,
		   size_t *out_len)
{
	/* RFC 7717 §5.1: "the string "IPPM" comprises four ASCII characters" */
	static const uint8_t label[TW_IKE_IPPM_LABEL_LEN] = { 'I', 'P', 'P', 'M' };
	size_t plen = tw_ike_prf_out_len(prf);
	int rc;

	if (plen == 0 || sk_d == NULL || sk_d_len == 0 || out == NULL || out_len == NULL ||
	    *out_len < plen)
		return -EINVAL;
	rc = tw_ike_prf(prf, sk_d, sk_d_len, label, sizeof(label), out);
	if (rc < 0) {
		OPENSSL_cleanse(out, plen);
		return rc;
	}
	*out_len = plen;
	return 0;
}
