/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The main lcore: the control plane. It owns the clock model, moves exception-path packets
 * between the workers' rings and the TAP port (the only place that makes syscalls for packets),
 * and sleeps briefly when idle: nothing here is on the reflect path.
 */
#include <inttypes.h>
#include <stdio.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "log.h"
#include "reflector.h"

/*
 * One (TSC, CLOCK_REALTIME) correlation: the narrowest of a few reads brackets the wall-clock
 * read most tightly, so its midpoint is the best estimate of when it happened.
 */
static void
clock_sample(uint64_t *tsc, uint64_t *ns)
{
	uint64_t best = UINT64_MAX;

	*tsc = 0;
	*ns = 0;

	for (int i = 0; i < 5; i++) {
		struct timespec ts;
		uint64_t a, b;

		a = rte_rdtsc_precise();
		clock_gettime(CLOCK_REALTIME, &ts);
		b = rte_rdtsc_precise();
		if (b - a < best) {
			best = b - a;
			*tsc = a + (b - a) / 2;
			*ns = (uint64_t)ts.tv_sec * TW_TS_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
		}
	}
}

static uint16_t
clock_errest(struct twr_app *app)
{
	const struct tw_conf *c = app->conf;
	struct tw_ts_sync s = {
		.model_offset_ns = app->model.offset_ns,
		.synced_override = c->clock_synchronized == TW_CONF_AUTO ? -1 :
				   c->clock_synchronized == TW_CONF_ON ? 1 : 0,
		.ptp = c->ts_format == TW_CONF_TS_PTP,
	};
	struct timex tx = { 0 };
	int state;

	/* adjtimex(2) with modes 0 only reads: kernel NTP/PTP discipline state and error bounds. */
	state = adjtimex(&tx);
	s.kernel_unsync = state == -1 || state == TIME_ERROR || (tx.status & STA_UNSYNC);
	s.esterror_us = tx.esterror > 0 ? (uint64_t)tx.esterror : 0;
	s.maxerror_us = tx.maxerror > 0 ? (uint64_t)tx.maxerror : 0;
	return tw_ts_sync_errest(&s);
}

void
twr_clock_init(struct twr_app *app)
{
	uint64_t tsc, ns;

	clock_sample(&tsc, &ns);
	tw_ts_model_init(&app->model, rte_get_tsc_hz(), tsc, ns);
	app->model.cur.errest = clock_errest(app);
	app->clock_synced = tw_ts_errest_synced(app->model.cur.errest);
	app->clock_last_sync_ns = ns;
	tw_ts_pub_store(app->clock_pub, &app->model.cur);
	CLOCK_LOG(INFO, "TSC %" PRIu64 " Hz, wall clock %s, error estimate 0x%04x",
		  rte_get_tsc_hz(), app->clock_synced ? "synchronised" : "NOT synchronised",
		  app->model.cur.errest);
}

void
twr_clock_sync(struct twr_app *app)
{
	uint64_t tsc, ns, steps = app->model.steps;
	bool synced;

	clock_sample(&tsc, &ns);
	/* Close the offset over one resync interval, so the model tracks without stepping. */
	tw_ts_model_update(&app->model, tsc, ns,
			   rte_get_tsc_hz() / 1000 * app->conf->clock_resync_ms);
	app->model.cur.errest = clock_errest(app);
	tw_ts_pub_store(app->clock_pub, &app->model.cur);
	app->clock_last_sync_ns = ns;
	if (app->model.steps != steps)
		CLOCK_LOG(WARNING, "wall clock stepped (offset %" PRId64 " ns): model reset",
			  app->model.offset_ns);
	synced = tw_ts_errest_synced(app->model.cur.errest);
	if (synced != app->clock_synced)
		CLOCK_LOG(NOTICE, "wall clock now %s (error estimate 0x%04x)",
			  synced ? "synchronised" : "NOT synchronised", app->model.cur.errest);
	app->clock_synced = synced;
}

/* Worker rings -> kernel. @return packets moved. */
static unsigned int
exc_to_kernel(struct twr_app *app)
{
	struct rte_mbuf *pkts[TWR_BURST];
	unsigned int total = 0;

	for (uint16_t i = 0; i < app->nb_workers; i++) {
		struct twr_worker *w = &app->workers[i];
		unsigned int n;
		uint16_t sent;

		n = rte_ring_sc_dequeue_burst(w->exc_ring, (void **)pkts, TWR_BURST, NULL);
		if (n == 0)
			continue;
		if (app->tap_port == UINT16_MAX) {
			sent = 0;
		} else {
			sent = rte_eth_tx_burst(app->tap_port, 0, pkts, (uint16_t)n);
		}
		app->exc_to_kernel += sent;
		if (sent < n) {
			app->exc_to_kernel_drop += n - sent;
			rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
		}
		total += n;
	}
	return total;
}

/* Kernel -> wire, through worker 0's TX queue. @return packets moved. */
static unsigned int
exc_from_kernel(struct twr_app *app)
{
	struct rte_mbuf *pkts[TWR_BURST];
	unsigned int q;
	uint16_t n;

	if (app->tap_port == UINT16_MAX)
		return 0;
	n = rte_eth_rx_burst(app->tap_port, 0, pkts, TWR_BURST);
	if (n == 0)
		return 0;
	q = rte_ring_sp_enqueue_burst(app->workers[0].inject_ring, (void **)pkts, n, NULL);
	app->exc_from_kernel += q;
	if (q < n) {
		app->exc_from_kernel_drop += n - q;
		rte_pktmbuf_free_bulk(&pkts[q], n - q);
	}
	return n;
}

void
twr_control_loop(struct twr_app *app)
{
	const uint64_t hz = rte_get_tsc_hz();
	const uint64_t resync = hz / 1000 * app->conf->clock_resync_ms;
	uint64_t next_sync = rte_get_tsc_cycles() + resync;

	const uint64_t housekeep = hz / 10;
	uint64_t next_housekeep = rte_get_tsc_cycles() + housekeep;

	while (!app->quit) {
		unsigned int moved = exc_to_kernel(app) + exc_from_kernel(app);
		uint64_t now = rte_get_tsc_cycles();
		bool hk = now >= next_housekeep;

		if (now >= next_sync) {
			twr_clock_sync(app);
			next_sync = now + resync;
		}
		/* TWAMP-Control: sockets every turn, deadlines and session expiry ten times a second. */
		twr_ctrl_poll(app, hk);
		if (hk)
			next_housekeep = now + housekeep;
		/* Idle: yield the core (it may be shared with the kernel's own work). */
		if (moved == 0)
			usleep(50);
	}
}

void
twr_stats_sum(const struct twr_app *app, struct twr_worker_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (uint16_t i = 0; i < app->nb_workers; i++) {
		const struct twr_worker_stats *s = &app->workers[i].st;

		sum->rx_pkts += s->rx_pkts;
		sum->rx_bytes += s->rx_bytes;
		sum->tx_pkts += s->tx_pkts;
		sum->tx_bytes += s->tx_bytes;
		for (int v = 0; v < TW_V_MAX; v++)
			sum->verdict[v] += s->verdict[v];
		sum->drop_multiseg += s->drop_multiseg;
		sum->drop_tx_full += s->drop_tx_full;
		sum->drop_exc_full += s->drop_exc_full;
		sum->exc_pkts += s->exc_pkts;
		sum->inject_pkts += s->inject_pkts;
		sum->drop_inject_full += s->drop_inject_full;
		sum->bursts += s->bursts;
		sum->session_pkts += s->session_pkts;
		sum->drop_bad_hmac += s->drop_bad_hmac;
		sum->drop_crypto += s->drop_crypto;
	}
}

static void
port_print(FILE *f, const char *name, uint16_t port)
{
	struct rte_eth_stats st;

	if (rte_eth_stats_get(port, &st) != 0)
		return;
	fprintf(f, "  %s %u: ipackets %" PRIu64 " opackets %" PRIu64 " imissed %" PRIu64
		" ierrors %" PRIu64 " oerrors %" PRIu64 " rx_nombuf %" PRIu64 "\n", name, port,
		st.ipackets, st.opackets, st.imissed, st.ierrors, st.oerrors, st.rx_nombuf);
}

void
twr_stats_print(const struct twr_app *app, FILE *f)
{
	struct twr_worker_stats s;

	twr_stats_sum(app, &s);
	fprintf(f, "twamp-reflector counters:\n");
	fprintf(f, "  %-24s %" PRIu64 "\n", "rx_packets", s.rx_pkts);
	fprintf(f, "  %-24s %" PRIu64 "\n", "tx_reflected", s.tx_pkts);
	for (int v = 0; v < TW_V_MAX; v++)
		fprintf(f, "  %-24s %" PRIu64 "\n", tw_refl_verdict_name(v), s.verdict[v]);
	fprintf(f, "  %-24s %" PRIu64 "\n", "drop_bad_hmac", s.drop_bad_hmac);
	fprintf(f, "  %-24s %" PRIu64 "\n", "drop_crypto", s.drop_crypto);
	fprintf(f, "  %-24s %" PRIu64 "\n", "drop_multiseg", s.drop_multiseg);
	fprintf(f, "  %-24s %" PRIu64 "\n", "drop_tx_full", s.drop_tx_full);
	fprintf(f, "  %-24s %" PRIu64 "\n", "drop_exception_full", s.drop_exc_full);
	fprintf(f, "  %-24s %" PRIu64 "\n", "exception_to_kernel", app->exc_to_kernel);
	fprintf(f, "  %-24s %" PRIu64 "\n", "exception_to_kernel_drop", app->exc_to_kernel_drop);
	fprintf(f, "  %-24s %" PRIu64 "\n", "exception_from_kernel", app->exc_from_kernel);
	fprintf(f, "  %-24s %" PRIu64 "\n", "exception_from_kernel_drop",
		app->exc_from_kernel_drop + s.drop_inject_full);
	port_print(f, "data port", app->port);
	if (app->tap_port != UINT16_MAX)
		port_print(f, "exception port", app->tap_port);
}
