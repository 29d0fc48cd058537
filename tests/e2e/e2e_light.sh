#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End to end, TWAMP Light through the DPDK data plane: the lab (tools/lab: namespaces, veth, the
# reflector on net_af_packet, exception path on a TAP), twamp-client in the client namespace.
#  1. 1,000 packets IPv4 and 1,000 IPv6: zero loss, every reflected field checked (--check:
#     sender fields, MBZ, length, T1<=T2<=T3<=T4, TTL 255, reflector sequence).
#  2. Concurrent senders on other ports of the range: each flow has its own sequence from 0.
#  3. ping, ping -6 and ARP through the exception path; the kernel answers with the port's MAC.
#  4. Hostile frames: each kind counted in the reflector's matching drop counter, nothing crashes,
#     and reflection goes on with zero loss.
#  5. SIGTERM: clean exit 0 with the counters printed.
# usage: e2e_light.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
export TWR_BUILD=$(cd "$1" && pwd)
export TWR_LAB_RUN=$(mktemp -d /tmp/twr-e2e.XXXXXX)
client=$TWR_BUILD/app/twamp-client
lab=$top/tools/lab
fails=0

[ "$(id -u)" = 0 ] || { echo "e2e: FAIL: needs root (namespaces, DPDK)"; exit 1; }
cleanup() { "$lab" down >/dev/null 2>&1 || true; rm -rf "$TWR_LAB_RUN"; }
trap cleanup EXIT

ok() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; fails=$((fails + 1)); }
stat() { "$top/tools/telemetry" -f twr-lab /twamp/stats |
	/usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['/twamp/stats']['$1'])"; }

"$lab" up "$top/config/lab.yaml"

# 1. IPv4 and IPv6, 1,000 packets each.
for dst in 198.18.0.1 2001:db8::1; do
	if "$lab" exec "$client" --count 1000 --interval 1ms --check --json "$dst" >"$TWR_LAB_RUN/r.json" &&
		/usr/bin/python3 "$here/check_json.py" 1000 <"$TWR_LAB_RUN/r.json"; then
		ok "1000 packets to $dst: no loss, every field checked"
	else
		fail "1000 packets to $dst"
	fi
done

# 2. Three concurrent flows on ports of the 20000-20099 range, and one to 862.
pids=()
for p in 20000 20042 20099 862; do
	"$lab" exec "$client" --port $p --count 300 --rate 500 --check --json 198.18.0.1 \
		>"$TWR_LAB_RUN/c$p.json" &
	pids+=($!)
done
for i in "${!pids[@]}"; do
	p=(20000 20042 20099 862)
	if wait "${pids[$i]}" && /usr/bin/python3 "$here/check_json.py" 300 <"$TWR_LAB_RUN/c${p[$i]}.json"; then
		ok "concurrent flow to port ${p[$i]}: own sequence, no loss"
	else
		fail "concurrent flow to port ${p[$i]}"
	fi
done

# 3. Exception path.
if "$lab" exec ping -c 3 -i 0.2 -W 1 -q 198.18.0.1 >/dev/null; then ok "ping 198.18.0.1"; else fail "ping"; fi
if "$lab" exec ping -6 -c 3 -i 0.2 -W 1 -q 2001:db8::1 >/dev/null; then ok "ping -6 2001:db8::1"; else fail "ping -6"; fi
port_mac=$(ip netns exec twr-refl cat /sys/class/net/twr-r0/address)
ip -n twr-client neigh flush dev twr-c0
"$lab" exec ping -c 1 -W 1 -q 198.18.0.1 >/dev/null || true
"$lab" exec ping -6 -c 1 -W 1 -q 2001:db8::1 >/dev/null || true
lladdr() { awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }'; }
arp_mac=$(ip -n twr-client neigh show 198.18.0.1 | lladdr)
nd_mac=$(ip -n twr-client -6 neigh show 2001:db8::1 | lladdr)
if [ "$arp_mac" = "$port_mac" ] && [ "$nd_mac" = "$port_mac" ]; then
	ok "ARP and ND answer with the data port's MAC $port_mac"
else
	fail "ARP gives '$arp_mac', ND gives '$nd_mac', data port has $port_mac"
fi

# 4. Hostile frames.
declare -A before
kinds="drop_runt drop_bad_l3 drop_bad_csum drop_short drop_bad_src drop_bad_l4"
for k in $kinds; do before[$k]=$(stat "$k"); done
if "$lab" exec /usr/bin/python3 "$here/hostile.py" twr-c0 "$port_mac" >"$TWR_LAB_RUN/h.json"; then
	sleep 0.5
	for k in $kinds; do
		sent=$(/usr/bin/python3 -c "import json; print(json.load(open('$TWR_LAB_RUN/h.json')).get('$k', 0))")
		now=$(stat "$k")
		# Random garbage may land in any drop counter too: at least what we aimed, never less.
		if [ $((now - before[$k])) -ge "$sent" ] && [ "$sent" -gt 0 ]; then
			ok "$k: sent $sent, counted $((now - before[$k]))"
		else
			fail "$k: sent $sent, counted $((now - before[$k]))"
		fi
	done
else
	fail "could not send hostile frames"
fi
if "$lab" exec "$client" --count 1000 --interval 1ms --check --json 198.18.0.1 >"$TWR_LAB_RUN/r.json" &&
	/usr/bin/python3 "$here/check_json.py" 1000 <"$TWR_LAB_RUN/r.json"; then
	ok "after the hostile frames: 1000 packets, no loss"
else
	fail "reflection after hostile frames"
fi

# 5. Clean shutdown.
pid=$(cat "$TWR_LAB_RUN/reflector.pid")
kill -TERM "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
for _ in $(seq 20); do [ -s "$TWR_LAB_RUN/reflector.exit" ] && break; sleep 0.1; done
if ! kill -0 "$pid" 2>/dev/null && grep -q "^twamp-reflector counters:" "$TWR_LAB_RUN/reflector.log" &&
	[ "$(cat "$TWR_LAB_RUN/reflector.exit" 2>/dev/null)" = 0 ]; then
	ok "SIGTERM: stopped, counters printed"
else
	fail "SIGTERM: reflector did not stop cleanly"
fi

echo "e2e_light: $fails failure(s)"
exit $((fails > 0))
