/* SPDX-License-Identifier: BSD-3-Clause */
/* Token buckets per source address; see tw_ctrl_ratelim.h. */
#include <string.h>

#include "tw_ctrl_ratelim.h"

void
tw_ratelim_init(struct tw_ratelim *r, uint32_t rate, uint32_t burst, uint32_t key)
{
	memset(r, 0, sizeof(*r));
	r->rate = rate;
	r->burst = burst == 0 ? 1 : burst;
	r->key = key;
}

/* FNV-1a over the address, seeded: spreads sources over the sets. */
static uint32_t
set_of(const struct tw_ratelim *r, uint8_t family, const uint8_t *addr)
{
	uint32_t h = 2166136261u ^ r->key;
	size_t n = family == 6 ? 16 : 4;

	for (size_t i = 0; i < n; i++)
		h = (h ^ addr[i]) * 16777619u;
	return h % TW_RATELIM_SETS;
}

bool
tw_ratelim_allow(struct tw_ratelim *r, uint8_t family, const uint8_t *addr, uint64_t now)
{
	struct tw_ratelim_slot *set, *hit = NULL;
	size_t n = family == 6 ? 16 : 4;
	uint64_t full = (uint64_t)r->burst * 1000;

	if (r->rate == 0)
		return true;
	set = r->s[set_of(r, family, addr)];
	for (int i = 0; i < TW_RATELIM_WAYS && hit == NULL; i++)
		if (set[i].family == family && memcmp(set[i].addr, addr, n) == 0)
			hit = &set[i];
	if (hit == NULL) {
		/* A free slot, else the one used least recently; the newcomer starts full. */
		hit = &set[0];
		for (int i = 1; i < TW_RATELIM_WAYS && hit->family != 0; i++)
			if (set[i].family == 0 || set[i].last_ns < hit->last_ns)
				hit = &set[i];
		memset(hit, 0, sizeof(*hit));
		hit->family = family;
		memcpy(hit->addr, addr, n);
		hit->milli_tokens = full;
	} else if (now > hit->last_ns) {
		/* ns x (tokens/s) / 1e6 = milli-tokens; past 1000 s any bucket is full anyway */
		uint64_t dt = now - hit->last_ns, add;

		if (dt > 1000ULL * 1000000000ULL)
			dt = 1000ULL * 1000000000ULL;
		add = dt * r->rate / 1000000;
		hit->milli_tokens = add >= full - hit->milli_tokens ? full : hit->milli_tokens + add;
	}
	hit->last_ns = now;
	if (hit->milli_tokens < 1000)
		return false;
	hit->milli_tokens -= 1000;
	return true;
}
