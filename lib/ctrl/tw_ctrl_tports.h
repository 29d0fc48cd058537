/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receiver (test) ports of TWAMP-Control sessions, shared between sessions.
 *
 * A test session is known to the data plane by its 5-tuple (sender address and port, reflector
 * address and port, UDP), so two sessions may use the same reflector test port as long as their
 * senders differ: 100,000 sessions do not need 100,000 ports. This module keeps the set of the
 * 5-tuples of every accepted session and picks the reflector port of a new one:
 *
 * - the port the client asked for (RFC 5357 §3.5 Receiver Port) when it is one of the test
 *   ports and no other session has the same sender address and port towards it;
 * - else the next test port, round robin over the ranges, whose 5-tuple is free (RFC 5357 §3.6:
 *   the Accept-Session Port is the one the Session-Reflector uses), so that sessions spread over
 *   the ports (and the receive queues that hash on them);
 * - else none (every test port already carries a session from this sender address and port).
 *
 * The set is an open-addressing hash table sized once for `max` tuples at most half full, with
 * a keyed hash (a client chooses its sender ports: it must not be able to aim them at one
 * bucket). Pure C, no allocation after tw_ctrl_tports_new().
 */
#ifndef TW_CTRL_TPORTS_H
#define TW_CTRL_TPORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A session's 5-tuple, as the Session-Reflector receives its test packets. */
struct tw_ctrl_tuple {
	uint8_t family;			/* 4 or 6 */
	uint8_t sender[16];		/* IPv4 in the first 4 octets, the rest zero */
	uint8_t receiver[16];
	uint16_t sender_port;
	uint16_t receiver_port;
};

struct tw_ctrl_port_range {
	uint16_t lo;
	uint16_t hi;			/* inclusive, lo <= hi */
};

enum {
	TW_CTRL_TPORTS_MAX_RANGES = 64,
};

struct tw_ctrl_tports;

/*
 * A set for up to `max` sessions on the given test port ranges (copied).
 * @param key  hash key (random, from the caller).
 * @return the set, or NULL with errno EINVAL (max 0, no range, lo > hi or port 0, more than
 *         TW_CTRL_TPORTS_MAX_RANGES ranges) or ENOMEM.
 */
struct tw_ctrl_tports *tw_ctrl_tports_new(uint32_t max, const struct tw_ctrl_port_range *r,
					  unsigned int nb, uint64_t key);
void tw_ctrl_tports_free(struct tw_ctrl_tports *t);

/* Octets tw_ctrl_tports_new() allocates for `max` sessions (for the memory log). */
size_t tw_ctrl_tports_mem_size(uint32_t max);

/* Whether `port` is one of the test ports. */
bool tw_ctrl_tports_in_ranges(const struct tw_ctrl_tports *t, uint16_t port);

/*
 * Take a reflector port for a session of `tu` (its receiver_port is ignored): `wanted` when it
 * is in the ranges and free for this sender, else the next free one, and record the tuple.
 * @return the port, or 0: every test port is taken for this sender address and port (-ENOSPC
 *         kind), or the set already holds `max` tuples.
 */
uint16_t tw_ctrl_tports_take(struct tw_ctrl_tports *t, const struct tw_ctrl_tuple *tu,
			     uint16_t wanted);

/* Forget a tuple taken before (receiver_port set). @return 0, or -ENOENT if it is not there. */
int tw_ctrl_tports_put(struct tw_ctrl_tports *t, const struct tw_ctrl_tuple *tu);

/* Whether the tuple (receiver_port set) belongs to a session. */
bool tw_ctrl_tports_has(const struct tw_ctrl_tports *t, const struct tw_ctrl_tuple *tu);

/* Tuples held. */
uint32_t tw_ctrl_tports_count(const struct tw_ctrl_tports *t);

#endif /* TW_CTRL_TPORTS_H */
