#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End to end, RFC 7717 with a real IKE daemon: the O/TWAMP shared secret is PRF(SK_d, "IPPM") of
# an IKEv2 SA negotiated by strongSwan's charon, served by the ippm plugin (tools/strongswan) to
# the reflector (control.ike_socket) and to twamp-client (--ike-socket).
#  0. The plugin is built (tools/strongswan/build.sh); if it cannot be, the test FAILS.
#  1. The lab (tools/lab) with config/lab.yaml less its static IKE SAs, plus control.ike_socket
#     (charon B's socket) and ike_timeout_ms 2000. Charon B runs in twr-refl on 198.18.0.1, so
#     its IKE packets go through the reflector's exception path (TAP twr0); charon A runs in
#     twr-client on 198.18.0.2 (tools/strongswan/charon-ns for both).
#  2. One IKE-only SA per IKEv2 PRF (HMAC-SHA1, HMAC-SHA2-256/384/512, AES-XCBC, AES-CMAC; PSK)
#     one with certificates (a small CA made with pki, ECDSA) and one over IPv6 (2001:db8::1
#     <-> 2001:db8::2, the reflector's IPv6 exception path): both daemons give the same
#     secret for the SA's SPIs (8+8 and 4+4) and by peer address, with the negotiated PRF's ID;
#     ippm_verify.py recomputes it from the SK_d charon A logs at ike = 4 (a throwaway log in
#     the test's directory). Then TWAMP: mode 130 and mode 132, 1,000 packets each, no loss,
#     --check ok, and the client's JSON names the SA's SPIs and PRF. One SA at a time.
#  3. A made-up SA (--ike-static): Accept 6, exit 2, logged and counted (refused_no_sa).
#  4. IKE_SA rekey by charon B in the middle of a 5,000-packet session: the session loses
#     nothing; the next control connection uses the new SA's SPIs.
#  5. Charon B killed (SIGKILL, as a crash: charon A still holds the SA): the client is refused
#     quickly, the reflector keeps reflecting (TWAMP Light) and logs the daemon unreachable;
#     charon B restarted and the SA initiated again (by B): mode 130 works again, same reflector
#     process. Charon B stopped cleanly (it deletes its SAs, A learns it): the client finds no
#     SA. Charon A stopped: the client says its IKE daemon is unreachable and exits non-zero.
#  6. The draft's 4 + 4 Key ID layout end to end: the lab again with control.ike_spi_layout
#     "4+4", both charons again, one SA: twamp-client --spi-layout 4+4 sends the first four
#     octets of each SPI, the reflector's daemon finds the SA by them; mode 132, no loss.
# usage: e2e_ike.sh BUILD_DIR      (KEEP=1 keeps the test directory: logs, JSON reports)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
TWR_BUILD=$(cd "$1" && pwd)
TWR_LAB_RUN=$(mktemp -d /tmp/twr-e2e-ike.XXXXXX)
export TWR_BUILD TWR_LAB_RUN
run=$TWR_LAB_RUN
client=$TWR_BUILD/app/twamp-client
lab=$top/tools/lab
ss=$top/tools/strongswan
cns=$ss/charon-ns
py=/usr/bin/python3
A=$run/A # charon A (client side) directory; its ippm socket is $A/ippm.sock
B=$run/B # charon B (reflector side)
R4=198.18.0.1
C4=198.18.0.2
R6=2001:db8::1
C6=2001:db8::2
fails=0

[ "$(id -u)" = 0 ] || { echo "e2e: FAIL: needs root (namespaces, DPDK)"; exit 1; }
cleanup() {
	bgkill_all
	"$cns" stop "$A" 2>/dev/null || true
	"$cns" stop "$B" 2>/dev/null || true
	"$lab" down >/dev/null 2>&1 || true
	if [ -n "${KEEP:-}" ]; then echo "kept $run"; else rm -rf "$run"; fi
}
trap cleanup EXIT

. "$here/lib.sh"

# --- 0. The plugin, and what the test itself needs ---------------------------------------------
for f in /usr/lib/ipsec/charon /usr/sbin/swanctl /usr/bin/pki \
	/usr/lib/ipsec/plugins/libstrongswan-cmac.so /usr/lib/ipsec/plugins/libstrongswan-xcbc.so; do
	[ -e "$f" ] || { echo "FAIL - $f missing (tools/install-deps)"; exit 1; }
done
$py -c 'import cryptography' 2>/dev/null ||
	{ echo "FAIL - python3-cryptography missing (tools/install-deps)"; exit 1; }
t0=$(date +%s%N)
if ! "$ss/build.sh" >"$run/build.out" 2>"$run/build.err"; then
	echo "FAIL - the ippm plugin does not build (tools/strongswan/build.sh):"
	tail -20 "$run/build.err"
	exit 1
fi
IPPM_SO=$(tail -1 "$run/build.out")
export IPPM_SO
ok "ippm plugin built in $(ms_since "$t0") ms: $IPPM_SO"

# --- 1. The lab, the reflector asking charon B -------------------------------------------------
if ip netns list | grep -qw -e twr-refl -e twr-client; then
	echo "FAIL - the lab's namespaces exist: the lab is in use (tools/lab down if it is stale)"
	exit 1
fi
$py - "$top/config/lab.yaml" "$run/lab.yaml" "$B/ippm.sock" <<'EOP'
import sys
out = []
for line in open(sys.argv[1]):
    if line.strip().startswith("ike_static_keys:"):
        continue
    out.append(line)
    if line.rstrip() == "control:":
        out.append("  ike_socket: %s\n  ike_timeout_ms: 2000\n" % sys.argv[3])
open(sys.argv[2], "w").write("".join(out))
EOP
grep -q "^  ike_socket: $B/ippm.sock" "$run/lab.yaml" || { echo "FAIL - no control: in lab.yaml"; exit 1; }
"$lab" up "$run/lab.yaml"
refl_pid=$(cat "$run/reflector.pid")
grep -q "IKE daemon at $B/ippm.sock" "$run/reflector.log" &&
	ok "reflector: key provider ike-daemon at $B/ippm.sock" ||
	fail "reflector log does not name the IKE daemon: $(grep -i ike "$run/reflector.log")"

# Certificates for the pubkey connection: a CA and one ECDSA P-256 key + certificate per side.
# pki with its own plugin list (Debian's default list tries a TPM plugin and complains).
mkdir -p "$A" "$B"
printf 'pki {\n\tload = random openssl pem pkcs1 pkcs8 x509 pubkey\n}\n' >"$run/pki.conf"
pki() { STRONGSWAN_CONF=$run/pki.conf command pki "$@"; }
pki --gen --type ecdsa --size 256 --outform pem >"$run/ca.key"
pki --self --ca --lifetime 2 --in "$run/ca.key" --type ecdsa --outform pem \
	--dn "C=ZZ, O=twamp-reflector e2e, CN=e2e test CA" >"$run/ca.crt"
for s in A:client B:refl; do
	d=${s%%:*} n=${s#*:}
	d=$run/$d
	mkdir -p "$d/x509ca" "$d/x509" "$d/ecdsa"
	pki --gen --type ecdsa --size 256 --outform pem >"$d/ecdsa/$n.key"
	pki --pub --in "$d/ecdsa/$n.key" --type ecdsa |
		pki --issue --cacert "$run/ca.crt" --cakey "$run/ca.key" --lifetime 2 --outform pem \
			--dn "C=ZZ, O=twamp-reflector e2e, CN=$n.e2e.test" --san "$n.e2e.test" \
			>"$d/x509/$n.crt"
	cp "$run/ca.crt" "$d/x509ca/ca.crt"
done
ok "pki: CA and two ECDSA certificates (client.e2e.test, refl.e2e.test)"

# One connection per PRF, PSK with its own identities (so that both sides name the SA alike),
# ike-cert with certificates, ike-v6 over IPv6. NAME:PROPOSAL:PRF-ID:charon's PRF name
sas=(
	"ike-sha1:aes128-sha1-prfsha1-modp2048:2:PRF_HMAC_SHA1"
	"ike-sha256:aes128-sha256-prfsha256-modp2048:5:PRF_HMAC_SHA2_256"
	"ike-sha384:aes256-sha384-prfsha384-modp2048:6:PRF_HMAC_SHA2_384"
	"ike-sha512:aes256-sha512-prfsha512-modp2048:7:PRF_HMAC_SHA2_512"
	"ike-xcbc:aes128-aesxcbc-prfaesxcbc-modp2048:4:PRF_AES128_XCBC"
	"ike-cmac:aes128-aescmac-prfaescmac-modp2048:8:PRF_AES128_CMAC"
	"ike-cert:aes128-sha256-prfsha256-ecp256:5:PRF_HMAC_SHA2_256"
	"ike-v6:aes128-sha256-prfsha256-modp2048:5:PRF_HMAC_SHA2_256"
)
# addresses NAME SIDE: local and remote address of connection NAME on side A or B
addresses() {
	case $1:$2 in
	ike-v6:A) echo "$C6 $R6" ;;
	ike-v6:B) echo "$R6 $C6" ;;
	*:A) echo "$C4 $R4" ;;
	*:B) echo "$R4 $C4" ;;
	esac
}
swconf() { # SIDE ME PEER
	local e name prop la ra
	echo "connections {"
	for e in "${sas[@]}"; do
		IFS=: read -r name prop _ _ <<<"$e"
		read -r la ra <<<"$(addresses "$name" "$1")"
		echo "	$name {"
		echo "		version = 2"
		echo "		local_addrs = $la"
		echo "		remote_addrs = $ra"
		echo "		proposals = $prop"
		# strongswan.conf syntax: one setting a line
		if [ "$name" = ike-cert ]; then
			printf '\t\tlocal {\n\t\t\tauth = pubkey\n\t\t\tcerts = %s.crt\n' "$2"
			printf '\t\t\tid = %s.e2e.test\n\t\t}\n' "$2"
			printf '\t\tremote {\n\t\t\tauth = pubkey\n\t\t\tcacerts = ca.crt\n'
			printf '\t\t\tid = %s.e2e.test\n\t\t}\n' "$3"
		else
			printf '\t\tlocal {\n\t\t\tauth = psk\n\t\t\tid = %s-%s@e2e.test\n\t\t}\n' "$2" "$name"
			printf '\t\tremote {\n\t\t\tauth = psk\n\t\t\tid = %s-%s@e2e.test\n\t\t}\n' "$3" "$name"
		fi
		echo "	}"
	done
	echo "}"
	echo "secrets {"
	for e in "${sas[@]}"; do
		name=${e%%:*}
		[ "$name" = ike-cert ] && continue
		printf '\tike-%s {\n\t\tid-a = client-%s@e2e.test\n\t\tid-b = refl-%s@e2e.test\n' \
			"$name" "$name" "$name"
		printf '\t\tsecret = "e2e-%s-psk-not-secret"\n\t}\n' "$name"
	done
	echo "}"
}
swconf A client refl >"$A/swanctl.conf"
swconf B refl client >"$B/swanctl.conf"

# Charon A logs SK_d at ike = 4 in $A/keys.log: a throwaway log, for the independent check only.
t0=$(date +%s%N)
CHARON_NS_LOG="default = 1" "$cns" start refl twr-refl "$B" $R4
CHARON_NS_KEYLOG=$A/keys.log "$cns" start client twr-client "$A" $C4
for d in "$A" "$B"; do
	"$cns" swanctl "$d" --load-all >"$run/load.out" 2>&1 ||
		{ cat "$run/load.out"; echo "FAIL - swanctl --load-all for $d"; exit 1; }
done
ok "charon B (twr-refl, $R4) and charon A (twr-client, $C4) up, ${#sas[@]} connections" \
	"loaded, in $(ms_since "$t0") ms"

# sa DIR NAME FIELD: a field of SA NAME's "swanctl --list-sas --raw" (uniqueid, initiator-spi, ...)
sa() {
	"$cns" swanctl "$1" --list-sas --ike "$2" --raw 2>/dev/null |
		sed -n "s/.*[{ ]$3=\([^ }]*\).*/\1/p" | head -1
}
# query DIR ARGS...: ippm_query.py against DIR's charon; fingerprint and PRF ID on one line
query() {
	local d=$1
	shift
	"$ss/ippm_query.py" -s "$d/ippm.sock" "$@" 2>&1 |
		sed -n 's/^status: \([^o].*\)/\1/p; s/^prf: \([0-9]*\).*/prf \1/p;
			s/^key_sha256: //p; s/^spi_[ir]: //p' | tr '\n' ' ' | sed 's/ $//'
}
# twamp_ok FILE MODE COUNT SPIi SPIr PRF_ID: the client's JSON: the mode, every packet back, the
# check, the SA
twamp_ok() {
	$py - "$@" <<'EOP'
import json, sys
f, mode, count, spi_i, spi_r, prf = sys.argv[1:]
r = json.load(open(f))
c = r.get("control") or {}
ike = c.get("ike") or {}
e = []
def want(what, got, exp):
    if got != exp:
        e.append("%s = %r, expected %r" % (what, got, exp))
want("control.mode", c.get("mode"), int(mode))
want("Server-Start Accept", (c.get("accept") or {}).get("server_start"), 0)
for k, v in (("sent", int(count)), ("received", int(count)), ("lost", 0), ("duplicates", 0),
             ("bad_hmac", 0)):
    want(k, r.get(k), v)
if not (r.get("check") or {}).get("ok"):
    e.append("check: %s" % r.get("check"))
want("ike.spi_i", ike.get("spi_i"), spi_i)
want("ike.spi_r", ike.get("spi_r"), spi_r)
want("ike.layout", ike.get("layout"), "8+8")
names = {"2": "HMAC_SHA1", "4": "AES128_XCBC", "5": "HMAC_SHA2_256", "6": "HMAC_SHA2_384",
         "7": "HMAC_SHA2_512", "8": "AES128_CMAC"}
p = str(ike.get("prf", "")).upper().replace("-", "_")
if names[prf] not in p and names[prf].replace("_", "") not in p.replace("_", ""):
    e.append("ike.prf = %r, expected PRF %s" % (ike.get("prf"), names[prf]))
if e:
    print("; ".join(e))
    sys.exit(1)
print("provider %s, PRF %s" % (ike.get("provider"), ike.get("prf")))
EOP
}
json_accept() {
	$py -c 'import json, sys
try:
    print(json.load(open(sys.argv[1]))["control"]["accept"]["server_start"])
except Exception as e:
    print("? (%s)" % e)' "$1"
}
# run_twamp WHAT MODE_NAME MODE COUNT SPIi SPIr PRF_ID [CLIENT ARGS...]: to $dst
run_twamp() {
	local what=$1 name=$2 mode=$3 count=$4 si=$5 sr=$6 prf=$7 rc=0 t0 info
	shift 7
	t0=$(date +%s%N)
	cli "$client" --control --mode "$name" --ike-socket "$A/ippm.sock" -c "$count" -i 1ms \
		--check --json "$@" "$dst" >"$run/t.json" 2>"$run/t.err" || rc=$?
	if [ $rc = 0 ] && info=$(twamp_ok "$run/t.json" "$mode" "$count" "$si" "$sr" "$prf"); then
		ok "$what: mode $mode, $count packets, no loss, check ok, SPIs $si $sr, $info" \
			"($(ms_since "$t0") ms)"
	else
		fail "$what: mode $mode: client exit $rc: ${info:-} $(head -c 400 "$run/t.err")"
	fi
}

# --- 2. Every PRF, and certificates ------------------------------------------------------------
snap x0
first=true
for e in "${sas[@]}"; do
	IFS=: read -r name prop prf prfname <<<"$e"
	t0=$(date +%s%N)
	if ! "$cns" swanctl "$A" --initiate --ike "$name" --timeout 20 >"$run/init.out" 2>&1; then
		fail "$name: the SA does not come up: $(tail -3 "$run/init.out")"
		continue
	fi
	tup=$(ms_since "$t0")
	si=$(sa "$A" "$name" initiator-spi) sr=$(sa "$A" "$name" responder-spi)
	uid=$(sa "$A" "$name" uniqueid)
	pa=$(sa "$A" "$name" prf-alg) pb=$(sa "$B" "$name" prf-alg)
	if [ "$pa" = "$prfname" ] && [ "$pb" = "$prfname" ]; then
		ok "$name: IKE SA $si $sr up in $tup ms, $prfname on both sides"
	else
		fail "$name: PRF $pa (A) / $pb (B), expected $prfname"
	fi
	if $first; then
		first=false
		snap x1
		ex=$(grew x0 x1 exception_not_test) fk=$(grew x0 x1 exception_from_kernel)
		[ "$ex" -ge 2 ] && [ "$fk" -ge 2 ] &&
			ok "IKE through the reflector's exception path: $ex datagrams to charon B," \
				"$fk from it" ||
			fail "exception path: exception_not_test +$ex, exception_from_kernel +$fk"
	fi
	qa=$(query "$A" spi "$si" "$sr") qb=$(query "$B" spi "$si" "$sr")
	fp=${qa#prf * }
	if [ "$qa" = "prf $prf $fp" ] && [ ${#fp} = 64 ] && [ "$qb" = "$qa" ]; then
		ok "$name: both daemons derive the same secret (PRF $prf), sha256 ${fp:0:16}..."
	else
		fail "$name: by SPIs: A '$qa', B '$qb', expected PRF $prf"
	fi
	q4a=$(query "$A" spi "${si:0:8}" "${sr:0:8}") q4b=$(query "$B" spi "${si:0:8}" "${sr:0:8}")
	read -r la dst <<<"$(addresses "$name" A)"
	qpa=$(query "$A" peer "$dst") qpb=$(query "$B" peer "$la")
	if [ "$q4a" = "$qa" ] && [ "$q4b" = "$qa" ] && [ "$qpa" = "$qa $si $sr" ] &&
		[ "$qpb" = "$qa $si $sr" ]; then
		ok "$name: the same by 4+4 SPIs and by peer address ($dst, $la) on both sides"
	else
		fail "$name: 4+4 A '$q4a' B '$q4b', peer A '$qpa' B '$qpb'"
	fi
	if v=$($py "$ss/ippm_verify.py" "$A/keys.log" "$uid" "$prf" "$fp"); then
		ok "$name: independent check from charon A's SK_d: ${v#VERIFY: }"
	else
		fail "$name: independent check: $v"
	fi
	run_twamp "$name" authenticated 130 1000 "$si" "$sr" "$prf"
	run_twamp "$name" encrypted 132 1000 "$si" "$sr" "$prf"
	"$cns" swanctl "$A" --terminate --ike "$name" --timeout 20 >/dev/null 2>&1 ||
		fail "$name: terminate"
	[ -z "$(sa "$B" "$name" initiator-spi)" ] || fail "$name: still up on B after terminate"
	[ "$(query "$B" spi "$si" "$sr")" = "no such SA" ] || fail "$name: B still answers it"
done
snap x2
ok "reflector: $(grew x0 x2 ike_lookups) IKE lookups, $(grew x0 x2 ike_ok) ok," \
	"$(grew x0 x2 ike_errors) errors, $(grew x0 x2 ike_timeouts) timeouts"

dst=$R4

# --- 3. A made-up SA ---------------------------------------------------------------------------
printf 'aaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbb prfsha256 %s\n' \
	6c61622d736b642d686d61632d736861322d3235362d3332206f6374657473 >"$run/unknown.keys"
chmod 600 "$run/unknown.keys"
snap u0
rc=0
cli "$client" --control --mode encrypted --ike-static "$run/unknown.keys" -c 10 -i 1ms $R4 \
	>"$run/u.out" 2>&1 || rc=$?
snap u1
if [ $rc = 2 ] && grep -q "no IKE SA with SPIi aaaaaaaaaaaaaaaa" "$run/reflector.log" &&
	[ "$(grew u0 u1 refused_no_sa)" = 1 ] && [ "$(grew u0 u1 ike_no_sa)" = 1 ]; then
	ok "unknown SA: client exit 2, reflector logs it, refused_no_sa +1, ike_no_sa +1 (charon B" \
		"asked)"
else
	fail "unknown SA: exit $rc, refused_no_sa +$(grew u0 u1 refused_no_sa), ike_no_sa" \
		"+$(grew u0 u1 ike_no_sa): $(head -c 300 "$run/u.out")"
fi

# --- 4. Rekey in the middle of a session -------------------------------------------------------
name=ike-sha256
"$cns" swanctl "$A" --initiate --ike $name --timeout 20 >/dev/null
si=$(sa "$A" $name initiator-spi) sr=$(sa "$A" $name responder-spi)
snap k0
bg rekey "$run/rekey.json" "$client" --control --mode authenticated --ike-socket "$A/ippm.sock" \
	-c 5000 -i 1ms --check --json $R4
for _ in $(seq 100); do
	snap k1
	[ "$(val k1 sessions_in_data_plane)" = 1 ] && [ "$(grew k0 k1 session_packets)" -gt 500 ] &&
		break
	sleep 0.05
done
t0=$(date +%s%N)
"$cns" swanctl "$B" --rekey --ike $name >/dev/null
for _ in $(seq 100); do
	si2=$(sa "$A" $name initiator-spi)
	[ -n "$si2" ] && [ "$si2" != "$si" ] && break
	sleep 0.05
done
sr2=$(sa "$A" $name responder-spi)
snap k2
mid=$(grew k0 k2 session_packets)
if [ "$si2" != "$si" ] && [ -n "$si2" ] && kill -0 "$(cat "$run/rekey.bgpid")" 2>/dev/null; then
	ok "rekey by charon B after $mid session packets, done in $(ms_since "$t0") ms: SPIs now" \
		"$si2 $sr2, session still running"
else
	fail "rekey: SPIs $si2 (were $si); session running: $(kill -0 "$(cat "$run/rekey.bgpid")" \
		2>/dev/null && echo yes || echo no)"
fi
rc=0
bgwait rekey || rc=$?
if [ $rc = 0 ] && info=$(twamp_ok "$run/rekey.json" 130 5000 "$si" "$sr" 5); then
	ok "rekey: the 5000-packet session across the rekey lost nothing, check ok (old SPIs $si $sr)"
else
	fail "rekey: session across the rekey: exit $rc: ${info:-} $(head -c 300 "$run/rekey.err")"
fi
[ "$(query "$A" spi "$si" "$sr")" = "no such SA" ] && [ "$(query "$B" spi "$si" "$sr")" = "no such SA" ] &&
	ok "rekey: the old SA is gone from both daemons" || fail "rekey: old SA still answered"
run_twamp "after the rekey, a new control connection" authenticated 130 1000 "$si2" "$sr2" 5

# --- 5. The IKE daemons stopped ----------------------------------------------------------------
"$cns" kill "$B"
snap d0
t0=$(date +%s%N)
rc=0
timeout 15 "$lab" exec "$client" --control --mode authenticated --ike-socket "$A/ippm.sock" \
	-c 100 -i 1ms --json $R4 >"$run/d.json" 2>"$run/d.err" || rc=$?
t=$(ms_since "$t0")
snap d1
if [ $rc != 0 ] && [ $rc != 124 ]; then
	ok "charon B killed: the client is refused (exit $rc, Server-Start Accept" \
		"$(json_accept "$run/d.json")) after $t ms: $(head -1 "$run/d.err" | head -c 200)"
else
	fail "charon B killed: client exit $rc after $t ms: $(head -c 300 "$run/d.err")"
fi
if grep -q "IKE daemon at $B/ippm.sock unreachable" "$run/reflector.log" &&
	[ "$(grew d0 d1 ike_unreachable)" -ge 1 ]; then
	ok "charon B killed: the reflector logs \"$(grep -o "IKE daemon at [^ ]* unreachable: [^(]*" \
		"$run/reflector.log" | tail -1 | sed 's/ *$//')\", ike_unreachable +$(grew d0 d1 ike_unreachable)"
else
	fail "charon B killed: no 'IKE daemon unreachable' in the reflector log / counters" \
		"(ike_unreachable +$(grew d0 d1 ike_unreachable), ike_timeouts +$(grew d0 d1 ike_timeouts))"
fi
rc=0
cli "$client" -c 1000 -i 1ms --check --json $R4 >"$run/l.json" 2>&1 || rc=$?
if [ $rc = 0 ] && kill -0 "$refl_pid" 2>/dev/null &&
	$py "$here/check_json.py" 1000 <"$run/l.json" >/dev/null; then
	ok "charon B killed: the reflector still reflects (TWAMP Light, 1000 packets, no loss)"
else
	fail "charon B killed: TWAMP Light exit $rc"
fi
t0=$(date +%s%N)
"$cns" start refl twr-refl "$B" $R4
"$cns" swanctl "$B" --load-all >/dev/null 2>&1
"$cns" swanctl "$B" --initiate --ike $name --timeout 20 >/dev/null
si3=$(sa "$B" $name initiator-spi) sr3=$(sa "$B" $name responder-spi)
nA=$("$cns" swanctl "$A" --list-sas --raw | grep -c "remote-host=$R4" || true)
ok "charon B restarted, SA initiated by B in $(ms_since "$t0") ms: $si3 $sr3 ($nA SA(s) with" \
	"$R4 on A)"
run_twamp "charon B back, same reflector process" authenticated 130 1000 "$si3" "$sr3" 5
kill -0 "$refl_pid" 2>/dev/null && [ "$(cat "$run/reflector.pid")" = "$refl_pid" ] &&
	ok "the reflector (pid $refl_pid) ran all along" || fail "the reflector was restarted or died"
grep -q "IKE daemon at $B/ippm.sock reachable again" "$run/reflector.log" &&
	ok "the reflector logs the IKE daemon reachable again" ||
	fail "no 'reachable again' in the reflector log"

"$cns" stop "$B"
rc=0
timeout 15 "$lab" exec "$client" --control --mode authenticated --ike-socket "$A/ippm.sock" \
	-c 100 -i 1ms $R4 >"$run/s.out" 2>&1 || rc=$?
nA=$("$cns" swanctl "$A" --list-sas --raw | grep -c "remote-host=$R4" || true)
if [ $rc != 0 ] && [ $rc != 124 ] && [ "$nA" = 0 ]; then
	ok "charon B stopped cleanly: A has no SA left with $R4, client exit $rc:" \
		"$(head -1 "$run/s.out" | head -c 200)"
else
	fail "charon B stopped cleanly: $nA SA(s) on A, client exit $rc: $(head -c 300 "$run/s.out")"
fi

"$cns" stop "$A"
t0=$(date +%s%N)
rc=0
timeout 15 "$lab" exec "$client" --control --mode authenticated --ike-socket "$A/ippm.sock" \
	-c 100 -i 1ms $R4 >"$run/a.out" 2>&1 || rc=$?
t=$(ms_since "$t0")
if [ $rc != 0 ] && [ $rc != 124 ] && grep -qi "IKE daemon.*unreachable" "$run/a.out"; then
	ok "charon A stopped: client exit $rc after $t ms: $(grep -i -m1 unreachable "$run/a.out" |
		head -c 200)"
else
	fail "charon A stopped: client exit $rc after $t ms: $(head -c 300 "$run/a.out")"
fi

# --- 6. The draft's 4 + 4 layout through the reflector ------------------------------------------
"$lab" down >/dev/null 2>&1
sed -e 's/^  ike_timeout_ms: 2000$/  ike_timeout_ms: 2000\n  ike_spi_layout: "4+4"/' "$run/lab.yaml" \
	>"$run/lab44.yaml"
if grep -q '^  ike_spi_layout: "4+4"' "$run/lab44.yaml" && "$lab" up "$run/lab44.yaml" &&
	"$cns" start refl twr-refl "$B" $R4 && "$cns" start client twr-client "$A" $C4; then
	"$cns" swanctl "$A" --load-all >/dev/null 2>&1
	"$cns" swanctl "$B" --load-all >/dev/null 2>&1
	name=ike-sha256
	"$cns" swanctl "$A" --initiate --ike $name --timeout 20 >/dev/null 2>&1 || true
	si=$(sa "$A" $name initiator-spi) sr=$(sa "$A" $name responder-spi)
	rc=0
	cli "$client" --control --mode encrypted --ike-socket "$A/ippm.sock" --spi-layout 4+4 \
		-c 1000 -i 1ms --check --json $R4 >"$run/t44.json" 2>"$run/t44.err" || rc=$?
	if [ -n "$si" ] && [ $rc = 0 ] && $py - "$run/t44.json" "${si:0:8}" "${sr:0:8}" <<'EOP'
import json, sys
r = json.load(open(sys.argv[1]))
c, ike = r["control"], r["control"]["ike"]
ok = (c["mode"] == 132 and ike["layout"] == "4+4" and ike["spi_i"] == sys.argv[2] and
      ike["spi_r"] == sys.argv[3] and r["received"] == r["sent"] == 1000 and r["check"]["ok"])
sys.exit(0 if ok else 1)
EOP
	then
		ok "4+4 layout: Key ID ${si:0:8} ${sr:0:8} (of SA $si $sr), mode 132, 1000 packets," \
			"no loss, check ok"
	else
		fail "4+4 layout: SA '$si' '$sr', client exit $rc: $(head -c 300 "$run/t44.err")"
	fi
else
	fail "4+4 layout: cannot bring the lab and both charons up again"
fi

echo "e2e_ike: $fails failure(s)"
exit $((fails > 0))
