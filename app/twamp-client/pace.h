/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pacing of the Session-Sender's transmissions, as pure functions of the elapsed time (no clock
 * reads, no sockets) so that tests/unit/test_client_pace.c can check them: the rate syntax of
 * -r/--rate, the schedule of packet k, how many packets one sendmmsg() batch may carry now.
 */
#ifndef TWAMP_CLIENT_PACE_H
#define TWAMP_CLIENT_PACE_H

#include <stdint.h>

enum pace_limits {
	PACE_MAX_BATCH = 1024,		/* --batch: UIO_MAXIOV, the most sendmmsg() takes at once */
};

/* Largest -r/--rate: far above what a kernel socket sends, small enough for exact arithmetic. */
#define PACE_MAX_PPS UINT64_C(100000000)

/*
 * The schedule: packet k is due at start + pace_offset_ns(p, k). pps_milli > 0 wins
 * (k * 1e12 / pps_milli, floored: no drift however long the session); else interval_ns per
 * packet; both 0: every packet is due at once (--rate max).
 */
struct pace {
	uint64_t pps_milli;		/* packets per 1000 s: -r 0.5 is 500 */
	uint64_t interval_ns;
};

/*
 * -r/--rate: packets per second as a decimal number with an optional k (10^3) or M (10^6)
 * suffix ("500k", "1.5M", "2000", "0.5"), or "max" (*pps_milli = 0: as fast as the sender can).
 * A rate that rounds to 0 pps is refused, "max" aside.
 * @return 0, or -EINVAL (syntax, <= 0 or above PACE_MAX_PPS); *pps_milli is in 1/1000 pps so
 * that rates below 1 pps survive.
 */
int pace_parse_rate(const char *s, uint64_t *pps_milli);

/* Offset of packet k from the session start, ns. */
uint64_t pace_offset_ns(const struct pace *p, uint64_t k);

/*
 * How many packets to send now: those due by elapsed_ns (k with offset <= elapsed) that are not
 * sent yet (next is the next sequence number to send), at most batch and at most remaining.
 * @return 0 when the next packet is not due yet.
 */
uint32_t pace_due(const struct pace *p, uint64_t elapsed_ns, uint64_t next, uint32_t batch,
		  uint64_t remaining);

/* packets / ns as packets per second; 0 when ns is 0. */
double pace_rate(uint64_t packets, uint64_t ns);

#endif /* TWAMP_CLIENT_PACE_H */
