#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Independent test vectors for tests/unit/test_ctrl.c (lib/ctrl, TWAMP-Control).

Everything here is computed from the RFC texts with Python's hashlib/hmac and the `cryptography`
package (Debian python3-cryptography), never with lib/ctrl:
  - PBKDF2-HMAC-SHA1 (RFC 8018) checked against the RFC 6070 vectors;
  - Token = AES-128-CBC(IV 0, PBKDF2(secret, Salt, Count, 16)) of Challenge|AES key|HMAC key
    (RFC 4656 section 3.1);
  - the control stream (RFC 4656 sections 3.2 and 3.4): each direction one AES-128-CBC stream
    keyed with the AES Session-key, starting at the sender's IV (Client-IV, Server-IV) with the
    block after the one carrying the IV; each message's last 16 octets are HMAC-SHA1 truncated to
    128 bits, keyed with the HMAC Session-key, over the plaintext since the previous HMAC: the
    server's first HMAC therefore also covers the Server-Start Start-Time/MBZ block;
  - TWAMP-Test keys (RFC 4656 section 4.1.2 as owamp implements it): AES-ECB(SID, AES key) and
    AES-CBC(SID, IV 0, HMAC key);
  - golden octets of every message (RFC 4656 section 3, RFC 5357 section 3, RFC 5938, RFC 6038)
    packed field by field with struct;
  - whole conversations in modes 1, 2, 4, 8 and with features 16/32/64, both directions, given
    fixed "random" octets that the C test's random callbacks hand out in the same order.

Draw order (what the C test's random callbacks are asked for, in order):
  server: Challenge 16, Salt 16 (greeting); Server-IV 16 (modes 2/4/8); 4 octets per SID.
  client: AES Session-key 16, HMAC Session-key 32, Client-IV 16 (modes 2/4/8).

Usage: /usr/bin/python3 tests/unit/ctrl_vectors/gen_ctrl_vectors.py \
           > tests/unit/ctrl_vectors/ctrl_vectors.h
"""
import hashlib
import hmac
import struct
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# Fixed parameters, shared with test_ctrl.c (the CTRLV_* macros below carry them over).
SECRET = b"twamp-secret"
KEYID = b"reflector-test"
COUNT = 1024
START_TIME = 0xE93C7F0000000000       # Server-Start Start-Time (NTP)
START_MONO = 1000 * 10**9             # `now` at START_TIME
NOW = START_MONO + 5 * 10**9          # every step happens at this `now`
PEER = bytes([198, 18, 0, 1])         # control client
LOCAL = bytes([198, 18, 0, 2])        # reflector
SERVER_OCTETS = 0x1234                # what the C test's session_request answers in mode 32


def det(label, n):
    """Fixed octets standing in for randomness."""
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(label.encode() + struct.pack(">I", i)).digest()
        i += 1
    return out[:n]


def aes_cbc_enc(key, iv, data):
    e = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return e.update(data) + e.finalize()


def aes_ecb_enc(key, data):
    e = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return e.update(data) + e.finalize()


def pbkdf2(secret, salt, count, n=16):
    return hashlib.pbkdf2_hmac("sha1", secret, salt, count, n)


def mac16(key, data):
    return hmac.new(key, data, hashlib.sha1).digest()[:16]


class Stream:
    """One direction of the RFC 4656 section 3.4 control stream (sender view)."""

    def __init__(self, aes_key, hmac_key, iv):
        self.enc = Cipher(algorithms.AES(aes_key), modes.CBC(iv)).encryptor()
        self.hmac_key = hmac_key
        self.pending = b""

    def cover(self, plain):
        self.pending += plain

    def crypt(self, plain):
        return self.enc.update(plain)

    def seal(self, body):
        """body: the message without its HMAC field."""
        tag = mac16(self.hmac_key, self.pending + body)
        self.pending = b""
        return self.enc.update(body + tag)


# --- messages, field by field -------------------------------------------------------------------

def greeting(modes_, challenge, salt, count):
    return bytes(12) + struct.pack(">I", modes_) + challenge + salt + struct.pack(">I", count) \
        + bytes(12)


def setup(mode, keyid, token, client_iv):
    return struct.pack(">I", mode) + keyid.ljust(80, b"\0") + token + client_iv


def server_start_clear(accept, server_iv):
    return bytes(15) + bytes([accept]) + server_iv


def server_start_tail(start_time):
    return struct.pack(">Q", start_time) + bytes(8)


def request_body(p, reflect):
    """RFC 5357 section 3.5, without the HMAC (96 octets)."""
    def addr(a):
        return a.ljust(16, b"\0")
    otbr, lpr = (p["otbr"], p["lpr"]) if reflect else (0, 0)
    return (struct.pack(">BBBB", 5, p["ipvn"], 0, 0) + struct.pack(">II", 0, 0)
            + struct.pack(">HH", p["sport"], p["rport"]) + addr(p["saddr"]) + addr(p["raddr"])
            + bytes(16) + struct.pack(">I", p["padding"]) + struct.pack(">QQ", p["start"],
                                                                         p["timeout"])
            + struct.pack(">I", p["typep"]) + struct.pack(">HH", otbr, lpr) + bytes(4))


def accept_body(accept, port, sid, reflected, server_octets):
    return (struct.pack(">BBH", accept, 0, port) + sid + struct.pack(">HH", reflected,
                                                                     server_octets) + bytes(8))


def start_body():
    return bytes([2]) + bytes(15)


def start_ack_body(accept):
    return bytes([accept]) + bytes(15)


def stop_body(accept, n):
    return struct.pack(">BBHI", 3, accept, 0, n) + bytes(8)


def nmsg_body(cmd, accept, sids):
    return struct.pack(">BBHI", cmd, accept, 0, len(sids)) + bytes(8) + b"".join(sids)


def ntp_at(now):
    d = now - START_MONO
    sec, rem = divmod(d, 10**9)
    frac = (rem << 32) // 10**9
    return (START_TIME + ((sec << 32) | frac)) & (2**64 - 1)


# --- conversations ------------------------------------------------------------------------------

PARAMS = [
    # zero addresses: the control connection's (RFC 5357 section 3.5)
    dict(ipvn=4, saddr=bytes(4), raddr=bytes(4), sport=20000, rport=20001, padding=64,
         start=0, timeout=2 << 32, typep=46 << 24, otbr=0xBEEF, lpr=8),
    dict(ipvn=4, saddr=PEER, raddr=LOCAL, sport=20002, rport=20003, padding=27,
         start=START_TIME + (10 << 32), timeout=1 << 31, typep=0, otbr=0x0102, lpr=0),
]


def conversation(name, offered, mode, steps):
    """Play both sides of one conversation. steps: ("request", i) | ("start",) | ("stop", acc)
    | ("start_n", [i..]) | ("stop_n", acc, [i..])."""
    cipher = (mode & 0xE) != 0
    reflect = (mode & 32) != 0
    srv_rand = det(name + "-srv", 16 + 16 + 16 + 4 * 8)
    cli_rand = det(name + "-cli", 64)
    sr = iter([srv_rand[i:i + 1] for i in range(len(srv_rand))])

    def srv_draw(n):
        return b"".join(next(sr) for _ in range(n))

    out = []        # (kind, arg, accept, c2s, s2c)
    challenge, salt = srv_draw(16), srv_draw(16)
    out.append(("GREETING", 0, 0, b"", greeting(offered, challenge, salt, COUNT)))

    keyid = KEYID if cipher else b""
    if cipher:
        aes_key, hmac_key, client_iv = cli_rand[0:16], cli_rand[16:48], cli_rand[48:64]
        key = pbkdf2(SECRET, salt, COUNT)
        token = aes_cbc_enc(key, bytes(16), challenge + aes_key + hmac_key)
        server_iv = srv_draw(16)
    else:
        aes_key = hmac_key = None
        client_iv = server_iv = bytes(16)
        token = bytes(64)
    c2s_setup = setup(mode, keyid, token, client_iv)
    tail = server_start_tail(START_TIME)
    c2s = s2c = None
    if cipher:
        c2s = Stream(aes_key, hmac_key, client_iv)
        s2c = Stream(aes_key, hmac_key, server_iv)
        s2c.cover(tail)
        ss = server_start_clear(0, server_iv) + s2c.crypt(tail)
    else:
        ss = server_start_clear(0, server_iv) + tail

    plain = []      # the client's commands in clear (HMAC field zero), for fuzz seeds

    def c_seal(body):
        plain.append(body + bytes(16))
        return c2s.seal(body) if cipher else body + bytes(16)

    def s_seal(body):
        return s2c.seal(body) if cipher else body + bytes(16)

    out.append(("SETUP", 0, 0, c2s_setup, ss))

    sessions = {}   # index -> sid (accepted, not yet stopped)
    started = set()
    sids_made = []
    for st in steps:
        if st[0] == "request":
            i = st[1]
            p = PARAMS[i]
            sid = LOCAL + struct.pack(">Q", ntp_at(NOW)) + srv_draw(4)
            sids_made.append(sid)
            sessions[i] = sid
            refl = p["otbr"] if reflect else 0
            so = SERVER_OCTETS if reflect else 0
            out.append(("REQUEST", i, 0, c_seal(request_body(p, reflect)),
                        s_seal(accept_body(0, p["rport"], sid, refl, so))))
        elif st[0] == "start":
            started |= set(sessions)
            out.append(("START", 0, 0, c_seal(start_body()), s_seal(start_ack_body(0))))
        elif st[0] == "stop":
            n = len(sessions)
            body = stop_body(st[1], n)
            out.append(("STOP", 0, st[1], c_seal(body), b""))
            sessions.clear()
            started.clear()
        elif st[0] in ("start_n", "stop_n"):
            idx = st[1] if st[0] == "start_n" else st[2]
            acc = 0 if st[0] == "start_n" else st[1]
            sids = [sessions[i] for i in idx]
            cmd, ack = (7, 8) if st[0] == "start_n" else (9, 10)
            body = nmsg_body(cmd, acc, sids)
            reply = nmsg_body(ack, 0, sids)
            out.append((st[0].upper(), sum(1 << i for i in idx), acc,
                        c_seal(body), s_seal(reply)))
            if st[0] == "start_n":
                started |= set(idx)
            else:
                for i in idx:
                    sessions.pop(i)
                    started.discard(i)
    test_keys = []
    if cipher:
        for sid in sids_made:
            test_keys.append(aes_ecb_enc(sid, aes_key) + aes_cbc_enc(sid, bytes(16), hmac_key))
    return dict(name=name, offered=offered, mode=mode, srv_rand=srv_rand, cli_rand=cli_rand,
                steps=out, aes=aes_key or bytes(16), hmac=hmac_key or bytes(32),
                sids=sids_made, test_keys=test_keys, cipher=cipher, plain=plain)


ALL = 1 | 2 | 4 | 8 | 16 | 32 | 64
BASIC = [("request", 0), ("request", 1), ("start",), ("stop", 0)]
CONVS = [
    conversation("open", ALL, 1, BASIC),
    conversation("auth", ALL, 2, BASIC),
    conversation("enc", ALL, 4, BASIC),
    conversation("mixed", ALL, 8, BASIC),
    conversation("enc_isc_refl", ALL, 4 | 16 | 32,
                 [("request", 0), ("request", 1), ("start_n", [1]), ("stop_n", 0, [1]),
                  ("start_n", [0]), ("stop_n", 0, [0]), ("request", 1), ("start",),
                  ("stop", 0)]),
    conversation("open_isc_sym", 1 | 16 | 64, 1 | 16 | 64,
                 [("request", 0), ("start_n", [0]), ("stop_n", 3, [0])]),
    conversation("auth_refl_sym", ALL, 2 | 32 | 64, [("request", 0), ("start",), ("stop", 1)]),
]


# --- RFC 6070 (PBKDF2-HMAC-SHA1) ----------------------------------------------------------------

RFC6070 = [
    (b"password", b"salt", 1, 20, "0c60c80f961f0e71f3a9b524af6012062fe037a6"),
    (b"password", b"salt", 2, 20, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"),
    (b"password", b"salt", 4096, 20, "4b007901b765489abead49d926f721d065a429c1"),
    (b"passwordPASSWORDpassword", b"saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, 25,
     "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038"),
    (b"pass\0word", b"sa\0lt", 4096, 16, "56fa6aa75548099dcc37d7f03425e0c3"),
]


# --- output -------------------------------------------------------------------------------------

def c_bytes(name, data, static=True):
    lines = []
    for i in range(0, len(data), 12):
        lines.append("\t" + " ".join("0x%02x," % b for b in data[i:i + 12]))
    body = "\n".join(lines) if data else "\t0x00,"
    return "%sconst uint8_t %s[%d] = {\n%s\n};\n" % ("static " if static else "", name,
                                                   max(len(data), 1), body)


def c_str(data):
    return '"' + "".join("\\x%02x" % b for b in data) + '"'


def main():
    for pw, salt, c, n, hexout in RFC6070:
        assert pbkdf2(pw, salt, c, n).hex() == hexout, "hashlib disagrees with RFC 6070"
    w = sys.stdout.write
    w("/* SPDX-License-Identifier: BSD-3-Clause */\n")
    w("/* Generated by tests/unit/ctrl_vectors/gen_ctrl_vectors.py -- do not edit. */\n")
    w("#ifndef CTRL_VECTORS_H\n#define CTRL_VECTORS_H\n\n#include <stdint.h>\n\n")
    w("#define CTRLV_SECRET %s\n#define CTRLV_KEYID %s\n" % (c_str(SECRET), c_str(KEYID)))
    w("#define CTRLV_COUNT %d\n#define CTRLV_START_TIME 0x%016xULL\n" % (COUNT, START_TIME))
    w("#define CTRLV_START_MONO %dULL\n#define CTRLV_NOW %dULL\n" % (START_MONO, NOW))
    w("#define CTRLV_SERVER_OCTETS 0x%04x\n\n" % SERVER_OCTETS)
    w("enum ctrlv_kind { CTRLV_GREETING, CTRLV_SETUP, CTRLV_REQUEST, CTRLV_START, CTRLV_STOP,\n"
      "\tCTRLV_START_N, CTRLV_STOP_N };\n\n")
    w("struct ctrlv_param {\n\tuint8_t ipvn;\n\tuint8_t saddr[4];\n\tuint8_t raddr[4];\n"
      "\tuint16_t sport, rport;\n\tuint32_t padding;\n\tuint64_t start, timeout;\n"
      "\tuint32_t typep;\n\tuint16_t otbr, lpr;\n};\n\n")
    w("static const struct ctrlv_param ctrlv_params[] = {\n")
    for p in PARAMS:
        w("\t{ %d, { %s }, { %s }, %d, %d, %d, 0x%016xULL, 0x%016xULL, 0x%08x, 0x%04x, %d },\n" % (
            p["ipvn"], ", ".join(str(b) for b in p["saddr"]),
            ", ".join(str(b) for b in p["raddr"]), p["sport"], p["rport"], p["padding"],
            p["start"], p["timeout"], p["typep"], p["otbr"], p["lpr"]))
    w("};\n\n")
    w("struct ctrlv_step {\n\tenum ctrlv_kind kind;\n\tuint32_t arg;\t/* request: params index;"
      " N commands: session bitmask */\n\tuint8_t accept;\n\tuint32_t c2s_len;\n"
      "\tuint32_t s2c_len;\n};\n\n")
    w("struct ctrlv_conv {\n\tconst char *name;\n\tuint32_t offered;\n\tuint32_t mode;\n"
      "\tconst uint8_t *srv_rand;\n\tuint32_t srv_rand_len;\n\tconst uint8_t *cli_rand;\n"
      "\tuint32_t cli_rand_len;\n\tconst struct ctrlv_step *steps;\n\tuint32_t nb_steps;\n"
      "\tconst uint8_t *c2s;\n\tuint32_t c2s_len;\n\tconst uint8_t *s2c;\n"
      "\tuint32_t s2c_len;\n\tconst uint8_t *aes;\n\tconst uint8_t *hmac;\n"
      "\tconst uint8_t *sids;\t/* nb_sids x 16 */\n\tuint32_t nb_sids;\n"
      "\tconst uint8_t *test_keys;\t/* nb_sids x 48 (AES 16 | HMAC 32), cipher modes */\n};\n\n")
    for cv in CONVS:
        n = cv["name"]
        c2s = b"".join(s[3] for s in cv["steps"])
        s2c = b"".join(s[4] for s in cv["steps"])
        w(c_bytes("ctrlv_%s_srv_rand" % n, cv["srv_rand"]))
        w(c_bytes("ctrlv_%s_cli_rand" % n, cv["cli_rand"]))
        w(c_bytes("ctrlv_%s_c2s" % n, c2s))
        w(c_bytes("ctrlv_%s_s2c" % n, s2c))
        w(c_bytes("ctrlv_%s_aes" % n, cv["aes"]))
        w(c_bytes("ctrlv_%s_hmac" % n, cv["hmac"]))
        w(c_bytes("ctrlv_%s_sids" % n, b"".join(cv["sids"])))
        w(c_bytes("ctrlv_%s_test_keys" % n, b"".join(cv["test_keys"])))
        w("static const struct ctrlv_step ctrlv_%s_steps[] = {\n" % n)
        for kind, arg, acc, a, b in cv["steps"]:
            w("\t{ CTRLV_%s, 0x%x, %d, %d, %d },\n" % (kind, arg, acc, len(a), len(b)))
        w("};\n")
        w("static const struct ctrlv_conv ctrlv_%s = {\n" % n)
        w("\t\"%s\", 0x%x, 0x%x,\n" % (n, cv["offered"], cv["mode"]))
        w("\tctrlv_%s_srv_rand, %d, ctrlv_%s_cli_rand, %d,\n" % (n, len(cv["srv_rand"]), n,
                                                               len(cv["cli_rand"])))
        w("\tctrlv_%s_steps, %d,\n" % (n, len(cv["steps"])))
        w("\tctrlv_%s_c2s, %d, ctrlv_%s_s2c, %d,\n" % (n, len(c2s), n, len(s2c)))
        w("\tctrlv_%s_aes, ctrlv_%s_hmac, ctrlv_%s_sids, %d, ctrlv_%s_test_keys,\n};\n\n" % (
            n, n, n, len(cv["sids"]), n))
    w("static const struct ctrlv_conv *const ctrlv_convs[] = {\n")
    for cv in CONVS:
        w("\t&ctrlv_%s,\n" % cv["name"])
    w("};\n\n")

    # Token alone: one fixed input, for the token test.
    chal, aes_k, hmac_k, salt = det("tok-c", 16), det("tok-a", 16), det("tok-h", 32), det(
        "tok-s", 16)
    key = pbkdf2(SECRET, salt, COUNT)
    w(c_bytes("ctrlv_tok_salt", salt) + c_bytes("ctrlv_tok_plain", chal + aes_k + hmac_k))
    w(c_bytes("ctrlv_tok_key", key) + c_bytes("ctrlv_tok_token",
                                              aes_cbc_enc(key, bytes(16), chal + aes_k + hmac_k)))

    # Control stream alone: two messages in one direction after a covered Server-Start tail.
    iv, tail = det("st-iv", 16), server_start_tail(START_TIME)
    m1, m2 = accept_body(0, 862, det("st-sid", 16), 0, 0), start_ack_body(0)
    s = Stream(aes_k, hmac_k, iv)
    s.cover(tail)
    ct_tail = s.crypt(tail)
    ct1, ct2 = s.seal(m1), s.seal(m2)
    w(c_bytes("ctrlv_st_iv", iv) + c_bytes("ctrlv_st_plain", tail + m1 + bytes(16) + m2 +
                                           bytes(16)))
    w(c_bytes("ctrlv_st_cipher", ct_tail + ct1 + ct2))

    # Golden messages (clear, HMAC field zero), with the field values test_ctrl.c encodes.
    sid = bytes(range(0x10, 0x20))
    gold = [
        ("greeting", greeting(0x7F, bytes(range(16)), bytes(range(16, 32)), 1024)),
        ("setup", setup(4 | 32, KEYID, bytes(range(64)), bytes(range(0xA0, 0xB0)))),
        ("server_start", server_start_clear(0, bytes(range(0xC0, 0xD0))) +
         server_start_tail(START_TIME)),
        ("request4", request_body(dict(ipvn=4, saddr=PEER, raddr=LOCAL, sport=20000,
                                       rport=20001, padding=64, start=START_TIME,
                                       timeout=2 << 32, typep=46 << 24, otbr=0xBEEF, lpr=8),
                                  True) + bytes(16)),
        ("request6", request_body(dict(ipvn=6, saddr=bytes.fromhex("20010db8" + "00" * 11 + "01"),
                                       raddr=bytes.fromhex("20010db8" + "00" * 11 + "02"),
                                       sport=1, rport=65535, padding=0, start=0, timeout=0,
                                       typep=0x3F000000, otbr=0, lpr=0), False) + bytes(16)),
        ("accept", accept_body(0, 862, sid, 0xBEEF, 0x1234) + bytes(16)),
        ("start", start_body() + bytes(16)),
        ("start_ack", start_ack_body(5) + bytes(16)),
        ("stop", stop_body(1, 3) + bytes(16)),
        ("start_n", nmsg_body(7, 0, [sid, bytes(range(0x20, 0x30))]) + bytes(16)),
        ("start_n_ack", nmsg_body(8, 0, [sid, bytes(range(0x20, 0x30))]) + bytes(16)),
        ("stop_n", nmsg_body(9, 2, [sid]) + bytes(16)),
        ("stop_n_ack", nmsg_body(10, 1, [sid]) + bytes(16)),
    ]
    for name, data in gold:
        w(c_bytes("ctrlv_gold_%s" % name, data))
    w("\n#endif /* CTRL_VECTORS_H */\n")


if __name__ == "__main__":
    main()
