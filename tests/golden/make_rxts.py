#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Build the RX-timestamp golden capture: TWAMP Light requests whose pcap record times are known,
some from NTP senders (Error Estimate Z = 0), some from PTPv2 senders (Z = 1, RFC 8186 §2.3),
IPv4 and IPv6, with record times on second boundaries, just before them and in between.

    tests/golden/make_rxts.py   (writes rxts-input.pcap here)

net_pcap reports each record time as the packet's receive timestamp (microseconds, UTC), so every
answer's T2 must be exactly that instant, in the sender's format (compare_rxts.py).
"""
import os
import struct

from scapy.all import IP, IPv6, UDP, Ether, Raw, wrpcap

HERE = os.path.dirname(os.path.abspath(__file__))
R4, C4 = "198.18.0.1", "198.18.0.2"
R6, C6 = "2001:db8::1", "2001:db8::2"
Z = 0x4000
NTP_OFFSET = 2208988800

# (record time as integer microseconds since the Unix epoch, sender uses PTP, IPv6)
BASE = 1767323045 * 1000000          # 2026-01-02T03:04:05Z
CASES = [
    (BASE + 123456, False, False),
    (BASE + 123456 + 1, True, False),
    (BASE + 1000000, False, True),       # on a second boundary
    (BASE + 1999999, True, True),        # one microsecond before one
    (BASE + 2500000, False, False),
    (BASE + 2500000, True, False),       # same instant, both formats
    (BASE + 3000001, True, True),
    (946684800 * 1000000 + 999999, False, False),    # 2000-01-01T00:00:00.999999Z
    (946684799 * 1000000 + 1, True, True),           # 1999-12-31T23:59:59.000001Z
    (BASE + 4000000, False, True),
]


def sender_payload(seq, us, ptp):
    if ptp:
        ts = struct.pack("!II", us // 1000000, (us % 1000000) * 1000)
    else:
        sec, rem = divmod(us, 1000000)
        ts = struct.pack("!II", sec + NTP_OFFSET, (rem << 32) // 1000000)
    # Error Estimate: S = 0, multiplier 1, scale 0; Z as the format. Padding to 41 octets so the
    # answer has the same length.
    return struct.pack("!I", seq) + ts + struct.pack("!H", 0x0001 | (Z if ptp else 0)) + bytes(27)


def main():
    pkts = []
    for seq, (us, ptp, v6) in enumerate(CASES):
        ip = IPv6(src=C6, dst=R6) if v6 else IP(src=C4, dst=R4, flags="DF")
        p = (Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01") / ip /
             UDP(sport=40000 + seq, dport=862) / Raw(sender_payload(seq, us, ptp)))
        p = Ether(bytes(p))
        p.time = us / 1e6
        pkts.append(p)
    # scapy writes microsecond pcap records; p.time is a float: check nothing was rounded away.
    wrpcap(os.path.join(HERE, "rxts-input.pcap"), pkts)
    with open(os.path.join(HERE, "rxts-input.pcap"), "rb") as f:
        data = f.read()
    off = 24
    for us, _, _ in CASES:
        sec, usec, incl = struct.unpack("<III", data[off:off + 12])
        assert sec * 1000000 + usec == us, (sec, usec, us)
        off += 16 + incl
    print(f"rxts-input.pcap: {len(pkts)} requests")


if __name__ == "__main__":
    main()
