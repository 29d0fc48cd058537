#!/bin/sh
# Smoke test for the ippm charon plugin: two network namespaces joined by a
# veth pair (198.18.1.1/24 <-> 198.18.1.2/24), one Debian charon in each with
# a private strongswan.conf (STRONGSWAN_CONF) and a private /run (mount
# namespace, for charon.pid), PSK auth, an IKE-only SA (no CHILD_SA).  Both
# plugins are then queried by SPIs and by peer address; only SHA-256
# fingerprints of the derived secret are printed.  Cleans up on exit.
#
#   tools/strongswan/smoke_test.sh [PLUGIN_SO]
# Needs root, strongswan-charon + strongswan-swanctl, and build.sh output.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
SO=${1:-/var/cache/twamp-reflector/strongswan/libstrongswan-ippm.so}
[ -f "$SO" ] || { echo "missing $SO (run build.sh)" >&2; exit 2; }
SO=$(readlink -f "$SO")
W=$(mktemp -d /tmp/ippm-smoke.XXXXXX)
NS_A=ippm-smk-a NS_B=ippm-smk-b
PIDS=""

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	sleep 1
	for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done
	ip netns del $NS_A 2>/dev/null || true
	ip netns del $NS_B 2>/dev/null || true
	[ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT INT TERM

ip netns add $NS_A
ip netns add $NS_B
ip link add ippm-smk-va netns $NS_A type veth peer name ippm-smk-vb netns $NS_B
ip -n $NS_A addr add 198.18.1.1/24 dev ippm-smk-va
ip -n $NS_B addr add 198.18.1.2/24 dev ippm-smk-vb
for n in $NS_A $NS_B; do ip -n $n link set lo up; done
ip -n $NS_A link set ippm-smk-va up
ip -n $NS_B link set ippm-smk-vb up

setup() { # name local remote
	d=$W/$1
	IKE_LOG=2
	# VERIFY=1: throwaway test only - charon itself logs SK_d (ike = 4) on
	# side a so the result can be checked independently with Python's hmac
	[ -z "${VERIFY:-}" ] || [ "$1" != a ] || IKE_LOG=4
	mkdir -p "$d/run"
	cat > "$d/strongswan.conf" <<EOC
charon {
	load = random nonce openssl kdf hmac sha2 sha1 aes kernel-netlink socket-default vici ippm
	install_routes = no
	install_virtual_ip = no
	filelog {
		log { path = $d/charon.log
			time_format = %T
			flush_line = yes
			default = 1
			ike = $IKE_LOG
		}
	}
	plugins {
		vici { socket = unix://$d/charon.vici }
		ippm { socket = unix://$d/ippm.sock }
	}
}
swanctl { load = random openssl pem pkcs1 x509 pubkey }
EOC
	cat > "$d/swanctl.conf" <<EOC
connections {
	ippm {
		version = 2
		local_addrs = $2
		remote_addrs = $3
		proposals = aes256-sha256-modp2048
		local { auth = psk
			id = $2 }
		remote { auth = psk
			id = $3 }
	}
}
secrets {
	ike-ippm { id-1 = 198.18.1.1
		id-2 = 198.18.1.2
		secret = "ippm-smoke-test-psk-not-secret" }
}
EOC
}
start() { # name netns
	d=$W/$1
	# private /run for charon.pid; the plugin is LD_PRELOADed because charon
	# 5.9.8 only searches its compiled-in plugin dir (/usr/lib/ipsec/plugins)
	ip netns exec "$2" unshare -m --propagation private sh -c \
		"mount --bind '$d/run' /run && STRONGSWAN_CONF='$d/strongswan.conf' \
		 LD_PRELOAD='$SO' exec /usr/lib/ipsec/charon" > "$d/stdout" 2>&1 &
	PIDS="$PIDS $!"
}
swc() { # name args...
	n=$1; cmd=$2; shift 2
	STRONGSWAN_CONF=$W/$n/strongswan.conf swanctl "$cmd" --uri "unix://$W/$n/charon.vici" "$@"
}

setup a 198.18.1.1 198.18.1.2
setup b 198.18.1.2 198.18.1.1
start a $NS_A
start b $NS_B
for i in $(seq 50); do
	[ -S $W/a/charon.vici ] && [ -S $W/b/charon.vici ] && break
	sleep 0.2
done
for n in a b; do swc $n --load-all --file "$W/$n/swanctl.conf" >/dev/null; done
grep -h 'ippm' "$W/a/charon.log" "$W/b/charon.log" || true

swc a --initiate --ike ippm --timeout 20
swc a --list-sas
spis=$(swc a --list-sas --raw | grep -o 'initiator-spi=[0-9a-f]* responder-spi=[0-9a-f]*' | head -1)
spi_i=$(echo "$spis" | sed 's/.*initiator-spi=\([0-9a-f]*\).*/\1/')
spi_r=$(echo "$spis" | sed 's/.*responder-spi=\([0-9a-f]*\).*/\1/')
echo "IKE SA: SPIi=$spi_i SPIr=$spi_r"

rc=0
out_a=$("$HERE/ippm_query.py" -s "$W/a/ippm.sock" spi "$spi_i" "$spi_r") || rc=1
out_b=$("$HERE/ippm_query.py" -s "$W/b/ippm.sock" spi "$spi_i" "$spi_r") || rc=1
echo "--- initiator (a) by SPIs:"; echo "$out_a"
echo "--- responder (b) by SPIs:"; echo "$out_b"
echo "--- a by peer 198.18.1.2:"; "$HERE/ippm_query.py" -s "$W/a/ippm.sock" peer 198.18.1.2 || rc=1
echo "--- b by peer 198.18.1.1:"; "$HERE/ippm_query.py" -s "$W/b/ippm.sock" peer 198.18.1.1 || rc=1
echo "--- b by unknown SPIs (expect: no such SA):"
"$HERE/ippm_query.py" -s "$W/b/ippm.sock" spi 0102030405060708 0807060504030201 && rc=1
echo "--- malformed request (bad version) and two requests on one connection:"
python3 - "$W/b/ippm.sock" "$spi_i$spi_r" <<'EOP' || rc=1
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
s.sendall(bytes([9, 1, 8]) + bytes(16)); r = s.recv(64)
assert r == bytes([1, 2, 0, 0, 0]), r
req = bytes([1, 1, 8]) + bytes.fromhex(sys.argv[2])
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
for _ in range(2):
    s.sendall(req); r = s.recv(64)
    assert r[:2] == bytes([1, 0]) and len(r) == 5 + r[4], r[:5]
print("ok: bad version -> status 2; 2 requests on one connection answered")
EOP
h_a=$(echo "$out_a" | sed -n 's/^key_sha256: //p')
h_b=$(echo "$out_b" | sed -n 's/^key_sha256: //p')
if [ -n "$h_a" ] && [ "$h_a" = "$h_b" ] && [ $rc = 0 ]; then
	echo "PASS: both sides derived the same PRF(SK_d, \"IPPM\") (sha256 $h_a)"
else
	echo "FAIL (logs: KEEP=1 keeps $W)"; rc=1
fi
if [ -n "${VERIFY:-}" ]; then
	python3 - "$W/a/charon.log" "$h_a" <<'EOP' || rc=1
import hashlib, hmac, re, sys
log = open(sys.argv[1]).read().splitlines()
i = max(n for n, l in enumerate(log) if "Sk_d secret" in l)
size = int(re.search(r"=> (\d+) bytes", log[i]).group(1))
hexs = ""
for l in log[i + 1:]:
    m = re.match(r"^\s*\d+: ((?:[0-9A-F]{2} ?)+)", l.split("]", 1)[-1].strip())
    if not m:
        break
    hexs += m.group(1).replace(" ", "")
skd = bytes.fromhex(hexs)[:size]
key = hmac.new(skd, b"IPPM", hashlib.sha256).digest()
ok = hashlib.sha256(key).hexdigest() == sys.argv[2]
print("VERIFY: HMAC-SHA256(SK_d from charon's ike=4 log, 'IPPM') %s the plugin's result"
      % ("matches" if ok else "DOES NOT match"))
sys.exit(0 if ok else 1)
EOP
fi
exit $rc
