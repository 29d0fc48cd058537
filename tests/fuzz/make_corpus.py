#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Seed corpora for tests/fuzz: tests/fuzz/corpus/{refl,wire,flow}/seed-<name>.

Small frames covering every verdict of tw_refl_packet(): valid TWAMP-Test requests (IPv4, IPv6,
VLAN, QinQ, short, padded, trailer), the exception path (ARP, ICMP, TCP, fragments, IP options,
IPv6 extension headers, other ports) and every drop (truncated, bad headers, bad checksums, short,
bad sources), and for fuzz_flow short programs of (key, ticks) pairs that fill the flow
table, keep flows alive, let them expire and come back. Frames are built with Debian's
python3-scapy; run from anywhere:
    /usr/bin/python3 tests/fuzz/make_corpus.py
Crash inputs found by fuzzing are added next to the seeds as crash-<sha1> and never regenerated.
"""
import os
import struct

from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import ICMPv6ND_NS, IPv6, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop
from scapy.layers.l2 import ARP, Dot1AD, Dot1Q, Ether
from scapy.packet import Padding, Raw

HERE = os.path.dirname(os.path.abspath(__file__))
S_MAC, R_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"
S4, R4 = "192.0.2.1", "192.0.2.100"
S6, R6 = "2001:db8::1", "2001:db8::64"


def twamp(pad=27):
    """RFC 5357 §4.1.2 Session-Sender packet: seq, timestamp, error estimate, padding."""
    return Raw(struct.pack(">IQH", 7, 0xE93C7F0012345678, 0x8001) + bytes(pad))


def eth(src=S_MAC):
    return Ether(src=src, dst=R_MAC)


def v4(src=S4, dst=R4, **kw):
    return IP(src=src, dst=dst, ttl=64, **kw)


def v6(src=S6, dst=R6, **kw):
    return IPv6(src=src, dst=dst, hlim=64, **kw)


def udp(dport=862):
    return UDP(sport=50000, dport=dport)


def raw(p):
    return bytes(p)


def patch(b, off, data):
    return b[:off] + data + b[off + len(data):]


ok4 = raw(eth() / v4() / udp() / twamp())
ok6 = raw(eth() / v6() / udp() / twamp())

SEEDS = {
    # reflected
    "v4": ok4,
    "v6": ok6,
    "v4-short14": raw(eth() / v4() / udp() / twamp(0)),
    "v6-short14": raw(eth() / v6() / udp() / twamp(0)),
    "v4-padded": raw(eth() / v4() / udp() / twamp(200)),
    "v4-port20050": raw(eth() / v4() / udp(20050) / twamp()),
    "v4-vlan": raw(eth() / Dot1Q(vlan=100) / v4() / udp() / twamp()),
    "v6-qinq": raw(Ether(src=S_MAC, dst=R_MAC, type=0x88a8) / Dot1AD(vlan=10) / Dot1Q(vlan=20) /
                   v6() / udp() / twamp()),
    "v6-dot1q-dot1q": raw(eth() / Dot1Q(vlan=10) / Dot1Q(vlan=20) / v6() / udp() / twamp(0)),
    "v4-trailer": raw(eth() / v4() / udp() / twamp(0) / Padding(b"\0" * 4 + b"\xde\xad")),
    "v6-trailer": raw(eth() / v6() / udp() / twamp(3) / Padding(b"\xaa" * 8)),
    "v4-udp-csum0": patch(ok4, 40, b"\0\0"),
    # exception path
    "arp": raw(Ether(src=S_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(psrc=S4, pdst=R4)),
    "vlan-arp": raw(Ether(src=S_MAC, dst="ff:ff:ff:ff:ff:ff") / Dot1Q(vlan=100) /
                    ARP(psrc=S4, pdst=R4)),
    "three-tags": raw(Ether(src=S_MAC, dst=R_MAC, type=0x88a8) / Dot1AD(vlan=1) /
                      Dot1Q(vlan=2) / Dot1Q(vlan=3) / v4() / udp() / twamp()),
    "icmp-echo": raw(eth() / v4() / ICMP() / Raw(b"ping" * 8)),
    "tcp-syn-862": raw(eth() / v4() / TCP(sport=40000, dport=862, flags="S")),
    "icmp6-ns": raw(eth() / v6() / ICMPv6ND_NS(tgt=R6)),
    "v6-hbh-udp": raw(eth() / v6() / IPv6ExtHdrHopByHop() / udp() / twamp()),
    "v6-frag-udp": raw(eth() / v6() / IPv6ExtHdrFragment(m=1) / udp() / twamp()),
    "v4-frag-first": raw(eth() / v4(flags="MF", id=99) / udp() / twamp()),
    "v4-frag-second": raw(eth() / v4(frag=3, id=99, proto=17) / Raw(bytes(24))),
    "v4-options": raw(eth() / IP(src=S4, dst=R4, options=b"\x01\x01\x01\x00") / udp() / twamp()),
    "v4-port53": raw(eth() / v4() / udp(53) / Raw(b"\x12\x34" + bytes(10))),
    "v4-other-addr": raw(eth() / v4(dst="192.0.2.99") / udp() / twamp()),
    # drops
    "empty": b"",
    "runt-eth": ok4[:13],
    "runt-ip": ok4[:30],
    "runt-udp": ok4[:40],
    "runt-v6": ok6[:50],
    "runt-vlan": raw(eth() / Dot1Q(vlan=100) / v4() / udp() / twamp())[:16],
    "v4-bad-ipcsum": patch(ok4, 24, b"\x00\x01"),
    "v4-version5": patch(ok4, 14, b"\x55"),
    "v4-udplen7": patch(ok4, 38, b"\x00\x07"),
    "v4-udplen-big": patch(ok4, 38, b"\x00\x40"),
    "v4-bad-udpcsum": patch(ok4, 40, b"\x12\x34"),
    "v6-udp-csum0": patch(ok6, 60, b"\0\0"),
    "v4-short13": raw(eth() / v4() / udp() / Raw(bytes(13))),
    "v4-src-mcast": raw(eth() / v4(src="224.0.0.5") / udp() / twamp()),
    "v4-src-loopback": raw(eth() / v4(src="127.0.0.1") / udp() / twamp()),
    "v4-src-ours": raw(eth() / v4(src=R4) / udp() / twamp()),
    "v6-src-loopback": raw(eth() / v6(src="::1") / udp() / twamp()),
    "v6-src-mcast": raw(eth() / v6(src="ff02::1") / udp() / twamp()),
    "v6-src-mapped": raw(eth() / v6(src="::ffff:192.0.2.1") / udp() / twamp()),
    "mac-src-group": raw(eth(src="01:00:5e:00:00:05") / v4() / udp() / twamp()),
}



def prog(cap_sel, ops):
    """fuzz_flow input: capacity selector, then (key, ticks since the previous packet) pairs."""
    return bytes([cap_sel]) + b"".join(bytes([k, dt]) for k, dt in ops)


FLOW_SEEDS = {
    # capacity 8: fill past capacity, then the first flows again
    "fill8": prog(0, [(k, 0) for k in range(24)] + [(k, 1) for k in range(8)]),
    # capacity 32: fill, keep half alive across a timeout, reuse the idle half
    "fill32-expire": prog(2, [(k, 0) for k in range(40)] +
                          [(k, 60) if k == 0 else (k, 0) for k in range(0, 40, 2)] +
                          [(k, 60) if k == 0 else (k, 0) for k in range(0, 40, 2)] +
                          [(k, 0) for k in range(40, 90)]),
    # one flow going idle and coming back at and just past the timeout
    "idle-edge": prog(1, [(3, 0), (3, 100), (3, 101), (3, 0), (3, 255)]),
    # capacity 16, many flows round-robin
    "round-robin16": prog(1, [(k % 20, 3) for k in range(200)]),
    "single": prog(0, [(0, 0)] * 10),
}


def main():
    for sub, seeds in (("refl", SEEDS), ("wire", SEEDS), ("flow", FLOW_SEEDS)):
        d = os.path.join(HERE, "corpus", sub)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(d, "seed-" + name), "wb") as f:
                f.write(data)
        print(f"{len(seeds)} seeds written to corpus/{sub}")


if __name__ == "__main__":
    main()
