#!/usr/bin/env bash
# The benchmark suite: zmqx against libzmq (bench/peers/zmqperf.c) over tcp
# loopback, latency (REQ/REP) and throughput (PUSH/PULL), next to the raw
# TCP floor (floor_lat, spinning and blocking), at each message size; and
# fan-out, PUB→10 SUBs (SUBSCRIBERS) with 64-byte messages (pub_thr, one XPUB,
# on the server CPU; sub_thr, one process with all the SUB sockets, on the
# client CPU), reported as the messages delivered to all subscribers
# together per second (a PUB drops at the HWM, so the share delivered and
# the publisher's send rate are reported too).
# Rounds are interleaved (every round runs every case once), so that slow
# drifts of the machine touch all cases alike, and the table reports the
# median over rounds. The server end is pinned to $SERVER_CPU (default 1),
# the client end to $CLIENT_CPU (default 0) with taskset.
#
#   bench/suite.sh [rounds] [sizes] [roundtrips] [messages] [fan-out messages]
#   defaults:       5        64,1024  20000       1000000    1000000
#
# [sizes] are the throughput sizes; a throughput run moves [messages], or
# fewer for large sizes (at most about 4 GB a run: 3 800 messages of 1 MiB).
# Latency runs at LAT_SIZES (default 64): zmqx and libzmq as they come,
# zmqx with --idle spin --invoker, and the two raw floors.
#
# Environment: LAT_SIZES; SERVER_CPU, CLIENT_CPU; SUBSCRIBERS, the SUB sockets of the
# fan-out case (default 10; 0 leaves the case out); BIN, a directory with the built tools
# and zmqperf (built into a temporary one otherwise); MIXED=1 adds the
# zmqx/libzmq mixed pairings; OUT, the file for the Markdown table (default:
# stdout only). Every run's raw output is printed first, labelled, so the
# table can be checked against it. Needs gcc, pkg-config and libzmq3-dev
# (unless BIN has zmqperf) and taskset.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5} sizes=${2:-64,1024} rts=${3:-20000} msgs=${4:-1000000} fanmsgs=${5:-1000000}
nsubs=${SUBSCRIBERS:-10}
latsizes=${LAT_SIZES:-64}
scpu=${SERVER_CPU:-1} ccpu=${CLIENT_CPU:-0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=${BIN:-}
if [ -z "$bin" ]; then
	bin=$work/bin
	mkdir -p "$bin"
	go build -o "$bin" ./bench/cmd/...
	# shellcheck disable=SC2046 # pkg-config's flags are separate words
	gcc -O2 -o "$bin/zmqperf" bench/peers/zmqperf.c $(pkg-config --cflags --libs libzmq) -lpthread
fi
port=$((20000 + RANDOM % 20000))
pairings="zmqx:zmqx libzmq:libzmq"
[ "${MIXED:-0}" = 1 ] && pairings="$pairings zmqx:libzmq libzmq:zmqx"

# tool IMPL NAME: the command line prefix of one side.
tool() { if [ "$1" = zmqx ]; then echo "$bin/$2"; else echo "$bin/zmqperf $2"; fi; }

# run LABEL SERVER-COMMAND -- CLIENT-COMMAND: runs both pinned, prints both
# outputs under LABEL, leaves the client's in $work/client.out and the
# server's in $work/server.out.
run() {
	local label=$1 srv=() cli=()
	shift
	while [ "$1" != -- ]; do srv+=("$1"); shift; done
	shift
	cli=("$@")
	taskset -c "$scpu" "${srv[@]}" >"$work/server.out" &
	local pid=$!
	taskset -c "$ccpu" "${cli[@]}" >"$work/client.out"
	wait "$pid"
	echo "== $label"
	cat "$work/client.out" "$work/server.out"
}

# lat_row FILE: the figures of one latency run, appended to FILE.
lat_row() {
	awk '/^average latency:/ { avg = $3 }
		/^latency (percentiles|tail)/ { for (i = 4; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
		END { print avg, v["p50"], v["p90"], v["p99"], v["p99.9"], v["p99.99"] }' "$work/client.out" >>"$1"
}

for r in $(seq "$rounds"); do
	echo "### round $r"
	for size in ${latsizes//,/ }; do
		for p in $pairings; do
			s=${p%%:*} c=${p##*:} port=$((port + 1))
			ep=tcp://127.0.0.1:$port
			# shellcheck disable=SC2046
			run "lat size=$size server=$s client=$c" $(tool "$s" local_lat) "$ep" "$size" "$rts" -- $(tool "$c" remote_lat) "$ep" "$size" "$rts"
			lat_row "$work/lat.$size.server=$s client=$c"
		done
		port=$((port + 1))
		ep=tcp://127.0.0.1:$port
		run "lat size=$size zmqx --idle spin --invoker" "$bin/local_lat" --idle spin --invoker "$ep" "$size" "$rts" -- \
			"$bin/remote_lat" --idle spin --invoker "$ep" "$size" "$rts"
		lat_row "$work/lat.$size.server=zmqx client=zmqx, --idle spin --invoker"
		for mode in spin block; do
			port=$((port + 1))
			run "lat size=$size floor $mode" "$bin/floor_lat" --mode "$mode" server "127.0.0.1:$port" "$size" "$rts" -- \
				"$bin/floor_lat" --mode "$mode" client "127.0.0.1:$port" "$size" "$rts"
			lat_row "$work/lat.$size.floor_lat --mode $mode"
		done
	done
	for size in ${sizes//,/ }; do
		n=$((4000000000 / (size + 64)))
		n=$((n < msgs ? n : msgs))
		for p in $pairings; do
			s=${p%%:*} c=${p##*:} port=$((port + 1))
			ep=tcp://127.0.0.1:$port
			# shellcheck disable=SC2046
			run "thr size=$size server=$s client=$c" $(tool "$s" local_thr) "$ep" "$size" "$n" -- $(tool "$c" remote_thr) "$ep" "$size" "$n"
			awk '/\[msg\/s\]/ { print $3 }' "$work/server.out" >>"$work/thr.$size.server=$s client=$c"
		done
	done
	[ "$nsubs" -gt 0 ] || continue
	for p in $pairings; do
		s=${p%%:*} c=${p##*:} port=$((port + 1))
		ep=tcp://127.0.0.1:$port
		# shellcheck disable=SC2046
		run "fan-out size=64 pub=$s subs=$c subscribers=$nsubs" $(tool "$s" pub_thr) "$ep" 64 "$fanmsgs" "$nsubs" -- \
			$(tool "$c" sub_thr) "$ep" 64 "$fanmsgs" "$nsubs"
		# aggregate delivered msg/s, delivered %, the publisher's send rate
		echo "$(awk '/\[msg\/s\]/ { a = $3 } /^delivered:/ { d = $2 } END { print a, d }' "$work/client.out")" \
			"$(awk '/\[msg\/s\]/ { print $3 }' "$work/server.out")" >>"$work/fan.pub=$s subs=$c"
	done
done

# median FILE COLUMN [FORMAT]: the median of a column (the mean of the
# middle two for an even count), printed with FORMAT (default %.2f).
median() {
	awk -v c="$2" '{ print $c }' "$1" | sort -g |
		awk -v f="${3:-%.2f}\n" '{ v[NR] = $1 } END { printf f, NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

table() {
	echo "Medians of $rounds interleaved rounds; $rts round trips and $msgs messages per run; server on CPU $scpu, client on CPU $ccpu."
	echo
	echo "| size [B] | latency (server / client) | avg one-way [us] | RTT p50 | p90 | p99 | p99.9 | p99.99 |"
	echo "|---|---|---|---|---|---|---|---|"
	for size in ${latsizes//,/ }; do
		for f in "$work"/lat."$size".*; do
			name=${f#"$work/lat.$size."}
			echo "| $size | $name | $(median "$f" 1) | $(median "$f" 2) | $(median "$f" 3) | $(median "$f" 4) | $(median "$f" 5) | $(median "$f" 6) |"
		done
	done
	echo
	echo "| size [B] | throughput (server PULL / client PUSH) | median msg/s | min | max | median MB/s |"
	echo "|---|---|---|---|---|---|"
	for size in ${sizes//,/ }; do
		for f in "$work"/thr."$size".*; do
			name=${f#"$work/thr.$size."}
			m=$(median "$f" 1 %.0f)
			echo "| $size | $name | $m | $(sort -g "$f" | head -n1) | $(sort -g "$f" | tail -n1) | $(awk -v m="$m" -v s="$size" 'BEGIN { printf "%.0f", m * s / 1e6 }') |"
		done
	done
	[ "$nsubs" -gt 0 ] || return 0
	echo
	echo "Fan-out: $fanmsgs messages of 64 B from one XPUB to $nsubs SUB sockets in one process; the aggregate is the messages delivered to all"
	echo "subscribers together over the time from the first data message on any subscriber to the last on any; the PUB drops at the HWM (1000)."
	echo
	echo "| fan-out (pub / subs) | PUB→$nsubs SUB aggregate msg/s | min | max | delivered [%] | pub send msg/s |"
	echo "|---|---|---|---|---|---|"
	for f in "$work"/fan.*; do
		name=${f#"$work/fan."}
		echo "| $name | $(median "$f" 1 %.0f) | $(awk '{ print $1 }' "$f" | sort -g | head -n1) | $(awk '{ print $1 }' "$f" | sort -g | tail -n1) | $(median "$f" 2) | $(median "$f" 3 %.0f) |"
	done
}
echo
if [ -n "${OUT:-}" ]; then table | tee "$OUT"; else table; fi
