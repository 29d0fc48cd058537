#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Send malformed and hostile frames at the lab reflector from the client namespace, and print
how many of each kind were sent as JSON, so the test can compare them with the reflector's drop
counters.

usage: hostile.py IFACE DST_MAC
"""
import json
import random
import sys

from scapy.all import IP, UDP, Ether, IPv6, Raw, conf, sendp

conf.verb = 0
iface, dmac = sys.argv[1], sys.argv[2]
smac = open(f"/sys/class/net/{iface}/address").read().strip()
R4, C4, R6, C6 = "198.18.0.1", "198.18.0.2", "2001:db8::1", "2001:db8::2"
rnd = random.Random(5357)
sent = {}


def send(kind, frames):
    sendp(frames, iface=iface)
    sent[kind] = sent.get(kind, 0) + len(frames)


def good(seq, v6=False, dport=862, sport=50000):
    ip = IPv6(src=C6, dst=R6) if v6 else IP(src=C4, dst=R4)
    payload = seq.to_bytes(4, "big") + bytes(37)
    return Ether(src=smac, dst=dmac) / ip / UDP(sport=sport, dport=dport) / Raw(payload)


base = bytes(good(0))
# Truncated inside the IPv4 header and inside the UDP header: runts.
send("drop_runt", [Ether(base[:14 + rnd.randrange(1, 20)]) for _ in range(50)])
# Bad IPv4 header checksum.
frames = []
for _ in range(50):
    b = bytearray(base)
    b[24] ^= 0x5a
    frames.append(Ether(bytes(b)))
send("drop_bad_l3", frames)
# UDP checksum wrong (one payload bit flipped after the checksum was computed).
frames = []
for i in range(50):
    b = bytearray(bytes(good(i)))
    b[-1] ^= 0x01
    frames.append(Ether(bytes(b)))
send("drop_bad_csum", frames)
# Payload shorter than the 14 Session-Sender octets.
send("drop_short", [Ether(src=smac, dst=dmac) / IP(src=C4, dst=R4) / UDP(sport=50001, dport=862) /
                    Raw(bytes(rnd.randrange(0, 14))) for _ in range(50)])
# Sources a reflector must never answer.
send("drop_bad_src", [Ether(src=smac, dst=dmac) / IP(src=s, dst=R4) / UDP(sport=1, dport=862) /
                      Raw(bytes(41)) for s in ("224.0.0.5", "255.255.255.255", "127.0.0.1",
                                               "0.0.0.0", R4)] * 10)
# UDP length larger than the IP datagram.
frames = []
for _ in range(50):
    b = bytearray(base)
    b[38:40] = (2000).to_bytes(2, "big")
    frames.append(Ether(bytes(b)))
send("drop_bad_l4", frames)
# Random garbage with our MAC and an IPv4 or IPv6 ethertype. (No IPv4 fragments here: the
# net_af_packet PMD joins a PACKET_FANOUT group with the defrag flag, so the kernel reassembles
# or holds fragments before DPDK sees them. The golden test covers fragments on net_pcap.)
send("garbage", [Ether(src=smac, dst=dmac, type=rnd.choice([0x0800, 0x86dd])) /
                 Raw(bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 1500))))
                 for _ in range(200)])
print(json.dumps(sent))
