/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker loop: one RX/TX queue pair of the data port, polled. Per burst: read the clock once
 * (T2, before any parsing), classify and rewrite each packet through lib/refl, read the clock
 * again (T3, after all the work), stamp, transmit. Packets for the kernel go to the control lcore
 * through a ring, so a worker never makes a syscall; kernel packets for the wire come back
 * through another ring and leave on this worker's TX queue, the only one it may use.
 */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "reflector.h"

static inline uint64_t
stamp_now(const struct tw_ts_params *p, uint64_t tsc, bool ptp)
{
	uint64_t ns = tw_ts_params_ns(p, tsc);

	return ptp ? tw_ts_ptp_from_unix_ns(ns) : tw_ts_ntp_from_unix_ns(ns);
}

static void
inject(struct twr_worker *w)
{
	struct rte_mbuf *pkts[TWR_BURST];
	unsigned int n;
	uint16_t sent;

	n = rte_ring_sc_dequeue_burst(w->inject_ring, (void **)pkts, TWR_BURST, NULL);
	if (n == 0)
		return;
	sent = rte_eth_tx_burst(w->port, w->queue, pkts, (uint16_t)n);
	w->st.inject_pkts += sent;
	if (unlikely(sent < n)) {
		w->st.drop_inject_full += n - sent;
		rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
	}
}

static inline void
set_tx_offload(struct rte_mbuf *m, const struct tw_refl_out *o)
{
	m->l2_len = o->l4_off - (o->ipv6 ? 40 : 20);
	m->l3_len = o->ipv6 ? 40 : 20;
	m->ol_flags |= (o->ipv6 ? RTE_MBUF_F_TX_IPV6 :
			RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM) | RTE_MBUF_F_TX_UDP_CKSUM;
}

static inline unsigned int
rx_flags(const struct rte_mbuf *m)
{
	unsigned int f = 0;

	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		f |= TW_RX_L3_CSUM_OK;
	if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		f |= TW_RX_L4_CSUM_OK;
	return f;
}

/*
 * One packet: classify, then answer it as a TWAMP-Control session's packet if its 5-tuple is in
 * the session table, else as TWAMP Light.
 */
static inline enum tw_refl_verdict
reflect(struct twr_worker *w, struct rte_mbuf *m, uint64_t t2, uint16_t errest, uint64_t now_s,
	uint64_t tsc, struct tw_refl_out *out)
{
	uint8_t *buf = rte_pktmbuf_mtod(m, uint8_t *);
	size_t cap = m->data_len + rte_pktmbuf_tailroom(m);
	unsigned int flags = rx_flags(m);
	struct twr_session *sess = NULL;
	enum tw_refl_verdict v;
	struct tw_refl_pkt p;

	v = tw_refl_classify(&w->refl, buf, m->data_len, flags, &p);
	if (v != TW_V_REFLECT)
		return v;
	if (twr.nb_sessions != 0 &&
	    rte_hash_lookup_data(twr.sessions, &p.key, (void **)&sess) >= 0) {
		w->st.session_pkts++;
		sess->rx_pkts++;
		sess->last_rx_tsc = tsc;
		v = tw_refl_session_unauth(&w->refl, buf, cap, &p, flags, &sess->seq, t2, errest,
					   out);
		if (v == TW_V_REFLECT)
			sess->tx_pkts++;
		else
			sess->drops++;
		return v;
	}
	return tw_refl_light(&w->refl, buf, cap, &p, flags, t2, errest, now_s, out);
}

int
twr_worker_main(void *arg)
{
	struct twr_worker *w = arg;
	const bool ptp = twr.conf->ts_format == TW_CONF_TS_PTP;
	const uint64_t tsc_hz = rte_get_tsc_hz();
	struct rte_mbuf *pkts[TWR_BURST], *out[TWR_BURST], *exc[TWR_BURST], *drop[TWR_BURST];
	struct tw_refl_out res[TWR_BURST];
	struct tw_ts_params clk;
	uint64_t loops = 0, now_s = 0;

	now_s = rte_get_tsc_cycles() / tsc_hz;
	tw_ts_pub_load(twr.clock_pub, &clk);
	rte_rcu_qsbr_thread_register(twr.rcu, w->id);
	rte_rcu_qsbr_thread_online(twr.rcu, w->id);
	while (likely(!twr.quit)) {
		uint16_t n, nb_out = 0, nb_exc = 0, nb_drop = 0, sent;
		uint64_t tsc, t2;

		/* No session pointer survives an iteration: this is a quiescent point. */
		rte_rcu_qsbr_quiescent(twr.rcu, w->id);
		inject(w);
		n = rte_eth_rx_burst(w->port, w->queue, pkts, TWR_BURST);
		if (unlikely(++loops == TWR_HOUSEKEEP_EVERY)) {
			loops = 0;
			now_s = rte_get_tsc_cycles() / tsc_hz;
		}
		if (n == 0)
			continue;

		/* T2: first thing after the packets arrive, one read per burst. */
		tsc = rte_rdtsc();
		tw_ts_pub_load(twr.clock_pub, &clk);
		t2 = stamp_now(&clk, tsc, ptp);
		w->st.bursts++;
		w->st.rx_pkts += n;

		for (uint16_t i = 0; i < n; i++) {
			struct rte_mbuf *m = pkts[i];
			enum tw_refl_verdict v;

			if (i + 1 < n)
				rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
			w->st.rx_bytes += m->pkt_len;
			if (unlikely(!rte_pktmbuf_is_contiguous(m))) {
				w->st.drop_multiseg++;
				drop[nb_drop++] = m;
				continue;
			}
			v = reflect(w, m, t2, clk.errest, now_s, tsc, &res[nb_out]);
			w->st.verdict[v]++;
			if (v == TW_V_REFLECT) {
				m->data_len = res[nb_out].len;
				m->pkt_len = res[nb_out].len;
				/* Keep only the buffer-ownership flags; RX results mean nothing on TX. */
				m->ol_flags &= RTE_MBUF_F_EXTERNAL | RTE_MBUF_F_INDIRECT;
				if (w->tx_csum_offload)
					set_tx_offload(m, &res[nb_out]);
				out[nb_out++] = m;
			} else if (tw_refl_is_exception(v)) {
				exc[nb_exc++] = m;
			} else {
				drop[nb_drop++] = m;
			}
		}

		if (nb_out) {
			/* T3: as late as possible, after every other packet of the burst is done. */
			uint64_t t3 = stamp_now(&clk, rte_rdtsc(), ptp);

			for (uint16_t i = 0; i < nb_out; i++) {
				tw_refl_stamp_tx(&w->refl, rte_pktmbuf_mtod(out[i], uint8_t *), &res[i],
						 t3);
				w->st.tx_bytes += out[i]->pkt_len;
			}
			sent = rte_eth_tx_burst(w->port, w->queue, out, nb_out);
			w->st.tx_pkts += sent;
			if (unlikely(sent < nb_out)) {
				w->st.drop_tx_full += nb_out - sent;
				for (uint16_t i = sent; i < nb_out; i++) {
					w->st.tx_bytes -= out[i]->pkt_len;
					drop[nb_drop++] = out[i];
				}
			}
		}
		if (nb_exc) {
			unsigned int q;

			q = rte_ring_sp_enqueue_burst(w->exc_ring, (void **)exc, nb_exc, NULL);
			w->st.exc_pkts += q;
			if (unlikely(q < nb_exc)) {
				w->st.drop_exc_full += nb_exc - q;
				for (unsigned int i = q; i < nb_exc; i++)
					drop[nb_drop++] = exc[i];
			}
		}
		if (nb_drop)
			rte_pktmbuf_free_bulk(drop, nb_drop);
	}
	rte_rcu_qsbr_thread_offline(twr.rcu, w->id);
	rte_rcu_qsbr_thread_unregister(twr.rcu, w->id);
	return 0;
}
