#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make demo: a tour of xvs with an outside host and two real QEMU guests.
#
#   netns xvs-demo-out           veth            xvsd              vhost-user
#   "outside" 10.77.0.100  ── xvsdemo-p ═ xvsdemo-h ── port up0 ─┬─ port a ── guest a 10.77.0.1
#                                                    (AF_XDP)    └─ port b ── guest b 10.77.0.2
#
# Builds the guest image if needed, starts xvsd, the guests and the outside
# host, then: pings both ways, the switch's live rates (xvsctl stats -w),
# a capture read back by tcpdump, JSON and the Prometheus endpoint, a port
# added at run time; tears everything down at the end (also on Ctrl-C or
# failure). Exits non-zero if something did not work.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
bin=$top/build/bin
work=$(mktemp -d /tmp/xvs-demo.XXXXXX)
ns=xvs-demo-out
hif=xvsdemo-h
pif=xvsdemo-p
export XVS_TEST_TMP=$work/guests
mkdir -p "$XVS_TEST_TMP"
# shellcheck source=../../tests/bats/lib/guest.bash
source "$top/tests/bats/lib/guest.bash"

xvsd_pid=
cleanup() {
	set +e
	echo
	echo "== cleaning up"
	guest_stop_all >/dev/null 2>&1
	if [ -n "$xvsd_pid" ]; then
		kill -TERM "$xvsd_pid" 2>/dev/null
		wait "$xvsd_pid" 2>/dev/null
	fi
	ip link del "$hif" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n== %s\n' "$*"; }
ctl() { "$bin/xvsctl" --ctl "$work/xvs.ctl" "$@"; }
out() { ip netns exec "$ns" "$@"; }

say "building the guest image (cached after the first run)"
bash "$top/tests/guest/build-image.sh" >/dev/null

say "the outside host: namespace $ns, a veth pair standing in for the NIC"
ip link del "$hif" 2>/dev/null || true
ip netns del "$ns" 2>/dev/null || true
ip netns add "$ns"
ip link add "$hif" type veth peer name "$pif" netns "$ns"
out ip addr add 10.77.0.100/24 dev "$pif"
out ip link set lo up
out ip link set "$pif" up
ip link set "$hif" up
echo "$pif 10.77.0.100/24 in $ns  <=veth=>  $hif (the switch's uplink, no address)"

cat >"$work/xvs.yaml" <<YAML
# the demo switch: an uplink and two VM ports, untagged
switch:
  name: demo
  control-socket: $work/xvs.ctl
  socket-dir: $work
  metrics: 127.0.0.1:29478
ports:
  up0: { type: uplink, interface: $hif }
  a: { type: vhost-user, socket: a.sock }
  b: { type: vhost-user, socket: b.sock }
YAML
say "config ($work/xvs.yaml)"
cat "$work/xvs.yaml"

say "starting xvsd (it loads its XDP program onto $hif)"
"$bin/xvsd" -c "$work/xvs.yaml" >"$work/xvsd.log" 2>&1 &
xvsd_pid=$!
for _ in $(seq 50); do [ -S "$work/b.sock" ] && break; sleep 0.1; done
[ -S "$work/b.sock" ] || { cat "$work/xvsd.log"; exit 1; }

say "booting two QEMU guests (TCG, a few seconds)"
guest_start a --vhost-user "$work/a.sock" --client --ip 10.77.0.1/24 --mac 52:54:00:77:00:01
guest_start b --vhost-user "$work/b.sock" --client --ip 10.77.0.2/24 --mac 52:54:00:77:00:02
guest_wait_ready a 90
guest_wait_ready b 90
cat "$work/xvsd.log"

say "xvsctl show: the switch and its ports (a few fields of each)"
ctl show | awk '{ line = $1 " " $2; for (i = 3; i <= NF; i++) if ($i ~ /^(type|state|interface|xdp|afxdp|queues|feature_names|mode|rx_packets|tx_packets|ports|workers)=/) line = line " " $i; print line }'

say "the outside pings guest a, guest a pings guest b"
out ping -c 3 -W 2 10.77.0.1 | tail -2
guest_run a "ping -c 3 -W 2 10.77.0.2" | tail -2 >"$work/ping.out"
cat "$work/ping.out"
grep -q ' 0% packet loss' "$work/ping.out" || { echo "demo: a cannot reach b"; exit 1; }

say "xvsctl stats -w 1 -c 3: rates per second while the outside pings a and b"
out ping -c 30 -i 0.1 -W 1 10.77.0.1 >/dev/null 2>&1 &
p1=$!
out ping -c 30 -i 0.1 -W 1 10.77.0.2 >/dev/null 2>&1 &
p2=$!
ctl stats -w 1 -c 3
wait "$p1" "$p2" # not a bare wait: the guests are this shell's children too

say "xvsctl capture b -c 6 -w - | tcpdump -r -: b's frames as the switch sees them"
timeout 30 "$bin/xvsctl" --ctl "$work/xvs.ctl" capture b -c 6 -w - 2>"$work/cap.err" |
	tcpdump -r - -n -e 2>/dev/null &
cap=$!
for _ in $(seq 50); do
	ctl show b | grep -q ' capturing=1' && break
	sleep 0.1
done
guest_run a "ping -c 5 -i 0.2 -W 2 10.77.0.2" >/dev/null
wait "$cap" || true
cat "$work/cap.err"
grep -q '^6 frames captured' "$work/cap.err" || { echo "demo: the capture did not complete"; exit 1; }

say "JSON for scripts: xvsctl -j stats | jq"
ctl -j stats | jq -c '.port[] | {name, rx_packets, tx_packets, dropped: (.rx_dropped + .tx_dropped)}'

say "Prometheus: curl http://127.0.0.1:29478/metrics (a few lines)"
curl -s http://127.0.0.1:29478/metrics | grep -E '^xvs_port_(rx|tx)_packets_total'

say "a port added at run time, then removed (memory only: a reload reads the file)"
ctl port add c '{ type: vhost-user, socket: c.sock }'
ctl show c | cut -d' ' -f1-6
ctl port del c

say "forwarding database and workers"
ctl fdb
ctl workers

say "demo ok"
