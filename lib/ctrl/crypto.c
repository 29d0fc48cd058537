/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TWAMP-Control crypto on OpenSSL 3 libcrypto. Only non-deprecated interfaces: EVP ciphers,
 * EVP_MAC for HMAC, PKCS5_PBKDF2_HMAC.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>
#include <limits.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "tw_ctrl_crypto.h"
#include "tw_ctrl_msg.h"

void
tw_ctrl_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		OPENSSL_cleanse(p, n);
}

bool
tw_ctrl_mem_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

static size_t
page_round(size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (len + pg - 1) / pg * pg;
}

void *
tw_secmem_alloc(size_t len)
{
	size_t sz = page_round(len ? len : 1);
	void *p;

	p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (madvise(p, sz, MADV_DONTDUMP) != 0) {
		int e = errno;

		munmap(p, sz);
		errno = e;
		return NULL;
	}
	(void)mlock(p, sz);	/* RLIMIT_MEMLOCK may say no: dump exclusion is what matters */
	return p;
}

void
tw_secmem_free(void *p, size_t len)
{
	size_t sz = page_round(len ? len : 1);

	if (p == NULL)
		return;
	OPENSSL_cleanse(p, sz);
	munlock(p, sz);
	munmap(p, sz);
}

int
tw_secmem_mark(void *p, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t lo = (uintptr_t)p / pg * pg, hi = ((uintptr_t)p + len + pg - 1) / pg * pg;

	if (p == NULL || len == 0)
		return -EINVAL;
	return madvise((void *)lo, hi - lo, MADV_DONTDUMP) == 0 ? 0 : -errno;
}

int
tw_ctrl_pbkdf2_sha1(const uint8_t *pass, size_t pass_len, const uint8_t *salt,
		    size_t salt_len, uint32_t count, uint8_t *out, size_t out_len)
{
	static const char empty[1];

	if (count == 0 || count > INT_MAX || pass_len > INT_MAX || salt_len > INT_MAX ||
	    out_len == 0 || out_len > INT_MAX)
		return -EINVAL;
	if (PKCS5_PBKDF2_HMAC(pass_len > 0 ? (const char *)pass : empty, (int)pass_len,
			      salt_len > 0 ? salt : (const uint8_t *)empty, (int)salt_len,
			      (int)count, EVP_sha1(), (int)out_len, out) != 1)
		return -EIO;
	return 0;
}

int
tw_ctrl_derive_key(const uint8_t *secret, size_t secret_len, const uint8_t salt[16],
		   uint32_t count, uint8_t key[16])
{
	/* RFC 4656 §3.1: PBKDF2 with HMAC-SHA1, the greeting's Salt and Count, dkLen 16. */
	return tw_ctrl_pbkdf2_sha1(secret, secret_len, salt, TW_CTRL_SALT_LEN, count, key,
				   TW_CTRL_AES_KEY_LEN);
}

/* One-shot AES-128 in ECB or CBC (zero IV) without padding; len a multiple of 16. */
static int
aes_oneshot(const EVP_CIPHER *cipher, bool enc, const uint8_t key[16], const uint8_t *in,
	    size_t len, uint8_t *out)
{
	static const uint8_t zero_iv[16];
	EVP_CIPHER_CTX *ctx;
	int n = 0, fin = 0, rc = -EIO;

	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		return -ENOMEM;
	if (EVP_CipherInit_ex(ctx, cipher, NULL, key, zero_iv, enc ? 1 : 0) == 1 &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	    EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1 &&
	    EVP_CipherFinal_ex(ctx, out + n, &fin) == 1 && (size_t)(n + fin) == len)
		rc = 0;
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int
tw_ctrl_token_seal(const uint8_t key[16], const struct tw_ctrl_token *t, uint8_t token[64])
{
	/* RFC 4656 §3.1: "AES in Cipher Block Chaining (CBC) ... with an IV of zero". */
	return aes_oneshot(EVP_aes_128_cbc(), true, key, (const uint8_t *)t, sizeof(*t), token);
}

int
tw_ctrl_token_open(const uint8_t key[16], const uint8_t token[64], struct tw_ctrl_token *t)
{
	return aes_oneshot(EVP_aes_128_cbc(), false, key, token, sizeof(*t), (uint8_t *)t);
}

int
tw_ctrl_test_keys(const struct tw_ctrl_keys *ctrl, const uint8_t sid[16],
		  struct tw_ctrl_keys *test)
{
	int rc;

	rc = aes_oneshot(EVP_aes_128_ecb(), true, sid, ctrl->aes, sizeof(ctrl->aes), test->aes);
	if (rc == 0)
		rc = aes_oneshot(EVP_aes_128_cbc(), true, sid, ctrl->hmac, sizeof(ctrl->hmac),
				 test->hmac);
	if (rc != 0)
		tw_ctrl_wipe(test, sizeof(*test));
	return rc;
}

void
tw_ctrl_stream_fini(struct tw_ctrl_stream *st)
{
	if (st->evp != NULL)
		EVP_CIPHER_CTX_free(st->evp);	/* also cleanses the key schedule */
	tw_ctrl_wipe(st, sizeof(*st));
	st->evp = NULL;
}

int
tw_ctrl_stream_init(struct tw_ctrl_stream *st, const struct tw_ctrl_keys *k,
		    const uint8_t iv[16], bool encrypt)
{
	EVP_CIPHER_CTX *ctx;

	memset(st, 0, sizeof(*st));
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		return -ENOMEM;
	/* One CBC context per direction for the connection's life: EVP keeps the chaining value
	 * between updates, which is exactly the stream encryption of RFC 4656 §3.4. */
	if (EVP_CipherInit_ex(ctx, EVP_aes_128_cbc(), NULL, k->aes, iv, encrypt ? 1 : 0) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
		EVP_CIPHER_CTX_free(ctx);
		return -EIO;
	}
	st->evp = ctx;
	memcpy(st->hmac_key, k->hmac, sizeof(st->hmac_key));
	st->encrypt = encrypt;
	return 0;
}

int
tw_ctrl_stream_cover(struct tw_ctrl_stream *st, const uint8_t *p, size_t n)
{
	if (n > sizeof(st->pending) - st->pending_len)
		return -ENOBUFS;
	memcpy(st->pending + st->pending_len, p, n);
	st->pending_len += (uint8_t)n;
	return 0;
}

int
tw_ctrl_stream_crypt(struct tw_ctrl_stream *st, uint8_t *p, size_t len)
{
	int n = 0;

	if (st->evp == NULL || len % TW_CTRL_BLOCK != 0 || len > INT_MAX)
		return -EINVAL;
	if (len == 0)
		return 0;
	if (EVP_CipherUpdate(st->evp, p, &n, p, (int)len) != 1 || (size_t)n != len)
		return -EIO;
	return 0;
}

int
tw_ctrl_stream_mac(struct tw_ctrl_stream *st, const uint8_t *msg, size_t len, uint8_t mac[16])
{
	uint8_t full[TW_CTRL_SHA1_LEN];
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx = NULL;
	EVP_MAC *hmac;
	size_t outl = 0;
	int rc = -EIO;

	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (hmac == NULL)
		return -EIO;
	ctx = EVP_MAC_CTX_new(hmac);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA1", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (ctx != NULL &&
	    EVP_MAC_init(ctx, st->hmac_key, sizeof(st->hmac_key), params) == 1 &&
	    EVP_MAC_update(ctx, st->pending, st->pending_len) == 1 &&
	    EVP_MAC_update(ctx, msg, len) == 1 &&
	    EVP_MAC_final(ctx, full, &outl, sizeof(full)) == 1 && outl == sizeof(full)) {
		/* RFC 4656 §3.2: HMAC-SHA1 truncated to 128 bits. */
		memcpy(mac, full, TW_CTRL_HMAC_LEN);
		rc = 0;
	}
	/* RFC 4656 §3.2: the next HMAC starts after this one, so what it covered is done. */
	tw_ctrl_wipe(st->pending, sizeof(st->pending));
	st->pending_len = 0;
	tw_ctrl_wipe(full, sizeof(full));
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(hmac);
	return rc;
}

int
tw_ctrl_stream_seal(struct tw_ctrl_stream *st, uint8_t *msg, size_t len)
{
	int rc;

	if (!st->encrypt || len < 2 * TW_CTRL_BLOCK || len % TW_CTRL_BLOCK != 0)
		return -EINVAL;
	/* RFC 4656 §3.2: "authentication happens before encryption, so HMAC blocks are
	 * encrypted along with the rest of the stream". */
	rc = tw_ctrl_stream_mac(st, msg, len - TW_CTRL_HMAC_LEN, msg + len - TW_CTRL_HMAC_LEN);
	if (rc == 0)
		rc = tw_ctrl_stream_crypt(st, msg, len);
	return rc;
}

int
tw_ctrl_stream_verify(struct tw_ctrl_stream *st, const uint8_t *msg, size_t len)
{
	uint8_t mac[TW_CTRL_HMAC_LEN];
	int rc;

	if (st->encrypt || len < TW_CTRL_HMAC_LEN)
		return -EINVAL;
	rc = tw_ctrl_stream_mac(st, msg, len - TW_CTRL_HMAC_LEN, mac);
	if (rc == 0 && !tw_ctrl_mem_equal(mac, msg + len - TW_CTRL_HMAC_LEN, sizeof(mac)))
		rc = -EBADMSG;
	tw_ctrl_wipe(mac, sizeof(mac));
	return rc;
}

int
tw_ctrl_getrandom(void *arg, uint8_t *buf, size_t len)
{
	(void)arg;
	while (len > 0) {
		ssize_t n = getrandom(buf, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}
