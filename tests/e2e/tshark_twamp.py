#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check with tshark (Wireshark's own TWAMP dissectors, an independent decoder) one
unauthenticated TWAMP-Control run captured on the client's interface.

usage: tshark_twamp.py CAPTURE SERVER_ADDR < report.json

report.json is the client's --json report of that run (one session). Checks:
  - no malformed packet and no expert info of severity error or above, with the session's test
    port decoded as TWAMP-Test (-d udp.port==PORT,twamp.test);
  - exactly these TWAMP-Control messages, in this order: Server Greeting, Set-Up-Response,
    Server-Start, Request-TW-Session, Accept-Session, Start-Sessions, Start-Ack, Stop-Sessions;
    their fields as the client reported and as RFC 5357 wants (Modes offered 767: config/lab.yaml
    offers every mode, 128 and 512 (PTPv2) included; Mode 1, Accepts 0, ports, SID, Padding
    Length, Timeout, Number of Sessions 1);
  - as many TWAMP-Test packets each way as the client sent and received; the sender's sequence
    numbers 0..N-1 in order; each reflection carries the reflector's own sequence 0..N-1, the
    Sender Sequence Number it answers, Sender TTL 255 and zero MBZ;
  - the control connection's TCP is clean: no duplicate ACK, D-SACK, retransmission or reset.
"""
import json
import subprocess
import sys


def tshark(*args):
    p = subprocess.run(["tshark", "-n", "-r", cap, *args], capture_output=True, text=True)
    if p.returncode != 0:
        errors.append(f"tshark {' '.join(args)}: exit {p.returncode}: {p.stderr.strip()}")
    return p.stdout


def rows(flt, fields):
    out = tshark("-d", f"udp.port=={port},twamp.test", "-Y", f"({flt}) && {only}",
                 "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
                 *sum((["-e", f] for f in fields), []))
    return [dict(zip(fields, ln.split("\t"))) for ln in out.splitlines() if ln]


cap, server = sys.argv[1], sys.argv[2]
r = json.load(sys.stdin)
errors = []
sess = r["control"]["sessions"][0]
port, sid = sess["port"], sess["sid"]
cport = int(sess["sender"].rsplit(":", 1)[1])
v6 = ":" in server
ipf = "ipv6" if v6 else "ip"
client = "2001:db8::2" if v6 else "198.18.0.2"
only = f"{ipf}.addr=={server} && !(udp.dstport == 9)"   # not e2e_control.sh's sentinel
n_sent, n_recv = r["sent"], r["received"]

bad = tshark("-d", f"udp.port=={port},twamp.test",
             "-Y", f"(_ws.malformed || _ws.expert.severity >= error) && {only}")
if bad.strip():
    errors.append("malformed or error expert info:\n" + bad)

# The control connection itself: on a clean veth, nothing is lost, repeated or reset. A
# duplicate ACK or D-SACK from the server means its TCP received a segment twice; a RST from it
# after the orderly close, that the final ACK arrived twice.
tcp = tshark("-Y", f"tcp.port == 862 && {only} && (tcp.analysis.duplicate_ack || "
             "tcp.options.sack.dsack || tcp.analysis.retransmission || "
             "tcp.analysis.lost_segment || tcp.flags.reset == 1)")
if tcp.strip():
    errors.append("TWAMP-Control TCP connection not clean (segments seen twice, reset):\n" +
                  tcp.rstrip())

F = ["frame.number", f"{ipf}.src", "twamp.control.command", "twamp.control.accept",
     "twamp.control.modes", "twamp.control.mode", "twamp.control.receiver_port",
     "twamp.control.sender_port", "twamp.control.server_uptime", "twamp.control.session_id",
     "twamp.control.padding_length", "twamp.control.timeout", "twamp.control.numsessions",
     "twamp.control.ipvn",
     "twamp.control.receiver_ipv6" if v6 else "twamp.control.receiver_ipv4",
     "twamp.control.count"]
seen = []
for m in rows("twamp.control", F):
    from_server = m[f"{ipf}.src"] == server
    cmd = m["twamp.control.command"]
    if m["twamp.control.modes"]:
        kind = "greeting"
    elif m["twamp.control.mode"]:
        kind = "setup-response"
    elif m["twamp.control.server_uptime"]:
        kind = "server-start"
    elif cmd == "5":
        kind = "request-tw-session"
    elif cmd == "2":
        kind = "start-sessions"
    elif cmd == "3":
        kind = "stop-sessions"
    elif from_server and m["twamp.control.receiver_port"]:
        kind = "accept-session"
    elif from_server and m["twamp.control.accept"]:
        kind = "start-ack"
    else:
        kind = f"unexpected(frame {m['frame.number']}, command {cmd!r})"
    seen.append(kind)
    exp_src = server if kind in ("greeting", "server-start", "accept-session",
                                 "start-ack") else client
    if m[f"{ipf}.src"] != exp_src:
        errors.append(f"{kind} from {m[f'{ipf}.src']}, expected from {exp_src}")

    def want(field, value):
        if m[field] != value:
            errors.append(f"{kind} (frame {m['frame.number']}): {field} = {m[field]!r}, "
                          f"expected {value!r}")
    if kind == "greeting":
        want("twamp.control.modes", "767")
        want("twamp.control.count", str(r["control"]["count"]))
    elif kind == "setup-response":
        want("twamp.control.mode", "1")
    elif kind in ("server-start", "accept-session", "start-ack"):
        want("twamp.control.accept", "0")
    if kind == "request-tw-session":
        want("twamp.control.ipvn", "6" if v6 else "4")
        want("twamp.control.sender_port", str(cport))
        want("twamp.control.receiver_port", "0")
        want(F[14], server)
        want("twamp.control.padding_length", str(r["params"]["padding"]))
        want("twamp.control.timeout", "2.000000000")
    elif kind == "accept-session":
        want("twamp.control.receiver_port", str(port))
        want("twamp.control.session_id", sid)
    elif kind == "stop-sessions":
        want("twamp.control.accept", "0")
        want("twamp.control.numsessions", "1")
expected = ["greeting", "setup-response", "server-start", "request-tw-session", "accept-session",
            "start-sessions", "start-ack", "stop-sessions"]
if seen != expected:
    errors.append(f"TWAMP-Control messages {seen}, expected {expected}")

T = ["frame.number", f"{ipf}.src", "udp.srcport", "udp.dstport", "twamp.test.seq_number",
     "twamp.test.sender_seq_number", "twamp.test.sender_ttl", "twamp.test.mbz1",
     "twamp.test.mbz2"]
fwd, back = [], []
for t in rows("twamp.test", T):
    if t[f"{ipf}.src"] == client and t["udp.dstport"] == str(port) and \
            t["udp.srcport"] == str(cport):
        fwd.append(int(t["twamp.test.seq_number"]))
    elif t[f"{ipf}.src"] == server and t["udp.srcport"] == str(port) and \
            t["udp.dstport"] == str(cport):
        back.append(t)
        if t["twamp.test.sender_ttl"] != "255" or t["twamp.test.mbz1"] != "0" or \
                t["twamp.test.mbz2"] != "0":
            errors.append(f"reflection frame {t['frame.number']}: Sender TTL "
                          f"{t['twamp.test.sender_ttl']}, MBZ {t['twamp.test.mbz1']}/"
                          f"{t['twamp.test.mbz2']}")
    else:
        errors.append(f"TWAMP-Test frame {t['frame.number']} outside the session: {t}")
if fwd != list(range(n_sent)):
    errors.append(f"{len(fwd)} test packets from the client (expected {n_sent}), sequence "
                  f"{'in order 0..N-1' if fwd == sorted(fwd) else 'out of order'}")
if len(back) != n_recv:
    errors.append(f"{len(back)} reflections captured, the client received {n_recv}")
rseq = [int(t["twamp.test.seq_number"]) for t in back]
sseq = [int(t["twamp.test.sender_seq_number"]) for t in back]
if rseq != list(range(len(back))):
    errors.append("reflector sequence numbers are not 0..N-1 in order")
if sseq != list(range(len(back))):
    errors.append("reflections' Sender Sequence Numbers are not 0..N-1 in order")

for e in errors:
    print("     FAIL:", e)
print(f"     {server}: control {' '.join(seen)}; test {len(fwd)} sent, {len(back)} reflected "
      f"(port {port}, SID {sid})")
sys.exit(1 if errors else 0)
