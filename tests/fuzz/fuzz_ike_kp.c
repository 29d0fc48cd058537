/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz the lib/ike key-provider codec (tw_ike_kp.h) on arbitrary bytes: the client's
 * tw_ike_kp_response_parse() for both request types, and the server's tw_ike_kp_request_parse().
 * Properties (checked with abort(), not assert(): release builds define NDEBUG):
 *  - never a read past `size` (the sanitizers watch; replay_main.c copies to exact-size buffers);
 *  - the result is consumed octets in 1..size, 0 (incomplete) or one of the documented -errno;
 *  - a parsed message re-encodes to exactly the octets consumed (the parsers accept only the
 *    canonical form), and every proper prefix of it parses as incomplete (0);
 *  - on anything but success the response is wiped (all zero);
 *  - the pipelined client (tw_ike_kpc.h), with four requests of both types pending, fed the
 *    bytes in two pieces split where the first octet says: every request is answered exactly
 *    once, in order; an error fails all that remain; the partial-response buffer ends clean.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tw_ike_kp.h"
#include "tw_ike_kpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                    \
	do {                                                                        \
		if (!(c)) {                                                         \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
			abort();                                                    \
		}                                                                   \
	} while (0)

/* memcmp, not a byte loop: clang 14's LTO code generator segfaults now and then (not always)
 * linking the loop's -fsanitize=pointer-overflow checks in this file. */
static const uint8_t zeros[sizeof(struct tw_ike_kp_response)];

static int
all_zero(const void *p, size_t n)
{
	return n <= sizeof(zeros) && memcmp(p, zeros, n) == 0;
}

static void
check_response(const uint8_t *data, size_t size, enum tw_ike_kp_type expect)
{
	struct tw_ike_kp_response r, p;
	uint8_t enc[TW_IKE_KP_RESP_MAX];
	ssize_t n;
	int rc;

	memset(&r, 0xa5, sizeof(r));
	rc = tw_ike_kp_response_parse(data, size, expect, &r);
	CHECK(rc == 0 || rc == -EPROTONOSUPPORT || rc == -EBADMSG || rc == -ENOTSUP ||
	      (rc > 0 && (size_t)rc <= size && rc <= TW_IKE_KP_RESP_MAX));
	if (rc <= 0) {
		CHECK(all_zero(&r, sizeof(r)));
		return;
	}
	CHECK(r.status == TW_IKE_KP_OK || r.status == TW_IKE_KP_NO_SA ||
	      r.status == TW_IKE_KP_ERROR);
	if (r.status == TW_IKE_KP_OK) {
		CHECK(r.key_len > 0 && r.key_len == tw_ike_prf_out_len(r.prf));
	} else {
		CHECK(rc == TW_IKE_KP_RESP_HDR_LEN && r.prf == 0 && r.key_len == 0);
		CHECK(all_zero(r.key, sizeof(r.key)));
	}
	if (r.status != TW_IKE_KP_OK || expect != TW_IKE_KP_BY_PEER)
		CHECK(all_zero(r.spi_i, sizeof(r.spi_i)) && all_zero(r.spi_r, sizeof(r.spi_r)));
	n = tw_ike_kp_response_encode(enc, sizeof(enc), expect, &r);
	CHECK(n == rc && memcmp(enc, data, (size_t)rc) == 0);
	/* one octet short: incomplete, never an error */
	CHECK(tw_ike_kp_response_parse(data, (size_t)rc - 1, expect, &p) == 0);
	CHECK(all_zero(&p, sizeof(p)));
	tw_ike_kp_response_wipe(&r);
	CHECK(all_zero(&r, sizeof(r)));
}

static void
check_request(const uint8_t *data, size_t size)
{
	struct tw_ike_kp_request q, p;
	uint8_t enc[TW_IKE_KP_REQ_MAX];
	ssize_t n;
	int rc;

	rc = tw_ike_kp_request_parse(data, size, &q);
	CHECK(rc == 0 || rc == -EPROTONOSUPPORT || rc == -EBADMSG ||
	      (rc > 0 && (size_t)rc <= size && rc <= TW_IKE_KP_REQ_MAX));
	if (rc <= 0)
		return;
	if (q.type == TW_IKE_KP_BY_SPIS)
		n = tw_ike_kp_request_spis(enc, sizeof(enc), q.spi_i, q.spi_r, q.spi_len);
	else
		n = tw_ike_kp_request_peer(enc, sizeof(enc), q.family, q.addr);
	CHECK(n == rc && memcmp(enc, data, (size_t)rc) == 0);
	CHECK(tw_ike_kp_request_parse(data, (size_t)rc - 1, &p) == 0);
}

struct kpc_seen {
	uint64_t next_tag;
};

static void
kpc_cb(void *arg, uint64_t tag, int status, const struct tw_ike_kp_response *resp)
{
	struct kpc_seen *seen = arg;

	CHECK(tag == seen->next_tag);
	seen->next_tag++;
	CHECK((status == 0) == (resp != NULL));
	CHECK(status == 0 || status == -ENOENT || status == -EIO || status == -EBADMSG ||
	      status == -EPROTO || status == -ECONNRESET);
	if (resp != NULL)
		CHECK(resp->status == TW_IKE_KP_OK && resp->key_len > 0);
}

static void
check_kpc(const uint8_t *data, size_t size)
{
	static struct tw_ike_kpc k;
	static const uint8_t spi[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, v4[4] = { 198, 18, 0, 2 };
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	struct kpc_seen seen = { .next_tag = 0 };
	size_t cut = size > 0 ? data[0] % (size + 1) : 0;
	int rc;

	tw_ike_kpc_init(&k);
	CHECK(tw_ike_kpc_submit_spis(&k, 0, 1, spi, spi, 8) == 0);
	CHECK(tw_ike_kpc_submit_peer(&k, 1, 1, AF_INET, v4) == 0);
	CHECK(tw_ike_kpc_submit_spis(&k, 2, 1, spi, spi, 4) == 0);
	CHECK(tw_ike_kpc_submit_peer(&k, 3, 1, AF_INET6, v6) == 0);
	rc = tw_ike_kpc_input(&k, data, cut, kpc_cb, &seen);
	if (rc == 0)
		rc = tw_ike_kpc_input(&k, data + cut, size - cut, kpc_cb, &seen);
	CHECK(rc == 0 || rc == -EBADMSG || rc == -EPROTO);
	CHECK(seen.next_tag + tw_ike_kpc_inflight(&k) == 4);
	if (rc != 0)
		CHECK(tw_ike_kpc_inflight(&k) == 0 && k.in_len == 0);
	tw_ike_kpc_fail_all(&k, -ECONNRESET, kpc_cb, &seen);
	CHECK(seen.next_tag == 4 && all_zero(k.in, sizeof(k.in)));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_kpc(data, size);
	check_response(data, size, TW_IKE_KP_BY_SPIS);
	check_response(data, size, TW_IKE_KP_BY_PEER);
	check_request(data, size);
	return 0;
}
