#!/usr/bin/env bash
# What code run between two datagrams costs the kernel's AF_XDP legs: the
# raw ping-pong (bench/cmd/xdp_floor, copy mode, $ATTACH, default
# generic), with the server running code between taking each message and
# echoing it (xdp_floor -footprint N: N distinct small functions, about a
# 64-byte line of code each), against the control (-footprint-same: N
# calls to two functions, time spent with almost no code; same1200 takes
# about as long as 300 distinct ones). Built with the zmqxlegs tag
# (package internal/legs), so the client splits each round trip: the leg
# that follows the server's code is "server's kick -> client takes the
# datagram", which the server's turnaround does not contain. Server on
# $SERVER_CPU (default 1) in namespace B, client on $CLIENT_CPU (default 0)
# in A (bench/xdp_net.sh). Each round runs every variant once, in the order
# given.
#
#   bench/xdp_footprint.sh [rounds] [roundtrips] [variants...]
#   defaults:               5        100000       0 same1200 30 100 300 1000
#
# A variant is N (distinct functions), sameN (the control) or dataK (the
# server writes a byte in each 64-byte line of K KiB instead). The end
# prints, per variant, the medians over rounds of the round trip's p50, of
# the server's turnaround and of that leg, and the leg's median difference
# from variant 0 of the same round. Environment: ATTACH (generic or native),
# SERVER_CPU, CLIENT_CPU.
# Needs root and iproute2.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5} count=${2:-100000}
shift $(($# < 2 ? $# : 2))
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(0 same1200 30 100 300 1000)
attach=${ATTACH:-generic} scpu=${SERVER_CPU:-1} ccpu=${CLIENT_CPU:-0}
for v in "${variants[@]}"; do
	[[ $v =~ ^(same|data)?[0-9]+$ ]] || { echo "xdp_footprint.sh: variant $v: want N, sameN or dataK" >&2; exit 2; }
done
bin=$(mktemp -d)
# shellcheck source=bench/xdp_net.sh
. bench/xdp_net.sh
export ZMQX_LEGS=footprint-$$
cleanup() {
	xdp_net_down
	rm -rf "$bin"
	rm -f "/dev/shm/zmqx-legs-$ZMQX_LEGS"
}
trap cleanup EXIT
go build -tags zmqxlegs -o "$bin/xdp_floor" ./bench/cmd/xdp_floor
xdp_net_up 1
export GODEBUG=asyncpreemptoff=1

# p50 FIELD FILE: the p50 of the legs line's FIELD-th "p50" (1: the leg, 2:
# the turnaround).
p50() { awk -v f="$1" '/^legs/ { k = 0; for (i = 1; i <= NF; i++) if ($i == "p50" && ++k == f) print $(i + 1) }' "$2"; }

for r in $(seq "$rounds"); do
	for v in "${variants[@]}"; do
		case $v in
		same*) extra=(-footprint "${v#same}" -footprint-same) ;;
		data*) extra=(-footprint-data "${v#data}") ;;
		*) extra=(-footprint "$v") ;;
		esac
		floor_pingpong "$bin" "$scpu" "$ccpu" -transport xdp -attach "$attach" -count "$count" -size 64 -- "${extra[@]}" ||
			exit 1
		rt=$(awk '/^latency percentiles/ { for (i = 1; i <= NF; i++) if ($i ~ /^p50=/) print substr($i, 5) }' "$bin/client.out")
		leg=$(p50 1 "$bin/client.out")
		turn=$(p50 2 "$bin/server.out")
		echo "round $r, $v: round trip p50 $rt us; server turnaround $turn ns; server kick -> client detect $leg ns"
		echo "$r $v $rt $turn $leg" >>"$bin/rows"
	done
done
echo
echo "medians over $rounds rounds, $attach attach; the leg's difference from variant 0 of the same round"
echo
echo "| variant | round trip p50 [us] | server turnaround [ns] | server kick -> client detect [ns] | leg minus variant 0's [ns] |"
echo "|---|---|---|---|---|"
for v in "${variants[@]}"; do
	awk -v v="$v" -f bench/stats.awk -f <(echo '
		{ leg[$1, $2] = $5 }
		$2 == v { n++; rt[n] = $3; turn[n] = $4; l[n] = $5; r[n] = $1 }
		END {
			for (i = 1; i <= n; i++) if ((r[i], "0") in leg) { m++; d[m] = l[i] - leg[r[i], "0"] }
			sort_(rt, n); sort_(turn, n); sort_(l, n); sort_(d, m)
			printf "| %s | %.2f | %.0f | %.0f | %s |\n", v, median(rt, n), median(turn, n), median(l, n), m ? sprintf("%+.0f", median(d, m)) : "n/a"
		}') "$bin/rows"
done
