#!/usr/bin/env bash
# Builds compared over xdp://, interleaved round by round: for a change too
# small to show through bench/xdp.sh's noise. The two namespaces of
# bench/xdp_net.sh (one queue a side), the server in B on $SERVER_CPU
# (default 1), the client in A on $CLIENT_CPU (default 0), the steering
# program attached $ATTACH (default generic). Each item runs once a round,
# in an order that rotates from round to round. An item is
#   DIR         zmqx's REQ/REP over xdp:// (DIR/local_lat and remote_lat,
#               --idle $IDLE, default spin, and --invoker unless
#               INVOKER=0)
#   floor:DIR   the raw AF_XDP ping-pong (DIR/xdp_floor)
#   rel:DIR     the same carried by zmqx's channel (DIR/xdp_floor -rel, a
#               message being the SIZE-byte REQ/REP message's ZMTP bytes)
# each DIR holding tools built from the code to compare (bench/tools.sh's
# build_tools, or go build -o DIR ./bench/cmd/...).
#
#   bench/xdp_ab.sh ROUNDS ROUNDTRIPS SIZE ITEM...
#
# Prints each run's p50 and p99 ("round R ITEM: p50 X p99 Y"), then a table:
# each item's median p50 and p99, and for every item after the first its p50
# over the first item's, round by round, with the median of those ratios
# and its interval (bench/ratios.awk). Needs root and iproute2.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 4 ] || {
	echo "usage: bench/xdp_ab.sh ROUNDS ROUNDTRIPS SIZE ITEM..." >&2
	exit 2
}
rounds=$1 rts=$2 size=$3
shift 3
items=("$@")
scpu=${SERVER_CPU:-1} ccpu=${CLIENT_CPU:-0} attach=${ATTACH:-generic}
idle=${IDLE:-spin} invoker=${INVOKER:-1}
for it in "${items[@]}"; do
	d=${it#floor:}
	d=${d#rel:}
	want=local_lat
	[ "$d" = "$it" ] || want=xdp_floor
	[ -x "$d/$want" ] || {
		echo "xdp_ab: $it: no $d/$want" >&2
		exit 2
	}
done
# shellcheck source=bench/xdp_net.sh
. bench/xdp_net.sh
xdp_scratch
xdp_net_up 1
# The floors run from a copy (floor_pingpong writes its outputs next to it).
for i in "${!items[@]}"; do
	case ${items[$i]} in
	floor:* | rel:*)
		mkdir -p "$work/f$i"
		cp "${items[$i]#*:}/xdp_floor" "$work/f$i/"
		;;
	esac
done

# p50p99 FILE: the p50 and p99 of FILE's percentile line.
p50p99() {
	awk '/^latency percentiles/ { for (i = 4; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }; print v["p50"], v["p99"] }' "$1"
}

# zmqx DIR: one REQ/REP run over xdp://; its client's output in work/client.out.
zmqx() {
	local d=$1 port=$((20000 + RANDOM % 20000)) pid
	local zx=(--idle "$idle" --xdp-attach "$attach")
	[ "$invoker" != 1 ] || zx+=(--invoker)
	rm -f "$work/client.out"
	ip netns exec "$nsb" taskset -c "$scpu" "$d/local_lat" "${zx[@]}" "xdp://$lb/10.77.0.2:$port" "$size" "$rts" \
		>"$work/server.out" 2>&1 &
	pid=$!
	if ! listening "$port" "$pid" || ! ip netns exec "$nsa" taskset -c "$ccpu" "$d/remote_lat" "${zx[@]}" "xdp://10.77.0.2:$port" "$size" "$rts" \
		>"$work/client.out" 2>&1; then
		cat "$work/client.out" "$work/server.out" 2>/dev/null || true
		kill "$pid" 2>/dev/null || true
		wait "$pid" || true
		return 1
	fi
	wait "$pid" || {
		cat "$work/server.out"
		return 1
	}
}

k=${#items[@]}
for r in $(seq "$rounds"); do
	for j in $(seq 0 $((k - 1))); do
		i=$(((j + r) % k))
		it=${items[$i]}
		case $it in
		floor:* | rel:*)
			args=(-transport xdp -attach "$attach" -count "$rts" -size "$size")
			[ "${it%%:*}" = floor ] || args=(-transport xdp -attach "$attach" -count "$rts" -size "$((size + 4))" -rel)
			floor_pingpong "$work/f$i" "$scpu" "$ccpu" "${args[@]}"
			cp "$work/f$i/client.out" "$work/client.out"
			;;
		*) zmqx "$it" ;;
		esac
		read -r p50 p99 < <(p50p99 "$work/client.out")
		echo "round $r $it: p50 $p50 p99 $p99"
		echo "$r $i $p50 $p99" >>"$work/rows"
	done
done

echo
echo "$rounds rounds of $rts round trips, $size-byte messages, $attach attach, zmqx --idle $idle$([ "$invoker" != 1 ] || echo " --invoker"), server CPU $scpu, client CPU $ccpu"
echo
echo "| item | median p50 [us] | median p99 [us] | p50 over ${items[0]}'s, round by round | median | median's 95 % interval |"
echo "|---|---|---|---|---|---|"
for i in $(seq 0 $((k - 1))); do
	med=$(awk -v i="$i" '$2 == i { print $3, $4 }' "$work/rows" |
		awk -f bench/stats.awk -f <(echo '{ a[NR] = $1; b[NR] = $2 } END { sort_(a, NR); sort_(b, NR); printf "%.2f | %.2f", median(a, NR), median(b, NR) }'))
	if [ "$i" = 0 ]; then
		echo "| ${items[$i]} | $med | | | |"
		continue
	fi
	rat=$(awk -v i="$i" '$2 == 0 { base[$1] = $3 } $2 == i { mine[$1] = $3 } END { for (r in mine) if (r in base) print r, mine[r], base[r] }' "$work/rows" |
		sort -n | awk '{ print $2, $3 }' | awk -f bench/stats.awk -f bench/ratios.awk)
	echo "| ${items[$i]} | $med | $rat |"
done
