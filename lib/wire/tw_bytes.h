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

/* One hex digit's value, or -1. */
static inline int
tw_hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * n hex digits (no separators) into out, for keys and SPIs in configuration files.
 * @return octets written, or -1 (empty, odd length, a non-hex digit, more than max octets).
 */
static inline int
tw_unhex(const char *s, size_t n, uint8_t *out, size_t max)
{
	if (n == 0 || n % 2 != 0 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = tw_hexval(s[2 * i]), lo = tw_hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(n / 2);
}

#endif /* TW_BYTES_H */
