#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Seed corpus for tests/fuzz/fuzz_tcrypt.c: tests/fuzz/corpus/tcrypt/seed-<name>.

Inputs in the harness's format (byte 0: bit 0 kind, bits 1-6 first session, bit 7 "also a
frame"; then [length/2][payload] records), built with the RFC rules of gen_vectors.py and the
harness's fixed session keys, so the fuzzer starts from packets that verify and reach the
reflect and seal paths. Run from anywhere:
    /usr/bin/python3 tests/unit/tcrypt_vectors/gen_fuzz_seeds.py
Crash inputs found by fuzzing are added next to the seeds as crash-<sha1> and never regenerated.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_vectors import (AUTH, ENC, F_AUTH_HMAC_ALL, REFLECTOR, SENDER,  # noqa: E402
                         derive, det, refl_plain, seal, sender_plain)
from scapy.layers.inet import IP, UDP  # noqa: E402
from scapy.layers.inet6 import IPv6  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fuzz", "corpus",
                   "tcrypt")
# fuzz_tcrypt.c setup(): the four sessions and their keys.
AES_SK = bytes([0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6]) + bytes(8)
HMAC_SK = bytes([0x0b] * 4) + bytes(27) + b"\x42"
SESSIONS = [(AUTH, 0), (ENC, 0), (AUTH, F_AUTH_HMAC_ALL), (ENC, F_AUTH_HMAC_ALL)]


def keys(i):
    return derive(AES_SK, HMAC_SK, bytes([i, 0xfe]) + bytes(14))


def record(payload):
    assert len(payload) % 2 == 0 and len(payload) <= 510
    return bytes([len(payload) // 2]) + payload


def sealed(kind, si, length, label):
    mode, flags = SESSIONS[si]
    if kind == SENDER:
        plain = sender_plain(label, length)
    else:
        plain = refl_plain(sender_plain(label + "/req", length), 1, 2, 3, 64, 4)
    return seal(keys(si), kind, mode, flags, plain)


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {}
    for si in range(4):
        # Session si serves record j when (byte0 / 2 + j) % 4 == si; start at si.
        seeds[f"sender-s{si}"] = bytes([si * 2]) + b"".join(
            record(sealed(SENDER, (si + j) % 4, ln, f"s{si}/{j}"))
            for j, ln in enumerate((48, 112, 200, 48)))
        seeds[f"refl-s{si}"] = bytes([si * 2 + 1]) + b"".join(
            record(sealed(REFLECTOR, (si + j) % 4, ln, f"r{si}/{j}"))
            for j, ln in enumerate((112, 140)))
    seeds["short"] = bytes([0]) + record(bytes(46)) + record(b"") + record(bytes(2))
    seeds["garbage"] = bytes([2]) + det("garbage", 300)
    # Frames (bit 7): session 1 reflects them; the records parse as whatever they are.
    pl = sealed(SENDER, 1, 112, "frame4")
    seeds["frame-v4"] = bytes([0x82]) + bytes(
        Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01")
        / IP(src="198.18.1.2", dst="198.18.0.1", ttl=60) / UDP(sport=40000, dport=862)
        / Raw(pl))
    pl = sealed(SENDER, 1, 48, "frame6")
    seeds["frame-v6-grow"] = bytes([0x82]) + bytes(
        Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01")
        / IPv6(src="2001:db8::2", dst="2001:db8::1", hlim=9) / UDP(sport=40000, dport=862)
        / Raw(pl))
    for name, data in seeds.items():
        with open(os.path.join(OUT, f"seed-{name}"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
