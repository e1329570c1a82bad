#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make demo: xvsd switching between two real QEMU guests.
#
#   guest a (10.77.0.1) ──vhost-user── xvsd ──vhost-user── guest b (10.77.0.2)
#
# Builds the guest image if needed, starts xvsd and the guests, pings from
# a to b while printing the switch's live counters, then tears everything
# down (also on Ctrl-C or failure).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
bin=$top/build/bin
work=$(mktemp -d /tmp/xvs-demo.XXXXXX)
export XVS_TEST_TMP=$work/guests
mkdir -p "$XVS_TEST_TMP"
# shellcheck source=../../tests/bats/lib/guest.bash
source "$top/tests/bats/lib/guest.bash"

xvsd_pid=
cleanup() {
	set +e
	echo "== cleaning up"
	guest_stop_all >/dev/null 2>&1
	if [ -n "$xvsd_pid" ]; then
		kill -TERM "$xvsd_pid" 2>/dev/null
		wait "$xvsd_pid" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n== %s\n' "$*"; }
ctl() { "$bin/xvsctl" --ctl "$work/xvs.ctl" "$@"; }

say "building the guest image (cached after the first run)"
bash "$top/tests/guest/build-image.sh" >/dev/null

cat >"$work/xvs.yaml" <<YAML
# the demo switch: two VM ports, untagged, xvsd listening on both sockets
switch:
  name: demo
  control-socket: $work/xvs.ctl
  socket-dir: $work
ports:
  a:
    type: vhost-user
    socket: a.sock
  b:
    type: vhost-user
    socket: b.sock
YAML
say "config ($work/xvs.yaml)"
cat "$work/xvs.yaml"

say "starting xvsd"
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

say "guest a pings guest b; the switch's counters, live"
guest_run -t 30 a "ping -c 10 -i 0.5 10.77.0.2" >"$work/ping.out" 2>&1 &
ping_pid=$!
for i in 1 2 3 4; do
	sleep 1.5
	echo "-- t=$((i * 3 / 2))s"
	ctl show | grep -E '^(port|  queue)' | sed -E 's/ (features|socket|connects|disconnects|drop_hairpin|drop_dst_down)=[^ ]*//g'
done
wait "$ping_pid" || true
say "ping output (from inside guest a)"
cat "$work/ping.out"

say "forwarding database"
ctl fdb
say "workers (adaptive polling: they sleep when idle)"
ctl workers

grep -q ' 0% packet loss' "$work/ping.out" || { echo "demo: ping failed"; exit 1; }
say "demo ok"
