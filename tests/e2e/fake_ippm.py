#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A stand-in for the IKE daemon's "ippm" socket (tools/strongswan/README.rst, protocol v1),
for the reflector's fault tests only: a daemon that hangs or talks garbage is hard to get from
charon on purpose. The real daemon is tested in e2e_ike.sh.

usage: fake_ippm.py SOCKET MODE [SPIi:SPIr]
  MODE ok       answer: the one SA (default 0102030405060708:1112131415161718, PRF
                HMAC_SHA2_256, key SHA-256("fake-ippm")) by SPIs or by any peer address;
                other SPIs get "no such SA"
       hang     read requests, never answer
       garbage  answer every request with a version-9 header
Writes "ready" on stdout once listening.
"""
import hashlib
import os
import socket
import sys
import threading

path, mode = sys.argv[1], sys.argv[2]
spis = sys.argv[3] if len(sys.argv) > 3 else "0102030405060708:1112131415161718"
SPI_I, SPI_R = (bytes.fromhex(x) for x in spis.split(":"))
KEY = hashlib.sha256(b"fake-ippm").digest()
PRF_HMAC_SHA2_256 = 5


def read_exact(c, n):
    b = b""
    while len(b) < n:
        chunk = c.recv(n - len(b))
        if not chunk:
            raise EOFError
        b += chunk
    return b


def serve(c):
    try:
        while True:
            hdr = read_exact(c, 3)
            if hdr[0] != 1 or hdr[1] not in (1, 2):
                c.sendall(bytes([1, 2, 0, 0, 0]))
                return
            if hdr[1] == 1:
                body = read_exact(c, 2 * hdr[2])
            else:
                body = read_exact(c, 4 if hdr[2] == 4 else 16)
            if mode == "hang":
                continue
            if mode == "garbage":
                c.sendall(bytes([9, 0, 0, 5, 32]) + KEY)
                continue
            if hdr[1] == 1:
                n = hdr[2]
                if body[:n] == SPI_I[:n] and body[n:] == SPI_R[:n]:
                    c.sendall(bytes([1, 0, 0, PRF_HMAC_SHA2_256, 32]) + KEY)
                else:
                    c.sendall(bytes([1, 1, 0, 0, 0]))
            else:
                c.sendall(bytes([1, 0, 0, PRF_HMAC_SHA2_256, 32]) + KEY + SPI_I + SPI_R)
    except (EOFError, OSError):
        pass
    finally:
        c.close()


try:
    os.unlink(path)
except FileNotFoundError:
    pass
srv = socket.socket(socket.AF_UNIX)
srv.bind(path)
os.chmod(path, 0o600)
srv.listen(16)
print("ready", flush=True)
while True:
    conn, _ = srv.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
