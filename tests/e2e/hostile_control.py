#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A hostile client for e2e_stress.sh: abuses the lab reflector's TWAMP-Control port and test
ports from the client namespace, for a given time, and prints what it did as one JSON object so
that the test can hold the reflector's counters against it. Plain sockets, no scapy.

usage: hostile_control.py [options]   (--help)

All of this at once, in rounds of (handshake timeout + 2 s):
  flood     every round, the flood addresses open FLOOD_PER_SOURCE connections each (a few
            addresses first, alone: more than max_connections_per_source from each; then the
            others: more than max_connections in all), read the greeting if any, and then say
            nothing: the server must refuse the surplus (closed before any greeting) and drop
            the rest after control.handshake_timeout (the time it took is measured); then,
            once they are gone, RATE_BURST connections one after the other from RATE_SOURCE
            (beyond connection_rate_per_source's burst);
  abusers   ABUSERS workers, each connecting again and again from its own addresses and playing
            one of the sequences in BEHAVIOURS: random bytes after the greeting, commands before
            the Set-Up-Response, half a Set-Up-Response then close or silence, garbage Modes,
            unknown KeyIDs and wrong Tokens, Start-Sessions with no session, unknown command
            numbers, truncated and malformed Request-TW-Sessions, asking for the legitimate
            session's own port, sessions set up, started, fed a few packets and reset, a
            connection's worth of sessions to run the port pool dry, and a completed Set-Up
            followed by silence (how long the server holds it is reported);
  udp       random datagrams (random length, random octets, and well-formed 41-octet TWAMP-Light
            packets) from ever new source ports to the Light ports (862, 20000-20099) and the
            control test ports (20100-20199), IPv4 and IPv6, with a share aimed at
            --session-port (the legitimate session's reflector port) from other source ports of
            the legitimate client's own address;
  raw       random IPv4 and IPv6 datagrams of random protocols (UDP and TCP headers of random
            octets, IPv6 extension headers, ICMPv6, unassigned numbers) to the reflector.
Source addresses are those given (the test adds them to the client namespace): 198.18.0.0/15 and
2001:db8::/32 only.
"""
import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import struct
import sys
import threading
import time

R4, R6 = "198.18.0.1", "2001:db8::1"
LIGHT_PORTS = [862] + list(range(20000, 20100))
TEST_PORTS = list(range(20100, 20200))
NTP_UNIX = 2208988800

BEHAVIOURS = ("random_bytes", "request_before_setup", "half_setup_close", "half_setup_silent",
              "bad_mode", "unknown_keyid", "wrong_token", "start_empty", "bad_command",
              "stop_empty", "truncated_request_close", "truncated_request_silent",
              "bad_request", "steal_port", "start_and_reset", "port_pool", "setup_silent")


def ntp_now():
    t = time.time()
    return ((int(t) + NTP_UNIX) << 32) | int((t % 1) * (1 << 32))


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def addr16(addr):
    b = socket.inet_pton(family(addr), addr)
    return b.ljust(16, b"\0")


def setup_response(mode, keyid=b"", token=None, iv=None, rnd=None):
    """RFC 4656 §3.1 Set-Up-Response: Mode, KeyID (80), Token (64), Client-IV (16)."""
    token = token if token is not None else bytes(64)
    iv = iv if iv is not None else bytes(16)
    return struct.pack(">I", mode & 0xffffffff) + keyid.ljust(80, b"\0")[:80] + token + iv


def request_session(src, sport, dst, rport, padding=27, timeout_s=2, ipvn=None, conf=(0, 0),
                    slots=0, packets=0, typep=0, mbz=0):
    """RFC 5357 §3.5 Request-TW-Session (112 octets, HMAC zero: unauthenticated mode)."""
    v = ipvn if ipvn is not None else (6 if ":" in src else 4)
    return (struct.pack(">BBBBII", 5, v, conf[0], conf[1], slots, packets) +
            struct.pack(">HH", sport, rport) + addr16(src) + addr16(dst) + bytes(16) +
            struct.pack(">IQQI", padding, ntp_now(), timeout_s << 32, typep) +
            struct.pack(">Q", mbz) + bytes(16))


START_SESSIONS = struct.pack(">B15x", 2) + bytes(16)
STOP_SESSIONS = struct.pack(">BBHI8x", 3, 0, 0, 0) + bytes(16)


class Tally:
    """Counters by name, in nested dicts."""

    def __init__(self):
        self.d = {}
        self.lock = threading.Lock()

    def add(self, *path, n=1):
        with self.lock:
            d = self.d
            for p in path[:-1]:
                d = d.setdefault(p, {})
            d[path[-1]] = d.get(path[-1], 0) + n


class Hostile:
    def __init__(self, a):
        self.a = a
        self.t = Tally()
        self.rnd = random.Random(a.seed)
        self.deadline = time.monotonic() + a.duration
        self.silent_close_s = []
        self.errors = []
        self.open_writers = set()

    # --- TCP ------------------------------------------------------------------------------

    async def connect(self, src, kind):
        """Connect from src; return (reader, writer, greeting) or None. Counts the outcome:
        attempts, connected, connect_failed, greeted, refused (closed before a greeting)."""
        dst = R6 if ":" in src else R4
        fam = "v6" if ":" in src else "v4"
        self.t.add("tcp", "attempts")
        self.t.add("tcp", "attempts_" + fam)
        self.t.add("tcp", "by_kind", kind, "attempts")
        try:
            r, w = await asyncio.wait_for(
                asyncio.open_connection(dst, self.a.port, local_addr=(src, 0)), 3)
        except (asyncio.TimeoutError, OSError):
            self.t.add("tcp", "connect_failed")
            return None
        self.t.add("tcp", "connected")
        try:
            g = await asyncio.wait_for(r.readexactly(64), 3)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            self.t.add("tcp", "refused")
            self.t.add("tcp", "by_kind", kind, "refused")
            w.close()
            return None
        except asyncio.TimeoutError:
            self.t.add("tcp", "no_greeting_in_3s")
            w.close()
            return None
        self.t.add("tcp", "greeted")
        self.t.add("tcp", "by_kind", kind, "greeted")
        return r, w, g

    async def wait_close(self, r, limit):
        """Read until the server closes; seconds it took, or None if still open after limit."""
        t0 = time.monotonic()
        try:
            while True:
                b = await asyncio.wait_for(r.read(4096), max(0.01, limit - (time.monotonic() - t0)))
                if not b:
                    break
        except asyncio.TimeoutError:
            return None
        except (ConnectionError, OSError):
            pass
        return time.monotonic() - t0

    async def closed_by_server(self, kind, r, w, limit):
        dt = await self.wait_close(r, limit)
        if dt is None:
            self.t.add("tcp", "by_kind", kind, "still_open")
            self.t.add("tcp", "still_open")
        else:
            self.t.add("tcp", "by_kind", kind, "server_closed")
            self.t.add("tcp", "server_closed")
        self.abort(w)
        return dt

    def abort(self, w):
        """Close with a RST (SO_LINGER 0), as a crashing client would."""
        s = w.get_extra_info("socket")
        try:
            if s is not None:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        w.close()

    async def silent(self, src, kind):
        c = await self.connect(src, kind)
        if c is None:
            return
        r, w, _ = c
        dt = await self.closed_by_server(kind, r, w, self.a.handshake_timeout + 5)
        if dt is not None:
            self.silent_close_s.append(dt)

    async def flood(self):
        """Rounds: first FLOOD_PER_SOURCE connections at once from each of the first
        --per-source-sources addresses (beyond max_connections_per_source from each), then,
        0.3 s later, as many from each of the others (beyond max_connections in all); all
        silent. Once the server has dropped them, a burst from --rate-source."""
        srcs = self.a.flood_sources
        nps = self.a.per_source_sources
        rounds = 0
        while time.monotonic() < self.deadline:
            t0 = time.monotonic()
            rounds += 1
            a = [self.silent(s, "flood_per_source") for s in srcs[:nps]
                 for _ in range(self.a.flood_per_source)]
            first = asyncio.gather(*a)
            await asyncio.sleep(0.3)
            b = [self.silent(s, "flood_total") for s in srcs[nps:]
                 for _ in range(self.a.flood_per_source)]
            self.rnd.shuffle(b)
            await asyncio.gather(first, *b)
            if self.a.rate_source and time.monotonic() < self.deadline:
                await self.rate_burst(self.a.rate_source)
            # the next round after a gap for the abusers
            rest = self.a.handshake_timeout + 2 - (time.monotonic() - t0)
            if rest > 0 and time.monotonic() + rest < self.deadline:
                await asyncio.sleep(rest)
        self.t.add("tcp", "flood_rounds", n=rounds)

    async def rate_burst(self, src):
        """--rate-burst connections from one address, one after the other, each closed as soon
        as the greeting (or the refusal) is in: never more than one at a time, so only
        connection_rate_per_source can refuse them."""
        for _ in range(self.a.rate_burst):
            c = await self.connect(src, "rate_burst")
            if c is not None:
                c[1].close()
                await c[1].wait_closed()

    async def setup_unauth(self, r, w, kind):
        """Valid unauthenticated Set-Up-Response; Server-Start's Accept or None."""
        w.write(setup_response(1))
        await w.drain()
        ss = await asyncio.wait_for(r.readexactly(48), 5)
        self.t.add("tcp", "server_start_accept", str(ss[15]))
        return ss[15]

    async def behave(self, kind, src):
        """One abusive conversation of the given kind from src."""
        rnd = self.rnd
        T = self.a.handshake_timeout
        c = await self.connect(src, kind)
        if c is None:
            return
        r, w, g = c
        try:
            if kind == "random_bytes":
                w.write(os.urandom(rnd.choice([1, 7, 63, 163, 164, 165, 500, 2000, 9000])))
                await w.drain()
                await self.closed_by_server(kind, r, w, T + 5)
            elif kind == "request_before_setup":
                me = w.get_extra_info("sockname")[0]
                w.write(request_session(me, 40000, R6 if ":" in me else R4, 0) *
                        rnd.choice([1, 2, 3]))
                await w.drain()
                await self.closed_by_server(kind, r, w, T + 5)
            elif kind == "half_setup_close":
                w.write(setup_response(1)[:rnd.randrange(1, 164)])
                await w.drain()
                self.abort(w) if rnd.random() < 0.5 else w.close()
            elif kind == "half_setup_silent":
                w.write(setup_response(1)[:rnd.randrange(1, 164)])
                await w.drain()
                await self.closed_by_server(kind, r, w, T + 5)
            elif kind == "bad_mode":
                mode = rnd.choice([0, 3, 5, 6, 15, 16, 32, 64, 128, 512, 1 << 20, 0x80000001,
                                   0xffffffff, rnd.getrandbits(32)])
                w.write(setup_response(mode))
                await w.drain()
                await self.read_accept(kind, r)
                await self.closed_by_server(kind, r, w, T + 5)
            elif kind == "unknown_keyid":
                w.write(setup_response(rnd.choice([2, 4, 8]),
                                       ("nokey%d" % rnd.getrandbits(16)).encode(),
                                       os.urandom(64), os.urandom(16)))
                await w.drain()
                await self.read_accept(kind, r)
                await self.closed_by_server(kind, r, w, T + 5)
            elif kind == "wrong_token":
                w.write(setup_response(rnd.choice([2, 4, 8]), b"lab", os.urandom(64),
                                       os.urandom(16)))
                await w.drain()
                await self.read_accept(kind, r)
                await self.closed_by_server(kind, r, w, T + 5)
            elif kind in ("start_empty", "stop_empty", "bad_command"):
                if await self.setup_unauth(r, w, kind) != 0:
                    raise RuntimeError("unauthenticated Set-Up refused")
                if kind == "start_empty":
                    w.write(START_SESSIONS)
                elif kind == "stop_empty":
                    w.write(STOP_SESSIONS)
                else:
                    cmd = rnd.choice([0, 1, 4, 6, 8, 10, 11, 12, 42, 127, 255])
                    self.t.add("tcp", "bad_command_numbers", str(cmd))
                    w.write(bytes([cmd]) + os.urandom(rnd.choice([15, 31, 47, 111])))
                await w.drain()
                try:
                    ans = await asyncio.wait_for(r.readexactly(32), 2)
                    self.t.add("tcp", "by_kind", kind, "answer_accept", str(ans[0]))
                except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError):
                    self.t.add("tcp", "by_kind", kind, "no_answer")
                # Then twice the same, then go away (or let the server decide).
                if rnd.random() < 0.5:
                    w.write(START_SESSIONS + STOP_SESSIONS)
                    await w.drain()
                    self.abort(w)
                else:
                    w.close()
            elif kind in ("truncated_request_close", "truncated_request_silent"):
                if await self.setup_unauth(r, w, kind) != 0:
                    raise RuntimeError("unauthenticated Set-Up refused")
                me = w.get_extra_info("sockname")[0]
                w.write(request_session(me, 40000, R6 if ":" in me else R4, 0)
                        [:rnd.randrange(1, 112)])
                await w.drain()
                if kind.endswith("close"):
                    self.abort(w)
                else:
                    await self.closed_by_server(kind, r, w, T + 5)
            elif kind == "bad_request":
                if await self.setup_unauth(r, w, kind) != 0:
                    raise RuntimeError("unauthenticated Set-Up refused")
                me = w.get_extra_info("sockname")[0]
                dst = R6 if ":" in me else R4
                for _ in range(rnd.randrange(1, 6)):
                    how = rnd.choice(["ipvn", "conf", "schedule", "padding", "third_party",
                                      "typep", "mbz", "receiver", "timeout0"])
                    self.t.add("tcp", "by_kind", kind, "sent_" + how)
                    if how == "ipvn":
                        m = request_session(me, 40000, dst, 0, ipvn=rnd.choice([0, 5, 15, 0xf4]))
                    elif how == "conf":
                        m = request_session(me, 40000, dst, 0, conf=(1, rnd.choice([0, 1, 7])))
                    elif how == "schedule":
                        m = request_session(me, 40000, dst, 0, slots=3, packets=10)
                    elif how == "padding":
                        m = request_session(me, 40000, dst, 0,
                                            padding=rnd.choice([65536, 0x7fffffff, 0xffffffff]))
                    elif how == "third_party":
                        other = "2001:db8::77" if ":" in me else "198.18.0.77"
                        m = request_session(other, 40000, dst, 0)
                    elif how == "typep":
                        m = request_session(me, 40000, dst, 0, typep=0xffffffff)
                    elif how == "mbz":
                        m = request_session(me, 40000, dst, 0, mbz=rnd.getrandbits(64) | 1)
                    elif how == "receiver":
                        m = request_session(me, 40000, "198.18.0.99" if ":" not in me
                                            else "2001:db8::99", 0)
                    else:
                        m = request_session(me, 40000, dst, 0, timeout_s=0)
                    w.write(m)
                    await w.drain()
                    try:
                        ans = await asyncio.wait_for(r.readexactly(48), 2)
                    except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError):
                        self.t.add("tcp", "by_kind", kind, "closed_" + how)
                        break
                    self.t.add("tcp", "by_kind", kind, "accept_" + how, str(ans[0]))
                w.close()
            elif kind in ("steal_port", "start_and_reset"):
                await self.session_then_reset(kind, r, w)
            elif kind == "setup_silent":
                # Set-Up done, then nothing: the handshake is over, so this is SERVWAIT's
                # (RFC 5357 §3.1, control.refwait), not handshake_timeout's, to end. Reported
                # apart: held_open when the server still holds it after handshake_timeout + 3 s.
                if await self.setup_unauth(r, w, kind) != 0:
                    raise RuntimeError("unauthenticated Set-Up refused")
                dt = await self.wait_close(r, T + 3)
                self.t.add("tcp", "by_kind", kind, "held_open" if dt is None else "server_closed")
                self.abort(w)
            elif kind == "port_pool":
                if await self.setup_unauth(r, w, kind) != 0:
                    raise RuntimeError("unauthenticated Set-Up refused")
                me = w.get_extra_info("sockname")[0]
                dst = R6 if ":" in me else R4
                for i in range(self.a.pool_requests):
                    w.write(request_session(me, 40000 + i, dst, 0))
                    await w.drain()
                    try:
                        ans = await asyncio.wait_for(r.readexactly(48), 2)
                    except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError):
                        self.t.add("tcp", "by_kind", kind, "closed_during")
                        break
                    self.t.add("tcp", "by_kind", kind, "accept", str(ans[0]))
                    if ans[0] == 0 and struct.unpack(">H", ans[2:4])[0] == self.a.session_port:
                        # another 5-tuple on the same reflector port: shared, not taken
                        self.t.add("tcp", "legit_port_shared")
                # hold the reservations a moment, then go
                await asyncio.sleep(rnd.uniform(0.1, 1.0))
                self.abort(w)
            else:
                raise ValueError(kind)
        except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError) as e:
            self.t.add("tcp", "by_kind", kind, "cut_short_" + type(e).__name__)
            self.abort(w)
        except RuntimeError as e:
            self.t.add("tcp", "by_kind", kind, "refused_setup")
            self.note(f"{kind}: {e}")
            self.abort(w)

    async def read_accept(self, kind, r):
        try:
            ss = await asyncio.wait_for(r.readexactly(48), 5)
            self.t.add("tcp", "by_kind", kind, "server_start_accept", str(ss[15]))
        except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError):
            self.t.add("tcp", "by_kind", kind, "no_server_start")

    async def session_then_reset(self, kind, r, w):
        """Set up an unauthenticated session (asking for the legitimate session's port with
        steal_port), start it, send a few test packets on it, then reset the connection."""
        if await self.setup_unauth(r, w, kind) != 0:
            raise RuntimeError("unauthenticated Set-Up refused")
        me = w.get_extra_info("sockname")[0]
        dst = R6 if ":" in me else R4
        u = socket.socket(family(me), socket.SOCK_DGRAM)
        try:
            u.bind((me, 0))
            u.setblocking(False)
            sport = u.getsockname()[1]
            want = self.a.session_port if kind == "steal_port" else 0
            steal = kind == "steal_port" and self.a.session_sender is not None
            if steal:
                # Test sessions share reflector ports when their 5-tuples differ, so what must
                # never be given away is the legitimate session's 5-tuple: ask for its port
                # with its Sender Address and Port (RFC 5357 §3.5 lets them differ from the
                # control connection's).
                saddr, sp = self.a.session_sender
                w.write(request_session(saddr, sp, dst, want))
            else:
                w.write(request_session(me, sport, dst, want))
            await w.drain()
            ans = await asyncio.wait_for(r.readexactly(48), 3)
            self.t.add("tcp", "by_kind", kind, "accept", str(ans[0]))
            if ans[0] != 0:
                self.abort(w)
                return
            port = struct.unpack(">H", ans[2:4])[0]
            if steal:
                if port == want:
                    self.t.add("tcp", "legit_port_given_away")
                    self.note(f"steal_port: the reflector gave away the legitimate 5-tuple, "
                              f"port {port}")
                # Accepted on another port: nothing of ours to send from that sender port.
                self.abort(w)
                return
            if want and port == want:
                self.t.add("tcp", "legit_port_shared")
            w.write(START_SESSIONS)
            await w.drain()
            ack = await asyncio.wait_for(r.readexactly(32), 3)
            self.t.add("tcp", "by_kind", kind, "start_ack", str(ack[0]))
            if ack[0] == 0:
                for i in range(10):
                    u.sendto(struct.pack(">IQH", i, ntp_now(), 0) + bytes(27), (dst, port))
                await asyncio.sleep(0.05)
                got = 0
                for _ in range(20):
                    try:
                        u.recv(2048)
                        got += 1
                    except (BlockingIOError, OSError):
                        break
                self.t.add("tcp", "hostile_session_packets_sent", n=10)
                self.t.add("tcp", "hostile_session_packets_reflected", n=got)
            self.abort(w)
        finally:
            u.close()

    async def abuser(self, i):
        srcs = self.a.abuse_sources
        k = i
        while time.monotonic() < self.deadline:
            kind = BEHAVIOURS[k % len(BEHAVIOURS)]
            k += 1
            src = srcs[(i + k) % len(srcs)]
            try:
                await self.behave(kind, src)
            except Exception as e:  # keep abusing; report what went wrong
                self.note(f"{kind} from {src}: {type(e).__name__}: {e}")
            await asyncio.sleep(self.rnd.uniform(0, self.a.abuse_pause))

    async def tcp_main(self):
        jobs = [self.abuser(i) for i in range(self.a.abusers)]
        if self.a.flood_sources:
            jobs.append(self.flood())
        await asyncio.gather(*jobs)

    def note(self, msg):
        if len(self.errors) < 30:
            self.errors.append(msg)
        self.t.add("notes")

    # --- UDP and raw ----------------------------------------------------------------------

    def udp_main(self):
        """Random datagrams from ever new source ports, paced to --udp-pps."""
        a, rnd = self.a, random.Random(self.a.seed + 1)
        srcs = a.udp_sources
        budget_t = time.monotonic()
        while time.monotonic() < self.deadline:
            src = rnd.choice(srcs)
            v6 = ":" in src
            dst = R6 if v6 else R4
            try:
                s = socket.socket(family(src), socket.SOCK_DGRAM)
                s.bind((src, 0))
                s.setblocking(False)
            except OSError as e:
                self.note(f"udp socket from {src}: {e}")
                time.sleep(0.1)
                continue
            fam = "v6" if v6 else "v4"
            for _ in range(a.udp_per_socket):
                x = rnd.random()
                if a.session_port and x < 0.15 and not v6:
                    port, cls = a.session_port, "session_port_other_sport"
                elif x < 0.55:
                    port, cls = rnd.choice(LIGHT_PORTS), "light_ports"
                else:
                    port, cls = rnd.choice(TEST_PORTS), "test_ports"
                y = rnd.random()
                if y < 0.2:   # a well-formed unauthenticated TWAMP-Test packet
                    pl = struct.pack(">IQH", rnd.getrandbits(32), ntp_now(), 0) + bytes(27)
                elif y < 0.3:  # shorter than a Session-Sender packet
                    pl = os.urandom(rnd.randrange(0, 14))
                else:
                    pl = os.urandom(rnd.choice([rnd.randrange(14, 200), 112, 128,
                                                rnd.randrange(200, 1473 if not v6 else 1453)]))
                try:
                    s.sendto(pl, (dst, port))
                    self.t.add("udp", "sent")
                    self.t.add("udp", cls + "_" + fam)
                except OSError:
                    self.t.add("udp", "send_errors")
                budget_t += 1.0 / a.udp_pps
                d = budget_t - time.monotonic()
                if d > 0:
                    time.sleep(d)
            # Drain answers (Light ports reflect well-formed ones) before the port goes away.
            while True:
                try:
                    s.recv(4096)
                    self.t.add("udp", "answers_" + fam)
                except (BlockingIOError, OSError):
                    break
            s.close()
            self.t.add("udp", "source_ports")

    def raw_main(self):
        """Random datagrams of random protocols, kernel-built IP headers, paced to --raw-pps."""
        a, rnd = self.a, random.Random(self.a.seed + 2)
        protos4 = [6, 17, 17, 1, 47, 50, 132, 253, 254, 143]
        protos6 = [0, 6, 17, 17, 43, 44, 59, 60, 58, 135, 253, 143]
        socks = {}
        for src in a.udp_sources:
            for p in (protos6 if ":" in src else protos4):
                try:
                    s = socket.socket(family(src), socket.SOCK_RAW, p)
                    s.bind((src, 0))
                    socks.setdefault(src, []).append((p, s))
                except OSError as e:
                    self.note(f"raw socket proto {p} from {src}: {e}")
        if not socks:
            return
        srcs = list(socks)
        while time.monotonic() < self.deadline:
            src = rnd.choice(srcs)
            p, s = rnd.choice(socks[src])
            v6 = ":" in src
            n = rnd.randrange(0, 600)
            pl = bytearray(os.urandom(n))
            if p in (6, 17) and n >= 4 and rnd.random() < 0.7:
                # aim the random header at our ports now and then
                pl[2:4] = struct.pack(">H", rnd.choice([862] + LIGHT_PORTS[1:] + TEST_PORTS))
            try:
                s.sendto(bytes(pl), (R6 if v6 else R4, 0))
                self.t.add("raw", "sent")
                self.t.add("raw", ("v6_" if v6 else "v4_") + "proto_%d" % p)
            except OSError:
                self.t.add("raw", "send_errors")
            time.sleep(1.0 / a.raw_pps)
        for lst in socks.values():
            for _, s in lst:
                s.close()

    def run(self):
        th = [threading.Thread(target=self.udp_main, daemon=True)] if self.a.udp_pps > 0 else []
        if self.a.raw_pps > 0:
            th.append(threading.Thread(target=self.raw_main, daemon=True))
        for x in th:
            x.start()
        t0 = time.monotonic()
        asyncio.run(self.tcp_main())
        for x in th:
            x.join()
        out = self.t.d
        out["elapsed_s"] = round(time.monotonic() - t0, 2)
        sc = sorted(self.silent_close_s)
        if sc:
            out.setdefault("tcp", {})["silent_closed_after_s"] = {
                "n": len(sc), "min": round(sc[0], 3), "median": round(statistics.median(sc), 3),
                "max": round(sc[-1], 3)}
        out["notes_text"] = self.errors
        return out


def addrs(s):
    return [x for x in s.split(",") if x]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=10, help="seconds of abuse (default 10)")
    ap.add_argument("--port", type=int, default=862, help="TWAMP-Control port")
    ap.add_argument("--handshake-timeout", type=float, default=10,
                    help="the reflector's control.handshake_timeout, seconds")
    ap.add_argument("--flood-sources", type=addrs, default=[],
                    help="comma-separated addresses for the silent flood")
    ap.add_argument("--flood-per-source", type=int, default=12)
    ap.add_argument("--per-source-sources", type=int, default=4,
                    help="how many of the flood sources go first, alone (per-source limit)")
    ap.add_argument("--rate-source", default="",
                    help="an address for a burst of connections after each flood round")
    ap.add_argument("--rate-burst", type=int, default=80,
                    help="connections in that burst (beyond connection_rate_per_source)")
    ap.add_argument("--abuse-sources", type=addrs, default=["198.18.0.2"],
                    help="comma-separated addresses for the abusive conversations")
    ap.add_argument("--abusers", type=int, default=12, help="concurrent abusive workers")
    ap.add_argument("--abuse-pause", type=float, default=0.05,
                    help="at most this many seconds between one worker's conversations")
    ap.add_argument("--pool-requests", type=int, default=40,
                    help="Request-TW-Sessions of one port_pool connection")
    ap.add_argument("--udp-sources", type=addrs, default=["198.18.0.2", "2001:db8::2"])
    ap.add_argument("--udp-pps", type=float, default=2000)
    ap.add_argument("--udp-per-socket", type=int, default=16,
                    help="datagrams sent from one source port before taking a new one")
    ap.add_argument("--raw-pps", type=float, default=300)
    ap.add_argument("--session-port", type=int, default=0,
                    help="the legitimate session's reflector port, aimed at from other ports")
    ap.add_argument("--session-sender", type=lambda v: (v.rpartition(":")[0], int(v.rpartition(":")[2])),
                    default=None, help="ADDR:PORT, the legitimate session's Sender Address and "
                    "Port: steal_port asks for its reflector port with them")
    ap.add_argument("--seed", type=int, default=5357)
    a = ap.parse_args()
    print(json.dumps(Hostile(a).run(), sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
