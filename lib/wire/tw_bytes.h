/* SPDX-License-Identifier: BSD-3-Clause */
/* Big-endian loads and stores at any alignment, for the wire-format code of every module. */
#ifndef TW_BYTES_H
#define TW_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t
tw_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void
tw_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
tw_wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void
tw_wr64(uint8_t *p, uint64_t v)
{
	tw_wr32(p, (uint32_t)(v >> 32));
	tw_wr32(p + 4, (uint32_t)v);
}

/* Swap two non-overlapping fields of up to 16 octets (addresses, ports, MACs). */
static inline void
tw_swap_bytes(uint8_t *a, uint8_t *b, size_t n)
{
	uint8_t t[16];

	memcpy(t, a, n);
	memcpy(a, b, n);
	memcpy(b, t, n);
}

#endif /* TW_BYTES_H */
