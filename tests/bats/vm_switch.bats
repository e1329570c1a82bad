#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
#
# VM-to-VM switching with real QEMU guests (TCG, Linux virtio_net) on xvsd
# ports in server mode (QEMU connects, reconnect=1):
#
#   guest a 10.50.0.1 ─ port a ┐
#   guest b 10.50.0.2 ─ port b ┼─ xvsd, all in VLAN 10 (c moves to 20 later)
#   guest c 10.50.0.3 ─ port c ┘

load lib/common
load lib/guest
load lib/xvsd

write_config() { # c's VLAN
	cat >"$XVSD_DIR/xvs.yaml" <<YAML
switch:
  name: bats-sw
  control-socket: $XVSD_DIR/xvs.ctl
  socket-dir: $XVSD_DIR
fdb:
  aging: 300
ports:
  a: { type: vhost-user, socket: a.sock, vlan: 10 }
  b: { type: vhost-user, socket: b.sock, vlan: 10 }
  c: { type: vhost-user, socket: c.sock, vlan: $1 }
YAML
}

start_guest() { # name, last octet
	guest_start "$1" --vhost-user "$XVSD_DIR/$1.sock" --client --ip "10.50.0.$2/24" \
		--mac "52:54:00:50:00:0$2"
}

setup_file() {
	vm_setup_file || return 0
	write_config 10
	xvsd_start "$XVSD_DIR/xvs.yaml"
	start_guest a 1
	start_guest b 2
	start_guest c 3
	guest_wait_ready a 120
	guest_wait_ready b 120
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

# guest_rx NAME: frames the guest's eth0 has received
guest_rx() {
	guest_run "$1" "cat /sys/class/net/eth0/statistics/rx_packets"
}

@test "two guests ping each other" {
	run guest_run a "ping -c 3 -W 5 10.50.0.2"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *" 0% packet loss"* ]]
	run guest_run b "ping -c 3 -W 5 10.50.0.1"
	[ "$status" -eq 0 ]
	[ "$(port_field a state)" = up ]
	[ "$(port_field b broken)" = 0 ]
	# both learned, on their own ports
	xvsd_ctl fdb | grep -E '^10 +52:54:00:50:00:01 +a '
	xvsd_ctl fdb | grep -E '^10 +52:54:00:50:00:02 +b '
}

@test "a 20 MB transfer arrives intact" {
	local sum_a sum_b
	sum_a=$(guest_run a "dd if=/dev/urandom of=/tmp/blob bs=1M count=20 2>/dev/null && md5sum /tmp/blob" | cut -d' ' -f1)
	# busybox nc -l quits when its own stdin ends: keep it open
	guest_run b "(sleep 600 | (nc -l -p 5000 >/tmp/blob; touch /tmp/blob.done)) >/dev/null 2>&1 &"
	sleep 0.5
	guest_run -t 180 a "nc 10.50.0.2 5000 </tmp/blob"
	wait_until 60 guest_run b "test -e /tmp/blob.done"
	sum_b=$(guest_run b "md5sum /tmp/blob" | cut -d' ' -f1)
	echo "sent $sum_a received $sum_b"
	[ -n "$sum_a" ]
	[ "$sum_a" = "$sum_b" ]
	# the bulk went through port a's receive side and port b's transmit side
	[ "$(queue_field a 0 rx_bytes)" -gt 20000000 ]
	[ "$(queue_field b 0 tx_bytes)" -gt 20000000 ]
	[ "$(port_field a broken)" = 0 ]
	[ "$(port_field b broken)" = 0 ]
}

@test "an ARP broadcast reaches every guest in the VLAN" {
	local b0 c0 pb0 pc0
	b0=$(guest_rx b) c0=$(guest_rx c)
	pb0=$(queue_field b 0 tx_packets) pc0=$(queue_field c 0 tx_packets)
	# nobody owns .99: three broadcast requests, no reply
	guest_run a "arping -c 3 -w 4 -I eth0 10.50.0.99 >/dev/null" || true
	echo "b rx $b0 -> $(guest_rx b), c rx $c0 -> $(guest_rx c)"
	[ "$(guest_rx b)" -ge $((b0 + 3)) ]
	[ "$(guest_rx c)" -ge $((c0 + 3)) ]
	[ "$(queue_field b 0 tx_packets)" -ge $((pb0 + 3)) ]
	[ "$(queue_field c 0 tx_packets)" -ge $((pc0 + 3)) ]
}

@test "guests in different VLANs cannot reach each other (VLAN changed by SIGHUP)" {
	local pc0 pb0
	write_config 20
	kill -HUP "$XVSD_PID"
	wait_until 10 grep -q "c: now vlan 20" "$XVSD_DIR/xvsd.log"
	# changed in place: c stayed connected
	[ "$(port_field c vlan)" = 20 ]
	[ "$(port_field c connects)" = 1 ]
	[ "$(port_field c state)" = up ]

	run guest_run a "ping -c 2 -W 3 10.50.0.3"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"100% packet loss"* ]]
	run guest_run c "ping -c 2 -W 3 10.50.0.2"
	[ "$status" -ne 0 ]
	# a broadcast from a reaches b but not c
	pc0=$(queue_field c 0 tx_packets) pb0=$(queue_field b 0 tx_packets)
	guest_run a "arping -c 2 -w 3 -I eth0 10.50.0.98 >/dev/null" || true
	[ "$(queue_field b 0 tx_packets)" -ge $((pb0 + 2)) ]
	[ "$(queue_field c 0 tx_packets)" -eq "$pc0" ]
	# same VLAN still works
	run guest_run a "ping -c 2 -W 5 10.50.0.2"
	[ "$status" -eq 0 ]

	write_config 10
	kill -HUP "$XVSD_PID"
	wait_until 10 port_is c vlan 10
	run guest_run a "ping -c 2 -W 5 10.50.0.3"
	[ "$status" -eq 0 ]
}

@test "a guest powered off and booted again on its port works again" {
	guest_stop b
	wait_port_state b down 20
	start_guest b 2
	guest_wait_ready b 120
	wait_port_state b up 30
	run guest_run a "ping -c 3 -W 5 10.50.0.2"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(port_field b connects)" = 2 ]
	[ "$(port_field b broken)" = 0 ]
}

@test "idle xvsd with connected idle guests uses under 5% of a core" {
	local hz t0 t1 pct
	hz=$(getconf CLK_TCK)
	sleep 2 # let the workers fall asleep
	t0=$(xvsd_cpu_ticks)
	sleep 10
	t1=$(xvsd_cpu_ticks)
	pct=$(((t1 - t0) * 100 / (hz * 10)))
	echo "xvsd used $((t1 - t0)) ticks in 10 s at $hz Hz: ${pct}% of a core"
	xvsd_ctl workers
	[ "$pct" -lt 5 ]
	[ "$(port_field a state)" = up ]
	[ "$(port_field c state)" = up ]
}

@test "SIGTERM: clean exit, sockets removed" {
	xvsd_stop TERM
	echo "status $XVSD_STATUS"
	[ "$XVSD_STATUS" = 0 ]
	[ ! -e "$XVSD_DIR/a.sock" ]
	[ ! -e "$XVSD_DIR/xvs.ctl" ]
	grep -q "stopped" "$XVSD_DIR/xvsd.log"
}
