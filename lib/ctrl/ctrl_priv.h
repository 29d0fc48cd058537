/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the server and the client machines share: the receive buffer (raw octets, of which a
 * prefix is already decrypted), the two stream directions, counters and the close path.
 */
#ifndef TW_CTRL_PRIV_H
#define TW_CTRL_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tw_ctrl.h"

struct conn {
	uint8_t *rx;				/* rx_cap octets: received, not yet handled */
	size_t rx_cap;
	size_t rx_len;
	size_t rx_dec;				/* leading octets of rx already plaintext */
	uint64_t rx_since;			/* `now` when rx last became non-empty */
	uint8_t *tx;				/* rx_cap octets: one outgoing message */
	bool cipher;				/* mode 2/4/8: encrypted + HMAC'd after set-up */
	bool rx_on;				/* rxs initialised: rx is ciphertext from rx_dec */
	bool tx_on;
	struct tw_ctrl_stream rxs;
	struct tw_ctrl_stream txs;
	struct tw_ctrl_keys keys;
	bool have_keys;
	uint32_t mode;
	struct tw_ctrl_stats st;
	void *arg;
	void (*event)(void *arg, const struct tw_ctrl_event *ev);
};

/* Allocate rx and tx of cap octets. @return 0 or -ENOMEM. */
int conn_init(struct conn *c, size_t cap);
/* Wipe keys, streams and buffers, free. */
void conn_fini(struct conn *c);
/* Append as much of in as fits in rx. @return octets taken. */
size_t conn_feed(struct conn *c, const uint8_t *in, size_t len, uint64_t now);
/* Make rx[0..upto) plaintext; upto <= rx_len. Blocks are decrypted in stream order only.
 * @return 0, -EIO. */
int conn_decrypt(struct conn *c, size_t upto);
/* Drop the first n octets of rx (a handled message). */
void conn_consume(struct conn *c, size_t n, uint64_t now);
/* Seal (HMAC + encrypt, or zero HMAC in open mode) msg[0..len) in place and append it to out.
 * @return 0, -ENOBUFS, -EIO. */
int conn_send(struct conn *c, uint8_t *msg, size_t len, struct tw_ctrl_out *out);
/* Check the HMAC of a decrypted message in rx (open mode: count a non-zero HMAC field).
 * @return 0 or -EBADMSG, -EIO. */
int conn_verify(struct conn *c, const uint8_t *msg, size_t len);
/* Set up both directions once the keys and both IVs are known. @return 0, -ENOMEM, -EIO. */
int conn_start_rx(struct conn *c, const uint8_t iv[16]);
int conn_start_tx(struct conn *c, const uint8_t iv[16]);
void conn_emit(struct conn *c, const struct tw_ctrl_event *ev);
void conn_emit_sids(struct conn *c, enum tw_ctrl_event_type type, uint8_t accept,
		    const uint8_t (*sids)[TW_CTRL_SID_LEN], uint32_t n);
/* Record the reason (first one wins) and emit TW_CTRL_EV_CLOSE. */
void conn_close(struct conn *c, enum tw_ctrl_close why);

/* RFC 7717 Key ID: the two SPIs per layout, the rest zero. */
void ike_keyid_encode(enum tw_ctrl_spi_layout layout, const uint8_t *spi_i, const uint8_t *spi_r,
		      uint8_t keyid[TW_CTRL_KEYID_LEN]);
/* @return 0, or -EINVAL for a zero SPI or a non-zero octet after the SPIs. */
int ike_keyid_check(enum tw_ctrl_spi_layout layout, const uint8_t keyid[TW_CTRL_KEYID_LEN],
		    bool strict_tail);

static inline bool
out_room(const struct tw_ctrl_out *o, size_t n)
{
	return o != NULL && o->buf != NULL && o->len <= o->cap && o->cap - o->len >= n;
}

static inline uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t
deadline_add(uint64_t t, uint64_t d)
{
	return t > UINT64_MAX - d ? UINT64_MAX : t + d;
}

#endif /* TW_CTRL_PRIV_H */
