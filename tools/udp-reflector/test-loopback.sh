#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# udp-reflector against twamp-client on loopback (suite unit: no root, no namespaces, < 1 s):
# every reflected field checked (--check) one packet at a time, with --batch, in PTPv2 format,
# and over IPv6; the reflector's own counters must say it answered every request.
# usage: test-loopback.sh BUILD_DIR
set -u
build=$1
refl=$build/tools/udp-reflector/udp-reflector
cli=$build/app/twamp-client
tmp=$(mktemp -d)
fails=0
trap 'kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

# A free port: the reflector exits at once if the bind fails, so try a few.
start() {
	local addr=$1
	for _ in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 40000))
		"$refl" -b "$addr" -p "$port" --batch 16 >"$tmp/refl.out" 2>"$tmp/refl.err" &
		pid=$!
		sleep 0.1
		kill -0 "$pid" 2>/dev/null && return 0
	done
	echo "FAIL - udp-reflector does not start on $addr: $(cat "$tmp/refl.err")"
	exit 1
}

# run NAME ARGS...: twamp-client --check must exit 0 with every packet back.
run() {
	local name=$1
	shift
	if "$cli" --check --json -w 1s "$@" >"$tmp/out.json" 2>"$tmp/err"; then
		if python3 -c 'import json,sys; d=json.load(open(sys.argv[1]));
sys.exit(0 if d["sent"] > 0 and d["received"] == d["sent"] else 1)' "$tmp/out.json"; then
			echo "ok   - $name"
			return
		fi
	fi
	echo "FAIL - $name (exit $?): $(head -c 300 "$tmp/err")"
	fails=$((fails + 1))
}

start 127.0.0.1
run "one sendto() per packet" -c 200 -i 100us "127.0.0.1:$port"
run "--batch 32 at 50k pps" -c 5000 -r 50k --batch 32 "127.0.0.1:$port"
run "--ptp (PTPv2 answers, Z set)" -c 200 -r 20k --batch 8 --ptp "127.0.0.1:$port"
kill -TERM "$pid"
wait "$pid"
# 5400 requests, 5400 answers, none dropped as short or truncated.
if grep -q "^rx 5400 tx 5400 short 0 truncated 0 no_kernel_ts 0 tx_errors 0 " "$tmp/refl.out"; then
	echo "ok   - reflector counters: $(cat "$tmp/refl.out")"
else
	echo "FAIL - reflector counters: $(cat "$tmp/refl.out")"
	fails=$((fails + 1))
fi

if ip -6 addr show lo 2>/dev/null | grep -q "::1"; then
	start ::1
	run "IPv6, --batch 16" -c 2000 -r 50k --batch 16 "[::1]:$port"
	kill -TERM "$pid"
	wait "$pid"
fi
echo "udp-reflector loopback: $fails failure(s)"
[ "$fails" = 0 ]
