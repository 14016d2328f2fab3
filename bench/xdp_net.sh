# shellcheck shell=bash
# Sourced by bench/xdp_floor.sh and bench/xdp.sh: the two "hosts" their
# runs use, network namespaces made here and joined by a veth pair with
# QUEUES queues a side, addressed 10.77.0.1 (A, the client side) and
# 10.77.0.2 (B, the server side), with static neighbour entries, and an
# MTU of XDP_MTU when set (veth's default is 1500; native XDP on veth takes
# up to about 3 500 without multi-buffer).
#
#   xdp_scratch         sets work (a temporary directory) and a trap on EXIT
#                       that takes the namespaces down and removes work
#   xdp_net_up QUEUES   sets nsa nsb (namespaces), la lb (devices), maca macb
#   xdp_net_down        detaches any XDP program, deletes the namespaces
#   floor_pingpong DIR SERVER_CPU CLIENT_CPU ARGS... [-- SERVER_ARGS...]
#                       one bench/cmd/xdp_floor ping-pong between them (below)
#   listening PORT [PID] waits until B listens on TCP PORT (below)

xdp_scratch() {
	work=$(mktemp -d)
	trap 'xdp_net_down; rm -rf "$work"' EXIT
}

xdp_net_up() {
	local queues=${1:-1} id
	id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
	nsa=zmqx-xdp-$id-a nsb=zmqx-xdp-$id-b la=zxa$id lb=zxb$id
	ip netns add "$nsa"
	ip netns add "$nsb"
	ip -n "$nsa" link add "$la" numtxqueues "$queues" numrxqueues "$queues" type veth \
		peer name "$lb" netns "$nsb" numtxqueues "$queues" numrxqueues "$queues"
	ip -n "$nsa" addr add 10.77.0.1/24 dev "$la"
	ip -n "$nsb" addr add 10.77.0.2/24 dev "$lb"
	for ns in "$nsa" "$nsb"; do ip -n "$ns" link set dev lo up; done
	if [ -n "${XDP_MTU:-}" ]; then
		ip -n "$nsa" link set dev "$la" mtu "$XDP_MTU"
		ip -n "$nsb" link set dev "$lb" mtu "$XDP_MTU"
	fi
	ip -n "$nsa" link set dev "$la" up
	ip -n "$nsb" link set dev "$lb" up
	maca=$(ip -n "$nsa" -br link show dev "$la" | awk '{print $3}')
	macb=$(ip -n "$nsb" -br link show dev "$lb" | awk '{print $3}')
	ip -n "$nsa" neigh replace 10.77.0.2 lladdr "$macb" dev "$la" nud permanent
	ip -n "$nsb" neigh replace 10.77.0.1 lladdr "$maca" dev "$lb" nud permanent
}

xdp_net_down() {
	local ns dev
	for ns in "${nsa:-}" "${nsb:-}"; do
		[ -n "$ns" ] || continue
		for dev in "${la:-}" "${lb:-}"; do
			ip -n "$ns" link set dev "$dev" xdp off 2>/dev/null || true
			ip -n "$ns" link set dev "$dev" xdpgeneric off 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
	done
}

# floor_pingpong DIR SERVER_CPU CLIENT_CPU ARGS... [-- SERVER_ARGS...] runs
# DIR/xdp_floor with ARGS on a random port: the server in B (with
# SERVER_ARGS too), and once it is ready the client in A, each pinned with
# -cpu; then it stops the server (a floor built with the zmqxlegs tag
# reports its legs on its way out). The outputs are DIR/server.out and
# DIR/client.out; when the server or the client fails, what they printed
# is shown and it returns 1. Arrays floor_server_wrap and floor_client_wrap,
# when set, go in front of the server's and the client's command (a tracer,
# bench/pathtrace).
floor_pingpong() {
	local dir=$1 scpu=$2 ccpu=$3 port=$((20000 + RANDOM % 20000)) pid
	shift 3
	local args=() sargs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	[ $# -eq 0 ] || { shift; sargs=("$@"); }
	# A fresh file: the background redirection truncates it only when the
	# server starts, and an old "ready" must not start the client early.
	rm -f "$dir/server.out"
	ip netns exec "$nsb" ${floor_server_wrap[@]+"${floor_server_wrap[@]}"} "$dir/xdp_floor" "${args[@]}" "${sargs[@]}" -role server -cpu "$scpu" -iface "$lb" \
		-local "10.77.0.2:$port" -peer "10.77.0.1:$port" -peer-mac "$maca" >"$dir/server.out" 2>&1 &
	pid=$!
	until grep -q ready "$dir/server.out" 2>/dev/null; do
		kill -0 "$pid" 2>/dev/null || { cat "$dir/server.out"; return 1; }
		sleep 0.05
	done
	if ! ip netns exec "$nsa" ${floor_client_wrap[@]+"${floor_client_wrap[@]}"} "$dir/xdp_floor" "${args[@]}" -role client -cpu "$ccpu" -iface "$la" \
		-local "10.77.0.1:$port" -peer "10.77.0.2:$port" -peer-mac "$macb" >"$dir/client.out" 2>&1; then
		cat "$dir/client.out"
		echo "-- server:"
		kill "$pid" 2>/dev/null || true
		wait "$pid" || true
		cat "$dir/server.out"
		return 1
	fi
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# listening PORT [PID]: waits until B listens on TCP PORT (every zmqx and
# libzmq server does, xdp:// binds included), so a client never starts
# before its server; with PID, gives up as soon as that server has exited.
listening() {
	local i
	for i in $(seq 200); do
		ip netns exec "$nsb" ss -ltnH "sport = :$1" | grep -q . && return 0
		[ -z "${2:-}" ] || kill -0 "$2" 2>/dev/null || break
		sleep 0.05
	done
	echo "nothing listens on $1" >&2
	return 1
}
