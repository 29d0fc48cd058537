/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Codec for the "ippm" key-provider protocol (version 1): the local UNIX stream socket on which
 * the strongSwan charon plugin tools/strongswan/ippm/ippm_plugin.c serves the RFC 7717 §5.1
 * O/TWAMP shared secret PRF(SK_d, "IPPM") of an IKEv2 SA. Pure C: no sockets, no allocation,
 * no clock. Both sides: the client (requests out, responses in) and the server (requests in,
 * responses out, for tests and a future static provider).
 *
 * Wire format, as implemented by ippm_plugin.c handle() and ippm_query.py query()/main() (the
 * wire truth; tools/strongswan/README.rst "Socket protocol" agrees). All integers big-endian.
 *
 *   Request, type 1 (by SPIs), 19 or 11 octets:
 *     0      u8  version = 1
 *     1      u8  type    = 1
 *     2      u8  spi_len = 8 | 4 (anything else: the plugin answers status 2 and closes)
 *     3..        SPIi[spi_len]   (as on the IKE wire, i.e. as swanctl prints them)
 *                SPIr[spi_len]
 *     spi_len 4 is the draft's 4 + 4 Key ID layout: the plugin matches the SA whose SPIi and
 *     SPIr start with these octets, and answers status 2 if more than one does.
 *   Request, type 2 (by peer address), 7 or 19 octets:
 *     0      u8  version = 1
 *     1      u8  type    = 2
 *     2      u8  family  = 4 | 6 (the IP version number, NOT AF_INET/AF_INET6)
 *     3..        address[4 | 16] (network order)
 *
 *   Response, 5 octets of header, always sent (also for status 1 and 2):
 *     0      u8  version = 1
 *     1      u8  status  = 0 ok | 1 no such SA | 2 error
 *     2..3   u16 prf     IKEv2 Transform Type 2 ID, big-endian (plugin: resp[2] = id >> 8,
 *                        resp[3] = id & 0xff); 0 if status != 0
 *     4      u8  key_len the PRF's output length; 0 if status != 0
 *   then, only if status == 0:
 *     5..        key[key_len]
 *     and only for a type 2 request: SPIi[8], SPIr[8] of the SA used (as on the IKE wire)
 *   A status != 0 response is exactly the 5 header octets. The response does not say which
 *   request type it answers: the parser must be told (enum tw_ike_kp_type expect).
 *   After a malformed request the plugin answers status 2 and closes the connection; otherwise
 *   one connection carries any number of request/response pairs, in order.
 *
 * Strictness (both parsers, enforced as soon as the octets concerned are in the buffer, so a
 * malformed message is reported as early as possible and a valid prefix is always "incomplete"):
 *   version != 1                                           -EPROTONOSUPPORT
 *   unknown type, spi_len not 8 | 4, family not 4 | 6,
 *   unknown status, status != 0 with prf or key_len != 0,
 *   status 0 with key_len != tw_ike_prf_out_len(prf)       -EBADMSG
 *   status 0 with a PRF ID not in enum tw_ike_prf           -ENOTSUP
 *     (the plugin would send e.g. 1 PRF_HMAC_MD5; this module cannot check or use those)
 * Octets after the message are the caller's next message and are never consumed.
 */
#ifndef TW_IKE_KP_H
#define TW_IKE_KP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tw_ike.h"

enum tw_ike_kp_wire {
	TW_IKE_KP_VERSION = 1,
	TW_IKE_KP_SPI_LEN = 8,		/* IKEv2 SPI, RFC 7296 §3.1 */
	TW_IKE_KP_SPI_LEN_4 = 4,	/* draft-ietf-ippm-ipsec-06's 4 + 4 Key ID layout */
	TW_IKE_KP_REQ_HDR_LEN = 3,	/* version, type, spi_len | family */
	TW_IKE_KP_REQ_MAX = 19,		/* type 1, or type 2 with IPv6 */
	TW_IKE_KP_RESP_HDR_LEN = 5,	/* version, status, prf (2), key_len */
	TW_IKE_KP_RESP_MAX = 5 + TW_IKE_PRF_OUT_MAX + 2 * 8,
};

/* Request type (request octet 1) */
enum tw_ike_kp_type {
	TW_IKE_KP_BY_SPIS = 1,
	TW_IKE_KP_BY_PEER = 2,
};

/* Response status (response octet 1) */
enum tw_ike_kp_status {
	TW_IKE_KP_OK = 0,
	TW_IKE_KP_NO_SA = 1,		/* no ESTABLISHED/REKEYING IKEv2 SA matches */
	TW_IKE_KP_ERROR = 2,		/* malformed request or derivation failure */
};

struct tw_ike_kp_request {
	enum tw_ike_kp_type type;
	size_t spi_len;				/* type 1: 8 or 4 */
	uint8_t spi_i[TW_IKE_KP_SPI_LEN];	/* type 1: spi_len octets */
	uint8_t spi_r[TW_IKE_KP_SPI_LEN];	/* type 1 */
	int family;				/* type 2: AF_INET or AF_INET6 */
	uint8_t addr[16];			/* type 2: 4 or 16 octets, network order */
};

struct tw_ike_kp_response {
	enum tw_ike_kp_status status;
	enum tw_ike_prf prf;			/* status OK only, else 0 */
	uint8_t key[TW_IKE_PRF_OUT_MAX];	/* PRF(SK_d, "IPPM"); status OK only */
	size_t key_len;				/* == tw_ike_prf_out_len(prf); status OK only */
	uint8_t spi_i[TW_IKE_KP_SPI_LEN];	/* status OK to a type 2 request only, else 0 */
	uint8_t spi_r[TW_IKE_KP_SPI_LEN];
};

/*
 * Encode a type 1 request (by SPIs).
 * @param buf
 *   Output buffer.
 * @param cap
 *   Capacity of buf; 19 octets suffice.
 * @param spi_i, spi_r
 *   IKE SA initiator and responder SPIs, spi_len octets each, as on the IKE wire.
 * @param spi_len
 *   8, or 4 (the first four octets of each SPI: the draft's 4 + 4 layout).
 * @return
 *   Octets written (19 or 11), -EINVAL (NULL pointer, other spi_len) or -ENOSPC.
 */
ssize_t
tw_ike_kp_request_spis(uint8_t *buf, size_t cap, const uint8_t *spi_i, const uint8_t *spi_r,
		       size_t spi_len);

/*
 * Encode a type 2 request (by peer address).
 * @param buf
 *   Output buffer.
 * @param cap
 *   Capacity of buf; 7 octets suffice for IPv4, 19 for IPv6.
 * @param family
 *   AF_INET or AF_INET6 (encoded as 4 or 6 on the wire).
 * @param addr
 *   4 or 16 octets, network order (struct in_addr / struct in6_addr).
 * @return
 *   Octets written (7 or 19), -EINVAL (NULL pointer, other family) or -ENOSPC.
 */
ssize_t
tw_ike_kp_request_peer(uint8_t *buf, size_t cap, int family, const uint8_t *addr);

/*
 * Parse one request from the start of a stream buffer (server side).
 * @param buf
 *   Received octets; may be NULL only if len is 0.
 * @param len
 *   Number of octets in buf.
 * @param out
 *   Filled on success; zeroed otherwise.
 * @return
 *   Octets consumed (> 0), 0 if buf holds a valid but incomplete prefix (read more), or
 *   -EPROTONOSUPPORT / -EBADMSG (see above; the plugin answers status 2 and closes), -EINVAL
 *   (NULL out, NULL buf with len > 0).
 */
int
tw_ike_kp_request_parse(const uint8_t *buf, size_t len, struct tw_ike_kp_request *out);

/*
 * Parse one response from the start of a stream buffer (client side).
 * @param buf
 *   Received octets; may be NULL only if len is 0.
 * @param len
 *   Number of octets in buf.
 * @param expect
 *   The type of the request this response answers (decides whether SPIs follow the key).
 * @param out
 *   Filled on success; wiped otherwise. Holds the secret: wipe it with
 *   tw_ike_kp_response_wipe() when done.
 * @return
 *   Octets consumed (> 0), 0 if buf holds a valid but incomplete prefix (read more), or
 *   -EPROTONOSUPPORT / -EBADMSG / -ENOTSUP (see above; framing is lost, close the connection),
 *   -EINVAL (NULL out, NULL buf with len > 0, unknown expect).
 */
int
tw_ike_kp_response_parse(const uint8_t *buf, size_t len, enum tw_ike_kp_type expect,
			 struct tw_ike_kp_response *out);

/*
 * Encode a response (server side).
 * @param buf
 *   Output buffer.
 * @param cap
 *   Capacity of buf; TW_IKE_KP_RESP_MAX octets always suffice.
 * @param type
 *   The type of the request answered; only looked at for status OK.
 * @param r
 *   Status OK: prf must be in enum tw_ike_prf and key_len == tw_ike_prf_out_len(prf); spi_i
 *   and spi_r are sent for type 2. Other status: 5 octets with prf and key_len 0 are sent,
 *   the other fields are ignored (as the plugin does).
 * @return
 *   Octets written, -EINVAL (NULL pointer, unknown status or type, bad prf or key_len) or
 *   -ENOSPC (cap too small).
 */
ssize_t
tw_ike_kp_response_encode(uint8_t *buf, size_t cap, enum tw_ike_kp_type type,
			  const struct tw_ike_kp_response *r);

/*
 * Wipe a response (the key) so the compiler cannot drop it (OPENSSL_cleanse()). NULL is a no-op.
 */
void
tw_ike_kp_response_wipe(struct tw_ike_kp_response *r);

#endif /* TW_IKE_KP_H */
