#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Seed corpora for tests/fuzz: tests/fuzz/corpus/<harness>/seed-<name>.

refl, wire: small frames covering every verdict of tw_refl_packet(): valid TWAMP-Test requests
(IPv4, IPv6, VLAN, QinQ, short, padded, trailer), the exception path (ARP, ICMP, TCP, fragments,
IP options, IPv6 extension headers, other ports) and every drop (truncated, bad headers, bad
checksums, short, bad sources). Frames are built with Debian's python3-scapy.
flow: short programs of (key, ticks) pairs that fill the flow table, keep flows alive, let them
expire and come back.
ctrl_client: the server side of the unit-test conversations (tests/unit/ctrl_vectors), as raw
transcripts and as plaintext replies the harness seals, in every mode, with RFC 7717 (both SPI
layouts), RFC 8186, one slot, no secret, a refused Server-Start, timeouts, a server Stop-Sessions.
conf: the committed configs (config/*.yaml), the lab config with canary secrets, error cases
(anchors, tags, two documents, duplicates, bad values) and keystores.
ike_static: config/lab-ike.keys and variants (4+4 SPIs, CRLF, every error).
ctrl_server: RFC 7717 mode 128 (sealed with the SA's secret, both layouts, answering late, with
no passphrase store; an unknown SA, a zero SPI), a wrong Token, an unknown KeyID (seed-x-*; the
conversation seeds come from tests/unit/ctrl_vectors/gen_ctrl_corpus.py).

Run from anywhere, for all corpora or the ones named:
    /usr/bin/python3 tests/fuzz/make_corpus.py [HARNESS...]
Inputs found by fuzzing (crash-<sha1>, and the <sha1> files tools/fuzz --merge adds) sit next to
the seeds and are never regenerated.
"""
import os
import struct
import sys

from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import ICMPv6ND_NS, IPv6, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop
from scapy.layers.l2 import ARP, Dot1AD, Dot1Q, Ether
from scapy.packet import Padding, Raw

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "unit",
                                "ctrl_vectors"))
import gen_ctrl_vectors as gv  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
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


# --- ctrl_client ---------------------------------------------------------------------------------

# Layout of fuzz_ctrl_client.c: scenario octet, octet (write-size count | Server-Start Accept << 4
# | 4+4 layout << 7), write sizes, operations (code | a << 3).
F_SEALED, F_IKE, F_ONE, F_PTP, F_NOSECRET = 8, 16, 32, 64, 128
OP_RAW, OP_REQ, OP_START, OP_STOP, OP_STARTN, OP_STOPN, OP_TICK, OP_SEAL = range(8)


def op(code, a=0):
    return bytes([code | a << 3])


def op_raw(data):
    out = b""
    for i in range(0, len(data), 8192):
        chunk = data[i:i + 8192]
        n = len(chunk) - 1
        out += op(OP_RAW, n >> 8) + bytes([n & 255]) + chunk
    return out


def op_seal(plain):
    assert len(plain) % 16 == 0 and 16 <= len(plain) <= 512
    return op(OP_SEAL, len(plain) // 16 - 1) + plain


class Slots:
    """The client's session slots: a request takes the first free, refused or stopped one."""

    def __init__(self):
        self.state = {}         # slot -> "req", "acc", "started", "stopped"
        self.of = {}            # params index -> slot

    def request(self, i):
        slot = 0
        while self.state.get(slot) in ("req", "acc", "started"):
            slot += 1
        self.state[slot] = "acc"
        self.of[i] = slot
        return slot

    def mask(self, idx_mask):
        return sum(1 << self.of[i] for i in range(8) if idx_mask & (1 << i))

    def stop(self, idx_mask=None):
        for i, slot in self.of.items():
            if idx_mask is None or idx_mask & (1 << i):
                self.state[slot] = "stopped"


def client_raw(cv):
    """The server's transcript, fed raw, with the client's commands where the test sends them."""
    sl = Slots()
    out = b""
    for kind, arg, acc, _c2s, s2c in cv["steps"]:
        if kind in ("GREETING", "SETUP"):
            out += op_raw(s2c)
            continue
        if kind == "REQUEST":
            sl.request(arg)
            out += op(OP_REQ, arg)
        elif kind == "START":
            out += op(OP_START)
        elif kind == "STOP":
            out += op(OP_STOP, acc)
            sl.stop()
        else:
            out += op(OP_STARTN if kind == "START_N" else OP_STOPN, acc) + bytes([sl.mask(arg)])
            if kind == "STOP_N":
                sl.stop(arg)
        if s2c:
            out += op_raw(s2c)
    return out


def client_sealed(cv, extra=b""):
    """The same conversation after the harness's own handshake: plaintext replies to seal."""
    sl = Slots()
    reflect = (cv["mode"] & 32) != 0
    sids = {}
    out = b""
    for kind, arg, acc, _c2s, _s2c in cv["steps"]:
        if kind in ("GREETING", "SETUP"):
            continue
        if kind == "REQUEST":
            sl.request(arg)
            sids[arg] = bytes([198, 18, 0, 2, 0xE9, 0x3C, 0x7F, 5, 0, 0, 0, 0, 0xA0, 0, 0, arg])
            p = gv.PARAMS[arg]
            out += op(OP_REQ, arg) + op_seal(gv.accept_body(
                0, p["rport"], sids[arg], p["otbr"] if reflect else 0,
                gv.SERVER_OCTETS if reflect else 0) + bytes(16))
        elif kind == "START":
            out += op(OP_START) + op_seal(gv.start_ack_body(0) + bytes(16))
        elif kind == "STOP":
            out += op(OP_STOP, acc)
            sl.stop()
        else:
            n_sids = [sids[i] for i in range(8) if arg & (1 << i)]
            if kind == "START_N":
                out += op(OP_STARTN) + bytes([sl.mask(arg)])
                out += op_seal(gv.nmsg_body(8, 0, n_sids) + bytes(16))
            else:
                out += op(OP_STOPN, acc) + bytes([sl.mask(arg)])
                out += op_seal(gv.nmsg_body(10, 0, n_sids) + bytes(16))
                sl.stop(arg)
    return out + extra


def ctrl_client_seeds():
    seeds = {}
    for i, cv in enumerate(gv.CONVS):
        n = cv["name"]
        raw, sealed = client_raw(cv), client_sealed(cv)
        seeds["%s-raw" % n] = bytes([i, 0]) + raw
        seeds["%s-raw-sizes" % n] = bytes([i, 4, 1, 5, 16, 100]) + raw
        seeds["%s-raw-ptp" % n] = bytes([i | F_PTP, 0]) + raw
        seeds["%s-sealed" % n] = bytes([i | F_SEALED, 0]) + sealed
        seeds["%s-sealed-sizes" % n] = bytes([i | F_SEALED, 3, 7, 33, 2]) + sealed
        seeds["%s-sealed-ike" % n] = bytes([i | F_SEALED | F_IKE, 0]) + sealed
        seeds["%s-sealed-ike44" % n] = bytes([i | F_SEALED | F_IKE, 0x80]) + sealed
        seeds["%s-sealed-ptp" % n] = bytes([i | F_SEALED | F_PTP, 0]) + sealed
        seeds["%s-sealed-one" % n] = bytes([i | F_SEALED | F_ONE, 0]) + sealed
        # the server stops the sessions itself (RFC 4656 section 3.8), then goes quiet
        seeds["%s-server-stop" % n] = bytes([i | F_SEALED, 0]) + client_sealed(
            cv, op(OP_REQ, 0) + op_seal(gv.accept_body(0, 20001, bytes(range(16)), 0, 0) +
                                        bytes(16)) + op(OP_START) +
            op_seal(gv.start_ack_body(0) + bytes(16)) +
            op_seal(gv.stop_body(0, 1) + bytes(16)) + op(OP_TICK, 31))
    # refused Server-Start (Accept 1, 6), no secret, an owed reply that never comes, junk
    seeds["refused"] = bytes([2 | F_SEALED, 0x10]) + op(OP_REQ)
    seeds["refused-no-sa"] = bytes([2 | F_SEALED | F_IKE, 0x60])
    seeds["no-secret"] = bytes([2 | F_SEALED | F_NOSECRET, 0])
    seeds["no-secret-open"] = bytes([0 | F_SEALED | F_NOSECRET, 0]) + op(OP_REQ, 2)
    seeds["reply-timeout"] = bytes([2 | F_SEALED, 0]) + op(OP_REQ, 1) + op(OP_TICK, 31) + \
        op(OP_TICK, 31)
    seeds["greeting-timeout"] = bytes([0, 0]) + op(OP_TICK, 31) + op(OP_TICK, 31)
    seeds["partial-timeout"] = bytes([2 | F_SEALED, 0]) + op(OP_REQ) + op_raw(bytes(20)) + \
        op(OP_TICK, 31) + op(OP_TICK, 31)
    seeds["modes0"] = bytes([0, 0]) + op_raw(bytes(64))
    seeds["count-big"] = bytes([2, 0]) + op_raw(gv.greeting(0x7F, bytes(16), bytes(16), 1 << 20))
    seeds["junk"] = bytes([2, 0]) + op_raw(bytes(range(256)) * 2)
    # no forced mode: the client picks the strongest offered (scenario 7)
    auto = client_sealed(gv.CONVS[0])
    seeds["auto-sealed"] = bytes([7 | F_SEALED, 0]) + auto
    seeds["auto-sealed-ike"] = bytes([7 | F_SEALED | F_IKE, 0]) + auto
    seeds["auto-sealed-nosecret"] = bytes([7 | F_SEALED | F_NOSECRET, 0]) + auto
    seeds["auto-raw"] = bytes([7, 0]) + client_raw(gv.CONVS[0])
    return seeds


# --- ctrl_server: RFC 7717 (the conversation seeds come from gen_ctrl_corpus.py) ----------------

# fuzz_ctrl_server.c layout: scenario octet, octet (write sizes | flags), write sizes, octets.
S_SEALED, S_ASYNC, S_LENIENT = 8, 16, 32
S1_IKE, S1_LAYOUT44, S1_IKE_ONLY = 32, 64, 128
S1_TIMED = 128      # without S1_IKE: (v & 15) * 4 s pass before a write of size octet v


def server_seeds():
    def sealed(plain):
        return b"".join(bytes([len(m) // 16 - 1]) + m for m in plain)

    seeds = {}
    for i, cv in enumerate(gv.CONVS):
        if not cv["cipher"]:
            continue
        n = cv["name"]
        seeds["x-ike-%s" % n] = bytes([i | S_SEALED, S1_IKE]) + sealed(cv["plain"])
        seeds["x-ike44-%s" % n] = bytes([i | S_SEALED, S1_IKE | S1_LAYOUT44]) + \
            sealed(cv["plain"])
        seeds["x-ike-async-%s" % n] = bytes([i | S_SEALED | S_ASYNC, S1_IKE]) + \
            sealed(cv["plain"])
        seeds["x-ike-only-%s" % n] = bytes([i | S_SEALED, S1_IKE | S1_IKE_ONLY]) + \
            sealed(cv["plain"])
    # raw Set-Up-Responses in mode 128|2: an unknown SA (Accept 6), a zero SPI (Accept 3),
    # plain mode 2 with no passphrase store (refused), 128 with open mode
    tok = bytes(range(64))
    unknown = bytes(range(1, 17))
    seeds["x-ike-no-sa"] = bytes([1, S1_IKE]) + gv.setup(0x82, unknown, tok, bytes(16))
    seeds["x-ike-zero-spi"] = bytes([1, S1_IKE]) + gv.setup(0x82, bytes(8) + unknown[:8], tok,
                                                            bytes(16))
    seeds["x-ike-only-plain"] = bytes([1, S1_IKE | S1_IKE_ONLY]) + \
        gv.setup(0x2, gv.KEYID, tok, bytes(16))
    seeds["x-ike-open"] = bytes([0, S1_IKE]) + gv.setup(0x81, bytes(80), bytes(64), bytes(16))
    # a wrong Token, an unknown KeyID, the key lookup timing out
    seeds["x-bad-token"] = bytes([1, 0]) + gv.setup(0x2, gv.KEYID, tok, bytes(16))
    seeds["x-unknown-keyid"] = bytes([1, 0]) + gv.setup(0x2, b"nobody", tok, bytes(16))
    seeds["x-key-wait"] = bytes([1 | S_ASYNC, 0]) + gv.setup(0x2, gv.KEYID, tok, bytes(16))
    # time passing: step timeouts in the handshake and in a partial message, the key lookup
    # answering too late, SERVWAIT while idle, REFWAIT while started (touch() or not)
    for i, cv in enumerate(gv.CONVS):
        c2s = b"".join(st[3] for st in cv["steps"])
        n = cv["name"]
        for tag, sizes in (("a", [0xA0, 0x14, 0x02]), ("b", [0x50, 0x0F]),
                           ("c", [0x30, 0x33, 0x1C]), ("d", [0xA4, 0x70, 0x9F])):
            seeds["x-timed-%s-%s" % (tag, n)] = bytes([i, S1_TIMED | len(sizes)] + sizes) + c2s
        seeds["x-timed-sealed-%s" % n] = bytes([i | S_SEALED, S1_TIMED | 2, 0x10, 0x0F]) + \
            sealed(cv["plain"])
    seeds["x-timed-setup"] = bytes([0, S1_TIMED | 1, 0x03]) + gv.CONVS[0]["steps"][1][3]
    seeds["x-timed-key-wait"] = bytes([1 | S_ASYNC, S1_TIMED | 3, 0xA0, 0x20, 0x05]) + \
        gv.CONVS[1]["steps"][1][3] + bytes(200)
    return seeds


# --- conf -----------------------------------------------------------------------------------------

CANARY_PASS = "canary-pass-Q7wX9z"      # fuzz_conf.c: never in a message
CANARY_RAW = b"canary-raw-K3vP8m"


def conf_seeds():
    def cfg(name):
        with open(os.path.join(TOP, "config", name), "rb") as f:
            return f.read()

    lab = cfg("lab.yaml")
    canary = lab.replace(b"secret: twamp-lab-secret", (
        "secret: %s\n    - id: hexkey\n      secret_hex: %s" % (CANARY_PASS, CANARY_RAW.hex())
    ).encode())
    assert canary != lab
    base = (b"exception: {addresses: [198.18.0.1/24]}\n"
            b"control:\n  enabled: true\n  modes: [authenticated, encrypted]\n")
    seeds = {
        "config-default": cfg("default.yaml"),
        "config-lab": lab,
        "config-pci-nic": cfg(os.path.join("examples", "pci-nic.yaml")),
        "lab-canary": canary,
        "empty": b"",
        "comment": b"# nothing but a comment\n",
        "null-root": b"~\n",
        "keys-flow": base + b"  keys: [{id: a, secret: %s}, {id: b, secret_hex: %s}]\n" % (
            CANARY_PASS.encode(), CANARY_RAW.hex().encode()),
        "keys-dup-id": base + b"  keys: [{id: a, secret: %s}, {id: a, secret: x}]\n" % (
            CANARY_PASS.encode()),
        "keys-bad-hex": base + b"  keys: [{id: a, secret_hex: %s}]\n" % (
            CANARY_RAW.hex().encode() + b"z"),
        "keys-long": base + b"  keys: [{id: a, secret: " + b"x" * 300 + b"}]\n",
        "keys-dup-secret": base + b"  keys: [{id: a, secret: %s, secret_hex: 00}]\n" % (
            CANARY_PASS.encode()),
        "keys-nul": base + b"  keys: [{id: a, secret: \"ab\\0cd\"}]\n",
        "keys-escape": base + b"  keys: [{id: \"k\\ty\\n\", secret: \"\\x01\\u00e9\"}, "
                              b"{id: \"k\\ty\\n\", secret: z}]\n",
        "keystore-ref": base + b"  keystore: keys.pfs\n",
        "anchor": b"port: &a {mtu: 1500}\nlight: *a\n",
        "tag": b"port: {mtu: !!int 1500}\n",
        "two-docs": b"port: {}\n---\nport: {}\n",
        "bad-utf8": b"port: {device: \"\xff\xfe\"}\n",
        "control-char": b"port: {device: \"a\x01b\"}\n",
        "all-keys": b"""eal: {lcores: "0,2-3", file_prefix: x, log_level: debug, args: [a, b]}
port: {device: d, rx_desc: 64, tx_desc: 32768, mbufs: 1023, mtu: 9600,
       checksum_offload: auto, promiscuous: off, rx_timestamp: software}
exception: {enabled: yes, tap: t0, addresses: [198.18.0.1/24, "2001:db8::1/64"]}
light: {enabled: true, ports: [862, "20000-20099"], addresses: [198.18.0.1],
        max_flows: 1, flow_idle_timeout: 86400}
clock: {synchronized: auto, resync_interval_ms: 10, timestamp_format: ptp, source: phc,
        phc: /dev/ptp0, error_ns: 1}
control: {enabled: true, port: 862, modes: [unauthenticated, mixed,
          individual-session-control, reflect-octets, symmetrical-size], count: 16777216,
          test_ports: ["30000-30099"], max_connections: 1, max_connections_per_source: 1,
          max_sessions: 1, max_sessions_per_connection: 1, handshake_timeout: 1, refwait: 1,
          max_padding: 0, ike_static_keys: k, ike_spi_layout: "4+4", ike_provider: static,
          ike_timeout_ms: 100, keys: [{id: a, secret: b}]}
""",
        "errors-range": b"port: {rx_desc: 99999999999, mtu: 0}\n",
        "errors-ports": b"light: {ports: [\"10-5\", 862, 862]}\n",
        "errors-addr": b"exception: {addresses: [1.2.3.4/0, 1.2.3.4, 1.2.3.4]}\n",
        "ike-daemon": base + b"  ike_provider: ike-daemon\n  ike_socket: /run/x.sock\n",
        # keystores ("KeyID hex-passphrase"): the same input also goes to the YAML parser
        "keystore": b"# KeyID hex-passphrase\n\nlab 7477616d702d6c61622d736563726574\n"
                    b"  canary %s\r\n\tother 00\n" % CANARY_RAW.hex().encode(),
        "keystore-dup": b"lab 00\n",
        "keystore-bad": b"a %sz\n" % CANARY_RAW.hex().encode(),
        "keystore-words": b"a b c\n",
        "keystore-long": b"a " + b"00" * 300 + b"\n",
        "keystore-full": b"".join(b"k%d 0%d\n" % (i, i % 10) for i in range(70)),
    }
    return seeds


# --- ike_static -------------------------------------------------------------------------------

def ike_static_seeds():
    with open(os.path.join(TOP, "config", "lab-ike.keys"), "rb") as f:
        lab = f.read()
    line = b"0123456789abcdef fedcba9876543210 prfsha256 %s\n"
    skd = b"6c61622d736b642d686d61632d736861322d3235362d3332206f6374657473"
    return {
        "lab-ike": lab,
        "lab-ike-crlf": lab.replace(b"\n", b"\r\n"),
        "one": line % skd,
        "spi44": b"a1a2a3a4 b1b2b3b4 PRF_AES128_CMAC 00112233445566778899aabbccddeeff00\n",
        "spi-mixed": b"a1a2a3a4 0123456789abcdef prfsha1 00\n",
        "spi-zero": b"0000000000000000 fedcba9876543210 prfsha1 00\n",
        "prf-unknown": b"0123456789abcdef fedcba9876543210 prfmd5 %s\n" % skd,
        "skd-odd": line % skd[:-1],
        "skd-long": line % (b"ab" * 257),
        "twice": (line % skd) * 2,
        "words": b"0123456789abcdef fedcba9876543210 prfsha256\n",
        "line-long": b"#" + b"x" * 1100 + b"\n",
        "names": b"1111111111111111 2222222222222222 HMAC_SHA2_512 %s\n"
                 b"3333333333333333 4444444444444444 prf_aes128_xcbc %s\n" % (skd, skd[:8]),
        "empty": b"",
    }


def write(sub, seeds):
    d = os.path.join(HERE, "corpus", sub)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, "seed-" + name), "wb") as f:
            f.write(data)
    print(f"{len(seeds)} seeds written to corpus/{sub}")


def main():
    want = set(sys.argv[1:])
    makers = {
        "refl": lambda: SEEDS,
        "wire": lambda: SEEDS,
        "flow": lambda: FLOW_SEEDS,
        "ctrl_client": ctrl_client_seeds,
        "ctrl_server": server_seeds,
        "conf": conf_seeds,
        "ike_static": ike_static_seeds,
    }
    unknown = want - set(makers)
    if unknown:
        sys.exit("make_corpus: unknown corpus %s (have %s)" % (
            ", ".join(sorted(unknown)), ", ".join(makers)))
    for sub, make in makers.items():
        if not want or sub in want:
            write(sub, make())


if __name__ == "__main__":
    main()
