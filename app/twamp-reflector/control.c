/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The main lcore: the control plane. It owns the clock model, moves exception-path packets
 * between the workers' rings and the TAP port (the only place that makes syscalls for packets),
 * and sleeps briefly when idle: nothing here is on the reflect path.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "log.h"
#include "reflector.h"

/*
 * A dynamic POSIX clock from the descriptor of its character device (/dev/ptpN): the kernel's
 * CLOCKFD encoding (include/linux/posix-timers.h), as its selftest testptp.c writes it.
 */
#define FD_TO_CLOCKID(fd) ((~(clockid_t)(fd) << 3) | 3)

enum clock_limits {
	CLOCK_READS = 5,		/* bracketed reads per sample: the narrowest one is kept */
	CLOCK_PHC_FAR_NS = 1000000000,	/* a PHC this far from CLOCK_REALTIME gets a warning */
};

static clockid_t clock_id = CLOCK_REALTIME;	/* cp: the source's clock */
static uint64_t clock_prev_read_ns;		/* cp: the previous sample's read bracket */
static bool clock_ready;			/* cp: twr_clock_init() succeeded */

/*
 * One (TSC, source) correlation: the narrowest of a few TSC-bracketed reads brackets the source
 * read most tightly, so its midpoint is the best estimate of when it happened, and the width is
 * how far off that estimate can be. @return 0, or -errno of clock_gettime (every read failed).
 */
static int
clock_sample(clockid_t id, uint64_t *tsc, uint64_t *ns, uint64_t *width)
{
	uint64_t best = UINT64_MAX;
	int rc = -EIO;

	for (int i = 0; i < CLOCK_READS; i++) {
		struct timespec ts;
		uint64_t a, b;

		a = rte_rdtsc_precise();
		if (clock_gettime(id, &ts) != 0) {
			rc = -errno;
			continue;
		}
		b = rte_rdtsc_precise();
		if (b - a < best) {
			best = b - a;
			*tsc = a + (b - a) / 2;
			*ns = (uint64_t)ts.tv_sec * TW_TS_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
		}
	}
	if (best == UINT64_MAX)
		return rc;
	*width = best;
	return 0;
}

/*
 * A sample of the source as UTC. CLOCK_TAI and a PHC under ptp4l count TAI: the kernel's TAI
 * offset, read just before, takes them to UTC (when the offset changes at a leap second, the
 * result steps like CLOCK_REALTIME does, and the model logs a step). The read term of the Error
 * Estimate is the wider bracket of this sample and the previous one: the model's error between
 * them depends on both (tw_ts_sync_decide). @return 0 or -errno.
 */
static int
source_sample(struct twr_app *app, uint64_t *tsc, uint64_t *utc)
{
	struct tw_ts_sync *s = &app->clock_sync;
	const uint64_t hz = rte_get_tsc_hz();
	uint64_t ns, width, read_ns;
	int rc = clock_sample(clock_id, tsc, &ns, &width);

	if (rc != 0)
		return rc;
	read_ns = (uint64_t)(((unsigned __int128)width * TW_TS_NSEC_PER_SEC + hz - 1) / hz);
	s->read_ns = read_ns > clock_prev_read_ns ? read_ns : clock_prev_read_ns;
	clock_prev_read_ns = read_ns;
	*utc = s->source == TW_TS_SRC_REALTIME ? ns : tw_ts_utc_from_tai_ns(ns, s->tai_s);
	return 0;
}

/* A PHC is compared with the system clock: the model (PHC as UTC) minus CLOCK_REALTIME. */
static void
realtime_offset(struct twr_app *app)
{
	uint64_t tsc, ns, width;

	if (app->clock_sync.source != TW_TS_SRC_PHC)
		return;
	if (clock_sample(CLOCK_REALTIME, &tsc, &ns, &width) == 0)
		app->clock_sync.realtime_offset_ns =
			(int64_t)(tw_ts_model_ns(&app->model, tsc) - ns);
}

/* The Error Estimate of the params about to be published (lib/ts decides, never with Z). */
static void
clock_decide(struct twr_app *app)
{
	app->clock_sync.model_offset_ns = app->model.offset_ns;
	tw_ts_sync_decide(&app->clock_sync, &app->clock_state);
	app->model.cur.errest = app->clock_state.errest;
	app->clock_synced = app->clock_state.synced;
}

static const char *
source_name(const struct twr_app *app)
{
	return app->clock_sync.source == TW_TS_SRC_PHC ? app->conf->clock_phc :
	       app->clock_sync.source == TW_TS_SRC_TAI ? "CLOCK_TAI" : "CLOCK_REALTIME";
}

/* What the operator should know about the clock before the first packet. */
static void
clock_log_start(const struct twr_app *app)
{
	const struct tw_conf *c = app->conf;
	const struct tw_ts_sync *s = &app->clock_sync;
	const struct tw_ts_sync_state *st = &app->clock_state;

	if (s->source == TW_TS_SRC_REALTIME)
		CLOCK_LOG(INFO, "TSC %" PRIu64 " Hz following %s", rte_get_tsc_hz(),
			  source_name(app));
	else
		CLOCK_LOG(INFO, "TSC %" PRIu64 " Hz following %s minus the kernel's TAI offset "
			  "(%d s)", rte_get_tsc_hz(), source_name(app), s->tai_s);
	CLOCK_LOG(INFO, "timestamps %s (%s), error estimate 0x%04x (%" PRIu64 " ns, Z bit per "
		  "answer)", st->synced ? "synchronised" : "NOT synchronised",
		  tw_ts_sync_why_str(st->why), st->errest, st->err_ns);
	if (s->source == TW_TS_SRC_TAI && s->tai_s == 0)
		CLOCK_LOG(WARNING, "clock.source tai: the kernel's TAI offset is 0, so it was "
			  "probably never set (chrony's leapsectz or phc2sys -a/-w set it); "
			  "CLOCK_TAI then reads UTC, which keeps these timestamps right");
	if (s->source == TW_TS_SRC_PHC && s->tai_s == 0)
		CLOCK_LOG(WARNING, "clock.phc %s: the kernel's TAI offset is 0 (not set), so a "
			  "PHC on the PTP timescale cannot be turned into UTC: timestamps are "
			  "probably 37 s ahead and stated unsynchronised until phc2sys -a/-w (or "
			  "chrony's leapsectz) sets it", c->clock_phc);
	if (s->source == TW_TS_SRC_PHC && s->synced_override == -1)
		CLOCK_LOG(NOTICE, "clock.phc %s with synchronized: auto: the kernel cannot vouch "
			  "for a PHC, so its timestamps are stated unsynchronised; when ptp4l "
			  "disciplines it, set clock.synchronized: yes and clock.error_ns",
			  c->clock_phc);
	if (s->source == TW_TS_SRC_PHC && s->synced_override == 1 && s->claimed_ns == 0)
		CLOCK_LOG(NOTICE, "clock.phc %s, synchronized: yes without error_ns: the stated "
			  "error is the system clock's maxerror plus its distance to the PHC",
			  c->clock_phc);
	if (s->claimed_ns != 0 && s->synced_override != 1)
		CLOCK_LOG(WARNING, "clock.error_ns is a claim for synchronized: yes only; ignored");
	if (s->source == TW_TS_SRC_PHC && s->tai_s != 0 &&
	    (s->realtime_offset_ns > CLOCK_PHC_FAR_NS || s->realtime_offset_ns < -CLOCK_PHC_FAR_NS))
		CLOCK_LOG(WARNING, "clock.phc %s is %" PRId64 " ns from CLOCK_REALTIME (as UTC): "
			  "is it disciplined?", c->clock_phc, s->realtime_offset_ns);
}

int
twr_clock_init(struct twr_app *app)
{
	const struct tw_conf *c = app->conf;
	struct tw_ts_sync *s = &app->clock_sync;
	uint64_t tsc = 0, ns = 0;
	int rc;

	memset(s, 0, sizeof(*s));
	clock_ready = false;
	app->clock_fd = -1;
	s->synced_override = c->clock_synchronized == TW_CONF_AUTO ? -1 :
			     c->clock_synchronized == TW_CONF_ON ? 1 : 0;
	s->claimed_ns = c->clock_error_ns;
	switch (c->clock_source) {
	case TW_CONF_CLOCK_TAI:
		s->source = TW_TS_SRC_TAI;
		clock_id = CLOCK_TAI;
		break;
	case TW_CONF_CLOCK_PHC:
		s->source = TW_TS_SRC_PHC;
		/* Read-only: clock_gettime needs no more, and we never adjust ptp4l's clock. */
		app->clock_fd = open(c->clock_phc, O_RDONLY | O_CLOEXEC);
		if (app->clock_fd < 0) {
			rc = -errno;
			CLOCK_LOG(ERR, "clock.phc %s: cannot open it: %s", c->clock_phc,
				  strerror(-rc));
			return rc;
		}
		clock_id = FD_TO_CLOCKID(app->clock_fd);
		break;
	default:
		s->source = TW_TS_SRC_REALTIME;
		clock_id = CLOCK_REALTIME;
		break;
	}

	tw_ts_sync_read_kernel(s);
	rc = source_sample(app, &tsc, &ns);
	if (rc != 0) {
		CLOCK_LOG(ERR, "clock.source %s: cannot read %s: %s%s",
			  tw_ts_source_str(s->source), source_name(app), strerror(-rc),
			  s->source == TW_TS_SRC_PHC ? " (not a PTP hardware clock?)" : "");
		if (app->clock_fd >= 0)
			close(app->clock_fd);
		app->clock_fd = -1;
		return rc;
	}
	tw_ts_model_init(&app->model, rte_get_tsc_hz(), tsc, ns);
	realtime_offset(app);
	clock_decide(app);
	app->clock_last_sync_ns = ns;
	app->clock_last_sync_tsc = tsc;
	tw_ts_pub_store(app->clock_pub, &app->model.cur);
	clock_ready = true;
	clock_log_start(app);
	return 0;
}

void
twr_clock_reload(struct twr_app *app)
{
	const struct tw_conf *c = app->conf;
	struct tw_ts_sync *s = &app->clock_sync;

	s->synced_override = c->clock_synchronized == TW_CONF_AUTO ? -1 :
			     c->clock_synchronized == TW_CONF_ON ? 1 : 0;
	s->claimed_ns = c->clock_error_ns;
}

void
twr_clock_sync(struct twr_app *app)
{
	struct tw_ts_sync *s = &app->clock_sync;
	const enum tw_ts_sync_why why = app->clock_state.why;
	const bool was_lost = s->source_lost;
	const int32_t tai = s->tai_s;
	uint64_t tsc = 0, ns = 0, steps = app->model.steps;
	int rc;

	/* No model to feed: the caller should have stopped on twr_clock_init()'s error. */
	if (!clock_ready)
		return;
	tw_ts_sync_read_kernel(s);
	rc = source_sample(app, &tsc, &ns);
	s->source_lost = rc != 0;
	if (rc == 0) {
		/* Close the offset over one resync interval: the model tracks without stepping. */
		tw_ts_model_update(&app->model, tsc, ns,
				   rte_get_tsc_hz() / 1000 * app->conf->clock_resync_ms);
		realtime_offset(app);
		app->clock_last_sync_ns = ns;
		app->clock_last_sync_tsc = tsc;
	} else if (!was_lost) {
		CLOCK_LOG(ERR, "cannot read %s: %s: free-running on the TSC, stated unsynchronised",
			  source_name(app), strerror(-rc));
	}
	clock_decide(app);
	tw_ts_pub_store(app->clock_pub, &app->model.cur);
	/* PTPv2 stamps follow the kernel's TAI offset through a leap second, no restart. */
	app->tai_offset_s = s->tai_s > 0 ? (uint32_t)s->tai_s : 0;
	/* The NIC clock is mapped through this model: resynchronise it right after. */
	twr_rx_ts_sync(app);

	if (app->model.steps != steps)
		CLOCK_LOG(WARNING, "wall clock stepped (offset %" PRId64 " ns): model reset",
			  app->model.offset_ns);
	if (s->tai_s != tai && s->source != TW_TS_SRC_REALTIME)
		CLOCK_LOG(NOTICE, "kernel TAI offset now %d s (was %d)", s->tai_s, tai);
	if (app->clock_state.why != why)
		CLOCK_LOG(NOTICE, "clock now %s (%s), error estimate 0x%04x (%" PRIu64 " ns)",
			  app->clock_state.synced ? "synchronised" : "NOT synchronised",
			  tw_ts_sync_why_str(app->clock_state.why), app->clock_state.errest,
			  app->clock_state.err_ns);
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

enum {
	TWR_IDLE_MIN_US = 50,	/* control loop sleep after a turn that moved packets */
	TWR_IDLE_MAX_US = 800,	/* ... doubling up to this while nothing moves */
};

void
twr_control_loop(struct twr_app *app)
{
	const uint64_t hz = rte_get_tsc_hz();
	const uint64_t resync = hz / 1000 * app->conf->clock_resync_ms;
	uint64_t next_sync = rte_get_tsc_cycles() + resync;

	const uint64_t housekeep = hz / 10;
	uint64_t next_housekeep = rte_get_tsc_cycles() + housekeep;
	unsigned int idle_us = TWR_IDLE_MIN_US;

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
		if (unlikely(app->reload))
			twr_reload(app);
		if (hk) {
			next_housekeep = now + housekeep;
			/* Links: the data port flapping, the exception interface set down and up. */
			twr_ports_watch(app);
		}
		/*
		 * Idle: yield the core (it may be shared with the kernel's own work, or with a worker
		 * on a small machine), longer the longer nothing comes: 20,000 wake-ups a second cost
		 * a worker sharing this CPU about a tenth of its packets (docs/performance.rst), 1,000
		 * cost it little. The first exception packet after a quiet spell waits at most
		 * TWR_IDLE_MAX_US; then the loop is quick again.
		 */
		if (moved == 0) {
			usleep(idle_us);
			if (idle_us < TWR_IDLE_MAX_US)
				idle_us *= 2;
		} else {
			idle_us = TWR_IDLE_MIN_US;
		}
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
		sum->rx_ts_hw += s->rx_ts_hw;
		sum->rx_ts_sw += s->rx_ts_sw;
		for (int k = 0; k < TWR_T3_KINDS; k++) {
			sum->t3_lead[k] += s->t3_lead[k];
			sum->t3_bursts[k] += s->t3_bursts[k];
		}
		sum->busy_tsc += s->busy_tsc;
		sum->empty_polls += s->empty_polls;
		sum->dist_pkts += s->dist_pkts;
		sum->drop_dist_full += s->drop_dist_full;
		sum->dist_answers += s->dist_answers;
		sum->answers_queued += s->answers_queued;
		sum->drop_answer_full += s->drop_answer_full;
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
	fprintf(f, "  %-24s %" PRIu64 "\n", "rx_timestamp_port", s.rx_ts_hw);
	fprintf(f, "  %-24s %" PRIu64 "\n", "rx_timestamp_fallback", s.rx_ts_sw);
	fprintf(f, "  %-24s %" PRIu64 "\n", "drop_multiseg", s.drop_multiseg);
	fprintf(f, "  %-24s %" PRIu64 "\n", "drop_tx_full", s.drop_tx_full);
	fprintf(f, "  %-24s %" PRIu64 "\n", "drop_exception_full", s.drop_exc_full);
	fprintf(f, "  %-24s %" PRIu64 "\n", "exception_to_kernel", app->exc_to_kernel);
	fprintf(f, "  %-24s %" PRIu64 "\n", "exception_to_kernel_drop", app->exc_to_kernel_drop);
	fprintf(f, "  %-24s %" PRIu64 "\n", "exception_from_kernel", app->exc_from_kernel);
	fprintf(f, "  %-24s %" PRIu64 "\n", "exception_from_kernel_drop",
		app->exc_from_kernel_drop + s.drop_inject_full);
	fprintf(f, "  %-24s %" PRIu64 "\n", "drop_distribute_full", s.drop_dist_full);
	fprintf(f, "  %-24s %" PRIu64 "\n", "drop_answer_full", s.drop_answer_full);
	/* Per worker: what each did and its CPU use over the run (busy cycles / uptime). */
	for (uint16_t i = 0; i < app->nb_workers; i++) {
		const struct twr_worker_stats *w = &app->workers[i].st;
		uint64_t up = rte_get_tsc_cycles() - app->start_tsc;

		fprintf(f, "  worker %u (lcore %u%s): rx %" PRIu64 " reflected %" PRIu64
			" tx %" PRIu64 " busy_tsc %" PRIu64 " (%.1f%% of uptime) empty_polls %"
			PRIu64 "\n", i, app->workers[i].lcore,
			app->dist == TWR_DIST_SOFTWARE ? (i == 0 ? ", RX/TX" : ", by ring") : "",
			w->rx_pkts, w->verdict[TW_V_REFLECT], w->tx_pkts, w->busy_tsc,
			up ? 100.0 * (double)w->busy_tsc / (double)up : 0.0, w->empty_polls);
	}
	port_print(f, "data port", app->port);
	if (app->tap_port != UINT16_MAX)
		port_print(f, "exception port", app->tap_port);
}
