/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry endpoints (dpdk-telemetry.py): /twamp/stats (totals), /twamp/workers,N (one
 * worker: counters, CPU use, its crypto path), /twamp/ports, /twamp/clock, /twamp/flows. Counters are read without locks while workers write them:
 * each is a naturally aligned 64-bit word, so a read sees an old or a new value, never a torn one.
 */
#include <inttypes.h>
#include <stdio.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "ike.h"
#include "reflector.h"

static struct twr_app *app;

static void
add_stats(struct rte_tel_data *d, const struct twr_worker_stats *s)
{
	rte_tel_data_add_dict_u64(d, "rx_packets", s->rx_pkts);
	rte_tel_data_add_dict_u64(d, "rx_bytes", s->rx_bytes);
	rte_tel_data_add_dict_u64(d, "tx_reflected", s->tx_pkts);
	rte_tel_data_add_dict_u64(d, "tx_bytes", s->tx_bytes);
	for (int v = 0; v < TW_V_MAX; v++)
		rte_tel_data_add_dict_u64(d, tw_refl_verdict_name(v), s->verdict[v]);
	rte_tel_data_add_dict_u64(d, "drop_multiseg", s->drop_multiseg);
	rte_tel_data_add_dict_u64(d, "drop_tx_full", s->drop_tx_full);
	rte_tel_data_add_dict_u64(d, "drop_exception_full", s->drop_exc_full);
	rte_tel_data_add_dict_u64(d, "exception_packets", s->exc_pkts);
	rte_tel_data_add_dict_u64(d, "inject_packets", s->inject_pkts);
	rte_tel_data_add_dict_u64(d, "drop_inject_full", s->drop_inject_full);
	rte_tel_data_add_dict_u64(d, "bursts", s->bursts);
	rte_tel_data_add_dict_u64(d, "session_packets", s->session_pkts);
	rte_tel_data_add_dict_u64(d, "drop_bad_hmac", s->drop_bad_hmac);
	rte_tel_data_add_dict_u64(d, "drop_crypto", s->drop_crypto);
	/* T2: from the port's own timestamps, or (lacking one) the burst's software read */
	rte_tel_data_add_dict_u64(d, "rx_timestamp_port", s->rx_ts_hw);
	rte_tel_data_add_dict_u64(d, "rx_timestamp_fallback", s->rx_ts_sw);
	/* T3 to rte_eth_tx_burst(): mean ns per burst, by the kind of T3 the burst carries */
	for (int k = 0; k < TWR_T3_KINDS; k++) {
		static const char *const names[TWR_T3_KINDS] = {
			"t3_to_tx_ns_unauth", "t3_to_tx_ns_auth", "t3_to_tx_ns_enc" };

		/* mean cycles first: the sum of cycles times 1e9 would overflow within seconds */
		rte_tel_data_add_dict_u64(d, names[k], s->t3_bursts[k] == 0 ? 0 :
					  s->t3_lead[k] / s->t3_bursts[k] * 1000000000ULL /
					  rte_get_tsc_hz());
	}
	/* CPU use: TSC cycles in bursts that brought packets (RX to TX), and polls that did not.
	 * Busy share of a worker over an interval = delta busy_tsc / (delta seconds * tsc_hz). */
	rte_tel_data_add_dict_u64(d, "busy_tsc", s->busy_tsc);
	rte_tel_data_add_dict_u64(d, "empty_polls", s->empty_polls);
	/* Software distribution: the RX worker's hand-overs, the other workers' answers back */
	rte_tel_data_add_dict_u64(d, "distributed_packets", s->dist_pkts);
	rte_tel_data_add_dict_u64(d, "drop_distribute_full", s->drop_dist_full);
	rte_tel_data_add_dict_u64(d, "distributed_answers_sent", s->dist_answers);
	rte_tel_data_add_dict_u64(d, "answers_queued", s->answers_queued);
	rte_tel_data_add_dict_u64(d, "drop_answer_full", s->drop_answer_full);
}

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct twr_worker_stats s;
	/* When the counters were read: a rate from two replies needs no trust in the latency of
	 * the telemetry socket (its thread may share a CPU with a polling worker). */
	uint64_t tsc = rte_get_tsc_cycles();

	twr_stats_sum(app, &s);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "tsc", tsc);
	rte_tel_data_add_dict_u64(d, "workers", app->nb_workers);
	rte_tel_data_add_dict_string(d, "distribution",
				     app->dist == TWR_DIST_RSS ? "rss" : "software");
	rte_tel_data_add_dict_u64(d, "queue_pairs", app->nb_queues);
	rte_tel_data_add_dict_u64(d, "tsc_hz", rte_get_tsc_hz());
	rte_tel_data_add_dict_u64(d, "uptime_s",
				  (rte_get_tsc_cycles() - app->start_tsc) / rte_get_tsc_hz());
	add_stats(d, &s);
	rte_tel_data_add_dict_u64(d, "exception_to_kernel", app->exc_to_kernel);
	rte_tel_data_add_dict_u64(d, "exception_to_kernel_drop", app->exc_to_kernel_drop);
	rte_tel_data_add_dict_u64(d, "exception_from_kernel", app->exc_from_kernel);
	rte_tel_data_add_dict_u64(d, "exception_from_kernel_drop", app->exc_from_kernel_drop);
	rte_tel_data_add_dict_u64(d, "data_link_changes", app->data_link_changes);
	rte_tel_data_add_dict_u64(d, "exception_link_changes", app->tap_link_changes);
	rte_tel_data_add_dict_u64(d, "config_reloads", app->reloads_ok);
	rte_tel_data_add_dict_u64(d, "config_reloads_failed", app->reloads_failed);
	return 0;
}

static int
tel_worker(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char *end;
	unsigned long id;

	if (params == NULL || *params == '\0')
		return -EINVAL;
	id = strtoul(params, &end, 10);
	if (*end != '\0' || id >= app->nb_workers)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "lcore", app->workers[id].lcore);
	rte_tel_data_add_dict_u64(d, "queue", app->workers[id].queue);
	/* software distribution: only worker 0 polls the port; the others get packets by ring */
	rte_tel_data_add_dict_int(d, "polls_port", app->workers[id].has_queue);
	/* the IPsec-MB code path this worker's manager uses (best the CPU has, picked at start) */
	rte_tel_data_add_dict_string(d, "crypto_arch",
				     tw_tcrypt_mgr_describe(app->workers[id].tcrypt));
	add_stats(d, &app->workers[id].st);
	return 0;
}

/* int64 values go through int where they fit the API (22.11 has no int64 dict entry). */
static int
clamp_int(int64_t v)
{
	return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int)v;
}

static const char *
ts_format_name(enum tw_conf_ts_format f)
{
	return f == TW_CONF_TS_NTP ? "ntp" : f == TW_CONF_TS_PTP ? "ptp" : "auto";
}

/*
 * The clock model and its Error Estimate: where the time comes from, how far the model is from
 * it, whether the packets say synchronised and why. Read racily from the control lcore's state,
 * field by field (a display, never an input).
 */
static int
tel_clock(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct tw_ts_model *m = &app->model;
	const struct tw_ts_sync *s = &app->clock_sync;
	const struct tw_ts_sync_state *st = &app->clock_state;
	uint64_t hz = rte_get_tsc_hz();
	char ee[8];

	snprintf(ee, sizeof(ee), "0x%04x", m->cur.errest);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "source", tw_ts_source_str(s->source));
	if (s->source == TW_TS_SRC_PHC)
		rte_tel_data_add_dict_string(d, "device", app->conf->clock_phc);
	rte_tel_data_add_dict_u64(d, "tsc_hz", m->hz);
	rte_tel_data_add_dict_int(d, "offset_ns", clamp_int(m->offset_ns));
	rte_tel_data_add_dict_int(d, "drift_ppb", clamp_int(m->drift_ppb));
	rte_tel_data_add_dict_u64(d, "samples", m->samples);
	rte_tel_data_add_dict_u64(d, "steps", m->steps);
	rte_tel_data_add_dict_u64(d, "last_sync_unix_ns", app->clock_last_sync_ns);
	rte_tel_data_add_dict_u64(d, "last_sync_age_ms",
				  (rte_get_tsc_cycles() - app->clock_last_sync_tsc) / (hz / 1000));
	rte_tel_data_add_dict_u64(d, "read_bracket_ns", s->read_ns);
	rte_tel_data_add_dict_int(d, "source_lost", s->source_lost);
	/* the S bit and why: kernel, configured, kernel_unsync, phc_not_configured, ... */
	rte_tel_data_add_dict_int(d, "synchronised", st->synced);
	rte_tel_data_add_dict_string(d, "sync_reason", tw_ts_sync_why_str(st->why));
	rte_tel_data_add_dict_int(d, "kernel_unsync", s->kernel_unsync);
	rte_tel_data_add_dict_u64(d, "kernel_maxerror_us", s->maxerror_us);
	rte_tel_data_add_dict_u64(d, "kernel_esterror_us", s->esterror_us);
	/* clock.error_ns as configured; it is the claim only with synchronized: yes */
	rte_tel_data_add_dict_u64(d, "claimed_error_ns", s->claimed_ns);
	rte_tel_data_add_dict_int(d, "claim_used", st->why == TW_TS_WHY_CONFIGURED &&
				  s->claimed_ns != 0 && !s->source_lost);
	rte_tel_data_add_dict_u64(d, "error_bound_ns", st->err_ns);
	/* S, Scale, Multiplier as published: each answer adds Z for PTPv2 (RFC 8186 §2.3) */
	rte_tel_data_add_dict_string(d, "error_estimate", ee);
	rte_tel_data_add_dict_u64(d, "error_estimate_ns", tw_ts_errest_ns(m->cur.errest));
	rte_tel_data_add_dict_int(d, "tai_offset_s", s->tai_s);
	if (s->source == TW_TS_SRC_PHC) {
		/* a string: 37 s (a missing TAI offset) does not fit the int entry */
		char off[24];

		snprintf(off, sizeof(off), "%" PRId64, s->realtime_offset_ns);
		rte_tel_data_add_dict_string(d, "minus_realtime_ns", off);
	}
	rte_tel_data_add_dict_string(d, "format", ts_format_name(app->conf->ts_format));
	return 0;
}

static int
tel_flows(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tw_flow_stats sum = { 0 };
	uint64_t cap = 0;

	for (uint16_t i = 0; i < app->nb_workers; i++) {
		struct tw_flow_stats s;

		tw_flow_get_stats(app->workers[i].refl.flows, &s);
		sum.inserts += s.inserts;
		sum.expired_reused += s.expired_reused;
		sum.full += s.full;
		sum.live += s.live;
		cap += tw_flow_capacity(app->workers[i].refl.flows);
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "capacity", cap);
	rte_tel_data_add_dict_u64(d, "entries", sum.live);
	rte_tel_data_add_dict_u64(d, "inserts", sum.inserts);
	rte_tel_data_add_dict_u64(d, "idle_reused", sum.expired_reused);
	rte_tel_data_add_dict_u64(d, "full", sum.full);
	return 0;
}

static void
add_port(struct rte_tel_data *d, const char *name, uint16_t port)
{
	struct rte_tel_data *p = rte_tel_data_alloc();
	struct rte_eth_stats st;

	if (p == NULL)
		return;
	rte_tel_data_start_dict(p);
	rte_tel_data_add_dict_u64(p, "port_id", port);
	if (rte_eth_stats_get(port, &st) == 0) {
		rte_tel_data_add_dict_u64(p, "ipackets", st.ipackets);
		rte_tel_data_add_dict_u64(p, "opackets", st.opackets);
		rte_tel_data_add_dict_u64(p, "ibytes", st.ibytes);
		rte_tel_data_add_dict_u64(p, "obytes", st.obytes);
		rte_tel_data_add_dict_u64(p, "imissed", st.imissed);
		rte_tel_data_add_dict_u64(p, "ierrors", st.ierrors);
		rte_tel_data_add_dict_u64(p, "oerrors", st.oerrors);
		rte_tel_data_add_dict_u64(p, "rx_nombuf", st.rx_nombuf);
	}
	rte_tel_data_add_dict_container(d, name, p, 0);
}

/* The ports as the PMDs count them (what the NIC saw, before any verdict of ours). */
static int
tel_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	add_port(d, "data", app->port);
	rte_tel_data_add_dict_string(d, "data_rx_timestamp", app->rx_ts.what);
	/* No PMD here reports when an arbitrary packet left (docs/timestamps.rst): T3 is software. */
	rte_tel_data_add_dict_string(d, "data_tx_timestamp", "software T3 (no NIC TX timestamps)");
	if (app->tap_port != UINT16_MAX)
		add_port(d, "exception", app->tap_port);
	return 0;
}

/* DPDK 22.11 telemetry drops dict names outside [A-Za-z0-9_/]: "bad-hmac" -> "bad_hmac". */
static void
tel_name(char *buf, size_t len, const char *prefix, const char *reason)
{
	snprintf(buf, len, "%s%s", prefix, reason);
	for (char *p = buf; *p != '\0'; p++)
		if (*p == '-')
			*p = '_';
}

/* TWAMP-Control: connections, sessions, refusals by reason, closes by reason. */
static int
tel_control(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct twr_ctrl_stats st;
	struct twr_ike_stats ik;
	unsigned int conns, sessions;
	char name[64];

	twr_ctrl_stats_get(&st, &conns, &sessions);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "enabled", app->conf->control_enabled);
	rte_tel_data_add_dict_u64(d, "connections", conns);
	rte_tel_data_add_dict_u64(d, "sessions", sessions);
	rte_tel_data_add_dict_u64(d, "sessions_in_data_plane", app->nb_sessions);
	rte_tel_data_add_dict_u64(d, "connections_accepted", st.conns_accepted);
	rte_tel_data_add_dict_u64(d, "connections_refused", st.conns_refused);
	rte_tel_data_add_dict_u64(d, "connections_refused_max_total", st.conns_refused_total);
	rte_tel_data_add_dict_u64(d, "connections_refused_max_per_source", st.conns_refused_source);
	rte_tel_data_add_dict_u64(d, "connections_refused_rate", st.conns_refused_rate);
	rte_tel_data_add_dict_u64(d, "connections_refused_memory", st.conns_refused_memory);
	rte_tel_data_add_dict_u64(d, "sessions_accepted", st.sessions_accepted);
	rte_tel_data_add_dict_u64(d, "sessions_started", st.sessions_started);
	rte_tel_data_add_dict_u64(d, "sessions_removed", st.sessions_removed);
	rte_tel_data_add_dict_u64(d, "unknown_keyid", st.unknown_keyid);
	rte_tel_data_add_dict_u64(d, "unknown_ike_sa", st.unknown_ike_sa);
	rte_tel_data_add_dict_u64(d, "ike_failed", st.ike_failed);
	rte_tel_data_add_dict_u64(d, "refused_address", st.refused_address);
	rte_tel_data_add_dict_u64(d, "refused_max_sessions", st.refused_limit);
	rte_tel_data_add_dict_u64(d, "refused_port", st.refused_port);
	for (int r = 0; r < TW_CTRL_REFUSE_MAX; r++) {
		tel_name(name, sizeof(name), "refused_", tw_ctrl_refuse_str(r));
		rte_tel_data_add_dict_u64(d, name, st.refused[r]);
	}
	for (int r = 1; r < TW_CTRL_CLOSE_MAX; r++) {
		tel_name(name, sizeof(name), "closed_", tw_ctrl_close_str(r));
		rte_tel_data_add_dict_u64(d, name, st.closed[r]);
	}
	/* RFC 7717 key provider (ike.c) */
	twr_ike_stats_get(&ik);
	rte_tel_data_add_dict_string(d, "ike_provider", twr_ike_provider_name());
	rte_tel_data_add_dict_int(d, "ike_daemon_connected", ik.connected);
	rte_tel_data_add_dict_u64(d, "ike_lookups", ik.requests);
	rte_tel_data_add_dict_u64(d, "ike_ok", ik.ok);
	rte_tel_data_add_dict_u64(d, "ike_no_sa", ik.no_sa);
	rte_tel_data_add_dict_u64(d, "ike_errors", ik.errors);
	rte_tel_data_add_dict_u64(d, "ike_timeouts", ik.timeouts);
	rte_tel_data_add_dict_u64(d, "ike_unreachable", ik.unreachable);
	rte_tel_data_add_dict_u64(d, "ike_disconnected", ik.disconnected);
	rte_tel_data_add_dict_u64(d, "ike_busy", ik.busy);
	rte_tel_data_add_dict_u64(d, "ike_connects", ik.connects);
	rte_tel_data_add_dict_u64(d, "ike_inflight", ik.inflight);
	return 0;
}

/* Memory the configuration sized, and how much of the mbuf pool is in use right now. */
static int
tel_memory(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct twr_memory m;

	twr_memory_get(app, &m);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "mbufs", m.mbufs);
	rte_tel_data_add_dict_u64(d, "mbufs_in_use", m.mbufs_in_use);
	rte_tel_data_add_dict_u64(d, "mbuf_pool_bytes", m.mbuf_bytes);
	rte_tel_data_add_dict_u64(d, "flow_table_bytes_per_worker", m.flow_table_bytes);
	rte_tel_data_add_dict_u64(d, "sessions_max", m.sessions_max);
	rte_tel_data_add_dict_u64(d, "session_bytes", m.session_bytes);
	rte_tel_data_add_dict_u64(d, "control_connections_max", m.control_conns_max);
	rte_tel_data_add_dict_u64(d, "control_connection_bytes", m.control_conn_bytes);
	return 0;
}

int
twr_telemetry_init(struct twr_app *a)
{
	app = a;
	rte_telemetry_register_cmd("/twamp/stats", tel_stats,
				   "Reflector totals: packets, verdicts, drops by reason");
	rte_telemetry_register_cmd("/twamp/workers", tel_worker,
				   "Counters of one worker. Parameters: worker id");
	rte_telemetry_register_cmd("/twamp/clock", tel_clock,
				   "Clock model: source, offset, drift, synchronisation, error estimate");
	rte_telemetry_register_cmd("/twamp/ports", tel_ports,
				   "Data and exception port counters as the PMDs report them");
	rte_telemetry_register_cmd("/twamp/control", tel_control,
				   "TWAMP-Control: connections, sessions, refusals and closes by reason");
	rte_telemetry_register_cmd("/twamp/memory", tel_memory,
				   "Memory sized by the configuration; mbufs in use");
	rte_telemetry_register_cmd("/twamp/flows", tel_flows,
				   "TWAMP Light flow tables: capacity, entries, refusals");
	return 0;
}
