/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 7717 key providers for TWAMP-Control mode 128: the shared secret PRF(SK_d, "IPPM") of
 * the IKEv2 SA a client names by its SPIs, from
 *  - static: a file of SAs (lib/ike tw_ike_static), answered at once, or
 *  - ike-daemon: the IKE daemon's "ippm" UNIX socket (tools/strongswan/ippm), asked
 *    asynchronously so the control lcore never waits for it: requests are pipelined on one
 *    connection (lib/ike tw_ike_kpc), answers come back through epoll and reach the waiting
 *    TWAMP-Control connection through twr_ike_done_fn.
 *
 * The connection is opened by the first lookup, closed after IKE_IDLE_NS without requests
 * (the plugin serves each connection on one of charon's threads) and reopened by the next
 * lookup, so a restarted daemon is picked up without any action. A daemon that is down costs
 * one failed connect(2) per lookup; the refusal is immediate (Accept 2), never a hang.
 *
 * Only the derived secret passes through here, SK_d never leaves the daemon; the secret is
 * handed to lib/ctrl and wiped (lib/ike wipes its buffers). Nothing secret is logged.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_common.h>

#include "ike.h"
#include "log.h"
#include "tw_ctrl_crypto.h"
#include "tw_ike_kpc.h"
#include "tw_ike_static.h"
#include "tw_ts.h"

RTE_LOG_REGISTER(tw_logtype_ike, twamp.ike, INFO);

#define IKE_LOG(lvl, fmt, ...) RTE_LOG(lvl, TW_IKE, fmt "\n", ##__VA_ARGS__)

#define IKE_IDLE_NS (10 * TW_TS_NSEC_PER_SEC)	/* close an idle daemon connection */

static struct {
	enum tw_conf_ike_provider kind;
	struct tw_ike_static *st;		/* static */
	/* ike-daemon */
	struct sockaddr_un sun;
	int fd;
	int epfd;
	uint64_t ev_tag;
	uint64_t timeout_ns;
	uint64_t last_use;
	bool down;				/* last connect failed: log recovery once */
	twr_ike_done_fn done;
	void *done_arg;
	struct twr_ike_stats stats;
	struct tw_ike_kpc kpc;
} ike = { .fd = -1, .epfd = -1 };

const char *
twr_ike_provider_name(void)
{
	return ike.kind == TW_CONF_IKE_STATIC ? "static" :
	       ike.kind == TW_CONF_IKE_DAEMON ? "ike-daemon" : "none";
}

int
twr_ike_init(const struct tw_conf *c, int epfd, uint64_t ev_tag, twr_ike_done_fn done,
	     void *done_arg)
{
	char err[600];

	ike.kind = c->ike_provider;
	ike.epfd = epfd;
	ike.ev_tag = ev_tag;
	ike.done = done;
	ike.done_arg = done_arg;
	memset(&ike.stats, 0, sizeof(ike.stats));
	/* Partial answers from the daemon (secrets) pass through ike.kpc: not in core dumps. */
	tw_secmem_mark(&ike.kpc, sizeof(ike.kpc));
	tw_ike_kpc_init(&ike.kpc);
	switch (ike.kind) {
	case TW_CONF_IKE_STATIC:
		ike.st = tw_ike_static_load(c->ike_static_keys, err, sizeof(err));
		if (ike.st == NULL) {
			IKE_LOG(ERR, "%s", err);
			return -EINVAL;
		}
		IKE_LOG(INFO, "IKEv2-derived keys (mode 128): %u SA(s) from %s, SPIs %s in Key ID",
			tw_ike_static_count(ike.st), c->ike_static_keys,
			c->ike_spi_layout == TW_CONF_SPI_4_4 ? "4+4" : "8+8");
		return 0;
	case TW_CONF_IKE_DAEMON:
		if (strlen(c->ike_socket) >= sizeof(ike.sun.sun_path)) {
			IKE_LOG(ERR, "control.ike_socket: %s: longer than a UNIX socket path can be",
				c->ike_socket);
			return -ENAMETOOLONG;
		}
		ike.sun.sun_family = AF_UNIX;
		snprintf(ike.sun.sun_path, sizeof(ike.sun.sun_path), "%s", c->ike_socket);
		ike.timeout_ns = (uint64_t)c->ike_timeout_ms * 1000000;
		/* Not connected yet: the daemon may start after us; the first lookup connects. */
		IKE_LOG(INFO, "IKEv2-derived keys (mode 128) from the IKE daemon at %s (timeout %u ms), "
			"SPIs %s in Key ID", c->ike_socket, c->ike_timeout_ms,
			c->ike_spi_layout == TW_CONF_SPI_4_4 ? "4+4" : "8+8");
		return 0;
	default:
		return 0;
	}
}

void
twr_ike_reload(const struct tw_conf *c)
{
	struct tw_ike_static *t;
	char err[600];

	if (ike.kind == TW_CONF_IKE_DAEMON) {
		ike.timeout_ns = (uint64_t)c->ike_timeout_ms * 1000000;
		return;
	}
	if (ike.kind != TW_CONF_IKE_STATIC)
		return;
	t = tw_ike_static_load(c->ike_static_keys, err, sizeof(err));
	if (t == NULL) {
		IKE_LOG(ERR, "reload: %s: keeping the %u SA(s) loaded before", err,
			tw_ike_static_count(ike.st));
		return;
	}
	tw_ike_static_free(ike.st);	/* wipes the old derived secrets */
	ike.st = t;
	IKE_LOG(NOTICE, "reload: %u IKE SA(s) from %s", tw_ike_static_count(t), c->ike_static_keys);
}

static void
kpc_done(void *arg, uint64_t tag, int status, const struct tw_ike_kp_response *r)
{
	(void)arg;
	switch (status) {
	case 0:
		ike.stats.ok++;
		break;
	case -ENOENT:
		ike.stats.no_sa++;
		break;
	case -ETIMEDOUT:
		ike.stats.timeouts++;
		break;
	case -ECONNRESET:
		ike.stats.disconnected++;
		break;
	default:
		ike.stats.errors++;	/* the daemon said "error", or a malformed answer */
		break;
	}
	ike.done(ike.done_arg, tag, status, r != NULL ? r->key : NULL, r != NULL ? r->key_len : 0,
		 r != NULL ? tw_ike_prf_name(r->prf) : NULL);
}

/* Close the daemon connection; everything still pending fails with `status`. */
static void
daemon_close(int status)
{
	if (ike.fd >= 0) {
		epoll_ctl(ike.epfd, EPOLL_CTL_DEL, ike.fd, NULL);
		close(ike.fd);
		ike.fd = -1;
	}
	tw_ike_kpc_fail_all(&ike.kpc, status, kpc_done, NULL);
}

static int
daemon_connect(void)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.u64 = ike.ev_tag };
	int fd, ret;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A UNIX stream connect completes at once or fails (EAGAIN: the backlog is full). */
	if (connect(fd, (struct sockaddr *)&ike.sun, sizeof(ike.sun)) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (epoll_ctl(ike.epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ike.fd = fd;
	ike.stats.connects++;
	tw_ike_kpc_init(&ike.kpc);
	if (ike.down) {
		ike.down = false;
		IKE_LOG(NOTICE, "IKE daemon at %s reachable again", ike.sun.sun_path);
	}
	return 0;
}

/* Write queued requests; a broken connection fails them (from the poll loop, never inside a
 * lookup, so the waiting connection hears about it through done(), not re-entrantly). */
static void
daemon_flush(void)
{
	const uint8_t *buf;
	size_t len;

	while (ike.fd >= 0 && (len = tw_ike_kpc_pending_out(&ike.kpc, &buf)) > 0) {
		ssize_t n = send(ike.fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				IKE_LOG(WARNING, "IKE daemon at %s: send: %s", ike.sun.sun_path,
					strerror(errno));
				daemon_close(-ECONNRESET);
			}
			return;
		}
		tw_ike_kpc_written(&ike.kpc, (size_t)n);
	}
}

int
twr_ike_lookup(uint64_t tag, const uint8_t *spi_i, const uint8_t *spi_r, size_t spi_len,
	       uint8_t *secret, size_t *secret_len, uint64_t now)
{
	const struct tw_ike_static_entry *e;
	int ret;

	ike.stats.requests++;
	if (ike.kind == TW_CONF_IKE_STATIC) {
		e = tw_ike_static_find(ike.st, spi_i, spi_r, spi_len);
		if (e == NULL) {
			ike.stats.no_sa++;
			return -ENOENT;
		}
		if (e->secret_len > *secret_len)
			return -ENOSPC;
		memcpy(secret, e->secret, e->secret_len);
		*secret_len = e->secret_len;
		ike.stats.ok++;
		return 0;
	}
	if (ike.kind != TW_CONF_IKE_DAEMON)
		return -ENOTSUP;
	if (ike.fd < 0) {
		ret = daemon_connect();
		if (ret < 0) {
			ike.stats.unreachable++;
			if (!ike.down)
				IKE_LOG(ERR, "IKE daemon at %s unreachable: %s (mode 128 refused "
					"until it is back)", ike.sun.sun_path, strerror(-ret));
			ike.down = true;
			return -EHOSTDOWN;
		}
	}
	ret = tw_ike_kpc_submit_spis(&ike.kpc, tag, now + ike.timeout_ns, spi_i, spi_r, spi_len);
	if (ret < 0) {
		ike.stats.busy += ret == -EBUSY;
		return ret;	/* -EBUSY: TW_IKE_KPC_MAX_PENDING lookups already in flight */
	}
	ike.last_use = now;
	return -EINPROGRESS;
}

void
twr_ike_event(uint32_t events)
{
	uint8_t buf[512];

	(void)events;
	while (ike.fd >= 0) {
		ssize_t n = recv(ike.fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			/* The daemon closed (stopped, restarted) or the socket broke. */
			if (tw_ike_kpc_inflight(&ike.kpc) > 0)
				IKE_LOG(WARNING, "IKE daemon at %s closed the connection with %u "
					"lookup(s) pending", ike.sun.sun_path,
					tw_ike_kpc_inflight(&ike.kpc));
			daemon_close(-ECONNRESET);
			break;
		}
		if (tw_ike_kpc_input(&ike.kpc, buf, (size_t)n, kpc_done, NULL) < 0) {
			IKE_LOG(ERR, "IKE daemon at %s: malformed answer, closing the connection",
				ike.sun.sun_path);
			daemon_close(-EBADMSG);
			break;
		}
	}
	explicit_bzero(buf, sizeof(buf));
}

void
twr_ike_service(uint64_t now, bool housekeep)
{
	if (ike.kind != TW_CONF_IKE_DAEMON || ike.fd < 0)
		return;
	daemon_flush();
	if (!housekeep || ike.fd < 0)
		return;
	if (tw_ike_kpc_deadline(&ike.kpc) <= now) {
		/* Answers match requests by order: after a late one the stream is useless. */
		IKE_LOG(ERR, "IKE daemon at %s: no answer within %" PRIu64 " ms, closing the "
			"connection (%u lookup(s) fail)", ike.sun.sun_path, ike.timeout_ns / 1000000,
			tw_ike_kpc_inflight(&ike.kpc));
		tw_ike_kpc_expire(&ike.kpc, now, kpc_done, NULL);
		daemon_close(-ETIMEDOUT);
		return;
	}
	if (tw_ike_kpc_inflight(&ike.kpc) == 0 && now - ike.last_use > IKE_IDLE_NS)
		daemon_close(-ECONNRESET);	/* nothing pending: nobody is told */
}

void
twr_ike_stats_get(struct twr_ike_stats *st)
{
	*st = ike.stats;
	st->inflight = tw_ike_kpc_inflight(&ike.kpc);
	st->connected = ike.fd >= 0;
}

void
twr_ike_close(void)
{
	if (ike.kind == TW_CONF_IKE_DAEMON)
		daemon_close(-ECONNRESET);
	tw_ike_static_free(ike.st);	/* wipes the derived secrets */
	ike.st = NULL;
	tw_ike_kpc_init(&ike.kpc);
	ike.kind = TW_CONF_IKE_NONE;
}
