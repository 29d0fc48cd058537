/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TWAMP-Test session table: an rte_hash keyed by the sender -> reflector 5-tuple, written
 * only by the control lcore and read lock-free by the workers. A removed session is freed (and
 * its keys wiped) only after every worker has passed a quiescent state (rte_rcu_qsbr, in
 * synchronous mode: the control lcore waits the few microseconds a worker loop takes).
 */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "log.h"
#include "reflector.h"

static void
session_free(void *p, void *key_data)
{
	struct twr_session *s = key_data;

	(void)p;
	if (s == NULL)
		return;
	twr_session_keys_free(s->crypto);	/* wiped, back to the pool */
	explicit_bzero(s, sizeof(*s));
	rte_free(s);
}

int
twr_sessions_init(struct twr_app *app)
{
	const struct tw_conf *c = app->conf;
	struct rte_hash_parameters hp = {
		.name = "twr_sessions",
		.entries = c->control_max_sessions < 64 ? 64 : c->control_max_sessions,
		.key_len = sizeof(struct tw_flow_key),
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct rte_hash_rcu_config rc = {
		.mode = RTE_HASH_QSBR_MODE_SYNC,
		.free_key_data_func = session_free,
	};
	size_t sz = rte_rcu_qsbr_get_memsize(app->nb_workers);
	int ret;

	app->rcu = rte_zmalloc("twr_rcu", sz, RTE_CACHE_LINE_SIZE);
	if (app->rcu == NULL)
		return -ENOMEM;
	ret = rte_rcu_qsbr_init(app->rcu, app->nb_workers);
	if (ret < 0)
		return ret;
	app->sessions = rte_hash_create(&hp);
	if (app->sessions == NULL) {
		MAIN_LOG(ERR, "cannot create the session table: %s", rte_strerror(rte_errno));
		return -rte_errno;
	}
	rc.v = app->rcu;
	ret = rte_hash_rcu_qsbr_add(app->sessions, &rc);
	if (ret != 0) {
		MAIN_LOG(ERR, "cannot attach RCU to the session table: %s", rte_strerror(rte_errno));
		return -rte_errno;
	}
	return 0;
}

void
twr_sessions_free(struct twr_app *app)
{
	if (app->sessions != NULL) {
		const void *key;
		void *data;
		uint32_t it = 0;

		/* Workers are stopped: no reader left, free directly. */
		while (rte_hash_iterate(app->sessions, &key, &data, &it) >= 0)
			session_free(NULL, data);
		rte_hash_free(app->sessions);
		app->sessions = NULL;
	}
	rte_free(app->rcu);
	app->rcu = NULL;
}

int
twr_session_install(struct twr_app *app, struct twr_session *s)
{
	int ret = rte_hash_add_key_data(app->sessions, &s->key, s);

	if (ret < 0)
		return ret;
	app->nb_sessions++;
	return 0;
}

void
twr_session_remove(struct twr_app *app, struct twr_session *s)
{
	if (s->started) {
		/* Waits for every worker to pass a quiescent state, then calls session_free(). */
		if (rte_hash_del_key(app->sessions, &s->key) >= 0) {
			app->nb_sessions--;
			return;
		}
	}
	session_free(NULL, s);
}
