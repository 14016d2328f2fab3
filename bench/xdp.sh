#!/usr/bin/env bash
# zmqx over AF_XDP next to what else the same link offers, in one session:
# two network namespaces made here, joined by a veth pair (bench/xdp_net.sh),
# the server side pinned to $SERVER_CPU (default 1) in B, the client side to
# $CLIENT_CPU (default 0) in A.
#
#   bench/xdp.sh [rounds] [roundtrips] [messages] [size]
#   defaults:     3        20000        1000000    64
#
# Every round runs, interleaved:
#   latency (REQ/REP round trips of [size] bytes, the contract's
#   local_lat/remote_lat):
#     zmqx over xdp:// (steering program attached natively, and generically),
#     zmqx over tcp:// on the same veth, libzmq (bench/peers/zmqperf.c) over
#     tcp:// on the same veth, and the raw AF_XDP ping-pong with no messaging
#     layer (bench/cmd/xdp_floor, both attach modes, spinning: the floor);
#   throughput (PUSH/PULL, [messages] of [size] bytes): zmqx over xdp://,
#     zmqx over tcp://, libzmq over tcp://.
# and the end prints a table of medians over rounds, and for zmqx over xdp://
# the p50 over the floor's of the same attach mode, round by round, the
# median of those ratios and its 95 % interval (bench/ratios.awk).
#
# Environment: IDLE, the zmqx tools' --idle in the latency runs (default
# block); INVOKER=1 adds --invoker to them (the goroutine calling Send and
# Recv drives the connection and, over xdp://, takes what arrives off the
# RX ring itself: with IDLE=spin one spinning thread a side, the setting
# for the lowest latency); THR_IDLE, the --idle of the throughput runs
# (default block, no --invoker: throughput out of the box); THR=0 leaves
# the throughput runs out, LAT=0 the floor and latency runs; XDP_MTU, the
# veth's MTU (bench/xdp_net.sh); QUEUES, the
# veth's queues a side (default 1); SERVER_CPU, CLIENT_CPU; BIN, a directory
# with the built tools and zmqperf. LEGS=1 splits every AF_XDP ping-pong into
# its legs (package internal/legs): the tools are built with the zmqxlegs
# tag (a BIN given must have been), and each process of a floor or zmqx
# xdp:// latency run prints a "legs" line: the quartiles of the peer's kick
# → this side taking the datagram, and of this side's own turnaround; use
# it with THR=0 and one queue (with many datagrams in flight the figures
# mean nothing). REL=1 adds, each round, the raw floor carried by zmqx's
# reliable channel and nothing above it (xdp_floor -rel, generic attach,
# [size]+4 bytes a message: a REQ/REP message's two ZMTP frames), and the
# ratio tables split zmqx's excess over the floor in two: the channel's
# protocol, and the rest of zmqx above it.
# Needs root, iproute2, taskset, gcc, pkg-config and libzmq3-dev (unless
# BIN has zmqperf).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3} rts=${2:-20000} msgs=${3:-1000000} size=${4:-64}
idle=${IDLE:-block} thridle=${THR_IDLE:-block} queues=${QUEUES:-1} invoker=${INVOKER:-}
scpu=${SERVER_CPU:-1} ccpu=${CLIENT_CPU:-0}
work=$(mktemp -d)
# shellcheck source=bench/xdp_net.sh
. bench/xdp_net.sh
if [ "${LEGS:-}" = 1 ]; then
	export ZMQX_LEGS=xdp-$$
fi
cleanup() {
	xdp_net_down
	rm -rf "$work"
	if [ -n "${ZMQX_LEGS:-}" ]; then rm -f "/dev/shm/zmqx-legs-$ZMQX_LEGS"; fi
}
trap cleanup EXIT
bin=${BIN:-}
if [ -z "$bin" ]; then
	bin=$work/bin
	# shellcheck source=bench/tools.sh
	. bench/tools.sh
	if [ -n "${ZMQX_LEGS:-}" ]; then
		GOFLAGS="${GOFLAGS:+$GOFLAGS }-tags=zmqxlegs" build_tools "$bin"
	else
		build_tools "$bin"
	fi
fi
xdp_net_up "$queues"
a="ip netns exec $nsa taskset -c $ccpu"
b="ip netns exec $nsb taskset -c $scpu"

# pair LABEL SERVER-COMMAND -- CLIENT-COMMAND: one run, outputs labelled.
pair() {
	local label=$1 srv=() cli=() port=$2
	shift 2
	while [ "$1" != -- ]; do srv+=("$1"); shift; done
	shift
	cli=("$@")
	# shellcheck disable=SC2086 # $b is a command prefix
	$b "${srv[@]}" >"$work/server.out" 2>&1 &
	local pid=$!
	listening "$port"
	# shellcheck disable=SC2086
	$a "${cli[@]}" >"$work/client.out" 2>&1 || { cat "$work/client.out" "$work/server.out"; return 1; }
	wait "$pid" || { cat "$work/server.out"; return 1; }
	echo "== $label"
	cat "$work/client.out" "$work/server.out"
	awk -v l="$label" '/^latency percentiles/ { for (i = 4; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }; print l, v["p50"], v["p99"] }
		/^mean throughput: .*msg\/s/ { print l, $3 }' "$work/client.out" "$work/server.out" >>"$work/rows"
}

# floor ATTACH [rel]: the raw AF_XDP ping-pong; with rel, carried by
# zmqx's reliable channel (xdp_floor -rel), a message being the size-byte
# REQ/REP message's ZMTP bytes (two frames: 4 bytes more).
floor() {
	local port=$((20000 + RANDOM % 20000)) label="raw AF_XDP floor ($1)" row=raw-afxdp-$1
	rm -f "$work/floor.out"
	local common=(-transport xdp -attach "$1" -count "$rts" -size "$size")
	if [ "${2:-}" = rel ]; then
		common=(-transport xdp -attach "$1" -count "$rts" -size "$((size + 4))" -rel)
		label="raw AF_XDP floor over rel ($1)" row=rel-afxdp-$1
	fi
	# shellcheck disable=SC2086
	GODEBUG=asyncpreemptoff=1 $b "$bin/xdp_floor" "${common[@]}" -role server -iface "$lb" \
		-local "10.77.0.2:$port" -peer "10.77.0.1:$port" -peer-mac "$maca" >"$work/floor.out" 2>&1 &
	local pid=$!
	until grep -q ready "$work/floor.out" 2>/dev/null; do
		kill -0 "$pid" 2>/dev/null || { cat "$work/floor.out"; return 1; }
		sleep 0.05
	done
	# shellcheck disable=SC2086
	GODEBUG=asyncpreemptoff=1 $a "$bin/xdp_floor" "${common[@]}" -role client -iface "$la" \
		-local "10.77.0.1:$port" -peer "10.77.0.2:$port" -peer-mac "$macb" >"$work/client.out" 2>&1
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	echo "== $label"
	grep -v '^ready$' "$work/client.out"
	grep '^legs ' "$work/floor.out" || true
	awk -v l="lat $row" '/^latency percentiles/ { for (i = 4; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }; print l, v["p50"], v["p99"] }' "$work/client.out" >>"$work/rows"
}

zx=(--idle "$idle")
zt=(--idle "$thridle")
mode="--idle $idle"
if [ "$invoker" = 1 ]; then
	zx+=(--invoker)
	mode+=" --invoker"
fi
for r in $(seq "$rounds"); do
	echo "### round $r"
	if [ "${LAT:-1}" != 0 ]; then
		floor native
		floor generic
		[ "${REL:-0}" != 1 ] || floor generic rel
		for attach in native generic; do
			p=$((20000 + RANDOM % 20000))
			pair "lat zmqx-xdp-$attach" $p "$bin/local_lat" "${zx[@]}" --xdp-attach $attach "xdp://$lb/10.77.0.2:$p" "$size" "$rts" -- \
				"$bin/remote_lat" "${zx[@]}" --xdp-attach $attach "xdp://10.77.0.2:$p" "$size" "$rts"
		done
		p=$((20000 + RANDOM % 20000))
		pair "lat zmqx-tcp" $p "$bin/local_lat" "${zx[@]}" "tcp://10.77.0.2:$p" "$size" "$rts" -- \
			"$bin/remote_lat" "${zx[@]}" "tcp://10.77.0.2:$p" "$size" "$rts"
		p=$((20000 + RANDOM % 20000))
		pair "lat libzmq-tcp" $p "$bin/zmqperf" local_lat "tcp://10.77.0.2:$p" "$size" "$rts" -- \
			"$bin/zmqperf" remote_lat "tcp://10.77.0.2:$p" "$size" "$rts"
	fi
	[ "${THR:-1}" = 0 ] && continue
	p=$((20000 + RANDOM % 20000))
	pair "thr zmqx-xdp" $p "$bin/local_thr" "${zt[@]}" "xdp://$lb/10.77.0.2:$p" "$size" "$msgs" -- \
		"$bin/remote_thr" "${zt[@]}" "xdp://10.77.0.2:$p" "$size" "$msgs"
	p=$((20000 + RANDOM % 20000))
	pair "thr zmqx-tcp" $p "$bin/local_thr" "${zt[@]}" "tcp://10.77.0.2:$p" "$size" "$msgs" -- \
		"$bin/remote_thr" "${zt[@]}" "tcp://10.77.0.2:$p" "$size" "$msgs"
	p=$((20000 + RANDOM % 20000))
	pair "thr libzmq-tcp" $p "$bin/zmqperf" local_thr "tcp://10.77.0.2:$p" "$size" "$msgs" -- \
		"$bin/zmqperf" remote_thr "tcp://10.77.0.2:$p" "$size" "$msgs"
done

echo
echo "medians over $rounds rounds, $size-byte messages, zmqx latency $mode, throughput --idle $thridle, $queues queue(s) a side, MTU ${XDP_MTU:-1500}"
med() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
if [ "${LAT:-1}" != 0 ]; then
	echo
	echo "| case | p50 round trip [us] | p99 round trip [us] |"
	echo "|---|---|---|"
	cases=(raw-afxdp-native raw-afxdp-generic)
	[ "${REL:-0}" != 1 ] || cases+=(rel-afxdp-generic)
	for l in "${cases[@]}" zmqx-xdp-native zmqx-xdp-generic zmqx-tcp libzmq-tcp; do
		p50=$(awk -v l="$l" '$1 == "lat" && $2 == l { print $3 }' "$work/rows" | med)
		p99=$(awk -v l="$l" '$1 == "lat" && $2 == l { print $4 }' "$work/rows" | med)
		echo "| $l | $p50 | $p99 |"
	done
	echo
	echo "zmqx over xdp:// against the raw floor of the same attach mode, round by round (each round runs both): p50 over"
	echo "the floor's p50 in the same round, the median of those ratios, and the distribution-free interval that holds"
	echo "the true median ratio with the probability given (none below 6 rounds)."
	echo
	echo "| attach | p50, round by round | median | median's 95 % interval |"
	echo "|---|---|---|---|"
	ratio() { # label numerator denominator
		paste -d' ' <(awk -v l="$2" '$1 == "lat" && $2 == l { print $3 }' "$work/rows") \
			<(awk -v l="$3" '$1 == "lat" && $2 == l { print $3 }' "$work/rows") |
			awk -f bench/stats.awk -f bench/ratios.awk | awk -v m="$1" 'NF { print "| " m " | " $0 " |" }'
	}
	for m in native generic; do
		ratio "$m" "zmqx-xdp-$m" "raw-afxdp-$m"
	done
	if [ "${REL:-0}" = 1 ]; then
		ratio "generic: the floor over rel ÷ the floor" rel-afxdp-generic raw-afxdp-generic
		ratio "generic: zmqx ÷ the floor over rel" zmqx-xdp-generic rel-afxdp-generic
	fi
fi
if [ "${THR:-1}" != 0 ]; then
	echo
	echo "| case | throughput [msg/s] |"
	echo "|---|---|"
	for l in zmqx-xdp zmqx-tcp libzmq-tcp; do
		echo "| $l | $(awk -v l="$l" '$1 == "thr" && $2 == l { print $3 }' "$work/rows" | med) |"
	done
fi
