#!/usr/bin/env bash
# Smoke test for the ippm charon plugin: two network namespaces joined by a veth pair
# (198.18.1.1/24 <-> 198.18.1.2/24), one Debian charon in each (tools/strongswan/charon-ns), PSK
# auth, IKE-only SAs (no CHILD_SA). Only SHA-256 fingerprints of the derived secret are printed.
#  1. one SA: both plugins answer by SPIs (8+8 and 4+4) and by peer address with the same secret;
#     unknown SPIs give "no such SA"; malformed requests give "error" and close the connection.
#  2. a second SA to the same peer (other connection, other PRF): "by peer" answers the newer
#     one; 4+4 prefixes are then ambiguous (both charons set charon.spi_label/spi_mask so every
#     SPI they make starts with the same 4 octets): status 2, connection kept; 8+8 still works.
#  3. the first SA terminated and initiated again: now it is the newest, "by peer" answers it.
#  4. IKE_SA rekey started by the responder: "by peer" answers the new SPIs, the old ones are gone.
#  5. charon stops within 3 s while a client keeps an ippm connection open.
# VERIFY=1: side a's charon also logs SK_d (ike = 4) in a throwaway log in the test directory, and
# ippm_verify.py recomputes the secret of each SA of steps 1-3 from it.
#
#   tools/strongswan/smoke_test.sh [PLUGIN_SO]
# Needs root, strongswan-charon + strongswan-swanctl, python3-cryptography (VERIFY), and
# build.sh's output. KEEP=1 keeps the test directory. Last line PASS/FAIL, exit 0/1.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
export IPPM_SO=${1:-${IPPM_SO:-${IPPM_CACHE:-/var/cache/twamp-reflector/strongswan}/libstrongswan-ippm.so}}
[ -f "$IPPM_SO" ] || { echo "missing $IPPM_SO (run build.sh)" >&2; exit 2; }
cns=$here/charon-ns
q=$here/ippm_query.py
W=$(mktemp -d /tmp/ippm-smoke.XXXXXX)
NS_A=ippm-smk-a NS_B=ippm-smk-b
A=198.18.1.1 B=198.18.1.2
fails=0

cleanup() {
	"$cns" stop "$W/a" 2>/dev/null || true
	"$cns" stop "$W/b" 2>/dev/null || true
	ip netns del $NS_A 2>/dev/null || true
	ip netns del $NS_B 2>/dev/null || true
	if [ -n "${KEEP:-}" ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT INT TERM

ok() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; fails=$((fails + 1)); }

ip netns add $NS_A
ip netns add $NS_B
ip link add ippm-smk-va netns $NS_A type veth peer name ippm-smk-vb netns $NS_B
ip -n $NS_A addr add $A/24 dev ippm-smk-va
ip -n $NS_B addr add $B/24 dev ippm-smk-vb
for n in $NS_A $NS_B; do ip -n $n link set lo up; done
ip -n $NS_A link set ippm-smk-va up
ip -n $NS_B link set ippm-smk-vb up

# conf SIDE LOCAL REMOTE: two connections, "first" (HMAC-SHA2-256) and "second" (HMAC-SHA2-512),
# each with its own PSK identities so that the responder picks the same name.
conf() {
	local d=$W/$1 c prf
	mkdir -p "$d"
	{
		echo "connections {"
		for c in first:prfsha256 second:prfsha512; do
			prf=${c#*:} c=${c%:*}
			cat <<EOC
	$c {
		version = 2
		local_addrs = $2
		remote_addrs = $3
		proposals = aes128-sha256-$prf-modp2048
		local { auth = psk
			id = $1-$c@ippm.test }
		remote { auth = psk
			id = $4-$c@ippm.test }
	}
EOC
		done
		echo "}"
		echo "secrets {"
		for c in first second; do
			echo "	ike-$c { id-a = a-$c@ippm.test"
			echo "		id-b = b-$c@ippm.test"
			echo "		secret = \"ippm-smoke-test-psk-$c-not-secret\" }"
		done
		echo "}"
	} >"$d/swanctl.conf"
}
conf a $A $B b
conf b $B $A a

CHARON_NS_KEYLOG=${VERIFY:+$W/a/keys.log} \
CHARON_NS_EXTRA="spi_mask = 0xffffffff00000000
	spi_label = 0xa1a2a3a400000000" "$cns" start smoke-a $NS_A "$W/a" $A
CHARON_NS_EXTRA="spi_mask = 0xffffffff00000000
	spi_label = 0xb1b2b3b400000000" "$cns" start smoke-b $NS_B "$W/b" $B
for s in a b; do "$cns" swanctl "$W/$s" --load-all >/dev/null; done
grep -h 'ippm:' "$W/a/charon.log" "$W/b/charon.log" || true

# sa SIDE NAME FIELD: a field of SA NAME's --list-sas --raw line (uniqueid, initiator-spi, ...)
sa() {
	"$cns" swanctl "$W/$1" --list-sas --ike "$2" --raw |
		sed -n "s/.*[{ ]$3=\([^ }]*\).*/\1/p" | head -1
}
# fp ARGS: ippm_query.py's fingerprint line, or the status line
fp() { "$q" "$@" | sed -n 's/^key_sha256: //p; s/^status: \([^o].*\)/\1/p'; }
# verify NAME PRF FP: VERIFY=1 only
verify() {
	[ -n "${VERIFY:-}" ] || return 0
	if /usr/bin/python3 "$here/ippm_verify.py" "$W/a/keys.log" "$(sa a "$1" uniqueid)" "$2" "$3"
	then ok "VERIFY $1 ($2): independent recomputation from charon's SK_d matches"
	else fail "VERIFY $1 ($2)"
	fi
}

# 1. One SA
"$cns" swanctl "$W/a" --initiate --ike first --timeout 20 >/dev/null
si=$(sa a first initiator-spi) sr=$(sa a first responder-spi)
echo "IKE SA first: SPIi=$si SPIr=$sr"
fa=$(fp -s "$W/a/ippm.sock" spi "$si" "$sr") fb=$(fp -s "$W/b/ippm.sock" spi "$si" "$sr")
[ ${#fa} = 64 ] && [ "$fa" = "$fb" ] && ok "by SPIs 8+8: both sides $fa" ||
	fail "by SPIs 8+8: a '$fa', b '$fb'"
f4a=$(fp -s "$W/a/ippm.sock" spi "${si:0:8}" "${sr:0:8}")
f4b=$(fp -s "$W/b/ippm.sock" spi "${si:0:8}" "${sr:0:8}")
[ "$f4a" = "$fa" ] && [ "$f4b" = "$fa" ] && ok "by SPIs 4+4 (${si:0:8} ${sr:0:8}): same secret" ||
	fail "by SPIs 4+4: a '$f4a', b '$f4b'"
pa=$("$q" -s "$W/a/ippm.sock" peer $B) pb=$("$q" -s "$W/b/ippm.sock" peer $A)
if echo "$pa" | grep -qx "spi_i: $si" && echo "$pb" | grep -qx "spi_r: $sr" &&
	echo "$pa" | grep -qx "key_sha256: $fa" && echo "$pb" | grep -q "^prf: 5 "; then
	ok "by peer: both sides name the SA and return its secret, PRF 5"
else
	fail "by peer: $pa / $pb"
fi
[ "$(fp -s "$W/b/ippm.sock" spi 0102030405060708 0807060504030201)" = "no such SA" ] &&
	[ "$(fp -s "$W/b/ippm.sock" spi a1a2a3a4 0807060c)" = "no such SA" ] &&
	[ "$(fp -s "$W/b/ippm.sock" peer 198.18.1.9)" = "no such SA" ] &&
	ok "unknown SPIs (8+8, 4+4) and unknown peer: no such SA" || fail "unknown SA"
if /usr/bin/python3 - "$W/b/ippm.sock" "$si$sr" <<'EOP'; then
import socket, sys
def conn():
    s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1]); return s
spis = bytes.fromhex(sys.argv[2])
for bad in (bytes([9, 1, 8]) + bytes(16), bytes([1, 1, 5]) + bytes(10), bytes([1, 3, 8])):
    s = conn(); s.sendall(bad); r = s.recv(64)
    assert r == bytes([1, 2, 0, 0, 0]), r
    try:  # closed; with unread request octets left behind the close is a reset
        assert s.recv(64) == b"", "connection not closed"
    except ConnectionResetError:
        pass
s = conn()
for req in (bytes([1, 1, 8]) + spis, bytes([1, 1, 4]) + spis[:4] + spis[8:12]) * 2:
    s.sendall(req); r = s.recv(64)
    assert r[:2] == bytes([1, 0]) and len(r) == 5 + r[4], r[:5]
EOP
	ok "malformed requests: status 2, connection closed; 8+8 and 4+4 requests on one connection"
else
	fail "malformed / several requests on one connection"
fi
verify first prfsha256 "$fa"

# 2. A second SA with the same peer
"$cns" swanctl "$W/a" --initiate --ike second --timeout 20 >/dev/null
si2=$(sa a second initiator-spi) sr2=$(sa a second responder-spi)
f2=$(fp -s "$W/a/ippm.sock" spi "$si2" "$sr2")
pa=$("$q" -s "$W/a/ippm.sock" peer $B) pb=$("$q" -s "$W/b/ippm.sock" peer $A)
if echo "$pa" | grep -qx "spi_i: $si2" && echo "$pb" | grep -qx "spi_i: $si2" &&
	echo "$pb" | grep -qx "key_sha256: $f2" && echo "$pa" | grep -q "^prf: 7 "; then
	ok "two SAs with the peer: by peer answers the newer (second, PRF 7) on both sides"
else
	fail "two SAs with the peer: $pa / $pb"
fi
rc=0
"$q" -s "$W/b/ippm.sock" spi "${si:0:8}" "${sr:0:8}" >/dev/null || rc=$?
[ $rc = 2 ] && grep -q "match more than one IKE_SA" "$W/b/charon.log" &&
	ok "4+4 prefixes ${si:0:8} ${sr:0:8} match both SAs: status 2 (ambiguous), logged" ||
	fail "4+4 with two matching SAs: exit $rc"
if /usr/bin/python3 - "$W/a/ippm.sock" "$si$sr" <<'EOP'; then
import socket, sys
spis = bytes.fromhex(sys.argv[2])
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
s.sendall(bytes([1, 1, 4]) + spis[:4] + spis[8:12]); assert s.recv(64) == bytes([1, 2, 0, 0, 0])
s.sendall(bytes([1, 1, 8]) + spis); r = s.recv(64); assert r[:2] == bytes([1, 0]), r[:5]
EOP
	ok "after an ambiguous answer the connection stays open; 8+8 still answers"
else
	fail "connection after an ambiguous answer"
fi
verify second prfsha512 "$f2"

# 3. The first SA again: now the newest
"$cns" swanctl "$W/a" --terminate --ike first --timeout 20 >/dev/null
"$cns" swanctl "$W/a" --initiate --ike first --timeout 20 >/dev/null
si3=$(sa a first initiator-spi) sr3=$(sa a first responder-spi)
f3=$(fp -s "$W/b/ippm.sock" spi "$si3" "$sr3")
pa=$("$q" -s "$W/a/ippm.sock" peer $B)
if echo "$pa" | grep -qx "spi_i: $si3" && echo "$pa" | grep -qx "key_sha256: $f3" &&
	[ "$si3" != "$si" ] && [ "$f3" != "$fa" ]; then
	ok "first re-initiated (SPIi $si3): by peer answers it, a new secret"
else
	fail "first re-initiated: $pa"
fi
[ "$(fp -s "$W/a/ippm.sock" spi "$si" "$sr")" = "no such SA" ] &&
	ok "the terminated SA's SPIs: no such SA" || fail "terminated SA still answered"
verify first prfsha256 "$f3"

# 4. IKE_SA rekey started by b (the responder)
"$cns" swanctl "$W/b" --rekey --ike first >/dev/null
for _ in $(seq 50); do
	si4=$(sa a first initiator-spi)
	[ -n "$si4" ] && [ "$si4" != "$si3" ] && break
	sleep 0.1
done
sr4=$(sa a first responder-spi)
fa4=$(fp -s "$W/a/ippm.sock" spi "$si4" "$sr4") fb4=$(fp -s "$W/b/ippm.sock" spi "$si4" "$sr4")
pa=$("$q" -s "$W/a/ippm.sock" peer $B)
if [ "$si4" != "$si3" ] && [ "${si4:0:8}" = b1b2b3b4 ] && [ ${#fa4} = 64 ] &&
	[ "$fa4" = "$fb4" ] && [ "$fa4" != "$f3" ] && echo "$pa" | grep -qx "spi_i: $si4"; then
	ok "rekeyed by b: new SPIs $si4 $sr4 (b's SPI now SPIi), same new secret on both sides," \
		"by peer answers the new SA"
else
	fail "rekey: SPIs $si4 $sr4, a '$fa4', b '$fb4', by peer $pa"
fi
[ "$(fp -s "$W/b/ippm.sock" spi "$si3" "$sr3")" = "no such SA" ] &&
	ok "the rekeyed SA's old SPIs: no such SA" || fail "old SPIs still answered after the rekey"

# 5. charon stops promptly while a client keeps a connection open (as the reflector does)
/usr/bin/python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(bytes([1, 2, 4]) + bytes([198, 18, 1, 1])); s.recv(64)
print("connected", flush=True); time.sleep(30)' "$W/b/ippm.sock" >"$W/hold.out" 2>&1 &
hold=$!
for _ in $(seq 50); do grep -q connected "$W/hold.out" && break; sleep 0.1; done
t0=$(date +%s%N)
"$cns" stop "$W/b" 2>"$W/stop.err"
t=$(( ($(date +%s%N) - t0) / 1000000 ))
kill $hold 2>/dev/null || true
wait $hold 2>/dev/null || true
if grep -q connected "$W/hold.out" && [ $t -lt 3000 ] && ! grep -q "did not stop" "$W/stop.err"; then
	ok "charon b stopped in $t ms while a client held an ippm connection open"
else
	fail "charon b with an open ippm connection: stop took $t ms: $(cat "$W/stop.err")"
fi

if [ $fails = 0 ]; then
	echo "PASS: ippm smoke test${VERIFY:+ (with VERIFY)}"
else
	echo "FAIL: $fails check(s) (KEEP=1 keeps the logs)"
fi
exit $((fails > 0))
