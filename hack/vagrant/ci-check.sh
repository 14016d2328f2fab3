#!/usr/bin/env bash
# What CI checks of the benchmark VM on a machine that cannot boot it (no
# boxes can be downloaded there, and Go is never downloaded either: the CI
# machine has it):
#   1. the Vagrantfile is valid, when vagrant is installed;
#   2. provision.sh --install-and-build-only installs what is missing (apt,
#      only when a package is missing) and builds everything the suite runs;
#   3. the benchmark's own Go modules (bench/peers: the zmq4 peer and its
#      pairings with zmqx's and libzmq's tools; bench/plot: the pictures),
#      which the main module's go vet and go test do not reach, pass theirs;
#   4. bench/suite.sh, with the tools of step 2, runs one tiny round (a few
#      hundred round trips, a few thousand messages) and writes its table,
#      .hgrm files and pictures: a smoke test, not a measurement.
# Run as root (provision.sh may install packages). Idempotent: a second run
# installs nothing and rebuilds into a fresh temporary directory. Arguments
# are passed on to provision.sh.
set -euo pipefail
cd "$(dirname "$0")"
repo=$(cd ../.. && pwd)
step() { printf -- '-- ci-check: %s\n' "$*"; }

step "vagrant validate"
if ! command -v vagrant >/dev/null && [ "${CI:-}" = true ]; then
	# CI proves the Vagrantfile valid on every run: Debian's vagrant is
	# enough for validate (no provider, no box).
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq vagrant >/dev/null
fi
if command -v vagrant >/dev/null; then
	# --ignore-provider: check the libvirt and VirtualBox blocks without
	# either provider (or its plugin) having to be installed here.
	VAGRANT_CHECKPOINT_DISABLE=1 vagrant validate --ignore-provider
else
	echo "vagrant not installed, Vagrantfile not validated"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

step "provision.sh --install-and-build-only"
./provision.sh --install-and-build-only --repo "$repo" --bin "$tmp/bin" "$@"

for module in bench/peers bench/plot; do
	step "go vet and go test in $module"
	(cd "$repo/$module" && go vet ./... && go test -count=1 -timeout 5m ./...)
done

step "bench/suite.sh smoke run (1 round, tiny counts)"
cpus=$(nproc)
# timeout ends the whole process group (the suite and the tools it started)
# should a run hang, rather than CI's own limit.
(cd "$repo" && BIN=$tmp/bin OUT_DIR=$tmp/out SUBSCRIBERS=2 SERVER_CPU=$((cpus > 1 ? 1 : 0)) CLIENT_CPU=0 \
	timeout --kill-after=10 300 bench/suite.sh 1 64 200 5000 5000 >"$tmp/suite.log" 2>&1) || {
	cat "$tmp/suite.log"
	exit 1
}
sed -n '/^Medians of/,$p' "$tmp/suite.log"
for f in table.md throughput.tsv latency.png throughput.png zmqx.hgrm libzmq.hgrm zmq4.hgrm floor-spin.hgrm; do
	[ -s "$tmp/out/$f" ] || { echo "ci-check: the suite wrote no $f" >&2; exit 1; }
done
step "ok"
