#!/usr/bin/env bash
# The round trip against its floor, within runs: zmqx's REQ/REP with
# --idle spin --invoker and floor_lat --mode spin (MODE=block: zmqx as it
# comes and floor_lat --mode block), over tcp loopback,
# server on $SERVER_CPU (default 1), client on $CLIENT_CPU (default 0),
# alternating run by run (the order swapping every round), each run's
# client printing the p50 of every [chunk] round trips (--chunk). This
# host moves between speeds for seconds at a time, for the floor and zmqx
# alike; a run's chunks show those spells, where a run's p50 mixes them.
#
#   bench/lat_chunks.sh [rounds] [roundtrips] [chunk] [size]
#   defaults:            10       200000       20000   64
#
# It prints each run's chunk p50s, then zmqx over the floor round by round
# by two statistics (bench/ratios.awk: the ratios, their median and its
# 95 % interval): the median chunk of each run, and the fastest chunk of
# each run (the two at their best spell in the same round). BIN, a
# directory with the built tools (built into a temporary one otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-10} rts=${2:-200000} chunk=${3:-20000} size=${4:-64}
mode=${MODE:-spin}
zopts=(--idle spin --invoker)
case $mode in
spin) ;;
block) zopts=() ;;
*) echo "MODE=$mode: want spin or block" >&2; exit 2 ;;
esac
scpu=${SERVER_CPU:-1} ccpu=${CLIENT_CPU:-0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=bench/tools.sh
. bench/tools.sh
tools_bin ./bench/cmd/local_lat ./bench/cmd/remote_lat ./bench/cmd/floor_lat
port=$((20000 + RANDOM % 20000))
# one CASE: a run of CASE (zmqx or floor); its chunk p50s go to $work/CASE,
# one line a round.
one() {
	port=$((port + 1))
	local srv cli
	if [ "$1" = zmqx ]; then
		srv=("$bin/local_lat" "${zopts[@]}" "tcp://127.0.0.1:$port" "$size" "$rts")
		cli=("$bin/remote_lat" "${zopts[@]}" --chunk "$chunk" "tcp://127.0.0.1:$port" "$size" "$rts")
	else
		srv=("$bin/floor_lat" --mode "$mode" server "127.0.0.1:$port" "$size" "$rts")
		cli=("$bin/floor_lat" --mode "$mode" --chunk "$chunk" client "127.0.0.1:$port" "$size" "$rts")
	fi
	taskset -c "$scpu" "${srv[@]}" >/dev/null &
	local pid=$!
	taskset -c "$ccpu" "${cli[@]}" 2>"$work/err" >/dev/null
	wait "$pid"
	awk '/^chunk p50/ { printf "%s ", $4 } END { print "" }' "$work/err" | tee -a "$work/$1" | sed "s/^/$1: /"
}
for r in $(seq "$rounds"); do
	echo "round $r"
	if [ $((r % 2)) = 1 ]; then one zmqx; one floor; else one floor; one zmqx; fi
done
# stat FUNC: each run's median (med) or fastest (min) chunk, zmqx and the
# floor side by side, a round a line.
stat() {
	paste -d'|' "$work/zmqx" "$work/floor" | awk -F'|' -v f="$1" -f bench/stats.awk -f <(echo '
		function pick(s,   a, n) {
			n = split(s, a, " ")
			sort_(a, n)
			return f == "min" ? a[1] : median(a, n)
		}
		{ print pick($1), pick($2) }')
}
echo
echo "zmqx ${zopts[*]:-as it comes} ÷ floor_lat --mode $mode, p50 of $chunk-round-trip chunks, $rounds rounds of $rts round trips:"
echo
echo "| statistic of each run | ratio, round by round | median | median's 95 % interval |"
echo "|---|---|---|---|"
echo "| median chunk | $(stat med | awk -f bench/stats.awk -f bench/ratios.awk) |"
echo "| fastest chunk | $(stat min | awk -f bench/stats.awk -f bench/ratios.awk) |"
