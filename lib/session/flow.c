/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "tw_flow.h"

enum {
	BUCKET_ENTRIES = 4,
	MAX_CAPACITY = 1u << 24,
	/* Buckets a displacement search may visit: bounds the cost of one insert. */
	MOVE_SEARCH_MAX = 64,
	/* After a failed search, new flows are refused without one for idle_ticks / 2^this. */
	SEARCH_PAUSE_SHIFT = 8,
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
	uint64_t search_after;	/* no displacement search before this `now` */
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

static void
key_buckets(const struct tw_flow_table *t, const struct tw_flow_key *k, uint32_t b[2])
{
	uint64_t h = hash_key(k);

	b[0] = (uint32_t)h & t->mask;
	b[1] = (uint32_t)(h >> 32) & t->mask;
}

static inline struct entry *
bucket(struct tw_flow_table *t, uint32_t b)
{
	return &t->e[(size_t)b * BUCKET_ENTRIES];
}

static inline bool
is_idle(const struct tw_flow_table *t, const struct entry *e, uint64_t now)
{
	return now - e->last > t->idle;
}

/* A slot a new entry may take in bucket b: a free one first, else an idle one. */
static struct entry *
bucket_target(struct tw_flow_table *t, uint32_t b, uint64_t now)
{
	struct entry *e = bucket(t, b), *idle = NULL;

	for (int j = 0; j < BUCKET_ENTRIES; j++) {
		if (!e[j].used)
			return &e[j];
		if (idle == NULL && is_idle(t, &e[j], now))
			idle = &e[j];
	}
	return idle;
}

/*
 * Both candidate buckets of a new key are full of live flows. First-fit into two 4-way buckets
 * alone refuses new flows from about 25% load on; moving entries to their other candidate bucket
 * (cuckoo hashing, with 4-way buckets) fills the table to well over 90%. The search is
 * breadth-first over at most MOVE_SEARCH_MAX distinct buckets for a free or idle slot, and the
 * path is applied only once one has been found, from the far end back: no live flow is ever
 * evicted, and every entry stays in one of its two buckets, so lookups are unchanged.
 * @return the slot for the new key in roots[0] or roots[1] (*reclaimed set if an idle flow gave
 * up its slot for it), or NULL.
 */
static struct entry *
make_room(struct tw_flow_table *t, const uint32_t roots[2], uint64_t now, bool *reclaimed)
{
	struct node {
		uint32_t b;		/* a bucket full of live flows */
		int16_t parent;		/* node whose entry at parent_slot has b as other bucket */
		uint8_t parent_slot;
	} q[MOVE_SEARCH_MAX];
	int n = 0;

	q[n++] = (struct node){ roots[0], -1, 0 };
	if (roots[1] != roots[0])
		q[n++] = (struct node){ roots[1], -1, 0 };

	for (int head = 0; head < n; head++) {
		struct entry *be = bucket(t, q[head].b);

		for (int j = 0; j < BUCKET_ENTRIES; j++) {
			uint32_t kb[2], alt;
			struct entry *dst;
			int k;

			key_buckets(t, &be[j].key, kb);
			alt = kb[0] == q[head].b ? kb[1] : kb[0];
			if (alt == q[head].b)
				continue;
			dst = bucket_target(t, alt, now);
			if (dst != NULL) {
				/* Shift the chain one step towards the target, far end first. */
				int cur = head, slot = j;

				*reclaimed = dst->used;
				for (;;) {
					struct entry *src = &bucket(t, q[cur].b)[slot];

					*dst = *src;
					dst = src;
					if (q[cur].parent < 0)
						break;
					slot = q[cur].parent_slot;
					cur = q[cur].parent;
				}
				dst->used = 0;
				return dst;
			}
			if (n == MOVE_SEARCH_MAX)
				continue;
			/* Each bucket at most once, so a path never passes through itself. */
			for (k = 0; k < n && q[k].b != alt; k++)
				;
			if (k == n)
				q[n++] = (struct node){ alt, (int16_t)head, (uint8_t)j };
		}
	}
	return NULL;
}

enum tw_flow_result
tw_flow_next_seq(struct tw_flow_table *t, const struct tw_flow_key *key, uint64_t now,
		 uint32_t *seq)
{
	struct entry *free_slot = NULL, *idle_slot = NULL;
	uint32_t b[2];

	key_buckets(t, key, b);
	for (int i = 0; i < 2; i++) {
		struct entry *e = bucket(t, b[i]);

		for (int j = 0; j < BUCKET_ENTRIES; j++, e++) {
			if (!e->used) {
				if (free_slot == NULL)
					free_slot = e;
				continue;
			}
			if (memcmp(&e->key, key, sizeof(*key)) == 0) {
				enum tw_flow_result r = TW_FLOW_FOUND;

				/* Idle past the timeout: a new session of the same 5-tuple. */
				if (is_idle(t, e, now)) {
					e->seq = 0;
					r = TW_FLOW_NEW;
				}
				e->last = now;
				*seq = e->seq++;
				return r;
			}
			if (idle_slot == NULL && is_idle(t, e, now))
				idle_slot = e;
		}
		if (b[0] == b[1])
			break;
	}

	/* An idle flow is as good as gone (it would restart at 0): reuse its slot before moving. */
	if (free_slot == NULL && idle_slot != NULL) {
		free_slot = idle_slot;
		t->st.expired_reused++;
	} else if (free_slot != NULL) {
		t->st.live++;
	} else {
		bool reclaimed = false;

		/*
		 * A failed search costs microseconds, a hundred lookups. When one fails the table is
		 * full of live flows around there, and room only comes back as flows go idle: so
		 * refuse without searching for a while (1/256 of the idle timeout). A flood of new
		 * 5-tuples into a full table then costs about a lookup per packet.
		 */
		if (now >= t->search_after)
			free_slot = make_room(t, b, now, &reclaimed);
		if (free_slot == NULL) {
			if (now >= t->search_after)
				t->search_after = now + (t->idle >> SEARCH_PAUSE_SHIFT) + 1;
			t->st.full++;
			return TW_FLOW_FULL;
		}
		if (reclaimed)
			t->st.expired_reused++;
		else
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
tw_flow_prefetch(const struct tw_flow_table *t, const struct tw_flow_key *key)
{
	uint32_t b[2];

	key_buckets(t, key, b);
	/*
	 * A lookup reads the bucket's entries in order and usually stops at the first (a bucket is
	 * four cache lines): the first two lines of the first bucket and the first of the second
	 * cover most lookups without filling the line-fill buffers with a whole burst's worth.
	 */
	__builtin_prefetch(&t->e[(size_t)b[0] * BUCKET_ENTRIES], 1, 3);
	__builtin_prefetch(&t->e[(size_t)b[0] * BUCKET_ENTRIES + 1], 1, 3);
	__builtin_prefetch(&t->e[(size_t)b[1] * BUCKET_ENTRIES], 1, 3);
}

uint32_t
tw_flow_live(const struct tw_flow_table *t)
{
	return t->st.live;
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
