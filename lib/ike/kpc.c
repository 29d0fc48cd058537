/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pipelined key-provider client state (see tw_ike_kpc.h). Every buffer that may hold a secret
 * (the partial response, the parsed response) is wiped as soon as it is no longer needed.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

#include "tw_ike_kpc.h"

void
tw_ike_kpc_init(struct tw_ike_kpc *k)
{
	OPENSSL_cleanse(k->in, sizeof(k->in));
	memset(k, 0, sizeof(*k));
}

static int
submit(struct tw_ike_kpc *k, uint64_t tag, uint64_t deadline, enum tw_ike_kp_type type,
       ssize_t n)
{
	struct tw_ike_kpc_pending *p;

	if (n < 0)
		return (int)n;
	p = &k->pend[(k->head + k->count) % TW_IKE_KPC_MAX_PENDING];
	p->tag = tag;
	p->deadline = deadline;
	p->type = type;
	k->count++;
	k->out_len += (size_t)n;
	return 0;
}

int
tw_ike_kpc_submit_spis(struct tw_ike_kpc *k, uint64_t tag, uint64_t deadline,
		       const uint8_t *spi_i, const uint8_t *spi_r, size_t spi_len)
{
	if (k == NULL)
		return -EINVAL;
	if (k->count >= TW_IKE_KPC_MAX_PENDING)
		return -EBUSY;
	/* out holds TW_IKE_KPC_MAX_PENDING full-size requests: it cannot be short here */
	return submit(k, tag, deadline, TW_IKE_KP_BY_SPIS,
		      tw_ike_kp_request_spis(k->out + k->out_len, sizeof(k->out) - k->out_len,
					     spi_i, spi_r, spi_len));
}

int
tw_ike_kpc_submit_peer(struct tw_ike_kpc *k, uint64_t tag, uint64_t deadline, int family,
		       const uint8_t *addr)
{
	if (k == NULL)
		return -EINVAL;
	if (k->count >= TW_IKE_KPC_MAX_PENDING)
		return -EBUSY;
	return submit(k, tag, deadline, TW_IKE_KP_BY_PEER,
		      tw_ike_kp_request_peer(k->out + k->out_len, sizeof(k->out) - k->out_len,
					     family, addr));
}

size_t
tw_ike_kpc_pending_out(const struct tw_ike_kpc *k, const uint8_t **buf)
{
	*buf = k->out;
	return k->out_len;
}

void
tw_ike_kpc_written(struct tw_ike_kpc *k, size_t n)
{
	if (n > k->out_len)
		n = k->out_len;
	memmove(k->out, k->out + n, k->out_len - n);
	k->out_len -= n;
}

/* Take the oldest pending request off the queue. */
static struct tw_ike_kpc_pending
pop(struct tw_ike_kpc *k)
{
	struct tw_ike_kpc_pending p = k->pend[k->head];

	k->head = (k->head + 1) % TW_IKE_KPC_MAX_PENDING;
	k->count--;
	return p;
}

void
tw_ike_kpc_fail_all(struct tw_ike_kpc *k, int status, tw_ike_kpc_cb cb, void *arg)
{
	/* Emptied first: a callback may submit again (to a new connection) safely. */
	struct tw_ike_kpc_pending p[TW_IKE_KPC_MAX_PENDING];
	unsigned int n = 0;

	while (k->count > 0)
		p[n++] = pop(k);
	tw_ike_kpc_init(k);
	for (unsigned int i = 0; i < n; i++)
		cb(arg, p[i].tag, status, NULL);
}

/*
 * Answer pending requests from the responses complete in k->in.
 * @return 0, -EPROTO (octets with nothing pending) or -EBADMSG; nothing was failed yet.
 */
static int
drain(struct tw_ike_kpc *k, tw_ike_kpc_cb cb, void *arg)
{
	struct tw_ike_kp_response r;

	while (k->in_len > 0) {
		struct tw_ike_kpc_pending p;
		int rc;

		/* An answer to nothing: the daemon and we disagree on the stream. */
		if (k->count == 0)
			return -EPROTO;
		rc = tw_ike_kp_response_parse(k->in, k->in_len, k->pend[k->head].type, &r);
		if (rc == 0)
			return 0;	/* incomplete */
		if (rc < 0)
			return -EBADMSG;
		memmove(k->in, k->in + rc, k->in_len - (size_t)rc);
		k->in_len -= (size_t)rc;
		OPENSSL_cleanse(k->in + k->in_len, sizeof(k->in) - k->in_len);
		p = pop(k);
		cb(arg, p.tag,
		   r.status == TW_IKE_KP_OK ? 0 : r.status == TW_IKE_KP_NO_SA ? -ENOENT : -EIO,
		   r.status == TW_IKE_KP_OK ? &r : NULL);
		tw_ike_kp_response_wipe(&r);
	}
	return 0;
}

int
tw_ike_kpc_input(struct tw_ike_kpc *k, const uint8_t *buf, size_t len, tw_ike_kpc_cb cb,
		 void *arg)
{
	while (len > 0) {
		/* `in` holds one whole response: fill, answer, repeat */
		size_t take = sizeof(k->in) - k->in_len;
		int rc;

		if (take > len)
			take = len;
		memcpy(k->in + k->in_len, buf, take);
		k->in_len += take;
		buf += take;
		len -= take;
		rc = drain(k, cb, arg);
		if (rc < 0) {
			tw_ike_kpc_fail_all(k, rc, cb, arg);
			return rc;
		}
	}
	return 0;
}

bool
tw_ike_kpc_expire(struct tw_ike_kpc *k, uint64_t now, tw_ike_kpc_cb cb, void *arg)
{
	if (k->count == 0 || k->pend[k->head].deadline > now)
		return false;
	tw_ike_kpc_fail_all(k, -ETIMEDOUT, cb, arg);
	return true;
}

uint64_t
tw_ike_kpc_deadline(const struct tw_ike_kpc *k)
{
	return k->count == 0 ? UINT64_MAX : k->pend[k->head].deadline;
}
