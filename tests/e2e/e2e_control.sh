#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End to end, TWAMP-Control (RFC 5357 §3, RFC 4656 §3) through the appliance: the lab (tools/lab,
# config/lab.yaml: TCP 862 at 198.18.0.1 and 2001:db8::1, every mode, KeyID "lab"), twamp-client
# --control in the client namespace, the reflector's telemetry for its side of the story.
#  1. Modes 1, 2, 4, 8 over IPv4 and IPv6, 1,000 packets each: zero loss, --check ok, no bad
#     HMAC, the negotiated Mode is the one asked for; the reflector counted exactly the session's
#     packets, and once the client is done and the Timeout has passed no session is left in the
#     data plane.
#  2. Four sessions on one control connection, with and without individual session control
#     (RFC 5938); three control connections at once (different modes and families), seen
#     together by the reflector: all zero loss.
#  3. Wrong passphrase and unknown KeyID: exit 2, "authentication refused", counted by the
#     reflector (refused_token / unknown_keyid + refused_keyid, closed_auth), while a legitimate
#     encrypted session beside them loses nothing.
#  4. Forged test packets (a bit flipped in the HMAC or in the block it covers) injected from a
#     running authenticated, then encrypted, session's own 5-tuple: counted in drop_bad_hmac,
#     never reflected, and the session loses nothing.
#  5. SIGKILL of a client mid-session: its session leaves the data plane within seconds (by the
#     TCP close, not its 30 s Timeout), and packets to the old test port are dropped and counted
#     (drop_no_session: the test ports are the sessions', a stray packet costs a counter).
#  6. tshark, an independent decoder, reads an unauthenticated exchange (IPv4 and IPv6) without
#     malformed packets or errors, with the expected messages, fields and test packets.
#  7. The ike-daemon key provider's failure modes, against a stand-in daemon (fake_ippm.py; the
#     real one, strongSwan, is e2e_ike.sh): daemon down, hanging, talking garbage -> Server-Start
#     Accept 2 within the configured timeout, logged and counted, no hang; the daemon back ->
#     mode 130/132 works again without restarting the reflector, which reflected throughout.
# usage: e2e_control.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
TWR_BUILD=$(cd "$1" && pwd)
TWR_LAB_RUN=$(mktemp -d /tmp/twr-e2e-ctl.XXXXXX)
export TWR_BUILD TWR_LAB_RUN
run=$TWR_LAB_RUN
client=$TWR_BUILD/app/twamp-client
lab=$top/tools/lab
py=/usr/bin/python3
key=(-k lab --passphrase twamp-lab-secret)
R4=198.18.0.1
R6=2001:db8::1
fails=0

[ "$(id -u)" = 0 ] || { echo "e2e: FAIL: needs root (namespaces, DPDK)"; exit 1; }
# Background processes of ours have their pid in $run/*.bgpid (bg in lib.sh): end them by pid.
cleanup() {
	bgkill_all
	"$lab" down >/dev/null 2>&1 || true
	rm -rf "$run"
}
trap cleanup EXIT

. "$here/lib.sh"
start() { bg "$@"; }

# settle SECONDS: wait until the reflector holds no session and no control connection; prints
# the time it took, fails after SECONDS.
settle() {
	local t0 i
	t0=$(date +%s%N)
	for i in $(seq $(($1 * 20))); do
		snap settle
		if [ "$(val settle sessions_in_data_plane)" = 0 ] && [ "$(val settle sessions)" = 0 ] &&
			[ "$(val settle connections)" = 0 ]; then
			echo "$(( ($(date +%s%N) - t0) / 1000000 )) ms"
			return 0
		fi
		sleep 0.05
	done
	echo "still $(val settle sessions_in_data_plane) in the data plane," \
		"$(val settle sessions) held, $(val settle connections) connections after $1 s"
	return 1
}
# json FILE EXPR: EXPR over r, the JSON object in FILE; lastjson: in FILE's last line.
json() {
	$py -c 'import json, sys; r = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"
}
lastjson() {
	tail -1 "$1" | $py -c 'import json, sys; r = json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"
}

"$lab" up "$top/config/lab.yaml"

# 1. Every security mode, IPv4 and IPv6, one session of 1,000 packets.
for dst in $R4 $R6; do
	for mode in unauthenticated authenticated encrypted mixed; do
		what="mode $mode to $dst"
		snap a
		rc=0
		cli "$client" --control --mode $mode "${key[@]}" -c 1000 -i 1ms --check --json $dst \
			>"$run/m.json" || rc=$?
		snap b
		if [ $rc = 0 ] && $py "$here/control_json.py" ok $mode 1000 1 <"$run/m.json"; then
			ok "$what: 1000 packets, no loss, check ok, Mode $(json "$run/m.json" \
				'r["control"]["mode"]') negotiated"
		else
			fail "$what: client exit $rc"
		fi
		sp=$(grew a b session_packets) st=$(grew a b sessions_started)
		if [ "$sp" = 1000 ] && [ "$st" = 1 ]; then
			ok "$what: the reflector counted 1000 session packets, 1 session started"
		else
			fail "$what: the reflector counted $sp session packets, $st sessions started"
		fi
		# The client's Timeout is 2 s: give it that and 3 s more.
		if t=$(settle 5); then
			ok "$what: no session left in the data plane ($t after the client)"
		else
			fail "$what: $t"
		fi
	done
done

# 2a. Four sessions on one control connection, started and stopped together (Start-Sessions)
# and individually (RFC 5938 Start-N-Sessions / Stop-N-Sessions).
for variant in "mixed" "encrypted isc"; do
	set -- $variant
	mode=$1 isc=${2:-}
	snap a
	rc=0
	cli "$client" --control --mode $mode "${key[@]}" --sessions 4 ${isc:+--isc} -c 1000 -i 1ms \
		--check --json $R4 >"$run/s.json" || rc=$?
	snap b
	what="4 sessions, $mode${isc:+, individual session control}"
	if [ $rc = 0 ] && $py "$here/control_json.py" ok $mode 1000 4 $isc <"$run/s.json"; then
		ok "$what: 4 x 1000 packets, no loss"
	else
		fail "$what: client exit $rc"
	fi
	sp=$(grew a b session_packets) st=$(grew a b sessions_started)
	t=$(settle 5) || fail "$what: $t"
	sr=$(($(val settle sessions_removed) - $(val a sessions_removed)))
	if [ "$sp" = 4000 ] && [ "$st" = 4 ] && [ "$sr" = 4 ]; then
		ok "$what: the reflector started 4, counted 4000 packets, removed 4"
	else
		fail "$what: the reflector started $st, counted $sp packets, removed $sr"
	fi
done

# 2b. Three control connections at once, different modes and families.
snap a
runs=("unauthenticated $R4" "authenticated $R6" "encrypted $R4")
for i in 0 1 2; do
	set -- ${runs[$i]}
	start "par$i" "$run/par$i.json" "$client" --control --mode $1 "${key[@]}" -c 2000 -i 1ms \
		--check --json $2
done
# While they run the reflector must hold all three connections and sessions at the same time.
peak_c=0 peak_s=0
for _ in $(seq 60); do
	snap mid
	c=$(val mid connections) s=$(val mid sessions_in_data_plane)
	[ "$c" -gt $peak_c ] && peak_c=$c
	[ "$s" -gt $peak_s ] && peak_s=$s
	[ $peak_c = 3 ] && [ $peak_s = 3 ] && break
	sleep 0.05
done
if [ $peak_c = 3 ] && [ $peak_s = 3 ]; then
	ok "3 control connections at once: 3 connections, 3 sessions in the data plane"
else
	fail "3 control connections at once: seen at most $peak_c connections, $peak_s sessions"
fi
for i in 0 1 2; do
	set -- ${runs[$i]}
	rc=0
	bgwait "par$i" || rc=$?
	if [ $rc = 0 ] && $py "$here/control_json.py" ok $1 2000 1 <"$run/par$i.json"; then
		ok "parallel connection $((i + 1)) ($1 to $2): 2000 packets, no loss"
	else
		fail "parallel connection $((i + 1)) ($1 to $2): client exit $rc"
	fi
done
t=$(settle 5) || fail "after the parallel connections: $t"
sp=$(($(val settle session_packets) - $(val a session_packets)))
[ "$sp" = 6000 ] && ok "parallel connections: the reflector counted 6000 session packets" ||
	fail "parallel connections: the reflector counted $sp session packets, 6000 sent"

# 3. Refused authentication beside a legitimate session.
snap a
start legit "$run/legit.json" "$client" --control --mode encrypted "${key[@]}" -c 4000 -i 1ms \
	--check --json $R4
for _ in $(seq 60); do
	snap mid
	[ "$(val mid sessions_in_data_plane)" = 1 ] && break
	sleep 0.05
done
bad_ok=0
for i in 1 2 3; do
	rc=0
	cli "$client" --control --mode authenticated -k lab --passphrase not-the-secret -c 10 \
		--json $R4 >"$run/bad.json" 2>"$run/bad.err" || rc=$?
	if [ $rc = 2 ] && $py "$here/control_json.py" refused authenticated <"$run/bad.json" \
		>"$run/bad.out"; then
		bad_ok=$((bad_ok + 1))
	else
		fail "wrong passphrase, try $i: exit $rc (2 expected)"; cat "$run/bad.out" "$run/bad.err"
	fi
	rc=0
	cli "$client" --control --mode encrypted -k no-such-key --passphrase twamp-lab-secret -c 10 \
		--json $R6 >"$run/bad.json" 2>"$run/bad.err" || rc=$?
	if [ $rc = 2 ] && $py "$here/control_json.py" refused encrypted <"$run/bad.json" \
		>"$run/bad.out"; then
		bad_ok=$((bad_ok + 1))
	else
		fail "unknown KeyID, try $i: exit $rc (2 expected)"; cat "$run/bad.out" "$run/bad.err"
	fi
done
[ $bad_ok = 6 ] && ok "3 wrong passphrases and 3 unknown KeyIDs: exit 2, authentication refused"
snap mid
if kill -0 "$(cat "$run/legit.bgpid")" 2>/dev/null && [ "$(val mid sessions_in_data_plane)" = 1 ]
then
	ok "the legitimate session ran all along the refusals"
else
	fail "the legitimate session was not running during the refusals (test too slow?)"
fi
rc=0
bgwait legit || rc=$?
if [ $rc = 0 ] && $py "$here/control_json.py" ok encrypted 4000 1 <"$run/legit.json"; then
	ok "legitimate encrypted session beside the refusals: 4000 packets, no loss"
else
	fail "legitimate session beside the refusals: client exit $rc"
fi
settle 5 >/dev/null || true
snap b
d_tok=$(grew a b refused_token) d_unk=$(grew a b unknown_keyid) d_rk=$(grew a b refused_keyid)
d_auth=$(grew a b closed_auth) d_acc=$(grew a b connections_accepted)
d_sa=$(grew a b sessions_accepted)
if [ "$d_tok" = 3 ] && [ "$d_unk" = 3 ] && [ "$d_rk" = 3 ] && [ "$d_auth" = 6 ] &&
	[ "$d_acc" = 7 ] && [ "$d_sa" = 1 ]; then
	ok "reflector: refused_token +3, unknown_keyid +3, refused_keyid +3, closed_auth +6," \
		"7 connections, 1 session accepted"
else
	fail "reflector: refused_token +$d_tok, unknown_keyid +$d_unk, refused_keyid +$d_rk," \
		"closed_auth +$d_auth, connections +$d_acc, sessions accepted +$d_sa" \
		"(expected 3, 3, 3, 6, 7, 1)"
fi

# 4. Forged test packets. Simplest robust way to aim at a session: control_probe.py sniffs, in
# the client namespace, the first test packet the client sends (it is ready before the client
# starts), which gives the exact 5-tuple and a genuine 112-octet packet; it then sends 200 copies
# of it from that 5-tuple, each with one bit flipped in the HMAC or in the first block the HMAC
# covers (so each is certainly a bad HMAC, not another kind of drop), 2 ms apart, while the
# 3-second session runs. The reflector must drop exactly those 200 as bad HMAC and reflect
# exactly the client's 3000.
for mode in authenticated encrypted; do
	rm -f "$run/forge.json"
	start forge "$run/forge.json" $py "$here/control_probe.py" forge twr-c0 200
	if ! wait_line "$run/forge.json" ready 15; then
		fail "forged packets ($mode): the sniffer did not start"; cat "$run/forge.err"
		continue
	fi
	snap a
	start victim "$run/victim.json" "$client" --control --mode $mode "${key[@]}" -c 3000 -i 1ms \
		--check --json $R4
	rc=0
	bgwait forge || rc=$?
	vrc=0
	bgwait victim || vrc=$?
	snap b
	sent=$(lastjson "$run/forge.json" 'r.get("sent", 0)' || echo 0)
	if [ $rc = 0 ] && [ "$sent" = 200 ]; then
		ok "forged packets ($mode): $(lastjson "$run/forge.json" 'r["summary"]')"
	else
		fail "forged packets ($mode): probe exit $rc: $(tail -1 "$run/forge.json")"
		cat "$run/forge.err"
	fi
	bh=$(grew a b drop_bad_hmac) sp=$(grew a b session_packets) tx=$(grew a b tx_reflected)
	if [ "$bh" = "$sent" ] && [ "$sp" = $((3000 + sent)) ] && [ "$tx" = 3000 ]; then
		ok "forged packets ($mode): drop_bad_hmac +$bh, session packets +$sp, reflected +$tx"
	else
		fail "forged packets ($mode): drop_bad_hmac +$bh (expected $sent), session packets" \
			"+$sp (expected $((3000 + sent))), reflected +$tx (expected 3000)"
	fi
	if [ $vrc = 0 ] && $py "$here/control_json.py" ok $mode 3000 1 <"$run/victim.json"; then
		ok "forged packets ($mode): the session itself lost nothing, no bad HMAC reached it"
	else
		fail "forged packets ($mode): the session under attack: client exit $vrc"
	fi
	settle 5 >/dev/null || fail "forged packets ($mode): sessions left behind"
done

# 5. SIGKILL mid-session. The probe learns the session's 5-tuple from its first packet; the
# Timeout is 30 s, so a session gone within 5 s went because the connection closed.
rm -f "$run/learn.json"
start learn "$run/learn.json" $py "$here/control_probe.py" learn twr-c0
wait_line "$run/learn.json" ready 15 || fail "SIGKILL: the sniffer did not start"
snap a
start killme "$run/killme.out" "$client" --control --mode unauthenticated -c 60000 -i 1ms \
	--timeout 30s $R4
bgwait learn || fail "SIGKILL: no test packet seen: $(tail -1 "$run/learn.json")"
sport=$(lastjson "$run/learn.json" 'r["sport"]' || echo 0)
dport=$(lastjson "$run/learn.json" 'r["dport"]' || echo 0)
sleep 0.5
snap mid
if [ "$(val mid sessions_in_data_plane)" = 1 ] && [ "$(val mid connections)" = 1 ] &&
	[ "$(grew a mid session_packets)" -gt 100 ]; then
	ok "SIGKILL: session 198.18.0.2:$sport -> $R4:$dport running" \
		"($(grew a mid session_packets) packets)"
else
	fail "SIGKILL: session not running before the kill"
fi
kill -KILL "$(cat "$run/killme.bgpid")"
bgwait killme || true
if t=$(settle 5); then
	ok "SIGKILL: the session left the data plane $t after the kill"
else
	fail "SIGKILL: $t"
fi
snap b
cp=$(grew a b closed_peer) sr=$(grew a b sessions_removed)
[ "$cp" = 1 ] && [ "$sr" = 1 ] && ok "SIGKILL: closed_peer +1, sessions_removed +1" ||
	fail "SIGKILL: closed_peer +$cp, sessions_removed +$sr (1 and 1 expected)"
# The old 5-tuple is now UDP to a session port without its session: dropped in the worker and
# counted, never handed to the kernel (a flood at the test ports must not reach it).
snap a
rc=0
cli $py "$here/control_probe.py" stale 198.18.0.2 "$sport" $R4 "$dport" 20 \
	>"$run/stale.json" || rc=$?
sleep 0.2
snap b
sp=$(grew a b session_packets) ex=$(grew a b exception_not_test) tx=$(grew a b tx_reflected)
ns=$(grew a b drop_no_session)
ans=$(json "$run/stale.json" 'r["answered"]' || echo '?')
ref=$(json "$run/stale.json" 'r["refused"]' || echo 0)
if [ $rc = 0 ] && [ "$sp" = 0 ] && [ "$tx" = 0 ] && [ "$ns" -ge 20 ] && [ "$ex" = 0 ] &&
	[ "$ans" = 0 ] && [ "$ref" = 0 ]; then
	ok "SIGKILL: 20 packets to the old test port: drop_no_session +$ns, none reflected," \
		"none to the kernel"
else
	fail "SIGKILL: old test port: session packets +$sp, drop_no_session +$ns," \
		"exception_not_test +$ex, reflected +$tx, answered $ans, ICMP $ref" \
		"(expected 0, >= 20, 0, 0, 0, 0)"
fi

# 5a. RFC 7717 mode 128: the shared secret is PRF(SK_d, "IPPM") of an IKE SA named by its SPIs in
# the Key ID; both sides use the static key provider over config/lab-ike.keys (one SA per PRF).
keys=$top/config/lab-ike.keys
for m in authenticated:130 encrypted:132 mixed:136; do
	name=${m%%:*}
	if cli "$client" --control --mode "$name" --ike-static "$keys" -c 500 -i 1ms --check --json \
		198.18.0.1 >"$run/ike.json" 2>"$run/ike.err" &&
		$py -c 'import json, sys
r = json.load(open(sys.argv[1]))
ok = r["control"]["mode"] == int(sys.argv[2]) and r["received"] == 500 and r["check"]["ok"]
sys.exit(0 if ok else 1)' "$run/ike.json" "${m##*:}"; then
		ok "mode ${m##*:} ($name, IKEv2-derived key): 500 packets, no loss, check ok"
	else
		fail "mode ${m##*:} ($name, IKEv2-derived key): $(head -c 300 "$run/ike.err")"
	fi
done
for sa in 1111111111111111:2222222222222222:HMAC-SHA1 3333333333333333:4444444444444444:AES-XCBC \
	5555555555555555:6666666666666666:AES-CMAC 7777777777777777:8888888888888888:HMAC-SHA2-512; do
	if cli "$client" --control --mode encrypted --ike-static "$keys" --ike-spis "${sa%:*}" \
		-c 200 -i 1ms --check 2001:db8::1 >"$run/ike.txt" 2>&1; then
		ok "mode 132 over IPv6 with the ${sa##*:} PRF: both sides derived the same key"
	else
		fail "mode 132 with the ${sa##*:} PRF: $(grep -E 'check|twamp-client:' "$run/ike.txt")"
	fi
done
printf 'aaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbb prfsha256 00112233\n' >"$run/unknown.keys"
chmod 600 "$run/unknown.keys"
snap ike0
rc=0
cli "$client" --control --mode encrypted --ike-static "$run/unknown.keys" -c 10 -i 1ms \
	198.18.0.1 >"$run/ike.txt" 2>&1 || rc=$?
snap ike1
if [ "$rc" = 2 ] && grep -q "Accept 6" "$run/ike.txt" && [ "$(grew ike0 ike1 unknown_ike_sa)" = 1 ] &&
	[ "$(grew ike0 ike1 refused_no_sa)" = 1 ] &&
	grep -q "no IKE SA with SPIi aaaaaaaaaaaaaaaa SPIr bbbbbbbbbbbbbbbb" "$TWR_LAB_RUN/reflector.log"; then
	ok "unknown IKE SA: Server-Start Accept 6, logged and counted by the reflector, client exit 2"
else
	fail "unknown IKE SA: exit $rc, $(cat "$run/ike.txt")"
fi

# 6a. RFC 6038 in every security mode, standard and symmetrical formats: the client's --check
# verifies that the 16 octets it asked for come back at the start of the answer's padding, with
# padding shorter than the answer's fixed part (the answer must grow) and longer.
for m in unauthenticated authenticated encrypted mixed; do
	for sym in "" --symmetrical; do
		for pad in 60 200; do
			what="RFC 6038 reflect octets, $m${sym:+, symmetrical}, padding $pad"
			if cli "$client" --control --mode "$m" -k lab --passphrase twamp-lab-secret \
				--reflect-octets 16 $sym -s "$pad" -c 100 -i 1ms --check 198.18.0.1 \
				>"$TWR_LAB_RUN/r6038.txt" 2>&1; then
				ok "$what"
			else
				fail "$what: $(grep -E '^check|twamp-client:' "$TWR_LAB_RUN/r6038.txt" | head -2)"
			fi
		done
	done
done

# 6. tshark on an unauthenticated exchange, IPv4 then IPv6, captured on the client's interface.
# tshark says "Capturing on" before its filter is in place: be sure with a sentinel datagram to
# the discard port (exception path), which tshark_twamp.py leaves out of its checks.
start tshark /dev/null tshark -n -q -i twr-c0 -w "$run/cap.pcapng" \
	-f "tcp port 862 or udp portrange 20100-20199 or udp dst port 9"
capturing=false
if wait_line "$run/tshark.err" "Capturing on" 15; then
	for _ in $(seq 50); do
		cli bash -c "echo sentinel >/dev/udp/$R4/9"
		tshark -r "$run/cap.pcapng" -Y "udp.dstport == 9" 2>/dev/null | grep -q . &&
			{ capturing=true; break; }
		sleep 0.1
	done
fi
if $capturing; then
	for dst in $R4 $R6; do
		cli "$client" --control --mode unauthenticated -c 100 -i 1ms --check --json $dst \
			>"$run/ts$dst.json" || fail "tshark run to $dst: client exit $?"
	done
	sleep 0.5
	kill -TERM "$(cat "$run/tshark.bgpid")"
	bgwait tshark || true
	for dst in $R4 $R6; do
		if $py "$here/tshark_twamp.py" "$run/cap.pcapng" $dst <"$run/ts$dst.json"; then
			ok "tshark decodes the unauthenticated exchange with $dst: no malformed packet," \
				"every message and test packet as expected"
		else
			fail "tshark on the exchange with $dst"
		fi
	done
else
	fail "tshark did not start capturing: $(cat "$run/tshark.err")"
fi

# 7. The ike-daemon provider when the daemon fails. Lab restarted on a copy of the lab config
# whose mode-128 keys come from an IKE daemon socket (control.ike_socket, 1 s timeout).
"$lab" down >/dev/null
sock=$run/ippm.sock
sed -e '/ike_static_keys:/d' "$top/config/lab.yaml" >"$run/lab-daemon.yaml"
printf '  ike_socket: %s\n  ike_timeout_ms: 1000\n' "$sock" >>"$run/lab-daemon.yaml"
"$lab" up "$run/lab-daemon.yaml"
# The SA the stand-in knows; the client names it with a static file holding the same key, so
# that the reflector's provider is the only thing under test.
echo "0102030405060708 1112131415161718 prfsha256 $(printf '%064d' 0)" >"$run/fake.keys"
chmod 600 "$run/fake.keys"
fake() { # MODE: (re)start the stand-in daemon
	[ -f "$run/fake.pid" ] && { kill "$(cat "$run/fake.pid")" 2>/dev/null || true; sleep 0.2; }
	$py "$here/fake_ippm.py" "$sock" "$1" >"$run/fake.out" 2>&1 &
	echo $! >"$run/fake.pid"
	echo $! >"$run/fake.bgpid"
	wait_line "$run/fake.out" ready 5
}
# try NAME WANT_SECONDS: one mode-130 attempt through the client's own daemon connection
try130() {
	local t0 rc=0
	t0=$(date +%s%N)
	timeout 20 "$lab" exec "$client" --control --mode authenticated --ike-socket "$sock" \
		-c 200 -i 1ms --check $R4 >"$run/fk.txt" 2>&1 || rc=$?
	echo "$rc $(( ($(date +%s%N) - t0) / 1000000 ))"
}
fake ok
read -r rc ms < <(try130)
if [ "$rc" = 0 ] && grep -q "check: ok" "$run/fk.txt" && grep -q "ike-daemon provider" "$run/fk.txt"; then
	ok "ike-daemon provider (stand-in daemon): mode 130, 200 packets, check ok"
else
	fail "ike-daemon provider, daemon up: exit $rc: $(tail -3 "$run/fk.txt")"
fi
for what in down hang garbage; do
	snap fk0
	case $what in
	down) kill "$(cat "$run/fake.pid")"; rm -f "$sock" "$run/fake.pid"; sleep 0.2 ;;
	*) fake $what ;;
	esac
	rc=0
	t0=$(date +%s%N)
	timeout 20 "$lab" exec "$client" --control --mode encrypted --ike-static "$run/fake.keys" \
		-c 10 $R4 >"$run/fk.txt" 2>&1 || rc=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	snap fk1
	case $what in
	down) counter=ike_unreachable; logline="IKE daemon unreachable" ;;
	hang) counter=ike_timeouts; logline="IKE daemon did not answer in time" ;;
	garbage) counter=ike_errors; logline="malformed answer from the IKE daemon" ;;
	esac
	if [ "$rc" = 2 ] && grep -q "Accept 2" "$run/fk.txt" && [ "$ms" -lt 5000 ] &&
		[ "$(grew fk0 fk1 $counter)" = 1 ] && [ "$(grew fk0 fk1 ike_failed)" = 1 ] &&
		"$lab" log | grep -q "$logline (Accept 2)"; then
		ok "IKE daemon $what: Server-Start Accept 2 after $ms ms, $counter counted, logged"
	else
		fail "IKE daemon $what: exit $rc after $ms ms, $counter +$(grew fk0 fk1 $counter):" \
			"$(tail -2 "$run/fk.txt")"
	fi
done
# The client's own daemon gone: a clear message, exit 1, no hang.
rc=0
timeout 20 "$lab" exec "$client" --control --mode authenticated --ike-socket "$run/none.sock" \
	-c 10 $R4 >"$run/fk.txt" 2>&1 || rc=$?
if [ "$rc" = 1 ] && grep -q "IKE daemon at $run/none.sock: unreachable" "$run/fk.txt"; then
	ok "client without its IKE daemon: exit 1, \"$(grep -o 'unreachable[^:]*' "$run/fk.txt")\""
else
	fail "client without its IKE daemon: exit $rc: $(cat "$run/fk.txt")"
fi
# Back: no restart needed; and the data plane reflected throughout.
fake ok
read -r rc ms < <(try130)
if [ "$rc" = 0 ] && grep -q "check: ok" "$run/fk.txt" && "$lab" log | grep -q "reachable again"; then
	ok "IKE daemon back: mode 130 works again without restarting the reflector"
else
	fail "IKE daemon back: exit $rc: $(tail -3 "$run/fk.txt")"
fi
kill "$(cat "$run/fake.pid")" 2>/dev/null || true
if cli "$client" -c 200 -i 1ms --check $R4 >"$run/fk.txt" 2>&1; then
	ok "TWAMP Light unaffected by the IKE daemon's failures"
else
	fail "TWAMP Light after the IKE daemon faults: $(tail -2 "$run/fk.txt")"
fi

echo "e2e_control: $fails failure(s)"
exit $((fails > 0))
