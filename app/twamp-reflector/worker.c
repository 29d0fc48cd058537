/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker loop: one RX/TX queue pair of the data port, polled. Per burst: read the clock once
 * (T2, before any parsing; a packet the port timestamped itself gets its own T2 from that),
 * classify and rewrite each packet through lib/refl, read the clock again (T3, after all the
 * work), stamp, transmit. Packets for the kernel go to the control lcore
 * through a ring, so a worker never makes a syscall; kernel packets for the wire come back
 * through another ring and leave on this worker's TX queue, the only one it may use.
 *
 * Software distribution (one queue pair, more workers): worker 0 polls the port, keeps its
 * share of the 5-tuples, hands each other packet to its worker's ring with the burst's TSC,
 * and sends the answers the other workers hand back (docs/architecture.rst, Multi-core).
 */
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "reflector.h"
#include "tw_tcrypt.h"

/* Now, in both formats: each answer takes the one its sender or session uses (RFC 8186). */
static inline void
stamp_now(const struct tw_ts_params *p, uint64_t tsc, struct tw_refl_ts *t)
{
	tw_refl_ts_set(t, tw_ts_params_ns(p, tsc), twr.tai_offset_s, p->errest);
}

/*
 * T2 of one packet: the port's own receive timestamp when it gave one (converted to UTC through
 * the port's clock model, or taken as is from a capture), else the burst's software T2.
 */
static inline const struct tw_refl_ts *
rx_stamp(struct twr_worker *w, const struct rte_mbuf *m, const struct tw_refl_ts *burst,
	 const struct tw_ts_params *nic, struct tw_refl_ts *own)
{
	const struct twr_rx_ts *r = &twr.rx_ts;
	uint64_t raw, ns;

	if (r->kind == TWR_RX_TS_NONE)
		return burst;
	if (unlikely(!(m->ol_flags & r->flag))) {
		w->st.rx_ts_sw++;
		return burst;
	}
	raw = *RTE_MBUF_DYNFIELD(m, r->off, const rte_mbuf_timestamp_t *);
	ns = r->kind == TWR_RX_TS_UNIX_US ? raw * 1000 : tw_ts_params_ns(nic, raw);
	w->st.rx_ts_hw++;
	tw_refl_ts_set(own, ns, twr.tai_offset_s, burst->errest);
	return own;
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
 * Authenticated and encrypted test packets of one burst: verified together, answered, stamped
 * with the burst's T3 and sealed together, so IPsec-MB works on full lanes (one submit-all and
 * one flush per step instead of one per packet).
 */
struct auth_batch {
	uint16_t n;
	struct rte_mbuf *m[TWR_BURST];
	struct twr_session *sess[TWR_BURST];
	struct tw_wire_frame f[TWR_BURST];
	struct tw_tcrypt_pkt pkt[TWR_BURST];
	struct tw_tcrypt_frame_out fo[TWR_BURST];
	enum tw_tcrypt_verdict v[TWR_BURST];
	struct tw_refl_ts t2[TWR_BURST];	/* each packet's T2 */
};

/* Verify the batch, and turn each authentic packet into its (plaintext) answer. */
static void
auth_answer(struct twr_worker *w, struct auth_batch *ab, struct rte_mbuf **drop,
	    uint16_t *nb_drop)
{
	uint16_t k = 0;

	tw_tcrypt_verify_burst(w->tcrypt, TW_TCRYPT_SENDER, ab->pkt, ab->n, ab->v);
	for (uint16_t i = 0; i < ab->n; i++) {
		struct rte_mbuf *m = ab->m[i];
		struct twr_session *sess = ab->sess[i];
		/* The session's negotiated format (RFC 8186), flagged by the Z bit. */
		struct tw_tcrypt_refl_fields f = {
			.rx_ts = sess->ptp ? ab->t2[i].ptp : ab->t2[i].ntp, .seq = sess->seq,
			.err_est = (uint16_t)(ab->t2[i].errest | (sess->ptp ? TW_REFL_ERREST_Z : 0)),
			.ttl = ab->f[i].ttl, .sym = sess->symmetrical,
			.reflect_len = sess->reflect_len,
		};
		size_t len;

		if (ab->v[i] != TW_TCRYPT_OK) {
			/* RFC 4656 §4.1.2: a packet whose HMAC does not verify is discarded. */
			if (ab->v[i] == TW_TCRYPT_BAD_HMAC)
				w->st.drop_bad_hmac++;
			else
				w->st.drop_crypto++;
			sess->drops++;
			drop[(*nb_drop)++] = m;
			continue;
		}
		len = tw_tcrypt_reflect_frame(rte_pktmbuf_mtod(m, uint8_t *),
					      m->data_len + rte_pktmbuf_tailroom(m), &ab->f[i], &f,
					      w->refl.csum, &ab->fo[k]);
		if (len == 0) {
			w->st.verdict[TW_V_DROP_NO_ROOM]++;
			sess->drops++;
			drop[(*nb_drop)++] = m;
			continue;
		}
		sess->seq++;
		m->data_len = (uint16_t)len;
		m->pkt_len = (uint32_t)len;
		m->ol_flags &= RTE_MBUF_F_EXTERNAL | RTE_MBUF_F_INDIRECT;
		ab->m[k] = m;
		ab->sess[k] = sess;
		ab->pkt[k] = (struct tw_tcrypt_pkt){
			.pl = rte_pktmbuf_mtod(m, uint8_t *) + ab->fo[k].pl_off,
			.sess = sess->crypto, .len = ab->fo[k].pl_len };
		k++;
	}
	ab->n = k;
}

/*
 * Seal the batch (MAC, and encrypt in encrypted mode), complete checksums, stamp T3, and queue
 * the answers for TX. Encrypted mode covers T3 (RFC 4656 §4.1.2 encrypts the first 96 octets of
 * the reflector packet), so it is stamped before the seal, with the burst's T3; authenticated
 * mode covers only the first block, so T3 is read again after the seal and written last, as
 * close to the wire as in unauthenticated mode.
 */
static uint64_t
auth_seal(struct twr_worker *w, struct auth_batch *ab, const struct tw_ts_params *clk,
	  const struct tw_refl_ts *t3, struct rte_mbuf **out, uint16_t *nb_out,
	  struct rte_mbuf **drop, uint16_t *nb_drop)
{
	struct tw_refl_ts t3_late;
	uint64_t tsc_late;

	for (uint16_t i = 0; i < ab->n; i++)
		if (tw_tcrypt_covers_tx_ts(ab->pkt[i].sess))
			tw_tcrypt_stamp_tx(ab->pkt[i].pl, ab->sess[i]->ptp ? t3->ptp : t3->ntp);
	tw_tcrypt_seal_burst(w->tcrypt, TW_TCRYPT_REFLECTOR, ab->pkt, ab->n, ab->v);
	for (uint16_t i = 0; i < ab->n; i++)
		if (ab->v[i] == TW_TCRYPT_OK)
			tw_tcrypt_finish_csum(rte_pktmbuf_mtod(ab->m[i], uint8_t *), &ab->fo[i],
					      w->refl.csum);
	tsc_late = rte_rdtsc();
	stamp_now(clk, tsc_late, &t3_late);
	for (uint16_t i = 0; i < ab->n; i++) {
		struct rte_mbuf *m = ab->m[i];
		uint8_t *buf = rte_pktmbuf_mtod(m, uint8_t *);

		if (ab->v[i] != TW_TCRYPT_OK) {
			w->st.drop_crypto++;
			drop[(*nb_drop)++] = m;
			continue;
		}
		if (!tw_tcrypt_covers_tx_ts(ab->pkt[i].sess))
			tw_wire_stamp_tx(buf, ab->fo[i].l4_off,
					 (uint16_t)(ab->fo[i].pl_off + TW_TCRYPT_REFL_OFF_TX_TS),
					 ab->sess[i]->ptp ? t3_late.ptp : t3_late.ntp,
					 w->refl.csum);
		if (w->tx_csum_offload) {
			struct tw_refl_out o = { .l4_off = ab->fo[i].l4_off, .ipv6 = ab->fo[i].ipv6 };

			set_tx_offload(m, &o);
		}
		w->st.verdict[TW_V_REFLECT]++;
		ab->sess[i]->tx_pkts++;
		out[(*nb_out)++] = m;
	}
	return tsc_late;
}


/*
 * A packet of a TWAMP-Control session (its 5-tuple is in the session table): answered now when
 * unauthenticated, checked and queued in `ab` (verdict TW_V_MAX: "pending") when secured.
 */
static inline enum tw_refl_verdict
session_packet(struct twr_worker *w, struct twr_session *sess, struct rte_mbuf *m,
	       const struct tw_refl_pkt *p, const struct tw_refl_ts *t2, uint64_t tsc,
	       struct tw_refl_out *out, struct auth_batch *ab)
{
	uint8_t *buf = rte_pktmbuf_mtod(m, uint8_t *);
	unsigned int flags = rx_flags(m);
	enum tw_refl_verdict v;

	w->st.session_pkts++;
	sess->rx_pkts++;
	sess->last_rx_tsc = tsc;
	if (sess->mode != TWR_SESS_UNAUTH) {
		v = tw_refl_check(&w->refl, buf, p, flags, TW_TCRYPT_SENDER_LEN);
		if (v != TW_V_REFLECT) {
			sess->drops++;
			return v;
		}
		ab->m[ab->n] = m;
		ab->sess[ab->n] = sess;
		ab->f[ab->n] = p->f;
		ab->t2[ab->n] = *t2;
		ab->pkt[ab->n] = (struct tw_tcrypt_pkt){ .pl = buf + p->f.pl_off,
			.sess = sess->crypto, .len = p->f.pl_len };
		ab->n++;
		return TW_V_MAX;
	}
	v = tw_refl_session_unauth(&w->refl, buf, m->data_len + rte_pktmbuf_tailroom(m), p, flags,
				   &sess->seq, sess->reflect_len, sess->ptp, t2, out);
	if (v == TW_V_REFLECT)
		sess->tx_pkts++;
	else
		sess->drops++;
	return v;
}

/*
 * Answers leave on this worker's TX queue; in software distribution a worker without a queue
 * hands them to the RX worker instead, which sends them with its own (drain_answers()). What
 * cannot go is dropped, counted by reason, and freed with the burst's other drops.
 */
static inline void
tx_answers(struct twr_worker *w, struct rte_mbuf **out, uint16_t n, struct rte_mbuf **drop,
	   uint16_t *nb_drop)
{
	uint16_t sent;

	if (w->answer_ring != NULL) {
		sent = (uint16_t)rte_ring_sp_enqueue_burst(w->answer_ring, (void **)out, n, NULL);
		w->st.answers_queued += sent;
		if (unlikely(sent < n))
			w->st.drop_answer_full += n - sent;
	} else {
		sent = rte_eth_tx_burst(w->port, w->queue, out, n);
		w->st.tx_pkts += sent;
		for (uint16_t i = 0; i < sent; i++)
			w->st.tx_bytes += out[i]->pkt_len;
		if (unlikely(sent < n))
			w->st.drop_tx_full += n - sent;
	}
	for (uint16_t i = sent; i < n; i++)
		drop[(*nb_drop)++] = out[i];
}

/* What a burst needs besides its packets: the clocks read once per burst. */
struct burst_clock {
	struct tw_ts_params clk;	/* the TSC -> UTC model */
	struct tw_ts_params nic;	/* the port clock's, when the port stamps packets itself */
	uint64_t now_s;			/* the flow table's idleness clock */
};

/*
 * One burst, from classification to TX. Two passes: the first parses every packet (lib/refl
 * classify) and settles the ones that are not test candidates; between them the candidates'
 * session lookups are done in one rte_hash_lookup_bulk_data() and the Light flow buckets are
 * prefetched; the second answers the candidates in order. tsc: when the burst arrived (T2).
 */
static void
reflect_burst(struct twr_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t tsc,
	      const uint64_t *rx_tsc, struct burst_clock *bc)
{
	struct rte_mbuf *out[TWR_BURST], *exc[TWR_BURST], *drop[2 * TWR_BURST];
	struct rte_mbuf *cand[TWR_BURST];
	uint64_t cand_tsc[TWR_BURST];
	struct tw_refl_pkt p[TWR_BURST];
	const void *keys[TWR_BURST];
	struct twr_session *sess[TWR_BURST];
	struct tw_refl_out res[TWR_BURST];
	struct tw_refl_ts t2, own_t2;
	uint16_t nb_out = 0, nb_exc = 0, nb_drop = 0, nc = 0;
	uint64_t hits = 0, t2_tsc = tsc;
	struct auth_batch ab;

	ab.n = 0;
	/* T2: first thing after the packets arrive, one read per burst. */
	stamp_now(&bc->clk, tsc, &t2);
	w->st.bursts++;
	w->st.rx_pkts += n;

	rte_prefetch0(rte_pktmbuf_mtod(pkts[0], void *));
	if (n > 1)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[1], void *));
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		enum tw_refl_verdict v;

		if (i + 2 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 2], void *));
		w->st.rx_bytes += m->pkt_len;
		if (unlikely(!rte_pktmbuf_is_contiguous(m))) {
			w->st.drop_multiseg++;
			drop[nb_drop++] = m;
			continue;
		}
		v = tw_refl_classify(&w->refl, rte_pktmbuf_mtod(m, uint8_t *), m->data_len,
				     rx_flags(m), &p[nc]);
		if (v == TW_V_REFLECT) {
			cand[nc] = m;
			if (rx_tsc != NULL)
				cand_tsc[nc] = rx_tsc[i];
			keys[nc] = &p[nc].key;
			nc++;
			continue;
		}
		w->st.verdict[v]++;
		if (tw_refl_is_exception(v))
			exc[nb_exc++] = m;
		else
			drop[nb_drop++] = m;
	}

	/* TWAMP-Control sessions first: a candidate in the table is its session's packet. */
	if (twr.nb_sessions != 0 && nc != 0 &&
	    rte_hash_lookup_bulk_data(twr.sessions, keys, nc, &hits, (void **)sess) < 0)
		hits = 0;
	/* Light flows: start loading their buckets while the earlier packets are answered. */
	if (tw_flow_live(w->refl.flows) > TWR_FLOW_PREFETCH_MIN)
		for (uint16_t j = 0; j < nc; j++)
			if (p[j].light && !(hits & (UINT64_C(1) << j)))
				tw_flow_prefetch(w->refl.flows, &p[j].key);

	for (uint16_t j = 0; j < nc; j++) {
		struct rte_mbuf *m = cand[j];
		const struct tw_refl_ts *pt2;
		enum tw_refl_verdict v;

		/* Software distribution: the RX worker's T2, converted once per RX burst. */
		if (rx_tsc != NULL && cand_tsc[j] != t2_tsc) {
			t2_tsc = cand_tsc[j];
			stamp_now(&bc->clk, t2_tsc, &t2);
		}
		pt2 = rx_stamp(w, m, &t2, &bc->nic, &own_t2);
		if (hits & (UINT64_C(1) << j)) {
			v = session_packet(w, sess[j], m, &p[j], pt2, tsc, &res[nb_out], &ab);
			if (v == TW_V_MAX)
				continue;	/* authenticated: answered below with its burst */
		} else {
			v = tw_refl_light(&w->refl, rte_pktmbuf_mtod(m, uint8_t *),
					  m->data_len + rte_pktmbuf_tailroom(m), &p[j], rx_flags(m),
					  pt2, bc->now_s, &res[nb_out]);
		}
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

	if (ab.n)
		auth_answer(w, &ab, drop, &nb_drop);
	if (nb_out || ab.n) {
		/*
		 * T3: as late as possible, after every other packet of the burst is done; in the
		 * secured modes before the seal that must cover it (RFC 5357 §4.2.1).
		 */
		struct tw_refl_ts t3;
		uint64_t tsc_t3 = rte_rdtsc(), tsc_first = tsc_t3;
		enum twr_t3_kind kind = TWR_T3_UNAUTH;

		stamp_now(&bc->clk, tsc_t3, &t3);
		for (uint16_t i = 0; i < nb_out; i++)
			tw_refl_stamp_tx(&w->refl, rte_pktmbuf_mtod(out[i], uint8_t *), &res[i],
					 &t3);
		if (ab.n) {
			uint16_t nb_unauth = nb_out;
			uint64_t late = auth_seal(w, &ab, &bc->clk, &t3, out, &nb_out, drop,
						  &nb_drop);

			/* Encrypted answers carry the burst's T3 sealed in; authenticated ones the
			 * late T3, and so does the burst if nothing else is in it. */
			kind = TWR_T3_AUTH;
			for (uint16_t i = 0; i < ab.n; i++)
				if (tw_tcrypt_covers_tx_ts(ab.pkt[i].sess))
					kind = TWR_T3_ENC;
			if (kind == TWR_T3_AUTH && nb_unauth == 0)
				tsc_first = late;
		}
		/* How far the earliest T3 of the burst is from the hand-over to the NIC. */
		w->st.t3_lead[kind] += rte_rdtsc() - tsc_first;
		w->st.t3_bursts[kind]++;
		tx_answers(w, out, nb_out, drop, &nb_drop);
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

/*
 * Software distribution: the worker a frame belongs to. IPv4 (not a fragment: the kernel
 * reassembles those, on worker 0's exception path) and IPv6 UDP go by a hash of the addresses
 * and ports, so a sender's 5-tuple, its Light flow and its TWAMP-Control session always land on
 * the same worker; anything else goes to worker 0, which hands it to the exception path as before.
 * Only reads what it bounds-checks; lib/refl validates the frame properly afterwards.
 */
uint16_t
twr_dist_pick(const struct rte_mbuf *m, uint16_t nb)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = m->data_len, off = RTE_ETHER_HDR_LEN, h;
	/* rte_hash_crc() loads 8 octets at a time: hash an aligned copy of the fields, not the
	 * frame in place (a 4-octet-aligned IP address is a misaligned uint64_t, undefined
	 * behaviour that UBSan reports). The value is the same as over the fields in place. */
	uint64_t key[5];
	uint16_t et;

	if (len < RTE_ETHER_HDR_LEN)
		return 0;
	et = (uint16_t)(f[12] << 8 | f[13]);
	for (int tags = 0; tags < 2 && (et == RTE_ETHER_TYPE_VLAN || et == RTE_ETHER_TYPE_QINQ) &&
	     off + 4 <= len; tags++) {
		et = (uint16_t)(f[off + 2] << 8 | f[off + 3]);
		off += 4;
	}
	if (et == RTE_ETHER_TYPE_IPV4) {
		const uint8_t *ip = f + off;
		uint32_t ihl;

		if (off + 20 > len || ip[9] != IPPROTO_UDP || (ip[6] & 0x3f) != 0 || ip[7] != 0)
			return 0;
		ihl = (ip[0] & 0xfu) * 4;
		if (ihl < 20 || off + ihl + 4 > len)
			return 0;
		memcpy(key, ip + 12, 8);			/* source, destination */
		memcpy((uint8_t *)key + 8, ip + ihl, 4);	/* ports */
		h = rte_hash_crc(key, 12, 0);
	} else if (et == RTE_ETHER_TYPE_IPV6) {
		const uint8_t *ip = f + off;

		if (off + 40 + 4 > len || ip[6] != IPPROTO_UDP)
			return 0;
		memcpy(key, ip + 8, 32 + 4);		/* addresses, then the UDP ports */
		h = rte_hash_crc(key, 32 + 4, 0);
	} else {
		return 0;
	}
	/*
	 * Worker 0 takes the hashes below dist_w0_limit (port.rx_worker_weight: it also does all
	 * the port I/O, so it should reflect less than the others), the rest is spread evenly over
	 * workers 1..nb-1 by a second mix of the hash. CRC bits are not uniform enough for
	 * multiply-shift alone: mix first.
	 */
	if (h * 0x9e3779b1u < twr.dist_w0_limit)
		return 0;
	h = (h ^ (h >> 16)) * 0x85ebca6bu;
	return (uint16_t)(1 + (((uint64_t)h * (uint16_t)(nb - 1)) >> 32));
}

/*
 * Software distribution, RX worker: keep this worker's share of the burst in pkts (returned
 * count) and hand every other packet to its worker's ring with the burst's TSC (its T2), in the
 * ring entry beside the pointer: writing it into the mbuf would dirty one more cache line that
 * the other core then has to fetch.
 */
static uint16_t
distribute(struct twr_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t tsc)
{
	struct twr_dist_elem to[TWR_DIST_MAX_WORKERS][TWR_BURST];
	uint16_t cnt[TWR_DIST_MAX_WORKERS] = { 0 };
	uint16_t nb = twr.nb_workers, mine = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint16_t k = twr_dist_pick(m, nb);

		if (k == w->id) {
			pkts[mine++] = m;
			continue;
		}
		to[k][cnt[k]++] = (struct twr_dist_elem){ .m = m, .tsc = tsc };
	}
	for (uint16_t k = 0; k < nb; k++) {
		unsigned int q;

		if (cnt[k] == 0)
			continue;
		q = rte_ring_sp_enqueue_burst_elem(twr.workers[k].dist_ring, to[k],
						   sizeof(to[k][0]), cnt[k], NULL);
		w->st.dist_pkts += q;
		if (unlikely(q < cnt[k])) {
			w->st.drop_dist_full += cnt[k] - q;
			for (unsigned int i = q; i < cnt[k]; i++)
				pkts[n - cnt[k] + i] = to[k][i].m;	/* free past the kept ones */
			rte_pktmbuf_free_bulk(&pkts[n - cnt[k] + q], cnt[k] - q);
		}
	}
	return mine;
}

/* Software distribution, RX worker: send the other workers' answers. @return packets sent. */
static unsigned int
drain_answers(struct twr_worker *w)
{
	struct rte_mbuf *a[TWR_BURST];
	unsigned int total = 0;

	for (uint16_t k = 0; k < twr.nb_workers; k++) {
		struct rte_ring *r = twr.workers[k].answer_ring;
		unsigned int n;
		uint16_t sent;

		if (r == NULL)
			continue;
		n = rte_ring_sc_dequeue_burst(r, (void **)a, TWR_BURST, NULL);
		if (n == 0)
			continue;
		sent = rte_eth_tx_burst(w->port, w->queue, a, (uint16_t)n);
		w->st.tx_pkts += sent;
		w->st.dist_answers += sent;
		for (uint16_t i = 0; i < sent; i++)
			w->st.tx_bytes += a[i]->pkt_len;
		if (unlikely(sent < n)) {
			w->st.drop_tx_full += n - sent;
			rte_pktmbuf_free_bulk(&a[sent], n - sent);
		}
		total += sent;
	}
	return total;
}

int
twr_worker_main(void *arg)
{
	struct twr_worker *w = arg;
	const uint64_t tsc_hz = rte_get_tsc_hz();
	struct rte_mbuf *pkts[TWR_BURST];
	struct twr_dist_elem de[TWR_BURST];
	uint64_t rx_tsc[TWR_BURST];
	struct burst_clock bc = { .now_s = 0 };
	uint64_t loops = 0;

	bc.now_s = rte_get_tsc_cycles() / tsc_hz;
	rte_rcu_qsbr_thread_register(twr.rcu, w->id);
	rte_rcu_qsbr_thread_online(twr.rcu, w->id);
	while (likely(!twr.quit)) {
		uint64_t tsc;
		uint16_t n;

		/* No session pointer survives an iteration: this is a quiescent point. */
		rte_rcu_qsbr_quiescent(twr.rcu, w->id);
		if (w->has_queue) {
			inject(w);
			n = rte_eth_rx_burst(w->port, w->queue, pkts, TWR_BURST);
		} else {
			n = (uint16_t)rte_ring_sc_dequeue_burst_elem(w->dist_ring, de, sizeof(de[0]),
								     TWR_BURST, NULL);
			/* The RX worker's core wrote these mbufs: start fetching them all now. */
			for (uint16_t i = 0; i < n; i++) {
				pkts[i] = de[i].m;
				rx_tsc[i] = de[i].tsc;
				rte_prefetch0(de[i].m);
			}
		}
		if (unlikely(++loops == TWR_HOUSEKEEP_EVERY)) {
			loops = 0;
			bc.now_s = rte_get_tsc_cycles() / tsc_hz;
		}
		if (n == 0) {
			if (w->dist_rx) {
				uint64_t t0 = rte_rdtsc();

				if (drain_answers(w) != 0) {
					w->st.busy_tsc += rte_rdtsc() - t0;
					continue;
				}
			}
			w->st.empty_polls++;
			continue;
		}

		tsc = rte_rdtsc();
		tw_ts_pub_load(twr.clock_pub, &bc.clk);
		/* The NIC clock's model, for ports that stamp packets themselves. */
		if (twr.rx_ts.kind == TWR_RX_TS_NIC)
			tw_ts_pub_load(twr.rx_ts.nic_clock, &bc.nic);
		if (w->dist_rx)
			n = distribute(w, pkts, n, tsc);
		if (n != 0)
			reflect_burst(w, pkts, n, tsc, w->has_queue ? NULL : rx_tsc, &bc);
		if (w->dist_rx)
			drain_answers(w);
		w->st.busy_tsc += rte_rdtsc() - tsc;
	}
	rte_rcu_qsbr_thread_offline(twr.rcu, w->id);
	rte_rcu_qsbr_thread_unregister(twr.rcu, w->id);
	return 0;
}
