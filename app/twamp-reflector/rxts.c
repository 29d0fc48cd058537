/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive timestamps of the data port: where T2 comes from.
 *
 *  - NIC: the port offers RTE_ETH_RX_OFFLOAD_TIMESTAMP; each packet carries the NIC clock's
 *    value in the mbuf's dynamic timestamp field (rte_mbuf_dyn_rx_timestamp_register()). The NIC
 *    clock is read by rte_eth_read_clock(), or, where the PMD has no read_clock but has IEEE 1588
 *    timesync (its RX timestamps are then the PHC's nanoseconds), by rte_eth_timesync_read_time().
 *    Those reads are bracketed by TSC reads, and the TSC is mapped to UTC by the appliance's own
 *    clock model, so a NIC-stamped T2 and a software T3 come from one clock: a lib/ts model of the
 *    NIC counter, resynchronised with the main model, published to the workers.
 *  - UNIX_US: net_pcap stamps every packet it reads from a capture with the capture's record
 *    time, in microseconds since the Unix epoch, without being asked (and refuses a configuration
 *    that asks: it advertises no RX offload). That is exactly what a golden test of T2 needs.
 *  - NONE: the burst's software T2 (TSC read right after rte_eth_rx_burst()).
 *
 * A packet without the flag falls back to the burst's software T2 and is counted (rx_ts_sw).
 */
/* rte_eth_read_clock() is still experimental in DPDK 22.11 (the only API for the NIC clock that
 * RX timestamps count in, on PMDs without timesync): opt in for this file only. */
#define ALLOW_EXPERIMENTAL_API

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>

#include "log.h"
#include "reflector.h"

enum {
	NIC_SAMPLES = 5,		/* bracketed reads per correlation; the narrowest wins */
	NIC_RATE_SPAN_MS = 20,		/* between the two samples that estimate the NIC clock rate */
};

static struct {
	bool timesync;			/* NIC clock read through rte_eth_timesync_read_time() */
	struct tw_ts_model model;	/* NIC counter -> UTC ns */
} nic;

static int
nic_read(uint16_t port, uint64_t *ticks)
{
	struct timespec ts;
	int ret;

	if (!nic.timesync)
		return rte_eth_read_clock(port, ticks);
	ret = rte_eth_timesync_read_time(port, &ts);
	if (ret == 0)
		*ticks = (uint64_t)ts.tv_sec * TW_TS_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
	return ret;
}

/* One (NIC ticks, UTC ns) pair: the NIC read bracketed by TSC reads, the TSC mapped to UTC. */
static int
nic_sample(const struct twr_app *app, uint64_t *ticks, uint64_t *ns)
{
	uint64_t best = UINT64_MAX, tsc = 0;
	struct tw_ts_params clk;
	int ret = -EIO;

	for (int i = 0; i < NIC_SAMPLES; i++) {
		uint64_t a, b, t;

		a = rte_rdtsc_precise();
		if (nic_read(app->port, &t) != 0)
			continue;
		b = rte_rdtsc_precise();
		if (b - a < best) {
			best = b - a;
			tsc = a + (b - a) / 2;
			*ticks = t;
			ret = 0;
		}
	}
	if (ret == 0) {
		tw_ts_pub_load(app->clock_pub, &clk);
		*ns = tw_ts_params_ns(&clk, tsc);
	}
	return ret;
}

static int
nic_clock_init(struct twr_app *app)
{
	uint64_t t0, n0, t1, n1, hz;
	int ret;

	/* read_clock first: the PMD's own definition of the unit of its RX timestamps. */
	nic.timesync = false;
	if (rte_eth_read_clock(app->port, &t0) != 0) {
		ret = rte_eth_timesync_enable(app->port);
		if (ret != 0)
			return -ENOTSUP;
		nic.timesync = true;
	}
	ret = nic_sample(app, &t0, &n0);
	if (ret == 0) {
		rte_delay_ms(NIC_RATE_SPAN_MS);
		ret = nic_sample(app, &t1, &n1);
	}
	if (ret != 0 || t1 <= t0 || n1 <= n0)
		return -EIO;
	hz = (uint64_t)((double)(t1 - t0) * 1e9 / (double)(n1 - n0));
	if (tw_ts_model_init(&nic.model, hz, t1, n1) != 0)
		return -EINVAL;
	app->rx_ts.nic_clock = rte_zmalloc("twr_nic_clock", sizeof(*app->rx_ts.nic_clock),
					   RTE_CACHE_LINE_SIZE);
	if (app->rx_ts.nic_clock == NULL)
		return -ENOMEM;
	tw_ts_pub_store(app->rx_ts.nic_clock, &nic.model.cur);
	PORT_LOG(INFO, "port %u: NIC clock %" PRIu64 " Hz (read with %s)", app->port, hz,
		 nic.timesync ? "rte_eth_timesync_read_time" : "rte_eth_read_clock");
	return 0;
}

int
twr_rx_ts_init(struct twr_app *app, bool offload)
{
	const struct tw_conf *c = app->conf;
	struct twr_rx_ts *r = &app->rx_ts;
	struct rte_eth_dev_info info;
	int flag_bit, ret;

	memset(r, 0, sizeof(*r));
	r->kind = TWR_RX_TS_NONE;
	r->what = "software (TSC, once per RX burst)";
	if (rte_eth_dev_info_get(app->port, &info) != 0)
		return -ENODEV;
	if (c->rx_ts == TW_CONF_RX_TS_SOFTWARE) {
		r->what = "software (TSC, once per RX burst; port.rx_timestamp: software)";
	} else if (offload) {
		ret = rte_mbuf_dyn_rx_timestamp_register(&r->off, &r->flag);
		if (ret == 0)
			ret = nic_clock_init(app);
		if (ret == 0) {
			r->kind = TWR_RX_TS_NIC;
			r->what = nic.timesync ? "NIC (RX timestamp offload, IEEE 1588 clock)" :
						 "NIC (RX timestamp offload, rte_eth_read_clock)";
		} else {
			PORT_LOG(WARNING, "port %u (%s): RX timestamps offered, but the NIC clock "
				 "cannot be read (%s): they cannot be turned into UTC", app->port,
				 info.driver_name, strerror(-ret));
		}
	} else if (strcmp(info.driver_name, "net_pcap") == 0) {
		r->off = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, NULL);
		flag_bit = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, NULL);
		if (r->off >= 0 && flag_bit >= 0) {
			r->flag = UINT64_C(1) << flag_bit;
			r->kind = TWR_RX_TS_UNIX_US;
			r->what = "capture record time (net_pcap, microseconds, UTC)";
		}
	}
	if (r->kind == TWR_RX_TS_NONE && c->rx_ts == TW_CONF_RX_TS_HARDWARE) {
		PORT_LOG(ERR, "port %u (%s) gives no usable receive timestamps: set "
			 "port.rx_timestamp to auto or software", app->port, info.driver_name);
		return -ENOTSUP;
	}
	PORT_LOG(INFO, "port %u (%s): T2 from %s", app->port, info.driver_name, r->what);
	return 0;
}

void
twr_rx_ts_sync(struct twr_app *app)
{
	uint64_t ticks, ns;

	if (app->rx_ts.kind != TWR_RX_TS_NIC || nic_sample(app, &ticks, &ns) != 0)
		return;
	/* Close the offset over one resync interval: the data path never sees a step. */
	tw_ts_model_update(&nic.model, ticks, ns,
			   nic.model.hz / 1000 * app->conf->clock_resync_ms);
	tw_ts_pub_store(app->rx_ts.nic_clock, &nic.model.cur);
}

void
twr_rx_ts_close(struct twr_app *app)
{
	if (app->rx_ts.kind == TWR_RX_TS_NIC && nic.timesync)
		rte_eth_timesync_disable(app->port);
	rte_free(app->rx_ts.nic_clock);
	app->rx_ts.nic_clock = NULL;
	app->rx_ts.kind = TWR_RX_TS_NONE;
}
