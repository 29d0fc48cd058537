#!/usr/bin/python3
"""Check the ippm plugin's result independently of strongSwan's and the reflector's code:
recompute PRF(SK_d, "IPPM") from the SK_d that charon itself logged at "ike = 4" (a throwaway
test log, see charon-ns CHARON_NS_KEYLOG) and compare SHA-256 fingerprints.

  ippm_verify.py KEYLOG UNIQUE_ID PRF SHA256_HEX
      KEYLOG     charon file log with ike = 4 and ike_name = yes
      UNIQUE_ID  the IKE_SA's unique ID (swanctl --list-sas --raw: uniqueid=N)
      PRF        prfsha1 | prfsha256 | prfsha384 | prfsha512 | prfaesxcbc | prfaescmac
                 (or its IKEv2 transform ID 2, 5, 6, 7, 4, 8)
      SHA256_HEX the fingerprint ippm_query.py printed (key_sha256)
  ippm_verify.py selftest

Every run first checks the PRF implementations below against the RFCs' published vectors
(RFC 4231 HMAC-SHA2, RFC 2202 HMAC-SHA1, RFC 3566 / RFC 4434 AES-XCBC-PRF-128, RFC 4493 /
RFC 4615 AES-CMAC-PRF-128). AES-XCBC is implemented here on AES-ECB; AES-CMAC is the
cryptography package's CMAC (python3-cryptography), with the RFC 4615 key rule added here.
Exit status: 0 match, 1 mismatch or SA not in the log, 2 usage or self-test failure.
"""
import hashlib
import hmac
import re
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

PRFS = {"prfsha1": 2, "prfaesxcbc": 4, "prfsha256": 5, "prfsha384": 6, "prfsha512": 7,
        "prfaescmac": 8}


def aes(key, block):
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()


def xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


def xcbc_mac(key, msg):
    """AES-XCBC-MAC-128 (RFC 3566 section 4), the full 128-bit result."""
    k1, k2, k3 = (aes(key, bytes([i]) * 16) for i in (1, 2, 3))
    blocks = [msg[i:i + 16] for i in range(0, len(msg), 16)] or [b""]
    e = bytes(16)
    for b in blocks[:-1]:
        e = aes(k1, xor(e, b))
    last = blocks[-1]
    if len(last) == 16:
        last = xor(last, k2)
    else:
        last = xor(last + b"\x80" + bytes(15 - len(last)), k3)
    return aes(k1, xor(e, last))


def prf_xcbc(key, msg):
    """AES-XCBC-PRF-128 (RFC 4434): short keys zero-padded, long keys MACed under 0^128."""
    if len(key) < 16:
        key = key + bytes(16 - len(key))
    elif len(key) > 16:
        key = xcbc_mac(bytes(16), key)
    return xcbc_mac(key, msg)


def cmac(key, msg):
    c = CMAC(algorithms.AES(key))
    c.update(msg)
    return c.finalize()


def prf_cmac(key, msg):
    """AES-CMAC-PRF-128 (RFC 4615): keys of other lengths than 16 are CMACed under 0^128."""
    if len(key) != 16:
        key = cmac(bytes(16), key)
    return cmac(key, msg)


def prf(name, key, msg):
    if name == 4:
        return prf_xcbc(key, msg)
    if name == 8:
        return prf_cmac(key, msg)
    h = {2: hashlib.sha1, 5: hashlib.sha256, 6: hashlib.sha384, 7: hashlib.sha512}[name]
    return hmac.new(key, msg, h).digest()


SEQ = bytes(range(64))
K4493 = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
M4493 = bytes.fromhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
                      "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710")
VECTORS = [
    # RFC 2202 section 3, test case 2; RFC 4231 section 4.3 (test case 2)
    (2, b"Jefe", b"what do ya want for nothing?", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
    (5, b"Jefe", b"what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    (6, b"Jefe", b"what do ya want for nothing?",
     "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
     "8e2240ca5e69e2c78b3239ecfab21649"),
    (7, b"Jefe", b"what do ya want for nothing?",
     "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
     "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"),
    # RFC 3566 section 4.6
    (4, SEQ[:16], b"", "75f0251d528ac01c4573dfd584d79f29"),
    (4, SEQ[:16], SEQ[:3], "5b376580ae2f19afe7219ceef172756f"),
    (4, SEQ[:16], SEQ[:16], "d2a246fa349b68a79998a4394ff7a263"),
    (4, SEQ[:16], SEQ[:32], "f54f0ec8d2b9f3d36807734bd5283fd4"),
    (4, SEQ[:16], SEQ[:34], "becbb3bccdb518a30677d5481fb6b4d8"),
    # RFC 4434 section 4 (16-, 10- and 18-octet keys)
    (4, SEQ[:16], SEQ[:20], "47f51b4564966215b8985c63055ed308"),
    (4, SEQ[:10], SEQ[:20], "0fa087af7d866e7653434e602fdde835"),
    (4, SEQ[:16] + bytes.fromhex("edcb"), SEQ[:20], "8cd3c93ae598a9803006ffb67c40e9e4"),
    # RFC 4493 section 4
    (8, K4493, b"", "bb1d6929e95937287fa37d129b756746"),
    (8, K4493, M4493[:16], "070a16b46b4d4144f79bdd9dd04a287c"),
    (8, K4493, M4493[:40], "dfa66747de9ae63030ca32611497c827"),
    (8, K4493, M4493, "51f0bebf7e3b9d92fc49741779363cfe"),
    # RFC 4615 section 4 (18-, 16- and 10-octet keys)
    (8, SEQ[:16] + bytes.fromhex("edcb"), SEQ[:20], "84a348a4a45d235babfffc0d2b4da09a"),
    (8, SEQ[:16], SEQ[:20], "980ae87b5f4c9c5214f5b6a8455e4c2d"),
    (8, SEQ[:10], SEQ[:20], "290d9e112edb09ee141fcf64c0b72f3d"),
]


def selftest():
    bad = [v for v in VECTORS if prf(v[0], v[1], v[2]).hex() != v[3]]
    for v in bad:
        print("selftest: PRF %d key %s: got %s, RFC says %s"
              % (v[0], v[1].hex(), prf(v[0], v[1], v[2]).hex(), v[3]), file=sys.stderr)
    return not bad


def skd_from_log(path, uid):
    """The last SK_d charon logged for the IKE_SA with unique ID uid."""
    tag = re.compile(r"\[IKE\] <[^|>]*\|%d> (.*)$" % uid)
    lines = []
    for line in open(path, errors="replace"):
        m = tag.search(line.rstrip("\n"))
        lines.append(m.group(1) if m else None)
    starts = [i for i, l in enumerate(lines) if l and l.startswith("Sk_d secret => ")]
    if not starts:
        return None
    i = starts[-1]
    size = int(re.match(r"Sk_d secret => (\d+) bytes", lines[i]).group(1))
    hexs = ""
    for l in lines[i + 1:]:
        m = re.match(r"^\s*\d+: ((?:[0-9A-F]{2} ?)+)", l or "")
        if not m:
            break
        hexs += m.group(1).replace(" ", "")
    skd = bytes.fromhex(hexs)[:size]
    return skd if len(skd) == size else None


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "selftest":
        ok = selftest()
        print("selftest: %d RFC vectors %s" % (len(VECTORS), "ok" if ok else "FAILED"))
        return 0 if ok else 2
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    log, uid, name, want = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].lower()
    pid = PRFS[name] if name in PRFS else int(name)
    name = {v: k for k, v in PRFS.items()}.get(pid, name)
    if not selftest():
        print("VERIFY: the PRF implementations fail their RFC vectors", file=sys.stderr)
        return 2
    skd = skd_from_log(log, uid)
    if skd is None:
        print("VERIFY: no SK_d of IKE_SA #%d in %s" % (uid, log))
        return 1
    got = hashlib.sha256(prf(pid, skd, b"IPPM")).hexdigest()
    ok = got == want
    print("VERIFY: PRF %d (%s) over the %d-octet SK_d charon logged for IKE_SA #%d %s the "
          "plugin's secret (sha256 %s)" % (pid, name, len(skd), uid,
                                             "equals" if ok else "DIFFERS FROM", got))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
