#!/usr/bin/env bash
# CURVE's per-message cost: 64-byte PUSH->PULL throughput over tcp loopback
# with and without CURVE, zmqx to zmqx and libzmq to libzmq (and CURVE
# across the two), interleaved round by round so every case sees the same
# machine. The receiver is pinned to CPU 1, the sender to CPU 0.
#
#   bench/curve.sh [rounds] [message-size] [messages]
#
# Needs gcc, pkg-config and libzmq3-dev. Prints each run's rate, labelled.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3} size=${2:-64} msgs=${3:-500000}
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
# shellcheck source=bench/tools.sh
. bench/tools.sh
build_tools "$bin" ./bench/cmd/local_thr ./bench/cmd/remote_thr
port=$((20000 + RANDOM % 20000))

tool() { if [ "$1" = zmqx ]; then echo "$bin/$2"; else echo "$bin/zmqperf $2"; fi; }

# run SECURITY SERVER-IMPL CLIENT-IMPL
run() {
	local sec=$1 srv=$2 cli=$3 curve=""
	[ "$sec" = curve ] && curve=1
	port=$((port + 1))
	local ep="tcp://127.0.0.1:$port"
	# shellcheck disable=SC2046
	ZMQX_BENCH_CURVE=$curve taskset -c 1 $(tool "$srv" local_thr) "$ep" "$size" "$msgs" >"$bin/out" &
	local pid=$!
	# shellcheck disable=SC2046
	ZMQX_BENCH_CURVE=$curve taskset -c 0 $(tool "$cli" remote_thr) "$ep" "$size" "$msgs" >/dev/null
	wait "$pid"
	printf '%-6s %-7s -> %-7s %s\n' "$sec" "$cli" "$srv" "$(grep -m1 'msg/s' "$bin/out")"
}

for r in $(seq "$rounds"); do
	echo "### round $r"
	for c in "null zmqx zmqx" "curve zmqx zmqx" "null libzmq libzmq" "curve libzmq libzmq" "curve zmqx libzmq" "curve libzmq zmqx"; do
		# shellcheck disable=SC2086
		run $c
	done
done
