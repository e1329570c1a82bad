#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The forwarder's hot path alone (xvs-hotpath: VM → VM in one process, no
# kernel) under callgrind: instructions per frame, counted only inside
# dp_tx_burst(). Deterministic: the same build gives the same count on any
# machine, so it guards against regressions where timings cannot.
#
#   tools/bench/hotpath.sh [--check] [SIZE...]    (sizes: 60 508 1514 60f 1514f 60m 60p 1514p)
#
# A size with an f (60f) runs with the bench's firewall (xvs-hotpath -f: 100
# stateful rules, every frame judged from-vm and to-vm as established); with
# an m (60m), the same with 256 flows taking turns (-f -F 256: no two frames
# of a burst of one connection, so the workers' conntrack memo never helps);
# with a p (60p), on packed virtqueues (xvs-hotpath -p).
# Prints "size=S ir_per_frame=N baseline=B ratio=R" per Ethernet frame size
# (without FCS: 60 is a 64-byte frame on the wire). --check: exit 1 if any
# count is more than 10% over tools/bench/hotpath.baseline (update that file
# deliberately, with the reason in the commit, when the hot path changes).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$root/build/bin/xvs-hotpath
baseline=$root/tools/bench/hotpath.baseline
frames=${HOTPATH_FRAMES:-20000}
check=0
sizes=()
for a in "$@"; do
	case $a in
	--check) check=1 ;;
	[0-9]*[0-9] | [0-9]*[0-9][fmp]) sizes+=("$a") ;;
	*) echo "usage: $0 [--check] [SIZE...]" >&2; exit 2 ;;
	esac
done
[ ${#sizes[@]} -gt 0 ] || sizes=(60 508 1514 60f 1514f 60m 60p 1514p)
command -v valgrind >/dev/null || { echo "hotpath: valgrind missing (tools/deps.sh)" >&2; exit 2; }
[ -x "$bin" ] || { echo "hotpath: $bin missing (make)" >&2; exit 2; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
bad=0
for s in "${sizes[@]}"; do
	opts=()
	case $s in
	*f) opts=(-f) ;;
	*m) opts=(-f -F 256) ;;
	*p) opts=(-p) ;;
	esac
	valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file="$out/cg.$s" \
		"$bin" "${opts[@]}" -n "$frames" -s "${s%[fmp]}" >"$out/run.$s" 2>"$out/vg.$s" ||
		{ cat "$out/vg.$s" "$out/run.$s" >&2; exit 1; }
	ir=$(awk '/^totals:/ { print $2 }' "$out/cg.$s")
	per=$(( (ir + frames / 2) / frames ))
	base=$(awk -v s="$s" '!/^#/ && $1 == s { print $2 }' "$baseline" 2>/dev/null || true)
	if [ -n "$base" ]; then
		ratio=$(awk -v a="$per" -v b="$base" 'BEGIN { printf "%.3f", a / b }')
		if awk -v r="$ratio" 'BEGIN { exit !(r > 1.10) }'; then
			bad=1
		fi
	else
		base=- ratio=-
	fi
	echo "size=$s ir_per_frame=$per baseline=$base ratio=$ratio"
done
[ $check = 0 ] || [ $bad = 0 ] || { echo "hotpath: more than 10% over the baseline" >&2; exit 1; }
