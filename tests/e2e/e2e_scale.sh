#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End to end, session scale (issue 7): the lab with a configuration for 100,000 sessions
# (control.max_sessions 100000 over 100 test ports shared by the sessions' 5-tuples,
# light.max_flows 100000), driven by tools/sessload from the client namespace.
#  1. 100,000 TWAMP-Control sessions in mode 1 (unauthenticated), 100 connections x 1,000: all
#     accepted, none refused for want of a port; the reflector's counters show every one held and
#     in the data plane; one test packet per session (all of them, not a sample) answered from the
#     session's port with our sequence number and T1 echoed and the session's own reflector
#     sequence number 0; then Stop-Sessions and close: every session gone, the DPDK heap back to
#     the octet where it was.
#  2. The same in mode 2 (authenticated): every answer's HMAC checked with the session's keys.
#  3. 100,000 TWAMP Light senders (1,000 sender ports x 100 Light ports), two packets each: all
#     answered, each flow's reflector sequence numbers 0 then 1 (one counter per sender 5-tuple),
#     100,000 flows in the table, none refused for a full table.
# The set-up rates are printed (docs/performance-scale.rst has the measured figures).
#
# Counts: TWR_SCALE_SESSIONS (default 100000; above 1000, a multiple of 1000) and TWR_SCALE_FLOWS
# (default 100000), for a quicker run by hand. The full counts take 9 s in the ordinary build and
# 20 s in tools/test's ASan+UBSan build (2026-11-27), so both use them.
# usage: e2e_scale.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
TWR_BUILD=$(cd "$1" && pwd)
TWR_LAB_RUN=$(mktemp -d /tmp/twr-e2e-scale.XXXXXX)
export TWR_BUILD TWR_LAB_RUN
run=$TWR_LAB_RUN
sessload=$TWR_BUILD/tools/sessload/sessload
lab=$top/tools/lab
py=/usr/bin/python3
R4=198.18.0.1
fails=0
n=${TWR_SCALE_SESSIONS:-100000}
flows=${TWR_SCALE_FLOWS:-100000}
conns=$(((n + 999) / 1000))
per=$((n / conns))

[ "$(id -u)" = 0 ] || { echo "e2e: FAIL: needs root (namespaces, DPDK)"; exit 1; }
[ $((conns * per)) = "$n" ] || { echo "e2e: FAIL: TWR_SCALE_SESSIONS must be a multiple of 1000 or below it"; exit 1; }
cleanup() {
	"$lab" down >/dev/null 2>&1 || true
	rm -rf "$run"
}
trap cleanup EXIT
. "$here/lib.sh"

# The lab's configuration, sized for the counts: every connection from the one client address
# (per-source limits lifted), no IKE (its key file is the lab's, not needed here).
sed -e '/ike_static_keys/d' -e '/RFC 7717 mode 128/d' \
	-e "s/max_flows: 65536/max_flows: $((flows > 65536 ? flows : 65536))/" \
	"$top/config/lab.yaml" >"$run/scale.yaml"
cat >>"$run/scale.yaml" <<EOF
  max_sessions: $((n > 1024 ? n : 1024))
  max_sessions_per_connection: 1000
  max_connections: $((conns + 8))
  max_connections_per_source: $((conns + 8))
  connection_rate_per_source: 0
EOF
"$lab" up "$run/scale.yaml" >"$run/up.log" 2>&1 || { cat "$run/up.log"; exit 1; }
pid=$(cat "$run/reflector.pid")
grep "memory:" "$run/reflector.log" | sed 's/^/note - /'

# json FILE EXPR: EXPR over r, the JSON object in FILE.
json() { $py -c 'import json, sys; r = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
# expect FILE WHAT EXPR: one ok/FAIL line.
expect() {
	if [ "$(json "$1" "$3")" = True ]; then ok "$2"; else fail "$2 ($3 is false)"; fi
}

# control MODE NAME ARGS...: n sessions in MODE through sessload, every check on its report.
control() {
	local mode=$1 name=$2 out=$run/$2.json rc=0 t0
	shift 2
	t0=$(date +%s%N)
	cli "$sessload" -m "$mode" "$@" -c "$conns" -s "$per" --packets --hold 1 \
		--telemetry twr-lab --refl-pid "$pid" --json $R4 >"$out" 2>"$run/$name.err" || rc=$?
	echo "note - $name: exit $rc after $(ms_since "$t0") ms: $(cat "$out" "$run/$name.err")"
	[ -s "$out" ] || { fail "$name: no report"; return; }
	expect "$out" "$name: $n sessions accepted on $conns connections, none refused" \
		"r['sessions_accepted'] == $n and r['sessions_refused'] == 0 and r['connections_started'] == $conns"
	expect "$out" "$name: the reflector holds all $n, all in the data plane, no port refusal" \
		"r['reflector']['sessions_held'] == $n and r['reflector']['sessions_in_data_plane_held'] == $n and r['reflector']['refused_port'] == 0"
	expect "$out" "$name: every session's test packet answered, fields checked, reflector seq 0" \
		"r['packets']['answered'] == $n and r['packets']['seq_exact'] == $n and r['packets']['lost'] == 0 and r['packets']['bad_hmac'] == 0 and r['packets']['bad_fields'] == 0 and r['packets']['foreign'] == 0"
	expect "$out" "$name: after Stop-Sessions and close no session left, DPDK heap back" \
		"r['reflector']['all_gone'] and r['reflector']['sessions_after'] == 0 and r['reflector']['sessions_in_data_plane_after'] == 0 and r['reflector']['heap_after'] == r['reflector']['heap_before']"
	[ $rc = 0 ] || fail "$name: sessload exit $rc"
	echo "note - $name: $(json "$out" "'%.0f sessions/s set-up, %.0f connections/s, all started in %.2f s, %.1f us control CPU/session, heap +%.0f B/session held' % (r['sessions_per_s'], r['connections_per_s'], r['time_to_start_s'], r['reflector']['control_cpu_us_per_session'], r['reflector']['heap_per_session'])")"
}

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$pid/status"; }
rss0=$(rss)
control 1 unauth
control 2 auth -k lab --passphrase twamp-lab-secret
echo "note - reflector VmRSS ${rss0} kB at start, $(rss) kB after (pages the DPDK heap touched stay mapped; the heap itself is back)"

# TWAMP Light: flows distinct 5-tuples, two packets each.
out=$run/light.json
rc=0
t0=$(date +%s%N)
cli "$sessload" --light 20000-20099 --flows "$flows" --udp-ports 1000 --count 2 \
	--telemetry twr-lab --json $R4 >"$out" 2>"$run/light.err" || rc=$?
echo "note - light: exit $rc after $(ms_since "$t0") ms: $(cat "$out" "$run/light.err")"
if [ -s "$out" ]; then
	expect "$out" "light: $flows senders x 2 packets all answered, each flow's reflector seq 0 then 1" \
		"r['answered'] == 2 * $flows and r['seq_exact'] == 2 * $flows and r['lost'] == 0 and r['bad_fields'] == 0"
	expect "$out" "light: $flows flows in the reflector's table, never full" \
		"r['reflector_flows_after'] - r['reflector_flows_before'] == $flows and r['reflector_flow_table_full'] == 0"
else
	fail "light: no report"
fi
[ $rc = 0 ] || fail "light: sessload exit $rc"

snap end
[ "$(val end sessions)" = 0 ] && [ "$(val end sessions_in_data_plane)" = 0 ] &&
	[ "$(val end connections)" = 0 ] && ok "the end: no session, no connection left" ||
	fail "the end: $(val end sessions) sessions, $(val end connections) connections left"
[ "$(val end drop_flow_full)" = 0 ] && ok "no drop_flow_full" || fail "drop_flow_full $(val end drop_flow_full)"

"$lab" down >/dev/null 2>&1
for _ in $(seq 20); do [ -s "$run/reflector.exit" ] && break; sleep 0.1; done
if [ "$(cat "$run/reflector.exit" 2>/dev/null)" = 0 ]; then ok "reflector exited cleanly"; else
	fail "reflector exit status $(cat "$run/reflector.exit" 2>/dev/null)"; fi
echo "e2e_scale: $fails failure(s)"
[ $fails = 0 ]
