#!/usr/bin/env bash
# The benchmark suite: zmqx against libzmq (bench/peers/zmqperf.c) and
# github.com/go-zeromq/zmq4 (bench/peers/zmq4perf, its own Go module) over
# tcp loopback, latency (REQ/REP) and throughput (PUSH/PULL), next to the raw
# TCP floor (floor_lat, spinning and blocking), at each message size; and
# fan-out, PUB→10 SUBs (SUBSCRIBERS) with 64-byte messages (pub_thr, one XPUB,
# on the server CPU; sub_thr, one process with all the SUB sockets, on the
# client CPU), reported as the messages delivered to all subscribers
# together per second (a PUB drops at the HWM, so the share delivered and
# the publisher's send rate are reported too).
# Rounds are interleaved (every round runs every case once), so that slow
# drifts of the machine touch all cases alike, and the table reports the
# median over rounds. A second table pairs zmqx's latency runs with the raw
# floor's of the same round: the ratio round by round, its median and the
# 95 % interval of that median (bench/ratios.awk), the comparison that a
# slow spell of the machine does not skew. The server end is pinned to $SERVER_CPU (default 1),
# the client end to $CLIENT_CPU (default 0) with taskset.
#
#   bench/suite.sh [rounds] [sizes] [roundtrips] [messages] [fan-out messages]
#   defaults:       5        64,1024  20000       1000000    1000000
#
# [sizes] are the throughput sizes ("none": no throughput runs, and with
# SUBSCRIBERS=0 a latency-only suite); a throughput run moves [messages], or
# fewer for large sizes (at most about 4 GB a run: 3 800 messages of 1 MiB).
# Latency runs at LAT_SIZES (default 64): zmqx and libzmq as they come,
# zmqx with --idle spin --invoker, and the two raw floors.
#
# The zmq4 pairing (zmq4 with zmq4) runs when zmq4perf can be built (or BIN
# has it); otherwise it is skipped, and the table says so. zmq4 takes no part
# in the fan-out case (zmq4perf has no pub_thr/sub_thr).
#
# Every latency run writes its round trips' percentile distribution
# (--hgrm, HdrHistogram's text format, µs), one file per system named after
# it: zmqx, libzmq, zmq4, zmqx-spin-invoker, floor-spin, floor-block, and
# SERVER-CLIENT for a mixed pairing (with -SIZEB added when LAT_SIZES has
# more than one size); each round overwrites the last.
#
# Environment: LAT_SIZES; SERVER_CPU, CLIENT_CPU; SUBSCRIBERS, the SUB sockets of the
# fan-out case (default 10; 0 leaves the case out); BIN, a directory with the built tools,
# zmqperf and zmq4perf (built into a temporary one otherwise); MIXED=1 adds the
# mixed pairings (zmqx/libzmq both ways, and zmqx/zmq4 both ways when zmq4
# runs); OUT, the file for the Markdown table (default: stdout only);
# OUT_DIR, a directory that gets the table (table.md), the last round's
# .hgrm files (replacing any .hgrm there), the throughput medians (throughput.tsv: size, system,
# msg/s) and, drawn from those by bench/plot (its own Go module), latency.png
# (latency-SIZEB.png for each of several LAT_SIZES) and throughput.png. Every run's raw output is printed first, labelled, so the
# table can be checked against it. Needs gcc, pkg-config and libzmq3-dev
# (unless BIN has zmqperf) and taskset; building zmq4perf and the plot
# command needs their modules (downloaded by go build when not cached).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5} sizes=${2:-64,1024} rts=${3:-20000} msgs=${4:-1000000} fanmsgs=${5:-1000000}
nsubs=${SUBSCRIBERS:-10}
[ "$sizes" != none ] || sizes=""
latsizes=${LAT_SIZES:-64}
scpu=${SERVER_CPU:-1} ccpu=${CLIENT_CPU:-0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=${BIN:-}
if [ -z "$bin" ]; then
	bin=$work/bin
	# shellcheck source=bench/tools.sh
	. bench/tools.sh
	build_tools "$bin"
fi
# zmq4perf and the plot command come from modules of their own; either may
# fail to build (no module cache and no network), which only leaves out what
# needs it.
notes=()
zmq4=0 zmq4perf=$bin/zmq4perf
if [ -x "$zmq4perf" ]; then
	zmq4=1
elif zmq4perf=$work/zmq4perf && (cd bench/peers && go build -o "$zmq4perf" ./zmq4perf) >"$work/zmq4.build" 2>&1; then
	zmq4=1
else
	cat "$work/zmq4.build" >&2
	notes+=("zmq4 skipped: bench/peers/zmq4perf did not build (output above the table).")
fi
plotter=""
if [ -n "${OUT_DIR:-}" ]; then
	mkdir -p "$OUT_DIR"
	if [ -x "$bin/benchplot" ]; then
		plotter=$bin/benchplot
	elif (cd bench/plot && go build -o "$work/benchplot" .) >"$work/plot.build" 2>&1; then
		plotter=$work/benchplot
	else
		cat "$work/plot.build" >&2
		notes+=("no pictures: bench/plot did not build (output above the table).")
	fi
fi
port=$((20000 + RANDOM % 20000))
pairings="zmqx:zmqx libzmq:libzmq"
[ $zmq4 = 1 ] && pairings="$pairings zmq4:zmq4"
if [ "${MIXED:-0}" = 1 ]; then
	pairings="$pairings zmqx:libzmq libzmq:zmqx"
	[ $zmq4 = 1 ] && pairings="$pairings zmqx:zmq4 zmq4:zmqx"
fi
nlatsizes=$(echo "${latsizes//,/ }" | wc -w)
mkdir -p "$work/hgrm"

# tool IMPL NAME: the command line prefix of one side.
tool() {
	case $1 in
	zmqx) echo "$bin/$2" ;;
	zmq4) echo "$zmq4perf $2" ;;
	*) echo "$bin/zmqperf $2" ;;
	esac
}

# system SERVER CLIENT: the name of a pairing in file names and pictures,
# the implementation when both ends are the same one, else SERVER-CLIENT.
system() { if [ "$1" = "$2" ]; then echo "$1"; else echo "$1-$2"; fi; }

# hgrm NAME SIZE: the file a latency run of system NAME at SIZE writes its
# distribution to.
hgrm() { if [ "$nlatsizes" -gt 1 ]; then echo "$work/hgrm/$1-${2}B.hgrm"; else echo "$work/hgrm/$1.hgrm"; fi; }

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
			run "lat size=$size server=$s client=$c" $(tool "$s" local_lat) "$ep" "$size" "$rts" -- \
				$(tool "$c" remote_lat) --hgrm "$(hgrm "$(system "$s" "$c")" "$size")" "$ep" "$size" "$rts"
			lat_row "$work/lat.$size.server=$s client=$c"
		done
		port=$((port + 1))
		ep=tcp://127.0.0.1:$port
		run "lat size=$size zmqx --idle spin --invoker" "$bin/local_lat" --idle spin --invoker "$ep" "$size" "$rts" -- \
			"$bin/remote_lat" --idle spin --invoker --hgrm "$(hgrm zmqx-spin-invoker "$size")" "$ep" "$size" "$rts"
		lat_row "$work/lat.$size.server=zmqx client=zmqx, --idle spin --invoker"
		for mode in spin block; do
			port=$((port + 1))
			run "lat size=$size floor $mode" "$bin/floor_lat" --mode "$mode" server "127.0.0.1:$port" "$size" "$rts" -- \
				"$bin/floor_lat" --mode "$mode" --hgrm "$(hgrm "floor-$mode" "$size")" client "127.0.0.1:$port" "$size" "$rts"
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
		[ "$s" != zmq4 ] && [ "$c" != zmq4 ] || continue # zmq4perf has no fan-out tools
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

# paired SIZE CASE MODE: CASE's p50 and p99 over the floor's (floor_lat
# --mode MODE) round by round: the p50 ratios, their median and its 95 %
# interval, and the p99 ratios' median, as table cells (bench/ratios.awk).
paired() {
	paste -d' ' "$work/lat.$1.$2" "$work/lat.$1.floor_lat --mode $3" |
		awk '{ print $2, $8, $4, $10 }' | awk -f bench/stats.awk -f bench/ratios.awk
}

table() {
	echo "Medians of $rounds interleaved rounds; $rts round trips and $msgs messages per run; server on CPU $scpu, client on CPU $ccpu."
	echo
	if [ ${#notes[@]} -gt 0 ]; then
		printf '%s\n' "${notes[@]}"
		echo
	fi
	echo "| size [B] | latency (server / client) | avg one-way [us] | RTT p50 | p90 | p99 | p99.9 | p99.99 |"
	echo "|---|---|---|---|---|---|---|---|"
	for size in ${latsizes//,/ }; do
		for f in "$work"/lat."$size".*; do
			name=${f#"$work/lat.$size."}
			echo "| $size | $name | $(median "$f" 1) | $(median "$f" 2) | $(median "$f" 3) | $(median "$f" 4) | $(median "$f" 5) | $(median "$f" 6) |"
		done
	done
	echo
	echo "zmqx against the raw floor round by round (each round runs both, one after the other, so a slow spell of the"
	echo "machine touches both alike): zmqx's figure over the floor's in the same round, the median of those ratios, and"
	echo "the distribution-free interval that holds the true median ratio with the probability given (none below 6 rounds)."
	echo
	echo "| size [B] | zmqx ÷ floor | p50, round by round | p50, median | p50, median's 95 % interval | p99, median |"
	echo "|---|---|---|---|---|---|"
	for size in ${latsizes//,/ }; do
		echo "| $size | \`--idle spin --invoker\` ÷ \`floor_lat --mode spin\` | $(paired "$size" "server=zmqx client=zmqx, --idle spin --invoker" spin) |"
		echo "| $size | as they come ÷ \`floor_lat --mode block\` | $(paired "$size" "server=zmqx client=zmqx" block) |"
	done
	[ -n "$sizes" ] || [ "$nsubs" -gt 0 ] || return 0
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
# thr_tsv: the throughput medians as "size<TAB>system<TAB>msg/s" rows.
thr_tsv() {
	printf 'size\tsystem\tmsg/s\n'
	for size in ${sizes//,/ }; do
		for f in "$work"/thr."$size".*; do
			name=${f#"$work/thr.$size."}
			s=${name#server=} s=${s%% *} c=${name##*client=}
			printf '%s\t%s\t%s\n' "$size" "$(system "$s" "$c")" "$(median "$f" 1 %.0f)"
		done
	done
}

echo
if [ -n "${OUT:-}" ]; then table | tee "$OUT"; else table; fi
if [ -n "${OUT_DIR:-}" ]; then
	table >"$OUT_DIR/table.md"
	thr_tsv >"$OUT_DIR/throughput.tsv"
	rm -f "$OUT_DIR"/*.hgrm # an earlier run's systems would be drawn too
	cp "$work"/hgrm/*.hgrm "$OUT_DIR/"
	if [ -n "$plotter" ]; then
		day=$(date -u +%F) ncpu=$(nproc)
		[ -z "$sizes" ] || "$plotter" -thr "$OUT_DIR/throughput.tsv" -out "$OUT_DIR" \
			-thr-title "$day, $ncpu CPUs: medians of $rounds rounds, up to $msgs messages each"
		# One latency picture per size: latency.png, or latency-SIZEB.png
		# from the files of that size (their curves named without the size).
		for size in ${latsizes//,/ }; do
			d=$work/plot-$size png=$OUT_DIR/latency.png
			mkdir -p "$d"
			for f in "$work"/hgrm/*.hgrm; do
				if [ "$nlatsizes" -gt 1 ]; then
					case $f in *"-${size}B.hgrm") ;; *) continue ;; esac
					png=$OUT_DIR/latency-${size}B.png
				fi
				b=$(basename "$f" .hgrm)
				cp "$f" "$d/${b%"-${size}B"}.hgrm"
			done
			"$plotter" -hgrm "$d" -lat-file "$png" \
				-lat-title "$day, $ncpu CPUs, $size B: the last of $rounds rounds, $rts round trips each"
		done
	fi
	echo
	echo "Written to $OUT_DIR: $(cd "$OUT_DIR" && echo *)"
fi
