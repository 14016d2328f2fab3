#!/usr/bin/env bash
# The transport floors under zmqx's kernel-bypass path, measured in one
# session: a raw AF_XDP UDP ping-pong (package xdp, steered by package bpf)
# in generic and in native attach mode, next to spinning kernel UDP and
# kernel TCP ping-pongs, all over the same veth pair between two network
# namespaces made here (one queue each side, 10.77.0.1 and 10.77.0.2).
# The client is pinned to CPU 0, the server to CPU 1; both spin.
#
#   bench/xdp_floor.sh [rounds] [roundtrips] [payload-size]
#
# Needs root and iproute2. Rounds interleave the four transports so they
# see the same machine. GODEBUG=asyncpreemptoff=1 keeps the runtime from
# interrupting the spinning loops with preemption signals.
#
# THR=1 measures one-way throughput instead (xdp_floor -mode thr: no
# reliability, no acknowledgements, the ceiling of a messaging layer on
# each transport), the sender in A on CPU 0, the receiver in B on CPU 1:
#
#   THR=1 bench/xdp_floor.sh [rounds] [seconds] [payload-size]
#
# AF_XDP and kernel UDP send datagrams of [payload-size] bytes (default:
# the MTU less the IPv4 and UDP headers), kernel TCP writes of it (default
# 64 KiB); the receiver counts for [seconds] (default 3) after half a
# second of warm-up and prints datagrams/s, payload MB/s and the
# equivalent rate of 64-byte ZMTP messages; the end prints each case's
# rounds, sorted. XDP_MTU sets the veth's MTU (bench/xdp_net.sh); SG=1
# makes AF_XDP multi-buffer (xdp_floor -sg: XDP_USE_SG, the steering
# program frags-aware, a datagram chained over 4 KiB frames), which MTUs
# beyond about 3 800 need; BLOCK=1 makes the receivers park in poll(2)
# when nothing has arrived instead of spinning. With
# PERF=DIR, perf record -g samples the AF_XDP and TCP senders for 2 s of
# each run (DIR/TRANSPORT-ATTACH-rROUND.data).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${THR:-0}" = 1 ]; then
	rounds=${1:-3} secs=${2:-3} size=${3:-}
else
	rounds=${1:-3} count=${2:-100000} size=${3:-64}
fi
bin=$(mktemp -d)
# shellcheck source=bench/xdp_net.sh
. bench/xdp_net.sh
cleanup() {
	xdp_net_down
	rm -rf "$bin"
}
trap cleanup EXIT
go build -o "$bin/xdp_floor" ./bench/cmd/xdp_floor
xdp_net_up 1

export GODEBUG=asyncpreemptoff=1
# one TRANSPORT ATTACH: a server in B on CPU 1, the client in A on CPU 0.
one() {
	local transport=$1 attach=$2
	echo "== $transport${attach:+ ($attach)}"
	floor_pingpong "$bin" 1 0 -transport "$transport" -attach "$attach" -count "$count" -size "$size" || return 1
	grep -v '^ready$' "$bin/client.out"
}
# thr TRANSPORT ATTACH ROUND: one throughput run, the receiver (server
# role) in B on CPU 1, the sender (client role) in A on CPU 0.
thr() {
	local transport=$1 attach=$2 round=$3 port=$((20000 + RANDOM % 20000))
	local common=(-mode thr -transport "$transport" -attach "$attach" -duration "${secs}s")
	[ -n "$size" ] && common+=(-size "$size")
	[ "$transport" = xdp ] && [ "${SG:-0}" = 1 ] && common+=(-sg)
	[ "${BLOCK:-0}" = 1 ] && common+=(-block)
	rm -f "$bin/server.out"
	ip netns exec "$nsb" "$bin/xdp_floor" "${common[@]}" -role server -cpu 1 -iface "$lb" \
		-local "10.77.0.2:$port" -peer "10.77.0.1:$port" -peer-mac "$maca" >"$bin/server.out" 2>&1 &
	local pid=$! ok=1
	until grep -q ready "$bin/server.out" 2>/dev/null; do
		kill -0 "$pid" 2>/dev/null || { cat "$bin/server.out"; return 1; }
		sleep 0.05
	done
	echo "== thr $transport${attach:+ ($attach)}"
	ip netns exec "$nsa" "$bin/xdp_floor" "${common[@]}" -role client -cpu 0 -iface "$la" \
		-local "10.77.0.1:$port" -peer "10.77.0.2:$port" -peer-mac "$macb" >"$bin/client.out" 2>&1 &
	local cpid=$!
	if [ -n "${PERF:-}" ] && [ "$transport" != udp ]; then
		mkdir -p "$PERF"
		sleep 1
		perf record -q -g -p "$cpid" -o "$PERF/$transport${attach:+-$attach}-r$round.data" -- sleep 2 >/dev/null 2>&1 || true
	fi
	wait "$cpid" || ok=0
	wait "$pid" || ok=0
	grep -v '^ready$' "$bin/server.out"
	grep -v '^ready$' "$bin/client.out"
	[ "$ok" = 1 ] || return 1
	local scpu
	scpu=$(awk '/^sender cpu:/ { print $(NF - 4) }' "$bin/client.out")
	awk -v l="$transport${attach:+-$attach}" -v s="$scpu" '/^equivalent 64-byte ZMTP messages\/s:/ { m = $NF } /^payload MB\/s:/ { mb = $NF }
		/^(datagrams|reads)\/s:/ { d = $NF } END { print l, m, mb, d, s }' "$bin/server.out" >>"$bin/rows"
}
if [ "${THR:-0}" = 1 ]; then
	for r in $(seq "$rounds"); do
		echo "## round $r"
		thr xdp generic "$r"
		thr xdp native "$r"
		thr udp "" "$r"
		thr tcp "" "$r"
	done
	echo
	echo "throughput ceilings, $rounds rounds of ${secs}s, MTU ${XDP_MTU:-1500}${SG:+, SG=$SG}, rounds sorted"
	echo
	echo "| case | 64-byte ZMTP messages/s equivalent [M] | payload MB/s | datagrams (TCP: reads)/s [k] | the same [M] per sender CPU-second |"
	echo "|---|---|---|---|---|"
	for l in xdp-generic xdp-native udp tcp; do
		col() { awk -v l="$l" -v c="$1" -v d="$2" '$1 == l { printf "%.*f\n", d, $c / '"$3"' }' "$bin/rows" | sort -g | tr '\n' ' '; }
		echo "| $l | $(col 2 2 1e6)| $(col 3 0 1)| $(col 4 0 1e3)| $(col 5 2 1e6)|"
	done
	exit 0
fi
for r in $(seq "$rounds"); do
	echo "## round $r"
	one xdp generic
	one xdp native
	one udp ""
	one tcp ""
done
