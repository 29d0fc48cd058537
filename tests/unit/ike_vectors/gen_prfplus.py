#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Independent expected values for tests/unit/test_ike.c (lib/ike IKEv2 PRFs).

Nothing here uses lib/ike. HMAC comes from Python's hmac/hashlib, AES-CMAC from the
`cryptography` package (python3-cryptography), AES-XCBC-MAC from the small RFC 3566 section 4
implementation below on top of `cryptography`'s AES-ECB. The AES PRF key-length rules differ:
RFC 4434 section 2 (XCBC): 16 octets as is, shorter zero-padded on the right, longer reduced by
the PRF itself under a 16-octet zero key; RFC 4615 section 3 (CMAC): 16 octets as is, any other
length (shorter too) reduced by AES-CMAC under a 16-octet zero key.

The script first checks the published RFC vectors it knows (RFC 2202, 4231, 3566, 4434, 4493,
4615) against these implementations, so a wrong implementation here cannot go unnoticed, then
prints the C tables pasted into test_ike.c:
    /usr/bin/python3 tests/unit/ike_vectors/gen_prfplus.py
"""
import hashlib
import hmac

from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def aes_ecb(key, block):
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()


def xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


def xcbc_mac(key, msg):
    """RFC 3566 section 4, without the section 4.3 truncation (AES-XCBC-PRF-128, RFC 4434)."""
    k1 = aes_ecb(key, b"\x01" * 16)
    k2 = aes_ecb(key, b"\x02" * 16)
    k3 = aes_ecb(key, b"\x03" * 16)
    blocks = [msg[i:i + 16] for i in range(0, len(msg), 16)] or [b""]
    e = bytes(16)
    for b in blocks[:-1]:
        e = aes_ecb(k1, xor(b, e))
    last = blocks[-1]
    if len(last) == 16:
        return aes_ecb(k1, xor(xor(last, e), k2))
    last = last + b"\x80" + bytes(15 - len(last))
    return aes_ecb(k1, xor(xor(last, e), k3))


def cmac_aes(key, msg):
    c = cmac.CMAC(algorithms.AES(key))
    c.update(msg)
    return c.finalize()


def aes_prf(mac, key, msg, pad_short):
    if len(key) < 16 and pad_short:
        key = key + bytes(16 - len(key))
    elif len(key) != 16:
        key = mac(bytes(16), key)
    return mac(key, msg)


def hmac_fn(name):
    return lambda k, m: hmac.new(k, m, getattr(hashlib, name)).digest()


PRFS = [
    ("TW_IKE_PRF_HMAC_SHA1", hmac_fn("sha1")),
    ("TW_IKE_PRF_AES128_XCBC", lambda k, m: aes_prf(xcbc_mac, k, m, True)),
    ("TW_IKE_PRF_HMAC_SHA2_256", hmac_fn("sha256")),
    ("TW_IKE_PRF_HMAC_SHA2_384", hmac_fn("sha384")),
    ("TW_IKE_PRF_HMAC_SHA2_512", hmac_fn("sha512")),
    ("TW_IKE_PRF_AES128_CMAC", lambda k, m: aes_prf(cmac_aes, k, m, False)),
]
PRF = dict(PRFS)


def prf_plus(prf, key, seed, n):
    """RFC 7296 section 2.13."""
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = prf(key, t + seed + bytes([i]))
        out += t
        i += 1
    return out[:n]


H = bytes.fromhex
SEQ = bytes(range(256))

# Published vectors, typed from the RFC text: (source, prf, key, data, expected). main() asserts
# each against the implementations above before printing it as a test_ike.c table row. RFC 3566
# and RFC 4493 use 16-octet keys, where the AES PRFs are exactly AES-XCBC-MAC (untruncated) and
# AES-CMAC. RFC 4231 test case 5 (truncated output) is left out.
K4493 = H("2b7e151628aed2a6abf7158809cf4f3c")
M4493 = H("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
          "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710")
R4231 = [
    (1, b"\x0b" * 20, b"Hi There"),
    (2, b"Jefe", b"what do ya want for nothing?"),
    (3, b"\xaa" * 20, b"\xdd" * 50),
    (4, bytes(range(1, 26)), b"\xcd" * 50),
    (6, b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First"),
    (7, b"\xaa" * 131, b"This is a test using a larger than block-size key and a larger than "
     b"block-size data. The key needs to be hashed before being used by the HMAC algorithm."),
]
O4231 = {
    "256": [
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
        "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    ],
    "384": [
        "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
        "faea9ea9076ede7f4af152e8b2fa9cb6",
        "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
        "8e2240ca5e69e2c78b3239ecfab21649",
        "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b"
        "2a5ab39dc13814b94e3ab6e101a34f27",
        "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e"
        "6801dd23c4a7d679ccf8a386c674cffb",
        "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
        "0c2ef6ab4030fe8296248df163f44952",
        "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5"
        "a678cc31e799176d3860e6110c46523e",
    ],
    "512": [
        "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
        "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
        "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
        "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
        "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
        "bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb",
        "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
        "a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd",
        "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
        "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
        "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
        "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58",
    ],
}
RFC_VECTORS = [
    ("RFC 2202 section 3 test case 1", "TW_IKE_PRF_HMAC_SHA1", b"\x0b" * 20, b"Hi There",
     "b617318655057264e28bc0b6fb378c8ef146be00"),
    ("RFC 2202 section 3 test case 2", "TW_IKE_PRF_HMAC_SHA1", b"Jefe",
     b"what do ya want for nothing?", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
    ("RFC 2202 section 3 test case 3", "TW_IKE_PRF_HMAC_SHA1", b"\xaa" * 20, b"\xdd" * 50,
     "125d7342b9ac11cd91a39af48aa17b4f63f175d3"),
    ("RFC 2202 section 3 test case 4", "TW_IKE_PRF_HMAC_SHA1", bytes(range(1, 26)),
     b"\xcd" * 50, "4c9007f4026250c6bc8414f9bf50c86c2d7235da"),
    ("RFC 2202 section 3 test case 5 (full digest)", "TW_IKE_PRF_HMAC_SHA1", b"\x0c" * 20,
     b"Test With Truncation", "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"),
    ("RFC 2202 section 3 test case 6", "TW_IKE_PRF_HMAC_SHA1", b"\xaa" * 80,
     b"Test Using Larger Than Block-Size Key - Hash Key First",
     "aa4ae5e15272d00e95705637ce8a3b55ed402112"),
    ("RFC 2202 section 3 test case 7", "TW_IKE_PRF_HMAC_SHA1", b"\xaa" * 80,
     b"Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
     "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"),
] + [
    ("RFC 4231 section 4.%d test case %d, HMAC-SHA-%s" % (n + 1, n, bits),
     "TW_IKE_PRF_HMAC_SHA2_" + bits, key, data, O4231[bits][i])
    for bits in ("256", "384", "512") for i, (n, key, data) in enumerate(R4231)
] + [
    ("RFC 3566 section 4.6 test case #1 (0 octets)", "TW_IKE_PRF_AES128_XCBC", SEQ[:16], b"",
     "75f0251d528ac01c4573dfd584d79f29"),
    ("RFC 3566 section 4.6 test case #2 (3 octets)", "TW_IKE_PRF_AES128_XCBC", SEQ[:16],
     SEQ[:3], "5b376580ae2f19afe7219ceef172756f"),
    ("RFC 3566 section 4.6 test case #3 (16 octets)", "TW_IKE_PRF_AES128_XCBC", SEQ[:16],
     SEQ[:16], "d2a246fa349b68a79998a4394ff7a263"),
    ("RFC 3566 section 4.6 test case #4 (20 octets)", "TW_IKE_PRF_AES128_XCBC", SEQ[:16],
     SEQ[:20], "47f51b4564966215b8985c63055ed308"),
    ("RFC 3566 section 4.6 test case #5 (32 octets)", "TW_IKE_PRF_AES128_XCBC", SEQ[:16],
     SEQ[:32], "f54f0ec8d2b9f3d36807734bd5283fd4"),
    ("RFC 3566 section 4.6 test case #6 (34 octets)", "TW_IKE_PRF_AES128_XCBC", SEQ[:16],
     SEQ[:34], "becbb3bccdb518a30677d5481fb6b4d8"),
    ("RFC 3566 section 4.6 test case #7 (1000 zero octets)", "TW_IKE_PRF_AES128_XCBC",
     SEQ[:16], bytes(1000), "f0dafee895db30253761103b5d84528f"),
    ("RFC 4434 section 4, 16-octet key", "TW_IKE_PRF_AES128_XCBC", SEQ[:16], SEQ[:20],
     "47f51b4564966215b8985c63055ed308"),
    ("RFC 4434 section 4, 10-octet key", "TW_IKE_PRF_AES128_XCBC", SEQ[:10], SEQ[:20],
     "0fa087af7d866e7653434e602fdde835"),
    ("RFC 4434 section 4, 18-octet key", "TW_IKE_PRF_AES128_XCBC", SEQ[:16] + H("edcb"),
     SEQ[:20], "8cd3c93ae598a9803006ffb67c40e9e4"),
    ("RFC 4493 section 4 example 1 (0 octets)", "TW_IKE_PRF_AES128_CMAC", K4493, b"",
     "bb1d6929e95937287fa37d129b756746"),
    ("RFC 4493 section 4 example 2 (16 octets)", "TW_IKE_PRF_AES128_CMAC", K4493, M4493[:16],
     "070a16b46b4d4144f79bdd9dd04a287c"),
    ("RFC 4493 section 4 example 3 (40 octets)", "TW_IKE_PRF_AES128_CMAC", K4493, M4493[:40],
     "dfa66747de9ae63030ca32611497c827"),
    ("RFC 4493 section 4 example 4 (64 octets)", "TW_IKE_PRF_AES128_CMAC", K4493, M4493,
     "51f0bebf7e3b9d92fc49741779363cfe"),
    ("RFC 4615 section 4, 18-octet key", "TW_IKE_PRF_AES128_CMAC", SEQ[:16] + H("edcb"),
     SEQ[:20], "84a348a4a45d235babfffc0d2b4da09a"),
    ("RFC 4615 section 4, 16-octet key", "TW_IKE_PRF_AES128_CMAC", SEQ[:16], SEQ[:20],
     "980ae87b5f4c9c5214f5b6a8455e4c2d"),
    ("RFC 4615 section 4, 10-octet key", "TW_IKE_PRF_AES128_CMAC", SEQ[:10], SEQ[:20],
     "290d9e112edb09ee141fcf64c0b72f3d"),
]


def c_hex(b, indent):
    """A C string literal of hex digits, split to stay within 100 columns."""
    h = b.hex()
    if not h:
        return '""'
    parts = [h[i:i + 64] for i in range(0, len(h), 64)]
    return ("\n" + indent).join('"%s"' % p for p in parts)


def main():
    print("/* gen_prfplus.py: published vectors, each asserted against Python first */")
    for src, name, key, data, want in RFC_VECTORS:
        got = PRF[name](key, data).hex()
        assert got == want, (src, got, want)
        print("\t/* %s */" % src)
        print("\t{ %s,\n\t  %s,\n\t  %s,\n\t  %s },"
              % (name, c_hex(key, "\t  "), c_hex(data, "\t  "), c_hex(bytes.fromhex(want), "\t  ")))

    # prf+ (RFC 7296 section 2.13): fixed key and seed, per PRF lengths of 1 octet, one block,
    # 100 octets (not a multiple of any block), and the 255-block maximum.
    key = bytes((7 * i + 3) & 0xff for i in range(40))
    seed = b"Ni | Nr | SPIi | SPIr " + bytes(range(0x40, 0x60))
    print("/* gen_prfplus.py: prf+ K, 40 octets (7 * i + 3) & 0xff, and S */")
    print("static const char pp_key[] = %s;" % c_hex(key, "\t"))
    print("static const char pp_seed[] = %s;" % c_hex(seed, "\t"))
    print("/* gen_prfplus.py: prf+ rows (prf, out_len, the last min(out_len, 100) octets) */")
    for name, fn in PRFS:
        blk = len(fn(b"k", b"m"))
        for n in (1, blk, 100, 255 * blk):
            out = prf_plus(fn, key, seed, n)
            print("\t{ %s, %d,\n\t  %s }," % (name, n, c_hex(out[-100:], "\t  ")))

    # RFC 7717 section 5.1: PRF(SK_d, "IPPM"), SK_d of the PRF's key length (RFC 7296 2.14)
    # and, for the AES PRFs, also of 10 and 18 octets to exercise the key-length rules.
    print("/* gen_prfplus.py: IPPM rows (prf, SK_d = (0xa5 + 11 * i) & 0xff, secret) */")
    for name, fn in PRFS:
        klens = {"TW_IKE_PRF_HMAC_SHA1": [20], "TW_IKE_PRF_HMAC_SHA2_256": [32],
                 "TW_IKE_PRF_HMAC_SHA2_384": [48], "TW_IKE_PRF_HMAC_SHA2_512": [64],
                 "TW_IKE_PRF_AES128_XCBC": [16, 10, 18],
                 "TW_IKE_PRF_AES128_CMAC": [16, 10, 18]}[name]
        for kl in klens:
            skd = bytes((0xa5 + 11 * i) & 0xff for i in range(kl))
            out = fn(skd, b"IPPM")
            print("\t{ %s,\n\t  %s,\n\t  %s }," % (name, c_hex(skd, "\t  "), c_hex(out, "\t  ")))


if __name__ == "__main__":
    main()
