#!/usr/bin/env bash
# What CI checks of the benchmark VM on a machine that cannot boot it (no
# boxes can be downloaded there): that the Vagrantfile is valid, when
# vagrant is installed, and that provision.sh installs and builds
# everything on this Debian machine. Run as root (provision.sh may install
# packages).
set -euo pipefail
cd "$(dirname "$0")"
if command -v vagrant >/dev/null; then
	# --ignore-provider: check the libvirt and VirtualBox blocks without
	# either provider (or its plugin) having to be installed here.
	VAGRANT_CHECKPOINT_DISABLE=1 vagrant validate --ignore-provider
else
	echo "ci-check: vagrant not installed, Vagrantfile not validated"
fi
./provision.sh --install-and-build-only "$@"
