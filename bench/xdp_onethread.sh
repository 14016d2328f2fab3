#!/usr/bin/env bash
# The AF_XDP message path's cost with no second CPU in it
# (bench/cmd/xdp_onethread): one network namespace made here with a veth
# pair, va (10.78.0.1) and vb (10.78.0.2), static neighbour entries, and a
# routing rule ahead of the local table that sends 10.78.0.2 out of va, so
# that one process can connect from one end to the other over xdp://.
# Rounds alternate zmqx (REQ/REP, spin, invoker) and the raw ping-pong,
# pinned to $CPU (default 1), and the end prints each mode's p50 per round
# and the median difference, zmqx's cost per round trip over the raw path.
#
#   bench/xdp_onethread.sh [rounds] [roundtrips]
#   defaults:               5        200000
#
# Environment: ATTACH (generic or native, default generic), CPU, BIN (a
# directory with xdp_onethread; built into a temporary one otherwise),
# PERF=DIR (a perf record of each run, DIR/MODE-ROUND.data). Needs root and
# iproute2.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5} n=${2:-200000} cpu=${CPU:-1} attach=${ATTACH:-generic}
work=$(mktemp -d)
ns=zmqx-1t-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
cleanup() {
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=bench/tools.sh
. bench/tools.sh
tools_bin ./bench/cmd/xdp_onethread
ip netns add "$ns"
ip -n "$ns" link add va type veth peer name vb
ip -n "$ns" addr add 10.78.0.1/24 dev va
ip -n "$ns" addr add 10.78.0.2/24 dev vb
for d in lo va vb; do ip -n "$ns" link set dev "$d" up; done
maca=$(ip -n "$ns" -br link show dev va | awk '{print $3}')
macb=$(ip -n "$ns" -br link show dev vb | awk '{print $3}')
ip -n "$ns" neigh replace 10.78.0.2 lladdr "$macb" dev va nud permanent
ip -n "$ns" neigh replace 10.78.0.1 lladdr "$maca" dev vb nud permanent
# 10.78.0.2 is local to the namespace: without this rule the route to it
# is the loopback, and the engine would not send it out of va.
ip -n "$ns" route add 10.78.0.2/32 dev va src 10.78.0.1 table 100
ip -n "$ns" rule add pref 10 to 10.78.0.2/32 lookup 100
ip -n "$ns" rule add pref 20 lookup local
ip -n "$ns" rule del pref 0
for r in $(seq "$rounds"); do
	for m in zmqx raw; do
		pre=()
		if [ -n "${PERF:-}" ]; then
			mkdir -p "$PERF"
			pre=(perf record -q -g -F 20000 -o "$PERF/$m-$r.data")
		fi
		ip netns exec "$ns" taskset -c "$cpu" "${pre[@]}" "$bin/xdp_onethread" -mode "$m" -attach "$attach" -n "$n" |
			tee -a "$work/out"
	done
done
echo
awk -f bench/stats.awk -f <(echo '
	{ for (i = 1; i <= NF; i++) if ($i == "p50") p[$1, ++k[$1]] = $(i + 1) }
	END {
		n = k["zmqx:"]
		for (r = 1; r <= n; r++) { d[r] = p["zmqx:", r] - p["raw:", r]; s = s " " d[r] }
		sort_(d, n)
		printf "zmqx p50 - raw p50, ns per round trip, round by round:%s; median %.0f\n", s, median(d, n)
	}') "$work/out"
