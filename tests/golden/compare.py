#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Compare the reflector's output capture with the expected one, byte for byte, except the
octets that depend on the clock: T3 (transmit), T2 (receive), the reflector's Error Estimate and
the UDP checksum. Those are checked on their own: the checksum must verify, T2 <= T3, both within
the run's wall-clock window, and the Error Estimate must not claim synchronisation (the golden
config says the clock is not synchronised).

usage: compare.py OUT.pcap EXPECTED.pcap START_UNIX END_UNIX
"""
import struct
import sys

from scapy.all import UDP, Ether, rdpcap, raw

NTP_OFFSET = 2208988800


def udp_payload_off(pkt):
    b = raw(pkt)
    u = pkt[UDP]
    return len(b) - len(raw(u)), len(b) - len(raw(u)) + 8


def main():
    out, exp = rdpcap(sys.argv[1]), rdpcap(sys.argv[2])
    t0, t1 = float(sys.argv[3]), float(sys.argv[4])
    errors = 0
    if len(out) != len(exp):
        print(f"FAIL: {len(out)} answers, expected {len(exp)}")
        errors += 1
    for i, (o, e) in enumerate(zip(out, exp)):
        ob, eb = bytearray(raw(o)), bytearray(raw(e))
        l4, pl = udp_payload_off(Ether(bytes(ob)))
        # Checksum must verify on the real answer: let scapy recompute it and compare.
        chk = struct.unpack("!H", ob[l4 + 6:l4 + 8])[0]
        o2 = Ether(bytes(ob))
        del o2[UDP].chksum
        want = Ether(raw(o2))[UDP].chksum
        if chk != want:
            print(f"FAIL #{i}: UDP checksum {chk:#06x}, correct is {want:#06x}")
            errors += 1
        t3 = struct.unpack("!Q", ob[pl + 4:pl + 12])[0]
        ee = struct.unpack("!H", ob[pl + 12:pl + 14])[0]
        t2 = struct.unpack("!Q", ob[pl + 16:pl + 24])[0]
        s2, s3 = t2 / 2**32 - NTP_OFFSET, t3 / 2**32 - NTP_OFFSET
        if not (t0 - 1 <= s2 <= s3 <= t1 + 1):
            print(f"FAIL #{i}: T2 {s2:.6f} T3 {s3:.6f} not ordered within [{t0:.3f}, {t1:.3f}]")
            errors += 1
        if ee & 0x8000 or (ee & 0xff) == 0:
            print(f"FAIL #{i}: Error Estimate {ee:#06x} claims sync or has multiplier 0")
            errors += 1
        for lo, hi in ((l4 + 6, l4 + 8), (pl + 4, pl + 14), (pl + 16, pl + 24)):
            ob[lo:hi] = bytes(hi - lo)
            eb[lo:hi] = bytes(hi - lo)
        if ob != eb:
            diff = [j for j in range(max(len(ob), len(eb)))
                    if j >= len(ob) or j >= len(eb) or ob[j] != eb[j]]
            print(f"FAIL #{i}: {len(ob)} octets vs {len(eb)} expected, differ at {diff[:16]}")
            errors += 1
    print(f"golden: {len(out)} answers compared, {errors} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
