/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pacing arithmetic of the Session-Sender (pace.h). The caller reads the clock; everything here
 * is a function of its arguments.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pace.h"

int
pace_parse_rate(const char *s, uint64_t *pps_milli)
{
	double v, mult = 1;
	char *end;

	if (strcmp(s, "max") == 0) {
		*pps_milli = 0;
		return 0;
	}
	if (*s == '\0' || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s)
		return -EINVAL;
	if (strcmp(end, "k") == 0 || strcmp(end, "K") == 0)
		mult = 1e3;
	else if (strcmp(end, "M") == 0)
		mult = 1e6;
	else if (*end != '\0')
		return -EINVAL;
	/* !(v > 0) also refuses NaN; "inf" is above the limit. */
	v *= mult;
	if (!(v > 0) || v > (double)PACE_MAX_PPS)
		return -EINVAL;
	v = v * 1e3 + 0.5;
	if (v < 1)
		return -EINVAL;
	*pps_milli = (uint64_t)v;
	return 0;
}

uint64_t
pace_offset_ns(const struct pace *p, uint64_t k)
{
	/* 128 bits: k (up to 5e7 packets) times 1e12 does not fit in 64. */
	if (p->pps_milli > 0)
		return (uint64_t)((unsigned __int128)k * 1000000000000u / p->pps_milli);
	return k * p->interval_ns;
}

uint32_t
pace_due(const struct pace *p, uint64_t elapsed_ns, uint64_t next, uint32_t batch,
	 uint64_t remaining)
{
	uint64_t due, n;

	if (p->pps_milli > 0)
		/* Exactly the k with pace_offset_ns() <= elapsed: floor(k * 1e12 / P) <= E
		 * <=> k * 1e12 < (E + 1) * P <=> k <= ((E + 1) * P - 1) / 1e12. */
		due = (uint64_t)(((unsigned __int128)(elapsed_ns + 1) * p->pps_milli - 1) /
				 1000000000000u) + 1;
	else if (p->interval_ns > 0)
		due = elapsed_ns / p->interval_ns + 1;
	else
		due = UINT64_MAX;
	n = due > next ? due - next : 0;
	if (n > batch)
		n = batch;
	if (n > remaining)
		n = remaining;
	return (uint32_t)n;
}

double
pace_rate(uint64_t packets, uint64_t ns)
{
	return ns == 0 ? 0 : (double)packets * 1e9 / (double)ns;
}
