#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Golden test: committed input capture in, answers compared byte for byte (clock fields masked),
# every verdict counter compared with what make_input.py says the input contains.
# usage: run_golden.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
work=$(mktemp -d)
prefix=twr-golden-$$
# The EAL's runtime directory (telemetry socket) goes with the run.
trap 'rm -rf "$work" "/var/run/dpdk/$prefix"' EXIT

[ "$(id -u)" = 0 ] || { echo "golden: needs root (DPDK EAL)"; exit 1; }
sed -e "s|@IN@|$here/input.pcap|" -e "s|@OUT@|$work/out.pcap|" "$here/golden.yaml" >"$work/golden.yaml"
start=$(date +%s.%N)
"$build/app/twamp-reflector" -c "$work/golden.yaml" -- --file-prefix "$prefix" >"$work/log" 2>&1 &
pid=$!
want=$(awk '$1 == "rx_packets" { print $2 }' "$here/expected-counters.txt")
# net_pcap reads the whole capture at once; wait until every frame has a verdict.
got=0
for _ in $(seq 100); do
	sleep 0.1
	kill -0 $pid 2>/dev/null || break
	got=$("$here/../../tools/telemetry" -f "$prefix" /twamp/stats 2>/dev/null |
		/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["/twamp/stats"]["rx_packets"])' \
		2>/dev/null || echo 0)
	[ "$got" -ge "$want" ] && break
done
kill -TERM $pid 2>/dev/null || true
rc=0
wait $pid || rc=$?
end=$(date +%s.%N)
if [ $rc != 0 ] || [ "$got" -lt "$want" ]; then
	cat "$work/log"
	echo "golden: FAIL: reflector exit $rc, $got of $want frames seen"
	exit 1
fi

fail=0
while read -r name value; do
	have=$(awk -v n="$name" '$1 == n { print $2 }' "$work/log")
	if [ "$have" != "$value" ]; then
		echo "golden: FAIL: counter $name = ${have:-missing}, expected $value"
		fail=1
	fi
done <"$here/expected-counters.txt"
/usr/bin/python3 "$here/compare.py" "$work/out.pcap" "$here/expected.pcap" "$start" "$end" || fail=1
[ $fail = 0 ] && echo "golden: PASS"
exit $fail
