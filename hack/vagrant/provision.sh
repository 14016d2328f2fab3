#!/usr/bin/env bash
# Prepare a Debian 12 machine for zmqx's benchmarks and, unless told
# otherwise, run them. Written for the Vagrant VM next to it, and run as is
# by CI (as root, on Debian) with --install-and-build-only. Safe to run again:
# every step checks before it changes anything.
#
#   provision.sh [--install-and-build-only] [--repo DIR] [--bin DIR] [--out-dir DIR]
#                [--tune-kernel] [--tune-cpufreq] [--tune-irq] [--isolate CPUS]
#                [-- suite arguments]
#
# Steps:
#   1. packages: gcc, pkg-config, libzmq3-dev, util-linux (taskset),
#      ca-certificates. apt runs only if one of them is missing.
#   2. Go >= the go.mod version: kept when already on PATH (or in
#      /usr/local/go/bin); otherwise the official tarball is downloaded and
#      checked against its published SHA-256, which needs network access
#      (a real VM has it; the CI machine has Go already).
#   3. build, into --bin (default ~/.cache/zmqx-bench/bin): go build
#      ./bench/cmd/...; the libzmq C peer bench/peers/zmqperf.c; the
#      go-zeromq/zmq4 peer bench/peers/zmq4perf and the plot command
#      bench/plot (as benchplot), each from its own Go module, whose
#      dependencies go build fetches through the Go module proxy when they
#      are not in the module cache yet.
#   4. without --install-and-build-only: bench/suite.sh, pinned to the
#      benchmark CPUs (client 1, server 2 on the 4-vCPU VM; 0 and 1 on a
#      2-CPU machine), with the tools of step 3. Arguments after "--" go to
#      the suite; --out-dir DIR becomes its OUT_DIR (the table, the .hgrm
#      files, throughput.tsv, latency.png and throughput.png).
#
# Host tuning, all off by default because they change the machine for
# everything else on it (each needs root):
#   --tune-kernel   add isolcpus=, nohz_full= and rcu_nocbs= for --isolate
#                   CPUS (default 1-3, or 1-(n-1)) to the kernel command line
#                   in /etc/default/grub and run update-grub; takes effect at
#                   the next boot (vagrant reload), after which the scheduler
#                   puts nothing on those CPUs unless pinned there, and the
#                   timer tick stops on a CPU running a single task.
#   --tune-cpufreq  set the cpufreq governor to "performance" on every CPU
#                   that has /sys/devices/system/cpu/cpuN/cpufreq (a VM
#                   usually has none: the host decides); until reboot.
#   --tune-irq      stop irqbalance and steer every interrupt that can be
#                   moved to the housekeeping CPU 0; until reboot.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin="" out_dir=""
build_only=0 tune_kernel=0 tune_cpufreq=0 tune_irq=0 isolate=""
go_version=${ZMQX_GO_VERSION:-1.26.8} # downloaded only when no usable Go is installed
suite_args=()

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
	case $1 in
	--install-and-build-only) build_only=1 ;;
	--repo) repo=$2; shift ;;
	--bin) bin=$2; shift ;;
	--out-dir) out_dir=$2; shift ;;
	--tune-kernel) tune_kernel=1 ;;
	--tune-cpufreq) tune_cpufreq=1 ;;
	--tune-irq) tune_irq=1 ;;
	--isolate) isolate=$2; shift ;;
	-h | --help) usage; exit 0 ;;
	--) shift; suite_args=("$@"); break ;;
	*) echo "provision.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
bin=${bin:-${XDG_CACHE_HOME:-$HOME/.cache}/zmqx-bench/bin}
ncpu=$(nproc --all)
[ -n "$isolate" ] || isolate="1-$((ncpu - 1))"

log() { echo "provision: $*"; }
need_root() { [ "$(id -u)" -eq 0 ] || { echo "provision.sh: $1 needs root" >&2; exit 1; }; }

# --- 1. packages ---------------------------------------------------------
packages=(gcc libc6-dev pkg-config libzmq3-dev util-linux ca-certificates)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	need_root "installing ${missing[*]}"
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
else
	log "packages already installed"
fi

# --- 2. Go ---------------------------------------------------------------
want=$(sed -n 's/^go \([0-9][0-9.]*\).*/\1/p' "$repo/go.mod")
# version_ok GO: whether the go binary GO is at least the go.mod version.
version_ok() {
	local have
	have=$("$1" env GOVERSION 2>/dev/null) || return 1
	have=${have#go}
	[ "$(printf '%s\n%s\n' "$want" "$have" | sort -V | head -n1)" = "$want" ]
}
gobin=""
for g in "$(command -v go || true)" /usr/local/go/bin/go; do
	if [ -n "$g" ] && [ -x "$g" ] && version_ok "$g"; then gobin=$g; break; fi
done
if [ -z "$gobin" ]; then
	need_root "installing Go $go_version"
	arch=$(dpkg --print-architecture)
	tarball="go$go_version.linux-$arch.tar.gz"
	log "Go >= $want not found: installing $tarball into /usr/local/go"
	command -v curl >/dev/null || apt-get install -y -q --no-install-recommends curl
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	curl -fsSL -o "$tmp/$tarball" "https://go.dev/dl/$tarball"
	# The download page's JSON lists each file's SHA-256.
	sum=$(curl -fsSL "https://go.dev/dl/?mode=json&include=all" |
		python3 -c 'import json,sys; f=sys.argv[1]; print(next(x["sha256"] for r in json.load(sys.stdin) for x in r["files"] if x["filename"]==f))' "$tarball")
	echo "$sum  $tmp/$tarball" | sha256sum -c --quiet
	rm -rf /usr/local/go
	tar -C /usr/local -xzf "$tmp/$tarball"
	gobin=/usr/local/go/bin/go
	version_ok "$gobin" || { echo "provision.sh: $gobin is older than go $want" >&2; exit 1; }
else
	log "using $("$gobin" env GOVERSION) at $gobin"
fi

# --- 3. build ------------------------------------------------------------
mkdir -p "$bin"
log "building the bench tools, the libzmq and zmq4 peers and the plot command into $bin"
(cd "$repo" && "$gobin" build -o "$bin" ./bench/cmd/...)
# shellcheck disable=SC2046 # pkg-config's flags are separate words
gcc -O2 -o "$bin/zmqperf" "$repo/bench/peers/zmqperf.c" $(pkg-config --cflags --libs libzmq) -lpthread
(cd "$repo/bench/peers" && "$gobin" build -o "$bin/zmq4perf" ./zmq4perf)
(cd "$repo/bench/plot" && "$gobin" build -o "$bin/benchplot" .)
ls "$bin"

# --- host tuning (opt-in) ------------------------------------------------
if [ $tune_kernel = 1 ]; then
	need_root --tune-kernel
	args="isolcpus=$isolate nohz_full=$isolate rcu_nocbs=$isolate"
	if grep -q "isolcpus=$isolate nohz_full=$isolate rcu_nocbs=$isolate" /etc/default/grub; then
		log "kernel arguments already set"
	else
		log "adding '$args' to the kernel command line"
		sed -i "s/^GRUB_CMDLINE_LINUX_DEFAULT=\"\(.*\)\"/GRUB_CMDLINE_LINUX_DEFAULT=\"\1 $args\"/" /etc/default/grub
		update-grub
	fi
	grep -q "isolcpus=$isolate" /proc/cmdline || log "reboot (vagrant reload) for CPU isolation to take effect"
fi
if [ $tune_cpufreq = 1 ]; then
	need_root --tune-cpufreq
	found=0
	for g in /sys/devices/system/cpu/cpu[0-9]*/cpufreq/scaling_governor; do
		[ -e "$g" ] || continue
		found=1
		echo performance >"$g" || log "could not set $g"
	done
	[ $found = 1 ] || log "no cpufreq governors here (usual in a VM): skipped"
fi
if [ $tune_irq = 1 ]; then
	need_root --tune-irq
	if command -v systemctl >/dev/null && systemctl is-active --quiet irqbalance; then
		systemctl stop irqbalance
	fi
	echo 1 >/proc/irq/default_smp_affinity # hex mask: CPU 0
	moved=0 fixed=0
	for f in /proc/irq/[0-9]*/smp_affinity_list; do
		if echo 0 >"$f" 2>/dev/null; then moved=$((moved + 1)); else fixed=$((fixed + 1)); fi
	done
	log "interrupts on CPU 0: $moved moved, $fixed cannot be moved"
fi

# --- 4. the suite --------------------------------------------------------
if [ $build_only = 1 ]; then
	log "built; not running the suite (--install-and-build-only)"
	exit 0
fi
if [ "$ncpu" -ge 3 ]; then client_cpu=1 server_cpu=2; else client_cpu=0 server_cpu=1; fi
log "running bench/suite.sh, client on CPU $client_cpu, server on CPU $server_cpu"
cd "$repo"
[ -z "$out_dir" ] || export OUT_DIR=$out_dir
PATH=$(dirname "$gobin"):$PATH CLIENT_CPU=$client_cpu SERVER_CPU=$server_cpu BIN=$bin \
	bench/suite.sh "${suite_args[@]}"
