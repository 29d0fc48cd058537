#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Assert a twamp-client --control --json report, for e2e_control.sh.

usage:
  control_json.py ok MODE COUNT SESSIONS [isc] < report.json
      the run went through in security mode MODE (unauthenticated, authenticated, encrypted,
      mixed): SESSIONS sessions of COUNT packets each, every one reflected once, nothing lost,
      duplicated or foreign, no bad HMAC, --check ok over every reflection, TTLs 255, every
      Accept 0, distinct reflector ports in the lab's 20100-20199, and the negotiated Mode
      carrying exactly MODE's bit (plus individual session control, 16, with "isc", started
      with Start-N-Sessions and stopped with Stop-N-Sessions)
  control_json.py refused MODE < report.json
      the server refused the authentication: Server-Start Accept non-zero, no session, and the
      error says so
"""
import json
import sys

MODE_BIT = {"unauthenticated": 1, "authenticated": 2, "encrypted": 4, "mixed": 8}


def check_ok(r, mode, count, nsess, isc):
    e = []
    c = r.get("control") or {}

    def want(what, got, exp):
        if got != exp:
            e.append(f"{what} = {got!r}, expected {exp!r}")

    want("mode", r.get("mode"), mode)
    want("control.mode", c.get("mode"), MODE_BIT[mode] | (16 if isc else 0))
    want("control.error", c.get("error"), None)
    want("control.server_stopped", c.get("server_stopped"), False)
    acc = c.get("accept") or {}
    want("Server-Start Accept", acc.get("server_start"), 0)
    want("Accept-Session Accepts", acc.get("sessions"), [0] * nsess)
    want("Start-Ack Accept", acc.get("start"), 0)
    want("start command", c.get("start"), "start-n-sessions" if isc else "start-sessions")
    want("stop command", c.get("stop"), "stop-n-sessions" if isc else "stop-sessions")
    if isc:
        want("Stop-N-Ack Accept", acc.get("stop_n"), 0)
    want("control.violations", c.get("violations"), {"mbz": 0, "reflected_octets": 0})
    ports = [s.get("port") for s in c.get("sessions") or []]
    if len(ports) != nsess or len(set(ports)) != nsess or \
            not all(isinstance(p, int) and 20100 <= p <= 20199 for p in ports):
        e.append(f"reflector ports {ports}: expected {nsess} distinct ports in 20100-20199")
    total = count * nsess
    for k, v in (("sent", total), ("received", total), ("lost", 0), ("duplicates", 0),
                 ("foreign", 0), ("bad_hmac", 0), ("send_errors", 0),
                 ("reflector_seq_gaps", 0), ("interrupted", False)):
        want(k, r.get(k), v)
    chk = r.get("check") or {}
    if not chk.get("ok") or chk.get("checked") != total:
        e.append(f"check: {chk}")
    want("reply_ttl", r.get("reply_ttl"), {"min": 255, "max": 255})
    want("sender_ttl", r.get("sender_ttl"), {"min": 255, "max": 255})
    sess = r.get("sessions") or []
    want("sessions reported", len(sess), nsess)
    for s in sess:
        for k, v in (("sent", count), ("received", count), ("lost", 0), ("bad_hmac", 0)):
            want(f"session {s.get('session')} {k}", s.get(k), v)
    return e, f"{mode} {r.get('server')}: {nsess} x {count} packets, received " \
              f"{r.get('received')}, ports {ports}, rtt median " \
              f"{(r.get('rtt_ns') or {}).get('median')} ns"


def check_refused(r, mode):
    e = []
    c = r.get("control") or {}
    err = c.get("error") or ""
    if r.get("mode") != mode:
        e.append(f"mode {r.get('mode')!r}, expected {mode!r}")
    if (c.get("accept") or {}).get("server_start") in (None, 0) and "closed" not in err:
        e.append(f"Server-Start Accept {(c.get('accept') or {}).get('server_start')}")
    if "authentication refused" not in err:
        e.append(f"error {err!r} does not say authentication refused")
    if c.get("sessions") or r.get("sessions"):
        e.append("sessions were set up")
    return e, f"{mode}: {err}"


def main():
    a = sys.argv[1:]
    r = json.load(sys.stdin)
    if len(a) in (4, 5) and a[0] == "ok" and a[1] in MODE_BIT:
        errors, line = check_ok(r, a[1], int(a[2]), int(a[3]), len(a) == 5 and a[4] == "isc")
    elif len(a) == 2 and a[0] == "refused" and a[1] in MODE_BIT:
        errors, line = check_refused(r, a[1])
    else:
        sys.exit(__doc__)
    for x in errors:
        print("     FAIL:", x)
    print("     " + line)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
