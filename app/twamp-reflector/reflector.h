/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared state of the appliance. Ownership of each field is marked: dp = worker lcores (data
 * plane), cp = main lcore (control plane), tel = telemetry thread (reads only).
 */
#ifndef TWR_REFLECTOR_H
#define TWR_REFLECTOR_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_hash.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "tw_conf.h"
#include "tw_ctrl.h"
#include "tw_refl.h"
#include "tw_tcrypt.h"
#include "tw_ts.h"

enum {
	TWR_BURST = 32,
	TWR_MAX_WORKERS = RTE_MAX_LCORE,
	TWR_RING_SIZE = 1024,		/* per-worker exception and inject rings */
	TWR_HOUSEKEEP_EVERY = 1024,	/* loop iterations between worker housekeeping */
	TWR_DIST_RING_SIZE = 1024,	/* software distribution: per-worker packet and answer rings */
	TWR_DIST_MAX_WORKERS = 16,	/* software distribution: one RX worker feeds at most this */
	/* Light flows in a worker's table above which their buckets are prefetched per burst (the
	 * table then outgrows L2: 4096 flows span at least 1 MiB of 64-octet entries). */
	TWR_FLOW_PREFETCH_MIN = 4096,
};

/* Software distribution: a packet handed to its worker, with the TSC read after its RX burst. */
struct twr_dist_elem {
	struct rte_mbuf *m;
	uint64_t tsc;			/* T2 */
};

/* How received packets reach the workers (port.distribution, resolved at start). */
enum twr_dist {
	TWR_DIST_RSS = 0,	/* a queue pair per worker, the port's RSS picks the worker */
	TWR_DIST_SOFTWARE,	/* one queue pair; worker 0 hashes the 5-tuple and hands packets over */
};

enum twr_sess_mode {
	TWR_SESS_UNAUTH = 0,	/* modes 1 and 8 (mixed: RFC 5618 test packets are unauthenticated) */
	TWR_SESS_AUTH,		/* mode 2 */
	TWR_SESS_ENC,		/* mode 4 */
};

/*
 * A TWAMP-Test session accepted over TWAMP-Control, installed in the session table when started.
 * The control lcore creates it and frees it after an RCU grace period; the worker that RSS (or
 * software distribution's 5-tuple hash) sends its packets to is the only writer of the dp fields.
 */
struct twr_session {
	/* cp: ro once installed; dp: ro */
	struct tw_flow_key key;		/* sender address/port -> reflector address/port */
	uint8_t sid[16];
	enum twr_sess_mode mode;
	uint16_t reflect_len;		/* RFC 6038 octets to reflect, standard format (else 0) */
	bool ptp;			/* RFC 8186: T2/T3 in PTPv2 format (Modes bit 512) */
	bool symmetrical;		/* RFC 6038 symmetrical size negotiated (mode 64) */
	void *crypto;			/* per-session test keys (authenticated/encrypted modes), */
	size_t crypto_len;		/* rte_malloc'd, wiped and freed with the session */
	void *owner;			/* the control connection that accepted it (cp only) */
	uint64_t timeout_ns;		/* RFC 5357 §3.5 Timeout: kept this long after Stop */
	uint64_t stop_deadline;		/* cp: TSC after which a stopped session is removed */
	bool started;			/* cp */
	/* dp: rw */
	uint32_t seq __rte_cache_aligned;	/* reflector sequence number (RFC 5357 §4.2.1) */
	uint64_t rx_pkts;
	uint64_t tx_pkts;
	uint64_t drops;
	uint64_t last_rx_tsc;
};

/* Bursts by the kind of T3 their earliest answer carries (worker stats t3_lead). */
enum twr_t3_kind {
	TWR_T3_UNAUTH = 0,	/* TWAMP Light and unauthenticated/mixed sessions only */
	TWR_T3_AUTH,		/* with authenticated answers: T3 read again after the seal */
	TWR_T3_ENC,		/* with encrypted answers: T3 inside the seal, read before it */
	TWR_T3_KINDS,
};

/* Counters a worker writes and nobody else does: one cache line group per worker. */
struct twr_worker_stats {
	uint64_t rx_pkts;
	uint64_t rx_bytes;
	uint64_t tx_pkts;		/* reflected packets handed to the NIC */
	uint64_t tx_bytes;
	uint64_t verdict[TW_V_MAX];
	uint64_t drop_multiseg;		/* not contiguous in one mbuf: cannot be rewritten in place */
	uint64_t drop_tx_full;		/* the NIC TX queue refused part of a burst */
	uint64_t drop_exc_full;		/* exception ring full: the control lcore is behind */
	uint64_t exc_pkts;		/* packets handed to the exception path */
	uint64_t inject_pkts;		/* kernel packets sent out of the NIC by this worker */
	uint64_t drop_inject_full;	/* ... and refused by the NIC TX queue */
	uint64_t bursts;		/* non-empty RX bursts */
	uint64_t session_pkts;		/* packets of TWAMP-Control sessions */
	uint64_t drop_bad_hmac;		/* authenticated/encrypted test packet failed its HMAC */
	uint64_t drop_crypto;		/* the crypto engine refused a job */
	uint64_t rx_ts_hw;		/* T2 from the port's own receive timestamp */
	uint64_t rx_ts_sw;		/* ... which this packet lacked: the burst's software T2 */
	uint64_t t3_lead[TWR_T3_KINDS];	/* TSC cycles from T3 to rte_eth_tx_burst(), summed */
	uint64_t t3_bursts[TWR_T3_KINDS];	/* bursts measured */
	/* CPU use: TSC cycles from after an RX burst (or ring dequeue) that brought packets to
	 * after its TX, summed; and polls that brought none. busy / (busy + idle time) is load. */
	uint64_t busy_tsc;
	uint64_t empty_polls;
	/* Software distribution (TWR_DIST_SOFTWARE). On the RX worker (0): */
	uint64_t dist_pkts;		/* received packets handed to another worker */
	uint64_t drop_dist_full;	/* ... refused: that worker's packet ring was full */
	uint64_t dist_answers;		/* other workers' answers sent on the port */
	/* On the other workers: */
	uint64_t answers_queued;	/* answers handed to the RX worker for TX */
	uint64_t drop_answer_full;	/* ... refused: the answer ring was full */
} __rte_cache_aligned;

struct twr_worker {
	/* dp: ro after launch */
	unsigned int lcore;
	uint16_t id;
	uint16_t port;
	uint16_t queue;
	struct rte_ring *exc_ring;	/* dp -> cp: packets for the kernel (SP/SC) */
	struct rte_ring *inject_ring;	/* cp -> dp: kernel packets for the wire (SP/SC) */
	struct tw_refl_ctx refl;	/* dp: rw (flow table) */
	struct tw_tcrypt_mgr *tcrypt;	/* dp: this worker's IPsec-MB manager */
	void *flow_mem;
	bool tx_csum_offload;
	bool has_queue;			/* polls a queue pair (rss: every worker; software: worker 0) */
	bool dist_rx;			/* software distribution's RX worker (worker 0) */
	struct rte_ring *dist_ring;	/* software: RX worker -> this worker (SP/SC, twr_dist_elem) */
	struct rte_ring *answer_ring;	/* software, not worker 0: answers -> RX worker (SP/SC) */
	/* dp: rw, tel/cp: ro */
	struct twr_worker_stats st;
} __rte_cache_aligned;

/* Where the data port's per-packet receive timestamps come from (rxts.c). */
enum twr_rx_ts_kind {
	TWR_RX_TS_NONE = 0,		/* none: T2 is read from the TSC once per burst */
	TWR_RX_TS_NIC,			/* NIC clock ticks: UTC through nic_clock (rte_eth_read_clock) */
	TWR_RX_TS_UNIX_US,		/* UTC microseconds already (net_pcap: the capture's record time) */
};

struct twr_rx_ts {
	enum twr_rx_ts_kind kind;	/* ro after init */
	int off;			/* mbuf dynamic field (rte_mbuf_timestamp_t) */
	uint64_t flag;			/* ol_flags bit: this packet has one */
	struct tw_ts_pub *nic_clock;	/* TWR_RX_TS_NIC: cp writes, dp reads per packet */
	const char *what;		/* for logs and telemetry */
};

struct twr_app {
	const struct tw_conf *conf;
	const char *bench_sessions;	/* --bench-sessions FILE (benchmarks only), or NULL */
	uint16_t port;			/* data port */
	bool port_open;			/* configured: stop and close it at exit */
	uint16_t tap_port;		/* exception path port (UINT16_MAX when disabled) */
	uint16_t nb_workers;
	enum twr_dist dist;		/* ro after init */
	uint32_t dist_w0_limit;		/* software: hashes below go to worker 0 (ro after init) */
	uint16_t nb_queues;		/* queue pairs of the data port in use */
	bool tx_csum_offload;
	bool rx_csum_offload;
	struct twr_rx_ts rx_ts;		/* data port receive timestamps */
	volatile uint32_t tai_offset_s;	/* cp: writes; dp: TAI - UTC for PTPv2 timestamps */
	struct rte_mempool *pool;
	struct twr_worker *workers;	/* nb_workers entries */
	struct tw_refl_match *match;	/* ro after init */
	struct rte_hash *sessions;	/* cp: writes, dp: lock-free reads (RCU) */
	struct rte_rcu_qsbr *rcu;	/* workers report quiescent states here */
	volatile uint32_t nb_sessions;	/* cp: writes, dp: reads (skip the lookup when 0) */
	struct tw_ts_pub *clock_pub;	/* cp: writes, dp: reads per burst */
	struct tw_ts_model model;	/* cp only (tel reads for display) */
	uint64_t clock_last_sync_ns;	/* cp */
	bool clock_synced;		/* cp */
	uint64_t clock_last_sync_tsc;	/* cp (tel reads) */
	struct tw_ts_sync clock_sync;	/* cp: inputs of the Error Estimate (tel reads) */
	struct tw_ts_sync_state clock_state;	/* cp: what lib/ts made of them (tel reads) */
	int clock_fd;			/* cp: clock.phc, opened read-only; -1 otherwise */
	uint64_t start_tsc;
	/* cp: exception path counters */
	uint64_t exc_to_kernel;
	uint64_t exc_to_kernel_drop;
	uint64_t exc_from_kernel;
	uint64_t exc_from_kernel_drop;
	volatile bool quit;		/* cp: writes, dp: reads */
	volatile bool reload;		/* SIGHUP: the control loop reloads the configuration */
	uint64_t reloads_ok;		/* cp */
	uint64_t reloads_failed;	/* cp: the file had errors; the running config stayed */
	uint8_t data_link_up;		/* cp: last link state seen (twr_ports_watch) */
	uint8_t tap_link_up;
	uint64_t data_link_changes;	/* cp */
	uint64_t tap_link_changes;	/* cp */
};

extern struct twr_app twr;

/* port.c */
int twr_ports_init(struct twr_app *app);
/* rxts.c: the data port's receive timestamps (T2 source); sync with the clock model */
int twr_rx_ts_init(struct twr_app *app, bool offload);
void twr_rx_ts_sync(struct twr_app *app);
void twr_rx_ts_close(struct twr_app *app);
void twr_ports_close(struct twr_app *app);
int twr_tap_configure_addrs(const struct twr_app *app);
void twr_ports_watch(struct twr_app *app);

/* worker.c */
int twr_worker_main(void *arg);
/* Software distribution: which of nb workers a received frame belongs to (its 5-tuple's). */
uint16_t twr_dist_pick(const struct rte_mbuf *m, uint16_t nb);

/* control.c */
/* Refuses (-errno, logged) a clock.phc it cannot open or read: the caller stops. */
int twr_clock_init(struct twr_app *app);
void twr_clock_sync(struct twr_app *app);
/* After a reload: clock.synchronized and clock.error_ns take effect at the next sync. */
void twr_clock_reload(struct twr_app *app);
void twr_control_loop(struct twr_app *app);
void twr_stats_print(const struct twr_app *app, FILE *f);
void twr_stats_sum(const struct twr_app *app, struct twr_worker_stats *sum);

/* TWAMP-Control server counters (cp writes, tel reads). */
struct twr_ctrl_stats {
	uint64_t conns_accepted;
	uint64_t conns_refused;		/* all of the four below */
	uint64_t conns_refused_total;	/* control.max_connections */
	uint64_t conns_refused_source;	/* control.max_connections_per_source */
	uint64_t conns_refused_rate;	/* control.connection_rate_per_source */
	uint64_t conns_refused_memory;	/* allocation failed */
	uint64_t closed[TW_CTRL_CLOSE_MAX];	/* by reason */
	uint64_t refused[TW_CTRL_REFUSE_MAX];	/* Accept != 0 by reason (closed connections) */
	uint64_t unknown_keyid;
	uint64_t unknown_ike_sa;	/* mode 128 with SPIs no key provider knows (Accept 6) */
	uint64_t ike_failed;		/* mode 128 key provider failures (Accept 2) */
	uint64_t refused_address;	/* receiver address not ours */
	uint64_t refused_limit;		/* control.max_sessions */
	uint64_t refused_port;		/* no free test port */
	uint64_t sessions_accepted;
	uint64_t sessions_started;
	uint64_t sessions_removed;
};

/* ctrl.c */
int twr_ctrl_init(struct twr_app *app);
void twr_ctrl_poll(struct twr_app *app, bool housekeep);
void twr_ctrl_close(struct twr_app *app);
void twr_ctrl_stats_get(struct twr_ctrl_stats *st, unsigned int *conns, unsigned int *sessions);
/* After a reload: the control server takes the new limits and keys (new connections). */
void twr_ctrl_reload(struct twr_app *app);
/* main.c: SIGHUP */
void twr_reload(struct twr_app *app);
size_t twr_ctrl_conn_bytes(const struct tw_conf *c);
/* main.c: what memory the configuration sizes (logged at start, /twamp/memory) */
struct twr_memory {
	uint64_t mbufs, mbuf_bytes;		/* the pool: count and bytes */
	uint64_t mbufs_in_use;
	uint64_t flow_table_bytes;		/* per worker */
	uint64_t sessions_max;
	uint64_t session_bytes;			/* each, with its test keys */
	uint64_t control_conns_max;
	uint64_t control_conn_bytes;		/* each */
};
void twr_memory_get(const struct twr_app *app, struct twr_memory *m);

/* crypt.c: per-session test keys for the authenticated and encrypted modes */
int twr_session_keys(struct twr_app *app, struct twr_session *s, const struct tw_ctrl_srv *srv);
/* The same from the control session's AES and HMAC session keys (--bench-sessions). */
int twr_session_keys_raw(struct twr_session *s, const uint8_t aes[16], const uint8_t hmac[32]);
int twr_session_keys_init(struct twr_app *app);
void twr_session_keys_free(void *crypto);
void twr_session_keys_fini(void);

/* session.c */
int twr_sessions_init(struct twr_app *app);
void twr_sessions_free(struct twr_app *app);
int twr_session_install(struct twr_app *app, struct twr_session *s);
void twr_session_remove(struct twr_app *app, struct twr_session *s);

/* benchsess.c: --bench-sessions FILE (benchmarks only). @return sessions installed, or -errno */
int twr_bench_sessions_load(struct twr_app *app, const char *path);

/* telemetry.c */
int twr_telemetry_init(struct twr_app *app);

#endif /* TWR_REFLECTOR_H */
