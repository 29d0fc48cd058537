# SPDX-License-Identifier: BSD-3-Clause
# Shared helpers of the lab-based e2e tests (sourced, not run). Needs: $run (the test's directory),
# $lab (tools/lab), $top (the source tree), $py (/usr/bin/python3), and a `fails` counter.

ok() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; fails=$((fails + 1)); }
# ms_since T0: milliseconds since T0 (from date +%s%N)
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# cli ARGS: run in the client namespace.
cli() { "$lab" exec "$@"; }

# bg NAME OUT CMD...: start CMD in the client namespace in the background, stdout to OUT, its
# own pid (not a wrapper's) in $run/NAME.bgpid, so that it can be signalled exactly. The wrapper
# shell stays, so that a CMD killed by a signal is an exit status of 128+N, not a job killed.
declare -A bgjobs
bg() {
	local name=$1 out=$2
	shift 2
	ip netns exec twr-client bash -c 'f=$1; shift; "$@" & echo $! >"$f"; wait $!' _ \
		"$run/$name.bgpid" "$@" >"$out" 2>"$run/$name.err" </dev/null &
	bgjobs[$name]=$!
	for _ in $(seq 50); do [ -s "$run/$name.bgpid" ] && return 0; sleep 0.02; done
	echo "cannot start $*" >&2
	return 1
}
# bgwait NAME: wait for a bg job, its exit status.
bgwait() {
	local pid rc=0
	pid=$(cat "$run/$1.bgpid")
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
	wait "${bgjobs[$1]}" || rc=$?
	rm -f "$run/$1.bgpid"
	return $rc
}
# bgkill_all: SIGKILL every bg job still running (for the EXIT trap).
bgkill_all() {
	local f
	for f in "$run"/*.bgpid; do
		[ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null || true
	done
}

# wait_line FILE TEXT SECONDS: wait until FILE has a line containing TEXT.
wait_line() {
	local i
	for i in $(seq $(($3 * 20))); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}

# Telemetry: snap NAME saves /twamp/stats and /twamp/control; val NAME KEY reads a counter;
# grew A B KEY is its growth between two snapshots.
snap() { "$top/tools/telemetry" -f twr-lab /twamp/stats /twamp/control >"$run/$1.tel"; }
val() {
	$py -c 'import json, sys
d = json.load(open(sys.argv[1]))
v = [s[sys.argv[2]] for s in d.values() if sys.argv[2] in s]
print(v[0] if v else sys.exit("no counter " + sys.argv[2]))' "$run/$1.tel" "$2"
}
grew() { echo $(($(val "$2" "$3") - $(val "$1" "$3"))); }
