/* SPDX-License-Identifier: BSD-3-Clause */
/* RFC 7717 key providers of the TWAMP-Control server (ike.c). Control lcore only. */
#ifndef TWR_IKE_H
#define TWR_IKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tw_conf.h"

struct twr_ike_stats {
	uint64_t requests;		/* lookups asked */
	uint64_t ok;			/* secret found */
	uint64_t no_sa;			/* no such IKE SA (Accept 6) */
	uint64_t errors;		/* the daemon answered "error", or a malformed answer */
	uint64_t timeouts;		/* no answer within control.ike_timeout_ms */
	uint64_t unreachable;		/* connect(2) to the daemon failed */
	uint64_t disconnected;		/* lookups lost with a closed daemon connection */
	uint64_t busy;			/* too many lookups in flight */
	uint64_t connects;		/* daemon connections opened */
	unsigned int inflight;
	bool connected;
};

/*
 * An asynchronous lookup's answer: status 0 with secret (len octets, the provider's copy: use
 * it now, it is wiped after the call) and the PRF's name, or -ENOENT (no such SA), -ETIMEDOUT,
 * -ECONNRESET, -EBADMSG, -EIO.
 */
typedef void (*twr_ike_done_fn)(void *arg, uint64_t tag, int status, const uint8_t *secret,
				size_t len, const char *prf);

/* Set up the provider chosen by c->ike_provider (none: nothing to do). The daemon socket is
 * registered in epfd with data.u64 = ev_tag; hand its events to twr_ike_event(). */
int twr_ike_init(const struct tw_conf *c, int epfd, uint64_t ev_tag, twr_ike_done_fn done,
		 void *done_arg);

/*
 * The shared secret of the IKEv2 SA named by the SPIs (spi_len 8, or 4 in the 4+4 layout).
 * @return 0 (static: secret filled), -ENOENT (static: no such SA), -EINPROGRESS (ike-daemon:
 *         the answer comes through done() with this tag), -EHOSTDOWN (daemon unreachable),
 *         -EBUSY, -ENOSPC, -ENOTSUP (no provider).
 */
int twr_ike_lookup(uint64_t tag, const uint8_t *spi_i, const uint8_t *spi_r, size_t spi_len,
		   uint8_t *secret, size_t *secret_len, uint64_t now);

/* epoll reported the daemon socket (readable, closed). */
void twr_ike_event(uint32_t events);
/* Every control-loop pass: write queued requests; with housekeep also deadlines and idling. */
void twr_ike_service(uint64_t now, bool housekeep);

const char *twr_ike_provider_name(void);
void twr_ike_stats_get(struct twr_ike_stats *st);
void twr_ike_close(void);
/* After a configuration reload: the static SA file read again (kept if it fails), the daemon's
 * timeout. */
void twr_ike_reload(const struct tw_conf *c);

#endif /* TWR_IKE_H */
