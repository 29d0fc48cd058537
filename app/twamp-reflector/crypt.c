/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test keys of an authenticated or encrypted session (RFC 4656 §4.1.2 via RFC 5357 §4.1.2),
 * computed once on the control lcore when the session is accepted: the workers only ever see the
 * expanded key schedules and HMAC states.
 *
 * They live in one pool of control.max_sessions slots, allocated at start on pages of their own
 * (tw_secmem_alloc: left out of core dumps, locked in RAM where allowed), taken and given back
 * on the control lcore only (accept; the session table's RCU reclaim), wiped when given back.
 * One mapping for all, not one per session: 100,000 sessions must not mean 100,000 mappings.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "log.h"
#include "reflector.h"
#include "tw_ctrl_crypto.h"
#include "tw_tcrypt.h"

static struct {
	struct tw_tcrypt_sess *slots;
	uint32_t *free;			/* stack of free slot indices */
	uint32_t nb_free;
	uint32_t cap;
	/*
	 * The control lcore's own IPsec-MB manager for the key schedules: without one,
	 * tw_tcrypt_session_init() creates and frees a manager per session, about 70 us of the
	 * ~77 us an authenticated session cost to set up (tools/sessload, docs/performance-scale).
	 */
	struct tw_tcrypt_mgr *mgr;
} pool;

int
twr_session_keys_init(struct twr_app *app)
{
	const struct tw_conf *c = app->conf;

	if (!c->control_enabled && app->bench_sessions == NULL)
		return 0;
	pool.cap = c->control_max_sessions;
	pool.slots = tw_secmem_alloc(sizeof(*pool.slots) * pool.cap);
	pool.free = calloc(pool.cap, sizeof(*pool.free));
	if (pool.slots == NULL || pool.free == NULL)
		return -ENOMEM;
	/*
	 * tw_secmem_alloc() locks best effort. Say when it could not: at 100,000 sessions the pool
	 * is 64 MiB, beyond the usual RLIMIT_MEMLOCK of a process without CAP_IPC_LOCK, and the
	 * operator should know that test keys may then be swapped (mlock is idempotent: asking
	 * again costs nothing).
	 */
	if (mlock(pool.slots, sizeof(*pool.slots) * pool.cap) != 0)
		MAIN_LOG(NOTICE, "test key pool (%.1f MiB, control.max_sessions x %zu B) not "
			 "locked in RAM: %s (RLIMIT_MEMLOCK; CAP_IPC_LOCK lifts it); still out "
			 "of core dumps",
			 sizeof(*pool.slots) * (double)pool.cap / 1048576.0, sizeof(*pool.slots),
			 strerror(errno));
	for (uint32_t i = 0; i < pool.cap; i++)
		pool.free[i] = pool.cap - 1 - i;
	pool.nb_free = pool.cap;
	/* Any path computes the same schedules; NULL (a manager per call) still works. */
	pool.mgr = tw_tcrypt_mgr_create(TW_TCRYPT_ARCH_AUTO, 0);
	return 0;
}

void
twr_session_keys_fini(void)
{
	tw_secmem_free(pool.slots, sizeof(*pool.slots) * pool.cap);	/* wipes */
	free(pool.free);
	tw_tcrypt_mgr_free(pool.mgr);
	memset(&pool, 0, sizeof(pool));
}

int
twr_session_keys_raw(struct twr_session *s, const uint8_t aes[TW_TCRYPT_AES_KEY_LEN],
		     const uint8_t hmac[TW_TCRYPT_HMAC_KEY_LEN])
{
	struct tw_tcrypt_sess *ts;
	int ret;

	if (pool.nb_free == 0)
		return -ENOSPC;
	ts = &pool.slots[pool.free[--pool.nb_free]];
	ret = tw_tcrypt_session_init(pool.mgr, ts, s->mode == TWR_SESS_ENC ? TW_TCRYPT_MODE_ENC :
				     TW_TCRYPT_MODE_AUTH, 0, aes, hmac, s->sid);
	if (ret < 0) {
		twr_session_keys_free(ts);
		return ret;
	}
	s->crypto = ts;
	s->crypto_len = sizeof(*ts);
	return 0;
}

int
twr_session_keys(struct twr_app *app, struct twr_session *s, const struct tw_ctrl_srv *srv)
{
	struct tw_ctrl_keys keys;
	int ret;

	(void)app;
	if (pool.nb_free == 0)
		return -ENOSPC;
	ret = tw_ctrl_srv_keys(srv, &keys);
	if (ret < 0)
		return ret;
	ret = twr_session_keys_raw(s, keys.aes, keys.hmac);
	tw_ctrl_wipe(&keys, sizeof(keys));
	return ret;
}

void
twr_session_keys_free(void *crypto)
{
	struct tw_tcrypt_sess *ts = crypto;

	if (ts == NULL || ts < pool.slots || ts >= pool.slots + pool.cap)
		return;
	/* Test keys are gone with the session (design.md: keys wiped on session end). */
	tw_tcrypt_session_wipe(ts);
	tw_ctrl_wipe(ts, sizeof(*ts));
	pool.free[pool.nb_free++] = (uint32_t)(ts - pool.slots);
}
