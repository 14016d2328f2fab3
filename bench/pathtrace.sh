#!/usr/bin/env bash
# Counts one side's turnaround in a REQ/REP ping-pong over xdp:// (64-byte
# messages, --idle spin --invoker, generic attach, the namespaces of
# bench/xdp_net.sh): the instructions and distinct lines of code between
# taking the datagram off the RX ring and the next TX kick, by package and
# function (bench/pathtrace). SIDE is server (local_lat, the default) or
# client (remote_lat); the turnaround traced is that of the AT-th single
# datagram the side receives (default 5000, well past the handshake), or
# of the 2·AT-th, and so on, when one was held up by the trace itself (see
# bench/pathtrace); the ping-pong runs 8·AT round trips.
# With FLOOR=1 it traces the raw AF_XDP ping-pong's side instead
# (bench/cmd/xdp_floor, and with REL=1 its -rel mode, the channel alone).
#
#   bench/pathtrace.sh [SIDE] [AT] [pathtrace flags...]
#
# BIN: a directory with the tools built with -tags zmqxlegs and pathtrace;
# built into a temporary one otherwise. Needs root and iproute2.
set -euo pipefail
cd "$(dirname "$0")/.."
side=${1:-server} at=${2:-5000}
shift $(($# < 2 ? $# : 2))
case $side in server | client) ;; *)
	echo "usage: bench/pathtrace.sh [server|client] [AT] [pathtrace flags...]" >&2
	exit 2
	;;
esac
# shellcheck source=bench/xdp_net.sh
. bench/xdp_net.sh
xdp_scratch
bin=${BIN:-}
if [ -z "$bin" ]; then
	bin=$work/bin
	mkdir -p "$bin"
	go build -tags zmqxlegs -o "$bin" ./bench/cmd/local_lat ./bench/cmd/remote_lat ./bench/cmd/xdp_floor
	go build -o "$bin" ./bench/pathtrace
fi
xdp_net_up 1
n=$((8 * at))
pt=("$bin/pathtrace" -at "$at" "$@" --)
srv=() cli=()
[ "$side" = server ] && srv=("${pt[@]}") || cli=("${pt[@]}")
if [ "${FLOOR:-}" = 1 ]; then
	size=64 rel=()
	[ "${REL:-}" = 1 ] && size=68 rel=(-rel)
	cp "$bin/xdp_floor" "$work/"
	# shellcheck disable=SC2034 # read by floor_pingpong
	floor_server_wrap=("${srv[@]}") floor_client_wrap=("${cli[@]}")
	floor_pingpong "$work" 1 0 -transport xdp -attach generic -count "$n" -size "$size" "${rel[@]}" || true
	pid=
else
	port=$((20000 + RANDOM % 20000))
	zx=(--idle spin --invoker --xdp-attach generic)
	ip netns exec "$nsb" taskset -c 1 "${srv[@]}" "$bin/local_lat" "${zx[@]}" "xdp://$lb/10.77.0.2:$port" 64 "$n" \
		>"$work/server.out" 2>&1 &
	pid=$!
	listening "$port" "$pid" || true
	ip netns exec "$nsa" taskset -c 0 "${cli[@]}" "$bin/remote_lat" "${zx[@]}" "xdp://10.77.0.2:$port" 64 "$n" \
		>"$work/client.out" 2>&1 || true
fi
[ -z "$pid" ] || wait "$pid" 2>/dev/null || true
# The tracer's report is in the traced side's output, after its own lines.
out=$work/$side.out
if ! grep -q "^RX ring -> TX kick" "$out"; then
	cat "$work/server.out" "$work/client.out"
	exit 1
fi
sed -n '/^RX ring -> TX kick/,$p' "$out"
