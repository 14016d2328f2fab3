# shellcheck shell=bash
# Sourced by the bench scripts, from the repository's root:
#
#   build_tools DIR [PACKAGES...]
#
# builds zmqx's perf tools (PACKAGES, default ./bench/cmd/...) and the
# libzmq peer (bench/peers/zmqperf.c, as zmqperf) into DIR. Needs gcc,
# pkg-config and libzmq3-dev.
build_tools() {
	local dir=$1
	shift
	mkdir -p "$dir"
	go build -o "$dir" "${@:-./bench/cmd/...}"
	# shellcheck disable=SC2046 # pkg-config's flags are separate words
	gcc -O2 -o "$dir/zmqperf" bench/peers/zmqperf.c $(pkg-config --cflags --libs libzmq) -lpthread
}

#   tools_bin PACKAGES...
#
# sets bin to $BIN when that is set, or else builds PACKAGES (go build
# only, no libzmq peer) into $work/bin, work being the caller's temporary
# directory.
tools_bin() {
	bin=${BIN:-}
	if [ -z "$bin" ]; then
		bin=$work/bin
		mkdir -p "$bin"
		go build -o "$bin" "$@"
	fi
}
