#!/usr/bin/env bash
# Where a PUSH/PULL message's CPU time goes over xdp:// and over tcp:// on
# the same veth: the namespaces of bench/xdp_net.sh (one queue a side), the
# receiver (local_thr, --idle block) in B on $SERVER_CPU (default 1), the
# sender (remote_thr) in A on $CLIENT_CPU (default 0). Each round runs both
# transports, xdp:// first; one second into each run `perf record -a`
# samples both CPUs for two seconds (cpu-clock, so that idle time is
# sampled like the rest; the run must outlast that). A line per run:
#
#   xdp mtu 1500: 5.04 M msg/s, 198.6 ns/msg; sender user 96.0 kernel 67.7
#   other 34.9; receiver user 136.5 kernel 59.9 other 2.1
#
# splits each CPU's share of the wall time per message (1 / the rate) by
# where its samples fell: the tool's own code and libraries (user), the
# kernel, its modules and BPF programs on the tool's behalf (kernel),
# anything else, the idle loop included (other).
# A CPU with less than a whole message's time of user and kernel waited for
# the other side. The throughput target's question (can xdp:// reach tcp://
# here?) is the sender's: its kernel time per message is what copy mode
# costs, and the user-space work above the engines is the same code.
#
#   bench/xdp_thr_cpu.sh [rounds] [messages] [size]
#   defaults:            3        80000000   64
#
# XDP_MTU sets the veth's MTU; BIN, a directory with the built tools.
# Needs root, iproute2, taskset and perf.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3} msgs=${2:-80000000} size=${3:-64}
scpu=${SERVER_CPU:-1} ccpu=${CLIENT_CPU:-0}
command -v perf >/dev/null || { echo "needs perf" >&2; exit 1; }
# shellcheck source=bench/xdp_net.sh
. bench/xdp_net.sh
xdp_scratch
# The tools of a run cut short (a failure, an interrupt) go before the
# namespaces they hold.
spid='' cpid=''
trap 'kill $spid $cpid 2>/dev/null || true; wait 2>/dev/null || true; xdp_net_down; rm -rf "$work"' EXIT
# shellcheck source=bench/tools.sh
. bench/tools.sh
tools_bin ./bench/cmd/local_thr ./bench/cmd/remote_thr
xdp_net_up 1

# one KIND: a run over KIND (xdp or tcp) and its line.
one() {
	local kind=$1 port=$((20000 + RANDOM % 20000)) bound conn rate
	bound=tcp://10.77.0.2:$port conn=$bound
	if [ "$kind" = xdp ]; then
		bound=xdp://$lb/10.77.0.2:$port conn=xdp://10.77.0.2:$port
	fi
	ip netns exec "$nsb" taskset -c "$scpu" "$bin/local_thr" --idle block "$bound" "$size" "$msgs" >"$work/server.out" 2>&1 &
	spid=$!
	listening "$port" "$spid"
	ip netns exec "$nsa" taskset -c "$ccpu" "$bin/remote_thr" --idle block "$conn" "$size" "$msgs" >"$work/client.out" 2>&1 &
	cpid=$!
	sleep 1
	perf record -q -a -e cpu-clock -o "$work/perf.data" -- sleep 2 >/dev/null 2>&1
	if ! kill -0 "$spid" 2>/dev/null; then
		echo "$kind: the run ended before the sampling did: give it more messages" >&2
		return 1
	fi
	wait "$cpid" || { cat "$work/client.out"; return 1; }
	wait "$spid" || { cat "$work/server.out"; return 1; }
	spid='' cpid=''
	rate=$(awk '/^mean throughput: .*msg\/s/ { print $3 }' "$work/server.out")
	perf report -i "$work/perf.data" --sort cpu,comm,dso -q -g none 2>/dev/null |
		awk -v rate="$rate" -v kind="$kind" -v mtu="${XDP_MTU:-1500}" -v s="$scpu" -v c="$ccpu" '
		{ cpu = $2 + 0; p = $1 + 0; tot[cpu] += p
		  kern = ($NF ~ /^\[/ && $NF != "[vdso]") || $NF ~ /^bpf_prog/
		  if ($3 ~ /_thr$/) { if (kern) k[cpu] += p; else u[cpu] += p } else o[cpu] += p }
		function side(name, cpu) {
			if (tot[cpu] == 0) { printf "; %s no samples", name; return }
			printf "; %s user %.1f kernel %.1f other %.1f", name, ns * u[cpu] / tot[cpu],
				ns * k[cpu] / tot[cpu], ns * o[cpu] / tot[cpu]
		}
		END { ns = 1e9 / rate
			printf "%s mtu %d: %.2f M msg/s, %.1f ns/msg", kind, mtu, rate / 1e6, ns
			side("sender", c); side("receiver", s); print "" }'
}

for r in $(seq "$rounds"); do
	one xdp
	one tcp
done
