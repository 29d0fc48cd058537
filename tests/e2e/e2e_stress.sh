#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End to end, the reflector under hostile traffic (issue 6, "e2e stress"): while one
# authenticated TWAMP-Control session and one TWAMP Light session run 10,000 packets each at
# 1 ms, hostile_control.py, in the client namespace, from 41 extra addresses of the lab's
# prefixes (IPv4 and IPv6):
#  - floods TCP 862 with hundreds of connections that stay silent, more than
#    max_connections_per_source from each address and more than max_connections in all, and
#    bursts of connections from one address beyond connection_rate_per_source;
#  - plays abusive conversations: random bytes after the greeting, commands before the
#    Set-Up-Response, half messages then close or silence, garbage Modes, unknown KeyIDs, wrong
#    Tokens, Start/Stop-Sessions with no session, unknown commands, malformed
#    Request-TW-Sessions, a request for the legitimate session's own port, sessions started and
#    reset, a connection's worth of sessions to drain the port pool, silence after a Set-Up;
#  - sends random UDP to the Light ports and the control test ports (IPv4 and IPv6), some of it
#    to the legitimate session's own port from other source ports, and random raw IPv4/IPv6.
# Then:
#  1. both legitimate sessions: 10,000 packets, zero loss, --check ok;
#  2. the hostile client really did it (its own counts: attempts, greetings, refusals, silent
#     connections dropped by the server after control.handshake_timeout, datagrams);
#  3. the reflector counted it (connections accepted, refused by limit: max_total,
#     max_per_source, rate; closes and Accept refusals by reason; drop_no_session) and is alive,
#     settles to no connection and no session, and serves new sessions cleanly;
#  4. its memory is where it started: VmRSS and the DPDK heap (/eal/heap_info) after everything
#     has closed, against a baseline taken after a warm-up that includes one short hostile round
#     (the first touch of max_connections connections' heap memory is a one-time cost, bounded
#     apart by FIRST_TOUCH_KIB). Bounds: RSS growth at most RSS_BOUND_KIB; DPDK heap Alloc_size
#     and Alloc_count back to the baseline exactly.
#  5. UDP to a control test port that has no session costs a counter (drop_no_session), not a
#     trip through the exception path to the kernel.
# Config: config/lab.yaml with control.handshake_timeout 3 (so that silent connections go within
# the run) and the connection limits written out (64 in all, 8 per source).
# usage: e2e_stress.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
TWR_BUILD=$(cd "$1" && pwd)
TWR_LAB_RUN=$(mktemp -d /tmp/twr-e2e-stress.XXXXXX)
export TWR_BUILD TWR_LAB_RUN
run=$TWR_LAB_RUN
client=$TWR_BUILD/app/twamp-client
lab=$top/tools/lab
py=/usr/bin/python3
key=(-k lab --passphrase twamp-lab-secret)
R4=198.18.0.1
COUNT=${STRESS_COUNT:-10000}
HT=3                  # control.handshake_timeout in this test's config
MAXC=64 MAXC_SRC=8    # control.max_connections, max_connections_per_source
# 256 KiB of RSS: the attack makes ~1,200 connections (~370 accepted) and ~300 sessions, so a
# leak of 1 KiB per accepted connection, or a page per session, shows; measured growth is 0-32
# KiB (glibc's and the telemetry threads' slack). rte_malloc leaks of any size show in the DPDK
# heap, which must come back exactly.
RSS_BOUND_KIB=256
# The hostile warm-up's one-time cost: the DPDK heap pages first touched when max_connections
# connections are open at once; each is a 64 KiB rte_zmalloc (its reply buffer, CONN_OUT_CAP in
# app/twamp-reflector/ctrl.c), so 64 x 64 KiB = 4 MiB, plus lib/ctrl's buffers and sessions
# (measured: 4.5 MiB). Bounded, not leaked: the main phase must then add nothing.
FIRST_TOUCH_KIB=$((MAXC * 64 + 2048))
fails=0

[ "$(id -u)" = 0 ] || { echo "e2e: FAIL: needs root (namespaces, DPDK)"; exit 1; }

# The lab's names are one per machine (tools/lab up takes down whatever lab is there): wait
# while a reflector lives in it or another lab user runs (it may be between two labs).
others() {
	local p
	for p in $(pgrep -f 'tests/e2e/e2e_[a-z0-9_]+\.sh|tools/soak|tools/demo|tools/lab up'); do
		[ "$p" = $$ ] || [ "$(ps -o ppid= -p "$p" | tr -d ' ')" = $$ ] || echo "$p"
	done
}
for i in $(seq 120); do
	[ -z "$(ip netns pids twr-refl 2>/dev/null)" ] && [ -z "$(others)" ] && break
	[ "$i" = 1 ] && echo "e2e_stress: another lab user is running, waiting (up to 10 min)"
	[ "$i" = 120 ] && { echo "FAIL - another lab user is still running after 10 min"; exit 1; }
	sleep 5
done

# ours: the lab's namespace still holds our reflector (another run's tools/lab up replaces it).
rpid=
ours() { [ -n "$rpid" ] && ip netns pids twr-refl 2>/dev/null | grep -qx "$rpid"; }
cleanup() {
	bgkill_all
	if ours; then
		"$lab" down >/dev/null 2>&1 || true
	elif [ -n "$rpid" ]; then
		# someone else's lab has the names now: stop our reflector, touch nothing else
		kill -TERM "$rpid" 2>/dev/null || true
	fi
	rm -rf "$run"
}
trap cleanup EXIT

. "$here/lib.sh"

# settle SECONDS: until the reflector holds no control connection and no session.
settle() {
	local i
	for i in $(seq $(($1 * 10))); do
		snap settle
		if [ "$(val settle sessions_in_data_plane)" = 0 ] && [ "$(val settle sessions)" = 0 ] &&
			[ "$(val settle connections)" = 0 ]; then
			return 0
		fi
		sleep 0.1
	done
	echo "$(val settle connections) connections, $(val settle sessions) sessions," \
		"$(val settle sessions_in_data_plane) in the data plane after $1 s"
	return 1
}
# json FILE EXPR: EXPR over r, the JSON object in FILE (0 when it does not evaluate).
json() {
	$py -c 'import json, sys
try:
    r = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))
except Exception:
    print(0)' "$@"
}
# mem NAME: the reflector's VmRSS (KiB) and DPDK heap 0 (Alloc_size, Alloc_count, Heap_size)
# into $run/NAME.mem as "rss alloc_size alloc_count heap_size".
mem() {
	local pid rss
	pid=$(cat "$run/reflector.pid")
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
	"$top/tools/telemetry" -f twr-lab /eal/heap_info,0 | $py -c 'import json, sys
h = json.load(sys.stdin)["/eal/heap_info,0"]
print(sys.argv[1], h["Alloc_size"], h["Alloc_count"], h["Heap_size"])' "$rss" >"$run/$1.mem"
}
memf() { awk -v f="$2" '{print $f}' "$run/$1.mem"; }
# flows NAME: /twamp/flows into $run/NAME.flows; fval NAME KEY
flows() { "$top/tools/telemetry" -f twr-lab /twamp/flows >"$run/$1.flows"; }
fval() { json "$run/$1.flows" "r['/twamp/flows']['$2']"; }
# changed A B PREFIX...: "name +delta" for every counter with one of the prefixes that moved.
changed() {
	$py -c 'import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
out = []
for k in b:
    for n, v in b[k].items():
        if isinstance(v, int) and any(n.startswith(p) for p in sys.argv[3:]):
            d = v - a.get(k, {}).get(n, 0)
            if d:
                out.append(f"{n} +{d}")
print(", ".join(out) or "none")' "$run/$1.tel" "$run/$2.tel" "${@:3}"
}
# has A KEY: the counter exists in snapshot A
has() { val "$1" "$2" >/dev/null 2>&1; }

# The test's config: the lab's, with the handshake timeout short and the limits written out.
sed -E '/^  (handshake_timeout|max_connections|max_connections_per_source):/d' \
	"$top/config/lab.yaml" | awk -v ht=$HT -v mc=$MAXC -v ms=$MAXC_SRC '{ print }
/^control:/ { print "  handshake_timeout: " ht; print "  max_connections: " mc
	print "  max_connections_per_source: " ms }' >"$run/stress.yaml"
cp "$top/config/lab-ike.keys" "$run/" 2>/dev/null && chmod 600 "$run/lab-ike.keys" || true
"$lab" up "$run/stress.yaml" || { rpid=$(cat "$run/reflector.pid" 2>/dev/null || true); exit 1; }
rpid=$(cat "$run/reflector.pid")

# Extra addresses for the hostile client (the reflector answers them on its /24 and /64).
flood4=() abuse4=() udp4=() flood6=() abuse6=()
for i in $(seq 100 132); do
	ip -n twr-client addr add 198.18.0.$i/24 dev twr-c0
	if [ $i -lt 112 ]; then flood4+=(198.18.0.$i); elif [ $i -lt 128 ]; then abuse4+=(198.18.0.$i)
	elif [ $i -lt 132 ]; then udp4+=(198.18.0.$i); fi
done
for i in $(seq 100 107); do
	ip -n twr-client addr add 2001:db8::$i/64 dev twr-c0 nodad
	if [ $i -lt 104 ]; then flood6+=(2001:db8::$i); else abuse6+=(2001:db8::$i); fi
done
csv() { local IFS=,; echo "$*"; }
hostile_args=(--handshake-timeout $HT
	--flood-sources "$(csv "${flood4[@]}" "${flood6[@]}")" --flood-per-source 12
	--per-source-sources 4 --rate-source 198.18.0.132 --rate-burst 80
	--abuse-sources "$(csv "${abuse4[@]}" "${abuse6[@]}")" --abusers 12
	--udp-sources "$(csv 198.18.0.2 2001:db8::2 "${udp4[@]}")" --udp-pps 2000 --raw-pps 300)

# 0. Warm-up: a legitimate run of each kind, then one short hostile round, so that one-time
# allocations (connection table, libc arenas, ARP/ND, flow entries) are done before the baseline.
snap w0
cli "$client" --control --mode authenticated "${key[@]}" -c 500 -i 1ms --check --json $R4 \
	>"$run/warm-c.json" || fail "warm-up control run: exit $?"
cli "$client" -c 500 -i 1ms --check --json $R4 >"$run/warm-l.json" || fail "warm-up Light run: exit $?"
settle 10 >/dev/null || fail "warm-up: the reflector did not settle"
mem m_pre
cli $py "$here/hostile_control.py" "${hostile_args[@]}" --duration $((HT + 2)) \
	--seed 1 >"$run/hostile-warm.json" || fail "hostile warm-up round: exit $?"
if t=$(settle $((HT + 10))); then
	ok "warm-up: 500-packet runs and a $((HT + 2)) s hostile round" \
		"($(json "$run/hostile-warm.json" 'r["tcp"]["attempts"]') connections tried)," \
		"reflector settled"
else
	fail "warm-up: $t"
fi
sleep 1
mem m0
snap a
flows a

# 5 (first, while quiet). UDP to a control test port that has no session: 200 datagrams.
cli $py -c 'import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(200):
    s.sendto(struct.pack(">I", i) + bytes(37), ("198.18.0.1", 20199))' || true
sleep 0.5
snap q
nq=$(grew a q drop_no_session) eq=$(grew a q exception_not_test)
if [ "$nq" -ge 200 ] && [ "$eq" -lt 200 ]; then
	ok "200 datagrams to test port 20199 without a session: drop_no_session +$nq," \
		"exception_not_test +$eq (never to the kernel)"
else
	fail "200 datagrams to test port 20199 without a session: drop_no_session +$nq," \
		"exception_not_test +$eq: they went through the exception path to the kernel"
fi
snap a

# 1. The legitimate sessions, then the hostile client beside them.
rm -f "$run/learn.json"
bg learn "$run/learn.json" $py "$here/control_probe.py" learn twr-c0
wait_line "$run/learn.json" ready 15 || fail "the sniffer did not start: $(cat "$run/learn.err")"
bg legit_c "$run/legit-c.json" "$client" --control --mode authenticated "${key[@]}" \
	-c "$COUNT" -i 1ms --check --json $R4
bg legit_l "$run/legit-l.json" "$client" -c "$COUNT" -i 1ms --check --json $R4
bgwait learn || fail "no test packet of the legitimate session seen: $(tail -1 "$run/learn.json")"
tail -1 "$run/learn.json" >"$run/learned.json"
sport=$(json "$run/learned.json" 'r["sport"]') dport=$(json "$run/learned.json" 'r["dport"]')
ssrc=$(json "$run/learned.json" 'r["src"]')
t0=$(date +%s%N)
bg hostile "$run/hostile.json" $py "$here/hostile_control.py" "${hostile_args[@]}" \
	--duration $((COUNT / 1000 - 1)) --session-port "$dport" --session-sender "$ssrc:$sport"
# While the flood holds the table: can a newcomer get in? (informative: a full table refuses
# anyone, that is what the limit is for; per-source rate limiting is what keeps room for others.)
sleep 1.5
rc=0
cli "$client" --control --mode unauthenticated -c 50 -i 1ms --control-timeout 5s --json $R4 \
	>"$run/newcomer.json" 2>"$run/newcomer.err" || rc=$?
snap mid
echo "note - a new legitimate control client during the flood: exit $rc" \
	"($(json "$run/newcomer.json" 'r["control"].get("error") or "served"'));" \
	"reflector then had $(val mid connections) connections"
rc=0
bgwait legit_c || rc=$?
if [ $rc = 0 ] && $py "$here/control_json.py" ok authenticated "$COUNT" 1 <"$run/legit-c.json"; then
	ok "legitimate authenticated session under attack: $COUNT packets, zero loss, check ok" \
		"(198.18.0.2:$sport -> $R4:$dport)"
else
	fail "legitimate authenticated session under attack: client exit $rc"
	tail -3 "$run/legit_c.err"
fi
rc=0
bgwait legit_l || rc=$?
if [ $rc = 0 ] && $py "$here/check_json.py" "$COUNT" <"$run/legit-l.json" >"$run/l.out"; then
	ok "legitimate TWAMP Light session under attack: $COUNT packets, zero loss, check ok"
else
	fail "legitimate TWAMP Light session under attack: client exit $rc: $(cat "$run/l.out")"
fi
rc=0
bgwait hostile || rc=$?
hdur=$(ms_since "$t0")
[ $rc = 0 ] || { fail "hostile client: exit $rc"; tail -5 "$run/hostile.err"; }
H() { json "$run/hostile.json" "$1"; }
echo "note - hostile client: $(H 'json.dumps(r)' | head -c 3000)"

# 2. The hostile client did what it says.
att=$(H 'r["tcp"]["attempts"]') con=$(H 'r["tcp"]["connected"]') gr=$(H 'r["tcp"]["greeted"]')
ref=$(H 'r["tcp"].get("refused", 0)') open=$(H 'r["tcp"].get("still_open", 0)')
sc_n=$(H 'r["tcp"]["silent_closed_after_s"]["n"]')
sc_min=$(H 'r["tcp"]["silent_closed_after_s"]["min"]')
sc_max=$(H 'r["tcp"]["silent_closed_after_s"]["max"]')
udp=$(H 'r["udp"]["sent"]') raw=$(H 'r["raw"]["sent"]')
sp_udp=$(H 'r["udp"].get("session_port_other_sport_v4", 0)')
tp_udp=$(H 'sum(v for k, v in r["udp"].items() if k.startswith(("test_ports", "session_port")))')
if [ "$att" -ge 300 ] && [ "$gr" -ge 100 ] && [ "$ref" -ge 50 ]; then
	ok "hostile client: $att TCP connections tried in $((hdur / 1000)) s, $con connected," \
		"$gr greeted, $ref refused (closed before any greeting)"
else
	fail "hostile client: only $att connections tried, $gr greeted, $ref refused" \
		"(at least 300, 100, 50 expected)"
fi
if [ "$sc_n" -ge 100 ] && $py -c "import sys; sys.exit(not ($HT - 0.25 <= $sc_min and $sc_max <= $HT + 2))" &&
	[ "$open" = 0 ]; then
	ok "$sc_n silent connections dropped by the server after $sc_min-$sc_max s" \
		"(handshake_timeout $HT s), none left open"
else
	fail "silent connections: $sc_n dropped after $sc_min-$sc_max s (handshake_timeout $HT s)," \
		"$open still open after $((HT + 5)) s"
fi
if [ "$udp" -ge 10000 ] && [ "$sp_udp" -ge 100 ] && [ "$raw" -ge 1000 ]; then
	ok "hostile client: $udp random UDP datagrams ($tp_udp to control test ports, $sp_udp of" \
		"them to the session's port $dport from other ports), $raw raw IPv4/IPv6 datagrams"
else
	fail "hostile client: $udp UDP datagrams ($sp_udp to the session's port), $raw raw" \
		"(at least 10000, 100, 1000 expected)"
fi
# Test ports are shared between 5-tuples (docs/conformance.rst): the hostile client may get the
# session's port for its own sender port; it must never get the session's 5-tuple. Asked for it
# from another address, the reflector refuses a third-party Sender Address (Accept 1, RFC 5357
# §6); from the session's own address, it must answer on another port or refuse.
st=$(H 'sum(r["tcp"]["by_kind"].get("steal_port", {}).get("accept", {}).values())')
sa=$(H '" ".join(f"{k}:{v}" for k, v in sorted(r["tcp"]["by_kind"].get("steal_port", {}).get("accept", {}).items()))')
[ "$(H 'r["tcp"].get("legit_port_given_away", 0)')" = 0 ] && [ "$st" -ge 1 ] &&
	ok "the legitimate session's 5-tuple was never given to the hostile client ($st requests" \
		"for it answered, Accept:count $sa; port $dport shared with other 5-tuples" \
		"$(H 'r["tcp"].get("legit_port_shared", 0)') times)" ||
	fail "the reflector gave the legitimate session's 5-tuple (port $dport) to a hostile" \
		"request, or no steal_port request was answered ($st)"

ho=$(H 'r["tcp"]["by_kind"]["setup_silent"].get("held_open", 0)')
hc=$(H 'r["tcp"]["by_kind"]["setup_silent"].get("server_closed", 0)')
echo "note - silent after a completed Set-Up (SERVWAIT, control.refwait): $ho connections still" \
	"held by the server $((HT + 3)) s later, $hc closed by it"
pp=$(H 'r["tcp"]["by_kind"]["port_pool"]["accept"].get("0", 0)')
pr=$(H 'sum(v for k, v in r["tcp"]["by_kind"]["port_pool"]["accept"].items() if k != "0")')
echo "note - test-port pool: unauthenticated port_pool connections were given $pp test ports" \
	"and refused $pr requests (one connection may hold max_sessions_per_connection of the" \
	"$(( 20199 - 20100 + 1 )) ports; the legitimate session already had its own)"

# 3. The reflector is alive, settles, and counted it all.
if t=$(settle $((HT + 15))); then
	ok "after the attack: no control connection and no session left"
else
	fail "after the attack: $t"
fi
sleep 1
mem m1
snap b
flows b
kill -0 "$rpid" 2>/dev/null && ok "the reflector (pid $rpid) is alive" || fail "the reflector died"
echo "note - control counters that moved: $(changed a b connections_ refused_ closed_ sessions_ \
	unknown_ rate limit)"
echo "note - data plane counters that moved: $(changed a b rx_packets tx_reflected drop_ \
	exception_ session_packets)"
acc=$(grew a b connections_accepted) cref=$(grew a b connections_refused)
# Every TCP connection that got through the kernel's handshake was accepted or refused by the
# reflector, the legitimate client's and the newcomer's included.
if [ "$acc" -ge $((gr + 1)) ] && [ "$cref" -ge "$ref" ] && [ "$cref" -ge 1 ] &&
	[ $((acc + cref)) -ge $((con + 1)) ]; then
	ok "reflector: connections_accepted +$acc (hostile greeted $gr), connections_refused" \
		"+$cref (hostile saw $ref refusals); $((acc + cref)) of $((con + 2)) connections seen"
else
	fail "reflector: connections_accepted +$acc, connections_refused +$cref against" \
		"$con hostile connections ($gr greeted, $ref refused)"
fi
# By limit (the lead's counters; read defensively: a missing one is reported, not assumed).
hk() { H "r['tcp']['by_kind'].get('$1', {}).get('refused', 0)"; }
sum=0 miss="" line=""
for k in connections_refused_max_per_source:flood_per_source connections_refused_max_total:flood_total \
	connections_refused_rate:rate_burst connections_refused_memory:; do
	c=${k%%:*} kind=${k#*:}
	if ! has b "$c"; then miss="$miss $c"; continue; fi
	d=$(grew a b "$c")
	sum=$((sum + d))
	line="$line, ${c#connections_refused_} +$d${kind:+ (hostile $kind: $(hk "$kind") refused)}"
	[ -n "$kind" ] && [ "$d" -lt 1 ] && miss="$miss $c(+0)"
done
if [ -z "$miss" ] && [ "$sum" = "$cref" ]; then
	ok "reflector: refusals by limit${line#,}; they add up to connections_refused"
else
	fail "reflector: refusals by limit${line#,}; sum $sum of $cref; missing or not moved:$miss"
fi
ct=$(grew a b closed_timeout)
if [ "$ct" -ge "$sc_n" ]; then
	ok "reflector: closed_timeout +$ct (>= $sc_n silent connections dropped)"
else
	fail "reflector: closed_timeout +$ct, the hostile client saw $sc_n dropped"
fi
bad=0 miss=""
for k in closed_bad_message closed_peer closed_mode closed_auth refused_mode \
	refused_keyid refused_token unknown_keyid refused_start_empty sessions_started; do
	if ! has b $k; then miss="$miss $k"; continue; fi
	[ "$(grew a b $k)" -ge 1 ] || { bad=1; miss="$miss $k(+0)"; }
done
if [ $bad = 0 ] && [ -z "$miss" ]; then
	ok "reflector: closes and refusals by reason counted:" \
		"$(changed a b closed_ refused_ unknown_keyid)"
else
	fail "reflector: expected counters missing or not moved:$miss"
fi
dn=$(grew a b drop_no_session) ex=$(grew a b exception_not_test)
if [ "$dn" -ge 1 ] && [ $((dn + ex)) -ge "$tp_udp" ]; then
	ok "reflector: drop_no_session +$dn, exception_not_test +$ex for $tp_udp datagrams to" \
		"control test ports (+ random raw ones)"
else
	fail "reflector: drop_no_session +$dn, exception_not_test +$ex; $tp_udp datagrams were" \
		"sent to control test ports"
fi
fe=$(fval b entries) ff=$(($(fval b full) - $(fval a full)))
fi_=$(($(fval b inserts) - $(fval a inserts)))
if [ "$ff" = 0 ]; then
	ok "flow table: +$fi_ Light flows inserted, $fe entries of $(fval b capacity), none refused"
else
	fail "flow table: full +$ff ($fe entries of $(fval b capacity))"
fi

# 4. Memory. Baseline m0 after the warm-up, m1 after everything closed and settled.
r_pre=$(memf m_pre 1) r0=$(memf m0 1) r1=$(memf m1 1)
a0=$(memf m0 2) a1=$(memf m1 2) n0=$(memf m0 3) n1=$(memf m1 3)
echo "note - memory: VmRSS $r_pre KiB after the legitimate warm-up, $r0 KiB after the hostile" \
	"warm-up (first touch +$((r0 - r_pre)) KiB), $r1 KiB after the attack;" \
	"DPDK heap 0 Alloc_size $(memf m_pre 2) / $a0 / $a1, Alloc_count $(memf m_pre 3) / $n0 / $n1"
# An AddressSanitizer build (tools/test's sanitizer pass): VmRSS holds ASan's quarantine of freed
# memory (up to 256 MiB), redzones and shadow, so it is not bounded there; LeakSanitizer checks
# the reflector's malloc() when it exits, and the DPDK heap bound below still holds.
rss_bounded=1
if grep -q __asan_init "$TWR_BUILD/app/twamp-reflector"; then
	rss_bounded=0
	echo "note - VmRSS not bounded: the reflector is built with AddressSanitizer"
fi
if [ $rss_bounded = 0 ]; then
	:
elif [ $((r0 - r_pre)) -le $FIRST_TOUCH_KIB ]; then
	ok "one-time first touch by the hostile warm-up: $((r0 - r_pre)) KiB (bound $FIRST_TOUCH_KIB KiB)"
else
	fail "the hostile warm-up grew VmRSS by $((r0 - r_pre)) KiB (bound $FIRST_TOUCH_KIB KiB)"
fi
if [ $rss_bounded = 0 ]; then
	:
elif [ $((r1 - r0)) -le $RSS_BOUND_KIB ]; then
	ok "reflector VmRSS $r0 -> $r1 KiB ($((r1 - r0)) KiB, bound $RSS_BOUND_KIB KiB) over" \
		"$acc accepted and $cref refused connections"
else
	fail "reflector VmRSS grew $((r1 - r0)) KiB ($r0 -> $r1), bound $RSS_BOUND_KIB KiB"
fi
if [ "$a1" = "$a0" ] && [ "$n1" = "$n0" ]; then
	ok "DPDK heap back where it was: Alloc_size $a1, Alloc_count $n1"
else
	fail "DPDK heap: Alloc_size $a0 -> $a1, Alloc_count $n0 -> $n1"
fi

# Still serving, both kinds.
if cli "$client" --control --mode encrypted "${key[@]}" -c 500 -i 1ms --check --json $R4 \
	>"$run/after-c.json" && $py "$here/control_json.py" ok encrypted 500 1 <"$run/after-c.json" \
	>/dev/null && cli "$client" -c 500 -i 1ms --check --json 2001:db8::1 >"$run/after-l.json" &&
	$py "$here/check_json.py" 500 <"$run/after-l.json" >/dev/null; then
	ok "after the attack: an encrypted session and an IPv6 Light session, 500 packets each, no loss"
else
	fail "after the attack: the reflector does not serve new sessions cleanly"
fi

ours || fail "the lab was taken over during the test (twr-refl no longer holds reflector pid" \
	"$rpid: another run's tools/lab up?): nothing above is meaningful"
echo "e2e_stress: $fails failure(s)"
exit $((fails > 0))
