#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""TWAMP-Test probes for e2e_control.sh, run in the lab's client namespace.

usage:
  control_probe.py learn IFACE                 print "ready", then, as JSON, the 5-tuple of the
                                               first TWAMP-Test packet a client sends to a
                                               TWAMP-Control test port (20100-20199)
  control_probe.py forge IFACE COUNT           the same, then send COUNT copies of that packet,
                                               each with one bit flipped in its HMAC (octets
                                               32-47) or in the first block it covers (0-15),
                                               from the session's own 5-tuple; JSON of what was
                                               sent
  control_probe.py stale SRC SPORT DST DPORT COUNT
                                               send COUNT datagrams from SRC:SPORT to DST:DPORT
                                               on a connected UDP socket, count the ICMP port
                                               unreachables (ECONNREFUSED) that come back; JSON

The sniffer is open before "ready" is printed (scapy's started_callback), so the caller can start
the client as soon as it sees the line. Exit 1 when no test packet is seen within 15 s.
"""
import json
import random
import socket
import sys
import time

from scapy.all import IP, UDP, Ether, IPv6, Raw, conf, sniff

conf.verb = 0
PORTS = (20100, 20199)
BPF = (f"udp and dst portrange {PORTS[0]}-{PORTS[1]} and "
       "(dst host 198.18.0.1 or dst host 2001:db8::1)")


def learn(iface):
    got = sniff(iface=iface, filter=BPF, count=1, timeout=15,
                started_callback=lambda: print("ready", flush=True))
    if not got:
        print(json.dumps({"error": "no TWAMP-Test packet seen within 15 s"}), flush=True)
        sys.exit(1)
    p = got[0]
    ip = p[IP] if IP in p else p[IPv6]
    return p, {"src": ip.src, "sport": p[UDP].sport, "dst": ip.dst, "dport": p[UDP].dport,
               "len": len(bytes(p[UDP].payload)), "dmac": p[Ether].dst, "smac": p[Ether].src}


def forge(iface, count):
    p, t = learn(iface)
    pl = bytes(p[UDP].payload)
    if len(pl) < 48:
        print(json.dumps({"error": f"{len(pl)}-octet test packet: not an authenticated one",
                          **t}), flush=True)
        sys.exit(1)
    rnd = random.Random()
    v6 = IPv6 in p
    s = conf.L2socket(iface=iface)
    sent = {"hmac": 0, "first_block": 0}
    for i in range(count):
        b = bytearray(pl)
        # Alternately the HMAC itself and the sequence block it covers (RFC 4656 §4.1.2: in
        # authenticated mode the HMAC covers the first 16 octets, in encrypted mode the first
        # 32; the first 16 are covered either way).
        kind, lo = ("hmac", 32) if i % 2 == 0 else ("first_block", 0)
        b[lo + rnd.randrange(16)] ^= 1 << rnd.randrange(8)
        ip = (IPv6(src=t["src"], dst=t["dst"], hlim=255) if v6 else
              IP(src=t["src"], dst=t["dst"], ttl=255))
        s.send(Ether(src=t["smac"], dst=t["dmac"]) / ip /
               UDP(sport=t["sport"], dport=t["dport"]) / Raw(bytes(b)))
        sent[kind] += 1
        time.sleep(0.002)
    s.close()
    summary = (f"{count} sent from {t['src']}:{t['sport']} to {t['dst']}:{t['dport']} "
               f"({sent['hmac']} HMAC, {sent['first_block']} first-block bit flips, "
               f"{t['len']} octets)")
    print(json.dumps({"sent": count, **sent, **t, "summary": summary}), flush=True)


def stale(src, sport, dst, dport, count):
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, sport))
    s.connect((dst, dport))
    s.settimeout(0.05)
    refused = answered = 0
    for i in range(count):
        # A well-formed unauthenticated TWAMP-Test packet (RFC 5357 §4.1.2), 41 octets.
        try:
            s.send(i.to_bytes(4, "big") + bytes(37))
        except ConnectionRefusedError:
            refused += 1
            continue
        try:
            s.recv(2048)
            answered += 1
        except ConnectionRefusedError:
            refused += 1
        except socket.timeout:
            pass
    print(json.dumps({"sent": count, "refused": refused, "answered": answered}), flush=True)


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "learn" and len(sys.argv) == 3:
        _, t = learn(sys.argv[2])
        print(json.dumps(t), flush=True)
    elif cmd == "forge" and len(sys.argv) == 4:
        forge(sys.argv[2], int(sys.argv[3]))
    elif cmd == "stale" and len(sys.argv) == 7:
        stale(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
