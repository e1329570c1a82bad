#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
#
# Live migration of a QEMU guest between two QEMU processes on this host,
# both on xvs ports (`migration: true`, experimental):
#
#   guest m  10.99.16.1 ─ port a ──(migrate)──▶ port b ─ guest m2 (the same VM)
#   guest c  10.99.16.3 ─ port c   (pings m before and after)
#
# The VM moves while guest c pings it: a few losses at most, its memory
# arrives, the FDB follows it. A VM on a port without `migration`, or on
# packed rings, is refused by QEMU at once (no VHOST_F_LOG_ALL) and runs on.
#
# Not tested: a move under a bulk transfer. Under TCG, QEMU 7.2 loses some
# of the guest CPU's own writes then (kernel data: pointers, timestamps),
# and the destination's kernel breaks ("output.0: id N is not a head",
# list corruption). Compared page by page (pmemsave of source and paused
# destination), the pages that differ were never written by xvsd, and
# every page xvsd logged arrived; marking every page dirty at the stop
# hides the loss. Without a NIC, or with xvsd but no traffic, nothing
# differs. See src/vhost/vu_log.h.

load lib/common
load lib/guest
load lib/xvsd

MAC=52:54:00:16:00:01

write_config() {
	cat >"$XVSD_DIR/xvs.yaml" <<YAML
switch:
  name: bats-mig
  control-socket: $XVSD_DIR/xvs.ctl
  socket-dir: $XVSD_DIR
ports:
  a: { type: vhost-user, socket: a.sock, migration: true }
  b: { type: vhost-user, socket: b.sock, migration: true }
  c: { type: vhost-user, socket: c.sock }
  d: { type: vhost-user, socket: d.sock, packed-ring: true }
YAML
}

# the migrating guest's options, the same on both sides
vm_opts() {
	echo --vhost-user "$XVSD_DIR/$1.sock" --client --ip 10.99.16.1/24 --mac "$MAC" --mem 256M
}

setup_file() {
	vm_setup_file || return 0
	require_cmd socat jq || return 0
	write_config
	xvsd_start "$XVSD_DIR/xvs.yaml"
	guest_start c --vhost-user "$XVSD_DIR/c.sock" --client --ip 10.99.16.3/24 \
		--mac 52:54:00:16:00:03
	guest_wait_ready c 120
}

teardown_file() {
	guest_stop_all
	xvsd_stop TERM
	[ -n "${XVSD_DIR:-}" ] && rm -rf "$XVSD_DIR"
}

setup() {
	require_setup_file
}

@test "live migration under a ping: a few losses at most, the VM arrives with its memory, the FDB follows it" {
	local pat logs0
	# shellcheck disable=SC2046
	guest_start m $(vm_opts a)
	guest_wait_ready m 120
	[[ $(port_field a feature_names) != *ring_packed* ]]
	pat=$(guest_run m "dd if=/dev/urandom of=/tmp/pattern bs=1M count=32 2>/dev/null; md5sum </tmp/pattern")
	run guest_run c "ping -c 3 -W 5 10.99.16.1"
	[ "$status" -eq 0 ]
	xvsd_ctl fdb | grep -Ei "^0 +$MAC +a "
	logs0=$(port_field a log_bases)

	# shellcheck disable=SC2046
	guest_start m2 $(vm_opts b) --incoming "unix:$(guest_dir m2)/migrate.sock"
	sleep 1
	# a ping through the move: 5 a second for 30 s, the move (capped at
	# 64 MiB/s) in the middle of it
	guest_run c "rm -f /tmp/ping.out; (ping -i 0.2 -c 150 -W 1 10.99.16.1 >/tmp/ping.out 2>&1; touch /tmp/ping.done) >/dev/null 2>&1 &"
	sleep 3
	GUEST_MIGRATE_MBPS=64 guest_migrate m m2 180
	guest_stop m
	# the switch mapped QEMU's dirty log while the VM moved
	[ "$(port_field a log_bases)" -gt "$logs0" ]
	# memory written before the move is there, the guest runs
	[ "$(guest_run m2 "md5sum </tmp/pattern")" = "$pat" ]
	# the guest announced itself (or QEMU asked for a RARP): its address
	# is behind the new port, and traffic reaches it there
	wait_until 20 eval "xvsd_ctl fdb | grep -Eqi '^0 +$MAC +b '"
	# the ping went on: a few lost while the VM was stopped, no more
	wait_until 60 guest_run c "test -e /tmp/ping.done"
	run guest_run c "tail -3 /tmp/ping.out"
	echo "$output"
	local got
	got=$(echo "$output" | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
	[ -n "$got" ] && [ "$got" -ge 140 ] && [ "$got" -le 150 ]
	run guest_run c "ping -c 5 -W 5 10.99.16.1"
	echo "$output"
	[[ $output == *" 0% packet loss"* ]]
	# and the other way, a transfer out of the moved VM
	local sum
	sum=$(guest_run m2 "dd if=/dev/urandom of=/tmp/blob bs=1M count=4 2>/dev/null; md5sum </tmp/blob")
	guest_run c "rm -f /tmp/rx /tmp/rx.done; (sleep 600 | (nc -l -p 6001 >/tmp/rx; touch /tmp/rx.done)) >/dev/null 2>&1 &"
	sleep 0.5
	guest_run -t 120 m2 "nc 10.99.16.3 6001 </tmp/blob"
	wait_until 60 guest_run c "test -e /tmp/rx.done"
	[ "$(guest_run c "md5sum </tmp/rx")" = "$sum" ]
	[ "$(port_field b broken)" = 0 ]
	guest_stop m2
}

# refuse GUEST PORT: QEMU will not migrate GUEST on PORT
refused() {
	local out
	out=$(guest_qmp "$1" '{"execute":"migrate","arguments":{"uri":"unix:/nonexistent"}}')
	echo "$out"
	echo "$out" | jq -e 'select(.error != null) | .error.desc | test("LOG_ALL")'
	[ "$(port_field "$2" log_bases)" = 0 ]
}

@test "a VM on a port without migration, or on packed rings, is not migratable: QEMU refuses at once, the VM runs on" {
	refused c c
	guest_start p --vhost-user "$XVSD_DIR/d.sock" --client --ip 10.99.16.4/24 \
		--mac 52:54:00:16:00:04 --nic-opts packed=on
	guest_wait_ready p 120
	[[ $(port_field d feature_names) == *ring_packed* ]]
	refused p d
	run guest_run c "ping -c 3 -W 5 10.99.16.4"
	[ "$status" -eq 0 ]
	guest_stop p
}
