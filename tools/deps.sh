#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Install what xvs needs to build and test, from Debian 12 packages only.
# Idempotent: installs only what is missing; runs `apt-get update` at most
# once per invocation and only when something must be installed.
#
#   tools/deps.sh          build, test, demo
#   tools/deps.sh bench    also the peers benchmarks compare against
set -euo pipefail

PKGS=(
	# build
	make gcc clang llvm pkg-config libbpf-dev libxdp-dev libelf-dev zlib1g-dev
	libyaml-dev libcmocka-dev bpftool linux-libc-dev
	# the hot-path microbenchmark: callgrind and its client requests
	valgrind
	# make SAN=1 and make fuzz: clang 14's ASan, UBSan and libFuzzer
	# runtimes (libclang_rt.*, only a Recommends of clang); gcc's, for
	# make SAN=1 SAN_CC=gcc
	libclang-rt-14-dev libasan8 libubsan1
	# run and test
	xdp-tools iproute2 iputils-ping bats kmod procps psmisc ethtool socat
	# xvsctl: JSON checked with jq, captures read back with tcpdump, metrics with curl
	jq tcpdump curl
	# service.bats: the man pages rendered (man -l, groff), the unit checked
	# with systemd-analyze verify (the package only: systemd need not be init)
	man-db groff-base systemd
	# guests
	qemu-system-x86 qemu-system-data busybox-static cpio xz-utils
	# guests through libvirt (tests/bats/libvirt.bats runs its own libvirtd;
	# no libvirt-daemon-system: no host daemon, config or network set up)
	libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
	# DPDK's virtio-user (dpdk-testpmd) as a guest driver: tests/bats/packed.bats
	dpdk-dev
)

# peers for `make bench`: dpdk-testpmd (dpdk-dev, above: dpdk has only the
# libraries); OVS with DPDK (ovs-vswitchd-dpdk); matplotlib for the plot
BENCH_PKGS=(openvswitch-switch-dpdk python3 python3-matplotlib)

case "${1:-}" in
"") ;;
bench) PKGS+=("${BENCH_PKGS[@]}") ;;
*) echo "usage: $0 [bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
	[ "$(id -u)" -eq 0 ] || { echo "deps: need root to install: ${missing[*]}" >&2; exit 1; }
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
else
	echo "deps: all packages present"
fi
