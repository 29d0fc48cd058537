/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TWAMP-Control security (RFC 4656 §3.1-§3.4 as used by RFC 5357 §3 and RFC 5618): PBKDF2 key
 * derivation, the Set-Up-Response Token, the encrypted and HMAC'd control stream, and the
 * per-session TWAMP-Test keys derived from the control keys and the SID (RFC 4656 §4.1.2).
 *
 * OpenSSL libcrypto does the primitives; nothing here reads a clock or draws randomness (keys,
 * IVs and challenges come from the caller). Every secret this code holds is wiped when released.
 */
#ifndef TW_CTRL_CRYPTO_H
#define TW_CTRL_CRYPTO_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tw_ctrl_crypto_sizes {
	TW_CTRL_AES_KEY_LEN = 16,		/* AES-128 */
	TW_CTRL_HMAC_KEY_LEN = 32,		/* HMAC Session-key (RFC 4656 §3.1) */
	TW_CTRL_SHA1_LEN = 20,
	TW_CTRL_SECRET_MAX = 1024,		/* longest shared secret a key lookup may return */
	TW_CTRL_COUNT_MIN = 1024,		/* RFC 4656 §3.1: Count MUST be at least 1024 */
};

/* The two session keys, of a control connection or of one test session. */
struct tw_ctrl_keys {
	uint8_t aes[TW_CTRL_AES_KEY_LEN];	/* AES Session-key */
	uint8_t hmac[TW_CTRL_HMAC_KEY_LEN];	/* HMAC Session-key */
};

/* Token plaintext, RFC 4656 §3.1: Challenge (16) | AES Session-key (16) | HMAC Session-key (32). */
struct tw_ctrl_token {
	uint8_t challenge[16];
	struct tw_ctrl_keys keys;
};
static_assert(sizeof(struct tw_ctrl_token) == 64, "RFC 4656 §3.1 Token");

/*
 * PBKDF2 (RFC 8018 §5.2, formerly RFC 2898) with HMAC-SHA1, any lengths (for RFC 6070 vectors).
 * @return 0, or -EINVAL (count 0 or > INT_MAX, a length > INT_MAX), -EIO (libcrypto failure).
 */
int tw_ctrl_pbkdf2_sha1(const uint8_t *pass, size_t pass_len, const uint8_t *salt,
			size_t salt_len, uint32_t count, uint8_t *out, size_t out_len);

/*
 * RFC 4656 §3.1: the 16-octet key that encrypts the Token, PBKDF2-HMAC-SHA1 of the shared secret
 * with the Server Greeting's Salt and Count.
 * @return as tw_ctrl_pbkdf2_sha1().
 */
int tw_ctrl_derive_key(const uint8_t *secret, size_t secret_len,
		       const uint8_t salt[TW_CTRL_AES_KEY_LEN], uint32_t count,
		       uint8_t key[TW_CTRL_AES_KEY_LEN]);

/*
 * RFC 4656 §3.1: Token = AES-128-CBC, IV zero, of the 64 plaintext octets.
 * @return 0, or -EIO (libcrypto failure).
 */
int tw_ctrl_token_seal(const uint8_t key[TW_CTRL_AES_KEY_LEN], const struct tw_ctrl_token *t,
		       uint8_t token[64]);
int tw_ctrl_token_open(const uint8_t key[TW_CTRL_AES_KEY_LEN], const uint8_t token[64],
		       struct tw_ctrl_token *t);

/*
 * TWAMP-Test keys of one session (RFC 4656 §4.1.2, used by RFC 5357 §4.1.2), as the reference
 * implementation (perfsonar owamp, endpoint.c) derives them: the SID is the AES-128 key;
 *   test.aes  = AES-ECB(SID, control.aes)                 (one block)
 *   test.hmac = AES-CBC(SID, IV = 0, control.hmac)        (two blocks)
 * See docs/control.rst for why this reading of §4.1.2 was chosen.
 * @return 0, or -EIO (libcrypto failure).
 */
int tw_ctrl_test_keys(const struct tw_ctrl_keys *ctrl, const uint8_t sid[16],
		      struct tw_ctrl_keys *test);

/*
 * The ops.random the programs use: getrandom(2), retried on EINTR and short reads. (The state
 * machines never call it themselves: tests and fuzzers pass a deterministic source instead.)
 * @return 0 or -errno.
 */
int tw_ctrl_getrandom(void *arg, uint8_t *buf, size_t len);

/* Wipe secrets so the compiler cannot elide it (OPENSSL_cleanse). */
void tw_ctrl_wipe(void *p, size_t n);
/* Constant-time equality (CRYPTO_memcmp): for MACs, challenges and anything secret. */
bool tw_ctrl_mem_equal(const void *a, const void *b, size_t n);

/*
 * Memory for key material: its own anonymous pages, left out of core dumps
 * (madvise(MADV_DONTDUMP)) and locked in RAM where the process may (mlock: best effort, so
 * keys are not written to swap). Zeroed. Free with tw_secmem_free(), which wipes first.
 * @return the memory, or NULL (errno set).
 */
void *tw_secmem_alloc(size_t len);
void tw_secmem_free(void *p, size_t len);
/*
 * Leave the pages holding [p, p + len) out of core dumps, for key material that lives in
 * memory allocated otherwise (a static configuration). @return 0 or -errno.
 */
int tw_secmem_mark(void *p, size_t len);

/*
 * One direction of an encrypted control stream (RFC 4656 §3.2, §3.4):
 *  - AES-128-CBC with the AES Session-key, started at the sender's IV (Client-IV for the client's
 *    direction, Server-IV for the server's) and chained across messages: the IV of each message
 *    is the last ciphertext block of the previous one, as if the direction were one long CBC
 *    stream starting at the block after the one that carried the IV;
 *  - every message ends with an HMAC-SHA1 (key: HMAC Session-key) truncated to 16 octets that
 *    covers the plaintext sent in this direction since the previous HMAC, not including it. The
 *    HMAC is computed before encryption and encrypted with the rest.
 * In practice an HMAC covers its own message, except the server's first one, which also covers
 * the encrypted last block of Server-Start (Start-Time and MBZ), fed in with _cover().
 */
struct tw_ctrl_stream {
	void *evp;				/* EVP_CIPHER_CTX; NULL when not initialised */
	uint8_t hmac_key[TW_CTRL_HMAC_KEY_LEN];
	uint8_t pending[16];			/* plaintext not yet covered by an HMAC */
	uint8_t pending_len;
	bool encrypt;
};

/* @return 0, or -ENOMEM, -EIO. On failure the stream is left finalised (safe to _fini()). */
int tw_ctrl_stream_init(struct tw_ctrl_stream *st, const struct tw_ctrl_keys *k,
			const uint8_t iv[16], bool encrypt);
/* Free and wipe; idempotent. */
void tw_ctrl_stream_fini(struct tw_ctrl_stream *st);
/* Add up to 16 plaintext octets to the next HMAC. @return 0 or -ENOBUFS. */
int tw_ctrl_stream_cover(struct tw_ctrl_stream *st, const uint8_t *p, size_t n);
/* Encrypt or decrypt (as initialised) len octets in place, len a multiple of 16.
 * @return 0, -EINVAL, -EIO. */
int tw_ctrl_stream_crypt(struct tw_ctrl_stream *st, uint8_t *p, size_t len);
/* Truncated HMAC of pending || msg[0..len), then forget pending. @return 0 or -EIO. */
int tw_ctrl_stream_mac(struct tw_ctrl_stream *st, const uint8_t *msg, size_t len,
		       uint8_t mac[16]);
/* Sender: put the HMAC of msg[0..len-16) in msg[len-16..len), then encrypt all len octets.
 * len is a multiple of 16 and at least 32. @return 0, -EINVAL, -EIO. */
int tw_ctrl_stream_seal(struct tw_ctrl_stream *st, uint8_t *msg, size_t len);
/* Receiver, on a decrypted message: check its trailing HMAC in constant time.
 * @return 0, -EBADMSG (mismatch), -EINVAL, -EIO. */
int tw_ctrl_stream_verify(struct tw_ctrl_stream *st, const uint8_t *msg, size_t len);

#endif /* TW_CTRL_CRYPTO_H */
