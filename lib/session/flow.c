/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "tw_flow.h"

enum {
	BUCKET_ENTRIES = 4,
	MAX_CAPACITY = 1u << 24,
};

struct entry {
	struct tw_flow_key key;
	uint64_t last;		/* `now` of the last packet */
	uint32_t seq;		/* next sequence number to send */
	uint32_t used;
	uint8_t pad[8];
};
_Static_assert(sizeof(struct entry) == 64, "one cache line per entry");

struct tw_flow_table {
	uint32_t mask;		/* number of buckets - 1 */
	uint32_t capacity;
	uint64_t idle;
	struct tw_flow_stats st;
	/* (mask + 1) * BUCKET_ENTRIES entries, each on its own cache line */
	struct entry e[] __attribute__((aligned(64)));
};

static uint32_t
roundup_pow2(uint32_t v)
{
	uint32_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

size_t
tw_flow_mem_size(uint32_t capacity)
{
	uint32_t n;

	if (capacity == 0 || capacity > MAX_CAPACITY)
		return 0;
	n = roundup_pow2(capacity);
	if (n < 2 * BUCKET_ENTRIES)
		n = 2 * BUCKET_ENTRIES;
	return sizeof(struct tw_flow_table) + (size_t)n * sizeof(struct entry);
}

struct tw_flow_table *
tw_flow_init(void *mem, uint32_t capacity, uint64_t idle_ticks)
{
	struct tw_flow_table *t = mem;
	uint32_t n;

	if (mem == NULL || capacity == 0 || capacity > MAX_CAPACITY || idle_ticks == 0 ||
	    ((uintptr_t)mem & 63) != 0) {
		errno = EINVAL;
		return NULL;
	}
	n = roundup_pow2(capacity);
	if (n < 2 * BUCKET_ENTRIES)
		n = 2 * BUCKET_ENTRIES;
	memset(t, 0, tw_flow_mem_size(capacity));
	t->mask = n / BUCKET_ENTRIES - 1;
	t->capacity = n;
	t->idle = idle_ticks;
	return t;
}

/*
 * 64-bit multiply-xorshift over the five 8-octet words of the key. Flows come from outside, so
 * the table must not be trivially steerable; but it cannot be flooded past its capacity either
 * (the worst case is refused new flows, counted), so a keyed hash is not needed here.
 */
static uint64_t
hash_key(const struct tw_flow_key *k)
{
	uint64_t w[5], h = 0x9e3779b97f4a7c15ULL;

	memcpy(w, k, sizeof(w));
	for (int i = 0; i < 5; i++) {
		h ^= w[i];
		h *= 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 29);
}

enum tw_flow_result
tw_flow_next_seq(struct tw_flow_table *t, const struct tw_flow_key *key, uint64_t now,
		 uint32_t *seq)
{
	uint64_t h = hash_key(key);
	uint32_t b[2] = { (uint32_t)h & t->mask, (uint32_t)(h >> 32) & t->mask };
	struct entry *free_slot = NULL, *idle_slot = NULL;

	for (int i = 0; i < 2; i++) {
		struct entry *e = &t->e[(size_t)b[i] * BUCKET_ENTRIES];

		for (int j = 0; j < BUCKET_ENTRIES; j++, e++) {
			if (!e->used) {
				if (free_slot == NULL)
					free_slot = e;
				continue;
			}
			if (memcmp(&e->key, key, sizeof(*key)) == 0) {
				enum tw_flow_result r = TW_FLOW_FOUND;

				/* Idle past the timeout: a new session of the same 5-tuple. */
				if (now - e->last > t->idle) {
					e->seq = 0;
					r = TW_FLOW_NEW;
				}
				e->last = now;
				*seq = e->seq++;
				return r;
			}
			if (idle_slot == NULL && now - e->last > t->idle)
				idle_slot = e;
		}
		if (b[0] == b[1])
			break;
	}

	if (free_slot == NULL) {
		if (idle_slot == NULL) {
			t->st.full++;
			return TW_FLOW_FULL;
		}
		free_slot = idle_slot;
		t->st.expired_reused++;
	} else {
		t->st.live++;
	}
	free_slot->key = *key;
	free_slot->used = 1;
	free_slot->last = now;
	free_slot->seq = 1;
	t->st.inserts++;
	*seq = 0;
	return TW_FLOW_NEW;
}

void
tw_flow_get_stats(const struct tw_flow_table *t, struct tw_flow_stats *st)
{
	*st = t->st;
}

uint32_t
tw_flow_capacity(const struct tw_flow_table *t)
{
	return t->capacity;
}
