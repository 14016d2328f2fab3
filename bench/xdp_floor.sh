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
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3} count=${2:-100000} size=${3:-64}
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
	local transport=$1 attach=$2 port=$((20000 + RANDOM % 20000))
	local common=(-transport "$transport" -attach "$attach" -count "$count" -size "$size")
	# A fresh file: the background redirection truncates it only when the
	# server starts, and an old "ready" must not start the client early.
	rm -f "$bin/server.out"
	ip netns exec "$nsb" "$bin/xdp_floor" "${common[@]}" -role server -cpu 1 -iface "$lb" \
		-local "10.77.0.2:$port" -peer "10.77.0.1:$port" -peer-mac "$maca" >"$bin/server.out" 2>&1 &
	local pid=$!
	until grep -q ready "$bin/server.out" 2>/dev/null; do
		kill -0 "$pid" 2>/dev/null || { cat "$bin/server.out"; return 1; }
		sleep 0.05
	done
	echo "== $transport${attach:+ ($attach)}"
	if ! ip netns exec "$nsa" "$bin/xdp_floor" "${common[@]}" -role client -cpu 0 -iface "$la" \
		-local "10.77.0.1:$port" -peer "10.77.0.2:$port" -peer-mac "$macb" >"$bin/client.out" 2>&1; then
		cat "$bin/client.out"
		echo "-- server:"
		kill "$pid" 2>/dev/null || true
		wait "$pid" || true
		cat "$bin/server.out"
		return 1
	fi
	grep -v '^ready$' "$bin/client.out"
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
for r in $(seq "$rounds"); do
	echo "## round $r"
	one xdp generic
	one xdp native
	one udp ""
	one tcp ""
done
