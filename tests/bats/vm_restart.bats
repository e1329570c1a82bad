#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
#
# QEMU as the vhost-user server, xvsd as the client, two queue pairs per
# port, and xvsd killed and restarted under running guests:
#
#   guest a (server a.sock, 2 queues) ◄── xvsd (client) ──► guest b (server b.sock)

load lib/common
load lib/guest
load lib/xvsd

setup_file() {
	vm_setup_file || return 0
	cat >"$XVSD_DIR/xvs.yaml" <<YAML
switch:
  name: bats-rs
  control-socket: $XVSD_DIR/xvs.ctl
  socket-dir: $XVSD_DIR
ports:
  a: { type: vhost-user, socket: a.sock, mode: client, queues: 2 }
  b: { type: vhost-user, socket: b.sock, mode: client, queues: 2 }
YAML
	# QEMU waits in accept() for its backend before the guest runs
	guest_start a --vhost-user "$XVSD_DIR/a.sock" --server --queues 2 --smp 2 \
		--ip 10.51.0.1/24 --mac 52:54:00:51:00:01
	guest_start b --vhost-user "$XVSD_DIR/b.sock" --server --queues 2 --smp 2 \
		--ip 10.51.0.2/24 --mac 52:54:00:51:00:02
	wait_until 20 test -S "$XVSD_DIR/a.sock" -a -S "$XVSD_DIR/b.sock"
	xvsd_start "$XVSD_DIR/xvs.yaml"
	guest_wait_ready a 120
	guest_wait_ready b 120
}

teardown_file() {
	xvsd_stop TERM
	guest_stop_all
	[ -n "${XVSD_DIR:-}" ] && rm -rf "$XVSD_DIR"
}

setup() {
	require_setup_file
}

@test "client mode: xvsd connects to QEMU; both queue pairs come up" {
	wait_port_state a up 30
	wait_port_state b up 30
	[ "$(port_field a mode)" = client ]
	# the guest's driver enabled both pairs (MQ through the control queue)
	guest_run a "ip link set eth0 up; ls /sys/class/net/eth0/queues" | grep -q rx-1
	run guest_run a "ping -c 3 -W 5 10.51.0.2"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "multiqueue: traffic from both guest CPUs, intact" {
	local sum_a sum_b q
	sum_a=$(guest_run a "dd if=/dev/urandom of=/tmp/blob bs=1M count=8 2>/dev/null && md5sum /tmp/blob" | cut -d' ' -f1)
	guest_run b "(sleep 600 | (nc -l -p 5000 >/tmp/blob; touch /tmp/blob.done)) >/dev/null 2>&1 &"
	sleep 0.5
	# two senders pinned to the two vCPUs: the driver picks a TX queue per CPU
	guest_run -t 120 a "taskset 1 ping -c 20 -i 0.05 -q 10.51.0.2 >/dev/null & taskset 2 ping -c 20 -i 0.05 -q 10.51.0.2 >/dev/null & nc 10.51.0.2 5000 </tmp/blob; wait"
	wait_until 60 guest_run b "test -e /tmp/blob.done"
	sum_b=$(guest_run b "md5sum /tmp/blob" | cut -d' ' -f1)
	[ -n "$sum_a" ]
	[ "$sum_a" = "$sum_b" ]
	xvsd_ctl show a
	for q in 0 1; do
		[ "$(queue_field a "$q" enabled)" = 1/1 ]
		[ "$(queue_field a "$q" rx_packets)" -gt 0 ]
	done
}

@test "xvsd killed with SIGKILL and restarted: traffic resumes, guests not rebooted" {
	local boot_a boot_b
	boot_a=$(guest_run a "cat /proc/sys/kernel/random/boot_id")
	boot_b=$(guest_run b "cat /proc/sys/kernel/random/boot_id")
	xvsd_stop KILL
	echo "killed: status $XVSD_STATUS"
	[ "$XVSD_STATUS" = 137 ]
	# the stale control socket is replaced on start
	[ -S "$XVSD_DIR/xvs.ctl" ]
	xvsd_start "$XVSD_DIR/xvs.yaml"
	wait_port_state a up 30
	wait_port_state b up 30
	run guest_run -t 60 a "ping -c 3 -W 5 10.51.0.2"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(guest_run a "cat /proc/sys/kernel/random/boot_id")" = "$boot_a" ]
	[ "$(guest_run b "cat /proc/sys/kernel/random/boot_id")" = "$boot_b" ]
}

@test "xvsd SIGKILLed in the middle of a bulk transfer and restarted: the transfer completes intact" {
	guest_bulk a b 10.51.0.2 5100 48 xvsd_kill_restart a b
	# QEMU restarted each ring at its used index: what was in flight was
	# taken again, nothing the guests saw as a violation
	[ "$(port_field a broken)" = 0 ]
	[ "$(port_field b broken)" = 0 ]
	guest_virtio_clean a b
}

@test "QEMU gone: the client port goes down and comes back with a new QEMU" {
	guest_stop b
	wait_port_state b down 20
	guest_start b --vhost-user "$XVSD_DIR/b.sock" --server --queues 2 --smp 2 \
		--ip 10.51.0.2/24 --mac 52:54:00:51:00:02
	guest_wait_ready b 120
	wait_port_state b up 30
	run guest_run -t 60 a "ping -c 3 -W 5 10.51.0.2"
	[ "$status" -eq 0 ]
	[ "$(port_field b broken)" = 0 ]
}
