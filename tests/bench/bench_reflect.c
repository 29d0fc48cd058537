/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * In-memory cost of the reflect path, in TSC ticks per packet, against a baseline measured in the
 * same binary, the same loop and on the same frames: what testpmd's 5tswap forwarding mode does
 * (swap MACs, IP addresses and UDP ports, nothing else). No EAL, no NIC: the loop is the worker's
 * loop with the PMD taken out.
 *
 *   bench_reflect [-r ROUNDS] [-p PACKETS_PER_ROUND]
 *
 * Frames are IPv4 TWAMP Light Session-Sender packets (RFC 5357 §4.1.2 plus 27 octets of padding,
 * so the answer needs no growth): 14 + 20 + 8 + 41 = 83 octets, from 198.18.x.2:40000+i to
 * 198.18.0.1:862. Each packet is first restored from a pristine copy (the frame the NIC would have
 * written), then processed; the baseline does the same restore. A round measures every case and
 * its baseline back to back, alternating which goes first; the figures are medians over rounds,
 * because the machine this runs on is shared and noisy. Only ratios mean anything across machines.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "tw_refl.h"
#include "tw_ts.h"

enum {
	BURST = 32,			/* TWR_BURST, the worker's RX burst */
	SLOT = 128,			/* octets per frame buffer: an mbuf's data room, cut down */
	FRAME_LEN = 14 + 20 + 8 + 41,
	MIN_FRAMES = 1024,
	MAX_FLOWS = 65536,		/* light.max_flows default */
	IDLE_TICKS = 900,		/* light.flow_idle_timeout default (worker ticks: s) */
	DEF_ROUNDS = 15,
	DEF_PACKETS = 1 << 18,
};

static const uint8_t refl_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t cli_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t refl_ip[4] = { 198, 18, 0, 1 };

/* The set of frames of one case: pristine copies and the buffers the loop works on. */
struct frames {
	uint32_t n;
	uint8_t *pristine;	/* n * SLOT */
	uint8_t *work;		/* n * SLOT */
};

struct refl_state {
	struct tw_refl_match match;
	struct tw_refl_ctx ctx;
	void *flow_mem;
	struct tw_ts_params clk;
};

/* Keeps results alive so the compiler cannot drop the work being measured. */
static volatile uint64_t sink;

static inline uint64_t
ticks(void)
{
	uint64_t t;

	_mm_lfence();
	t = __rdtsc();
	_mm_lfence();
	return t;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* Ethernet / IPv4 (DF, TTL 64) / UDP / RFC 5357 §4.1.2 Sender packet + 27 octets of padding. */
static void
build_frame(uint8_t *f, uint32_t flow, uint32_t seq)
{
	uint8_t *ip = f + 14, *udp = ip + 20, *pl = udp + 8;
	uint32_t sum;

	memset(f, 0, SLOT);
	memcpy(f, refl_mac, 6);
	memcpy(f + 6, cli_mac, 6);
	put16(f + 12, 0x0800);

	ip[0] = 0x45;
	put16(ip + 2, 20 + 8 + 41);
	put16(ip + 4, (uint16_t)seq);
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 17;
	/* 198.18.k.2 for the k-th block of 20000 source ports: up to 60000 distinct senders. */
	ip[12] = 198;
	ip[13] = 18;
	ip[14] = (uint8_t)(flow / 20000);
	ip[15] = 2;
	memcpy(ip + 16, refl_ip, 4);
	put16(ip + 10, (uint16_t)~tw_wire_fold(tw_wire_sum(ip, 20, 0)));

	put16(udp, (uint16_t)(40000 + flow % 20000));
	put16(udp + 2, 862);
	put16(udp + 4, 8 + 41);
	put32(pl, seq);			/* Sequence Number */
	put32(pl + 4, 0xeeb00000 + seq);	/* Timestamp (NTP seconds) */
	put32(pl + 8, 0x12345678);	/* Timestamp (fraction) */
	put16(pl + 12, 0x0001);		/* Error Estimate: unsynchronised, Multiplier 1 */

	/* UDP checksum over the IPv4 pseudo-header (RFC 768). */
	sum = tw_wire_sum(ip + 12, 8, 0) + 17 + 8 + 41;
	sum = tw_wire_sum(udp, 8 + 41, sum);
	sum = (uint16_t)~tw_wire_fold(sum);
	put16(udp + 6, sum ? (uint16_t)sum : 0xffff);
}

static void *
xalloc(size_t n)
{
	void *p = aligned_alloc(64, (n + 63) & ~(size_t)63);

	if (p == NULL) {
		fprintf(stderr, "bench_reflect: out of memory (%zu octets)\n", n);
		exit(1);
	}
	return p;
}

static void
frames_init(struct frames *fr, uint32_t flows)
{
	fr->n = flows < MIN_FRAMES ? MIN_FRAMES : flows;
	fr->pristine = xalloc((size_t)fr->n * SLOT);
	fr->work = xalloc((size_t)fr->n * SLOT);
	for (uint32_t i = 0; i < fr->n; i++)
		build_frame(fr->pristine + (size_t)i * SLOT, i % flows, i);
	memcpy(fr->work, fr->pristine, (size_t)fr->n * SLOT);
}

static void
frames_free(struct frames *fr)
{
	free(fr->pristine);
	free(fr->work);
}

static void
refl_init(struct refl_state *r, enum tw_wire_csum_mode csum)
{
	size_t sz = tw_flow_mem_size(MAX_FLOWS);

	tw_refl_match_init(&r->match);
	tw_refl_match_add_addr(&r->match, 4, refl_ip);
	tw_refl_match_add_ports(&r->match, 862, 862);
	r->flow_mem = xalloc(sz);
	r->ctx.match = &r->match;
	r->ctx.flows = tw_flow_init(r->flow_mem, MAX_FLOWS, IDLE_TICKS);
	r->ctx.csum = csum;
	if (r->ctx.flows == NULL) {
		fprintf(stderr, "bench_reflect: tw_flow_init failed\n");
		exit(1);
	}
	/* A clock model as the control lcore publishes it: 2.6 GHz counter, some Unix time. */
	memset(&r->clk, 0, sizeof(r->clk));
	r->clk.base_cnt = __rdtsc();
	r->clk.base_ns = 1700000000ULL * TW_TS_NSEC_PER_SEC;
	r->clk.mult = (uint64_t)((1ULL << 32) / 2.6);
	r->clk.errest = 0x0001;
}

/* The worker's stamp_now(): counter to both formats through the published clock params. */
static inline void
stamp_now(const struct tw_ts_params *p, struct tw_refl_ts *t)
{
	tw_refl_ts_set(t, tw_ts_params_ns(p, __rdtsc()), 37, p->errest);
}

/*
 * testpmd's 5tswap, written out for raw frames: swap the MAC addresses, skip VLAN tags, swap the
 * IPv4 or IPv6 addresses, and swap UDP or TCP ports. Checksums stay valid (a sum does not depend
 * on the order of its terms), so nothing else is touched.
 */
static inline void
swap5(uint8_t *p)
{
	uint8_t mac[6], *l3 = p + 14, *l4;
	uint16_t type = (uint16_t)(p[12] << 8 | p[13]);
	uint32_t a4, b4;
	uint16_t port;
	uint8_t proto;

	memcpy(mac, p, 6);
	memcpy(p, p + 6, 6);
	memcpy(p + 6, mac, 6);
	while (type == 0x8100 || type == 0x88a8) {
		type = (uint16_t)(l3[2] << 8 | l3[3]);
		l3 += 4;
	}
	if (type == 0x0800) {
		memcpy(&a4, l3 + 12, 4);
		memcpy(&b4, l3 + 16, 4);
		memcpy(l3 + 12, &b4, 4);
		memcpy(l3 + 16, &a4, 4);
		proto = l3[9];
		l4 = l3 + (l3[0] & 0xf) * 4;
	} else if (type == 0x86dd) {
		uint8_t a6[16];

		memcpy(a6, l3 + 8, 16);
		memcpy(l3 + 8, l3 + 24, 16);
		memcpy(l3 + 24, a6, 16);
		proto = l3[6];
		l4 = l3 + 40;
	} else {
		return;
	}
	if (proto == 17 || proto == 6) {
		memcpy(&port, l4, 2);
		memcpy(l4, l4 + 2, 2);
		memcpy(l4 + 2, &port, 2);
	}
}

/* Baseline pass: restore + 5-tuple swap, burst by burst. @return packets processed. */
static uint64_t
pass_baseline(struct frames *fr)
{
	uint64_t acc = 0;

	for (uint32_t b = 0; b < fr->n; b += BURST) {
		uint32_t end = b + BURST < fr->n ? b + BURST : fr->n;

		for (uint32_t i = b; i < end; i++) {
			uint8_t *w = fr->work + (size_t)i * SLOT;

			memcpy(w, fr->pristine + (size_t)i * SLOT, FRAME_LEN);
			swap5(w);
			acc += w[0];
		}
	}
	sink += acc;
	return fr->n;
}

/*
 * Reflector pass, shaped like twr_worker_main(): T2 read once per burst, restore + tw_refl_packet()
 * per packet, T3 read once per burst, tw_refl_stamp_tx() per reflected packet.
 * @return packets reflected (every one must be).
 */
static uint64_t
pass_reflect(struct frames *fr, struct refl_state *r, unsigned int rx_flags)
{
	struct tw_refl_out res[BURST];
	uint8_t *out[BURST];
	uint64_t reflected = 0;

	for (uint32_t b = 0; b < fr->n; b += BURST) {
		uint32_t end = b + BURST < fr->n ? b + BURST : fr->n;
		struct tw_refl_ts t2, t3;
		unsigned int nb_out = 0;

		stamp_now(&r->clk, &t2);

		for (uint32_t i = b; i < end; i++) {
			uint8_t *w = fr->work + (size_t)i * SLOT;
			enum tw_refl_verdict v;

			memcpy(w, fr->pristine + (size_t)i * SLOT, FRAME_LEN);
			v = tw_refl_packet(&r->ctx, w, FRAME_LEN, SLOT, rx_flags, &t2, 1,
					   &res[nb_out]);
			if (v == TW_V_REFLECT)
				out[nb_out++] = w;
		}
		stamp_now(&r->clk, &t3);
		for (unsigned int i = 0; i < nb_out; i++)
			tw_refl_stamp_tx(&r->ctx, out[i], &res[i], &t3);
		reflected += nb_out;
	}
	return reflected;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Nearest-rank quartiles of v (sorted in place). */
static void
quartiles(double *v, unsigned int n, double *q1, double *q3)
{
	qsort(v, n, sizeof(*v), cmp_double);
	*q1 = v[(n - 1) / 4];
	*q3 = v[(3 * (n - 1) + 3) / 4];
}

struct flow_case {
	const char *label;
	uint32_t flows;
};

struct csum_case {
	const char *label;
	enum tw_wire_csum_mode csum;
	unsigned int rx_flags;
};

static const struct flow_case flow_cases[] = {
	{ "1 flow", 1 },
	{ "1000 flows", 1000 },
	{ "60000 flows", 60000 },
};

static const struct csum_case csum_cases[] = {
	/* No offload: verify IPv4 header and UDP checksums, compute both, update after T3. */
	{ "sw-csum", TW_CSUM_SW, 0 },
	/* What a NIC with RX and TX checksum offload leaves: pseudo-header sum only. */
	{ "offload", TW_CSUM_OFFLOAD, TW_RX_L3_CSUM_OK | TW_RX_L4_CSUM_OK },
};

/*
 * One round: reflect and baseline back to back over `passes` passes, the order alternating with
 * the round number so a slow drift of the machine hits both alike.
 */
static void
measure_round(struct frames *fr, struct refl_state *r, unsigned int rx_flags, uint64_t passes,
	      unsigned int round, double *refl_cpp, double *base_cpp)
{
	for (unsigned int ab = 0; ab < 2; ab++) {
		bool refl = (ab ^ (round & 1)) == 0;
		uint64_t t0, n = 0;

		t0 = ticks();
		for (uint64_t p = 0; p < passes; p++)
			n += refl ? pass_reflect(fr, r, rx_flags) : pass_baseline(fr);
		if (refl && n != passes * fr->n) {
			fprintf(stderr, "bench_reflect: a frame was not reflected\n");
			exit(1);
		}
		*(refl ? refl_cpp : base_cpp) = (double)(ticks() - t0) / (double)n;
	}
}

/* Whole-path cases: reflect vs baseline, per flow count and checksum mode. */
static void
run_cases(unsigned int rounds, uint64_t packets)
{
	double *rv = xalloc(sizeof(double) * rounds * 3), *bv = rv + rounds, *ratio = bv + rounds;

	printf("%-28s %12s %12s %8s %16s\n", "case", "cycles/pkt", "baseline", "ratio",
	       "ratio q1..q3");
	for (size_t fc = 0; fc < sizeof(flow_cases) / sizeof(flow_cases[0]); fc++) {
		struct frames fr;

		frames_init(&fr, flow_cases[fc].flows);
		for (size_t cc = 0; cc < sizeof(csum_cases) / sizeof(csum_cases[0]); cc++) {
			const struct csum_case *cs = &csum_cases[cc];
			uint64_t passes = (packets + fr.n - 1) / fr.n;
			double q1, q3, rm, bm, rq;
			struct refl_state r;
			char name[64];

			refl_init(&r, cs->csum);
			/* Warm up: insert every flow, fault the pages in, train the predictors. */
			if (pass_reflect(&fr, &r, cs->rx_flags) != fr.n) {
				fprintf(stderr, "bench_reflect: %s: a frame was not reflected\n",
					cs->label);
				exit(1);
			}
			pass_baseline(&fr);
			for (unsigned int k = 0; k < rounds; k++) {
				measure_round(&fr, &r, cs->rx_flags, passes, k, &rv[k], &bv[k]);
				ratio[k] = rv[k] / bv[k];
			}
			rm = median(rv, rounds);
			bm = median(bv, rounds);
			/* Ratio per round (both halves ran back to back), then the median: a
			 * neighbour's noise spoils one pair, not the figure. */
			rq = median(ratio, rounds);
			quartiles(ratio, rounds, &q1, &q3);
			snprintf(name, sizeof(name), "reflect %s, %s", cs->label,
				 flow_cases[fc].label);
			printf("%-28s %12.1f %12.1f %8.2f %7.2f..%-7.2f\n", name, rm, bm, rq, q1,
			       q3);
			free(r.flow_mem);
		}
		frames_free(&fr);
	}
	free(rv);
}

/*
 * Where the cycles go: each step of tw_refl_packet() run alone, many times over the same 1024
 * frames (1000 flows), hot in cache and without the restore copy. Steps that rewrite (swap,
 * rewrite, stamp) are involutions or idempotent enough to repeat on the same buffer.
 */
enum step {
	STEP_RESTORE,
	STEP_SWAP5,
	STEP_PARSE_L3CSUM,
	STEP_PARSE,
	STEP_UDP_CSUM,
	STEP_FLOW,
	STEP_REWRITE_SW,
	STEP_REWRITE_OFF,
	STEP_STAMP_SW,
	STEP_STAMP_OFF,
	STEP_CLOCK,
	STEP_T2_NIC,
	STEP_T2_PCAP,
	STEP_FULL_SW,
	STEP_FULL_OFF,
	STEP_MAX
};

static const char *const step_names[STEP_MAX] = {
	[STEP_RESTORE] = "restore (memcpy 83 octets)",
	[STEP_SWAP5] = "5-tuple swap (baseline work)",
	[STEP_PARSE_L3CSUM] = "parse + IPv4 hdr csum verify",
	[STEP_PARSE] = "parse (IPv4 csum by NIC)",
	[STEP_UDP_CSUM] = "UDP csum verify",
	[STEP_FLOW] = "flow lookup + seq",
	[STEP_REWRITE_SW] = "rewrite, sw csum",
	[STEP_REWRITE_OFF] = "rewrite, offload",
	[STEP_STAMP_SW] = "T3 stamp, sw csum",
	[STEP_STAMP_OFF] = "T3 stamp, offload",
	[STEP_CLOCK] = "T2+T3 clock, per packet",
	[STEP_T2_NIC] = "T2 from a NIC timestamp",
	[STEP_T2_PCAP] = "T2 from a pcap timestamp",
	[STEP_FULL_SW] = "full path sw-csum, minus restore",
	[STEP_FULL_OFF] = "full path offload, minus restore",
};

struct step_data {
	struct frames fr;
	struct tw_wire_frame *wf;	/* parsed pristine frames */
	struct tw_flow_key *keys;
	struct refl_state r;
	struct tw_ts_pub nic_pub;	/* a NIC clock model as the worker reads it */
};

static uint64_t
run_step(struct step_data *d, enum step s)
{
	struct tw_wire_refl_fields v = { .seq = 1, .rx_ts = 0x1122334455667788ULL, .err_est = 1 };
	const uint32_t n = d->fr.n;
	uint64_t acc = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint8_t *w = d->fr.work + (size_t)i * SLOT;
		const uint8_t *p = d->fr.pristine + (size_t)i * SLOT;
		uint32_t seq;

		switch (s) {
		case STEP_RESTORE:
			memcpy(w, p, FRAME_LEN);
			acc += w[0];
			break;
		case STEP_SWAP5:
			swap5(w);
			acc += w[0];
			break;
		case STEP_PARSE_L3CSUM:
		case STEP_PARSE: {
			struct tw_wire_frame f;

			acc += tw_wire_parse(p, FRAME_LEN, s == STEP_PARSE, &f) + f.dst_port;
			break;
		}
		case STEP_UDP_CSUM:
			acc += tw_wire_udp_csum_ok(p, &d->wf[i]);
			break;
		case STEP_FLOW:
			acc += tw_flow_next_seq(d->r.ctx.flows, &d->keys[i], 1, &seq) + seq;
			break;
		case STEP_REWRITE_SW:
		case STEP_REWRITE_OFF:
			acc += tw_wire_reflect_unauth(w, SLOT, &d->wf[i], &v,
						      s == STEP_REWRITE_SW ? TW_CSUM_SW :
						      TW_CSUM_OFFLOAD);
			break;
		case STEP_STAMP_SW:
		case STEP_STAMP_OFF:
			tw_wire_stamp_tx(w, 34, 46, v.rx_ts + i,
					 s == STEP_STAMP_SW ? TW_CSUM_SW : TW_CSUM_OFFLOAD);
			acc += w[40];
			break;
		case STEP_T2_NIC:
		case STEP_T2_PCAP: {
			/*
			 * The worker's rx_stamp() for a port that stamps every packet: the NIC's
			 * counter through its published model, or a capture's microseconds, into
			 * both formats. A stand-in counter value varies per packet.
			 */
			struct tw_refl_ts t;
			uint64_t raw = 0x1234567890ULL + i * 977;

			if (s == STEP_T2_NIC) {
				struct tw_ts_params nic;

				tw_ts_pub_load(&d->nic_pub, &nic);
				tw_refl_ts_set(&t, tw_ts_params_ns(&nic, raw), 37, nic.errest);
			} else {
				tw_refl_ts_set(&t, raw * 1000, 37, d->r.clk.errest);
			}
			acc += t.ntp ^ t.ptp;
			break;
		}
		case STEP_CLOCK:
			if (i % BURST == 0) {
				struct tw_refl_ts a, b;

				stamp_now(&d->r.clk, &a);
				stamp_now(&d->r.clk, &b);
				acc += a.ntp + a.ptp + b.ntp + b.ptp;
			}
			break;
		default:
			/* The full paths are measured by run_steps() through pass_reflect(). */
			break;
		}
	}
	sink += acc;
	return n;
}

static void
run_steps(unsigned int rounds, uint64_t packets)
{
	struct step_data d;
	double *v = xalloc(sizeof(double) * rounds), med[STEP_MAX], restore;
	uint64_t passes;

	frames_init(&d.fr, 1000);
	passes = (packets + d.fr.n - 1) / d.fr.n;
	d.wf = xalloc(sizeof(*d.wf) * d.fr.n);
	d.keys = xalloc(sizeof(*d.keys) * d.fr.n);
	refl_init(&d.r, TW_CSUM_SW);
	memset(&d.nic_pub, 0, sizeof(d.nic_pub));
	tw_ts_pub_store(&d.nic_pub, &d.r.clk);
	for (uint32_t i = 0; i < d.fr.n; i++) {
		const uint8_t *p = d.fr.pristine + (size_t)i * SLOT;
		struct tw_wire_frame *f = &d.wf[i];
		struct tw_flow_key *k = &d.keys[i];

		tw_wire_parse(p, FRAME_LEN, false, f);
		memset(k, 0, sizeof(*k));
		memcpy(k->src, f->src_addr, 4);
		memcpy(k->dst, f->dst_addr, 4);
		k->sport = f->src_port;
		k->dport = f->dst_port;
		k->family = 4;
	}

	for (int s = 0; s < STEP_FULL_SW; s++) {
		run_step(&d, (enum step)s);	/* warm up */
		for (unsigned int k = 0; k < rounds; k++) {
			uint64_t t0 = ticks(), n = 0;

			for (uint64_t p = 0; p < passes; p++)
				n += run_step(&d, (enum step)s);
			v[k] = (double)(ticks() - t0) / (double)n;
		}
		med[s] = median(v, rounds);
	}
	/* Full paths: as in run_cases(), minus the restore measured above. */
	restore = med[STEP_RESTORE];
	for (int s = STEP_FULL_SW; s < STEP_MAX; s++) {
		const struct csum_case *cs = &csum_cases[s == STEP_FULL_SW ? 0 : 1];

		d.r.ctx.csum = cs->csum;
		pass_reflect(&d.fr, &d.r, cs->rx_flags);
		for (unsigned int k = 0; k < rounds; k++) {
			uint64_t t0 = ticks(), n = 0;

			for (uint64_t p = 0; p < passes; p++)
				n += pass_reflect(&d.fr, &d.r, cs->rx_flags);
			v[k] = (double)(ticks() - t0) / (double)n;
		}
		med[s] = median(v, rounds) - restore;
	}

	printf("\nwhere the cycles go (1000 flows, each step alone, hot cache; ratio to the "
	       "5-tuple swap)\n");
	printf("%-34s %12s %8s\n", "step", "cycles/pkt", "x swap");
	for (int s = 0; s < STEP_MAX; s++)
		printf("%-34s %12.1f %8.2f\n", step_names[s], med[s], med[s] / med[STEP_SWAP5]);
	printf("(full path sw-csum = parse + L3 verify + UDP verify + match/src checks + flow + "
	       "rewrite + stamp + clock)\n");
	free(d.r.flow_mem);
	free(d.wf);
	free(d.keys);
	free(v);
	frames_free(&d.fr);
}

/* TSC ticks per second, against CLOCK_MONOTONIC over 100 ms: to read ticks as time. */
static double
tsc_ghz(void)
{
	struct timespec a, b, req = { 0, 100 * 1000 * 1000 };
	uint64_t t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &a);
	t0 = __rdtsc();
	nanosleep(&req, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	t1 = __rdtsc();
	return (double)(t1 - t0) /
	       ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec));
}

int
main(int argc, char **argv)
{
	unsigned int rounds = DEF_ROUNDS;
	uint64_t packets = DEF_PACKETS;
	int opt;

	while ((opt = getopt(argc, argv, "r:p:h")) != -1) {
		switch (opt) {
		case 'r':
			rounds = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'p':
			packets = strtoull(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: %s [-r ROUNDS] [-p PACKETS_PER_ROUND]\n", argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (rounds == 0 || packets == 0) {
		fprintf(stderr, "bench_reflect: rounds and packets must be > 0\n");
		return 2;
	}

	printf("bench_reflect: reflect path in memory, IPv4 TWAMP Light, %d-octet frames "
	       "(41-octet payload)\n", FRAME_LEN);
	printf("cycles = TSC ticks (%.2f GHz); median of %u rounds of >= %llu packets; baseline = "
	       "restore + 5-tuple swap\n(testpmd 5tswap) on the same frames in the same loop; "
	       "ratio = median over rounds of cycles / baseline\n\n",
	       tsc_ghz(), rounds, (unsigned long long)packets);
	run_cases(rounds, packets);
	run_steps(rounds, packets);
	return 0;
}
