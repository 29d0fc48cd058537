/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Client side of one connection to the "ippm" key provider (tw_ike_kp.h): requests pipelined
 * on one stream, answered in order, each with a deadline. Pure C: the caller owns the socket,
 * writes what tw_ike_kpc_pending_out() shows, feeds what it reads to tw_ike_kpc_input(), and
 * calls tw_ike_kpc_expire() with its clock. Results come back through a callback carrying the
 * caller's tag, so an asker that went away meanwhile (a closed TWAMP-Control connection) is
 * simply not found by its tag.
 *
 * The protocol has no request IDs: responses match requests by order. A request whose answer
 * is late therefore poisons the stream (its answer could arrive and be taken for the next
 * one's), so a timeout fails every pending request and the caller must close the connection.
 * The same holds for any malformed response.
 */
#ifndef TW_IKE_KPC_H
#define TW_IKE_KPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tw_ike_kp.h"

enum {
	TW_IKE_KPC_MAX_PENDING = 64,	/* requests in flight on one connection */
};

struct tw_ike_kpc_pending {
	uint64_t tag;
	uint64_t deadline;
	enum tw_ike_kp_type type;
};

struct tw_ike_kpc {
	struct tw_ike_kpc_pending pend[TW_IKE_KPC_MAX_PENDING];
	unsigned int head;		/* oldest pending */
	unsigned int count;
	size_t out_len;			/* encoded requests not yet written */
	size_t in_len;			/* a partial response */
	uint8_t out[TW_IKE_KPC_MAX_PENDING * TW_IKE_KP_REQ_MAX];
	uint8_t in[TW_IKE_KP_RESP_MAX];	/* may hold a partial secret: wiped */
};

/*
 * One answer. status: 0 with resp->status OK (key in resp), -ENOENT (no such SA), -EIO (the
 * provider answered "error"), -ETIMEDOUT, -ECONNRESET (connection lost), -EBADMSG (malformed
 * response), or what the caller passed to tw_ike_kpc_fail_all(). resp is NULL unless status is
 * 0 and is wiped after the callback returns: copy what you keep.
 */
typedef void (*tw_ike_kpc_cb)(void *arg, uint64_t tag, int status,
			      const struct tw_ike_kp_response *resp);

/* Empty state (also after a failure, before reconnecting). */
void tw_ike_kpc_init(struct tw_ike_kpc *k);

/*
 * Queue a request by SPIs (spi_len 8 or 4) or by peer (family AF_INET/AF_INET6, addr in
 * network order).
 * @return 0, -EINVAL (bad arguments), -EBUSY (TW_IKE_KPC_MAX_PENDING in flight).
 */
int tw_ike_kpc_submit_spis(struct tw_ike_kpc *k, uint64_t tag, uint64_t deadline,
			   const uint8_t *spi_i, const uint8_t *spi_r, size_t spi_len);
int tw_ike_kpc_submit_peer(struct tw_ike_kpc *k, uint64_t tag, uint64_t deadline, int family,
			   const uint8_t *addr);

/* Octets to write: *buf, returned length (0: nothing). */
size_t tw_ike_kpc_pending_out(const struct tw_ike_kpc *k, const uint8_t **buf);
/* n octets of tw_ike_kpc_pending_out() were written. */
void tw_ike_kpc_written(struct tw_ike_kpc *k, size_t n);

/*
 * Feed received octets (any split). Every complete response is matched with the oldest
 * pending request and reported through cb.
 * @return 0, or -EBADMSG / -EPROTO (malformed response, or a response with nothing pending):
 *         every pending request has then been failed with that status; close the connection
 *         and tw_ike_kpc_init() before reusing.
 */
int tw_ike_kpc_input(struct tw_ike_kpc *k, const uint8_t *buf, size_t len, tw_ike_kpc_cb cb,
		     void *arg);

/*
 * Fail everything pending with `status` (connection lost, daemon gone); the state is then
 * empty as after tw_ike_kpc_init().
 */
void tw_ike_kpc_fail_all(struct tw_ike_kpc *k, int status, tw_ike_kpc_cb cb, void *arg);

/*
 * If the oldest request's deadline has passed, fail everything with -ETIMEDOUT.
 * @return true if it did (close the connection).
 */
bool tw_ike_kpc_expire(struct tw_ike_kpc *k, uint64_t now, tw_ike_kpc_cb cb, void *arg);

/* The oldest request's deadline, UINT64_MAX if none. */
uint64_t tw_ike_kpc_deadline(const struct tw_ike_kpc *k);

/* Requests waiting for an answer. */
static inline unsigned int
tw_ike_kpc_inflight(const struct tw_ike_kpc *k)
{
	return k->count;
}

#endif /* TW_IKE_KPC_H */
