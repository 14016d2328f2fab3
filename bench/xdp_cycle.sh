#!/usr/bin/env bash
# What a short-lived client costs over xdp:// and over tcp:// on the same
# link: bench/cycle's REQ made, connected, one round trip, closed, CYCLES
# times, against a REP server, in the two namespaces of bench/xdp_net.sh
# (server in B on $SERVER_CPU, default 1; client in A on $CLIENT_CPU,
# default 0), zmqx out of the box. Each round runs every DIR over xdp://
# then over tcp://, in turn.
#
#   bench/xdp_cycle.sh ROUNDS CYCLES DIR... [-- CYCLE-FLAGS...]
#
# Each DIR holds a cycle binary (go build -o DIR ./bench/cycle) built from
# the code to compare. Prints one line a run: round, DIR, transport, and
# cycle's line (quartiles of the cycle, medians of its steps, in µs).
# Needs root and iproute2.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 3 ] || {
	echo "usage: bench/xdp_cycle.sh ROUNDS CYCLES DIR... [-- CYCLE-FLAGS...]" >&2
	exit 2
}
rounds=$1 cycles=$2
shift 2
dirs=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	[ -x "$1/cycle" ] || {
		echo "xdp_cycle: no $1/cycle" >&2
		exit 2
	}
	dirs+=("$1")
	shift
done
[ $# -eq 0 ] || shift
flags=("$@")
scpu=${SERVER_CPU:-1} ccpu=${CLIENT_CPU:-0}
# shellcheck source=bench/xdp_net.sh
. bench/xdp_net.sh
xdp_scratch
xdp_net_up 1

for r in $(seq "$rounds"); do
	for d in "${dirs[@]}"; do
		for proto in xdp tcp; do
			port=$((20000 + RANDOM % 20000))
			ip netns exec "$nsb" taskset -c "$scpu" "$d/cycle" "${flags[@]}" -server "$proto://10.77.0.2:$port" \
				>"$work/server.out" 2>&1 &
			pid=$!
			if ! listening "$port" "$pid" ||
				! ip netns exec "$nsa" taskset -c "$ccpu" "$d/cycle" "${flags[@]}" -n "$cycles" "$proto://10.77.0.2:$port" \
					>"$work/client.out" 2>&1; then
				cat "$work/client.out" "$work/server.out" >&2
				kill "$pid" 2>/dev/null || true
				exit 1
			fi
			kill "$pid"
			wait "$pid" 2>/dev/null || true
			echo "round $r $d $proto: $(grep '^cycle' "$work/client.out")"
		done
	done
done
