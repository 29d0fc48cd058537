/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-reflector: a TWAMP (RFC 5357) Session-Reflector on DPDK.
 *
 *   twamp-reflector -c FILE [--check-config] [-- EAL-ARGS...]
 *
 * The YAML config gives the EAL arguments; EAL arguments after "--" are appended and win over
 * the config's lcores and file prefix. The main lcore runs the control plane (exception path,
 * clock model, telemetry callbacks); every other lcore is a worker polling one queue pair.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include "log.h"
#include "reflector.h"
#include "tw_ctrl_crypto.h"

RTE_LOG_REGISTER(tw_logtype_main, twamp.main, INFO);
RTE_LOG_REGISTER(tw_logtype_clock, twamp.clock, INFO);
RTE_LOG_REGISTER(tw_logtype_exc, twamp.exc, INFO);

struct twr_app twr;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		twr.reload = true;	/* the control loop reloads: nothing else is safe here */
	else
		twr.quit = true;
}

static const char *conf_path;		/* -c, for reloads */
static struct tw_conf *live_conf;	/* what twr.conf points to */

/* Keys a reload may change while running (the control lcore applies them); any other changed
 * key is reported and keeps its running value until a restart. */
static const char *const reloadable[] = {
	"control.keys", "control.keystore", "control.max_connections",
	"control.max_connections_per_source", "control.connection_rate_per_source",
	"control.connection_burst_per_source", "control.handshake_timeout", "control.refwait",
	"control.max_padding", "control.ike_static_keys", "control.ike_timeout_ms",
	"clock.synchronized", "clock.error_ns",
};

struct reload_diff {
	unsigned int applied, restart;
	char applied_txt[256];
};

static void
reload_key(void *arg, const char *section, const char *key)
{
	struct reload_diff *d = arg;
	char name[64];
	size_t o;

	snprintf(name, sizeof(name), "%s.%s", section, key);
	for (size_t i = 0; i < RTE_DIM(reloadable); i++) {
		if (strcmp(name, reloadable[i]) != 0)
			continue;
		o = strlen(d->applied_txt);
		snprintf(d->applied_txt + o, sizeof(d->applied_txt) - o, "%s%s",
			 d->applied ? ", " : "", name);
		d->applied++;
		return;
	}
	d->restart++;
	MAIN_LOG(WARNING, "reload: %s changed: it takes a restart; the running value stays", name);
}

/*
 * SIGHUP: read the configuration file again. Any error keeps the whole running configuration and
 * says why (file:line); otherwise what may change while running is applied (keys, limits, the
 * static IKE SAs, the clock's claims) and every other change is named as needing a restart.
 */
void
twr_reload(struct twr_app *app)
{
	static struct tw_conf next;	/* static: large; marked not-dumpable once */
	static bool marked;
	struct reload_diff d = { .applied = 0 };
	struct tw_conf *c = live_conf;
	char err[600];

	app->reload = false;
	if (!marked)
		marked = tw_secmem_mark(&next, sizeof(next)) == 0;
	if (tw_conf_load(conf_path, &next, err, sizeof(err)) < 0) {
		app->reloads_failed++;
		MAIN_LOG(ERR, "reload: %s: keeping the running configuration", err);
		tw_conf_wipe_keys(&next);
		return;
	}
	tw_conf_changed(c, &next, reload_key, &d);
	/* Apply: only fields the control lcore reads at the time of use. */
	tw_conf_wipe_keys(c);
	memcpy(c->keys, next.keys, sizeof(c->keys));
	c->nb_keys = next.nb_keys;
	memcpy(c->keystore, next.keystore, sizeof(c->keystore));
	c->control_max_conns = next.control_max_conns;
	c->control_max_conns_per_source = next.control_max_conns_per_source;
	c->control_conn_rate = next.control_conn_rate;
	c->control_conn_burst = next.control_conn_burst;
	c->control_handshake_timeout_s = next.control_handshake_timeout_s;
	c->control_refwait_s = next.control_refwait_s;
	c->control_max_padding = next.control_max_padding;
	c->ike_timeout_ms = next.ike_timeout_ms;
	c->clock_synchronized = next.clock_synchronized;
	c->clock_error_ns = next.clock_error_ns;
	if (next.ike_provider == c->ike_provider)
		memcpy(c->ike_static_keys, next.ike_static_keys, sizeof(c->ike_static_keys));
	tw_conf_wipe_keys(&next);
	twr_ctrl_reload(app);
	twr_clock_reload(app);
	app->reloads_ok++;
	MAIN_LOG(NOTICE, "reload: %s: %u change(s) applied%s%s%s, %u need a restart", conf_path,
		 d.applied, d.applied ? " (" : "", d.applied_txt, d.applied ? ")" : "", d.restart);
}

static void
usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s -c FILE [--check-config] [--bench-sessions FILE] [-- EAL-ARGS...]\n"
		"  -c, --config FILE   YAML configuration (see docs/configuration.rst)\n"
		"      --check-config  validate the configuration and exit\n"
		"      --bench-sessions FILE\n"
		"                      benchmarks only: install the test sessions FILE lists, with\n"
		"                      their keys, as if TWAMP-Control had started them\n"
		"                      (tools/bench; docs/performance.rst)\n"
		"  -V, --version       print the version and exit\n"
		"  -h, --help          this help\n"
		"EAL arguments after \"--\" are added to the config's (and win over its -l and\n"
		"--file-prefix).\n", prog);
}

static bool
user_has(int argc, char **argv, const char *const *opts)
{
	for (int i = 0; i < argc; i++)
		for (int j = 0; opts[j] != NULL; j++)
			if (strncmp(argv[i], opts[j], strlen(opts[j])) == 0)
				return true;
	return false;
}

/* Build the EAL argv: program, config-derived arguments, then the user's. */
static char **
eal_argv(const struct tw_conf *c, const char *prog, int uargc, char **uargv, int *argc)
{
	static const char *const lcore_opts[] = { "-l", "-c", "--lcores", NULL };
	static const char *const prefix_opts[] = { "--file-prefix", NULL };
	char **v = calloc((size_t)(c->nb_eal_args + uargc + 12), sizeof(*v));
	int n = 0;

	if (v == NULL)
		return NULL;
	v[n++] = strdup(prog);
	if (c->lcores[0] != '\0' && !user_has(uargc, uargv, lcore_opts)) {
		v[n++] = strdup("-l");
		v[n++] = strdup(c->lcores);
	}
	if (c->file_prefix[0] != '\0' && !user_has(uargc, uargv, prefix_opts)) {
		v[n++] = strdup("--file-prefix");
		v[n++] = strdup(c->file_prefix);
	}
	if (c->log_level[0] != '\0') {
		v[n++] = strdup("--log-level");
		v[n++] = strdup(c->log_level);
	}
	for (unsigned int i = 0; i < c->nb_eal_args; i++)
		v[n++] = strdup(c->eal_args[i]);
	if (c->port_device[0] != '\0') {
		/* Virtual devices are created with --vdev; anything else is a bus address to allow. */
		v[n++] = strdup(strncmp(c->port_device, "net_", 4) == 0 ? "--vdev" : "-a");
		v[n++] = strdup(c->port_device);
	}
	for (int i = 0; i < uargc; i++)
		v[n++] = strdup(uargv[i]);
	for (int i = 0; i < n; i++)
		if (v[i] == NULL)
			return NULL;
	*argc = n;
	return v;
}

static int
match_init(struct twr_app *app)
{
	const struct tw_conf *c = app->conf;

	app->match = rte_zmalloc("twr_match", sizeof(*app->match), RTE_CACHE_LINE_SIZE);
	if (app->match == NULL)
		return -ENOMEM;
	tw_refl_match_init(app->match);
	/* TWAMP-Control sessions are answered at the addresses the control server listens on. */
	for (unsigned int i = 0; c->control_enabled && i < c->nb_addrs; i++) {
		int ret = tw_refl_match_add(app->match, c->addrs[i].family, c->addrs[i].addr,
					    false);
		if (ret < 0)
			return ret;
	}
	/* Reserved for sessions: without one, a packet there is dropped and counted. */
	for (unsigned int i = 0; c->control_enabled && i < c->nb_control_test_ports; i++)
		tw_refl_match_add_session_ports(app->match, c->control_test_ports[i].lo,
						c->control_test_ports[i].hi);
	if (!c->light_enabled)
		return 0;
	for (unsigned int i = 0; i < c->nb_light_addrs; i++) {
		int ret = tw_refl_match_add(app->match, c->light_addrs[i].family,
					    c->light_addrs[i].addr, true);
		if (ret < 0)
			return ret;
	}
	for (unsigned int i = 0; i < c->nb_light_ports; i++)
		tw_refl_match_add_ports(app->match, c->light_ports[i].lo, c->light_ports[i].hi);
	return 0;
}

void
twr_memory_get(const struct twr_app *app, struct twr_memory *m)
{
	const struct tw_conf *c = app->conf;

	memset(m, 0, sizeof(*m));
	if (app->pool != NULL) {
		m->mbufs = app->pool->size;
		m->mbuf_bytes = (uint64_t)app->pool->size *
				(app->pool->elt_size + app->pool->header_size + app->pool->trailer_size);
		m->mbufs_in_use = rte_mempool_in_use_count(app->pool);
	}
	m->flow_table_bytes = c->light_enabled ? tw_flow_mem_size(c->max_flows) : 0;
	m->sessions_max = c->control_enabled ? c->control_max_sessions : 0;
	m->session_bytes = sizeof(struct twr_session) + sizeof(struct tw_tcrypt_sess);
	m->control_conns_max = c->control_enabled ? c->control_max_conns : 0;
	m->control_conn_bytes = c->control_enabled ? twr_ctrl_conn_bytes(c) : 0;
}

/* Every pool is sized from the configuration, once: say how much at start. */
static void
memory_log(const struct twr_app *app)
{
	struct twr_memory m;

	twr_memory_get(app, &m);
	MAIN_LOG(INFO, "memory: %" PRIu64 " mbufs (%.1f MiB, port.mbufs); flow tables %u x %.1f "
		 "MiB (light.max_flows); up to %" PRIu64 " sessions x %" PRIu64 " B "
		 "(control.max_sessions) and %" PRIu64 " connections x %.1f KiB "
		 "(control.max_connections)", m.mbufs, m.mbuf_bytes / 1048576.0, app->nb_workers,
		 m.flow_table_bytes / 1048576.0, m.sessions_max, m.session_bytes,
		 m.control_conns_max, m.control_conn_bytes / 1024.0);
}

static int
workers_init(struct twr_app *app)
{
	const struct tw_conf *c = app->conf;
	unsigned int lcore, i = 0;

	app->workers = rte_zmalloc("twr_workers", sizeof(*app->workers) * app->nb_workers,
				   RTE_CACHE_LINE_SIZE);
	if (app->workers == NULL)
		return -ENOMEM;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		struct twr_worker *w = &app->workers[i];
		int socket = (int)rte_lcore_to_socket_id(lcore);
		char name[RTE_RING_NAMESIZE];
		size_t sz = tw_flow_mem_size(c->max_flows);

		w->lcore = lcore;
		w->id = (uint16_t)i;
		w->queue = (uint16_t)i;
		snprintf(name, sizeof(name), "twr_exc%u", i);
		w->exc_ring = rte_ring_create(name, TWR_RING_SIZE, socket,
					      RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "twr_inj%u", i);
		w->inject_ring = rte_ring_create(name, TWR_RING_SIZE, socket,
						 RING_F_SP_ENQ | RING_F_SC_DEQ);
		w->flow_mem = rte_zmalloc_socket("twr_flows", sz, RTE_CACHE_LINE_SIZE, socket);
		if (w->exc_ring == NULL || w->inject_ring == NULL || w->flow_mem == NULL) {
			MAIN_LOG(ERR, "worker %u: cannot allocate rings and a %zu-byte flow table: %s",
				 i, sz, rte_strerror(rte_errno));
			return -ENOMEM;
		}
		w->refl.flows = tw_flow_init(w->flow_mem, c->max_flows, c->flow_idle_timeout_s);
		w->refl.match = app->match;
		/* One IPsec-MB manager per worker: multi-buffer lanes are per-thread state. */
		w->tcrypt = tw_tcrypt_mgr_create(TW_TCRYPT_ARCH_AUTO, 0);
		if (w->tcrypt == NULL) {
			MAIN_LOG(ERR, "worker %u: cannot create the IPsec-MB manager", i);
			return -ENOMEM;
		}
		if (i == 0)
			MAIN_LOG(INFO, "test-packet crypto: IPsec-MB %s",
				 tw_tcrypt_mgr_describe(w->tcrypt));
		i++;
	}
	return 0;
}

/*
 * Software distribution (port.distribution): worker 0 polls the port's one queue pair and hands
 * each other worker its packets through a ring, each entry with the TSC it read after the RX
 * burst (their T2); each other worker hands its answers back through another ring for worker 0
 * to send. Every ring has one producer and one consumer.
 */
static int
dist_init(struct twr_app *app)
{
	for (uint16_t i = 0; i < app->nb_workers; i++)
		app->workers[i].has_queue = app->dist == TWR_DIST_RSS || i == 0;
	if (app->dist != TWR_DIST_SOFTWARE)
		return 0;
	/*
	 * Worker 0's share of the hash space: weight w (percent of another worker's share) gives it
	 * w / (100 (N - 1) + w) of the flows, the others (1 - that) / (N - 1) each.
	 */
	app->dist_w0_limit = (uint32_t)(((uint64_t)1 << 32) * app->conf->dist_rx_weight /
					(100u * (app->nb_workers - 1u) + app->conf->dist_rx_weight));
	MAIN_LOG(INFO, "software distribution: worker 0 receives and sends for %u workers and "
		 "reflects %.1f%% of the flows (port.rx_worker_weight %u), the others %.1f%% each",
		 app->nb_workers, 100.0 * app->dist_w0_limit / 4294967296.0,
		 app->conf->dist_rx_weight,
		 (100.0 - 100.0 * app->dist_w0_limit / 4294967296.0) / (app->nb_workers - 1));
	for (uint16_t i = 0; i < app->nb_workers; i++) {
		struct twr_worker *w = &app->workers[i];
		int socket = (int)rte_lcore_to_socket_id(w->lcore);
		char name[RTE_RING_NAMESIZE];

		w->dist_rx = i == 0;
		if (i == 0)
			continue;	/* its own share never leaves it: the burst's T2 is its T2 */
		snprintf(name, sizeof(name), "twr_dist%u", i);
		w->dist_ring = rte_ring_create_elem(name, sizeof(struct twr_dist_elem),
						    TWR_DIST_RING_SIZE, socket,
						    RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "twr_ans%u", i);
		w->answer_ring = rte_ring_create(name, TWR_DIST_RING_SIZE, socket,
						 RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->dist_ring == NULL || w->answer_ring == NULL) {
			MAIN_LOG(ERR, "worker %u: cannot create the distribution rings: %s", i,
				 rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	return 0;
}

static int
workers_bind_port(struct twr_app *app)
{
	for (uint16_t i = 0; i < app->nb_workers; i++) {
		struct twr_worker *w = &app->workers[i];

		w->port = app->port;
		w->queue = app->dist == TWR_DIST_RSS ? i : 0;
		w->tx_csum_offload = app->tx_csum_offload;
		w->refl.csum = app->tx_csum_offload ? TW_CSUM_OFFLOAD : TW_CSUM_SW;
		/* RFC 8186: TWAMP Light has no negotiation; "auto" answers in the sender's format. */
		w->refl.light_fmt = app->conf->ts_format == TW_CONF_TS_NTP ? TW_REFL_FMT_NTP :
				    app->conf->ts_format == TW_CONF_TS_PTP ? TW_REFL_FMT_PTP :
									     TW_REFL_FMT_SENDER;
	}
	return dist_init(app);
}

/*
 * PTPv2 timestamps count TAI seconds (IEEE 1588 timescale, RFC 8186 §2.3); the kernel knows
 * TAI - UTC when a time daemon told it (chrony's leapsectz, ptp4l/phc2sys). CLOCK_TAI uses the
 * same offset, so a sender stamping from CLOCK_TAI agrees with us either way. The clock read
 * it (twr_clock_init) and keeps it current (twr_clock_sync).
 */
static void
tai_offset_init(struct twr_app *app)
{
	app->tai_offset_s = app->clock_sync.tai_s > 0 ? (uint32_t)app->clock_sync.tai_s : 0;
	if (app->tai_offset_s != 0)
		MAIN_LOG(INFO, "PTPv2 timestamps: TAI = UTC + %u s (kernel)", app->tai_offset_s);
	else
		MAIN_LOG(NOTICE, "PTPv2 timestamps: the kernel's TAI offset is not set, so they are "
			 "UTC-based (as CLOCK_TAI is); a time daemon that knows the leap seconds sets it");
}

static void
workers_free(struct twr_app *app)
{
	if (app->workers == NULL)
		return;
	for (uint16_t i = 0; i < app->nb_workers; i++) {
		struct twr_worker *w = &app->workers[i];
		struct twr_dist_elem de;
		void *m = NULL;

		/* Packets still queued between lcores go back to the pool before it is gone. */
		while (w->exc_ring && rte_ring_dequeue(w->exc_ring, &m) == 0)
			rte_pktmbuf_free(m);
		while (w->inject_ring && rte_ring_dequeue(w->inject_ring, &m) == 0)
			rte_pktmbuf_free(m);
		while (w->dist_ring && rte_ring_dequeue_elem(w->dist_ring, &de, sizeof(de)) == 0)
			rte_pktmbuf_free(de.m);
		while (w->answer_ring && rte_ring_dequeue(w->answer_ring, &m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(w->dist_ring);
		rte_ring_free(w->answer_ring);
		tw_tcrypt_mgr_free(w->tcrypt);
		rte_ring_free(w->exc_ring);
		rte_ring_free(w->inject_ring);
		rte_free(w->flow_mem);
	}
	rte_free(app->workers);
	app->workers = NULL;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'k' },
		{ "bench-sessions", required_argument, NULL, 'B' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct tw_conf conf;
	const char *cfg = NULL, *bench_sessions = NULL;
	bool check_only = false;
	char err[512], **eargv, **eargv_owned;
	int opt, eargc, ret, rc = EXIT_FAILURE;
	unsigned int lcore;

	while ((opt = getopt_long(argc, argv, "+c:Vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			cfg = optarg;
			break;
		case 'k':
			check_only = true;
			break;
		case 'B':
			bench_sessions = optarg;
			break;
		case 'V':
			printf("twamp-reflector %s\n", TWR_VERSION);
			return EXIT_SUCCESS;
		case 'h':
			usage(stdout, argv[0]);
			return EXIT_SUCCESS;
		default:
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (cfg == NULL) {
		usage(stderr, argv[0]);
		return 2;
	}
	/* The configuration holds the shared secrets (control.keys, the keystore's): keep the
	 * pages they are on out of core dumps. */
	tw_secmem_mark(&conf, sizeof(conf));
	conf_path = cfg;
	live_conf = &conf;
	ret = tw_conf_load(cfg, &conf, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "%s\n", err);
		return EXIT_FAILURE;
	}
	if (conf.port_device[0] == '\0') {
		fprintf(stderr, "%s: port.device is not set: name the NIC (PCI address) or a vdev\n",
			cfg);
		return EXIT_FAILURE;
	}
	if (check_only) {
		printf("%s: configuration OK\n", cfg);
		return EXIT_SUCCESS;
	}

	eargv = eal_argv(&conf, argv[0], argc - optind, argv + optind, &eargc);
	if (eargv == NULL) {
		fprintf(stderr, "out of memory\n");
		return EXIT_FAILURE;
	}
	/* rte_eal_init() permutes argv and aliases argv[0] into it: free through a copy. */
	eargv_owned = malloc(sizeof(*eargv) * (size_t)eargc);
	if (eargv_owned == NULL) {
		fprintf(stderr, "out of memory\n");
		return EXIT_FAILURE;
	}
	memcpy(eargv_owned, eargv, sizeof(*eargv) * (size_t)eargc);
	ret = rte_eal_init(eargc, eargv);
	if (ret < 0)
		rte_exit(EXIT_FAILURE, "EAL initialisation failed: %s\n", rte_strerror(rte_errno));

	twr.conf = &conf;
	twr.bench_sessions = bench_sessions;
	twr.start_tsc = rte_get_tsc_cycles();
	twr.nb_workers = (uint16_t)(rte_lcore_count() - 1);
	if (twr.nb_workers == 0)
		rte_exit(EXIT_FAILURE, "no worker lcore: eal.lcores needs at least two (control + "
			 "worker), e.g. \"0,1\"\n");
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);

	twr.clock_pub = rte_zmalloc("twr_clock", sizeof(*twr.clock_pub), RTE_CACHE_LINE_SIZE);
	if (twr.clock_pub == NULL)
		rte_exit(EXIT_FAILURE, "cannot allocate the clock\n");
	if (twr_clock_init(&twr) < 0)
		rte_exit(EXIT_FAILURE, "cannot start the clock (clock.source)\n");
	tai_offset_init(&twr);

	if (match_init(&twr) < 0 || workers_init(&twr) < 0 || twr_sessions_init(&twr) < 0 ||
	    twr_session_keys_init(&twr) < 0) {
		MAIN_LOG(ERR, "initialisation failed");
		goto out_workers;
	}
	if (bench_sessions != NULL && twr_bench_sessions_load(&twr, bench_sessions) < 0)
		goto out_workers;
	if (twr_ports_init(&twr) < 0 || workers_bind_port(&twr) < 0)
		goto out_ports;
	memory_log(&twr);
	if (twr_ctrl_init(&twr) < 0) {
		MAIN_LOG(ERR, "cannot start the TWAMP-Control server");
		goto out_ctrl;
	}
	twr_telemetry_init(&twr);

	RTE_LCORE_FOREACH_WORKER(lcore) {
		struct twr_worker *w = NULL;

		for (uint16_t i = 0; i < twr.nb_workers; i++)
			if (twr.workers[i].lcore == lcore)
				w = &twr.workers[i];
		rte_eal_remote_launch(twr_worker_main, w, lcore);
	}
	MAIN_LOG(NOTICE, "reflecting with %u worker(s); TWAMP Light on %u port range(s)",
		 twr.nb_workers, conf.light_enabled ? conf.nb_light_ports : 0);

	twr_control_loop(&twr);

	MAIN_LOG(NOTICE, "shutting down");
	rte_eal_mp_wait_lcore();
	twr_stats_print(&twr, stdout);
	fflush(stdout);
	rc = EXIT_SUCCESS;
out_ctrl:
	twr_ctrl_close(&twr);
out_ports:
	twr_ports_close(&twr);
out_workers:
	twr_sessions_free(&twr);
	twr_session_keys_fini();
	workers_free(&twr);
	rte_free(twr.match);
	rte_free(twr.clock_pub);
	rte_eal_cleanup();
	tw_conf_wipe_keys(&conf);	/* the shared secrets outlive nothing */
	for (int i = 0; i < eargc; i++)
		free(eargv_owned[i]);
	free(eargv_owned);
	free(eargv);
	return rc;
}
