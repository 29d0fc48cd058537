/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "ippm" key-provider protocol codec; the wire format and strictness rules are in
 * tw_ike_kp.h. Parsers check every field as soon as its octets are present and never read
 * at or past len.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

#include "tw_ike_kp.h"

enum {
	WIRE_FAMILY_V4 = 4,
	WIRE_FAMILY_V6 = 6,
};

ssize_t
tw_ike_kp_request_spis(uint8_t *buf, size_t cap, const uint8_t *spi_i, const uint8_t *spi_r,
		       size_t spi_len)
{
	if (buf == NULL || spi_i == NULL || spi_r == NULL ||
	    (spi_len != TW_IKE_KP_SPI_LEN && spi_len != TW_IKE_KP_SPI_LEN_4))
		return -EINVAL;
	if (cap < TW_IKE_KP_REQ_HDR_LEN + 2 * spi_len)
		return -ENOSPC;
	buf[0] = TW_IKE_KP_VERSION;
	buf[1] = TW_IKE_KP_BY_SPIS;
	buf[2] = (uint8_t)spi_len;
	memcpy(buf + 3, spi_i, spi_len);
	memcpy(buf + 3 + spi_len, spi_r, spi_len);
	return (ssize_t)(TW_IKE_KP_REQ_HDR_LEN + 2 * spi_len);
}

ssize_t
tw_ike_kp_request_peer(uint8_t *buf, size_t cap, int family, const uint8_t *addr)
{
	size_t alen;
	uint8_t wf;

	if (buf == NULL || addr == NULL)
		return -EINVAL;
	if (family == AF_INET) {
		alen = 4;
		wf = WIRE_FAMILY_V4;
	} else if (family == AF_INET6) {
		alen = 16;
		wf = WIRE_FAMILY_V6;
	} else {
		return -EINVAL;
	}
	if (cap < TW_IKE_KP_REQ_HDR_LEN + alen)
		return -ENOSPC;
	buf[0] = TW_IKE_KP_VERSION;
	buf[1] = TW_IKE_KP_BY_PEER;
	buf[2] = wf;
	memcpy(buf + 3, addr, alen);
	return (ssize_t)(TW_IKE_KP_REQ_HDR_LEN + alen);
}

int
tw_ike_kp_request_parse(const uint8_t *buf, size_t len, struct tw_ike_kp_request *out)
{
	size_t need;

	if (out == NULL || (buf == NULL && len > 0))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (len < 1)
		return 0;
	if (buf[0] != TW_IKE_KP_VERSION)
		return -EPROTONOSUPPORT;
	if (len < 2)
		return 0;
	if (buf[1] != TW_IKE_KP_BY_SPIS && buf[1] != TW_IKE_KP_BY_PEER)
		return -EBADMSG;
	if (len < 3)
		return 0;
	if (buf[1] == TW_IKE_KP_BY_SPIS) {
		size_t sl = buf[2];

		if (sl != TW_IKE_KP_SPI_LEN && sl != TW_IKE_KP_SPI_LEN_4)
			return -EBADMSG;
		need = TW_IKE_KP_REQ_HDR_LEN + 2 * sl;
		if (len < need)
			return 0;
		out->type = TW_IKE_KP_BY_SPIS;
		out->spi_len = sl;
		memcpy(out->spi_i, buf + 3, sl);
		memcpy(out->spi_r, buf + 3 + sl, sl);
		return (int)need;
	}
	if (buf[2] == WIRE_FAMILY_V4) {
		need = TW_IKE_KP_REQ_HDR_LEN + 4;
		out->family = AF_INET;
	} else if (buf[2] == WIRE_FAMILY_V6) {
		need = TW_IKE_KP_REQ_HDR_LEN + 16;
		out->family = AF_INET6;
	} else {
		return -EBADMSG;
	}
	if (len < need) {
		out->family = 0;
		return 0;
	}
	out->type = TW_IKE_KP_BY_PEER;
	memcpy(out->addr, buf + 3, need - TW_IKE_KP_REQ_HDR_LEN);
	return (int)need;
}

void
tw_ike_kp_response_wipe(struct tw_ike_kp_response *r)
{
	if (r != NULL)
		OPENSSL_cleanse(r, sizeof(*r));
}

static int
response_parse(const uint8_t *buf, size_t len, enum tw_ike_kp_type expect,
	       struct tw_ike_kp_response *out)
{
	size_t key_len, need;
	unsigned int prf;

	if (len < 1)
		return 0;
	if (buf[0] != TW_IKE_KP_VERSION)
		return -EPROTONOSUPPORT;
	if (len < 2)
		return 0;
	if (buf[1] != TW_IKE_KP_OK && buf[1] != TW_IKE_KP_NO_SA && buf[1] != TW_IKE_KP_ERROR)
		return -EBADMSG;
	if (buf[1] != TW_IKE_KP_OK) {
		/* prf, then key_len, must be 0: check each as soon as it is here */
		if ((len >= 3 && buf[2] != 0) || (len >= 4 && buf[3] != 0) ||
		    (len >= 5 && buf[4] != 0))
			return -EBADMSG;
		if (len < TW_IKE_KP_RESP_HDR_LEN)
			return 0;
		out->status = (enum tw_ike_kp_status)buf[1];
		return TW_IKE_KP_RESP_HDR_LEN;
	}
	/* every known ID is below 256: a non-zero high octet is unknown already */
	if (len >= 3 && buf[2] != 0)
		return -ENOTSUP;
	if (len < 4)
		return 0;
	prf = (unsigned int)buf[2] << 8 | buf[3];
	/* tw_ike_prf_out_len() is 0 for any ID not in enum tw_ike_prf */
	if (tw_ike_prf_out_len((enum tw_ike_prf)prf) == 0)
		return -ENOTSUP;
	if (len < TW_IKE_KP_RESP_HDR_LEN)
		return 0;
	key_len = buf[4];
	if (key_len != tw_ike_prf_out_len((enum tw_ike_prf)prf) || key_len > TW_IKE_PRF_OUT_MAX)
		return -EBADMSG;
	need = TW_IKE_KP_RESP_HDR_LEN + key_len;
	if (expect == TW_IKE_KP_BY_PEER)
		need += 2 * TW_IKE_KP_SPI_LEN;
	if (len < need)
		return 0;
	out->status = TW_IKE_KP_OK;
	out->prf = (enum tw_ike_prf)prf;
	out->key_len = key_len;
	memcpy(out->key, buf + TW_IKE_KP_RESP_HDR_LEN, key_len);
	if (expect == TW_IKE_KP_BY_PEER) {
		memcpy(out->spi_i, buf + TW_IKE_KP_RESP_HDR_LEN + key_len, TW_IKE_KP_SPI_LEN);
		memcpy(out->spi_r, buf + TW_IKE_KP_RESP_HDR_LEN + key_len + TW_IKE_KP_SPI_LEN,
		       TW_IKE_KP_SPI_LEN);
	}
	return (int)need;
}

int
tw_ike_kp_response_parse(const uint8_t *buf, size_t len, enum tw_ike_kp_type expect,
			 struct tw_ike_kp_response *out)
{
	int rc;

	if (out == NULL)
		return -EINVAL;
	tw_ike_kp_response_wipe(out);
	if ((buf == NULL && len > 0) ||
	    (expect != TW_IKE_KP_BY_SPIS && expect != TW_IKE_KP_BY_PEER))
		return -EINVAL;
	rc = response_parse(buf, len, expect, out);
	if (rc <= 0)
		tw_ike_kp_response_wipe(out);
	return rc;
}

ssize_t
tw_ike_kp_response_encode(uint8_t *buf, size_t cap, enum tw_ike_kp_type type,
			  const struct tw_ike_kp_response *r)
{
	size_t need;

	if (buf == NULL || r == NULL)
		return -EINVAL;
	if (r->status == TW_IKE_KP_NO_SA || r->status == TW_IKE_KP_ERROR) {
		if (cap < TW_IKE_KP_RESP_HDR_LEN)
			return -ENOSPC;
		buf[0] = TW_IKE_KP_VERSION;
		buf[1] = (uint8_t)r->status;
		buf[2] = 0;
		buf[3] = 0;
		buf[4] = 0;
		return TW_IKE_KP_RESP_HDR_LEN;
	}
	if (r->status != TW_IKE_KP_OK ||
	    (type != TW_IKE_KP_BY_SPIS && type != TW_IKE_KP_BY_PEER) ||
	    tw_ike_prf_out_len(r->prf) == 0 || r->key_len != tw_ike_prf_out_len(r->prf) ||
	    r->key_len > TW_IKE_PRF_OUT_MAX || (unsigned int)r->prf > UINT16_MAX)
		return -EINVAL;
	need = TW_IKE_KP_RESP_HDR_LEN + r->key_len;
	if (type == TW_IKE_KP_BY_PEER)
		need += 2 * TW_IKE_KP_SPI_LEN;
	if (cap < need)
		return -ENOSPC;
	buf[0] = TW_IKE_KP_VERSION;
	buf[1] = TW_IKE_KP_OK;
	buf[2] = (uint8_t)((unsigned int)r->prf >> 8);
	buf[3] = (uint8_t)((unsigned int)r->prf & 0xff);
	buf[4] = (uint8_t)r->key_len;
	memcpy(buf + TW_IKE_KP_RESP_HDR_LEN, r->key, r->key_len);
	if (type == TW_IKE_KP_BY_PEER) {
		memcpy(buf + TW_IKE_KP_RESP_HDR_LEN + r->key_len, r->spi_i, TW_IKE_KP_SPI_LEN);
		memcpy(buf + TW_IKE_KP_RESP_HDR_LEN + r->key_len + TW_IKE_KP_SPI_LEN, r->spi_r,
		       TW_IKE_KP_SPI_LEN);
	}
	return (ssize_t)need;
}
