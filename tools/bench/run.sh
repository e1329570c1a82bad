#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `make bench`: xvs against OVS-DPDK and DPDK testpmd, same machine, same
# load, same frontends, one run. Method and configurations: README.md here.
#
#   tools/bench/run.sh [--runs N] [--quick] [--only LIST] [--peers LIST]
#                      [--duration S] [--zero-loss|--no-zero-loss]
#                      [--xvs-poll adaptive|busy] [--out DIR]
#
# Exit status: 0 when the harness ran (whatever the numbers, and also when
# a peer could not run a scenario: that is a table entry), 1 when the harness
# itself failed, 2 for bad usage.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH=$ROOT/tools/bench
BUILD=${BUILD:-$ROOT/build}
BIN=${XVS_BIN:-$BUILD/bin}
PYTHON=${PYTHON:-/usr/bin/python3}
export PATH=$PATH:/usr/sbin:/sbin

. "$BENCH/lib/common.sh"
. "$BENCH/lib/sw_xvs.sh"
. "$BENCH/lib/sw_ovs.sh"
. "$BENCH/lib/sw_testpmd.sh"
. "$BENCH/lib/scenarios.sh"

ALL_GROUPS=vm2vm,vm2vm-tso,pvp,nic2vm,vm2nic,nic2vm-dpdk,vm2nic-dpdk,loop,loop-mf,loop-packed,loop-inorder,loop-mq,eff,idle
RUNS=3
GROUPS_SEL=$ALL_GROUPS
PEERS=xvs,xvs-zc,xvs-fw,xvs-cap,ovs,ovs-ct,testpmd
DURATION=2
ZERO_LOSS=1
XVS_POLL=busy
OUT=

usage() {
	sed -n '/^#   tools/,/^# Exit/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' | head -n -1 >&2
	cat >&2 <<EOF
  --runs N        runs, each measuring every switch in turn (default 3)
  --quick         1 run, 1 s trials, no zero-loss search
  --only LIST     scenario groups, comma-separated, of: $ALL_GROUPS
  --peers LIST    switches, of: xvs,xvs-zc,xvs-fw,xvs-cap,ovs,ovs-ct,testpmd
                  (default all; xvs-zc: xvs with zero-copy NIC⇄VM, uplink
                  groups only; xvs-fw, ovs-ct: xvs with a firewall, OVS with
                  conntrack flows, loop, loop-mf, nic2vm and nic2vm-dpdk
                  only; xvs-cap: xvs with a capture running on a third,
                  unconnected port, loop and vm2vm only)
  --duration S    target seconds per trial (default 2)
  --xvs-poll MODE xvs's polling in the rate rows: busy (default, like the
                  PMD peers) or adaptive; idle-saving rows always use adaptive
  --out DIR       results directory (default build/bench/<timestamp>)
EOF
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--runs) RUNS=${2:?}; shift ;;
	--quick) RUNS=1 DURATION=1 ZERO_LOSS=0 ;;
	--only) GROUPS_SEL=${2:?}; shift ;;
	--peers) PEERS=${2:?}; shift ;;
	--duration) DURATION=${2:?}; shift ;;
	--zero-loss) ZERO_LOSS=1 ;;
	--no-zero-loss) ZERO_LOSS=0 ;;
	--xvs-poll) XVS_POLL=${2:?}; shift ;;
	--out) OUT=${2:?}; shift ;;
	-h | --help) usage ;;
	*) echo "run.sh: unknown argument '$1'" >&2; usage ;;
	esac
	shift
done
[[ $RUNS =~ ^[1-9][0-9]?$ ]] || { echo "run.sh: --runs: want 1..99" >&2; exit 2; }
XVS_POLL_RATE=$XVS_POLL
[[ $DURATION =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "run.sh: --duration: want seconds" >&2; exit 2; }
case $XVS_POLL in adaptive | busy) ;; *) echo "run.sh: --xvs-poll: adaptive or busy" >&2; exit 2 ;; esac
for g in ${GROUPS_SEL//,/ }; do
	[[ ,$ALL_GROUPS, == *",$g,"* ]] || { echo "run.sh: --only: unknown group '$g'" >&2; exit 2; }
done
for p in ${PEERS//,/ }; do
	case $p in
	xvs | xvs-zc | xvs-fw | xvs-cap | ovs | ovs-ct | testpmd) ;;
	*) echo "run.sh: --peers: unknown '$p'" >&2; exit 2 ;;
	esac
done

# ---- environment ----------------------------------------------------------

[ "$(id -u)" -eq 0 ] || die "needs root (namespaces, XDP, hugepages)"
[ "$(nproc --all)" -ge 2 ] || die "needs 2 CPUs: one for the switch, one for the frontends"
FE_CPU=0
SW_CPU=1
RING=1024
FE_MEM=64
# xvs-zc: port a owns this queue of the uplink; the wire has this many
# queues while xvs-zc runs (1 for the others, as before). Queue 0: the
# generator's frames land there (README: the wire)
ZC_QUEUE=0
ZC_WIRE_QUEUES=2
MAC_A=02:00:00:00:00:01
MAC_B=02:00:00:00:00:02
HOST_MAC=02:99:bb:00:00:01
PEER_MAC=02:99:bb:00:00:02
NS=xvbench
HOST_IF=xvbh
PEER_IF=xvbp
HOLD_IF=xvbd
VUFRONT=$BIN/xvs-vufront
XVSD=$BIN/xvsd
XVSCTL=$BIN/xvsctl
for b in "$VUFRONT" "$XVSD" "$XVSCTL"; do
	[ -x "$b" ] || die "$b is missing: run make"
done

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RES=${OUT:-$BUILD/bench/$STAMP}
mkdir -p "$RES/logs"
RES=$(cd "$RES" && pwd)
LOGS=$RES/logs
TRIALS=$RES/trials.jsonl
: >"$TRIALS"
# short paths: unix socket names are limited to 107 bytes
WORK=$(mktemp -d /tmp/xvsbench.XXXXXX)
SOCKDIR=$WORK/sock
HUGEDIR=$WORK/huge
mkdir -p "$SOCKDIR" "$HUGEDIR"
SW_PID=

on_exit() {
	local rc=$?

	trap - EXIT INT TERM
	[ -n "${SW_PID:-}" ] && log "stopping what is still running"
	cleanup_all
	rm -rf /var/run/dpdk/xvsbench-tp /var/run/dpdk/xvsbench-fe /var/run/dpdk/xvsbench-ovs 2>/dev/null
	rm -rf "$WORK"
	exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

exec > >(tee -a "$RES/run.log") 2>&1

# xdpgen: the wire's generator and sink
XDPGEN_DIR=$BUILD/bench
XDPGEN=$XDPGEN_DIR/xdpgen
build_xdpgen() {
	local m

	mkdir -p "$XDPGEN_DIR"
	m=$(gcc -dumpmachine)
	clang -target bpf -O2 -g -Wall -Werror -I"/usr/include/$m" \
		-c "$BENCH/xdpgen/xdpgen.bpf.c" -o "$XDPGEN_DIR/xdpgen.bpf.o" &&
		gcc -O2 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -I"$ROOT/tools/lib" \
			"$BENCH/xdpgen/xdpgen.c" "$ROOT/tools/lib/frame.c" "$ROOT/tools/lib/args.c" \
			$(pkg-config --libs libbpf 2>/dev/null || echo -lbpf) -lelf -lz -o "$XDPGEN"
}

# hugepages for the DPDK peers: 1.25 GiB free in 2 MiB pages, on a private
# hugetlbfs mount
setup_hugepages() {
	local have free need=640

	have=$(cat /proc/sys/vm/nr_hugepages)
	free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
	if [ "$free" -lt "$need" ]; then
		track hugepages "$have"
		echo $((have + need - free)) >/proc/sys/vm/nr_hugepages
		free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
		[ "$free" -ge "$need" ] || warn "only $free free 2 MiB hugepages (wanted $need)"
	fi
	mount -t hugetlbfs -o pagesize=2M none "$HUGEDIR" || return 1
	track umount "$HUGEDIR"
}

# setup_wire [QUEUES]: the veth pair (again), QUEUES RX and TX queues on
# each end (1)
setup_wire() {
	local q=${1:-1}

	ip link del "$HOST_IF" 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	untrack link "$HOST_IF"
	untrack netns "$NS"
	ip netns add "$NS" && track netns "$NS" &&
		ip link add "$HOST_IF" numtxqueues "$q" numrxqueues "$q" address "$HOST_MAC" type veth \
			peer name "$PEER_IF" numtxqueues "$q" numrxqueues "$q" address "$PEER_MAC" \
			netns "$NS" && track link "$HOST_IF" || return 1
	# no IPv6 (no ND/MLD chatter), no addresses: the wire carries only ours
	sysctl -qw "net.ipv6.conf.$HOST_IF.disable_ipv6=1" 2>/dev/null || true
	ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$PEER_IF.disable_ipv6=1" 2>/dev/null || true
	ip link set "$HOST_IF" up && ip -n "$NS" link set lo up && ip -n "$NS" link set "$PEER_IF" up &&
		# no traffic: the generator's program stays attached here (xdpgen --hold)
		ip -n "$NS" link add "$HOLD_IF" type veth peer name "${HOLD_IF}1" &&
		ip -n "$NS" link set "$HOLD_IF" up && ip -n "$NS" link set "${HOLD_IF}1" up
}

machine_desc() {
	local model

	model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	echo "$(nproc --all) vCPU $model, $(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo),"\
		"kernel $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME")$(grep -q hypervisor /proc/cpuinfo && echo ', virtual machine')"
}

# ---- go -------------------------------------------------------------------

log "results: $RES"
log "machine: $(machine_desc)"
read -r l1 _ </proc/loadavg
awk -v l="$l1" 'BEGIN { exit !(l > 0.5) }' &&
	warn "load average $l1: something else is running; numbers will be noisy (see logs/top.txt)"
top -bn1 | head -20 >"$LOGS/top.txt" 2>/dev/null || true

mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf || die "cannot mount bpffs"
build_xdpgen >"$LOGS/xdpgen-build.log" 2>&1 || {
	cat "$LOGS/xdpgen-build.log" >&2
	die "cannot build the traffic generator (tools/bench/xdpgen)"
}
setup_hugepages || die "cannot set up hugepages"
setup_wire || die "cannot create the veth pair and namespace"

SWITCHES=()
declare -A SKIP_REASON=()
for p in ${PEERS//,/ }; do
	case $p in
	ovs | ovs-ct) ovs_available || SKIP_REASON[$p]="openvswitch-switch-dpdk not installed" ;;
	testpmd) testpmd_available || SKIP_REASON[testpmd]="dpdk-testpmd not installed (package dpdk-dev)" ;;
	esac
	SWITCHES+=("$p")
done

{
	echo "{"
	echo "  \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
	echo "  \"machine\": \"$(machine_desc)\","
	echo "  \"runs\": $RUNS, \"duration_s\": $DURATION, \"zero_loss\": $ZERO_LOSS,"
	echo "  \"xvs_poll\": \"$XVS_POLL\", \"groups\": \"$GROUPS_SEL\", \"peers\": \"$PEERS\","
	echo "  \"xvs_commit\": \"$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)\","
	echo "  \"ring\": $RING, \"switch_cpu\": $SW_CPU, \"frontend_cpu\": $FE_CPU"
	echo "}"
} >"$RES/meta.json"
for s in xvs xvs-zc xvs-fw xvs-cap ovs ovs-ct testpmd; do
	{ "${s//-/_}_describe" 2>/dev/null || true; } >"$LOGS/$s.describe"
done

T_START=$(date +%s)
for ((run = 1; run <= RUNS; run++)); do
	for sw in "${SWITCHES[@]}"; do
		if [ -n "${SKIP_REASON[$sw]:-}" ]; then
			[ "$run" = 1 ] && record_na "$sw" all "${SKIP_REASON[$sw]}"
			continue
		fi
		log "run $run/$RUNS: $sw"
		run_switch "$sw" "$run"
	done
done
log "measured in $(($(date +%s) - T_START)) s"

"$PYTHON" "$BENCH/report.py" "$RES" || die "report.py failed"
cat "$RES/table.md"
log "results in $RES (table.md, results.csv, results.json, results.png, trials.jsonl, logs/)"
