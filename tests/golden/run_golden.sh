#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Golden tests on net_pcap: a committed capture in, the reflector's answers checked.
#   golden (default): answers compared byte for byte with expected.pcap (clock fields masked),
#                     every verdict counter compared with what make_input.py says the input has.
#   rxts FORMAT:      T2 of every answer equals the request's pcap record time exactly, in the
#                     format clock.timestamp_format FORMAT (auto, ntp, ptp) asks for.
# usage: run_golden.sh BUILD_DIR [golden | rxts FORMAT]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
case=${2:-golden}
fmt=${3:-}
work=$(mktemp -d)
prefix=twr-golden-$$
# The EAL's runtime directory (telemetry socket) goes with the run.
trap 'rm -rf "$work" "/var/run/dpdk/$prefix"' EXIT

[ "$(id -u)" = 0 ] || { echo "golden: needs root (DPDK EAL)"; exit 1; }
case $case in
golden)
	in=$here/input.pcap
	want=$(awk '$1 == "rx_packets" { print $2 }' "$here/expected-counters.txt")
	sed -e "s|@IN@|$in|" -e "s|@OUT@|$work/out.pcap|" "$here/golden.yaml" >"$work/run.yaml"
	;;
rxts)
	in=$here/rxts-input.pcap
	want=$(/usr/bin/python3 -c "import sys; sys.path.insert(0, '$here')
from make_rxts import CASES; print(len(CASES))")
	sed -e "s|@IN@|$in|" -e "s|@OUT@|$work/out.pcap|" -e "s|@FMT@|$fmt|" "$here/rxts.yaml" \
		>"$work/run.yaml"
	;;
*)
	echo "golden: unknown case $case"
	exit 1
	;;
esac
start=$(date +%s.%N)
"$build/app/twamp-reflector" -c "$work/run.yaml" -- --file-prefix "$prefix" >"$work/log" 2>&1 &
pid=$!
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
if [ "$case" = golden ]; then
	while read -r name value; do
		have=$(awk -v n="$name" '$1 == n { print $2 }' "$work/log")
		if [ "$have" != "$value" ]; then
			echo "golden: FAIL: counter $name = ${have:-missing}, expected $value"
			fail=1
		fi
	done <"$here/expected-counters.txt"
	/usr/bin/python3 "$here/compare.py" "$work/out.pcap" "$here/expected.pcap" "$start" "$end" ||
		fail=1
else
	grep -q "T2 from capture record time" "$work/log" || {
		echo "golden: FAIL: the reflector does not say it takes T2 from the capture:"
		grep -i "T2 from" "$work/log" || true
		fail=1
	}
	(cd "$here" && /usr/bin/python3 compare_rxts.py "$work/out.pcap" "$fmt" "$end") || fail=1
fi
[ $fail = 0 ] && echo "golden: PASS"
exit $fail
