/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test keys of an authenticated or encrypted session (RFC 4656 §4.1.2 via RFC 5357 §4.1.2),
 * computed once on the control lcore when the session is accepted: the workers only ever see the
 * expanded key schedules and HMAC states.
 */
#include <errno.h>

#include <rte_malloc.h>

#include "log.h"
#include "reflector.h"
#include "tw_tcrypt.h"

int
twr_session_keys(struct twr_app *app, struct twr_session *s, const struct tw_ctrl_srv *srv)
{
	struct tw_ctrl_keys keys;
	struct tw_tcrypt_sess *ts;
	int ret;

	(void)app;
	ret = tw_ctrl_srv_keys(srv, &keys);
	if (ret < 0)
		return ret;
	ts = rte_zmalloc("twr_test_keys", sizeof(*ts), RTE_CACHE_LINE_SIZE);
	if (ts == NULL) {
		tw_ctrl_wipe(&keys, sizeof(keys));
		return -ENOMEM;
	}
	ret = tw_tcrypt_session_init(NULL, ts, s->mode == TWR_SESS_ENC ? TW_TCRYPT_MODE_ENC :
				     TW_TCRYPT_MODE_AUTH, 0, keys.aes, keys.hmac, s->sid);
	tw_ctrl_wipe(&keys, sizeof(keys));
	if (ret < 0) {
		tw_tcrypt_session_wipe(ts);
		rte_free(ts);
		return ret;
	}
	s->crypto = ts;
	s->crypto_len = sizeof(*ts);
	return 0;
}
