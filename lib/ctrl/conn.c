/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection core shared by the server and client machines.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl_priv.h"

int
conn_init(struct conn *c, size_t cap)
{
	memset(c, 0, sizeof(*c));
	c->rx = calloc(1, cap);
	c->tx = calloc(1, cap);
	if (c->rx == NULL || c->tx == NULL) {
		free(c->rx);
		free(c->tx);
		c->rx = c->tx = NULL;
		return -ENOMEM;
	}
	c->rx_cap = cap;
	return 0;
}

void
conn_fini(struct conn *c)
{
	tw_ctrl_stream_fini(&c->rxs);
	tw_ctrl_stream_fini(&c->txs);
	tw_ctrl_wipe(&c->keys, sizeof(c->keys));
	/* Buffers held decrypted control messages: wipe them too. */
	if (c->rx != NULL)
		tw_ctrl_wipe(c->rx, c->rx_cap);
	if (c->tx != NULL)
		tw_ctrl_wipe(c->tx, c->rx_cap);
	free(c->rx);
	free(c->tx);
	c->rx = c->tx = NULL;
	c->have_keys = false;
}

size_t
conn_feed(struct conn *c, const uint8_t *in, size_t len, uint64_t now)
{
	size_t n = c->rx_cap - c->rx_len;

	if (n > len)
		n = len;
	if (n == 0)
		return 0;
	if (c->rx_len == 0)
		c->rx_since = now;
	memcpy(c->rx + c->rx_len, in, n);
	c->rx_len += n;
	c->st.rx_octets += n;
	return n;
}

int
conn_decrypt(struct conn *c, size_t upto)
{
	size_t n;

	if (upto <= c->rx_dec)
		return 0;
	if (!c->rx_on) {
		c->rx_dec = upto;
		return 0;
	}
	/* Only whole blocks: the caller asks for block-aligned message boundaries. */
	n = (upto - c->rx_dec) / TW_CTRL_BLOCK * TW_CTRL_BLOCK;
	if (tw_ctrl_stream_crypt(&c->rxs, c->rx + c->rx_dec, n) != 0)
		return -EIO;
	c->rx_dec += n;
	return 0;
}

void
conn_consume(struct conn *c, size_t n, uint64_t now)
{
	if (n > c->rx_len)
		n = c->rx_len;
	memmove(c->rx, c->rx + n, c->rx_len - n);
	c->rx_len -= n;
	c->rx_dec = c->rx_dec > n ? c->rx_dec - n : 0;
	/* A message already waiting behind this one started arriving now, as far as the
	 * partial-message deadline is concerned. */
	if (c->rx_len > 0)
		c->rx_since = now;
}

int
conn_start_rx(struct conn *c, const uint8_t iv[16])
{
	int rc = tw_ctrl_stream_init(&c->rxs, &c->keys, iv, false);

	if (rc == 0)
		c->rx_on = true;
	return rc;
}

int
conn_start_tx(struct conn *c, const uint8_t iv[16])
{
	int rc = tw_ctrl_stream_init(&c->txs, &c->keys, iv, true);

	if (rc == 0)
		c->tx_on = true;
	return rc;
}

int
conn_send(struct conn *c, uint8_t *msg, size_t len, struct tw_ctrl_out *out)
{
	if (!out_room(out, len))
		return -ENOBUFS;
	if (c->tx_on) {
		if (tw_ctrl_stream_seal(&c->txs, msg, len) != 0)
			return -EIO;
	} else {
		/* RFC 4656 §3.2: in open mode the HMAC field has MBZ semantics. */
		memset(msg + len - TW_CTRL_HMAC_LEN, 0, TW_CTRL_HMAC_LEN);
	}
	memcpy(out->buf + out->len, msg, len);
	out->len += len;
	c->st.tx_octets += len;
	tw_ctrl_wipe(msg, len);
	return 0;
}

int
conn_verify(struct conn *c, const uint8_t *msg, size_t len)
{
	size_t i;

	if (c->rx_on)
		return tw_ctrl_stream_verify(&c->rxs, msg, len);
	for (i = len - TW_CTRL_HMAC_LEN; i < len; i++) {
		if (msg[i] != 0) {
			c->st.viol[TW_CTRL_VIOL_MBZ]++;
			break;
		}
	}
	return 0;
}

void
conn_emit(struct conn *c, const struct tw_ctrl_event *ev)
{
	if (c->event != NULL)
		c->event(c->arg, ev);
}

void
conn_emit_sids(struct conn *c, enum tw_ctrl_event_type type, uint8_t accept,
	       const uint8_t (*sids)[TW_CTRL_SID_LEN], uint32_t n)
{
	struct tw_ctrl_event ev = {
		.type = type,
		.accept = accept,
		.session = -1,
		.nb_sids = n,
		.sids = sids,
	};

	conn_emit(c, &ev);
}

void
conn_close(struct conn *c, enum tw_ctrl_close why)
{
	struct tw_ctrl_event ev = {
		.type = TW_CTRL_EV_CLOSE,
		.reason = why,
		.session = -1,
	};

	if (c->st.close != TW_CTRL_OPEN)
		return;
	c->st.close = why;
	/* Nothing received after the close matters; drop it (and its plaintext). */
	tw_ctrl_wipe(c->rx, c->rx_cap);
	c->rx_len = c->rx_dec = 0;
	conn_emit(c, &ev);
}

const char *
tw_ctrl_close_str(enum tw_ctrl_close why)
{
	static const char *const names[TW_CTRL_CLOSE_MAX] = {
		[TW_CTRL_OPEN] = "open",
		[TW_CTRL_CLOSE_PEER] = "peer",
		[TW_CTRL_CLOSE_LOCAL] = "local",
		[TW_CTRL_CLOSE_BAD_MESSAGE] = "bad-message",
		[TW_CTRL_CLOSE_PROTOCOL] = "protocol",
		[TW_CTRL_CLOSE_BAD_HMAC] = "bad-hmac",
		[TW_CTRL_CLOSE_OVERFLOW] = "overflow",
		[TW_CTRL_CLOSE_AUTH] = "auth",
		[TW_CTRL_CLOSE_MODE] = "mode",
		[TW_CTRL_CLOSE_DECLINED] = "declined",
		[TW_CTRL_CLOSE_REFUSED] = "refused",
		[TW_CTRL_CLOSE_COUNT] = "count",
		[TW_CTRL_CLOSE_TIMEOUT] = "timeout",
		[TW_CTRL_CLOSE_SERVWAIT] = "servwait",
		[TW_CTRL_CLOSE_REFWAIT] = "refwait",
		[TW_CTRL_CLOSE_INTERNAL] = "internal",
	};

	if ((unsigned int)why >= TW_CTRL_CLOSE_MAX || names[why] == NULL)
		return "?";
	return names[why];
}

const char *
tw_ctrl_refuse_str(enum tw_ctrl_refuse r)
{
	static const char *const names[TW_CTRL_REFUSE_MAX] = {
		[TW_CTRL_REFUSE_MODE] = "mode",
		[TW_CTRL_REFUSE_KEYID] = "keyid",
		[TW_CTRL_REFUSE_TOKEN] = "token",
		[TW_CTRL_REFUSE_KEY_ERROR] = "key-error",
		[TW_CTRL_REFUSE_MBZ] = "mbz",
		[TW_CTRL_REFUSE_IPVN] = "ipvn",
		[TW_CTRL_REFUSE_CONF] = "conf",
		[TW_CTRL_REFUSE_SCHEDULE] = "schedule",
		[TW_CTRL_REFUSE_LIMIT] = "limit",
		[TW_CTRL_REFUSE_FAMILY] = "family",
		[TW_CTRL_REFUSE_THIRD_PARTY] = "third-party",
		[TW_CTRL_REFUSE_TYPEP] = "type-p",
		[TW_CTRL_REFUSE_PADDING] = "padding",
		[TW_CTRL_REFUSE_REFLECT] = "reflect",
		[TW_CTRL_REFUSE_SID] = "sid",
		[TW_CTRL_REFUSE_CALLER] = "caller",
		[TW_CTRL_REFUSE_START_EMPTY] = "start-empty",
		[TW_CTRL_REFUSE_START_N] = "start-n",
		[TW_CTRL_REFUSE_STOP_N] = "stop-n",
		[TW_CTRL_REFUSE_SPI] = "spi",
		[TW_CTRL_REFUSE_NO_SA] = "no-sa",
	};

	if ((unsigned int)r >= TW_CTRL_REFUSE_MAX || names[r] == NULL)
		return "?";
	return names[r];
}

enum tw_ctrl_test_mode
tw_ctrl_test_mode(uint32_t mode)
{
	/* RFC 5618 §2: mixed mode protects TWAMP-Control like encrypted mode and runs
	 * TWAMP-Test unauthenticated. */
	if (mode & TW_CTRL_MODE_ENCRYPTED)
		return TW_CTRL_TEST_ENCRYPTED;
	if (mode & TW_CTRL_MODE_AUTH)
		return TW_CTRL_TEST_AUTH;
	return TW_CTRL_TEST_OPEN;
}

size_t
tw_ctrl_spi_len(enum tw_ctrl_spi_layout layout)
{
	return layout == TW_CTRL_SPI_4_4 ? 4 : 8;
}

void
ike_keyid_encode(enum tw_ctrl_spi_layout layout, const uint8_t *spi_i, const uint8_t *spi_r,
		 uint8_t keyid[TW_CTRL_KEYID_LEN])
{
	size_t n = tw_ctrl_spi_len(layout);

	memset(keyid, 0, TW_CTRL_KEYID_LEN);
	memcpy(keyid, spi_i, n);
	memcpy(keyid + n, spi_r, n);
}

int
ike_keyid_check(enum tw_ctrl_spi_layout layout, const uint8_t keyid[TW_CTRL_KEYID_LEN],
		bool strict_tail)
{
	size_t n = tw_ctrl_spi_len(layout);
	uint8_t zi = 0, zr = 0, tail = 0;

	for (size_t i = 0; i < n; i++) {
		zi |= keyid[i];
		zr |= keyid[n + i];
	}
	for (size_t i = 2 * n; strict_tail && i < TW_CTRL_KEYID_LEN; i++)
		tail |= keyid[i];
	/*
	 * RFC 7296 §3.1: an established IKE SA has two non-zero SPIs. Octets past the SPIs: a
	 * sender MUST set them to zero, a server MUST ignore them (draft-ietf-ippm-ipsec §5.3), so
	 * only a sender's own Key ID is held to them (strict_tail).
	 */
	return zi == 0 || zr == 0 || tail != 0 ? -EINVAL : 0;
}
