/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker table of TWAMP Light flows: one reflector sequence counter per sender 5-tuple
 * (RFC 5357 Appendix I: a stateful reflector keeps a Sequence Number per session; in Light mode
 * the session is the sender's 5-tuple).
 *
 * Single-threaded by design: each worker owns its own table and RSS (or the app's software
 * distribution, which hashes the same 5-tuple) keeps a 5-tuple on one worker, so there are no
 * locks and no atomics. The memory comes from the caller (the app puts it
 * on the worker's NUMA node); the table never allocates after init.
 *
 * Layout: buckets of 4 entries, one 256-octet group per bucket; each key has two candidate
 * buckets (two independent hashes), so a full table degrades by refusing new flows (counted),
 * never by evicting a live one. Flows idle longer than idle_ticks are forgotten lazily: their slot
 * is reused by the next insert that needs it, and a returning flow restarts at sequence 0.
 */
#ifndef TW_FLOW_H
#define TW_FLOW_H

#include <stddef.h>
#include <stdint.h>

struct tw_flow_key {
	uint8_t src[16];	/* IPv4 uses the first 4 octets, the rest zero */
	uint8_t dst[16];
	uint16_t sport;
	uint16_t dport;
	uint8_t family;		/* 4 or 6 */
	uint8_t pad[3];		/* zero: keys are compared as bytes */
};
_Static_assert(sizeof(struct tw_flow_key) == 40, "flow key is compared with memcmp");

enum tw_flow_result {
	TW_FLOW_FOUND = 0,
	TW_FLOW_NEW,		/* inserted (or an idle entry of the same key restarted) */
	TW_FLOW_FULL,		/* no room in either bucket: the caller drops and counts */
};

struct tw_flow_stats {
	uint64_t inserts;
	uint64_t expired_reused;	/* idle slots reclaimed */
	uint64_t full;
	uint32_t live;			/* entries in use (including idle not yet reclaimed) */
};

struct tw_flow_table;

/* Bytes needed for a table of at least `capacity` flows (rounded up to a power of two). */
size_t tw_flow_mem_size(uint32_t capacity);
/*
 * Lay a table out in mem (tw_flow_mem_size(capacity) bytes, 64-octet aligned, any content).
 * idle_ticks: how many units of the caller's `now` make a flow idle (> 0).
 * @return the table, or NULL (errno EINVAL) for capacity 0, > 2^24, or misaligned mem.
 */
struct tw_flow_table *tw_flow_init(void *mem, uint32_t capacity, uint64_t idle_ticks);

/*
 * Find key (or insert it) and return, in *seq, the sequence number to put in this reflected
 * packet; the stored counter is incremented. `now` is a monotonic tick count.
 */
enum tw_flow_result tw_flow_next_seq(struct tw_flow_table *t, const struct tw_flow_key *key,
				     uint64_t now, uint32_t *seq);

/*
 * Start loading the two candidate buckets of key into the cache, so that a tw_flow_next_seq() of
 * the same key a little later (the same burst) does not wait for memory. Reads nothing but the
 * table's mask; writes nothing. Worth it only when the table is larger than the cache: a burst
 * of keys each missing to DRAM then overlaps its misses instead of paying them one by one.
 */
void tw_flow_prefetch(const struct tw_flow_table *t, const struct tw_flow_key *key);

/* Entries in use (the live count of tw_flow_get_stats()), cheap enough to read per burst. */
uint32_t tw_flow_live(const struct tw_flow_table *t);

void tw_flow_get_stats(const struct tw_flow_table *t, struct tw_flow_stats *st);
uint32_t tw_flow_capacity(const struct tw_flow_table *t);

#endif /* TW_FLOW_H */
