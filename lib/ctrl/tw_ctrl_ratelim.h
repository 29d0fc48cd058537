/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-source rate limit of new TWAMP-Control connections: a token bucket per source address
 * (`rate` tokens a second, at most `burst`), in a fixed table so that the memory is bounded
 * whatever the number of sources. Pure C, no clock: the caller passes `now` (ns, monotonic).
 *
 * The table is 4-way set associative on a hash of the address: a source not in its set takes
 * the slot used least recently. An evicted source comes back with a full bucket, so a flood
 * from many addresses can at worst let each of them through at `burst`; the connection limits
 * (total and per source) still bound what they hold.
 */
#ifndef TW_CTRL_RATELIM_H
#define TW_CTRL_RATELIM_H

#include <stdbool.h>
#include <stdint.h>

enum {
	TW_RATELIM_SETS = 256,
	TW_RATELIM_WAYS = 4,
};

struct tw_ratelim_slot {
	uint8_t addr[16];
	uint8_t family;			/* 0: free */
	uint64_t last_ns;		/* last refill */
	uint64_t milli_tokens;		/* tokens x 1000 */
};

struct tw_ratelim {
	uint32_t rate;			/* tokens per second; 0: no limit */
	uint32_t burst;			/* bucket size */
	uint32_t key;			/* hash key, so sets cannot be aimed at from outside */
	struct tw_ratelim_slot s[TW_RATELIM_SETS][TW_RATELIM_WAYS];
};

/* rate new connections per second and per source, at most burst at once (burst >= 1). */
void tw_ratelim_init(struct tw_ratelim *r, uint32_t rate, uint32_t burst, uint32_t key);

/*
 * One new connection from family/addr (4 or 6, 4 or 16 octets) at now: take a token.
 * @return true if allowed.
 */
bool tw_ratelim_allow(struct tw_ratelim *r, uint8_t family, const uint8_t *addr, uint64_t now);

#endif /* TW_CTRL_RATELIM_H */
