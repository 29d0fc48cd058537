#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Assert a twamp-client --json report: exactly COUNT sent and received, nothing lost, duplicated
or foreign, --check passed (every reflected field, T1<=T2<=T3<=T4, TTLs), reflector sequence with
no gap. usage: check_json.py COUNT < report.json"""
import json
import sys

want = int(sys.argv[1])
r = json.load(sys.stdin)
errors = []
for k, v in (("sent", want), ("received", want), ("lost", 0), ("duplicates", 0),
             ("foreign", 0), ("reflector_seq_gaps", 0)):
    if r.get(k) != v:
        errors.append(f"{k} = {r.get(k)}, expected {v}")
if not r.get("check", {}).get("ok"):
    errors.append(f"check failed: {r.get('check')}")
if r.get("check", {}).get("checked") != want:
    errors.append(f"check covered {r.get('check', {}).get('checked')} of {want}")
if r.get("reply_ttl") != {"min": 255, "max": 255}:
    errors.append(f"reply TTL {r.get('reply_ttl')}, RFC 5357 says 255")
if r.get("sender_ttl") != {"min": 255, "max": 255}:
    errors.append(f"Sender TTL seen by reflector {r.get('sender_ttl')}, sent with 255")
t = r.get("turnaround_ns") or {}
if not t or t.get("min", -1) < 0:
    errors.append(f"turnaround {t}")
for e in errors:
    print("FAIL:", e)
print(f"{r.get('reflector')}: {r.get('received')}/{want} received, rtt median "
      f"{(r.get('rtt_ns') or {}).get('median')} ns, turnaround median {t.get('median')} ns")
sys.exit(1 if errors else 0)
