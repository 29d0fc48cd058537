#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Seed corpus for tests/fuzz/fuzz_ctrl_server.c: tests/fuzz/corpus/ctrl_server/seed-<name>.

The seeds are the valid client streams of the unit-test conversations (gen_ctrl_vectors.py), in
the harness's input layout (scenario octet, write sizes, octets): raw, raw in odd write sizes,
with the key lookup answering late, and "sealed" (plaintext commands the harness encrypts), so
mutations start from streams that reach every state in every mode; the same with Modes 512
(RFC 8186) offered, asked for or not, and asked for without being offered. Plus a few short edge
cases.
Run from anywhere:
    /usr/bin/python3 tests/unit/ctrl_vectors/gen_ctrl_corpus.py
Crash inputs found by fuzzing are added next to the seeds as crash-<sha1>, never regenerated.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_ctrl_vectors as gv  # noqa: E402

OUT = os.path.join(HERE, "..", "..", "fuzz", "corpus", "ctrl_server")

F_SEALED, F_ASYNC, F_LENIENT, F_THIRD, F_ONE = 8, 16, 32, 64, 128
F1_PTP = 16  # in the write-sizes octet: the server offers 512 (RFC 8186)


def sealed(plain):
    out = b""
    for m in plain:
        assert len(m) % 16 == 0 and 16 <= len(m) <= 512
        out += bytes([len(m) // 16 - 1]) + m
    return out


def with_ptp(c2s):
    """The client stream with 512 added to the Set-Up-Response Mode (octets 0-3, big endian).
    No HMAC or Token covers the Mode, so the rest of the stream stays valid."""
    return c2s[:2] + bytes([c2s[2] | 0x02]) + c2s[3:]


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {}
    for i, cv in enumerate(gv.CONVS):
        c2s = b"".join(s[3] for s in cv["steps"])
        n = cv["name"]
        seeds["%s-raw" % n] = bytes([i, 0]) + c2s
        seeds["%s-sizes" % n] = bytes([i, 4, 1, 5, 16, 100]) + c2s
        seeds["%s-async" % n] = bytes([i | F_ASYNC, 1, 7]) + c2s
        seeds["%s-sealed" % n] = bytes([i | F_SEALED, 0]) + sealed(cv["plain"])
        seeds["%s-sealed-one" % n] = bytes([i | F_SEALED | F_ONE | F_LENIENT, 2, 3, 33]) + \
            sealed(cv["plain"])
        seeds["%s-ptp-offered" % n] = bytes([i, F1_PTP]) + c2s
        seeds["%s-ptp" % n] = bytes([i, F1_PTP]) + with_ptp(c2s)
        seeds["%s-ptp-unoffered" % n] = bytes([i, 0]) + with_ptp(c2s)
        seeds["%s-ptp-sealed" % n] = bytes([i | F_SEALED, F1_PTP]) + sealed(cv["plain"])
    seeds["empty"] = bytes([0, 0])
    seeds["junk"] = bytes([2, 0]) + bytes(range(256)) * 2
    seeds["setup-mode0"] = bytes([0, 0]) + bytes(164)
    seeds["third-party"] = bytes([F_SEALED | F_THIRD, 0]) + sealed(gv.CONVS[0]["plain"][:1])
    for name, data in sorted(seeds.items()):
        with open(os.path.join(OUT, "seed-" + name), "wb") as f:
            f.write(data)
    print("%d seeds in %s" % (len(seeds), os.path.normpath(OUT)))


if __name__ == "__main__":
    main()
