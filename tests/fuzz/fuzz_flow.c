/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz the flow table against a model. The input is a program: octet 0 picks the capacity
 * (8, 16 or 32: small, so buckets overflow and entries get moved to their other bucket), then
 * each pair of octets is one packet: which of 96 keys (IPv4 and IPv6) it belongs to, and how many
 * ticks passed since the previous packet (idle timeout 100 ticks).
 * Properties (abort(), not assert(): release builds define NDEBUG):
 *  - a flow seen within the idle timeout is found, with the next sequence number: no live flow
 *    is ever lost, evicted or moved out of reach;
 *  - anything else starts at 0 or is refused (TW_FLOW_FULL), and refusals are counted;
 *  - the table never claims more entries than its capacity.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tw_flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                    \
	do {                                                                        \
		if (!(c)) {                                                         \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
			abort();                                                    \
		}                                                                   \
	} while (0)

enum {
	NKEYS = 96,
	IDLE = 100,
	MAX_CAP = 32,
};

static uint8_t mem[4096] __attribute__((aligned(64)));

static struct tw_flow_key
key(unsigned int i)
{
	struct tw_flow_key k;

	memset(&k, 0, sizeof(k));
	k.family = i % 2 ? 6 : 4;
	k.src[0] = 10;
	k.src[k.family == 6 ? 15 : 3] = (uint8_t)i;
	k.dst[0] = 192;
	k.sport = (uint16_t)(40000 + i % 5);
	k.dport = 862;
	return k;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model {
		uint8_t present;
		uint32_t seq;
		uint64_t last;
	} m[NKEYS];
	struct tw_flow_table *t;
	struct tw_flow_stats st;
	uint64_t now = 1000, fulls = 0;
	uint32_t cap;

	CHECK(tw_flow_mem_size(MAX_CAP) <= sizeof(mem));
	if (size < 1)
		return 0;
	cap = 8u << (data[0] % 3);
	t = tw_flow_init(mem, cap, IDLE);
	CHECK(t != NULL && tw_flow_capacity(t) == cap);
	memset(m, 0, sizeof(m));

	for (size_t i = 1; i + 1 < size; i += 2) {
		unsigned int k = data[i] % NKEYS;
		struct tw_flow_key fk = key(k);
		enum tw_flow_result r;
		uint32_t seq = 0xdeadbeef;

		now += data[i + 1];
		r = tw_flow_next_seq(t, &fk, now, &seq);
		if (m[k].present && now - m[k].last <= IDLE) {
			CHECK(r == TW_FLOW_FOUND);
			CHECK(seq == m[k].seq);
			m[k].seq++;
			m[k].last = now;
		} else if (r == TW_FLOW_NEW) {
			CHECK(seq == 0);
			m[k].present = 1;
			m[k].seq = 1;
			m[k].last = now;
		} else {
			CHECK(r == TW_FLOW_FULL);
			m[k].present = 0;
			fulls++;
		}
		tw_flow_get_stats(t, &st);
		CHECK(st.live <= cap);
		CHECK(st.full == fulls);
	}
	return 0;
}
