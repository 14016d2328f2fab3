#!/usr/bin/env bash
# Pair zmqx's perf tools with libzmq (bench/peers/zmqperf.c) over tcp
# loopback. The four pairings (zmqx-zmqx, libzmq-libzmq and both mixes) are
# interleaved round by round so they see the same machine; the server end is
# pinned to CPU 1 and the client end to CPU 0 with taskset.
#
#   bench/compare.sh [rounds] [message-size] [roundtrips] [messages]
#
# Needs gcc, pkg-config and libzmq3-dev. Prints each run's output, labelled.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5} size=${2:-64} rts=${3:-20000} msgs=${4:-1000000}
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
# shellcheck source=bench/tools.sh
. bench/tools.sh
build_tools "$bin"
port=$((20000 + RANDOM % 20000))

# tool IMPL NAME: the command line prefix of one side.
tool() { if [ "$1" = zmqx ]; then echo "$bin/$2"; else echo "$bin/zmqperf $2"; fi; }

# pair KIND SERVER-IMPL CLIENT-IMPL COUNT
pair() {
	local kind=$1 srv=$2 cli=$3 n=$4
	port=$((port + 1))
	local ep="tcp://127.0.0.1:$port"
	# shellcheck disable=SC2046
	taskset -c 1 $(tool "$srv" "local_$kind") "$ep" "$size" "$n" >"$bin/server.out" &
	local pid=$!
	local out
	out=$(taskset -c 0 $(tool "$cli" "remote_$kind") "$ep" "$size" "$n")
	wait "$pid"
	echo "== $kind server=$srv client=$cli"
	echo "$out"
	cat "$bin/server.out"
}

for r in $(seq "$rounds"); do
	echo "### round $r"
	for p in zmqx:zmqx libzmq:libzmq zmqx:libzmq libzmq:zmqx; do
		pair lat "${p%%:*}" "${p##*:}" "$rts"
	done
	for p in zmqx:zmqx libzmq:libzmq zmqx:libzmq libzmq:zmqx; do
		pair thr "${p%%:*}" "${p##*:}" "$msgs"
	done
done
