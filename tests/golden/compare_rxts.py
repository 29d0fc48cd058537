#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check the RX-timestamp golden run: every request of rxts-input.pcap answered, and each answer's
T2 exactly the request's pcap record time (which net_pcap reports as the receive timestamp),
in the format clock.timestamp_format asks for: auto = the sender's (its Z bit), or ntp, or ptp.
The Error Estimate's Z bit names that format (RFC 8186 §2.3) and its S bit says synchronised
(the config claims it) with an error of at least the configured 2,500 ns and not much more (the
model's own offset and read bracket add to it). T3 is in the same format, not before T2, and not after the run's end.
The expected values are computed here from the record times, not with the reflector's code.

usage: compare_rxts.py OUT.pcap FORMAT END_UNIX
"""
import struct
import sys
import time

from scapy.all import UDP, Ether, rdpcap, raw

from make_rxts import CASES

NTP_OFFSET = 2208988800
Z, S = 0x4000, 0x8000


def ntp(us):
    sec, rem = divmod(us, 1000000)
    # RFC 5905 fraction of a second, rounded to nearest (the reflector rounds the same way; an
    # exact microsecond never sits on a tie).
    return ((sec + NTP_OFFSET) << 32) | (((rem * 1000) << 32) + 500000000) // 1000000000


def ptp(us, tai):
    # IEEE 1588 timescale: TAI seconds (RFC 8186 §2.3 truncated format: 32-bit s, 32-bit ns)
    sec, rem = divmod(us, 1000000)
    return ((sec + tai) << 32) | (rem * 1000)


def to_unix(ts, is_ptp, tai):
    if is_ptp:
        return (ts >> 32) - tai + (ts & 0xffffffff) / 1e9
    return (ts >> 32) - NTP_OFFSET + (ts & 0xffffffff) / 2**32


def main():
    out, fmt, t_end = rdpcap(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    # The kernel's TAI offset, as the reflector reads it (0 when no time daemon set it).
    tai = round(time.clock_gettime(time.CLOCK_TAI) - time.clock_gettime(time.CLOCK_REALTIME))
    errors, seen = 0, set()
    for o in out:
        b = raw(o)
        pl = len(b) - len(raw(o[UDP])) + 8
        t3, ee, t2, sseq = struct.unpack("!QH2xQI", b[pl + 4:pl + 28])
        us, sender_ptp, _ = CASES[sseq]
        want_ptp = {"auto": sender_ptp, "ntp": False, "ptp": True}[fmt]
        want_t2 = ptp(us, tai) if want_ptp else ntp(us)
        seen.add(sseq)
        if t2 != want_t2:
            print(f"FAIL #{sseq}: T2 {t2:#018x}, expected {want_t2:#018x} "
                  f"({'PTP' if want_ptp else 'NTP'} of record time {us} us)")
            errors += 1
        if bool(ee & Z) != want_ptp:
            print(f"FAIL #{sseq}: Error Estimate {ee:#06x}: Z should be {int(want_ptp)}")
            errors += 1
        err_ns = (ee & 0xff) * 2.0 ** (((ee >> 8) & 0x3f) - 32) * 1e9   # RFC 4656 §4.1.2
        if not ee & S or not 2500 <= err_ns <= 2500 + 10000:
            print(f"FAIL #{sseq}: Error Estimate {ee:#06x} ({err_ns:.0f} ns): S must be set and "
                  "the error at least the configured 2500 ns, at most 10 us more")
            errors += 1
        s2, s3 = to_unix(t2, want_ptp, tai), to_unix(t3, want_ptp, tai)
        if not s2 <= s3 <= t_end + 1:
            print(f"FAIL #{sseq}: T3 {s3:.6f} not in [T2 {s2:.6f}, end {t_end:.3f}]")
            errors += 1
    if seen != set(range(len(CASES))):
        print(f"FAIL: answers to {sorted(seen)}, expected all of 0..{len(CASES) - 1}")
        errors += 1
    print(f"golden_rxts ({fmt}): {len(out)} answers, T2 = record time, {errors} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
