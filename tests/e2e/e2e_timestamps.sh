#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End to end, timestamps (issue 5): the lab (tools/lab, config/lab.yaml: timestamp_format auto),
# twamp-client --check in the client namespace, which decodes every timestamp by its own Z bit and
# checks T1 <= T2 <= T3 <= T4 within the stated errors.
#  1. TWAMP Light, IPv4 and IPv6, 1,000 packets each, from an NTP sender and from a PTPv2 sender
#     (--ptp): the reflector answers each in its own format (RFC 8186 §2.3 Z bit), all ordered.
#  2. TWAMP-Control in modes 1, 2, 4, 8: the server offers Modes bit 512; --ptp negotiates it and
#     every T2/T3 is PTPv2, without --ptp they are NTP; 1,000 packets each, check ok.
#  3. Under load: 20,000 packets at a 10 us interval: no loss, check ok, reflector turnaround
#     (T3 - T2) median and p99 stay small; the reflector reports how far T3 is from
#     rte_eth_tx_burst() per mode.
#  4. Honest Error Estimate: the reflector claims synchronisation exactly when the kernel does
#     (the sender reads the same kernel); the port logs where T2 comes from.
#  5. The reflector restarted with timestamp_format ntp and clock.source tai: a PTPv2 sender gets
#     NTP answers in Light, Control does not offer 512, /twamp/clock names the source.
# usage: e2e_timestamps.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
TWR_BUILD=$(cd "$1" && pwd)
TWR_LAB_RUN=$(mktemp -d /tmp/twr-e2e-ts.XXXXXX)
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
cleanup() {
	bgkill_all 2>/dev/null || true
	"$lab" down >/dev/null 2>&1 || true
	rm -rf "$run"
}
trap cleanup EXIT
. "$here/lib.sh"

# jq-like: EXPR over r, the JSON report in FILE
js() { $py -c 'import json, sys; r = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

"$lab" up "$top/config/lab.yaml"

# 1. TWAMP Light in both formats.
for dst in $R4 $R6; do
	for fmt in ntp ptp; do
		args=()
		[ $fmt = ptp ] && args=(--ptp)
		rc=0
		cli "$client" "${args[@]}" -c 1000 -i 1ms --check --json $dst >"$run/l.json" 2>"$run/l.err" ||
			rc=$?
		if [ $rc = 0 ] && [ "$(js "$run/l.json" 'r["reflector_timestamp_format"]')" = $fmt ] &&
			[ "$(js "$run/l.json" 'r["sender_timestamp_format"]')" = $fmt ] &&
			[ "$(js "$run/l.json" 'r["received"]')" = 1000 ]; then
			ok "Light $dst, $fmt sender: 1000/1000 answered in $fmt (Z bit), T1<=T2<=T3<=T4," \
				"check ok"
		else
			fail "Light $dst, $fmt sender: exit $rc $(head -c 300 "$run/l.err")"
		fi
	done
done

# 2. TWAMP-Control, Modes bit 512.
for mode in unauthenticated authenticated encrypted mixed; do
	for fmt in ntp ptp; do
		args=()
		[ $fmt = ptp ] && args=(--ptp)
		rc=0
		cli "$client" --control --mode $mode "${key[@]}" "${args[@]}" -c 1000 -i 1ms --check \
			--json $R4 >"$run/c.json" 2>"$run/c.err" || rc=$?
		want_neg=False
		[ $fmt = ptp ] && want_neg=True
		if [ $rc = 0 ] &&
			[ "$(js "$run/c.json" 'r["control"]["modes_offered"] & 512')" = 512 ] &&
			[ "$(js "$run/c.json" 'r["control"]["ptp"]["negotiated"]')" = $want_neg ] &&
			[ "$(js "$run/c.json" 'r["reflector_timestamp_format"]')" = $fmt ] &&
			[ "$(js "$run/c.json" 'r["received"]')" = 1000 ]; then
			ok "Control $mode, $fmt: 512 offered, negotiated $want_neg, 1000 answers in $fmt," \
				"check ok"
		else
			fail "Control $mode, $fmt: exit $rc $(head -c 300 "$run/c.err")"
		fi
	done
done

# 3. Under load.
rc=0
cli "$client" -c 20000 -i 10us --check --json $R4 >"$run/h.json" 2>"$run/h.err" || rc=$?
if [ $rc = 0 ] && $py - "$run/h.json" <<'EOP'
import json, sys
r = json.load(open(sys.argv[1]))
ta = r["turnaround_ns"]
print(f"ok   - under load: {r['received']}/{r['sent']} at a 10 us interval, turnaround median "
      f"{ta['median']} ns, p99 {ta['p99']} ns, max {ta['max']} ns, check ok")
# A reflection is a few hundred ns of work; the bounds leave room for a shared, noisy machine.
sys.exit(0 if r["lost"] == 0 and ta["median"] < 20000 and ta["p99"] < 500000 else 1)
EOP
then :
else
	fail "under load: exit $rc $(head -c 300 "$run/h.err")"
fi
for m in authenticated encrypted; do
	cli "$client" --control --mode $m "${key[@]}" -c 2000 -i 10us --check $R4 >/dev/null 2>&1 ||
		fail "load in mode $m: client exit $?"
done
snap t3
l_u=$(val t3 t3_to_tx_ns_unauth) l_a=$(val t3 t3_to_tx_ns_auth) l_e=$(val t3 t3_to_tx_ns_enc)
if [ "$l_u" -gt 0 ] && [ "$l_a" -gt 0 ] && [ "$l_e" -gt 0 ]; then
	ok "T3 to rte_eth_tx_burst(), mean per burst: unauthenticated $l_u ns, authenticated" \
		"$l_a ns (T3 after the seal), encrypted $l_e ns (T3 inside the seal)"
else
	fail "t3_to_tx_ns counters: unauth $l_u auth $l_a enc $l_e"
fi

# 4. The Error Estimate's S bit: the reflector and the sender read the same kernel.
if [ "$(js "$run/h.json" 'r["reflector_synced"]')" = "$(js "$run/h.json" 'r["sender_synced"]')" ]; then
	ok "Error Estimate: reflector synchronised = $(js "$run/h.json" 'r["reflector_synced"]')" \
		"($(js "$run/h.json" 'r["reflector_err_est"]')), as the kernel says" \
		"(sender $(js "$run/h.json" 'r["sender_err_est"]'))"
else
	fail "Error Estimate: reflector synced $(js "$run/h.json" 'r["reflector_synced"]'), kernel" \
		"(sender) $(js "$run/h.json" 'r["sender_synced"]')"
fi
if "$lab" log | grep -q "T2 from software (TSC, once per RX burst)"; then
	ok "the port logs its T2 source: $("$lab" log | grep -o 'T2 from [^)]*)' | head -1)"
else
	fail "no 'T2 from' line in the reflector log"
fi

# 5. NTP only, TAI source.
"$lab" down >/dev/null
sed -e 's/^  timestamp_format: .*/  timestamp_format: ntp\n  source: tai/' "$top/config/lab.yaml" \
	>"$run/lab-ntp.yaml"
cp "$top/config/lab-ike.keys" "$run/" 2>/dev/null || true
"$lab" up "$run/lab-ntp.yaml"
rc=0
cli "$client" --ptp --expect-format ntp -c 500 -i 1ms --check --json $R4 >"$run/n.json" \
	2>"$run/n.err" || rc=$?
if [ $rc = 0 ] && [ "$(js "$run/n.json" 'r["reflector_timestamp_format"]')" = ntp ]; then
	ok "timestamp_format ntp: a PTPv2 sender gets NTP answers (Z = 0), check ok"
else
	fail "timestamp_format ntp, PTPv2 sender: exit $rc $(head -c 300 "$run/n.err")"
fi
rc=0
cli "$client" --control --mode encrypted "${key[@]}" --ptp -c 500 -i 1ms --check --json $R4 \
	>"$run/n.json" 2>"$run/n.err" || rc=$?
if [ $rc = 0 ] && [ "$(js "$run/n.json" 'r["control"]["modes_offered"] & 512')" = 0 ] &&
	[ "$(js "$run/n.json" 'r["reflector_timestamp_format"]')" = ntp ]; then
	ok "timestamp_format ntp: Modes 512 not offered, --ptp falls back to NTP, check ok"
else
	fail "timestamp_format ntp, Control: exit $rc $(head -c 300 "$run/n.err")"
fi
"$top/tools/telemetry" -f twr-lab /twamp/clock >"$run/clock.json"
if $py -c 'import json, sys; d = json.load(open(sys.argv[1]))["/twamp/clock"]
sys.exit(0 if "tai" in str(d.get("source", "")).lower() else 1)' "$run/clock.json"; then
	ok "clock.source tai: /twamp/clock says $($py -c 'import json, sys
print(json.load(open(sys.argv[1]))["/twamp/clock"]["source"])' "$run/clock.json")"
else
	fail "clock.source tai: /twamp/clock $(head -c 300 "$run/clock.json")"
fi

echo "e2e_timestamps: $fails failure(s)"
exit $((fails > 0))
