/* SPDX-License-Identifier: BSD-3-Clause */
/* Test ports shared by sessions with different 5-tuples; see tw_ctrl_tports.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tw_ctrl_tports.h"

struct entry {
	struct tw_ctrl_tuple tu;	/* normalised: padding and unused address octets zero */
	uint8_t used;
};

struct tw_ctrl_tports {
	uint64_t key;
	uint32_t max;
	uint32_t count;
	uint32_t mask;			/* slots - 1, slots a power of two >= 2 * max */
	uint32_t total;			/* ports in all ranges */
	uint32_t cursor;		/* round robin position in [0, total) */
	unsigned int nb;
	struct tw_ctrl_port_range r[TW_CTRL_TPORTS_MAX_RANGES];
	uint32_t first[TW_CTRL_TPORTS_MAX_RANGES];	/* position of r[i].lo */
	struct entry *e;
};

static uint32_t
slots_for(uint32_t max)
{
	uint64_t n = 2;

	while (n < 2 * (uint64_t)max)
		n <<= 1;
	return (uint32_t)n;
}

size_t
tw_ctrl_tports_mem_size(uint32_t max)
{
	return sizeof(struct tw_ctrl_tports) + (size_t)slots_for(max) * sizeof(struct entry);
}

struct tw_ctrl_tports *
tw_ctrl_tports_new(uint32_t max, const struct tw_ctrl_port_range *r, unsigned int nb,
		   uint64_t key)
{
	struct tw_ctrl_tports *t;
	uint32_t total = 0;

	if (max == 0 || max > UINT32_MAX / 4 || r == NULL || nb == 0 ||
	    nb > TW_CTRL_TPORTS_MAX_RANGES) {
		errno = EINVAL;
		return NULL;
	}
	for (unsigned int i = 0; i < nb; i++) {
		if (r[i].lo == 0 || r[i].lo > r[i].hi) {
			errno = EINVAL;
			return NULL;
		}
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->mask = slots_for(max) - 1;
	t->e = calloc((size_t)t->mask + 1, sizeof(*t->e));
	if (t->e == NULL) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	t->key = key;
	t->max = max;
	t->nb = nb;
	for (unsigned int i = 0; i < nb; i++) {
		t->r[i] = r[i];
		t->first[i] = total;
		total += (uint32_t)(r[i].hi - r[i].lo) + 1;
	}
	t->total = total;
	return t;
}

void
tw_ctrl_tports_free(struct tw_ctrl_tports *t)
{
	if (t == NULL)
		return;
	free(t->e);
	free(t);
}

bool
tw_ctrl_tports_in_ranges(const struct tw_ctrl_tports *t, uint16_t port)
{
	for (unsigned int i = 0; i < t->nb; i++)
		if (port >= t->r[i].lo && port <= t->r[i].hi)
			return true;
	return false;
}

uint32_t
tw_ctrl_tports_count(const struct tw_ctrl_tports *t)
{
	return t->count;
}

static void
normalise(struct tw_ctrl_tuple *n, const struct tw_ctrl_tuple *tu, uint16_t port)
{
	size_t alen = tu->family == 6 ? 16 : 4;

	memset(n, 0, sizeof(*n));
	n->family = tu->family;
	memcpy(n->sender, tu->sender, alen);
	memcpy(n->receiver, tu->receiver, alen);
	n->sender_port = tu->sender_port;
	n->receiver_port = port;
}

/* murmur3's 64-bit finaliser: every input bit moves every output bit. */
static uint64_t
fmix64(uint64_t h)
{
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return h;
}

/*
 * Keyed, not cryptographic: with a secret key a client cannot compute which sender ports share
 * a bucket, and the table is never more than half full, so probes stay short.
 */
static uint32_t
hash(const struct tw_ctrl_tports *t, const struct tw_ctrl_tuple *n)
{
	uint8_t b[sizeof(*n)] = { 0 };
	uint64_t h = t->key;

	memcpy(b, n, sizeof(*n));
	for (size_t i = 0; i + 8 <= sizeof(b); i += 8) {
		uint64_t w;

		memcpy(&w, b + i, 8);
		h = fmix64(h ^ w) + t->key;
	}
	for (size_t i = sizeof(b) & ~(size_t)7; i < sizeof(b); i++)
		h = fmix64(h ^ b[i]) + t->key;
	return (uint32_t)fmix64(h);
}

/* The slot holding n, or the empty slot where it would go. */
static uint32_t
find(const struct tw_ctrl_tports *t, const struct tw_ctrl_tuple *n)
{
	uint32_t i = hash(t, n) & t->mask;

	while (t->e[i].used && memcmp(&t->e[i].tu, n, sizeof(*n)) != 0)
		i = (i + 1) & t->mask;
	return i;
}

bool
tw_ctrl_tports_has(const struct tw_ctrl_tports *t, const struct tw_ctrl_tuple *tu)
{
	struct tw_ctrl_tuple n;

	normalise(&n, tu, tu->receiver_port);
	return t->e[find(t, &n)].used;
}

/* Record n at port if free. @return true if taken. */
static bool
try_port(struct tw_ctrl_tports *t, struct tw_ctrl_tuple *n, uint16_t port)
{
	uint32_t i;

	n->receiver_port = port;
	i = find(t, n);
	if (t->e[i].used)
		return false;
	memcpy(&t->e[i].tu, n, sizeof(*n));	/* padding too: entries are memcmp'd */
	t->e[i].used = 1;
	t->count++;
	return true;
}

static uint16_t
port_at(const struct tw_ctrl_tports *t, uint32_t pos)
{
	unsigned int i = t->nb - 1;

	while (i > 0 && pos < t->first[i])
		i--;
	return (uint16_t)(t->r[i].lo + (pos - t->first[i]));
}

uint16_t
tw_ctrl_tports_take(struct tw_ctrl_tports *t, const struct tw_ctrl_tuple *tu, uint16_t wanted)
{
	struct tw_ctrl_tuple n;

	if (t->count >= t->max)
		return 0;
	normalise(&n, tu, 0);
	/* RFC 5357 §3.5: the Receiver Port the client asked for, when we can serve it. */
	if (wanted != 0 && tw_ctrl_tports_in_ranges(t, wanted) && try_port(t, &n, wanted))
		return wanted;
	/*
	 * Otherwise ours to choose (RFC 5357 §3.6 Port). Round robin: a new sender finds the
	 * cursor's port free at once, so this costs one probe unless one sender address and port
	 * holds sessions on many test ports (at most `total` probes then).
	 */
	for (uint32_t k = 0; k < t->total; k++) {
		uint32_t pos = (t->cursor + k) % t->total;
		uint16_t p = port_at(t, pos);

		if (try_port(t, &n, p)) {
			t->cursor = (pos + 1) % t->total;
			return p;
		}
	}
	return 0;
}

int
tw_ctrl_tports_put(struct tw_ctrl_tports *t, const struct tw_ctrl_tuple *tu)
{
	struct tw_ctrl_tuple n;
	uint32_t i, j;

	normalise(&n, tu, tu->receiver_port);
	i = find(t, &n);
	if (!t->e[i].used)
		return -ENOENT;
	/* Linear probing, deletion by backward shift: no tombstones, probes stay short. */
	j = i;
	for (;;) {
		uint32_t home;

		j = (j + 1) & t->mask;
		if (!t->e[j].used)
			break;
		home = hash(t, &t->e[j].tu) & t->mask;
		/* Move e[j] into the hole at i unless its home lies cyclically in (i, j]. */
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			memcpy(&t->e[i], &t->e[j], sizeof(t->e[i]));
			i = j;
		}
	}
	memset(&t->e[i], 0, sizeof(t->e[i]));
	t->count--;
	return 0;
}
