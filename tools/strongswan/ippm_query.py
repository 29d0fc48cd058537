#!/usr/bin/python3
"""Query the strongSwan "ippm" charon plugin for the RFC 7717 /
draft-ietf-ippm-ipsec O/TWAMP shared secret PRF(SK_d, "IPPM") of an IKEv2 SA.

  ippm_query.py [-s SOCKET] spi SPIi SPIr      (SPIs as 16 hex digits, or 8 + 8:
                                               the first 4 octets of each, draft 4+4)
  ippm_query.py [-s SOCKET] peer ADDRESS

By default only a SHA-256 fingerprint of the secret is printed; --show-key
prints the secret itself (hex).  Exit status: 0 ok, 1 no such SA, 2 error.
"""
import argparse
import hashlib
import ipaddress
import socket
import struct
import sys

VERSION = 1
STATUS = {0: "ok", 1: "no such SA", 2: "error"}
PRF_NAMES = {1: "PRF_HMAC_MD5", 2: "PRF_HMAC_SHA1", 3: "PRF_HMAC_TIGER",
             4: "PRF_AES128_XCBC", 5: "PRF_HMAC_SHA2_256",
             6: "PRF_HMAC_SHA2_384", 7: "PRF_HMAC_SHA2_512",
             8: "PRF_AES128_CMAC"}


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed by charon")
        buf += chunk
    return buf


def query(path, request, by_peer):
    """Send one request; return (status, prf, key, spi_i, spi_r)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(path)
        sock.sendall(request)
        # fixed 5-byte header; on status != 0 prf and key_len are 0
        version, status, prf, key_len = struct.unpack("!BBHB",
                                                      recv_exact(sock, 5))
        if version != VERSION:
            raise ValueError("unexpected protocol version %d" % version)
        if status != 0:
            return status, 0, b"", None, None
        key = recv_exact(sock, key_len)
        spi_i = spi_r = None
        if by_peer:
            spis = recv_exact(sock, 16)
            spi_i, spi_r = spis[:8], spis[8:]
        return status, prf, key, spi_i, spi_r


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-s", "--socket", default="/run/strongswan/ippm.sock")
    ap.add_argument("--show-key", action="store_true",
                    help="print the derived secret itself (hex)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("spi")
    p.add_argument("spi_i")
    p.add_argument("spi_r")
    p = sub.add_parser("peer")
    p.add_argument("address")
    args = ap.parse_args()

    if args.cmd == "spi":
        spi_i = bytes.fromhex(args.spi_i.replace(":", "").removeprefix("0x"))
        spi_r = bytes.fromhex(args.spi_r.replace(":", "").removeprefix("0x"))
        if len(spi_i) != len(spi_r) or len(spi_i) not in (4, 8):
            ap.error("SPIs must be 8 bytes (16 hex digits) or both 4 bytes")
        req = bytes([VERSION, 1, len(spi_i)]) + spi_i + spi_r
    else:
        addr = ipaddress.ip_address(args.address)
        req = bytes([VERSION, 2, addr.version]) + addr.packed
    try:
        status, prf, key, si, sr = query(args.socket, req, args.cmd == "peer")
    except (OSError, EOFError, ValueError) as e:
        print("error: %s" % e, file=sys.stderr)
        return 2
    if status != 0:
        print("status: %s" % STATUS.get(status, status))
        return 1 if status == 1 else 2
    print("status: ok")
    print("prf: %d (%s)" % (prf, PRF_NAMES.get(prf, "?")))
    print("key_len: %d" % len(key))
    print("key_sha256: %s" % hashlib.sha256(key).hexdigest())
    if args.show_key:
        print("key: %s" % key.hex())
    if si is not None:
        print("spi_i: %s" % si.hex())
        print("spi_r: %s" % sr.hex())
    return 0


if __name__ == "__main__":
    sys.exit(main())
