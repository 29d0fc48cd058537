#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Build the golden test's input capture and, independently of the reflector's code, the
expected output: each answer is built with scapy from the RFC 5357 §4.2.1 layout.

    tests/golden/make_input.py   (writes input.pcap, expected.pcap, expected-counters.txt here)

Timestamps T2 and T3, the reflector's Error Estimate and the UDP checksum depend on the clock,
so expected.pcap carries zeros there and compare.py masks those octets (it checks the checksum
and the timestamps separately).
"""
import os
import struct

from scapy.all import ARP, ICMP, IP, IPv6, UDP, Dot1Q, Dot1AD, Ether, Raw, wrpcap, IPv6ExtHdrFragment, IPOption_RR

HERE = os.path.dirname(os.path.abspath(__file__))
REFL_MAC = "02:00:00:00:00:01"   # the net_pcap port's MAC does not matter: we swap what came in
CLI_MAC = "02:00:00:00:00:02"
R4, C4 = "198.18.0.1", "198.18.0.2"
R6, C6 = "2001:db8::1", "2001:db8::2"


def sender(seq, sec, frac, ee, pad=b""):
    """RFC 5357 §4.1.2 unauthenticated Session-Sender packet."""
    return struct.pack("!IIIH", seq, sec, frac, ee) + pad


def reflector(rseq, snd, ttl):
    """RFC 5357 §4.2.1 unauthenticated Session-Reflector packet, clock fields zero."""
    sseq, ssec, sfrac, see = struct.unpack("!IIIH", snd[:14])
    body = struct.pack("!IQH2xQIIIH2xB", rseq, 0, 0, 0, sseq, ssec, sfrac, see, ttl)
    # Padding beyond the 41 octets of fields is returned as received; shorter requests grow.
    return body + snd[41:]


def l2(vlans):
    e = Ether(src=CLI_MAC, dst=REFL_MAC)
    for tpid, vid in vlans:
        e = e / (Dot1AD(vlan=vid) if tpid == 0x88a8 else Dot1Q(vlan=vid))
    return e


def pair(v6, sport, dport, snd, rseq, ttl=64, vlans=(), tos=0):
    src, dst = (C6, R6) if v6 else (C4, R4)
    ipc = (IPv6(src=src, dst=dst, hlim=ttl, tc=tos) if v6 else
           IP(src=src, dst=dst, ttl=ttl, tos=tos, id=7, flags="DF"))
    req = l2(vlans) / ipc / UDP(sport=sport, dport=dport) / Raw(snd)
    e = Ether(src=REFL_MAC, dst=CLI_MAC)
    for tpid, vid in vlans:
        e = e / (Dot1AD(vlan=vid) if tpid == 0x88a8 else Dot1Q(vlan=vid))
    ipr = (IPv6(src=dst, dst=src, hlim=255, tc=tos) if v6 else
           IP(src=dst, dst=src, ttl=255, tos=tos, id=7, flags="DF"))
    rsp = e / ipr / UDP(sport=dport, dport=sport, chksum=0) / Raw(reflector(rseq, snd, ttl))
    # Build both, then zero the reply's UDP checksum field (masked by compare.py).
    rsp = Ether(bytes(rsp))
    rsp[UDP].chksum = 0
    return Ether(bytes(req)), Ether(bytes(rsp))


def main():
    inp, exp = [], []
    counters = {"reflect": 0, "exception_not_ip": 0, "exception_not_udp": 0,
                "exception_fragment": 0, "exception_ip_options": 0, "exception_not_test": 0,
                "drop_runt": 0, "drop_bad_l3": 0, "drop_bad_l4": 0, "drop_bad_csum": 0,
                "drop_short": 0, "drop_bad_src": 0}

    def ok(*a, **k):
        q, r = pair(*a, **k)
        inp.append(q)
        exp.append(r)
        counters["reflect"] += 1

    def bad(pkt, verdict):
        inp.append(pkt if isinstance(pkt, Ether) else Ether(pkt))
        counters[verdict] += 1

    pad27 = bytes(27)
    # Flow A (IPv4, 862): three packets, reflector sequence 0, 1, 2.
    for i in range(3):
        ok(False, 40000, 862, sender(i, 0xEEB0_0000 + i, 0x1234_5678, 0x0001, pad27), i)
    # Flow B (IPv6, 862): its own counter from 0.
    for i in range(2):
        ok(True, 40000, 862, sender(100 + i, 0xEEB0_0100, 0x8000_0000, 0x8001, pad27), i)
    # Same addresses, other source port: another flow.
    ok(False, 40001, 862, sender(7, 1, 2, 3, pad27), 0)
    # A port range member.
    ok(False, 40000, 20050, sender(9, 4, 5, 6, pad27), 0)
    # Minimal 14-octet request: the answer grows to 41 octets.
    ok(False, 40002, 862, sender(1, 10, 11, 12), 0)
    ok(True, 40002, 862, sender(1, 10, 11, 12), 0)
    # Long padding with a recognisable pattern: preserved beyond octet 41.
    ok(False, 40003, 862, sender(2, 20, 21, 22, bytes(range(256)) * 4), 0)
    ok(True, 40003, 862, sender(2, 20, 21, 22, bytes(range(200))), 0)
    # VLAN and QinQ tags are kept; DSCP/ECN byte kept; sender TTL copied.
    ok(False, 40004, 862, sender(3, 30, 31, 32, pad27), 0, vlans=((0x8100, 100),), tos=0xb8)
    ok(True, 40004, 862, sender(3, 30, 31, 32, pad27), 0, vlans=((0x88a8, 10), (0x8100, 20)))
    ok(False, 40005, 862, sender(4, 40, 41, 42, pad27), 0, ttl=17)

    # Not test packets: to the exception path (disabled in the golden config: counted there).
    bad(Ether(src=CLI_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(psrc=C4, pdst=R4), "exception_not_ip")
    bad(Ether(src=CLI_MAC, dst=REFL_MAC) / IP(src=C4, dst=R4) / ICMP(), "exception_not_udp")
    bad(Ether(src=CLI_MAC, dst=REFL_MAC) / IP(src=C4, dst=R4) / UDP(sport=1, dport=863) /
        Raw(pad27 * 2), "exception_not_test")
    bad(Ether(src=CLI_MAC, dst=REFL_MAC) / IP(src=C4, dst="198.18.0.9") / UDP(sport=1, dport=862) /
        Raw(pad27 * 2), "exception_not_test")
    bad(Ether(src=CLI_MAC, dst=REFL_MAC) / IP(src=C4, dst=R4, flags="MF") / UDP(sport=1, dport=862) /
        Raw(pad27 * 2), "exception_fragment")
    bad(Ether(src=CLI_MAC, dst=REFL_MAC) / IP(src=C4, dst=R4, options=[IPOption_RR()]) /
        UDP(sport=1, dport=862) / Raw(pad27 * 2), "exception_ip_options")
    bad(Ether(src=CLI_MAC, dst=REFL_MAC) / IPv6(src=C6, dst=R6) / IPv6ExtHdrFragment() /
        UDP(sport=1, dport=862) / Raw(pad27 * 2), "exception_not_udp")

    # Malformed, aimed at a test port: dropped and counted, never answered.
    good = bytes(pair(False, 40009, 862, sender(0, 1, 2, 3, pad27), 0)[0])
    bad(good[:30], "drop_runt")                           # cut inside the IPv4 header
    bad(good[:50], "drop_runt")                           # cut inside the payload
    b = bytearray(good); b[14] = 0x65; bad(bytes(b), "drop_bad_l3")    # IPv4 with version 6
    b = bytearray(good); b[24] ^= 0xff; bad(bytes(b), "drop_bad_l3")   # header checksum
    b = bytearray(good); b[38:40] = b"\xff\xff"; bad(bytes(b), "drop_bad_l4")  # UDP length > IP
    b = bytearray(good); b[60] ^= 1; bad(bytes(b), "drop_bad_csum")     # payload bit flip
    bad(Ether(src=CLI_MAC, dst=REFL_MAC) / IP(src=C4, dst=R4) / UDP(sport=1, dport=862) /
        Raw(bytes(13)), "drop_short")
    bad(Ether(src=CLI_MAC, dst=REFL_MAC) / IP(src="224.0.0.1", dst=R4) / UDP(sport=1, dport=862) /
        Raw(pad27 * 2), "drop_bad_src")
    bad(Ether(src=CLI_MAC, dst=REFL_MAC) / IP(src=R4, dst=R4) / UDP(sport=1, dport=862) /
        Raw(pad27 * 2), "drop_bad_src")
    bad(Ether(src=CLI_MAC, dst=REFL_MAC) / IPv6(src="ff02::1", dst=R6) / UDP(sport=1, dport=862) /
        Raw(pad27 * 2), "drop_bad_src")

    # A last good packet: bad input in between lost nothing (flow A continues at 3).
    ok(False, 40000, 862, sender(3, 0xEEB0_0003, 0x1234_5678, 0x0001, pad27), 3)

    wrpcap(os.path.join(HERE, "input.pcap"), inp)
    wrpcap(os.path.join(HERE, "expected.pcap"), exp)
    with open(os.path.join(HERE, "expected-counters.txt"), "w") as f:
        f.write(f"rx_packets {len(inp)}\n")
        for k, v in counters.items():
            f.write(f"{k} {v}\n")
    print(f"{len(inp)} input frames, {len(exp)} expected answers")


if __name__ == "__main__":
    main()
