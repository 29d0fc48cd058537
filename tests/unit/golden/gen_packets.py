#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Golden frames for tests/unit/test_wire.c: TWAMP-Test requests and the reflections expected
from tw_wire_reflect_unauth() (and tw_wire_stamp_tx()).

Both sides are built here independently of lib/wire: the requests as RFC 5357 §4.1.2
Session-Sender packets, the answers from the §4.2.1 Session-Reflector layout, with scapy filling
in every length and checksum. The reflector values (sequence number, T2, Error Estimate, T3) are
the fixed constants below; test_wire.c passes the same ones.

Usage: /usr/bin/python3 tests/unit/golden/gen_packets.py > /tmp/golden.c
and paste the output between the BEGIN/END markers in tests/unit/test_wire.c.
Needs Debian's python3-scapy (2.5).
"""
import struct
import sys

from scapy.layers.inet import IP, UDP, in4_pseudoheader
from scapy.layers.inet6 import IPv6, in6_pseudoheader
from scapy.layers.l2 import Dot1AD, Dot1Q, Ether
from scapy.packet import Padding, Raw
from scapy.utils import checksum

# Must match test_wire.c (GOLDEN_* macros).
REFL_SEQ = 0x0000002A
REFL_T2 = 0xE93C7F001234ABCD
REFL_ERREST = 0x8020
REFL_T3 = 0xE93C7F0100000001
TWAMP_PORT = 862

SND_SEQ = 0x00000007
SND_T1 = 0xE93C7F0012345678
SND_ERREST = 0x8001
SND_PORT = 50000

MAC_SND = "02:00:00:00:00:01"
MAC_REFL = "02:00:00:00:00:02"
V4_SND, V4_REFL = "192.0.2.1", "192.0.2.100"
V6_SND, V6_REFL = "2001:db8::1", "2001:db8::64"


def sender_payload(pad):
    """RFC 5357 §4.1.2: Sequence Number, Timestamp, Error Estimate, Packet Padding."""
    return struct.pack(">IQH", SND_SEQ, SND_T1, SND_ERREST) + pad


def reflector_payload(req, ttl, t3=0):
    """RFC 5357 §4.2.1 from the request payload: 41 octets of fields, then the request's octets
    from offset 41 on (the padding the reflector keeps, so a request padded by 27 or more gets an
    answer of the same size)."""
    seq, t1, ee = struct.unpack(">IQH", req[:14])
    hdr = struct.pack(">IQH2sQIQH2sB", REFL_SEQ, t3, REFL_ERREST, b"\0\0", REFL_T2,
                      seq, t1, ee, b"\0\0", ttl)
    assert len(hdr) == 41
    return hdr + req[41:]


def ip_pair(v6, ttl):
    """(request L3, answer L3) with every field not rewritten by the reflector kept."""
    if v6:
        req = IPv6(src=V6_SND, dst=V6_REFL, hlim=ttl, tc=0xb8, fl=0x12345)
        ans = IPv6(src=V6_REFL, dst=V6_SND, hlim=255, tc=0xb8, fl=0x12345)
    else:
        req = IP(src=V4_SND, dst=V4_REFL, ttl=ttl, tos=0xb8, id=0x1c46, flags="DF")
        ans = IP(src=V4_REFL, dst=V4_SND, ttl=255, tos=0xb8, id=0x1c46, flags="DF")
    return req, ans


def l2_pair(tags):
    """(request, answer) Ethernet + VLAN tags: MACs swap, the tags stay."""
    if tags == 0:
        return Ether(src=MAC_SND, dst=MAC_REFL), Ether(src=MAC_REFL, dst=MAC_SND)
    if tags == 1:
        return (Ether(src=MAC_SND, dst=MAC_REFL) / Dot1Q(prio=5, vlan=100),
                Ether(src=MAC_REFL, dst=MAC_SND) / Dot1Q(prio=5, vlan=100))
    return (Ether(src=MAC_SND, dst=MAC_REFL, type=0x88a8) / Dot1AD(vlan=10) / Dot1Q(vlan=20),
            Ether(src=MAC_REFL, dst=MAC_SND, type=0x88a8) / Dot1AD(vlan=10) / Dot1Q(vlan=20))


def offload(frame, v6):
    """TW_CSUM_OFFLOAD: IPv4 header checksum 0; the UDP checksum field holds the folded, not
    complemented, pseudo-header sum (what a NIC with L4 checksum offload expects)."""
    f = frame.copy()
    l3 = f[IPv6] if v6 else f[IP]
    u = f[UDP]
    ulen = len(u)
    if v6:
        ph = in6_pseudoheader(17, l3, ulen)
    else:
        ph = in4_pseudoheader(17, l3, ulen)
        l3.chksum = 0
    u.chksum = (~checksum(bytes(ph))) & 0xffff
    return f


def case(name, v6=False, tags=0, ttl=64, pad=b"\0" * 27, trailer=b"", mode="SW", t3=0,
         zero_csum=False):
    if zero_csum:
        # Choose payload octets 42-43 (padding kept in the answer, at an even offset from the
        # UDP header) so the answer's UDP checksum computes to 0, sent as 0xffff (RFC 768).
        ans = case(name, v6, tags, ttl, pad, trailer, mode, t3)[2]
        ck = Ether(ans)[UDP].chksum
        word = 0 if ck == 0xffff else ck
        pad = pad[:28] + struct.pack(">H", word) + pad[30:]
        res = case(name, v6, tags, ttl, pad, trailer, mode, t3)
        assert Ether(res[2])[UDP].chksum == 0xffff
        return res
    l2q, l2a = l2_pair(tags)
    l3q, l3a = ip_pair(v6, ttl)
    req_pl = sender_payload(pad)
    req = l2q / l3q / UDP(sport=SND_PORT, dport=TWAMP_PORT) / Raw(req_pl)
    if trailer:
        req = req / Padding(trailer)
    ans_pl = reflector_payload(req_pl, ttl, t3)
    ans = l2a / l3a / UDP(sport=TWAMP_PORT, dport=SND_PORT) / Raw(ans_pl)
    ans = Ether(bytes(ans))		# freeze lengths and checksums
    if mode == "OFFLOAD":
        ans = Ether(bytes(offload(ans, v6)))
    return name, bytes(req), bytes(ans), mode, t3


CASES = [
    case("ipv4", ttl=64),
    case("ipv6", v6=True, ttl=57),
    case("vlan_ipv4", tags=1, ttl=63),
    case("qinq_ipv6", v6=True, tags=2, ttl=1),
    case("ipv4_short14", pad=b""),
    case("ipv6_short14", v6=True, pad=b""),
    case("ipv4_padded", pad=bytes((0x30 + i) & 0xff for i in range(86))),
    case("ipv4_trailer", pad=b"", trailer=b"\0\0\0\0\xde\xad\xbe\xef"),
    case("ipv6_padded_trailer", v6=True, pad=bytes(range(1, 47)), trailer=b"\xaa" * 6),
    case("ipv4_offload", mode="OFFLOAD"),
    case("ipv6_offload", v6=True, ttl=57, mode="OFFLOAD"),
    case("vlan_ipv4_short14_offload", tags=1, pad=b"", mode="OFFLOAD"),
    case("ipv4_csum_zero", pad=b"\0" * 31, zero_csum=True),
    case("ipv6_csum_zero", v6=True, pad=b"\0" * 31, zero_csum=True),
    case("ipv4_stamped", t3=REFL_T3),
    case("qinq_ipv6_stamped", v6=True, tags=2, pad=bytes(range(100)), t3=REFL_T3),
]


def c_array(name, data):
    out = [f"static const uint8_t {name}[{len(data)}] = {{"]
    for i in range(0, len(data), 12):
        out.append("\t" + " ".join(f"0x{b:02x}," for b in data[i:i + 12]))
    out.append("};")
    return "\n".join(out)


def main():
    print("/* Generated by tests/unit/golden/gen_packets.py (scapy), do not edit. */")
    for name, req, ans, _, _ in CASES:
        print(c_array(f"golden_{name}_in", req))
        print(c_array(f"golden_{name}_out", ans))
    print("static const struct golden_case golden_cases[] = {")
    for name, _, _, mode, t3 in CASES:
        print(f"\t{{ \"{name}\", TW_CSUM_{mode}, 0x{t3:016x}ULL,")
        print(f"\t  golden_{name}_in, sizeof(golden_{name}_in),")
        print(f"\t  golden_{name}_out, sizeof(golden_{name}_out) }},")
    print("};")
    return 0


if __name__ == "__main__":
    sys.exit(main())
