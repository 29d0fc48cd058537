#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End to end, two workers (issue 7): three lcores on this 2-CPU machine (--lcores 0@0,1@1,2@0:
# control lcore and worker 1 share CPU 0; the control lcore sleeps when idle).
#  1. RSS: the lab on net_af_packet qpairs=2 (PACKET_FANOUT hashes each flow to one socket), and
#  2. software distribution: net_af_packet qpairs=1, worker 0 hashes the 5-tuple to the workers.
#     Each: 16 concurrent TWAMP Light senders (12 IPv4, 4 IPv6) and TWAMP-Control sessions in
#     unauthenticated, authenticated and encrypted mode (4 sessions each); every sender zero loss,
#     --check ok and the reflector's sequence without a gap or repeat: each sender's packets were
#     answered by one worker (two workers would each count from 0, RFC 5357 §4.2.1). Both
#     workers reflected Light and session packets (/twamp/workers), no drop counter moved, and
#     the mode is the one expected (distribution, who polls the port, hand-overs both ways).
#  3. net_pcap, no lab: the golden capture on two RX queues (two rx_pcap=, two tx_pcap=, RSS mode,
#     one queue per worker) gives each worker the whole capture: twice the golden counters, and
#     each queue's output byte for byte the golden answers; and on one queue in software
#     distribution: the golden counters and answers (compared in the capture's order).
# usage: e2e_multicore.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
TWR_BUILD=$(cd "$1" && pwd)
TWR_LAB_RUN=$(mktemp -d /tmp/twr-e2e-mc.XXXXXX)
export TWR_BUILD TWR_LAB_RUN
run=$TWR_LAB_RUN
client=$TWR_BUILD/app/twamp-client
refl=$TWR_BUILD/app/twamp-reflector
lab=$top/tools/lab
py=/usr/bin/python3
key=(-k lab --passphrase twamp-lab-secret)
lcores=(--lcores 0@0,1@1,2@0)
fails=0

[ "$(id -u)" = 0 ] || { echo "e2e: FAIL: needs root (namespaces, DPDK)"; exit 1; }
gpid=
cleanup() {
	bgkill_all
	[ -n "$gpid" ] && kill -KILL "$gpid" 2>/dev/null
	"$lab" down >/dev/null 2>&1 || true
	rm -rf "$run" /var/run/dpdk/twr-mc-$$
}
trap cleanup EXIT

. "$here/lib.sh"

# wsnap NAME: totals and both workers' counters; wv NAME WORKER KEY: one of them (WORKER "s":
# the totals); wgrew A B WORKER KEY: its growth.
wsnap() {
	"$top/tools/telemetry" -f "${2:-twr-lab}" /twamp/stats /twamp/workers,0 /twamp/workers,1 \
		>"$run/$1.tel"
}
wv() {
	$py -c 'import json, sys
d = json.load(open(sys.argv[1]))
k = "/twamp/stats" if sys.argv[2] == "s" else "/twamp/workers," + sys.argv[2]
print(d[k][sys.argv[3]])' "$run/$1.tel" "$2" "$3"
}
wgrew() { echo $(($(wv "$2" "$3" "$4") - $(wv "$1" "$3" "$4"))); }

# mkconf NAME QPAIRS DISTRIBUTION: the lab's configuration with the port changed. Worker 0 gets
# as many flows as worker 1 in software distribution (rx_worker_weight 100, not the default 50):
# with 12 sessions, each worker then misses out on all of them with a chance of 1 in 4,096.
mkconf() {
	sed -e "s/qpairs=1/qpairs=$2/" \
		-e "s/^  promiscuous: true/  promiscuous: true\n  distribution: $3\n  rx_worker_weight: 100/" \
		"$top/config/lab.yaml" >"$run/$1.yaml"
	install -m 600 "$top/config/lab-ike.keys" "$run/lab-ike.keys"
	grep -q "qpairs=$2" "$run/$1.yaml" && grep -q "distribution: $3" "$run/$1.yaml"
}

# phase NAME QPAIRS DISTRIBUTION EXPECTED: the lab with two workers, traffic, checks.
phase() {
	local name=$1 qp=$2 dist=$3 want=$4 i p d rc what
	mkconf "$name" "$qp" "$dist" || { fail "$name: cannot make its configuration"; return; }
	"$lab" up "$run/$name.yaml" -- "${lcores[@]}"
	wsnap a
	if [ "$(wv a s workers)" = 2 ] && [ "$(wv a s distribution)" = "$want" ]; then
		ok "$name: 2 workers, $want distribution ($(wv a s queue_pairs) queue pair(s))"
	else
		fail "$name: $(wv a s workers) workers, distribution $(wv a s distribution)"
	fi

	# Light: 16 senders at once, each its own 5-tuple (ephemeral source port, 16 dest ports).
	for i in $(seq 0 15); do
		d=198.18.0.1
		[ "$i" -ge 12 ] && d=2001:db8::1
		bg "l$i" "$run/l$i.json" "$client" --port $((20000 + i)) --count 500 --rate 500 \
			--check --json $d
	done
	for mode in unauthenticated authenticated encrypted; do
		bg "c$mode" "$run/c$mode.json" "$client" --control --mode $mode "${key[@]}" \
			--sessions 4 -c 500 -i 2ms --check --json 198.18.0.1
	done
	local f0=$fails
	for i in $(seq 0 15); do
		rc=0
		bgwait "l$i" || rc=$?
		if [ $rc = 0 ] && $py "$here/check_json.py" 500 <"$run/l$i.json" >"$run/l$i.chk" &&
			! grep -q FAIL "$run/l$i.chk"; then
			:
		else
			fail "$name: Light sender $i (port $((20000 + i))): exit $rc, $(cat "$run/l$i.chk")"
		fi
	done
	[ "$fails" = "$f0" ] &&
		ok "$name: 16 concurrent Light senders x 500 packets: no loss, check ok, sequence in order"
	for mode in unauthenticated authenticated encrypted; do
		rc=0
		bgwait "c$mode" || rc=$?
		if [ $rc = 0 ] && $py "$here/control_json.py" ok $mode 500 4 <"$run/c$mode.json"; then
			ok "$name: $mode, 4 sessions x 500 packets: no loss, check ok, sequence in order"
		else
			fail "$name: $mode, 4 sessions: client exit $rc"
		fi
	done
	sleep 0.2
	wsnap b

	# Both workers did work, of both kinds.
	for w in 0 1; do
		local r s b
		r=$(wgrew a b $w reflect) s=$(wgrew a b $w session_packets) b=$(wgrew a b $w busy_tsc)
		if [ "$r" -gt "$s" ] && [ "$s" -gt 0 ] && [ "$b" -gt 0 ]; then
			ok "$name: worker $w reflected $r packets ($s of sessions), busy_tsc +$b"
		else
			fail "$name: worker $w reflected $r packets ($s of sessions), busy_tsc +$b"
		fi
	done
	# 16 x 500 Light + 3 x 4 x 500 session packets, all reflected, nothing dropped.
	if [ "$(wgrew a b s reflect)" -ge 14000 ]; then
		ok "$name: $(wgrew a b s reflect) reflected in all"
	else
		fail "$name: only $(wgrew a b s reflect) reflected, 14000 sent"
	fi
	for k in drop_tx_full drop_exception_full drop_distribute_full drop_answer_full \
		drop_flow_full drop_no_session drop_bad_hmac drop_crypto drop_bad_csum drop_multiseg; do
		[ "$(wgrew a b s $k)" = 0 ] || fail "$name: $k +$(wgrew a b s $k)"
	done
	if [ "$want" = software ]; then
		if [ "$(wv b 0 polls_port)" = 1 ] && [ "$(wv b 1 polls_port)" = 0 ] &&
			[ "$(wgrew a b 0 distributed_packets)" -gt 0 ] &&
			[ "$(wgrew a b 0 distributed_answers_sent)" = "$(wgrew a b 1 answers_queued)" ] &&
			[ "$(wgrew a b 1 answers_queued)" -gt 0 ]; then
			ok "$name: worker 0 handed $(wgrew a b 0 distributed_packets) packets to worker 1" \
				"and sent its $(wgrew a b 0 distributed_answers_sent) answers"
		else
			fail "$name: hand-overs: polls_port $(wv b 0 polls_port)/$(wv b 1 polls_port)," \
				"distributed $(wgrew a b 0 distributed_packets), answers queued" \
				"$(wgrew a b 1 answers_queued), sent $(wgrew a b 0 distributed_answers_sent)"
		fi
	else
		if [ "$(wv b 0 polls_port)" = 1 ] && [ "$(wv b 1 polls_port)" = 1 ] &&
			[ "$(wv b 1 queue)" = 1 ] && [ "$(wgrew a b 0 distributed_packets)" = 0 ]; then
			ok "$name: each worker polls its own queue"
		else
			fail "$name: queues: worker 1 queue $(wv b 1 queue), polls_port" \
				"$(wv b 0 polls_port)/$(wv b 1 polls_port)"
		fi
	fi
	"$lab" down >/dev/null
	for i in $(seq 20); do [ -s "$run/reflector.exit" ] && break; sleep 0.1; done
	grep -q "^twamp-reflector counters:" "$run/reflector.log" &&
		[ "$(cat "$run/reflector.exit")" = 0 ] || fail "$name: the reflector did not stop cleanly"
}

phase rss 2 rss rss
phase software 1 auto software

# 3. net_pcap, no lab. golden DEVICE WANT_RX: run the golden configuration on DEVICE with two
# workers until WANT_RX frames have a verdict; the log in $run/g.log.
golden() {
	local i got=0 rc=0
	sed -e "s|device: .*|device: \"$1\"|" \
		-e "s|rx_timestamp: software|rx_timestamp: software\n  distribution: $3|" \
		"$top/tests/golden/golden.yaml" >"$run/g.yaml"
	gstart=$(date +%s.%N)
	"$refl" -c "$run/g.yaml" -- "${lcores[@]}" --file-prefix twr-mc-$$ >"$run/g.log" 2>&1 &
	gpid=$!
	for i in $(seq 100); do
		sleep 0.1
		kill -0 $gpid 2>/dev/null || break
		got=$("$top/tools/telemetry" -f twr-mc-$$ /twamp/stats 2>/dev/null |
			$py -c 'import json,sys; print(json.load(sys.stdin)["/twamp/stats"]["rx_packets"])' \
			2>/dev/null || echo 0)
		[ "$got" -ge "$2" ] && break
	done
	kill -TERM $gpid 2>/dev/null || true
	wait $gpid || rc=$?
	gpid=
	gend=$(date +%s.%N)
	[ $rc = 0 ] && [ "$got" -ge "$2" ]
}
# counters_times N: the golden counters, each N times, against $run/g.log's totals.
counters_times() {
	local name value have bad=0
	while read -r name value; do
		have=$(awk -v n="$name" '$1 == n { print $2 }' "$run/g.log")
		if [ "$have" != $((value * $1)) ]; then
			echo "counter $name = ${have:-missing}, expected $((value * $1))"
			bad=1
		fi
	done <"$top/tests/golden/expected-counters.txt"
	return $bad
}
in=$top/tests/golden/input.pcap
exp=$top/tests/golden/expected.pcap
want=$(awk '$1 == "rx_packets" { print $2 }' "$top/tests/golden/expected-counters.txt")

if golden "net_pcap0,rx_pcap=$in,rx_pcap=$in,tx_pcap=$run/q0.pcap,tx_pcap=$run/q1.pcap" \
	$((2 * want)) rss &&
	grep -q "RSS distribution over 2 worker(s), 2 queue pair(s)" "$run/g.log"; then
	if counters_times 2 && grep -q "worker 0 (lcore 1): rx $want " "$run/g.log" &&
		grep -q "worker 1 (lcore 2): rx $want " "$run/g.log"; then
		ok "net_pcap, two rx_pcap: one queue per worker, each saw the capture once"
	else
		fail "net_pcap, two rx_pcap: $(grep -E '^  worker' "$run/g.log")"
	fi
	for q in 0 1; do
		if $py "$top/tests/golden/compare.py" "$run/q$q.pcap" "$exp" "$gstart" "$gend"; then
			ok "net_pcap, two rx_pcap: queue $q answers are the golden ones"
		else
			fail "net_pcap, two rx_pcap: queue $q answers differ from the golden ones"
		fi
	done
else
	fail "net_pcap with two rx_pcap and two workers: $(tail -5 "$run/g.log")"
fi

if golden "net_pcap0,rx_pcap=$in,tx_pcap=$run/sw.pcap" "$want" auto &&
	grep -q "software distribution over 2 worker(s), 1 queue pair(s)" "$run/g.log"; then
	if counters_times 1; then
		ok "net_pcap, one queue, software distribution: the golden counters"
	else
		fail "net_pcap, software distribution: counters differ"
	fi
	# Two workers answer in parallel: put the answers in the expected order (by the request
	# each answers: addresses, ports, Sender Sequence Number), then compare byte for byte.
	$py - "$run/sw.pcap" "$exp" "$run/sw-sorted.pcap" <<'EOF'
import sys
from scapy.all import IP, IPv6, UDP, rdpcap, wrpcap, raw


def key(p):
    ip = p[IP] if IP in p else p[IPv6]
    u = p[UDP]
    return (ip.src, ip.dst, u.sport, u.dport, raw(u.payload)[24:28])  # Sender Sequence Number


out, exp = list(rdpcap(sys.argv[1])), rdpcap(sys.argv[2])
sorted_out = []
for e in exp:
    for i, o in enumerate(out):
        if key(o) == key(e):
            sorted_out.append(out.pop(i))
            break
wrpcap(sys.argv[3], sorted_out + out)
EOF
	if $py "$top/tests/golden/compare.py" "$run/sw-sorted.pcap" "$exp" "$gstart" "$gend"; then
		ok "net_pcap, software distribution: the golden answers"
	else
		fail "net_pcap, software distribution: answers differ from the golden ones"
	fi
	if grep -qE "worker 1 \(lcore 2, by ring\): rx [1-9]" "$run/g.log"; then
		ok "net_pcap, software distribution: $(grep -E '^  worker 1' "$run/g.log" | cut -c3-)"
	else
		fail "net_pcap, software distribution: worker 1 got nothing"
	fi
else
	fail "net_pcap with one queue and two workers: $(tail -5 "$run/g.log")"
fi

echo "e2e_multicore: $fails failure(s)"
exit $((fails > 0))
